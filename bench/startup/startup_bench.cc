// bench_startup (scenario 7): how long incidentd takes from spawn to
// SERVING against an already-migrated database and against an empty one
// (all migrations applied at start), and its resident memory idle after
// start and after serving 1,000 GetPageStatus calls.
//
//   bench_startup [--smoke]      (the environment of bench_common.h)
//
// The database is up and answering before each spawn, so spawn-to-SERVING
// is the time "after the database answers" (an upper bound of it: it also
// holds exec, the server's own connect and the schema check). A bare
// connect + SELECT 1 from this process is reported beside it, to show how
// much of that is the database's share. Each start is checked against the
// server's own log: an empty-database start must have applied migrations,
// a migrated one none (the program fails otherwise). See NOTES.md.
#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <grpcpp/grpcpp.h>
#include <mysql_driver.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/common/bench_common.h"
#include "incidentd/v1/components.grpc.pb.h"
#include "incidentd/v1/pages.grpc.pb.h"

namespace incidentd::bench {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr char kMigratedDb[] = "bench_startup_migrated";
constexpr char kFreshDb[] = "bench_startup_fresh";
// As many components as a realistic page (the micro-benchmarks' page).
constexpr int kComponents = 30;

struct Settings {
  int repetitions = 5;
  int status_calls = 1000;
  // How long a fresh server is left alone before its idle RSS is read:
  // threads and pools it starts after SERVING have started by then.
  absl::Duration settle = absl::Seconds(1);
};

void Fail(const absl::Status& status) {
  std::fprintf(stderr, "bench_startup: %s\n", status.ToString().c_str());
}

// Median of a few samples (the middle one; the lower middle when even).
absl::Duration Median(std::vector<absl::Duration> v) {
  if (v.empty()) return absl::ZeroDuration();
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) / 2];
}

std::string Spread(const std::vector<absl::Duration>& v) {
  if (v.empty()) return "";
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return absl::StrFormat("min %.3f s, max %.3f s", absl::ToDoubleSeconds(*lo),
                         absl::ToDoubleSeconds(*hi));
}

// A new connection and SELECT 1, as the server's first contact with the
// database costs: the database's share of start-up.
absl::StatusOr<absl::Duration> ConnectAndPing(const BenchEnv& env) {
  const absl::Time start = absl::Now();
  try {
    sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
    std::unique_ptr<sql::Connection> connection(
        driver->connect(absl::StrCat("tcp://", env.mysql_host, ":",
                                     env.mysql_port),
                        env.mysql_user, env.mysql_password));
    std::unique_ptr<sql::Statement> statement(connection->createStatement());
    std::unique_ptr<sql::ResultSet> rows(statement->executeQuery("SELECT 1"));
    rows->next();
  } catch (const sql::SQLException& e) {
    return absl::UnavailableError(
        absl::StrCat("MySQL error ", e.getErrorCode(), ": ", e.what()));
  }
  return absl::Now() - start;
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// What `path` holds from byte `offset` on: one start's lines (a server's
// log is appended to when a port comes round again).
std::string ReadFrom(const std::string& path, int64_t offset) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The time stamp of the first log line holding `marker`
// ("2026-11-21T03:39:58.276535Z INFO [main] ...").
std::optional<absl::Time> LoggedAt(const std::string& log,
                                   absl::string_view marker) {
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (!absl::StrContains(line, marker)) continue;
    absl::Time t;
    std::string error;
    if (absl::ParseTime(absl::RFC3339_full,
                        std::string(line.substr(0, line.find(' '))), &t,
                        &error)) {
      return t;
    }
  }
  return std::nullopt;
}

struct Start {
  absl::Duration to_listening;  // spawn to the port accepting connections
  absl::Duration to_serving;    // spawn to Health/Check answering SERVING
  // From the server's own log, for the notes and as a check of the poll:
  // spawn to its health monitor's "SERVING" line, and the database
  // preparation ("listening" to "schema at version": the schema check, or
  // the migrations).
  std::optional<absl::Duration> logged_serving;
  std::optional<absl::Duration> logged_prepare;
  int migrations_applied = 0;  // "applying migration" lines of this start
};

