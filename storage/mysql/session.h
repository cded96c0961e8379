// Running parameterised SQL on one leased connection: values bound to '?',
// rows read back as domain values, the deadline checked before every
// statement, and a transaction that InnoDB already rolled back (deadlock,
// lost connection) refusing to run anything more.
#ifndef INCIDENTD_STORAGE_MYSQL_SESSION_H_
#define INCIDENTD_STORAGE_MYSQL_SESSION_H_

#include <cppconn/resultset.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "storage/mysql/connection.h"
#include "storage/store.h"

namespace incidentd::storage::mysql {

// A value bound to one '?'. Strings are views: the text must outlive the
// statement call, which a temporary in the call expression does. Only these
// types convert implicitly, so a stray size_t or pointer fails to compile.
class SqlValue {
 public:
  enum class Kind { kNull, kInt, kText, kTime };

  SqlValue(std::nullptr_t) : kind_(Kind::kNull) {}
  SqlValue(int32_t v) : kind_(Kind::kInt), int_(v) {}
  SqlValue(int64_t v) : kind_(Kind::kInt), int_(v) {}
  SqlValue(bool v) : kind_(Kind::kInt), int_(v ? 1 : 0) {}
  SqlValue(std::string_view v) : kind_(Kind::kText), text_(v) {}
  SqlValue(absl::string_view v)
      : kind_(Kind::kText), text_(v.data(), v.size()) {}
  SqlValue(const std::string& v) : kind_(Kind::kText), text_(v) {}
  SqlValue(const char* v) : kind_(Kind::kText), text_(v) {}
  SqlValue(absl::Time v) : kind_(Kind::kTime), time_(v) {}
  // An absent time is NULL.
  SqlValue(const std::optional<absl::Time>& v)
      : kind_(v.has_value() ? Kind::kTime : Kind::kNull),
        time_(v.value_or(absl::Time())) {}
  // Enums are stored as their numeric (API) values.
  template <typename E, std::enable_if_t<std::is_enum_v<E>, int> = 0>
  SqlValue(E v) : kind_(Kind::kInt), int_(static_cast<int64_t>(v)) {}

  Kind kind() const { return kind_; }
  int64_t int_value() const { return int_; }
  std::string_view text() const { return text_; }
  absl::Time time() const { return time_; }

 private:
  Kind kind_;
  int64_t int_ = 0;
  std::string_view text_;
  absl::Time time_;
};

// The current row of a result; columns count from 1, as in SQL. A value
// that cannot be read (a malformed time) is reported by the query that
// produced the row, as INTERNAL.
class SqlRow {
 public:
  SqlRow(sql::ResultSet& rs, absl::Status* error) : rs_(rs), error_(error) {}

  // NULL reads as "" (e.g. components.group_id of an ungrouped component).
  std::string Str(int column) const;
  int64_t Int(int column) const;
  bool Bool(int column) const;
  absl::Time Time(int column) const;
  std::optional<absl::Time> OptTime(int column) const;
  bool IsNull(int column) const;
  template <typename E>
  E Enum(int column) const {
    return static_cast<E>(Int(column));
  }

 private:
  sql::ResultSet& rs_;
  absl::Status* error_;
};

class Session {
 public:
  // `read_only`: writes and row locks are FAILED_PRECONDITION (a
  // programming error), before anything reaches the server.
  Session(Connection& connection, absl::Time deadline, bool read_only);

  // Runs a SELECT and calls `on_row` for each row.
  absl::Status Query(absl::string_view operation, absl::string_view sql_text,
                     absl::Span<const SqlValue> params,
                     absl::FunctionRef<void(const SqlRow&)> on_row);
  // Runs an INSERT, UPDATE or DELETE; returns the rows it changed.
  absl::StatusOr<int64_t> Exec(absl::string_view operation,
                               absl::string_view sql_text,
                               absl::Span<const SqlValue> params);
  // Exec for an INSERT into a table with an AUTO_INCREMENT column; returns
  // the value assigned.
  absl::StatusOr<int64_t> InsertReturningId(absl::string_view operation,
                                            absl::string_view sql_text,
                                            absl::Span<const SqlValue> params);
  // A constant statement with no values, not prepared: transaction control
  // and migration DDL only.
  absl::Status ExecDirect(absl::string_view operation,
                          absl::string_view sql_text);

  // Ends the transaction without its changes. Runs even after the deadline
  // or a failure; the connection is marked broken if it cannot.
  absl::Status Rollback();

  // Closes the connection when the lease ends instead of pooling it, for
  // session state that must not reach its next user.
  void DiscardConnection() { connection_.MarkBroken(); }

  // FAILED_PRECONDITION for kForUpdate in a read-only transaction.
  absl::Status CheckLock(Lock lock) const;
  // " FOR UPDATE" or "", to append to a SELECT.
  static std::string_view LockClause(Lock lock);

  bool read_only() const { return read_only_; }
  absl::Time deadline() const { return deadline_; }
  // Set when a statement failed in a way that ended the transaction on the
  // server (deadlock, lock wait timeout, lost connection); every later
  // statement returns it without running, and the transaction must not
  // commit.
  const absl::Status& failure() const { return failure_; }

 private:
  // Checks failure, deadline and read-only mode, then runs `fn` on the
  // prepared statement with `params` bound, catching Connector/C++ errors.
  absl::Status Run(absl::string_view operation, absl::string_view sql_text,
                   absl::Span<const SqlValue> params, bool writes,
                   absl::FunctionRef<void(sql::PreparedStatement&)> fn);
  absl::Status CheckBeforeStatement(absl::string_view operation, bool writes);
  // Records what a failed statement means for the session.
  void Note(const absl::Status& sql_status);

  Connection& connection_;
  const absl::Time deadline_;
  const bool read_only_;
  absl::Status failure_;
};

// Appends "(?, ?, ...)" for `values` to `sql_text` and the values to
// `params`. The list is padded to a power of two by repeating the last
// value, so that lists of any length share a handful of statement texts (the
// prepared-statement cache is keyed by text). `values` must not be empty.
void AppendInList(absl::Span<const SqlValue> values, std::string* sql_text,
                  std::vector<SqlValue>* params);

}  // namespace incidentd::storage::mysql

#endif  // INCIDENTD_STORAGE_MYSQL_SESSION_H_
