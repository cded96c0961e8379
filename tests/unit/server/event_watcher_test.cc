// The watcher's delivery rule: every event after the start exactly once, in
// order, whatever the hub offers (duplicates, gaps, events racing a read),
// filters that move the position on, a bounded buffer, and heartbeats.
#include "server/event_watcher.h"

#include <deque>
#include <memory>

#include "tests/unit/server/watch_fixture.h"

namespace incidentd::testing {
namespace {

constexpr char kPage[] = "acme";

// Runs the reads a watcher asks for, by hand.
class ManualHost final : public WatcherHost {
 public:
  void RequestRead(std::shared_ptr<EventWatcher> watcher) override {
    absl::MutexLock lock(&mu_);
    reads_.push_back(std::move(watcher));
  }
  void RemoveWatcher(EventWatcher*) override {
    absl::MutexLock lock(&mu_);
    ++removed_;
  }

  size_t pending() {
    absl::MutexLock lock(&mu_);
    return reads_.size();
  }
  // Runs the oldest requested read; its status (non-OK: to retry).
  absl::Status RunOne() {
    std::shared_ptr<EventWatcher> watcher;
    {
      absl::MutexLock lock(&mu_);
      if (reads_.empty()) return absl::NotFoundError("no read requested");
      watcher = std::move(reads_.front());
      reads_.pop_front();
    }
    absl::Status s = watcher->RunRead(absl::InfiniteFuture());
    if (!s.ok()) RequestRead(watcher);  // as the hub retries
    return s;
  }
  // Runs reads until none is requested.
  void RunAll() {
    for (int i = 0; i < 1000 && pending() > 0; ++i) {
      ASSERT_OK(RunOne());
    }
  }
  int removed() {
    absl::MutexLock lock(&mu_);
    return removed_;
  }

 private:
  absl::Mutex mu_;
  std::deque<std::shared_ptr<EventWatcher>> reads_ ABSL_GUARDED_BY(mu_);
  int removed_ ABSL_GUARDED_BY(mu_) = 0;
};

class EventWatcherTest : public EventLogTest {
 protected:
  void SetUp() override { AddPage(kPage); }

  std::shared_ptr<EventWatcher> Watch(int64_t after, bool snapshot = false,
                                      EventFilter filter = {}) {
    WatchRequest request;
    request.page_id = kPage;
    request.after_sequence = after;
    request.snapshot = snapshot;
    request.filter = std::move(filter);
    auto watcher = std::make_shared<EventWatcher>(request, options_, log_,
                                                  host_, clock_, &stream_);
    stream_.Bind(watcher.get());
    held_ = watcher;  // as the reactor holds it until gRPC is done
    // As the hub does on AddWatcher.
    host_.RequestRead(watcher);
    return watcher;
  }

  // The hub offering events `from`..`to` of the page.
  void Offer(EventWatcher& w, int64_t from, int64_t to) {
    std::vector<std::shared_ptr<const EncodedEvent>> events;
    for (int64_t s = from; s <= to; ++s) events.push_back(Encoded(kPage, s));
    w.Offer(events, to);
  }

