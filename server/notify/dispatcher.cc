#include "server/notify/dispatcher.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "server/domain/subscriptions.h"
#include "server/logging.h"
#include "server/names.h"
#include "server/status_macros.h"
#include "server/strings.h"

namespace incidentd::notify {
namespace {

// Pages looked at per pass, events per transaction, transactions per page
// per pass: a backlog (after downtime) is worked off in short transactions,
// and one busy page cannot starve the others for long.
constexpr int kPagesPerPass = 200;
constexpr int kEventsPerBatch = 200;
constexpr int kBatchesPerPage = 10;
// What a pass may take before it yields to the next.
constexpr absl::Duration kPassDeadline = absl::Seconds(30);
// Pruning: how often, and rows per transaction.
constexpr absl::Duration kPruneInterval = absl::Minutes(5);
constexpr int kPruneBatch = 1000;
constexpr int kPruneBatchesPerPass = 20;
// Bounds on the quiet pages' bookkeeping (a replica writing to very many
// pages falls back to waking on every commit).
constexpr size_t kMaxWokenPages = 10000;
constexpr size_t kMaxQuietPages = 100000;
// Pages checked for subscribers after one pass (one short query each).
constexpr size_t kMaxQuietChecks = 64;


}  // namespace

Dispatcher::Dispatcher(storage::Store& store, const Clock& clock,
                       DeliverySignal& signal, absl::Duration poll_interval,
                       absl::Duration retention)
    : store_(store),
      clock_(clock),
      signal_(signal),
      poll_interval_(poll_interval),
      retention_(retention) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void Dispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::PageChanged(std::string_view page_id) {
  absl::MutexLock lock(&mu_);
  auto quiet = quiet_.find(ToAbsl(page_id));
  if (quiet != quiet_.end()) {
    if (clock_.Now() < quiet->second) return;
    quiet_.erase(quiet);
  }
  woken_ = true;
  if (woken_pages_.size() < kMaxWokenPages) {
    woken_pages_.emplace_back(page_id);
  } else {
    woken_overflow_ = true;
  }
}

void Dispatcher::NoteQuietPages(const std::vector<std::string>& woken,
                                const std::vector<std::string>& dispatched) {
  absl::flat_hash_set<std::string_view> had_backlog(dispatched.begin(),
                                                    dispatched.end());
  // A woken page without a backlog either has nobody to notify or was
  // dispatched by another replica first; only the first kind goes quiet
  // (the second must keep waking this replica's workers at once).
  std::vector<std::string> candidates;
  for (const std::string& page : woken) {
    if (had_backlog.contains(page)) continue;
    if (candidates.size() >= kMaxQuietChecks) break;
    if (std::find(candidates.begin(), candidates.end(), page) ==
        candidates.end()) {
      candidates.push_back(page);
    }
  }
  std::vector<std::string> quiet;
  if (!candidates.empty()) {
    absl::Status checked = store_.ReadOnly(
        absl::Now() + kPassDeadline,
        [&](storage::Transaction& tx) -> absl::Status {
          quiet.clear();
          for (const std::string& page : candidates) {
            absl::StatusOr<storage::SubscriberRepository::Counts> counts =
                tx.subscribers().CountByState(page);
            if (absl::IsNotFound(counts.status())) continue;  // deleted
            RETURN_IF_ERROR(counts.status());
            if (counts->active + counts->quarantined == 0) {
              quiet.push_back(page);
            }
          }
          return absl::OkStatus();
        });
    // Not knowing is no reason to stop waking: nothing goes quiet.
    if (!checked.ok()) quiet.clear();
  }
  const absl::Time until = clock_.Now() + poll_interval_;
  absl::MutexLock lock(&mu_);
  for (const std::string& page : dispatched) quiet_.erase(page);
  for (const std::string& page : quiet) quiet_[page] = until;
  if (quiet_.size() > kMaxQuietPages) {
    const absl::Time now = clock_.Now();
    absl::erase_if(quiet_, [now](const auto& entry) {
      return entry.second <= now;
    });
    if (quiet_.size() > kMaxQuietPages) quiet_.clear();
  }
}

void Dispatcher::Loop() {
  std::vector<std::string> woken;
  bool overflow = false;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || woken_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), poll_interval_);
      if (stopping_) return;
      woken_ = false;
      woken.swap(woken_pages_);
      woken_pages_.clear();
      overflow = woken_overflow_;
      woken_overflow_ = false;
    }
    std::vector<std::string> dispatched;
    absl::StatusOr<int64_t> pass =
        RunPass(absl::Now() + kPassDeadline, &dispatched);
    failures_.Record(pass.status());
    // A pass that stopped at its page bound may not have listed them all.
    if (pass.ok() && !overflow &&
        dispatched.size() < static_cast<size_t>(kPagesPerPass)) {
      NoteQuietPages(woken, dispatched);
    }
    if (clock_.Now() >= next_prune_) {
      next_prune_ = clock_.Now() + kPruneInterval;
      absl::StatusOr<int64_t> pruned = PruneOnce(absl::Now() + kPassDeadline);
      if (!pruned.ok()) {
        LogWarn("notify", "pruning deliveries failed: ",
                pruned.status().ToString());
      } else if (*pruned > 0) {
        LogInfo("notify", "pruned ", *pruned,
                " finished deliveries older than ",
                absl::FormatDuration(retention_));
      }
    }
  }
}

