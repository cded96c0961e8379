// incidentd: the incident communication backend.
//   incidentd           serve (see --help for flags and INCIDENTD_* variables)
//   incidentd migrate   apply schema migrations and exit
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "server/config.h"
#include "server/logging.h"
#include "server/server.h"
#include "storage/mysql/mysql_store.h"

namespace incidentd {
namespace {

constexpr int kExitUsage = 2;

int Migrate(const ServerConfig& config) {
  // A fresh database container may still be starting: keep trying while it
  // is unreachable, within --startup_db_wait.
  const absl::Time give_up = absl::Now() + config.startup_db_wait;
  absl::Status status;
  for (;;) {
    status = storage::ApplyMigrations(config.mysql);
    if (!absl::IsUnavailable(status) || absl::Now() >= give_up) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  if (!status.ok()) {
    LogError("migrate", "migration failed: ", status.ToString());
    return 1;
  }
  LogInfo("migrate", "schema at version ", storage::LatestSchemaVersion());
  return 0;
}

int Serve(const ServerConfig& config, sigset_t signals) {
  // Signals are handled by a thread waiting for them, not in a handler: the
  // shutdown work must run in normal thread context. The thread is never
  // joined (it may wait forever), so what it touches lives as long as the
  // process.
  static absl::Notification* const stop_signal = new absl::Notification;
  absl::Notification& stop = *stop_signal;
  std::thread([signals]() mutable {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) == 0) {
      LogInfo("main", "received ",
              signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
              "; shutting down");
      if (!stop_signal->HasBeenNotified()) stop_signal->Notify();
    }
  }).detach();

  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::OpenMysqlStore(config.mysql);
  if (!store.ok()) {
    LogError("main", "cannot open the store: ", store.status().ToString());
    return 1;
  }
  IncidentServer server(config, *std::move(store));
  if (absl::Status started = server.Start(); !started.ok()) {
    LogError("main", started.ToString());
    return 1;
  }
  LogInfo("main", "listening on ", server.address(),
          " (NOT_SERVING until the database is ready)");

  absl::Status prepared = PrepareDatabase(config, server.store(), stop);
  if (absl::IsCancelled(prepared)) {
    server.Shutdown();
    return 0;
  }
  if (!prepared.ok()) {
    LogError("main", "refusing to start: ", prepared.ToString());
    server.Shutdown();
    return 1;
  }
  server.Ready();
  std::printf("incidentd serving on %s\n", server.address().c_str());
  std::fflush(stdout);
  LogInfo("main", "incidentd serving on ", server.address());

  stop.WaitForNotification();
  server.Shutdown();
  LogInfo("main", "stopped");
  return 0;
}

int Main(int argc, char** argv) {
  // Block the shutdown signals in every thread (threads inherit the mask),
  // so that only the waiting thread receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A webhook receiver or mail relay that hangs up mid-write must fail that
  // write, not kill the process: curl runs with CURLOPT_NOSIGNAL (it is
  // used from several threads), so it does not ignore SIGPIPE for us.
  signal(SIGPIPE, SIG_IGN);
  // Debian's Abseil checks every mutex acquisition for lock-order cycles
  // (a debug aid): 3-7% of the server's CPU under fan-out load, in gRPC's
  // locks too (bench profile). Tests keep the check; the server drops it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  absl::SetProgramUsageMessage(
      "incidentd [flags]          serve\n"
      "  incidentd [flags] migrate  apply schema migrations and exit\n"
      "Every flag can also be set by INCIDENTD_<FLAG> in the environment "
      "(e.g. INCIDENTD_MYSQL_HOST); the command line wins.");
  if (absl::Status env = ApplyEnvironment(ProcessEnvironment()); !env.ok()) {
    LogError("main", env.ToString());
    return kExitUsage;
  }
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  absl::StatusOr<ServerConfig> config = ConfigFromFlags();
  if (!config.ok()) {
    LogError("main", config.status().ToString());
    return kExitUsage;
  }
  LogInfo("main", DescribeConfig(*config));
  if (args.size() == 1) return Serve(*config, signals);
  if (args.size() == 2 && std::string(args[1]) == "migrate") {
    return Migrate(*config);
  }
  LogError("main", "unknown command; usage: incidentd [flags] [migrate]");
  return kExitUsage;
}

}  // namespace
}  // namespace incidentd

int main(int argc, char** argv) { return incidentd::Main(argc, argv); }
