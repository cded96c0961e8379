#include "storage/mysql/sql_time.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace incidentd::storage::mysql {
namespace {
constexpr char kFormat[] = "%Y-%m-%d %H:%M:%E6S";
constexpr char kParseFormat[] = "%Y-%m-%d %H:%M:%E*S";
}  // namespace

absl::Time MinSqlTime() {
  return absl::FromCivil(absl::CivilSecond(1000, 1, 1, 0, 0, 0),
                         absl::UTCTimeZone());
}

absl::Time MaxSqlTime() {
  return absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59),
                         absl::UTCTimeZone()) +
         absl::Microseconds(999999);
}

absl::StatusOr<std::string> FormatSqlTime(absl::Time t) {
  if (t < MinSqlTime() || t > MaxSqlTime()) {
    return absl::InvalidArgumentError(
        absl::StrCat("time ", absl::FormatTime(t),
                     " is outside the range the database stores"));
  }
  // ToUnixMicros rounds towards the past, so the stored value never lies
  // after the given one, whatever FormatTime does with finer digits.
  return absl::FormatTime(kFormat, absl::FromUnixMicros(absl::ToUnixMicros(t)),
                          absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseSqlTime(std::string_view text) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(kParseFormat,
                       absl::string_view(text.data(), text.size()),
                       absl::UTCTimeZone(), &t, &error)) {
    return absl::InternalError(
        absl::StrCat("unreadable time stored in the database: ", error));
  }
  return t;
}

}  // namespace incidentd::storage::mysql
