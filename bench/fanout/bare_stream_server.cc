// bench_bare_stream_server: the baseline of scenario 4. It serves the same
// method as incidentd (incidentd.v1.EventService/WatchPage, registered raw,
// one ServerWriteReactor per stream, each stream with the same bounded
// buffer) and, on a trigger, pushes one message to every open stream: the
// trigger's payload, wrapped once in a ByteBuffer whose slice all streams
// share, as incidentd shares each event's encoding. No database, no
// parsing, no filters: what is left is the cost of gRPC fan-out itself.
//
//   bench_bare_stream_server --listen=127.0.0.1:PORT [--buffer=1024]
//
// Trigger: the unary method /incidentd.bench.BareFanout/Push, whose request
// bytes are the serialized WatchPageResponse to push. It answers at once and
// a fan-out thread does the pushing, as incidentd answers a write once it is
// committed and its tailer does the fan-out. SERVING on grpc.health.v1 once
// listening; SIGTERM or SIGINT ends the streams with UNAVAILABLE and exits.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <deque>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "incidentd/v1/events.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "address to serve on");
ABSL_FLAG(int, buffer, 1024,
          "messages that may wait for a stream before it is ended with "
          "RESOURCE_EXHAUSTED (incidentd's --watch_buffer)");

namespace incidentd::bench {
namespace {

constexpr char kPushMethod[] = "/incidentd.bench.BareFanout/Push";

using Message = std::shared_ptr<const grpc::ByteBuffer>;

class StreamReactor;

// One stream's state, shared between its reactor and the hub (which may
// still hold it for a moment after gRPC is done with the reactor), like
// incidentd's EventWatcher: a bounded queue and at most one write in flight.
class BareStream {
 public:
  BareStream(StreamReactor* reactor, int buffer)
      : buffer_(buffer), reactor_(reactor) {}

  // Every message of a round, in order, as incidentd's watchers are
  // offered every event a round of the tailer read.
  void Offer(const std::vector<Message>& messages);
  void End(const grpc::Status& status);
  void OnWriteDone(bool ok);
  void OnDone();

 private:
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int buffer_;
  absl::Mutex mu_;
  StreamReactor* reactor_ ABSL_GUARDED_BY(mu_);
  std::deque<Message> queue_ ABSL_GUARDED_BY(mu_);
  Message in_flight_ ABSL_GUARDED_BY(mu_);
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Every open stream, and the fan-out thread that offers each pushed
// message to all of them (incidentd's tailer, minus the database read).
class Hub {
 public:
  explicit Hub(int buffer) : buffer_(buffer) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~Hub() { Shutdown(); }

  int buffer() const { return buffer_; }

  void Add(std::shared_ptr<BareStream> stream) {
    absl::MutexLock lock(&mu_);
    streams_.emplace(stream.get(), std::move(stream));
  }
  void Remove(BareStream* stream) {
    absl::MutexLock lock(&mu_);
    streams_.erase(stream);
  }
  void Publish(Message message) {
    absl::MutexLock lock(&mu_);
    pending_.push_back(std::move(message));
  }
  void Shutdown() {
    std::vector<std::shared_ptr<BareStream>> all;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
      for (auto& [ptr, stream] : streams_) all.push_back(stream);
    }
    for (auto& stream : all) {
      stream->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "server shutting down"));
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !pending_.empty();
  }
  void Loop() {
    for (;;) {
      std::vector<Message> batch;
      std::vector<std::shared_ptr<BareStream>> targets;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &Hub::HasWork));
        if (stopping_) return;
        batch.swap(pending_);
        targets.reserve(streams_.size());
        for (auto& [ptr, stream] : streams_) targets.push_back(stream);
      }
      // Outside the hub's lock, as in incidentd: each stream takes its own,
      // once per round, for all the round's messages.
      for (const auto& stream : targets) stream->Offer(batch);
    }
  }

  const int buffer_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<BareStream*, std::shared_ptr<BareStream>> streams_
      ABSL_GUARDED_BY(mu_);
  std::vector<Message> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

class StreamReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit StreamReactor(Hub& hub)
      : hub_(hub), stream_(std::make_shared<BareStream>(this, hub.buffer())) {
    // As incidentd does for a stream without a snapshot: the client learns
    // that the stream is up before the first message.
    StartSendInitialMetadata();
    hub_.Add(stream_);
  }

  void OnWriteDone(bool ok) override { stream_->OnWriteDone(ok); }
  void OnCancel() override {
    stream_->End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }
  void OnDone() override {
    stream_->OnDone();
    hub_.Remove(stream_.get());
    delete this;
  }

 private:
  Hub& hub_;
  std::shared_ptr<BareStream> stream_;
};

void BareStream::Offer(const std::vector<Message>& messages) {
  absl::MutexLock lock(&mu_);
  for (const Message& message : messages) {
    if (ending_ || closed_) return;
    if (static_cast<int>(queue_.size()) >= buffer_) {
      EndLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                             "stream fell behind"));
      return;
    }
    queue_.push_back(message);
  }
  PumpLocked();
}

void BareStream::End(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  EndLocked(status);
}

void BareStream::EndLocked(const grpc::Status& status) {
  if (ending_ || closed_) return;
  ending_ = true;
  status_ = status;
  queue_.clear();
  PumpLocked();
}

void BareStream::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  in_flight_.reset();
  if (!ok) {
    EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
  }
  PumpLocked();
}

void BareStream::OnDone() {
  absl::MutexLock lock(&mu_);
  reactor_ = nullptr;
  closed_ = true;
  queue_.clear();
  in_flight_.reset();
}

void BareStream::PumpLocked() {
  if (closed_ || reactor_ == nullptr || in_flight_ != nullptr) return;
  if (!queue_.empty()) {
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    reactor_->StartWrite(in_flight_.get());
    return;
  }
  if (ending_) {
    closed_ = true;
    reactor_->Finish(status_);
  }
}

// WatchPage exactly as incidentd registers it; the request is not looked at.
class BareEventService final
    : public v1::EventService::WithRawCallbackMethod_WatchPage<
          v1::EventService::WithCallbackMethod_ListEvents<
              v1::EventService::Service>> {
 public:
  explicit BareEventService(Hub& hub) : hub_(hub) {}

  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchPage(
      grpc::CallbackServerContext* ctx,
      const grpc::ByteBuffer* request) override {
    return new StreamReactor(hub_);
  }

 private:
  Hub& hub_;
};

// Push: one request message, published, answered with an empty message.
class PushReactor final : public grpc::ServerGenericBidiReactor {
 public:
  explicit PushReactor(Hub& hub) : hub_(hub) { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
      return;
    }
    hub_.Publish(Flatten(request_));
    grpc::Slice empty;
    response_ = grpc::ByteBuffer(&empty, 1);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }
  void OnDone() override { delete this; }

 private:
  // One slice, as incidentd's encoded events are: every stream's write
  // then references the same bytes.
  static Message Flatten(const grpc::ByteBuffer& bytes) {
    std::vector<grpc::Slice> slices;
    std::string joined;
    if (bytes.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        joined.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    grpc::Slice slice(joined);
    return std::make_shared<const grpc::ByteBuffer>(&slice, 1);
  }

  Hub& hub_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class PushService final : public grpc::CallbackGenericService {
 public:
  explicit PushService(Hub& hub) : hub_(hub) {}

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* ctx) override {
    if (ctx->method() == kPushMethod) return new PushReactor(hub_);
    return grpc::CallbackGenericService::CreateReactor(ctx);
  }

 private:
  Hub& hub_;
};

int Run(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built without NDEBUG: without this, every
  // Mutex::Lock also updates a process-wide lock graph under a global lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Blocked before any thread starts, so that only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Hub hub(absl::GetFlag(FLAGS_buffer));
  BareEventService events(hub);
  PushService push(hub);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen),
                           grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&events);
  builder.RegisterCallbackGenericService(&push);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "bench_bare_stream_server: cannot listen on "
              << absl::GetFlag(FLAGS_listen) << "\n";
    return 1;
  }
  std::cerr << "bench_bare_stream_server: serving on port " << port << "\n";

  int signal = 0;
  sigwait(&signals, &signal);
  hub.Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}

}  // namespace
}  // namespace incidentd::bench

int main(int argc, char** argv) { return incidentd::bench::Run(argc, argv); }
