#include "bench/fanout/fanout_load.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "incidentd/v1/components.grpc.pb.h"
#include "incidentd/v1/events.pb.h"

namespace incidentd::bench {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

constexpr char kWatchMethod[] = "/incidentd.v1.EventService/WatchPage";
constexpr char kPushMethod[] = "/incidentd.bench.BareFanout/Push";

constexpr uint32_t Tag(int field, WireFormatLite::WireType type) {
  return (static_cast<uint32_t>(field) << 3) | static_cast<uint32_t>(type);
}
constexpr uint32_t kResponseEventTag =
    Tag(v1::WatchPageResponse::kEventFieldNumber,
        WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
constexpr uint32_t kEventCreateTimeTag =
    Tag(v1::Event::kCreateTimeFieldNumber,
        WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
constexpr uint32_t kSecondsTag = Tag(1, WireFormatLite::WIRETYPE_VARINT);
constexpr uint32_t kNanosTag = Tag(2, WireFormatLite::WIRETYPE_VARINT);

int64_t NowNs() { return absl::ToUnixNanos(absl::Now()); }

// The event's create_time, by walking the wire format: WatchPageResponse
// .event (2) -> Event.create_time (4) -> Timestamp. 0 when absent.
int64_t CreateTimeNs(std::string_view bytes) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    if (tag != kResponseEventTag) {
      if (!WireFormatLite::SkipField(&in, tag)) return 0;
      continue;
    }
    uint32_t event_size = 0;
    if (!in.ReadVarint32(&event_size)) return 0;
    in.PushLimit(static_cast<int>(event_size));
    for (tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
      if (tag != kEventCreateTimeTag) {
        if (!WireFormatLite::SkipField(&in, tag)) return 0;
        continue;
      }
      uint32_t time_size = 0;
      if (!in.ReadVarint32(&time_size)) return 0;
      in.PushLimit(static_cast<int>(time_size));
      uint64_t seconds = 0;
      uint32_t nanos = 0;
      for (tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
        if (tag == kSecondsTag) {
          if (!in.ReadVarint64(&seconds)) return 0;
        } else if (tag == kNanosTag) {
          if (!in.ReadVarint32(&nanos)) return 0;
        } else if (!WireFormatLite::SkipField(&in, tag)) {
          return 0;
        }
      }
      return static_cast<int64_t>(seconds) * 1000000000 + nanos;
    }
    return 0;
  }
  return 0;
}

}  // namespace

// --- Tags -------------------------------------------------------------------

std::string MakeTag(int64_t write_id) {
  char digits[kTagDigits + 1];
  std::snprintf(digits, sizeof(digits), "%010lld",
                static_cast<long long>(write_id));
  return std::string(kTagPrefix) + digits;
}

std::optional<TaggedMessage> ReadTag(std::string_view bytes) {
  const size_t at = bytes.find(kTagPrefix);
  if (at == std::string_view::npos ||
      at + kTagPrefix.size() + kTagDigits > bytes.size()) {
    return std::nullopt;
  }
  int64_t id = 0;
  for (size_t i = at + kTagPrefix.size(); i < at + kTagPrefix.size() + kTagDigits;
       ++i) {
    const char c = bytes[i];
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + (c - '0');
  }
  return TaggedMessage{id, CreateTimeNs(bytes)};
}

bool Retag(std::string& message, int64_t write_id) {
  const size_t at = message.find(kTagPrefix);
  if (at == std::string::npos ||
      at + kTagPrefix.size() + kTagDigits > message.size()) {
    return false;
  }
  message.replace(at, kTagPrefix.size() + kTagDigits, MakeTag(write_id));
  return true;
}

// --- WriteTimes -------------------------------------------------------------

WriteTimes::WriteTimes(size_t capacity)
    : issued_ns_(capacity), returned_ns_(capacity), created_ns_(capacity) {}

void WriteTimes::SetIssued(int64_t id, int64_t unix_ns) {
  if (id >= 0 && static_cast<size_t>(id) < issued_ns_.size()) {
    issued_ns_[id].store(unix_ns, std::memory_order_release);
  }
}
int64_t WriteTimes::Issued(int64_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= issued_ns_.size()) return 0;
  return issued_ns_[id].load(std::memory_order_acquire);
}

