// The page status rule: one pure function from components and open
// incidents to an indicator, a sentence and its causes. The rule itself is
// written down in proto/incidentd/v1/resources.proto (message PageStatus).
#ifndef INCIDENTD_SERVER_DOMAIN_PAGE_STATUS_H_
#define INCIDENTD_SERVER_DOMAIN_PAGE_STATUS_H_

#include <string>
#include <vector>

#include "storage/model.h"

namespace incidentd::domain {

// Values match incidentd.v1.PageStatus.Indicator.
enum class Indicator : int {
  kUnspecified = 0,
  kNone = 1,
  kMinor = 2,
  kMajor = 3,
  kCritical = 4,
  kMaintenance = 5,
};

struct StatusCause {
  enum class Kind { kComponent, kIncident };
  Kind kind = Kind::kComponent;
  std::string id;  // component or incident id on the page
  Indicator indicator = Indicator::kNone;
  // E.g. "Data Processing: Partial Outage", "Issue with delta processing:
  // impact Major", "Database upgrade: maintenance In progress".
  std::string explanation;
};

struct PageStatusSummary {
  Indicator indicator = Indicator::kNone;
  std::string description;  // "All Systems Operational", ...
  // Worst first (critical, major, minor, maintenance); ties in input order,
  // components before incidents.
  std::vector<StatusCause> causes;
};

// `incidents` may hold any incidents and maintenance; closed ones are
// ignored.
PageStatusSummary ComputePageStatus(const std::vector<Component>& components,
                                    const std::vector<Incident>& incidents);

// "Operational", "Degraded Performance", "Partial Outage", "Major Outage",
// "Under Maintenance".
std::string ComponentStatusTitle(ComponentStatus status);

}  // namespace incidentd::domain

#endif  // INCIDENTD_SERVER_DOMAIN_PAGE_STATUS_H_
