// Event retention: a background thread on every replica that, every
// interval, deletes events older than the retention from the log, in small
// batches on the executor. Replicas may prune at the same time; each
// batch is its own short transaction, so they only share the work.
#ifndef INCIDENTD_SERVER_EVENT_PRUNER_H_
#define INCIDENTD_SERVER_EVENT_PRUNER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/clock.h"
#include "server/executor.h"
#include "server/periodic_pass.h"
#include "storage/store.h"

namespace incidentd {

class EventPruner {
 public:
  // Each pass runs on `executor` with `deadline` to finish.
  EventPruner(storage::Store& store, Executor& executor, const Clock& clock,
              absl::Duration retention, absl::Duration interval,
              absl::Duration deadline);

  void Start() { pass_.Start(); }
  // Waits for a running pass; idempotent.
  void Stop() { pass_.Stop(); }

  // One pass on the calling thread: deletes events created before the
  // clock's now minus the retention, batch by batch (at most a bounded
  // number per pass, the rest in the next); returns how many.
  absl::StatusOr<int64_t> RunOnce(absl::Time deadline);

  // Rows per transaction, and transactions per pass.
  static constexpr int kBatch = 1000;
  static constexpr int kMaxBatchesPerPass = 100;

 private:
  storage::Store& store_;
  const Clock& clock_;
  const absl::Duration retention_;
  PeriodicPass pass_;  // last: its thread uses the members above
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_EVENT_PRUNER_H_
