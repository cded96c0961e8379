// IncidentRepository over MySQL: incidents, lists and their filters,
// maintenance due for a transition, timeline updates and their history.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/integration/model_helpers.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using storage::IncidentQuery;
using storage::IncidentRepository;
using storage::Lock;
using storage::Transaction;
using V = std::vector<std::string>;

class IncidentRepositoryTest : public MysqlTest {
 protected:
  void SetUp() override {
    MysqlTest::SetUp();
    page_id_ = UniqueId("page");
    ASSERT_OK(Write([&](Transaction& tx) {
      return tx.pages().Insert(MakePage(page_id_));
    }));
  }

  absl::Status InsertAll(const std::vector<Incident>& incidents) {
    return Write([&](Transaction& tx) -> absl::Status {
      for (const Incident& i : incidents) {
        absl::Status s = tx.incidents().Insert(i);
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    });
  }

  absl::StatusOr<Incident> GetIncident(const std::string& id) {
    absl::StatusOr<Incident> got;
    absl::Status s = Read([&](Transaction& tx) {
      got = tx.incidents().Get(page_id_, id, Lock::kNone);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return got;
  }

  // The ids a query lists, or {"error: ..."}.
  V List(IncidentQuery query) {
    query.page_id = page_id_;
    absl::StatusOr<std::vector<Incident>> got;
    EXPECT_OK(Read([&](Transaction& tx) {
      got = tx.incidents().List(query);
      return absl::OkStatus();
    }));
    if (!got.ok()) return {absl::StrCat("error: ", got.status().ToString())};
    return Ids(*got);
  }

  absl::StatusOr<IncidentUpdate> GetUpdate(const std::string& incident_id,
                                           const std::string& id) {
    absl::StatusOr<IncidentUpdate> got;
    absl::Status s = Read([&](Transaction& tx) {
      got = tx.incidents().GetUpdate(page_id_, incident_id, id, Lock::kNone);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return got;
  }

  std::string page_id_;
};

TEST_F(IncidentRepositoryTest,
       Insert_ThenGet_ReturnsEveryFieldAndComponentsInOrder) {
  Incident incident = MakeIncident(page_id_, "outage", At(0));
  incident.component_ids = {"zeta", "alpha", "mid"};
  incident.resolve_time = At(150);
  incident.impact_end_time = At(140);
  incident.manual_transitions = true;
  Incident no_times = MakeIncident(page_id_, "quiet", std::nullopt);
  no_times.component_ids.clear();
  ASSERT_OK(InsertAll({incident, no_times}));
  ASSERT_OK_AND_ASSIGN(Incident got, GetIncident("outage"));
  EXPECT_EQ(Dump(got), Dump(incident));
  ASSERT_OK_AND_ASSIGN(got, GetIncident("quiet"));
  EXPECT_EQ(Dump(got), Dump(no_times));

  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Incident> locked =
        tx.incidents().Get(page_id_, "outage", Lock::kForUpdate);
    EXPECT_OK(locked);
    if (locked.ok()) {
      EXPECT_EQ(Dump(*locked), Dump(incident));
    }
    return absl::OkStatus();
  }));
}

TEST_F(IncidentRepositoryTest, Insert_ManyComponents_KeepsTheirOrder) {
  Incident incident = MakeIncident(page_id_, "wide", At(0));
  incident.component_ids.clear();
  for (int n = 100; n > 0; --n) {  // 100 rows: several insert chunks
    incident.component_ids.push_back("c" + std::to_string(n));
  }
  ASSERT_OK(InsertAll({incident}));
  ASSERT_OK_AND_ASSIGN(Incident got, GetIncident("wide"));
  EXPECT_EQ(got.component_ids, incident.component_ids);
}

TEST_F(IncidentRepositoryTest,
       Insert_UnknownPage_IsNotFound_TakenId_IsAlreadyExists) {
  EXPECT_CODE(InsertAll({MakeIncident("no-such-page", "i", At(0))}),
              absl::StatusCode::kNotFound);
  ASSERT_OK(InsertAll({MakeIncident(page_id_, "i", At(0))}));
  EXPECT_CODE(InsertAll({MakeIncident(page_id_, "i", At(1))}),
              absl::StatusCode::kAlreadyExists);
}

TEST_F(IncidentRepositoryTest, Get_UnknownId_IsNotFound) {
  EXPECT_CODE(GetIncident("nope"), absl::StatusCode::kNotFound);
}

TEST_F(IncidentRepositoryTest,
       Update_NextVersion_WritesFieldsAndReplacesComponents) {
  Incident incident = MakeIncident(page_id_, "outage", At(0));
  ASSERT_OK(InsertAll({incident}));
  incident.title = "Delta processing delayed";
  incident.status = IncidentStatus::kResolved;
  incident.derived_impact = Impact::kCritical;
  incident.impact_override = Impact::kUnspecified;
  incident.component_ids = {"api", "exports"};
  incident.start_time = At(-10);
  incident.resolve_time = At(150);
  incident.impact_end_time = At(149);
  incident.manual_transitions = true;
  incident.update_time = At(151);
  incident.version = 2;
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.incidents().Update(incident); }));
  ASSERT_OK_AND_ASSIGN(Incident got, GetIncident("outage"));
  EXPECT_EQ(Dump(got), Dump(incident));
}

