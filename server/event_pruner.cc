#include "server/event_pruner.h"

#include "server/logging.h"

namespace incidentd {

EventPruner::EventPruner(storage::Store& store, Executor& executor,
                         const Clock& clock, absl::Duration retention,
                         absl::Duration interval, absl::Duration deadline)
    : store_(store),
      clock_(clock),
      retention_(retention),
      pass_("events", executor, clock, interval, deadline,
            [this](absl::Time deadline) { return RunOnce(deadline).status(); }) {}

absl::StatusOr<int64_t> EventPruner::RunOnce(absl::Time deadline) {
  const absl::Time before = clock_.Now() - retention_;
  int64_t total = 0;
  for (int round = 0; round < kMaxBatchesPerPass; ++round) {
    int64_t deleted = 0;
    absl::Status status = store_.ReadWrite(
        deadline, [&](storage::Transaction& tx) -> absl::Status {
          absl::StatusOr<int64_t> n = tx.events().PruneBefore(before, kBatch);
          if (!n.ok()) return n.status();
          deleted = *n;
          return absl::OkStatus();
        });
    if (!status.ok()) {
      if (total > 0) {
        LogInfo("events", "pruned ", total, " events older than ",
                absl::FormatDuration(retention_));
      }
      return status;
    }
    total += deleted;
    if (deleted < kBatch) break;
  }
  if (total > 0) {
    LogInfo("events", "pruned ", total, " events older than ",
            absl::FormatDuration(retention_));
  }
  return total;
}

}  // namespace incidentd
