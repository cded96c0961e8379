#include "server/notify/messages.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/domain/incident_rules.h"
#include "server/domain/page_status.h"
#include "server/notify/signing.h"
#include "server/strings.h"

namespace incidentd::notify {
namespace {

// --- Small helpers.

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

bool IsSet(const google::protobuf::Timestamp& ts) {
  return ts.seconds() != 0 || ts.nanos() != 0;
}

// "2024-05-02 14:03 UTC": times in mail are UTC, labelled as such, since a
// subscriber's own zone is not known.
std::string FormatUtc(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", FromProto(ts),
                          absl::UTCTimeZone());
}

// The last segment of a resource name: "pages/p/components/api" -> "api".
std::string_view LastSegment(std::string_view name) {
  const size_t slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

// The words the status page uses (domain rules), so that a mail says what
// the page says. v1 enum values equal the model's.
std::string StatusTitle(v1::IncidentStatus::Value status) {
  if (status == v1::IncidentStatus::VALUE_UNSPECIFIED) return "Update";
  return domain::StatusTitle(static_cast<IncidentStatus>(status));
}

std::string ComponentStatusTitle(v1::ComponentStatus::Value status) {
  if (status == v1::ComponentStatus::VALUE_UNSPECIFIED) return "Status changed";
  return domain::ComponentStatusTitle(static_cast<ComponentStatus>(status));
}

// The incident an item concerns: as it is when sent, else as the event
// recorded it, else none.
const v1::Incident* ItemIncident(const MailItem& item) {
  if (item.incident.has_value()) return &*item.incident;
  if (item.event.has_incident_state()) return &item.event.incident_state();
  return nullptr;
}

// The thing a notification is about, as the subject names it.
std::string ItemTitle(const MailItem& item) {
  if (item.event.has_component()) return item.event.component().display_name();
  if (const v1::Incident* incident = ItemIncident(item)) {
    return incident->title();
  }
  return "Status update";
}

// When the item happened as the page shows it: an update's display time
// (which may be backfilled), a postmortem's publish time, else the time of
// the change.
std::string ItemTime(const MailItem& item) {
  const v1::Event& e = item.event;
  if (e.has_incident_update() && IsSet(e.incident_update().display_time())) {
    return FormatUtc(e.incident_update().display_time());
  }
  if (e.has_postmortem() && IsSet(e.postmortem().publish_time())) {
    return FormatUtc(e.postmortem().publish_time());
  }
  return FormatUtc(e.create_time());
}

// What the item says, as plain text with blank lines between paragraphs.
std::string ItemBody(const MailItem& item) {
  const v1::Event& e = item.event;
  if (e.has_incident_update()) return e.incident_update().body();
  if (e.has_postmortem()) {
    std::string out;
    for (const v1::PostmortemSection& section : e.postmortem().sections()) {
      if (!out.empty()) out += "\n\n";
      if (!section.heading().empty())
        StrAppend(&out, section.heading(), "\n\n");
      out += section.body();
    }
    return out;
  }
  if (e.has_component()) {
    const v1::Component& c = e.component();
    std::string out = absl::StrFormat("%s is now: %s.", c.display_name(),
                                      ComponentStatusTitle(c.status()));
    if (!c.status_reason().empty()) StrAppend(&out, "\n\n", c.status_reason());
    return out;
  }
  const v1::Incident* incident = ItemIncident(item);
  if (e.type() == v1::Event::MAINTENANCE_STARTING_SOON && incident != nullptr &&
      IsSet(incident->scheduled_start_time())) {
    std::string out = StrCat("The scheduled maintenance starts at ",
                             FormatUtc(incident->scheduled_start_time()));
    if (IsSet(incident->scheduled_end_time())) {
      StrAppend(&out, " and is planned to end at ",
                FormatUtc(incident->scheduled_end_time()));
    }
    return out + ".";
  }
  return "";
}

// The affected components as the mail lists them: the incident's, each
// with the status the last item's update set on it, if any: by display
// name where the context knows it, else by id.
std::vector<std::string> AffectedComponents(
    const MailContext& context, const std::vector<MailItem>& items) {
  std::vector<std::string> out;
  if (items.empty()) return out;
  const MailItem& last = items.back();
  const v1::Incident* incident = ItemIncident(last);
  if (incident == nullptr) return out;
  for (const std::string& name : incident->components()) {
    auto known = context.component_display_names.find(name);
    std::string line = known != context.component_display_names.end()
                           ? known->second
                           : std::string(LastSegment(name));
    if (last.event.has_incident_update()) {
      for (const v1::ComponentChange& change :
           last.event.incident_update().component_changes()) {
        if (change.component() == name) {
          StrAppend(&line, " (", ComponentStatusTitle(change.status()), ")");
        }
      }
    }
    out.push_back(std::move(line));
  }
  return out;
}

bool IsWebUrl(std::string_view url) {
  const absl::string_view u = ToAbsl(url);
  return absl::StartsWithIgnoreCase(u, "https://") ||
         absl::StartsWithIgnoreCase(u, "http://");
}

// --- HTML.

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Plain text as HTML paragraphs: blank lines separate paragraphs, single
// line breaks stay line breaks. Every character is escaped.
std::string TextToHtml(std::string_view text) {
  std::string out;
  std::string paragraph;
  auto flush = [&]() {
    if (paragraph.empty()) return;
    StrAppend(&out, "<p>", paragraph, "</p>\n");
    paragraph.clear();
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (absl::StripAsciiWhitespace(ToAbsl(line)).empty()) {
      flush();
    } else {
      if (!paragraph.empty()) paragraph += "<br>\n";
      paragraph += EscapeHtml(line);
    }
    pos = end + 1;
  }
  flush();
  return out;
}

std::string HtmlLink(std::string_view url, std::string_view text) {
  // Only web links become anchors: a "javascript:" URL from a bad config
  // must not turn into something a mail client runs on click.
  if (!IsWebUrl(url)) return EscapeHtml(text);
  return absl::StrFormat("<a href=\"%s\">%s</a>", EscapeHtml(url),
                         EscapeHtml(text));
}

std::string HtmlDocument(std::string_view title, std::string_view body) {
  return StrCat(
      "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>",
      EscapeHtml(title),
      "</title>\n</head>\n<body style=\"font-family: sans-serif; "
      "line-height: 1.4\">\n",
      body, "</body>\n</html>\n");
}

// --- MIME.

// A header value on one line: CR, LF and other controls become spaces, so
// that no value can end its header and start another (header injection).
std::string OneLine(std::string_view value) {
  std::string out(value);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = ' ';
  }
  return out;
}

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) return false;
  }
  return true;
}

