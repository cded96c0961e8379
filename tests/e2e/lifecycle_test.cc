// The life of incidents, postmortems, corrective actions and maintenance,
// through the client library against the real server.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/api_helpers.h"
#include "tests/e2e/server_harness.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class LifecycleTest : public ServerTest {};

std::vector<std::string> Labels(const v1::Incident& incident) {
  std::vector<std::string> labels;
  for (const auto& u : incident.updates()) labels.push_back(u.label());
  return labels;
}

std::vector<std::pair<std::string, v1::PageStatus::Indicator>> Causes(
    const v1::PageStatus& status) {
  std::vector<std::pair<std::string, v1::PageStatus::Indicator>> causes;
  for (const auto& c : status.causes()) {
    causes.emplace_back(c.resource(), c.indicator());
  }
  return causes;
}

TEST_F(LifecycleTest, Incident_FromInvestigatingThroughResolvedAndReopened) {
  ASSERT_OK(CreatePage(client(), "acme", "Europe/Berlin"));
  ASSERT_OK(CreateComponent(client(), "acme", "api"));
  ASSERT_OK(CreateComponent(client(), "acme", "web"));
  const std::string api = ComponentName("acme", "api");
  const std::string name = IncidentName("acme", "api-errors");

  ASSERT_OK_AND_ASSIGN(
      v1::Incident created,
      CreateIncident(client(), "acme", "api-errors", {api},
                     v1::IncidentStatus::INVESTIGATING,
                     {Change(api, v1::ComponentStatus::PARTIAL_OUTAGE)}));
  EXPECT_EQ(created.name(), name);
  EXPECT_EQ(created.status(), v1::IncidentStatus::INVESTIGATING);
  EXPECT_EQ(created.impact(), v1::Impact::MAJOR);
  ASSERT_OK_AND_ASSIGN(v1::Component api_now, GetComponent(client(), api));
  EXPECT_EQ(api_now.status(), v1::ComponentStatus::PARTIAL_OUTAGE);

  // The page says why it is not green: the component and the incident.
  ASSERT_OK_AND_ASSIGN(v1::PageStatus status, GetPageStatus(client(), "acme"));
  EXPECT_EQ(status.indicator(), v1::PageStatus::MAJOR);
  EXPECT_EQ(status.description(), "Partial System Outage");
  EXPECT_THAT(Causes(status),
              UnorderedElementsAre(std::pair{api, v1::PageStatus::MAJOR},
                                   std::pair{name, v1::PageStatus::MAJOR}));

  // Forward, and backwards too (Monitoring -> Identified is normal).
  for (auto next : {v1::IncidentStatus::IDENTIFIED,
                    v1::IncidentStatus::MONITORING,
                    v1::IncidentStatus::IDENTIFIED}) {
    ASSERT_OK_AND_ASSIGN(v1::IncidentUpdate update,
                         PostUpdate(client(), name, next, "Progress."));
    EXPECT_EQ(update.resulting_status(), next);
    ASSERT_OK_AND_ASSIGN(v1::Incident now, GetIncident(client(), name));
    EXPECT_EQ(now.status(), next);
  }

  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate resolved,
      PostUpdate(client(), name, v1::IncidentStatus::RESOLVED, "Fixed."));
  EXPECT_EQ(resolved.label(), "Resolved");
  ASSERT_OK_AND_ASSIGN(v1::Incident after, GetIncident(client(), name));
  EXPECT_EQ(after.status(), v1::IncidentStatus::RESOLVED);
  EXPECT_TRUE(after.has_resolve_time());
  ASSERT_OK_AND_ASSIGN(api_now, GetComponent(client(), api));
  EXPECT_EQ(api_now.status(), v1::ComponentStatus::OPERATIONAL);
  ASSERT_OK_AND_ASSIGN(status, GetPageStatus(client(), "acme"));
  EXPECT_EQ(status.indicator(), v1::PageStatus::NONE);
  EXPECT_EQ(status.description(), "All Systems Operational");
  EXPECT_THAT(status.causes(), ::testing::IsEmpty());

  // A post that keeps the status is fine on a resolved incident.
  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate note,
      PostUpdate(client(), name, v1::IncidentStatus::VALUE_UNSPECIFIED,
                 "Postmortem to follow."));
  EXPECT_EQ(note.label(), "Update");
  EXPECT_EQ(note.resulting_status(), v1::IncidentStatus::RESOLVED);

  // Reopening must be explicit; the refused post leaves no trace.
  ASSERT_OK_AND_ASSIGN(v1::Incident before, GetIncident(client(), name));
  EXPECT_CODE(PostUpdate(client(), name, v1::IncidentStatus::INVESTIGATING,
                         "It is back."),
              absl::StatusCode::kFailedPrecondition);
  ASSERT_OK_AND_ASSIGN(v1::Incident unchanged, GetIncident(client(), name));
  EXPECT_EQ(unchanged.status(), v1::IncidentStatus::RESOLVED);
  EXPECT_EQ(unchanged.updates_size(), 6);
  EXPECT_TRUE(ProtoEquals(unchanged, before));

  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate reopened,
      PostUpdate(client(), name, v1::IncidentStatus::INVESTIGATING,
                 "It is back.", /*reopen=*/true));
  EXPECT_TRUE(reopened.reopen());
  EXPECT_EQ(reopened.label(), "Reopened");
  ASSERT_OK_AND_ASSIGN(v1::Incident final_state, GetIncident(client(), name));
  EXPECT_EQ(final_state.status(), v1::IncidentStatus::INVESTIGATING);
  EXPECT_FALSE(final_state.has_resolve_time());
  // Newest first.
  EXPECT_THAT(Labels(final_state),
              ElementsAre("Reopened", "Update", "Resolved", "Identified",
                          "Monitoring", "Identified", "Investigating"));
}

