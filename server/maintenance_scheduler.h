// Scheduled maintenance that starts and completes on its own: a background
// thread on every replica that, every interval, moves due maintenance to
// IN_PROGRESS or COMPLETED through the same path as a posted update, and
// that announces maintenance starting soon (MAINTENANCE_STARTING_SOON, which
// notifies subscribers) once per scheduled start. Rows are taken FOR UPDATE
// SKIP LOCKED, so two replicas never move or remind the same one.
#ifndef INCIDENTD_SERVER_MAINTENANCE_SCHEDULER_H_
#define INCIDENTD_SERVER_MAINTENANCE_SCHEDULER_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/clock.h"
#include "server/executor.h"
#include "server/incident_logic.h"
#include "server/periodic_pass.h"
#include "storage/store.h"

namespace incidentd {

class MaintenanceScheduler {
 public:
  // Each pass runs on `executor` (storage work runs nowhere else) with
  // `deadline` to finish.
  // `reminder_lead`: how long before its start a maintenance is announced
  // as starting soon; zero for no reminders.
  MaintenanceScheduler(storage::Store& store, IncidentLogic& logic,
                       Executor& executor, const Clock& clock,
                       absl::Duration interval, absl::Duration deadline,
                       absl::Duration reminder_lead = absl::ZeroDuration());

  void Start() { pass_.Start(); }
  // Waits for a running pass; idempotent.
  void Stop() { pass_.Stop(); }

  // One pass on the calling thread: every maintenance due at the clock's
  // now is moved; returns how many were.
  absl::StatusOr<int> RunOnce(absl::Time deadline);
  // One pass of reminders on the calling thread: every maintenance whose
  // reminder is due at the clock's now gets its MAINTENANCE_STARTING_SOON
  // event; returns how many did.
  absl::StatusOr<int> RemindOnce(absl::Time deadline);

  // The body of an automatic update to `status`.
  static const char* BodyFor(IncidentStatus status);
  static constexpr const char* kAuthor = "incidentd";

 private:
  storage::Store& store_;
  IncidentLogic& logic_;
  const Clock& clock_;
  const absl::Duration reminder_lead_;
  PeriodicPass pass_;  // last: its thread uses the members above
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_MAINTENANCE_SCHEDULER_H_
