// Rendering notifications: the webhook request (JSON body and headers) and
// the email (labels, subject, text and HTML, and the MIME message, parsed
// back here to check what a mail reader would see).
#include "server/notify/messages.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "server/notify/signing.h"

namespace incidentd::notify {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::Pair;

constexpr char kPage[] = "pages/productsup";
constexpr char kIncident[] = "pages/productsup/incidents/delta-2024";
constexpr char kDataProcessing[] =
    "pages/productsup/components/data-processing";
constexpr char kApi[] = "pages/productsup/components/api";
// 2024-05-02 14:03:00 UTC, a Thursday.
const absl::Time kWhen = absl::FromUnixSeconds(1714658580);

void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  ts->set_seconds(absl::ToUnixSeconds(t));
}

v1::Incident Incident(
    const std::string& title = "Issue with delta processing") {
  v1::Incident incident;
  incident.set_name(kIncident);
  incident.set_title(title);
  incident.set_kind(v1::Incident::INCIDENT);
  incident.set_status(v1::IncidentStatus::IDENTIFIED);
  incident.add_components(kDataProcessing);
  incident.add_components(kApi);
  return incident;
}

v1::Event UpdateEvent(int64_t seq, v1::IncidentStatus::Value status,
                      const std::string& body, absl::Time display_time) {
  v1::Event e;
  e.set_page(kPage);
  e.set_sequence(seq);
  e.set_type(v1::Event::INCIDENT_UPDATE_POSTED);
  SetTime(display_time + absl::Minutes(1), e.mutable_create_time());
  e.set_actor("Productsup Tech Operations Team");
  e.set_resource(std::string(kIncident) + "/updates/u" + std::to_string(seq));
  e.set_incident(kIncident);
  e.add_components(kDataProcessing);
  e.set_notify(true);
  v1::IncidentUpdate* u = e.mutable_incident_update();
  u->set_name(e.resource());
  u->set_status(status);
  u->set_body(body);
  SetTime(display_time, u->mutable_display_time());
  return e;
}

MailItem UpdateItem(int64_t seq, v1::IncidentStatus::Value status,
                    const std::string& body, absl::Time when = kWhen) {
  return MailItem{UpdateEvent(seq, status, body, when), Incident()};
}

MailContext Context() {
  MailContext c;
  c.page_display_name = "Productsup";
  c.page_url = "https://status.productsup.com";
  c.unsubscribe_url = "https://status.productsup.com/unsubscribe?token=tok123";
  c.unsubscribe_token = "tok123";
  return c;
}

// --- Parsing MIME back, as a mail reader would.

struct MimePart {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string raw_body;
  std::string decoded;  // base64 decoded
};

struct Mime {
  std::vector<std::pair<std::string, std::string>> headers;  // unfolded
  std::vector<MimePart> parts;

  std::string Header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (absl::EqualsIgnoreCase(n, name)) return v;
    }
    return "";
  }
  int Count(const std::string& name) const {
    int count = 0;
    for (const auto& h : headers)
      count += absl::EqualsIgnoreCase(h.first, name);
    return count;
  }
};

// Unfolds "Name: value\r\n continued" header blocks.
std::vector<std::pair<std::string, std::string>> ParseHeaders(
    absl::string_view block) {
  std::vector<std::pair<std::string, std::string>> out;
  for (absl::string_view line : absl::StrSplit(block, "\r\n")) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (!out.empty()) out.back().second += std::string(line);
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      ADD_FAILURE() << "header line without ':': " << line;
      continue;
    }
    std::string value(line.substr(colon + 1));
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    out.emplace_back(std::string(line.substr(0, colon)), value);
  }
  return out;
}

Mime ParseMime(const std::string& message) {
  Mime mime;
  const size_t end = message.find("\r\n\r\n");
  if (end == std::string::npos) {
    ADD_FAILURE() << "no end of headers";
    return mime;
  }
  mime.headers = ParseHeaders(absl::string_view(message).substr(0, end));
  const std::string type = mime.Header("Content-Type");
  const size_t b = type.find("boundary=\"");
  if (b == std::string::npos) {
    ADD_FAILURE() << "no boundary in " << type;
    return mime;
  }
  const std::string boundary =
      type.substr(b + 10, type.find('"', b + 10) - (b + 10));
  const std::string body = message.substr(end + 4);
  const std::string delimiter = "--" + boundary;
  std::vector<std::string> chunks = absl::StrSplit(body, delimiter);
  // [preamble, part, part, "--\r\n"]
  EXPECT_EQ(chunks.size(), 4u);
  if (chunks.size() < 2) return mime;
  EXPECT_EQ(chunks.back(), "--\r\n");
  for (size_t i = 1; i + 1 < chunks.size(); ++i) {
    absl::string_view chunk = chunks[i];
    EXPECT_TRUE(absl::ConsumePrefix(&chunk, "\r\n"));
    const size_t part_end = chunk.find("\r\n\r\n");
    MimePart part;
    part.headers = ParseHeaders(chunk.substr(0, part_end));
    part.raw_body = std::string(chunk.substr(part_end + 4));
    std::string joined;
    for (absl::string_view line : absl::StrSplit(part.raw_body, "\r\n")) {
      EXPECT_LE(line.size(), 76u);
      joined += std::string(line);
    }
    EXPECT_TRUE(absl::Base64Unescape(joined, &part.decoded)) << joined;
    mime.parts.push_back(std::move(part));
  }
  return mime;
}

