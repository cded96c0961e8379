// The events every mutation appends, as a specification: which types, in
// which order, with what actor, resource, incident, components and state;
// consecutive sequences per page; nothing for replays and failures; one
// notification per committed change.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "server/event_encoding.h"
#include "server/executor.h"
#include "server/maintenance_scheduler.h"
#include "tests/unit/server/logic_fixture.h"

namespace incidentd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kIncident[] = "pages/acme/incidents/delta";
constexpr char kApi[] = "pages/acme/components/api";
constexpr char kDb[] = "pages/acme/components/db";
constexpr char kUpgrade[] = "pages/acme/incidents/upgrade";

class LogicEventsTest : public LogicTest {
 protected:
  void SetUp() override {
    MakePage("acme");
    MakeComponent("acme", "api");
    MakeComponent("acme", "db");
    notifier_.Clear();
    mark_ = store_.Events("acme").size();
  }

  // The whole log of a page, decoded, after checking that it is numbered
  // 1, 2, 3... and that each row's columns say what its payload says.
  std::vector<v1::Event> Log(const std::string& page) {
    std::vector<v1::Event> out;
    int64_t expected = 1;
    for (const Event& e : store_.Events(page)) {
      EXPECT_EQ(e.seq, expected++) << "a gap or a reordering";
      absl::StatusOr<v1::Event> api = DecodeEvent(e);
      EXPECT_OK(api);
      if (!api.ok()) continue;
      EXPECT_EQ(api->sequence(), e.seq);
      EXPECT_EQ(api->page(), "pages/" + e.page_id);
      EXPECT_EQ(static_cast<int>(api->type()), static_cast<int>(e.type));
      EXPECT_EQ(FromTs(api->create_time()), e.create_time);
      EXPECT_EQ(api->actor(), e.actor);
      EXPECT_EQ(api->notify(), e.notify);
      EXPECT_EQ(api->resource(), e.resource_name);
      EXPECT_EQ(api->incident(),
                e.incident_id.empty()
                    ? ""
                    : "pages/" + e.page_id + "/incidents/" + e.incident_id);
      EXPECT_EQ(api->components_size(),
                static_cast<int>(e.component_ids.size()))
          << api->DebugString();
      for (size_t k = 0; k < e.component_ids.size() &&
                         k < static_cast<size_t>(api->components_size());
           ++k) {
        EXPECT_EQ(api->components(k),
                  "pages/" + e.page_id + "/components/" + e.component_ids[k]);
      }
      out.push_back(*std::move(api));
    }
    return out;
  }

  // What was appended to acme since SetUp or the last call (the test's
  // step), and starts a new step; notifications are cleared too.
  std::vector<v1::Event> Step() {
    std::vector<v1::Event> log = Log("acme");
    std::vector<v1::Event> step(log.begin() + mark_, log.end());
    mark_ = log.size();
    return step;
  }
  void NextStep() {
    Step();
    notifier_.Clear();
  }

  static std::vector<v1::Event::Type> Types(
      const std::vector<v1::Event>& events) {
    std::vector<v1::Event::Type> out;
    for (const v1::Event& e : events) out.push_back(e.type());
    return out;
  }

  static std::vector<std::string> Components(const v1::Event& e) {
    return {e.components().begin(), e.components().end()};
  }

  v1::Incident Open(const std::string& request_id = "") {
    v1::CreateIncidentRequest r = IncidentRequest("acme", "delta", "api");
    r.mutable_first_update()->set_author("Tech Ops");
    r.set_request_id(request_id);
    absl::StatusOr<v1::Incident> i = incidents_.CreateIncident(r, kNoDeadline);
    EXPECT_OK(i);
    return i.value_or(v1::Incident());
  }

  v1::CreateIncidentRequest Maintenance(const std::string& page,
                                        const std::string& component) {
    v1::CreateIncidentRequest r;
    r.set_parent("pages/" + page);
    r.set_incident_id("upgrade");
    r.mutable_incident()->set_title("Database upgrade");
    r.mutable_incident()->set_kind(v1::Incident::MAINTENANCE);
    r.mutable_incident()->add_components("pages/" + page + "/components/" +
                                         component);
    *r.mutable_incident()->mutable_scheduled_start_time() =
        Ts(clock_.Now() + absl::Hours(1));
    *r.mutable_incident()->mutable_scheduled_end_time() =
        Ts(clock_.Now() + absl::Hours(2));
    r.mutable_first_update()->set_body("We will upgrade the database.");
    return r;
  }

  v1::IncidentUpdate PostOk(v1::PostIncidentUpdateRequest r) {
    absl::StatusOr<v1::IncidentUpdate> u =
        incidents_.PostIncidentUpdate(r, kNoDeadline);
    EXPECT_OK(u);
    return u.value_or(v1::IncidentUpdate());
  }

  size_t mark_ = 0;
};

// --- Pages ------------------------------------------------------------------

TEST_F(LogicEventsTest, CreatePage_AppendsPageCreatedAsItsFirstEvent) {
  MakePage("beta");
  std::vector<v1::Event> log = Log("beta");
  ASSERT_THAT(Types(log), ElementsAre(v1::Event::PAGE_CREATED));
  EXPECT_EQ(log[0].sequence(), 1);
  EXPECT_EQ(log[0].resource(), "pages/beta");
  EXPECT_EQ(log[0].page_state().display_name(), "Page beta");
  EXPECT_EQ(FromTs(log[0].create_time()), clock_.Now());
  EXPECT_EQ(log[0].actor(), "");
  EXPECT_THAT(notifier_.pages(), ElementsAre("beta"));
}

