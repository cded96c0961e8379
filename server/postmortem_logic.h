// The postmortem service's logic, testable without gRPC: postmortems with
// their revisions and publication, and corrective actions.
#ifndef INCIDENTD_SERVER_POSTMORTEM_LOGIC_H_
#define INCIDENTD_SERVER_POSTMORTEM_LOGIC_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "incidentd/v1/postmortems.pb.h"
#include "incidentd/v1/resources.pb.h"
#include "server/clock.h"
#include "server/event_notifier.h"
#include "storage/store.h"

namespace incidentd {

class PostmortemLogic {
 public:
  // `notifier` is told of every committed change that appended events.
  PostmortemLogic(storage::Store& store, const Clock& clock,
                  EventNotifier& notifier)
      : store_(store), clock_(clock), notifier_(notifier) {}

  absl::StatusOr<v1::Postmortem> GetPostmortem(
      const v1::GetPostmortemRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Postmortem> UpdatePostmortem(
      const v1::UpdatePostmortemRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Postmortem> PublishPostmortem(
      const v1::PublishPostmortemRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Postmortem> UnpublishPostmortem(
      const v1::UnpublishPostmortemRequest& request, absl::Time deadline);
  absl::StatusOr<v1::ListPostmortemRevisionsResponse> ListPostmortemRevisions(
      const v1::ListPostmortemRevisionsRequest& request, absl::Time deadline);

  absl::StatusOr<v1::CorrectiveAction> CreateCorrectiveAction(
      const v1::CreateCorrectiveActionRequest& request, absl::Time deadline);
  absl::StatusOr<v1::ListCorrectiveActionsResponse> ListCorrectiveActions(
      const v1::ListCorrectiveActionsRequest& request, absl::Time deadline);
  absl::StatusOr<v1::CorrectiveAction> UpdateCorrectiveAction(
      const v1::UpdateCorrectiveActionRequest& request, absl::Time deadline);

 private:
  absl::Time Now() const { return TruncateToMicros(clock_.Now()); }

  storage::Store& store_;
  const Clock& clock_;
  EventNotifier& notifier_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_POSTMORTEM_LOGIC_H_
