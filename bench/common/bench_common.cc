#include "bench/common/bench_common.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/statement.h>
#include <grpcpp/grpcpp.h>
#include <mysql_driver.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "client/health.grpc.pb.h"

extern char** environ;

namespace incidentd::bench {
namespace {

// --- JSON ------------------------------------------------------------------

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

// JSON has no NaN or infinity: a figure that could not be computed is null.
std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  // Integral values print without a fraction; others with enough digits to
  // keep microsecond latencies and ratios exact in practice.
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return absl::StrFormat("%.0f", v);
  }
  return absl::StrFormat("%.6g", v);
}

// --- processes -------------------------------------------------------------

// Our environment with `overrides` (NAME=value) replacing variables of the
// same name. Built before fork: the child may only make async-signal-safe
// calls.
std::vector<std::string> ChildEnvironment(
    const std::vector<std::string>& overrides) {
  auto name_of = [](const std::string& entry) {
    return entry.substr(0, entry.find('='));
  };
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    const std::string name = name_of(entry);
    bool replaced = std::any_of(
        overrides.begin(), overrides.end(),
        [&](const std::string& o) { return name_of(o) == name; });
    if (!replaced) out.push_back(std::move(entry));
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

// argv[0] as a path: as given when it holds a '/', else looked up in PATH.
absl::StatusOr<std::string> ResolveProgram(const std::string& program) {
  if (program.empty()) return absl::InvalidArgumentError("empty argv");
  if (program.find('/') != std::string::npos) {
    if (access(program.c_str(), X_OK) != 0) {
      return absl::NotFoundError(
          absl::StrCat(program, " is not an executable file"));
    }
    return program;
  }
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path == nullptr ? "/usr/bin:/bin" : path, ':')) {
    std::string candidate = absl::StrCat(dir, "/", program);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(absl::StrCat(program, " is not in PATH"));
}

void FillCpuSet(const std::vector<int>& cpus, cpu_set_t* set) {
  CPU_ZERO(set);
  for (int cpu : cpus) CPU_SET(cpu, set);
}

// waitpid without blocking; the wait status, or nullopt while it runs.
std::optional<int> TryReap(pid_t pid) {
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r == 0) return std::nullopt;
    if (errno == EINTR) continue;
    return 0;  // not our child any more (ECHILD): nothing to wait for
  }
}

// The shell's convention: the exit code, or 128 + the signal that ended it.
int ExitCode(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

std::string ReadTail(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

// --- health ----------------------------------------------------------------

// Polls Health/Check until SERVING; `alive`, when given, is asked between
// polls so a server that died is reported at once instead of at `timeout`.
absl::StatusOr<absl::Duration> PollServing(
    const std::string& address, absl::Time since, absl::Duration timeout,
    const std::function<bool()>& alive) {
  grpc::ChannelArguments args;
  // gRPC backs off for a second after a refused connection; a server that
  // is still starting refuses, and that backoff would be measured as
  // start-up time. Retry every few milliseconds instead. (The "min" backoff
  // is the connect timeout's floor, not the retry's: left at its default
  // so that a busy machine's slow handshake is not cut short.)
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 5);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 20);
  // Our own subchannel: never shares a connection with a load generator.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), args);
  std::unique_ptr<grpc::health::v1::Health::Stub> stub =
      grpc::health::v1::Health::NewStub(channel);

  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "no answer";
  while (absl::Now() < deadline) {
    if (alive && !alive()) {
      return absl::UnavailableError(
          absl::StrCat("the server at ", address, " exited before SERVING"));
    }
    grpc::ClientContext context;
    // Waits for the connection (within a short deadline) rather than
    // failing at once while the server does not listen yet.
    context.set_wait_for_ready(true);
    context.set_deadline(absl::ToChronoTime(
        std::min(deadline, absl::Now() + absl::Milliseconds(100))));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    if (status.ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::Now() - since;
    }
    last = status.ok()
               ? grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                     response.status())
               : absl::StrCat("gRPC code ", status.error_code(), ": ",
                              status.error_message());
    // NOT_SERVING (or an error) answers at once: a short pause keeps the
    // poll from taking the server's CPU while it prepares its database.
    absl::SleepFor(absl::Milliseconds(2));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(address, " not SERVING after ",
                   absl::FormatDuration(timeout), " (last: ", last, ")"));
}

