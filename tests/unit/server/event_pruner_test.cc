// Retention: events older than the retention go, newer ones stay, and a
// backlog is worked off in batches.
#include "server/event_pruner.h"

#include "server/executor.h"
#include "tests/unit/server/watch_fixture.h"

namespace incidentd::testing {
namespace {

class EventPrunerTest : public EventLogTest {
 protected:
  void SetUp() override { AddPage("acme"); }

  Executor executor_{1, 1, clock_};
  EventPruner pruner_{store_,          executor_,        clock_,
                      absl::Hours(24), absl::Minutes(1), absl::Seconds(5)};
};

TEST_F(EventPrunerTest, EventsOlderThanTheRetention_AreDeleted) {
  AppendMany("acme", 3);
  clock_.Advance(absl::Hours(20));
  AppendMany("acme", 2);
  clock_.Advance(absl::Hours(5));  // the first three are 25h old
  ASSERT_OK_AND_ASSIGN(int64_t pruned, pruner_.RunOnce(kNoDeadline));
  EXPECT_EQ(pruned, 3);
  std::vector<Event> kept = store_.Events("acme");
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept.front().seq, 4);
}

TEST_F(EventPrunerTest, NothingOldEnough_DeletesNothing) {
  AppendMany("acme", 3);
  clock_.Advance(absl::Hours(23));
  ASSERT_OK_AND_ASSIGN(int64_t pruned, pruner_.RunOnce(kNoDeadline));
  EXPECT_EQ(pruned, 0);
  EXPECT_EQ(store_.Events("acme").size(), 3u);
}

TEST_F(EventPrunerTest, BacklogLargerThanABatch_IsDeletedInOnePass) {
  AppendMany("acme", EventPruner::kBatch * 2 + 10);
  clock_.Advance(absl::Hours(25));
  const int before = store_.writes();
  ASSERT_OK_AND_ASSIGN(int64_t pruned, pruner_.RunOnce(kNoDeadline));
  EXPECT_EQ(pruned, EventPruner::kBatch * 2 + 10);
  EXPECT_TRUE(store_.Events("acme").empty());
  EXPECT_EQ(store_.writes() - before, 3) << "one transaction per batch";
}

TEST_F(EventPrunerTest, NumberingGoesOnAfterPruning) {
  AppendMany("acme", 3);
  clock_.Advance(absl::Hours(25));
  ASSERT_OK(pruner_.RunOnce(kNoDeadline));
  EXPECT_EQ(Append("acme", EventType::kComponentStatusChanged), 4);
}

TEST_F(EventPrunerTest, DatabaseAway_IsAnError) {
  AppendMany("acme", 1);
  clock_.Advance(absl::Hours(25));
  store_.SetAvailable(false);
  EXPECT_CODE(pruner_.RunOnce(kNoDeadline), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace incidentd::testing
