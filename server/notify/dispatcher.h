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
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
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
  // RunOnce, also telling which pages had a backlog (when asked).
  absl::StatusOr<int64_t> RunPass(absl::Time deadline,
                                  std::vector<std::string>* pages);
  // After a pass woken by local commits on `woken`: those that turned out
  // to have nobody to notify go quiet for a poll interval.
  void NoteQuietPages(const std::vector<std::string>& woken,
                      const std::vector<std::string>& dispatched);
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
  // The pages local commits woke it for since the last pass (at most
  // kMaxWokenPages; beyond that, none is made quiet by the pass).
  std::vector<std::string> woken_pages_ ABSL_GUARDED_BY(mu_);
  bool woken_overflow_ ABSL_GUARDED_BY(mu_) = false;
  // Pages whose commits do not wake it, until the time given: a commit woke
  // it for them, the pass found nothing to dispatch and the page has nobody
  // to notify.
  // Without this, every post to such a page cost a transaction of its own
  // here. The poll still looks at every page, so one that gains a
  // subscriber meanwhile waits one poll at most.
  absl::flat_hash_map<std::string, absl::Time> quiet_ ABSL_GUARDED_BY(mu_);
  FailureEdgeLog failures_{"notify", "dispatch"};  // the loop thread's
  std::thread thread_;
};

}  // namespace incidentd::notify

#endif  // INCIDENTD_SERVER_NOTIFY_DISPATCHER_H_