// Decodes a header value made of RFC 2047 "=?UTF-8?B?...?=" words (white
// space between them ignored) or plain text.
std::string DecodeWords(const std::string& value) {
  if (!absl::StrContains(value, "=?")) return value;
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t start = value.find("=?UTF-8?B?", pos);
    if (start == std::string::npos) {
      out += value.substr(pos);
      break;
    }
    const std::string between = value.substr(pos, start - pos);
    if (between.find_first_not_of(" \t") != std::string::npos) out += between;
    const size_t end = value.find("?=", start + 10);
    std::string decoded;
    EXPECT_TRUE(absl::Base64Unescape(
        value.substr(start + 10, end - (start + 10)), &decoded));
    out += decoded;
    pos = end + 2;
  }
  return out;
}

// Each line of the message, without its CRLF; fails on a bare CR or LF.
std::vector<std::string> CrlfLines(const std::string& message) {
  EXPECT_TRUE(absl::EndsWith(message, "\r\n"));
  std::vector<std::string> lines = absl::StrSplit(message, "\r\n");
  lines.pop_back();
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  }
  return lines;
}

// --- Webhooks
// -----------------------------------------------------------------

TEST(WebhookTest, EventId_IsThePageEventName) {
  EXPECT_EQ(EventId("productsup", 42), "pages/productsup/events/42");
  EXPECT_EQ(EventId("p", 1), "pages/p/events/1");
}

v1::WebhookNotification Notification() {
  v1::WebhookNotification n;
  n.set_id(EventId("productsup", 7));
  n.set_page_display_name("Productsup");
  *n.mutable_event() = UpdateEvent(7, v1::IncidentStatus::IDENTIFIED,
                                   "We found the cause.", kWhen);
  *n.mutable_incident() = Incident();
  return n;
}

TEST(WebhookTest, Body_IsTheNotificationInTheProto3JsonMapping) {
  const v1::WebhookNotification n = Notification();
  const WebhookRequest r =
      BuildWebhookRequest("https://hooks.example.com/x", "secret", n, 1, kWhen);
  EXPECT_EQ(r.url, "https://hooks.example.com/x");
  // lowerCamelCase names and enums by name.
  EXPECT_THAT(r.body, HasSubstr("\"pageDisplayName\":\"Productsup\""));
  EXPECT_THAT(r.body, HasSubstr("\"incidentUpdate\":{"));
  EXPECT_THAT(r.body, HasSubstr("\"type\":\"INCIDENT_UPDATE_POSTED\""));
  EXPECT_THAT(r.body, HasSubstr("\"status\":\"IDENTIFIED\""));
  EXPECT_THAT(r.body, HasSubstr("\"displayTime\":\"2024-05-02T14:03:00Z\""));
  EXPECT_THAT(r.body, HasSubstr("\"notify\":true"));
  EXPECT_THAT(r.body, Not(HasSubstr("page_display_name")));
  // Fields at their default value are left out.
  EXPECT_THAT(r.body, Not(HasSubstr("\"reopen\"")));
  // And it reads back as the same message.
  v1::WebhookNotification parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(r.body, &parsed).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, n));
}

TEST(WebhookTest, Headers_AreTheDocumentedOnesAndTheSignatureVerifies) {
  const v1::WebhookNotification n = Notification();
  const absl::Time now = kWhen + absl::Seconds(30);
  const WebhookRequest r =
      BuildWebhookRequest("https://h.example/x", "s3cret", n, 3, now);
  EXPECT_THAT(
      r.headers,
      ElementsAre(
          Pair("Incidentd-Event-Id", "pages/productsup/events/7"),
          Pair("Incidentd-Event-Type", "INCIDENT_UPDATE_POSTED"),
          Pair("Incidentd-Delivery-Attempt", "3"),
          Pair("Incidentd-Timestamp", "1714658610"),
          Pair("Incidentd-Signature", MatchesRegex("v1=[0-9a-f]{64}"))));
  const std::string& signature = r.headers[4].second;
  EXPECT_EQ(signature, SignWebhook("s3cret", 1714658610, r.body));
  EXPECT_TRUE(VerifyWebhookSignature("s3cret", 1714658610, r.body, signature));
  EXPECT_FALSE(VerifyWebhookSignature("other", 1714658610, r.body, signature));
}

