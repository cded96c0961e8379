#include "tests/e2e/server_harness.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace incidentd::e2e {
namespace {

// Runs `fn` on an admin connection to `env`'s server (no default database
// unless `database` is given). Connector/C++ exceptions end here.
absl::Status WithConnection(
    const testing::MysqlEnv& env, const std::string& database,
    const std::function<void(sql::Connection&)>& fn) {
  try {
    sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
    std::unique_ptr<sql::Connection> connection(driver->connect(
        absl::StrCat("tcp://", env.host, ":", env.port), env.user,
        env.password));
    if (!database.empty()) connection->setSchema(database);
    fn(*connection);
    return absl::OkStatus();
  } catch (const sql::SQLException& e) {
    return absl::InternalError(
        absl::StrCat("MySQL error ", e.getErrorCode(), ": ", e.what()));
  }
}

std::string MakeTempDir(absl::string_view prefix) {
  std::string templ = absl::StrCat(
      std::filesystem::temp_directory_path().string(), "/", prefix, "XXXXXX");
  char* dir = mkdtemp(templ.data());
  return dir == nullptr ? "" : std::string(dir);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Whether something accepts TCP connections on 127.0.0.1:`port`. Probing
// this before any gRPC call keeps gRPC's reconnect backoff (1s, 1.6s, ...)
// out of start-up: a channel that met a refused connection waits before
// it tries again.
bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

absl::StatusOr<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return absl::InternalError("cannot find a free port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// The environment for a child: ours, with `overrides` (NAME=value) replacing
// variables of the same name. Built before fork, since the child may only
// make async-signal-safe calls.
std::vector<std::string> ChildEnvironment(
    const std::vector<std::string>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const std::string& o : overrides) {
      if (o.substr(0, o.find('=')) == name) replaced = true;
    }
    if (!replaced) out.push_back(entry);
  }
  out.insert(out.end(), overrides.begin(), overrides.end());
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// fork + exec with stdout and stderr to the given files; the child dies
// with the test process.
absl::StatusOr<pid_t> Spawn(std::vector<std::string> argv,
                            std::vector<std::string> env,
                            const std::string& out_path,
                            const std::string& err_path) {
  std::vector<char*> c_argv = CStrings(argv);
  std::vector<char*> c_env = CStrings(env);
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = out_path == err_path
                   ? out_fd
                   : open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out_fd < 0 || err_fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create ", out_path));
  }
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execve(c_argv[0], c_argv.data(), c_env.data());
    _exit(127);
  }
  close(out_fd);
  if (err_fd != out_fd) close(err_fd);
  return pid;
}

