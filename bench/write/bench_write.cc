// bench_write: the write path (scenario 3) and overload on it (scenario 6,
// writes). PostIncidentUpdate through incidentd at 1, 4, 16 and 64 clients,
// each figure beside the same SQL transactions replayed straight through
// Connector/C++ by as many threads, in the same run; commits per fsync on
// both sides; then twice the peak rate offered in an open loop.
//
//   bench_write [--smoke]    (environment: see bench/common/bench_common.h)
//
// Prints Result lines on stdout; progress and logs go to stderr.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/common/bench_common.h"
#include "bench/write/fixture.h"
#include "bench/write/load_result.h"
#include "bench/write/mysql_probe.h"
#include "bench/write/post_load.h"
#include "bench/write/raw_post.h"
#include "incidentd/v1/incidents.grpc.pb.h"
#include "storage/mysql/mysql_store.h"

namespace incidentd::bench::write {
namespace {

// How much of everything a run does.
struct Plan {
  std::vector<int> concurrencies;
  RunTiming point;     // each concurrency, each side
  int note_clients;    // the contention notes: one incident, one page
  RunTiming note;
  RunTiming overload;
  Layout layout;
};

Plan PlanFor(bool smoke, bool quick) {
  Plan p;
  if (smoke) {
    // Every figure from real posts on both sides, as briefly as that
    // allows (a few dozen posts per window at fsync'd commits): one
    // concurrency, two clients for the contention notes.
    p.concurrencies = {4};
    p.point = {absl::Milliseconds(30), absl::Milliseconds(150)};
    p.note_clients = 2;
    p.note = {absl::Milliseconds(20), absl::Milliseconds(100)};
    p.overload = {absl::Milliseconds(30), absl::Milliseconds(150)};
    p.layout = {4, 2};
  } else if (quick) {
    // About 70 s in all: 8 points of 5 s, 5 notes of 3 s, 8 s of overload,
    // the rest preparing databases and starting servers.
    p.concurrencies = {1, 4, 16, 64};
    p.point = {absl::Seconds(1), absl::Seconds(4)};
    p.note_clients = 16;
    p.note = {absl::Milliseconds(500), absl::Milliseconds(2500)};
    p.overload = {absl::Seconds(1), absl::Seconds(7)};
    p.layout = {64, 16};
  } else {
    p.concurrencies = {1, 4, 16, 64};
    p.point = {absl::Seconds(3), absl::Seconds(20)};
    p.note_clients = 16;
    p.note = {absl::Seconds(2), absl::Seconds(10)};
    p.overload = {absl::Seconds(3), absl::Seconds(30)};
    p.layout = {64, 16};
  }
  return p;
}

// incidentd's default --pool_size: StartIncidentd passes no flags.
constexpr int kIncidentdPoolSize = 8;

constexpr char kTarget3Rate[] = ">= 0.8 x raw SQL";
constexpr char kTarget3Fsync[] = "> 1 at 16 clients";

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }
std::string F(double v, int digits = 1) {
  return absl::StrFormat("%.*f", digits, v);
}

std::string Describe(const LoadResult& r) {
  std::string s = absl::StrCat(r.ok, " committed");
  if (r.rejected > 0) absl::StrAppend(&s, ", ", r.rejected, " rejected");
  if (r.deadline_exceeded > 0) {
    absl::StrAppend(&s, ", ", r.deadline_exceeded, " deadline exceeded");
  }
  if (r.other_error_count() > 0) {
    absl::StrAppend(&s, ", ", r.other_error_count(), " failed (",
                    r.first_error, ")");
  }
  return s;
}

// Progress on stderr, stamped with the seconds since the program started.
void Log(const std::string& line) {
  static const absl::Time start = absl::Now();
  std::fprintf(stderr, "bench_write: [%5.1f s] %s\n",
               absl::ToDoubleSeconds(absl::Now() - start), line.c_str());
}

// incidentd on its database, started and stopped around the runs that use
// it: the raw replay runs with no incidentd up (its pollers would add
// transactions of their own to the counters).
class IncidentdSide {
 public:
  IncidentdSide(const BenchEnv& env, std::string database)
      : env_(env), database_(std::move(database)) {}
  ~IncidentdSide() { Stop(); }

