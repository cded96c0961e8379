// The reference data: every demo/*.json applied with incidentctl, then read
// back through the API, must equal its file; applying again changes nothing.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/apply.h"
#include "client/names.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/e2e/api_helpers.h"
#include "tests/e2e/server_harness.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::ElementsAreArray;
namespace apply_v1 = ::incidentd::apply::v1;

struct DemoFile {
  std::string path;
  apply_v1::ApplyFile file;
};

std::vector<DemoFile> LoadDemoFiles() {
  std::vector<DemoFile> files;
  for (const auto& entry : std::filesystem::directory_iterator(DemoDir())) {
    if (entry.path().extension() != ".json") continue;
    absl::StatusOr<apply_v1::ApplyFile> file =
        client::ReadApplyFile(entry.path().string());
    EXPECT_OK(file);
    if (file.ok()) files.push_back({entry.path().string(), *file});
  }
  std::sort(files.begin(), files.end(),
            [](const DemoFile& a, const DemoFile& b) { return a.path < b.path; });
  return files;
}

class SeedsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    demo_ = LoadDemoFiles();
    ASSERT_FALSE(demo_.empty()) << "no demo/*.json in " << DemoDir();
  }

  // `incidentctl apply -f` every demo file, as `make run` does.
  void ApplyWithIncidentctl() {
    std::vector<std::string> argv = {IncidentctlBinary(), "--server",
                                     server_->address(), "apply"};
    for (const DemoFile& demo : demo_) {
      argv.push_back("-f");
      argv.push_back(demo.path);
    }
    ASSERT_OK_AND_ASSIGN(CommandResult result,
                         RunCommand(argv, absl::Minutes(2)));
    ASSERT_EQ(result.exit_code, 0) << result.err << "\nserver log:\n"
                                   << server_->Log();
  }

  // Everything the API shows of the demo data, in one list, for equality.
  std::vector<std::unique_ptr<google::protobuf::Message>> Snapshot() {
    std::vector<std::unique_ptr<google::protobuf::Message>> out;
    auto add = [&](auto result) {
      EXPECT_OK(result);
      if (result.ok()) {
        out.push_back(std::make_unique<std::decay_t<decltype(*result)>>(
            *std::move(result)));
      }
    };
    for (const DemoFile& demo : demo_) {
      const std::string page = PageName(demo.file.page_id());
      v1::GetPageRequest get_page;
      get_page.set_name(page);
      add(client().GetPage(get_page));
      v1::ListComponentGroupsRequest groups;
      groups.set_parent(page);
      add(client().ListComponentGroups(groups));
      v1::ListComponentsRequest components;
      components.set_parent(page);
      add(client().ListComponents(components));
      for (const apply_v1::IncidentSpec& spec : demo.file.incidents()) {
        const std::string name = IncidentName(demo.file.page_id(),
                                              spec.incident_id());
        absl::StatusOr<v1::Incident> incident = GetIncident(client(), name);
        // An open incident's time in status grows with the clock.
        if (incident.ok()) incident->mutable_durations()->clear_time_in_status();
        add(incident);
        v1::GetPostmortemRequest postmortem;
        postmortem.set_name(name + "/postmortem");
        if (spec.has_postmortem()) add(client().GetPostmortem(postmortem));
        v1::ListCorrectiveActionsRequest actions;
        actions.set_parent(name);
        add(client().ListCorrectiveActions(actions));
      }
    }
    return out;
  }

  std::vector<DemoFile> demo_;
};

