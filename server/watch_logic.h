// The event service's logic, testable without gRPC: WatchPage requests
// checked and started (resume position, retention, snapshot), ListEvents,
// and the event log as the hub and the watchers read it (EventLog over the
// Store).
#ifndef INCIDENTD_SERVER_WATCH_LOGIC_H_
#define INCIDENTD_SERVER_WATCH_LOGIC_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "incidentd/v1/events.pb.h"
#include "server/clock.h"
#include "server/event_watcher.h"
#include "server/read_cache.h"
#include "storage/store.h"

namespace incidentd {

// INVALID_ARGUMENT for a bad page name, a filter naming another page's
// resources or an unknown type, a negative after_sequence, or a snapshot
// asked for with a non-zero after_sequence.
absl::StatusOr<WatchRequest> ParseWatchRequest(
    const v1::WatchPageRequest& request);

// Whether events after `after` can be served from a log at `head`:
// OUT_OF_RANGE beyond the latest event; FAILED_PRECONDITION when some of
// them are no longer kept. 0 means "from the first event kept" and is
// always fine.
absl::Status CheckResume(int64_t after,
                         const storage::EventRepository::Head& head);

class WatchLogic final : public EventLog {
 public:
  WatchLogic(storage::Store& store, const Clock& clock)
      : store_(store), clock_(clock) {}

  // Snapshots are then kept in (and taken from) `cache`, which must be told
  // of every commit. A setter, not a constructor argument: the cache polls
  // through this class. Call before serving.
  void UseReadCache(ReadCache* cache) { cache_ = cache; }

  absl::StatusOr<v1::ListEventsResponse> ListEvents(
      const v1::ListEventsRequest& request, absl::Time deadline);

  // EventLog. StartWatch reads the head, the snapshot and the first events
  // in one read-only transaction, so the snapshot is exactly the page as of
  // its sequence. A cached snapshot is exact too, at its own sequence; if
  // the page has moved on since (elsewhere, not yet polled), the watcher
  // is simply handed the later events, as after any snapshot.
  absl::StatusOr<WatchStart> StartWatch(const WatchRequest& request, int limit,
                                        absl::Time deadline) override;
  absl::StatusOr<std::vector<Event>> ReadEvents(const std::string& page_id,
                                                int64_t after_seq, int limit,
                                                absl::Time deadline) override;
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> LastSequences(
      const std::vector<std::string>& page_ids, absl::Time deadline) override;

 private:
  storage::Store& store_;
  const Clock& clock_;
  ReadCache* cache_ = nullptr;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_WATCH_LOGIC_H_
