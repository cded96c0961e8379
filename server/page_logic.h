// The page service's logic, testable without gRPC: requests in, resources or
// a status out, one storage transaction per call.
#ifndef INCIDENTD_SERVER_PAGE_LOGIC_H_
#define INCIDENTD_SERVER_PAGE_LOGIC_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/empty.pb.h"
#include "incidentd/v1/pages.pb.h"
#include "incidentd/v1/resources.pb.h"
#include "server/clock.h"
#include "server/event_notifier.h"
#include "server/read_cache.h"
#include "storage/store.h"

namespace incidentd {

class PageLogic {
 public:
  // `notifier` is told of every committed change that appended events (and
  // of a page's deletion). `cache`, if given, keeps GetPageStatus answers
  // (it must be among the notifier's targets).
  PageLogic(storage::Store& store, const Clock& clock, EventNotifier& notifier,
            ReadCache* cache = nullptr)
      : store_(store), clock_(clock), notifier_(notifier), cache_(cache) {}

  // `deadline` bounds the storage work (see Store).
  absl::StatusOr<v1::Page> CreatePage(const v1::CreatePageRequest& request,
                                      absl::Time deadline);
  absl::StatusOr<v1::Page> GetPage(const v1::GetPageRequest& request,
                                   absl::Time deadline);
  absl::StatusOr<v1::ListPagesResponse> ListPages(
      const v1::ListPagesRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Page> UpdatePage(const v1::UpdatePageRequest& request,
                                      absl::Time deadline);
  absl::StatusOr<google::protobuf::Empty> DeletePage(
      const v1::DeletePageRequest& request, absl::Time deadline);
  absl::StatusOr<v1::PageStatus> GetPageStatus(
      const v1::GetPageStatusRequest& request, absl::Time deadline);
  // GetPageStatus without blocking, for gRPC's threads: the serialized
  // answer when the cache has it (or the error when the request is
  // invalid), nullopt when it takes a read.
  std::optional<absl::StatusOr<SerializedAnswer>> CachedPageStatus(
      const v1::GetPageStatusRequest& request);

 private:
  absl::Time Now() const { return TruncateToMicros(clock_.Now()); }

  storage::Store& store_;
  const Clock& clock_;
  EventNotifier& notifier_;
  ReadCache* const cache_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_PAGE_LOGIC_H_
