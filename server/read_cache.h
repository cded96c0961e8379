// This replica's cache of read answers (a page's status, an incident with
// its timeline), each kept until the page it belongs to changes. A page
// changes only by a transaction that appends to its event log, so the
// page's latest event sequence is the version of everything cached for it:
//
// - a commit through this replica drops the page's answers before the RPC
//   returns (PageChanged): reads through the same replica see their writes;
// - other replicas' commits are found by polling the cached pages' latest
//   sequences every `poll_interval` (one query for all of them), so an
//   answer is at most one poll interval (plus the query) behind them;
// - an answer whose page has not been checked within `verify_within` (the
//   database is unreachable) is not served: reads then fail like any other
//   read does, instead of showing a status that may be long gone.
//
// A read that misses fills the cache: it calls BeginFill before its
// transaction, reads the page's sequence first in it, and Inserts what it
// read. An insert is refused when the page changed locally meanwhile or
// the sequence is older than one already seen, so a slow reader can never
// put back an answer a commit has just dropped.
#ifndef INCIDENTD_SERVER_READ_CACHE_H_
#define INCIDENTD_SERVER_READ_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/clock.h"
#include "server/event_notifier.h"
#include "server/event_watcher.h"
#include "storage/store.h"

namespace incidentd {

// A cached answer as it goes on the wire: the message serialized once when
// it was cached, then the fields that depend on the call, serialized per
// call. Protobuf reads concatenated messages as one, merged, so the two
// together are the whole answer, with no copy of the cached part.
struct SerializedAnswer {
  std::shared_ptr<const std::string> cached;
  std::string fresh;
};

// The message an answer (or its error) stands for, for callers that want a
// message rather than bytes.
template <typename Message>
absl::StatusOr<Message> ParseAnswer(
    const absl::StatusOr<SerializedAnswer>& answer) {
  if (!answer.ok()) return answer.status();
  Message message;
  if (!message.ParseFromString(*answer->cached + answer->fresh)) {
    return absl::InternalError("a cached answer does not parse");
  }
  return message;
}

// What the cache holds: immutable once inserted, shared with the readers
// that found it.
class CachedValue {
 public:
  virtual ~CachedValue() = default;
  // Approximate memory held, for the cache's capacity.
  virtual size_t Bytes() const = 0;
};

class ReadCache final : public EventNotifier {
 public:
  struct Options {
    // Memory for answers; the least recently used go first. 0 turns the
    // cache off: every Find misses and nothing is kept.
    size_t capacity_bytes = 64 << 20;
    absl::Duration poll_interval = absl::Milliseconds(100);
    absl::Duration verify_within = absl::Seconds(5);
    // The poll's query gets this long. A fill begun longer ago than this
    // may find its insert refused (its page's state forgotten): harmless.
    absl::Duration read_deadline = absl::Seconds(5);
    // False in tests, which call Poll() by hand.
    bool run_poller_thread = true;
  };

  // A read about to fill the cache: taken before its transaction.
  struct Fill {
    std::string page_id;
    uint64_t generation = 0;
    absl::Time started;
  };

  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;
    int64_t inserts = 0;
    // Inserts refused because the page changed while they read.
    int64_t refused = 0;
    // Pages whose answers were dropped: changed here or elsewhere, deleted.
    int64_t invalidations = 0;
    int64_t evictions = 0;
    size_t entries = 0;
    size_t bytes = 0;
    size_t pages = 0;
  };

  // `log` answers the polls (EventLog::LastSequences).
  ReadCache(EventLog& log, const Clock& clock, Options options);
  // Stops the poller.
  ~ReadCache() override;

  ReadCache(const ReadCache&) = delete;
  ReadCache& operator=(const ReadCache&) = delete;

  // Starts the poller thread (when the options ask for it). Idempotent.
  void Start();
  // Stops it; the cache keeps answering but ages out (verify_within).
  void Stop();

  bool enabled() const { return options_.capacity_bytes > 0; }

  // The value cached under (page_id, key) if it is current, or null. Never
  // blocks on anything but a short lock: callable on gRPC's threads.
  template <typename T>
  std::shared_ptr<const T> Find(std::string_view page_id,
                                std::string_view key) {
    return std::dynamic_pointer_cast<const T>(FindValue(page_id, key));
  }

  Fill BeginFill(std::string_view page_id);
  // Keeps `value` as the answer for (fill.page_id, key) at the page's
  // sequence `seq`, read in the transaction that produced it, before the
  // rest. Refused (silently) if the page changed since BeginFill.
  void Insert(const Fill& fill, std::string_view key, int64_t seq,
              std::shared_ptr<const CachedValue> value);

  // EventNotifier: a commit through this replica appended to the page (or
  // deleted it). Drops the page's answers at once.
  void PageChanged(std::string_view page_id) override;

  // One poll: asks the log for the latest sequence of every cached page
  // and drops the answers of pages that moved on or are gone. The poller
  // thread calls it every poll interval; tests call it by hand.
  absl::Status Poll();

  Stats stats() const;

 private:
  struct Entry;
  using Lru = std::list<Entry>;
  struct Entry {
    std::string page_id;
    std::string key;  // the page id and the caller's key (EntryKey)
    std::shared_ptr<const CachedValue> value;
    size_t bytes = 0;
  };
  struct PageState {
    // Changes on every invalidation; taken from a counter that never
    // repeats, so a state dropped and made again never matches old fills.
    uint64_t generation = 0;
    // The sequence every entry of the page was read at; -1: none yet.
    int64_t seq = -1;
    // When the page's entries were last known current (a fill or a poll).
    absl::Time verified = absl::InfinitePast();
    // The latest BeginFill: a state with no entries is dropped once no fill
    // begun on it can still be running.
    absl::Time last_fill = absl::InfinitePast();
    std::vector<Lru::iterator> entries;
  };

  std::shared_ptr<const CachedValue> FindValue(std::string_view page_id,
                                               std::string_view key);
  PageState& StateLocked(std::string_view page_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops every entry of the page (counted as one invalidation).
  void DropEntriesLocked(PageState& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops them and gives the page a new generation: fills begun before
  // are refused.
  void InvalidateLocked(PageState& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(Lru::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Loop();

  EventLog& log_;
  const Clock& clock_;
  const Options options_;

  mutable absl::Mutex mu_;
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
  // Most recently used first.
  Lru lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Lru::iterator> index_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, PageState> pages_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// The sequence a fill is read at: the page's latest event sequence, read
// first in the fill's transaction (what it reads after is at least as new).
// NOT_FOUND for an unknown page, as PageRepository::Get says it.
absl::StatusOr<int64_t> ReadPageSequence(storage::Transaction& tx,
                                         const std::string& page_id);

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_READ_CACHE_H_