// Whether a value can go into a header as it is: printable ASCII that a
// mail reader would not mistake for an encoded word.
bool NeedsEncoding(std::string_view value) {
  return !IsPrintableAscii(value) || value.find("=?") != std::string_view::npos;
}

// RFC 2047 B encoded words for `value` (one line, UTF-8), split between
// characters so that each word decodes to whole characters, folded onto
// continuation lines. 39 bytes per word keeps each line under 76 columns
// even after "Subject: ".
std::string EncodedWords(std::string_view value) {
  constexpr size_t kBytesPerWord = 39;
  std::string out;
  size_t pos = 0;
  while (pos < value.size()) {
    size_t end = std::min(value.size(), pos + kBytesPerWord);
    // Back up to the start of a UTF-8 sequence (never past the word start).
    while (end < value.size() && end > pos + 1 &&
           (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (!out.empty()) out += "\r\n ";
    StrAppend(&out, "=?UTF-8?B?",
              absl::Base64Escape(ToAbsl(value.substr(pos, end - pos))), "?=");
    pos = end;
  }
  return out;
}

// An unstructured header value (Subject, extra headers): encoded words when
// needed, else folded at spaces to keep lines near 78 columns.
std::string HeaderText(std::string_view name, std::string_view raw) {
  const std::string value = OneLine(raw);
  if (NeedsEncoding(value)) return EncodedWords(value);
  std::string out;
  size_t column = name.size() + 2;  // "Name: "
  size_t pos = 0;
  while (pos < value.size()) {
    size_t space = value.find(' ', pos + 1);
    if (space == std::string::npos) space = value.size();
    const std::string_view word(value.data() + pos, space - pos);
    // A word starts with its leading space; folding puts the CRLF before it.
    // A fold needs something after the space: a line of only white space
    // is not allowed.
    if (pos > 0 && column + word.size() > 78 && word.size() > 1 &&
        word.front() == ' ') {
      out += "\r\n";
      column = 0;
    }
    out.append(word.data(), word.size());
    column += word.size();
    pos = space;
  }
  return out;
}

}  // namespace

std::string EnvelopeAddress(std::string_view from) {
  const size_t open = from.rfind('<');
  const size_t close = from.rfind('>');
  if (open == std::string_view::npos || close == std::string_view::npos ||
      close < open) {
    return std::string(from);
  }
  return std::string(from.substr(open + 1, close - open - 1));
}

namespace {

// RFC 5322 specials that force a display name into quotes.
bool NeedsQuoting(std::string_view phrase) {
  return phrase.find_first_of("()<>[]:;@\\,.\"") != std::string_view::npos;
}

// A mailbox for From: "Name <addr>" with the name encoded or quoted as
// needed, or a bare address.
std::string MailboxHeader(std::string_view raw) {
  const std::string value = OneLine(raw);
  const size_t open = value.rfind('<');
  if (open == std::string::npos || value.back() != '>') {
    return std::string(absl::StripAsciiWhitespace(value));
  }
  std::string name(
      absl::StripAsciiWhitespace(absl::string_view(value.data(), open)));
  const std::string address = value.substr(open);
  if (name.empty()) return address;
  const bool quoted =
      name.size() >= 2 && name.front() == '"' && name.back() == '"';
  if (NeedsEncoding(name)) {
    if (quoted) name = name.substr(1, name.size() - 2);
    return StrCat(EncodedWords(name), " ", address);
  }
  if (!quoted && NeedsQuoting(name)) {
    std::string q = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    name = q + "\"";
  }
  return StrCat(name, " ", address);
}

// A header name: RFC 5322 field-name characters only.
std::string HeaderName(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u < 0x7F && c != ':') out += c;
  }
  return out;
}

