// Integration-test support: a database of a test's own on the MariaDB that
// `make test` starts (created under a unique name, migrated, dropped), and
// a GoogleTest fixture that gives each suite one such database and a Store.
#ifndef INCIDENTD_TESTS_INTEGRATION_MYSQL_FIXTURE_H_
#define INCIDENTD_TESTS_INTEGRATION_MYSQL_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "storage/mysql/connection.h"
#include "storage/mysql/mysql_store.h"
#include "storage/store.h"

namespace incidentd::testing {

class TestDatabase {
 public:
  enum class Schema { kEmpty, kMigrated };

  // A new database named incidentd_test_<pid>_<random>, with every
  // migration applied unless `schema` is kEmpty.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(Schema schema);
  // Drops the database.
  ~TestDatabase();

  // Points at the new database; pool and timeouts small enough for tests.
  const storage::MysqlConfig& config() const { return config_; }
  const std::string& name() const { return config_.database; }

  // Statements run on an administrative session of the test (not through
  // the Store), in the test database: setting up odd states, checking
  // what was written, killing the Store's connections.
  absl::Status Execute(absl::string_view sql);
  // The first column of the first row, as an integer.
  absl::StatusOr<int64_t> QueryInt(absl::string_view sql);
  // Server ids of every other session using this database (the Store's).
  absl::StatusOr<std::vector<int64_t>> OtherConnectionIds();
  // KILLs them, as an operator or a failover would.
  absl::Status KillOtherConnections();

 private:
  TestDatabase() = default;

  storage::MysqlConfig config_;
  std::unique_ptr<storage::mysql::Connection> admin_;
};

// One database per test suite (created on the first test, dropped after the
// last), a Store over it for each test, and ids that never repeat within
// the process, so tests of a suite stay independent.
class MysqlTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite();
  void SetUp() override;

  TestDatabase& db() { return *database_; }
  storage::Store& store() { return *store_; }
  // A Store over the suite's database with a changed config.
  std::unique_ptr<storage::Store> OpenStore(const storage::MysqlConfig& config);

  // "prefix-N", unique within the process.
  static std::string UniqueId(absl::string_view prefix);
  // A deadline comfortably in the future.
  static absl::Time Soon();

  // Runs `fn` in a read-write transaction and returns its status.
  template <typename Fn>
  absl::Status Write(Fn&& fn) {
    return store().ReadWrite(Soon(), std::forward<Fn>(fn));
  }
  template <typename Fn>
  absl::Status Read(Fn&& fn) {
    return store().ReadOnly(Soon(), std::forward<Fn>(fn));
  }

 private:
  static std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<storage::Store> store_;
};

}  // namespace incidentd::testing

#endif  // INCIDENTD_TESTS_INTEGRATION_MYSQL_FIXTURE_H_