TEST_F(LogicEventsTest, CreatePage_ReplayedRequestId_AppendsNothing) {
  v1::CreatePageRequest r;
  r.set_page_id("beta");
  r.mutable_page()->set_display_name("Beta");
  r.set_request_id("req-1");
  ASSERT_OK(pages_.CreatePage(r, kNoDeadline));
  notifier_.Clear();
  ASSERT_OK(pages_.CreatePage(r, kNoDeadline));
  EXPECT_EQ(Log("beta").size(), 1u);
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(LogicEventsTest, CreatePage_Invalid_AppendsNothing) {
  v1::CreatePageRequest r;
  r.set_page_id("beta");  // no display name
  EXPECT_CODE(pages_.CreatePage(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
  r.set_page_id("acme");  // taken
  r.mutable_page()->set_display_name("Acme again");
  EXPECT_CODE(pages_.CreatePage(r, kNoDeadline),
              absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_TRUE(store_.Events("beta").empty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(LogicEventsTest, UpdatePage_AppendsPageUpdatedWithThePageAfter) {
  clock_.Advance(absl::Minutes(1));
  v1::UpdatePageRequest r;
  r.mutable_page()->set_name("pages/acme");
  r.mutable_page()->set_display_name("Acme Inc.");
  *r.mutable_update_mask() = Mask({"display_name"});
  ASSERT_OK_AND_ASSIGN(v1::Page page, pages_.UpdatePage(r, kNoDeadline));
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::PAGE_UPDATED));
  EXPECT_EQ(step[0].page_state().display_name(), "Acme Inc.");
  EXPECT_EQ(step[0].page_state().etag(), page.etag());
  EXPECT_EQ(FromTs(step[0].create_time()), clock_.Now());
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme"));
}

TEST_F(LogicEventsTest, UpdatePage_StaleEtag_AppendsNothing) {
  v1::UpdatePageRequest r;
  r.mutable_page()->set_name("pages/acme");
  r.mutable_page()->set_display_name("Acme Inc.");
  r.mutable_page()->set_etag("v99");
  *r.mutable_update_mask() = Mask({"display_name"});
  EXPECT_CODE(pages_.UpdatePage(r, kNoDeadline), absl::StatusCode::kAborted);
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(LogicEventsTest, DeletePage_DeletesItsLog) {
  MakePage("beta");
  ASSERT_FALSE(store_.Events("beta").empty());
  v1::DeletePageRequest r;
  r.set_name("pages/beta");
  ASSERT_OK(pages_.DeletePage(r, kNoDeadline));
  EXPECT_TRUE(store_.Events("beta").empty());
  EXPECT_EQ(store_.Snapshot().last_event_seq.count("beta"), 0u);
}

// --- Components and groups --------------------------------------------------

TEST_F(LogicEventsTest, CreateComponent_AppendsComponentCreated) {
  MakeComponent("acme", "web");
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::COMPONENT_CREATED));
  EXPECT_EQ(step[0].resource(), "pages/acme/components/web");
  EXPECT_THAT(Components(step[0]), ElementsAre("pages/acme/components/web"));
  EXPECT_EQ(step[0].incident(), "");
  EXPECT_EQ(step[0].component().display_name(), "Component web");
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme"));
}

TEST_F(LogicEventsTest, CreateComponent_ReplayedRequestId_AppendsNothing) {
  v1::CreateComponentRequest r;
  r.set_parent("pages/acme");
  r.set_component_id("web");
  r.mutable_component()->set_display_name("Web");
  r.set_request_id("req-1");
  ASSERT_OK(components_.CreateComponent(r, kNoDeadline));
  NextStep();
  ASSERT_OK(components_.CreateComponent(r, kNoDeadline));
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(LogicEventsTest, UpdateComponent_AppendsComponentUpdated) {
  v1::UpdateComponentRequest r;
  r.mutable_component()->set_name(kApi);
  r.mutable_component()->set_description("The public API");
  *r.mutable_update_mask() = Mask({"description"});
  ASSERT_OK(components_.UpdateComponent(r, kNoDeadline));
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::COMPONENT_UPDATED));
  EXPECT_EQ(step[0].component().description(), "The public API");
  EXPECT_THAT(Components(step[0]), ElementsAre(kApi));
}

TEST_F(LogicEventsTest, SetComponentStatus_AppendsComponentStatusChanged) {
  clock_.Advance(absl::Seconds(30));
  v1::SetComponentStatusRequest r;
  r.set_name(kApi);
  r.set_status(v1::ComponentStatus::DEGRADED_PERFORMANCE);
  r.set_reason("Slow responses");
  ASSERT_OK(components_.SetComponentStatus(r, kNoDeadline));
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::COMPONENT_STATUS_CHANGED));
  EXPECT_EQ(step[0].component().status(),
            v1::ComponentStatus::DEGRADED_PERFORMANCE);
  EXPECT_EQ(step[0].component().status_reason(), "Slow responses");
  EXPECT_EQ(step[0].incident(), "");  // set directly, not by an incident
  EXPECT_EQ(step[0].actor(), "");
  EXPECT_EQ(FromTs(step[0].create_time()), clock_.Now());
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme"));
}

