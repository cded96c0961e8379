#include "server/read_cache.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "server/logging.h"
#include "server/status_macros.h"
#include "server/strings.h"

namespace incidentd {
namespace {

// Unambiguous for any two strings: the page id's length comes first.
std::string EntryKey(std::string_view page_id, std::string_view key) {
  return StrCat(page_id.size(), ":", page_id, key);
}

}  // namespace

ReadCache::ReadCache(EventLog& log, const Clock& clock, Options options)
    : log_(log), clock_(clock), options_(options) {}

ReadCache::~ReadCache() { Stop(); }

void ReadCache::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopping_ || !options_.run_poller_thread || !enabled()) {
    return;
  }
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void ReadCache::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const CachedValue> ReadCache::FindValue(
    std::string_view page_id, std::string_view key) {
  if (!enabled()) return nullptr;
  const std::string full = EntryKey(page_id, key);
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = index_.find(full);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  auto page = pages_.find(ToAbsl(page_id));
  // Every entry's page has a state (EraseLocked keeps them in step).
  if (page == pages_.end() ||
      now - page->second.verified > options_.verify_within) {
    ++stats_.misses;
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  ++stats_.hits;
  return it->second->value;
}

ReadCache::PageState& ReadCache::StateLocked(std::string_view page_id) {
  auto [it, inserted] = pages_.try_emplace(ToAbsl(page_id));
  if (inserted) it->second.generation = next_generation_++;
  return it->second;
}

ReadCache::Fill ReadCache::BeginFill(std::string_view page_id) {
  Fill fill;
  fill.page_id = std::string(page_id);
  if (!enabled()) return fill;
  fill.started = clock_.Now();
  absl::MutexLock lock(&mu_);
  PageState& state = StateLocked(page_id);
  state.last_fill = fill.started;
  fill.generation = state.generation;
  return fill;
}

void ReadCache::Insert(const Fill& fill, std::string_view key, int64_t seq,
                       std::shared_ptr<const CachedValue> value) {
  if (!enabled() || value == nullptr) return;
  const size_t bytes = value->Bytes() + 2 * (fill.page_id.size() + key.size()) +
                       sizeof(Entry) + 64;
  // One answer bigger than a quarter of the cache would push out the rest.
  if (bytes > options_.capacity_bytes / 4) return;
  std::string full = EntryKey(fill.page_id, key);
  absl::MutexLock lock(&mu_);
  auto page = pages_.find(fill.page_id);
  if (page == pages_.end() || page->second.generation != fill.generation ||
      seq < page->second.seq) {
    ++stats_.refused;
    return;
  }
  PageState& state = page->second;
  if (seq > state.seq) {
    // Newer than what the page's other answers were read at: those are
    // stale (a commit elsewhere the poll has not seen yet).
    DropEntriesLocked(state);
    state.seq = seq;
  }
  if (auto old = index_.find(full); old != index_.end()) {
    EraseLocked(old->second);
  }
  state.verified = std::max(state.verified, fill.started);
  lru_.push_front(Entry{fill.page_id, full, std::move(value), bytes});
  index_.emplace(std::move(full), lru_.begin());
  state.entries.push_back(lru_.begin());
  bytes_ += bytes;
  ++stats_.inserts;
  // Evict from the cold end; never the entry just inserted (it is at the
  // front and at most a quarter of the capacity). Pages left without
  // answers are forgotten, except this one (a fill may still be running).
  while (bytes_ > options_.capacity_bytes && !lru_.empty()) {
    auto victim = std::prev(lru_.end());
    ++stats_.evictions;
    auto victim_page = pages_.find(victim->page_id);
    EraseLocked(victim);
    if (victim_page != pages_.end() && victim_page->second.entries.empty() &&
        victim_page->first != fill.page_id) {
      pages_.erase(victim_page);
    }
  }
}

void ReadCache::EraseLocked(Lru::iterator it) {
  auto page = pages_.find(it->page_id);
  if (page != pages_.end()) {
    std::vector<Lru::iterator>& entries = page->second.entries;
    auto pos = std::find(entries.begin(), entries.end(), it);
    if (pos != entries.end()) {
      *pos = entries.back();
      entries.pop_back();
    }
  }
  bytes_ -= it->bytes;
  index_.erase(it->key);
  lru_.erase(it);
}

void ReadCache::DropEntriesLocked(PageState& state) {
  if (!state.entries.empty()) ++stats_.invalidations;
  while (!state.entries.empty()) EraseLocked(state.entries.back());
}

void ReadCache::InvalidateLocked(PageState& state) {
  DropEntriesLocked(state);
  state.generation = next_generation_++;
  state.seq = -1;
  state.verified = absl::InfinitePast();
}

void ReadCache::PageChanged(std::string_view page_id) {
  if (!enabled()) return;
  absl::MutexLock lock(&mu_);
  auto page = pages_.find(ToAbsl(page_id));
  if (page != pages_.end()) InvalidateLocked(page->second);
}

absl::Status ReadCache::Poll() {
  if (!enabled()) return absl::OkStatus();
  const absl::Time start = clock_.Now();
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    // States of fills that ended without an insert (a page that does not
    // exist, a failed read) go once no fill can still be running.
    for (auto it = pages_.begin(); it != pages_.end();) {
      auto here = it++;
      if (here->second.entries.empty()) {
        if (start - here->second.last_fill > options_.read_deadline) {
          pages_.erase(here);
        }
      } else {
        ids.push_back(here->first);
      }
    }
  }
  if (ids.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> heads =
      // Storage deadlines are real time, whatever clock the cache runs on.
      log_.LastSequences(ids, absl::Now() + options_.read_deadline);
  if (!heads.ok()) return heads.status();
  absl::flat_hash_map<std::string, int64_t> head_of;
  for (const auto& [page_id, seq] : *heads) head_of[page_id] = seq;
  absl::MutexLock lock(&mu_);
  for (const std::string& id : ids) {
    auto page = pages_.find(id);
    if (page == pages_.end() || page->second.entries.empty()) continue;
    PageState& state = page->second;
    auto head = head_of.find(id);
    // Gone: deleted by another replica (a local delete dropped it already).
    if (head == head_of.end() || head->second > state.seq) {
      InvalidateLocked(state);
    } else {
      // Equal: still current as of the poll's start. Older: the entries
      // were filled after the query read the head; they are newer still.
      state.verified = std::max(state.verified, start);
    }
  }
  return absl::OkStatus();
}

ReadCache::Stats ReadCache::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s = stats_;
  s.entries = index_.size();
  s.bytes = bytes_;
  s.pages = pages_.size();
  return s;
}

void ReadCache::Loop() {
  FailureEdgeLog failures("cache", "read cache check");
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_;
      };
      if (mu_.AwaitWithTimeout(absl::Condition(&stop),
                               options_.poll_interval)) {
        return;
      }
    }
    failures.Record(Poll());
  }
}

absl::StatusOr<int64_t> ReadPageSequence(storage::Transaction& tx,
                                         const std::string& page_id) {
  ASSIGN_OR_RETURN(auto heads, tx.events().LastSequences({page_id}));
  if (heads.empty()) {
    // The page's own NOT_FOUND, worded as every other read words it.
    RETURN_IF_ERROR(tx.pages().Get(page_id, storage::Lock::kNone).status());
    return absl::NotFoundError("page not found");
  }
  return heads.front().second;
}

}  // namespace incidentd
