// Debian's Abseil 20220623 is built with its own absl::string_view, distinct
// from the std::string_view the project's interfaces use, and absl's string
// functions do not take the latter. These bridge the two in one place.
#ifndef INCIDENTD_SERVER_STRINGS_H_
#define INCIDENTD_SERVER_STRINGS_H_

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace incidentd {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

namespace strings_internal {
inline absl::string_view Piece(std::string_view s) { return ToAbsl(s); }
template <typename T>
const T& Piece(const T& value) {
  return value;
}
}  // namespace strings_internal

// absl::StrCat that also takes std::string_view.
template <typename... Args>
std::string StrCat(const Args&... args) {
  return absl::StrCat(strings_internal::Piece(args)...);
}

// absl::StrAppend that also takes std::string_view.
template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  absl::StrAppend(out, strings_internal::Piece(args)...);
}

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_STRINGS_H_
