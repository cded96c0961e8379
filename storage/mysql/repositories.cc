// Helpers shared by the repositories.
#include "storage/mysql/repositories.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace incidentd::storage::mysql {

absl::Status StaleOrMissing(Session& session, absl::string_view what,
                            absl::string_view exists_sql_text,
                            absl::Span<const SqlValue> key) {
  bool exists = false;
  absl::Status status =
      session.Query(absl::StrCat("check ", what), exists_sql_text, key,
                    [&](const SqlRow&) { exists = true; });
  if (!status.ok()) return status;
  if (!exists) return NotFound(what);
  return absl::AbortedError(
      absl::StrCat(what, " was changed concurrently; read it again"));
}

absl::Status InsertRows(Session& session, absl::string_view operation,
                        absl::string_view insert_prefix, int width,
                        absl::Span<const SqlValue> values) {
  const size_t rows = values.size() / width;
  size_t done = 0;
  for (size_t chunk = size_t{1} << 30; chunk > 0; chunk /= 2) {
    if ((rows & chunk) == 0) continue;
    std::string sql(insert_prefix);
    for (size_t r = 0; r < chunk; ++r) {
      sql += r == 0 ? "(" : ", (";
      for (int c = 0; c < width; ++c) sql += c == 0 ? "?" : ", ?";
      sql += ")";
    }
    absl::StatusOr<int64_t> inserted = session.Exec(
        operation, sql, values.subspan(done * width, chunk * width));
    if (!inserted.ok()) return inserted.status();
    done += chunk;
  }
  return absl::OkStatus();
}

absl::Status NotFound(absl::string_view what) {
  return absl::NotFoundError(absl::StrCat(what, " not found"));
}

absl::Status Named(absl::Status status, absl::string_view what) {
  if (status.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(absl::StrCat(what, " already exists"));
  }
  return status;
}

}  // namespace incidentd::storage::mysql
