// Helpers shared by the repositories.
#include "storage/mysql/repositories.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace incidentd::storage::mysql {
namespace {

// A separator that no valid id contains (see EncodeIdList).
constexpr char kIdSeparator = ',';

}  // namespace

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
  return InsertRowsCounted(session, operation, insert_prefix, "", width, values)
      .status();
}

absl::StatusOr<int64_t> InsertRowsCounted(Session& session,
                                          absl::string_view operation,
                                          absl::string_view insert_prefix,
                                          absl::string_view suffix, int width,
                                          absl::Span<const SqlValue> values) {
  const size_t rows = values.size() / width;
  size_t done = 0;
  int64_t changed = 0;
  for (size_t chunk = size_t{1} << 30; chunk > 0; chunk /= 2) {
    if ((rows & chunk) == 0) continue;
    std::string sql(insert_prefix);
    for (size_t r = 0; r < chunk; ++r) {
      sql += r == 0 ? "(" : ", (";
      for (int c = 0; c < width; ++c) sql += c == 0 ? "?" : ", ?";
      sql += ")";
    }
    sql.append(suffix.data(), suffix.size());
    absl::StatusOr<int64_t> inserted = session.Exec(
        operation, sql, values.subspan(done * width, chunk * width));
    if (!inserted.ok()) return inserted.status();
    changed += *inserted;
    done += chunk;
  }
  return changed;
}

absl::StatusOr<std::string> EncodeIdList(absl::string_view operation,
                                         const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    if (id.empty() || id.find(kIdSeparator) != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          operation, ": ids must be non-empty and contain no ','"));
    }
  }
  return absl::StrJoin(ids, std::string(1, kIdSeparator));
}

std::vector<std::string> DecodeIdList(const std::string& encoded) {
  if (encoded.empty()) return {};
  return absl::StrSplit(encoded, kIdSeparator);
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
