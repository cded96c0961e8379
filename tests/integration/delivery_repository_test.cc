// DeliveryRepository over MySQL: recording deliveries exactly once, reading
// and listing them, the bookkeeping of attempts, pruning, and the
// dispatcher's per-page cursor into the event log.
#include <algorithm>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/integration/model_helpers.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using storage::DeliveryQuery;
using storage::DeliveryRepository;
using storage::Lock;
using storage::Transaction;
using Key = std::pair<std::string, int64_t>;  // (subscriber, event seq)

std::vector<Key> Keys(const std::vector<Delivery>& deliveries) {
  std::vector<Key> keys;
  for (const Delivery& d : deliveries) {
    keys.emplace_back(d.subscriber_id, d.event_seq);
  }
  return keys;
}

// Pruning and backlogs look at every page, so each test starts from a
// database without any (deleting a page deletes everything under it).
class DeliveryRepositoryTest : public MysqlTest {
 protected:
  void SetUp() override {
    MysqlTest::SetUp();
    ASSERT_OK(db().Execute("DELETE FROM pages"));
    page_ = NewPage();
    for (const char* id : {"alpha", "beta", "gamma"}) {
      Subscriber s = MakeWebhookSubscriber(
          page_, id, absl::StrCat("https://hooks.example.com/", id));
      ASSERT_OK(
          Write([&](Transaction& tx) { return tx.subscribers().Insert(s); }));
    }
  }

  std::string NewPage() {
    std::string id = UniqueId("page");
    EXPECT_OK(Write(
        [&](Transaction& tx) { return tx.pages().Insert(MakePage(id)); }));
    return id;
  }

  absl::StatusOr<int64_t> InsertNew(const std::vector<Delivery>& deliveries) {
    absl::StatusOr<int64_t> inserted;
    absl::Status status = Write([&](Transaction& tx) {
      inserted = tx.deliveries().InsertNew(deliveries);
      return inserted.status();
    });
    if (!status.ok()) return status;
    return inserted;
  }

  absl::StatusOr<Delivery> Get(const std::string& subscriber, int64_t seq) {
    absl::StatusOr<Delivery> got;
    absl::Status status = Read([&](Transaction& tx) {
      got = tx.deliveries().Get(page_, subscriber, seq, Lock::kNone);
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return got;
  }

  std::vector<Key> List(DeliveryQuery query) {
    query.page_id = page_;
    absl::StatusOr<std::vector<Delivery>> got;
    EXPECT_OK(Read([&](Transaction& tx) {
      got = tx.deliveries().List(query);
      return got.status();
    }));
    return got.ok() ? Keys(*got) : std::vector<Key>{{"error", -1}};
  }

  std::vector<Key> ListOpen(const std::string& subscriber, int limit) {
    absl::StatusOr<std::vector<Delivery>> got;
    EXPECT_OK(Read([&](Transaction& tx) {
      got = tx.deliveries().ListOpen(page_, subscriber, limit);
      return got.status();
    }));
    return got.ok() ? Keys(*got) : std::vector<Key>{{"error", -1}};
  }

  absl::Status Update(const Delivery& d) {
    return Write([&](Transaction& tx) { return tx.deliveries().Update(d); });
  }

  // Appends `n` events to the page, each in its own transaction.
  void AppendEvents(const std::string& page, int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_OK(Write([&](Transaction& tx) {
        Event e = MakeEvent(page, At(i), "x");
        return tx.events().Append(e);
      }));
    }
  }

  absl::StatusOr<std::vector<DeliveryRepository::Backlog>> Backlog(int limit) {
    absl::StatusOr<std::vector<DeliveryRepository::Backlog>> backlog;
    absl::Status status = Read([&](Transaction& tx) {
      backlog = tx.deliveries().ListBacklog(limit);
      return backlog.status();
    });
    if (!status.ok()) return status;
    return backlog;
  }

  // Locks the cursor, moves it to `seq` and commits; returns where it was.
  absl::StatusOr<std::optional<int64_t>> MoveCursor(const std::string& page,
                                                    int64_t seq) {
    absl::StatusOr<std::optional<int64_t>> was;
    absl::Status status = Write([&](Transaction& tx) -> absl::Status {
      was = tx.deliveries().LockCursor(page);
      if (!was.ok()) return was.status();
      if (!was->has_value()) return absl::AbortedError("cursor skipped");
      return tx.deliveries().SetCursor(page, seq);
    });
    if (!status.ok()) return status;
    return was;
  }

  std::string page_;
};

TEST_F(DeliveryRepositoryTest, InsertNew_RecordsEveryFieldAndCountsThem) {
  Delivery pending = MakeDelivery(page_, "alpha", 5);
  Delivery finished = MakeDelivery(page_, "alpha", 7);
  finished.event_type = EventType::kMaintenanceStartingSoon;
  finished.incident_id.clear();
  finished.state = DeliveryState::kRetrying;
  finished.attempts = 3;
  finished.last_error = "HTTP 503";
  finished.horizon_start = At(201) + absl::Microseconds(9);
  finished.last_attempt_time = At(202);
  finished.next_attempt_time = At(203);
  finished.deliver_time = At(204);
  Delivery confirmation = MakeDelivery(page_, "beta", 0);
  confirmation.event_type = EventType::kUnspecified;
  confirmation.next_attempt_time.reset();
  EXPECT_EQ(InsertNew({pending, finished, confirmation}).value_or(-1), 3);

  for (const Delivery& d : {pending, finished, confirmation}) {
    ASSERT_OK_AND_ASSIGN(Delivery got, Get(d.subscriber_id, d.event_seq));
    EXPECT_EQ(Dump(got), Dump(d));
  }
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Delivery> locked =
        tx.deliveries().Get(page_, "alpha", 7, Lock::kForUpdate);
    EXPECT_OK(locked);
    if (locked.ok()) {
      EXPECT_EQ(Dump(*locked), Dump(finished));
    }
    return absl::OkStatus();
  }));
}

