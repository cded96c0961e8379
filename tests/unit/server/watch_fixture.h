// Test doubles for the live-update tests: a WatchStream that records what a
// watcher sends and completes writes only when the test says so (a client
// that reads when told), a WatcherHost that runs requested reads by hand,
// and a log over a FakeStore with hooks to simulate commits racing a read.
#ifndef INCIDENTD_TESTS_UNIT_SERVER_WATCH_FIXTURE_H_
#define INCIDENTD_TESTS_UNIT_SERVER_WATCH_FIXTURE_H_

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "incidentd/v1/events.pb.h"
#include "server/clock.h"
#include "server/event_encoding.h"
#include "server/event_watcher.h"
#include "server/watch_logic.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/server/fake_store.h"

namespace incidentd::testing {

inline v1::WatchPageResponse Decode(const grpc::ByteBuffer& bytes) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(bytes.Dump(&slices).ok());
  std::string joined;
  for (const grpc::Slice& s : slices) {
    joined.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  v1::WatchPageResponse response;
  EXPECT_TRUE(response.ParseFromString(joined));
  return response;
}

// The client end of one stream. Writes stay in flight until Complete().
class FakeStream final : public WatchStream {
 public:
  void Bind(EventWatcher* watcher) { watcher_ = watcher; }

  void SendHeaders() override {
    absl::MutexLock lock(&mu_);
    headers_ = true;
  }
  void Send(const grpc::ByteBuffer* message) override {
    absl::MutexLock lock(&mu_);
    EXPECT_FALSE(in_flight_) << "a second write while one is in flight";
    EXPECT_FALSE(closed_.has_value()) << "a write after Close";
    in_flight_ = true;
    sent_.push_back(Decode(*message));
  }
  void Close(const absl::Status& status) override {
    absl::MutexLock lock(&mu_);
    EXPECT_FALSE(closed_.has_value()) << "closed twice";
    EXPECT_FALSE(in_flight_) << "closed with a write in flight";
    closed_ = status;
  }

  // Completes the write in flight; false when there is none.
  bool Complete(bool ok = true) {
    {
      absl::MutexLock lock(&mu_);
      if (!in_flight_) return false;
      in_flight_ = false;
    }
    watcher_->OnWriteDone(ok);
    return true;
  }
  // Reads everything sent so far, and whatever that lets the watcher send.
  void Drain() {
    while (Complete()) {
    }
  }
  // Waits (really) until `n` messages were sent; false after `timeout`.
  bool WaitForSent(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return sent_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

  std::vector<v1::WatchPageResponse> sent() {
    absl::MutexLock lock(&mu_);
    return sent_;
  }
  // The sequences of the events sent, in order.
  std::vector<int64_t> events() {
    std::vector<int64_t> out;
    for (const v1::WatchPageResponse& r : sent()) {
      if (r.has_event()) out.push_back(r.event().sequence());
    }
    return out;
  }
  std::vector<int64_t> heartbeats() {
    std::vector<int64_t> out;
    for (const v1::WatchPageResponse& r : sent()) {
      if (r.has_heartbeat()) out.push_back(r.heartbeat().sequence());
    }
    return out;
  }
  std::optional<absl::Status> closed() {
    absl::MutexLock lock(&mu_);
    return closed_;
  }
  bool in_flight() {
    absl::MutexLock lock(&mu_);
    return in_flight_;
  }
  bool headers() {
    absl::MutexLock lock(&mu_);
    return headers_;
  }

 private:
  EventWatcher* watcher_ = nullptr;
  absl::Mutex mu_;
  bool headers_ ABSL_GUARDED_BY(mu_) = false;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<v1::WatchPageResponse> sent_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> closed_ ABSL_GUARDED_BY(mu_);
};

// The log the watchers read, over a FakeStore, with a hook that runs inside
// every read after it has read (to commit "during" it) and a switch that
// makes reads fail as with the database away.
class HookedLog final : public EventLog {
 public:
  HookedLog(FakeStore& store, const Clock& clock) : logic_(store, clock) {}

  std::function<void()> after_read;  // single-threaded tests only
  std::atomic<bool> failing{false};