TEST_F(IncidentRepositoryTest, Update_StaleVersion_IsAbortedAndWritesNothing) {
  const Incident original = MakeIncident(page_id_, "outage", At(0));
  ASSERT_OK(InsertAll({original}));
  Incident stale = original;
  stale.title = "Stale";
  stale.component_ids = {"other"};
  stale.version = 7;
  EXPECT_CODE(
      Write([&](Transaction& tx) { return tx.incidents().Update(stale); }),
      absl::StatusCode::kAborted);
  ASSERT_OK_AND_ASSIGN(Incident got, GetIncident("outage"));
  EXPECT_EQ(Dump(got), Dump(original));

  Incident unknown = MakeIncident(page_id_, "nope", At(0));
  unknown.version = 2;
  EXPECT_CODE(
      Write([&](Transaction& tx) { return tx.incidents().Update(unknown); }),
      absl::StatusCode::kNotFound);
}

TEST_F(IncidentRepositoryTest,
       List_NewestFirstByStartTimeThenId_PagesWithTheCursor) {
  Incident no_start = MakeIncident(page_id_, "no-start", std::nullopt);
  no_start.create_time = At(15);  // sorts as if it started then
  ASSERT_OK(InsertAll({MakeIncident(page_id_, "old", At(0)),
                       MakeIncident(page_id_, "tie-a", At(20)),
                       MakeIncident(page_id_, "tie-b", At(20)), no_start,
                       MakeIncident(page_id_, "new", At(30))}));
  EXPECT_EQ(List({}), (V{"new", "tie-b", "tie-a", "no-start", "old"}));

  IncidentQuery page1;
  page1.limit = 2;
  EXPECT_EQ(List(page1), (V{"new", "tie-b"}));
  IncidentQuery page2 = page1;
  page2.after = IncidentQuery::Cursor{At(20), "tie-b"};
  EXPECT_EQ(List(page2), (V{"tie-a", "no-start"}));
  IncidentQuery page3 = page1;
  page3.after = IncidentQuery::Cursor{At(15), "no-start"};
  EXPECT_EQ(List(page3), (V{"old"}));
  IncidentQuery empty = page1;
  empty.after = IncidentQuery::Cursor{At(0), "old"};
  EXPECT_EQ(List(empty), V{});
}