TEST_F(LifecycleTest, ReopenOnAnOpenIncident_IsFailedPrecondition) {
  ASSERT_OK(CreatePage(client(), "acme"));
  const std::string name = IncidentName("acme", "slow");
  ASSERT_OK(CreateIncident(client(), "acme", "slow", {},
                           v1::IncidentStatus::INVESTIGATING));
  EXPECT_CODE(PostUpdate(client(), name, v1::IncidentStatus::IDENTIFIED,
                         "Found it.", /*reopen=*/true),
              absl::StatusCode::kFailedPrecondition);
  ASSERT_OK_AND_ASSIGN(v1::Incident incident, GetIncident(client(), name));
  EXPECT_EQ(incident.updates_size(), 1);
  EXPECT_EQ(incident.status(), v1::IncidentStatus::INVESTIGATING);
}

TEST_F(LifecycleTest, EditUpdate_KeepsThePreviousVersions) {
  ASSERT_OK(CreatePage(client(), "acme", "Europe/Berlin"));
  const std::string name = IncidentName("acme", "typo");
  ASSERT_OK(CreateIncident(client(), "acme", "typo", {},
                           v1::IncidentStatus::INVESTIGATING));
  ASSERT_OK_AND_ASSIGN(v1::Incident incident, GetIncident(client(), name));
  ASSERT_EQ(incident.updates_size(), 1);
  const v1::IncidentUpdate original = incident.updates(0);
  EXPECT_EQ(original.display_time_zone(), "Europe/Berlin");

  v1::EditIncidentUpdateRequest edit;
  edit.mutable_update()->set_name(original.name());
  edit.mutable_update()->set_body("We are investigating errors.");
  edit.mutable_update_mask()->add_paths("body");
  edit.set_editor("alice");
  ASSERT_OK_AND_ASSIGN(v1::IncidentUpdate edited,
                       client().EditIncidentUpdate(edit));
  EXPECT_EQ(edited.body(), "We are investigating errors.");
  ASSERT_EQ(edited.previous_versions_size(), 1);
  EXPECT_EQ(edited.previous_versions(0).body(), original.body());
  EXPECT_EQ(edited.previous_versions(0).replaced_by(), "alice");
  EXPECT_TRUE(ProtoEquals(edited.previous_versions(0).display_time(),
                          original.display_time()));
  EXPECT_NE(edited.etag(), original.etag());

  // A second edit with the (now stale) first etag is refused.
  edit.mutable_update()->set_body("Third version.");
  edit.mutable_update()->set_etag(original.etag());
  EXPECT_CODE(client().EditIncidentUpdate(edit), absl::StatusCode::kAborted);

  edit.mutable_update()->set_etag(edited.etag());
  edit.set_editor("bob");
  ASSERT_OK_AND_ASSIGN(edited, client().EditIncidentUpdate(edit));
  ASSERT_EQ(edited.previous_versions_size(), 2);
  // Oldest first.
  EXPECT_EQ(edited.previous_versions(0).body(), original.body());
  EXPECT_EQ(edited.previous_versions(1).body(), "We are investigating errors.");
  EXPECT_EQ(edited.previous_versions(1).replaced_by(), "bob");

  ASSERT_OK_AND_ASSIGN(incident, GetIncident(client(), name));
  ASSERT_EQ(incident.updates_size(), 1);
  EXPECT_EQ(incident.updates(0).body(), "Third version.");
  EXPECT_EQ(incident.updates(0).previous_versions_size(), 2);
}

