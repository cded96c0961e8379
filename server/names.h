// Resource names (AIP-122), formatted and parsed in one place:
//   pages/{page}
//   pages/{page}/components/{component}
//   pages/{page}/componentGroups/{group}
//   pages/{page}/incidents/{incident}
//   pages/{page}/incidents/{incident}/updates/{update}
//   pages/{page}/incidents/{incident}/postmortem
//   pages/{page}/incidents/{incident}/correctiveActions/{action}
//   pages/{page}/status
// Parsing is strict: a wrong collection, a missing or extra segment, or a bad
// id is INVALID_ARGUMENT naming the field; whether the resource exists is for
// storage to say (NOT_FOUND).
#ifndef INCIDENTD_SERVER_NAMES_H_
#define INCIDENTD_SERVER_NAMES_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace incidentd {

std::string PageName(std::string_view page_id);
std::string ComponentName(std::string_view page_id, std::string_view id);
std::string GroupName(std::string_view page_id, std::string_view id);
std::string IncidentName(std::string_view page_id, std::string_view id);
std::string UpdateName(std::string_view page_id, std::string_view incident_id,
                       std::string_view id);
std::string PostmortemName(std::string_view page_id,
                           std::string_view incident_id);
std::string CorrectiveActionName(std::string_view page_id,
                                 std::string_view incident_id,
                                 std::string_view id);
std::string PageStatusName(std::string_view page_id);

// A resource directly under a page (component, group, incident), or the
// postmortem of an incident (id is then the incident id).
struct PageChildName {
  std::string page_id;
  std::string id;
};
// A resource under an incident (update, corrective action).
struct IncidentChildName {
  std::string page_id;
  std::string incident_id;
  std::string id;
};

// `field` names the request field in error messages, e.g. "name".
absl::StatusOr<std::string> ParsePageName(std::string_view field,
                                          std::string_view name);
absl::StatusOr<PageChildName> ParseComponentName(std::string_view field,
                                                 std::string_view name);
absl::StatusOr<PageChildName> ParseGroupName(std::string_view field,
                                             std::string_view name);
absl::StatusOr<PageChildName> ParseIncidentName(std::string_view field,
                                                std::string_view name);
absl::StatusOr<IncidentChildName> ParseUpdateName(std::string_view field,
                                                  std::string_view name);
// PageChildName.id is the incident id.
absl::StatusOr<PageChildName> ParsePostmortemName(std::string_view field,
                                                  std::string_view name);
absl::StatusOr<IncidentChildName> ParseCorrectiveActionName(
    std::string_view field, std::string_view name);
// "pages/{page}/status" or "pages/{page}"; the page id.
absl::StatusOr<std::string> ParsePageStatusName(std::string_view field,
                                                std::string_view name);

// A component or group named inside a resource of page `page_id` (e.g.
// Incident.components): its id, INVALID_ARGUMENT when it names another page.
absl::StatusOr<std::string> ParseComponentNameOnPage(std::string_view field,
                                                     std::string_view name,
                                                     std::string_view page_id);
absl::StatusOr<std::string> ParseGroupNameOnPage(std::string_view field,
                                                 std::string_view name,
                                                 std::string_view page_id);

// A fresh random id for a resource created without one: 20 characters of
// [a-z0-9], so collisions are negligible and the id is a valid one.
std::string NewResourceId();

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_NAMES_H_
