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
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM schema_migrations "
                          "WHERE version = 3 AND name = 'subscriptions'")
                .value_or(-1),
            1);
  // The schema is really there.
  EXPECT_OK(db_->QueryInt("SELECT COUNT(*) FROM incidents"));
  EXPECT_OK(db_->QueryInt("SELECT COUNT(*) FROM request_records"));
  EXPECT_OK(db_->QueryInt("SELECT COUNT(*) FROM events WHERE notify = 1"));
  EXPECT_OK(db_->QueryInt(
      "SELECT COUNT(*) FROM incidents WHERE reminded_start IS NULL"));
  EXPECT_OK(db_->QueryInt("SELECT COUNT(*) FROM subscribers"));
  EXPECT_OK(db_->QueryInt("SELECT COUNT(*) FROM deliveries"));
  EXPECT_OK(db_->QueryInt("SELECT COUNT(*) FROM notification_cursors"));
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

// Brings the database to `version` by running the embedded migrations up
// to it statement by statement, as ApplyMigrations would have at the time
// that version was the latest.
absl::Status MigrateTo(TestDatabase& db, int version) {
  absl::Status status = db.Execute(
      "CREATE TABLE schema_migrations (version INT NOT NULL, "
      "name VARCHAR(255) NOT NULL, applied_at DATETIME(6) NOT NULL, "
      "PRIMARY KEY (version)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
      "COLLATE=utf8mb4_bin");
  for (const storage::mysql::Migration& m :
       storage::mysql::EmbeddedMigrations()) {
    if (!status.ok() || m.version > version) break;
    for (const std::string& statement :
         storage::mysql::SplitStatements(m.sql)) {
      status = db.Execute(statement);
      if (!status.ok()) return status;
    }
    status = db.Execute(absl::StrCat("INSERT INTO schema_migrations VALUES (",
                                     m.version, ", '", m.name,
                                     "', '2024-01-01 00:00:00')"));
  }
  return status;
}

// Migration 0003 on a deployment at version 2: pages, incidents and events
// stay as they were; old events notify nobody; each page with events gets a
// notification cursor at its latest event, so that no subscriber is sent
// what happened before subscriptions existed; and a rerun after an
// interruption (DDL done, version not recorded) changes nothing.
TEST_F(MigrationsTest, Migration3_FromVersion2_KeepsDataAndSeedsCursors) {
  ASSERT_OK(MigrateTo(*db_, 2));
  ASSERT_EQ(CurrentSchemaVersion(db_->config()).value_or(-1), 2);
  ASSERT_OK(db_->Execute(
      "INSERT INTO pages (id, display_name, url, time_zone, create_time, "
      "update_time, version) VALUES "
      "('busy', 'Busy', '', 'UTC', '2024-01-01 00:00:00', "
      "'2024-01-01 00:00:00', 1), "
      "('quiet', 'Quiet', '', 'UTC', '2024-01-01 00:00:00', "
      "'2024-01-01 00:00:00', 1)"));
  ASSERT_OK(db_->Execute(
      "INSERT INTO event_sequences (page_id, last_seq, last_time) VALUES "
      "('busy', 7, '2024-01-02 00:00:00'), "
      "('quiet', 0, '1000-01-01 00:00:00')"));
  ASSERT_OK(db_->Execute(
      "INSERT INTO events (page_id, seq, type, create_time, actor, "
      "resource_name, incident_id, component_ids, payload) VALUES "
      "('busy', 6, 32, '2024-01-02 00:00:00', 'a', 'pages/busy', 'i', '', "
      "'six'), "
      "('busy', 7, 34, '2024-01-02 00:00:00', 'a', 'pages/busy', 'i', '', "
      "'seven')"));
  ASSERT_OK(db_->Execute(
      "INSERT INTO incidents (page_id, id, title, kind, status, is_open, "
      "derived_impact, impact_override, sort_time, scheduled_start_time, "
      "manual_transitions, create_time, update_time, version) VALUES "
      "('busy', 'window', 'Upgrade', 2, 5, 1, 1, 0, '2024-01-01 00:00:00', "
      "'2030-01-01 00:00:00', 0, '2024-01-01 00:00:00', "
      "'2024-01-01 00:00:00', 3)"));

  ASSERT_OK(ApplyMigrations(db_->config()));
  EXPECT_OK(CheckSchema(db_->config()));
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM events WHERE page_id = 'busy' "
                          "AND notify = 0")
                .value_or(-1),
            2);
  EXPECT_EQ(db_->QueryInt("SELECT version FROM incidents WHERE id = 'window' "
                          "AND reminded_start IS NULL")
                .value_or(-1),
            3);
  EXPECT_EQ(db_->QueryInt("SELECT last_seq FROM notification_cursors "
                          "WHERE page_id = 'busy'")
                .value_or(-1),
            7);
  EXPECT_EQ(db_->QueryInt("SELECT last_seq FROM notification_cursors "
                          "WHERE page_id = 'quiet'")
                .value_or(-1),
            0);
  EXPECT_EQ(
      db_->QueryInt("SELECT COUNT(*) FROM notification_cursors").value_or(-1),
      2);

  // Interrupted before it was recorded: runs again, keeping what is there.
  ASSERT_OK(db_->Execute(
      "UPDATE notification_cursors SET last_seq = 5 WHERE page_id = 'busy'"));
  ASSERT_OK(db_->Execute("DELETE FROM schema_migrations WHERE version = 3"));
  ASSERT_OK(ApplyMigrations(db_->config()));
  EXPECT_OK(CheckSchema(db_->config()));
  EXPECT_EQ(db_->QueryInt("SELECT last_seq FROM notification_cursors "
                          "WHERE page_id = 'busy'")
                .value_or(-1),
            5);
  EXPECT_EQ(
      db_->QueryInt("SELECT COUNT(*) FROM notification_cursors").value_or(-1),
      2);
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM events").value_or(-1), 2);
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
