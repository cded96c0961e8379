// The one boundary between MySQL Connector/C++ exceptions and absl::Status:
// every Connector/C++ call in storage/mysql/ runs inside CatchSqlErrors, and
// StatusFromSqlException decides the status code. Also the storage log hook.
#ifndef INCIDENTD_STORAGE_MYSQL_SQL_ERRORS_H_
#define INCIDENTD_STORAGE_MYSQL_SQL_ERRORS_H_

#include <cppconn/exception.h>

#include <exception>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace incidentd::storage::mysql {

// Writes one line to stderr, prefixed "storage: ". The only place storage
// logs; it will forward to server/logging once that exists.
void LogStorage(absl::string_view message);

// Maps a Connector/C++ error to a status whose code says what the caller
// should do, and whose message names `operation` (e.g. "insert page") but
// never SQL or the server's text; those go to the log instead.
//   1062, 1586                    ALREADY_EXISTS
//   1213 deadlock, 1205 lock wait ABORTED (ReadWrite retries these)
//   1452 missing parent row       NOT_FOUND (e.g. inserting under an unknown
//   page) 1451 row still referenced     FAILED_PRECONDITION lost or refused
//   connections, server shutdown, read-only server, too many connections
//   UNAVAILABLE anything else                 INTERNAL
absl::Status StatusFromSqlException(const sql::SQLException& e,
                                    absl::string_view operation,
                                    absl::string_view sql_text);

// Runs `fn` (which calls Connector/C++) and returns OK, or the mapped status
// of the exception it threw. `sql_text` is only logged.
template <typename Fn>
absl::Status CatchSqlErrors(absl::string_view operation,
                            absl::string_view sql_text, Fn&& fn) {
  try {
    fn();
    return absl::OkStatus();
  } catch (const sql::SQLException& e) {
    return StatusFromSqlException(e, operation, sql_text);
  } catch (const std::exception& e) {
    // Connector/C++ also throws plain std exceptions (bad_alloc,
    // out_of_range from its own containers).
    return StatusFromSqlException(sql::SQLException(e.what(), "", 0), operation,
                                  sql_text);
  }
}

// Whether a status produced by StatusFromSqlException leaves the session in
// a state worth keeping: only the expected, statement-level outcomes do. On
// anything else the connection is closed rather than returned to the pool.
bool KeepsConnection(const absl::Status& sql_status);

}  // namespace incidentd::storage::mysql

#endif  // INCIDENTD_STORAGE_MYSQL_SQL_ERRORS_H_