// Starts incidentd on `database` (the flags StartIncidentd passes: the
// defaults), times spawn to listening and to SERVING, stops it.
// StartIncidentd waits the same way but gives neither the time to listening
// nor this start's part of the log.
absl::StatusOr<Start> TimeOneStart(const BenchEnv& env,
                                   const std::string& database) {
  absl::Status last_error;
  // A port found free may be taken before the server binds it: a server
  // that exits before listening is retried on another port.
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<int> port = FreePort();
    if (!port.ok()) return port.status();
    const std::string address = absl::StrCat("127.0.0.1:", *port);
    // StartIncidentd's name, so runner and readers find every server's log
    // in one place.
    const std::string log_file = absl::StrCat(
        env.out_dir, "/incidentd-", database, "-", *port, ".log");
    ProcessSpec spec;
    spec.argv = {
        env.incidentd_binary,
        absl::StrCat("--listen=", address),
        absl::StrCat("--mysql_host=", env.mysql_host),
        absl::StrCat("--mysql_port=", env.mysql_port),
        absl::StrCat("--mysql_user=", env.mysql_user),
        absl::StrCat("--mysql_database=", database),
    };
    spec.env = {absl::StrCat("INCIDENTD_MYSQL_PASSWORD=", env.mysql_password)};
    spec.cpus = env.server_cpus;
    spec.log_file = log_file;
    const int64_t log_offset = FileSize(log_file);
    const absl::Time spawned = absl::Now();
    absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(spec);
    if (!process.ok()) return process.status();
    const absl::Time give_up = spawned + absl::Seconds(60);
    // The port first (bench_common): a Health/Check sent before the
    // server listens would wait out its whole 100 ms deadline (NOTES.md).
    absl::Status listening = WaitListening(*port, **process, give_up);
    Start start;
    start.to_listening = absl::Now() - spawned;
    absl::StatusOr<absl::Duration> serving =
        listening.ok() ? WaitServing(address, spawned, give_up - absl::Now())
                       : absl::StatusOr<absl::Duration>(listening);
    const int code = (*process)->Stop();
    const std::string log = ReadFrom(log_file, log_offset);
    if (!serving.ok()) {
      last_error = absl::Status(
          serving.status().code(),
          absl::StrCat(serving.status().message(), " (exit ", code,
                       "); its log:\n", log.substr(log.size() > 3000
                                                       ? log.size() - 3000
                                                       : 0)));
      if (absl::IsUnavailable(listening)) continue;
      return last_error;
    }
    if (code != 0) {
      return absl::InternalError(absl::StrCat(
          "incidentd exited with ", code, " after SIGTERM; its log:\n", log));
    }
    start.to_serving = *serving;
    if (std::optional<absl::Time> t =
            LoggedAt(log, "[health] database answers: SERVING")) {
      start.logged_serving = *t - spawned;
    }
    std::optional<absl::Time> listened = LoggedAt(log, "[main] listening on");
    std::optional<absl::Time> prepared =
        LoggedAt(log, "[startup] schema at version");
    if (listened.has_value() && prepared.has_value()) {
      start.logged_prepare = *prepared - *listened;
    }
    for (size_t at = log.find("applying migration"); at != std::string::npos;
         at = log.find("applying migration", at + 1)) {
      ++start.migrations_applied;
    }
    return start;
  }
  return last_error;
}