TEST_F(LogicEventsTest, SetComponentStatus_WithoutReason_AppendsNothing) {
  v1::SetComponentStatusRequest r;
  r.set_name(kApi);
  r.set_status(v1::ComponentStatus::MAJOR_OUTAGE);
  EXPECT_CODE(components_.SetComponentStatus(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(LogicEventsTest, DeleteComponent_AppendsComponentDeletedWithoutState) {
  v1::DeleteComponentRequest r;
  r.set_name(kDb);
  ASSERT_OK(components_.DeleteComponent(r, kNoDeadline));
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::COMPONENT_DELETED));
  EXPECT_EQ(step[0].resource(), kDb);
  EXPECT_THAT(Components(step[0]), ElementsAre(kDb));
  EXPECT_EQ(step[0].state_case(), v1::Event::STATE_NOT_SET);
}

TEST_F(LogicEventsTest, DeleteComponent_InAnOpenIncident_AppendsNothing) {
  Open();
  NextStep();
  v1::DeleteComponentRequest r;
  r.set_name(kApi);
  EXPECT_CODE(components_.DeleteComponent(r, kNoDeadline),
              absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(LogicEventsTest, Groups_CreateUpdateDelete_AppendTheirEventsInOrder) {
  v1::CreateComponentGroupRequest create;
  create.set_parent("pages/acme");
  create.set_group_id("jira");
  create.mutable_group()->set_display_name("Jira Cloud");
  create.set_request_id("req-g");
  ASSERT_OK(components_.CreateComponentGroup(create, kNoDeadline));
  ASSERT_OK(components_.CreateComponentGroup(create, kNoDeadline));  // replay
  v1::UpdateComponentGroupRequest update;
  update.mutable_group()->set_name("pages/acme/componentGroups/jira");
  update.mutable_group()->set_position(3);
  *update.mutable_update_mask() = Mask({"position"});
  ASSERT_OK(components_.UpdateComponentGroup(update, kNoDeadline));
  v1::DeleteComponentGroupRequest del;
  del.set_name("pages/acme/componentGroups/jira");
  ASSERT_OK(components_.DeleteComponentGroup(del, kNoDeadline));

  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::COMPONENT_GROUP_CREATED,
                                       v1::Event::COMPONENT_GROUP_UPDATED,
                                       v1::Event::COMPONENT_GROUP_DELETED));
  for (const v1::Event& e : step) {
    EXPECT_EQ(e.resource(), "pages/acme/componentGroups/jira");
    EXPECT_THAT(Components(e), IsEmpty());
  }
  EXPECT_EQ(step[0].component_group().display_name(), "Jira Cloud");
  EXPECT_EQ(step[1].component_group().position(), 3);
  EXPECT_EQ(step[2].state_case(), v1::Event::STATE_NOT_SET);
  // Three changes, three notifications; the replay none.
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme", "acme", "acme"));
}

// --- Incidents --------------------------------------------------------------

TEST_F(LogicEventsTest,
       CreateIncident_AppendsCreatedThenFirstUpdateThenComponentStatus) {
  clock_.Advance(absl::Minutes(5));
  v1::Incident incident = Open();
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::INCIDENT_CREATED,
                                       v1::Event::INCIDENT_UPDATE_POSTED,
                                       v1::Event::COMPONENT_STATUS_CHANGED));
  for (const v1::Event& e : step) {
    EXPECT_EQ(e.actor(), "Tech Ops");  // the first update's author
    EXPECT_EQ(FromTs(e.create_time()), clock_.Now());
    EXPECT_EQ(e.incident(), kIncident);
  }
  EXPECT_EQ(step[0].resource(), kIncident);
  EXPECT_THAT(Components(step[0]), ElementsAre(kApi));
  EXPECT_EQ(step[0].incident_state().status(),
            v1::IncidentStatus::INVESTIGATING);
  EXPECT_EQ(step[0].incident_state().etag(), incident.etag());
  EXPECT_EQ(step[1].resource(), step[1].incident_update().name());
  EXPECT_EQ(step[1].incident_update().body(), "We are investigating.");
  EXPECT_THAT(Components(step[1]), ElementsAre(kApi));
  EXPECT_EQ(step[2].resource(), kApi);
  EXPECT_THAT(Components(step[2]), ElementsAre(kApi));
  EXPECT_EQ(step[2].component().status(), v1::ComponentStatus::PARTIAL_OUTAGE);
  // One change, one notification.
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme"));
}

TEST_F(LogicEventsTest, CreateIncident_ReplayedRequestId_AppendsNothing) {
  Open("req-1");
  NextStep();
  Open("req-1");
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(LogicEventsTest, CreateIncident_UnknownComponent_AppendsNothing) {
  EXPECT_CODE(incidents_.CreateIncident(
                  IncidentRequest("acme", "delta", "nope"), kNoDeadline),
              absl::StatusCode::kNotFound);
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(LogicEventsTest, CreateIncident_AlreadyResolved_AlsoAppendsResolved) {
  // Backfilling a past incident in one call.
  v1::CreateIncidentRequest r = IncidentRequest("acme", "delta", "");
  r.mutable_first_update()->set_status(v1::IncidentStatus::RESOLVED);
  ASSERT_OK(incidents_.CreateIncident(r, kNoDeadline));
  EXPECT_THAT(Types(Step()), ElementsAre(v1::Event::INCIDENT_CREATED,
                                         v1::Event::INCIDENT_RESOLVED,
                                         v1::Event::INCIDENT_UPDATE_POSTED));
}

TEST_F(LogicEventsTest,
       PostUpdate_KeepingImpactAndComponents_AppendsOnlyThePost) {
  Open();
  NextStep();
  clock_.Advance(absl::Minutes(10));
  v1::PostIncidentUpdateRequest r =
      Post(kIncident, v1::IncidentStatus::IDENTIFIED, "Found it.");
  r.mutable_update()->set_author("Alice");
  v1::IncidentUpdate u = PostOk(r);
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::INCIDENT_UPDATE_POSTED));
  EXPECT_EQ(step[0].resource(), u.name());
  EXPECT_EQ(step[0].actor(), "Alice");
  EXPECT_EQ(step[0].incident_update().resulting_status(),
            v1::IncidentStatus::IDENTIFIED);
  EXPECT_THAT(Components(step[0]), ElementsAre(kApi));
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme"));
}

