#include "tests/e2e/api_helpers.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"

namespace incidentd::e2e {

using google::protobuf::util::TimeUtil;

std::string PageName(const std::string& page) {
  return absl::StrCat("pages/", page);
}
std::string ComponentName(const std::string& page, const std::string& id) {
  return absl::StrCat("pages/", page, "/components/", id);
}
std::string GroupName(const std::string& page, const std::string& id) {
  return absl::StrCat("pages/", page, "/componentGroups/", id);
}
std::string IncidentName(const std::string& page, const std::string& id) {
  return absl::StrCat("pages/", page, "/incidents/", id);
}

google::protobuf::Timestamp ToProto(absl::Time time) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}
absl::Time FromProto(const google::protobuf::Timestamp& time) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(time));
}

v1::ComponentChange Change(const std::string& component,
                           v1::ComponentStatus::Value status) {
  v1::ComponentChange change;
  change.set_component(component);
  change.set_status(status);
  return change;
}

absl::StatusOr<v1::Page> CreatePage(client::Client& client,
                                    const std::string& id,
                                    const std::string& time_zone) {
  v1::CreatePageRequest request;
  request.set_page_id(id);
  request.mutable_page()->set_display_name(absl::StrCat("Page ", id));
  request.mutable_page()->set_time_zone(time_zone);
  return client.CreatePage(request);
}

absl::StatusOr<v1::ComponentGroup> CreateGroup(client::Client& client,
                                               const std::string& page,
                                               const std::string& id) {
  v1::CreateComponentGroupRequest request;
  request.set_parent(PageName(page));
  request.set_group_id(id);
  request.mutable_group()->set_display_name(absl::StrCat("Group ", id));
  return client.CreateComponentGroup(request);
}

absl::StatusOr<v1::Component> CreateComponent(client::Client& client,
                                              const std::string& page,
                                              const std::string& id,
                                              const std::string& group) {
  v1::CreateComponentRequest request;
  request.set_parent(PageName(page));
  request.set_component_id(id);
  request.mutable_component()->set_display_name(absl::StrCat("Component ", id));
  request.mutable_component()->set_group(group);
  return client.CreateComponent(request);
}

absl::StatusOr<v1::Incident> CreateIncident(
    client::Client& client, const std::string& page, const std::string& id,
    const std::vector<std::string>& components,
    v1::IncidentStatus::Value status,
    const std::vector<v1::ComponentChange>& changes) {
  v1::CreateIncidentRequest request;
  request.set_parent(PageName(page));
  request.set_incident_id(id);
  request.mutable_incident()->set_title(absl::StrCat("Incident ", id));
  for (const std::string& c : components) {
    request.mutable_incident()->add_components(c);
  }
  request.mutable_first_update()->set_status(status);
  request.mutable_first_update()->set_body(absl::StrCat("Opened ", id));
  for (const v1::ComponentChange& change : changes) {
    *request.mutable_first_update()->add_component_changes() = change;
  }
  return client.CreateIncident(request);
}

absl::StatusOr<v1::IncidentUpdate> PostUpdate(client::Client& client,
                                              const std::string& incident,
                                              v1::IncidentStatus::Value status,
                                              const std::string& body,
                                              bool reopen) {
  v1::PostIncidentUpdateRequest request;
  request.set_parent(incident);
  request.mutable_update()->set_status(status);
  request.mutable_update()->set_body(body);
  request.set_reopen(reopen);
  return client.PostIncidentUpdate(request);
}

absl::StatusOr<v1::Incident> GetIncident(client::Client& client,
                                         const std::string& name) {
  v1::GetIncidentRequest request;
  request.set_name(name);
  return client.GetIncident(request);
}

absl::StatusOr<v1::Component> GetComponent(client::Client& client,
                                           const std::string& name) {
  v1::GetComponentRequest request;
  request.set_name(name);
  return client.GetComponent(request);
}

absl::StatusOr<v1::PageStatus> GetPageStatus(client::Client& client,
                                             const std::string& page) {
  v1::GetPageStatusRequest request;
  request.set_name(PageName(page));
  return client.GetPageStatus(request);
}

::testing::AssertionResult ProtoEquals(const google::protobuf::Message& a,
                                       const google::protobuf::Message& b) {
  google::protobuf::util::MessageDifferencer differencer;
  std::string report;
  differencer.ReportDifferencesToString(&report);
  if (differencer.Compare(a, b)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << report;
}

}  // namespace incidentd::e2e
