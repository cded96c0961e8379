// Helpers for the end-to-end tests of subscriptions and notifications:
// server flags that make retries quick, subscribing, reading deliveries back,
// and taking apart what the receivers got (signed webhooks, MIME mails).
#ifndef INCIDENTD_TESTS_E2E_NOTIFY_HELPERS_H_
#define INCIDENTD_TESTS_E2E_NOTIFY_HELPERS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "tests/testing/http_receiver.h"

namespace incidentd::e2e {

namespace v1 = ::incidentd::v1;

// The flags every notification test runs incidentd with: loopback receivers
// allowed, mail to `smtp_url`, links under http://status.test, retries
// within a second, and a lease that outlives two webhook timeouts.
std::vector<std::string> NotifyFlags(const std::string& smtp_url);
// The same flag values as NotifyFlags, as the tests' expectations need them.
inline constexpr absl::Duration kPollInterval = absl::Milliseconds(100);
inline constexpr absl::Duration kRetryMaxDelay = absl::Seconds(1);
inline constexpr char kPublicUrl[] = "http://status.test";
inline constexpr char kMailFromAddress[] = "status@incidentd.test";

absl::StatusOr<v1::CreateSubscriberResponse> SubscribeWebhook(
    client::Client& client, const std::string& page, const std::string& url,
    const std::vector<std::string>& components = {});
absl::StatusOr<v1::CreateSubscriberResponse> SubscribeEmail(
    client::Client& client, const std::string& page, const std::string& email);

// Posts an update with its notify flag as given.
absl::StatusOr<v1::IncidentUpdate> PostNotified(
    client::Client& client, const std::string& incident,
    v1::IncidentStatus::Value status, const std::string& body, bool notify);

// Every delivery of a subscriber (pages/{p}/subscribers/{s}), in event
// order, through every page of the list.
absl::StatusOr<std::vector<v1::Delivery>> AllDeliveries(
    client::Client& client, const std::string& subscriber);
// The deliveries of one event to every subscriber of the page.
absl::StatusOr<std::vector<v1::Delivery>> DeliveriesOfEvent(
    client::Client& client, const std::string& page, int64_t sequence);
// Polls the subscriber's deliveries until there are `count`, every one
// DELIVERED; DEADLINE_EXCEEDED with what was last seen otherwise.
absl::StatusOr<std::vector<v1::Delivery>> WaitForDelivered(
    client::Client& client, const std::string& subscriber, size_t count,
    absl::Duration timeout);

// Every event of a page, oldest first.
absl::StatusOr<std::vector<v1::Event>> AllEvents(client::Client& client,
                                                 const std::string& page);
// The sequence of the INCIDENT_UPDATE_POSTED event of each update (by
// update name), in the order given; -1 where there is none.
std::vector<int64_t> PostedSequences(const std::vector<v1::Event>& events,
                                     const std::vector<std::string>& updates);

// "pages/{p}/events/{seq}" -> seq; -1 when it is not such a name.
int64_t SequenceOfEventId(absl::string_view id);
// The sequence in a delivery's name (.../deliveries/{seq}); -1 otherwise.
int64_t SequenceOfDelivery(const v1::Delivery& delivery);

// One received webhook request, taken apart and checked.
struct Webhook {
  testing::HttpRequest request;
  std::string event_id;  // Incidentd-Event-Id
  int64_t seq = -1;      // from event_id
  int attempt = 0;       // Incidentd-Delivery-Attempt
  // The signature verifies under the secret over Incidentd-Timestamp and
  // the raw body (notify::VerifyWebhookSignature).
  bool signature_ok = false;
  // The body parsed as a v1.WebhookNotification (unknown fields refused).
  bool body_ok = false;
  v1::WebhookNotification notification;
  bool answered_2xx() const {
    return request.status >= 200 && request.status < 300;
  }
};
Webhook ParseWebhook(const testing::HttpRequest& request,
                     const std::string& secret);
// The requests received on `path`, in arrival order, taken apart.
std::vector<Webhook> WebhooksAt(const testing::HttpReceiver& receiver,
                                const std::string& path,
                                const std::string& secret);
// The sequences of `hooks` that were answered 2xx, in arrival order.
std::vector<int64_t> AcceptedSequences(const std::vector<Webhook>& hooks);
// How many requests on `path` were answered 2xx.
size_t AcceptedCount(const testing::HttpReceiver& receiver,
                     const std::string& path);

// An RFC 5322 message taken apart: headers (names lowercased, folded lines
// joined) and the decoded text and HTML parts of a multipart/alternative
// body with base64 parts, as incidentd sends.
struct ParsedMail {
  std::map<std::string, std::string> headers;
  std::string text;
  std::string html;
  std::string Header(const std::string& name) const;
};
absl::StatusOr<ParsedMail> ParseMail(const std::string& data);
// The token of the first "<prefix>?token=<token>" link in `text`, "" when
// there is none.
std::string LinkToken(const std::string& text, const std::string& prefix);

// The WARN and ERROR lines of a server log.
std::string Warnings(const std::string& log);

// "n=50 min=.. p50=.. p99=.. max=.." of durations, in milliseconds; the
// values by name for RecordProperty.
struct Distribution {
  size_t n = 0;
  double min_ms = 0, p50_ms = 0, p99_ms = 0, max_ms = 0;
  std::string ToString() const;
};
Distribution Summarize(std::vector<absl::Duration> samples);

}  // namespace incidentd::e2e

#endif  // INCIDENTD_TESTS_E2E_NOTIFY_HELPERS_H_
