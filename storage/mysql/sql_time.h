// absl::Time <-> the text of a DATETIME(6) column in UTC
// ("2024-03-01 12:34:56.123456"). Every session runs with time_zone
// '+00:00', so this text is what the server stores and returns.
#ifndef INCIDENTD_STORAGE_MYSQL_SQL_TIME_H_
#define INCIDENTD_STORAGE_MYSQL_SQL_TIME_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace incidentd::storage::mysql {

// The earliest and latest instants a DATETIME(6) holds.
absl::Time MinSqlTime();
absl::Time MaxSqlTime();

// Microsecond precision: anything finer is truncated towards the past.
// INVALID_ARGUMENT outside [MinSqlTime(), MaxSqlTime()].
absl::StatusOr<std::string> FormatSqlTime(absl::Time t);
// Accepts zero to six fractional digits (the server omits a zero fraction).
absl::StatusOr<absl::Time> ParseSqlTime(std::string_view text);

}  // namespace incidentd::storage::mysql

#endif  // INCIDENTD_STORAGE_MYSQL_SQL_TIME_H_