TEST_F(LogicEventsTest,
       PostUpdate_ChangingImpactAndComponents_AppendsIncidentUpdatedFirst) {
  Open();
  NextStep();
  v1::PostIncidentUpdateRequest r = Post(
      kIncident, v1::IncidentStatus::VALUE_UNSPECIFIED, "The database too.");
  v1::ComponentChange* change = r.mutable_update()->add_component_changes();
  change->set_component(kDb);
  change->set_status(v1::ComponentStatus::MAJOR_OUTAGE);
  PostOk(r);
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::INCIDENT_UPDATED,
                                       v1::Event::INCIDENT_UPDATE_POSTED,
                                       v1::Event::COMPONENT_STATUS_CHANGED));
  EXPECT_EQ(step[0].incident_state().impact(), v1::Impact::CRITICAL);
  EXPECT_THAT(step[0].incident_state().components(), ElementsAre(kApi, kDb));
  // Incident events name the affected components as they are after it.
  EXPECT_THAT(Components(step[0]), ElementsAre(kApi, kDb));
  EXPECT_THAT(Components(step[1]), ElementsAre(kApi, kDb));
  EXPECT_EQ(step[2].resource(), kDb);
  EXPECT_EQ(step[2].incident(), kIncident);
  EXPECT_EQ(step[2].component().status(), v1::ComponentStatus::MAJOR_OUTAGE);
}

TEST_F(LogicEventsTest,
       PostUpdate_Resolving_AppendsResolvedThenPostThenEachComponent) {
  Open();
  NextStep();
  // Two affected components, both back to operational, in timeline order.
  v1::PostIncidentUpdateRequest degrade =
      Post(kIncident, v1::IncidentStatus::VALUE_UNSPECIFIED);
  v1::ComponentChange* change =
      degrade.mutable_update()->add_component_changes();
  change->set_component(kDb);
  change->set_status(v1::ComponentStatus::DEGRADED_PERFORMANCE);
  PostOk(degrade);
  NextStep();

  PostOk(Post(kIncident, v1::IncidentStatus::RESOLVED, "Fixed."));
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::INCIDENT_RESOLVED,
                                       v1::Event::INCIDENT_UPDATE_POSTED,
                                       v1::Event::COMPONENT_STATUS_CHANGED,
                                       v1::Event::COMPONENT_STATUS_CHANGED));
  EXPECT_EQ(step[0].incident_state().status(), v1::IncidentStatus::RESOLVED);
  EXPECT_EQ(step[2].resource(), kApi);
  EXPECT_EQ(step[3].resource(), kDb);
  EXPECT_EQ(step[2].component().status(), v1::ComponentStatus::OPERATIONAL);
  EXPECT_EQ(step[3].component().status(), v1::ComponentStatus::OPERATIONAL);
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme"));
}

TEST_F(LogicEventsTest, PostUpdate_Reopening_AppendsReopened) {
  Open();
  PostOk(Post(kIncident, v1::IncidentStatus::RESOLVED));
  NextStep();
  v1::PostIncidentUpdateRequest r =
      Post(kIncident, v1::IncidentStatus::INVESTIGATING, "It is back.");
  r.set_reopen(true);
  PostOk(r);
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::INCIDENT_REOPENED,
                                       v1::Event::INCIDENT_UPDATE_POSTED));
  EXPECT_EQ(step[0].incident_state().status(),
            v1::IncidentStatus::INVESTIGATING);
}

TEST_F(LogicEventsTest, PostUpdate_RefusedOrStale_AppendsNothing) {
  v1::Incident incident = Open();
  PostOk(Post(kIncident, v1::IncidentStatus::RESOLVED));
  NextStep();
  // Resolved, and no reopen.
  EXPECT_CODE(incidents_.PostIncidentUpdate(
                  Post(kIncident, v1::IncidentStatus::IDENTIFIED), kNoDeadline),
              absl::StatusCode::kFailedPrecondition);
  // A stale etag.
  v1::PostIncidentUpdateRequest stale =
      Post(kIncident, v1::IncidentStatus::VALUE_UNSPECIFIED);
  stale.set_etag(incident.etag());
  EXPECT_CODE(incidents_.PostIncidentUpdate(stale, kNoDeadline),
              absl::StatusCode::kAborted);
  // Invalid input.
  EXPECT_CODE(incidents_.PostIncidentUpdate(
                  Post(kIncident, v1::IncidentStatus::VALUE_UNSPECIFIED, ""),
                  kNoDeadline),
              absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(LogicEventsTest, PostUpdate_ReplayedRequestId_AppendsNothing) {
  Open();
  v1::PostIncidentUpdateRequest r =
      Post(kIncident, v1::IncidentStatus::IDENTIFIED);
  r.set_request_id("post-1");
  PostOk(r);
  NextStep();
  PostOk(r);
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(LogicEventsTest, UpdateIncident_AppendsIncidentUpdated) {
  Open();
  NextStep();
  v1::UpdateIncidentRequest r;
  r.mutable_incident()->set_name(kIncident);
  r.mutable_incident()->set_title("Delays in delta processing");
  r.mutable_incident()->add_components(kApi);
  r.mutable_incident()->add_components(kDb);
  *r.mutable_update_mask() = Mask({"title", "components"});
  ASSERT_OK(incidents_.UpdateIncident(r, kNoDeadline));
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::INCIDENT_UPDATED));
  EXPECT_EQ(step[0].incident_state().title(), "Delays in delta processing");
  EXPECT_THAT(Components(step[0]), ElementsAre(kApi, kDb));
  EXPECT_EQ(step[0].actor(), "");
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme"));
}

TEST_F(LogicEventsTest, EditIncidentUpdate_Body_AppendsEditedByTheEditor) {
  Open();
  v1::IncidentUpdate u =
      PostOk(Post(kIncident, v1::IncidentStatus::IDENTIFIED, "Typo"));
  NextStep();
  clock_.Advance(absl::Minutes(1));
  v1::EditIncidentUpdateRequest r;
  r.mutable_update()->set_name(u.name());
  r.mutable_update()->set_body("Fixed");
  *r.mutable_update_mask() = Mask({"body"});
  r.set_editor("alice");
  ASSERT_OK(incidents_.EditIncidentUpdate(r, kNoDeadline));
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::INCIDENT_UPDATE_EDITED));
  EXPECT_EQ(step[0].actor(), "alice");
  EXPECT_EQ(step[0].resource(), u.name());
  EXPECT_EQ(step[0].incident_update().body(), "Fixed");
  EXPECT_EQ(step[0].incident_update().previous_versions(0).body(), "Typo");
  EXPECT_EQ(FromTs(step[0].create_time()), clock_.Now());
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme"));
}

