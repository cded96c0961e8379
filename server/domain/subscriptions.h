// The pure rules of subscriptions: what a valid address is, which
// subscribers an event notifies, when a failed delivery is tried again, and
// when a subscriber that keeps failing is quarantined. No I/O, no clock, no
// randomness of their own: callers pass the time and the random draw.
#ifndef INCIDENTD_SERVER_DOMAIN_SUBSCRIPTIONS_H_
#define INCIDENTD_SERVER_DOMAIN_SUBSCRIPTIONS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/model.h"

namespace incidentd::domain {

inline constexpr size_t kMaxEmailLength = 254;       // RFC 5321 path limit
inline constexpr size_t kMaxWebhookUrlLength = 2048;
inline constexpr size_t kMaxSubscriberComponents = 100;

// An email address as subscriptions store it: a practical subset of RFC
// 5321 (dot-atom local part of at most 64 characters, a domain of at least
// two DNS labels, or an IP literal is refused), with the domain lowercased.
// The local part keeps its case. INVALID_ARGUMENT naming `field` otherwise,
// e.g. for spaces, quotes, a missing '@', two '@', an empty label.
absl::StatusOr<std::string> NormalizeEmail(std::string_view field,
                                           std::string_view email);

// A webhook URL, parsed.
struct WebhookUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // lowercased; an IPv6 literal without brackets
  int port = 0;        // explicit, or 80/443 by scheme
  // The URL as stored: scheme and host lowercased, otherwise as given.
  std::string normalized;
  // Whether host is an IP address literal (IPv4 or bracketed IPv6).
  bool host_is_ip = false;
};
// INVALID_ARGUMENT naming `field` for: more than kMaxWebhookUrlLength
// bytes, a scheme other than http/https, credentials (user or password
// before '@'), no host, a bad port, whitespace or control characters, or a
// fragment.
absl::StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view field,
                                           std::string_view url);

// Whether an address is one a public webhook must not reach: loopback,
// private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16,
// fe80::/10), CGNAT (100.64/10), unspecified, multicast, broadcast, the
// IPv4 "this network" 0/8, and IPv4-mapped or -compatible IPv6 forms of
// those. Bytes in network order.
bool IsPrivateIPv4(const std::array<uint8_t, 4>& address);
bool IsPrivateIPv6(const std::array<uint8_t, 16>& address);
// A host literal (as WebhookUrl.host): whether it is an IP address that
// IsPrivate* refuses. False for names (those are checked when resolved).
bool IsPrivateHostLiteral(std::string_view host);

// Whether `event` notifies `subscriber`:
//   - the event is a notifying one (event.notify);
//   - the subscriber is ACTIVE or QUARANTINED (quarantined ones get their
//     deliveries recorded and held), and the event came after it became
//     active (event.seq > subscriber.after_seq);
//   - with an incident filter, the event concerns that incident;
//   - with a component filter, the event concerns one of those components;
//     a COMPONENT_STATUS_CHANGED event (a status set outside an incident)
//     notifies only subscribers that chose that component.
bool Notifies(const Event& event, const Subscriber& subscriber);

// Which event of a posted update carries its notification (see the API's
// Event.notify): every post that creates an incident or maintenance or
// moves its state (resolve, reopen, start, complete, cancel) notifies, and
// any other post when its notify flag is set.
bool PostNotifies(bool creates, bool changes_state, bool notify_flag);

struct RetryPolicy {
  absl::Duration initial_delay = absl::Seconds(10);
  absl::Duration max_delay = absl::Hours(1);
  // How long after its horizon start a delivery is still attempted.
  absl::Duration horizon = absl::Hours(24);
};
// When a delivery whose `attempts` attempts all failed (attempts >= 1) is
// tried next: the nominal delay min(initial * 2^(attempts-1), max) scaled
// by a jitter factor in [0.5, 1.0) drawn from `unit_random` in [0, 1), so
// that receivers coming back are not hit by every sender at once.
// nullopt when that time is past horizon_start + horizon: the delivery has
// failed for good.
std::optional<absl::Time> NextAttemptTime(const RetryPolicy& policy,
                                          absl::Time horizon_start,
                                          absl::Time now, int attempts,
                                          double unit_random);

struct QuarantinePolicy {
  int failures = 10;  // failed attempts in a row...
  absl::Duration window = absl::Hours(1);  // ...spanning at least this long
};
// Whether a subscriber whose last `consecutive_failures` attempts all
// failed, the first of them at `failing_since`, is quarantined at `now`.
bool ShouldQuarantine(const QuarantinePolicy& policy, int consecutive_failures,
                      absl::Time failing_since, absl::Time now);
// The reason shown on a quarantined subscriber, e.g. "10 deliveries failed
// in a row over 1h2m; last error: HTTP 500".
std::string QuarantineReason(int consecutive_failures, absl::Duration span,
                             std::string_view last_error);

}  // namespace incidentd::domain

#endif  // INCIDENTD_SERVER_DOMAIN_SUBSCRIPTIONS_H_
