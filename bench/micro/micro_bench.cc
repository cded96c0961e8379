// bench_micro: Google Benchmark micro-benchmarks of the hot pure code (the
// page status rule, converters, event encoding, page tokens, webhook
// signatures, notification mails), reported as Result lines (scenario
// "micro", ns per operation).
//
//   bench_micro [--smoke] [--benchmark_* flags]
//
// Google Benchmark's own table goes to stderr; stdout holds only Result
// lines. Needs no database and no server.
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "bench/common/bench_common.h"
#include "benchmark/benchmark.h"
#include "incidentd/v1/events.pb.h"
#include "incidentd/v1/subscriptions.pb.h"
#include "server/converters.h"
#include "server/domain/durations.h"
#include "server/domain/page_status.h"
#include "server/domain/page_token.h"
#include "server/event_encoding.h"
#include "server/names.h"
#include "server/notify/messages.h"
#include "server/notify/signing.h"
#include "server/page_status_view.h"
#include "server/read_cache.h"
#include "storage/model.h"

namespace incidentd::bench {
namespace {

// --- A realistic page: 30 components in 5 groups, 5 open incidents -------

constexpr char kPage[] = "acme";
const absl::Time kNow = absl::FromUnixSeconds(1715000000);

// An update as long as the seeds' (a few sentences).
constexpr char kBody[] =
    "We have identified the cause of the delays in data processing: a "
    "failover of the central database left the processing nodes able to "
    "read but not to write. Writes are queued and will be applied once the "
    "nodes reconnect. Imports started before 10:00 UTC may show as pending "
    "until then. We are restarting the nodes one by one and will post an "
    "update within the hour.";

std::vector<Component> PageComponents() {
  const char* groups[] = {"api", "processing", "storage", "web", "infra"};
  std::vector<Component> out;
  for (int i = 0; i < 30; ++i) {
    Component c;
    c.page_id = kPage;
    c.id = absl::StrFormat("component-%02d", i);
    c.display_name = absl::StrFormat("Component %d of the platform", i);
    c.description = "What customers see of it, in one sentence.";
    c.group_id = groups[i % 5];
    c.position = i;
    // A third of them affected: a realistic bad day.
    c.status = i % 9 == 0   ? ComponentStatus::kMajorOutage
               : i % 7 == 0 ? ComponentStatus::kPartialOutage
               : i % 5 == 0 ? ComponentStatus::kDegradedPerformance
                            : ComponentStatus::kOperational;
    c.status_change_time = kNow - absl::Minutes(i);
    c.create_time = kNow - absl::Hours(24 * 365);
    c.update_time = c.status_change_time;
    c.version = 3;
    out.push_back(std::move(c));
  }
  return out;
}

Incident MakeIncident(int i, IncidentKind kind, IncidentStatus status) {
  Incident in;
  in.page_id = kPage;
  in.id = absl::StrFormat("incident-%d", i);
  in.title = "Delays in data processing for imports and exports";
  in.kind = kind;
  in.status = status;
  in.derived_impact = i % 2 == 0 ? Impact::kMajor : Impact::kMinor;
  for (int c = 0; c < 3; ++c) {
    in.component_ids.push_back(absl::StrFormat("component-%02d", i * 5 + c));
  }
  in.start_time = kNow - absl::Hours(3);
  in.impact_start_time = in.start_time;
  if (kind == IncidentKind::kMaintenance) {
    in.scheduled_start_time = kNow - absl::Hours(1);
    in.scheduled_end_time = kNow + absl::Hours(1);
  }
  in.create_time = kNow - absl::Hours(3);
  in.update_time = kNow - absl::Minutes(10);
  in.version = 7;
  return in;
}

// 3 incidents, one maintenance in progress, one scheduled.
std::vector<Incident> OpenIncidents() {
  return {
      MakeIncident(0, IncidentKind::kIncident, IncidentStatus::kIdentified),
      MakeIncident(1, IncidentKind::kIncident, IncidentStatus::kInvestigating),
      MakeIncident(2, IncidentKind::kIncident, IncidentStatus::kMonitoring),
      MakeIncident(3, IncidentKind::kMaintenance, IncidentStatus::kInProgress),
      MakeIncident(4, IncidentKind::kMaintenance, IncidentStatus::kScheduled),
  };
}

IncidentUpdate MakeUpdate(int i) {
  const IncidentStatus statuses[] = {
      IncidentStatus::kInvestigating, IncidentStatus::kIdentified,
      IncidentStatus::kUnspecified, IncidentStatus::kMonitoring};
  IncidentUpdate u;
  u.page_id = kPage;
  u.incident_id = "incident-0";
  u.id = absl::StrFormat("update-%02d", i);
  u.seq = i + 1;
  u.status = statuses[i % 4];
  u.resulting_status = u.status == IncidentStatus::kUnspecified
                           ? IncidentStatus::kIdentified
                           : u.status;
  u.body = kBody;
  u.display_time = kNow - absl::Hours(3) + absl::Minutes(9 * i);
  u.display_time_zone = "Europe/Berlin";
  u.create_time = u.display_time;
  u.author = "oncall@example.com";
  if (i % 3 == 0) {
    u.component_changes.push_back(
        {"component-01", ComponentStatus::kPartialOutage});
  }
  u.notify = true;
  u.update_time = u.create_time;
  u.version = 1;
  return u;
}

std::vector<IncidentUpdate> Timeline(int n) {
  std::vector<IncidentUpdate> out;
  for (int i = 0; i < n; ++i) out.push_back(MakeUpdate(i));
  return out;
}

Event StoredUpdateEvent() {
  Event e = MakeIncidentUpdateEvent(EventType::kIncidentUpdatePosted,
                                    {kNow, "oncall@example.com"},
                                    OpenIncidents()[0], MakeUpdate(5));
  e.seq = 123456;
  return e;
}

// --- The page status -------------------------------------------------------

void BM_ComputePageStatus(benchmark::State& state) {
  const std::vector<Component> components = PageComponents();
  const std::vector<Incident> open = OpenIncidents();
  for (auto _ : state) {
    benchmark::DoNotOptimize(domain::ComputePageStatus(components, open));
  }
}
BENCHMARK(BM_ComputePageStatus);

// What GetPageStatus does after its reads: the rule plus the proto, and the
// bytes that go on the wire.
void BM_BuildPageStatus(benchmark::State& state) {
  const std::vector<Component> components = PageComponents();
  const std::vector<Incident> open = OpenIncidents();
  std::string bytes;
  for (auto _ : state) {
    v1::PageStatus status = BuildPageStatus(kPage, components, open, kNow);
    status.SerializeToString(&bytes);
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}
BENCHMARK(BM_BuildPageStatus);

// --- Read cache hits ---------------------------------------------------------

// A log that is never asked: the hits below never poll.
class NoLog final : public EventLog {
 public:
  absl::StatusOr<WatchStart> StartWatch(const WatchRequest&, int,
                                        absl::Time) override {
    return absl::UnimplementedError("no log");
  }
  absl::StatusOr<std::vector<Event>> ReadEvents(const std::string&, int64_t,
                                                int, absl::Time) override {
    return absl::UnimplementedError("no log");
  }
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> LastSequences(
      const std::vector<std::string>&, absl::Time) override {
    return absl::UnimplementedError("no log");
  }
};

// A serialized answer as the read cache keeps it (page_logic.cc and
// incident_logic.cc keep theirs the same way).
struct CachedBytes final : CachedValue {
  explicit CachedBytes(std::string b)
      : bytes(std::make_shared<const std::string>(std::move(b))) {}
  size_t Bytes() const override { return bytes->size(); }
  std::shared_ptr<const std::string> bytes;
};

// What a GetPageStatus answered from the read cache costs in incidentd
// (besides gRPC): the lookup among 1,000 cached pages and the one field
// serialized per call; the cached bytes go to gRPC as they are. Compare
// BM_BuildPageStatus, which comes after ~7 SQL round trips on a miss.
void BM_ReadCacheHitPageStatus(benchmark::State& state) {
  NoLog log;
  RealClock clock;
  ReadCache::Options options;
  options.run_poller_thread = false;
  ReadCache cache(log, clock, options);
  v1::PageStatus status =
      BuildPageStatus(kPage, PageComponents(), OpenIncidents(), kNow);
  status.clear_compute_time();
  for (int i = 0; i < 1000; ++i) {
    const std::string page = i == 0 ? kPage : absl::StrCat("page-", i);
    ReadCache::Fill fill = cache.BeginFill(page);
    cache.Insert(fill, "status", 1,
                 std::make_shared<CachedBytes>(status.SerializeAsString()));
  }
  size_t bytes = 0;
  for (auto _ : state) {
    auto hit = cache.Find<CachedBytes>(kPage, "status");
    v1::PageStatus fresh;
    *fresh.mutable_compute_time() = ToProtoTime(clock.Now());
    SerializedAnswer answer{hit->bytes, fresh.SerializeAsString()};
    bytes = answer.cached->size() + answer.fresh.size();
    benchmark::DoNotOptimize(answer);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ReadCacheHitPageStatus);

// The same for GetIncident with 20 updates: its durations are computed and
// serialized at every call (an open incident's grow with time).
void BM_ReadCacheHitIncident20Updates(benchmark::State& state) {
  NoLog log;
  RealClock clock;
  ReadCache::Options options;
  options.run_poller_thread = false;
  ReadCache cache(log, clock, options);
  const Incident incident = OpenIncidents()[0];
  const std::vector<IncidentUpdate> timeline = Timeline(20);
  v1::Incident proto = ToProto(incident);
  for (const IncidentUpdate& u : timeline) *proto.add_updates() = ToProto(u);
  ReadCache::Fill fill = cache.BeginFill(kPage);
  cache.Insert(fill, "incident/incident-0", 1,
               std::make_shared<CachedBytes>(proto.SerializeAsString()));
  size_t bytes = 0;
  for (auto _ : state) {
    auto hit = cache.Find<CachedBytes>(kPage, "incident/incident-0");
    v1::Incident fresh;
    *fresh.mutable_durations() =
        ToProto(domain::ComputeDurations(incident, timeline, kNow));
    SerializedAnswer answer{hit->bytes, fresh.SerializeAsString()};
    bytes = answer.cached->size() + answer.fresh.size();
    benchmark::DoNotOptimize(answer);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ReadCacheHitIncident20Updates);

// --- Converters --------------------------------------------------------------

// What GetIncident does after its reads, for an incident with 20 updates.
void BM_IncidentToProto20Updates(benchmark::State& state) {
  const Incident incident = OpenIncidents()[0];
  const std::vector<IncidentUpdate> timeline = Timeline(20);
  std::string bytes;
  for (auto _ : state) {
    v1::Incident out = ToProto(incident);
    *out.mutable_durations() =
        ToProto(domain::ComputeDurations(incident, timeline, kNow));
    for (const IncidentUpdate& u : timeline) *out.add_updates() = ToProto(u);
    out.SerializeToString(&bytes);
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}
BENCHMARK(BM_IncidentToProto20Updates);

// The write path's conversion of a posted update.
void BM_IncidentUpdateFromProto(benchmark::State& state) {
  const v1::IncidentUpdate proto = ToProto(MakeUpdate(3));
  for (auto _ : state) {
    absl::StatusOr<IncidentUpdate> u =
        FromProto(proto, kPage, "incident-0", "update");
    if (!u.ok()) {
      state.SkipWithError(std::string(u.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(*u);
  }
}
BENCHMARK(BM_IncidentUpdateFromProto);

// --- Event encoding ----------------------------------------------------------

// Built once per write, inside the transaction.
void BM_MakeIncidentUpdateEvent(benchmark::State& state) {
  const Incident incident = OpenIncidents()[0];
  const IncidentUpdate update = MakeUpdate(5);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        MakeIncidentUpdateEvent(EventType::kIncidentUpdatePosted,
                                {kNow, "oncall@example.com"}, incident, update));
  }
}
BENCHMARK(BM_MakeIncidentUpdateEvent);

void BM_DecodeEvent(benchmark::State& state) {
  const Event event = StoredUpdateEvent();
  for (auto _ : state) benchmark::DoNotOptimize(DecodeEvent(event));
}
BENCHMARK(BM_DecodeEvent);

// Fan-out's encoding, once per event for all watchers: the payload wrapped
// without parsing.
void BM_EncodeEventResponse(benchmark::State& state) {
  const Event event = StoredUpdateEvent();
  for (auto _ : state) benchmark::DoNotOptimize(EncodeEventResponse(event));
  state.counters["bytes"] =
      static_cast<double>(EncodeEventResponse(event).size());
}
BENCHMARK(BM_EncodeEventResponse);

// What EncodeEventResponse saves: parse the payload, wrap, serialize again.
void BM_ReserializeEventResponse(benchmark::State& state) {
  const Event event = StoredUpdateEvent();
  std::string bytes;
  for (auto _ : state) {
    v1::WatchPageResponse response;
    absl::StatusOr<v1::Event> decoded = DecodeEvent(event);
    *response.mutable_event() = *std::move(decoded);
    response.SerializeToString(&bytes);
    benchmark::DoNotOptimize(bytes);
  }
}
BENCHMARK(BM_ReserializeEventResponse);

// --- Page tokens -------------------------------------------------------------

void BM_PageTokenRoundTrip(benchmark::State& state) {
  const std::string query =
      "incidents|pages/acme|kind=1|state=0|order=create_time desc";
  const std::vector<std::string> cursor = {"1715000000123456", "incident-42"};
  for (auto _ : state) {
    const std::string token = domain::EncodePageToken(query, cursor);
    absl::StatusOr<std::vector<std::string>> back =
        domain::DecodePageToken(token, query);
    if (!back.ok()) {
      state.SkipWithError(std::string(back.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(*back);
  }
}
BENCHMARK(BM_PageTokenRoundTrip);

// --- Notifications -----------------------------------------------------------

v1::WebhookNotification Notification() {
  v1::WebhookNotification n;
  n.set_id("pages/acme/events/123456");
  n.set_page_display_name("Acme Status");
  *n.mutable_event() = *DecodeEvent(StoredUpdateEvent());
  *n.mutable_incident() = ToProto(OpenIncidents()[0]);
  return n;
}

void BM_SignWebhook(benchmark::State& state) {
  const std::string secret = notify::NewSecret();
  const std::string body =
      notify::BuildWebhookRequest("https://hooks.example.com/incidentd",
                                  secret, Notification(), 1, kNow)
          .body;
  for (auto _ : state) {
    benchmark::DoNotOptimize(notify::SignWebhook(secret, 1715000000, body));
  }
  state.counters["bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_SignWebhook);

// The whole request: JSON rendering of the notification plus the signature.
void BM_BuildWebhookRequest(benchmark::State& state) {
  const std::string secret = notify::NewSecret();
  const v1::WebhookNotification notification = Notification();
  for (auto _ : state) {
    benchmark::DoNotOptimize(notify::BuildWebhookRequest(
        "https://hooks.example.com/incidentd", secret, notification, 1, kNow));
  }
}
BENCHMARK(BM_BuildWebhookRequest);

void BM_RenderMailToMime(benchmark::State& state) {
  notify::MailContext context;
  context.page_display_name = "Acme Status";
  for (const Component& c : PageComponents()) {
    context.component_display_names[ComponentName(c.page_id, c.id)] = c.display_name;
  }
  context.page_url = "https://status.example.com";
  context.unsubscribe_url = "https://status.example.com/unsubscribe?token=t";
  context.unsubscribe_token = notify::NewSecret();
  const v1::WebhookNotification n = Notification();
  const std::vector<notify::MailItem> items = {{n.event(), n.incident()}};
  std::string mime;
  for (auto _ : state) {
    notify::Mail mail = notify::RenderNotificationMail(
        context, "Acme Status <status@example.com>", "someone@example.com",
        items);
    mime = notify::ToMime(mail, kNow, "<123456.acme@example.com>");
    benchmark::DoNotOptimize(mime);
  }
  state.counters["bytes"] = static_cast<double>(mime.size());
}
BENCHMARK(BM_RenderMailToMime);

// --- Reporting ---------------------------------------------------------------

// Google Benchmark's console table on stderr, and every run kept for the
// Result lines.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  // Tabular, no colour: the table goes to a log file.
  CollectingReporter() : ConsoleReporter(OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) {
        errors_.push_back(run.benchmark_name());
        continue;
      }
      // With repetitions, the median; without, the single run.
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") {
        continue;
      }
      const std::string name = run.run_name.function_name;
      if (run.run_type == Run::RT_Iteration && aggregated_) continue;
      // CPU time per iteration: the machine is shared, and wall time would
      // count other processes' turns on our CPU.
      double ns = run.GetAdjustedCPUTime();
      switch (run.time_unit) {
        case benchmark::kSecond: ns *= 1e9; break;
        case benchmark::kMillisecond: ns *= 1e6; break;
        case benchmark::kMicrosecond: ns *= 1e3; break;
        case benchmark::kNanosecond: break;
      }
      Measured m;
      m.ns_per_op = ns;
      m.how = run.run_type == Run::RT_Aggregate
                  ? absl::StrCat("median of ", run.iterations, " repetitions")
                  : absl::StrCat(run.iterations, " iterations");
      if (auto it = run.counters.find("bytes"); it != run.counters.end()) {
        m.bytes = it->second.value;
      }
      ns_[name] = m;
    }
  }

  struct Measured {
    double ns_per_op = 0;
    std::string how;  // "1234 iterations", "median of 5 repetitions"
    std::optional<double> bytes;
  };
  void set_aggregated(bool aggregated) { aggregated_ = aggregated; }
  const std::map<std::string, Measured>& measured() const { return ns_; }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  bool aggregated_ = false;
  std::map<std::string, Measured> ns_;
  std::vector<std::string> errors_;
};

struct Described {
  const char* benchmark;
  const char* name;
};
// Every benchmark above, as its Result is named.
constexpr Described kFigures[] = {
    {"BM_ComputePageStatus",
     "page status rule (30 components, 5 open incidents)"},
    {"BM_BuildPageStatus",
     "GetPageStatus body: rule + PageStatus proto + serialize"},
    {"BM_IncidentToProto20Updates",
     "GetIncident body: incident with 20 updates to proto + serialize"},
    {"BM_ReadCacheHitPageStatus",
     "GetPageStatus from the read cache: lookup + per-call field"},
    {"BM_ReadCacheHitIncident20Updates",
     "GetIncident (20 updates) from the read cache: lookup + durations"},
    {"BM_IncidentUpdateFromProto", "FromProto(IncidentUpdate)"},
    {"BM_MakeIncidentUpdateEvent", "MakeIncidentUpdateEvent"},
    {"BM_DecodeEvent", "DecodeEvent (parse the stored payload)"},
    {"BM_EncodeEventResponse", "EncodeEventResponse (no parse)"},
    {"BM_ReserializeEventResponse",
     "WatchPageResponse by parse + re-serialize"},
    {"BM_PageTokenRoundTrip", "page token encode + decode"},
    {"BM_SignWebhook", "SignWebhook (HMAC-SHA256 of the body)"},
    {"BM_BuildWebhookRequest", "BuildWebhookRequest (JSON + signature)"},
    {"BM_RenderMailToMime", "RenderNotificationMail + ToMime"},
};

int Main(int argc, char** argv) {
  bool smoke = false;
  std::vector<char*> args = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--smoke") {
      smoke = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  // The runner's settings when run by it; none needed otherwise.
  bool quick = true;
  std::vector<int> load_cpus;
  if (absl::StatusOr<BenchEnv> env = BenchEnvFromEnvironment(); env.ok()) {
    quick = env->quick;
    load_cpus = env->load_cpus;
  }
  if (absl::Status pinned = PinSelf(load_cpus); !pinned.ok()) {
    std::fprintf(stderr, "bench_micro: %s\n",
                 std::string(pinned.message()).c_str());
    return 1;
  }
  // Quick: 0.1 s per benchmark, a few seconds in all. Full: 5 repetitions
  // of 1 s, the median reported. Flags given on the command line come later
  // and win.
  std::vector<std::string> defaults;
  if (smoke) {
    defaults = {"--benchmark_min_time=0.01", "--benchmark_color=false"};
  } else if (quick) {
    defaults = {"--benchmark_min_time=0.1", "--benchmark_color=false"};
  } else {
    defaults = {"--benchmark_min_time=1", "--benchmark_repetitions=5",
                "--benchmark_color=false",
                "--benchmark_report_aggregates_only=true"};
  }
  std::vector<char*> full = {args[0]};
  for (std::string& d : defaults) full.push_back(d.data());
  full.insert(full.end(), args.begin() + 1, args.end());
  int full_argc = static_cast<int>(full.size());
  benchmark::Initialize(&full_argc, full.data());
  if (benchmark::ReportUnrecognizedArguments(full_argc, full.data())) return 2;

  CollectingReporter reporter;
  reporter.SetOutputStream(&std::cerr);
  reporter.SetErrorStream(&std::cerr);
  reporter.set_aggregated(!smoke && !quick);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const std::string pinning =
      load_cpus.empty() ? "unpinned"
                        : absl::StrCat("pinned to CPU ", load_cpus.front(),
                                       load_cpus.size() > 1 ? "+" : "");
  const auto& measured = reporter.measured();
  for (const Described& d : kFigures) {
    auto it = measured.find(d.benchmark);
    if (it == measured.end()) continue;  // filtered out on the command line
    Result r;
    r.scenario = "micro";
    r.name = d.name;
    r.metric = "ns_per_op";
    r.value = it->second.ns_per_op;
    r.unit = "ns";
    r.notes = absl::StrCat("CPU time per op, ", it->second.how, ", ",
                           pinning);
    if (it->second.bytes.has_value()) {
      absl::StrAppend(&r.notes, ", ", *it->second.bytes, " bytes out");
    }
    Emit(r);
  }
  // The natural pair: what fan-out does per event against what it would do
  // without the raw-bytes encoding. Lower is better; no target in the issue.
  auto encode = measured.find("BM_EncodeEventResponse");
  auto reserialize = measured.find("BM_ReserializeEventResponse");
  if (encode != measured.end() && reserialize != measured.end()) {
    Result r;
    r.scenario = "micro";
    r.name = "EncodeEventResponse vs parse + re-serialize";
    r.metric = "ns_per_op";
    r.value = encode->second.ns_per_op;
    r.unit = "ns";
    r.baseline = reserialize->second.ns_per_op;
    r.baseline_name = "parse + re-serialize";
    r.ratio = r.value / *r.baseline;
    r.notes = "ratio < 1: the raw encoding is cheaper (lower is better)";
    Emit(r);
  }
  auto rule = measured.find("BM_ComputePageStatus");
  auto built = measured.find("BM_BuildPageStatus");
  if (rule != measured.end() && built != measured.end()) {
    Result r;
    r.scenario = "micro";
    r.name = "page status rule as a share of the GetPageStatus body";
    r.metric = "ns_per_op";
    r.value = rule->second.ns_per_op;
    r.unit = "ns";
    r.baseline = built->second.ns_per_op;
    r.baseline_name = "rule + proto + serialize";
    r.ratio = r.value / *r.baseline;
    r.notes = "the rest is building and serializing the proto";
    Emit(r);
  }
  if (!reporter.errors().empty()) {
    std::fprintf(stderr, "bench_micro: %zu benchmark(s) failed\n",
                 reporter.errors().size());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace incidentd::bench

int main(int argc, char** argv) { return incidentd::bench::Main(argc, argv); }
