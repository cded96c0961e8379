#include "storage/mysql/session.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/mysql/sql_errors.h"
#include "storage/mysql/sql_time.h"

namespace incidentd::storage::mysql {

std::string SqlRow::Str(int column) const {
  return rs_.getString(column).asStdString();
}

int64_t SqlRow::Int(int column) const { return rs_.getInt64(column); }

bool SqlRow::Bool(int column) const { return rs_.getInt64(column) != 0; }

absl::Time SqlRow::Time(int column) const {
  absl::StatusOr<absl::Time> t =
      ParseSqlTime(rs_.getString(column).asStdString());
  if (!t.ok()) {
    if (error_->ok()) *error_ = t.status();
    return absl::Time();
  }
  return *t;
}

bool SqlRow::IsNull(int column) const { return rs_.isNull(column); }

std::optional<absl::Time> SqlRow::OptTime(int column) const {
  if (rs_.isNull(column)) return std::nullopt;
  return Time(column);
}

Session::Session(Connection& connection, absl::Time deadline, bool read_only)
    : connection_(connection), deadline_(deadline), read_only_(read_only) {
  EnsureSqlThreadInit();
}

absl::Status Session::CheckLock(Lock lock) const {
  if (lock == Lock::kForUpdate && read_only_) {
    return absl::FailedPreconditionError(
        "row locks are not allowed in a read-only transaction");
  }
  return absl::OkStatus();
}

std::string_view Session::LockClause(Lock lock) {
  return lock == Lock::kForUpdate ? " FOR UPDATE" : "";
}

absl::Status Session::CheckBeforeStatement(absl::string_view operation,
                                           bool writes) {
  if (!failure_.ok()) return failure_;
  if (writes && read_only_) {
    return absl::FailedPreconditionError(
        absl::StrCat(operation,
                     ": writes are not allowed in a read-only "
                     "transaction"));
  }
  if (absl::Now() >= deadline_) {
    return absl::DeadlineExceededError(
        absl::StrCat(operation, ": deadline passed"));
  }
  return absl::OkStatus();
}

void Session::Note(const absl::Status& sql_status) {
  if (sql_status.ok()) return;
  if (!KeepsConnection(sql_status)) {
    connection_.MarkBroken();
    failure_ = sql_status;
  } else if (sql_status.code() == absl::StatusCode::kAborted) {
    // InnoDB rolled the transaction (or at least the statement) back; with
    // autocommit on, anything run now would commit on its own.
    failure_ = sql_status;
  }
}

absl::Status Session::Run(absl::string_view operation,
                          absl::string_view sql_text,
                          absl::Span<const SqlValue> params, bool writes,
                          absl::FunctionRef<void(sql::PreparedStatement&)> fn) {
  if (absl::Status s = CheckBeforeStatement(operation, writes); !s.ok()) {
    return s;
  }
  // Times are formatted before anything is sent, so that an out-of-range
  // time is INVALID_ARGUMENT rather than a server error.
  std::vector<std::string> times;
  times.reserve(params.size());
  for (const SqlValue& p : params) {
    if (p.kind() != SqlValue::Kind::kTime) continue;
    absl::StatusOr<std::string> text = FormatSqlTime(p.time());
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(operation, ": ", text.status().message()));
    }
    times.push_back(*std::move(text));
  }
  absl::Status status = CatchSqlErrors(operation, sql_text, [&] {
    sql::PreparedStatement& st = connection_.Prepare(sql_text);
    size_t next_time = 0;
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const SqlValue& p = params[i];
      switch (p.kind()) {
        case SqlValue::Kind::kNull:
          st.setNull(index, 0);
          break;
        case SqlValue::Kind::kInt:
          st.setInt64(index, p.int_value());
          break;
        case SqlValue::Kind::kText:
          st.setString(index, sql::SQLString(p.text().data(), p.text().size()));
          break;
        case SqlValue::Kind::kTime:
          st.setString(index, times[next_time++]);
          break;
      }
    }
    fn(st);
  });
  Note(status);
  return status;
}

absl::Status Session::Query(absl::string_view operation,
                            absl::string_view sql_text,
                            absl::Span<const SqlValue> params,
                            absl::FunctionRef<void(const SqlRow&)> on_row) {
  absl::Status row_error;
  absl::Status status =
      Run(operation, sql_text, params, /*writes=*/false,
          [&](sql::PreparedStatement& st) {
            std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
            SqlRow row(*rs, &row_error);
            while (rs->next()) on_row(row);
          });
  if (!status.ok()) return status;
  if (!row_error.ok()) {
    LogStorage(absl::StrCat(operation, ": ", row_error.message()));
    return absl::InternalError(
        absl::StrCat(operation, ": unreadable value in the database"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Session::Exec(absl::string_view operation,
                                      absl::string_view sql_text,
                                      absl::Span<const SqlValue> params) {
  int64_t rows = 0;
  absl::Status status =
      Run(operation, sql_text, params, /*writes=*/true,
          [&](sql::PreparedStatement& st) { rows = st.executeUpdate(); });
  if (!status.ok()) return status;
  return rows;
}

absl::StatusOr<int64_t> Session::InsertReturningId(
    absl::string_view operation, absl::string_view sql_text,
    absl::Span<const SqlValue> params) {
  absl::StatusOr<int64_t> rows = Exec(operation, sql_text, params);
  if (!rows.ok()) return rows.status();
  int64_t id = 0;
  absl::Status status = Query(operation, "SELECT LAST_INSERT_ID()", {},
                              [&](const SqlRow& row) { id = row.Int(1); });
  if (!status.ok()) return status;
  return id;
}

absl::Status Session::ExecDirect(absl::string_view operation,
                                 absl::string_view sql_text) {
  if (absl::Status s = CheckBeforeStatement(operation, /*writes=*/false);
      !s.ok()) {
    return s;
  }
  absl::Status status = CatchSqlErrors(operation, sql_text, [&] {
    std::unique_ptr<sql::Statement> st(connection_.raw().createStatement());
    st->execute(std::string(sql_text));
  });
  Note(status);
  return status;
}

absl::Status Session::Rollback() {
  // Runs whatever the deadline or an earlier failure: it only releases
  // locks. A broken connection is closed instead, which rolls back too.
  if (connection_.broken()) return failure_;
  absl::Status status = CatchSqlErrors("roll back", "ROLLBACK", [&] {
    std::unique_ptr<sql::Statement> st(connection_.raw().createStatement());
    st->execute("ROLLBACK");
  });
  if (!status.ok()) connection_.MarkBroken();
  return status;
}

void AppendInList(absl::Span<const SqlValue> values, std::string* sql_text,
                  std::vector<SqlValue>* params) {
  size_t padded = 1;
  while (padded < values.size()) padded *= 2;
  sql_text->append("(");
  for (size_t i = 0; i < padded; ++i) {
    sql_text->append(i == 0 ? "?" : ", ?");
    params->push_back(values[std::min(i, values.size() - 1)]);
  }
  sql_text->append(")");
}

}  // namespace incidentd::storage::mysql