// RFC 5322 date, always in UTC: "Thu, 02 May 2024 14:03:00 +0000". Day and
// month names from tables, not the C locale.
std::string MailDate(absl::Time t) {
  static constexpr const char* kDays[] = {"Mon", "Tue", "Wed", "Thu",
                                          "Fri", "Sat", "Sun"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr",
                                            "May", "Jun", "Jul", "Aug",
                                            "Sep", "Oct", "Nov", "Dec"};
  const absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
  const int weekday = static_cast<int>(absl::GetWeekday(cs));  // Monday = 0
  return absl::StrFormat("%s, %02d %s %04d %02d:%02d:%02d +0000",
                         kDays[weekday], cs.day(), kMonths[cs.month() - 1],
                         cs.year(), cs.hour(), cs.minute(), cs.second());
}

// Text with every line break as CRLF, as MIME's canonical form of text.
std::string ToCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

// Base64 in lines of 76 characters, each ended by CRLF.
std::string Base64Lines(std::string_view data) {
  const std::string encoded = absl::Base64Escape(ToAbsl(data));
  std::string out;
  for (size_t pos = 0; pos < encoded.size(); pos += 76) {
    StrAppend(&out, absl::string_view(encoded).substr(pos, 76), "\r\n");
  }
  return out;
}

// '_' never occurs in base64 and '=' never starts a base64 line, so this
// delimiter cannot appear inside the parts.
constexpr char kBoundary[] = "=_incidentd_alternative_part";

}  // namespace

// --- Webhooks.

std::string EventId(std::string_view page_id, int64_t seq) {
  return StrCat("pages/", page_id, "/events/", seq);
}

WebhookRequest BuildWebhookRequest(std::string_view url,
                                   std::string_view signing_secret,
                                   const v1::WebhookNotification& notification,
                                   int attempt, absl::Time now) {
  WebhookRequest request;
  request.url = std::string(url);
  // The proto3 JSON mapping with its defaults: lowerCamelCase names, enums
  // by name, fields at their default value left out (as ListEvents' JSON
  // shows them through grpcurl), so a receiver reads a missing field as
  // its zero value.
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = false;
  options.always_print_enums_as_ints = false;
  options.preserve_proto_field_names = false;
  if (!google::protobuf::util::MessageToJsonString(notification, &request.body,
                                                   options)
           .ok()) {
    // Only a message no API call can produce fails to print (a timestamp
    // outside years 1 to 9999); the receiver still gets the id and can
    // fetch the event with ListEvents.
    v1::WebhookNotification minimal;
    minimal.set_id(notification.id());
    minimal.set_page_display_name(notification.page_display_name());
    request.body.clear();
    (void)google::protobuf::util::MessageToJsonString(minimal, &request.body,
                                                      options);
  }
  const int64_t timestamp = absl::ToUnixSeconds(now);
  std::string type_name = v1::Event::Type_Name(notification.event().type());
  if (type_name.empty()) type_name = StrCat(notification.event().type());
  request.headers = {
      {"Incidentd-Event-Id", OneLine(notification.id())},
      {"Incidentd-Event-Type", type_name},
      {"Incidentd-Delivery-Attempt", StrCat(attempt)},
      {"Incidentd-Timestamp", StrCat(timestamp)},
      {"Incidentd-Signature",
       SignWebhook(signing_secret, timestamp, request.body)},
  };
  return request;
}

