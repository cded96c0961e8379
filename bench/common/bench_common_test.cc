// What the benchmark programs rely on from bench_common: Result lines the
// runner can parse, percentiles, and child processes pinned, logged and
// stopped as asked.
#include "bench/common/bench_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::bench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string TempDir() {
  std::string templ = "/tmp/bench-common-test-XXXXXX";
  return mkdtemp(templ.data());
}

TEST(ResultTest, ToJsonLine_OmitsAbsentOptionals) {
  Result r;
  r.scenario = "7";
  r.name = "idle RSS";
  r.metric = "rss_mib";
  r.value = 26.5;
  r.unit = "MiB";
  EXPECT_EQ(r.ToJsonLine(),
            R"({"scenario":"7","name":"idle RSS","metric":"rss_mib",)"
            R"("value":26.5,"unit":"MiB"})");
}

TEST(ResultTest, ToJsonLine_CarriesBaselineRatioTargetAndMet) {
  Result r;
  r.scenario = "1";
  r.name = "qps";
  r.metric = "qps";
  r.value = 7000;
  r.unit = "req/s";
  r.baseline = 10000;
  r.baseline_name = "bare";
  r.ratio = 0.7;
  r.target = ">= 0.7 x baseline";
  r.met = true;
  r.notes = "64 in flight";
  EXPECT_EQ(r.ToJsonLine(),
            R"({"scenario":"1","name":"qps","metric":"qps","value":7000,)"
            R"("unit":"req/s","baseline":10000,"baseline_name":"bare",)"
            R"("ratio":0.7,"target":">= 0.7 x baseline","met":true,)"
            R"("notes":"64 in flight"})");
}

TEST(ResultTest, ToJsonLine_EscapesStringsAndStaysOneLine) {
  Result r;
  r.scenario = "micro";
  r.name = "quote \" backslash \\ newline \n tab \t bell \a";
  r.metric = "m";
  r.unit = "u";
  const std::string line = r.ToJsonLine();
  EXPECT_THAT(line, HasSubstr(R"(quote \" backslash \\ newline \n tab \t )"
                              R"(bell \u0007)"));
  EXPECT_THAT(line, Not(HasSubstr("\n")));
}

TEST(ResultTest, ToJsonLine_NonFiniteNumbersAreNull) {
  Result r;
  r.scenario = "1";
  r.name = "n";
  r.metric = "m";
  r.unit = "u";
  r.value = std::numeric_limits<double>::quiet_NaN();
  r.ratio = std::numeric_limits<double>::infinity();
  EXPECT_THAT(r.ToJsonLine(), HasSubstr(R"("value":null)"));
  EXPECT_THAT(r.ToJsonLine(), HasSubstr(R"("ratio":null)"));
}

TEST(HistogramTest, Percentile_IsNearestRank) {
  Histogram h;
  for (int i = 100; i >= 1; --i) h.Add(absl::Microseconds(i));
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.Percentile(50), absl::Microseconds(50));
  EXPECT_EQ(h.Percentile(99), absl::Microseconds(99));
  EXPECT_EQ(h.Percentile(99.5), absl::Microseconds(100));
  EXPECT_EQ(h.Percentile(0), absl::Microseconds(1));
  EXPECT_EQ(h.Percentile(100), absl::Microseconds(100));
  EXPECT_EQ(h.Max(), absl::Microseconds(100));
}

TEST(HistogramTest, Empty_IsZero) {
  Histogram h;
  EXPECT_EQ(h.Percentile(99), absl::ZeroDuration());
  EXPECT_EQ(h.Max(), absl::ZeroDuration());
}

TEST(HistogramTest, Merge_AfterAPercentile_KeepsEverySample) {
  Histogram a;
  a.Add(absl::Milliseconds(5));
  a.Add(absl::Milliseconds(1));
  EXPECT_EQ(a.Percentile(100), absl::Milliseconds(5));  // sorts a
  Histogram b;
  b.Add(absl::Milliseconds(3));
  b.Add(absl::Milliseconds(9));
  a.Merge(b);
  EXPECT_EQ(a.count(), 4u);
  EXPECT_EQ(a.Percentile(50), absl::Milliseconds(3));
  EXPECT_EQ(a.Percentile(100), absl::Milliseconds(9));
}

