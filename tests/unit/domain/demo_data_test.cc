// The demo data (demo/*.json): each file parses strictly as an apply file,
// and its content follows the domain rules the service will apply to it.
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/apply.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "server/domain/durations.h"
#include "server/domain/incident_rules.h"
#include "server/domain/validation.h"
#include "storage/model.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::domain {
namespace {

using ::incidentd::apply::v1::ApplyFile;
using ::testing::UnorderedElementsAre;

const char kDemoDir[] = INCIDENTD_DEMO_DIR;

std::vector<std::string> DemoFiles() {
  std::vector<std::string> files;
  std::error_code
      ec;  // a missing folder gives no files: OnePagePerCompany fails
  for (const auto& entry : std::filesystem::directory_iterator(kDemoDir, ec)) {
    if (entry.path().extension() == ".json") {
      files.push_back(entry.path().string());
    }
  }
  return files;
}

std::string Stem(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

// Parses strictly: an unknown or misspelt field fails.
::testing::AssertionResult Parse(const std::string& path, ApplyFile* file) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ::testing::AssertionFailure() << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status =
      google::protobuf::util::JsonStringToMessage(text.str(), file, options);
  if (!status.ok()) {
    return ::testing::AssertionFailure() << path << ": " << status.ToString();
  }
  return ::testing::AssertionSuccess();
}

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

class DemoDataTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_TRUE(Parse(GetParam(), &file_)); }
  ApplyFile file_;
};

TEST(DemoFilesTest, OnePagePerCompany) {
  std::vector<std::string> stems;
  for (const std::string& path : DemoFiles()) stems.push_back(Stem(path));
  EXPECT_THAT(stems, UnorderedElementsAre("productsup", "exalate", "xplenty",
                                          "posthog"));
}

TEST_P(DemoDataTest, PageIsNamedAfterTheFileAndSaysWhereItCameFrom) {
  EXPECT_EQ(file_.page_id(), Stem(GetParam()));
  EXPECT_OK(ValidateId("page_id", file_.page_id()));
  EXPECT_OK(ValidateLine("page.display_name", file_.page().display_name(), 1,
                         kMaxDisplayNameLength));
  EXPECT_FALSE(file_.page().time_zone().empty());
  EXPECT_OK(ValidateTimeZone("page.time_zone", file_.page().time_zone()));
  EXPECT_OK(ValidateUrl("page.url", file_.page().url()));
  EXPECT_THAT(file_.source(), ::testing::HasSubstr(".txt"));
}

TEST_P(DemoDataTest, GroupsAndComponentsAreValidAndReferToEachOther) {
  std::set<std::string> groups;
  for (const auto& g : file_.groups()) {
    EXPECT_OK(ValidateId("group_id", g.group_id()));
    EXPECT_TRUE(groups.insert(g.group_id()).second) << g.group_id();
    EXPECT_OK(ValidateLine("group.display_name", g.group().display_name(), 1,
                           kMaxDisplayNameLength));
  }
  std::set<std::string> components;
  for (const auto& c : file_.components()) {
    EXPECT_OK(ValidateId("component_id", c.component_id()));
    EXPECT_TRUE(components.insert(c.component_id()).second) << c.component_id();
    EXPECT_OK(ValidateLine("component.display_name",
                           c.component().display_name(), 1,
                           kMaxDisplayNameLength));
    if (!c.component().group().empty()) {
      EXPECT_TRUE(groups.count(c.component().group()))
          << c.component_id() << " names unknown group "
          << c.component().group();
    }
  }
  for (const auto& spec : file_.incidents()) {
    EXPECT_LE(spec.incident().components_size(),
              static_cast<int>(kMaxComponentsPerIncident));
    for (const std::string& id : spec.incident().components()) {
      EXPECT_TRUE(components.count(id))
          << spec.incident_id() << " names unknown component " << id;
    }
  }
}

TEST_P(DemoDataTest, IncidentsAreValid) {
  std::set<std::string> ids;
  for (const auto& spec : file_.incidents()) {
    const auto& incident = spec.incident();
    EXPECT_OK(ValidateId("incident_id", spec.incident_id()));
    EXPECT_TRUE(ids.insert(spec.incident_id()).second) << spec.incident_id();
    EXPECT_OK(ValidateLine("incident.title", incident.title(), 1,
                           kMaxDisplayNameLength));
    EXPECT_EQ(incident.kind(), incidentd::v1::Incident::INCIDENT);
    if (incident.has_impact_start_time() || incident.has_impact_end_time()) {
      ASSERT_TRUE(incident.has_impact_start_time() &&
                  incident.has_impact_end_time())
          << spec.incident_id();
      EXPECT_LE(ToTime(incident.impact_start_time()),
                ToTime(incident.impact_end_time()));
    }
  }
}