// --- Email.

std::string NotificationLabel(const MailItem& item) {
  const v1::Event& e = item.event;
  if (e.has_incident_update()) {
    const v1::IncidentUpdate& u = e.incident_update();
    // The API's own label when the server filled it in; the same rule
    // otherwise.
    if (!u.label().empty()) return u.label();
    if (u.reopen()) return "Reopened";
    return StatusTitle(u.status());
  }
  switch (e.type()) {
    case v1::Event::INCIDENT_CREATED: {
      const v1::Incident* incident = ItemIncident(item);
      return incident != nullptr ? StatusTitle(incident->status()) : "Update";
    }
    case v1::Event::INCIDENT_RESOLVED:
      return "Resolved";
    case v1::Event::INCIDENT_REOPENED:
      return "Reopened";
    case v1::Event::MAINTENANCE_SCHEDULED:
      return "Scheduled";
    case v1::Event::MAINTENANCE_STARTED:
      return "In progress";
    case v1::Event::MAINTENANCE_COMPLETED:
      return "Completed";
    case v1::Event::MAINTENANCE_CANCELLED:
      return "Cancelled";
    case v1::Event::MAINTENANCE_STARTING_SOON:
      return "Starting soon";
    case v1::Event::POSTMORTEM_PUBLISHED:
      return "Postmortem published";
    case v1::Event::POSTMORTEM_UPDATED:
      return "Postmortem updated";
    case v1::Event::POSTMORTEM_UNPUBLISHED:
      return "Postmortem withdrawn";
    case v1::Event::COMPONENT_STATUS_CHANGED:
      return ComponentStatusTitle(e.component().status());
    default:
      return "Update";
  }
}

std::string NotificationSubject(std::string_view page_display_name,
                                const std::vector<MailItem>& items) {
  if (items.empty()) return StrCat("[", page_display_name, "] Status update");
  const MailItem& last = items.back();
  return StrCat("[", page_display_name, "] ", ItemTitle(last), ": ",
                NotificationLabel(last));
}

Mail RenderNotificationMail(const MailContext& context, std::string_view from,
                            std::string_view to,
                            const std::vector<MailItem>& items) {
  Mail mail;
  mail.from = std::string(from);
  mail.to = std::string(to);
  mail.subject = NotificationSubject(context.page_display_name, items);
  const std::string title =
      items.empty() ? std::string("Status update") : ItemTitle(items.back());

  std::string text = StrCat(title, "\n");
  std::string html = StrCat("<h1>", EscapeHtml(title), "</h1>\n");
  for (const MailItem& item : items) {
    const std::string label = NotificationLabel(item);
    const std::string time = ItemTime(item);
    const std::string body = ItemBody(item);
    StrAppend(&text, "\n", label, " - ", time, "\n");
    if (!body.empty()) StrAppend(&text, body, "\n");
    StrAppend(&html, "<h2>", EscapeHtml(label), " <small>", EscapeHtml(time),
              "</small></h2>\n", TextToHtml(body));
  }

  const std::vector<std::string> components = AffectedComponents(context, items);
  if (!components.empty()) {
    StrAppend(&text, "\nAffected components:\n");
    StrAppend(&html, "<p>Affected components:</p>\n<ul>\n");
    for (const std::string& c : components) {
      StrAppend(&text, "- ", c, "\n");
      StrAppend(&html, "<li>", EscapeHtml(c), "</li>\n");
    }
    StrAppend(&html, "</ul>\n");
  }
  if (!context.page_url.empty()) {
    StrAppend(&text, "\nStatus page: ", context.page_url, "\n");
    StrAppend(&html, "<p>",
              HtmlLink(context.page_url,
                       StrCat("View the ", context.page_display_name,
                              " status page")),
              "</p>\n");
  }

  StrAppend(&text, "\n--\nYou receive this because you subscribed to ",
            context.page_display_name, " status updates.\n");
  StrAppend(&html,
            "<hr>\n<p><small>You receive this because you subscribed to ",
            EscapeHtml(context.page_display_name), " status updates.");
  if (!context.unsubscribe_url.empty()) {
    StrAppend(&text, "Unsubscribe: ", context.unsubscribe_url, "\n");
    StrAppend(&html, " ", HtmlLink(context.unsubscribe_url, "Unsubscribe"),
              ".");
  }
  if (!context.unsubscribe_token.empty()) {
    StrAppend(&text, "Unsubscribe token (SubscriptionService.Unsubscribe): ",
              context.unsubscribe_token, "\n");
    StrAppend(&html,
              "<br>\nUnsubscribe token (SubscriptionService.Unsubscribe): "
              "<code>",
              EscapeHtml(context.unsubscribe_token), "</code>");
  }
  StrAppend(&html, "</small></p>\n");

  mail.text = std::move(text);
  mail.html = HtmlDocument(mail.subject, html);
  if (!context.unsubscribe_url.empty()) {
    // RFC 2369 and RFC 8058: mail clients show an unsubscribe button that
    // POSTs to the link, with no page to visit.
    mail.headers.emplace_back("List-Unsubscribe",
                              StrCat("<", context.unsubscribe_url, ">"));
    mail.headers.emplace_back("List-Unsubscribe-Post",
                              "List-Unsubscribe=One-Click");
  }
  return mail;
}