TEST_F(DeliveryRepositoryTest,
       InsertNew_AlreadyRecorded_IsKeptAsItIsAndNotCounted) {
  ASSERT_EQ(InsertNew({MakeDelivery(page_, "alpha", 1),
                       MakeDelivery(page_, "beta", 1)})
                .value_or(-1),
            2);
  Delivery delivered = MakeDelivery(page_, "alpha", 1);
  delivered.state = DeliveryState::kDelivered;
  delivered.attempts = 1;
  delivered.deliver_time = At(210);
  ASSERT_OK(Update(delivered));

  // The dispatcher runs the same batch again, plus one new delivery.
  EXPECT_EQ(InsertNew({MakeDelivery(page_, "alpha", 1),
                       MakeDelivery(page_, "beta", 1),
                       MakeDelivery(page_, "gamma", 1)})
                .value_or(-1),
            1);
  EXPECT_EQ(InsertNew({MakeDelivery(page_, "alpha", 1)}).value_or(-1), 0);
  ASSERT_OK_AND_ASSIGN(Delivery got, Get("alpha", 1));
  EXPECT_EQ(Dump(got), Dump(delivered));
  EXPECT_EQ(InsertNew({}).value_or(-1), 0);
}

TEST_F(DeliveryRepositoryTest, InsertNew_ManyRows_AreAllRecorded) {
  std::vector<Delivery> batch;
  for (int seq = 1; seq <= 37; ++seq) {
    batch.push_back(MakeDelivery(page_, "gamma", seq));
  }
  EXPECT_EQ(InsertNew(batch).value_or(-1), 37);
  batch.push_back(MakeDelivery(page_, "gamma", 38));
  EXPECT_EQ(InsertNew(batch).value_or(-1), 1);
  EXPECT_EQ(ListOpen("gamma", 1000).size(), 38u);
}

TEST_F(DeliveryRepositoryTest,
       InsertNew_UnknownSubscriber_IsNotFoundAndRecordsNothing) {
  EXPECT_CODE(InsertNew({MakeDelivery(page_, "alpha", 1),
                         MakeDelivery(page_, "deleted", 1)}),
              absl::StatusCode::kNotFound);
  EXPECT_CODE(InsertNew({MakeDelivery("no-such-page", "alpha", 1)}),
              absl::StatusCode::kNotFound);
  EXPECT_CODE(Get("alpha", 1), absl::StatusCode::kNotFound);
}

