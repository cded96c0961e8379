#include <string>
#include <variant>
#include <vector>

#include "client/apply.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A small file with every part of the format: a group, two components (one
// grouped), an incident that is resolved and reopened, with a postmortem,
// its publish time and two corrective actions, and a maintenance.
constexpr char kFile[] = R"json({
  "source": "test",
  "pageId": "acme",
  "page": {"displayName": "Acme", "timeZone": "Europe/Berlin"},
  "groups": [{"groupId": "cloud", "group": {"displayName": "Cloud"}}],
  "components": [
    {"componentId": "api", "component": {"displayName": "API", "group": "cloud"}},
    {"componentId": "web", "component": {"displayName": "Web", "position": 2}}
  ],
  "incidents": [
    {
      "incidentId": "outage-1",
      "incident": {"title": "API down", "components": ["api", "pages/acme/components/web"],
                   "impactStartTime": "2025-09-09T10:30:00Z",
                   "impactEndTime": "2025-09-09T13:00:00Z"},
      "updates": [
        {"status": "INVESTIGATING", "body": "Looking.",
         "displayTime": "2025-09-09T11:53:00Z", "displayTimeZone": "Europe/Berlin",
         "componentChanges": [{"component": "api", "status": "PARTIAL_OUTAGE"}]},
        {"body": "Still looking.", "displayTime": "2025-09-09T12:00:00Z"},
        {"status": "RESOLVED", "body": "Fixed.", "displayTime": "2025-09-09T13:00:00Z"},
        {"status": "MONITORING", "body": "Back again.", "displayTime": "2025-09-09T14:00:00Z"},
        {"status": "RESOLVED", "body": "Fixed for good.", "displayTime": "2025-09-09T16:30:00Z"}
      ],
      "postmortem": {"author": "Ops", "sections": [
        {"heading": "", "body": "Intro."}, {"heading": "Root cause", "body": "A bug."}]},
      "postmortemPublishTime": "2025-09-12T09:00:00Z",
      "correctiveActions": [
        {"correctiveActionId": "alerts", "correctiveAction": {"description": "Add alerts", "state": "DONE"}},
        {"correctiveAction": {"description": "Fix the bug"}}
      ]
    },
    {
      "incidentId": "upgrade",
      "incident": {"title": "DB upgrade", "kind": "MAINTENANCE",
                   "scheduledStartTime": "2025-10-01T20:00:00Z",
                   "scheduledEndTime": "2025-10-01T22:00:00Z"},
      "updates": [{"body": "Planned."}, {"status": "COMPLETED", "body": "Done."}]
    }
  ]
})json";

apply_v1::ApplyFile TestFile() {
  absl::StatusOr<apply_v1::ApplyFile> file = ParseApplyFile(kFile);
  EXPECT_OK(file);
  return file.value_or(apply_v1::ApplyFile());
}

std::vector<ApplyStep> Plan(const apply_v1::ApplyFile& file) {
  absl::StatusOr<std::vector<ApplyStep>> plan = PlanApply(file);
  EXPECT_OK(plan);
  return plan.value_or(std::vector<ApplyStep>());
}

template <typename T>
const T& As(const ApplyStep& step) {
  return std::get<T>(step.request);
}

std::vector<std::string> Whats(const std::vector<ApplyStep>& steps) {
  std::vector<std::string> out;
  for (const ApplyStep& step : steps) out.push_back(step.what);
  return out;
}

TEST(ParseApplyFile, ValidJson_ParsesEveryPart) {
  apply_v1::ApplyFile file = TestFile();
  EXPECT_EQ(file.page_id(), "acme");
  EXPECT_EQ(file.page().time_zone(), "Europe/Berlin");
  ASSERT_EQ(file.incidents_size(), 2);
  EXPECT_EQ(file.incidents(0).updates_size(), 5);
  EXPECT_EQ(file.incidents(0).postmortem().sections(1).heading(), "Root cause");
  EXPECT_EQ(file.incidents(1).incident().kind(), v1::Incident::MAINTENANCE);
}