TEST_P(DemoDataTest, UpdatesAreOldestFirstAndValid) {
  for (const auto& spec : file_.incidents()) {
    ASSERT_GT(spec.updates_size(), 0) << spec.incident_id();
    std::optional<absl::Time> previous;
    for (const auto& u : spec.updates()) {
      EXPECT_OK(ValidateText("update.body", u.body(), 1, kMaxBodyBytes));
      EXPECT_OK(
          ValidateTimeZone("update.display_time_zone", u.display_time_zone()));
      if (!u.has_display_time()) continue;
      const absl::Time t = ToTime(u.display_time());
      if (previous.has_value()) {
        EXPECT_LE(*previous, t) << spec.incident_id() << ": " << u.body();
      }
      previous = t;
    }
  }
}

TEST_P(DemoDataTest, TimelinesFollowTheTransitionRulesAndEndResolved) {
  for (const auto& spec : file_.incidents()) {
    const IncidentKind kind =
        spec.incident().kind() == incidentd::v1::Incident::KIND_UNSPECIFIED
            ? IncidentKind::kIncident
            : static_cast<IncidentKind>(spec.incident().kind());
    IncidentStatus current = IncidentStatus::kUnspecified;
    for (const auto& u : spec.updates()) {
      const auto requested = static_cast<IncidentStatus>(u.status());
      ASSERT_OK(CheckTransition(kind, current, requested, u.reopen()))
          << spec.incident_id() << ": " << u.body();
      current = ResultingStatus(current, requested);
    }
    // Every report in the seeds is of an incident that was resolved.
    EXPECT_EQ(current, IncidentStatus::kResolved) << spec.incident_id();
  }
}

TEST_P(DemoDataTest, PostmortemsAndActionsAreValid) {
  for (const auto& spec : file_.incidents()) {
    const auto& sections = spec.postmortem().sections();
    EXPECT_LE(sections.size(), static_cast<int>(kMaxSections));
    EXPECT_EQ(sections.empty(), !spec.has_postmortem_publish_time())
        << spec.incident_id();
    for (const auto& s : sections) {
      EXPECT_OK(ValidateLine("section.heading", s.heading(), 0,
                             kMaxDisplayNameLength));
      EXPECT_OK(ValidateText("section.body", s.body(), 1, kMaxBodyBytes));
    }
    std::set<std::string> ids;
    for (const auto& a : spec.corrective_actions()) {
      EXPECT_OK(ValidateId("corrective_action_id", a.corrective_action_id()));
      EXPECT_TRUE(ids.insert(a.corrective_action_id()).second);
      EXPECT_OK(ValidateLine("corrective_action.description",
                             a.corrective_action().description(), 1,
                             kMaxDescriptionLength));
      EXPECT_OK(ValidateLine("corrective_action.owner",
                             a.corrective_action().owner(), 0,
                             kMaxAuthorLength));
      EXPECT_NE(a.corrective_action().state(),
                incidentd::v1::CorrectiveAction::STATE_UNSPECIFIED);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Demo, DemoDataTest, ::testing::ValuesIn(DemoFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return Stem(info.param);
                         });

// The figures the reports themselves state, as the data yields them.
TEST(DemoFiguresTest, ProductsupCeph_ImpactIs2h30m_WhileTimelineRuns4h37m) {
  ApplyFile file;
  ASSERT_TRUE(Parse(std::string(kDemoDir) + "/productsup.json", &file));
  const auto& spec = file.incidents(0);
  ASSERT_EQ(spec.incident_id(), "ceph-2025-009");
  Incident incident;
  incident.impact_start_time = ToTime(spec.incident().impact_start_time());
  incident.impact_end_time = ToTime(spec.incident().impact_end_time());
  std::vector<IncidentUpdate> updates;
  for (const auto& u : spec.updates()) {
    IncidentUpdate update;
    update.status = static_cast<IncidentStatus>(u.status());
    update.display_time = ToTime(u.display_time());
    update.seq = static_cast<int64_t>(updates.size()) + 1;
    updates.push_back(update);
  }
  IncidentDurations d = ComputeDurations(incident, updates, absl::Now());
  EXPECT_EQ(d.impact_duration, absl::Hours(2) + absl::Minutes(30));
  EXPECT_EQ(d.time_to_resolve, absl::Hours(4) + absl::Minutes(37));
  // 13:53 CEST is 11:53 UTC.
  EXPECT_EQ(absl::FormatTime("%H:%M", ToTime(spec.updates(0).display_time()),
                             absl::UTCTimeZone()),
            "11:53");
}

TEST(DemoFiguresTest, Xplenty_ImpactIs12h14m) {
  ApplyFile file;
  ASSERT_TRUE(Parse(std::string(kDemoDir) + "/xplenty.json", &file));
  const auto& incident = file.incidents(0).incident();
  EXPECT_EQ(
      ToTime(incident.impact_end_time()) - ToTime(incident.impact_start_time()),
      absl::Hours(12) + absl::Minutes(14));
}

TEST(DemoParseTest, UnknownField_IsRejected) {
  // Guards the strictness the checks above rely on.
  ApplyFile file;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  EXPECT_FALSE(google::protobuf::util::JsonStringToMessage(
                   R"({"pageId": "p", "incidents": [{"incidentID": "x"}]})",
                   &file, options)
                   .ok());
}

}  // namespace
}  // namespace incidentd::domain
