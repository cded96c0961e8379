#include "bench/write/post_load.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/write/fixture.h"
#include "incidentd/v1/incidents.grpc.pb.h"

namespace incidentd::bench::write {
namespace {

constexpr absl::Duration kClosedLoopDeadline = absl::Seconds(10);
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(5);
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(200);
// Clients spread over a few connections, as several callers' would be; one
// HTTP/2 connection for 64 clients would measure its own transport lock.
constexpr int kMaxChannels = 4;

std::string CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    default: return absl::StrCat("code ", static_cast<int>(code));
  }
}

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(
    const std::string& address, int clients) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  const int n = std::clamp(clients, 1, kMaxChannels);
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    // A subchannel pool of its own: each channel its own TCP connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channels.push_back(grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

// Connects every channel before the clock starts, so that the warm-up is
// not spent in TCP handshakes.
absl::Status Connect(const std::vector<std::shared_ptr<grpc::Channel>>& chs) {
  for (const auto& ch : chs) {
    if (!ch->WaitForConnected(
            absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
      return absl::UnavailableError("cannot connect to incidentd");
    }
  }
  return absl::OkStatus();
}

v1::PostIncidentUpdateRequest PostRequest(const std::string& incident) {
  v1::PostIncidentUpdateRequest request;
  request.set_parent(incident);
  v1::IncidentUpdate* update = request.mutable_update();
  update->set_body(kPostBody);
  update->set_author(kPostAuthor);
  update->set_notify(true);
  return request;
}

// Counts one answer into `r`.
void Count(LoadResult& r, const grpc::Status& status, absl::Duration latency) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      ++r.ok;
      r.ok_latency.Add(latency);
      return;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      ++r.rejected;
      r.reject_latency.Add(latency);
      return;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      ++r.deadline_exceeded;
      return;
    default:
      ++r.other_errors[CodeName(status.error_code())];
      if (r.first_error.empty()) {
        r.first_error = absl::StrCat(CodeName(status.error_code()), ": ",
                                     status.error_message());
      }
  }
}

void SleepUntil(absl::Time t) {
  const absl::Duration d = t - absl::Now();
  if (d > absl::ZeroDuration()) absl::SleepFor(d);
}

// Runs callbacks at given times on one thread of its own: where clients wait
// out their backoff without holding a gRPC thread.
class BackoffTimer {
 public:
  BackoffTimer() : thread_([this] { Loop(); }) {}
  ~BackoffTimer() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      wake_.Signal();
    }
    thread_.join();
  }

  void Schedule(absl::Time at, std::function<void()> fn) {
    absl::MutexLock lock(&mu_);
    due_.emplace(at, std::move(fn));
    wake_.Signal();  // it may be due before what the loop waits for
  }

 private:
  void Loop() {
    absl::MutexLock lock(&mu_);
    for (;;) {
      if (due_.empty()) {
        if (stopping_) return;
        wake_.Wait(&mu_);
        continue;
      }
      // Once stopping, whatever is left runs at once.
      const absl::Time next = due_.begin()->first;
      if (!stopping_ && next > absl::Now()) {
        wake_.WaitWithDeadline(&mu_, next);
        continue;
      }
      std::function<void()> fn = std::move(due_.begin()->second);
      due_.erase(due_.begin());
      mu_.Unlock();
      fn();
      mu_.Lock();
    }
  }

  absl::Mutex mu_;
  absl::CondVar wake_;
  std::multimap<absl::Time, std::function<void()>> due_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the rest is built
};

struct ClosedLoopShared {
  absl::Time window_start;
  absl::Time window_end;
  std::atomic<bool> stop{false};
  BackoffTimer* timer = nullptr;
  absl::BlockingCounter* finished = nullptr;
};

// One caller with one post in flight. Its callbacks run one after another
// (each starts the next call), so its state needs no lock; the runner reads
// it after every client finished.
class Client {
 public:
  Client(v1::IncidentService::Stub* stub, const std::string& incident,
         std::string request_prefix, ClosedLoopShared* shared)
      : stub_(stub),
        request_(PostRequest(incident)),
        request_prefix_(std::move(request_prefix)),
        shared_(shared) {}

  void Start() {
    first_attempt_ = absl::Now();
    backoff_ = kFirstBackoff;
    Send();
  }

  const LoadResult& result() const { return result_; }

 private:
  void Send() {
    if (shared_->stop.load(std::memory_order_relaxed)) {
      shared_->finished->DecrementCount();
      return;
    }
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(
        absl::ToChronoTime(absl::Now() + kClosedLoopDeadline));
    if (attempt_of_post_ == 0) {
      request_.set_request_id(absl::StrCat(request_prefix_, "-", ++posts_));
    }
    ++attempt_of_post_;
    attempt_start_ = absl::Now();
    stub_->async()->PostIncidentUpdate(
        context_.get(), &request_, &response_,
        [this](grpc::Status status) { OnDone(status); });
  }

  void OnDone(const grpc::Status& status) {
    const absl::Time now = absl::Now();
    const bool in_window =
        now >= shared_->window_start && now <= shared_->window_end;
    const bool rejected =
        status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
    if (in_window) {
      Count(result_, status,
            rejected ? now - attempt_start_ : now - first_attempt_);
    }
    if (rejected) {
      // The same post again (same request_id) after the backoff.
      const absl::Duration wait =
          backoff_ * absl::Uniform(bitgen_, 0.5, 1.5);
      backoff_ = std::min(backoff_ * 2, kMaxBackoff);
      shared_->timer->Schedule(now + wait, [this] { Send(); });
      return;
    }
    attempt_of_post_ = 0;
    first_attempt_ = now;
    backoff_ = kFirstBackoff;
    Send();
  }

