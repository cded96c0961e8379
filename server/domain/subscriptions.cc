#include "server/domain/subscriptions.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "server/domain/durations.h"

namespace incidentd::domain {
namespace {

absl::Status Invalid(std::string_view field, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrFormat("%s: %s", field, message));
}

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlnum(char c) {
  return IsAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsAsciiHexDigit(char c) {
  return IsAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// Space, the C0 controls and DEL.
bool IsSpaceOrControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7F;
}
bool IsNonAscii(char c) { return static_cast<unsigned char>(c) >= 0x80; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return out;
}

// A character as an error message may show it: printable ASCII quoted,
// anything else as a code ("0x0A"), so that messages stay one clean line.
std::string ShowChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7F) return absl::StrFormat("'%c'", c);
  return absl::StrFormat("0x%02X", u);
}

// RFC 5322 atext: what a dot-atom local part may hold besides dots.
bool IsAtext(char c) {
  if (IsAsciiAlnum(c)) return true;
  return c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// RFC 3986's unreserved and reserved characters and '%', bar '#' (fragments
// are refused) and the brackets (only an IPv6 host may hold them).
bool IsUrlChar(char c) {
  if (IsAsciiAlnum(c)) return true;
  return c != '\0' && std::strchr("-._~:/?@!$&'()*+,;=%", c) != nullptr;
}

// A DNS label as email and webhook hosts use it: LDH (letters, digits,
// hyphen), 1 to 63 characters, no hyphen first or last. `allow_underscore`
// for webhook hosts, where internal names sometimes carry one.
bool IsHostLabel(std::string_view label, bool allow_underscore) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!IsAsciiAlnum(c) && c != '-' && !(allow_underscore && c == '_')) {
      return false;
    }
  }
  return true;
}

// Strict dotted-decimal IPv4 ("192.0.2.1"): four parts of 0..255 without
// leading zeros. inet_pton gives exactly that on glibc.
bool ParseIPv4(std::string_view text, std::array<uint8_t, 4>* out) {
  if (text.size() > 15) return false;
  const std::string s(text);
  in_addr addr;
  if (inet_pton(AF_INET, s.c_str(), &addr) != 1) return false;
  std::memcpy(out->data(), &addr, 4);
  return true;
}

// An IPv6 address without brackets and without a zone ("fe80::1%eth0" is
// refused: a zone names an interface of the sender's machine).
bool ParseIPv6(std::string_view text, std::array<uint8_t, 16>* out) {
  if (text.size() > 45) return false;  // the longest form, with IPv4 tail
  const std::string s(text);
  in6_addr addr;
  if (inet_pton(AF_INET6, s.c_str(), &addr) != 1) return false;
  std::memcpy(out->data(), &addr, 16);
  return true;
}

// Whether the last label of a host is a number as URL parsers (WHATWG,
// curl, inet_aton) read one: all digits, or 0x followed by hex digits.
// Such a host is an IPv4 address in some form ("2130706433", "0x7f.1",
// "127.1"), whatever else it looks like.
bool EndsInNumber(std::string_view host) {
  const size_t dot = host.rfind('.');
  const std::string_view last =
      dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (std::all_of(last.begin(), last.end(), IsAsciiDigit)) return true;
  if (last.size() >= 2 && last[0] == '0' &&
      (last[1] == 'x' || last[1] == 'X')) {
    return std::all_of(last.begin() + 2, last.end(), IsAsciiHexDigit);
  }
  return false;
}

bool InPrefix(const uint8_t* address, const uint8_t* prefix, int bits) {
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask =
        bits >= 8 ? 0xFF : static_cast<uint8_t>(0xFF << (8 - bits));
    if ((address[i] & mask) != (prefix[i] & mask)) return false;
  }
  return true;
}

struct Prefix4 {
  std::array<uint8_t, 4> address;
  int bits;
};

// The IPv4 ranges a webhook must not reach when private addresses are
// denied. 240/4 (reserved, never routed on the internet) stands for the
// limited broadcast address 255.255.255.255 and its neighbours.
constexpr Prefix4 kPrivateIPv4[] = {
    {{0, 0, 0, 0}, 8},       // "this network"
    {{10, 0, 0, 0}, 8},      // private
    {{100, 64, 0, 0}, 10},   // carrier-grade NAT
    {{127, 0, 0, 0}, 8},     // loopback
    {{169, 254, 0, 0}, 16},  // link-local (cloud metadata services)
    {{172, 16, 0, 0}, 12},   // private
    {{192, 168, 0, 0}, 16},  // private
    {{224, 0, 0, 0}, 4},     // multicast
    {{240, 0, 0, 0}, 4},     // reserved, and broadcast
};

}  // namespace