TEST_F(SeedsTest, AppliedDemoData_ReadsBackEqualToTheFiles) {
  ApplyWithIncidentctl();
  if (HasFatalFailure()) return;
  for (const DemoFile& demo : demo_) {
    SCOPED_TRACE(demo.path);
    const apply_v1::ApplyFile& file = demo.file;
    const std::string page_id = file.page_id();
    const std::string page_name = PageName(page_id);
    v1::GetPageRequest get_page;
    get_page.set_name(page_name);
    ASSERT_OK_AND_ASSIGN(v1::Page page, client().GetPage(get_page));
    EXPECT_EQ(page.display_name(), file.page().display_name());
    const std::string page_zone =
        file.page().time_zone().empty() ? "UTC" : file.page().time_zone();
    EXPECT_EQ(page.time_zone(), page_zone);

    for (const apply_v1::GroupSpec& spec : file.groups()) {
      v1::GetComponentGroupRequest get;
      get.set_name(GroupName(page_id, spec.group_id()));
      ASSERT_OK_AND_ASSIGN(v1::ComponentGroup group,
                           client().GetComponentGroup(get));
      EXPECT_EQ(group.display_name(), spec.group().display_name());
    }
    for (const apply_v1::ComponentSpec& spec : file.components()) {
      ASSERT_OK_AND_ASSIGN(
          v1::Component component,
          GetComponent(client(), ComponentName(page_id, spec.component_id())));
      EXPECT_EQ(component.display_name(), spec.component().display_name());
      EXPECT_EQ(component.group(),
                client::ChildOfPage(page_name, client::kComponentGroups,
                                    spec.component().group()));
    }

    for (const apply_v1::IncidentSpec& spec : file.incidents()) {
      SCOPED_TRACE(spec.incident_id());
      const std::string name = IncidentName(page_id, spec.incident_id());
      ASSERT_OK_AND_ASSIGN(v1::Incident incident, GetIncident(client(), name));
      EXPECT_EQ(incident.title(), spec.incident().title());
      EXPECT_EQ(incident.kind(), spec.incident().kind() ==
                                         v1::Incident::KIND_UNSPECIFIED
                                     ? v1::Incident::INCIDENT
                                     : spec.incident().kind());
      std::vector<std::string> components;
      for (const std::string& c : spec.incident().components()) {
        components.push_back(
            client::ChildOfPage(page_name, client::kComponents, c));
      }
      EXPECT_THAT(incident.components(), ElementsAreArray(components));
      EXPECT_TRUE(ProtoEquals(incident.impact_start_time(),
                              spec.incident().impact_start_time()));
      EXPECT_TRUE(ProtoEquals(incident.impact_end_time(),
                              spec.incident().impact_end_time()));

      // The timeline: the API shows it newest first, the file oldest first.
      const int n = spec.updates_size();
      ASSERT_EQ(incident.updates_size(), n);
      for (int i = 0; i < n; ++i) {
        SCOPED_TRACE(absl::StrCat("update ", i));
        const v1::IncidentUpdate& want = spec.updates(i);
        const v1::IncidentUpdate& got = incident.updates(n - 1 - i);
        EXPECT_EQ(got.body(), want.body());
        const auto want_status =
            i == 0 && want.status() == v1::IncidentStatus::VALUE_UNSPECIFIED
                ? (incident.kind() == v1::Incident::MAINTENANCE
                       ? v1::IncidentStatus::SCHEDULED
                       : v1::IncidentStatus::INVESTIGATING)
                : want.status();
        EXPECT_EQ(got.status(), want_status);
        EXPECT_EQ(got.display_time_zone(), want.display_time_zone().empty()
                                               ? page_zone
                                               : want.display_time_zone());
        EXPECT_EQ(got.author(), want.author());
        if (want.has_display_time()) {
          EXPECT_EQ(TimeUtil::ToString(got.display_time()),
                    TimeUtil::ToString(want.display_time()));
        } else {
          // Without a time in the file, the order of posting is the order.
          EXPECT_TRUE(got.has_display_time());
          if (i > 0) {
            EXPECT_GE(FromProto(got.display_time()),
                      FromProto(incident.updates(n - i).display_time()));
          }
        }
      }

      if (spec.has_postmortem()) {
        v1::GetPostmortemRequest get;
        get.set_name(name + "/postmortem");
        ASSERT_OK_AND_ASSIGN(v1::Postmortem postmortem,
                             client().GetPostmortem(get));
        EXPECT_EQ(postmortem.author(), spec.postmortem().author());
        ASSERT_EQ(postmortem.sections_size(), spec.postmortem().sections_size());
        for (int s = 0; s < postmortem.sections_size(); ++s) {
          EXPECT_EQ(postmortem.sections(s).heading(),
                    spec.postmortem().sections(s).heading());
          EXPECT_EQ(postmortem.sections(s).body(),
                    spec.postmortem().sections(s).body());
        }
        if (spec.has_postmortem_publish_time()) {
          EXPECT_EQ(postmortem.state(), v1::Postmortem::PUBLISHED);
          EXPECT_EQ(TimeUtil::ToString(postmortem.publish_time()),
                    TimeUtil::ToString(spec.postmortem_publish_time()));
        }
      }

      v1::ListCorrectiveActionsRequest list;
      list.set_parent(name);
      ASSERT_OK_AND_ASSIGN(v1::ListCorrectiveActionsResponse actions,
                           client().ListCorrectiveActions(list));
      ASSERT_EQ(actions.corrective_actions_size(),
                spec.corrective_actions_size());
      for (int a = 0; a < spec.corrective_actions_size(); ++a) {
        const v1::CorrectiveAction& want =
            spec.corrective_actions(a).corrective_action();
        const v1::CorrectiveAction& got = actions.corrective_actions(a);
        EXPECT_EQ(got.description(), want.description());
        EXPECT_EQ(got.owner(), want.owner());
        EXPECT_EQ(got.state(), want.state() ==
                                       v1::CorrectiveAction::STATE_UNSPECIFIED
                                   ? v1::CorrectiveAction::OPEN
                                   : want.state());
        if (!spec.corrective_actions(a).corrective_action_id().empty()) {
          EXPECT_EQ(got.name(),
                    absl::StrCat(name, "/correctiveActions/",
                                 spec.corrective_actions(a)
                                     .corrective_action_id()));
        }
      }
    }
  }
}