TEST_F(LogicEventsTest,
       EditIncidentUpdate_MovingTheIncidentsTimes_AppendsIncidentUpdatedFirst) {
  Open();
  clock_.Advance(absl::Hours(3));
  v1::IncidentUpdate resolved =
      PostOk(Post(kIncident, v1::IncidentStatus::RESOLVED));
  NextStep();
  v1::EditIncidentUpdateRequest r;
  r.mutable_update()->set_name(resolved.name());
  const absl::Time earlier = clock_.Now() - absl::Hours(1);
  *r.mutable_update()->mutable_display_time() = Ts(earlier);
  *r.mutable_update_mask() = Mask({"display_time"});
  r.set_editor("bob");
  ASSERT_OK(incidents_.EditIncidentUpdate(r, kNoDeadline));
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::INCIDENT_UPDATED,
                                       v1::Event::INCIDENT_UPDATE_EDITED));
  EXPECT_EQ(FromTs(step[0].incident_state().resolve_time()), earlier);
  EXPECT_EQ(step[0].actor(), "bob");
  EXPECT_EQ(FromTs(step[1].incident_update().display_time()), earlier);
}

TEST_F(LogicEventsTest, EditIncidentUpdate_StaleEtag_AppendsNothing) {
  Open();
  v1::IncidentUpdate u =
      PostOk(Post(kIncident, v1::IncidentStatus::IDENTIFIED));
  NextStep();
  v1::EditIncidentUpdateRequest r;
  r.mutable_update()->set_name(u.name());
  r.mutable_update()->set_body("Fixed");
  r.mutable_update()->set_etag("v7");
  *r.mutable_update_mask() = Mask({"body"});
  EXPECT_CODE(incidents_.EditIncidentUpdate(r, kNoDeadline),
              absl::StatusCode::kAborted);
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

// --- Maintenance ------------------------------------------------------------

TEST_F(LogicEventsTest, Maintenance_PostedLifecycle_AppendsItsEvents) {
  ASSERT_OK(incidents_.CreateIncident(Maintenance("acme", "db"), kNoDeadline));
  EXPECT_THAT(Types(Step()), ElementsAre(v1::Event::MAINTENANCE_SCHEDULED,
                                         v1::Event::INCIDENT_UPDATE_POSTED));
  PostOk(Post(kUpgrade, v1::IncidentStatus::IN_PROGRESS));
  std::vector<v1::Event> started = Step();
  ASSERT_THAT(Types(started), ElementsAre(v1::Event::MAINTENANCE_STARTED,
                                          v1::Event::INCIDENT_UPDATE_POSTED,
                                          v1::Event::COMPONENT_STATUS_CHANGED));
  EXPECT_EQ(started[2].component().status(),
            v1::ComponentStatus::UNDER_MAINTENANCE);
  PostOk(Post(kUpgrade, v1::IncidentStatus::VERIFYING));
  EXPECT_THAT(Types(Step()), ElementsAre(v1::Event::INCIDENT_UPDATE_POSTED));
  PostOk(Post(kUpgrade, v1::IncidentStatus::COMPLETED));
  std::vector<v1::Event> completed = Step();
  ASSERT_THAT(Types(completed),
              ElementsAre(v1::Event::MAINTENANCE_COMPLETED,
                          v1::Event::INCIDENT_UPDATE_POSTED,
                          v1::Event::COMPONENT_STATUS_CHANGED));
  EXPECT_EQ(completed[2].component().status(),
            v1::ComponentStatus::OPERATIONAL);
}

TEST_F(LogicEventsTest, Maintenance_Cancelled_AppendsCancelled) {
  ASSERT_OK(incidents_.CreateIncident(Maintenance("acme", "db"), kNoDeadline));
  NextStep();
  PostOk(Post(kUpgrade, v1::IncidentStatus::CANCELLED));
  std::vector<v1::Event> step = Step();
  ASSERT_GE(step.size(), 2u);
  EXPECT_EQ(step[0].type(), v1::Event::MAINTENANCE_CANCELLED);
  EXPECT_EQ(step[0].incident_state().status(), v1::IncidentStatus::CANCELLED);
  EXPECT_EQ(step[1].type(), v1::Event::INCIDENT_UPDATE_POSTED);
}

class SchedulerEventsTest : public LogicEventsTest {
 protected:
  Executor executor_{1, 1, clock_};
  MaintenanceScheduler scheduler_{store_, incidents_,       executor_,
                                  clock_, absl::Seconds(5), absl::Seconds(5)};
};

TEST_F(SchedulerEventsTest,
       AutomaticStart_AppendsStartedPostAndComponent_ByIncidentd) {
  ASSERT_OK(incidents_.CreateIncident(Maintenance("acme", "db"), kNoDeadline));
  NextStep();
  clock_.Advance(absl::Hours(1) + absl::Seconds(3));
  ASSERT_OK_AND_ASSIGN(int moved, scheduler_.RunOnce(kNoDeadline));
  ASSERT_EQ(moved, 1);
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::MAINTENANCE_STARTED,
                                       v1::Event::INCIDENT_UPDATE_POSTED,
                                       v1::Event::COMPONENT_STATUS_CHANGED));
  for (const v1::Event& e : step) {
    EXPECT_EQ(e.actor(), "incidentd");
    EXPECT_EQ(FromTs(e.create_time()), clock_.Now());
  }
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme"));

  // Nothing due: no events, nobody told.
  NextStep();
  ASSERT_OK_AND_ASSIGN(moved, scheduler_.RunOnce(kNoDeadline));
  EXPECT_EQ(moved, 0);
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(SchedulerEventsTest,
       OnePassOverTwoPages_EachPagesLogStaysGapFree_EachPageToldOnce) {
  MakePage("beta");
  MakeComponent("beta", "db");
  ASSERT_OK(incidents_.CreateIncident(Maintenance("acme", "db"), kNoDeadline));
  ASSERT_OK(incidents_.CreateIncident(Maintenance("beta", "db"), kNoDeadline));
  const size_t acme_before = Log("acme").size();
  const size_t beta_before = Log("beta").size();
  notifier_.Clear();
  clock_.Advance(absl::Hours(3));  // both due to complete at once
  ASSERT_OK_AND_ASSIGN(int moved, scheduler_.RunOnce(kNoDeadline));
  ASSERT_EQ(moved, 2);
  for (const auto& [page, before] :
       {std::make_pair(std::string("acme"), acme_before),
        std::make_pair(std::string("beta"), beta_before)}) {
    std::vector<v1::Event> log = Log(page);  // checks 1, 2, 3...
    std::vector<v1::Event> step(log.begin() + before, log.end());
    ASSERT_FALSE(step.empty()) << page;
    EXPECT_EQ(step[0].type(), v1::Event::MAINTENANCE_COMPLETED) << page;
    for (const v1::Event& e : step) EXPECT_EQ(e.page(), "pages/" + page);
  }
  EXPECT_THAT(notifier_.pages(), UnorderedElementsAre("acme", "beta"));
}

