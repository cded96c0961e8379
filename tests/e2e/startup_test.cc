// Start and stop of the real binary: it refuses a database whose schema it
// does not know, instead of serving (and corrupting) it, and a SIGTERM ends
// it cleanly within its grace.
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/api_helpers.h"
#include "tests/e2e/server_harness.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

constexpr char kFutureMigration[] =
    "INSERT INTO schema_migrations (version, name, applied_at) "
    "VALUES (9999, 'from_a_newer_binary', UTC_TIMESTAMP(6))";

class StartupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testing::GetMysqlEnv();
    ASSERT_OK_AND_ASSIGN(db_, TestDatabase::Create(env_, "e2e_startup"));
  }
  // Lets the binary create its schema, and stops it cleanly.
  void MigrateWithTheBinary() {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server,
                         ServerProcess::Start(env_, db_->name()));
    ASSERT_OK_AND_ASSIGN(int code, server->Stop());
    ASSERT_EQ(code, 0);
  }
  testing::MysqlEnv env_;
  std::unique_ptr<TestDatabase> db_;
};

TEST_F(StartupTest, SchemaNewerThanTheBinary_RefusesToStart) {
  MigrateWithTheBinary();
  ASSERT_OK(db_->Execute(kFutureMigration));
  ASSERT_OK_AND_ASSIGN(
      ProcessResult result,
      ServerProcess::RunUntilExit(env_, db_->name(), ServerOptions(),
                                  absl::Seconds(60)));
  EXPECT_NE(result.exit_code, 0) << result.output;
  // The message names the version it found.
  EXPECT_THAT(result.output, HasSubstr("9999"));
  EXPECT_THAT(result.output, ContainsRegex("[Ss]chema"));
  EXPECT_THAT(result.output, ::testing::Not(HasSubstr("serving on")));
}

TEST_F(StartupTest, SchemaNewerThanTheBinary_RefusedWithoutAutoMigrateToo) {
  MigrateWithTheBinary();
  ASSERT_OK(db_->Execute(kFutureMigration));
  ServerOptions options;
  options.extra_flags = {"--auto_migrate=false"};
  ASSERT_OK_AND_ASSIGN(
      ProcessResult result,
      ServerProcess::RunUntilExit(env_, db_->name(), options,
                                  absl::Seconds(60)));
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("9999"));
}

TEST_F(StartupTest, EmptyDatabaseWithoutAutoMigrate_RefusesToStart) {
  ServerOptions options;
  options.extra_flags = {"--auto_migrate=false"};
  ASSERT_OK_AND_ASSIGN(
      ProcessResult result,
      ServerProcess::RunUntilExit(env_, db_->name(), options,
                                  absl::Seconds(60)));
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, ContainsRegex("[Ss]chema"));
}

TEST_F(StartupTest, Sigterm_WithAClientStillConnected_ExitsZeroWithinTheGrace) {
  ServerOptions options;
  options.shutdown_grace = absl::Seconds(3);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server,
                       ServerProcess::Start(env_, db_->name(), options));
  // A client that keeps its connection open through the shutdown.
  std::unique_ptr<client::Client> connected = server->NewClient();
  ASSERT_OK(CreatePage(*connected, "acme"));
  const absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(int code, server->Stop());
  EXPECT_EQ(code, 0) << server->Log();
  EXPECT_LE(absl::Now() - start, options.shutdown_grace + absl::Seconds(1));
  // And after it, the port is closed.
  v1::GetPageRequest get;
  get.set_name(PageName("acme"));
  EXPECT_CODE(connected->GetPage(get), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace incidentd::e2e
