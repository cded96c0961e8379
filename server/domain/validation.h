// Input limits and checks shared by every handler. Each check returns
// INVALID_ARGUMENT with a message naming the field and the limit, e.g.
// "incident.title: must be 1 to 200 characters (got 0)".
#ifndef INCIDENTD_SERVER_DOMAIN_VALIDATION_H_
#define INCIDENTD_SERVER_DOMAIN_VALIDATION_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace incidentd::domain {

// Limits in Unicode characters (code points) unless said otherwise.
inline constexpr size_t kMaxIdLength = 63;
inline constexpr size_t kMaxDisplayNameLength = 200;  // titles, display names
inline constexpr size_t kMaxDescriptionLength = 4096;
inline constexpr size_t kMaxReasonLength = 1024;
inline constexpr size_t kMaxAuthorLength = 200;
inline constexpr size_t kMaxUrlLength = 2048;
inline constexpr size_t kMaxBodyBytes = 65536;  // update and section bodies
inline constexpr size_t kMaxSections = 50;
inline constexpr size_t kMaxComponentsPerIncident = 100;
inline constexpr size_t kMaxComponentChanges = 100;
inline constexpr size_t kMaxRequestIdLength = 128;
inline constexpr size_t kMaxTimeZoneLength = 64;

// 1 to 63 of [a-z0-9-], not starting or ending with '-'.
absl::Status ValidateId(std::string_view field, std::string_view id);
// Valid UTF-8 with no control characters (tabs excepted), length in
// [min_chars, max_chars] code points. For names, titles, authors, reasons.
absl::Status ValidateLine(std::string_view field, std::string_view value,
                          size_t min_chars, size_t max_chars);
// Valid UTF-8, newlines and tabs allowed, no other control characters, at
// most max_bytes bytes and at least min_bytes.
absl::Status ValidateText(std::string_view field, std::string_view value,
                          size_t min_bytes, size_t max_bytes);
// An IANA zone name known to the machine's tz database, e.g.
// "Europe/Berlin", or "UTC". Empty is allowed (means the default).
absl::Status ValidateTimeZone(std::string_view field, std::string_view zone);
// Empty, or 1 to 128 printable ASCII characters.
absl::Status ValidateRequestId(std::string_view field, std::string_view id);
// Empty, or an absolute http or https URL of at most kMaxUrlLength.
absl::Status ValidateUrl(std::string_view field, std::string_view url);

}  // namespace incidentd::domain

#endif  // INCIDENTD_SERVER_DOMAIN_VALIDATION_H_
