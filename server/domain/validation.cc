#include "server/domain/validation.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace incidentd::domain {
namespace {

// Decodes one UTF-8 code point at `s[*pos]` and advances `*pos`; false on an
// invalid sequence (truncated, overlong, surrogate, or above U+10FFFF).
bool NextCodePoint(std::string_view s, size_t* pos, uint32_t* cp) {
  const auto byte = [&s](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(*pos);
  size_t len;
  uint32_t min;
  if (b0 < 0x80) {
    *cp = b0;
    *pos += 1;
    return true;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, min = 0x80, *cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min = 0x800, *cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, *cp = b0 & 0x07;
  } else {
    return false;
  }
  if (s.size() - *pos < len) return false;
  for (size_t i = 1; i < len; ++i) {
    const uint8_t b = byte(*pos + i);
    if ((b & 0xC0) != 0x80) return false;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) {
    return false;
  }
  *pos += len;
  return true;
}

// C0 controls, DEL and the C1 controls: invisible, and able to break logs,
// terminals and the status page's layout.
bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

absl::Status Invalid(std::string_view field, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrFormat("%s: %s", field, message));
}

// What a text check found: the number of code points, or the first problem.
struct Scan {
  bool valid_utf8 = true;
  size_t chars = 0;
  // First disallowed control character, if any.
  bool has_control = false;
  uint32_t control = 0;
  size_t control_offset = 0;
};

// `allow_newlines` lets "\n" and "\r\n" through; tabs are always allowed.
Scan ScanText(std::string_view value, bool allow_newlines) {
  Scan scan;
  size_t pos = 0;
  while (pos < value.size()) {
    const size_t start = pos;
    uint32_t cp;
    if (!NextCodePoint(value, &pos, &cp)) {
      scan.valid_utf8 = false;
      return scan;
    }
    ++scan.chars;
    if (scan.has_control || !IsControl(cp) || cp == '\t') continue;
    if (allow_newlines && (cp == '\n' || (cp == '\r' && pos < value.size() &&
                                          value[pos] == '\n'))) {
      continue;
    }
    scan.has_control = true;
    scan.control = cp;
    scan.control_offset = start;
  }
  return scan;
}

absl::Status ControlError(std::string_view field, const Scan& scan) {
  return Invalid(field,
                 absl::StrFormat("must not contain control characters (found "
                                 "U+%04X at byte %d)",
                                 scan.control, scan.control_offset));
}

// An IANA name as the tz database spells them ("America/Argentina/Salta",
// "Etc/GMT+1"), so that no path ("/etc/x", "../x") or the special
// "localtime" reaches the loader.
bool LooksLikeZoneName(std::string_view zone) {
  if (zone == "localtime") return false;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(zone.data(), zone.size()), '/')) {
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
          c != '-' && c != '+') {
        return false;
      }
    }
  }
  return true;
}

