#include "bench/read/load_generator.h"

#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"

namespace incidentd::bench {
namespace {

// steady_clock is CLOCK_MONOTONIC on Linux: the clock the pacer sleeps on.
int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SleepUntilNs(int64_t when_ns) {
  timespec ts;
  ts.tv_sec = when_ns / 1000000000;
  ts.tv_nsec = when_ns % 1000000000;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

}  // namespace

double RunResult::ok_per_second() const {
  const double s = absl::ToDoubleSeconds(window);
  return s > 0 ? static_cast<double>(ok()) / s : 0;
}

double RunResult::started_per_second() const {
  const double s = absl::ToDoubleSeconds(window);
  return s > 0 ? static_cast<double>(started) / s : 0;
}

std::string RunResult::CodesSummary() const {
  std::vector<std::string> parts;
  for (size_t code = 0; code < by_code.size(); ++code) {
    if (by_code[code] == 0) continue;
    parts.push_back(absl::StrCat(
        absl::StatusCodeToString(static_cast<absl::StatusCode>(code)), " ",
        by_code[code]));
  }
  return parts.empty() ? "no calls" : absl::StrJoin(parts, ", ");
}

double ProcessCpuSeconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(in, line);
  // The command name may hold spaces: fields are counted after its ')'.
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return 0;
  std::vector<std::string> fields =
      absl::StrSplit(line.substr(paren + 2), ' ');
  // After the name: state is field 3 of stat(5), utime 14 and stime 15.
  if (fields.size() < 13) return 0;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
}

int FindDatabasePid(int port) {
  const std::string flag = absl::StrCat("--port=", port);
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc", error)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)),
                        std::istreambuf_iterator<char>());
    std::vector<std::string> args = absl::StrSplit(cmdline, '\0');
    if (args.empty()) continue;
    const std::string program = args[0].substr(args[0].rfind('/') + 1);
    if (program != "mariadbd" && program != "mysqld") continue;
    for (const std::string& arg : args) {
      if (arg == flag) return pid;
    }
  }
  return 0;
}

// One measurement: the calls of one Closed() or Open(), and what they came
// to. Calls are counted when they were sent (closed loop) or scheduled (open
// loop) inside [window_start_ns, window_end_ns).
class LoadGenerator::Run {
 public:
  Run(const UnaryCall& call, bool closed, int64_t window_start_ns,
      int64_t window_end_ns, absl::Duration deadline)
      : method(call.method),
        request(MakeRequest(call.request)),
        closed(closed),
        window_start_ns(window_start_ns),
        window_end_ns(window_end_ns),
        deadline(absl::ToChronoNanoseconds(deadline)) {}

  bool InWindow(int64_t t) const {
    return t >= window_start_ns && t < window_end_ns;
  }

  int64_t Outstanding() {
    absl::MutexLock lock(&mu_);
    return outstanding_;
  }
  void Sent() {
    absl::MutexLock lock(&mu_);
    ++outstanding_;
  }
  void Record(int64_t stamp_ns, grpc::StatusCode code, int64_t latency_ns) {
    absl::MutexLock lock(&mu_);
    --outstanding_;
    if (!InWindow(stamp_ns)) return;
    ++result_.started;
    ++result_.by_code[code];
    if (code == grpc::StatusCode::OK) {
      result_.ok_latency.Add(absl::Nanoseconds(latency_ns));
    } else if (code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      result_.rejected_latency.Add(absl::Nanoseconds(latency_ns));
    }
  }
  // Waits until every call sent has been answered; call it after the last
  // send. The closed loop's own sends come from answers of calls still out,
  // so the count cannot reach zero while that loop goes on.
  RunResult FinishAndDrain() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int64_t* outstanding) { return *outstanding == 0; },
        &outstanding_));
    return std::move(result_);
  }

  const std::string method;
  const grpc::ByteBuffer request;
  const bool closed;
  const int64_t window_start_ns;
  const int64_t window_end_ns;
  const std::chrono::nanoseconds deadline;

 private:
  static grpc::ByteBuffer MakeRequest(const std::string& bytes) {
    grpc::Slice slice(bytes);
    return grpc::ByteBuffer(&slice, 1);
  }

  absl::Mutex mu_;
  int64_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  RunResult result_ ABSL_GUARDED_BY(mu_);
};

struct LoadGenerator::Call {
  Run* run = nullptr;
  int channel = 0;
  int64_t stamp_ns = 0;  // what decides whether the call is in the window
  int64_t sent_ns = 0;
  grpc::ClientContext context;
  grpc::ByteBuffer response;
  grpc::Status status;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
};

absl::StatusOr<std::unique_ptr<LoadGenerator>> LoadGenerator::Connect(
    const std::string& address, int channels, int threads) {
  std::unique_ptr<LoadGenerator> g(new LoadGenerator());
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    // Channels with equal arguments share one subchannel (one TCP
    // connection) through gRPC's global pool; a local pool and a distinct
    // argument give each its own.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("incidentd.bench.channel", i);
    std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(
            absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", address, " (channel ", i, ")"));
    }
    g->stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
    g->channels_.push_back(std::move(channel));
  }
  for (int i = 0; i < threads; ++i) {
    g->queues_.push_back(std::make_unique<grpc::CompletionQueue>());
  }
  for (int i = 0; i < threads; ++i) {
    g->pollers_.emplace_back([g = g.get(), i] { g->Poll(i); });
  }
  return g;
}

