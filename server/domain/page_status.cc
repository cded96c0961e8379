#include "server/domain/page_status.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/domain/incident_rules.h"

namespace incidentd::domain {
namespace {

Indicator IndicatorOfImpact(Impact impact) {
  switch (impact) {
    case Impact::kMinor:
      return Indicator::kMinor;
    case Impact::kMajor:
      return Indicator::kMajor;
    case Impact::kCritical:
      return Indicator::kCritical;
    default:
      return Indicator::kNone;
  }
}

std::string ImpactTitle(Impact impact) {
  switch (impact) {
    case Impact::kMinor:
      return "Minor";
    case Impact::kMajor:
      return "Major";
    case Impact::kCritical:
      return "Critical";
    default:
      return "None";
  }
}

// Sort key for causes: worst first, maintenance after every outage.
int Rank(Indicator indicator) {
  switch (indicator) {
    case Indicator::kCritical:
      return 0;
    case Indicator::kMajor:
      return 1;
    case Indicator::kMinor:
      return 2;
    case Indicator::kMaintenance:
      return 3;
    default:
      return 4;
  }
}

std::string Sentence(Indicator indicator) {
  switch (indicator) {
    case Indicator::kMinor:
      return "Minor Service Outage";
    case Indicator::kMajor:
      return "Partial System Outage";
    case Indicator::kCritical:
      return "Major System Outage";
    case Indicator::kMaintenance:
      return "Service Under Maintenance";
    default:
      return "All Systems Operational";
  }
}

bool IsRunningMaintenance(const Incident& incident) {
  return incident.kind == IncidentKind::kMaintenance &&
         (incident.status == IncidentStatus::kInProgress ||
          incident.status == IncidentStatus::kVerifying);
}

}  // namespace

std::string ComponentStatusTitle(ComponentStatus status) {
  switch (status) {
    case ComponentStatus::kOperational:
      return "Operational";
    case ComponentStatus::kDegradedPerformance:
      return "Degraded Performance";
    case ComponentStatus::kPartialOutage:
      return "Partial Outage";
    case ComponentStatus::kMajorOutage:
      return "Major Outage";
    case ComponentStatus::kUnderMaintenance:
      return "Under Maintenance";
    case ComponentStatus::kUnspecified:
      break;
  }
  return "Unspecified";
}

PageStatusSummary ComputePageStatus(const std::vector<Component>& components,
                                    const std::vector<Incident>& incidents) {
  // Components first, then incidents, each in input order; the stable sort
  // below keeps that order among equals.
  std::vector<StatusCause> causes;
  for (const Component& component : components) {
    Indicator indicator =
        component.status == ComponentStatus::kUnderMaintenance
            ? Indicator::kMaintenance
            : IndicatorOfImpact(ImpactOfComponentStatus(component.status));
    if (indicator == Indicator::kNone) continue;
    causes.push_back({StatusCause::Kind::kComponent, component.id, indicator,
                      absl::StrCat(component.display_name, ": ",
                                   ComponentStatusTitle(component.status))});
  }
  for (const Incident& incident : incidents) {
    if (incident.kind == IncidentKind::kIncident && IsOpen(incident.status)) {
      const Impact impact = EffectiveImpact(incident);
      const Indicator indicator = IndicatorOfImpact(impact);
      if (indicator == Indicator::kNone) continue;
      causes.push_back(
          {StatusCause::Kind::kIncident, incident.id, indicator,
           absl::StrCat(incident.title, ": impact ", ImpactTitle(impact))});
    } else if (IsRunningMaintenance(incident)) {
      causes.push_back({StatusCause::Kind::kIncident, incident.id,
                        Indicator::kMaintenance,
                        absl::StrCat(incident.title, ": maintenance ",
                                     StatusTitle(incident.status))});
    }
  }
  std::stable_sort(causes.begin(), causes.end(),
                   [](const StatusCause& a, const StatusCause& b) {
                     return Rank(a.indicator) < Rank(b.indicator);
                   });

  PageStatusSummary summary;
  // Causes are sorted worst first, so the first one decides; maintenance
  // shows only when nothing is broken, which the ranking already gives.
  summary.indicator = causes.empty() ? Indicator::kNone : causes[0].indicator;
  summary.description = Sentence(summary.indicator);
  summary.causes = std::move(causes);
  return summary;
}

}  // namespace incidentd::domain
