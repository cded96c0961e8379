#include "server/periodic_pass.h"

#include <memory>
#include <utility>

#include "absl/synchronization/notification.h"
#include "server/logging.h"

namespace incidentd {

PeriodicPass::PeriodicPass(std::string name, Executor& executor,
                           const Clock& clock, absl::Duration interval,
                           absl::Duration deadline, Pass pass)
    : name_(std::move(name)),
      executor_(executor),
      clock_(clock),
      interval_(interval),
      deadline_(deadline),
      pass_(std::move(pass)) {}

PeriodicPass::~PeriodicPass() { Stop(); }

void PeriodicPass::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicPass::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void PeriodicPass::Loop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      // Wakes early only to stop.
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
      if (stopping_) return;
    }
    auto done = std::make_shared<absl::Notification>();
    const absl::Time deadline = clock_.Now() + deadline_;
    absl::Status submitted =
        executor_.Submit(deadline, [this, done, deadline](absl::Status ready) {
          if (ready.ok()) {
            failures_.Record(pass_(deadline));
          }
          done->Notify();
        });
    // Busy serving requests: the next pass catches up.
    if (!submitted.ok()) continue;
    done->WaitForNotification();
  }
}

}  // namespace incidentd
