// Builders for model records with every field set (so round trips check
// every column), and Dump(), which prints a record completely so that
// EXPECT_EQ(Dump(a), Dump(b)) compares all fields and shows the difference.
#ifndef INCIDENTD_TESTS_INTEGRATION_MODEL_HELPERS_H_
#define INCIDENTD_TESTS_INTEGRATION_MODEL_HELPERS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "storage/model.h"

namespace incidentd::testing {

// 2024-03-01 12:00:00.123456 UTC plus `minutes`: microsecond precision, as
// the database keeps.
absl::Time At(int minutes);

Page MakePage(const std::string& id);
ComponentGroup MakeGroup(const std::string& page_id, const std::string& id,
                         int position);
Component MakeComponent(const std::string& page_id, const std::string& id,
                        int position, const std::string& group_id = "");
// An open incident started at `start` (none: not started), created at
// At(0).
Incident MakeIncident(const std::string& page_id, const std::string& id,
                      std::optional<absl::Time> start);
// A maintenance window SCHEDULED from `from` to `to`.
Incident MakeMaintenance(const std::string& page_id, const std::string& id,
                         absl::Time from, absl::Time to);
IncidentUpdate MakeUpdate(const std::string& page_id,
                          const std::string& incident_id, const std::string& id,
                          absl::Time display_time);
Postmortem MakePostmortem(const std::string& page_id,
                          const std::string& incident_id);
CorrectiveAction MakeAction(const std::string& page_id,
                            const std::string& incident_id,
                            const std::string& id);
RequestRecord MakeRequest(const std::string& scope,
                          const std::string& request_id);
// An incident update event created at `time`, concerning two components,
// notifying, with `payload` as given (seq left 0 for storage to assign).
Event MakeEvent(const std::string& page_id, absl::Time time,
                const std::string& payload);
// An ACTIVE webhook subscriber to two components of one incident, with
// every token and secret set, a failure streak and every time.
Subscriber MakeWebhookSubscriber(const std::string& page_id,
                                 const std::string& id, const std::string& url);
// An email subscriber waiting for confirmation, to the whole page: no
// signing secret, no activation yet.
Subscriber MakeEmailSubscriber(const std::string& page_id,
                               const std::string& id, const std::string& email);
// A PENDING delivery of event `seq` to the subscriber, created at At(200),
// due at once.
Delivery MakeDelivery(const std::string& page_id,
                      const std::string& subscriber_id, int64_t seq);

std::string Dump(const Page& p);
std::string Dump(const ComponentGroup& g);
std::string Dump(const Component& c);
std::string Dump(const Incident& i);
std::string Dump(const IncidentUpdate& u);
std::string Dump(const Postmortem& p);
std::string Dump(const CorrectiveAction& a);
std::string Dump(const RequestRecord& r);
// The payload is printed as hex, so that binary payloads compare readably.
std::string Dump(const Event& e);
std::string Dump(const Subscriber& s);
std::string Dump(const Delivery& d);

// The ids of records, in order.
template <typename T>
std::vector<std::string> Ids(const std::vector<T>& records) {
  std::vector<std::string> ids;
  for (const T& r : records) ids.push_back(r.id);
  return ids;
}

}  // namespace incidentd::testing

#endif  // INCIDENTD_TESTS_INTEGRATION_MODEL_HELPERS_H_
