// The page service's logic, testable without gRPC: requests in, resources or
// a status out, one storage transaction per call.
#ifndef INCIDENTD_SERVER_PAGE_LOGIC_H_
#define INCIDENTD_SERVER_PAGE_LOGIC_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/empty.pb.h"
#include "incidentd/v1/pages.pb.h"
#include "incidentd/v1/resources.pb.h"
#include "server/clock.h"
#include "server/event_notifier.h"
#include "storage/store.h"

namespace incidentd {

class PageLogic {
 public:
  // `notifier` is told of every committed change that appended events.
  PageLogic(storage::Store& store, const Clock& clock, EventNotifier& notifier)
      : store_(store), clock_(clock), notifier_(notifier) {}

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

 private:
  absl::Time Now() const { return TruncateToMicros(clock_.Now()); }

  storage::Store& store_;
  const Clock& clock_;
  EventNotifier& notifier_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_PAGE_LOGIC_H_