TEST(ProcessTest, Start_PinsPassesEnvironmentAndLogs) {
  const std::string dir = TempDir();
  const int cpu = AvailableCpus().back();
  ProcessSpec spec;
  spec.argv = {"sh", "-c",
               "grep Cpus_allowed_list /proc/self/status; echo \"$BENCH_X\"; "
               "echo STD''ERR >&2"};  // quoted: the log's header repeats argv
  spec.env = {"BENCH_X=from-the-spec"};
  spec.cpus = {cpu};
  spec.log_file = dir + "/child.log";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Process> p, Process::Start(spec));
  // Stop() would end it at once; a process that has exited (a zombie) has
  // no RSS, so that tells when it is done.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (p->RssBytes().ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(p->Stop(absl::Seconds(10)), 0);
  const std::string log = ReadFile(spec.log_file);
  EXPECT_THAT(log, HasSubstr(absl::StrCat("Cpus_allowed_list:\t", cpu, "\n")));
  EXPECT_THAT(log, HasSubstr("from-the-spec"));
  EXPECT_THAT(log, HasSubstr("\nSTDERR\n"));
  std::filesystem::remove_all(dir);
}

TEST(ProcessTest, Stop_Running_SendsSigtermAndGivesItsExit) {
  ProcessSpec spec;
  spec.argv = {"sleep", "60"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Process> p, Process::Start(spec));
  ASSERT_OK_AND_ASSIGN(int64_t rss, p->RssBytes());
  EXPECT_GT(rss, 0);
  EXPECT_EQ(p->Stop(absl::Seconds(10)), 128 + SIGTERM);
}

TEST(ProcessTest, Stop_IgnoringSigterm_IsKilledAfterTheGrace) {
  ProcessSpec spec;
  // exec keeps the ignored disposition: sleep ignores SIGTERM too.
  // The word printed is not in argv, which the log's header repeats.
  spec.argv = {"sh", "-c", "trap '' TERM; echo TRAP''SET; exec sleep 60"};
  const std::string dir = TempDir();
  spec.log_file = dir + "/child.log";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Process> p, Process::Start(spec));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (ReadFile(spec.log_file).find("TRAPSET") == std::string::npos &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(p->Stop(absl::Milliseconds(300)), 128 + SIGKILL);
  std::filesystem::remove_all(dir);
}

TEST(ProcessTest, Start_MissingProgram_IsAnError) {
  ProcessSpec spec;
  spec.argv = {"/nonexistent/bench-program"};
  EXPECT_FALSE(Process::Start(spec).ok());
}

