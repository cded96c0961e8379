// One live stream of a page's events (WatchPage), apart from gRPC: what it
// has delivered, what waits in its bounded buffer, and the rule that makes
// delivery exactly-once and in order whatever the hub offers it.
//
// The rule: a watcher expects `next` and takes only that sequence. An event
// below it is a duplicate (dropped); one above it means the watcher missed
// something, so it re-reads the log from `next` (replay). The database log
// is the source of truth and the hub a fast path, so nothing here depends
// on the hub never skipping or repeating an event.
#ifndef INCIDENTD_SERVER_EVENT_WATCHER_H_
#define INCIDENTD_SERVER_EVENT_WATCHER_H_

#include <grpcpp/support/byte_buffer.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "incidentd/v1/events.pb.h"
#include "server/clock.h"
#include "storage/model.h"

namespace incidentd {

// A message ready to send, and the sequence the watcher is at once the
// client has it.
struct WatchMessage {
  int64_t position = 0;
  grpc::ByteBuffer bytes;  // a serialized WatchPageResponse
  size_t size = 0;         // of `bytes`
};

// An event encoded once and shared by every watcher it goes to (ByteBuffer
// copies share the bytes), with what the filters look at.
struct EncodedEvent : WatchMessage {
  EventType type = EventType::kUnspecified;
  std::string incident_id;
  std::vector<std::string> component_ids;
};
std::shared_ptr<const EncodedEvent> EncodeForWatchers(const Event& event);

// WatchPageRequest's filters, as ids of the page. An event passes when it
// passes every filter given.
struct EventFilter {
  absl::flat_hash_set<std::string> component_ids;
  absl::flat_hash_set<std::string> incident_ids;
  absl::flat_hash_set<int> types;

  bool Matches(const EncodedEvent& event) const;
};

// A validated WatchPageRequest.
struct WatchRequest {
  std::string page_id;
  int64_t after_sequence = 0;
  bool snapshot = false;
  EventFilter filter;
};

// Where a stream starts: the page's log head, the snapshot when asked for,
// and the first events after the start (at most the limit asked for).
struct WatchStart {
  int64_t last_seq = 0;
  std::optional<v1::Snapshot> snapshot;
  std::vector<Event> events;
};

// The event log as the hub and the watchers read it. Blocking: call only on
// the tailer thread or the executor.
class EventLog {
 public:
  virtual ~EventLog() = default;
  // Checks a watch request against the log (NOT_FOUND, OUT_OF_RANGE,
  // FAILED_PRECONDITION as WatchPage documents them) and reads its start.
  virtual absl::StatusOr<WatchStart> StartWatch(const WatchRequest& request,
                                                int limit,
                                                absl::Time deadline) = 0;
  // Events of a page with seq > after_seq, ascending, at most `limit`.
  virtual absl::StatusOr<std::vector<Event>> ReadEvents(
      const std::string& page_id, int64_t after_seq, int limit,
      absl::Time deadline) = 0;
  // The latest sequence of each page that exists.
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>>
  LastSequences(const std::vector<std::string>& page_ids,
                absl::Time deadline) = 0;
};

class EventWatcher;

// What a watcher needs from its replica's hub.
class WatcherHost {
 public:
  virtual ~WatcherHost() = default;
  // Calls watcher->RunRead() later on the executor, and again (after a
  // pause) while it fails. At most one read per watcher is requested at a
  // time.
  virtual void RequestRead(std::shared_ptr<EventWatcher> watcher) = 0;
  // The watcher ended: offer it nothing more.
  virtual void RemoveWatcher(EventWatcher* watcher) = 0;
};

// The gRPC side of a stream (the reactor), so the watcher can be tested
// without gRPC. The watcher calls these one at a time, under its lock, with
// at most one Send outstanding, and nothing after Close.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  virtual void SendHeaders() = 0;
  // `message` stays valid until the stream reports the write done.
  virtual void Send(const grpc::ByteBuffer* message) = 0;
  virtual void Close(const absl::Status& status) = 0;
};