TEST_F(DeliveryRepositoryTest, Get_UnknownDelivery_IsNotFound) {
  ASSERT_OK(InsertNew({MakeDelivery(page_, "alpha", 1)}));
  EXPECT_CODE(Get("alpha", 2), absl::StatusCode::kNotFound);
  EXPECT_CODE(Get("beta", 1), absl::StatusCode::kNotFound);
}

TEST_F(DeliveryRepositoryTest, List_BySubscriber_InEventOrderWithResume) {
  std::vector<Delivery> batch;
  for (int64_t seq : {9, 0, 4, 12, 7}) {
    batch.push_back(MakeDelivery(page_, "beta", seq));
  }
  batch.push_back(MakeDelivery(page_, "alpha", 4));
  batch.push_back(MakeDelivery(page_, "gamma", 4));
  ASSERT_OK(InsertNew(batch));

  DeliveryQuery q;
  q.subscriber_id = "beta";
  EXPECT_EQ(
      List(q),
      (std::vector<Key>{
          {"beta", 0}, {"beta", 4}, {"beta", 7}, {"beta", 9}, {"beta", 12}}));
  q.limit = 2;
  EXPECT_EQ(List(q), (std::vector<Key>{{"beta", 0}, {"beta", 4}}));
  q.after = Key{"beta", 4};
  EXPECT_EQ(List(q), (std::vector<Key>{{"beta", 7}, {"beta", 9}}));
  q.after = Key{"beta", 12};
  EXPECT_EQ(List(q), std::vector<Key>{});
  // One event of one subscriber; 0 names the confirmation mail.
  DeliveryQuery one;
  one.subscriber_id = "beta";
  one.event_seq = 0;
  EXPECT_EQ(List(one), (std::vector<Key>{{"beta", 0}}));
}

TEST_F(DeliveryRepositoryTest, List_ByEvent_BySubscriberWithResume) {
  ASSERT_OK(InsertNew(
      {MakeDelivery(page_, "gamma", 4), MakeDelivery(page_, "alpha", 4),
       MakeDelivery(page_, "beta", 4), MakeDelivery(page_, "beta", 5)}));
  const std::string other = NewPage();
  ASSERT_OK(Write([&](Transaction& tx) {
    return tx.subscribers().Insert(
        MakeWebhookSubscriber(other, "alpha", "https://x.test/"));
  }));
  ASSERT_OK(InsertNew({MakeDelivery(other, "alpha", 4)}));

  DeliveryQuery q;
  q.event_seq = 4;
  EXPECT_EQ(List(q),
            (std::vector<Key>{{"alpha", 4}, {"beta", 4}, {"gamma", 4}}));
  q.limit = 1;
  q.after = Key{"alpha", 4};
  EXPECT_EQ(List(q), (std::vector<Key>{{"beta", 4}}));
  q.after = Key{"beta", 4};
  EXPECT_EQ(List(q), (std::vector<Key>{{"gamma", 4}}));
  // The whole page, across subscribers.
  DeliveryQuery all;
  all.after = Key{"beta", 4};
  EXPECT_EQ(List(all), (std::vector<Key>{{"beta", 5}, {"gamma", 4}}));
}

TEST_F(DeliveryRepositoryTest, List_WithAStateFilter_OnlyThatState) {
  std::vector<Delivery> batch;
  for (int seq = 1; seq <= 6; ++seq) {
    batch.push_back(MakeDelivery(page_, "alpha", seq));
  }
  batch.push_back(MakeDelivery(page_, "beta", 2));
  ASSERT_OK(InsertNew(batch));
  for (int seq : {2, 3, 5}) {
    Delivery failed = MakeDelivery(page_, "alpha", seq);
    failed.state = DeliveryState::kFailed;
    failed.attempts = 12;
    ASSERT_OK(Update(failed));
  }
  Delivery failed_beta = MakeDelivery(page_, "beta", 2);
  failed_beta.state = DeliveryState::kFailed;
  ASSERT_OK(Update(failed_beta));

  DeliveryQuery q;
  q.subscriber_id = "alpha";
  q.state = DeliveryState::kFailed;
  EXPECT_EQ(List(q),
            (std::vector<Key>{{"alpha", 2}, {"alpha", 3}, {"alpha", 5}}));
  q.after = Key{"alpha", 3};
  EXPECT_EQ(List(q), (std::vector<Key>{{"alpha", 5}}));
  DeliveryQuery by_event;
  by_event.event_seq = 2;
  by_event.state = DeliveryState::kFailed;
  EXPECT_EQ(List(by_event), (std::vector<Key>{{"alpha", 2}, {"beta", 2}}));
  by_event.state = DeliveryState::kPending;
  EXPECT_EQ(List(by_event), std::vector<Key>{});
}

