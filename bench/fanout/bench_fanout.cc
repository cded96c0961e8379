// bench_fanout: scenarios 4 and 5 (see NOTES.md).
//
// 4: one writer, N watchers of one page on one incidentd, against
//    bench_bare_stream_server pushing messages of the same size to N
//    streams, measured by the same client in the same run: deliveries/s at
//    the highest write rate each keeps up with, commit-to-delivery p50/p99
//    at half that rate (at most 20 writes/s), memory per idle stream.
// 5: the writer on one incidentd, the watchers on another (same database):
//    commit-to-delivery p50/p99 against scenario 4's at the same N.
//
// Environment: BenchEnv (bench_common.h). Flags: --smoke (a few seconds, 10
// watchers). Results on stdout, one JSON line each; progress on stderr.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/common/bench_common.h"
#include "bench/fanout/fanout_load.h"
#include "incidentd/v1/components.grpc.pb.h"
#include "incidentd/v1/events.grpc.pb.h"
#include "incidentd/v1/pages.grpc.pb.h"

ABSL_FLAG(bool, smoke, false,
          "a few seconds with 10 watchers, to check that figures come out");
ABSL_FLAG(int, watchers, 0,
          "only this N for scenario 4 (and scenario 5 only if it is its N); "
          "for profiling one size");
ABSL_FLAG(double, rate, 0,
          "skip the sweep and measure latency at this many writes/s only; "
          "for profiling a fixed load");

