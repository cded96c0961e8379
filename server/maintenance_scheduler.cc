#include "server/maintenance_scheduler.h"

#include <vector>

#include "server/domain/incident_rules.h"
#include "server/event_encoding.h"
#include "server/event_recording.h"
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
    const Clock& clock, absl::Duration interval, absl::Duration deadline,
    absl::Duration reminder_lead)
    : store_(store),
      logic_(logic),
      clock_(clock),
      reminder_lead_(reminder_lead),
      pass_("maintenance", executor, clock, interval, deadline,
            [this](absl::Time deadline) -> absl::Status {
              RETURN_IF_ERROR(RunOnce(deadline).status());
              return RemindOnce(deadline).status();
            }) {}

const char* MaintenanceScheduler::BodyFor(IncidentStatus status) {
  return status == IncidentStatus::kInProgress
             ? "Scheduled maintenance is now in progress."
             : "Scheduled maintenance has been completed.";
}

absl::StatusOr<int> MaintenanceScheduler::RunOnce(absl::Time deadline) {
  int moved_total = 0;
  for (int round = 0; round < kMaxBatchesPerPass; ++round) {
    int due_count = 0;
    int moved = 0;
    std::vector<std::string> log_lines;
    // The events of every move are appended together at the end, as in
    // any change, and announced after the commit.
    absl::Status status = ReadWriteRecorded(
        store_, logic_.notifier(), deadline,
        [&](storage::Transaction& tx,
            std::vector<Event>& events) -> absl::Status {
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
            RETURN_IF_ERROR(logic_.CommitPost(tx, *plan, events));
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

absl::StatusOr<int> MaintenanceScheduler::RemindOnce(absl::Time deadline) {
  if (reminder_lead_ <= absl::ZeroDuration()) return 0;
  int reminded_total = 0;
  for (int round = 0; round < kMaxBatchesPerPass; ++round) {
    int due_count = 0;
    std::vector<std::string> names;
    absl::Status status = ReadWriteRecorded(
        store_, logic_.notifier(), deadline,
        [&](storage::Transaction& tx,
            std::vector<Event>& events) -> absl::Status {
          names.clear();
          const absl::Time now = logic_.Now();
          ASSIGN_OR_RETURN(
              std::vector<Incident> due,
              tx.incidents().LockDueReminders(now, reminder_lead_, kBatch));
          due_count = static_cast<int>(due.size());
          for (const Incident& incident : due) {
            if (!incident.scheduled_start_time.has_value()) continue;
            RETURN_IF_ERROR(tx.incidents().MarkReminded(
                incident.page_id, incident.id, *incident.scheduled_start_time));
            Event event = MakeIncidentEvent(EventType::kMaintenanceStartingSoon,
                                            EventOrigin{now, kAuthor}, incident);
            MarkNotifying(event);
            events.push_back(std::move(event));
            names.push_back(IncidentName(incident.page_id, incident.id));
          }
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    for (const std::string& name : names) {
      LogInfo("maintenance", StrCat(name, " starts soon: reminder sent"));
    }
    reminded_total += static_cast<int>(names.size());
    if (due_count < kBatch) break;
  }
  return reminded_total;
}

}  // namespace incidentd
