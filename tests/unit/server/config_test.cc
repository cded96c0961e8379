#include "server/config.h"

#include <map>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace incidentd {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Parses a command line as main does (after the environment).
void ParseArgs(std::vector<std::string> args) {
  args.insert(args.begin(), "incidentd");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  absl::ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

class ConfigTest : public ::testing::Test {
 private:
  absl::FlagSaver saver_;  // every test starts from the defaults
};

TEST_F(ConfigTest, EnvVarForFlag_IsPrefixedAndCapitalised) {
  EXPECT_EQ(EnvVarForFlag("mysql_host"), "INCIDENTD_MYSQL_HOST");
  EXPECT_EQ(EnvVarForFlag("listen"), "INCIDENTD_LISTEN");
  EXPECT_EQ(EnvVarForFlag("maintenance_interval"),
            "INCIDENTD_MAINTENANCE_INTERVAL");
}

TEST_F(ConfigTest, NoEnvNoFlags_GivesTheDefaults) {
  ASSERT_OK(ApplyEnvironment(Env({})));
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ConfigFromFlags());
  EXPECT_EQ(c.listen, "127.0.0.1:50051");
  EXPECT_EQ(c.mysql.host, "127.0.0.1");
  EXPECT_EQ(c.mysql.port, 3306);
  EXPECT_EQ(c.mysql.user, "incidentd");
  EXPECT_EQ(c.mysql.database, "incidentd");
  EXPECT_EQ(c.workers, 8);
  EXPECT_EQ(c.maintenance_interval, absl::Seconds(5));
  EXPECT_EQ(c.health_interval, absl::Seconds(1));
  EXPECT_EQ(c.shutdown_grace, absl::Seconds(10));
  EXPECT_TRUE(c.auto_migrate);
}

TEST_F(ConfigTest, EnvironmentVariables_SetTheirFlags) {
  ASSERT_OK(ApplyEnvironment(Env({
      {"INCIDENTD_LISTEN", "0.0.0.0:7000"},
      {"INCIDENTD_MYSQL_HOST", "db.internal"},
      {"INCIDENTD_MYSQL_PORT", "3307"},
      {"INCIDENTD_MYSQL_USER", "svc"},
      {"INCIDENTD_MYSQL_PASSWORD", "s3cret"},
      {"INCIDENTD_MYSQL_DATABASE", "status"},
      {"INCIDENTD_POOL_SIZE", "3"},
      {"INCIDENTD_QUEUE_CAPACITY", "5"},
      {"INCIDENTD_LOCK_WAIT_TIMEOUT", "2s"},
      {"INCIDENTD_DEFAULT_DEADLINE", "3s"},
      {"INCIDENTD_SHUTDOWN_GRACE", "1s"},
      {"INCIDENTD_MAINTENANCE_INTERVAL", "200ms"},
      {"INCIDENTD_HEALTH_INTERVAL", "100ms"},
      {"INCIDENTD_STARTUP_DB_WAIT", "4s"},
      {"INCIDENTD_AUTO_MIGRATE", "false"},
  })));
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ConfigFromFlags());
  EXPECT_EQ(c.listen, "0.0.0.0:7000");
  EXPECT_EQ(c.mysql.host, "db.internal");
  EXPECT_EQ(c.mysql.port, 3307);
  EXPECT_EQ(c.mysql.user, "svc");
  EXPECT_EQ(c.mysql.password, "s3cret");
  EXPECT_EQ(c.mysql.database, "status");
  EXPECT_EQ(c.workers, 3);
  EXPECT_EQ(c.queue_capacity, 5);
  EXPECT_EQ(c.mysql.lock_wait_timeout, absl::Seconds(2));
  EXPECT_EQ(c.default_deadline, absl::Seconds(3));
  EXPECT_EQ(c.shutdown_grace, absl::Seconds(1));
  EXPECT_EQ(c.maintenance_interval, absl::Milliseconds(200));
  EXPECT_EQ(c.health_interval, absl::Milliseconds(100));
  EXPECT_EQ(c.startup_db_wait, absl::Seconds(4));
  EXPECT_FALSE(c.auto_migrate);
}

TEST_F(ConfigTest, FlagOnCommandLine_WinsOverEnvironment) {
  ASSERT_OK(ApplyEnvironment(Env({{"INCIDENTD_MYSQL_HOST", "from-env"},
                                  {"INCIDENTD_MYSQL_PORT", "3310"}})));
  ParseArgs({"--mysql_host=from-flag"});
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ConfigFromFlags());
  EXPECT_EQ(c.mysql.host, "from-flag");
  EXPECT_EQ(c.mysql.port, 3310);  // no flag: the variable holds
}

TEST_F(ConfigTest, EmptyEnvironmentVariable_IsIgnored) {
  ASSERT_OK(ApplyEnvironment(Env({{"INCIDENTD_MYSQL_HOST", ""}})));
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ConfigFromFlags());
  EXPECT_EQ(c.mysql.host, "127.0.0.1");
}

