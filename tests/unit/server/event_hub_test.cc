// The hub: local commits reach watchers at once, other replicas' by the
// poll; a slow watcher never holds up the others; heartbeats; reads paced
// on the executor and retried; shutdown ends every stream. The tailer's
// rounds are driven by hand (Tick) on a fake clock, except where the test is
// that PageChanged wakes the real thread.
#include "server/event_hub.h"

#include <deque>
#include <memory>

#include "absl/synchronization/notification.h"
#include "server/executor.h"
#include "tests/unit/server/watch_fixture.h"

namespace incidentd::testing {
namespace {

constexpr char kPage[] = "acme";

// An executor whose tasks run when the test says so.
class ManualExecutor {
 public:
  EventHub::Submit submit() {
    return [this](absl::Time, Executor::Task task) -> absl::Status {
      absl::MutexLock lock(&mu_);
      if (!refuse_.ok()) return refuse_;
      tasks_.push_back(std::move(task));
      return absl::OkStatus();
    };
  }
  void Refuse(absl::Status status) {
    absl::MutexLock lock(&mu_);
    refuse_ = std::move(status);
  }
  size_t pending() {
    absl::MutexLock lock(&mu_);
    return tasks_.size();
  }
  bool RunOne() {
    Executor::Task task;
    {
      absl::MutexLock lock(&mu_);
      if (tasks_.empty()) return false;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task(absl::OkStatus());
    return true;
  }
  void RunAll() {
    for (int i = 0; i < 1000 && RunOne(); ++i) {
    }
  }

 private:
  absl::Mutex mu_;
  absl::Status refuse_ ABSL_GUARDED_BY(mu_);
  std::deque<Executor::Task> tasks_ ABSL_GUARDED_BY(mu_);
};

class EventHubTest : public EventLogTest {
 protected:
  void SetUp() override {
    AddPage(kPage);
    hub_options_.run_tailer_thread = false;
  }

  EventHub& hub() {
    if (hub_ == nullptr) {
      hub_ = std::make_unique<EventHub>(log_, clock_, executor_.submit(),
                                        hub_options_);
      hub_->Start();
    }
    return *hub_;
  }

  struct Watch {
    std::shared_ptr<EventWatcher> watcher;
    FakeStream* stream;
  };
  Watch AddWatcher(int64_t after = 0) {
    streams_.push_back(std::make_unique<FakeStream>());
    FakeStream* stream = streams_.back().get();
    WatchRequest request;
    request.page_id = kPage;
    request.after_sequence = after;
    auto w = std::make_shared<EventWatcher>(request, watcher_options_, log_,
                                            hub(), clock_, stream);
    stream->Bind(w.get());
    EXPECT_OK(hub().AddWatcher(w));
    return Watch{w, stream};
  }
  // A watcher that has started (its start read ran) and is live.
  Watch StartedWatcher(int64_t after = 0) {
    Watch w = AddWatcher(after);
    executor_.RunAll();
    w.stream->Drain();
    return w;
  }

