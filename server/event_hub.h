// This replica's event hub: the live streams (watchers) of each page, and
// the ONE tailer thread that brings them the page's new events from the
// log in MySQL (the only thing replicas share). Local commits wake the
// tailer at once (PageChanged); other replicas' commits are found by
// polling the watched pages' latest sequences every poll interval. The hub
// only enqueues into each watcher's bounded buffer, under a short lock, so
// a slow watcher never holds up the tailer or the others.
//
// Watchers' own reads (the start, replay) run on the executor, at most
// `max_concurrent_reads` at a time so that streams never crowd out RPCs,
// queued fairly, and retried while the database is away.
#ifndef INCIDENTD_SERVER_EVENT_HUB_H_
#define INCIDENTD_SERVER_EVENT_HUB_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/clock.h"
#include "server/event_notifier.h"
#include "server/event_watcher.h"
#include "server/executor.h"

namespace incidentd {

class EventHub final : public EventNotifier, public WatcherHost {
 public:
  struct Options {
    absl::Duration poll_interval = absl::Milliseconds(100);
    absl::Duration heartbeat_interval = absl::Seconds(15);
    // Each read of the log, the tailer's and the watchers', gets this long.
    absl::Duration read_deadline = absl::Seconds(5);
    // A watcher's read that failed is tried again after this.
    absl::Duration retry_delay = absl::Seconds(1);
    int max_concurrent_reads = 1;
    // Events the tailer reads per query, and at most per page per round.
    // A page further behind than the limit is left to its watchers' own
    // (paced) replay: handing them more at once than their buffers hold
    // would end fast readers' streams as if they were slow.
    int fetch_batch = 256;
    int fetch_limit = 1024;
    // False in tests, which call Tick() by hand.
    bool run_tailer_thread = true;
  };
  // Runs `task` on the executor; the hub's only way to it.
  using Submit =
      std::function<absl::Status(absl::Time deadline, Executor::Task task)>;

  EventHub(EventLog& log, const Clock& clock, Submit submit, Options options);
  // Shuts down.
  ~EventHub() override;

  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Accepts watchers and starts the tailer.
  void Start();
  // Stops accepting watchers, ends every stream with `status` (once its
  // write in flight is done) and stops the tailer. Idempotent.
  void Shutdown(const absl::Status& status);

  // Registers a new watcher and asks for its start read. UNAVAILABLE before
  // Start() and after Shutdown().
  absl::Status AddWatcher(std::shared_ptr<EventWatcher> watcher);

  // EventNotifier: never blocks; wakes the tailer when the page is watched.
  void PageChanged(std::string_view page_id) override;

  // WatcherHost.
  void RequestRead(std::shared_ptr<EventWatcher> watcher) override;
  void RemoveWatcher(EventWatcher* watcher) override;

  // One round of the tailer: polls when due, fetches pages that advanced or
  // were changed locally, hands their events to the watchers, sends due
  // heartbeats and retries due reads. The thread runs it; tests call it.
  void Tick();

  size_t watcher_count() const;

 private:
  struct PageState {
    // The last sequence handed to the page's watchers; -1 until the tailer
    // has learned the page's head.
    int64_t fetched = -1;
    // Changed by a local commit since the last round.
    bool dirty = false;
    // The last round stopped at the fetch limit: the next one asks for the
    // head first, so that a backlog is skipped to (see Fetch).
    bool behind = false;
    absl::flat_hash_map<EventWatcher*, std::shared_ptr<EventWatcher>> watchers;
  };
  struct Retry {
    absl::Time due;
    std::shared_ptr<EventWatcher> watcher;
  };

  void Loop();
  // Reads the page's events after `from` (at most the fetch limit; from
  // `head - limit` when `head` is further ahead) and offers them.
  void Fetch(const std::string& page_id, int64_t from, int64_t head);
  void OfferToPage(
      const std::string& page_id,
      const std::vector<std::shared_ptr<const EncodedEvent>>& events,
      int64_t head);
  std::vector<std::shared_ptr<EventWatcher>> WatchersOf(
      const std::string& page_id);
  void PumpReadsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReadDone(std::shared_ptr<EventWatcher> watcher, absl::Status result);
  void NoteTailResult(const absl::Status& status);
  bool WakeOrStop() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return wake_ || stopping_;
  }

  EventLog& log_;
  const Clock& clock_;
  const Submit submit_;
  const Options options_;
  // Idle streams are checked this often, so a heartbeat comes between one
  // and one and a quarter intervals after the last message.
  const absl::Duration sweep_period_;

  mutable absl::Mutex mu_;
  bool accepting_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, PageState> pages_ ABSL_GUARDED_BY(mu_);
  size_t watchers_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time next_poll_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time next_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::deque<std::shared_ptr<EventWatcher>> read_queue_ ABSL_GUARDED_BY(mu_);
  int reads_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Retry> retries_ ABSL_GUARDED_BY(mu_);
  bool reads_failing_ ABSL_GUARDED_BY(mu_) = false;
  // Only the tailer touches it.
  bool tail_failing_ = false;
  std::thread thread_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_EVENT_HUB_H_
