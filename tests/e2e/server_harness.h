// The end-to-end harness: a fresh, uniquely named database on the MariaDB
// given by INCIDENTD_MYSQL_*, and the REAL incidentd binary serving it on a
// free loopback port, reached through the client library. Also runs
// incidentctl and scripts/db.sh for the tests that need them.
#ifndef INCIDENTD_TESTS_E2E_SERVER_HARNESS_H_
#define INCIDENTD_TESTS_E2E_SERVER_HARNESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/testing/test_env.h"

namespace incidentd::e2e {

// Where the binaries, the demo data and the scripts are (compile
// definitions from tests/e2e/CMakeLists.txt).
std::string IncidentdBinary();
std::string IncidentctlBinary();
std::string DemoDir();
std::string ScriptsDir();

// A database of its own on a MariaDB server, dropped on destruction. The
// admin connection is Connector/C++; only this harness catches its
// exceptions.
class TestDatabase {
 public:
  // Creates "<prefix>_<random>" (utf8mb4_bin), empty.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(
      const testing::MysqlEnv& env, absl::string_view prefix);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  const testing::MysqlEnv& env() const { return env_; }
  // Runs one statement in this database.
  absl::Status Execute(absl::string_view sql);
  // The first column of the first row, as an integer.
  absl::StatusOr<int64_t> QueryInt(absl::string_view sql);
  // Every table in this database with its row count, "table=rows;...", to
  // assert that a failed call wrote nothing anywhere.
  absl::StatusOr<std::string> Fingerprint();

 private:
  TestDatabase(testing::MysqlEnv env, std::string name)
      : env_(std::move(env)), name_(std::move(name)) {}
  testing::MysqlEnv env_;
  std::string name_;
};

struct ServerOptions {
  absl::Duration maintenance_interval = absl::Milliseconds(200);
  absl::Duration health_interval = absl::Milliseconds(200);
  absl::Duration shutdown_grace = absl::Seconds(5);
  // How long start-up (migrations included) may take until SERVING.
  absl::Duration ready_timeout = absl::Seconds(60);
  std::vector<std::string> extra_flags;
};

// The result of a process run to its end.
struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // stdout and stderr, interleaved
};

// One incidentd process. The destructor kills it if it still runs.
class ServerProcess {
 public:
  // Starts incidentd on a free port against `database` of `env`'s server,
  // and waits until health says SERVING (or the process exits, or
  // ready_timeout passes: an error with the server's log).
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const testing::MysqlEnv& env, const std::string& database,
      const ServerOptions& options = {});
  // Starts incidentd and waits for it to exit on its own (e.g. refusing to
  // start); DEADLINE_EXCEEDED (and kills it) if it still runs at `timeout`.
  static absl::StatusOr<ProcessResult> RunUntilExit(
      const testing::MysqlEnv& env, const std::string& database,
      const ServerOptions& options, absl::Duration timeout);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // "127.0.0.1:<port>".
  const std::string& address() const { return address_; }
  // A client with the library's defaults (10s deadline).
  client::Client& client() { return *client_; }
  // A client of its own, e.g. with a shorter deadline.
  std::unique_ptr<client::Client> NewClient(
      absl::Duration timeout = absl::Seconds(10)) const;

  // Closes client()'s connection, sends SIGTERM, then waits up to
  // shutdown_grace plus a margin: the exit code, or DEADLINE_EXCEEDED (after
  // SIGKILL) if it did not exit in time. client() is gone afterwards.
  absl::StatusOr<int> Stop();
  bool running();
  // Everything the server wrote so far.
  std::string Log() const;

  // The process id, e.g. to read /proc/<pid>/status (-1 once it exited).
  pid_t pid() const { return pid_; }
  // Sends `signal` and returns at once (Stop() is SIGTERM and the wait).
  void Signal(int signal);
  // SIGKILL, as a crash or an OOM kill would end it, and waits for it to go.
  void Kill();

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  std::string address_;
  std::string log_path_;
  std::string temp_dir_;
  absl::Duration shutdown_grace_;
  std::unique_ptr<client::Client> client_;
};

// Runs a program with arguments (no shell) to its end, capturing its output
// and stderr separately. `timeout` kills it (DEADLINE_EXCEEDED).
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// `env` adds or replaces environment variables ("NAME=value").
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::vector<std::string>& env = {});

// A program left running in the background (e.g. `incidentctl watch`), its
// standard output and error to files. The destructor kills it if it still
// runs.
class BackgroundProcess {
 public:
  static absl::StatusOr<std::unique_ptr<BackgroundProcess>> Start(
      const std::vector<std::string>& argv,
      const std::vector<std::string>& env = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // What it has written to stdout so far.
  std::string Out() const;
  void Signal(int signal);
  // Waits for it to exit: its exit code and output; DEADLINE_EXCEEDED (and
  // SIGKILL) when it still runs at `timeout`.
  absl::StatusOr<CommandResult> Wait(absl::Duration timeout);

 private:
  BackgroundProcess() = default;
  pid_t pid_ = -1;
  std::string dir_;
};

// Polls `condition` every `interval` until it holds or `timeout` passes;
// returns whether it held. For states the server reaches by itself
// (maintenance transitions, health), where there is nothing to wait on.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration interval = absl::Milliseconds(50));

// A fixture with a fresh database and a running server per test; TearDown
// stops the server, expects it to exit 0 within its grace, and drops the
// database.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Options for the server; override to change them.
  virtual ServerOptions Options() const { return ServerOptions(); }

  client::Client& client() { return server_->client(); }

  testing::MysqlEnv env_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace incidentd::e2e

#endif  // INCIDENTD_TESTS_E2E_SERVER_HARNESS_H_