  // Declared before the hub: they outlive it.
  std::vector<std::unique_ptr<FakeStream>> streams_;
  ManualExecutor executor_;
  EventHub::Options hub_options_;
  EventWatcher::Options watcher_options_;
  std::unique_ptr<EventHub> hub_;
};

TEST_F(EventHubTest, LocalCommit_ReachesWatchersWithoutWaitingForThePoll) {
  Watch w = StartedWatcher();
  hub().Tick();  // learns the page's head
  const int polls = log_.polls;

  Append(kPage, EventType::kComponentStatusChanged);
  hub().PageChanged(kPage);
  hub().Tick();  // the clock has not moved: no poll is due
  w.stream->Drain();
  EXPECT_EQ(w.stream->events(), std::vector<int64_t>{1});
  EXPECT_EQ(log_.polls, polls) << "fetched without polling";
}

TEST_F(EventHubTest, OtherReplicasCommit_IsFoundByTheNextPoll) {
  Watch w = StartedWatcher();
  hub().Tick();
  Append(kPage, EventType::kComponentStatusChanged);  // no PageChanged here
  hub().Tick();
  EXPECT_TRUE(w.stream->events().empty()) << "not before the poll is due";
  clock_.Advance(hub_options_.poll_interval);
  hub().Tick();
  w.stream->Drain();
  EXPECT_EQ(w.stream->events(), std::vector<int64_t>{1});
}

TEST_F(EventHubTest, EveryWatcherOfThePage_GetsEveryEventInOrder) {
  Watch a = StartedWatcher();
  Watch b = StartedWatcher();
  hub().Tick();
  for (int i = 0; i < 5; ++i) {
    Append(kPage, EventType::kComponentStatusChanged);
    if (i % 2 == 0) hub().PageChanged(kPage);
    clock_.Advance(hub_options_.poll_interval / 2);
    hub().Tick();
    executor_.RunAll();
    a.stream->Drain();
    b.stream->Drain();
  }
  clock_.Advance(hub_options_.poll_interval);
  hub().Tick();
  a.stream->Drain();
  b.stream->Drain();
  EXPECT_EQ(a.stream->events(), Range(1, 5));
  EXPECT_EQ(b.stream->events(), Range(1, 5));
}

TEST_F(EventHubTest, PageChangedForAnUnwatchedPage_ReadsNothing) {
  AddPage("other");
  StartedWatcher();
  hub().Tick();
  const int reads = log_.reads;
  hub().PageChanged("other");
  hub().Tick();
  EXPECT_EQ(log_.reads, reads);
}

TEST_F(EventHubTest, PageChanged_WakesTheTailerThreadAtOnce) {
  // Neither the poll nor the heartbeat sweep would run the tailer during
  // the test: only PageChanged can.
  hub_options_.run_tailer_thread = true;
  hub_options_.poll_interval = absl::Hours(1);
  hub_options_.heartbeat_interval = absl::Hours(1);
  Executor executor(1, 16, clock_);
  FakeStream stream;  // outlives the hub, which ends it
  EventHub hub(
      log_, clock_,
      [&executor](absl::Time deadline, Executor::Task task) {
        return executor.Submit(deadline, std::move(task));
      },
      hub_options_);
  hub.Start();
  Append(kPage, EventType::kComponentStatusChanged);
  WatchRequest request;
  request.page_id = kPage;
  auto w = std::make_shared<EventWatcher>(request, watcher_options_, log_, hub,
                                          clock_, &stream);
  stream.Bind(w.get());
  ASSERT_OK(hub.AddWatcher(w));
  ASSERT_TRUE(stream.WaitForSent(1, absl::Seconds(10)));  // the start
  stream.Drain();

  Append(kPage, EventType::kComponentStatusChanged);
  hub.PageChanged(kPage);
  ASSERT_TRUE(stream.WaitForSent(2, absl::Seconds(10)))
      << "the tailer did not wake";
  stream.Drain();
  EXPECT_EQ(stream.events(), Range(1, 2));
  hub.Shutdown(absl::UnavailableError("done"));
  executor.Shutdown();
}

TEST_F(EventHubTest, SlowWatcher_DoesNotHoldUpTheOthersAndStaysBounded) {
  watcher_options_.buffer = 2;
  Watch fast = StartedWatcher();
  Watch slow = StartedWatcher();
  hub().Tick();
  for (int i = 0; i < 10; ++i) {
    Append(kPage, EventType::kComponentStatusChanged);
    hub().PageChanged(kPage);
    hub().Tick();
    fast.stream->Drain();  // slow never reads
    EXPECT_LE(slow.watcher->buffered(), 2u);
  }
  EXPECT_EQ(fast.stream->events(), Range(1, 10));
  EXPECT_EQ(hub().watcher_count(), 1u) << "the slow one was dropped";
  EXPECT_EQ(slow.watcher->buffered(), 0u);
  // Its status follows the write it had in flight.
  slow.stream->Drain();
  ASSERT_TRUE(slow.stream->closed().has_value());
  EXPECT_EQ(slow.stream->closed()->code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(slow.stream->events(), std::vector<int64_t>{1});
}

TEST_F(EventHubTest, IdleStreams_GetAHeartbeatFromTheSweep) {
  Watch w = StartedWatcher();
  hub().Tick();
  clock_.Advance(hub_options_.heartbeat_interval);
  hub().Tick();
  ASSERT_EQ(w.stream->heartbeats(), std::vector<int64_t>{0});
  w.stream->Drain();
  clock_.Advance(hub_options_.heartbeat_interval / 2);
  hub().Tick();
  EXPECT_EQ(w.stream->heartbeats().size(), 1u) << "not before the interval";
}

TEST_F(EventHubTest, DatabaseAway_StreamsStayOpenAndCatchUpAfterwards) {
  Watch w = StartedWatcher();
  hub().Tick();
  log_.failing = true;
  Append(kPage, EventType::kComponentStatusChanged);
  hub().PageChanged(kPage);
  hub().Tick();
  clock_.Advance(hub_options_.poll_interval);
  hub().Tick();
  EXPECT_TRUE(w.stream->events().empty());
  EXPECT_FALSE(w.stream->closed().has_value());
  clock_.Advance(hub_options_.heartbeat_interval);
  hub().Tick();
  EXPECT_EQ(w.stream->heartbeats(), std::vector<int64_t>{0})
      << "heartbeats go on";
  w.stream->Drain();

  log_.failing = false;
  hub().Tick();  // the local change is fetched again, poll or not
  executor_.RunAll();
  w.stream->Drain();
  EXPECT_EQ(w.stream->events(), std::vector<int64_t>{1});
}

TEST_F(EventHubTest, WatcherReads_RunAtMostMaxConcurrentAtATime) {
  hub_options_.max_concurrent_reads = 1;
  AppendMany(kPage, 2);
  Watch a = AddWatcher();
  Watch b = AddWatcher();
  Watch c = AddWatcher();
  EXPECT_EQ(executor_.pending(), 1u);
  ASSERT_TRUE(executor_.RunOne());
  EXPECT_EQ(executor_.pending(), 1u) << "the next one, once one is done";
  executor_.RunAll();
  for (Watch* w : {&a, &b, &c}) {
    w->stream->Drain();
    EXPECT_EQ(w->stream->events(), Range(1, 2));
  }
}

TEST_F(EventHubTest, ExecutorFull_WatcherReadWaitsForTheNextRound) {
  executor_.Refuse(absl::ResourceExhaustedError("full"));
  AppendMany(kPage, 1);
  Watch w = AddWatcher();
  EXPECT_EQ(executor_.pending(), 0u);
  executor_.Refuse(absl::OkStatus());
  hub().Tick();
  executor_.RunAll();
  w.stream->Drain();
  EXPECT_EQ(w.stream->events(), std::vector<int64_t>{1});
}

TEST_F(EventHubTest, FailedWatcherRead_IsRetriedAfterTheDelay) {
  Watch w = StartedWatcher();
  hub().Tick();
  Append(kPage, EventType::kComponentStatusChanged);
  Append(kPage, EventType::kComponentStatusChanged);
  log_.failing = true;
  w.watcher->Offer({Encoded(kPage, 2)}, 2);  // a gap: the watcher reads
  executor_.RunAll();                        // and fails
  EXPECT_EQ(executor_.pending(), 0u);
  log_.failing = false;
  hub().Tick();
  EXPECT_EQ(executor_.pending(), 0u) << "not before the retry delay";
  clock_.Advance(hub_options_.retry_delay);
  hub().Tick();
  executor_.RunAll();
  w.stream->Drain();
  EXPECT_EQ(w.stream->events(), Range(1, 2));
}

TEST_F(EventHubTest, PageFarBehind_IsLeftToTheWatchersPacedReplay) {
  hub_options_.fetch_limit = 4;
  hub_options_.fetch_batch = 2;
  Watch w = StartedWatcher();
  hub().Tick();
  AppendMany(kPage, 10);
  clock_.Advance(hub_options_.poll_interval);
  const int reads = log_.reads;
  hub().Tick();
  EXPECT_LE(log_.reads - reads, 3) << "the hub read only the newest events";
  executor_.RunAll();
  w.stream->Drain();
  EXPECT_EQ(w.stream->events(), Range(1, 10));
}

TEST_F(EventHubTest, LocalBurstBeyondTheLimit_TheRestIsLeftToReplay) {
  hub_options_.fetch_limit = 4;
  hub_options_.fetch_batch = 2;
  Watch w = StartedWatcher();
  hub().Tick();
  AppendMany(kPage, 10);
  hub().PageChanged(kPage);
  hub().Tick();  // 1..4, the limit
  w.stream->Drain();
  EXPECT_EQ(w.stream->events(), Range(1, 4));
  const int polls = log_.polls;
  hub().Tick();  // asks for the head, skips to 7..10
  EXPECT_EQ(log_.polls, polls + 1);
  executor_.RunAll();  // the watcher replays 5, 6 itself
  w.stream->Drain();
  EXPECT_EQ(w.stream->events(), Range(1, 10));
  EXPECT_FALSE(w.stream->closed().has_value());
}

TEST_F(EventHubTest, Shutdown_EndsEveryStreamUnavailableAndRefusesNewOnes) {
  Watch a = StartedWatcher();
  Watch b = StartedWatcher();
  hub().Shutdown(absl::UnavailableError("server shutting down"));
  for (Watch* w : {&a, &b}) {
    ASSERT_TRUE(w->stream->closed().has_value());
    EXPECT_EQ(w->stream->closed()->code(), absl::StatusCode::kUnavailable);
  }
  EXPECT_EQ(hub().watcher_count(), 0u);
  WatchRequest request;
  request.page_id = kPage;
  FakeStream stream;
  auto late = std::make_shared<EventWatcher>(request, watcher_options_, log_,
                                             hub(), clock_, &stream);
  EXPECT_CODE(hub().AddWatcher(late), absl::StatusCode::kUnavailable);
}

TEST_F(EventHubTest, BeforeStart_WatchersAreRefused) {
  EventHub hub(log_, clock_, executor_.submit(), hub_options_);
  WatchRequest request;
  request.page_id = kPage;
  FakeStream stream;
  auto w = std::make_shared<EventWatcher>(request, watcher_options_, log_, hub,
                                          clock_, &stream);
  EXPECT_CODE(hub.AddWatcher(w), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace incidentd::testing