TEST(ParseApplyFile, UnknownField_IsInvalidArgument) {
  // A misspelt field must not be dropped silently.
  EXPECT_CODE(ParseApplyFile(R"({"pageId": "a", "pagee": {}})"),
              absl::StatusCode::kInvalidArgument);
}

TEST(ParseApplyFile, UnknownEnumValue_IsInvalidArgument) {
  EXPECT_CODE(ParseApplyFile(R"({"pageId": "a", "incidents": [{"incidentId": "i",
                 "updates": [{"status": "SOLVED", "body": "x"}]}]})"),
              absl::StatusCode::kInvalidArgument);
}

TEST(ParseApplyFile, NotJson_IsInvalidArgument) {
  EXPECT_CODE(ParseApplyFile("pageId: a"), absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseApplyFile(""), absl::StatusCode::kInvalidArgument);
}

TEST(ReadApplyFile, MissingFile_IsNotFound) {
  EXPECT_CODE(ReadApplyFile("/nonexistent/dir/file.json"),
              absl::StatusCode::kNotFound);
}

TEST(PlanApply, Steps_ComeInDependencyOrder) {
  EXPECT_THAT(
      Whats(Plan(TestFile())),
      ElementsAre("page acme", "group cloud", "component api", "component web",
                  "incident outage-1", "incident outage-1 update 1",
                  "incident outage-1 update 2", "incident outage-1 update 3",
                  "incident outage-1 update 4", "incident outage-1 postmortem",
                  "incident outage-1 postmortem publish",
                  "incident outage-1 corrective action 0",
                  "incident outage-1 corrective action 1", "incident upgrade",
                  "incident upgrade update 1"));
}

TEST(PlanApply, EveryCreate_CarriesADeterministicRequestId) {
  std::vector<ApplyStep> steps = Plan(TestFile());
  ASSERT_EQ(steps.size(), 15u);
  EXPECT_EQ(As<v1::CreatePageRequest>(steps[0]).request_id(), "apply/acme");
  EXPECT_EQ(As<v1::CreateComponentGroupRequest>(steps[1]).request_id(),
            "apply/acme/group/cloud");
  EXPECT_EQ(As<v1::CreateComponentRequest>(steps[2]).request_id(),
            "apply/acme/component/api");
  EXPECT_EQ(As<v1::CreateIncidentRequest>(steps[4]).request_id(),
            "apply/acme/incident/outage-1");
  EXPECT_EQ(As<v1::PostIncidentUpdateRequest>(steps[5]).request_id(),
            "apply/acme/incident/outage-1/update/1");
  EXPECT_EQ(As<v1::PostIncidentUpdateRequest>(steps[8]).request_id(),
            "apply/acme/incident/outage-1/update/4");
  EXPECT_EQ(As<v1::CreateCorrectiveActionRequest>(steps[11]).request_id(),
            "apply/acme/incident/outage-1/action/0");
  EXPECT_EQ(As<v1::CreateCorrectiveActionRequest>(steps[12]).request_id(),
            "apply/acme/incident/outage-1/action/1");
  EXPECT_EQ(As<v1::PostIncidentUpdateRequest>(steps[14]).request_id(),
            "apply/acme/incident/upgrade/update/1");
}

TEST(PlanApply, PlanningTwice_GivesIdenticalRequests) {
  std::vector<ApplyStep> a = Plan(TestFile());
  std::vector<ApplyStep> b = Plan(TestFile());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].request.index(), b[i].request.index());
    std::visit(
        [&](const auto& request) {
          using T = std::decay_t<decltype(request)>;
          EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
              request, std::get<T>(b[i].request)))
              << a[i].what;
        },
        a[i].request);
  }
}

TEST(PlanApply, Page_IsCreatedWithItsIdAndContent) {
  std::vector<ApplyStep> steps = Plan(TestFile());
  const auto& page = As<v1::CreatePageRequest>(steps[0]);
  EXPECT_EQ(page.page_id(), "acme");
  EXPECT_EQ(page.page().display_name(), "Acme");
  EXPECT_EQ(page.page().time_zone(), "Europe/Berlin");
}