absl::StatusOr<std::vector<int>> ParseCpuList(const std::string& var,
                                              const std::string& text) {
  // "0", "0,1", "0-3", "0-1,4": what taskset -c takes.
  std::vector<int> cpus;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    part = absl::StripAsciiWhitespace(part);
    std::vector<absl::string_view> range = absl::StrSplit(part, '-');
    int first = 0;
    int last = 0;
    bool ok = range.size() == 1
                  ? absl::SimpleAtoi(range[0], &first) && (last = first, true)
                  : range.size() == 2 && absl::SimpleAtoi(range[0], &first) &&
                        absl::SimpleAtoi(range[1], &last);
    if (!ok || first < 0 || last < first || last >= CPU_SETSIZE) {
      return absl::InvalidArgumentError(
          absl::StrCat(var, ": not a CPU list: \"", text, "\""));
    }
    for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

bool ValidDatabaseName(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '_';
         });
}

}  // namespace

// --- Result ----------------------------------------------------------------

std::string Result::ToJsonLine() const {
  std::vector<std::string> fields = {
      absl::StrCat("\"scenario\":", JsonString(scenario)),
      absl::StrCat("\"name\":", JsonString(name)),
      absl::StrCat("\"metric\":", JsonString(metric)),
      absl::StrCat("\"value\":", JsonNumber(value)),
      absl::StrCat("\"unit\":", JsonString(unit)),
  };
  if (baseline.has_value()) {
    fields.push_back(absl::StrCat("\"baseline\":", JsonNumber(*baseline)));
  }
  if (!baseline_name.empty()) {
    fields.push_back(
        absl::StrCat("\"baseline_name\":", JsonString(baseline_name)));
  }
  if (ratio.has_value()) {
    fields.push_back(absl::StrCat("\"ratio\":", JsonNumber(*ratio)));
  }
  if (!target.empty()) {
    fields.push_back(absl::StrCat("\"target\":", JsonString(target)));
  }
  if (met.has_value()) {
    fields.push_back(absl::StrCat("\"met\":", *met ? "true" : "false"));
  }
  if (!notes.empty()) {
    fields.push_back(absl::StrCat("\"notes\":", JsonString(notes)));
  }
  return absl::StrCat("{", absl::StrJoin(fields, ","), "}");
}

void Emit(const Result& result) {
  // Programs emit from several threads at times; a line must stay whole.
  static absl::Mutex* const mu = new absl::Mutex;
  const std::string line = result.ToJsonLine() + "\n";
  absl::MutexLock lock(mu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

// --- Histogram -------------------------------------------------------------

void Histogram::Add(absl::Duration d) {
  samples_.push_back(absl::ToInt64Nanoseconds(d));
  sorted_ = false;
}

void Histogram::Merge(const Histogram& other) {
  if (other.samples_.empty()) return;
  samples_.insert(samples_.end(), other.samples_.begin(),
                  other.samples_.end());
  sorted_ = false;
}

absl::Duration Histogram::Percentile(double p) const {
  if (samples_.empty()) return absl::ZeroDuration();
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank: the smallest sample with at least p% of samples <= it.
  const size_t n = samples_.size();
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * n));
  rank = std::clamp<size_t>(rank, 1, n);
  return absl::Nanoseconds(samples_[rank - 1]);
}

absl::Duration Histogram::Max() const {
  if (samples_.empty()) return absl::ZeroDuration();
  return absl::Nanoseconds(*std::max_element(samples_.begin(), samples_.end()));
}

// --- CPUs ------------------------------------------------------------------

std::vector<int> AvailableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