TEST_F(LifecycleTest, Postmortem_DraftPublishUnpublishAndRevisions) {
  ASSERT_OK(CreatePage(client(), "acme"));
  const std::string incident = IncidentName("acme", "outage");
  ASSERT_OK(CreateIncident(client(), "acme", "outage", {},
                           v1::IncidentStatus::INVESTIGATING));
  const std::string name = incident + "/postmortem";

  v1::GetPostmortemRequest get;
  get.set_name(name);
  EXPECT_CODE(client().GetPostmortem(get), absl::StatusCode::kNotFound);

  v1::UpdatePostmortemRequest draft;
  draft.mutable_postmortem()->set_name(name);
  draft.mutable_postmortem()->set_author("SRE");
  auto* intro = draft.mutable_postmortem()->add_sections();
  intro->set_body("What happened, briefly.");
  ASSERT_OK_AND_ASSIGN(v1::Postmortem first, client().UpdatePostmortem(draft));
  EXPECT_EQ(first.name(), name);
  EXPECT_EQ(first.state(), v1::Postmortem::DRAFT);
  EXPECT_EQ(first.revision(), 1);

  auto* cause = draft.mutable_postmortem()->add_sections();
  cause->set_heading("Root cause");
  cause->set_body("A full disk.");
  ASSERT_OK_AND_ASSIGN(v1::Postmortem second, client().UpdatePostmortem(draft));
  EXPECT_EQ(second.revision(), 2);
  ASSERT_EQ(second.sections_size(), 2);
  EXPECT_EQ(second.sections(1).heading(), "Root cause");

  // Publishing with a stale etag is refused; with the current one, and a
  // backfilled time, it works.
  const absl::Time published_at = absl::FromUnixSeconds(1757667600);
  v1::PublishPostmortemRequest publish;
  publish.set_name(name);
  *publish.mutable_publish_time() = ToProto(published_at);
  publish.set_etag(first.etag());
  EXPECT_CODE(client().PublishPostmortem(publish), absl::StatusCode::kAborted);
  publish.set_etag(second.etag());
  ASSERT_OK_AND_ASSIGN(v1::Postmortem published,
                       client().PublishPostmortem(publish));
  EXPECT_EQ(published.state(), v1::Postmortem::PUBLISHED);
  EXPECT_EQ(FromProto(published.publish_time()), published_at);
  publish.clear_etag();
  EXPECT_CODE(client().PublishPostmortem(publish),
              absl::StatusCode::kFailedPrecondition);

  v1::UnpublishPostmortemRequest unpublish;
  unpublish.set_name(name);
  ASSERT_OK_AND_ASSIGN(v1::Postmortem draft_again,
                       client().UnpublishPostmortem(unpublish));
  EXPECT_EQ(draft_again.state(), v1::Postmortem::DRAFT);
  EXPECT_EQ(draft_again.revision(), 2);
  EXPECT_CODE(client().UnpublishPostmortem(unpublish),
              absl::StatusCode::kFailedPrecondition);

  v1::ListPostmortemRevisionsRequest list;
  list.set_name(name);
  ASSERT_OK_AND_ASSIGN(v1::ListPostmortemRevisionsResponse revisions,
                       client().ListPostmortemRevisions(list));
  ASSERT_EQ(revisions.revisions_size(), 2);
  EXPECT_EQ(revisions.revisions(0).revision(), 2);
  EXPECT_EQ(revisions.revisions(0).sections_size(), 2);
  EXPECT_EQ(revisions.revisions(1).revision(), 1);
  ASSERT_EQ(revisions.revisions(1).sections_size(), 1);
  EXPECT_EQ(revisions.revisions(1).sections(0).body(),
            "What happened, briefly.");
}