// --- Email addresses.

absl::StatusOr<std::string> NormalizeEmail(std::string_view field,
                                           std::string_view email) {
  if (email.empty()) return Invalid(field, "must not be empty");
  if (email.size() > kMaxEmailLength) {
    return Invalid(field,
                   absl::StrFormat("must be at most %d characters (got %d)",
                                   kMaxEmailLength, email.size()));
  }
  for (char c : email) {
    if (IsSpaceOrControl(c)) {
      return Invalid(field, "must not contain spaces or control characters");
    }
    if (IsNonAscii(c)) {
      return Invalid(field,
                     "must be ASCII (an internationalised domain in its "
                     "punycode form, xn--...)");
    }
  }
  const size_t at = email.find('@');
  if (at == std::string_view::npos) return Invalid(field, "missing '@'");
  if (email.find('@', at + 1) != std::string_view::npos) {
    return Invalid(field, "more than one '@'");
  }
  const std::string_view local = email.substr(0, at);
  const std::string_view domain = email.substr(at + 1);

  // The local part: a dot-atom. Quoted strings and comments are valid RFC
  // 5322 but almost never real, and every mail system mangles them.
  if (local.empty()) return Invalid(field, "the part before '@' is empty");
  if (local.size() > 64) {
    return Invalid(field,
                   absl::StrFormat("the part before '@' must be at most 64 "
                                   "characters (got %d)",
                                   local.size()));
  }
  if (local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return Invalid(field,
                   "the part before '@' must not start or end with a dot or "
                   "hold two dots in a row");
  }
  for (char c : local) {
    if (c != '.' && !IsAtext(c)) {
      return Invalid(
          field,
          absl::StrCat("the part before '@' must not contain ", ShowChar(c)));
    }
  }

  // The domain: a host name of at least two labels. IP literals are refused:
  // no real subscriber uses one, and they would bypass the relay's checks.
  if (domain.empty()) return Invalid(field, "the domain after '@' is empty");
  if (domain.front() == '[') {
    return Invalid(field, "an IP address literal is not accepted as a domain");
  }
  if (domain.find('.') == std::string_view::npos) {
    return Invalid(field, "the domain must have at least two labels (a dot)");
  }
  size_t start = 0;
  while (true) {
    const size_t dot = domain.find('.', start);
    const std::string_view label = domain.substr(
        start,
        dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) {
      return Invalid(field,
                     "the domain has an empty label (a leading, trailing or "
                     "doubled dot)");
    }
    if (!IsHostLabel(label, /*allow_underscore=*/false)) {
      return Invalid(field,
                     "each domain label must be 1 to 63 letters, digits or "
                     "inner hyphens");
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (EndsInNumber(domain)) {
    return Invalid(field,
                   "the domain's last label must not be a number (an IP "
                   "address is not accepted as a domain)");
  }
  return absl::StrFormat("%s@%s", local, Lower(domain));
}

// --- Webhook URLs.
//
// A hand-written parser rather than libcurl's URL API: the grammar accepted
// here is deliberately narrower than any general parser's (no userinfo at
// all, no backslashes, no percent-encoded or non-ASCII hosts, IPv4 only in
// dotted-decimal), so that whatever passes means the same to every URL
// parser on the way, including curl's in the transport. The stored form
// must also be the URL "as given" but for case, which re-serialising
// through a library would not keep. The transport still checks the address
// it actually connects to.

absl::StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view field,
                                           std::string_view url) {
  if (url.empty()) return Invalid(field, "must not be empty");
  if (url.size() > kMaxWebhookUrlLength) {
    return Invalid(field, absl::StrFormat("must be at most %d bytes (got %d)",
                                          kMaxWebhookUrlLength, url.size()));
  }
  for (char c : url) {
    if (IsSpaceOrControl(c)) {
      return Invalid(field, "must not contain spaces or control characters");
    }
    if (IsNonAscii(c)) {
      return Invalid(field,
                     "must be ASCII (percent-encode other characters; a host "
                     "in its punycode form, xn--...)");
    }
    if (c == '\\') return Invalid(field, "must not contain '\\'");
  }
  if (url.find('#') != std::string_view::npos) {
    return Invalid(field, "must not have a fragment ('#')");
  }

  WebhookUrl out;
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Invalid(field, "must be an absolute http:// or https:// URL");
  }
  out.scheme = Lower(url.substr(0, scheme_end));
  if (out.scheme != "http" && out.scheme != "https") {
    return Invalid(field, "the scheme must be http or https");
  }
  const size_t authority_start = scheme_end + 3;
  const size_t authority_end = url.find_first_of("/?", authority_start);
  const std::string_view authority =
      url.substr(authority_start, authority_end == std::string_view::npos
                                      ? std::string_view::npos
                                      : authority_end - authority_start);
  const std::string_view rest = authority_end == std::string_view::npos
                                    ? std::string_view()
                                    : url.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return Invalid(field,
                   "must not contain credentials (user or password before "
                   "'@'); authenticate with the signature instead");
  }

  // Host and port.
  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Invalid(field, "an IPv6 host is missing its ']'");
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return Invalid(field, "unexpected characters after the IPv6 host");
      }
      has_port = true;
      port_text = after.substr(1);
    }
    std::array<uint8_t, 16> ignored;
    if (!ParseIPv6(host, &ignored)) {
      return Invalid(field,
                     "the host in brackets must be an IPv6 address (without "
                     "a zone)");
    }
    out.host_is_ip = true;
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (host.empty()) return Invalid(field, "has no host");
    if (host.size() > 253) {
      return Invalid(field, "the host must be at most 253 characters");
    }
    std::array<uint8_t, 4> ignored;
    if (EndsInNumber(host)) {
      // A numeric host in any other form is an address too (curl connects
      // to 127.0.0.1 for "2130706433"): only the plain form is accepted, so
      // that the private-address check sees what will be connected to.
      if (!ParseIPv4(host, &ignored)) {
        return Invalid(field,
                       "a numeric host must be an IPv4 address in "
                       "dotted-decimal form, e.g. 192.0.2.1");
      }
      out.host_is_ip = true;
    } else {
      size_t start = 0;
      while (true) {
        const size_t dot = host.find('.', start);
        const std::string_view label = host.substr(
            start, dot == std::string_view::npos ? std::string_view::npos
                                                 : dot - start);
        if (!IsHostLabel(label, /*allow_underscore=*/true)) {
          return Invalid(field,
                         "the host must be a name of letters, digits, '-' "
                         "and '_' in dot-separated labels of 1 to 63 "
                         "characters, or an IP address");
        }
        if (dot == std::string_view::npos) break;
        start = dot + 1;
      }
    }
  }
  if (host.empty()) return Invalid(field, "has no host");
  out.host = Lower(host);

  if (has_port) {
    const bool digits =
        !port_text.empty() && port_text.size() <= 5 &&
        std::all_of(port_text.begin(), port_text.end(), IsAsciiDigit);
    int port = 0;
    if (digits) {
      for (char c : port_text) port = port * 10 + (c - '0');
    }
    if (!digits || port < 1 || port > 65535) {
      return Invalid(field, "the port must be a number from 1 to 65535");
    }
    out.port = port;
  } else {
    out.port = out.scheme == "https" ? 443 : 80;
  }

  // Path and query: RFC 3986's characters only, with well-formed percent
  // escapes, which every parser on the way then reads the same.
  for (size_t i = 0; i < rest.size(); ++i) {
    if (!IsUrlChar(rest[i])) {
      return Invalid(field, absl::StrCat("must not contain ", ShowChar(rest[i]),
                                         " (percent-encode it)"));
    }
    if (rest[i] != '%') continue;
    if (i + 2 >= rest.size() || !IsAsciiHexDigit(rest[i + 1]) ||
        !IsAsciiHexDigit(rest[i + 2])) {
      return Invalid(field, "has a '%' that is not followed by two hex digits");
    }
  }

  // Lowercased host in place, brackets and port as given.
  out.normalized =
      absl::StrFormat("%s://%s%s", out.scheme, Lower(authority), rest);
  return out;
}

