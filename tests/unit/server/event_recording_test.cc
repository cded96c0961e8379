#include "server/event_recording.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/event_encoding.h"
#include "server/status_macros.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/server/fake_store.h"
#include "tests/unit/server/recording_notifier.h"

namespace incidentd::testing {
namespace {

using storage::Transaction;

constexpr absl::Time kNoDeadline = absl::InfiniteFuture();
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

Event GroupEvent(const std::string& page, const std::string& group) {
  ComponentGroup g;
  g.page_id = page;
  g.id = group;
  g.display_name = group;
  return MakeGroupEvent(EventType::kComponentGroupCreated,
                        EventOrigin{kNow, ""}, g);
}

// The store's runs of `fn` retried once, as MySqlStore does on a deadlock:
// the first run's work is rolled back, then `fn` runs again from scratch.
class RetryOnceStore final : public storage::Store {
 public:
  explicit RetryOnceStore(FakeStore& inner) : inner_(inner) {}
  absl::Status ReadWrite(
      absl::Time deadline,
      absl::FunctionRef<absl::Status(Transaction&)> fn) override {
    absl::Status first =
        inner_.ReadWrite(deadline, [&](Transaction& tx) -> absl::Status {
          absl::Status s = fn(tx);
          return s.ok() ? absl::AbortedError("deadlock") : s;
        });
    if (!absl::IsAborted(first)) return first;
    ++retries_;
    return inner_.ReadWrite(deadline, fn);
  }
  absl::Status ReadOnly(
      absl::Time deadline,
      absl::FunctionRef<absl::Status(Transaction&)> fn) override {
    return inner_.ReadOnly(deadline, fn);
  }
  absl::Status Ping(absl::Time deadline) override {
    return inner_.Ping(deadline);
  }
  int retries() const { return retries_; }

 private:
  FakeStore& inner_;
  int retries_ = 0;
};

class EventRecordingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"acme", "beta"}) {
      ASSERT_OK(store_.ReadWrite(kNoDeadline, [&](Transaction& tx) {
        Page page;
        page.id = id;
        page.version = 1;
        return tx.pages().Insert(page);
      }));
    }
  }

  static std::vector<int64_t> Seqs(const std::vector<Event>& events) {
    std::vector<int64_t> out;
    for (const Event& e : events) out.push_back(e.seq);
    return out;
  }
  static std::vector<std::string> Resources(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const Event& e : events) out.push_back(e.resource_name);
    return out;
  }

  FakeStore store_;
  RecordingNotifier notifier_;
};

TEST_F(EventRecordingTest,
       ReadWriteRecorded_AppendsInOrderFromOne_AndAnnouncesOnceAfterCommit) {
  ASSERT_OK(ReadWriteRecorded(
      store_, notifier_, kNoDeadline,
      [&](Transaction&, std::vector<Event>& events) -> absl::Status {
        events.push_back(GroupEvent("acme", "a"));
        events.push_back(GroupEvent("acme", "b"));
        events.push_back(GroupEvent("acme", "c"));
        // Not told before the commit.
        EXPECT_TRUE(notifier_.pages().empty());
        return absl::OkStatus();
      }));
  const std::vector<Event> log = store_.Events("acme");
  EXPECT_EQ(Seqs(log), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(Resources(log),
            (std::vector<std::string>{"pages/acme/componentGroups/a",
                                      "pages/acme/componentGroups/b",
                                      "pages/acme/componentGroups/c"}));
  EXPECT_EQ(notifier_.pages(), std::vector<std::string>{"acme"});
}

TEST_F(EventRecordingTest,
       ReadWriteRecorded_EventsAreAppendedAfterEverythingTheChangeWrote) {
  // The change writes after adding its events: Append must still come last,
  // so the page's sequence lock is the last one taken.
  ASSERT_OK(ReadWriteRecorded(
      store_, notifier_, kNoDeadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        events.push_back(GroupEvent("acme", "a"));
        ComponentGroup g;
        g.page_id = "acme";
        g.id = "a";
        g.version = 1;
        RETURN_IF_ERROR(tx.components().InsertGroup(g));
        ASSIGN_OR_RETURN(storage::EventRepository::Head head,
                         tx.events().GetHead("acme"));
        EXPECT_EQ(head.last_seq, 0);  // nothing appended yet
        return absl::OkStatus();
      }));
  EXPECT_EQ(Seqs(store_.Events("acme")), std::vector<int64_t>{1});
}