TEST_F(LifecycleTest, CorrectiveActions_CreateListAndUpdate) {
  ASSERT_OK(CreatePage(client(), "acme"));
  const std::string incident = IncidentName("acme", "outage");
  ASSERT_OK(CreateIncident(client(), "acme", "outage", {},
                           v1::IncidentStatus::INVESTIGATING));
  std::vector<v1::CorrectiveAction> created;
  for (const char* description : {"Add disk alerts", "Automate failover"}) {
    v1::CreateCorrectiveActionRequest request;
    request.set_parent(incident);
    request.mutable_corrective_action()->set_description(description);
    request.mutable_corrective_action()->set_owner("Platform team");
    ASSERT_OK_AND_ASSIGN(v1::CorrectiveAction action,
                         client().CreateCorrectiveAction(request));
    EXPECT_EQ(action.state(), v1::CorrectiveAction::OPEN);
    created.push_back(action);
  }

  v1::UpdateCorrectiveActionRequest update;
  update.mutable_corrective_action()->set_name(created[0].name());
  update.mutable_corrective_action()->set_state(v1::CorrectiveAction::DONE);
  update.mutable_corrective_action()->set_etag(created[0].etag());
  update.mutable_update_mask()->add_paths("state");
  ASSERT_OK_AND_ASSIGN(v1::CorrectiveAction done,
                       client().UpdateCorrectiveAction(update));
  EXPECT_EQ(done.state(), v1::CorrectiveAction::DONE);
  EXPECT_EQ(done.description(), "Add disk alerts");
  // The same etag again is stale now.
  update.mutable_corrective_action()->set_state(v1::CorrectiveAction::OPEN);
  EXPECT_CODE(client().UpdateCorrectiveAction(update),
              absl::StatusCode::kAborted);

  v1::ListCorrectiveActionsRequest list;
  list.set_parent(incident);
  ASSERT_OK_AND_ASSIGN(v1::ListCorrectiveActionsResponse actions,
                       client().ListCorrectiveActions(list));
  ASSERT_EQ(actions.corrective_actions_size(), 2);
  // Creation order.
  EXPECT_EQ(actions.corrective_actions(0).name(), created[0].name());
  EXPECT_EQ(actions.corrective_actions(0).state(), v1::CorrectiveAction::DONE);
  EXPECT_EQ(actions.corrective_actions(1).description(), "Automate failover");
  EXPECT_EQ(actions.corrective_actions(1).owner(), "Platform team");
  EXPECT_EQ(actions.corrective_actions(1).state(), v1::CorrectiveAction::OPEN);
}

// A maintenance on `components`, scheduled from `start` to `end`.
absl::StatusOr<v1::Incident> ScheduleMaintenance(
    client::Client& client, const std::string& page, const std::string& id,
    const std::vector<std::string>& components, absl::Time start,
    absl::Time end, bool manual) {
  v1::CreateIncidentRequest request;
  request.set_parent(PageName(page));
  request.set_incident_id(id);
  v1::Incident& incident = *request.mutable_incident();
  incident.set_title("Database upgrade");
  incident.set_kind(v1::Incident::MAINTENANCE);
  for (const std::string& c : components) incident.add_components(c);
  *incident.mutable_scheduled_start_time() = ToProto(start);
  *incident.mutable_scheduled_end_time() = ToProto(end);
  incident.set_manual_transitions(manual);
  request.mutable_first_update()->set_body("We will upgrade the database.");
  return client.CreateIncident(request);
}