// --- Private addresses.

bool IsPrivateIPv4(const std::array<uint8_t, 4>& address) {
  for (const Prefix4& p : kPrivateIPv4) {
    if (InPrefix(address.data(), p.address.data(), p.bits)) return true;
  }
  return false;
}

bool IsPrivateIPv6(const std::array<uint8_t, 16>& address) {
  const uint8_t* a = address.data();
  static constexpr uint8_t kZero[16] = {};
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0,    0,
                                          0, 0, 0, 0, 0xFF, 0xFF};
  // The well-known NAT64 prefix 64:ff9b::/96: a NAT64 gateway forwards to
  // the embedded IPv4 address, private ones included.
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xFF, 0x9B, 0, 0,
                                         0, 0,    0,    0,    0, 0};
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d, which also
  // holds :: and ::1 as 0.0.0.0 and 0.0.0.1, both in 0/8) and NAT64: as the
  // embedded IPv4 address.
  if (InPrefix(a, kMapped, 96) || InPrefix(a, kZero, 96) ||
      InPrefix(a, kNat64, 96)) {
    return IsPrivateIPv4({a[12], a[13], a[14], a[15]});
  }
  // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 the deprecated
  // site-local, ff00::/8 multicast.
  if ((a[0] & 0xFE) == 0xFC) return true;
  if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) return true;
  if (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0) return true;
  return a[0] == 0xFF;
}

