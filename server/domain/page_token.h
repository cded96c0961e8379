// Opaque page tokens (AIP-158). A token carries the cursor of the last row
// returned and a fingerprint of the query it belongs to, so that a token
// replayed with a different query, or tampered with, is INVALID_ARGUMENT.
#ifndef INCIDENTD_SERVER_DOMAIN_PAGE_TOKEN_H_
#define INCIDENTD_SERVER_DOMAIN_PAGE_TOKEN_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace incidentd::domain {

// `query` is any canonical string describing the list query except its
// page size and token (e.g. "incidents|pages/p|kind=1|state=0|...").
std::string EncodePageToken(std::string_view query,
                            const std::vector<std::string>& cursor);
// The cursor fields, or INVALID_ARGUMENT ("page_token: ...") when the token
// is malformed or was issued for another query. An empty token gives an
// empty cursor.
absl::StatusOr<std::vector<std::string>> DecodePageToken(std::string_view token,
                                                         std::string_view query);

// The page size to use: `requested` when in [1, max], `default_size` when 0,
// `max` when above it (AIP-158 coerces); INVALID_ARGUMENT when negative.
absl::StatusOr<int> ResolvePageSize(int requested, int default_size, int max);

}  // namespace incidentd::domain

#endif  // INCIDENTD_SERVER_DOMAIN_PAGE_TOKEN_H_