TEST_F(DeliveryRepositoryTest, ListOpen_PendingAndRetryingInEventOrder) {
  std::vector<Delivery> batch;
  for (int seq = 1; seq <= 6; ++seq) {
    batch.push_back(MakeDelivery(page_, "alpha", seq));
  }
  batch.push_back(MakeDelivery(page_, "beta", 1));
  ASSERT_OK(InsertNew(batch));
  Delivery delivered = MakeDelivery(page_, "alpha", 1);
  delivered.state = DeliveryState::kDelivered;
  ASSERT_OK(Update(delivered));
  Delivery retrying = MakeDelivery(page_, "alpha", 2);
  retrying.state = DeliveryState::kRetrying;
  retrying.attempts = 1;
  ASSERT_OK(Update(retrying));
  Delivery failed = MakeDelivery(page_, "alpha", 4);
  failed.state = DeliveryState::kFailed;
  ASSERT_OK(Update(failed));

  EXPECT_EQ(ListOpen("alpha", 100),
            (std::vector<Key>{
                {"alpha", 2}, {"alpha", 3}, {"alpha", 5}, {"alpha", 6}}));
  EXPECT_EQ(ListOpen("alpha", 2),
            (std::vector<Key>{{"alpha", 2}, {"alpha", 3}}));
  EXPECT_EQ(ListOpen("alpha", 0), std::vector<Key>{});
  EXPECT_EQ(ListOpen("gamma", 100), std::vector<Key>{});
}

TEST_F(DeliveryRepositoryTest, Update_WritesTheAttemptFields) {
  Delivery d = MakeDelivery(page_, "alpha", 3);
  ASSERT_OK(InsertNew({d}));
  Delivery attempted = d;
  attempted.state = DeliveryState::kRetrying;
  attempted.attempts = 2;
  attempted.last_error = "connect: Connection refused";
  attempted.horizon_start = At(205);
  attempted.last_attempt_time = At(206) + absl::Microseconds(1);
  attempted.next_attempt_time = At(208);
  attempted.deliver_time = At(209);
  // Not written: the key and what the event made it.
  attempted.event_type = EventType::kIncidentResolved;
  attempted.incident_id = "another";
  attempted.create_time = At(999);
  ASSERT_OK(Update(attempted));
  Delivery expected = attempted;
  expected.event_type = d.event_type;
  expected.incident_id = d.incident_id;
  expected.create_time = d.create_time;
  ASSERT_OK_AND_ASSIGN(Delivery got, Get("alpha", 3));
  EXPECT_EQ(Dump(got), Dump(expected));
  // Writing what it holds already is fine.
  EXPECT_OK(Update(attempted));
  // Back to no times at all.
  Delivery cleared = expected;
  cleared.state = DeliveryState::kPending;
  cleared.last_attempt_time.reset();
  cleared.next_attempt_time.reset();
  cleared.deliver_time.reset();
  ASSERT_OK(Update(cleared));
  ASSERT_OK_AND_ASSIGN(got, Get("alpha", 3));
  EXPECT_EQ(Dump(got), Dump(cleared));
}

TEST_F(DeliveryRepositoryTest, Update_UnknownDelivery_IsNotFound) {
  EXPECT_CODE(Update(MakeDelivery(page_, "alpha", 99)),
              absl::StatusCode::kNotFound);
}

