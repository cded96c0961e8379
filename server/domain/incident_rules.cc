#include "server/domain/incident_rules.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace incidentd::domain {
namespace {

bool IsFinal(IncidentStatus status) {
  return status == IncidentStatus::kResolved ||
         status == IncidentStatus::kCompleted ||
         status == IncidentStatus::kCancelled;
}

// Maintenance moves forward along this order; CANCELLED is handled apart.
int MaintenanceStep(IncidentStatus status) {
  switch (status) {
    case IncidentStatus::kScheduled:
      return 1;
    case IncidentStatus::kInProgress:
      return 2;
    case IncidentStatus::kVerifying:
      return 3;
    case IncidentStatus::kCompleted:
      return 4;
    default:
      return 0;
  }
}

std::string KindName(IncidentKind kind) {
  return kind == IncidentKind::kMaintenance ? "a maintenance" : "an incident";
}

absl::Status CheckIncidentTransition(IncidentStatus current,
                                     IncidentStatus requested, bool reopen) {
  const bool keeps = requested == IncidentStatus::kUnspecified;
  if (current != IncidentStatus::kResolved) {
    if (reopen) {
      return absl::FailedPreconditionError(
          "reopen: only a resolved incident can be reopened");
    }
    return absl::OkStatus();  // Open incidents may move to any status.
  }
  // Resolved.
  if (keeps || requested == IncidentStatus::kResolved) {
    if (reopen) {
      // Nothing to reopen into: the caller must name an open status.
      return absl::InvalidArgumentError(
          "status: reopening needs an open status (investigating, identified "
          "or monitoring)");
    }
    return absl::OkStatus();
  }
  if (!reopen) {
    return absl::FailedPreconditionError(absl::StrCat(
        "status: the incident is resolved; set reopen to move it back to ",
        StatusTitle(requested)));
  }
  return absl::OkStatus();
}

absl::Status CheckMaintenanceTransition(IncidentStatus current,
                                        IncidentStatus requested, bool reopen) {
  if (reopen) {
    return absl::FailedPreconditionError(
        "reopen: a maintenance cannot be reopened");
  }
  const bool keeps = requested == IncidentStatus::kUnspecified;
  if (keeps || current == IncidentStatus::kUnspecified) {
    return absl::OkStatus();
  }
  if (IsFinal(current)) {
    if (requested == current) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("status: the maintenance is ", StatusTitle(current),
                     " and cannot change"));
  }
  if (requested == IncidentStatus::kCancelled) return absl::OkStatus();
  if (MaintenanceStep(requested) < MaintenanceStep(current)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "status: a maintenance only moves forward; it cannot go from ",
        StatusTitle(current), " back to ", StatusTitle(requested)));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsOpen(IncidentStatus status) { return !IsFinal(status); }

bool IsStatusOfKind(IncidentKind kind, IncidentStatus status) {
  const int v = static_cast<int>(status);
  switch (kind) {
    case IncidentKind::kIncident:
      return v >= static_cast<int>(IncidentStatus::kInvestigating) &&
             v <= static_cast<int>(IncidentStatus::kResolved);
    case IncidentKind::kMaintenance:
      return v >= static_cast<int>(IncidentStatus::kScheduled) &&
             v <= static_cast<int>(IncidentStatus::kCancelled);
    default:
      return false;
  }
}

IncidentStatus DefaultFirstStatus(IncidentKind kind) {
  return kind == IncidentKind::kMaintenance ? IncidentStatus::kScheduled
                                            : IncidentStatus::kInvestigating;
}

absl::Status CheckTransition(IncidentKind kind, IncidentStatus current,
                             IncidentStatus requested, bool reopen) {
  if (kind != IncidentKind::kIncident && kind != IncidentKind::kMaintenance) {
    return absl::InvalidArgumentError("kind: must be INCIDENT or MAINTENANCE");
  }
  if (requested != IncidentStatus::kUnspecified &&
      !IsStatusOfKind(kind, requested)) {
    return absl::InvalidArgumentError(
        absl::StrCat("status: ", StatusTitle(requested), " is not a status of ",
                     KindName(kind)));
  }
  if (current != IncidentStatus::kUnspecified &&
      !IsStatusOfKind(kind, current)) {
    // Stored data that breaks the rules: not something the caller can fix.
    return absl::InternalError("the stored status does not match its kind");
  }
  if (kind == IncidentKind::kIncident) {
    return CheckIncidentTransition(current, requested, reopen);
  }
  return CheckMaintenanceTransition(current, requested, reopen);
}

