// Webhook signatures and the random secrets and tokens of subscriptions.
//
// A webhook request carries
//   Incidentd-Timestamp: <unix seconds>
//   Incidentd-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
// The receiver recomputes the HMAC over the timestamp header, a '.', and
// the raw body, compares in constant time, and rejects timestamps too far
// from its clock (replays). Several v1= values, comma-separated, may appear
// in later versions (secret rotation with overlap); receivers should accept
// any match.
#ifndef INCIDENTD_SERVER_NOTIFY_SIGNING_H_
#define INCIDENTD_SERVER_NOTIFY_SIGNING_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace incidentd::notify {

// "v1=" followed by the lowercase hex HMAC-SHA256 of
// "<unix_seconds>.<body>" under `secret`.
std::string SignWebhook(std::string_view secret, int64_t unix_seconds,
                        std::string_view body);

// Whether `signature_header` (as sent) holds a v1 signature of the body at
// that time under `secret`; compares in constant time. For tests and for
// receivers written in C++.
bool VerifyWebhookSignature(std::string_view secret, int64_t unix_seconds,
                            std::string_view body,
                            std::string_view signature_header);

// 32 bytes from the OpenSSL CSPRNG, base64url without padding (43
// characters): signing secrets, confirmation and unsubscribe tokens.
std::string NewSecret();

}  // namespace incidentd::notify

#endif  // INCIDENTD_SERVER_NOTIFY_SIGNING_H_