// --- Postmortems and corrective actions --------------------------------------

class PostmortemEventsTest : public LogicEventsTest {
 protected:
  void SetUp() override {
    LogicEventsTest::SetUp();
    Open();
    NextStep();
  }
  v1::UpdatePostmortemRequest Write(const std::string& root_cause) {
    v1::UpdatePostmortemRequest r;
    r.mutable_postmortem()->set_name(std::string(kIncident) + "/postmortem");
    v1::PostmortemSection* s = r.mutable_postmortem()->add_sections();
    s->set_heading("Root cause");
    s->set_body(root_cause);
    r.mutable_postmortem()->set_author("SRE");
    return r;
  }
};

TEST_F(PostmortemEventsTest, Postmortem_WritePublishUnpublish_AppendEach) {
  ASSERT_OK(postmortems_.UpdatePostmortem(Write("A bug."), kNoDeadline));
  ASSERT_OK(postmortems_.UpdatePostmortem(Write("A bug."), kNoDeadline));
  ASSERT_OK(postmortems_.UpdatePostmortem(Write("A race."), kNoDeadline));
  v1::PublishPostmortemRequest publish;
  publish.set_name(std::string(kIncident) + "/postmortem");
  ASSERT_OK(postmortems_.PublishPostmortem(publish, kNoDeadline));
  v1::UnpublishPostmortemRequest unpublish;
  unpublish.set_name(publish.name());
  ASSERT_OK(postmortems_.UnpublishPostmortem(unpublish, kNoDeadline));

  std::vector<v1::Event> step = Step();
  // The unchanged rewrite changed nothing, so appended nothing.
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::POSTMORTEM_UPDATED,
                                       v1::Event::POSTMORTEM_UPDATED,
                                       v1::Event::POSTMORTEM_PUBLISHED,
                                       v1::Event::POSTMORTEM_UNPUBLISHED));
  for (const v1::Event& e : step) {
    EXPECT_EQ(e.resource(), publish.name());
    EXPECT_EQ(e.incident(), kIncident);
    EXPECT_THAT(Components(e), ElementsAre(kApi));
  }
  EXPECT_EQ(step[0].actor(), "SRE");
  EXPECT_EQ(step[0].postmortem().revision(), 1);
  EXPECT_EQ(step[1].postmortem().revision(), 2);
  EXPECT_EQ(step[2].postmortem().state(), v1::Postmortem::PUBLISHED);
  EXPECT_EQ(step[2].actor(), "");
  EXPECT_EQ(step[3].postmortem().state(), v1::Postmortem::DRAFT);
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme", "acme", "acme", "acme"));
}