absl::StatusOr<int64_t> Dispatcher::PruneOnce(absl::Time deadline) {
  const absl::Time before = clock_.Now() - retention_;
  int64_t total = 0;
  for (int round = 0; round < kPruneBatchesPerPass; ++round) {
    int64_t deleted = 0;
    RETURN_IF_ERROR(store_.ReadWrite(
        deadline, [&](storage::Transaction& tx) -> absl::Status {
          ASSIGN_OR_RETURN(deleted,
                           tx.deliveries().PruneFinished(before, kPruneBatch));
          return absl::OkStatus();
        }));
    total += deleted;
    if (deleted < kPruneBatch) break;
  }
  return total;
}

absl::StatusOr<int64_t> Dispatcher::RunOnce(absl::Time deadline) {
  return RunPass(deadline, nullptr);
}

absl::StatusOr<int64_t> Dispatcher::RunPass(absl::Time deadline,
                                            std::vector<std::string>* pages) {
  std::vector<storage::DeliveryRepository::Backlog> backlog;
  RETURN_IF_ERROR(store_.ReadOnly(deadline, [&](storage::Transaction& tx)
                                                -> absl::Status {
    ASSIGN_OR_RETURN(backlog, tx.deliveries().ListBacklog(kPagesPerPass));
    return absl::OkStatus();
  }));
  int64_t created = 0;
  for (const auto& page : backlog) {
    if (pages != nullptr) pages->push_back(page.page_id);
    for (int batch = 0; batch < kBatchesPerPage; ++batch) {
      ASSIGN_OR_RETURN(std::optional<int64_t> made,
                       DispatchBatch(page.page_id, deadline));
      if (!made.has_value()) break;
      created += *made;
    }
  }
  return created;
}

absl::StatusOr<std::optional<int64_t>> Dispatcher::DispatchBatch(
    std::string_view page_id, absl::Time deadline) {
  std::optional<int64_t> created;
  std::string skipped;
  absl::Status status = store_.ReadWrite(
      deadline, [&](storage::Transaction& tx) -> absl::Status {
        created.reset();
        skipped.clear();
        absl::StatusOr<std::optional<int64_t>> cursor =
            tx.deliveries().LockCursor(page_id);
        // A page deleted since the backlog was read has nothing to send.
        if (absl::IsNotFound(cursor.status())) return absl::OkStatus();
        RETURN_IF_ERROR(cursor.status());
        if (!cursor->has_value()) return absl::OkStatus();  // another replica
        const int64_t from = **cursor;
        // The head before the events: reads are READ COMMITTED, so a head
        // read after an empty list could count an event committed in
        // between as pruned, and skip it.
        ASSIGN_OR_RETURN(storage::EventRepository::Head head,
                         tx.events().GetHead(page_id));
        ASSIGN_OR_RETURN(std::vector<Event> events,
                         tx.events().List(page_id, from, kEventsPerBatch));
        if (events.empty()) {
          // Everything after the cursor up to the head was pruned before it
          // was dispatched (notifications were down longer than the
          // retention): move on to the head, saying so.
          if (head.last_seq <= from) return absl::OkStatus();
          skipped = StrCat(from + 1, "..", head.last_seq);
          RETURN_IF_ERROR(tx.deliveries().SetCursor(page_id, head.last_seq));
          created = 0;
          return absl::OkStatus();
        }
        if (events.front().seq > from + 1) {
          skipped = StrCat(from + 1, "..", events.front().seq - 1);
        }

        bool any_notifying = false;
        for (const Event& e : events) any_notifying |= e.notify;
        std::vector<Delivery> deliveries;
        std::vector<std::string> due;
        if (any_notifying) {
          ASSIGN_OR_RETURN(std::vector<Subscriber> subscribers,
                           tx.subscribers().ListNotified(page_id));
          const absl::Time now = TruncateToMicros(clock_.Now());
          for (const Subscriber& s : subscribers) {
            bool matched = false;
            for (const Event& e : events) {
              if (!domain::Notifies(e, s)) continue;
              Delivery d;
              d.page_id = s.page_id;
              d.subscriber_id = s.id;
              d.event_seq = e.seq;
              d.event_type = e.type;
              d.incident_id = e.incident_id;
              d.state = DeliveryState::kPending;
              d.create_time = now;
              d.horizon_start = now;
              d.next_attempt_time = now;
              deliveries.push_back(std::move(d));
              matched = true;
            }
            // ListNotified is in id order, so `due` is too: one lock order.
            if (matched) due.push_back(s.id);
          }
          // The subscriber rows first, then the deliveries under them: the
          // same order the delivery workers take them in.
          if (!due.empty()) {
            RETURN_IF_ERROR(tx.subscribers().MarkDue(page_id, due, now));
            ASSIGN_OR_RETURN(int64_t inserted,
                             tx.deliveries().InsertNew(deliveries));
            created = inserted;
          }
        }
        if (!created.has_value()) created = 0;
        return tx.deliveries().SetCursor(page_id, events.back().seq);
      });
  if (!status.ok()) return status;
  if (!skipped.empty()) {
    LogWarn("notify", PageName(page_id), ": events ", skipped,
            " were pruned before subscribers could be notified of them");
  }
  if (created.has_value() && *created > 0) signal_.Wake();
  return created;
}

}  // namespace incidentd::notify