TEST(WebhookTest, SameNotificationSameBody_OnlyAttemptAndTimeChangeHeaders) {
  const v1::WebhookNotification n = Notification();
  const WebhookRequest a = BuildWebhookRequest("u", "s", n, 1, kWhen);
  const WebhookRequest b =
      BuildWebhookRequest("u", "s", n, 2, kWhen + absl::Seconds(5));
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.headers[0], b.headers[0]);  // the id a receiver dedupes on
  EXPECT_NE(a.headers[4], b.headers[4]);
}

// --- Labels and subjects
// -------------------------------------------------------

TEST(NotificationLabelTest, UpdatesShowTheirStatusOrUpdate) {
  struct Case {
    v1::IncidentStatus::Value status;
    std::string label;
  };
  for (const Case& c : std::vector<Case>{
           {v1::IncidentStatus::INVESTIGATING, "Investigating"},
           {v1::IncidentStatus::IDENTIFIED, "Identified"},
           {v1::IncidentStatus::MONITORING, "Monitoring"},
           {v1::IncidentStatus::RESOLVED, "Resolved"},
           {v1::IncidentStatus::SCHEDULED, "Scheduled"},
           {v1::IncidentStatus::IN_PROGRESS, "In progress"},
           {v1::IncidentStatus::VERIFYING, "Verifying"},
           {v1::IncidentStatus::COMPLETED, "Completed"},
           {v1::IncidentStatus::CANCELLED, "Cancelled"},
           {v1::IncidentStatus::VALUE_UNSPECIFIED, "Update"},
       }) {
    EXPECT_EQ(NotificationLabel(UpdateItem(1, c.status, "b")), c.label);
  }
  MailItem reopened = UpdateItem(1, v1::IncidentStatus::INVESTIGATING, "b");
  reopened.event.mutable_incident_update()->set_reopen(true);
  EXPECT_EQ(NotificationLabel(reopened), "Reopened");
  // The label the server put on the update wins.
  MailItem labelled = UpdateItem(1, v1::IncidentStatus::IN_PROGRESS, "b");
  labelled.event.mutable_incident_update()->set_label("In progress");
  EXPECT_EQ(NotificationLabel(labelled), "In progress");
}

TEST(NotificationLabelTest, OtherEventsHaveAWordForTheEvent) {
  MailItem soon;
  soon.event.set_type(v1::Event::MAINTENANCE_STARTING_SOON);
  *soon.event.mutable_incident_state() = Incident("Database upgrade");
  EXPECT_EQ(NotificationLabel(soon), "Starting soon");

  MailItem postmortem;
  postmortem.event.set_type(v1::Event::POSTMORTEM_PUBLISHED);
  postmortem.event.mutable_postmortem()->set_state(v1::Postmortem::PUBLISHED);
  EXPECT_EQ(NotificationLabel(postmortem), "Postmortem published");

  MailItem component;
  component.event.set_type(v1::Event::COMPONENT_STATUS_CHANGED);
  component.event.mutable_component()->set_display_name("Data Processing");
  component.event.mutable_component()->set_status(
      v1::ComponentStatus::MAJOR_OUTAGE);
  EXPECT_EQ(NotificationLabel(component), "Major Outage");
  component.event.mutable_component()->set_status(
      v1::ComponentStatus::DEGRADED_PERFORMANCE);
  EXPECT_EQ(NotificationLabel(component), "Degraded Performance");
  component.event.mutable_component()->set_status(
      v1::ComponentStatus::OPERATIONAL);
  EXPECT_EQ(NotificationLabel(component), "Operational");

  MailItem resolved;
  resolved.event.set_type(v1::Event::INCIDENT_RESOLVED);
  EXPECT_EQ(NotificationLabel(resolved), "Resolved");
  MailItem started;
  started.event.set_type(v1::Event::MAINTENANCE_STARTED);
  EXPECT_EQ(NotificationLabel(started), "In progress");
}

TEST(NotificationSubjectTest, PageTitleAndLabel) {
  EXPECT_EQ(NotificationSubject(
                "Productsup",
                {UpdateItem(1, v1::IncidentStatus::IDENTIFIED, "Found it.")}),
            "[Productsup] Issue with delta processing: Identified");

  MailItem component;
  component.event.set_type(v1::Event::COMPONENT_STATUS_CHANGED);
  component.event.mutable_component()->set_display_name("Data Processing");
  component.event.mutable_component()->set_status(
      v1::ComponentStatus::MAJOR_OUTAGE);
  EXPECT_EQ(NotificationSubject("Productsup", {component}),
            "[Productsup] Data Processing: Major Outage");

  // Without the incident as sent, the event's own copy gives the title.
  MailItem soon;
  soon.event.set_type(v1::Event::MAINTENANCE_STARTING_SOON);
  *soon.event.mutable_incident_state() = Incident("Database upgrade");
  EXPECT_EQ(NotificationSubject("Exalate", {soon}),
            "[Exalate] Database upgrade: Starting soon");
}

