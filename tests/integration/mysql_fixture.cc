#include "tests/integration/mysql_fixture.h"

#include <unistd.h>

#include <atomic>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/mysql/session.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_env.h"

namespace incidentd::testing {

using storage::mysql::Connection;
using storage::mysql::Session;
using storage::mysql::SqlRow;

namespace {

Session AdminSession(Connection& c) {
  return Session(c, absl::InfiniteFuture(), /*read_only=*/false);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(
    Schema schema) {
  const MysqlEnv env = GetMysqlEnv();
  std::unique_ptr<TestDatabase> db(new TestDatabase());
  db->config_.host = env.host;
  db->config_.port = env.port;
  db->config_.user = env.user;
  db->config_.password = env.password;
  db->config_.pool_size = 4;
  db->config_.connect_timeout = absl::Seconds(2);
  db->config_.read_timeout = absl::Seconds(10);
  db->config_.write_timeout = absl::Seconds(10);
  db->config_.lock_wait_timeout = absl::Seconds(2);
  absl::BitGen bitgen;
  db->config_.database =
      absl::StrFormat("incidentd_test_%d_%08x", static_cast<int>(getpid()),
                      absl::Uniform<uint32_t>(bitgen));

  // The admin session starts outside the new database, which does not
  // exist yet.
  storage::MysqlConfig admin = db->config_;
  admin.database = "information_schema";
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      Connection::Open(admin, absl::Now() + absl::Seconds(5));
  if (!connection.ok()) return connection.status();
  db->admin_ = *std::move(connection);
  absl::Status status =
      db->Execute(absl::StrCat("CREATE DATABASE `", db->name(),
                               "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"));
  if (!status.ok()) return status;
  status = db->Execute(absl::StrCat("USE `", db->name(), "`"));
  if (!status.ok()) return status;
  if (schema == Schema::kMigrated) {
    status = storage::ApplyMigrations(db->config_);
    if (!status.ok()) return status;
  }
  return db;
}

TestDatabase::~TestDatabase() {
  absl::Status status = Execute(absl::StrCat("DROP DATABASE `", name(), "`"));
  if (!status.ok()) ADD_FAILURE() << "dropping " << name() << ": " << status;
}

absl::Status TestDatabase::Execute(absl::string_view sql) {
  Session session = AdminSession(*admin_);
  return session.ExecDirect("test statement", sql);
}

absl::StatusOr<int64_t> TestDatabase::QueryInt(absl::string_view sql) {
  Session session = AdminSession(*admin_);
  std::optional<int64_t> value;
  absl::Status status =
      session.Query("test query", sql, {}, [&](const SqlRow& row) {
        if (!value.has_value()) value = row.Int(1);
      });
  if (!status.ok()) return status;
  if (!value.has_value()) return absl::NotFoundError("no row");
  return *value;
}

absl::StatusOr<std::vector<int64_t>> TestDatabase::OtherConnectionIds() {
  Session session = AdminSession(*admin_);
  std::vector<int64_t> ids;
  absl::Status status = session.Query(
      "list connections",
      "SELECT ID FROM information_schema.PROCESSLIST "
      "WHERE DB = ? AND ID <> CONNECTION_ID() ORDER BY ID",
      {name()}, [&](const SqlRow& row) { ids.push_back(row.Int(1)); });
  if (!status.ok()) return status;
  return ids;
}

absl::Status TestDatabase::KillOtherConnections() {
  absl::StatusOr<std::vector<int64_t>> ids = OtherConnectionIds();
  if (!ids.ok()) return ids.status();
  for (int64_t id : *ids) {
    absl::Status status = Execute(absl::StrCat("KILL ", id));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

std::unique_ptr<TestDatabase> MysqlTest::database_;

void MysqlTest::TearDownTestSuite() { database_.reset(); }

void MysqlTest::SetUp() {
  if (database_ == nullptr) {
    ASSERT_OK_AND_ASSIGN(database_,
                         TestDatabase::Create(TestDatabase::Schema::kMigrated));
  }
  store_ = OpenStore(database_->config());
  ASSERT_NE(store_, nullptr);
}

std::unique_ptr<storage::Store> MysqlTest::OpenStore(
    const storage::MysqlConfig& config) {
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::OpenMysqlStore(config);
  EXPECT_OK(store);
  return store.ok() ? *std::move(store) : nullptr;
}

std::string MysqlTest::UniqueId(absl::string_view prefix) {
  static std::atomic<int> next{1};
  return absl::StrCat(prefix, "-", next++);
}

absl::Time MysqlTest::Soon() { return absl::Now() + absl::Seconds(20); }

}  // namespace incidentd::testing