TEST_F(PostmortemEventsTest, PublishPostmortem_Refused_AppendsNothing) {
  v1::PublishPostmortemRequest publish;
  publish.set_name(std::string(kIncident) + "/postmortem");
  EXPECT_CODE(postmortems_.PublishPostmortem(publish, kNoDeadline),
              absl::StatusCode::kNotFound);
  ASSERT_OK(postmortems_.UpdatePostmortem(Write(""), kNoDeadline));
  NextStep();
  EXPECT_CODE(postmortems_.PublishPostmortem(publish, kNoDeadline),
              absl::StatusCode::kFailedPrecondition);  // empty
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(PostmortemEventsTest, CorrectiveActions_CreateReplayUpdate_AppendEach) {
  v1::CreateCorrectiveActionRequest create;
  create.set_parent(kIncident);
  create.set_corrective_action_id("alerts");
  create.mutable_corrective_action()->set_description("Alert on lag");
  create.mutable_corrective_action()->set_owner("SRE");
  create.set_request_id("ca-1");
  ASSERT_OK(postmortems_.CreateCorrectiveAction(create, kNoDeadline));
  ASSERT_OK(postmortems_.CreateCorrectiveAction(create, kNoDeadline));
  v1::UpdateCorrectiveActionRequest update;
  update.mutable_corrective_action()->set_name(std::string(kIncident) +
                                               "/correctiveActions/alerts");
  update.mutable_corrective_action()->set_state(v1::CorrectiveAction::DONE);
  *update.mutable_update_mask() = Mask({"state"});
  ASSERT_OK(postmortems_.UpdateCorrectiveAction(update, kNoDeadline));

  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::CORRECTIVE_ACTION_CREATED,
                                       v1::Event::CORRECTIVE_ACTION_UPDATED));
  for (const v1::Event& e : step) {
    EXPECT_EQ(e.resource(), update.corrective_action().name());
    EXPECT_EQ(e.incident(), kIncident);
    EXPECT_THAT(Components(e), ElementsAre(kApi));
    EXPECT_EQ(e.actor(), "");  // the owner follows it up; nobody acted
  }
  EXPECT_EQ(step[0].corrective_action().state(), v1::CorrectiveAction::OPEN);
  EXPECT_EQ(step[1].corrective_action().state(), v1::CorrectiveAction::DONE);
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme", "acme"));
}

// --- The log as a whole
// -------------------------------------------------------

TEST_F(LogicEventsTest, AppendFails_TheChangeIsNotMadeAndNobodyIsTold) {
  store_.SetAppendError(absl::UnavailableError("connection lost"));
  v1::SetComponentStatusRequest r;
  r.set_name(kApi);
  r.set_status(v1::ComponentStatus::MAJOR_OUTAGE);
  r.set_reason("Down");
  EXPECT_CODE(components_.SetComponentStatus(r, kNoDeadline),
              absl::StatusCode::kUnavailable);
  store_.SetAppendError(absl::OkStatus());
  EXPECT_EQ(GetComponent(kApi).status(), v1::ComponentStatus::OPERATIONAL);
  EXPECT_THAT(Step(), IsEmpty());
  EXPECT_THAT(notifier_.pages(), IsEmpty());
}

TEST_F(LogicEventsTest,
       ManyChangesOnTwoPages_EachPageNumberedFromOneWithoutGaps) {
  MakePage("beta");
  MakeComponent("beta", "web");
  Open();
  for (int k = 0; k < 5; ++k) {
    PostOk(Post(kIncident, v1::IncidentStatus::VALUE_UNSPECIFIED));
    v1::SetComponentStatusRequest r;
    r.set_name("pages/beta/components/web");
    r.set_status(k % 2 == 0 ? v1::ComponentStatus::DEGRADED_PERFORMANCE
                            : v1::ComponentStatus::OPERATIONAL);
    r.set_reason("Flapping");
    ASSERT_OK(components_.SetComponentStatus(r, kNoDeadline));
    // A refused change in between leaves no hole.
    r.set_etag("v999");
    EXPECT_CODE(components_.SetComponentStatus(r, kNoDeadline),
                absl::StatusCode::kAborted);
  }
  // Log() checks the numbering of each page.
  std::vector<v1::Event> acme = Log("acme");
  std::vector<v1::Event> beta = Log("beta");
  EXPECT_EQ(acme.back().sequence(), static_cast<int64_t>(acme.size()));
  EXPECT_EQ(beta.back().sequence(), static_cast<int64_t>(beta.size()));
  // beta: created, its component, 5 status changes.
  EXPECT_EQ(beta.size(), 7u);
}

// --- Which events notify subscribers -----------------------------------------

// The types of the step's events that carry `notify`.
std::vector<v1::Event::Type> Notifying(const std::vector<v1::Event>& events) {
  std::vector<v1::Event::Type> out;
  for (const v1::Event& e : events) {
    if (e.notify()) out.push_back(e.type());
  }
  return out;
}

TEST_F(LogicEventsTest, Notify_CreatingAnIncident_ItsFirstPostCarriesIt) {
  Open();
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ::testing::Contains(v1::Event::INCIDENT_CREATED));
  EXPECT_THAT(Notifying(step), ElementsAre(v1::Event::INCIDENT_UPDATE_POSTED));
}

TEST_F(LogicEventsTest, Notify_PostFollowsItsFlag_ButStateChangesAlwaysNotify) {
  Open();
  NextStep();
  v1::PostIncidentUpdateRequest quiet =
      Post(kIncident, v1::IncidentStatus::IDENTIFIED);
  quiet.mutable_update()->set_notify(false);
  PostOk(quiet);
  EXPECT_THAT(Notifying(Step()), IsEmpty());

  v1::PostIncidentUpdateRequest loud =
      Post(kIncident, v1::IncidentStatus::VALUE_UNSPECIFIED);
  loud.mutable_update()->set_notify(true);
  PostOk(loud);
  EXPECT_THAT(Notifying(Step()), ElementsAre(v1::Event::INCIDENT_UPDATE_POSTED));

  v1::PostIncidentUpdateRequest resolve =
      Post(kIncident, v1::IncidentStatus::RESOLVED);
  resolve.mutable_update()->set_notify(false);
  PostOk(resolve);
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ::testing::Contains(v1::Event::INCIDENT_RESOLVED));
  // One notification for the change, on the post (it has the text).
  EXPECT_THAT(Notifying(step), ElementsAre(v1::Event::INCIDENT_UPDATE_POSTED));

  v1::PostIncidentUpdateRequest reopen =
      Post(kIncident, v1::IncidentStatus::INVESTIGATING);
  reopen.set_reopen(true);
  PostOk(reopen);
  step = Step();
  ASSERT_THAT(Types(step), ::testing::Contains(v1::Event::INCIDENT_REOPENED));
  EXPECT_THAT(Notifying(step), ElementsAre(v1::Event::INCIDENT_UPDATE_POSTED));
}

