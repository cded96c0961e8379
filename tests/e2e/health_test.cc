// Health tells the truth about the database, and calls fail fast while it is
// gone: the server runs against a MariaDB of this test's own (scripts/db.sh
// in a temporary folder), which the test stops and starts again under it.
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/e2e/api_helpers.h"
#include "tests/e2e/server_harness.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

using Serving = grpc::health::v1::HealthCheckResponse;

// A private MariaDB in a temporary folder, stopped and removed at the end.
class OwnDatabase {
 public:
  OwnDatabase() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "incidentd-db-XXXXXX")
            .string();
    dir_ = mkdtemp(templ.data()) == nullptr ? "" : templ;
  }
  ~OwnDatabase() {
    if (dir_.empty()) return;
    (void)Run("stop");
    std::filesystem::remove_all(dir_);
  }

  // `db.sh start|stop DIR`; start returns the port.
  absl::StatusOr<int> Start() {
    absl::StatusOr<CommandResult> result = Run("start");
    if (!result.ok()) return result.status();
    if (result->exit_code != 0) {
      return absl::InternalError(absl::StrCat("db.sh start: ", result->err));
    }
    std::vector<std::string> lines =
        absl::StrSplit(absl::StripAsciiWhitespace(result->out), '\n');
    int port = 0;
    if (lines.empty() || !absl::SimpleAtoi(lines.back(), &port)) {
      return absl::InternalError(
          absl::StrCat("db.sh start printed no port: ", result->out));
    }
    return port;
  }
  absl::Status Stop() {
    absl::StatusOr<CommandResult> result = Run("stop");
    if (!result.ok()) return result.status();
    if (result->exit_code != 0) {
      return absl::InternalError(absl::StrCat("db.sh stop: ", result->err));
    }
    return absl::OkStatus();
  }

  testing::MysqlEnv Env(int port) const {
    testing::MysqlEnv env;
    env.host = "127.0.0.1";
    env.port = port;
    env.user = "incidentd";
    std::ifstream in(dir_ + "/password");
    std::getline(in, env.password);
    return env;
  }

 private:
  absl::StatusOr<CommandResult> Run(const std::string& command) {
    // Durability does not matter for a throwaway database.
    return RunCommand({"/bin/bash", ScriptsDir() + "/db.sh", command, dir_},
                      absl::Minutes(2), {"INCIDENTD_DB_FAST=1"});
  }
  std::string dir_;
};

bool HealthIs(client::Client& client, Serving::ServingStatus want) {
  absl::StatusOr<client::HealthStatus> status = client.CheckHealth();
  return status.ok() && *status == want;
}

TEST(HealthTest, DatabaseStopsAndReturns_HealthFollowsWithoutRestart) {
  OwnDatabase database;
  ASSERT_OK_AND_ASSIGN(int port, database.Start());
  const testing::MysqlEnv env = database.Env(port);

  ServerOptions options;
  options.health_interval = absl::Milliseconds(200);
  options.extra_flags = {"--connect_timeout=1s", "--read_timeout=2s",
                         "--write_timeout=2s"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server,
                       ServerProcess::Start(env, "incidentd", options));
  std::unique_ptr<client::Client> probe =
      server->NewClient(absl::Seconds(1));
  ASSERT_TRUE(HealthIs(*probe, Serving::SERVING));
  ASSERT_OK(CreatePage(server->client(), "acme"));

  ASSERT_OK(database.Stop());
  EXPECT_TRUE(WaitFor([&] { return HealthIs(*probe, Serving::NOT_SERVING); },
                      absl::Seconds(10)))
      << "health did not turn NOT_SERVING; server log:\n"
      << server->Log();

  // While the database is gone, a call fails within its deadline instead of
  // hanging, with a code that says "retry later".
  constexpr absl::Duration kDeadline = absl::Seconds(3);
  std::unique_ptr<client::Client> caller = server->NewClient(kDeadline);
  for (int i = 0; i < 3; ++i) {
    v1::GetPageRequest get;
    get.set_name(PageName("acme"));
    const absl::Time start = absl::Now();
    absl::StatusOr<v1::Page> page = caller->GetPage(get);
    const absl::Duration took = absl::Now() - start;
    EXPECT_TRUE(absl::IsUnavailable(page.status()) ||
                absl::IsDeadlineExceeded(page.status()))
        << page.status();
    EXPECT_LT(took, kDeadline + absl::Milliseconds(500));
  }
  EXPECT_TRUE(server->running()) << "the server must survive its database";

  ASSERT_OK_AND_ASSIGN(int port_again, database.Start());
  ASSERT_EQ(port_again, port);
  EXPECT_TRUE(WaitFor([&] { return HealthIs(*probe, Serving::SERVING); },
                      absl::Seconds(20)))
      << "health did not return to SERVING; server log:\n"
      << server->Log();
  // And the data is served again, by the same process.
  v1::GetPageRequest get;
  get.set_name(PageName("acme"));
  absl::StatusOr<v1::Page> page;
  EXPECT_TRUE(WaitFor(
      [&] {
        page = server->client().GetPage(get);
        return page.ok();
      },
      absl::Seconds(10)))
      << page.status();

  ASSERT_OK_AND_ASSIGN(int exit_code, server->Stop());
  EXPECT_EQ(exit_code, 0);
}

}  // namespace
}  // namespace incidentd::e2e