absl::Status PinSelf(const std::vector<int>& cpus) {
  if (cpus.empty()) return absl::OkStatus();
  cpu_set_t set;
  FillCpuSet(cpus, &set);
  // sched_setaffinity acts on one thread; threads that already run (gRPC's
  // and Abseil's may) are pinned one by one through /proc/self/task, and
  // threads started later inherit the calling thread's mask.
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task", error)) {
    int tid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &tid)) continue;
    // A thread may have ended since the listing: ESRCH is fine.
    if (sched_setaffinity(tid, sizeof(set), &set) != 0 && errno != ESRCH) {
      return absl::InternalError(absl::StrCat(
          "sched_setaffinity(", tid, "): ", std::strerror(errno)));
    }
  }
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot pin to CPUs ", absl::StrJoin(cpus, ","), ": ",
                     std::strerror(errno)));
  }
  return absl::OkStatus();
}

// --- Process ---------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Process>> Process::Start(
    const ProcessSpec& spec) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("empty argv");
  absl::StatusOr<std::string> program = ResolveProgram(spec.argv[0]);
  if (!program.ok()) return program.status();
  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env = ChildEnvironment(spec.env);
  std::vector<char*> c_argv = CStrings(argv);
  std::vector<char*> c_env = CStrings(env);
  cpu_set_t set;
  FillCpuSet(spec.cpus, &set);
  const bool pin = !spec.cpus.empty();

  const std::string log = spec.log_file.empty() ? "/dev/null" : spec.log_file;
  // Appends: a program that starts the same server several times keeps
  // every start's log in one file.
  int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                    0644);
  if (log_fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot open ", log, ": ", std::strerror(errno)));
  }
  if (!spec.log_file.empty()) {
    const std::string header =
        absl::StrCat("=== ", absl::FormatTime(absl::Now()), " started: ",
                     absl::StrJoin(spec.argv, " "), "\n");
    (void)!write(log_fd, header.data(), header.size());
  }
  // The child reports a failed exec (errno) through this pipe; a successful
  // exec closes it (O_CLOEXEC) and the parent reads nothing.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    close(log_fd);
    return absl::InternalError("pipe2 failed");
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    close(report[0]);
    close(report[1]);
    return absl::InternalError(
        absl::StrCat("fork failed: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    close(report[0]);
    // A benchmark that crashes must not leave servers behind. (The signal
    // comes when the forking THREAD ends: start servers from a thread that
    // outlives them, e.g. main.)
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // Our own process group, so a Ctrl-C at the terminal reaches the
    // benchmark program, which then stops its servers in order.
    setpgid(0, 0);
    // The runner's signal mask and dispositions are not the server's.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    int err = 0;
    if (pin && sched_setaffinity(0, sizeof(set), &set) != 0) err = errno;
    if (err == 0) {
      int null_fd = open("/dev/null", O_RDONLY);
      dup2(null_fd, 0);
      dup2(log_fd, 1);
      dup2(log_fd, 2);
      execve(program->c_str(), c_argv.data(), c_env.data());
      err = errno;
    }
    (void)!write(report[1], &err, sizeof(err));
    _exit(127);
  }
  close(log_fd);
  close(report[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    int status = 0;
    waitpid(pid, &status, 0);
    return absl::InternalError(absl::StrCat("cannot start ", *program, ": ",
                                            std::strerror(child_errno)));
  }
  std::unique_ptr<Process> process(new Process());
  process->pid_ = pid;
  return process;
}

Process::~Process() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

int Process::Stop(absl::Duration grace) {
  if (pid_ <= 0) return -1;
  const pid_t pid = pid_;
  pid_ = -1;
  if (std::optional<int> done = TryReap(pid)) return ExitCode(*done);
  kill(pid, SIGTERM);
  const absl::Time deadline = absl::Now() + grace;
  while (absl::Now() < deadline) {
    if (std::optional<int> done = TryReap(pid)) return ExitCode(*done);
    absl::SleepFor(absl::Milliseconds(5));
  }
  kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return ExitCode(status);
}

absl::StatusOr<int64_t> Process::RssBytes() const {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  const std::string path = absl::StrCat("/proc/", pid_, "/status");
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    int64_t kib = 0;
    if (absl::ConsumeSuffix(&rest, "kB") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &kib)) {
      return kib * 1024;
    }
    return absl::InternalError(absl::StrCat("cannot parse ", path, ": ", line));
  }
  // A zombie has no VmRSS line.
  return absl::UnavailableError(
      absl::StrCat("no VmRSS for process ", pid_, " (has it exited?)"));
}

