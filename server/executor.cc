#include "server/executor.h"

#include <algorithm>
#include <utility>

#include "server/strings.h"

namespace incidentd {

Executor::Executor(int threads, int queue_capacity, const Clock& clock)
    : queue_capacity_(std::max(1, queue_capacity)), clock_(clock) {
  threads = std::max(1, threads);
  workers_.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

Executor::~Executor() { Shutdown(); }

absl::Status Executor::Submit(absl::Time deadline, Task task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("server is shutting down");
  if (static_cast<int>(queue_.size()) >= queue_capacity_) {
    return absl::ResourceExhaustedError(
        StrCat("server is overloaded (", queue_capacity_,
               " requests already waiting); retry with backoff"));
  }
  queue_.push_back(Item{deadline, std::move(task)});
  return absl::OkStatus();
}

void Executor::WorkerLoop() {
  for (;;) {
    Item item;
    bool stopping = false;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Executor* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu_) {
            return e->stopping_ || !e->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, and nothing left to report
      item = std::move(queue_.front());
      queue_.pop_front();
      stopping = stopping_;
    }
    if (stopping) {
      item.task(absl::UnavailableError("server is shutting down"));
    } else if (clock_.Now() >= item.deadline) {
      item.task(absl::DeadlineExceededError(
          "deadline exceeded while waiting for a worker"));
    } else {
      item.task(absl::OkStatus());
    }
  }
}

void Executor::Shutdown() {
  absl::MutexLock join_lock(&join_mu_);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

}  // namespace incidentd
