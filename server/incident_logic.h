// The incident service's logic, testable without gRPC: incidents and
// scheduled maintenance with their timelines. Every status change, whether
// posted by a caller or by the maintenance scheduler, goes through
// PlanPost/CommitPost inside one transaction on the incident row read FOR
// UPDATE, so concurrent changes never lose one.
#ifndef INCIDENTD_SERVER_INCIDENT_LOGIC_H_
#define INCIDENTD_SERVER_INCIDENT_LOGIC_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "incidentd/v1/incidents.pb.h"
#include "incidentd/v1/resources.pb.h"
#include "server/clock.h"
#include "server/event_notifier.h"
#include "server/read_cache.h"
#include "storage/model.h"
#include "storage/store.h"

namespace incidentd {

class IncidentLogic {
 public:
  // `notifier` is told of every committed change that appended events.
  // `cache`, if given, keeps GetIncident answers (it must be among the
  // notifier's targets).
  IncidentLogic(storage::Store& store, const Clock& clock,
                EventNotifier& notifier, ReadCache* cache = nullptr)
      : store_(store), clock_(clock), notifier_(notifier), cache_(cache) {}

  absl::StatusOr<v1::Incident> CreateIncident(
      const v1::CreateIncidentRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Incident> GetIncident(
      const v1::GetIncidentRequest& request, absl::Time deadline);
  // GetIncident without blocking, for gRPC's threads: the serialized
  // answer when the cache has it (or the error when the request is
  // invalid), nullopt when it takes a read.
  std::optional<absl::StatusOr<SerializedAnswer>> CachedIncident(
      const v1::GetIncidentRequest& request);
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
    // The status before the post (unspecified: a new incident), and whether
    // the post changed what the incident shows besides its status: its
    // effective impact, affected components or start time.
    IncidentStatus previous_status = IncidentStatus::kUnspecified;
    bool incident_changed = false;
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
  // update (whose seq is filled in); and adds the events that describe it
  // to `events`, for the caller to append last (see event_recording.h).
  // Their order, which is also the order within any one transaction:
  //   1. the incident's own: INCIDENT_CREATED or MAINTENANCE_SCHEDULED for a
  //      new one; then its status transition if the post made one
  //      (INCIDENT_RESOLVED, INCIDENT_REOPENED, MAINTENANCE_STARTED,
  //      MAINTENANCE_COMPLETED, MAINTENANCE_CANCELLED), or else, for an
  //      existing incident, INCIDENT_UPDATED when incident_changed;
  //   2. INCIDENT_UPDATE_POSTED;
  //   3. COMPONENT_STATUS_CHANGED for each component written, in timeline
  //      order.
  // The actor is the update's author; the time the post's now.
  absl::Status CommitPost(storage::Transaction& tx, PostPlan& plan,
                          std::vector<Event>& events) const;

  absl::Time Now() const { return TruncateToMicros(clock_.Now()); }
  // For changes made outside this class through PlanPost/CommitPost (the
  // maintenance scheduler), to announce their events.
  EventNotifier& notifier() const { return notifier_; }

 private:
  storage::Store& store_;
  const Clock& clock_;
  EventNotifier& notifier_;
  ReadCache* const cache_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_INCIDENT_LOGIC_H_
