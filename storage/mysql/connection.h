// One MySQL session as storage needs it: a Connector/C++ connection set to
// UTC, utf8mb4_bin, strict mode, READ COMMITTED and the configured lock wait
// timeout, with its prepared statements cached for reuse.
#ifndef INCIDENTD_STORAGE_MYSQL_CONNECTION_H_
#define INCIDENTD_STORAGE_MYSQL_CONNECTION_H_

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/mysql/mysql_store.h"

namespace incidentd::storage::mysql {

class Connection {
 public:
  // Connects (within the connect timeout and `deadline`) and sets the
  // session up. UNAVAILABLE when the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const MysqlConfig& config, absl::Time deadline);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Set once a statement failed in a way that leaves the session in doubt;
  // the pool then closes the connection instead of reusing it.
  bool broken() const { return broken_; }
  void MarkBroken() { broken_ = true; }

  // The raw Connector/C++ objects, for Session. These throw: call them only
  // inside CatchSqlErrors. Prepared statements live as long as the
  // connection; the cache is keyed by the SQL text, which is always one of
  // the constant statements of storage/mysql/ (bounded in number).
  sql::PreparedStatement& Prepare(absl::string_view sql_text);
  sql::Connection& raw() { return *conn_; }

 private:
  Connection() = default;

  std::unique_ptr<sql::Connection> conn_;
  // Declared after conn_: statements must be closed before their connection.
  absl::flat_hash_map<std::string, std::unique_ptr<sql::PreparedStatement>>
      statements_;
  bool broken_ = false;
};

// Connector/C++ (over the MySQL client library) wants each thread that uses
// it registered; cheap after the first call on a thread.
void EnsureSqlThreadInit();

}  // namespace incidentd::storage::mysql

#endif  // INCIDENTD_STORAGE_MYSQL_CONNECTION_H_
