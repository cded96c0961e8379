// The load generator of the fan-out scenarios (4 and 5): N watch streams
// opened with the callback API over a few channels, a paced writer, and the
// bookkeeping that turns (write returned, message arrived) into
// commit-to-delivery latencies. The same client measures incidentd and the
// bare pusher: both serve incidentd.v1.EventService/WatchPage, and every
// write (a component status reason, or the bare server's pushed bytes)
// carries a tag "fanout w" + 10 digits naming the write, found in the
// arriving bytes without parsing the whole message.
#ifndef INCIDENTD_BENCH_FANOUT_FANOUT_LOAD_H_
#define INCIDENTD_BENCH_FANOUT_FANOUT_LOAD_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bench/common/bench_common.h"

namespace incidentd::bench {

// --- Tags: which write a message belongs to.

inline constexpr std::string_view kTagPrefix = "fanout w";
inline constexpr size_t kTagDigits = 10;
// "fanout w0000000042": the same length for every write, so that every
// event (and every bare message) has the same size.
std::string MakeTag(int64_t write_id);
// The write id and the event's create_time (Unix ns; 0 when absent) of a
// serialized WatchPageResponse; nullopt for messages without a tag
// (heartbeats, other events).
struct TaggedMessage {
  int64_t write_id = 0;
  int64_t create_unix_ns = 0;
};
std::optional<TaggedMessage> ReadTag(std::string_view bytes);
// `message` with its tag replaced by `write_id`'s; false when it has none.
bool Retag(std::string& message, int64_t write_id);

// --- When each write was sent and returned, and when its event was made.

class WriteTimes {
 public:
  explicit WriteTimes(size_t capacity);
  size_t capacity() const { return returned_ns_.size(); }
  void SetIssued(int64_t id, int64_t unix_ns);
  int64_t Issued(int64_t id) const;
  // Unix ns; 0 while unknown (not returned, failed).
  void SetReturned(int64_t id, int64_t unix_ns);
  int64_t Returned(int64_t id) const;
  void SetCreated(int64_t id, int64_t unix_ns);
  int64_t Created(int64_t id) const;

 private:
  std::vector<std::atomic<int64_t>> issued_ns_;
  std::vector<std::atomic<int64_t>> returned_ns_;
  std::vector<std::atomic<int64_t>> created_ns_;
};

// One message's arrival on one stream.
struct Delivery {
  int64_t write_id;
  int64_t arrival_unix_ns;
};

// --- The watch streams.

class WatchStreamClient;

// N streams of WatchPage over the given channels (stream i on channel
// i % channels). Reactions run on gRPC's callback threads; they only parse
// the tag and append to the stream's own list, so the client stays cheap.
class WatchLoad {
 public:
  WatchLoad(std::vector<std::shared_ptr<grpc::Channel>> channels,
            WriteTimes& times);
  // Cancels every stream and waits for them to end.
  ~WatchLoad();

  // Opens `n` more streams with `request` (a serialized WatchPageRequest)
  // and waits until each has its headers (the server accepted it) or
  // ended. DEADLINE_EXCEEDED if that takes longer than `timeout`;
  // UNAVAILABLE when a stream ended before it was up.
  absl::Status Open(int n, const std::string& request, absl::Duration timeout);
  // Streams up and not ended.
  int live() const;
  // Streams that ended since the last call (any reason), and the codes.
  std::vector<grpc::StatusCode> TakeEnded();
  // Messages with a tag received so far, over all streams.
  int64_t delivered() const { return delivered_.load(); }
  // Every delivery recorded since the last call.
  std::vector<Delivery> TakeDeliveries();
  // Waits until no tagged message arrived for `quiet`: a backlog left by
  // an overload has drained. False when that took longer than `timeout`.
  bool WaitQuiet(absl::Duration quiet, absl::Duration timeout);
  // Cancels every stream and waits until all have ended.
  void CancelAll();

  // From the streams' reactions.
  void NoteUp();
  void NoteDelivered() { delivered_.fetch_add(1, std::memory_order_relaxed); }
  void NoteDone(WatchStreamClient* stream, bool was_up, grpc::StatusCode code);
  WriteTimes& times() { return times_; }