TEST_F(IncidentRepositoryTest, List_HonoursKindStateComponentAndTimeRange) {
  Incident resolved = MakeIncident(page_id_, "resolved", At(10));
  resolved.status = IncidentStatus::kResolved;
  resolved.component_ids = {"exports"};
  Incident open = MakeIncident(page_id_, "open", At(20));
  open.component_ids = {"api", "imports"};
  Incident maintenance =
      MakeMaintenance(page_id_, "maintenance", At(100), At(160));
  maintenance.start_time = At(30);
  maintenance.component_ids = {"imports"};
  Incident completed = MakeMaintenance(page_id_, "completed", At(0), At(5));
  completed.start_time = At(0);
  completed.status = IncidentStatus::kCompleted;
  completed.component_ids = {};
  ASSERT_OK(InsertAll({resolved, open, maintenance, completed}));
  // Another page's incidents never show.
  const std::string other_page = UniqueId("page");
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::Status s = tx.pages().Insert(MakePage(other_page));
    if (s.ok())
      s = tx.incidents().Insert(MakeIncident(other_page, "open", At(25)));
    return s;
  }));

  IncidentQuery q;
  q.kind = IncidentKind::kIncident;
  EXPECT_EQ(List(q), (V{"open", "resolved"}));
  q.kind = IncidentKind::kMaintenance;
  EXPECT_EQ(List(q), (V{"maintenance", "completed"}));

  q = {};
  q.state = IncidentQuery::State::kOpen;
  EXPECT_EQ(List(q), (V{"maintenance", "open"}));
  q.state = IncidentQuery::State::kClosed;
  EXPECT_EQ(List(q), (V{"resolved", "completed"}));

  q = {};
  q.component_id = "imports";
  EXPECT_EQ(List(q), (V{"maintenance", "open"}));
  q.component_id = "exports";
  EXPECT_EQ(List(q), (V{"resolved"}));
  q.component_id = "nothing";
  EXPECT_EQ(List(q), V{});

  q = {};
  q.start_time_from = At(10);  // inclusive
  q.start_time_to = At(30);    // exclusive
  EXPECT_EQ(List(q), (V{"open", "resolved"}));

  q = {};
  q.kind = IncidentKind::kMaintenance;
  q.state = IncidentQuery::State::kOpen;
  q.component_id = "imports";
  q.start_time_from = At(30);
  EXPECT_EQ(List(q), (V{"maintenance"}));
}

TEST_F(IncidentRepositoryTest,
       ListOpen_ReturnsOpenIncidentsAndMaintenanceNewestFirst) {
  Incident resolved = MakeIncident(page_id_, "resolved", At(50));
  resolved.status = IncidentStatus::kResolved;
  Incident cancelled = MakeMaintenance(page_id_, "cancelled", At(1), At(2));
  cancelled.status = IncidentStatus::kCancelled;
  ASSERT_OK(
      InsertAll({MakeIncident(page_id_, "older", At(10)),
                 MakeIncident(page_id_, "newer", At(20)), resolved, cancelled,
                 MakeMaintenance(page_id_, "planned", At(90), At(95))}));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<Incident>> open =
        tx.incidents().ListOpen(page_id_);
    EXPECT_OK(open);
    // "planned" has not started: it sorts by its create time, At(0).
    if (open.ok()) {
      EXPECT_EQ(Ids(*open), (V{"newer", "older", "planned"}));
    }
    if (open.ok() && !open->empty()) {
      EXPECT_EQ(Dump(open->front()),
                Dump(MakeIncident(page_id_, "newer", At(20))));
    }
    return absl::OkStatus();
  }));
}

TEST_F(IncidentRepositoryTest, IsComponentInOpenIncident_OnlyCountsOpenOnes) {
  Incident resolved = MakeIncident(page_id_, "resolved", At(0));
  resolved.status = IncidentStatus::kResolved;
  resolved.component_ids = {"closed-only"};
  Incident open = MakeIncident(page_id_, "open", At(0));
  open.component_ids = {"busy"};
  ASSERT_OK(InsertAll({resolved, open}));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    EXPECT_EQ(tx.incidents()
                  .IsComponentInOpenIncident(page_id_, "busy")
                  .value_or(false),
              true);
    EXPECT_EQ(tx.incidents()
                  .IsComponentInOpenIncident(page_id_, "closed-only")
                  .value_or(true),
              false);
    EXPECT_EQ(tx.incidents()
                  .IsComponentInOpenIncident(page_id_, "unknown")
                  .value_or(true),
              false);
    return absl::OkStatus();
  }));
}

