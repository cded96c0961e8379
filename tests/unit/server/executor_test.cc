#include "server/executor.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "server/clock.h"
#include "tests/testing/status_matchers.h"

namespace incidentd {
namespace {

// Occupies the executor's only worker until released.
struct Blocker {
  absl::Notification started;
  absl::Notification release;
  Executor::Task Task() {
    return [this](absl::Status) {
      started.Notify();
      release.WaitForNotification();
    };
  }
};

absl::Time Far(const Clock& clock) { return clock.Now() + absl::Hours(1); }

TEST(ExecutorTest, Submit_RunsTaskOnAWorkerThread_NotTheCaller) {
  FakeClock clock;
  Executor executor(2, 4, clock);
  absl::Notification done;
  std::thread::id ran_on;
  absl::Status seen = absl::UnknownError("not run");
  ASSERT_OK(executor.Submit(Far(clock), [&](absl::Status ready) {
    seen = ready;
    ran_on = std::this_thread::get_id();
    done.Notify();
  }));
  done.WaitForNotification();
  EXPECT_OK(seen);
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(ExecutorTest, Submit_FullQueue_IsResourceExhaustedAtOnceAndNeverRuns) {
  FakeClock clock;
  Executor executor(1, 2, clock);
  Blocker blocker;
  ASSERT_OK(executor.Submit(Far(clock), blocker.Task()));
  blocker.started.WaitForNotification();  // the worker is busy, queue empty

  std::atomic<int> ran{0};
  auto count = [&](absl::Status) { ++ran; };
  ASSERT_OK(executor.Submit(Far(clock), count));
  ASSERT_OK(executor.Submit(Far(clock), count));
  std::atomic<bool> rejected_ran{false};
  absl::Status full =
      executor.Submit(Far(clock), [&](absl::Status) { rejected_ran = true; });
  EXPECT_CODE(full, absl::StatusCode::kResourceExhausted);

  blocker.release.Notify();
  executor.Shutdown();  // drains: the two queued tasks are called
  EXPECT_EQ(ran.load(), 2);
  EXPECT_FALSE(rejected_ran.load());
}

TEST(ExecutorTest,
     Submit_DeadlinePassedWhileQueued_IsNotRunAndReportsDeadlineExceeded) {
  FakeClock clock;
  Executor executor(1, 4, clock);
  Blocker blocker;
  ASSERT_OK(executor.Submit(Far(clock), blocker.Task()));
  blocker.started.WaitForNotification();

  absl::Notification reported;
  absl::Status seen;
  ASSERT_OK(
      executor.Submit(clock.Now() + absl::Seconds(1), [&](absl::Status ready) {
        seen = ready;
        reported.Notify();
      }));
  clock.Advance(absl::Seconds(2));  // the deadline passes while it waits
  blocker.release.Notify();
  reported.WaitForNotification();
  EXPECT_CODE(seen, absl::StatusCode::kDeadlineExceeded);
}

TEST(ExecutorTest, Submit_DeadlineNotPassed_RunsWithOk) {
  FakeClock clock;
  Executor executor(1, 4, clock);
  absl::Notification reported;
  absl::Status seen = absl::UnknownError("not run");
  ASSERT_OK(
      executor.Submit(clock.Now() + absl::Seconds(1), [&](absl::Status ready) {
        seen = ready;
        reported.Notify();
      }));
  reported.WaitForNotification();
  EXPECT_OK(seen);
}

TEST(ExecutorTest, Workers_RunTasksConcurrently) {
  FakeClock clock;
  Executor executor(3, 3, clock);
  // Each task waits until all three have started: only possible when three
  // workers run at once.
  absl::Mutex mu;
  int started = 0;
  std::vector<absl::Notification> done(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(executor.Submit(Far(clock), [&, i](absl::Status) {
      absl::MutexLock lock(&mu);
      ++started;
      mu.Await(absl::Condition(
          +[](int* n) { return *n == 3; }, &started));
      done[i].Notify();
    }));
  }
  for (auto& d : done) d.WaitForNotification();
  EXPECT_EQ(executor.threads(), 3);
}

TEST(ExecutorTest, Shutdown_QueuedTasksAreToldUnavailable) {
  FakeClock clock;
  Executor executor(1, 4, clock);
  Blocker blocker;
  ASSERT_OK(executor.Submit(Far(clock), blocker.Task()));
  blocker.started.WaitForNotification();
  absl::Status seen;
  ASSERT_OK(
      executor.Submit(Far(clock), [&](absl::Status ready) { seen = ready; }));

  std::thread stopper([&] { executor.Shutdown(); });
  // Shutdown has begun once new work is refused; only then may the running
  // task finish, so that the queued one is reached after the stop.
  while (
      !absl::IsUnavailable(executor.Submit(Far(clock), [](absl::Status) {}))) {
    std::this_thread::yield();
  }
  blocker.release.Notify();
  stopper.join();
  EXPECT_CODE(seen, absl::StatusCode::kUnavailable);
}

TEST(ExecutorTest, Submit_AfterShutdown_IsUnavailable) {
  FakeClock clock;
  Executor executor(1, 1, clock);
  executor.Shutdown();
  bool ran = false;
  EXPECT_CODE(executor.Submit(Far(clock), [&](absl::Status) { ran = true; }),
              absl::StatusCode::kUnavailable);
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace incidentd