TEST_F(DeliveryRepositoryTest,
       RescheduleOpen_MovesOnlyTheSubscribersOpenDeliveries) {
  std::vector<Delivery> batch;
  for (int seq = 1; seq <= 4; ++seq) {
    batch.push_back(MakeDelivery(page_, "alpha", seq));
  }
  batch.push_back(MakeDelivery(page_, "beta", 1));
  ASSERT_OK(InsertNew(batch));
  Delivery retrying = MakeDelivery(page_, "alpha", 2);
  retrying.state = DeliveryState::kRetrying;
  retrying.next_attempt_time = At(500);
  ASSERT_OK(Update(retrying));
  Delivery delivered = MakeDelivery(page_, "alpha", 3);
  delivered.state = DeliveryState::kDelivered;
  delivered.next_attempt_time.reset();
  ASSERT_OK(Update(delivered));

  absl::StatusOr<int64_t> moved;
  ASSERT_OK(Write([&](Transaction& tx) {
    moved = tx.deliveries().RescheduleOpen(page_, "alpha", At(300));
    return moved.status();
  }));
  EXPECT_EQ(*moved, 3);
  for (int seq : {1, 2, 4}) {
    ASSERT_OK_AND_ASSIGN(Delivery got, Get("alpha", seq));
    EXPECT_EQ(got.next_attempt_time, At(300)) << seq;
  }
  ASSERT_OK_AND_ASSIGN(Delivery kept, Get("alpha", 3));
  EXPECT_EQ(kept.next_attempt_time, std::nullopt);
  ASSERT_OK_AND_ASSIGN(Delivery other, Get("beta", 1));
  EXPECT_EQ(other.next_attempt_time, At(200));
}

TEST_F(DeliveryRepositoryTest,
       PruneFinished_DeletesOnlyOldDeliveredAndFailed_UpToTheLimit) {
  std::vector<Delivery> batch;
  for (int seq = 1; seq <= 6; ++seq) {
    Delivery d = MakeDelivery(page_, "alpha", seq);
    d.create_time = At(seq * 10);
    batch.push_back(d);
  }
  ASSERT_OK(InsertNew(batch));
  auto finish = [&](int seq, DeliveryState state) {
    Delivery d = batch[seq - 1];
    d.state = state;
    ASSERT_OK(Update(d));
  };
  finish(1, DeliveryState::kDelivered);
  finish(2, DeliveryState::kFailed);
  finish(3, DeliveryState::kDelivered);
  finish(4, DeliveryState::kRetrying);   // 5 stays pending
  finish(6, DeliveryState::kDelivered);  // too new

  auto prune = [&](absl::Time before, int limit) {
    absl::StatusOr<int64_t> pruned;
    EXPECT_OK(Write([&](Transaction& tx) {
      pruned = tx.deliveries().PruneFinished(before, limit);
      return pruned.status();
    }));
    return pruned.value_or(-1);
  };
  EXPECT_EQ(prune(At(60), 0), 0);
  EXPECT_EQ(prune(At(60), 2), 2);
  EXPECT_EQ(prune(At(60), 100), 1);
  EXPECT_EQ(prune(At(60), 100), 0);
  EXPECT_EQ(ListOpen("alpha", 100),
            (std::vector<Key>{{"alpha", 4}, {"alpha", 5}}));
  DeliveryQuery q;
  q.subscriber_id = "alpha";
  EXPECT_EQ(List(q),
            (std::vector<Key>{{"alpha", 4}, {"alpha", 5}, {"alpha", 6}}));
}

// --- The dispatcher's cursor.

TEST_F(DeliveryRepositoryTest,
       ListBacklog_PagesWithEventsPastTheirCursor_AbsentCursorAtZero) {
  const std::string caught_up = NewPage();
  const std::string behind = NewPage();
  const std::string no_events = NewPage();
  const std::string nobody_notified = NewPage();
  for (const std::string& page : {caught_up, behind, no_events}) {
    Subscriber s = MakeWebhookSubscriber(page, "hook", "https://h.example/x");
    ASSERT_OK(Write([&](Transaction& tx) { return tx.subscribers().Insert(s); }));
  }
  // Only a subscriber still waiting for confirmation: nobody to notify.
  Subscriber pending = MakeWebhookSubscriber(nobody_notified, "p", "https://h.example/p");
  pending.state = SubscriberState::kPendingConfirmation;
  ASSERT_OK(Write([&](Transaction& tx) { return tx.subscribers().Insert(pending); }));
  AppendEvents(page_, 3);
  AppendEvents(caught_up, 2);
  AppendEvents(behind, 5);
  AppendEvents(nobody_notified, 4);
  ASSERT_OK(MoveCursor(caught_up, 2));
  ASSERT_OK(MoveCursor(behind, 1));

  ASSERT_OK_AND_ASSIGN(std::vector<DeliveryRepository::Backlog> backlog,
                       Backlog(100));
  std::vector<std::tuple<std::string, int64_t, int64_t>> got;
  for (const auto& b : backlog)
    got.emplace_back(b.page_id, b.cursor, b.last_seq);
  std::vector<std::tuple<std::string, int64_t, int64_t>> expected = {
      {page_, 0, 3}, {behind, 1, 5}};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);
  ASSERT_OK_AND_ASSIGN(backlog, Backlog(1));
  EXPECT_EQ(backlog.size(), 1u);
  ASSERT_OK_AND_ASSIGN(backlog, Backlog(0));
  EXPECT_TRUE(backlog.empty());
}

