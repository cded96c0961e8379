#include "server/incident_logic.h"

#include "tests/unit/server/logic_fixture.h"

namespace incidentd::testing {
namespace {

constexpr char kIncident[] = "pages/acme/incidents/delta";
constexpr char kApi[] = "pages/acme/components/api";
constexpr char kDb[] = "pages/acme/components/db";

class IncidentLogicTest : public LogicTest {
 protected:
  void SetUp() override {
    MakePage("acme", "Europe/Berlin");
    MakeComponent("acme", "api");
    MakeComponent("acme", "db");
  }

  v1::Incident Open() {
    absl::StatusOr<v1::Incident> i = incidents_.CreateIncident(
        IncidentRequest("acme", "delta", "api"), kNoDeadline);
    EXPECT_TRUE(i.ok()) << i.status();
    return i.value_or(v1::Incident());
  }

  v1::CreateIncidentRequest Maintenance(absl::Duration start_in,
                                        absl::Duration end_in) {
    v1::CreateIncidentRequest r;
    r.set_parent("pages/acme");
    r.set_incident_id("upgrade");
    r.mutable_incident()->set_title("Database upgrade");
    r.mutable_incident()->set_kind(v1::Incident::MAINTENANCE);
    r.mutable_incident()->add_components(kDb);
    *r.mutable_incident()->mutable_scheduled_start_time() =
        Ts(clock_.Now() + start_in);
    *r.mutable_incident()->mutable_scheduled_end_time() =
        Ts(clock_.Now() + end_in);
    r.mutable_first_update()->set_body("We will upgrade the database.");
    return r;
  }
};

TEST_F(IncidentLogicTest, CreateIncident_FirstStatusDefaultsToInvestigating) {
  v1::Incident i = Open();
  EXPECT_EQ(i.name(), kIncident);
  EXPECT_EQ(i.kind(), v1::Incident::INCIDENT);
  EXPECT_EQ(i.status(), v1::IncidentStatus::INVESTIGATING);
  EXPECT_EQ(FromTs(i.start_time()), clock_.Now());
  EXPECT_FALSE(i.has_resolve_time());
}

TEST_F(IncidentLogicTest,
       CreateIncident_AppliesComponentChangesAndDerivesImpact) {
  v1::Incident i = Open();
  EXPECT_EQ(i.impact(), v1::Impact::MAJOR);
  v1::Component api = GetComponent(kApi);
  EXPECT_EQ(api.status(), v1::ComponentStatus::PARTIAL_OUTAGE);
  EXPECT_EQ(api.status_reason(), "Incident: Issue with delta processing");
  EXPECT_EQ(FromTs(api.status_change_time()), clock_.Now());
}

TEST_F(IncidentLogicTest, CreateIncident_FirstUpdateTakesThePagesTimeZone) {
  Open();
  v1::Incident full = GetIncident(kIncident);
  ASSERT_EQ(full.updates_size(), 1);
  EXPECT_EQ(full.updates(0).display_time_zone(), "Europe/Berlin");
  EXPECT_EQ(full.updates(0).label(), "Investigating");
}

TEST_F(IncidentLogicTest,
       CreateIncident_MaintenanceStatusOnAnIncident_IsInvalidArgument) {
  v1::CreateIncidentRequest r = IncidentRequest("acme", "delta", "api");
  r.mutable_first_update()->set_status(v1::IncidentStatus::SCHEDULED);
  EXPECT_CODE(incidents_.CreateIncident(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest,
       CreateIncident_UnknownComponent_IsNotFoundAndWritesNothing) {
  v1::CreateIncidentRequest r = IncidentRequest("acme", "delta", "api");
  r.mutable_incident()->add_components("pages/acme/components/ghost");
  EXPECT_CODE(incidents_.CreateIncident(r, kNoDeadline),
              absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_.Snapshot().incidents.empty());
  EXPECT_EQ(GetComponent(kApi).status(), v1::ComponentStatus::OPERATIONAL);
}

TEST_F(IncidentLogicTest,
       CreateIncident_ComponentOfAnotherPage_IsInvalidArgument) {
  v1::CreateIncidentRequest r = IncidentRequest("acme", "delta", "");
  r.mutable_incident()->add_components("pages/other/components/api");
  EXPECT_CODE(incidents_.CreateIncident(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest, CreateIncident_WithoutBody_IsInvalidArgument) {
  v1::CreateIncidentRequest r = IncidentRequest("acme", "delta", "api");
  r.mutable_first_update()->clear_body();
  EXPECT_CODE(incidents_.CreateIncident(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest, CreateIncident_TooManyComponents_IsInvalidArgument) {
  v1::CreateIncidentRequest r = IncidentRequest("acme", "delta", "");
  for (int k = 0; k < 101; ++k) {
    r.mutable_incident()->add_components("pages/acme/components/c" +
                                         std::to_string(k));
  }
  EXPECT_CODE(incidents_.CreateIncident(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest,
       CreateIncident_MaintenanceWithoutScheduledTimes_IsInvalidArgument) {
  v1::CreateIncidentRequest r = Maintenance(absl::Hours(1), absl::Hours(2));
  r.mutable_incident()->clear_scheduled_end_time();
  EXPECT_CODE(incidents_.CreateIncident(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest,
       CreateIncident_MaintenanceEndingBeforeItStarts_IsInvalidArgument) {
  EXPECT_CODE(incidents_.CreateIncident(
                  Maintenance(absl::Hours(2), absl::Hours(1)), kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest,
       CreateIncident_Maintenance_IsScheduledAndStartsAtItsStart) {
  ASSERT_OK_AND_ASSIGN(
      v1::Incident m,
      incidents_.CreateIncident(Maintenance(absl::Hours(1), absl::Hours(2)),
                                kNoDeadline));
  EXPECT_EQ(m.status(), v1::IncidentStatus::SCHEDULED);
  EXPECT_EQ(FromTs(m.start_time()), clock_.Now() + absl::Hours(1));
  EXPECT_EQ(GetComponent(kDb).status(), v1::ComponentStatus::OPERATIONAL);
}

TEST_F(IncidentLogicTest,
       CreateIncident_SameRequestIdTwice_CreatesOneIncident) {
  v1::CreateIncidentRequest r = IncidentRequest("acme", "", "api");
  r.set_request_id("open-1");
  ASSERT_OK_AND_ASSIGN(v1::Incident a,
                       incidents_.CreateIncident(r, kNoDeadline));
  ASSERT_OK_AND_ASSIGN(v1::Incident b,
                       incidents_.CreateIncident(r, kNoDeadline));
  EXPECT_EQ(a.name(), b.name());
  EXPECT_EQ(store_.Snapshot().incidents.size(), 1u);
  EXPECT_EQ(store_.Snapshot().updates.size(), 1u);

  r.mutable_incident()->set_title("Something else");
  EXPECT_CODE(incidents_.CreateIncident(r, kNoDeadline),
              absl::StatusCode::kAlreadyExists);
}

TEST_F(IncidentLogicTest, PostUpdate_SetsStatusAndBumpsEtag) {
  v1::Incident i = Open();
  v1::PostIncidentUpdateRequest r =
      Post(kIncident, v1::IncidentStatus::IDENTIFIED);
  r.set_etag(i.etag());
  ASSERT_OK_AND_ASSIGN(v1::IncidentUpdate u,
                       incidents_.PostIncidentUpdate(r, kNoDeadline));
  EXPECT_EQ(u.label(), "Identified");
  EXPECT_EQ(u.resulting_status(), v1::IncidentStatus::IDENTIFIED);
  EXPECT_EQ(u.display_time_zone(), "Europe/Berlin");
  EXPECT_EQ(FromTs(u.display_time()), clock_.Now());
  v1::Incident after = GetIncident(kIncident);
  EXPECT_EQ(after.status(), v1::IncidentStatus::IDENTIFIED);
  EXPECT_NE(after.etag(), i.etag());
}

TEST_F(IncidentLogicTest, PostUpdate_WithoutStatus_KeepsItAndIsLabelledUpdate) {
  Open();
  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate u,
      incidents_.PostIncidentUpdate(
          Post(kIncident, v1::IncidentStatus::VALUE_UNSPECIFIED), kNoDeadline));
  EXPECT_EQ(u.label(), "Update");
  EXPECT_EQ(u.resulting_status(), v1::IncidentStatus::INVESTIGATING);
}

TEST_F(IncidentLogicTest, PostUpdate_StaleEtag_IsAbortedAndChangesNothing) {
  v1::Incident i = Open();
  ASSERT_OK(incidents_.PostIncidentUpdate(
      Post(kIncident, v1::IncidentStatus::IDENTIFIED), kNoDeadline));
  v1::PostIncidentUpdateRequest stale =
      Post(kIncident, v1::IncidentStatus::RESOLVED);
  stale.set_etag(i.etag());
  EXPECT_CODE(incidents_.PostIncidentUpdate(stale, kNoDeadline),
              absl::StatusCode::kAborted);
  EXPECT_EQ(GetIncident(kIncident).status(), v1::IncidentStatus::IDENTIFIED);
  EXPECT_EQ(store_.Snapshot().updates.size(), 2u);
  EXPECT_EQ(GetComponent(kApi).status(), v1::ComponentStatus::PARTIAL_OUTAGE);
}

TEST_F(IncidentLogicTest,
       PostUpdate_Resolving_ReturnsComponentsToOperationalAndSetsResolveTime) {
  Open();
  clock_.Advance(absl::Minutes(90));
  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate u,
      incidents_.PostIncidentUpdate(
          Post(kIncident, v1::IncidentStatus::RESOLVED), kNoDeadline));
  ASSERT_EQ(u.component_changes_size(), 1);
  EXPECT_EQ(u.component_changes(0).component(), kApi);
  EXPECT_EQ(u.component_changes(0).status(), v1::ComponentStatus::OPERATIONAL);
  EXPECT_EQ(GetComponent(kApi).status(), v1::ComponentStatus::OPERATIONAL);
  v1::Incident i = GetIncident(kIncident);
  EXPECT_EQ(i.status(), v1::IncidentStatus::RESOLVED);
  EXPECT_EQ(FromTs(i.resolve_time()), clock_.Now());
  EXPECT_EQ(i.impact(), v1::Impact::MAJOR);  // impact is the peak
  EXPECT_EQ(i.durations().time_to_resolve().seconds(), 90 * 60);
}

TEST_F(IncidentLogicTest, PostUpdate_ResolvedIncident_IsFailedPrecondition) {
  Open();
  ASSERT_OK(incidents_.PostIncidentUpdate(
      Post(kIncident, v1::IncidentStatus::RESOLVED), kNoDeadline));
  EXPECT_CODE(incidents_.PostIncidentUpdate(
                  Post(kIncident, v1::IncidentStatus::MONITORING), kNoDeadline),
              absl::StatusCode::kFailedPrecondition);
}

TEST_F(IncidentLogicTest,
       PostUpdate_ReopenOnOpenIncident_IsFailedPrecondition) {
  Open();
  v1::PostIncidentUpdateRequest r =
      Post(kIncident, v1::IncidentStatus::IDENTIFIED);
  r.set_reopen(true);
  EXPECT_CODE(incidents_.PostIncidentUpdate(r, kNoDeadline),
              absl::StatusCode::kFailedPrecondition);
}

TEST_F(IncidentLogicTest,
       PostUpdate_Reopen_ClearsResolveTimeAndIsLabelledReopened) {
  Open();
  ASSERT_OK(incidents_.PostIncidentUpdate(
      Post(kIncident, v1::IncidentStatus::RESOLVED), kNoDeadline));
  v1::PostIncidentUpdateRequest r =
      Post(kIncident, v1::IncidentStatus::IDENTIFIED);
  r.set_reopen(true);
  ASSERT_OK_AND_ASSIGN(v1::IncidentUpdate u,
                       incidents_.PostIncidentUpdate(r, kNoDeadline));
  EXPECT_TRUE(u.reopen());
  EXPECT_EQ(u.label(), "Reopened");
  v1::Incident i = GetIncident(kIncident);
  EXPECT_EQ(i.status(), v1::IncidentStatus::IDENTIFIED);
  EXPECT_FALSE(i.has_resolve_time());
}

TEST_F(IncidentLogicTest,
       PostUpdate_MaintenanceStatusOnIncident_IsInvalidArgument) {
  Open();
  EXPECT_CODE(
      incidents_.PostIncidentUpdate(
          Post(kIncident, v1::IncidentStatus::IN_PROGRESS), kNoDeadline),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest, PostUpdate_UnknownStatusNumber_IsInvalidArgument) {
  Open();
  EXPECT_CODE(incidents_.PostIncidentUpdate(
                  Post(kIncident, static_cast<v1::IncidentStatus::Value>(77)),
                  kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest, PostUpdate_UnknownIncident_IsNotFound) {
  EXPECT_CODE(
      incidents_.PostIncidentUpdate(
          Post("pages/acme/incidents/nope", v1::IncidentStatus::IDENTIFIED),
          kNoDeadline),
      absl::StatusCode::kNotFound);
}

TEST_F(IncidentLogicTest, PostUpdate_ChangeOfAnotherComponent_MakesItAffected) {
  Open();
  v1::PostIncidentUpdateRequest r =
      Post(kIncident, v1::IncidentStatus::IDENTIFIED);
  v1::ComponentChange* change = r.mutable_update()->add_component_changes();
  change->set_component(kDb);
  change->set_status(v1::ComponentStatus::MAJOR_OUTAGE);
  ASSERT_OK(incidents_.PostIncidentUpdate(r, kNoDeadline));
  v1::Incident i = GetIncident(kIncident);
  EXPECT_EQ(i.impact(), v1::Impact::CRITICAL);
  ASSERT_EQ(i.components_size(), 2);
  EXPECT_EQ(i.components(1), kDb);
  // Resolving brings both back.
  ASSERT_OK(incidents_.PostIncidentUpdate(
      Post(kIncident, v1::IncidentStatus::RESOLVED), kNoDeadline));
  EXPECT_EQ(GetComponent(kDb).status(), v1::ComponentStatus::OPERATIONAL);
  EXPECT_EQ(GetComponent(kApi).status(), v1::ComponentStatus::OPERATIONAL);
}

TEST_F(IncidentLogicTest,
       PostUpdate_UnspecifiedComponentStatus_IsInvalidArgument) {
  Open();
  v1::PostIncidentUpdateRequest r =
      Post(kIncident, v1::IncidentStatus::IDENTIFIED);
  r.mutable_update()->add_component_changes()->set_component(kDb);
  EXPECT_CODE(incidents_.PostIncidentUpdate(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest,
       PostUpdate_BackfilledEarlierDisplayTime_MovesStartTime) {
  Open();
  v1::PostIncidentUpdateRequest r =
      Post(kIncident, v1::IncidentStatus::VALUE_UNSPECIFIED);
  *r.mutable_update()->mutable_display_time() =
      Ts(clock_.Now() - absl::Hours(2));
  ASSERT_OK(incidents_.PostIncidentUpdate(r, kNoDeadline));
  v1::Incident i = GetIncident(kIncident);
  EXPECT_EQ(FromTs(i.start_time()), clock_.Now() - absl::Hours(2));
  // The timeline is newest first by display time.
  ASSERT_EQ(i.updates_size(), 2);
  EXPECT_EQ(i.updates(0).label(), "Investigating");
  EXPECT_EQ(i.updates(1).label(), "Update");
}

TEST_F(IncidentLogicTest, PostUpdate_SameRequestIdTwice_PostsOnce) {
  Open();
  v1::PostIncidentUpdateRequest r =
      Post(kIncident, v1::IncidentStatus::IDENTIFIED);
  r.set_request_id("post-1");
  ASSERT_OK_AND_ASSIGN(v1::IncidentUpdate a,
                       incidents_.PostIncidentUpdate(r, kNoDeadline));
  ASSERT_OK_AND_ASSIGN(v1::IncidentUpdate b,
                       incidents_.PostIncidentUpdate(r, kNoDeadline));
  EXPECT_EQ(a.name(), b.name());
  EXPECT_EQ(store_.Snapshot().updates.size(), 2u);

  r.mutable_update()->set_body("Different");
  EXPECT_CODE(incidents_.PostIncidentUpdate(r, kNoDeadline),
              absl::StatusCode::kAlreadyExists);
}

TEST_F(IncidentLogicTest, EditIncidentUpdate_KeepsThePreviousVersion) {
  Open();
  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate u,
      incidents_.PostIncidentUpdate(
          Post(kIncident, v1::IncidentStatus::IDENTIFIED, "Typo"),
          kNoDeadline));
  clock_.Advance(absl::Minutes(1));
  v1::EditIncidentUpdateRequest r;
  r.mutable_update()->set_name(u.name());
  r.mutable_update()->set_body("Fixed");
  r.mutable_update()->set_etag(u.etag());
  *r.mutable_update_mask() = Mask({"body"});
  r.set_editor("alice");
  ASSERT_OK_AND_ASSIGN(v1::IncidentUpdate edited,
                       incidents_.EditIncidentUpdate(r, kNoDeadline));
  EXPECT_EQ(edited.body(), "Fixed");
  ASSERT_EQ(edited.previous_versions_size(), 1);
  EXPECT_EQ(edited.previous_versions(0).body(), "Typo");
  EXPECT_EQ(edited.previous_versions(0).replaced_by(), "alice");
  EXPECT_EQ(FromTs(edited.previous_versions(0).replace_time()), clock_.Now());
  // Stale etag now.
  EXPECT_CODE(incidents_.EditIncidentUpdate(r, kNoDeadline),
              absl::StatusCode::kAborted);
}

TEST_F(IncidentLogicTest, EditIncidentUpdate_StatusInMask_IsInvalidArgument) {
  Open();
  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate u,
      incidents_.PostIncidentUpdate(
          Post(kIncident, v1::IncidentStatus::IDENTIFIED), kNoDeadline));
  v1::EditIncidentUpdateRequest r;
  r.mutable_update()->set_name(u.name());
  *r.mutable_update_mask() = Mask({"status"});
  EXPECT_CODE(incidents_.EditIncidentUpdate(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest,
       EditIncidentUpdate_ResolvingUpdatesDisplayTime_MovesResolveTime) {
  Open();
  clock_.Advance(absl::Hours(3));
  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate resolved,
      incidents_.PostIncidentUpdate(
          Post(kIncident, v1::IncidentStatus::RESOLVED), kNoDeadline));
  v1::EditIncidentUpdateRequest r;
  r.mutable_update()->set_name(resolved.name());
  const absl::Time earlier = clock_.Now() - absl::Hours(1);
  *r.mutable_update()->mutable_display_time() = Ts(earlier);
  *r.mutable_update_mask() = Mask({"display_time"});
  ASSERT_OK(incidents_.EditIncidentUpdate(r, kNoDeadline));
  v1::Incident i = GetIncident(kIncident);
  EXPECT_EQ(FromTs(i.resolve_time()), earlier);
  EXPECT_EQ(i.durations().time_to_resolve().seconds(), 2 * 3600);
}

TEST_F(IncidentLogicTest,
       GetIncident_TimelineNewestFirstWithLabelsAndDurations) {
  Open();
  clock_.Advance(absl::Minutes(10));
  ASSERT_OK(incidents_.PostIncidentUpdate(
      Post(kIncident, v1::IncidentStatus::IDENTIFIED), kNoDeadline));
  clock_.Advance(absl::Minutes(20));
  ASSERT_OK(incidents_.PostIncidentUpdate(
      Post(kIncident, v1::IncidentStatus::MONITORING), kNoDeadline));
  clock_.Advance(absl::Minutes(5));
  v1::Incident i = GetIncident(kIncident);
  ASSERT_EQ(i.updates_size(), 3);
  EXPECT_EQ(i.updates(0).label(), "Monitoring");
  EXPECT_EQ(i.updates(1).label(), "Identified");
  EXPECT_EQ(i.updates(2).label(), "Investigating");
  EXPECT_FALSE(i.durations().has_time_to_resolve());
  ASSERT_EQ(i.durations().time_in_status_size(), 3);
  EXPECT_EQ(i.durations().time_in_status(0).duration().seconds(), 600);
  EXPECT_EQ(i.durations().time_in_status(1).duration().seconds(), 1200);
  EXPECT_EQ(i.durations().time_in_status(2).duration().seconds(), 300);
}

TEST_F(IncidentLogicTest, ListIncidentUpdates_PagesNewestFirst) {
  Open();
  for (int k = 0; k < 4; ++k) {
    clock_.Advance(absl::Minutes(1));
    ASSERT_OK(incidents_.PostIncidentUpdate(
        Post(kIncident, v1::IncidentStatus::VALUE_UNSPECIFIED,
             "n" + std::to_string(k)),
        kNoDeadline));
  }
  v1::ListIncidentUpdatesRequest r;
  r.set_parent(kIncident);
  r.set_page_size(2);
  std::vector<std::string> bodies;
  for (int k = 0; k < 5; ++k) {
    ASSERT_OK_AND_ASSIGN(v1::ListIncidentUpdatesResponse resp,
                         incidents_.ListIncidentUpdates(r, kNoDeadline));
    for (const v1::IncidentUpdate& u : resp.updates())
      bodies.push_back(u.body());
    if (resp.next_page_token().empty()) break;
    r.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"n3", "n2", "n1", "n0",
                                              "We are investigating."}));
}

TEST_F(IncidentLogicTest, ListIncidents_FiltersAndPagesNewestFirst) {
  for (const char* id : {"one", "two", "three"}) {
    ASSERT_OK(incidents_.CreateIncident(IncidentRequest("acme", id, ""),
                                        kNoDeadline));
    clock_.Advance(absl::Minutes(1));
  }
  ASSERT_OK(incidents_.PostIncidentUpdate(
      Post("pages/acme/incidents/two", v1::IncidentStatus::RESOLVED),
      kNoDeadline));

  v1::ListIncidentsRequest r;
  r.set_parent("pages/acme");
  r.set_page_size(2);
  ASSERT_OK_AND_ASSIGN(v1::ListIncidentsResponse first,
                       incidents_.ListIncidents(r, kNoDeadline));
  ASSERT_EQ(first.incidents_size(), 2);
  EXPECT_EQ(first.incidents(0).name(), "pages/acme/incidents/three");
  EXPECT_EQ(first.incidents(1).name(), "pages/acme/incidents/two");
  r.set_page_token(first.next_page_token());
  ASSERT_OK_AND_ASSIGN(v1::ListIncidentsResponse second,
                       incidents_.ListIncidents(r, kNoDeadline));
  ASSERT_EQ(second.incidents_size(), 1);
  EXPECT_EQ(second.incidents(0).name(), "pages/acme/incidents/one");
  EXPECT_TRUE(second.next_page_token().empty());

  v1::ListIncidentsRequest open;
  open.set_parent("pages/acme");
  open.set_state(v1::ListIncidentsRequest::OPEN);
  ASSERT_OK_AND_ASSIGN(v1::ListIncidentsResponse opened,
                       incidents_.ListIncidents(open, kNoDeadline));
  EXPECT_EQ(opened.incidents_size(), 2);
}

TEST_F(IncidentLogicTest, ListIncidents_TokenOfAnotherQuery_IsInvalidArgument) {
  for (const char* id : {"one", "two"}) {
    ASSERT_OK(incidents_.CreateIncident(IncidentRequest("acme", id, ""),
                                        kNoDeadline));
  }
  v1::ListIncidentsRequest r;
  r.set_parent("pages/acme");
  r.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(v1::ListIncidentsResponse first,
                       incidents_.ListIncidents(r, kNoDeadline));
  ASSERT_FALSE(first.next_page_token().empty());
  r.set_page_token(first.next_page_token());
  for (auto change :
       std::vector<std::function<void(v1::ListIncidentsRequest&)>>{
           [](auto& q) { q.set_kind(v1::Incident::INCIDENT); },
           [](auto& q) { q.set_state(v1::ListIncidentsRequest::CLOSED); },
           [](auto& q) { q.set_component(kApi); },
           [](auto& q) { q.mutable_start_time_from()->set_seconds(1); },
           [](auto& q) { q.mutable_start_time_to()->set_seconds(1); },
       }) {
    v1::ListIncidentsRequest other = r;
    change(other);
    EXPECT_CODE(incidents_.ListIncidents(other, kNoDeadline),
                absl::StatusCode::kInvalidArgument)
        << other.DebugString();
  }
}

TEST_F(IncidentLogicTest, ListIncidents_UnknownStateFilter_IsInvalidArgument) {
  v1::ListIncidentsRequest r;
  r.set_parent("pages/acme");
  r.set_state(static_cast<v1::ListIncidentsRequest::StateFilter>(9));
  EXPECT_CODE(incidents_.ListIncidents(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest, UpdateIncident_KindInMask_IsInvalidArgument) {
  v1::Incident i = Open();
  v1::UpdateIncidentRequest r;
  *r.mutable_incident() = i;
  *r.mutable_update_mask() = Mask({"kind"});
  EXPECT_CODE(incidents_.UpdateIncident(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest, UpdateIncident_TitleAndOverride) {
  v1::Incident i = Open();
  v1::UpdateIncidentRequest r;
  r.mutable_incident()->set_name(i.name());
  r.mutable_incident()->set_title("Delta imports delayed");
  r.mutable_incident()->set_impact_override(v1::Impact::MINOR);
  r.mutable_incident()->set_etag(i.etag());
  *r.mutable_update_mask() = Mask({"title", "impact_override"});
  ASSERT_OK_AND_ASSIGN(v1::Incident u,
                       incidents_.UpdateIncident(r, kNoDeadline));
  EXPECT_EQ(u.title(), "Delta imports delayed");
  EXPECT_EQ(u.impact(), v1::Impact::MINOR);
  EXPECT_EQ(u.impact_override(), v1::Impact::MINOR);
  EXPECT_CODE(incidents_.UpdateIncident(r, kNoDeadline),
              absl::StatusCode::kAborted);
}

TEST_F(IncidentLogicTest, UpdateIncident_UnknownComponent_IsNotFound) {
  v1::Incident i = Open();
  v1::UpdateIncidentRequest r;
  r.mutable_incident()->set_name(i.name());
  r.mutable_incident()->add_components("pages/acme/components/ghost");
  *r.mutable_update_mask() = Mask({"components"});
  EXPECT_CODE(incidents_.UpdateIncident(r, kNoDeadline),
              absl::StatusCode::kNotFound);
}

TEST_F(IncidentLogicTest,
       UpdateIncident_ScheduledTimesOnAnIncident_IsInvalidArgument) {
  v1::Incident i = Open();
  v1::UpdateIncidentRequest r;
  r.mutable_incident()->set_name(i.name());
  *r.mutable_incident()->mutable_scheduled_start_time() = Ts(clock_.Now());
  *r.mutable_update_mask() = Mask({"scheduled_start_time"});
  EXPECT_CODE(incidents_.UpdateIncident(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentLogicTest, Maintenance_StartedEarlyByAPost_StartsThen) {
  ASSERT_OK(incidents_.CreateIncident(
      Maintenance(absl::Hours(1), absl::Hours(2)), kNoDeadline));
  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate u,
      incidents_.PostIncidentUpdate(
          Post("pages/acme/incidents/upgrade", v1::IncidentStatus::IN_PROGRESS),
          kNoDeadline));
  EXPECT_EQ(u.label(), "In progress");
  v1::Incident m = GetIncident("pages/acme/incidents/upgrade");
  EXPECT_EQ(FromTs(m.start_time()), clock_.Now());
  EXPECT_EQ(GetComponent(kDb).status(), v1::ComponentStatus::UNDER_MAINTENANCE);
  EXPECT_EQ(GetComponent(kDb).status_reason(), "Maintenance: Database upgrade");
  // Backwards is refused.
  EXPECT_CODE(incidents_.PostIncidentUpdate(Post("pages/acme/incidents/upgrade",
                                                 v1::IncidentStatus::SCHEDULED),
                                            kNoDeadline),
              absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace incidentd::testing