Mail RenderConfirmationMail(std::string_view page_display_name,
                            std::string_view from, std::string_view to,
                            std::string_view confirm_url,
                            std::string_view confirmation_token) {
  Mail mail;
  mail.from = std::string(from);
  mail.to = std::string(to);
  mail.subject = StrCat("[", page_display_name, "] Confirm your subscription");

  std::string text =
      StrCat("Someone, hopefully you, asked to receive ", page_display_name,
             " status updates at ", to, ".\n\n");
  std::string html = StrCat(
      "<h1>Confirm your subscription</h1>\n<p>Someone, "
      "hopefully you, asked to receive ",
      EscapeHtml(page_display_name), " status updates at ", EscapeHtml(to),
      ".</p>\n");
  if (!confirm_url.empty()) {
    StrAppend(&text, "Confirm your subscription: ", confirm_url, "\n\n");
    StrAppend(&html, "<p>", HtmlLink(confirm_url, "Confirm your subscription"),
              "</p>\n");
  } else {
    StrAppend(&text,
              "To confirm, call SubscriptionService.ConfirmSubscriber with "
              "this token:\n\n",
              confirmation_token, "\n\n");
    StrAppend(&html,
              "<p>To confirm, call SubscriptionService.ConfirmSubscriber "
              "with this token:</p>\n<p><code>",
              EscapeHtml(confirmation_token), "</code></p>\n");
  }
  const char kNote[] =
      "Nothing is sent to this address until the subscription is confirmed. "
      "If you did not ask for it, ignore this message.";
  StrAppend(&text, kNote, "\n");
  StrAppend(&html, "<p>", EscapeHtml(kNote), "</p>\n");

  mail.text = std::move(text);
  mail.html = HtmlDocument(mail.subject, html);
  return mail;
}

std::string ToMime(const Mail& mail, absl::Time date,
                   std::string_view message_id) {
  std::string id = OneLine(message_id);
  id.erase(
      std::remove_if(id.begin(), id.end(),
                     [](char c) { return c == '<' || c == '>' || c == ' '; }),
      id.end());
  std::string out;
  StrAppend(&out, "Date: ", MailDate(date), "\r\n");
  StrAppend(&out, "From: ", MailboxHeader(mail.from), "\r\n");
  StrAppend(&out, "To: ", MailboxHeader(mail.to), "\r\n");
  StrAppend(&out, "Subject: ", HeaderText("Subject", mail.subject), "\r\n");
  StrAppend(&out, "Message-ID: <", id, ">\r\n");
  StrAppend(&out, "MIME-Version: 1.0\r\n");
  for (const auto& [raw_name, value] : mail.headers) {
    const std::string name = HeaderName(raw_name);
    if (name.empty()) continue;
    StrAppend(&out, name, ": ", HeaderText(name, value), "\r\n");
  }
  StrAppend(&out, "Content-Type: multipart/alternative; boundary=\"", kBoundary,
            "\"\r\n\r\n");
  const std::pair<const char*, const std::string*> parts[] = {
      {"text/plain", &mail.text}, {"text/html", &mail.html}};
  for (const auto& [type, content] : parts) {
    StrAppend(&out, "--", kBoundary, "\r\n", "Content-Type: ", type,
              "; charset=UTF-8\r\n",
              "Content-Transfer-Encoding: base64\r\n\r\n",
              Base64Lines(ToCrlf(*content)));
  }
  StrAppend(&out, "--", kBoundary, "--\r\n");
  return out;
}

}  // namespace incidentd::notify