TEST(NotificationSubjectTest, ABurstTakesTheLastLabel) {
  EXPECT_EQ(
      NotificationSubject(
          "Productsup", {UpdateItem(1, v1::IncidentStatus::INVESTIGATING, "a"),
                         UpdateItem(2, v1::IncidentStatus::IDENTIFIED, "b"),
                         UpdateItem(3, v1::IncidentStatus::MONITORING, "c")}),
      "[Productsup] Issue with delta processing: Monitoring");
}

// --- The notification mail
// ----------------------------------------------------

TEST(NotificationMailTest, TextHasLabelTimeBodyComponentsAndLinks) {
  MailItem item = UpdateItem(5, v1::IncidentStatus::IDENTIFIED,
                             "The delta import lags behind.");
  v1::ComponentChange* change =
      item.event.mutable_incident_update()->add_component_changes();
  change->set_component(kDataProcessing);
  change->set_status(v1::ComponentStatus::PARTIAL_OUTAGE);
  const Mail mail = RenderNotificationMail(Context(), "Status <s@example.com>",
                                           "ops@example.com", {item});
  EXPECT_EQ(mail.from, "Status <s@example.com>");
  EXPECT_EQ(mail.to, "ops@example.com");
  EXPECT_EQ(mail.subject,
            "[Productsup] Issue with delta processing: Identified");
  for (const std::string& part : std::vector<std::string>{
           "Issue with delta processing", "Identified - 2024-05-02 14:03 UTC",
           "The delta import lags behind.", "data-processing (Partial Outage)",
           "- api\n", "https://status.productsup.com",
           "https://status.productsup.com/unsubscribe?token=tok123",
           "tok123"}) {
    EXPECT_THAT(mail.text, HasSubstr(part));
  }
  EXPECT_THAT(mail.html, HasSubstr("Identified"));
  EXPECT_THAT(mail.html, HasSubstr("2024-05-02 14:03 UTC"));
  EXPECT_THAT(mail.html, HasSubstr("<p>The delta import lags behind.</p>"));
  EXPECT_THAT(mail.html,
              HasSubstr("<a href=\"https://status.productsup.com/"
                        "unsubscribe?token=tok123\">Unsubscribe</a>"));
  EXPECT_THAT(mail.html, HasSubstr("<code>tok123</code>"));
  EXPECT_THAT(
      mail.headers,
      ElementsAre(
          Pair("List-Unsubscribe",
               "<https://status.productsup.com/unsubscribe?token=tok123>"),
          Pair("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")));
}

TEST(NotificationMailTest, AffectedComponents_ByDisplayNameWhereKnown) {
  MailItem item = UpdateItem(5, v1::IncidentStatus::IDENTIFIED, "Lagging.");
  v1::ComponentChange* change =
      item.event.mutable_incident_update()->add_component_changes();
  change->set_component(kDataProcessing);
  change->set_status(v1::ComponentStatus::PARTIAL_OUTAGE);
  MailContext context = Context();
  context.component_display_names[kDataProcessing] = "Data <Processing>";
  const Mail mail = RenderNotificationMail(context, "s@example.com",
                                           "ops@example.com", {item});
  EXPECT_THAT(mail.text, HasSubstr("Data <Processing> (Partial Outage)"));
  EXPECT_THAT(mail.text, HasSubstr("- api\n"));  // unknown: by id
  EXPECT_THAT(mail.html, HasSubstr("Data &lt;Processing&gt;"));
}

TEST(NotificationMailTest, WithoutAnUnsubscribeUrl_TheTokenAndNoHeaders) {
  MailContext context = Context();
  context.unsubscribe_url = "";
  context.page_url = "";
  const Mail mail = RenderNotificationMail(
      context, "s@example.com", "ops@example.com",
      {UpdateItem(1, v1::IncidentStatus::INVESTIGATING, "Looking.")});
  EXPECT_TRUE(mail.headers.empty());
  EXPECT_THAT(mail.text, HasSubstr("tok123"));
  EXPECT_THAT(mail.text, HasSubstr("SubscriptionService.Unsubscribe"));
  EXPECT_THAT(mail.text, Not(HasSubstr("Status page:")));
  EXPECT_THAT(mail.html, Not(HasSubstr("<a ")));
}

