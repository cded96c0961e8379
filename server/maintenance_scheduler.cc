#include "server/maintenance_scheduler.h"

#include <memory>
#include <vector>

#include "absl/synchronization/notification.h"
#include "server/domain/incident_rules.h"
#include "server/logging.h"
#include "server/names.h"
#include "server/status_macros.h"
#include "server/strings.h"

namespace incidentd {
namespace {

// Rows per transaction: a backlog (after downtime) is worked off in a few
// short transactions instead of one long one holding many locks.
constexpr int kBatch = 50;
constexpr int kMaxBatchesPerPass = 20;

}  // namespace

MaintenanceScheduler::MaintenanceScheduler(
    storage::Store& store, IncidentLogic& logic, Executor& executor,
    const Clock& clock, absl::Duration interval, absl::Duration deadline)
    : store_(store),
      logic_(logic),
      executor_(executor),
      clock_(clock),
      interval_(interval),
      deadline_(deadline) {}

MaintenanceScheduler::~MaintenanceScheduler() { Stop(); }

const char* MaintenanceScheduler::BodyFor(IncidentStatus status) {
  return status == IncidentStatus::kInProgress
             ? "Scheduled maintenance is now in progress."
             : "Scheduled maintenance has been completed.";
}

void MaintenanceScheduler::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void MaintenanceScheduler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void MaintenanceScheduler::Loop() {
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
            absl::StatusOr<int> moved = RunOnce(deadline);
            // One line when passes start failing and one when they recover,
            // not one per interval while the database is away.
            if (!moved.ok() && !failing_) {
              LogWarn("maintenance",
                      "passes are failing: ", moved.status().ToString());
            } else if (moved.ok() && failing_) {
              LogInfo("maintenance", "passes succeed again");
            }
            failing_ = !moved.ok();
          }
          done->Notify();
        });
    if (!submitted.ok()) {
      // Busy serving requests; the next pass catches up.
      LogWarn("maintenance", "pass skipped: ", submitted.ToString());
      continue;
    }
    done->WaitForNotification();
  }
}

absl::StatusOr<int> MaintenanceScheduler::RunOnce(absl::Time deadline) {
  int moved_total = 0;
  for (int round = 0; round < kMaxBatchesPerPass; ++round) {
    int due_count = 0;
    int moved = 0;
    std::vector<std::string> log_lines;
    absl::Status status = store_.ReadWrite(
        deadline, [&](storage::Transaction& tx) -> absl::Status {
          moved = 0;
          log_lines.clear();
          const absl::Time now = logic_.Now();
          ASSIGN_OR_RETURN(std::vector<Incident> due,
                           tx.incidents().LockDueMaintenance(now, kBatch));
          due_count = static_cast<int>(due.size());
          for (const Incident& incident : due) {
            const IncidentStatus to =
                domain::DueMaintenanceTransition(incident, now);
            if (to == IncidentStatus::kUnspecified) continue;
            IncidentUpdate update;
            update.status = to;
            update.body = BodyFor(to);
            update.author = kAuthor;
            update.notify = true;
            // Shown at the time it was planned for, not when a pass ran.
            update.display_time =
                to == IncidentStatus::kInProgress
                    ? incident.scheduled_start_time.value_or(now)
                    : incident.scheduled_end_time.value_or(now);
            absl::StatusOr<IncidentLogic::PostPlan> plan =
                logic_.PlanPost(tx, incident, update, now);
            if (!plan.ok()) {
              // Nothing was written for it; the others still move.
              log_lines.push_back(StrCat(
                  "cannot move ", IncidentName(incident.page_id, incident.id),
                  ": ", plan.status().ToString()));
              continue;
            }
            RETURN_IF_ERROR(logic_.CommitPost(tx, *plan));
            log_lines.push_back(
                StrCat(IncidentName(incident.page_id, incident.id), " is now ",
                       domain::StatusTitle(to)));
            ++moved;
          }
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    for (const std::string& line : log_lines) LogInfo("maintenance", line);
    moved_total += moved;
    if (due_count < kBatch) break;
  }
  return moved_total;
}

}  // namespace incidentd