TEST_F(DeliveryRepositoryTest,
       LockCursor_CreatesItAtZero_ThenReturnsWhereSetCursorLeftIt) {
  AppendEvents(page_, 4);
  EXPECT_EQ(MoveCursor(page_, 3).value_or(std::optional<int64_t>(-1)),
            std::optional<int64_t>(0));
  EXPECT_EQ(MoveCursor(page_, 4).value_or(std::optional<int64_t>(-1)),
            std::optional<int64_t>(3));
  // Setting it where it is already is fine.
  EXPECT_EQ(MoveCursor(page_, 4).value_or(std::optional<int64_t>(-1)),
            std::optional<int64_t>(4));
  ASSERT_OK_AND_ASSIGN(std::vector<DeliveryRepository::Backlog> backlog,
                       Backlog(100));
  EXPECT_TRUE(backlog.empty());
  // A rolled-back move leaves it where it was.
  EXPECT_CODE(Write([&](Transaction& tx) -> absl::Status {
                absl::StatusOr<std::optional<int64_t>> at =
                    tx.deliveries().LockCursor(page_);
                if (!at.ok()) return at.status();
                if (absl::Status s = tx.deliveries().SetCursor(page_, 1);
                    !s.ok()) {
                  return s;
                }
                return absl::CancelledError("rolled back");
              }),
              absl::StatusCode::kCancelled);
  EXPECT_EQ(MoveCursor(page_, 4).value_or(std::optional<int64_t>(-1)),
            std::optional<int64_t>(4));
}

TEST_F(DeliveryRepositoryTest, LockCursor_UnknownPage_IsNotFound) {
  EXPECT_CODE(MoveCursor("no-such-page", 1), absl::StatusCode::kNotFound);
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.deliveries().SetCursor("no-such-page", 1);
              }),
              absl::StatusCode::kNotFound);
  EXPECT_CODE(Read([&](Transaction& tx) {
                return tx.deliveries().LockCursor(page_).status();
              }),
              absl::StatusCode::kFailedPrecondition);
}

// Two dispatchers on two replicas: while one holds the page's cursor, the
// other is told so at once instead of waiting.
TEST_F(DeliveryRepositoryTest,
       LockCursor_HeldByAnotherTransaction_IsSkippedWithoutWaiting) {
  AppendEvents(page_, 2);
  ASSERT_OK(MoveCursor(page_, 1));
  std::optional<int64_t> held;
  absl::Notification locked, second_done;
  std::thread holder([&] {
    EXPECT_OK(Write([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<std::optional<int64_t>> at =
          tx.deliveries().LockCursor(page_);
      if (at.ok()) held = *at;
      locked.Notify();
      second_done.WaitForNotification();
      if (!at.ok()) return at.status();
      return tx.deliveries().SetCursor(page_, 2);
    }));
  });
  locked.WaitForNotification();
  absl::StatusOr<std::optional<int64_t>> second;
  const absl::Time started = absl::Now();
  absl::Status status = Write([&](Transaction& tx) {
    second = tx.deliveries().LockCursor(page_);
    return second.status();
  });
  const absl::Duration took = absl::Now() - started;
  second_done.Notify();
  holder.join();

  EXPECT_EQ(held, std::optional<int64_t>(1));
  ASSERT_OK(status);
  ASSERT_OK(second);
  EXPECT_EQ(*second, std::nullopt);
  // Skipped, not waited for (the lock wait timeout is 2 s).
  EXPECT_LT(took, absl::Seconds(1));
  // The holder's move committed, and the cursor is free again.
  EXPECT_EQ(MoveCursor(page_, 2).value_or(std::optional<int64_t>(-1)),
            std::optional<int64_t>(2));
}

}  // namespace
}  // namespace incidentd::testing