TEST(NotificationMailTest, HtmlEscapesEveryInterpolatedValue) {
  MailContext context = Context();
  context.page_display_name = "Evil & <Co>";
  context.unsubscribe_token = "\"><img src=x onerror=alert(1)>";
  MailItem item = UpdateItem(1, v1::IncidentStatus::INVESTIGATING,
                             "<script>alert('body')</script> & \"quotes\"");
  item.incident->set_title("<script>alert('title')</script>");
  item.event.mutable_incident_update()->set_label("<b>label</b>");
  const Mail mail = RenderNotificationMail(context, "s@example.com",
                                           "ops@example.com", {item});
  EXPECT_THAT(mail.html, Not(HasSubstr("<script>")));
  EXPECT_THAT(mail.html, Not(HasSubstr("<b>")));
  EXPECT_THAT(mail.html, Not(HasSubstr("<img")));
  EXPECT_THAT(mail.html, Not(HasSubstr("<Co>")));
  EXPECT_THAT(mail.html,
              HasSubstr("&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;"));
  EXPECT_THAT(mail.html,
              HasSubstr("&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt; "
                        "&amp; &quot;quotes&quot;"));
  EXPECT_THAT(mail.html, HasSubstr("Evil &amp; &lt;Co&gt;"));
  EXPECT_THAT(mail.html, HasSubstr("&quot;&gt;&lt;img src=x"));
  // The text part is plain text: as written.
  EXPECT_THAT(mail.text, HasSubstr("<script>alert('title')</script>"));
}

TEST(NotificationMailTest, HtmlKeepsParagraphsAndLineBreaks) {
  const Mail mail = RenderNotificationMail(
      Context(), "s@example.com", "ops@example.com",
      {UpdateItem(1, v1::IncidentStatus::IDENTIFIED,
                  "First paragraph,\nsecond line.\n\n\nSecond paragraph.\r\n"
                  "\r\nThird.")});
  EXPECT_THAT(mail.html,
              HasSubstr("<p>First paragraph,<br>\nsecond line.</p>\n"
                        "<p>Second paragraph.</p>\n<p>Third.</p>\n"));
}

TEST(NotificationMailTest, OnlyWebLinksBecomeAnchors) {
  MailContext context = Context();
  context.page_url = "javascript:alert(1)";
  context.unsubscribe_url = "data:text/html,hi";
  const Mail mail = RenderNotificationMail(
      context, "s@example.com", "ops@example.com",
      {UpdateItem(1, v1::IncidentStatus::IDENTIFIED, "x")});
  EXPECT_THAT(mail.html, Not(HasSubstr("href")));
}

TEST(NotificationMailTest, ABurstListsEveryItemInOrder) {
  const Mail mail = RenderNotificationMail(
      Context(), "s@example.com", "ops@example.com",
      {UpdateItem(1, v1::IncidentStatus::INVESTIGATING, "first body", kWhen),
       UpdateItem(2, v1::IncidentStatus::IDENTIFIED, "second body",
                  kWhen + absl::Minutes(20)),
       UpdateItem(3, v1::IncidentStatus::VALUE_UNSPECIFIED, "third body",
                  kWhen + absl::Minutes(41))});
  EXPECT_EQ(mail.subject, "[Productsup] Issue with delta processing: Update");
  for (const std::string* part : {&mail.text, &mail.html}) {
    const size_t a = part->find("first body");
    const size_t b = part->find("second body");
    const size_t c = part->find("third body");
    ASSERT_NE(a, std::string::npos);
    ASSERT_NE(b, std::string::npos);
    ASSERT_NE(c, std::string::npos);
    EXPECT_LT(a, b);
    EXPECT_LT(b, c);
  }
  EXPECT_THAT(mail.text, HasSubstr("Investigating - 2024-05-02 14:03 UTC"));
  EXPECT_THAT(mail.text, HasSubstr("Identified - 2024-05-02 14:23 UTC"));
  EXPECT_THAT(mail.text, HasSubstr("Update - 2024-05-02 14:44 UTC"));
}

