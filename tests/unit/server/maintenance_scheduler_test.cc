#include "server/maintenance_scheduler.h"

#include "server/executor.h"
#include "tests/unit/server/logic_fixture.h"

namespace incidentd::testing {
namespace {

constexpr char kUpgrade[] = "pages/acme/incidents/upgrade";
constexpr char kDb[] = "pages/acme/components/db";

class MaintenanceSchedulerTest : public LogicTest {
 protected:
  void SetUp() override {
    MakePage("acme");
    MakeComponent("acme", "db");
    start_ = clock_.Now() + absl::Hours(1);
    end_ = clock_.Now() + absl::Hours(2);
  }

  void Schedule(bool manual) {
    v1::CreateIncidentRequest r;
    r.set_parent("pages/acme");
    r.set_incident_id("upgrade");
    r.mutable_incident()->set_title("Database upgrade");
    r.mutable_incident()->set_kind(v1::Incident::MAINTENANCE);
    r.mutable_incident()->set_manual_transitions(manual);
    r.mutable_incident()->add_components(kDb);
    *r.mutable_incident()->mutable_scheduled_start_time() = Ts(start_);
    *r.mutable_incident()->mutable_scheduled_end_time() = Ts(end_);
    r.mutable_first_update()->set_body("Planned.");
    ASSERT_OK(incidents_.CreateIncident(r, kNoDeadline));
  }

  absl::StatusOr<int> Pass() { return scheduler_.RunOnce(kNoDeadline); }

  absl::Time start_;
  absl::Time end_;
  Executor executor_{1, 1, clock_};
  MaintenanceScheduler scheduler_{store_, incidents_,       executor_,
                                  clock_, absl::Seconds(5), absl::Seconds(5)};
};

TEST_F(MaintenanceSchedulerTest, BeforeItsStart_NothingMoves) {
  Schedule(false);
  clock_.Set(start_ - absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(int moved, Pass());
  EXPECT_EQ(moved, 0);
  EXPECT_EQ(GetIncident(kUpgrade).status(), v1::IncidentStatus::SCHEDULED);
}

TEST_F(MaintenanceSchedulerTest,
       AtItsStart_MovesToInProgressShownAtTheScheduledTime) {
  Schedule(false);
  clock_.Set(start_ + absl::Seconds(3));
  ASSERT_OK_AND_ASSIGN(int moved, Pass());
  EXPECT_EQ(moved, 1);
  v1::Incident m = GetIncident(kUpgrade);
  EXPECT_EQ(m.status(), v1::IncidentStatus::IN_PROGRESS);
  EXPECT_EQ(FromTs(m.start_time()), start_);
  ASSERT_EQ(m.updates_size(), 2);
  EXPECT_EQ(m.updates(0).label(), "In progress");
  EXPECT_EQ(m.updates(0).author(), "incidentd");
  EXPECT_EQ(m.updates(0).body(), "Scheduled maintenance is now in progress.");
  EXPECT_EQ(FromTs(m.updates(0).display_time()), start_);
  EXPECT_EQ(GetComponent(kDb).status(), v1::ComponentStatus::UNDER_MAINTENANCE);

  // A second pass finds nothing more to do.
  ASSERT_OK_AND_ASSIGN(int again, Pass());
  EXPECT_EQ(again, 0);
}

TEST_F(MaintenanceSchedulerTest, AtItsEnd_CompletesAndReturnsComponents) {
  Schedule(false);
  clock_.Set(start_);
  ASSERT_OK(Pass());
  clock_.Set(end_);
  ASSERT_OK_AND_ASSIGN(int moved, Pass());
  EXPECT_EQ(moved, 1);
  v1::Incident m = GetIncident(kUpgrade);
  EXPECT_EQ(m.status(), v1::IncidentStatus::COMPLETED);
  EXPECT_EQ(FromTs(m.resolve_time()), end_);
  EXPECT_EQ(m.updates(0).body(), "Scheduled maintenance has been completed.");
  EXPECT_EQ(GetComponent(kDb).status(), v1::ComponentStatus::OPERATIONAL);
}

TEST_F(MaintenanceSchedulerTest,
       PastItsEndWhileStillScheduled_CompletesDirectly) {
  Schedule(false);
  clock_.Set(end_ + absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(int moved, Pass());
  EXPECT_EQ(moved, 1);
  v1::Incident m = GetIncident(kUpgrade);
  EXPECT_EQ(m.status(), v1::IncidentStatus::COMPLETED);
  EXPECT_EQ(FromTs(m.resolve_time()), end_);
}

TEST_F(MaintenanceSchedulerTest, ManualTransitions_AreLeftAlone) {
  Schedule(true);
  clock_.Set(end_ + absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(int moved, Pass());
  EXPECT_EQ(moved, 0);
  EXPECT_EQ(GetIncident(kUpgrade).status(), v1::IncidentStatus::SCHEDULED);
}

TEST_F(MaintenanceSchedulerTest, DatabaseAway_PassFailsWithoutChanges) {
  Schedule(false);
  clock_.Set(start_);
  store_.SetAvailable(false);
  EXPECT_CODE(Pass(), absl::StatusCode::kUnavailable);
  store_.SetAvailable(true);
  EXPECT_EQ(GetIncident(kUpgrade).status(), v1::IncidentStatus::SCHEDULED);
}

}  // namespace
}  // namespace incidentd::testing
