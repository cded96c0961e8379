// The incident service's logic, testable without gRPC: incidents and
// scheduled maintenance with their timelines. Every status change, whether
// posted by a caller or by the maintenance scheduler, goes through
// PlanPost/CommitPost inside one transaction on the incident row read FOR
// UPDATE, so concurrent changes never lose one.
#ifndef INCIDENTD_SERVER_INCIDENT_LOGIC_H_
#define INCIDENTD_SERVER_INCIDENT_LOGIC_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "incidentd/v1/incidents.pb.h"
#include "incidentd/v1/resources.pb.h"
#include "server/clock.h"
#include "storage/model.h"
#include "storage/store.h"

namespace incidentd {

class IncidentLogic {
 public:
  IncidentLogic(storage::Store& store, const Clock& clock)
      : store_(store), clock_(clock) {}

  absl::StatusOr<v1::Incident> CreateIncident(
      const v1::CreateIncidentRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Incident> GetIncident(
      const v1::GetIncidentRequest& request, absl::Time deadline);
  absl::StatusOr<v1::ListIncidentsResponse> ListIncidents(
      const v1::ListIncidentsRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Incident> UpdateIncident(
      const v1::UpdateIncidentRequest& request, absl::Time deadline);
  absl::StatusOr<v1::IncidentUpdate> PostIncidentUpdate(
      const v1::PostIncidentUpdateRequest& request, absl::Time deadline);
  absl::StatusOr<v1::IncidentUpdate> EditIncidentUpdate(
      const v1::EditIncidentUpdateRequest& request, absl::Time deadline);
  absl::StatusOr<v1::ListIncidentUpdatesResponse> ListIncidentUpdates(
      const v1::ListIncidentUpdatesRequest& request, absl::Time deadline);

  // What a post will write: the incident after it, the update to insert and
  // the components whose status it changes.
  struct PostPlan {
    Incident incident;  // version already incremented (1: a new incident)
    IncidentUpdate update;
    std::vector<Component> components;
  };
  // Checks and reads only (components are locked FOR UPDATE), so a caller
  // may skip an incident whose post is refused without undoing anything.
  // `incident` was read FOR UPDATE (or is new, version 0, status
  // unspecified); `update` carries status, body, display_time, author,
  // component_changes, notify and reopen; an empty display_time_zone takes
  // the page's.
  absl::StatusOr<PostPlan> PlanPost(storage::Transaction& tx,
                                    const Incident& incident,
                                    IncidentUpdate update,
                                    absl::Time now) const;
  // Writes the plan: the incident (inserted when new), the components, the
  // update (whose seq is filled in).
  absl::Status CommitPost(storage::Transaction& tx, PostPlan& plan) const;

  absl::Time Now() const { return TruncateToMicros(clock_.Now()); }

 private:
  storage::Store& store_;
  const Clock& clock_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_INCIDENT_LOGIC_H_
