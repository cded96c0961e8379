// The one bounded executor for blocking work (storage transactions). gRPC
// reactions must never block, so handlers hand their work to it; its threads
// match the connection pool, and its queue is bounded so that overload is
// answered at once (RESOURCE_EXHAUSTED) instead of piling up requests that
// will miss their deadlines anyway.
#ifndef INCIDENTD_SERVER_EXECUTOR_H_
#define INCIDENTD_SERVER_EXECUTOR_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/clock.h"

namespace incidentd {

class Executor {
 public:
  // Called exactly once, on a worker thread, with
  //   OK                 do the work now;
  //   DEADLINE_EXCEEDED  the deadline passed while the task waited: it must
  //                      not do its work, only report;
  //   UNAVAILABLE        the executor shut down before the task started.
  using Task = absl::AnyInvocable<void(absl::Status)>;

  // `threads` >= 1 workers; at most `queue_capacity` (>= 1) tasks wait.
  Executor(int threads, int queue_capacity, const Clock& clock);
  // Shuts down.
  ~Executor();

  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task`. RESOURCE_EXHAUSTED at once when the queue is full, and
  // UNAVAILABLE after Shutdown(); the task is then never called.
  absl::Status Submit(absl::Time deadline, Task task);

  // Stops accepting tasks, reports UNAVAILABLE to the queued ones, waits
  // for running ones and joins the workers. Idempotent.
  void Shutdown();

  int threads() const { return static_cast<int>(workers_.size()); }
  int queue_capacity() const { return queue_capacity_; }

 private:
  struct Item {
    absl::Time deadline;
    Task task;
  };
  void WorkerLoop();

  const int queue_capacity_;
  const Clock& clock_;
  absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
  absl::Mutex join_mu_;  // serialises concurrent Shutdown() calls
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_EXECUTOR_H_
