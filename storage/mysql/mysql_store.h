// Entry points of the MySQL storage: opening a Store over a connection pool,
// and the versioned schema migrations. Works with MariaDB 10.11 and MySQL 8
// through MySQL Connector/C++ 1.1.
#ifndef INCIDENTD_STORAGE_MYSQL_MYSQL_STORE_H_
#define INCIDENTD_STORAGE_MYSQL_MYSQL_STORE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/store.h"

namespace incidentd::storage {

struct MysqlConfig {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user = "incidentd";
  std::string password;
  std::string database = "incidentd";
  // Connections kept open at most; callers beyond this wait (bounded by
  // their deadline). The server sizes its executor to this.
  int pool_size = 8;
  absl::Duration connect_timeout = absl::Seconds(3);
  // Socket timeouts: a hung server (the Exalate failure) fails the call
  // instead of holding a thread forever.
  absl::Duration read_timeout = absl::Seconds(10);
  absl::Duration write_timeout = absl::Seconds(10);
  // innodb_lock_wait_timeout for every session, whole seconds (>= 1).
  absl::Duration lock_wait_timeout = absl::Seconds(5);
  // Deadlocks and lock wait timeouts retried by ReadWrite.
  int max_transaction_retries = 3;
};

// Opens the pool lazily: the first call connects, so a server can start (and
// report NOT_SERVING) while the database is down. Fails only on a bad config.
absl::StatusOr<std::unique_ptr<Store>> OpenMysqlStore(const MysqlConfig& config);

// The newest schema version this binary knows (the highest migration).
int LatestSchemaVersion();
// The version recorded in the database; 0 for an empty database.
absl::StatusOr<int> CurrentSchemaVersion(const MysqlConfig& config);
// Applies every migration newer than the database's version, in order, each
// recorded in schema_migrations. Safe to run from several replicas at once
// (serialised by a named lock). FAILED_PRECONDITION if the database's schema
// is newer than this binary knows.
absl::Status ApplyMigrations(const MysqlConfig& config);
// OK when the database's schema is exactly LatestSchemaVersion();
// FAILED_PRECONDITION naming both versions otherwise.
absl::Status CheckSchema(const MysqlConfig& config);

}  // namespace incidentd::storage

#endif  // INCIDENTD_STORAGE_MYSQL_MYSQL_STORE_H_
