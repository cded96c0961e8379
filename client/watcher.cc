#include "client/watcher.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"

namespace incidentd::client {

bool IsPermanentWatchError(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return true;
    default:
      return false;
  }
}

// --- WatchPosition ----------------------------------------------------------

WatchPosition::WatchPosition(v1::WatchPageRequest request)
    : request_(std::move(request)),
      filtered_(request_.components_size() > 0 ||
                request_.incidents_size() > 0 || request_.types_size() > 0),
      known_(request_.after_sequence() > 0),
      last_sequence_(request_.after_sequence()) {}

v1::WatchPageRequest WatchPosition::NextRequest() const {
  v1::WatchPageRequest next = request_;
  if (snapshot_pending()) {
    // Nothing was delivered yet (the snapshot comes first): start over.
    next.set_after_sequence(0);
  } else {
    next.set_snapshot(false);
    next.set_after_sequence(last_sequence_);
  }
  return next;
}

WatchPosition::Verdict WatchPosition::OnEvent(int64_t sequence) {
  if (known_ && sequence <= last_sequence_) return Verdict::kDuplicate;
  if (known_ && !filtered_ && sequence != last_sequence_ + 1) {
    return Verdict::kGap;
  }
  last_sequence_ = sequence;
  known_ = true;
  return Verdict::kDeliver;
}

void WatchPosition::OnSnapshot(int64_t sequence) {
  snapshot_received_ = true;
  last_sequence_ = std::max(last_sequence_, sequence);
  known_ = true;
}

void WatchPosition::OnHeartbeat(int64_t sequence) {
  if (sequence > last_sequence_) last_sequence_ = sequence;
  // From 0 without a snapshot, a heartbeat is the first real position.
  known_ = known_ || sequence > 0;
}

// --- ReconnectPolicy --------------------------------------------------------

ReconnectPolicy::ReconnectPolicy(size_t address_count, BackoffOptions backoff,
                                 std::function<double()> random)
    : address_count_(std::max<size_t>(address_count, 1)),
      backoff_(backoff),
      random_(std::move(random)) {}

absl::Duration ReconnectPolicy::NextCeiling() const {
  // Step by step in Durations (exact for the usual 2x from whole
  // milliseconds), stopping at the cap so that many failures cannot
  // overflow.
  absl::Duration ceiling = backoff_.initial;
  for (int i = 0; i < failures_ && ceiling < backoff_.max; ++i) {
    ceiling *= backoff_.multiplier;
  }
  return std::min(ceiling, backoff_.max);
}

ReconnectPolicy::Decision ReconnectPolicy::OnStreamEnd(absl::StatusCode code) {
  Decision decision;
  if (IsPermanentWatchError(code)) return decision;
  decision.reconnect = true;
  decision.delay = NextCeiling() * random_();
  ++failures_;
  // Any address may be the one that failed; the next one is as likely to
  // work and, when this one died, more so. With one address this stays.
  address_ = (address_ + 1) % address_count_;
  decision.address = address_;
  return decision;
}

// --- Watcher ----------------------------------------------------------------

namespace {

std::function<double()> RealRandom() {
  auto gen = std::make_shared<absl::BitGen>();
  return [gen] { return absl::Uniform<double>(*gen, 0.0, 1.0); };
}

}  // namespace

Watcher::Watcher(WatchOptions options, WatchCallbacks callbacks)
    : options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      policy_(options_.targets.size(), options_.backoff,
              options_.random ? options_.random : RealRandom()),
      position_(options_.request) {
  // One channel per address for the watcher's life: gRPC reconnects a
  // channel by itself, and a channel whose server died fails new calls at
  // once (UNAVAILABLE), which moves the watcher on to the next address.
  for (const std::string& target : options_.targets) {
    channels_.push_back(NewChannel(target));
  }
}

Watcher::~Watcher() { Stop(); }