TEST_F(SeedsTest, CephIncident_ImpactWindowDiffersFromItsTimeline) {
  ApplyWithIncidentctl();
  if (HasFatalFailure()) return;
  // The Productsup Ceph incident: customers were affected 12:30-15:00 CEST,
  // while the timeline runs 13:53-18:30 CEST.
  const absl::Time first_post = absl::FromUnixSeconds(1757418780);  // 11:53Z
  std::string name;
  for (const DemoFile& demo : demo_) {
    if (demo.file.page_id() != "productsup") continue;
    for (const apply_v1::IncidentSpec& spec : demo.file.incidents()) {
      if (!spec.updates().empty() && spec.updates(0).has_display_time() &&
          FromProto(spec.updates(0).display_time()) == first_post) {
        name = IncidentName("productsup", spec.incident_id());
      }
    }
  }
  ASSERT_FALSE(name.empty())
      << "no productsup incident opened at 2025-09-09 13:53 CEST";
  ASSERT_OK_AND_ASSIGN(v1::Incident incident, GetIncident(client(), name));
  EXPECT_EQ(TimeUtil::ToString(incident.impact_start_time()),
            "2025-09-09T10:30:00Z");
  EXPECT_EQ(TimeUtil::ToString(incident.impact_end_time()),
            "2025-09-09T13:00:00Z");
  EXPECT_EQ(TimeUtil::ToString(incident.start_time()), "2025-09-09T11:53:00Z");
  EXPECT_EQ(TimeUtil::ToString(incident.resolve_time()),
            "2025-09-09T16:30:00Z");
  EXPECT_EQ(TimeUtil::DurationToSeconds(incident.durations().impact_duration()),
            2 * 3600 + 30 * 60);
  EXPECT_EQ(TimeUtil::DurationToSeconds(incident.durations().time_to_resolve()),
            4 * 3600 + 37 * 60);
  EXPECT_EQ(incident.status(), v1::IncidentStatus::RESOLVED);
}

TEST_F(SeedsTest, ApplyingTwice_ChangesNothing) {
  ApplyWithIncidentctl();
  if (HasFatalFailure()) return;
  auto before = Snapshot();
  ASSERT_OK_AND_ASSIGN(std::string stored_before, db_->Fingerprint());

  // Again, once through incidentctl and once through the library, whose
  // report says which steps were replayed and which skipped.
  ApplyWithIncidentctl();
  if (HasFatalFailure()) return;
  for (const DemoFile& demo : demo_) {
    ASSERT_OK_AND_ASSIGN(std::vector<client::ApplyStep> plan,
                         client::PlanApply(demo.file));
    std::vector<client::AppliedStep> done;
    ASSERT_OK(client::RunApplyPlan(client(), plan, &done));
    ASSERT_EQ(done.size(), plan.size());
    for (const client::AppliedStep& step : done) {
      if (absl::StrContains(step.what, "postmortem")) {
        EXPECT_FALSE(step.sent) << step.what << " was sent again";
      }
    }
  }

  auto after = Snapshot();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_TRUE(ProtoEquals(*after[i], *before[i]));
  }
  ASSERT_OK_AND_ASSIGN(std::string stored_after, db_->Fingerprint());
  EXPECT_EQ(stored_after, stored_before);
}

}  // namespace
}  // namespace incidentd::e2e