  absl::Status Start() {
    Stop();
    absl::StatusOr<ServerHandle> handle = StartIncidentd(env_, database_, {});
    if (!handle.ok()) return handle.status();
    handle_ = std::make_unique<ServerHandle>(*std::move(handle));
    Log(absl::StrCat("incidentd on ", database_, " SERVING after ",
                     absl::FormatDuration(handle_->startup)));
    return absl::OkStatus();
  }
  void Stop() {
    if (handle_ != nullptr) {
      handle_->process->Stop();
      handle_.reset();
    }
  }
  const std::string& address() const { return handle_->address; }
  pid_t pid() const { return handle_->process->pid(); }

 private:
  const BenchEnv& env_;
  const std::string database_;
  std::unique_ptr<ServerHandle> handle_;
};

// Reads the counters at the window's edges; the first error wins.
// CPU seconds (user + system) process `pid` has used; 0 if unreadable.
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(in, line);
  // Fields after the command name (which may hold spaces), from field 3.
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return 0;
  std::vector<std::string> fields =
      absl::StrSplit(line.substr(paren + 2), ' ', absl::SkipEmpty());
  double utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtod(fields[11], &utime) ||
      !absl::SimpleAtod(fields[12], &stime)) {
    return 0;
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Reads the database's counters, and the CPU time of the process doing the
// SQL client work (incidentd, or this program for the raw replay), at the
// window's edges; the first error wins.
struct CounterWindow {
  CounterWindow(MysqlProbe* p, pid_t cpu_pid, pid_t db_pid)
      : probe(p), pid(cpu_pid), mariadb_pid(db_pid) {}
  MysqlProbe* probe;
  pid_t pid;
  pid_t mariadb_pid;  // 0: not on this machine
  CommitCounters start, end;
  double cpu_start = 0, cpu_end = 0;
  double db_cpu_start = 0, db_cpu_end = 0;
  absl::Status error;

  WindowHooks Hooks() {
    WindowHooks h;
    h.at_start = [this] { Read(&start, &cpu_start, &db_cpu_start); };
    h.at_end = [this] { Read(&end, &cpu_end, &db_cpu_end); };
    return h;
  }
  void Read(CommitCounters* into, double* cpu, double* db_cpu) {
    *cpu = ProcessCpuSeconds(pid);
    *db_cpu = mariadb_pid > 0 ? ProcessCpuSeconds(mariadb_pid) : 0;
    absl::StatusOr<CommitCounters> c = probe->ReadCounters();
    if (c.ok()) {
      *into = *c;
    } else if (error.ok()) {
      error = c.status();
    }
  }
  CommitCounters delta() const { return end - start; }
  double cpu_seconds() const { return cpu_end - cpu_start; }
  double db_cpu_seconds() const { return db_cpu_end - db_cpu_start; }
};

double PerFsync(int64_t n, const CommitCounters& d) {
  return d.fsyncs > 0 ? static_cast<double>(n) / d.fsyncs : 0;
}

// One post through incidentd, for the general-log comparison.
absl::Status PostOnce(const std::string& address, const std::string& incident,
                      const std::string& request_id) {
  auto stub = v1::IncidentService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::PostIncidentUpdateRequest request;
  request.set_parent(incident);
  request.set_request_id(request_id);
  request.mutable_update()->set_body(kPostBody);
  request.mutable_update()->set_author(kPostAuthor);
  request.mutable_update()->set_notify(true);
  v1::IncidentUpdate response;
  grpc::Status s = stub->PostIncidentUpdate(&context, request, &response);
  if (!s.ok()) {
    return absl::UnknownError(
        absl::StrCat("capture post: ", s.error_code(), " ", s.error_message()));
  }
  return absl::OkStatus();
}


class WriteBench {
 public:
  WriteBench(const BenchEnv& env, const Plan& plan, bool smoke)
      : env_(env),
        plan_(plan),
        incidentd_db_(smoke ? "bench_write_smoke_incidentd"
                            : "bench_write_incidentd"),
        raw_db_(smoke ? "bench_write_smoke_raw" : "bench_write_raw"),
        smoke_(smoke),
        incidentd_(env, incidentd_db_) {
    raw_config_.host = env.mysql_host;
    raw_config_.port = env.mysql_port;
    raw_config_.user = env.mysql_user;
    raw_config_.password = env.mysql_password;
    raw_config_.database = raw_db_;
  }

  absl::Status Run() {
    if (absl::Status s = Prepare(); !s.ok()) return s;
    if (absl::Status s = CompareStatements(); !s.ok()) return s;
    for (int c : plan_.concurrencies) {
      if (absl::Status s = Point(c); !s.ok()) return s;
    }
    if (absl::Status s = PoolNote(); !s.ok()) return s;
    if (absl::Status s = ContentionNotes(); !s.ok()) return s;
    if (absl::Status s = Overload(); !s.ok()) return s;
    incidentd_.Stop();
    probe_->DropDatabase(incidentd_db_).IgnoreError();
    probe_->DropDatabase(raw_db_).IgnoreError();
    if (!unmeasured_.empty()) {
      return absl::InternalError(
          absl::StrCat("no figure for: ", absl::StrJoin(unmeasured_, "; ")));
    }
    return absl::OkStatus();
  }

 private:
  // Both databases filled through incidentd's API, the same way.
  absl::Status Prepare() {
    Log("preparing the databases");
    for (const std::string& db : {raw_db_, incidentd_db_}) {
      if (absl::Status s = RecreateDatabase(env_, db); !s.ok()) return s;
      IncidentdSide side(env_, db);
      if (absl::Status s = side.Start(); !s.ok()) return s;
      if (absl::Status s = Populate(side.address(), plan_.layout); !s.ok()) {
        return s;
      }
    }
    absl::StatusOr<std::unique_ptr<MysqlProbe>> probe = MysqlProbe::Open(env_);
    if (!probe.ok()) return probe.status();
    probe_ = *std::move(probe);
    absl::StatusOr<std::string> settings = probe_->DurabilitySettings();
    if (!settings.ok()) return settings.status();
    settings_ = *settings;
    mariadb_pid_ = probe_->ServerPid();
    Log(absl::StrCat("MariaDB: ", settings_));
    return absl::OkStatus();
  }

  // One post on each side with the general log on: the raw replay must
  // issue incidentd's statements, in incidentd's order.
  absl::Status CompareStatements() {
    // A fresh incidentd: it prepares the post's statements while the log is
    // on (see below).
    if (absl::Status s = incidentd_.Start(); !s.ok()) return s;
    if (absl::Status s = probe_->StartStatementLog(); !s.ok()) return s;
    // A request id no other client of the server uses: it marks the post's
    // transaction in the log.
    const std::string marker = absl::StrCat(
        "statement-log-", absl::ToUnixMicros(absl::Now()), "-", getpid());
    absl::Status posted =
        PostOnce(incidentd_.address(), OwnIncidentName(0), marker);
    absl::StatusOr<std::vector<std::string>> theirs =
        probe_->StopStatementLogAndFindPost(marker);
    incidentd_.Stop();
    if (!posted.ok()) return posted;
    if (!theirs.ok()) return theirs.status();
    absl::StatusOr<int64_t> payload =
        probe_->NewestEventPayloadBytes(incidentd_db_, OwnPageId(0));
    if (!payload.ok()) return payload.status();
    payload_bytes_ = static_cast<size_t>(*payload);

    // The server expands a statement's values into the log only if the
    // log was on when the statement was prepared: connect after.
    if (absl::Status s = probe_->StartStatementLog(); !s.ok()) return s;
    absl::StatusOr<std::unique_ptr<RawPoster>> poster =
        RawPoster::Open(raw_config_, payload_bytes_);
    posted = poster.ok() ? (*poster)->Post({OwnPageId(0), "inc"}, marker)
                         : poster.status();
    absl::StatusOr<std::vector<std::string>> ours =
        probe_->StopStatementLogAndFindPost(marker);
    if (!posted.ok()) return posted;
    if (!ours.ok()) return ours.status();

    std::string first_difference;
    for (size_t i = 0; i < std::max(theirs->size(), ours->size()); ++i) {
      const std::string a = i < theirs->size() ? (*theirs)[i] : "(none)";
      const std::string b = i < ours->size() ? (*ours)[i] : "(none)";
      if (a != b) {
        first_difference = absl::StrCat("statement ", i + 1, ": incidentd \"",
                                        a.substr(0, 120), "\", raw \"",
                                        b.substr(0, 120), "\"");
        break;
      }
    }
    for (const std::string& s : *theirs) Log(absl::StrCat("  post SQL: ", s));
    if (!first_difference.empty()) {
      Log(absl::StrCat("the raw replay differs: ", first_difference));
      // The smoke test is where a change to the post's SQL shows up first:
      // raw_post.cc must follow it, or the baseline is not the same work.
      if (smoke_) {
        unmeasured_.push_back(absl::StrCat(
            "the raw replay's SQL differs from incidentd's (", first_difference,
            "): update bench/write/raw_post.cc"));
      }
    }
    Result r;
    r.scenario = "3";
    r.name = "SQL statements in one post's transaction";
    r.metric = "statements";
    r.value = static_cast<double>(theirs->size());
    r.unit = "statements";
    r.baseline = static_cast<double>(ours->size());
    r.baseline_name = "raw replay";
    r.target = "same statements, same order";
    r.met = first_difference.empty();
    r.notes = first_difference.empty()
                  ? absl::StrCat("checked in the MariaDB general log, START "
                                 "TRANSACTION to COMMIT; event payload ",
                                 payload_bytes_, " bytes on both sides")
                  : first_difference;
    Emit(r);
    return absl::OkStatus();
  }

  struct Side {
    LoadResult load;
    CommitCounters counters;
    double cpu_seconds = 0;  // of the process doing the SQL client work
    double db_cpu_seconds = 0;  // of MariaDB

    double cpu_us_per_post() const {
      return load.ok > 0 ? cpu_seconds * 1e6 / load.ok : 0;
    }
    double db_cpu_us_per_post() const {
      return load.ok > 0 ? db_cpu_seconds * 1e6 / load.ok : 0;
    }
    // Counts the probe's own SHOW STATUS too: one statement per window.
    double statements_per_post() const {
      return load.ok > 0 ? static_cast<double>(counters.questions) / load.ok
                         : 0;
    }
  };

  absl::StatusOr<Side> RawSide(const std::vector<RawTarget>& targets,
                               const std::string& prefix,
                               const RunTiming& timing) {
    CounterWindow w(probe_.get(), getpid(), mariadb_pid_);
    // The raw threads run where incidentd runs (the server CPUs): the SQL
    // client work moves from incidentd's threads to these, and MariaDB
    // keeps the same CPUs in both runs.
    absl::StatusOr<LoadResult> load =
        RunRawClosedLoop(raw_config_, targets, payload_bytes_,
                         env_.server_cpus, prefix, timing, w.Hooks());
    if (!load.ok()) return load.status();
    if (!w.error.ok()) return w.error;
    return Side{*std::move(load), w.delta(), w.cpu_seconds(),
                w.db_cpu_seconds()};
  }

  // incidentd must be up.
  absl::StatusOr<Side> IncidentdRun(const std::vector<std::string>& incidents,
                                    const std::string& prefix,
                                    const RunTiming& timing) {
    CounterWindow w(probe_.get(), incidentd_.pid(), mariadb_pid_);
    absl::StatusOr<LoadResult> load = RunClosedLoop(
        incidentd_.address(), incidents, prefix, timing, w.Hooks());
    if (!load.ok()) return load.status();
    if (!w.error.ok()) return w.error;
    return Side{*std::move(load), w.delta(), w.cpu_seconds(),
                w.db_cpu_seconds()};
  }

  absl::Status Point(int clients) {
    Log(absl::StrCat(clients, " clients"));
    std::vector<RawTarget> raw_targets;
    std::vector<std::string> incidents;
    for (int k = 0; k < clients; ++k) {
      raw_targets.push_back({OwnPageId(k), "inc"});
      incidents.push_back(OwnIncidentName(k));
    }
    const std::string prefix = absl::StrCat("c", clients);
    absl::StatusOr<Side> raw = RawSide(raw_targets, prefix, plan_.point);
    if (!raw.ok()) return raw.status();
    if (absl::Status s = incidentd_.Start(); !s.ok()) return s;
    absl::StatusOr<Side> inc = IncidentdRun(incidents, prefix, plan_.point);
    incidentd_.Stop();
    if (!inc.ok()) return inc.status();

    Require(inc->load, absl::StrCat("incidentd at ", clients, " clients"));
    Require(raw->load, absl::StrCat("the raw replay at ", clients, " threads"));
    const double rate = inc->load.ok_per_second();
    const double raw_rate = raw->load.ok_per_second();
    incidentd_rate_[clients] = rate;
    if (rate > peak_) {
      peak_ = rate;
      peak_p99_ = inc->load.ok_latency.Percentile(99);
      peak_clients_ = clients;
    }
    const std::string who = absl::StrCat(clients, " client",
                                         clients == 1 ? "" : "s");
    const std::string baseline_name =
        absl::StrCat("same SQL via Connector/C++, ", clients,
                     clients == 1 ? " thread" : " threads");
    Result r;
    r.scenario = "3";
    r.name = absl::StrCat("PostIncidentUpdate rate, ", who);
    r.metric = "updates_per_s";
    r.value = rate;
    r.unit = "updates/s";
    r.baseline = raw_rate;
    r.baseline_name = baseline_name;
    r.ratio = raw_rate > 0 ? rate / raw_rate : 0;
    r.target = kTarget3Rate;
    r.met = *r.ratio >= 0.8;
    r.notes = absl::StrCat(
        "one incident per client, each on its own page; ",
        F(absl::ToDoubleSeconds(plan_.point.measure)), " s window; incidentd ",
        Describe(inc->load), "; raw ", Describe(raw->load),
        "; CPU per post: incidentd ", F(inc->cpu_us_per_post(), 0),
        " us + MariaDB ", F(inc->db_cpu_us_per_post(), 0),
        " us, raw replay client ", F(raw->cpu_us_per_post(), 0),
        " us + MariaDB ", F(raw->db_cpu_us_per_post(), 0),
        " us; statements per post (every connection): incidentd ",
        F(inc->statements_per_post()), ", raw ", F(raw->statements_per_post()));
    Emit(r);

    for (double p : {50.0, 99.0}) {
      Result l;
      l.scenario = "3";
      l.name = absl::StrCat("PostIncidentUpdate p", p, " latency, ", who);
      l.metric = absl::StrCat("p", p, "_ms");
      l.value = Ms(inc->load.ok_latency.Percentile(p));
      l.unit = "ms";
      l.baseline = Ms(raw->load.ok_latency.Percentile(p));
      l.baseline_name = baseline_name;
      l.ratio = *l.baseline > 0 ? l.value / *l.baseline : 0;
      l.notes = "incidentd: first attempt to OK answer (backoff after "
                "RESOURCE_EXHAUSTED included); raw: one transaction";
      Emit(l);
    }

    const CommitCounters& d = inc->counters;
    const CommitCounters& rd = raw->counters;
    Result g;
    g.scenario = "3";
    g.name = absl::StrCat("Posts committed per fsync, ", who);
    g.metric = "commits_per_fsync";
    g.value = PerFsync(inc->load.ok, d);
    g.unit = "commits/fsync";
    g.baseline = PerFsync(raw->load.ok, rd);
    g.baseline_name = baseline_name;
    g.ratio = *g.baseline > 0 ? g.value / *g.baseline : 0;
    if (clients == 16) {
      g.target = kTarget3Fsync;
      g.met = g.value > 1;
    }
    g.notes = absl::StrCat(
        "posts / Innodb_data_fsyncs over the window (incidentd's own "
        "background commits count against it); Com_commit per fsync: "
        "incidentd ", F(PerFsync(d.commits, d), 2), ", raw ",
        F(PerFsync(rd.commits, rd), 2), "; redo log writes per post: incidentd ",
        F(inc->load.ok > 0 ? static_cast<double>(d.log_writes) / inc->load.ok
                           : 0, 2),
        ", raw ",
        F(raw->load.ok > 0 ? static_cast<double>(rd.log_writes) / raw->load.ok
                           : 0, 2),
        "; ", settings_);
    Emit(g);
    return absl::OkStatus();
  }

  // incidentd runs at most --pool_size transactions at once however many
  // clients call; the raw replay at that many threads is what the database
  // gives such a pool, which tells the pool's share of the gap at 16 and 64
  // clients from incidentd's own.
  absl::Status PoolNote() {
    const int threads = std::min(kIncidentdPoolSize, plan_.layout.own_pages);
    const int clients = plan_.concurrencies.back();
    Log(absl::StrCat("note: raw replay at ", threads, " threads"));
    std::vector<RawTarget> targets;
    for (int k = 0; k < threads; ++k) targets.push_back({OwnPageId(k), "inc"});
    absl::StatusOr<Side> raw = RawSide(targets, "pool", plan_.note);
    if (!raw.ok()) return raw.status();
    Require(raw->load, absl::StrCat("the raw replay at ", threads, " threads"));
    Result r;
    r.scenario = "3";
    r.name = absl::StrCat("Note: PostIncidentUpdate rate, ", clients,
                          " clients vs the SQL at ", threads,
                          " threads (incidentd's --pool_size)");
    r.metric = "updates_per_s";
    r.value = incidentd_rate_[clients];
    r.unit = "updates/s";
    r.baseline = raw->load.ok_per_second();
    r.baseline_name = absl::StrCat("same SQL via Connector/C++, ", threads,
                                   " threads");
    r.ratio = *r.baseline > 0 ? r.value / *r.baseline : 0;
    r.notes = absl::StrCat(
        "incidentd runs at most ", kIncidentdPoolSize,
        " request transactions at once (default --pool_size); raw p99 ",
        F(Ms(raw->load.ok_latency.Percentile(99))), " ms; ",
        Describe(raw->load), "; posts per fsync ",
        F(PerFsync(raw->load.ok, raw->counters), 2));
    Emit(r);
    return absl::OkStatus();
  }

  // A figure from no committed post is no figure: the run fails (it still
  // prints what it has).
  void Require(const LoadResult& r, const std::string& what) {
    if (r.ok == 0) {
      unmeasured_.push_back(absl::StrCat(what, " (", Describe(r), ")"));
    }
  }

  // Posts that serialise by design, reported as notes beside the figures:
  // every client on one incident (its row lock), and every client on its
  // own incident of one page (the page's event sequence row).
  absl::Status ContentionNotes() {
    const int n = plan_.note_clients;
    struct Case {
      std::string label, prefix, why;
      std::vector<RawTarget> raw;
      std::vector<std::string> incidents;
    };
    std::vector<Case> cases(2);
    cases[0].label = absl::StrCat(n, " clients on ONE incident");
    cases[0].prefix = "one";
    cases[0].why = "posts serialise on the incident's row lock (by design)";
    cases[1].label = absl::StrCat(n, " clients, own incidents on ONE page");
    cases[1].prefix = "page";
    cases[1].why =
        "posts serialise on the page's event sequence row, held to commit "
        "(by design: gap-free per-page numbering)";
    for (int k = 0; k < n; ++k) {
      cases[0].raw.push_back({OwnPageId(0), "inc"});
      cases[0].incidents.push_back(OwnIncidentName(0));
      cases[1].raw.push_back(
          {kSharedPageId, absl::StrFormat("inc%02d", k % plan_.layout.shared_incidents)});
      cases[1].incidents.push_back(
          SharedIncidentName(k % plan_.layout.shared_incidents));
    }
    std::vector<Side> raw_sides;
    for (const Case& c : cases) {
      Log(absl::StrCat("note: ", c.label));
      absl::StatusOr<Side> raw = RawSide(c.raw, c.prefix, plan_.note);
      if (!raw.ok()) return raw.status();
      raw_sides.push_back(*std::move(raw));
    }
    if (absl::Status s = incidentd_.Start(); !s.ok()) return s;
    for (size_t i = 0; i < cases.size(); ++i) {
      absl::StatusOr<Side> inc =
          IncidentdRun(cases[i].incidents, cases[i].prefix, plan_.note);
      if (!inc.ok()) return inc.status();
      const LoadResult& a = inc->load;
      const LoadResult& b = raw_sides[i].load;
      Require(a, absl::StrCat("incidentd, ", cases[i].label));
      Require(b, absl::StrCat("the raw replay, ", cases[i].label));
      Result r;
      r.scenario = "3";
      r.name = absl::StrCat("Note: PostIncidentUpdate rate, ", cases[i].label);
      r.metric = "updates_per_s";
      r.value = a.ok_per_second();
      r.unit = "updates/s";
      r.baseline = b.ok_per_second();
      r.baseline_name = absl::StrCat("same SQL via Connector/C++, ", n,
                                     " threads");
      r.ratio = *r.baseline > 0 ? r.value / *r.baseline : 0;
      r.notes = absl::StrCat(cases[i].why, "; p99 incidentd ",
                             F(Ms(a.ok_latency.Percentile(99))), " ms, raw ",
                             F(Ms(b.ok_latency.Percentile(99))),
                             " ms; incidentd ", Describe(a), "; raw ",
                             Describe(b));
      Emit(r);
    }
    return absl::OkStatus();  // incidentd stays up for the overload
  }

  // Scenario 6: twice the closed-loop peak, offered on a schedule.
  absl::Status Overload() {
    if (peak_ <= 0) return absl::InternalError("no peak write rate measured");
    const double rate = 2 * peak_;
    Log(absl::StrCat("overload: ", F(rate), " posts/s offered"));
    std::vector<std::string> incidents;
    for (int k = 0; k < plan_.layout.own_pages; ++k) {
      incidents.push_back(OwnIncidentName(k));
    }
    // Over the whole run (warm-up included): how much CPU incidentd, MariaDB
    // and this generator used, in CPUs (the machine may have few).
    const pid_t pids[] = {incidentd_.pid(), mariadb_pid_, getpid()};
    double cpu_before[3];
    for (int i = 0; i < 3; ++i) cpu_before[i] = ProcessCpuSeconds(pids[i]);
    const absl::Time wall_before = absl::Now();
    absl::StatusOr<OpenLoopResult> out =
        RunOpenLoop(incidentd_.address(), incidents, "overload", rate,
                    absl::Seconds(1), plan_.overload);
    const double wall = absl::ToDoubleSeconds(absl::Now() - wall_before);
    double cpus[3];
    for (int i = 0; i < 3; ++i) {
      cpus[i] = (ProcessCpuSeconds(pids[i]) - cpu_before[i]) / wall;
    }
    incidentd_.Stop();
    if (!out.ok()) return out.status();
    const LoadResult& l = out->load;
    Require(l, "the overload run");
    const std::string common = absl::StrCat(
        F(out->offered), " posts/s offered (2 x the peak of ", F(peak_),
        " at ", peak_clients_, " clients) in an open loop over ",
        incidents.size(), " incidents, 1 s deadline, ",
        F(absl::ToDoubleSeconds(plan_.overload.measure)), " s; ", Describe(l),
        "; generator send lag p99 ", F(Ms(out->send_lag.Percentile(99)), 2),
        " ms; CPUs used: incidentd ", F(cpus[0], 2), ", MariaDB ",
        F(cpus[1], 2), ", this generator ", F(cpus[2], 2));

    Result g;
    g.scenario = "6";
    g.name = "PostIncidentUpdate goodput at 2x peak";
    g.metric = "updates_per_s";
    g.value = l.ok_per_second();
    g.unit = "updates/s";
    g.baseline = peak_;
    g.baseline_name = "scenario 3 peak (closed loop)";
    g.ratio = g.value / peak_;
    g.target = ">= 0.95 x peak";
    g.met = *g.ratio >= 0.95;
    g.notes = common;
    Emit(g);

    Result a;
    a.scenario = "6";
    a.name = "PostIncidentUpdate p99 of admitted at 2x peak";
    a.metric = "p99_ms";
    a.value = Ms(l.ok_latency.Percentile(99));
    a.unit = "ms";
    a.baseline = Ms(peak_p99_);
    a.baseline_name = absl::StrCat("p99 at the peak (", peak_clients_,
                                   " clients, closed loop)");
    a.ratio = *a.baseline > 0 ? a.value / *a.baseline : 0;
    a.notes = absl::StrCat("p50 ", F(Ms(l.ok_latency.Percentile(50))),
                           " ms; send to OK answer");
    Emit(a);

    Result t;
    t.scenario = "6";
    t.name = "PostIncidentUpdate time to reject at 2x peak";
    t.metric = "p99_ms";
    t.value = Ms(l.reject_latency.Percentile(99));
    t.unit = "ms";
    t.target = "< 5 ms";
    t.met = l.rejected > 0 && t.value < 5;
    t.notes = l.rejected > 0
                  ? absl::StrCat("RESOURCE_EXHAUSTED answers: ", l.rejected,
                                 ", p50 ",
                                 F(Ms(l.reject_latency.Percentile(50)), 2),
                                 " ms, max ",
                                 F(Ms(l.reject_latency.Max()), 2), " ms")
                  : "no call was rejected: nothing to time";
    Emit(t);
    return absl::OkStatus();
  }

  const BenchEnv& env_;
  const Plan plan_;
  const std::string incidentd_db_;
  const std::string raw_db_;
  const bool smoke_;
  IncidentdSide incidentd_;
  storage::MysqlConfig raw_config_;
  std::unique_ptr<MysqlProbe> probe_;
  std::string settings_;
  pid_t mariadb_pid_ = 0;
  size_t payload_bytes_ = 0;
  double peak_ = 0;
  absl::Duration peak_p99_;
  int peak_clients_ = 0;
  std::map<int, double> incidentd_rate_;  // by clients
  std::vector<std::string> unmeasured_;
};

}  // namespace
}  // namespace incidentd::bench::write

int main(int argc, char** argv) {
  using namespace incidentd::bench;
  bool smoke = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      smoke = true;
    } else {
      std::fprintf(stderr, "usage: %s [--smoke]\n", argv[0]);
      return 2;
    }
  }
  absl::StatusOr<BenchEnv> env = BenchEnvFromEnvironment();
  if (!env.ok()) {
    std::fprintf(stderr, "bench_write: %s\n", env.status().ToString().c_str());
    return 2;
  }
  if (absl::Status s = PinSelf(env->load_cpus); !s.ok()) {
    std::fprintf(stderr, "bench_write: %s\n", s.ToString().c_str());
    return 2;
  }
  write::WriteBench bench(*env, write::PlanFor(smoke, env->quick), smoke);
  const absl::Time start = absl::Now();
  absl::Status status = bench.Run();
  std::fprintf(stderr, "bench_write: done in %s\n",
               absl::FormatDuration(absl::Now() - start).c_str());
  if (!status.ok()) {
    std::fprintf(stderr, "bench_write: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
