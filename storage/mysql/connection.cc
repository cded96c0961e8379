#include "storage/mysql/connection.h"

#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/mysql/sql_errors.h"

namespace incidentd::storage::mysql {
namespace {

sql::mysql::MySQL_Driver* Driver() {
  // The first call initialises the client library, which is not
  // thread-safe; a function-local static makes it happen exactly once.
  static sql::mysql::MySQL_Driver* const driver =
      sql::mysql::get_mysql_driver_instance();
  return driver;
}

// Connector/C++ takes whole seconds; round up, and never 0 (which would
// mean "no timeout").
int WholeSeconds(absl::Duration d) {
  return std::max(1, static_cast<int>(std::ceil(absl::ToDoubleSeconds(d))));
}

// Strict mode: text too long for its column is an error, never silently
// truncated. The rest is MySQL 8's default, which MariaDB accepts too.
constexpr char kSqlMode[] =
    "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,"
    "NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";

}  // namespace

void EnsureSqlThreadInit() {
  struct ThreadRegistration {
    ThreadRegistration() { Driver()->threadInit(); }
    ~ThreadRegistration() { Driver()->threadEnd(); }
  };
  thread_local ThreadRegistration registration;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const MysqlConfig& config, absl::Time deadline) {
  EnsureSqlThreadInit();
  const absl::Duration budget =
      std::min(config.connect_timeout, deadline - absl::Now());
  if (budget <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(
        "deadline passed before connecting to the database");
  }
  sql::ConnectOptionsMap options;
  options["hostName"] = sql::SQLString(config.host);
  options["port"] = config.port;
  options["userName"] = sql::SQLString(config.user);
  options["password"] = sql::SQLString(config.password);
  options["schema"] = sql::SQLString(config.database);
  options["OPT_CONNECT_TIMEOUT"] = WholeSeconds(budget);
  options["OPT_READ_TIMEOUT"] = WholeSeconds(config.read_timeout);
  options["OPT_WRITE_TIMEOUT"] = WholeSeconds(config.write_timeout);
  options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  // A silent reconnect would lose the session settings and, worse, the
  // transaction the caller thinks it is in; the pool replaces connections.
  options["OPT_RECONNECT"] = false;

  std::unique_ptr<Connection> c(new Connection());
  absl::Status status = CatchSqlErrors(
      "connect", "", [&] { c->conn_.reset(Driver()->connect(options)); });
  if (!status.ok()) return status;

  const std::string setup[] = {
      "SET time_zone = '+00:00'",
      "SET NAMES utf8mb4 COLLATE utf8mb4_bin",
      kSqlMode,
      absl::StrCat("SET SESSION innodb_lock_wait_timeout = ",
                   WholeSeconds(config.lock_wait_timeout)),
      "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
  };
  for (const std::string& statement : setup) {
    status = CatchSqlErrors("set up session", statement, [&] {
      std::unique_ptr<sql::Statement> st(c->conn_->createStatement());
      st->execute(statement);
    });
    if (!status.ok()) return status;
  }

  // Check that the settings took: text comparisons and byte-exact round
  // trips depend on them.
  constexpr char kCheck[] =
      "SELECT @@session.time_zone, @@collation_connection, "
      "@@character_set_client, @@character_set_results";
  std::string time_zone, collation, client_charset, results_charset;
  status = CatchSqlErrors("check session", kCheck, [&] {
    std::unique_ptr<sql::Statement> st(c->conn_->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(kCheck));
    if (rs->next()) {
      time_zone = rs->getString(1);
      collation = rs->getString(2);
      client_charset = rs->getString(3);
      results_charset = rs->getString(4);
    }
  });
  if (!status.ok()) return status;
  if (time_zone != "+00:00" || collation != "utf8mb4_bin" ||
      client_charset != "utf8mb4" || results_charset != "utf8mb4") {
    LogStorage(absl::StrCat("session settings did not take: time_zone=",
                            time_zone, " collation_connection=", collation,
                            " character_set_client=", client_charset,
                            " character_set_results=", results_charset));
    return absl::InternalError("database session could not be configured");
  }
  return c;
}

Connection::~Connection() {
  EnsureSqlThreadInit();
  // Statements first (they belong to the connection), then the connection;
  // the destructors close them and do not throw.
  statements_.clear();
  conn_.reset();
}

sql::PreparedStatement& Connection::Prepare(absl::string_view sql_text) {
  auto it =
      statements_.find(absl::string_view(sql_text.data(), sql_text.size()));
  if (it == statements_.end()) {
    std::string text(sql_text);
    std::unique_ptr<sql::PreparedStatement> st(conn_->prepareStatement(text));
    it = statements_.emplace(std::move(text), std::move(st)).first;
  }
  return *it->second;
}

}  // namespace incidentd::storage::mysql
