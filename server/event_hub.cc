#include "server/event_hub.h"

#include <algorithm>

#include "server/logging.h"
#include "server/strings.h"

namespace incidentd {

EventHub::EventHub(EventLog& log, const Clock& clock, Submit submit,
                   Options options)
    : log_(log),
      clock_(clock),
      submit_(std::move(submit)),
      options_(options),
      sweep_period_(
          std::max(options.heartbeat_interval / 4, absl::Milliseconds(1))) {}

EventHub::~EventHub() {
  Shutdown(absl::UnavailableError("server shutting down"));
}

void EventHub::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || accepting_) return;
    accepting_ = true;
  }
  if (options_.run_tailer_thread) thread_ = std::thread([this] { Loop(); });
}

void EventHub::Shutdown(const absl::Status& status) {
  std::vector<std::shared_ptr<EventWatcher>> all;
  {
    absl::MutexLock lock(&mu_);
    accepting_ = false;
    stopping_ = true;
    for (auto& [id, page] : pages_) {
      for (auto& [ptr, watcher] : page.watchers) all.push_back(watcher);
    }
    read_queue_.clear();
    retries_.clear();
  }
  // Outside the lock: ending a watcher removes it from the hub.
  for (const std::shared_ptr<EventWatcher>& watcher : all) watcher->End(status);
  if (thread_.joinable()) thread_.join();
}

absl::Status EventHub::AddWatcher(std::shared_ptr<EventWatcher> watcher) {
  {
    absl::MutexLock lock(&mu_);
    if (!accepting_) {
      return stopping_
                 ? absl::UnavailableError(
                       "server shutting down; reconnect (to another "
                       "replica) and resume from your last sequence")
                 : absl::UnavailableError("server is starting; retry shortly");
    }
    auto [it, added] = pages_.try_emplace(watcher->page_id());
    // A page new to this replica: learn its head now, not at the next poll.
    if (added) wake_ = true;
    it->second.watchers.emplace(watcher.get(), watcher);
    ++watchers_;
  }
  RequestRead(std::move(watcher));
  return absl::OkStatus();
}

void EventHub::PageChanged(std::string_view page_id) {
  absl::MutexLock lock(&mu_);
  auto it = pages_.find(ToAbsl(page_id));
  if (it == pages_.end()) return;  // nobody here watches it
  it->second.dirty = true;
  wake_ = true;
}

void EventHub::RemoveWatcher(EventWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  auto it = pages_.find(watcher->page_id());
  if (it == pages_.end()) return;
  if (it->second.watchers.erase(watcher) == 0) return;
  --watchers_;
  if (it->second.watchers.empty()) pages_.erase(it);
}

size_t EventHub::watcher_count() const {
  absl::MutexLock lock(&mu_);
  return watchers_;
}

void EventHub::RequestRead(std::shared_ptr<EventWatcher> watcher) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;  // the watcher is being ended
  read_queue_.push_back(std::move(watcher));
  PumpReadsLocked();
}

void EventHub::PumpReadsLocked() {
  while (reads_in_flight_ < options_.max_concurrent_reads &&
         !read_queue_.empty()) {
    std::shared_ptr<EventWatcher> watcher = read_queue_.front();
    const absl::Time deadline = clock_.Now() + options_.read_deadline;
    ++reads_in_flight_;
    // The executor never runs a task inline, so this lock is not re-entered.
    absl::Status submitted =
        submit_(deadline, [this, watcher, deadline](absl::Status ready) {
          ReadDone(watcher, ready.ok() ? watcher->RunRead(deadline) : ready);
        });
    if (!submitted.ok()) {
      // The executor is full of RPCs: they go first; the next round of the
      // tailer tries again.
      --reads_in_flight_;
      return;
    }
    read_queue_.pop_front();
  }
}

void EventHub::ReadDone(std::shared_ptr<EventWatcher> watcher,
                        absl::Status result) {
  absl::MutexLock lock(&mu_);
  --reads_in_flight_;
  if (!result.ok() && !stopping_) {
    if (!reads_failing_) {
      LogWarn("events", "watchers' reads are failing (retried every ",
              absl::FormatDuration(options_.retry_delay),
              "): ", result.ToString());
    }
    reads_failing_ = true;
    retries_.push_back(
        Retry{clock_.Now() + options_.retry_delay, std::move(watcher)});
  } else if (result.ok() && reads_failing_) {
    reads_failing_ = false;
    LogInfo("events", "watchers' reads succeed again");
  }
  PumpReadsLocked();
}

void EventHub::Loop() {
  const absl::Duration wait = std::min(options_.poll_interval, sweep_period_);
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(this, &EventHub::WakeOrStop), wait);
      if (stopping_) return;
      wake_ = false;
    }
    Tick();
  }
}