class EventWatcher : public std::enable_shared_from_this<EventWatcher> {
 public:
  struct Options {
    // Events that may wait to be sent while live; one more ends the stream.
    int buffer = 1024;
    // Events per read of the log while replaying, and the bytes waiting to
    // be sent above which replay pauses (replayed events are the watcher's
    // own copies, unlike live ones, which all watchers share).
    int read_batch = 256;
    size_t max_replay_bytes = 1 << 20;
    absl::Duration heartbeat_interval = absl::Seconds(15);
  };

  // `stream` must stay valid until OnDone().
  EventWatcher(WatchRequest request, Options options, EventLog& log,
               WatcherHost& host, const Clock& clock, WatchStream* stream);

  EventWatcher(const EventWatcher&) = delete;
  EventWatcher& operator=(const EventWatcher&) = delete;

  const std::string& page_id() const { return request_.page_id; }

  // From the hub: `events` of this page in ascending order (any may be
  // duplicates, and any may be missing), and the page's latest sequence as
  // the hub knows it (which may be beyond the events).
  void Offer(absl::Span<const std::shared_ptr<const EncodedEvent>> events,
             int64_t head);

  // The one read the watcher asked its host for (the start, or a page of
  // replay), on the executor. Non-OK only when it should be retried later
  // (the database is away); the stream lives on meanwhile.
  absl::Status RunRead(absl::Time deadline);

  // Sends a heartbeat when nothing was sent for the heartbeat interval.
  void MaybeHeartbeat(absl::Time now);

  // Ends the stream with `status` once the write in flight (if any) is
  // done; what waits in the buffer is dropped. No-op when already ending.
  void End(const absl::Status& status);

  // Reactions of the stream.
  void OnWriteDone(bool ok);
  void OnCancel();
  // The stream is gone; the watcher is inert from now on.
  void OnDone();

  // For tests and logs: the sequence the watcher is at, and how many
  // messages wait in its buffer.
  int64_t position() const;
  size_t buffered() const;

 private:
  enum class Phase { kStarting, kReplaying, kLive, kEnding, kDone };

  // Each takes the next event; false when the stream ended.
  bool AcceptLocked(const std::shared_ptr<const EncodedEvent>& event, bool live)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyStartLocked(WatchStart start) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `known_head`: the latest sequence known committed when the read began.
  void ApplyEventsLocked(const std::vector<Event>& events, int64_t known_head)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Replays from `next_` when the buffer has room for a page of it.
  void ReplayLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeRequestReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PushLocked(std::shared_ptr<const WatchMessage> message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts the next write, or the Close, when nothing is in flight.
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendLocked(std::shared_ptr<const WatchMessage> message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int ReadBatch() const;

  const WatchRequest request_;
  const Options options_;
  EventLog& log_;
  WatcherHost& host_;
  const Clock& clock_;

  mutable absl::Mutex mu_;
  WatchStream* stream_ ABSL_GUARDED_BY(mu_);
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kStarting;
  // The next sequence to take; every one before it was sent or filtered.
  int64_t next_ ABSL_GUARDED_BY(mu_) = 0;
  // after_sequence 0 means "from the first event kept": until the first
  // event is taken, the log may start above `next_` (pruned).
  bool from_first_kept_ ABSL_GUARDED_BY(mu_) = false;
  // The highest sequence the hub has seen committed on the page.
  int64_t max_offered_ ABSL_GUARDED_BY(mu_) = 0;
  // A read is requested and not yet applied.
  bool reading_ ABSL_GUARDED_BY(mu_) = true;  // the start read
  // A replay read waits for room in the buffer.
  bool read_wanted_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<std::shared_ptr<const WatchMessage>> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // The message being written; kept alive until the write is done.
  std::shared_ptr<const WatchMessage> in_flight_ ABSL_GUARDED_BY(mu_);
  // The position of the last message handed to the stream: what the client
  // will have read when the stream ends.
  int64_t sent_position_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_send_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> ending_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_EVENT_WATCHER_H_