TEST(NotificationMailTest, OtherEventsSayWhatHappened) {
  MailItem soon;
  soon.event.set_type(v1::Event::MAINTENANCE_STARTING_SOON);
  SetTime(kWhen, soon.event.mutable_create_time());
  v1::Incident maintenance = Incident("Database upgrade");
  maintenance.set_kind(v1::Incident::MAINTENANCE);
  SetTime(kWhen + absl::Hours(1), maintenance.mutable_scheduled_start_time());
  SetTime(kWhen + absl::Hours(3), maintenance.mutable_scheduled_end_time());
  soon.incident = maintenance;
  Mail mail = RenderNotificationMail(Context(), "s@example.com",
                                     "ops@example.com", {soon});
  EXPECT_THAT(mail.text, HasSubstr("starts at 2024-05-02 15:03 UTC and is "
                                   "planned to end at 2024-05-02 17:03 UTC"));

  MailItem postmortem;
  postmortem.event.set_type(v1::Event::POSTMORTEM_PUBLISHED);
  v1::Postmortem* pm = postmortem.event.mutable_postmortem();
  SetTime(kWhen + absl::Hours(48), pm->mutable_publish_time());
  pm->add_sections()->set_heading("Root cause");
  pm->mutable_sections(0)->set_body("A full disk.");
  postmortem.incident = Incident();
  mail = RenderNotificationMail(Context(), "s@example.com", "ops@example.com",
                                {postmortem});
  EXPECT_EQ(mail.subject,
            "[Productsup] Issue with delta processing: Postmortem published");
  EXPECT_THAT(mail.text,
              HasSubstr("Postmortem published - 2024-05-04 14:03 UTC"));
  EXPECT_THAT(mail.text, HasSubstr("Root cause\n\nA full disk."));
  EXPECT_THAT(mail.html, HasSubstr("<p>Root cause</p>\n<p>A full disk.</p>"));

  MailItem component;
  component.event.set_type(v1::Event::COMPONENT_STATUS_CHANGED);
  component.event.mutable_component()->set_display_name("Data Processing");
  component.event.mutable_component()->set_status(
      v1::ComponentStatus::PARTIAL_OUTAGE);
  component.event.mutable_component()->set_status_reason("Queue backlog.");
  mail = RenderNotificationMail(Context(), "s@example.com", "ops@example.com",
                                {component});
  EXPECT_THAT(mail.text, HasSubstr("Data Processing is now: Partial Outage."));
  EXPECT_THAT(mail.text, HasSubstr("Queue backlog."));
}

// --- The confirmation mail
// ----------------------------------------------------

TEST(ConfirmationMailTest, HasTheLinkAndSaysNothingIsSentUntilConfirmed) {
  const Mail mail = RenderConfirmationMail(
      "Productsup", "Status <s@example.com>", "ops@example.com",
      "https://status.productsup.com/confirm?token=c0nf", "c0nf");
  EXPECT_EQ(mail.subject, "[Productsup] Confirm your subscription");
  EXPECT_EQ(mail.to, "ops@example.com");
  EXPECT_THAT(mail.text,
              HasSubstr("https://status.productsup.com/confirm?token=c0nf"));
  EXPECT_THAT(mail.text, HasSubstr("Nothing is sent"));
  EXPECT_THAT(mail.html,
              HasSubstr("<a href=\"https://status.productsup.com/confirm?"
                        "token=c0nf\">"));
  EXPECT_TRUE(mail.headers.empty());
}

TEST(ConfirmationMailTest, WithoutALink_TheTokenAndHowToUseIt) {
  const Mail mail = RenderConfirmationMail("Productsup", "s@example.com",
                                           "ops@example.com", "", "c0nf");
  EXPECT_THAT(mail.text, HasSubstr("ConfirmSubscriber"));
  EXPECT_THAT(mail.text, HasSubstr("c0nf"));
  EXPECT_THAT(mail.html, HasSubstr("<code>c0nf</code>"));
  EXPECT_THAT(mail.html, Not(HasSubstr("<a ")));
}

// --- MIME
// ---------------------------------------------------------------------

Mail SampleMail() {
  return RenderNotificationMail(
      Context(), "Productsup Status <status@productsup.example>",
      "ops@example.com",
      {UpdateItem(9, v1::IncidentStatus::IDENTIFIED,
                  "We found the cause.\n\nA fix is rolling out.")});
}