  v1::IncidentService::Stub* const stub_;
  v1::PostIncidentUpdateRequest request_;
  const std::string request_prefix_;
  ClosedLoopShared* const shared_;
  std::unique_ptr<grpc::ClientContext> context_;
  v1::IncidentUpdate response_;
  absl::Time first_attempt_;
  absl::Time attempt_start_;
  absl::Duration backoff_;
  int64_t posts_ = 0;
  int attempt_of_post_ = 0;
  absl::BitGen bitgen_;
  LoadResult result_;
};

}  // namespace

absl::StatusOr<LoadResult> RunClosedLoop(
    const std::string& address, const std::vector<std::string>& incidents,
    const std::string& request_prefix, const RunTiming& timing,
    const WindowHooks& hooks) {
  const int n = static_cast<int>(incidents.size());
  std::vector<std::shared_ptr<grpc::Channel>> channels =
      MakeChannels(address, n);
  if (absl::Status s = Connect(channels); !s.ok()) return s;
  std::vector<std::unique_ptr<v1::IncidentService::Stub>> stubs;
  for (const auto& channel : channels) {
    stubs.push_back(v1::IncidentService::NewStub(channel));
  }

  BackoffTimer timer;
  absl::BlockingCounter finished(n);
  ClosedLoopShared shared;
  shared.timer = &timer;
  shared.finished = &finished;
  const absl::Time start = absl::Now();
  shared.window_start = start + timing.warmup;
  shared.window_end = shared.window_start + timing.measure;

  std::vector<std::unique_ptr<Client>> clients;
  for (int k = 0; k < n; ++k) {
    clients.push_back(std::make_unique<Client>(
        stubs[k % stubs.size()].get(), incidents[k],
        absl::StrCat(request_prefix, "-", k), &shared));
  }
  for (auto& client : clients) client->Start();

  SleepUntil(shared.window_start);
  hooks.at_start();
  SleepUntil(shared.window_end);
  hooks.at_end();
  shared.stop.store(true);
  finished.Wait();

  LoadResult result;
  result.window = timing.measure;
  for (const auto& client : clients) result.Merge(client->result());
  return result;
}

namespace {

// One open-loop call; deletes itself when answered.
struct OpenCall {
  grpc::ClientContext context;
  v1::PostIncidentUpdateRequest request;
  v1::IncidentUpdate response;
  absl::Time sent;
  bool counted = false;  // scheduled inside the window
};

class OpenLoopState {
 public:
  void Sent() {
    absl::MutexLock lock(&mu_);
    ++outstanding_;
  }
  void Done(OpenCall* call, const grpc::Status& status) {
    const absl::Duration latency = absl::Now() - call->sent;
    absl::MutexLock lock(&mu_);
    if (call->counted) Count(result_, status, latency);
    --outstanding_;
  }
  LoadResult WaitAll() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int64_t* n) { return *n == 0; }, &outstanding_));
    return result_;
  }

 private:
  absl::Mutex mu_;
  int64_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  LoadResult result_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<OpenLoopResult> RunOpenLoop(
    const std::string& address, const std::vector<std::string>& incidents,
    const std::string& request_prefix, double rate, absl::Duration deadline,
    const RunTiming& timing) {
  if (rate <= 0 || incidents.empty()) {
    return absl::InvalidArgumentError("open loop: no rate or no incidents");
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels =
      MakeChannels(address, kMaxChannels);
  if (absl::Status s = Connect(channels); !s.ok()) return s;
  std::vector<std::unique_ptr<v1::IncidentService::Stub>> stubs;
  for (const auto& channel : channels) {
    stubs.push_back(v1::IncidentService::NewStub(channel));
  }
  std::vector<v1::PostIncidentUpdateRequest> templates;
  for (const std::string& incident : incidents) {
    templates.push_back(PostRequest(incident));
  }

  // Shared with the callbacks: the last one may still be returning from
  // Done() when WaitAll() lets this function return.
  auto state = std::make_shared<OpenLoopState>();
  OpenLoopResult out;
  const absl::Duration interval = absl::Seconds(1.0 / rate);
  const absl::Time start = absl::Now() + absl::Milliseconds(1);
  const absl::Time window_start = start + timing.warmup;
  const absl::Time window_end = window_start + timing.measure;
  int64_t scheduled_in_window = 0;
  for (int64_t k = 0;; ++k) {
    const absl::Time due = start + interval * k;
    if (due >= window_end) break;
    SleepUntil(due);
    auto* call = new OpenCall;
    call->request = templates[k % templates.size()];
    call->request.set_request_id(absl::StrCat(request_prefix, "-", k));
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    call->counted = due >= window_start;
    if (call->counted) ++scheduled_in_window;
    call->sent = absl::Now();
    out.send_lag.Add(call->sent - due);
    state->Sent();
    stubs[k % stubs.size()]->async()->PostIncidentUpdate(
        &call->context, &call->request, &call->response,
        [call, state](grpc::Status status) {
          state->Done(call, status);
          delete call;
        });
  }
  out.load = state->WaitAll();
  out.load.window = timing.measure;
  out.offered = scheduled_in_window / absl::ToDoubleSeconds(timing.measure);
  return out;
}

}  // namespace incidentd::bench::write