void WriteTimes::SetReturned(int64_t id, int64_t unix_ns) {
  if (id >= 0 && static_cast<size_t>(id) < returned_ns_.size()) {
    returned_ns_[id].store(unix_ns, std::memory_order_release);
  }
}
int64_t WriteTimes::Returned(int64_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= returned_ns_.size()) return 0;
  return returned_ns_[id].load(std::memory_order_acquire);
}
void WriteTimes::SetCreated(int64_t id, int64_t unix_ns) {
  if (id >= 0 && static_cast<size_t>(id) < created_ns_.size()) {
    created_ns_[id].store(unix_ns, std::memory_order_relaxed);
  }
}
int64_t WriteTimes::Created(int64_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= created_ns_.size()) return 0;
  return created_ns_[id].load(std::memory_order_relaxed);
}

// --- One stream ---------------------------------------------------------------

// WatchPage through the generic stub: a bidi call carrying one request
// message and then half-closed is, on the wire, the server-streaming call
// the generated stub would make, and it hands over raw bytes, so the client
// pays for finding the tag only, not for parsing every event.
class WatchStreamClient final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  WatchStreamClient(WatchLoad& load, const std::string& request)
      : load_(load) {
    grpc::Slice slice(request);
    request_ = grpc::ByteBuffer(&slice, 1);
  }

  void Start(grpc::GenericStub& stub) {
    stub.PrepareBidiStreamingCall(&ctx_, kWatchMethod, grpc::StubOptions(),
                                  this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }
  void Cancel() { ctx_.TryCancel(); }

  std::vector<Delivery> TakeDeliveries() {
    std::vector<Delivery> out;
    absl::MutexLock lock(&mu_);
    out.swap(deliveries_);
    return out;
  }

  void OnReadInitialMetadataDone(bool ok) override {
    if (!ok) return;
    up_ = true;
    load_.NoteUp();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended; OnDone follows
    const int64_t arrival = NowNs();
    grpc::Slice single;
    std::string joined;
    std::string_view bytes;
    if (response_.TrySingleSlice(&single).ok()) {
      bytes = std::string_view(reinterpret_cast<const char*>(single.begin()),
                               single.size());
    } else {
      std::vector<grpc::Slice> slices;
      if (response_.Dump(&slices).ok()) {
        for (const grpc::Slice& s : slices) {
          joined.append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
      }
      bytes = joined;
    }
    if (std::optional<TaggedMessage> tag = ReadTag(bytes); tag.has_value()) {
      if (tag->create_unix_ns != 0 &&
          load_.times().Created(tag->write_id) == 0) {
        load_.times().SetCreated(tag->write_id, tag->create_unix_ns);
      }
      {
        absl::MutexLock lock(&mu_);
        deliveries_.push_back(Delivery{tag->write_id, arrival});
      }
      load_.NoteDelivered();
    }
    StartRead(&response_);
  }
  void OnWriteDone(bool ok) override {}
  void OnDone(const grpc::Status& status) override {
    load_.NoteDone(this, up_, status.error_code());
  }

 private:
  WatchLoad& load_;
  grpc::ClientContext ctx_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  // Reactions of one stream never overlap; only OnReadInitialMetadataDone
  // and OnDone touch it.
  bool up_ = false;
  absl::Mutex mu_;
  std::vector<Delivery> deliveries_ ABSL_GUARDED_BY(mu_);
};

// --- WatchLoad ----------------------------------------------------------------

WatchLoad::WatchLoad(std::vector<std::shared_ptr<grpc::Channel>> channels,
                     WriteTimes& times)
    : channels_(std::move(channels)), times_(times) {
  for (const auto& channel : channels_) {
    stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
  }
}

WatchLoad::~WatchLoad() { CancelAll(); }

absl::Status WatchLoad::Open(int n, const std::string& request,
                             absl::Duration timeout) {
  std::vector<std::pair<WatchStreamClient*, grpc::GenericStub*>> started;
  {
    absl::MutexLock lock(&mu_);
    ended_.clear();
    for (int i = 0; i < n; ++i) {
      streams_.push_back(std::make_unique<WatchStreamClient>(*this, request));
      started.emplace_back(streams_.back().get(),
                           stubs_[next_index_++ % stubs_.size()].get());
    }
    open_ += n;
    waiting_ += n;
  }
  // Outside the lock: reactions take it.
  for (auto& [stream, stub] : started) stream->Start(*stub);

  absl::MutexLock lock(&mu_);
  if (!mu_.AwaitWithTimeout(absl::Condition(this, &WatchLoad::AllSettled),
                            timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat(waiting_, " of ", n, " streams not up after ",
                     absl::FormatDuration(timeout)));
  }
  if (!ended_.empty()) {
    return absl::UnavailableError(
        absl::StrCat(ended_.size(), " streams ended while opening; first: ",
                     static_cast<int>(ended_.front())));
  }
  return absl::OkStatus();
}

int WatchLoad::live() const {
  absl::MutexLock lock(&mu_);
  return up_;
}

std::vector<grpc::StatusCode> WatchLoad::TakeEnded() {
  absl::MutexLock lock(&mu_);
  std::vector<grpc::StatusCode> out;
  out.swap(ended_);
  return out;
}

std::vector<Delivery> WatchLoad::TakeDeliveries() {
  std::vector<Delivery> out;
  absl::MutexLock lock(&mu_);
  out.reserve(static_cast<size_t>(delivered_.load()) / 4 + 16);
  for (const auto& stream : streams_) {
    std::vector<Delivery> some = stream->TakeDeliveries();
    out.insert(out.end(), some.begin(), some.end());
  }
  return out;
}

bool WatchLoad::WaitQuiet(absl::Duration quiet, absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  int64_t seen = delivered();
  absl::Time last_change = absl::Now();
  while (absl::Now() < give_up) {
    // Polling a counter: the deliveries have no single place to signal.
    absl::SleepFor(absl::Milliseconds(10));
    const int64_t now_seen = delivered();
    if (now_seen != seen) {
      seen = now_seen;
      last_change = absl::Now();
    } else if (absl::Now() - last_change >= quiet) {
      return true;
    }
  }
  return false;
}

void WatchLoad::CancelAll() {
  std::vector<WatchStreamClient*> all;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& stream : streams_) all.push_back(stream.get());
  }
  // Outside the lock (a cancel may run reactions); the streams live until
  // this object does, so the pointers stay valid.
  for (WatchStreamClient* stream : all) stream->Cancel();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &WatchLoad::NoneOpen));
  streams_.clear();
  ended_.clear();
}