TEST(MimeTest, HeadersBodyAndPartsRoundTrip) {
  const Mail mail = SampleMail();
  const std::string mime =
      ToMime(mail, kWhen, "pages/productsup/events/9@incidentd");
  CrlfLines(mime);
  const Mime parsed = ParseMime(mime);
  EXPECT_EQ(parsed.Header("Date"), "Thu, 02 May 2024 14:03:00 +0000");
  EXPECT_EQ(parsed.Header("From"),
            "Productsup Status <status@productsup.example>");
  EXPECT_EQ(parsed.Header("To"), "ops@example.com");
  EXPECT_EQ(parsed.Header("Subject"),
            "[Productsup] Issue with delta processing: Identified");
  EXPECT_EQ(parsed.Header("Message-ID"),
            "<pages/productsup/events/9@incidentd>");
  EXPECT_EQ(parsed.Header("MIME-Version"), "1.0");
  EXPECT_EQ(parsed.Header("List-Unsubscribe"),
            "<https://status.productsup.com/unsubscribe?token=tok123>");
  EXPECT_EQ(parsed.Header("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click");
  EXPECT_THAT(parsed.Header("Content-Type"),
              HasSubstr("multipart/alternative; boundary="));
  ASSERT_EQ(parsed.parts.size(), 2u);
  EXPECT_EQ(parsed.parts[0].headers[0].second, "text/plain; charset=UTF-8");
  EXPECT_EQ(parsed.parts[1].headers[0].second, "text/html; charset=UTF-8");
  for (const MimePart& part : parsed.parts) {
    EXPECT_THAT(part.headers,
                testing::Contains(Pair("Content-Transfer-Encoding", "base64")));
  }
  // The content is the mail's, with CRLF line endings.
  std::string expected_text = mail.text;
  std::string expected_html = mail.html;
  for (std::string* s : {&expected_text, &expected_html}) {
    std::string crlf;
    for (char c : *s)
      crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    *s = crlf;
  }
  EXPECT_EQ(parsed.parts[0].decoded, expected_text);
  EXPECT_EQ(parsed.parts[1].decoded, expected_html);
  EXPECT_THAT(parsed.parts[0].decoded,
              HasSubstr("We found the cause.\r\n\r\n"));
}

TEST(MimeTest, HeaderOrderIsDateFromToSubjectIdVersionExtrasThenType) {
  const std::string mime = ToMime(SampleMail(), kWhen, "id@x");
  const Mime parsed = ParseMime(mime);
  std::vector<std::string> names;
  for (const auto& h : parsed.headers) names.push_back(h.first);
  EXPECT_THAT(names, ElementsAre("Date", "From", "To", "Subject", "Message-ID",
                                 "MIME-Version", "List-Unsubscribe",
                                 "List-Unsubscribe-Post", "Content-Type"));
}

TEST(MimeTest, Base64LinesAreWrappedAt76) {
  Mail mail = SampleMail();
  mail.text = std::string(5000, 'x');
  const std::string mime = ToMime(mail, kWhen, "id@x");
  const Mime parsed = ParseMime(mime);
  ASSERT_EQ(parsed.parts.size(), 2u);
  EXPECT_EQ(parsed.parts[0].decoded, mail.text);
  const std::vector<std::string> lines =
      absl::StrSplit(parsed.parts[0].raw_body, "\r\n", absl::SkipEmpty());
  ASSERT_GT(lines.size(), 10u);
  for (size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i].size(), 76u);
}

TEST(MimeTest, TheBoundaryAppearsOnlyAsDelimiters) {
  // Many varied bodies: the delimiter must never occur inside a part.
  Mail mail = SampleMail();
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    const char c = static_cast<char>(i * 7919 % 256);
    if (c != '\r' && c != '\n') text += c;  // line ends become CRLF
  }
  mail.text = text;
  const std::string mime = ToMime(mail, kWhen, "id@x");
  const Mime parsed = ParseMime(mime);  // expects exactly 2 parts
  ASSERT_EQ(parsed.parts.size(), 2u);
  EXPECT_TRUE(parsed.parts[0].decoded == mail.text);  // no 3 KB dump
}

TEST(MimeTest, NonAsciiSubjectIsEncodedAndDecodesBack) {
  Mail mail = SampleMail();
  mail.subject =
      "[Störungsmeldung] Verzögerte Datenverarbeitung – Ursache gefunden 🔥 "
      "und noch ein langer Titel mit Umlauten äöüß";
  const std::string mime = ToMime(mail, kWhen, "id@x");
  const std::vector<std::string> lines = CrlfLines(mime);
  for (const std::string& line : lines) {
    EXPECT_LE(line.size(), 78u) << line;
    for (char c : line) {
      EXPECT_LT(static_cast<unsigned char>(c), 0x80) << "raw 8-bit in " << line;
    }
  }
  const Mime parsed = ParseMime(mime);
  const std::string subject = parsed.Header("Subject");
  EXPECT_THAT(subject, HasSubstr("=?UTF-8?B?"));
  EXPECT_EQ(DecodeWords(subject), mail.subject);
}

TEST(MimeTest, LongAsciiSubjectIsFoldedAndUnfoldsToTheOriginal) {
  Mail mail = SampleMail();
  mail.subject =
      "[Productsup] A rather long incident title that goes on and on about "
      "delta processing delays in the EU region: Monitoring";
  const std::string mime = ToMime(mail, kWhen, "id@x");
  for (const std::string& line : CrlfLines(mime)) {
    EXPECT_LE(line.size(), 78u) << line;
  }
  EXPECT_EQ(ParseMime(mime).Header("Subject"), mail.subject);
}