bool Process::Running() const {
  if (pid_ <= 0) return false;
  // kill(pid, 0) succeeds for a zombie; /proc/<pid>/stat's state field
  // (after the parenthesised name, which may hold spaces) tells.
  std::ifstream stat(absl::StrCat("/proc/", pid_, "/stat"));
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  if (line.empty() || paren == std::string::npos) return false;
  return !(paren + 2 < line.size() && line[paren + 2] == 'Z');
}

// --- servers ---------------------------------------------------------------

absl::Status WaitListening(int port, const Process& process,
                           absl::Time deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  for (;;) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return absl::InternalError("socket() failed");
    const bool accepted =
        connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) ==
        0;
    close(fd);
    if (accepted) return absl::OkStatus();
    if (!process.Running()) {
      return absl::UnavailableError(absl::StrCat(
          "process ", process.pid(), " exited before listening on port ",
          port));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("nothing listening on port ", port));
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
}

absl::StatusOr<absl::Duration> WaitServing(const std::string& address,
                                           absl::Time since,
                                           absl::Duration timeout) {
  return PollServing(address, since, timeout, nullptr);
}

absl::StatusOr<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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
  return static_cast<int>(ntohs(addr.sin_port));
}

absl::StatusOr<BenchEnv> BenchEnvFromEnvironment() {
  std::vector<std::string> missing;
  auto required = [&](const char* name) -> std::string {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
      missing.push_back(name);
      return "";
    }
    return v;
  };
  auto optional = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v == nullptr ? "" : v;
  };
  BenchEnv env;
  env.incidentd_binary = required("INCIDENTD_BENCH_SERVER");
  env.mysql_host = required("INCIDENTD_MYSQL_HOST");
  const std::string port = required("INCIDENTD_MYSQL_PORT");
  env.mysql_user = required("INCIDENTD_MYSQL_USER");
  // An empty password is a valid one; only an unset variable is missing.
  if (const char* pw = std::getenv("INCIDENTD_MYSQL_PASSWORD")) {
    env.mysql_password = pw;
  } else {
    missing.push_back("INCIDENTD_MYSQL_PASSWORD");
  }
  env.out_dir = required("INCIDENTD_BENCH_OUT");
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not set: ", absl::StrJoin(missing, ", "),
        " (scripts/bench.sh sets them; see bench/README.md)"));
  }
  if (!absl::SimpleAtoi(port, &env.mysql_port) || env.mysql_port < 1 ||
      env.mysql_port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("INCIDENTD_MYSQL_PORT: not a port: \"", port, "\""));
  }
  if (access(env.incidentd_binary.c_str(), X_OK) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("INCIDENTD_BENCH_SERVER: ", env.incidentd_binary,
                     " is not an executable file"));
  }
  const std::string quick = optional("INCIDENTD_BENCH_QUICK");
  if (quick.empty() || quick == "1") {
    env.quick = true;
  } else if (quick == "0") {
    env.quick = false;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "INCIDENTD_BENCH_QUICK: 1 or 0, not \"", quick, "\""));
  }
  absl::StatusOr<std::vector<int>> server_cpus = ParseCpuList(
      "INCIDENTD_BENCH_SERVER_CPUS", optional("INCIDENTD_BENCH_SERVER_CPUS"));
  if (!server_cpus.ok()) return server_cpus.status();
  env.server_cpus = *std::move(server_cpus);
  absl::StatusOr<std::vector<int>> load_cpus = ParseCpuList(
      "INCIDENTD_BENCH_LOAD_CPUS", optional("INCIDENTD_BENCH_LOAD_CPUS"));
  if (!load_cpus.ok()) return load_cpus.status();
  env.load_cpus = *std::move(load_cpus);
  std::error_code error;
  std::filesystem::create_directories(env.out_dir, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "INCIDENTD_BENCH_OUT: cannot create ", env.out_dir, ": ",
        error.message()));
  }
  return env;
}

