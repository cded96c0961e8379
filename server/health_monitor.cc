#include "server/health_monitor.h"

#include <algorithm>
#include <utility>

#include "server/logging.h"

namespace incidentd {

HealthMonitor::HealthMonitor(storage::Store& store, const Clock& clock,
                             absl::Duration interval,
                             std::function<void(bool)> report)
    : store_(store),
      clock_(clock),
      interval_(interval),
      report_(std::move(report)) {}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void HealthMonitor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool HealthMonitor::ProbeOnce() {
  // Short, but not so short that a busy database reads as a dead one.
  const absl::Duration timeout =
      std::clamp(interval_, absl::Milliseconds(500), absl::Seconds(2));
  const absl::Status ping = store_.Ping(clock_.Now() + timeout);
  const bool serving = ping.ok();
  bool changed = false;
  {
    absl::MutexLock lock(&mu_);
    changed = !last_.has_value() || *last_ != serving;
    last_ = serving;
  }
  if (changed) {
    if (serving) {
      LogInfo("health", "database answers: SERVING");
    } else {
      LogWarn("health", "database does not answer (", ping.ToString(),
              "): NOT_SERVING");
    }
    report_(serving);
  }
  return serving;
}

void HealthMonitor::Loop() {
  for (;;) {
    ProbeOnce();
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
    if (stopping_) return;
  }
}

}  // namespace incidentd