TEST(MimeTest, FromDisplayNameIsEncodedWhenNotAsciiAndQuotedWhenSpecial) {
  Mail mail = SampleMail();
  mail.from = "Störungen <status@example.com>";
  Mime parsed = ParseMime(ToMime(mail, kWhen, "id@x"));
  const std::string from = parsed.Header("From");
  EXPECT_THAT(from, MatchesRegex("=\\?UTF-8\\?B\\?[A-Za-z0-9+/=]+\\?= "
                                 "<status@example\\.com>"));
  EXPECT_EQ(DecodeWords(from.substr(0, from.find(" <"))), "Störungen");

  mail.from = "Productsup, Status <status@example.com>";
  parsed = ParseMime(ToMime(mail, kWhen, "id@x"));
  EXPECT_EQ(parsed.Header("From"),
            "\"Productsup, Status\" <status@example.com>");
  mail.from = "status@example.com";
  parsed = ParseMime(ToMime(mail, kWhen, "id@x"));
  EXPECT_EQ(parsed.Header("From"), "status@example.com");
}

TEST(MimeTest, CrOrLfInValuesCannotInjectHeaders) {
  Mail mail = SampleMail();
  mail.subject = "Hello\r\nBcc: victim@example.com";
  mail.to = "ops@example.com\nBcc: victim2@example.com";
  mail.from = "Status\r\nX-Evil: 1\r\n <s@example.com>";
  mail.headers.emplace_back("X-Extra", "value\r\n\r\n<html>body injected");
  mail.headers.emplace_back("X-Bad\r\nBcc", "v");
  const std::string mime = ToMime(mail, kWhen, "id@x>\r\nBcc: v3@example.com");
  CrlfLines(mime);
  const Mime parsed = ParseMime(mime);
  EXPECT_EQ(parsed.Count("Bcc"), 0);
  EXPECT_EQ(parsed.Count("X-Evil"), 0);
  EXPECT_EQ(parsed.Count("Subject"), 1);
  EXPECT_EQ(parsed.Count("To"), 1);
  for (const auto& h : parsed.headers) {
    EXPECT_FALSE(absl::StartsWith(h.first, "<html>")) << h.first;
  }
  EXPECT_THAT(parsed.Header("Subject"), HasSubstr("Hello"));
  EXPECT_THAT(parsed.Header("Subject"), HasSubstr("victim@example.com"));
  ASSERT_EQ(parsed.parts.size(), 2u);
}

TEST(MimeTest, DateIsRfc5322InUtc) {
  const Mail mail = SampleMail();
  // 2000-01-01 was a Saturday; 2024-02-29 a Thursday.
  EXPECT_EQ(ParseMime(ToMime(mail, absl::FromUnixSeconds(946684800), "i@x"))
                .Header("Date"),
            "Sat, 01 Jan 2000 00:00:00 +0000");
  EXPECT_EQ(ParseMime(ToMime(mail, absl::FromUnixSeconds(1709222405), "i@x"))
                .Header("Date"),
            "Thu, 29 Feb 2024 16:00:05 +0000");
}

// A second opinion from a real mail parser: Debian's Python reads the
// message back with the modern email policy.
TEST(MimeTest, PythonsEmailPackageReadsTheMessage) {
  Mail mail = SampleMail();
  mail.subject = "[Productsup] Verzögerung: Identified";
  const std::string mime = ToMime(mail, kWhen, "abc@incidentd");
  char path[] = "/tmp/incidentd-mime-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FILE* f = fdopen(fd, "wb");
  ASSERT_NE(f, nullptr);
  fwrite(mime.data(), 1, mime.size(), f);
  fclose(f);
  const std::string script =
      "import email, email.policy, sys\n"
      "m = email.message_from_binary_file(open(sys.argv[1], 'rb'), "
      "policy=email.policy.default)\n"
      "assert not m.defects, m.defects\n"
      "print(m['subject'])\n"
      "print(m['date'].datetime.isoformat())\n"
      "print(m.get_content_type())\n"
      "for p in m.iter_parts():\n"
      "  assert not p.defects, p.defects\n"
      "  print(p.get_content_type(), len(p.get_content()))\n"
      "print(m.get_body(('plain',)).get_content().count('We found the "
      "cause.'))\n";
  const std::string command =
      "/usr/bin/python3 -c \"$INCIDENTD_PY\" " + std::string(path);
  setenv("INCIDENTD_PY", script.c_str(), 1);
  FILE* p = popen(command.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buffer[512];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, p)) > 0) out.append(buffer, n);
  const int status = pclose(p);
  unlink(path);
  ASSERT_EQ(status, 0) << out;
  const std::vector<std::string> lines =
      absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 6u) << out;
  EXPECT_EQ(lines[0], "[Productsup] Verzögerung: Identified");
  EXPECT_EQ(lines[1], "2024-05-02T14:03:00+00:00");
  EXPECT_EQ(lines[2], "multipart/alternative");
  EXPECT_THAT(lines[3], HasSubstr("text/plain"));
  EXPECT_THAT(lines[4], HasSubstr("text/html"));
  EXPECT_EQ(lines[5], "1");
}

}  // namespace
}  // namespace incidentd::notify
