// Versioned schema migrations: the public entry points of mysql_store.h
// (LatestSchemaVersion, CurrentSchemaVersion, ApplyMigrations, CheckSchema).
#include "storage/mysql/migrations.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "storage/mysql/connection.h"
#include "storage/mysql/mysql_store.h"
#include "storage/mysql/session.h"
#include "storage/mysql/sql_errors.h"

namespace incidentd::storage {
namespace mysql {
namespace {

// Global to the server, not per database: migrations of several databases
// on one server wait for each other, which costs nothing worth avoiding.
constexpr char kLockName[] = "incidentd_migrations";
constexpr int kLockWaitSeconds = 30;

// DDL on a big table can run for minutes, and GET_LOCK waits up to 30 s:
// the migration connection gets a longer socket read timeout than requests.
constexpr absl::Duration kMigrationReadTimeout = absl::Minutes(30);

// Created outside the numbered migrations: it must exist to record them.
constexpr char kCreateSchemaMigrations[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT NOT NULL,"
    " name VARCHAR(255) NOT NULL,"
    " applied_at DATETIME(6) NOT NULL,"
    " PRIMARY KEY (version)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

absl::StatusOr<std::unique_ptr<Connection>> OpenForMigrations(
    const MysqlConfig& config) {
  MysqlConfig c = config;
  c.read_timeout = std::max(c.read_timeout, kMigrationReadTimeout);
  return Connection::Open(c, absl::Now() + c.connect_timeout);
}

// The highest recorded version; 0 when schema_migrations does not exist.
absl::StatusOr<int> ReadVersion(Session& session) {
  bool table_exists = false;
  absl::Status status = session.Query(
      "read schema version",
      "SELECT 1 FROM information_schema.TABLES "
      "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'schema_migrations'",
      {}, [&](const SqlRow&) { table_exists = true; });
  if (!status.ok()) return status;
  if (!table_exists) return 0;
  int version = 0;
  status = session.Query(
      "read schema version",
      "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {},
      [&](const SqlRow& row) { version = static_cast<int>(row.Int(1)); });
  if (!status.ok()) return status;
  return version;
}

absl::Status NewerThanKnown(int current) {
  return absl::FailedPreconditionError(absl::StrCat(
      "database schema version ", current, " is newer than this binary's ",
      LatestSchemaVersion(), "; run a newer release"));
}

absl::Status Migrate(Session& session) {
  absl::StatusOr<int> current = ReadVersion(session);
  if (!current.ok()) return current.status();
  if (*current > LatestSchemaVersion()) return NewerThanKnown(*current);
  for (const Migration& m : EmbeddedMigrations()) {
    if (m.version <= *current) continue;
    LogStorage(absl::StrCat("applying migration ", m.version, "_", m.name));
    const std::string operation = absl::StrCat("migration ", m.version);
    // DDL commits on its own, so a migration cannot be one transaction; it
    // is recorded after its last statement, and its statements are written
    // to survive being run again after an interruption.
    for (const std::string& statement : SplitStatements(m.sql)) {
      if (absl::Status s = session.ExecDirect(operation, statement); !s.ok()) {
        return s;
      }
    }
    absl::StatusOr<int64_t> recorded = session.Exec(
        operation,
        "INSERT INTO schema_migrations (version, name, applied_at) "
        "VALUES (?, ?, ?)",
        {m.version, m.name, absl::Now()});
    if (!recorded.ok()) return recorded.status();
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> SplitStatements(std::string_view sql) {
  // absl's string functions take absl::string_view, which is not
  // std::string_view in this Abseil build.
  const absl::string_view text(sql.data(), sql.size());
  std::vector<std::string> statements;
  std::string current;
  auto finish = [&] {
    absl::string_view statement = absl::StripAsciiWhitespace(current);
    if (!statement.empty()) statements.emplace_back(statement);
    current.clear();
  };
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(trimmed, "--")) continue;
    if (absl::EndsWith(trimmed, ";")) {
      absl::StrAppend(&current, trimmed.substr(0, trimmed.size() - 1));
      finish();
    } else {
      absl::StrAppend(&current, line, "\n");
    }
  }
  finish();
  return statements;
}

}  // namespace mysql

using mysql::Connection;
using mysql::Session;

int LatestSchemaVersion() {
  absl::Span<const mysql::Migration> all = mysql::EmbeddedMigrations();
  return all.empty() ? 0 : all.back().version;
}

absl::StatusOr<int> CurrentSchemaVersion(const MysqlConfig& config) {
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      mysql::OpenForMigrations(config);
  if (!connection.ok()) return connection.status();
  Session session(**connection, absl::InfiniteFuture(), /*read_only=*/false);
  return mysql::ReadVersion(session);
}

absl::Status ApplyMigrations(const MysqlConfig& config) {
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      mysql::OpenForMigrations(config);
  if (!connection.ok()) return connection.status();
  Session session(**connection, absl::InfiniteFuture(), /*read_only=*/false);

  // Several replicas may start at once: one migrates, the others wait and
  // then find nothing left to do.
  std::optional<int64_t> locked;
  absl::Status status =
      session.Query("take migration lock", "SELECT GET_LOCK(?, ?)",
                    {mysql::kLockName, mysql::kLockWaitSeconds},
                    [&](const mysql::SqlRow& row) {
                      if (!row.IsNull(1)) locked = row.Int(1);
                    });
  if (!status.ok()) return status;
  if (locked != 1) {
    return absl::AbortedError(
        "another process held the migration lock for 30 s; try again");
  }
  status = session.ExecDirect("create schema_migrations",
                              mysql::kCreateSchemaMigrations);
  if (status.ok()) status = mysql::Migrate(session);
  // Also released when the connection closes; releasing explicitly keeps
  // the other replicas from waiting on our disconnect.
  session
      .Query("release migration lock", "SELECT RELEASE_LOCK(?)",
             {mysql::kLockName}, [](const mysql::SqlRow&) {})
      .IgnoreError();
  return status;
}

absl::Status CheckSchema(const MysqlConfig& config) {
  absl::StatusOr<int> current = CurrentSchemaVersion(config);
  if (!current.ok()) return current.status();
  if (*current == LatestSchemaVersion()) return absl::OkStatus();
  if (*current > LatestSchemaVersion()) return mysql::NewerThanKnown(*current);
  return absl::FailedPreconditionError(absl::StrCat(
      "database schema version ", *current, " is older than this binary's ",
      LatestSchemaVersion(), "; apply the migrations"));
}

}  // namespace incidentd::storage