// A page like the micro-benchmarks': kComponents components.
absl::Status CreatePage(const std::shared_ptr<grpc::Channel>& channel) {
  auto pages = v1::PageService::NewStub(channel);
  auto components = v1::ComponentService::NewStub(channel);
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::CreatePageRequest request;
    request.set_page_id("startup");
    request.mutable_page()->set_display_name("Start-up bench");
    v1::Page page;
    grpc::Status s = pages->CreatePage(&context, request, &page);
    if (!s.ok()) {
      return absl::InternalError(absl::StrCat("CreatePage: ", s.error_message()));
    }
  }
  for (int i = 0; i < kComponents; ++i) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::CreateComponentRequest request;
    request.set_parent("pages/startup");
    request.set_component_id(absl::StrFormat("component-%02d", i));
    request.mutable_component()->set_display_name(
        absl::StrFormat("Component %d", i));
    v1::Component component;
    grpc::Status s = components->CreateComponent(&context, request, &component);
    if (!s.ok()) {
      return absl::InternalError(
          absl::StrCat("CreateComponent: ", s.error_message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ServeStatusCalls(const std::shared_ptr<grpc::Channel>& channel,
                              int calls) {
  auto pages = v1::PageService::NewStub(channel);
  v1::GetPageStatusRequest request;
  request.set_name("pages/startup");
  // One at a time: this is about the memory a served request leaves
  // behind, not about throughput (scenario 1 measures that).
  for (int i = 0; i < calls; ++i) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::PageStatus status;
    grpc::Status s = pages->GetPageStatus(&context, request, &status);
    if (!s.ok()) {
      return absl::InternalError(
          absl::StrCat("GetPageStatus: ", s.error_message()));
    }
  }
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  Settings settings;
  bool smoke = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--smoke") {
      smoke = true;
    } else {
      std::fprintf(stderr, "usage: bench_startup [--smoke]\n");
      return 2;
    }
  }
  absl::StatusOr<BenchEnv> env = BenchEnvFromEnvironment();
  if (!env.ok()) {
    Fail(env.status());
    return 2;
  }
  if (smoke) {
    settings.repetitions = 1;
    settings.status_calls = 20;
    settings.settle = absl::Milliseconds(100);
  } else if (!env->quick) {
    settings.repetitions = 9;
  }
  if (absl::Status pinned = PinSelf(env->load_cpus); !pinned.ok()) {
    Fail(pinned);
    return 1;
  }
  const std::string pinning =
      env->server_cpus.empty()
          ? "unpinned"
          : absl::StrCat("server on CPU ", absl::StrJoin(env->server_cpus, ","));

  // The database's share: a connect + SELECT 1 from here.
  std::vector<absl::Duration> pings;
  for (int i = 0; i < settings.repetitions; ++i) {
    absl::StatusOr<absl::Duration> ping = ConnectAndPing(*env);
    if (!ping.ok()) {
      Fail(ping.status());
      return 1;
    }
    pings.push_back(*ping);
  }

  // An already-migrated database: the common restart. The first start
  // migrates it and is not counted; it tells how many migrations there are.
  if (absl::Status s = RecreateDatabase(*env, kMigratedDb); !s.ok()) {
    Fail(s);
    return 1;
  }
  absl::StatusOr<Start> first = TimeOneStart(*env, kMigratedDb);
  if (!first.ok()) {
    Fail(first.status());
    return 1;
  }
  const int all_migrations = first->migrations_applied;
  if (all_migrations == 0) {
    Fail(absl::InternalError(
        "the first start on a recreated database applied no migration (no "
        "\"applying migration\" line in its log): was it empty?"));
    return 1;
  }
  std::vector<Start> migrated;
  for (int i = 0; i < settings.repetitions; ++i) {
    absl::StatusOr<Start> t = TimeOneStart(*env, kMigratedDb);
    if (!t.ok()) {
      Fail(t.status());
      return 1;
    }
    if (t->migrations_applied != 0) {
      Fail(absl::InternalError(absl::StrCat(
          "a start on the migrated database applied ", t->migrations_applied,
          " migrations")));
      return 1;
    }
    migrated.push_back(*t);
  }

  // An empty database, recreated before each start: every migration runs
  // before SERVING. The log must say so, or the figure is not this case's.
  std::vector<Start> fresh;
  for (int i = 0; i < settings.repetitions; ++i) {
    if (absl::Status s = RecreateDatabase(*env, kFreshDb); !s.ok()) {
      Fail(s);
      return 1;
    }
    absl::StatusOr<Start> t = TimeOneStart(*env, kFreshDb);
    if (!t.ok()) {
      Fail(t.status());
      return 1;
    }
    if (t->migrations_applied != all_migrations) {
      Fail(absl::InternalError(absl::StrCat(
          "a start on the recreated empty database applied ",
          t->migrations_applied, " migrations, not all ", all_migrations)));
      return 1;
    }
    fresh.push_back(*t);
  }

  // Memory: idle after start, then after serving status calls.
  absl::StatusOr<ServerHandle> server = StartIncidentd(*env, kMigratedDb, {});
  if (!server.ok()) {
    Fail(server.status());
    return 1;
  }
  absl::SleepFor(settings.settle);
  absl::StatusOr<int64_t> idle_rss = server->process->RssBytes();
  if (!idle_rss.ok()) {
    Fail(idle_rss.status());
    return 1;
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
      server->address, grpc::InsecureChannelCredentials());
  absl::Status served = CreatePage(channel);
  if (served.ok()) served = ServeStatusCalls(channel, settings.status_calls);
  if (!served.ok()) {
    Fail(served);
    return 1;
  }
  absl::StatusOr<int64_t> served_rss = server->process->RssBytes();
  if (!served_rss.ok()) {
    Fail(served_rss.status());
    return 1;
  }
  channel.reset();
  server->process->Stop();

  const absl::Duration ping = Median(pings);
  auto startup_result = [&](const std::string& name,
                            const std::vector<Start>& starts,
                            const std::string& what) {
    std::vector<absl::Duration> serving;
    std::vector<absl::Duration> listening;
    std::vector<absl::Duration> logged_serving;
    std::vector<absl::Duration> logged_prepare;
    for (const Start& s : starts) {
      serving.push_back(s.to_serving);
      listening.push_back(s.to_listening);
      if (s.logged_serving.has_value()) {
        logged_serving.push_back(*s.logged_serving);
      }
      if (s.logged_prepare.has_value()) {
        logged_prepare.push_back(*s.logged_prepare);
      }
    }
    Result r;
    r.scenario = "7";
    r.name = name;
    r.metric = "seconds";
    r.value = absl::ToDoubleSeconds(Median(serving));
    r.unit = "s";
    r.target = "< 1 s after the database answers";
    r.met = r.value < 1.0;
    r.notes = absl::StrFormat(
        "median of %d, %s; spawn to SERVING (TCP connect every 1 ms until "
        "the port accepts, then Health/Check every 2 ms), the database "
        "already answering at spawn; %s; of which %.3f s spawn to listening "
        "(process start)",
        static_cast<int>(serving.size()), Spread(serving), what,
        absl::ToDoubleSeconds(Median(listening)));
    if (logged_prepare.size() == serving.size()) {
      absl::StrAppendFormat(
          &r.notes, ", %.3f s preparing the database (server log, "
          "\"listening\" to \"schema at version\")",
          absl::ToDoubleSeconds(Median(logged_prepare)));
    }
    if (logged_serving.size() == serving.size()) {
      absl::StrAppendFormat(
          &r.notes, "; the server's log says SERVING at %.3f s (median)",
          absl::ToDoubleSeconds(Median(logged_serving)));
    }
    absl::StrAppendFormat(&r.notes,
                          "; a bare connect + SELECT 1 takes %.1f ms; %s",
                          absl::ToDoubleMilliseconds(ping), pinning);
    Emit(r);
  };
  startup_result("start-up to SERVING, migrated database", migrated,
                 "schema checked, nothing to apply (no \"applying "
                 "migration\" line in any start's log)");
  startup_result(
      "start-up to SERVING, empty database", fresh,
      absl::StrFormat("database dropped and recreated before each start, "
                      "all %d migrations applied at each (checked in its "
                      "log; production durability when run by "
                      "scripts/bench.sh)",
                      all_migrations));
  {
    Result r;
    r.scenario = "7";
    r.name = "database connect + SELECT 1 (its share of start-up)";
    r.metric = "ms";
    r.value = absl::ToDoubleMilliseconds(ping);
    r.unit = "ms";
    r.notes = absl::StrFormat("median of %d, new Connector/C++ connection "
                              "from the bench process",
                              static_cast<int>(pings.size()));
    Emit(r);
  }
  auto memory_result = [&](const std::string& name, int64_t bytes,
                           const std::string& what) {
    Result r;
    r.scenario = "7";
    r.name = name;
    r.metric = "rss_mib";
    r.value = static_cast<double>(bytes) / kMiB;
    r.unit = "MiB";
    r.target = "< 50 MiB";
    r.met = r.value < 50.0;
    r.notes = absl::StrCat("VmRSS; ", what, "; default flags; ", pinning);
    Emit(r);
  };
  memory_result("idle RSS after start", *idle_rss,
                absl::StrCat(absl::FormatDuration(settings.settle),
                             " after SERVING"));
  memory_result(
      absl::StrCat("RSS after ", settings.status_calls, " GetPageStatus calls"),
      *served_rss,
      absl::StrCat("page of ", kComponents,
                   " components, calls one at a time over one channel"));
  return 0;
}

}  // namespace
}  // namespace incidentd::bench

int main(int argc, char** argv) { return incidentd::bench::Main(argc, argv); }