bool IsPrivateHostLiteral(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::array<uint8_t, 4> v4;
  if (ParseIPv4(host, &v4)) return IsPrivateIPv4(v4);
  std::array<uint8_t, 16> v6;
  if (ParseIPv6(host, &v6)) return IsPrivateIPv6(v6);
  return false;
}

// --- Who is notified.

bool Notifies(const Event& event, const Subscriber& subscriber) {
  if (!event.notify) return false;
  if (subscriber.state != SubscriberState::kActive &&
      subscriber.state != SubscriberState::kQuarantined) {
    return false;
  }
  if (event.seq <= subscriber.after_seq) return false;
  if (!subscriber.incident_id.empty() &&
      event.incident_id != subscriber.incident_id) {
    return false;
  }
  // A component's status set by hand is news only to whoever follows that
  // component; a whole-page subscriber hears of outages through incidents.
  if (event.type == EventType::kComponentStatusChanged &&
      subscriber.component_ids.empty()) {
    return false;
  }
  if (subscriber.component_ids.empty()) return true;
  for (const std::string& c : event.component_ids) {
    if (std::find(subscriber.component_ids.begin(),
                  subscriber.component_ids.end(),
                  c) != subscriber.component_ids.end()) {
      return true;
    }
  }
  return false;
}

bool PostNotifies(bool creates, bool changes_state, bool notify_flag) {
  return creates || changes_state || notify_flag;
}

// --- Retries and quarantine.

std::optional<absl::Time> NextAttemptTime(const RetryPolicy& policy,
                                          absl::Time horizon_start,
                                          absl::Time now, int attempts,
                                          double unit_random) {
  // Doubling from the initial delay; past 2^30 the cap has long been hit,
  // and stopping there keeps the multiplication from overflowing.
  const int doublings = std::clamp(attempts - 1, 0, 30);
  const absl::Duration nominal = std::min(
      policy.initial_delay * (int64_t{1} << doublings), policy.max_delay);
  // A draw outside [0, 1) (or NaN) from a careless caller must not stretch
  // or shrink the delay beyond the documented bounds.
  double r = unit_random;
  if (!(r >= 0.0)) r = 0.0;
  if (r > 1.0) r = 1.0;
  absl::Duration delay = nominal * (0.5 + 0.5 * r);
  // Draws close to 1 round up to the whole nominal delay in floating
  // point; the bound is exclusive.
  if (delay >= nominal && nominal > absl::ZeroDuration()) {
    delay = nominal - absl::Nanoseconds(1);
  }
  const absl::Time next = now + delay;
  if (next > horizon_start + policy.horizon) return std::nullopt;
  return next;
}

bool ShouldQuarantine(const QuarantinePolicy& policy, int consecutive_failures,
                      absl::Time failing_since, absl::Time now) {
  return consecutive_failures >= policy.failures &&
         now - failing_since >= policy.window;
}

std::string QuarantineReason(int consecutive_failures, absl::Duration span,
                             std::string_view last_error) {
  std::string reason =
      absl::StrFormat("%d %s failed in a row over %s", consecutive_failures,
                      consecutive_failures == 1 ? "delivery" : "deliveries",
                      HumanDuration(span));
  if (!last_error.empty()) {
    // Errors are short by contract; a cap keeps a misbehaving one from
    // filling the reason, cut where no UTF-8 sequence is split.
    constexpr size_t kMaxErrorBytes = 200;
    size_t cut = std::min(last_error.size(), kMaxErrorBytes);
    while (cut < last_error.size() && cut > 0 &&
           (static_cast<unsigned char>(last_error[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    absl::StrAppendFormat(&reason, "; last error: %s%s",
                          last_error.substr(0, cut),
                          cut < last_error.size() ? "..." : "");
  }
  return reason;
}

}  // namespace incidentd::domain
