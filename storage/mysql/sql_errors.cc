#include "storage/mysql/sql_errors.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace incidentd::storage::mysql {
namespace {

// Server and client error numbers (mysqld_error.h, errmsg.h), spelled out
// here so the mapping reads as one table.
constexpr int kDupEntry = 1062;
constexpr int kDupEntryWithKeyName = 1586;
constexpr int kLockWaitTimeout = 1205;
constexpr int kLockDeadlock = 1213;
constexpr int kNoReferencedRow = 1452;
constexpr int kRowIsReferenced = 1451;
constexpr int kTooManyConnections = 1040;
constexpr int kServerShutdown = 1053;
constexpr int kOptionPreventsStatement = 1290;  // e.g. --read-only
constexpr int kReadOnlyMode = 1836;
constexpr int kConnectionKilled = 1927;          // MariaDB
constexpr int kClientInteractionTimeout = 4031;  // MySQL 8
constexpr int kConnectionError = 2002;
constexpr int kConnHostError = 2003;
constexpr int kUnknownHost = 2005;
constexpr int kServerGoneError = 2006;
constexpr int kServerLost = 2013;
constexpr int kServerLostExtended = 2055;

absl::StatusCode CodeFor(int error) {
  switch (error) {
    case kDupEntry:
    case kDupEntryWithKeyName:
      return absl::StatusCode::kAlreadyExists;
    case kLockWaitTimeout:
    case kLockDeadlock:
      return absl::StatusCode::kAborted;
    case kNoReferencedRow:
      return absl::StatusCode::kNotFound;
    case kRowIsReferenced:
      return absl::StatusCode::kFailedPrecondition;
    case kTooManyConnections:
    case kServerShutdown:
    case kOptionPreventsStatement:
    case kReadOnlyMode:
    case kConnectionKilled:
    case kClientInteractionTimeout:
    case kConnectionError:
    case kConnHostError:
    case kUnknownHost:
    case kServerGoneError:
    case kServerLost:
    case kServerLostExtended:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::string_view Describe(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kAlreadyExists:
      return "already exists";
    case absl::StatusCode::kAborted:
      return "conflicted with a concurrent transaction; retry";
    case absl::StatusCode::kNotFound:
      return "a record it refers to does not exist";
    case absl::StatusCode::kFailedPrecondition:
      return "other records still refer to it";
    case absl::StatusCode::kUnavailable:
      return "database unavailable";
    default:
      return "internal database error";
  }
}

}  // namespace

void LogStorage(absl::string_view message) {
  std::string line = absl::StrCat("storage: ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

absl::Status StatusFromSqlException(const sql::SQLException& e,
                                    absl::string_view operation,
                                    absl::string_view sql_text) {
  const int error = e.getErrorCode();
  const absl::StatusCode code = CodeFor(error);
  // Duplicates and missing parents are ordinary answers (an idempotent
  // retry, an unknown page), not faults worth a log line.
  if (code != absl::StatusCode::kAlreadyExists &&
      code != absl::StatusCode::kNotFound) {
    LogStorage(absl::StrFormat("%s: error %d (SQLSTATE %s): %s [%s]", operation,
                               error, e.getSQLStateCStr(), e.what(), sql_text));
  }
  return absl::Status(code, absl::StrCat(operation, ": ", Describe(code)));
}

bool KeepsConnection(const absl::Status& sql_status) {
  switch (sql_status.code()) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
      return true;
    default:
      return false;
  }
}

}  // namespace incidentd::storage::mysql