// Waits for `pid` until `timeout`; the exit code (-1 for a signal), or
// nullopt if it still runs.
std::optional<int> WaitExit(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (r < 0 && errno != EINTR) return -1;
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

std::vector<std::string> ServerArgv(const testing::MysqlEnv& env,
                                    const std::string& database,
                                    const std::string& address,
                                    const ServerOptions& options) {
  std::vector<std::string> argv = {
      IncidentdBinary(),
      absl::StrCat("--listen=", address),
      absl::StrCat("--mysql_host=", env.host),
      absl::StrCat("--mysql_port=", env.port),
      absl::StrCat("--mysql_user=", env.user),
      absl::StrCat("--mysql_database=", database),
      absl::StrCat("--maintenance_interval=",
                   absl::FormatDuration(options.maintenance_interval)),
      absl::StrCat("--health_interval=",
                   absl::FormatDuration(options.health_interval)),
      absl::StrCat("--shutdown_grace=",
                   absl::FormatDuration(options.shutdown_grace)),
  };
  argv.insert(argv.end(), options.extra_flags.begin(),
              options.extra_flags.end());
  return argv;
}

std::vector<std::string> ServerEnvironment(const testing::MysqlEnv& env) {
  // The password goes by environment, not argv, as it would in production.
  return ChildEnvironment(
      {absl::StrCat("INCIDENTD_MYSQL_PASSWORD=", env.password)});
}

std::string Tail(const std::string& text, size_t bytes = 4000) {
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

}  // namespace

std::string IncidentdBinary() { return INCIDENTD_BINARY; }
std::string IncidentctlBinary() { return INCIDENTCTL_BINARY; }
std::string DemoDir() { return INCIDENTD_DEMO_DIR; }
std::string ScriptsDir() { return INCIDENTD_SCRIPTS_DIR; }

// --- TestDatabase ---------------------------------------------------------

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(
    const testing::MysqlEnv& env, absl::string_view prefix) {
  absl::BitGen gen;
  std::string name = absl::StrFormat("%s_%d_%08x", prefix, getpid(),
                                     absl::Uniform<uint32_t>(gen));
  absl::Status status = WithConnection(env, "", [&](sql::Connection& c) {
    std::unique_ptr<sql::Statement> statement(c.createStatement());
    statement->execute(absl::StrCat("CREATE DATABASE `", name,
                                    "` CHARACTER SET utf8mb4 COLLATE "
                                    "utf8mb4_bin"));
  });
  if (!status.ok()) return status;
  return std::unique_ptr<TestDatabase>(new TestDatabase(env, name));
}

TestDatabase::~TestDatabase() {
  absl::Status status = WithConnection(env_, "", [&](sql::Connection& c) {
    std::unique_ptr<sql::Statement> statement(c.createStatement());
    statement->execute(absl::StrCat("DROP DATABASE IF EXISTS `", name_, "`"));
  });
  if (!status.ok()) {
    fprintf(stderr, "e2e: could not drop database %s: %s\n", name_.c_str(),
            std::string(status.message()).c_str());
  }
}

absl::Status TestDatabase::Execute(absl::string_view sql) {
  return WithConnection(env_, name_, [&](sql::Connection& c) {
    std::unique_ptr<sql::Statement> statement(c.createStatement());
    statement->execute(std::string(sql));
  });
}

absl::StatusOr<int64_t> TestDatabase::QueryInt(absl::string_view sql) {
  int64_t value = 0;
  bool found = false;
  absl::Status status = WithConnection(env_, name_, [&](sql::Connection& c) {
    std::unique_ptr<sql::Statement> statement(c.createStatement());
    std::unique_ptr<sql::ResultSet> rows(
        statement->executeQuery(std::string(sql)));
    if (rows->next()) {
      value = rows->getInt64(1);
      found = true;
    }
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError(absl::StrCat("no row: ", sql));
  return value;
}

absl::StatusOr<std::string> TestDatabase::Fingerprint() {
  std::vector<std::string> parts;
  absl::Status status = WithConnection(env_, name_, [&](sql::Connection& c) {
    std::unique_ptr<sql::Statement> statement(c.createStatement());
    std::vector<std::string> tables;
    {
      std::unique_ptr<sql::ResultSet> rows(statement->executeQuery(
          absl::StrCat("SELECT table_name FROM information_schema.tables "
                       "WHERE table_schema = '",
                       name_, "' ORDER BY table_name")));
      while (rows->next()) tables.push_back(rows->getString(1));
    }
    for (const std::string& table : tables) {
      std::unique_ptr<sql::ResultSet> rows(statement->executeQuery(
          absl::StrCat("CHECKSUM TABLE `", table, "` EXTENDED")));
      if (rows->next()) {
        parts.push_back(absl::StrCat(table, "=", std::string(rows->getString(2))));
      }
    }
  });
  if (!status.ok()) return status;
  return absl::StrJoin(parts, ";");
}

// --- ServerProcess --------------------------------------------------------

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const testing::MysqlEnv& env, const std::string& database,
    const ServerOptions& options) {
  absl::Status last_error;
  // A free port found now may be taken before the server binds it: try a
  // few times.
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<int> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    std::unique_ptr<ServerProcess> server(new ServerProcess());
    server->temp_dir_ = MakeTempDir("incidentd-e2e-");
    server->log_path_ = server->temp_dir_ + "/incidentd.log";
    server->address_ = absl::StrCat("127.0.0.1:", *port);
    server->shutdown_grace_ = options.shutdown_grace;
    absl::StatusOr<pid_t> pid =
        Spawn(ServerArgv(env, database, server->address_, options),
              ServerEnvironment(env), server->log_path_, server->log_path_);
    if (!pid.ok()) return pid.status();
    server->pid_ = *pid;
    client::ClientOptions client_options;
    client_options.target = server->address_;
    server->client_ = std::make_unique<client::Client>(client_options);

    const absl::Time deadline = absl::Now() + options.ready_timeout;
    bool exited = false;
    while (absl::Now() < deadline && !Accepts(*port)) {
      if (!server->running()) {
        exited = true;
        break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    std::unique_ptr<client::Client> probe =
        server->NewClient(absl::Milliseconds(500));
    while (!exited && absl::Now() < deadline) {
      if (!server->running()) {
        exited = true;
        break;
      }
      absl::StatusOr<client::HealthStatus> health = probe->CheckHealth();
      if (health.ok() &&
          *health == grpc::health::v1::HealthCheckResponse::SERVING) {
        return server;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    last_error = absl::UnavailableError(absl::StrCat(
        "incidentd ", exited ? "exited" : "did not become SERVING",
        " (attempt ", attempt + 1, "); its log:\n", Tail(server->Log())));
    if (!exited) break;  // a slow start is not a port race: do not retry
  }
  return last_error;
}

absl::StatusOr<ProcessResult> ServerProcess::RunUntilExit(
    const testing::MysqlEnv& env, const std::string& database,
    const ServerOptions& options, absl::Duration timeout) {
  absl::StatusOr<int> port = FreeLoopbackPort();
  if (!port.ok()) return port.status();
  const std::string dir = MakeTempDir("incidentd-e2e-");
  const std::string log = dir + "/incidentd.log";
  absl::StatusOr<pid_t> pid =
      Spawn(ServerArgv(env, database, absl::StrCat("127.0.0.1:", *port),
                       options),
            ServerEnvironment(env), log, log);
  if (!pid.ok()) return pid.status();
  std::optional<int> code = WaitExit(*pid, timeout);
  ProcessResult result;
  result.output = ReadFile(log);
  std::filesystem::remove_all(dir);
  if (!code.has_value()) {
    kill(*pid, SIGKILL);
    WaitExit(*pid, absl::Seconds(5));
    return absl::DeadlineExceededError(absl::StrCat(
        "incidentd still runs after ", absl::FormatDuration(timeout),
        "; its log:\n", Tail(result.output)));
  }
  result.exit_code = *code;
  return result;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    WaitExit(pid_, absl::Seconds(5));
  }
  if (!temp_dir_.empty()) std::filesystem::remove_all(temp_dir_);
}

std::unique_ptr<client::Client> ServerProcess::NewClient(
    absl::Duration timeout) const {
  client::ClientOptions options;
  options.target = address_;
  options.timeout = timeout;
  return std::make_unique<client::Client>(options);
}

absl::StatusOr<int> ServerProcess::Stop() {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  // Our own connection goes first, as a draining load balancer's would: the
  // server's shutdown waits (up to its grace) for open connections to close.
  client_.reset();
  kill(pid_, SIGTERM);
  // The grace bounds the server's own shutdown; allow a little for the
  // process to wind down after it.
  std::optional<int> code =
      WaitExit(pid_, shutdown_grace_ + absl::Seconds(2));
  if (!code.has_value()) {
    kill(pid_, SIGKILL);
    WaitExit(pid_, absl::Seconds(5));
    pid_ = -1;
    return absl::DeadlineExceededError(
        absl::StrCat("incidentd did not exit within ",
                     absl::FormatDuration(shutdown_grace_), " of SIGTERM"));
  }
  pid_ = -1;
  return *code;
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  std::optional<int> code = WaitExit(pid_, absl::ZeroDuration());
  if (code.has_value()) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string ServerProcess::Log() const { return ReadFile(log_path_); }

void ServerProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  WaitExit(pid_, absl::Seconds(5));
  pid_ = -1;
}

// --- BackgroundProcess ----------------------------------------------------

absl::StatusOr<std::unique_ptr<BackgroundProcess>> BackgroundProcess::Start(
    const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::unique_ptr<BackgroundProcess> process(new BackgroundProcess());
  process->dir_ = MakeTempDir("incidentd-bg-");
  absl::StatusOr<pid_t> pid = Spawn(argv, ChildEnvironment(env),
                                    process->dir_ + "/out",
                                    process->dir_ + "/err");
  if (!pid.ok()) return pid.status();
  process->pid_ = *pid;
  return process;
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    WaitExit(pid_, absl::Seconds(5));
  }
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

std::string BackgroundProcess::Out() const { return ReadFile(dir_ + "/out"); }

void BackgroundProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

absl::StatusOr<CommandResult> BackgroundProcess::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  std::optional<int> code = WaitExit(pid_, timeout);
  CommandResult result;
  if (!code.has_value()) {
    kill(pid_, SIGKILL);
    WaitExit(pid_, absl::Seconds(5));
  }
  pid_ = -1;
  result.out = ReadFile(dir_ + "/out");
  result.err = ReadFile(dir_ + "/err");
  if (!code.has_value()) {
    return absl::DeadlineExceededError(
        absl::StrCat("still running after ", absl::FormatDuration(timeout),
                     "; stderr:\n", result.err));
  }
  result.exit_code = *code;
  return result;
}

// --- helpers --------------------------------------------------------------

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::vector<std::string>& env) {
  const std::string dir = MakeTempDir("incidentd-cmd-");
  const std::string out = dir + "/out";
  const std::string err = dir + "/err";
  absl::StatusOr<pid_t> pid = Spawn(argv, ChildEnvironment(env), out, err);
  if (!pid.ok()) return pid.status();
  std::optional<int> code = WaitExit(*pid, timeout);
  CommandResult result;
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  std::filesystem::remove_all(dir);
  if (!code.has_value()) {
    kill(*pid, SIGKILL);
    WaitExit(*pid, absl::Seconds(5));
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], " did not finish; stderr:\n", result.err));
  }
  result.exit_code = *code;
  return result;
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration interval) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(interval);
  }
}

// --- ServerTest -----------------------------------------------------------

void ServerTest::SetUp() {
  env_ = testing::GetMysqlEnv();
  absl::StatusOr<std::unique_ptr<TestDatabase>> db =
      TestDatabase::Create(env_, "e2e");
  ASSERT_TRUE(db.ok()) << db.status();
  db_ = *std::move(db);
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(env_, db_->name(), Options());
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
}

void ServerTest::TearDown() {
  if (server_ != nullptr) {
    absl::StatusOr<int> code = server_->Stop();
    EXPECT_TRUE(code.ok()) << code.status() << "\n" << Tail(server_->Log());
    if (code.ok()) {
      EXPECT_EQ(*code, 0) << "incidentd exited with " << *code
                          << " after SIGTERM; its log:\n"
                          << Tail(server_->Log());
    }
    server_.reset();
  }
  db_.reset();
}

}  // namespace incidentd::e2e