// Due maintenance is looked for on every page, so these tests use times of
// their own, far from any other test's: year 2500.
absl::Time Far(int minutes) {
  return absl::FromCivil(absl::CivilSecond(2500, 1, 1, 0, 0, 0),
                         absl::UTCTimeZone()) +
         absl::Minutes(minutes);
}

// Keeps only the incidents of `page_id`, as ids.
std::set<std::string> IdsOnPage(const std::vector<Incident>& incidents,
                                const std::string& page_id) {
  std::set<std::string> ids;
  for (const Incident& i : incidents) {
    if (i.page_id == page_id) ids.insert(i.id);
  }
  return ids;
}

TEST_F(IncidentRepositoryTest, LockDueMaintenance_ReturnsExactlyTheDueWindows) {
  const absl::Time now = Far(0);
  Incident start_due =
      MakeMaintenance(page_id_, "start-due", Far(-10), Far(50));
  Incident start_now = MakeMaintenance(page_id_, "start-now", now, Far(50));
  Incident start_later =
      MakeMaintenance(page_id_, "start-later", Far(1), Far(50));
  Incident end_due = MakeMaintenance(page_id_, "end-due", Far(-60), Far(-1));
  end_due.status = IncidentStatus::kInProgress;
  Incident verifying =
      MakeMaintenance(page_id_, "verifying-due", Far(-60), Far(-1));
  verifying.status = IncidentStatus::kVerifying;
  Incident running = MakeMaintenance(page_id_, "running", Far(-60), Far(10));
  running.status = IncidentStatus::kInProgress;
  Incident manual = MakeMaintenance(page_id_, "manual", Far(-10), Far(-5));
  manual.manual_transitions = true;
  Incident done = MakeMaintenance(page_id_, "completed", Far(-60), Far(-30));
  done.status = IncidentStatus::kCompleted;
  Incident incident = MakeIncident(page_id_, "incident", Far(-60));
  incident.scheduled_start_time = Far(-60);
  ASSERT_OK(InsertAll({start_due, start_now, start_later, end_due, verifying,
                       running, manual, done, incident}));

  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<Incident>> due =
        tx.incidents().LockDueMaintenance(now, 1000);
    EXPECT_OK(due);
    if (!due.ok()) return due.status();
    EXPECT_EQ(IdsOnPage(*due, page_id_),
              (std::set<std::string>{"start-due", "start-now", "end-due",
                                     "verifying-due"}));
    for (const Incident& i : *due) {
      if (i.page_id == page_id_ && i.id == "start-due") {
        EXPECT_EQ(Dump(i), Dump(start_due));
      }
    }
    absl::StatusOr<std::vector<Incident>> limited =
        tx.incidents().LockDueMaintenance(now, 2);
    EXPECT_OK(limited);
    if (limited.ok()) {
      EXPECT_EQ(limited->size(), 2u);
    }
    return absl::OkStatus();
  }));
}

TEST_F(IncidentRepositoryTest,
       LockDueMaintenance_ConcurrentTransactions_TakeDisjointSets) {
  std::vector<Incident> windows;
  for (int n = 0; n < 8; ++n) {
    windows.push_back(MakeMaintenance(page_id_, "window-" + std::to_string(n),
                                      Far(-100 - n), Far(100)));
  }
  ASSERT_OK(InsertAll(windows));

  // Only this test's windows count: others' rows may be due too.
  auto mine = [&](const std::vector<Incident>& due) {
    return IdsOnPage(due, page_id_);
  };
  std::set<std::string> first, second;
  absl::Notification first_locked, second_done;
  std::thread other([&] {
    EXPECT_OK(Write([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<std::vector<Incident>> due =
          tx.incidents().LockDueMaintenance(Far(0), 1000);
      if (due.ok()) first = mine(*due);
      first_locked.Notify();
      second_done.WaitForNotification();  // hold the locks meanwhile
      return due.status();
    }));
  });
  first_locked.WaitForNotification();
  // Does not block: rows locked by the first transaction are skipped.
  EXPECT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<Incident>> due =
        tx.incidents().LockDueMaintenance(Far(0), 1000);
    if (due.ok()) second = mine(*due);
    return due.status();
  }));
  second_done.Notify();
  other.join();

  EXPECT_EQ(first.size(), 8u);
  for (const std::string& id : second) {
    EXPECT_EQ(first.count(id), 0u) << id << " was handed out twice";
  }
  // Once the first transaction is over, the rows are free again.
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<Incident>> due =
        tx.incidents().LockDueMaintenance(Far(0), 1000);
    if (due.ok()) {
      EXPECT_EQ(mine(*due).size(), 8u);
    }
    return due.status();
  }));
}

