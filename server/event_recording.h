// How a change records its events: appended LAST in its transaction, after
// every other write (so the page's sequence lock, which orders the log, is
// held briefly and always taken last), and announced to this replica's
// watchers once the transaction committed.
#ifndef INCIDENTD_SERVER_EVENT_RECORDING_H_
#define INCIDENTD_SERVER_EVENT_RECORDING_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/event_notifier.h"
#include "server/idempotency.h"
#include "storage/model.h"
#include "storage/store.h"

namespace incidentd {

// Appends `events` and fills in their seq: grouped by page, pages in id
// order (one lock order when a transaction touches several pages, so two
// such transactions cannot deadlock), each page's in the order given.
absl::Status AppendEvents(storage::Transaction& tx, std::vector<Event>& events);

// Tells `notifier` once of each page that `events` (committed) are on.
void AnnounceEvents(EventNotifier& notifier, const std::vector<Event>& events);

// What a recorded change runs inside its transaction: the change, adding
// the events that describe it to `events`, in order.
using RecordedChange =
    absl::FunctionRef<absl::Status(storage::Transaction&, std::vector<Event>&)>;

// Store::ReadWrite for a change that records events: `fn` starts each run
// (the store may retry it) with no events; when it returns OK its events
// are appended, and after the commit they are announced. On any error
// nothing is written and nobody is told.
absl::Status ReadWriteRecorded(storage::Store& store, EventNotifier& notifier,
                               absl::Time deadline, RecordedChange fn);
// What a create runs instead of its change when its request id was seen
// with the same request: read the resource the first call produced (named
// as remembered) into the caller's result.
using Replay = absl::FunctionRef<absl::Status(
    storage::Transaction&, const std::string& resource_name)>;

// The same over ReadWriteIdempotent, for creates with a request id. Inside
// the transaction it looks the request id up first: seen with the same
// request, it runs `replay` instead of `fn` (which changes nothing, so
// appends no event); seen with a different one, ALREADY_EXISTS; new, `fn`
// (which must RememberRequest with what it created).
absl::Status ReadWriteIdempotentRecorded(storage::Store& store,
                                         EventNotifier& notifier,
                                         absl::Time deadline,
                                         const RequestKey& key, Replay replay,
                                         RecordedChange fn);

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_EVENT_RECORDING_H_