IncidentStatus ResultingStatus(IncidentStatus current,
                               IncidentStatus requested) {
  return requested == IncidentStatus::kUnspecified ? current : requested;
}

std::string UpdateLabel(const IncidentUpdate& update) {
  if (update.reopen) return "Reopened";
  if (update.status == IncidentStatus::kUnspecified) return "Update";
  return StatusTitle(update.status);
}

std::string StatusTitle(IncidentStatus status) {
  switch (status) {
    case IncidentStatus::kInvestigating:
      return "Investigating";
    case IncidentStatus::kIdentified:
      return "Identified";
    case IncidentStatus::kMonitoring:
      return "Monitoring";
    case IncidentStatus::kResolved:
      return "Resolved";
    case IncidentStatus::kScheduled:
      return "Scheduled";
    case IncidentStatus::kInProgress:
      return "In progress";
    case IncidentStatus::kVerifying:
      return "Verifying";
    case IncidentStatus::kCompleted:
      return "Completed";
    case IncidentStatus::kCancelled:
      return "Cancelled";
    case IncidentStatus::kUnspecified:
      break;
  }
  return "Unspecified";
}

Impact ImpactOfComponentStatus(ComponentStatus status) {
  switch (status) {
    case ComponentStatus::kDegradedPerformance:
      return Impact::kMinor;
    case ComponentStatus::kPartialOutage:
      return Impact::kMajor;
    case ComponentStatus::kMajorOutage:
      return Impact::kCritical;
    default:
      return Impact::kNone;
  }
}

Impact WorseImpact(Impact a, Impact b) {
  // The enum values are ordered from best to worst.
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

Impact DeriveImpact(Impact current,
                    const std::vector<ComponentChange>& changes) {
  Impact impact = WorseImpact(Impact::kNone, current);
  for (const ComponentChange& change : changes) {
    impact = WorseImpact(impact, ImpactOfComponentStatus(change.status));
  }
  return impact;
}

Impact EffectiveImpact(const Incident& incident) {
  if (incident.impact_override != Impact::kUnspecified) {
    return incident.impact_override;
  }
  return WorseImpact(Impact::kNone, incident.derived_impact);
}

std::vector<ComponentChange> EffectiveComponentChanges(
    const Incident& incident, IncidentStatus before, IncidentStatus after,
    const std::vector<ComponentChange>& changes) {
  ComponentStatus implied = ComponentStatus::kUnspecified;
  if (IsOpen(before) && !IsOpen(after)) {
    implied = ComponentStatus::kOperational;
  } else if (incident.kind == IncidentKind::kMaintenance &&
             after == IncidentStatus::kInProgress &&
             before != IncidentStatus::kInProgress) {
    implied = ComponentStatus::kUnderMaintenance;
  }
  if (implied == ComponentStatus::kUnspecified) return changes;

  // The status `changes` names for a component; the last mention wins.
  auto named = [&changes](const std::string& id) -> const ComponentChange* {
    for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
      if (it->component_id == id) return &*it;
    }
    return nullptr;
  };
  auto contains = [](const std::vector<ComponentChange>& v,
                     const std::string& id) {
    return std::any_of(v.begin(), v.end(), [&id](const ComponentChange& c) {
      return c.component_id == id;
    });
  };

  std::vector<ComponentChange> result;
  for (const std::string& id : incident.component_ids) {
    if (contains(result, id)) continue;
    const ComponentChange* explicit_change = named(id);
    result.push_back(explicit_change != nullptr ? *explicit_change
                                                : ComponentChange{id, implied});
  }
  for (const ComponentChange& change : changes) {
    if (contains(result, change.component_id)) continue;
    result.push_back(*named(change.component_id));
  }
  return result;
}

IncidentStatus DueMaintenanceTransition(const Incident& incident,
                                        absl::Time now) {
  if (incident.kind != IncidentKind::kMaintenance ||
      incident.manual_transitions) {
    return IncidentStatus::kUnspecified;
  }
  const bool end_passed = incident.scheduled_end_time.has_value() &&
                          *incident.scheduled_end_time <= now;
  switch (incident.status) {
    case IncidentStatus::kScheduled:
      if (!incident.scheduled_start_time.has_value() ||
          *incident.scheduled_start_time > now) {
        return IncidentStatus::kUnspecified;
      }
      return end_passed ? IncidentStatus::kCompleted
                        : IncidentStatus::kInProgress;
    case IncidentStatus::kInProgress:
    case IncidentStatus::kVerifying:
      return end_passed ? IncidentStatus::kCompleted
                        : IncidentStatus::kUnspecified;
    default:
      return IncidentStatus::kUnspecified;
  }
}

}  // namespace incidentd::domain