 private:
  bool AllSettled() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return waiting_ == 0;
  }
  bool NoneOpen() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return open_ == 0;
  }

  const std::vector<std::shared_ptr<grpc::Channel>> channels_;
  WriteTimes& times_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  std::atomic<int64_t> delivered_{0};

  mutable absl::Mutex mu_;
  // Every stream opened since the last CancelAll; reactions may still run
  // until each is done, so they are deleted only after that.
  std::vector<std::unique_ptr<WatchStreamClient>> streams_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;      // started, not done
  int up_ ABSL_GUARDED_BY(mu_) = 0;        // headers received, not done
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;   // opened, neither up nor done
  int64_t next_index_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<grpc::StatusCode> ended_ ABSL_GUARDED_BY(mu_);
};

// Channels to `address`, each its own TCP connection (a local subchannel
// pool, and an argument that tells them apart).
std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(
    const std::string& address, int count);

// --- The writer.

// One write: `done(ok)` runs when it returned. Implementations are async
// (callback API), so a paced run keeps several in flight from one thread.
class Writer {
 public:
  virtual ~Writer() = default;
  virtual void Write(int64_t write_id, std::function<void(bool ok)> done) = 0;
};

// incidentd: SetComponentStatus on one of the page's components in turn,
// the status unchanged and the reason the write's tag, so every write is
// one COMPONENT_STATUS_CHANGED event of the same size (and none notifies
// subscribers, keeping the dispatcher out of the figure).
std::unique_ptr<Writer> MakeIncidentdWriter(
    std::shared_ptr<grpc::Channel> channel,
    std::vector<std::string> component_names);
// The bare server: Push of `message` (a serialized WatchPageResponse with a
// tag) retagged for each write.
std::unique_ptr<Writer> MakeBarePushWriter(
    std::shared_ptr<grpc::Channel> channel, std::string message);

// Ids handed out to writes, from 1; WriteTimes is indexed by them.
class WriteIds {
 public:
  int64_t Take(int64_t n) {
    const int64_t first = next_;
    next_ += n;
    return first;
  }

 private:
  int64_t next_ = 1;
};

// `count` writes paced at `rate` per second (open loop: write i is due at
// start + i / rate), at most `max_in_flight` outstanding; a write that finds
// them all busy goes late, and the achieved rate shows it.
struct PacedRun {
  int64_t first_id = 0;
  int64_t end_id = 0;  // exclusive
  int64_t ok = 0;
  int64_t failed = 0;
  absl::Duration elapsed;  // first issued to last returned
  absl::Time first_issue;
  absl::Time last_issue;
  // OK writes per second of the span over which they were issued: the
  // offered rate unless writes had to wait for a slot.
  double achieved_rate = 0;
  // Writes that found every slot busy: the target could not absorb the
  // rate (as opposed to the pacing thread waking late).
  int64_t waited_for_slot = 0;
};
PacedRun RunPaced(Writer& writer, WriteTimes& times, WriteIds& ids,
                  double rate, int64_t count, int max_in_flight);

// --- Measuring.

// The latencies of the deliveries of writes [first_id, end_id): arrival
// minus the writer's return (commit), and arrival minus the event's
// create_time (the server's clock; a cross-check, incidentd only).
struct DeliveryStats {
  int64_t deliveries = 0;
  Histogram commit_to_delivery;
  Histogram create_to_delivery;
  // The last arrival of any of these writes (Unix ns; 0 when none).
  int64_t last_arrival_unix_ns = 0;
};
DeliveryStats Analyze(const std::vector<Delivery>& deliveries,
                      const WriteTimes& times, int64_t first_id,
                      int64_t end_id);

// CPU seconds (user + system) a process has used so far; 0 on error.
double ProcessCpuSeconds(pid_t pid);

}  // namespace incidentd::bench

#endif  // INCIDENTD_BENCH_FANOUT_FANOUT_LOAD_H_