  absl::StatusOr<WatchStart> StartWatch(const WatchRequest& request, int limit,
                                        absl::Time deadline) override {
    if (failing) return absl::UnavailableError("database away");
    ++reads;
    absl::StatusOr<WatchStart> start =
        logic_.StartWatch(request, limit, deadline);
    RunHook();
    return start;
  }
  absl::StatusOr<std::vector<Event>> ReadEvents(const std::string& page_id,
                                                int64_t after_seq, int limit,
                                                absl::Time deadline) override {
    if (failing) return absl::UnavailableError("database away");
    ++reads;
    absl::StatusOr<std::vector<Event>> events =
        logic_.ReadEvents(page_id, after_seq, limit, deadline);
    RunHook();
    return events;
  }
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> LastSequences(
      const std::vector<std::string>& page_ids, absl::Time deadline) override {
    if (failing) return absl::UnavailableError("database away");
    ++polls;
    return logic_.LastSequences(page_ids, deadline);
  }

  std::atomic<int> reads{0};
  std::atomic<int> polls{0};

 private:
  void RunHook() {
    if (!after_read) return;
    std::function<void()> hook = std::move(after_read);
    after_read = nullptr;  // once
    hook();
  }

  WatchLogic logic_;
};

// Shorthands over a FakeStore: pages and events appended as a commit would.
class EventLogTest : public ::testing::Test {
 protected:
  static constexpr absl::Time kNoDeadline = absl::InfiniteFuture();

  void AddPage(const std::string& id) {
    ASSERT_OK(store_.ReadWrite(kNoDeadline, [&](storage::Transaction& tx) {
      Page page;
      page.id = id;
      page.display_name = "Page " + id;
      page.create_time = clock_.Now();
      page.update_time = clock_.Now();
      page.version = 1;
      return tx.pages().Insert(page);
    }));
  }

  // A component's status change (concerns the component), or with
  // `incident_id` an incident event concerning it and `components`.
  int64_t Append(const std::string& page_id, EventType type,
                 const std::string& incident_id = "",
                 const std::vector<std::string>& components = {"api"}) {
    const EventOrigin origin{clock_.Now(), "tester"};
    Event event;
    if (incident_id.empty()) {
      Component c;
      c.page_id = page_id;
      c.id = components.empty() ? "api" : components.front();
      c.display_name = "API";
      event = MakeComponentEvent(type, origin, c);
    } else {
      Incident i;
      i.page_id = page_id;
      i.id = incident_id;
      i.title = "Trouble";
      i.component_ids = components;
      event = MakeIncidentEvent(type, origin, i);
    }
    EXPECT_OK(store_.ReadWrite(kNoDeadline, [&](storage::Transaction& tx) {
      return tx.events().Append(event);
    }));
    return event.seq;
  }
  void AppendMany(const std::string& page_id, int n) {
    for (int i = 0; i < n; ++i) {
      Append(page_id, EventType::kComponentStatusChanged);
    }
  }
  // Deletes events created before `t` (what retention does).
  void PruneBefore(absl::Time t) {
    ASSERT_OK(store_.ReadWrite(kNoDeadline, [&](storage::Transaction& tx) {
      return tx.events().PruneBefore(t, 1000000).status();
    }));
  }

  // The encoded event with sequence `seq` of the page, as the hub offers it.
  std::shared_ptr<const EncodedEvent> Encoded(const std::string& page_id,
                                              int64_t seq) {
    for (const Event& e : store_.Events(page_id)) {
      if (e.seq == seq) return EncodeForWatchers(e);
    }
    ADD_FAILURE() << "no event " << seq;
    return nullptr;
  }

  static std::vector<int64_t> Range(int64_t from, int64_t to) {
    std::vector<int64_t> out;
    for (int64_t s = from; s <= to; ++s) out.push_back(s);
    return out;
  }

  FakeStore store_;
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  HookedLog log_{store_, clock_};
};

}  // namespace incidentd::testing

#endif  // INCIDENTD_TESTS_UNIT_SERVER_WATCH_FIXTURE_H_