TEST_F(LifecycleTest, Maintenance_StartsAndCompletesOnItsOwn) {
  ASSERT_OK(CreatePage(client(), "acme"));
  ASSERT_OK(CreateComponent(client(), "acme", "db"));
  const std::string db = ComponentName("acme", "db");
  const std::string name = IncidentName("acme", "upgrade");
  // Whole seconds, so that the scheduled times survive any storage
  // precision exactly.
  const absl::Time start =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 2);
  const absl::Time end = start + absl::Seconds(3);
  ASSERT_OK_AND_ASSIGN(
      v1::Incident scheduled,
      ScheduleMaintenance(client(), "acme", "upgrade", {db}, start, end,
                          /*manual=*/false));
  EXPECT_EQ(scheduled.status(), v1::IncidentStatus::SCHEDULED);

  bool saw_in_progress = false;
  bool saw_component_under_maintenance = false;
  EXPECT_TRUE(WaitFor(
      [&] {
        absl::StatusOr<v1::Incident> now = GetIncident(client(), name);
        if (!now.ok()) return false;
        if (now->status() == v1::IncidentStatus::IN_PROGRESS) {
          saw_in_progress = true;
          absl::StatusOr<v1::Component> component = GetComponent(client(), db);
          if (component.ok() &&
              component->status() == v1::ComponentStatus::UNDER_MAINTENANCE) {
            saw_component_under_maintenance = true;
          }
        }
        return now->status() == v1::IncidentStatus::COMPLETED;
      },
      absl::Seconds(20)))
      << "the maintenance did not complete by itself";
  EXPECT_TRUE(saw_in_progress);
  EXPECT_TRUE(saw_component_under_maintenance);

  ASSERT_OK_AND_ASSIGN(v1::Incident done, GetIncident(client(), name));
  ASSERT_EQ(done.updates_size(), 3);
  // Newest first, each shown at its scheduled time.
  EXPECT_EQ(done.updates(0).resulting_status(), v1::IncidentStatus::COMPLETED);
  EXPECT_EQ(FromProto(done.updates(0).display_time()), end);
  EXPECT_EQ(done.updates(1).resulting_status(),
            v1::IncidentStatus::IN_PROGRESS);
  EXPECT_EQ(FromProto(done.updates(1).display_time()), start);
  EXPECT_EQ(done.updates(2).resulting_status(), v1::IncidentStatus::SCHEDULED);
  ASSERT_OK_AND_ASSIGN(v1::Component component, GetComponent(client(), db));
  EXPECT_EQ(component.status(), v1::ComponentStatus::OPERATIONAL);
}

TEST_F(LifecycleTest, Maintenance_WithManualTransitions_StaysScheduled) {
  ASSERT_OK(CreatePage(client(), "acme"));
  const absl::Time start =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 1);
  const absl::Time end = start + absl::Seconds(1);
  ASSERT_OK(ScheduleMaintenance(client(), "acme", "manual", {}, start, end,
                                /*manual=*/true));
  // The same schedule without manual transitions is the witness that the
  // scheduler has run past both times.
  ASSERT_OK(ScheduleMaintenance(client(), "acme", "automatic", {}, start, end,
                                /*manual=*/false));
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::StatusOr<v1::Incident> witness =
            GetIncident(client(), IncidentName("acme", "automatic"));
        return witness.ok() &&
               witness->status() == v1::IncidentStatus::COMPLETED;
      },
      absl::Seconds(20)));
  ASSERT_OK_AND_ASSIGN(v1::Incident manual,
                       GetIncident(client(), IncidentName("acme", "manual")));
  EXPECT_EQ(manual.status(), v1::IncidentStatus::SCHEDULED);
  EXPECT_EQ(manual.updates_size(), 1);

  // Posted updates still move it.
  ASSERT_OK(PostUpdate(client(), manual.name(), v1::IncidentStatus::IN_PROGRESS,
                       "Starting now."));
  ASSERT_OK_AND_ASSIGN(manual, GetIncident(client(), manual.name()));
  EXPECT_EQ(manual.status(), v1::IncidentStatus::IN_PROGRESS);
}

}  // namespace
}  // namespace incidentd::e2e