TEST_F(IncidentRepositoryTest,
       LockDueMaintenance_WithLimits_SplitsDueRowsBetweenTransactions) {
  // With a small limit each transaction takes its own share: disjoint, and
  // together more than either alone.
  std::vector<Incident> windows;
  for (int n = 0; n < 6; ++n) {
    windows.push_back(MakeMaintenance(page_id_, "w-" + std::to_string(n),
                                      Far(-1000), Far(1000)));
  }
  ASSERT_OK(InsertAll(windows));
  std::vector<Incident> first, second;
  absl::Notification first_locked, second_done;
  std::thread other([&] {
    EXPECT_OK(Write([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<std::vector<Incident>> due =
          tx.incidents().LockDueMaintenance(Far(-500), 3);
      if (due.ok()) first = *due;
      first_locked.Notify();
      second_done.WaitForNotification();
      return due.status();
    }));
  });
  first_locked.WaitForNotification();
  EXPECT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<Incident>> due =
        tx.incidents().LockDueMaintenance(Far(-500), 3);
    if (due.ok()) second = *due;
    return due.status();
  }));
  second_done.Notify();
  other.join();
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(second.size(), 3u);
  std::set<std::pair<std::string, std::string>> all;
  for (const Incident& i : first) all.insert({i.page_id, i.id});
  for (const Incident& i : second) all.insert({i.page_id, i.id});
  EXPECT_EQ(all.size(), 6u);
}

// Reminders are looked for on every page too: year 2600, apart from the
// due-maintenance tests' year.
absl::Time Later(int minutes) {
  return absl::FromCivil(absl::CivilSecond(2600, 1, 1, 0, 0, 0),
                         absl::UTCTimeZone()) +
         absl::Minutes(minutes);
}

// A maintenance window scheduled to start at Later(start), created at
// Later(created).
Incident Upcoming(const std::string& page_id, const std::string& id, int start,
                  int created) {
  Incident i = MakeMaintenance(page_id, id, Later(start), Later(start + 120));
  i.create_time = Later(created);
  i.update_time = Later(created);
  return i;
}

TEST_F(IncidentRepositoryTest,
       LockDueReminders_ReturnsExactlyTheMaintenanceStartingWithinTheLead) {
  const absl::Time now = Later(0);
  const absl::Duration lead = absl::Minutes(60);
  Incident due = Upcoming(page_id_, "due", 30, -100);
  Incident at_lead = Upcoming(page_id_, "at-lead", 60, -100);
  Incident beyond_lead = Upcoming(page_id_, "beyond-lead", 61, -100);
  Incident starting_now = Upcoming(page_id_, "starting-now", 0, -100);
  Incident started = Upcoming(page_id_, "start-passed", -5, -100);
  // Created within the lead of its start: the notice that it was scheduled
  // served as the reminder.
  Incident created_close = Upcoming(page_id_, "created-close", 30, -30);
  Incident created_early = Upcoming(page_id_, "created-early", 30, -31);
  Incident in_progress = Upcoming(page_id_, "in-progress", 30, -100);
  in_progress.status = IncidentStatus::kInProgress;
  Incident cancelled = Upcoming(page_id_, "cancelled", 30, -100);
  cancelled.status = IncidentStatus::kCancelled;
  ASSERT_OK(InsertAll({due, at_lead, beyond_lead, starting_now, started,
                       created_close, created_early, in_progress, cancelled}));

  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<Incident>> reminders =
        tx.incidents().LockDueReminders(now, lead, 1000);
    EXPECT_OK(reminders);
    if (!reminders.ok()) return reminders.status();
    EXPECT_EQ(IdsOnPage(*reminders, page_id_),
              (std::set<std::string>{"due", "at-lead", "created-early"}));
    for (const Incident& i : *reminders) {
      if (i.page_id == page_id_ && i.id == "due") {
        EXPECT_EQ(Dump(i), Dump(due));
      }
    }
    absl::StatusOr<std::vector<Incident>> limited =
        tx.incidents().LockDueReminders(now, lead, 2);
    EXPECT_OK(limited);
    if (limited.ok()) {
      EXPECT_EQ(limited->size(), 2u);
    }
    return absl::OkStatus();
  }));
}

