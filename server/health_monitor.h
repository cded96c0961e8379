// The truth behind the health service: a background thread that pings the
// database every interval with a short deadline and reports SERVING only
// while it answers, flipping back without a restart.
#ifndef INCIDENTD_SERVER_HEALTH_MONITOR_H_
#define INCIDENTD_SERVER_HEALTH_MONITOR_H_

#include <functional>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/clock.h"
#include "storage/store.h"

namespace incidentd {

class HealthMonitor {
 public:
  // `report(serving)` is called on the first probe and on every change.
  HealthMonitor(storage::Store& store, const Clock& clock,
                absl::Duration interval, std::function<void(bool)> report);
  ~HealthMonitor();

  void Start();
  void Stop();

  // One probe on the calling thread; returns whether the database answered.
  bool ProbeOnce();

 private:
  void Loop();

  storage::Store& store_;
  const Clock& clock_;
  const absl::Duration interval_;
  const std::function<void(bool)> report_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<bool> last_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_HEALTH_MONITOR_H_
