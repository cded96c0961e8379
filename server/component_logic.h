// The component service's logic, testable without gRPC: components, their
// groups and their statuses, one storage transaction per call.
#ifndef INCIDENTD_SERVER_COMPONENT_LOGIC_H_
#define INCIDENTD_SERVER_COMPONENT_LOGIC_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/empty.pb.h"
#include "incidentd/v1/components.pb.h"
#include "incidentd/v1/resources.pb.h"
#include "server/clock.h"
#include "server/event_notifier.h"
#include "storage/store.h"

namespace incidentd {

class ComponentLogic {
 public:
  // `notifier` is told of every committed change that appended events.
  ComponentLogic(storage::Store& store, const Clock& clock,
                 EventNotifier& notifier)
      : store_(store), clock_(clock), notifier_(notifier) {}

  absl::StatusOr<v1::Component> CreateComponent(
      const v1::CreateComponentRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Component> GetComponent(
      const v1::GetComponentRequest& request, absl::Time deadline);
  absl::StatusOr<v1::ListComponentsResponse> ListComponents(
      const v1::ListComponentsRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Component> UpdateComponent(
      const v1::UpdateComponentRequest& request, absl::Time deadline);
  absl::StatusOr<google::protobuf::Empty> DeleteComponent(
      const v1::DeleteComponentRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Component> SetComponentStatus(
      const v1::SetComponentStatusRequest& request, absl::Time deadline);

  absl::StatusOr<v1::ComponentGroup> CreateComponentGroup(
      const v1::CreateComponentGroupRequest& request, absl::Time deadline);
  absl::StatusOr<v1::ComponentGroup> GetComponentGroup(
      const v1::GetComponentGroupRequest& request, absl::Time deadline);
  absl::StatusOr<v1::ListComponentGroupsResponse> ListComponentGroups(
      const v1::ListComponentGroupsRequest& request, absl::Time deadline);
  absl::StatusOr<v1::ComponentGroup> UpdateComponentGroup(
      const v1::UpdateComponentGroupRequest& request, absl::Time deadline);
  absl::StatusOr<google::protobuf::Empty> DeleteComponentGroup(
      const v1::DeleteComponentGroupRequest& request, absl::Time deadline);

 private:
  absl::Time Now() const { return TruncateToMicros(clock_.Now()); }

  storage::Store& store_;
  const Clock& clock_;
  EventNotifier& notifier_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_COMPONENT_LOGIC_H_