TEST_F(IncidentRepositoryTest,
       MarkReminded_RemindsOncePerStartTime_AndAgainWhenRescheduled) {
  const absl::Time now = Later(1000);
  const absl::Duration lead = absl::Minutes(60);
  Incident window = Upcoming(page_id_, "window", 1030, 0);
  ASSERT_OK(InsertAll({window}));
  auto due_ids = [&]() {
    std::set<std::string> ids;
    EXPECT_OK(Write([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<std::vector<Incident>> reminders =
          tx.incidents().LockDueReminders(now, lead, 1000);
      if (reminders.ok()) ids = IdsOnPage(*reminders, page_id_);
      return reminders.status();
    }));
    return ids;
  };
  ASSERT_EQ(due_ids(), std::set<std::string>{"window"});

  ASSERT_OK(Write([&](Transaction& tx) {
    return tx.incidents().MarkReminded(page_id_, "window", Later(1030));
  }));
  EXPECT_EQ(due_ids(), std::set<std::string>{});
  // Not an edit: the version and update time stay.
  ASSERT_OK_AND_ASSIGN(Incident stored, GetIncident("window"));
  EXPECT_EQ(Dump(stored), Dump(window));
  // Marking the same start again changes nothing and is fine.
  EXPECT_OK(Write([&](Transaction& tx) {
    return tx.incidents().MarkReminded(page_id_, "window", Later(1030));
  }));

  // Moved to a later start, still within the lead: reminded again.
  Incident moved = stored;
  moved.scheduled_start_time = Later(1045);
  moved.update_time = Later(1001);
  moved.version = stored.version + 1;
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.incidents().Update(moved); }));
  EXPECT_EQ(due_ids(), std::set<std::string>{"window"});
  ASSERT_OK(Write([&](Transaction& tx) {
    return tx.incidents().MarkReminded(page_id_, "window", Later(1045));
  }));
  EXPECT_EQ(due_ids(), std::set<std::string>{});
}

TEST_F(IncidentRepositoryTest, MarkReminded_UnknownIncident_IsNotFound) {
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.incidents().MarkReminded(page_id_, "nope", Later(0));
              }),
              absl::StatusCode::kNotFound);
}

TEST_F(IncidentRepositoryTest,
       LockDueReminders_ConcurrentTransactions_TakeDisjointSets) {
  std::vector<Incident> windows;
  for (int n = 0; n < 6; ++n) {
    windows.push_back(
        Upcoming(page_id_, "soon-" + std::to_string(n), 2010 + n, 0));
  }
  ASSERT_OK(InsertAll(windows));
  const absl::Time now = Later(2000);
  std::set<std::string> first, second;
  absl::Notification first_locked, second_done;
  std::thread other([&] {
    EXPECT_OK(Write([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<std::vector<Incident>> due =
          tx.incidents().LockDueReminders(now, absl::Minutes(60), 1000);
      if (due.ok()) first = IdsOnPage(*due, page_id_);
      first_locked.Notify();
      second_done.WaitForNotification();  // hold the locks meanwhile
      return due.status();
    }));
  });
  first_locked.WaitForNotification();
  EXPECT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<Incident>> due =
        tx.incidents().LockDueReminders(now, absl::Minutes(60), 1000);
    if (due.ok()) second = IdsOnPage(*due, page_id_);
    return due.status();
  }));
  second_done.Notify();
  other.join();
  EXPECT_EQ(first.size(), 6u);
  EXPECT_EQ(second, std::set<std::string>{});
}

