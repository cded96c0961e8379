// What a notification looks like on the wire, rendered from the API's
// messages: the webhook request (JSON body and headers) and the email (a
// MIME message with a plain-text and an HTML part). Pure: no I/O, the time
// and ids are passed in.
#ifndef INCIDENTD_SERVER_NOTIFY_MESSAGES_H_
#define INCIDENTD_SERVER_NOTIFY_MESSAGES_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "incidentd/v1/events.pb.h"
#include "incidentd/v1/resources.pb.h"
#include "incidentd/v1/subscriptions.pb.h"

namespace incidentd::notify {

using Headers = std::vector<std::pair<std::string, std::string>>;

// --- Webhooks.

struct WebhookRequest {
  std::string url;
  std::string body;  // JSON
  Headers headers;   // besides Content-Type and User-Agent
};

// pages/{page}/events/{sequence}: the id of the notification of an event.
std::string EventId(std::string_view page_id, int64_t seq);

// The POST for one notification: the WebhookNotification as JSON (proto3
// JSON mapping, lowerCamelCase names, enums by name), with headers
//   Incidentd-Event-Id: <notification.id>
//   Incidentd-Event-Type: <the event type's name, e.g. INCIDENT_UPDATE_POSTED>
//   Incidentd-Delivery-Attempt: <attempt, 1 for the first>
//   Incidentd-Timestamp: <unix seconds of `now`>
//   Incidentd-Signature: v1=... (signing.h)
WebhookRequest BuildWebhookRequest(std::string_view url,
                                   std::string_view signing_secret,
                                   const v1::WebhookNotification& notification,
                                   int attempt, absl::Time now);

// --- Email.

// One notification as an email shows it: the event, and the incident it
// concerns (as it is when sent) when there is one.
struct MailItem {
  v1::Event event;
  std::optional<v1::Incident> incident;
};

struct MailContext {
  std::string page_display_name;
  // Component resource names -> display names, for the affected
  // components; a component missing here is shown by its id.
  std::map<std::string, std::string> component_display_names;
  std::string page_url;         // "" when the page has none
  std::string unsubscribe_url;  // "" when there is no link to give
  std::string unsubscribe_token;
};

struct Mail {
  std::string from;  // e.g. "Status <status@example.com>"
  std::string to;
  std::string subject;  // UTF-8; ToMime encodes it
  std::string text;     // UTF-8 plain text
  std::string html;     // UTF-8 HTML, every interpolated value escaped
  Headers headers;      // extra headers, e.g. List-Unsubscribe
};

// The label of a notification's state as subjects show it: the update's
// status ("Investigating", "Identified", "Monitoring", "Resolved",
// "Scheduled", "In progress", "Verifying", "Completed", "Cancelled"), "Update"
// for a post without a status, and for other events a word for the event
// ("Starting soon", "Postmortem published", and the component's new status
// e.g. "Major Outage" for a component status change, as the page says it).
std::string NotificationLabel(const MailItem& item);

// "[<page>] <title>: <label>", title being the incident's title, or the
// component's display name for a component status change. With several
// items (a coalesced burst for one incident, in event order), the last
// item's label.
std::string NotificationSubject(std::string_view page_display_name,
                                const std::vector<MailItem>& items);

// The notification mail: subject as above; text and HTML with, per item in
// order, its label, time (UTC, e.g. "2024-05-02 14:03 UTC") and body (the
// update's text, or what the event says), then the incident's affected
// components, the page link, and the unsubscribe link and token. Headers:
// List-Unsubscribe: <url> and List-Unsubscribe-Post: List-Unsubscribe=One-Click
// when there is an unsubscribe URL.
Mail RenderNotificationMail(const MailContext& context, std::string_view from,
                            std::string_view to,
                            const std::vector<MailItem>& items);

// The double opt-in mail: subject "[<page>] Confirm your subscription",
// with the confirmation link (or, without one, the token and how to use
// it), and a note that nothing is sent until confirmed.
Mail RenderConfirmationMail(std::string_view page_display_name,
                            std::string_view from, std::string_view to,
                            std::string_view confirm_url,
                            std::string_view confirmation_token);

// The bare address of a From value: "Status <s@example.com>" ->
// "s@example.com"; a bare address as is. The SMTP envelope sender.
std::string EnvelopeAddress(std::string_view from);

// The RFC 5322 message: Date, From, To, Subject (RFC 2047 encoded-word when
// not ASCII), Message-ID <message_id>, MIME-Version, the extra headers, and
// a multipart/alternative body with the text and HTML parts, each UTF-8 in
// base64 with CRLF line endings.
std::string ToMime(const Mail& mail, absl::Time date,
                   std::string_view message_id);

}  // namespace incidentd::notify

#endif  // INCIDENTD_SERVER_NOTIFY_MESSAGES_H_