TEST(PlanApply, BareIds_AreExpandedToResourceNames) {
  std::vector<ApplyStep> steps = Plan(TestFile());
  const auto& group = As<v1::CreateComponentGroupRequest>(steps[1]);
  EXPECT_EQ(group.parent(), "pages/acme");
  EXPECT_EQ(group.group_id(), "cloud");

  const auto& api = As<v1::CreateComponentRequest>(steps[2]);
  EXPECT_EQ(api.parent(), "pages/acme");
  EXPECT_EQ(api.component_id(), "api");
  EXPECT_EQ(api.component().group(), "pages/acme/componentGroups/cloud");
  EXPECT_EQ(As<v1::CreateComponentRequest>(steps[3]).component().group(), "");

  const auto& create = As<v1::CreateIncidentRequest>(steps[4]);
  EXPECT_EQ(create.parent(), "pages/acme");
  EXPECT_EQ(create.incident_id(), "outage-1");
  EXPECT_THAT(create.incident().components(),
              ElementsAre("pages/acme/components/api",
                          "pages/acme/components/web"));
  ASSERT_EQ(create.first_update().component_changes_size(), 1);
  EXPECT_EQ(create.first_update().component_changes(0).component(),
            "pages/acme/components/api");
}

TEST(PlanApply, FirstUpdate_OpensTheIncidentAndLaterOnesArePostedInOrder) {
  std::vector<ApplyStep> steps = Plan(TestFile());
  const auto& create = As<v1::CreateIncidentRequest>(steps[4]);
  EXPECT_EQ(create.incident().title(), "API down");
  EXPECT_EQ(create.incident().impact_start_time().seconds(),
            TestFile().incidents(0).incident().impact_start_time().seconds());
  EXPECT_EQ(create.first_update().body(), "Looking.");
  EXPECT_EQ(create.first_update().display_time_zone(), "Europe/Berlin");
  std::vector<std::string> bodies;
  for (int i = 5; i <= 8; ++i) {
    const auto& post = As<v1::PostIncidentUpdateRequest>(steps[i]);
    EXPECT_EQ(post.parent(), "pages/acme/incidents/outage-1");
    bodies.push_back(post.update().body());
  }
  EXPECT_THAT(bodies, ElementsAre("Still looking.", "Fixed.", "Back again.",
                                  "Fixed for good."));
  // "Update" posts keep the status: sent as unspecified.
  EXPECT_EQ(As<v1::PostIncidentUpdateRequest>(steps[5]).update().status(),
            v1::IncidentStatus::VALUE_UNSPECIFIED);
}

TEST(PlanApply, UpdateThatLeavesResolved_IsSentWithReopen) {
  std::vector<ApplyStep> steps = Plan(TestFile());
  EXPECT_FALSE(As<v1::PostIncidentUpdateRequest>(steps[5]).reopen());
  EXPECT_FALSE(As<v1::PostIncidentUpdateRequest>(steps[6]).reopen());
  EXPECT_TRUE(As<v1::PostIncidentUpdateRequest>(steps[7]).reopen());
  EXPECT_FALSE(As<v1::PostIncidentUpdateRequest>(steps[8]).reopen());
}

TEST(PlanApply, Maintenance_NeverReopens) {
  std::vector<ApplyStep> steps = Plan(TestFile());
  const auto& create = As<v1::CreateIncidentRequest>(steps[13]);
  EXPECT_EQ(create.incident().kind(), v1::Incident::MAINTENANCE);
  EXPECT_FALSE(As<v1::PostIncidentUpdateRequest>(steps[14]).reopen());
}

TEST(PlanApply, Postmortem_IsWrittenThenPublishedAtTheFilesTime) {
  std::vector<ApplyStep> steps = Plan(TestFile());
  const auto& update = As<v1::UpdatePostmortemRequest>(steps[9]);
  EXPECT_EQ(update.postmortem().name(),
            "pages/acme/incidents/outage-1/postmortem");
  EXPECT_EQ(update.postmortem().author(), "Ops");
  ASSERT_EQ(update.postmortem().sections_size(), 2);
  EXPECT_EQ(update.postmortem().sections(1).body(), "A bug.");
  const auto& publish = As<v1::PublishPostmortemRequest>(steps[10]);
  EXPECT_EQ(publish.name(), "pages/acme/incidents/outage-1/postmortem");
  EXPECT_EQ(publish.publish_time().seconds(),
            TestFile().incidents(0).postmortem_publish_time().seconds());
  EXPECT_EQ(publish.etag(), "");
}