LoadGenerator::~LoadGenerator() {
  // Every run has drained before it returned: the queues hold no calls.
  for (auto& queue : queues_) queue->Shutdown();
  for (std::thread& t : pollers_) t.join();
}

void LoadGenerator::Poll(int index) {
  void* tag = nullptr;
  bool ok = false;
  while (queues_[index]->Next(&tag, &ok)) Complete(static_cast<Call*>(tag));
}

void LoadGenerator::Send(Run& run, int channel, int64_t stamp_ns) {
  auto* call = new Call;
  call->run = &run;
  call->channel = channel;
  call->stamp_ns = stamp_ns;
  call->context.set_deadline(std::chrono::system_clock::now() + run.deadline);
  run.Sent();
  grpc::CompletionQueue* queue = queues_[channel % queues_.size()].get();
  call->sent_ns = NowNs();
  call->reader = stubs_[channel]->PrepareUnaryCall(&call->context, run.method,
                                                   run.request, queue);
  call->reader->StartCall();
  // The call may complete (and be deleted) on a poller before this returns.
  call->reader->Finish(&call->response, &call->status, call);
}

void LoadGenerator::Complete(Call* call) {
  const int64_t now = NowNs();
  Run& run = *call->run;
  // The next call goes out before this one is counted, so the run never
  // looks drained while its loop is still going.
  if (run.closed && now < run.window_end_ns) Send(run, call->channel, now);
  run.Record(call->stamp_ns, call->status.error_code(), now - call->sent_ns);
  delete call;
}

RunResult LoadGenerator::Closed(const UnaryCall& call, int in_flight,
                                const RunTiming& timing) {
  const absl::Time wall_start = absl::Now();
  const double cpu_start = ProcessCpuSeconds(getpid());
  const int64_t t0 = NowNs();
  const int64_t window_start = t0 + absl::ToInt64Nanoseconds(timing.warmup);
  const int64_t window_end =
      window_start + absl::ToInt64Nanoseconds(timing.measure);
  Run run(call, /*closed=*/true, window_start, window_end, timing.deadline);
  for (int k = 0; k < in_flight; ++k) {
    Send(run, k % static_cast<int>(stubs_.size()), NowNs());
  }
  RunResult result = run.FinishAndDrain();
  result.window = timing.measure;
  result.generator_cpu_seconds = ProcessCpuSeconds(getpid()) - cpu_start;
  result.elapsed = absl::Now() - wall_start;
  return result;
}

RunResult LoadGenerator::Open(const UnaryCall& call, double rate,
                              const RunTiming& timing, int max_in_flight) {
  if (!(rate > 0)) {  // nothing to send (e.g. a peak of zero)
    RunResult none;
    none.window = timing.measure;
    return none;
  }
  // The pacer sleeps to each send's time; the default 50 us timer slack
  // would make every send that late.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  const absl::Time wall_start = absl::Now();
  const double cpu_start = ProcessCpuSeconds(getpid());
  const int64_t t0 = NowNs() + 1000000;
  const int64_t window_start = t0 + absl::ToInt64Nanoseconds(timing.warmup);
  const int64_t window_end =
      window_start + absl::ToInt64Nanoseconds(timing.measure);
  Run run(call, /*closed=*/false, window_start, window_end, timing.deadline);
  const double interval_ns = 1e9 / rate;
  const int64_t max_lag_ns = absl::ToInt64Nanoseconds(kMaxSendLag);
  Histogram lag;
  int64_t not_sent = 0;
  int64_t skipped_late = 0;
  const int channels = static_cast<int>(stubs_.size());
  for (int64_t i = 0;; ++i) {
    const int64_t scheduled =
        t0 + static_cast<int64_t>(static_cast<double>(i) * interval_ns);
    if (scheduled >= window_end) break;
    int64_t now = NowNs();
    if (now < scheduled) {
      SleepUntilNs(scheduled);
      now = NowNs();
    }
    const bool counted = run.InWindow(scheduled);
    if (now - scheduled > max_lag_ns) {
      if (counted) ++skipped_late;
      continue;
    }
    if (run.Outstanding() >= max_in_flight) {
      if (counted) ++not_sent;
      continue;
    }
    if (counted) lag.Add(absl::Nanoseconds(now - scheduled));
    Send(run, static_cast<int>(i % channels), scheduled);
  }
  RunResult result = run.FinishAndDrain();
  result.window = timing.measure;
  result.send_lag = std::move(lag);
  result.not_sent = not_sent;
  result.skipped_late = skipped_late;
  result.generator_cpu_seconds = ProcessCpuSeconds(getpid()) - cpu_start;
  result.elapsed = absl::Now() - wall_start;
  return result;
}

}  // namespace incidentd::bench