  EventWatcher::Options options_;
  ManualHost host_;
  FakeStream stream_;
  std::shared_ptr<EventWatcher> held_;
};

TEST_F(EventWatcherTest, ResumeFromTheMiddle_ReplaysTheRestThenTakesLive) {
  AppendMany(kPage, 5);
  auto w = Watch(2);
  host_.RunAll();
  stream_.Drain();
  EXPECT_EQ(stream_.events(), Range(3, 5));
  EXPECT_TRUE(stream_.headers());

  AppendMany(kPage, 1);
  Offer(*w, 6, 6);
  stream_.Drain();
  EXPECT_EQ(stream_.events(), Range(3, 6));
  EXPECT_EQ(host_.pending(), 0u) << "a live event needs no read";
}

TEST_F(EventWatcherTest, ResumeFromZero_DeliversEveryEventKept) {
  AppendMany(kPage, 4);
  auto w = Watch(0);
  host_.RunAll();
  stream_.Drain();
  EXPECT_EQ(stream_.events(), Range(1, 4));
  EXPECT_EQ(w->position(), 4);
}

// 0 means "from event 1": once it is pruned, starting at the oldest kept
// would skip events without telling the client.
TEST_F(EventWatcherTest, ResumeFromZeroAfterPruning_IsFailedPrecondition) {
  AppendMany(kPage, 3);
  clock_.Advance(absl::Hours(1));
  AppendMany(kPage, 2);
  PruneBefore(clock_.Now() - absl::Minutes(1));  // 1..3 go
  auto w = Watch(0);
  host_.RunAll();
  stream_.Drain();
  EXPECT_TRUE(stream_.events().empty());
  ASSERT_TRUE(stream_.closed().has_value());
  EXPECT_CODE(*stream_.closed(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(EventWatcherTest, DuplicatesOffered_AreDeliveredOnce) {
  AppendMany(kPage, 3);
  auto w = Watch(3);
  host_.RunAll();
  AppendMany(kPage, 2);  // 4, 5
  Offer(*w, 4, 4);
  Offer(*w, 2, 5);  // 2..4 again, and 5
  Offer(*w, 5, 5);
  stream_.Drain();
  EXPECT_EQ(stream_.events(), Range(4, 5));
}

TEST_F(EventWatcherTest, GapInWhatTheHubOffers_IsReadFromTheLogInOrder) {
  AppendMany(kPage, 3);
  auto w = Watch(3);
  host_.RunAll();
  AppendMany(kPage, 3);  // 4, 5, 6
  Offer(*w, 6, 6);       // the hub missed 4 and 5
  stream_.Drain();
  EXPECT_TRUE(stream_.events().empty()) << "6 must wait for 4 and 5";
  ASSERT_EQ(host_.pending(), 1u);
  host_.RunAll();
  stream_.Drain();
  EXPECT_EQ(stream_.events(), Range(4, 6));
}

TEST_F(EventWatcherTest, HeadBeyondTheEventsOffered_IsReadFromTheLog) {
  auto w = Watch(0);
  host_.RunAll();
  AppendMany(kPage, 2);
  w->Offer({}, 2);  // the hub only knows the head moved
  host_.RunAll();
  stream_.Drain();
  EXPECT_EQ(stream_.events(), Range(1, 2));
}

TEST_F(EventWatcherTest, CommitDuringTheStartRead_IsNeitherLostNorDoubled) {
  AppendMany(kPage, 3);
  auto w = Watch(0);
  // Event 4 commits and the hub offers it while the start read (which saw
  // only 1..3) is still running.
  log_.after_read = [&] {
    AppendMany(kPage, 1);
    Offer(*w, 4, 4);
  };
  host_.RunAll();
  stream_.Drain();
  EXPECT_EQ(stream_.events(), Range(1, 4));
  // And after the switch, live again.
  AppendMany(kPage, 1);
  Offer(*w, 4, 5);
  stream_.Drain();
  EXPECT_EQ(stream_.events(), Range(1, 5));
}

TEST_F(EventWatcherTest, CommitDuringAReplayRead_IsNeitherLostNorDoubled) {
  options_.read_batch = 2;
  AppendMany(kPage, 5);
  auto w = Watch(0);
  ASSERT_OK(host_.RunOne());  // the start: 1, 2
  stream_.Drain();
  log_.after_read = [&] {  // during the read of 3..5
    AppendMany(kPage, 2);
    Offer(*w, 6, 7);
  };
  host_.RunAll();
  stream_.Drain();
  EXPECT_EQ(stream_.events(), Range(1, 7));
}

TEST_F(EventWatcherTest, Snapshot_ComesFirstThenEventsAfterIt) {
  AppendMany(kPage, 3);
  auto w = Watch(0, /*snapshot=*/true);
  host_.RunAll();
  AppendMany(kPage, 1);
  Offer(*w, 1, 4);
  stream_.Drain();
  std::vector<v1::WatchPageResponse> sent = stream_.sent();
  ASSERT_EQ(sent.size(), 2u);
  ASSERT_TRUE(sent[0].has_snapshot());
  EXPECT_EQ(sent[0].snapshot().sequence(), 3);
  EXPECT_EQ(sent[0].snapshot().page().name(), "pages/acme");
  ASSERT_TRUE(sent[1].has_event());
  EXPECT_EQ(sent[1].event().sequence(), 4);
}

TEST_F(EventWatcherTest, EventsOffered_AreTheStoredEventsWithTheirSequence) {
  AppendMany(kPage, 1);
  auto w = Watch(0);
  host_.RunAll();
  stream_.Drain();
  ASSERT_EQ(stream_.sent().size(), 1u);
  const v1::Event e = stream_.sent()[0].event();
  EXPECT_EQ(e.sequence(), 1);
  EXPECT_EQ(e.page(), "pages/acme");
  EXPECT_EQ(e.type(), v1::Event::COMPONENT_STATUS_CHANGED);
  EXPECT_EQ(e.component().name(), "pages/acme/components/api");
}

TEST_F(EventWatcherTest, FilteredOutEvents_AdvanceThePositionByAHeartbeat) {
  EventFilter filter;
  filter.types.insert(static_cast<int>(EventType::kIncidentCreated));
  auto w = Watch(0, false, filter);
  host_.RunAll();
  AppendMany(kPage, 3);
  Offer(*w, 1, 3);
  stream_.Drain();
  EXPECT_TRUE(stream_.events().empty());
  EXPECT_EQ(stream_.heartbeats(), std::vector<int64_t>{3});
  EXPECT_EQ(w->position(), 3);

  Append(kPage, EventType::kIncidentCreated, "outage");
  Offer(*w, 4, 4);
  stream_.Drain();
  EXPECT_EQ(stream_.events(), std::vector<int64_t>{4});
}

TEST_F(EventWatcherTest, FilteredOutEvents_WhileReplaying_AlsoAdvanceIt) {
  AppendMany(kPage, 5);
  EventFilter filter;
  filter.incident_ids.insert("outage");
  Watch(0, false, filter);
  host_.RunAll();
  stream_.Drain();
  EXPECT_TRUE(stream_.events().empty());
  EXPECT_EQ(stream_.heartbeats(), std::vector<int64_t>{5});
}

TEST(EventFilterTest, AnEventPassesWhenItPassesEveryFilterGiven) {
  EncodedEvent e;
  e.type = EventType::kIncidentUpdatePosted;
  e.incident_id = "outage";
  e.component_ids = {"api", "db"};

  EXPECT_TRUE(EventFilter().Matches(e));
  EventFilter by_component;
  by_component.component_ids = {"db", "web"};
  EXPECT_TRUE(by_component.Matches(e));
  by_component.component_ids = {"web"};
  EXPECT_FALSE(by_component.Matches(e));

  EventFilter by_incident;
  by_incident.incident_ids = {"outage"};
  EXPECT_TRUE(by_incident.Matches(e));
  by_incident.incident_ids = {"other"};
  EXPECT_FALSE(by_incident.Matches(e));

  EventFilter all;
  all.types = {static_cast<int>(EventType::kIncidentUpdatePosted)};
  all.incident_ids = {"outage"};
  all.component_ids = {"api"};
  EXPECT_TRUE(all.Matches(e));
  all.types = {static_cast<int>(EventType::kIncidentResolved)};
  EXPECT_FALSE(all.Matches(e));
}

TEST_F(EventWatcherTest,
       SlowReader_OverflowEndsResourceExhaustedNamingTheLastSequenceSent) {
  options_.buffer = 3;
  auto w = Watch(0);
  host_.RunAll();
  AppendMany(kPage, 5);
  Offer(*w, 1, 1);  // sent at once: in flight, never read
  Offer(*w, 2, 4);  // fills the buffer
  EXPECT_EQ(w->buffered(), 3u);
  EXPECT_FALSE(stream_.closed().has_value());
  Offer(*w, 5, 5);  // one too many
  EXPECT_EQ(w->buffered(), 0u) << "the buffer is dropped at once";
  // The status waits for the write in flight, so that the client has
  // everything up to the sequence it names.
  EXPECT_FALSE(stream_.closed().has_value());
  stream_.Drain();
  ASSERT_TRUE(stream_.closed().has_value());
  EXPECT_EQ(stream_.closed()->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(stream_.closed()->message(),
            "watcher fell behind at sequence 1; resume with after_sequence=1");
  EXPECT_EQ(stream_.events(), std::vector<int64_t>{1});
  EXPECT_GE(host_.removed(), 1) << "the hub stops offering to it";
}

TEST_F(EventWatcherTest, SlowReaderReplaying_ReadsOnlyWhenItsBufferHasRoom) {
  options_.buffer = 4;
  options_.read_batch = 4;
  AppendMany(kPage, 20);
  auto w = Watch(0);
  host_.RunAll();  // one page; the client reads none of it yet
  EXPECT_EQ(host_.pending(), 0u) << "no room: no further read";
  EXPECT_LE(w->buffered(), 4u);
  EXPECT_FALSE(stream_.closed().has_value()) << "replay never overflows";
  for (int i = 0; i < 100 && stream_.events().size() < 20; ++i) {
    stream_.Drain();
    host_.RunAll();
    EXPECT_LE(w->buffered(), 4u);
  }
  EXPECT_EQ(stream_.events(), Range(1, 20));
}

TEST_F(EventWatcherTest, SlowReaderReplayingLargeEvents_PausesAtTheByteCap) {
  options_.read_batch = 2;
  options_.max_replay_bytes = 150 * 1024;
  for (int i = 0; i < 10; ++i) {  // 100 KiB each
    Component c;
    c.page_id = kPage;
    c.id = "api";
    c.description = std::string(100 * 1024, 'x');
    Event e = MakeComponentEvent(EventType::kComponentUpdated,
                                 {clock_.Now(), ""}, c);
    ASSERT_OK(store_.ReadWrite(kNoDeadline, [&](storage::Transaction& tx) {
      return tx.events().Append(e);
    }));
  }
  auto w = Watch(0);
  host_.RunAll();  // the client reads nothing yet
  EXPECT_LE(w->buffered(), 3u) << "replay paused on bytes, not on count";
  for (int i = 0; i < 100 && stream_.events().size() < 10; ++i) {
    stream_.Drain();
    host_.RunAll();
    EXPECT_LE(w->buffered(), 3u);
  }
  EXPECT_EQ(stream_.events(), Range(1, 10));
}

TEST_F(EventWatcherTest, PrunedWhileReplaying_EndsFailedPrecondition) {
  options_.read_batch = 2;
  AppendMany(kPage, 2);
  clock_.Advance(absl::Hours(1));
  AppendMany(kPage, 4);  // 3..6
  auto w = Watch(1);
  ASSERT_OK(host_.RunOne());  // the start: 2, 3
  stream_.Drain();
  clock_.Advance(absl::Hours(1));
  AppendMany(kPage, 1);
  PruneBefore(clock_.Now() - absl::Minutes(1));  // 1..6 go; 7 stays
  host_.RunAll();
  stream_.Drain();
  EXPECT_EQ(stream_.events(), Range(2, 3));
  ASSERT_TRUE(stream_.closed().has_value());
  EXPECT_EQ(stream_.closed()->code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(stream_.closed()->message().find("snapshot"), std::string::npos);
}

TEST_F(EventWatcherTest, StartThatFails_EndsWithItsStatus) {
  AppendMany(kPage, 2);
  Watch(5);
  host_.RunAll();
  ASSERT_TRUE(stream_.closed().has_value());
  EXPECT_EQ(stream_.closed()->code(), absl::StatusCode::kOutOfRange);
}

TEST_F(EventWatcherTest, DatabaseAwayWhileReplaying_StreamStaysAndCatchesUp) {
  AppendMany(kPage, 2);
  auto w = Watch(2);
  host_.RunAll();
  AppendMany(kPage, 2);
  log_.failing = true;
  w->Offer({}, 4);
  EXPECT_CODE(host_.RunOne(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(stream_.closed().has_value());
  // Heartbeats go on meanwhile.
  clock_.Advance(options_.heartbeat_interval);
  w->MaybeHeartbeat(clock_.Now());
  stream_.Drain();
  EXPECT_EQ(stream_.heartbeats(), std::vector<int64_t>{2});

  log_.failing = false;
  host_.RunAll();
  stream_.Drain();
  EXPECT_EQ(stream_.events(), Range(3, 4));
}

TEST_F(EventWatcherTest, Heartbeat_OnlyAfterAFullIdleInterval) {
  auto w = Watch(0);
  host_.RunAll();
  clock_.Advance(options_.heartbeat_interval - absl::Seconds(1));
  w->MaybeHeartbeat(clock_.Now());
  EXPECT_TRUE(stream_.sent().empty());
  clock_.Advance(absl::Seconds(1));
  w->MaybeHeartbeat(clock_.Now());
  ASSERT_EQ(stream_.heartbeats(), std::vector<int64_t>{0});
  const v1::Heartbeat hb = stream_.sent().back().heartbeat();
  EXPECT_EQ(hb.time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  stream_.Drain();

  // An event resets the interval.
  clock_.Advance(absl::Seconds(5));
  AppendMany(kPage, 1);
  Offer(*w, 1, 1);
  stream_.Drain();
  clock_.Advance(options_.heartbeat_interval - absl::Seconds(1));
  w->MaybeHeartbeat(clock_.Now());
  EXPECT_EQ(stream_.heartbeats().size(), 1u);
  clock_.Advance(absl::Seconds(1));
  w->MaybeHeartbeat(clock_.Now());
  EXPECT_EQ(stream_.heartbeats(), (std::vector<int64_t>{0, 1}));
}

TEST_F(EventWatcherTest, Heartbeat_NotWhileAWriteIsInFlight) {
  auto w = Watch(0);
  host_.RunAll();
  AppendMany(kPage, 1);
  Offer(*w, 1, 1);  // in flight, unread
  clock_.Advance(options_.heartbeat_interval * 3);
  w->MaybeHeartbeat(clock_.Now());
  EXPECT_EQ(stream_.sent().size(), 1u);
}

TEST_F(EventWatcherTest, Cancelled_FinishesOnceTheWriteInFlightIsDone) {
  auto w = Watch(0);
  host_.RunAll();
  AppendMany(kPage, 1);
  Offer(*w, 1, 1);
  w->OnCancel();
  EXPECT_FALSE(stream_.closed().has_value());
  ASSERT_TRUE(stream_.Complete(/*ok=*/false));
  ASSERT_TRUE(stream_.closed().has_value());
  EXPECT_EQ(stream_.closed()->code(), absl::StatusCode::kCancelled);
}

TEST_F(EventWatcherTest, AfterOnDone_NothingIsSent) {
  auto w = Watch(0);
  host_.RunAll();
  w->End(absl::UnavailableError("shutting down"));
  ASSERT_TRUE(stream_.closed().has_value());
  w->OnDone();
  AppendMany(kPage, 1);
  Offer(*w, 1, 1);
  clock_.Advance(absl::Hours(1));
  w->MaybeHeartbeat(clock_.Now());
  EXPECT_TRUE(stream_.sent().empty());
}

}  // namespace
}  // namespace incidentd::testing
