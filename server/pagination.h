// List paging for the handlers (AIP-158) on top of domain/page_token.h: the
// page size resolved, the token's cursor decoded for this query, and the
// next token made from the last row returned.
#ifndef INCIDENTD_SERVER_PAGINATION_H_
#define INCIDENTD_SERVER_PAGINATION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/domain/page_token.h"

namespace incidentd {

struct ListPage {
  int size = 0;  // rows to return; fetch size + 1 to learn whether more exist
  // The previous page's last row, as encoded; empty on the first page.
  std::vector<std::string> cursor;
};

// INVALID_ARGUMENT for a negative size, a malformed token, a token of
// another query, or one whose cursor does not have `cursor_fields` fields.
absl::StatusOr<ListPage> StartList(int page_size, std::string_view page_token,
                                   std::string_view query, int default_size,
                                   int max_size, size_t cursor_fields);

// Cursor field codecs. Parse* fail with INVALID_ARGUMENT ("page_token").
std::string CursorInt(int64_t value);
absl::StatusOr<int64_t> ParseCursorInt(std::string_view field);
std::string CursorTime(absl::Time t);
absl::StatusOr<absl::Time> ParseCursorTime(std::string_view field);

// When `rows` holds more than `size` rows, drops the extra one and returns
// the token for the next page, made by `cursor_of(last row kept)`; else "".
template <typename Row, typename CursorOf>
std::string FinishList(std::vector<Row>& rows, int size, std::string_view query,
                       CursorOf cursor_of) {
  if (static_cast<int>(rows.size()) <= size) return "";
  rows.resize(size);
  return domain::EncodePageToken(query, cursor_of(rows.back()));
}

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_PAGINATION_H_