TEST(ProcessTest, Running_UntilItExitsOrIsStopped) {
  ProcessSpec spec;
  spec.argv = {"sleep", "60"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Process> sleeping, Process::Start(spec));
  EXPECT_TRUE(sleeping->Running());
  sleeping->Stop(absl::Seconds(10));
  EXPECT_FALSE(sleeping->Running());

  // Exited but not reaped: a zombie, which kill(pid, 0) would still find.
  spec.argv = {"true"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Process> done, Process::Start(spec));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (done->Running() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_FALSE(done->Running());
}

// A socket listening on a free loopback port, closed with the object.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        listen(fd_, 4) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~Listener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(WaitListeningTest, PortAccepting_IsOkAtOnce) {
  Listener listener;
  ASSERT_GT(listener.port(), 0);
  ProcessSpec spec;
  spec.argv = {"sleep", "60"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Process> p, Process::Start(spec));
  const absl::Time start = absl::Now();
  EXPECT_OK(WaitListening(listener.port(), *p, start + absl::Seconds(10)));
  // No Health/Check-style deadline to wait out: one connect.
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

TEST(WaitListeningTest, ProcessExitedFirst_IsUnavailable) {
  ASSERT_OK_AND_ASSIGN(int port, FreePort());
  ProcessSpec spec;
  spec.argv = {"true"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Process> p, Process::Start(spec));
  absl::Status s = WaitListening(port, *p, absl::Now() + absl::Seconds(30));
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
}

TEST(WaitListeningTest, NothingListening_TimesOut) {
  ASSERT_OK_AND_ASSIGN(int port, FreePort());
  ProcessSpec spec;
  spec.argv = {"sleep", "60"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Process> p, Process::Start(spec));
  absl::Status s =
      WaitListening(port, *p, absl::Now() + absl::Milliseconds(100));
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
}

TEST(FreePortTest, GivesABindablePort) {
  ASSERT_OK_AND_ASSIGN(int port, FreePort());
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
}

TEST(WaitServingTest, NothingListening_TimesOut) {
  ASSERT_OK_AND_ASSIGN(int port, FreePort());
  absl::StatusOr<absl::Duration> waited =
      WaitServing(absl::StrCat("127.0.0.1:", port), absl::Now(),
                  absl::Milliseconds(300));
  EXPECT_TRUE(absl::IsDeadlineExceeded(waited.status())) << waited.status();
}

class BenchEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    out_ = dir_ + "/out";
    setenv("INCIDENTD_BENCH_SERVER", "/bin/true", 1);
    setenv("INCIDENTD_MYSQL_HOST", "127.0.0.1", 1);
    setenv("INCIDENTD_MYSQL_PORT", "3306", 1);
    setenv("INCIDENTD_MYSQL_USER", "incidentd", 1);
    setenv("INCIDENTD_MYSQL_PASSWORD", "", 1);
    setenv("INCIDENTD_BENCH_OUT", out_.c_str(), 1);
    setenv("INCIDENTD_BENCH_QUICK", "0", 1);
    setenv("INCIDENTD_BENCH_SERVER_CPUS", "2-3", 1);
    setenv("INCIDENTD_BENCH_LOAD_CPUS", "0,1", 1);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::string out_;
};

TEST_F(BenchEnvTest, ReadsEverySetting) {
  ASSERT_OK_AND_ASSIGN(BenchEnv env, BenchEnvFromEnvironment());
  EXPECT_EQ(env.incidentd_binary, "/bin/true");
  EXPECT_EQ(env.mysql_port, 3306);
  EXPECT_EQ(env.mysql_password, "");
  EXPECT_FALSE(env.quick);
  EXPECT_EQ(env.server_cpus, (std::vector<int>{2, 3}));
  EXPECT_EQ(env.load_cpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(env.out_dir, out_);
  std::ifstream exists(out_);
  EXPECT_TRUE(exists.good()) << "the out dir is created";
}

TEST_F(BenchEnvTest, Missing_NamesEveryMissingVariable) {
  unsetenv("INCIDENTD_BENCH_SERVER");
  unsetenv("INCIDENTD_MYSQL_PASSWORD");
  absl::StatusOr<BenchEnv> env = BenchEnvFromEnvironment();
  EXPECT_TRUE(absl::IsInvalidArgument(env.status()));
  EXPECT_THAT(env.status().message(), HasSubstr("INCIDENTD_BENCH_SERVER"));
  EXPECT_THAT(env.status().message(), HasSubstr("INCIDENTD_MYSQL_PASSWORD"));
}

TEST_F(BenchEnvTest, EmptyCpuLists_MeanNotPinned) {
  setenv("INCIDENTD_BENCH_SERVER_CPUS", "", 1);
  unsetenv("INCIDENTD_BENCH_LOAD_CPUS");
  ASSERT_OK_AND_ASSIGN(BenchEnv env, BenchEnvFromEnvironment());
  EXPECT_TRUE(env.server_cpus.empty());
  EXPECT_TRUE(env.load_cpus.empty());
}

TEST_F(BenchEnvTest, BadCpuList_IsInvalidArgument) {
  setenv("INCIDENTD_BENCH_LOAD_CPUS", "1-0", 1);
  EXPECT_TRUE(absl::IsInvalidArgument(BenchEnvFromEnvironment().status()));
}

}  // namespace
}  // namespace incidentd::bench
