// A background pass that runs every interval on the executor (storage work
// runs nowhere else), for the jobs every replica does on its own: moving
// due maintenance, pruning old events. One thread that mostly sleeps; a pass
// the executor cannot take (busy with requests) is skipped, not queued.
#ifndef INCIDENTD_SERVER_PERIODIC_PASS_H_
#define INCIDENTD_SERVER_PERIODIC_PASS_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/clock.h"
#include "server/executor.h"
#include "server/logging.h"

namespace incidentd {

class PeriodicPass {
 public:
  // `pass` gets the time by which it must finish (now + deadline).
  using Pass = std::function<absl::Status(absl::Time deadline)>;

  // `name` labels the log lines ("maintenance", "events").
  PeriodicPass(std::string name, Executor& executor, const Clock& clock,
               absl::Duration interval, absl::Duration deadline, Pass pass);
  ~PeriodicPass();

  void Start();
  // Waits for a running pass; idempotent.
  void Stop();

 private:
  void Loop();

  const std::string name_;
  Executor& executor_;
  const Clock& clock_;
  const absl::Duration interval_;
  const absl::Duration deadline_;
  const Pass pass_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Only passes touch it, one at a time.
  FailureEdgeLog failures_{name_, "passes"};
  std::thread thread_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_PERIODIC_PASS_H_