TEST_F(ConfigTest, UnparsableEnvironmentVariable_IsInvalidArgumentNamingIt) {
  absl::Status s = ApplyEnvironment(Env({{"INCIDENTD_MYSQL_PORT", "many"}}));
  EXPECT_CODE(s, absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("INCIDENTD_MYSQL_PORT"), std::string::npos);
}

TEST_F(ConfigTest, QueueCapacityZero_IsFourPerWorker) {
  ParseArgs({"--pool_size=5", "--queue_capacity=0"});
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ConfigFromFlags());
  EXPECT_EQ(c.queue_capacity, 20);
}

TEST_F(ConfigTest,
       ConnectionPool_HasWorkersPlusProbeTailerDispatcherAndDeliveryWorkers) {
  ParseArgs({"--pool_size=4", "--delivery_workers=3", "--read_cache_bytes=0"});
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ConfigFromFlags());
  EXPECT_EQ(c.workers, 4);
  EXPECT_EQ(c.notify.workers, 3);
  EXPECT_EQ(c.mysql.pool_size, 4 + 2 + 1 + 3);
}

TEST_F(ConfigTest, ConnectionPool_HasOneMoreForTheReadCachesPoller) {
  ParseArgs({"--pool_size=4", "--delivery_workers=3"});
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ConfigFromFlags());
  EXPECT_EQ(c.read_cache_bytes, int64_t{64} << 20);
  EXPECT_EQ(c.mysql.pool_size, 4 + 2 + 1 + 3 + 1);
}

TEST_F(ConfigTest, ReadCacheBytes_Negative_IsInvalid) {
  ParseArgs({"--read_cache_bytes=-1"});
  absl::StatusOr<ServerConfig> c = ConfigFromFlags();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), ::testing::HasSubstr("--read_cache_bytes"));
}

TEST_F(ConfigTest, Notifications_DefaultsMatchTheIssue) {
  ParseArgs({});
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ConfigFromFlags());
  EXPECT_EQ(c.notify.retry.horizon, absl::Hours(24));
  EXPECT_EQ(c.notify.webhook.timeout, absl::Seconds(10));
  EXPECT_EQ(c.notify.reminder_lead, absl::Minutes(60));
  EXPECT_EQ(c.notify.quarantine.failures, 10);
  EXPECT_EQ(c.notify.quarantine.window, absl::Hours(1));
  EXPECT_TRUE(c.notify.webhook.deny_private);
}

TEST_F(ConfigTest, Notifications_BadValues_AreInvalidArgument) {
  for (const char* arg : {"--delivery_workers=-1",
                          "--delivery_lease=15s",  // < two webhook timeouts
                          "--retry_horizon=0s", "--quarantine_failures=0",
                          "--max_subscribers_per_page=0",
                          "--smtp_url=http://relay:25"}) {
    absl::FlagSaver inner;
    ParseArgs({arg});
    EXPECT_CODE(ConfigFromFlags(), absl::StatusCode::kInvalidArgument) << arg;
  }
}

TEST_F(ConfigTest, Describe_NeverShowsTheSmtpPassword) {
  ParseArgs({"--smtp_password=hunter2-secret", "--smtp_user=relay-user"});
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ConfigFromFlags());
  const std::string line = DescribeConfig(c);
  EXPECT_THAT(line, ::testing::HasSubstr("smtp_user=relay-user"));
  EXPECT_THAT(line, ::testing::Not(::testing::HasSubstr("hunter2")));
}

TEST_F(ConfigTest, OutOfRangeValues_AreInvalidArgument) {
  {
    absl::FlagSaver inner;
    ParseArgs({"--mysql_port=0"});
    EXPECT_CODE(ConfigFromFlags(), absl::StatusCode::kInvalidArgument);
  }
  {
    absl::FlagSaver inner;
    ParseArgs({"--pool_size=0"});
    EXPECT_CODE(ConfigFromFlags(), absl::StatusCode::kInvalidArgument);
  }
  {
    absl::FlagSaver inner;
    ParseArgs({"--health_interval=0s"});
    EXPECT_CODE(ConfigFromFlags(), absl::StatusCode::kInvalidArgument);
  }
  {
    absl::FlagSaver inner;
    ParseArgs({"--lock_wait_timeout=500ms"});
    EXPECT_CODE(ConfigFromFlags(), absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(ConfigTest, DescribeConfig_NeverShowsThePassword) {
  ASSERT_OK(
      ApplyEnvironment(Env({{"INCIDENTD_MYSQL_PASSWORD", "hunter2-secret"}})));
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ConfigFromFlags());
  std::string line = DescribeConfig(c);
  EXPECT_EQ(line.find("hunter2-secret"), std::string::npos) << line;
  EXPECT_NE(line.find("127.0.0.1:3306"), std::string::npos) << line;
}

}  // namespace
}  // namespace incidentd
