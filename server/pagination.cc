#include "server/pagination.h"

#include "absl/strings/numbers.h"
#include "server/status_macros.h"
#include "server/strings.h"

namespace incidentd {
namespace {

absl::Status BadToken() {
  return absl::InvalidArgumentError("page_token: malformed page token");
}

}  // namespace

absl::StatusOr<ListPage> StartList(int page_size, std::string_view page_token,
                                   std::string_view query, int default_size,
                                   int max_size, size_t cursor_fields) {
  ListPage page;
  ASSIGN_OR_RETURN(page.size,
                   domain::ResolvePageSize(page_size, default_size, max_size));
  ASSIGN_OR_RETURN(page.cursor, domain::DecodePageToken(page_token, query));
  if (!page.cursor.empty() && page.cursor.size() != cursor_fields) {
    return BadToken();
  }
  return page;
}

std::string CursorInt(int64_t value) { return StrCat(value); }

absl::StatusOr<int64_t> ParseCursorInt(std::string_view field) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(ToAbsl(field), &value)) return BadToken();
  return value;
}

std::string CursorTime(absl::Time t) {
  return CursorInt(absl::ToUnixMicros(t));
}

absl::StatusOr<absl::Time> ParseCursorTime(std::string_view field) {
  ASSIGN_OR_RETURN(int64_t micros, ParseCursorInt(field));
  return absl::FromUnixMicros(micros);
}

}  // namespace incidentd