absl::Status Watcher::Run() {
  if (options_.targets.empty()) {
    return absl::InvalidArgumentError("watch: no server address given");
  }
  if (options_.request.page().empty()) {
    return absl::InvalidArgumentError("watch: no page given");
  }
  std::vector<std::unique_ptr<v1::EventService::Stub>> stubs;
  for (const auto& channel : channels_) {
    stubs.push_back(v1::EventService::NewStub(channel));
  }
  while (true) {
    const size_t address = policy_.address();
    grpc::Status status = StreamOnce(*stubs[address]);
    absl::Status ended = FromGrpcStatus(status);
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return absl::OkStatus();
    }
    // A stream never ends OK on its own; if one does, it is a server going
    // away without saying so: reconnect.
    if (status.ok()) {
      ended = absl::UnavailableError("the server ended the stream");
    }
    ReconnectPolicy::Decision decision = policy_.OnStreamEnd(ended.code());
    if (!decision.reconnect) return ended;
    if (callbacks_.on_reconnect) {
      callbacks_.on_reconnect(ended, options_.targets[decision.address],
                              decision.delay);
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopped_), decision.delay);
    if (stopped_) return absl::OkStatus();
  }
}

grpc::Status Watcher::StreamOnce(v1::EventService::Stub& stub) {
  grpc::ClientContext context;
  for (const auto& [key, value] : options_.metadata) {
    context.AddMetadata(key, value);
  }
  v1::WatchPageRequest request;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return grpc::Status::CANCELLED;
    context_ = &context;
    request = position_.NextRequest();
    ++stats_.connects;
  }
  std::unique_ptr<grpc::ClientReader<v1::WatchPageResponse>> reader =
      stub.WatchPage(&context, request);
  v1::WatchPageResponse response;
  bool gap = false;
  while (reader->Read(&response)) {
    policy_.OnProgress();
    if (!gap) Deliver(response, context, gap);
  }
  grpc::Status status = reader->Finish();
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
  if (gap) {
    return grpc::Status(grpc::StatusCode::CANCELLED,
                        "an event was missing; resuming from the log");
  }
  return status;
}

void Watcher::Deliver(const v1::WatchPageResponse& response,
                      grpc::ClientContext& context, bool& gap) {
  switch (response.kind_case()) {
    case v1::WatchPageResponse::kEvent: {
      WatchPosition::Verdict verdict;
      {
        absl::MutexLock lock(&mu_);
        verdict = position_.OnEvent(response.event().sequence());
        switch (verdict) {
          case WatchPosition::Verdict::kDeliver:
            ++stats_.events_delivered;
            break;
          case WatchPosition::Verdict::kDuplicate:
            ++stats_.duplicates_dropped;
            break;
          case WatchPosition::Verdict::kGap:
            ++stats_.gaps;
            break;
        }
      }
      if (verdict == WatchPosition::Verdict::kGap) {
        // The log has what this stream skipped: end it and resume from
        // the position, rather than deliver out of order.
        gap = true;
        context.TryCancel();
        return;
      }
      if (verdict == WatchPosition::Verdict::kDeliver && callbacks_.on_event) {
        callbacks_.on_event(response.event());
      }
      return;
    }
    case v1::WatchPageResponse::kSnapshot: {
      {
        absl::MutexLock lock(&mu_);
        position_.OnSnapshot(response.snapshot().sequence());
      }
      if (callbacks_.on_snapshot) callbacks_.on_snapshot(response.snapshot());
      return;
    }
    case v1::WatchPageResponse::kHeartbeat: {
      {
        absl::MutexLock lock(&mu_);
        position_.OnHeartbeat(response.heartbeat().sequence());
      }
      if (callbacks_.on_heartbeat) {
        callbacks_.on_heartbeat(response.heartbeat());
      }
      return;
    }
    case v1::WatchPageResponse::KIND_NOT_SET:
      return;  // from a newer server: nothing this client understands
  }
}

void Watcher::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

int64_t Watcher::last_sequence() const {
  absl::MutexLock lock(&mu_);
  return position_.last_sequence();
}

WatchStats Watcher::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace incidentd::client