TEST_F(EventRecordingTest,
       ReadWriteRecorded_ChangeFails_AppendsNothingAndAnnouncesNothing) {
  EXPECT_CODE(
      ReadWriteRecorded(
          store_, notifier_, kNoDeadline,
          [&](Transaction&, std::vector<Event>& events) -> absl::Status {
            events.push_back(GroupEvent("acme", "a"));
            return absl::AbortedError("stale etag");
          }),
      absl::StatusCode::kAborted);
  EXPECT_TRUE(store_.Events("acme").empty());
  EXPECT_TRUE(notifier_.pages().empty());
}

TEST_F(EventRecordingTest,
       ReadWriteRecorded_AppendFails_RollsTheChangeBackAndAnnouncesNothing) {
  store_.SetAppendError(absl::UnavailableError("connection lost"));
  EXPECT_CODE(
      ReadWriteRecorded(
          store_, notifier_, kNoDeadline,
          [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
            ComponentGroup g;
            g.page_id = "acme";
            g.id = "a";
            g.version = 1;
            RETURN_IF_ERROR(tx.components().InsertGroup(g));
            events.push_back(GroupEvent("acme", "a"));
            return absl::OkStatus();
          }),
      absl::StatusCode::kUnavailable);
  EXPECT_TRUE(store_.Snapshot().groups.empty());
  EXPECT_TRUE(notifier_.pages().empty());
}