// Whether the tz database has a file for `zone`. Checked before loading
// because absl caches every name it is asked to load, found or not, for the
// life of the process: unchecked names from requests would grow memory.
bool ZoneFileExists(std::string_view zone) {
  const char* dir = std::getenv("TZDIR");
  std::filesystem::path path(
      dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo");
  path /= std::string(zone);
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

absl::Status ValidateId(std::string_view field, std::string_view id) {
  bool ok = !id.empty() && id.size() <= kMaxIdLength && id.front() != '-' &&
            id.back() != '-';
  for (char c : id) {
    if (!ok) break;
    ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  }
  if (ok) return absl::OkStatus();
  // The length is echoed when it is the problem; the id itself is not, since
  // it may hold anything.
  const std::string got =
      id.empty() || id.size() > kMaxIdLength
          ? absl::StrFormat(" (got %d characters)", id.size())
          : "";
  return Invalid(field,
                 absl::StrFormat("must be 1 to %d characters of [a-z0-9-], not "
                                 "starting or ending with '-'%s",
                                 kMaxIdLength, got));
}

absl::Status ValidateLine(std::string_view field, std::string_view value,
                          size_t min_chars, size_t max_chars) {
  const Scan scan = ScanText(value, /*allow_newlines=*/false);
  if (!scan.valid_utf8) return Invalid(field, "must be valid UTF-8");
  if (scan.chars < min_chars || scan.chars > max_chars) {
    return Invalid(field,
                   absl::StrFormat("must be %d to %d characters (got %d)",
                                   min_chars, max_chars, scan.chars));
  }
  if (scan.has_control) return ControlError(field, scan);
  return absl::OkStatus();
}

absl::Status ValidateText(std::string_view field, std::string_view value,
                          size_t min_bytes, size_t max_bytes) {
  // The size first: no point scanning a body that is too large anyway.
  if (value.size() < min_bytes || value.size() > max_bytes) {
    return Invalid(field, absl::StrFormat("must be %d to %d bytes (got %d)",
                                          min_bytes, max_bytes, value.size()));
  }
  const Scan scan = ScanText(value, /*allow_newlines=*/true);
  if (!scan.valid_utf8) return Invalid(field, "must be valid UTF-8");
  if (scan.has_control) return ControlError(field, scan);
  return absl::OkStatus();
}

absl::Status ValidateTimeZone(std::string_view field, std::string_view zone) {
  if (zone.empty() || zone == "UTC") return absl::OkStatus();
  absl::TimeZone tz;
  if (zone.size() <= kMaxTimeZoneLength && LooksLikeZoneName(zone) &&
      ZoneFileExists(zone) && absl::LoadTimeZone(std::string(zone), &tz)) {
    return absl::OkStatus();
  }
  return Invalid(field,
                 "must be an IANA time zone name such as \"Europe/Berlin\" or "
                 "\"UTC\"");
}

absl::Status ValidateRequestId(std::string_view field, std::string_view id) {
  bool ok = id.size() <= kMaxRequestIdLength;
  for (char c : id) {
    if (!ok) break;
    ok = c >= 0x20 && c <= 0x7E;
  }
  if (ok) return absl::OkStatus();
  return Invalid(field,
                 absl::StrFormat("must be empty or 1 to %d printable ASCII "
                                 "characters",
                                 kMaxRequestIdLength));
}

absl::Status ValidateUrl(std::string_view field, std::string_view url) {
  if (url.empty()) return absl::OkStatus();
  const absl::Status bad = Invalid(
      field, absl::StrFormat("must be an absolute http or https URL of at "
                             "most %d characters",
                             kMaxUrlLength));
  if (url.size() > kMaxUrlLength) return bad;
  // Printable ASCII without spaces: anything else must be percent-encoded.
  for (char c : url) {
    if (c <= 0x20 || c >= 0x7F) return bad;
  }
  std::string_view rest = url;
  // Abseil here is built with its own string_view, not std's.
  const absl::string_view scheme_part(rest.data(), rest.size());
  if (absl::StartsWithIgnoreCase(scheme_part, "https://")) {
    rest.remove_prefix(8);
  } else if (absl::StartsWithIgnoreCase(scheme_part, "http://")) {
    rest.remove_prefix(7);
  } else {
    return bad;
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {  // IPv6 literal
    const size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) return bad;
    std::string_view after = host.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad;
    host = host.substr(0, close + 1);
    authority = after;
  } else {
    const size_t colon = host.find(':');
    authority = colon == std::string_view::npos ? std::string_view()
                                                : host.substr(colon);
    host = host.substr(0, colon);
  }
  if (host.empty()) return bad;
  // What is left of the authority is the port, ":digits" (may be ":").
  if (!authority.empty()) {
    std::string_view port = authority.substr(1);
    if (port.size() > 5) return bad;
    for (char c : port) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return bad;
    }
  }
  return absl::OkStatus();
}

}  // namespace incidentd::domain