namespace incidentd::bench {
namespace {

constexpr char kDatabase[] = "bench_fanout";
constexpr char kPageId[] = "fanout";
constexpr int kComponents = 8;

struct Config {
  std::vector<int> watcher_counts;
  // A sweep step lasts at least this long and has at least this many writes.
  absl::Duration step_min;
  int step_min_writes = 8;
  // The first step offers this many deliveries/s; each next one twice as
  // many, until one is not kept up with; then `refine_steps` steps each
  // half-way between the best rate kept up with and the lowest not: a
  // resolution of x1.41 after one, x1.19 after two.
  double sweep_start_deliveries = 40000;
  int sweep_max_steps = 10;
  int refine_steps = 1;
  // How long a step waits for its last deliveries; missing ones after that
  // mean it was not kept up with.
  absl::Duration drain = absl::Seconds(2);
  absl::Duration latency_duration;
  // The latency phase runs at half the highest rate kept up with, at most
  // this: a status page does not see more.
  double latency_rate_cap = 20;
  int cross_replica_watchers = 100;
  // Enough for any rate the page's commits allow; fewer than incidentd's
  // executor queue takes (4 x --pool_size), so none is refused.
  int max_writes_in_flight = 16;
  // --rate: no sweep, latency at that rate only.
  bool fixed_rate = false;
  // After the streams are opened, before their memory is read: for what
  // the server frees or allocates late.
  absl::Duration settle = absl::Milliseconds(300);
  // Before a phase, the streams must have had no delivery for this long
  // (the backlog of the step before is gone).
  absl::Duration quiet = absl::Milliseconds(300);
};

Config MakeConfig(bool smoke, bool quick) {
  Config c;
  if (smoke) {
    // Every figure from real deliveries on both servers and across
    // replicas, as briefly as that allows: one sweep step of a few writes,
    // the latency phase's minimum of 4 writes.
    c.watcher_counts = {10};
    c.step_min = absl::Milliseconds(100);
    c.step_min_writes = 3;
    c.sweep_start_deliveries = 500;
    c.sweep_max_steps = 1;
    c.refine_steps = 0;
    c.latency_duration = absl::Milliseconds(200);
    c.cross_replica_watchers = 10;
    c.settle = absl::Milliseconds(50);
    c.quiet = absl::Milliseconds(50);
  } else if (quick) {
    c.watcher_counts = {100, 1000, 10000};
    c.step_min = absl::Milliseconds(800);
    c.latency_duration = absl::Seconds(2);
  } else {
    c.watcher_counts = {100, 1000, 10000};
    c.step_min = absl::Seconds(3);
    c.step_min_writes = 20;
    c.refine_steps = 2;
    c.latency_duration = absl::Seconds(10);
  }
  return c;
}

// Streams spread over N/100 connections, at least 1 and at most 16.
int ChannelsFor(int watchers) { return std::clamp(watchers / 100, 1, 16); }

std::string PageName() { return absl::StrCat("pages/", kPageId); }
std::vector<std::string> ComponentNames() {
  std::vector<std::string> names;
  for (int i = 0; i < kComponents; ++i) {
    names.push_back(absl::StrCat(PageName(), "/components/c", i));
  }
  return names;
}

void Progress(const std::string& line) {
  std::fprintf(stderr, "bench_fanout: %s\n", line.c_str());
}

absl::Status FromGrpc(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

void RaiseFileLimit() {
  // Few fds are needed (16 connections), but the servers inherit it.
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// --- incidentd set-up -------------------------------------------------------

absl::Status CreatePageWithComponents(const std::string& address) {
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto pages = v1::PageService::NewStub(channel);
  auto components = v1::ComponentService::NewStub(channel);
  {
    grpc::ClientContext ctx;
    v1::CreatePageRequest request;
    request.set_page_id(kPageId);
    request.mutable_page()->set_display_name("Fan-out benchmark");
    v1::Page page;
    absl::Status s = FromGrpc(pages->CreatePage(&ctx, request, &page),
                              "CreatePage");
    if (!s.ok()) return s;
  }
  for (int i = 0; i < kComponents; ++i) {
    grpc::ClientContext ctx;
    v1::CreateComponentRequest request;
    request.set_parent(PageName());
    request.set_component_id(absl::StrCat("c", i));
    request.mutable_component()->set_display_name(
        absl::StrCat("Component ", i));
    v1::Component component;
    absl::Status s = FromGrpc(
        components->CreateComponent(&ctx, request, &component),
        "CreateComponent");
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// The page's latest sequence: the snapshot's, from a stream opened for it.
absl::StatusOr<int64_t> HeadSequence(const std::string& address) {
  auto stub = v1::EventService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::WatchPageRequest request;
  request.set_page(PageName());
  request.set_snapshot(true);
  auto reader = stub->WatchPage(&ctx, request);
  v1::WatchPageResponse response;
  if (!reader->Read(&response) || !response.has_snapshot()) {
    ctx.TryCancel();
    return FromGrpc(reader->Finish(), "WatchPage (snapshot)");
  }
  ctx.TryCancel();
  reader->Finish();
  return response.snapshot().sequence();
}

std::string WatchRequestAt(int64_t after_sequence) {
  v1::WatchPageRequest request;
  request.set_page(PageName());
  request.set_after_sequence(after_sequence);
  return request.SerializeAsString();
}

// One real event as incidentd sends it (a status change whose reason is a
// tag): the bare server pushes this message, retagged, so that both servers
// send messages of exactly the same size.
absl::StatusOr<std::string> CaptureEventMessage(const std::string& address) {
  absl::StatusOr<int64_t> head = HeadSequence(address);
  if (!head.ok()) return head.status();
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto events = v1::EventService::NewStub(channel);
  auto components = v1::ComponentService::NewStub(channel);
  grpc::ClientContext watch_ctx;
  watch_ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::WatchPageRequest request;
  request.set_page(PageName());
  request.set_after_sequence(*head);
  auto reader = events->WatchPage(&watch_ctx, request);
  // The headers say the stream is up, so the write below is seen live.
  reader->WaitForInitialMetadata();
  {
    grpc::ClientContext ctx;
    v1::SetComponentStatusRequest set;
    set.set_name(ComponentNames()[0]);
    set.set_status(v1::ComponentStatus::OPERATIONAL);
    set.set_reason(MakeTag(0));
    v1::Component component;
    absl::Status s = FromGrpc(components->SetComponentStatus(&ctx, set,
                                                             &component),
                              "SetComponentStatus");
    if (!s.ok()) return s;
  }
  v1::WatchPageResponse response;
  while (reader->Read(&response)) {
    if (response.has_event()) break;
  }
  watch_ctx.TryCancel();
  reader->Finish();
  if (!response.has_event()) {
    return absl::UnavailableError("the captured stream ended before an event");
  }
  // Re-serialized: the same fields and values, so the same size as the
  // server's own bytes (only the field order may differ).
  return response.SerializeAsString();
}

// --- The servers under test -------------------------------------------------

// incidentd or the bare server, started fresh for each measurement so that
// the memory figure starts from a clean process.
class Target {
 public:
  virtual ~Target() = default;
  virtual std::string label() const = 0;
  virtual absl::Status Start() = 0;
  virtual void Stop() = 0;
  virtual const std::string& address() const = 0;
  virtual Process& process() = 0;
  virtual std::unique_ptr<Writer> MakeWriter() = 0;
  // The request a new stream sends: from the page's head, no snapshot.
  virtual absl::StatusOr<std::string> WatchRequest() = 0;
};

class IncidentdTarget final : public Target {
 public:
  explicit IncidentdTarget(const BenchEnv& env) : env_(env) {}
  std::string label() const override { return "incidentd"; }
  absl::Status Start() override {
    absl::StatusOr<ServerHandle> server =
        StartIncidentd(env_, kDatabase, Flags());
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    return absl::OkStatus();
  }
  void Stop() override {
    if (server_.process != nullptr) server_.process->Stop();
    server_.process.reset();
  }
  const std::string& address() const override { return server_.address; }
  Process& process() override { return *server_.process; }
  std::unique_ptr<Writer> MakeWriter() override {
    return MakeIncidentdWriter(
        grpc::CreateChannel(server_.address,
                            grpc::InsecureChannelCredentials()),
        ComponentNames());
  }
  absl::StatusOr<std::string> WatchRequest() override {
    absl::StatusOr<int64_t> head = HeadSequence(server_.address);
    if (!head.ok()) return head.status();
    return WatchRequestAt(*head);
  }
  // Every flag at its default. The watch buffer too (1024 events): no
  // step that is kept up with comes near it, and a step that is not may
  // well have streams cut off, which the step reports.
  static std::vector<std::string> Flags() { return {}; }

 private:
  const BenchEnv& env_;
  ServerHandle server_;
};

class BareTarget final : public Target {
 public:
  BareTarget(const BenchEnv& env, std::string binary, std::string message)
      : env_(env), binary_(std::move(binary)), message_(std::move(message)) {}
  std::string label() const override { return "bare"; }
  absl::Status Start() override {
    absl::StatusOr<int> port = FreePort();
    if (!port.ok()) return port.status();
    address_ = absl::StrCat("127.0.0.1:", *port);
    ProcessSpec spec;
    spec.argv = {binary_, absl::StrCat("--listen=", address_), "--buffer=1024"};
    spec.cpus = env_.server_cpus;
    spec.log_file = absl::StrCat(env_.out_dir, "/bench_bare_stream_server.log");
    absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(spec);
    if (!process.ok()) return process.status();
    process_ = *std::move(process);
    absl::StatusOr<absl::Duration> up =
        WaitServing(address_, absl::Now(), absl::Seconds(20));
    return up.status();
  }
  void Stop() override {
    if (process_ != nullptr) process_->Stop();
    process_.reset();
  }
  const std::string& address() const override { return address_; }
  Process& process() override { return *process_; }
  std::unique_ptr<Writer> MakeWriter() override {
    return MakeBarePushWriter(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()),
        message_);
  }
  absl::StatusOr<std::string> WatchRequest() override {
    return WatchRequestAt(0);  // not looked at
  }

 private:
  const BenchEnv& env_;
  const std::string binary_;
  const std::string message_;
  std::string address_;
  std::unique_ptr<Process> process_;
};

// --- Steps and sweeps -------------------------------------------------------

double SelfCpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

struct Step {
  double offered_rate = 0;   // writes/s
  double achieved_rate = 0;  // writes/s that returned OK
  // The writer had to wait for a slot for more than a tenth of the writes:
  // the write path, not the fan-out, set the pace.
  bool writer_bound = false;
  int streams = 0;
  int64_t expected = 0;      // OK writes x streams
  DeliveryStats stats;
  int cut_off = 0;           // streams that ended during the step
  absl::Duration tail;       // last write sent to its last delivery
  int64_t failed_writes = 0;
  bool kept_up = false;
  std::string why_not;
  double deliveries_per_s = 0;
  double server_cpu_us_per_delivery = 0;
  double load_cpu_share = 0;  // of one CPU, this process
};

// A step is kept up with when its tail stays within this of a lone
// write's: the burst time half as long again (noise), a share of the
// step's span (a backlog of 15 % of it means the server runs at 1.15 x its
// capacity or more) and a scheduling hiccup.
constexpr double kTailBurstFactor = 1.5;
constexpr double kTailSpanShare = 0.15;
constexpr absl::Duration kTailSlack = absl::Milliseconds(20);

// The writes of the whole run: their ids and times, and how a step of
// writes and deliveries is run and judged.
class Session {
 public:
  explicit Session(const Config& config)
      : config_(config), times_(kWriteCapacity) {}

  WriteTimes& times() { return times_; }

  // `writes` paced at `rate`, then up to `drain` for the last deliveries.
  // `burst`: how long one write alone takes to reach every watcher (see
  // ProbeBurst), against which the step's tail is judged.
  Step RunStep(Writer& writer, WatchLoad& load, pid_t server, double rate,
               int64_t writes, absl::Duration drain, absl::Duration burst) {
    Step step;
    step.offered_rate = rate;
    load.TakeDeliveries();  // stragglers of an earlier step
    load.TakeEnded();
    step.streams = load.live();
    writes = std::min<int64_t>(
        writes, static_cast<int64_t>(times_.capacity()) - ids_.Take(0) - 1);
    const double server_cpu0 = ProcessCpuSeconds(server);
    const double self_cpu0 = SelfCpuSeconds();
    const absl::Time t0 = absl::Now();
    const int64_t base = load.delivered();
    PacedRun run = RunPaced(writer, times_, ids_, rate, writes,
                            config_.max_writes_in_flight);
    step.achieved_rate = run.achieved_rate;
    step.writer_bound = run.waited_for_slot * 10 > writes;
    step.failed_writes = run.failed;
    step.expected = run.ok * step.streams;
    // Deliveries have no single place to signal from: poll the counter.
    const absl::Time give_up = absl::Now() + drain;
    while (load.delivered() - base < step.expected && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    const absl::Duration wall = absl::Now() - t0;
    const double server_cpu = ProcessCpuSeconds(server) - server_cpu0;
    step.load_cpu_share =
        (SelfCpuSeconds() - self_cpu0) / absl::ToDoubleSeconds(wall);
    step.stats = Analyze(load.TakeDeliveries(), times_, run.first_id,
                         run.end_id);
    step.cut_off = static_cast<int>(load.TakeEnded().size());
    if (step.stats.deliveries > 0) {
      step.server_cpu_us_per_delivery =
          server_cpu * 1e6 / static_cast<double>(step.stats.deliveries);
    }
    // Deliveries per write times writes per second: N x the write rate
    // when every stream got every write.
    if (run.ok > 0) {
      step.deliveries_per_s = run.achieved_rate *
                              static_cast<double>(step.stats.deliveries) /
                              static_cast<double>(run.ok);
    }
    if (step.cut_off > 0) {
      step.why_not = absl::StrCat(step.cut_off, " streams cut off");
    } else if (run.failed > 0) {
      step.why_not = absl::StrCat(run.failed, " writes failed");
    } else if (step.stats.deliveries < step.expected) {
      step.why_not = absl::StrCat(step.expected - step.stats.deliveries,
                                  " deliveries missing ",
                                  absl::FormatDuration(drain),
                                  " after the last write");
    } else {
      // A server that keeps up delivers the last write about as fast as a
      // lone one (`burst`); one that does not still works off a backlog
      // of (utilization - 1) x the step's span when the writes stop.
      const absl::Duration span =
          run.last_issue - run.first_issue + absl::Seconds(1.0 / rate);
      step.tail = absl::FromUnixNanos(step.stats.last_arrival_unix_ns) -
                  run.last_issue;
      const absl::Duration allowed = burst * kTailBurstFactor +
                                     span * kTailSpanShare + kTailSlack;
      if (step.tail > allowed) {
        step.why_not = absl::StrFormat(
            "falling behind: the last deliveries came %.0f ms after the last "
            "write (a lone write takes %.0f ms; allowed %.0f ms)",
            absl::ToDoubleMilliseconds(step.tail),
            absl::ToDoubleMilliseconds(burst),
            absl::ToDoubleMilliseconds(allowed));
      }
    }
    step.kept_up = step.why_not.empty() && step.expected > 0;
    return step;
  }

  // How long one write alone takes to reach every watcher: the median of
  // three, each sent once the previous one has arrived everywhere.
  absl::Duration ProbeBurst(Writer& writer, WatchLoad& load) {
    std::vector<absl::Duration> bursts;
    for (int i = 0; i < 3; ++i) {
      load.TakeDeliveries();
      const int64_t expected = load.live();
      const int64_t base = load.delivered();
      PacedRun run = RunPaced(writer, times_, ids_, 1, 1, 1);
      const absl::Time give_up = absl::Now() + absl::Seconds(10);
      while (load.delivered() - base < expected && absl::Now() < give_up) {
        absl::SleepFor(absl::Milliseconds(1));
      }
      DeliveryStats stats =
          Analyze(load.TakeDeliveries(), times_, run.first_id, run.end_id);
      if (stats.last_arrival_unix_ns != 0) {
        bursts.push_back(absl::FromUnixNanos(stats.last_arrival_unix_ns) -
                         run.first_issue);
      }
    }
    if (bursts.empty()) return absl::Seconds(1);
    std::sort(bursts.begin(), bursts.end());
    return bursts[bursts.size() / 2];
  }

  int64_t StepWrites(double rate) const {
    return std::max<int64_t>(
        config_.step_min_writes,
        static_cast<int64_t>(
            std::ceil(rate * absl::ToDoubleSeconds(config_.step_min))));
  }

 private:
  // Writes in a whole run (16 bytes each): more than the longest sweep.
  static constexpr size_t kWriteCapacity = 1 << 21;

  const Config& config_;
  WriteTimes times_;
  WriteIds ids_;
};

std::string DescribeStep(const Step& s) {
  return absl::StrFormat(
      "%.1f writes/s offered, %.1f achieved, %d streams: %lld deliveries "
      "(%.0f/s), p50 %.2f ms p99 %.2f ms, server %.2f us CPU/delivery, load "
      "CPU %.0f%%%s%s",
      s.offered_rate, s.achieved_rate, s.streams,
      static_cast<long long>(s.stats.deliveries), s.deliveries_per_s,
      absl::ToDoubleMilliseconds(s.stats.commit_to_delivery.Percentile(50)),
      absl::ToDoubleMilliseconds(s.stats.commit_to_delivery.Percentile(99)),
      s.server_cpu_us_per_delivery, 100 * s.load_cpu_share,
      s.writer_bound ? " (the writer waited for slots)" : "",
      s.kept_up ? "" : absl::StrCat(" -- NOT kept up: ", s.why_not));
}

// What one server did with N watchers.
struct Measurement {
  int watchers = 0;
  int channels = 0;
  double kib_per_stream = 0;
  absl::Duration burst;  // one write alone to every watcher
  std::optional<Step> best;       // the highest rate kept up with
  std::optional<Step> first_lost;  // the lowest rate not kept up with
  bool writer_bound = false;      // the writer fell short of the rate
  double latency_rate = 0;
  Step latency;
};

// Brings the load back to `watchers` live streams with nothing in flight
// after a step that was not kept up with: waits for the backlog to drain
// (`quiet` without a delivery; if that does not come soon, replaces every
// stream), then replaces the streams that were cut off, from the page's
// head.
absl::Status Recover(Target& target, WatchLoad& load, int watchers,
                     absl::Duration quiet) {
  if (!load.WaitQuiet(quiet, absl::Seconds(5))) {
    load.CancelAll();
  }
  load.TakeDeliveries();
  load.TakeEnded();
  const int missing = watchers - load.live();
  if (missing <= 0) return absl::OkStatus();
  absl::StatusOr<std::string> request = target.WatchRequest();
  if (!request.ok()) return request.status();
  return load.Open(missing, *request, absl::Seconds(120));
}


absl::StatusOr<Measurement> Measure(Target& target, const Config& config,
                                    Session& session, int watchers,
                                    std::optional<double> latency_rate) {
  // Beyond this many deliveries/s the ladder stops: no server here gets
  // near it, and the load generator would be the limit long before.
  constexpr double kMaxDeliveriesPerSecond = 4e6;
  // The latency phase waits this long for its last deliveries, so that a
  // slow delivery counts with its real latency instead of going missing.
  constexpr absl::Duration kLatencyDrain = absl::Seconds(5);

  Measurement m;
  m.watchers = watchers;
  m.channels = ChannelsFor(watchers);
  if (absl::Status s = target.Start(); !s.ok()) return s;
  struct StopOnExit {
    Target& target;
    ~StopOnExit() { target.Stop(); }
  } stop_on_exit{target};
  const std::string who = absl::StrCat(target.label(), " N=", watchers);
  const pid_t pid = target.process().pid();

  absl::StatusOr<int64_t> rss_before = target.process().RssBytes();
  if (!rss_before.ok()) return rss_before.status();
  // Declared after stop_on_exit: the streams end before the server does.
  WatchLoad load(MakeChannels(target.address(), m.channels), session.times());
  absl::StatusOr<std::string> request = target.WatchRequest();
  if (!request.ok()) return request.status();
  const absl::Time opening = absl::Now();
  if (absl::Status s = load.Open(watchers, *request, absl::Seconds(120));
      !s.ok()) {
    return s;
  }
  const absl::Duration open_time = absl::Now() - opening;
  // Each stream's headers follow its start read, so the streams are set
  // up; a moment more for whatever the server frees or allocates late.
  absl::SleepFor(config.settle);
  absl::StatusOr<int64_t> rss_idle = target.process().RssBytes();
  if (!rss_idle.ok()) return rss_idle.status();
  m.kib_per_stream = static_cast<double>(*rss_idle - *rss_before) / 1024.0 /
                     static_cast<double>(watchers);
  Progress(absl::StrFormat(
      "%s: %d streams over %d channels up in %s; RSS %.1f -> %.1f MiB "
      "(%.2f KiB per stream)",
      who, watchers, m.channels, absl::FormatDuration(open_time),
      *rss_before / 1048576.0, *rss_idle / 1048576.0, m.kib_per_stream));

  std::unique_ptr<Writer> writer = target.MakeWriter();
  m.burst = session.ProbeBurst(*writer, load);
  Progress(absl::StrFormat("%s: one write alone reaches every watcher in %.1f ms",
                           who, absl::ToDoubleMilliseconds(m.burst)));
  auto run_step = [&](double rate, int64_t writes, absl::Duration drain) {
    Step step =
        session.RunStep(*writer, load, pid, rate, writes, drain, m.burst);
    Progress(absl::StrCat(who, ": ", DescribeStep(step)));
    return step;
  };

  // The ladder: double the rate until a step is not kept up with.
  double rate = std::max(config.sweep_start_deliveries / watchers, 0.5);
  const int steps = latency_rate.has_value() && config.fixed_rate
                        ? 0
                        : config.sweep_max_steps;
  for (int i = 0; i < steps; ++i) {
    Step step = run_step(rate, session.StepWrites(rate), config.drain);
    if (!step.kept_up) {
      m.first_lost = step;
      break;
    }
    if (!m.best.has_value() ||
        step.deliveries_per_s > m.best->deliveries_per_s) {
      m.best = step;
      m.writer_bound = step.writer_bound;
    }
    // Offering more writes than the write path takes measures nothing
    // more about the fan-out.
    if (step.writer_bound) break;
    rate *= 2;
    if (rate * watchers > kMaxDeliveriesPerSecond) break;
  }
  // Even the first step was too much: halve the rate until one is kept up
  // with (three times at most).
  for (int i = 0; i < 3 && !m.best.has_value() && m.first_lost.has_value();
       ++i) {
    if (absl::Status s = Recover(target, load, watchers, config.quiet);
        !s.ok()) {
      return s;
    }
    const double lower = m.first_lost->offered_rate / 2;
    Step step = run_step(lower, session.StepWrites(lower), config.drain);
    if (step.kept_up) {
      m.best = step;
      m.writer_bound = step.writer_bound;
    } else {
      m.first_lost = step;
    }
  }
  for (int i = 0; i < config.refine_steps && m.best.has_value() &&
                  m.first_lost.has_value() && !m.writer_bound;
       ++i) {
    // Half-way (geometrically) between the last rate kept up with and the
    // first that was not.
    if (absl::Status s = Recover(target, load, watchers, config.quiet);
        !s.ok()) {
      return s;
    }
    const double between =
        std::sqrt(m.best->offered_rate * m.first_lost->offered_rate);
    Step step = run_step(between, session.StepWrites(between), config.drain);
    if (!step.kept_up) {
      m.first_lost = step;
    } else if (step.deliveries_per_s > m.best->deliveries_per_s) {
      m.best = step;
      m.writer_bound = step.writer_bound;
    }
  }
  if (absl::Status s = Recover(target, load, watchers, config.quiet);
      !s.ok()) {
    return s;
  }

  // Latency at half the highest rate kept up with (or the rate given, to
  // measure the baseline at the incidentd's rate).
  if (latency_rate.has_value()) {
    m.latency_rate = *latency_rate;
  } else if (m.best.has_value()) {
    m.latency_rate =
        std::min(config.latency_rate_cap, m.best->achieved_rate / 2);
  } else {
    m.latency_rate = std::min(config.latency_rate_cap,
                              m.first_lost->offered_rate / 8);
  }
  // Slower than this, the few writes the phase needs would take too long.
  m.latency_rate = std::max(m.latency_rate, 1.0);
  const int64_t writes = std::max<int64_t>(
      4, std::llround(m.latency_rate *
                      absl::ToDoubleSeconds(config.latency_duration)));
  m.latency = run_step(m.latency_rate, writes, kLatencyDrain);
  return m;
}

// Scenario 5: the writer on replica A, the watchers on replica B.
absl::StatusOr<Step> CrossReplica(const BenchEnv& env, const Config& config,
                                  Session& session, int watchers,
                                  double rate) {
  absl::StatusOr<ServerHandle> a =
      StartIncidentd(env, kDatabase, IncidentdTarget::Flags());
  if (!a.ok()) return a.status();
  absl::StatusOr<ServerHandle> b =
      StartIncidentd(env, kDatabase, IncidentdTarget::Flags());
  if (!b.ok()) return b.status();
  Step step;
  {
    WatchLoad load(MakeChannels(b->address, ChannelsFor(watchers)),
                   session.times());
    absl::StatusOr<int64_t> head = HeadSequence(b->address);
    if (!head.ok()) return head.status();
    if (absl::Status s =
            load.Open(watchers, WatchRequestAt(*head), absl::Seconds(60));
        !s.ok()) {
      return s;
    }
    std::unique_ptr<Writer> writer = MakeIncidentdWriter(
        grpc::CreateChannel(a->address, grpc::InsecureChannelCredentials()),
        ComponentNames());
    const int64_t writes = std::max<int64_t>(
        4, std::llround(rate * absl::ToDoubleSeconds(config.latency_duration)));
    const absl::Duration burst = session.ProbeBurst(*writer, load);
    step = session.RunStep(*writer, load, b->process->pid(), rate, writes,
                           absl::Seconds(5), burst);
    Progress(absl::StrCat("cross-replica N=", watchers, ": ",
                          DescribeStep(step)));
  }
  b->process->Stop();
  a->process->Stop();
  return step;
}

// --- Results ------------------------------------------------------------------

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

std::string Pinning(const BenchEnv& env) {
  auto list = [](const std::vector<int>& cpus) {
    if (cpus.empty()) return std::string("unpinned");
    std::string out = "CPU";
    for (size_t i = 0; i < cpus.size(); ++i) {
      absl::StrAppend(&out, i == 0 ? " " : ",", cpus[i]);
    }
    return out;
  };
  return absl::StrCat("servers on ", list(env.server_cpus), ", load on ",
                      list(env.load_cpus));
}

// A load generator busier than this share of its CPU may be what limited
// the step rather than the server.
constexpr double kLoadBound = 0.85;

void EmitScenario4(const BenchEnv& env, const Measurement& inc,
                   const Measurement& bare, size_t message_bytes) {
  const std::string n = absl::StrCat("N=", inc.watchers);
  const std::string common = absl::StrFormat(
      "%d watchers over %d channels, %zu-byte event messages, %s",
      inc.watchers, inc.channels, message_bytes, Pinning(env));
  auto sweep_note = [](const Measurement& m) {
    if (!m.best.has_value()) return std::string("no rate kept up with");
    std::string note = absl::StrFormat(
        "%.1f writes/s (%s), %.2f us server CPU per delivery, load CPU "
        "%.0f%%",
        m.best->achieved_rate,
        m.writer_bound ? "kept up with, but the most the writer reached"
                       : "the highest kept up with",
        m.best->server_cpu_us_per_delivery, 100 * m.best->load_cpu_share);
    if (m.best->load_cpu_share >= kLoadBound) {
      absl::StrAppend(&note,
                      " (LOAD-BOUND: the generator's CPU was nearly full, so "
                      "the server may do more)");
    }
    if (m.first_lost.has_value()) {
      absl::StrAppend(&note,
                      absl::StrFormat("; %.1f writes/s not kept up (%s)",
                                      m.first_lost->offered_rate,
                                      m.first_lost->why_not));
    }
    return note;
  };

  Result r;
  r.scenario = "4";
  r.name = absl::StrCat("fan-out deliveries/s, ", n);
  r.metric = "deliveries_per_s";
  r.unit = "deliveries/s";
  r.value = inc.best.has_value() ? inc.best->deliveries_per_s : 0;
  r.baseline_name = "bare pre-serialized pusher";
  if (bare.best.has_value()) {
    r.baseline = bare.best->deliveries_per_s;
    if (*r.baseline > 0) r.ratio = r.value / *r.baseline;
  }
  r.target = ">= 0.8 x baseline";
  if (r.ratio.has_value()) r.met = *r.ratio >= 0.8;
  r.notes = absl::StrCat(common, "; incidentd: ", sweep_note(inc),
                         "; bare: ", sweep_note(bare));
  Emit(r);

  const std::string latency_note = absl::StrFormat(
      "%s; at %.1f writes/s (half the highest rate kept up with, at least "
      "1, at most 20), %lld deliveries (bare %lld); one write alone reaches all %d "
      "watchers in %.1f ms (bare %.1f ms); from the event's create_time "
      "(cross-check): p50 %.2f ms, p99 %.2f ms",
      common, inc.latency_rate,
      static_cast<long long>(inc.latency.stats.deliveries),
      static_cast<long long>(bare.latency.stats.deliveries), inc.watchers,
      Ms(inc.burst), Ms(bare.burst),
      Ms(inc.latency.stats.create_to_delivery.Percentile(50)),
      Ms(inc.latency.stats.create_to_delivery.Percentile(99)));
  for (double p : {50.0, 99.0}) {
    Result l;
    l.scenario = "4";
    l.name = absl::StrFormat("commit-to-delivery p%.0f, %s", p, n);
    l.metric = absl::StrFormat("p%.0f_ms", p);
    l.unit = "ms";
    l.value = Ms(inc.latency.stats.commit_to_delivery.Percentile(p));
    l.baseline = Ms(bare.latency.stats.commit_to_delivery.Percentile(p));
    l.baseline_name = "bare pre-serialized pusher (push to delivery)";
    if (*l.baseline > 0) l.ratio = l.value / *l.baseline;
    if (p == 99) {
      l.target = "< 50 ms";
      l.met = l.value < 50 && inc.latency.kept_up;
    }
    l.notes = inc.latency.kept_up
                  ? latency_note
                  : absl::StrCat(latency_note,
                                 "; NOT all delivered: ", inc.latency.why_not);
    Emit(l);
  }

  Result mem;
  mem.scenario = "4";
  mem.name = absl::StrCat("memory per idle stream, ", n);
  mem.metric = "kib_per_stream";
  mem.unit = "KiB";
  mem.value = inc.kib_per_stream;
  mem.baseline = bare.kib_per_stream;
  mem.baseline_name = "bare pre-serialized pusher";
  if (*mem.baseline > 0) mem.ratio = mem.value / *mem.baseline;
  mem.target = "<= 20 KiB";
  mem.met = mem.value <= 20;
  mem.notes = absl::StrCat(
      "server RSS with the idle streams minus RSS before, per stream; a "
      "fresh server process; ",
      common);
  Emit(mem);
}

void EmitScenario5(const BenchEnv& env, const Step& cross,
                   const Measurement& same, int watchers) {
  for (double p : {50.0, 99.0}) {
    Result r;
    r.scenario = "5";
    r.name = absl::StrFormat("cross-replica commit-to-delivery p%.0f, N=%d",
                             p, watchers);
    r.metric = absl::StrFormat("p%.0f_ms", p);
    r.unit = "ms";
    r.value = Ms(cross.stats.commit_to_delivery.Percentile(p));
    r.baseline = Ms(same.latency.stats.commit_to_delivery.Percentile(p));
    r.baseline_name = "scenario 4, same server, same N and rate";
    if (*r.baseline > 0) r.ratio = r.value / *r.baseline;
    if (p == 99) {
      r.target = "< 250 ms";
      r.met = r.value < 250 && cross.kept_up;
    }
    r.notes = absl::StrFormat(
        "writer on replica A, %d watchers on replica B (same database, "
        "--event_poll_interval 100ms), %.1f writes/s, %lld deliveries; %s%s",
        watchers, cross.offered_rate,
        static_cast<long long>(cross.stats.deliveries), Pinning(env),
        cross.kept_up ? "" : absl::StrCat("; NOT all delivered: ",
                                          cross.why_not));
    Emit(r);
  }
}

// bench_bare_stream_server sits beside this program.
std::string BareServerPath() {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path = n > 0 ? std::string(self, n) : std::string();
  const size_t slash = path.rfind('/');
  return (slash == std::string::npos ? std::string(".")
                                     : path.substr(0, slash)) +
         "/bench_bare_stream_server";
}

int Run(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built without NDEBUG, so every Mutex::Lock would
  // also update a process-wide lock graph under a global lock: load the
  // generator would not have in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<BenchEnv> env = BenchEnvFromEnvironment();
  if (!env.ok()) {
    Progress(env.status().ToString());
    return 2;
  }
  RaiseFileLimit();
  if (absl::Status s = PinSelf(env->load_cpus); !s.ok()) {
    Progress(s.ToString());
    return 1;
  }
  Config config = MakeConfig(absl::GetFlag(FLAGS_smoke), env->quick);
  if (const int n = absl::GetFlag(FLAGS_watchers); n > 0) {
    config.watcher_counts = {n};
  }
  const std::string bare_binary = BareServerPath();
  if (access(bare_binary.c_str(), X_OK) != 0) {
    Progress(absl::StrCat("no ", bare_binary));
    return 1;
  }

  // The page, its components, and the event message the bare server sends.
  std::string message;
  {
    if (absl::Status s = RecreateDatabase(*env, kDatabase); !s.ok()) {
      Progress(s.ToString());
      return 1;
    }
    absl::StatusOr<ServerHandle> server =
        StartIncidentd(*env, kDatabase, IncidentdTarget::Flags());
    if (!server.ok()) {
      Progress(server.status().ToString());
      return 1;
    }
    absl::Status s = CreatePageWithComponents(server->address);
    absl::StatusOr<std::string> captured =
        s.ok() ? CaptureEventMessage(server->address)
               : absl::StatusOr<std::string>(s);
    server->process->Stop();
    if (!captured.ok()) {
      Progress(captured.status().ToString());
      return 1;
    }
    message = *std::move(captured);
    Progress(absl::StrCat("event message: ", message.size(), " bytes"));
  }

  Session session(config);
  IncidentdTarget incidentd(*env);
  BareTarget bare(*env, bare_binary, message);
  int failures = 0;
  std::optional<Measurement> same_server;  // at the cross-replica N
  const double fixed_rate = absl::GetFlag(FLAGS_rate);
  config.fixed_rate = fixed_rate > 0;
  for (int watchers : config.watcher_counts) {
    absl::StatusOr<Measurement> inc =
        Measure(incidentd, config, session, watchers,
                config.fixed_rate ? std::optional<double>(fixed_rate)
                                  : std::nullopt);
    if (!inc.ok()) {
      Progress(absl::StrCat("incidentd N=", watchers, ": ",
                            inc.status().ToString()));
      ++failures;
      continue;
    }
    absl::StatusOr<Measurement> base =
        Measure(bare, config, session, watchers, inc->latency_rate);
    if (!base.ok()) {
      Progress(absl::StrCat("bare N=", watchers, ": ",
                            base.status().ToString()));
      ++failures;
      continue;
    }
    EmitScenario4(*env, *inc, *base, message.size());
    if (watchers == config.cross_replica_watchers) same_server = *inc;
  }

  if (same_server.has_value()) {
    absl::StatusOr<Step> cross =
        CrossReplica(*env, config, session, config.cross_replica_watchers,
                     same_server->latency_rate);
    if (cross.ok()) {
      EmitScenario5(*env, *cross, *same_server,
                    config.cross_replica_watchers);
    } else {
      Progress(absl::StrCat("cross-replica: ", cross.status().ToString()));
      ++failures;
    }
  } else if (absl::GetFlag(FLAGS_watchers) == 0) {
    Progress("cross-replica: skipped, scenario 4 has no figure at N=" +
             std::to_string(config.cross_replica_watchers));
    ++failures;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace incidentd::bench

int main(int argc, char** argv) { return incidentd::bench::Run(argc, argv); }