TEST(PlanApply, CorrectiveActions_KeepTheirIdsAndContent) {
  std::vector<ApplyStep> steps = Plan(TestFile());
  const auto& first = As<v1::CreateCorrectiveActionRequest>(steps[11]);
  EXPECT_EQ(first.parent(), "pages/acme/incidents/outage-1");
  EXPECT_EQ(first.corrective_action_id(), "alerts");
  EXPECT_EQ(first.corrective_action().description(), "Add alerts");
  EXPECT_EQ(first.corrective_action().state(), v1::CorrectiveAction::DONE);
  const auto& second = As<v1::CreateCorrectiveActionRequest>(steps[12]);
  EXPECT_EQ(second.corrective_action_id(), "");
  EXPECT_EQ(second.corrective_action().description(), "Fix the bug");
}

TEST(PlanApply, PostmortemWithoutPublishTime_IsLeftADraft) {
  apply_v1::ApplyFile file = TestFile();
  file.mutable_incidents(0)->clear_postmortem_publish_time();
  for (const ApplyStep& step : Plan(file)) {
    EXPECT_FALSE(std::holds_alternative<v1::PublishPostmortemRequest>(
        step.request));
  }
}

TEST(PlanApply, MissingIds_AreInvalidArgument) {
  {
    apply_v1::ApplyFile file = TestFile();
    file.clear_page_id();
    EXPECT_CODE(PlanApply(file), absl::StatusCode::kInvalidArgument);
  }
  {
    apply_v1::ApplyFile file = TestFile();
    file.mutable_groups(0)->clear_group_id();
    EXPECT_CODE(PlanApply(file), absl::StatusCode::kInvalidArgument);
  }
  {
    apply_v1::ApplyFile file = TestFile();
    file.mutable_components(1)->clear_component_id();
    EXPECT_CODE(PlanApply(file), absl::StatusCode::kInvalidArgument);
  }
  {
    apply_v1::ApplyFile file = TestFile();
    file.mutable_incidents(1)->clear_incident_id();
    EXPECT_CODE(PlanApply(file), absl::StatusCode::kInvalidArgument);
  }
}

TEST(PlanApply, IncidentWithoutUpdates_IsInvalidArgument) {
  apply_v1::ApplyFile file = TestFile();
  file.mutable_incidents(1)->clear_updates();
  absl::StatusOr<std::vector<ApplyStep>> plan = PlanApply(file);
  EXPECT_CODE(plan, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(plan.status().message()), HasSubstr("upgrade"));
}

TEST(PlanApply, PublishTimeWithoutPostmortem_IsInvalidArgument) {
  apply_v1::ApplyFile file = TestFile();
  file.mutable_incidents(0)->clear_postmortem();
  EXPECT_CODE(PlanApply(file), absl::StatusCode::kInvalidArgument);
}

TEST(ApplyRequestId, JoinsPageAndPath) {
  EXPECT_EQ(ApplyRequestId("p", {}), "apply/p");
  EXPECT_EQ(ApplyRequestId("p", {"incident", "i", "update", "3"}),
            "apply/p/incident/i/update/3");
}

TEST(ApplyRequestId, TooLongForTheApi_IsHashedDeterministically) {
  const std::string page(63, 'p');
  const std::string incident(63, 'i');
  std::string id = ApplyRequestId(page, {"incident", incident, "update", "1"});
  EXPECT_LE(id.size(), 128u);
  EXPECT_EQ(id.rfind("apply/sha256/", 0), 0u) << id;
  EXPECT_EQ(id, ApplyRequestId(page, {"incident", incident, "update", "1"}));
  EXPECT_NE(id, ApplyRequestId(page, {"incident", incident, "update", "2"}));
}

}  // namespace
}  // namespace incidentd::client