TEST_F(IncidentRepositoryTest,
       LockDueReminders_InReadOnlyTransaction_IsFailedPrecondition) {
  EXPECT_CODE(Read([&](Transaction& tx) {
                return tx.incidents()
                    .LockDueReminders(Later(0), absl::Minutes(60), 10)
                    .status();
              }),
              absl::StatusCode::kFailedPrecondition);
}

TEST_F(IncidentRepositoryTest,
       InsertUpdate_AssignsIncreasingSeq_GetReturnsEveryField) {
  ASSERT_OK(InsertAll({MakeIncident(page_id_, "outage", At(0))}));
  IncidentUpdate first = MakeUpdate(page_id_, "outage", "u1", At(10));
  IncidentUpdate second = MakeUpdate(page_id_, "outage", "u2", At(5));
  second.status = IncidentStatus::kUnspecified;  // an "Update" post
  second.component_changes.clear();
  second.notify = false;
  second.reopen = true;
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> seq1 = tx.incidents().InsertUpdate(first);
    absl::StatusOr<int64_t> seq2 = tx.incidents().InsertUpdate(second);
    if (!seq1.ok()) return seq1.status();
    if (!seq2.ok()) return seq2.status();
    EXPECT_GT(*seq1, 0);
    EXPECT_GT(*seq2, *seq1);
    first.seq = *seq1;
    second.seq = *seq2;
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(IncidentUpdate got, GetUpdate("outage", "u1"));
  EXPECT_EQ(Dump(got), Dump(first));
  ASSERT_OK_AND_ASSIGN(got, GetUpdate("outage", "u2"));
  EXPECT_EQ(Dump(got), Dump(second));
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<IncidentUpdate> locked =
        tx.incidents().GetUpdate(page_id_, "outage", "u1", Lock::kForUpdate);
    EXPECT_OK(locked);
    if (locked.ok()) {
      EXPECT_EQ(Dump(*locked), Dump(first));
    }
    return absl::OkStatus();
  }));
}

TEST_F(IncidentRepositoryTest,
       InsertUpdate_UnknownIncidentIsNotFound_TakenIdIsAlreadyExists) {
  ASSERT_OK(InsertAll({MakeIncident(page_id_, "outage", At(0))}));
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.incidents()
                    .InsertUpdate(MakeUpdate(page_id_, "nope", "u1", At(1)))
                    .status();
              }),
              absl::StatusCode::kNotFound);
  ASSERT_OK(Write([&](Transaction& tx) {
    return tx.incidents()
        .InsertUpdate(MakeUpdate(page_id_, "outage", "u1", At(1)))
        .status();
  }));
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.incidents()
                    .InsertUpdate(MakeUpdate(page_id_, "outage", "u1", At(2)))
                    .status();
              }),
              absl::StatusCode::kAlreadyExists);
  EXPECT_CODE(GetUpdate("outage", "u9"), absl::StatusCode::kNotFound);
}

