// The watch helper: follows one page's events (EventService.WatchPage) as
// one unbroken, ordered stream across disconnects, server restarts and
// replicas, by reconnecting with jittered backoff and resuming after the
// last sequence delivered. Also the pure parts it is made of (resume
// bookkeeping, reconnect policy), which are unit-tested on their own.
#ifndef INCIDENTD_CLIENT_WATCHER_H_
#define INCIDENTD_CLIENT_WATCHER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "incidentd/v1/events.grpc.pb.h"

namespace incidentd::client {

namespace v1 = ::incidentd::v1;

// Stream ends that no reconnect can fix, so the watcher gives up and
// returns them: the request itself is wrong (INVALID_ARGUMENT, NOT_FOUND),
// the position is unusable (OUT_OF_RANGE: after the page's latest event;
// FAILED_PRECONDITION: older than the retention, start again from a
// snapshot), or the caller lacks credentials (UNAUTHENTICATED,
// PERMISSION_DENIED). Everything else (UNAVAILABLE from a dying or draining
// server, RESOURCE_EXHAUSTED from a full buffer, a broken connection, ...)
// is worth a reconnect.
bool IsPermanentWatchError(absl::StatusCode code);

// Where the stream stands: the last sequence the caller has seen (events,
// or the position a snapshot or heartbeat reported), and whether the
// snapshot asked for was received. Decides which events to deliver and what
// to ask for on the next connection. Not thread-safe.
class WatchPosition {
 public:
  // `request` is the caller's: its after_sequence is where to start, its
  // filters are kept for every reconnection.
  explicit WatchPosition(v1::WatchPageRequest request);

  // The request for the next connection: resume after last_sequence(); ask
  // for a snapshot only while the one asked for has not arrived (a resumed
  // stream must not draw the page again, and after_sequence must be 0 with
  // a snapshot).
  v1::WatchPageRequest NextRequest() const;

  enum class Verdict {
    kDeliver,    // the next event: delivered, and the position moves to it
    kDuplicate,  // at or before the position: already delivered, drop it
    kGap,        // events are missing before it: resume from the position
  };
  // A gap can only be told without filters (with filters, skipped events
  // are expected) and once the position is known (from 0 without a
  // snapshot, the first event kept may be any, because of retention).
  Verdict OnEvent(int64_t sequence);
  // The snapshot reflects every event up to `sequence`.
  void OnSnapshot(int64_t sequence);
  // The server's report of the position after events the filters skipped:
  // resuming from it skips them too. Never moves backwards.
  void OnHeartbeat(int64_t sequence);

  int64_t last_sequence() const { return last_sequence_; }
  bool snapshot_pending() const {
    return request_.snapshot() && !snapshot_received_;
  }

 private:
  v1::WatchPageRequest request_;
  bool filtered_;
  // Whether last_sequence_ is a real position (so that the next event must
  // be last_sequence_ + 1 on an unfiltered stream).
  bool known_;
  bool snapshot_received_ = false;
  int64_t last_sequence_;
};

// Reconnect delays: exponential backoff with full jitter (each delay is
// uniform in [0, ceiling), the ceiling doubling from `initial` to `max`),
// so that many watchers cut off at once by a dying server do not return
// in lockstep.
struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(50);
  absl::Duration max = absl::Seconds(5);
  double multiplier = 2.0;
};

// When a stream ends: give up, or reconnect after which delay and to which
// of the addresses (the next one, so that a watcher moves off a server
// that died to a surviving replica). Not thread-safe.
class ReconnectPolicy {
 public:
  // `random` returns values uniform in [0, 1): injected so tests can pin
  // the jitter.
  ReconnectPolicy(size_t address_count, BackoffOptions backoff,
                  std::function<double()> random);

  // The address index to connect to now.
  size_t address() const { return address_; }
  // A message arrived: the connection works, so the next failure starts
  // the backoff again from its smallest step.
  void OnProgress() { failures_ = 0; }

  struct Decision {
    bool reconnect = false;
    size_t address = 0;
    absl::Duration delay;
  };
  // The stream ended with `code` (not by the caller's Stop).
  Decision OnStreamEnd(absl::StatusCode code);

  // The ceiling of the next delay: initial * multiplier^failures, at most
  // max.
  absl::Duration NextCeiling() const;

 private:
  const size_t address_count_;
  const BackoffOptions backoff_;
  std::function<double()> random_;
  size_t address_ = 0;
  int failures_ = 0;
};

struct WatchOptions {
  // Servers (host:port or gRPC targets) of the same deployment; the first
  // is tried first, the next after each failure.
  std::vector<std::string> targets;
  // The page, where to start (after_sequence or snapshot) and the filters.
  v1::WatchPageRequest request;
  BackoffOptions backoff;
  // Sent with every call, e.g. an API key.
  std::vector<std::pair<std::string, std::string>> metadata;
  // The jitter source; empty: a real random generator.
  std::function<double()> random;
};

// What the watcher hands the caller, on the thread that called Run(), one
// at a time and in order. A slow callback holds the stream up; when the
// server's buffer for it fills, the watcher reconnects and resumes, so
// nothing is lost, only delayed.
struct WatchCallbacks {
  // Every event after the start position exactly once, in sequence order.
  std::function<void(const v1::Event&)> on_event;
  // The snapshot, when asked for (once, before any event).
  std::function<void(const v1::Snapshot&)> on_snapshot;
  std::function<void(const v1::Heartbeat&)> on_heartbeat;
  // A stream ended with `status` and the watcher reconnects to `target`
  // after `delay`: for logs and tests.
  std::function<void(const absl::Status& status, const std::string& target,
                      absl::Duration delay)>
      on_reconnect;
};

struct WatchStats {
  int64_t connects = 0;            // streams started
  int64_t events_delivered = 0;
  int64_t duplicates_dropped = 0;  // events at or before the position
  int64_t gaps = 0;                // streams abandoned for a missing event
};

// Follows one page. Run() on a thread of the caller's; Stop() from any
// other. One Watcher runs once.
class Watcher {
 public:
  Watcher(WatchOptions options, WatchCallbacks callbacks);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Streams until Stop() (OK) or a permanent error (returned, see
  // IsPermanentWatchError; INVALID_ARGUMENT also for options without a
  // target or page).
  absl::Status Run();
  // Ends Run() promptly: cancels the stream or the backoff wait. Idempotent;
  // before Run(), Run() returns at once.
  void Stop();

  // The position to resume from in a later Watcher (after_sequence).
  int64_t last_sequence() const;
  WatchStats stats() const;

 private:
  // One stream on the current address until it ends; the status it ended
  // with (CANCELLED for a gap the watcher cut it off for).
  grpc::Status StreamOnce(v1::EventService::Stub& stub);
  void Deliver(const v1::WatchPageResponse& response,
               grpc::ClientContext& context, bool& gap);

  const WatchOptions options_;
  const WatchCallbacks callbacks_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  // Owned by the Run() thread.
  ReconnectPolicy policy_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  // The stream in progress, for Stop() to cancel.
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Written by the Run() thread, read by any.
  WatchPosition position_ ABSL_GUARDED_BY(mu_);
  WatchStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace incidentd::client

#endif  // INCIDENTD_CLIENT_WATCHER_H_
