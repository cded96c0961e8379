// The incident lifecycle rules: which status moves are allowed, what a post
// does to the incident and its components, and how impact is derived. Pure
// functions over the domain model; no I/O.
#ifndef INCIDENTD_SERVER_DOMAIN_INCIDENT_RULES_H_
#define INCIDENTD_SERVER_DOMAIN_INCIDENT_RULES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "storage/model.h"

namespace incidentd::domain {

// Open: not RESOLVED, COMPLETED or CANCELLED.
bool IsOpen(IncidentStatus status);
// Incidents use INVESTIGATING..RESOLVED; maintenance SCHEDULED..CANCELLED.
bool IsStatusOfKind(IncidentKind kind, IncidentStatus status);
// INVESTIGATING for incidents, SCHEDULED for maintenance.
IncidentStatus DefaultFirstStatus(IncidentKind kind);

// Whether a post that sets `requested` (kUnspecified: keeps the status) may
// be made on an incident of `kind` now in `current`:
//  - INVALID_ARGUMENT: `requested` belongs to the other kind.
//  - Incidents: any open status may move to any status. A resolved incident
//    accepts posts that keep it resolved; moving it to an open status needs
//    `reopen`. `reopen` on an incident that is not resolved is
//    FAILED_PRECONDITION.
//  - Maintenance: SCHEDULED -> IN_PROGRESS -> VERIFYING -> COMPLETED, forward
//    only (steps may be skipped); CANCELLED from any status before
//    COMPLETED; COMPLETED and CANCELLED are final (posts keeping the status
//    are allowed); reopen is FAILED_PRECONDITION.
// `current` is kUnspecified for the first update of a new incident.
absl::Status CheckTransition(IncidentKind kind, IncidentStatus current,
                             IncidentStatus requested, bool reopen);

// The status after a post: `requested`, or `current` when unspecified.
IncidentStatus ResultingStatus(IncidentStatus current,
                               IncidentStatus requested);

// "Investigating", "Identified", "Monitoring", "Resolved", "Scheduled",
// "In progress", "Verifying", "Completed", "Cancelled"; "Update" for a post
// that keeps the status; "Reopened" for one with `reopen`.
std::string UpdateLabel(const IncidentUpdate& update);
// The display name of a status, e.g. "In progress".
std::string StatusTitle(IncidentStatus status);

// The impact a component status means: DEGRADED_PERFORMANCE MINOR,
// PARTIAL_OUTAGE MAJOR, MAJOR_OUTAGE CRITICAL, anything else NONE.
Impact ImpactOfComponentStatus(ComponentStatus status);
// The worse of two impacts.
Impact WorseImpact(Impact a, Impact b);
// The derived impact after a post: the worst of `current` and the impact of
// every status in `changes` (impact is the peak, so it never drops).
Impact DeriveImpact(Impact current, const std::vector<ComponentChange>& changes);
// impact_override when set, else derived_impact.
Impact EffectiveImpact(const Incident& incident);

// The component changes a post applies, given the incident's affected
// components and the post's explicit `changes`:
//  - A post that resolves an incident (or completes or cancels a
//    maintenance) sets every affected component to OPERATIONAL, except those
//    `changes` names, which get the status named.
//  - A post that moves a maintenance to IN_PROGRESS sets every affected
//    component to UNDER_MAINTENANCE, except those `changes` names.
//  - Otherwise: exactly `changes`.
// The result is ordered: affected components in incident order, then the
// others in the order given.
std::vector<ComponentChange> EffectiveComponentChanges(
    const Incident& incident, IncidentStatus before, IncidentStatus after,
    const std::vector<ComponentChange>& changes);

// For the maintenance scheduler: the status a maintenance should move to at
// `now`, or kUnspecified when none (manual_transitions, not maintenance, not
// due, or already final). SCHEDULED moves to IN_PROGRESS at the scheduled
// start, or straight to COMPLETED if the end has passed too; IN_PROGRESS and
// VERIFYING move to COMPLETED at the scheduled end.
IncidentStatus DueMaintenanceTransition(const Incident& incident,
                                        absl::Time now);

}  // namespace incidentd::domain

#endif  // INCIDENTD_SERVER_DOMAIN_INCIDENT_RULES_H_