absl::Status RecreateDatabase(const BenchEnv& env, const std::string& name) {
  // The name goes into SQL unquoted by the server: only safe characters.
  if (!ValidDatabaseName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "database name \"", name, "\": use letters, digits and _ (<= 64)"));
  }
  try {
    sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
    sql::ConnectOptionsMap options;
    options["hostName"] = sql::SQLString(env.mysql_host);
    options["port"] = env.mysql_port;
    options["userName"] = sql::SQLString(env.mysql_user);
    options["password"] = sql::SQLString(env.mysql_password);
    options["OPT_CONNECT_TIMEOUT"] = 10;
    std::unique_ptr<sql::Connection> connection(driver->connect(options));
    std::unique_ptr<sql::Statement> statement(connection->createStatement());
    statement->execute(absl::StrCat("DROP DATABASE IF EXISTS `", name, "`"));
    statement->execute(absl::StrCat(
        "CREATE DATABASE `", name,
        "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"));
  } catch (const sql::SQLException& e) {
    return absl::UnavailableError(absl::StrCat(
        "recreating database ", name, ": MySQL error ", e.getErrorCode(),
        ": ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerHandle> StartIncidentd(
    const BenchEnv& env, const std::string& database,
    const std::vector<std::string>& extra_flags) {
  absl::Status last_error;
  // A port found free now may be taken before the server binds it; a server
  // that exits at once is retried on another port, a slow one is not.
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<int> port = FreePort();
    if (!port.ok()) return port.status();
    ServerHandle handle;
    handle.address = absl::StrCat("127.0.0.1:", *port);
    // One log per server: replicas on one database must not interleave.
    const std::string log_file = absl::StrCat(
        env.out_dir, "/incidentd-", database, "-", *port, ".log");
    ProcessSpec spec;
    spec.argv = {
        env.incidentd_binary,
        absl::StrCat("--listen=", handle.address),
        absl::StrCat("--mysql_host=", env.mysql_host),
        absl::StrCat("--mysql_port=", env.mysql_port),
        absl::StrCat("--mysql_user=", env.mysql_user),
        absl::StrCat("--mysql_database=", database),
    };
    spec.argv.insert(spec.argv.end(), extra_flags.begin(), extra_flags.end());
    // The password by environment, as in production (argv is public).
    spec.env = {absl::StrCat("INCIDENTD_MYSQL_PASSWORD=", env.mysql_password)};
    spec.cpus = env.server_cpus;
    spec.log_file = log_file;
    const absl::Time spawned = absl::Now();
    absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(spec);
    if (!process.ok()) return process.status();
    handle.process = *std::move(process);
    const Process& server = *handle.process;
    const absl::Time give_up = spawned + absl::Seconds(60);
    absl::Status listening = WaitListening(*port, server, give_up);
    absl::StatusOr<absl::Duration> startup =
        listening.ok()
            ? PollServing(handle.address, spawned, give_up - absl::Now(),
                          [&server] { return server.Running(); })
            : absl::StatusOr<absl::Duration>(listening);
    if (startup.ok()) {
      handle.startup = *startup;
      return handle;
    }
    const bool exited = !server.Running();
    const int code = handle.process->Stop(absl::Seconds(2));
    last_error = absl::UnavailableError(absl::StrCat(
        "incidentd on ", handle.address, " for database ", database, ": ",
        startup.status().message(), exited ? absl::StrCat(" (exit ", code, ")")
                                           : std::string(),
        "; the end of ", log_file, ":\n", ReadTail(log_file, 3000)));
    if (!exited) break;
  }
  return last_error;
}

}  // namespace incidentd::bench