TEST_F(LogicEventsTest, Notify_ComponentStatusByHand_OnlyWhenTheStatusChanges) {
  v1::SetComponentStatusRequest r;
  r.set_name(kApi);
  r.set_status(v1::ComponentStatus::MAJOR_OUTAGE);
  r.set_reason("Failover");
  ASSERT_OK(components_.SetComponentStatus(r, kNoDeadline));
  EXPECT_THAT(Notifying(Step()),
              ElementsAre(v1::Event::COMPONENT_STATUS_CHANGED));
  r.set_reason("Failover, still");  // same status, new reason
  ASSERT_OK(components_.SetComponentStatus(r, kNoDeadline));
  std::vector<v1::Event> step = Step();
  EXPECT_THAT(Types(step), ElementsAre(v1::Event::COMPONENT_STATUS_CHANGED));
  EXPECT_THAT(Notifying(step), IsEmpty());
}

TEST_F(LogicEventsTest, Notify_EditsAndIncidentFieldChanges_DoNot) {
  Open();
  NextStep();
  v1::UpdateIncidentRequest r;
  r.mutable_incident()->set_name(kIncident);
  r.mutable_incident()->set_title("Delta processing delayed");
  *r.mutable_update_mask() = Mask({"title"});
  ASSERT_OK(incidents_.UpdateIncident(r, kNoDeadline));
  std::vector<v1::Event> step = Step();
  EXPECT_THAT(Types(step), ElementsAre(v1::Event::INCIDENT_UPDATED));
  EXPECT_THAT(Notifying(step), IsEmpty());
}

TEST_F(LogicEventsTest, Notify_MaintenanceScheduledAndItsMoves) {
  ASSERT_OK(incidents_.CreateIncident(Maintenance("acme", "db"), kNoDeadline));
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ::testing::Contains(v1::Event::MAINTENANCE_SCHEDULED));
  EXPECT_THAT(Notifying(step), ElementsAre(v1::Event::INCIDENT_UPDATE_POSTED));
  v1::PostIncidentUpdateRequest start =
      Post(kUpgrade, v1::IncidentStatus::IN_PROGRESS);
  PostOk(start);
  step = Step();
  ASSERT_THAT(Types(step), ::testing::Contains(v1::Event::MAINTENANCE_STARTED));
  EXPECT_THAT(Notifying(step), ElementsAre(v1::Event::INCIDENT_UPDATE_POSTED));
}

TEST_F(PostmortemEventsTest, Notify_PublishingOnly) {
  ASSERT_OK(postmortems_.UpdatePostmortem(Write("A bug."), kNoDeadline));
  EXPECT_THAT(Notifying(Step()), IsEmpty());
  v1::PublishPostmortemRequest publish;
  publish.set_name(std::string(kIncident) + "/postmortem");
  ASSERT_OK(postmortems_.PublishPostmortem(publish, kNoDeadline));
  EXPECT_THAT(Notifying(Step()),
              ElementsAre(v1::Event::POSTMORTEM_PUBLISHED));
}

class ReminderEventsTest : public LogicEventsTest {
 protected:
  Executor executor_{1, 1, clock_};
  MaintenanceScheduler scheduler_{store_,           incidents_,
                                  executor_,        clock_,
                                  absl::Seconds(5), absl::Seconds(5),
                                  absl::Minutes(30)};
};

TEST_F(ReminderEventsTest, StartingSoon_OncePerStart_NotifyingByIncidentd) {
  // Maintenance() starts in an hour: the 30-minute reminder is due at 30.
  ASSERT_OK(incidents_.CreateIncident(Maintenance("acme", "db"), kNoDeadline));
  NextStep();
  clock_.Advance(absl::Minutes(29));
  ASSERT_OK_AND_ASSIGN(int reminded, scheduler_.RemindOnce(kNoDeadline));
  EXPECT_EQ(reminded, 0);
  clock_.Advance(absl::Minutes(2));
  ASSERT_OK_AND_ASSIGN(reminded, scheduler_.RemindOnce(kNoDeadline));
  EXPECT_EQ(reminded, 1);
  std::vector<v1::Event> step = Step();
  ASSERT_THAT(Types(step), ElementsAre(v1::Event::MAINTENANCE_STARTING_SOON));
  EXPECT_TRUE(step[0].notify());
  EXPECT_EQ(step[0].actor(), "incidentd");
  EXPECT_EQ(step[0].incident(), kUpgrade);
  EXPECT_THAT(notifier_.pages(), ElementsAre("acme"));
  ASSERT_OK_AND_ASSIGN(reminded, scheduler_.RemindOnce(kNoDeadline));
  EXPECT_EQ(reminded, 0);
  EXPECT_THAT(Step(), IsEmpty());
}

TEST_F(ReminderEventsTest, StartingSoon_ScheduledInsideTheLead_IsNotReminded) {
  v1::CreateIncidentRequest r = Maintenance("acme", "db");
  *r.mutable_incident()->mutable_scheduled_start_time() =
      Ts(clock_.Now() + absl::Minutes(10));
  ASSERT_OK(incidents_.CreateIncident(r, kNoDeadline));
  NextStep();
  ASSERT_OK_AND_ASSIGN(int reminded, scheduler_.RemindOnce(kNoDeadline));
  EXPECT_EQ(reminded, 0);  // the notice of its scheduling says as much
}

}  // namespace
}  // namespace incidentd::testing