void WatchLoad::NoteUp() {
  absl::MutexLock lock(&mu_);
  --waiting_;
  ++up_;
}

void WatchLoad::NoteDone(WatchStreamClient* stream, bool was_up,
                         grpc::StatusCode code) {
  absl::MutexLock lock(&mu_);
  if (was_up) {
    --up_;
  } else {
    --waiting_;
  }
  --open_;
  ended_.push_back(code);
}

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(
    const std::string& address, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    // Otherwise channels with equal arguments share one connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("incidentd.bench.channel", i);
    args.SetMaxReceiveMessageSize(-1);
    channels.push_back(grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

// --- Writers ------------------------------------------------------------------

namespace {

constexpr absl::Duration kWriteDeadline = absl::Seconds(10);

class IncidentdWriter final : public Writer {
 public:
  IncidentdWriter(std::shared_ptr<grpc::Channel> channel,
                  std::vector<std::string> components)
      : stub_(v1::ComponentService::NewStub(channel)),
        components_(std::move(components)) {}

  void Write(int64_t write_id, std::function<void(bool)> done) override {
    struct Call {
      grpc::ClientContext ctx;
      v1::SetComponentStatusRequest request;
      v1::Component response;
    };
    auto call = std::make_shared<Call>();
    call->ctx.set_deadline(absl::ToChronoTime(absl::Now() + kWriteDeadline));
    call->request.set_name(components_[write_id % components_.size()]);
    call->request.set_status(v1::ComponentStatus::OPERATIONAL);
    call->request.set_reason(MakeTag(write_id));
    stub_->async()->SetComponentStatus(
        &call->ctx, &call->request, &call->response,
        [call, done = std::move(done)](grpc::Status status) {
          if (!status.ok()) {
            std::fprintf(stderr, "SetComponentStatus: %s\n",
                         status.error_message().c_str());
          }
          done(status.ok());
        });
  }

 private:
  std::unique_ptr<v1::ComponentService::Stub> stub_;
  const std::vector<std::string> components_;
};

class BarePushWriter final : public Writer {
 public:
  BarePushWriter(std::shared_ptr<grpc::Channel> channel, std::string message)
      : stub_(std::move(channel)), message_(std::move(message)) {}

  void Write(int64_t write_id, std::function<void(bool)> done) override {
    struct Call {
      grpc::ClientContext ctx;
      grpc::ByteBuffer request;
      grpc::ByteBuffer response;
    };
    auto call = std::make_shared<Call>();
    call->ctx.set_deadline(absl::ToChronoTime(absl::Now() + kWriteDeadline));
    std::string bytes = message_;
    Retag(bytes, write_id);
    grpc::Slice slice(bytes);
    call->request = grpc::ByteBuffer(&slice, 1);
    stub_.UnaryCall(&call->ctx, kPushMethod, grpc::StubOptions(),
                    &call->request, &call->response,
                    [call, done = std::move(done)](grpc::Status status) {
                      done(status.ok());
                    });
  }

 private:
  grpc::GenericStub stub_;
  const std::string message_;
};

}  // namespace

std::unique_ptr<Writer> MakeIncidentdWriter(
    std::shared_ptr<grpc::Channel> channel,
    std::vector<std::string> component_names) {
  return std::make_unique<IncidentdWriter>(std::move(channel),
                                           std::move(component_names));
}

std::unique_ptr<Writer> MakeBarePushWriter(
    std::shared_ptr<grpc::Channel> channel, std::string message) {
  return std::make_unique<BarePushWriter>(std::move(channel),
                                          std::move(message));
}

PacedRun RunPaced(Writer& writer, WriteTimes& times, WriteIds& ids,
                  double rate, int64_t count, int max_in_flight) {
  struct Shared {
    absl::Mutex mu;
    int in_flight ABSL_GUARDED_BY(mu) = 0;
    int64_t ok ABSL_GUARDED_BY(mu) = 0;
    int64_t failed ABSL_GUARDED_BY(mu) = 0;
    int64_t last_return_ns ABSL_GUARDED_BY(mu) = 0;
  };
  auto shared = std::make_shared<Shared>();
  PacedRun run;
  run.first_id = ids.Take(count);
  run.end_id = run.first_id + count;
  const absl::Time start = absl::Now();
  const absl::Duration interval = absl::Seconds(1.0 / rate);
  absl::Time last_issue = start;
  for (int64_t i = 0; i < count; ++i) {
    // Pacing, not synchronization: the write is due at this time.
    const absl::Time due = start + interval * static_cast<double>(i);
    const absl::Duration wait = due - absl::Now();
    if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
    {
      absl::MutexLock lock(&shared->mu);
      auto has_slot = [&shared, max_in_flight]()
                          ABSL_NO_THREAD_SAFETY_ANALYSIS {
                            return shared->in_flight < max_in_flight;
                          };
      if (!has_slot()) {
        ++run.waited_for_slot;
        shared->mu.Await(absl::Condition(&has_slot));
      }
      ++shared->in_flight;
    }
    const int64_t id = run.first_id + i;
    last_issue = absl::Now();
    times.SetIssued(id, absl::ToUnixNanos(last_issue));
    writer.Write(id, [shared, &times, id](bool ok) {
      const int64_t now = NowNs();
      if (ok) times.SetReturned(id, now);
      absl::MutexLock lock(&shared->mu);
      --shared->in_flight;
      ++(ok ? shared->ok : shared->failed);
      shared->last_return_ns = std::max(shared->last_return_ns, now);
    });
  }
  absl::MutexLock lock(&shared->mu);
  shared->mu.Await(absl::Condition(
      +[](Shared* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return s->in_flight == 0;
      },
      shared.get()));
  run.ok = shared->ok;
  run.failed = shared->failed;
  run.elapsed = absl::FromUnixNanos(shared->last_return_ns) - start;
  run.first_issue = start;
  run.last_issue = last_issue;
  // Write i is due at i / rate, so `count` writes span count / rate when
  // on time; writes that waited for a slot stretch the span.
  const absl::Duration span = last_issue - start + interval;
  run.achieved_rate =
      static_cast<double>(run.ok) / absl::ToDoubleSeconds(span);
  return run;
}

// --- Measuring ------------------------------------------------------------------

DeliveryStats Analyze(const std::vector<Delivery>& deliveries,
                      const WriteTimes& times, int64_t first_id,
                      int64_t end_id) {
  DeliveryStats stats;
  for (const Delivery& d : deliveries) {
    if (d.write_id < first_id || d.write_id >= end_id) continue;
    const int64_t returned = times.Returned(d.write_id);
    if (returned == 0) continue;  // the write failed
    ++stats.deliveries;
    stats.last_arrival_unix_ns =
        std::max(stats.last_arrival_unix_ns, d.arrival_unix_ns);
    stats.commit_to_delivery.Add(absl::Nanoseconds(d.arrival_unix_ns - returned));
    if (const int64_t created = times.Created(d.write_id); created != 0) {
      stats.create_to_delivery.Add(
          absl::Nanoseconds(d.arrival_unix_ns - created));
    }
  }
  return stats;
}

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) return 0;
  // The command may hold spaces; the fields we want follow its ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  // After ')': state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) stime = std::atoll(field.c_str());
  }
  return static_cast<double>(utime + stime) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace incidentd::bench
