// The dispatcher: turns the event log into deliveries. For each page whose
// log has moved past its notification cursor, one transaction locks the
// cursor row (FOR UPDATE SKIP LOCKED: a replica busy with the page is left
// alone), reads the next events, records one delivery per (matching
// subscriber, notifying event), marks those subscribers due and moves the
// cursor. Deliveries are therefore created exactly once, whichever replicas
// run, and a crash between two batches loses nothing: the cursor only moves
// with the deliveries it stands for.
//
// It also deletes finished (delivered or failed) deliveries once they are
// older than the retention, as the event pruner does with events.
#ifndef INCIDENTD_SERVER_NOTIFY_DISPATCHER_H_
#define INCIDENTD_SERVER_NOTIFY_DISPATCHER_H_

#include <cstdint>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/clock.h"
#include "server/event_notifier.h"
#include "server/logging.h"
#include "server/notify/delivery_signal.h"
#include "storage/store.h"

namespace incidentd::notify {

class Dispatcher final : public EventNotifier {
 public:
  // Polls every `poll_interval` for events written through other
  // replicas; this replica's commits wake it at once (PageChanged).
  // `signal` is told when new deliveries are due.
  // Finished deliveries are kept for `retention`.
  Dispatcher(storage::Store& store, const Clock& clock, DeliverySignal& signal,
             absl::Duration poll_interval, absl::Duration retention);
  ~Dispatcher() override;

  void Start();
  // Waits for a running pass; idempotent.
  void Stop();

  // A local commit appended events: dispatch now rather than at the poll.
  void PageChanged(std::string_view page_id) override;

  // One pass on the calling thread: every page's backlog, up to a bound per
  // pass; returns how many deliveries were created.
  absl::StatusOr<int64_t> RunOnce(absl::Time deadline);
  // Deletes finished deliveries older than the retention; how many.
  absl::StatusOr<int64_t> PruneOnce(absl::Time deadline);

 private:
  // One batch of one page's events; how many deliveries it created, or
  // nullopt when the page has nothing left (or another replica holds it).
  absl::StatusOr<std::optional<int64_t>> DispatchBatch(
      std::string_view page_id, absl::Time deadline);
  void Loop();

  storage::Store& store_;
  const Clock& clock_;
  DeliverySignal& signal_;
  const absl::Duration poll_interval_;
  const absl::Duration retention_;
  absl::Time next_prune_;  // only the loop thread touches it
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  FailureEdgeLog failures_{"notify", "dispatch"};  // the loop thread's
  std::thread thread_;
};

}  // namespace incidentd::notify

#endif  // INCIDENTD_SERVER_NOTIFY_DISPATCHER_H_
