// What every benchmark program shares: the results they print, the
// processes they start (pinned to CPUs), and the statistics they compute.
//
// A scenario program prints one JSON object per line on stdout for each
// figure (Result::ToJsonLine); scripts/bench.sh collects the lines of every
// program into bench/out/results.json and renders bench/out/results.md.
// Anything else a program prints goes to stderr.
#ifndef INCIDENTD_BENCH_COMMON_BENCH_COMMON_H_
#define INCIDENTD_BENCH_COMMON_BENCH_COMMON_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace incidentd::bench {

// One figure of one scenario, with its same-run baseline where it has one.
struct Result {
  std::string scenario;  // "1" .. "7", or "micro"
  std::string name;      // e.g. "GetPageStatus QPS at saturation"
  std::string metric;    // e.g. "qps", "p99_us", "mib", "seconds"
  double value = 0;
  std::string unit;      // e.g. "req/s", "us", "MiB", "s"
  std::optional<double> baseline;  // the same figure for the baseline
  std::string baseline_name;       // e.g. "bare callback server"
  // value / baseline, or for "lower is better" figures whatever the target
  // compares (documented in `target`); absent without a baseline.
  std::optional<double> ratio;
  std::string target;        // e.g. ">= 0.7 x baseline", "< 200 us added"
  std::optional<bool> met;   // whether the target is met; absent if none
  std::string notes;         // concurrency, sizes, pinning...
  // {"scenario":..., "name":..., ...} on one line; absent optionals omitted.
  std::string ToJsonLine() const;
};

// Prints the result's JSON line on stdout and flushes.
void Emit(const Result& result);

// Latency samples and their percentiles.
class Histogram {
 public:
  void Add(absl::Duration d);
  void Merge(const Histogram& other);
  size_t count() const { return samples_.size(); }
  // p in [0, 100]; nearest-rank. Zero when empty.
  absl::Duration Percentile(double p) const;
  absl::Duration Max() const;

 private:
  mutable std::vector<int64_t> samples_;  // nanoseconds
  mutable bool sorted_ = true;
};

// The CPUs this process may run on (sched_getaffinity), e.g. {0, 1}.
std::vector<int> AvailableCpus();
// Pins the calling thread's process (all threads started later inherit it)
// to `cpus`; OK and a no-op when `cpus` is empty.
absl::Status PinSelf(const std::vector<int>& cpus);

// A child process: started with argv and extra environment, pinned to
// `cpus` (empty: not pinned), its output to `log_file`.
struct ProcessSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "NAME=value", added to the environment
  std::vector<int> cpus;
  std::string log_file;
};
class Process {
 public:
  static absl::StatusOr<std::unique_ptr<Process>> Start(const ProcessSpec& spec);
  ~Process();  // SIGKILLs it if still running
  pid_t pid() const { return pid_; }
  // SIGTERM, then waits up to `grace`, then SIGKILL; the exit status.
  int Stop(absl::Duration grace = absl::Seconds(10));
  // Resident set size now, from /proc/<pid>/status (VmRSS), in bytes.
  absl::StatusOr<int64_t> RssBytes() const;
  // Whether it still runs: false once it has exited (a zombie not yet
  // reaped included, which kill(pid, 0) would still find) or was stopped.
  bool Running() const;

 private:
  pid_t pid_ = -1;
};

// Waits until 127.0.0.1:`port` accepts a TCP connection, trying every
// millisecond; UNAVAILABLE as soon as `process` is no longer running,
// DEADLINE_EXCEEDED at `deadline`. Wait for this before WaitServing: a
// Health/Check sent before the server listens waits out its whole deadline
// (100 ms) even when the server comes up meanwhile, a floor under every
// start-up measured.
absl::Status WaitListening(int port, const Process& process,
                           absl::Time deadline);

// Polls grpc.health.v1.Health/Check on `address` until SERVING or
// `timeout`; returns how long it took from `since`. Each check waits up to
// 100 ms for a connection: call WaitListening first for a process just
// started.
absl::StatusOr<absl::Duration> WaitServing(const std::string& address,
                                           absl::Time since,
                                           absl::Duration timeout);

// A free TCP port on 127.0.0.1.
absl::StatusOr<int> FreePort();

// The environment the runner passes to every scenario program.
struct BenchEnv {
  std::string incidentd_binary;  // INCIDENTD_BENCH_SERVER
  std::string mysql_host;        // INCIDENTD_MYSQL_HOST etc.
  int mysql_port = 0;
  std::string mysql_user;
  std::string mysql_password;
  std::string out_dir;           // INCIDENTD_BENCH_OUT: logs go here
  bool quick = true;             // INCIDENTD_BENCH_QUICK=1 (default) or 0
  // CPUs for servers and for load generators (INCIDENTD_BENCH_SERVER_CPUS,
  // INCIDENTD_BENCH_LOAD_CPUS, e.g. "1" and "0"); empty: not pinned.
  std::vector<int> server_cpus;
  std::vector<int> load_cpus;
};
// From the environment; INVALID_ARGUMENT naming what is missing.
absl::StatusOr<BenchEnv> BenchEnvFromEnvironment();

// Creates (or recreates, empty) database `name` on the bench MariaDB.
absl::Status RecreateDatabase(const BenchEnv& env, const std::string& name);

// Starts incidentd against database `database` (migrating it at start-up),
// listening on a free port, pinned to env.server_cpus, with `extra_flags`;
// waits until it listens (WaitListening), then until SERVING. `address` is
// filled in.
struct ServerHandle {
  std::unique_ptr<Process> process;
  std::string address;          // 127.0.0.1:port
  absl::Duration startup;       // spawn to SERVING
};
absl::StatusOr<ServerHandle> StartIncidentd(
    const BenchEnv& env, const std::string& database,
    const std::vector<std::string>& extra_flags);

}  // namespace incidentd::bench

#endif  // INCIDENTD_BENCH_COMMON_BENCH_COMMON_H_