TEST_F(EventRecordingTest,
       ReadWriteRecorded_RetriedByTheStore_AppendsEachEventOnceWithoutGaps) {
  RetryOnceStore retrying(store_);
  int runs = 0;
  ASSERT_OK(ReadWriteRecorded(
      retrying, notifier_, kNoDeadline,
      [&](Transaction&, std::vector<Event>& events) -> absl::Status {
        ++runs;
        EXPECT_TRUE(events.empty()) << "a retry starts without events";
        events.push_back(GroupEvent("acme", "a"));
        events.push_back(GroupEvent("acme", "b"));
        return absl::OkStatus();
      }));
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(retrying.retries(), 1);
  // The rolled-back run's numbers were given out again, not skipped.
  EXPECT_EQ(Seqs(store_.Events("acme")), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(notifier_.pages(), std::vector<std::string>{"acme"});
}

TEST_F(EventRecordingTest,
       AppendEvents_SeveralPages_GroupsByPageInIdOrderKeepingEachPagesOrder) {
  std::vector<Event> events = {
      GroupEvent("beta", "b1"), GroupEvent("acme", "a1"),
      GroupEvent("beta", "b2"), GroupEvent("acme", "a2")};
  std::vector<std::string> appended;
  ASSERT_OK(store_.ReadWrite(kNoDeadline, [&](Transaction& tx) {
    RETURN_IF_ERROR(AppendEvents(tx, events));
    return absl::OkStatus();
  }));
  for (const Event& e : events) {
    appended.push_back(e.page_id + "#" + std::to_string(e.seq));
  }
  EXPECT_EQ(appended,
            (std::vector<std::string>{"acme#1", "acme#2", "beta#1", "beta#2"}));
  EXPECT_EQ(Resources(store_.Events("acme")),
            (std::vector<std::string>{"pages/acme/componentGroups/a1",
                                      "pages/acme/componentGroups/a2"}));
  EXPECT_EQ(Resources(store_.Events("beta")),
            (std::vector<std::string>{"pages/beta/componentGroups/b1",
                                      "pages/beta/componentGroups/b2"}));
}

TEST_F(EventRecordingTest, AnnounceEvents_TellsEachPageOnceInFirstSeenOrder) {
  AnnounceEvents(notifier_, {GroupEvent("beta", "x"), GroupEvent("acme", "y"),
                             GroupEvent("beta", "z")});
  EXPECT_EQ(notifier_.pages(), (std::vector<std::string>{"beta", "acme"}));
}

TEST_F(EventRecordingTest, AnnounceEvents_NoEvents_TellsNobody) {
  AnnounceEvents(notifier_, {});
  EXPECT_TRUE(notifier_.pages().empty());
}

// The FakeStore's log keeps EventRepository's contract, which the logic
// tests rely on.

TEST_F(EventRecordingTest, FakeEventLog_UnknownPage_IsNotFound) {
  Event event = GroupEvent("nope", "a");
  EXPECT_CODE(store_.ReadWrite(
                  kNoDeadline,
                  [&](Transaction& tx) { return tx.events().Append(event); }),
              absl::StatusCode::kNotFound);
}

TEST_F(EventRecordingTest,
       FakeEventLog_ListHeadAndLastSequences_FollowTheContract) {
  std::vector<Event> events = {GroupEvent("acme", "a"), GroupEvent("acme", "b"),
                               GroupEvent("acme", "c")};
  ASSERT_OK(store_.ReadWrite(
      kNoDeadline, [&](Transaction& tx) { return AppendEvents(tx, events); }));
  ASSERT_OK(store_.ReadOnly(kNoDeadline, [&](Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<Event> after_one,
                     tx.events().List("acme", 1, 10));
    EXPECT_EQ(Seqs(after_one), (std::vector<int64_t>{2, 3}));
    ASSIGN_OR_RETURN(std::vector<Event> limited,
                     tx.events().List("acme", 0, 2));
    EXPECT_EQ(Seqs(limited), (std::vector<int64_t>{1, 2}));
    ASSIGN_OR_RETURN(storage::EventRepository::Head head,
                     tx.events().GetHead("acme"));
    EXPECT_EQ(head.last_seq, 3);
    EXPECT_EQ(head.first_kept_seq, 1);
    EXPECT_CODE(tx.events().GetHead("nope"), absl::StatusCode::kNotFound);
    ASSIGN_OR_RETURN(auto last,
                     tx.events().LastSequences({"acme", "beta", "nope"}));
    EXPECT_EQ(last, (std::vector<std::pair<std::string, int64_t>>{
                        {"acme", 3}, {"beta", 0}}));
    return absl::OkStatus();
  }));
}

TEST_F(EventRecordingTest, FakeEventLog_PruneKeepsTheNumberingGoing) {
  std::vector<Event> events = {GroupEvent("acme", "a"),
                               GroupEvent("acme", "b")};
  ASSERT_OK(store_.ReadWrite(
      kNoDeadline, [&](Transaction& tx) { return AppendEvents(tx, events); }));
  ASSERT_OK(store_.ReadWrite(kNoDeadline, [&](Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t pruned,
                     tx.events().PruneBefore(kNow + absl::Seconds(1), 1));
    EXPECT_EQ(pruned, 1);
    ASSIGN_OR_RETURN(storage::EventRepository::Head head,
                     tx.events().GetHead("acme"));
    EXPECT_EQ(head.first_kept_seq, 2);
    EXPECT_EQ(head.last_seq, 2);
    return absl::OkStatus();
  }));
  std::vector<Event> more = {GroupEvent("acme", "c")};
  ASSERT_OK(store_.ReadWrite(
      kNoDeadline, [&](Transaction& tx) { return AppendEvents(tx, more); }));
  EXPECT_EQ(Seqs(store_.Events("acme")), (std::vector<int64_t>{2, 3}));
}

}  // namespace
}  // namespace incidentd::testing
