// Short ways to name, build and create API resources in end-to-end tests,
// so that each test shows only what it is about.
#ifndef INCIDENTD_TESTS_E2E_API_HELPERS_H_
#define INCIDENTD_TESTS_E2E_API_HELPERS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"

namespace incidentd::e2e {

namespace v1 = ::incidentd::v1;

std::string PageName(const std::string& page);
std::string ComponentName(const std::string& page, const std::string& id);
std::string GroupName(const std::string& page, const std::string& id);
std::string IncidentName(const std::string& page, const std::string& id);

google::protobuf::Timestamp ToProto(absl::Time time);
absl::Time FromProto(const google::protobuf::Timestamp& time);

v1::ComponentChange Change(const std::string& component,
                           v1::ComponentStatus::Value status);

absl::StatusOr<v1::Page> CreatePage(client::Client& client,
                                    const std::string& id,
                                    const std::string& time_zone = "UTC");
absl::StatusOr<v1::ComponentGroup> CreateGroup(client::Client& client,
                                               const std::string& page,
                                               const std::string& id);
absl::StatusOr<v1::Component> CreateComponent(client::Client& client,
                                              const std::string& page,
                                              const std::string& id,
                                              const std::string& group = "");
// An incident (kind INCIDENT) opened with `status` and `changes`, affecting
// `components` (full names).
absl::StatusOr<v1::Incident> CreateIncident(
    client::Client& client, const std::string& page, const std::string& id,
    const std::vector<std::string>& components,
    v1::IncidentStatus::Value status,
    const std::vector<v1::ComponentChange>& changes = {});
absl::StatusOr<v1::IncidentUpdate> PostUpdate(
    client::Client& client, const std::string& incident,
    v1::IncidentStatus::Value status, const std::string& body,
    bool reopen = false);

absl::StatusOr<v1::Incident> GetIncident(client::Client& client,
                                         const std::string& name);
absl::StatusOr<v1::Component> GetComponent(client::Client& client,
                                           const std::string& name);
absl::StatusOr<v1::PageStatus> GetPageStatus(client::Client& client,
                                             const std::string& page);

// Field-by-field equality, with a readable difference when they differ.
::testing::AssertionResult ProtoEquals(const google::protobuf::Message& a,
                                       const google::protobuf::Message& b);

}  // namespace incidentd::e2e

#endif  // INCIDENTD_TESTS_E2E_API_HELPERS_H_