TEST_F(IncidentRepositoryTest,
       ListUpdates_NewestFirstByDisplayTimeThenSeq_WithCursor) {
  ASSERT_OK(InsertAll({MakeIncident(page_id_, "outage", At(0)),
                       MakeIncident(page_id_, "other", At(0))}));
  std::map<std::string, int64_t> seq;
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    // Backfilled: inserted out of display order; two share a display time.
    for (auto [id, minute] :
         std::vector<std::pair<std::string, int>>{{"investigating", 0},
                                                  {"resolved", 30},
                                                  {"identified", 10},
                                                  {"update-a", 20},
                                                  {"update-b", 20}}) {
      absl::StatusOr<int64_t> s = tx.incidents().InsertUpdate(
          MakeUpdate(page_id_, "outage", id, At(minute)));
      if (!s.ok()) return s.status();
      seq[id] = *s;
    }
    return tx.incidents()
        .InsertUpdate(MakeUpdate(page_id_, "other", "elsewhere", At(15)))
        .status();
  }));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    auto list = [&](std::optional<IncidentRepository::UpdateCursor> after,
                    int limit) -> V {
      absl::StatusOr<std::vector<IncidentUpdate>> got =
          tx.incidents().ListUpdates(page_id_, "outage", after, limit);
      EXPECT_OK(got);
      return got.ok() ? Ids(*got) : V{"error"};
    };
    EXPECT_EQ(list(std::nullopt, 10), (V{"resolved", "update-b", "update-a",
                                         "identified", "investigating"}));
    EXPECT_EQ(list(std::nullopt, 2), (V{"resolved", "update-b"}));
    EXPECT_EQ(
        list(IncidentRepository::UpdateCursor{At(20), seq["update-b"]}, 2),
        (V{"update-a", "identified"}));
    EXPECT_EQ(
        list(IncidentRepository::UpdateCursor{At(0), seq["investigating"]}, 2),
        V{});
    // Children come with listed updates too.
    absl::StatusOr<std::vector<IncidentUpdate>> one =
        tx.incidents().ListUpdates(page_id_, "outage", std::nullopt, 1);
    if (one.ok() && one->size() == 1) {
      IncidentUpdate expected =
          MakeUpdate(page_id_, "outage", "resolved", At(30));
      expected.seq = seq["resolved"];
      EXPECT_EQ(Dump(one->front()), Dump(expected));
    }
    return absl::OkStatus();
  }));
}

TEST_F(IncidentRepositoryTest, EditUpdate_WritesFieldsAndAppendsRevisions) {
  ASSERT_OK(InsertAll({MakeIncident(page_id_, "outage", At(0))}));
  IncidentUpdate update = MakeUpdate(page_id_, "outage", "u1", At(10));
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> seq = tx.incidents().InsertUpdate(update);
    if (seq.ok()) update.seq = *seq;
    return seq.status();
  }));
  for (int edit = 1; edit <= 2; ++edit) {
    update.previous_versions.push_back({update.body, update.display_time,
                                        update.display_time_zone, At(40 + edit),
                                        "editor-" + std::to_string(edit)});
    update.body = "Corrected text, edit " + std::to_string(edit);
    update.display_time = At(10 + edit);
    update.display_time_zone = edit == 1 ? "UTC" : "Europe/Paris";
    update.update_time = At(40 + edit);
    update.version++;
    ASSERT_OK(Write(
        [&](Transaction& tx) { return tx.incidents().EditUpdate(update); }));
    ASSERT_OK_AND_ASSIGN(IncidentUpdate got, GetUpdate("outage", "u1"));
    EXPECT_EQ(Dump(got), Dump(update));
  }
  ASSERT_EQ(update.previous_versions.size(), 2u);
}

TEST_F(IncidentRepositoryTest,
       EditUpdate_StaleVersion_IsAbortedAndWritesNothing) {
  ASSERT_OK(InsertAll({MakeIncident(page_id_, "outage", At(0))}));
  IncidentUpdate original = MakeUpdate(page_id_, "outage", "u1", At(10));
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> seq = tx.incidents().InsertUpdate(original);
    if (seq.ok()) original.seq = *seq;
    return seq.status();
  }));
  IncidentUpdate stale = original;
  stale.previous_versions.push_back(
      {original.body, original.display_time, "UTC", At(50), "x"});
  stale.body = "stale";
  stale.version = 3;
  EXPECT_CODE(
      Write([&](Transaction& tx) { return tx.incidents().EditUpdate(stale); }),
      absl::StatusCode::kAborted);
  ASSERT_OK_AND_ASSIGN(IncidentUpdate got, GetUpdate("outage", "u1"));
  EXPECT_EQ(Dump(got), Dump(original));

  IncidentUpdate unknown = stale;
  unknown.id = "nope";
  unknown.version = 2;
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.incidents().EditUpdate(unknown);
              }),
              absl::StatusCode::kNotFound);
  IncidentUpdate no_history = original;
  no_history.version = 2;
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.incidents().EditUpdate(no_history);
              }),
              absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace incidentd::testing
