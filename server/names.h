// Resource names (AIP-122), formatted and parsed in one place:
//   pages/{page}
//   pages/{page}/components/{component}
//   pages/{page}/componentGroups/{group}
//   pages/{page}/incidents/{incident}
//   pages/{page}/incidents/{incident}/updates/{update}
//   pages/{page}/incidents/{incident}/postmortem
//   pages/{page}/incidents/{incident}/correctiveActions/{action}
//   pages/{page}/status
//   pages/{page}/subscribers/{subscriber}
//   pages/{page}/subscribers/{subscriber}/deliveries/{event sequence}
//   pages/{page}/events/{sequence}
// Parsing is strict: a wrong collection, a missing or extra segment, or a bad
// id is INVALID_ARGUMENT naming the field; whether the resource exists is for
// storage to say (NOT_FOUND).
#ifndef INCIDENTD_SERVER_NAMES_H_
#define INCIDENTD_SERVER_NAMES_H_

#include <cstdint>
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
std::string SubscriberName(std::string_view page_id, std::string_view id);
// `event_seq` 0 is an email subscriber's confirmation mail.
std::string DeliveryName(std::string_view page_id,
                         std::string_view subscriber_id, int64_t event_seq);
std::string EventName(std::string_view page_id, int64_t seq);

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

// A delivery: a subscriber's notification of one event.
struct DeliveryResourceName {
  std::string page_id;
  std::string subscriber_id;
  int64_t event_seq = 0;
};
// The parent of a delivery list: one subscriber, or (subscriber_id empty)
// every subscriber of the page, written pages/{page}/subscribers/-.
struct DeliveriesParent {
  std::string page_id;
  std::string subscriber_id;
};
// An event of a page's log.
struct EventResourceName {
  std::string page_id;
  int64_t seq = 0;
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
absl::StatusOr<PageChildName> ParseSubscriberName(std::string_view field,
                                                  std::string_view name);
// The sequence is a decimal int64 >= 0 without sign or leading zeros.
absl::StatusOr<DeliveryResourceName> ParseDeliveryName(std::string_view field,
                                                       std::string_view name);
// pages/{page}/subscribers/{subscriber}, or the wildcard
// pages/{page}/subscribers/-. Only lists of deliveries take the wildcard.
absl::StatusOr<DeliveriesParent> ParseDeliveriesParent(std::string_view field,
                                                       std::string_view name);
// The sequence is a decimal int64 >= 1.
absl::StatusOr<EventResourceName> ParseEventName(std::string_view field,
                                                 std::string_view name);
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
absl::StatusOr<std::string> ParseIncidentNameOnPage(std::string_view field,
                                                    std::string_view name,
                                                    std::string_view page_id);

// A fresh random id for a resource created without one: 20 characters of
// [a-z0-9], so collisions are negligible and the id is a valid one.
std::string NewResourceId();

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_NAMES_H_