void EventHub::Tick() {
  const absl::Time now = clock_.Now();
  std::vector<std::string> to_poll;
  // Changed locally but polled instead of fetched: if the poll fails, they
  // stay changed, so the next round does not wait for the next poll.
  std::vector<std::string> dirty_polled;
  std::vector<std::pair<std::string, int64_t>> to_fetch;  // page, from
  bool sweep = false;
  std::vector<std::shared_ptr<EventWatcher>> due;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    const bool poll = now >= next_poll_;
    if (poll) next_poll_ = now + options_.poll_interval;
    for (auto& [id, page] : pages_) {
      if (page.fetched < 0 || page.behind || poll) {
        to_poll.push_back(id);
        if (page.dirty || page.behind) dirty_polled.push_back(id);
      } else if (page.dirty) {
        to_fetch.emplace_back(id, page.fetched);
      }
      page.dirty = false;
      page.behind = false;
    }
    sweep = now >= next_sweep_;
    if (sweep) next_sweep_ = now + sweep_period_;
    auto split =
        std::stable_partition(retries_.begin(), retries_.end(),
                              [now](const Retry& r) { return r.due > now; });
    for (auto it = split; it != retries_.end(); ++it) {
      due.push_back(std::move(it->watcher));
    }
    retries_.erase(split, retries_.end());
    // Reads the executor refused earlier.
    PumpReadsLocked();
  }

  // Local commits first: their watchers are waiting right now.
  for (const auto& [page_id, from] : to_fetch) Fetch(page_id, from, -1);

  if (!to_poll.empty()) {
    absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> heads =
        log_.LastSequences(to_poll, now + options_.read_deadline);
    NoteTailResult(heads.status());
    if (!heads.ok()) {
      absl::MutexLock lock(&mu_);
      for (const std::string& page_id : dirty_polled) {
        auto it = pages_.find(page_id);
        if (it != pages_.end()) it->second.dirty = true;
      }
    } else {
      for (const auto& [page_id, last] : *heads) {
        int64_t from = -1;
        bool learned = false;
        {
          absl::MutexLock lock(&mu_);
          auto it = pages_.find(page_id);
          if (it == pages_.end()) continue;
          if (it->second.fetched < 0) {
            // Nothing to hand out for a page just watched: its watchers
            // read their own start.
            it->second.fetched = last;
            learned = true;
          } else if (last > it->second.fetched) {
            from = it->second.fetched;
          }
        }
        if (from >= 0) {
          Fetch(page_id, from, last);
        } else if (learned) {
          // But they learn the head, in case their read began before the
          // latest commit.
          OfferToPage(page_id, {}, last);
        }
      }
    }
  }

  if (sweep) {
    std::vector<std::shared_ptr<EventWatcher>> all;
    {
      absl::MutexLock lock(&mu_);
      all.reserve(watchers_);
      for (auto& [id, page] : pages_) {
        for (auto& [ptr, watcher] : page.watchers) all.push_back(watcher);
      }
    }
    for (const std::shared_ptr<EventWatcher>& w : all) w->MaybeHeartbeat(now);
  }

  for (std::shared_ptr<EventWatcher>& watcher : due) {
    RequestRead(std::move(watcher));
  }
}

void EventHub::Fetch(const std::string& page_id, int64_t from, int64_t head) {
  const int limit = std::max(1, options_.fetch_limit);
  const int batch = std::max(1, std::min(options_.fetch_batch, limit));
  int64_t cursor = from;
  if (head >= 0 && head - from > limit) cursor = head - limit;
  int fetched = 0;
  for (;;) {
    absl::StatusOr<std::vector<Event>> events = log_.ReadEvents(
        page_id, cursor, batch, clock_.Now() + options_.read_deadline);
    NoteTailResult(events.status());
    if (!events.ok()) {
      // Try again next round, without waiting for the poll.
      absl::MutexLock lock(&mu_);
      auto it = pages_.find(page_id);
      if (it != pages_.end()) it->second.dirty = true;
      return;
    }
    if (events->empty()) {
      if (head >= 0) OfferToPage(page_id, {}, head);
      return;
    }
    std::vector<std::shared_ptr<const EncodedEvent>> encoded;
    encoded.reserve(events->size());
    for (const Event& e : *events) encoded.push_back(EncodeForWatchers(e));
    cursor = events->back().seq;
    fetched += static_cast<int>(events->size());
    {
      absl::MutexLock lock(&mu_);
      auto it = pages_.find(page_id);
      if (it == pages_.end()) return;  // nobody watches it any more
      it->second.fetched = std::max(it->second.fetched, cursor);
    }
    OfferToPage(page_id, encoded, std::max(head, cursor));
    if (static_cast<int>(events->size()) < batch) return;
    if (fetched >= limit) {
      // More than a round's worth: go on in the next round at once, from
      // the head if the backlog is larger still.
      absl::MutexLock lock(&mu_);
      auto it = pages_.find(page_id);
      if (it != pages_.end()) it->second.behind = true;
      wake_ = true;
      return;
    }
  }
}

void EventHub::OfferToPage(
    const std::string& page_id,
    const std::vector<std::shared_ptr<const EncodedEvent>>& events,
    int64_t head) {
  // Outside the hub's lock: each watcher takes its own, briefly.
  for (const std::shared_ptr<EventWatcher>& w : WatchersOf(page_id)) {
    w->Offer(events, head);
  }
}

std::vector<std::shared_ptr<EventWatcher>> EventHub::WatchersOf(
    const std::string& page_id) {
  std::vector<std::shared_ptr<EventWatcher>> out;
  absl::MutexLock lock(&mu_);
  auto it = pages_.find(page_id);
  if (it == pages_.end()) return out;
  out.reserve(it->second.watchers.size());
  for (auto& [ptr, watcher] : it->second.watchers) out.push_back(watcher);
  return out;
}

void EventHub::NoteTailResult(const absl::Status& status) {
  // One line when tailing starts failing and one when it recovers, not one
  // per round while the database is away.
  if (!status.ok() && !tail_failing_) {
    LogWarn("events",
            "tailing the event log fails (streams stay open and "
            "catch up when it recovers): ",
            status.ToString());
  } else if (status.ok() && tail_failing_) {
    LogInfo("events", "tailing the event log works again");
  }
  tail_failing_ = !status.ok();
}

}  // namespace incidentd
