// How notifications leave the process: an HTTP POST for webhooks and an
// SMTP submission for email, both through libcurl. Interfaces, so that the
// delivery logic can be tested with fakes; the curl implementations are
// tested against real local receivers.
//
// Every method blocks the calling thread (a delivery worker) for at most its
// timeout, and is safe to call from several threads at once.
#ifndef INCIDENTD_SERVER_NOTIFY_TRANSPORT_H_
#define INCIDENTD_SERVER_NOTIFY_TRANSPORT_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/notify/messages.h"

namespace incidentd::notify {

// OK for a 2xx answer. Otherwise a status whose message is what the
// delivery shows as its last error, short and without secrets:
//   UNAVAILABLE          "HTTP 503", "connect: Connection refused",
//                        "timed out after 10s", "TLS: ..." (worth a retry)
//   FAILED_PRECONDITION  "address 127.0.0.1 is private" (denied), "HTTP 301
//                        (redirects are not followed)", a scheme other than
//                        http(s), a malformed URL or header
// Either way the delivery is retried until its horizon: a receiver or its
// DNS may be fixed meanwhile.
class WebhookTransport {
 public:
  virtual ~WebhookTransport() = default;
  virtual absl::Status Post(const WebhookRequest& request) = 0;
};

// OK once the relay accepted the message for the recipient; UNAVAILABLE
// with the relay's reply or the connection error otherwise (a 5xx too: a
// relay's "mailbox unavailable" is often temporary in practice);
// FAILED_PRECONDITION for a malformed envelope address.
class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // `from` and `to` are bare addresses (the envelope); `mime` the message.
  virtual absl::Status Send(std::string_view from, std::string_view to,
                            std::string_view mime) = 0;
};

// Call once, before any thread uses curl (curl_global_init is not
// thread-safe); later calls do nothing.
void InitCurl();

struct CurlWebhookOptions {
  absl::Duration timeout = absl::Seconds(10);  // whole request
  // Refuse to connect to private and loopback addresses (checked on the
  // address actually connected to, after DNS, so a name cannot point
  // there).
  bool deny_private = true;
  std::string user_agent = "incidentd-webhooks/1";
  // A CA bundle file used instead of the system's (tests); "" for the
  // system's.
  std::string ca_file;
};
// POSTs with Content-Type: application/json; never follows redirects;
// http and https only.
std::unique_ptr<WebhookTransport> NewCurlWebhookTransport(
    const CurlWebhookOptions& options);

struct CurlMailOptions {
  // smtp://host:port (STARTTLS optional or required, below) or
  // smtps://host:port (TLS from the start).
  std::string url = "smtp://127.0.0.1:25";
  // Require STARTTLS (fail rather than send in clear).
  bool require_starttls = false;
  std::string user;      // "" for no authentication
  std::string password;  // never logged
  absl::Duration timeout = absl::Seconds(30);
  std::string ca_file;  // as for webhooks
};
std::unique_ptr<MailTransport> NewCurlMailTransport(
    const CurlMailOptions& options);

}  // namespace incidentd::notify

#endif  // INCIDENTD_SERVER_NOTIFY_TRANSPORT_H_
