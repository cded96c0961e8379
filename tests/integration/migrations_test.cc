// Schema migrations against real, initially empty databases.
#include "storage/mysql/migrations.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/mysql/mysql_store.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using storage::ApplyMigrations;
using storage::CheckSchema;
using storage::CurrentSchemaVersion;
using storage::LatestSchemaVersion;

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_,
                         TestDatabase::Create(TestDatabase::Schema::kEmpty));
  }
  std::unique_ptr<TestDatabase> db_;
};

TEST(MigrationsEmbeddedTest,
     LatestSchemaVersion_IsTheNumberOfEmbeddedMigrations) {
  EXPECT_GE(LatestSchemaVersion(), 1);
  EXPECT_EQ(LatestSchemaVersion(),
            static_cast<int>(storage::mysql::EmbeddedMigrations().size()));
}

TEST_F(MigrationsTest, EmptyDatabase_HasVersion0AndFailsTheSchemaCheck) {
  EXPECT_EQ(CurrentSchemaVersion(db_->config()).value_or(-1), 0);
  absl::Status check = CheckSchema(db_->config());
  EXPECT_CODE(check, absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(check.message().find("0"), absl::string_view::npos) << check;
}

TEST_F(MigrationsTest, Apply_FromEmpty_RecordsEveryVersionAndPassesTheCheck) {
  ASSERT_OK(ApplyMigrations(db_->config()));
  EXPECT_EQ(CurrentSchemaVersion(db_->config()).value_or(-1),
            LatestSchemaVersion());
  EXPECT_OK(CheckSchema(db_->config()));
  EXPECT_EQ(
      db_->QueryInt("SELECT COUNT(*) FROM schema_migrations").value_or(-1),
      LatestSchemaVersion());
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM schema_migrations "
                          "WHERE version = 1 AND name = 'initial'")
                .value_or(-1),
            1);
  // The schema is really there.
  EXPECT_OK(db_->QueryInt("SELECT COUNT(*) FROM incidents"));
  EXPECT_OK(db_->QueryInt("SELECT COUNT(*) FROM request_records"));
}

TEST_F(MigrationsTest, Apply_Twice_IsANoOp) {
  ASSERT_OK(ApplyMigrations(db_->config()));
  ASSERT_OK(db_->Execute(
      "INSERT INTO pages (id, display_name, url, time_zone, create_time, "
      "update_time, version) VALUES ('kept', 'Kept', '', 'UTC', "
      "'2024-01-01 00:00:00', '2024-01-01 00:00:00', 1)"));
  ASSERT_OK_AND_ASSIGN(
      int64_t applied_at_before,
      db_->QueryInt("SELECT UNIX_TIMESTAMP(MAX(applied_at)) * 1000000 "
                    "FROM schema_migrations"));
  ASSERT_OK(ApplyMigrations(db_->config()));
  EXPECT_EQ(
      db_->QueryInt("SELECT COUNT(*) FROM schema_migrations").value_or(-1),
      LatestSchemaVersion());
  EXPECT_EQ(db_->QueryInt("SELECT UNIX_TIMESTAMP(MAX(applied_at)) * 1000000 "
                          "FROM schema_migrations")
                .value_or(-1),
            applied_at_before);
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM pages").value_or(-1), 1);
}

TEST_F(MigrationsTest,
       DatabaseNewerThanTheBinary_IsFailedPreconditionNamingBoth) {
  ASSERT_OK(ApplyMigrations(db_->config()));
  const int newer = LatestSchemaVersion() + 1;
  ASSERT_OK(db_->Execute(absl::StrCat(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (",
      newer, ", 'from_the_future', '2030-01-01 00:00:00')")));
  EXPECT_EQ(CurrentSchemaVersion(db_->config()).value_or(-1), newer);
  absl::Status check = CheckSchema(db_->config());
  EXPECT_CODE(check, absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(check.message().find(std::to_string(newer)),
            absl::string_view::npos)
      << check;
  EXPECT_NE(check.message().find(std::to_string(LatestSchemaVersion())),
            absl::string_view::npos)
      << check;
  EXPECT_CODE(ApplyMigrations(db_->config()),
              absl::StatusCode::kFailedPrecondition);
}

TEST_F(MigrationsTest, Apply_FromSeveralReplicasAtOnce_AppliesEachVersionOnce) {
  constexpr int kReplicas = 4;
  std::vector<absl::Status> results(kReplicas);
  std::vector<std::thread> threads;
  for (int n = 0; n < kReplicas; ++n) {
    threads.emplace_back(
        [&, n] { results[n] = ApplyMigrations(db_->config()); });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_OK(s);
  EXPECT_EQ(
      db_->QueryInt("SELECT COUNT(*) FROM schema_migrations").value_or(-1),
      LatestSchemaVersion());
  EXPECT_OK(CheckSchema(db_->config()));
}

TEST_F(MigrationsTest, UnreachableDatabase_IsUnavailable) {
  storage::MysqlConfig config = db_->config();
  config.host = "127.0.0.1";
  config.port = 1;  // nothing listens on tcpmux
  EXPECT_CODE(CurrentSchemaVersion(config), absl::StatusCode::kUnavailable);
  EXPECT_CODE(ApplyMigrations(config), absl::StatusCode::kUnavailable);
  EXPECT_CODE(CheckSchema(config), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace incidentd::testing
