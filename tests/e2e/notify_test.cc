// Notifications end to end, with one real incidentd: webhooks to an HTTP
// receiver in this process and mail to a real SMTP sink, through retries, a
// receiver that is down, component filters, quarantine and double opt-in.
// Each test checks what arrived at the receiver (order, signatures, bodies,
// exactly-once) and what ListDeliveries says about it.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/api_helpers.h"
#include "tests/e2e/notify_helpers.h"
#include "tests/e2e/server_harness.h"
#include "tests/testing/http_receiver.h"
#include "tests/testing/smtp_sink.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPage[] = "status";
constexpr char kPageDisplayName[] = "Page status";  // CreatePage's
// Long enough for a few retries at --retry_max_delay=1s on a busy machine.
constexpr absl::Duration kPrompt = absl::Seconds(20);

// One server with quick retries, a webhook receiver, and (for the mail
// tests) an SMTP sink the server sends to.
class NotifyTest : public ServerTest {
 protected:
  void SetUp() override {
    ASSERT_OK(receiver_.Start());
    if (WithMail()) {
      ASSERT_OK(sink_.Start());
    }
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK(CreatePage(client(), kPage));
  }

  ServerOptions Options() const override {
    ServerOptions options;
    // Nothing listens on port 1: mail fails unless a test starts the sink.
    options.extra_flags =
        NotifyFlags(WithMail() ? sink_.Url() : "smtp://127.0.0.1:1");
    for (const std::string& flag : ExtraFlags()) {
      options.extra_flags.push_back(flag);
    }
    return options;
  }
  void TearDown() override {
    // The server's warnings explain most failures (e.g. a dispatcher that
    // skipped events).
    if (HasFailure() && server_ != nullptr) {
      std::cout << "incidentd warnings:\n" << Warnings(server_->Log());
    }
    ServerTest::TearDown();
  }
  virtual bool WithMail() const { return false; }
  virtual std::vector<std::string> ExtraFlags() const { return {}; }

  // The name of the incident's first update (the timeline is newest first).
  std::string FirstUpdate(const std::string& incident) {
    absl::StatusOr<v1::Incident> got = GetIncident(client(), incident);
    if (!got.ok() || got->updates_size() == 0) {
      ADD_FAILURE() << "no timeline for " << incident << ": " << got.status();
      return "";
    }
    return got->updates(got->updates_size() - 1).name();
  }

  // The sequences of the posts named, from the event log.
  std::vector<int64_t> Sequences(const std::vector<std::string>& updates) {
    absl::StatusOr<std::vector<v1::Event>> events = AllEvents(client(), kPage);
    if (!events.ok()) {
      ADD_FAILURE() << events.status();
      return {};
    }
    std::vector<int64_t> seqs = PostedSequences(*events, updates);
    for (size_t i = 0; i < seqs.size(); ++i) {
      EXPECT_GT(seqs[i], 0) << "no INCIDENT_UPDATE_POSTED for " << updates[i];
    }
    return seqs;
  }

  testing::HttpReceiver receiver_;
  testing::SmtpSink sink_;
};

// The receiver answers 503 to the first two requests. Every notifying event
// of an incident's life arrives, in event order, each accepted exactly
// once; the post made without notify never arrives; every request is
// signed with the secret CreateSubscriber returned and its body is the
// WebhookNotification of the event.
TEST_F(NotifyTest,
       Webhook_ReceiverFailsFirstAttempts_EveryNotifyingEventArrivesOnceInOrder) {
  constexpr int kFailures = 2;
  receiver_.FailNext(kFailures, 503);
  ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse created,
                       SubscribeWebhook(client(), kPage, receiver_.Url("/hook")));
  const std::string subscriber = created.subscriber().name();
  const std::string secret = created.signing_secret();
  ASSERT_EQ(secret.size(), 43u) << "32 random bytes, base64url";
  EXPECT_EQ(created.subscriber().state(), v1::Subscriber::ACTIVE);

  ASSERT_OK(CreateComponent(client(), kPage, "api"));
  const std::string api = ComponentName(kPage, "api");
  const std::string incident = IncidentName(kPage, "outage");
  ASSERT_OK(CreateIncident(client(), kPage, "outage", {api},
                           v1::IncidentStatus::INVESTIGATING,
                           {Change(api, v1::ComponentStatus::PARTIAL_OUTAGE)}));
  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate identified,
      PostNotified(client(), incident, v1::IncidentStatus::IDENTIFIED,
                   "Cause found.", /*notify=*/true));
  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate quiet,
      PostNotified(client(), incident, v1::IncidentStatus::VALUE_UNSPECIFIED,
                   "Still working on it.", /*notify=*/false));
  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate monitoring,
      PostNotified(client(), incident, v1::IncidentStatus::MONITORING,
                   "Fix deployed.", /*notify=*/true));
  // Resolving notifies without the flag.
  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate resolved,
      PostNotified(client(), incident, v1::IncidentStatus::RESOLVED,
                   "All good.", /*notify=*/false));

  const std::vector<std::string> notified = {FirstUpdate(incident),
                                             identified.name(),
                                             monitoring.name(), resolved.name()};
  const std::vector<int64_t> expected = Sequences(notified);
  const int64_t quiet_seq = Sequences({quiet.name()})[0];
  ASSERT_FALSE(HasFailure());

  ASSERT_OK_AND_ASSIGN(std::vector<v1::Delivery> deliveries,
                       WaitForDelivered(client(), subscriber, expected.size(),
                                        kPrompt));

  // The event log marks exactly these events as notifying.
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events, AllEvents(client(), kPage));
  std::vector<int64_t> notifying;
  for (const v1::Event& e : events) {
    if (e.notify()) notifying.push_back(e.sequence());
  }
  EXPECT_THAT(notifying, ElementsAreArray(expected));

  // What the receiver saw: the failures (all of the first event, head of
  // line), then each event once, in order.
  std::vector<Webhook> hooks = WebhooksAt(receiver_, "/hook", secret);
  ASSERT_EQ(hooks.size(), kFailures + expected.size());
  EXPECT_THAT(AcceptedSequences(hooks), ElementsAreArray(expected));
  for (size_t i = 0; i < hooks.size(); ++i) {
    const Webhook& h = hooks[i];
    SCOPED_TRACE(absl::StrCat("request ", i, " ", h.event_id));
    EXPECT_NE(h.seq, quiet_seq);
    if (i > 0) {
      EXPECT_GE(h.seq, hooks[i - 1].seq) << "out of event order";
    }
    EXPECT_EQ(h.request.method, "POST");
    EXPECT_THAT(h.request.Header("Content-Type"), HasSubstr("application/json"));
    EXPECT_TRUE(h.signature_ok) << "signature "
                                << h.request.Header("Incidentd-Signature");
    int64_t timestamp = 0;
    ASSERT_TRUE(absl::SimpleAtoi(h.request.Header("Incidentd-Timestamp"),
                                 &timestamp));
    EXPECT_LE(std::abs(absl::ToUnixSeconds(h.request.received) - timestamp), 60);
    EXPECT_EQ(h.request.Header("Incidentd-Event-Type"), "INCIDENT_UPDATE_POSTED");
    ASSERT_TRUE(h.body_ok) << h.request.body;
    const v1::WebhookNotification& n = h.notification;
    EXPECT_EQ(n.id(), h.event_id);
    EXPECT_EQ(n.id(), absl::StrCat(PageName(kPage), "/events/", h.seq));
    EXPECT_EQ(n.page_display_name(), kPageDisplayName);
    EXPECT_EQ(n.event().sequence(), h.seq);
    EXPECT_EQ(n.event().page(), PageName(kPage));
    EXPECT_EQ(n.event().type(), v1::Event::INCIDENT_UPDATE_POSTED);
    EXPECT_TRUE(n.event().notify());
    EXPECT_EQ(n.event().incident(), incident);
    EXPECT_EQ(n.incident().name(), incident);
    const auto at = std::find(expected.begin(), expected.end(), h.seq);
    ASSERT_NE(at, expected.end());
    EXPECT_EQ(n.event().incident_update().name(),
              notified[at - expected.begin()]);
  }
  for (int i = 0; i <= kFailures; ++i) {
    EXPECT_EQ(hooks[i].seq, expected[0]);
    EXPECT_EQ(hooks[i].attempt, i + 1) << "Incidentd-Delivery-Attempt";
    EXPECT_EQ(hooks[i].answered_2xx(), i == kFailures);
  }
  EXPECT_EQ(hooks.back().notification.event().incident_update().body(),
            "All good.");
  EXPECT_EQ(hooks.back().notification.incident().status(),
            v1::IncidentStatus::RESOLVED);

  // What the API says about it.
  ASSERT_EQ(deliveries.size(), expected.size());
  for (size_t i = 0; i < deliveries.size(); ++i) {
    const v1::Delivery& d = deliveries[i];
    SCOPED_TRACE(d.name());
    EXPECT_EQ(SequenceOfDelivery(d), expected[i]);
    EXPECT_EQ(d.event(), absl::StrCat(PageName(kPage), "/events/", expected[i]));
    EXPECT_EQ(d.event_type(), v1::Event::INCIDENT_UPDATE_POSTED);
    EXPECT_EQ(d.attempts(), i == 0 ? kFailures + 1 : 1);
    EXPECT_TRUE(d.has_deliver_time());
    EXPECT_EQ(d.last_error(), "");
  }
  v1::GetSubscriberRequest get;
  get.set_name(subscriber);
  ASSERT_OK_AND_ASSIGN(v1::Subscriber after, client().GetSubscriber(get));
  EXPECT_EQ(after.consecutive_failures(), 0);
  EXPECT_EQ(after.state(), v1::Subscriber::ACTIVE);
}

// The receiver is down while three notifying events happen: the head of
// the queue is retried (and nothing overtakes it); once the receiver is
// back on its port, everything pending arrives, in order, once.
TEST_F(NotifyTest, Webhook_ReceiverDownThenUp_EverythingPendingArrivesInOrder) {
  ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse created,
                       SubscribeWebhook(client(), kPage, receiver_.Url("/hook")));
  const std::string subscriber = created.subscriber().name();
  const std::string incident = IncidentName(kPage, "down");
  ASSERT_OK(CreateIncident(client(), kPage, "down", {},
                           v1::IncidentStatus::INVESTIGATING));
  ASSERT_OK(WaitForDelivered(client(), subscriber, 1, kPrompt));

  receiver_.Stop();
  std::vector<std::string> notified = {FirstUpdate(incident)};
  for (auto [status, body] :
       {std::pair{v1::IncidentStatus::IDENTIFIED, "Identified."},
        std::pair{v1::IncidentStatus::MONITORING, "Monitoring."},
        std::pair{v1::IncidentStatus::RESOLVED, "Resolved."}}) {
    ASSERT_OK_AND_ASSIGN(v1::IncidentUpdate posted,
                         PostNotified(client(), incident, status, body, true));
    notified.push_back(posted.name());
  }
  const std::vector<int64_t> expected = Sequences(notified);
  ASSERT_FALSE(HasFailure());

  // Wait until the head has failed at least twice while the rest waits
  // behind it, unattempted.
  std::vector<v1::Delivery> seen;
  const bool failing = WaitFor(
      [&] {
        absl::StatusOr<std::vector<v1::Delivery>> d =
            AllDeliveries(client(), subscriber);
        if (!d.ok()) return false;
        seen = *d;
        return seen.size() == 4 && seen[1].state() == v1::Delivery::RETRYING &&
               seen[1].attempts() >= 2;
      },
      kPrompt);
  ASSERT_TRUE(failing) << "the head was not retried while the receiver was down";
  EXPECT_NE(seen[1].last_error(), "");
  EXPECT_TRUE(seen[1].has_next_attempt_time());
  EXPECT_EQ(seen[2].attempts(), 0) << "overtook the failing head";
  EXPECT_EQ(seen[3].attempts(), 0) << "overtook the failing head";
  std::cout << "[ receiver down ] head last_error: " << seen[1].last_error()
            << std::endl;
  EXPECT_EQ(receiver_.RequestCount(), 1u) << "a refused connection is no request";

  const absl::Time back = absl::Now();
  ASSERT_OK(receiver_.Start());  // the same port
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Delivery> deliveries,
                       WaitForDelivered(client(), subscriber, 4, kPrompt));
  std::vector<Webhook> hooks =
      WebhooksAt(receiver_, "/hook", created.signing_secret());
  EXPECT_THAT(AcceptedSequences(hooks), ElementsAreArray(expected));
  EXPECT_EQ(hooks.size(), expected.size()) << "a request was answered non-2xx";
  for (const Webhook& h : hooks) EXPECT_TRUE(h.signature_ok);
  EXPECT_GE(deliveries[1].attempts(), 3);
  std::cout << "[ receiver down ] recovered " << expected.size() - 1
            << " pending in "
            << absl::FormatDuration(hooks.back().request.received - back)
            << std::endl;
}

// Component filters: a subscriber to component A hears nothing of an
// incident touching only B nor of B's status set by hand, while a
// whole-page subscriber (the positive control) hears the incident; A's
// subscriber then hears A's status change and an incident on A.
TEST_F(NotifyTest, ComponentFilter_SubscriberToA_HearsNothingAboutB) {
  ASSERT_OK(CreateComponent(client(), kPage, "a"));
  ASSERT_OK(CreateComponent(client(), kPage, "b"));
  const std::string a = ComponentName(kPage, "a");
  const std::string b = ComponentName(kPage, "b");
  ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse to_a,
                       SubscribeWebhook(client(), kPage, receiver_.Url("/a"), {a}));
  EXPECT_THAT(to_a.subscriber().components(), ElementsAreArray({a}));
  ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse to_all,
                       SubscribeWebhook(client(), kPage, receiver_.Url("/all")));

  // An incident on B only.
  const std::string on_b = IncidentName(kPage, "on-b");
  ASSERT_OK(CreateIncident(client(), kPage, "on-b", {b},
                           v1::IncidentStatus::INVESTIGATING,
                           {Change(b, v1::ComponentStatus::MAJOR_OUTAGE)}));
  const int64_t b_seq = Sequences({FirstUpdate(on_b)})[0];
  ASSERT_OK(WaitForDelivered(client(), to_all.subscriber().name(), 1, kPrompt));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Delivery> of_b,
                       DeliveriesOfEvent(client(), kPage, b_seq));
  ASSERT_EQ(of_b.size(), 1u) << "one delivery: the whole-page subscriber's";
  EXPECT_THAT(of_b[0].name(), HasSubstr(to_all.subscriber().name()));

  // Status set by hand: only the component's own subscribers hear it.
  auto set_status = [&](const std::string& component) {
    v1::SetComponentStatusRequest request;
    request.set_name(component);
    request.set_status(v1::ComponentStatus::DEGRADED_PERFORMANCE);
    request.set_reason("Planned failover");
    return client().SetComponentStatus(request);
  };
  ASSERT_OK(set_status(b));
  ASSERT_OK(set_status(a));

  // An incident on A.
  const std::string on_a = IncidentName(kPage, "on-a");
  ASSERT_OK(CreateIncident(client(), kPage, "on-a", {a},
                           v1::IncidentStatus::INVESTIGATING));
  const int64_t a_seq = Sequences({FirstUpdate(on_a)})[0];
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events, AllEvents(client(), kPage));
  int64_t a_status_seq = -1, b_status_seq = -1;
  for (const v1::Event& e : events) {
    if (e.type() != v1::Event::COMPONENT_STATUS_CHANGED || !e.notify()) continue;
    if (e.component().name() == a) a_status_seq = e.sequence();
    if (e.component().name() == b) b_status_seq = e.sequence();
  }
  ASSERT_GT(a_status_seq, 0) << "A's status set by hand does not notify";
  ASSERT_GT(b_status_seq, 0) << "B's status set by hand does not notify";

  ASSERT_OK(WaitForDelivered(client(), to_a.subscriber().name(), 2, kPrompt));
  ASSERT_OK(WaitForDelivered(client(), to_all.subscriber().name(), 2, kPrompt));
  // Per subscriber the order is the event order, so anything about B would
  // have arrived before these.
  EXPECT_THAT(AcceptedSequences(
                  WebhooksAt(receiver_, "/a", to_a.signing_secret())),
              ElementsAreArray({a_status_seq, a_seq}));
  EXPECT_THAT(AcceptedSequences(
                  WebhooksAt(receiver_, "/all", to_all.signing_secret())),
              ElementsAreArray({b_seq, a_seq}));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Delivery> of_b_status,
                       DeliveriesOfEvent(client(), kPage, b_status_seq));
  EXPECT_TRUE(of_b_status.empty()) << "nobody chose B";
}

class QuarantineTest : public NotifyTest {
 protected:
  std::vector<std::string> ExtraFlags() const override {
    return {"--quarantine_failures=3", "--quarantine_window=0s"};
  }
};

// A receiver that always answers 500: after three failed attempts the
// subscriber is QUARANTINED with the reason, and no attempt follows (new
// deliveries are held). Reactivated with the receiver healthy, the held
// deliveries arrive, in order, and the subscriber is ACTIVE.
TEST_F(QuarantineTest, FailingReceiver_IsQuarantined_ThenReactivatedAndDelivered) {
  receiver_.SetResponse(500);
  ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse created,
                       SubscribeWebhook(client(), kPage, receiver_.Url("/q")));
  const std::string name = created.subscriber().name();
  const std::string incident = IncidentName(kPage, "flaky");
  ASSERT_OK(CreateIncident(client(), kPage, "flaky", {},
                           v1::IncidentStatus::INVESTIGATING));

  auto get = [&]() {
    v1::GetSubscriberRequest request;
    request.set_name(name);
    return client().GetSubscriber(request);
  };
  v1::Subscriber quarantined;
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::StatusOr<v1::Subscriber> s = get();
        if (!s.ok()) return false;
        quarantined = *s;
        return s->state() == v1::Subscriber::QUARANTINED;
      },
      kPrompt))
      << "never quarantined; last seen " << quarantined.DebugString();
  EXPECT_THAT(quarantined.state_reason(), HasSubstr("HTTP 500"));
  EXPECT_THAT(quarantined.state_reason(), HasSubstr("3"));
  EXPECT_EQ(quarantined.consecutive_failures(), 3);
  EXPECT_EQ(receiver_.RequestCount(), 3u);
  v1::CountSubscribersRequest count_request;
  count_request.set_parent(PageName(kPage));
  ASSERT_OK_AND_ASSIGN(v1::CountSubscribersResponse counts,
                       client().CountSubscribers(count_request));
  EXPECT_EQ(counts.quarantined(), 1);
  EXPECT_EQ(counts.active(), 0);

  // A later event is recorded but held.
  ASSERT_OK_AND_ASSIGN(
      v1::IncidentUpdate later,
      PostNotified(client(), incident, v1::IncidentStatus::IDENTIFIED,
                   "Found it.", true));
  const std::vector<int64_t> expected =
      Sequences({FirstUpdate(incident), later.name()});
  std::vector<v1::Delivery> held;
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::StatusOr<std::vector<v1::Delivery>> d =
            AllDeliveries(client(), name);
        if (!d.ok()) return false;
        held = *d;
        return held.size() == 2;
      },
      kPrompt))
      << "the later event got no delivery";
  EXPECT_EQ(held[0].attempts(), 3);
  EXPECT_THAT(held[0].last_error(), HasSubstr("500"));
  EXPECT_EQ(held[1].attempts(), 0);
  // A redelivery is refused while quarantined.
  v1::RedeliverDeliveryRequest redeliver;
  redeliver.set_name(held[0].name());
  EXPECT_CODE(client().RedeliverDelivery(redeliver),
              absl::StatusCode::kFailedPrecondition);

  // Nothing is attempted: an unquarantined subscriber would have been
  // retried within --retry_max_delay. Watching for an absence takes time.
  absl::SleepFor(kRetryMaxDelay + 3 * kPollInterval);
  EXPECT_EQ(receiver_.RequestCount(), 3u) << "a quarantined subscriber was tried";
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Delivery> still,
                       AllDeliveries(client(), name));
  ASSERT_EQ(still.size(), 2u);
  EXPECT_EQ(still[0].attempts(), 3);
  EXPECT_EQ(still[1].attempts(), 0);

  receiver_.SetResponse(200);
  v1::ReactivateSubscriberRequest reactivate;
  reactivate.set_name(name);
  reactivate.set_etag(quarantined.etag());
  ASSERT_OK_AND_ASSIGN(v1::Subscriber active,
                       client().ReactivateSubscriber(reactivate));
  EXPECT_EQ(active.state(), v1::Subscriber::ACTIVE);
  EXPECT_EQ(active.state_reason(), "");
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Delivery> delivered,
                       WaitForDelivered(client(), name, 2, kPrompt));
  EXPECT_EQ(delivered[0].attempts(), 4);
  EXPECT_EQ(delivered[1].attempts(), 1);
  EXPECT_THAT(AcceptedSequences(WebhooksAt(receiver_, "/q",
                                           created.signing_secret())),
              ElementsAreArray(expected));
  ASSERT_OK_AND_ASSIGN(counts, client().CountSubscribers(count_request));
  EXPECT_EQ(counts.quarantined(), 0);
  EXPECT_EQ(counts.active(), 1);
  // Only a quarantined subscriber can be reactivated.
  reactivate.set_etag("");
  EXPECT_CODE(client().ReactivateSubscriber(reactivate),
              absl::StatusCode::kFailedPrecondition);
}

class MailTest : public NotifyTest {
 protected:
  bool WithMail() const override { return true; }

  // Message `i` of the sink, taken apart.
  ParsedMail Mail(size_t i) {
    std::vector<testing::SmtpMessage> messages = sink_.Messages();
    if (i >= messages.size()) {
      ADD_FAILURE() << "no message " << i;
      return {};
    }
    absl::StatusOr<ParsedMail> mail = ParseMail(messages[i].data);
    if (!mail.ok()) {
      ADD_FAILURE() << mail.status() << "\n" << messages[i].data;
      return {};
    }
    return *mail;
  }
};

// Double opt-in and unsubscribe over real SMTP: the confirmation mail's
// link token activates the subscription (nothing is sent before), each
// notification mail has the subject "[page] title: Status", the update's
// text and the unsubscribe link in the body and in List-Unsubscribe; that
// token alone unsubscribes, and later incidents send nothing more.
TEST_F(MailTest, Email_ConfirmThenNotifiedThenUnsubscribed) {
  const std::string address = "ops@example.com";
  // A webhook on the same page shows when an event has been dispatched.
  ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse control,
                       SubscribeWebhook(client(), kPage, receiver_.Url("/c")));
  ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse created,
                       SubscribeEmail(client(), kPage, address));
  const std::string name = created.subscriber().name();
  EXPECT_EQ(created.subscriber().state(), v1::Subscriber::PENDING_CONFIRMATION);
  EXPECT_EQ(created.signing_secret(), "");

  // The confirmation mail.
  ASSERT_TRUE(sink_.WaitForMessages(1, kPrompt)) << "no confirmation mail";
  {
    const testing::SmtpMessage raw = sink_.Messages()[0];
    EXPECT_EQ(raw.mail_from, kMailFromAddress);
    EXPECT_THAT(raw.rcpt_to, ElementsAreArray({address}));
  }
  ParsedMail confirmation = Mail(0);
  EXPECT_EQ(confirmation.Header("Subject"),
            absl::StrCat("[", kPageDisplayName, "] Confirm your subscription"));
  EXPECT_THAT(confirmation.Header("To"), HasSubstr(address));
  const std::string confirm_token =
      LinkToken(confirmation.text, absl::StrCat(kPublicUrl, "/confirm"));
  ASSERT_EQ(confirm_token.size(), 43u) << confirmation.text;
  EXPECT_THAT(confirmation.html, HasSubstr(confirm_token));

  ASSERT_OK(WaitForDelivered(client(), name, 1, kPrompt));

  // Before confirmation: an incident is dispatched (the control hears of
  // it) but no delivery is made for the address.
  const std::string early = IncidentName(kPage, "early");
  ASSERT_OK(CreateIncident(client(), kPage, "early", {},
                           v1::IncidentStatus::INVESTIGATING));
  ASSERT_OK(WaitForDelivered(client(), control.subscriber().name(), 1, kPrompt));
  ASSERT_OK_AND_ASSIGN(
      std::vector<v1::Delivery> of_early,
      DeliveriesOfEvent(client(), kPage, Sequences({FirstUpdate(early)})[0]));
  ASSERT_EQ(of_early.size(), 1u) << "only the control's";
  EXPECT_THAT(of_early[0].name(), HasSubstr(control.subscriber().name()));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Delivery> pending,
                       AllDeliveries(client(), name));
  ASSERT_EQ(pending.size(), 1u) << "only the confirmation mail";
  EXPECT_EQ(SequenceOfDelivery(pending[0]), 0);
  EXPECT_EQ(pending[0].state(), v1::Delivery::DELIVERED);
  EXPECT_EQ(sink_.Messages().size(), 1u);

  v1::ConfirmSubscriberRequest confirm;
  confirm.set_token(confirm_token);
  ASSERT_OK_AND_ASSIGN(v1::Subscriber confirmed,
                       client().ConfirmSubscriber(confirm));
  EXPECT_EQ(confirmed.state(), v1::Subscriber::ACTIVE);
  EXPECT_TRUE(confirmed.has_activate_time());
  // Confirming twice is harmless.
  ASSERT_OK(client().ConfirmSubscriber(confirm));

  // An incident's life, one mail at a time (so none is coalesced).
  const std::string incident = IncidentName(kPage, "outage");
  v1::CreateIncidentRequest create;
  create.set_parent(PageName(kPage));
  create.set_incident_id("outage");
  create.mutable_incident()->set_title("Delta processing delayed");
  create.mutable_first_update()->set_status(v1::IncidentStatus::INVESTIGATING);
  create.mutable_first_update()->set_body("We are investigating delays.");
  ASSERT_OK(client().CreateIncident(create));
  ASSERT_TRUE(sink_.WaitForMessages(2, kPrompt));
  ASSERT_OK(PostNotified(client(), incident, v1::IncidentStatus::IDENTIFIED,
                         "A stuck queue; draining it.", true));
  ASSERT_TRUE(sink_.WaitForMessages(3, kPrompt));
  ASSERT_OK(PostNotified(client(), incident,
                         v1::IncidentStatus::VALUE_UNSPECIFIED,
                         "Internal note nobody is mailed.", false));
  ASSERT_OK(PostNotified(client(), incident, v1::IncidentStatus::RESOLVED,
                         "Delays are gone.", false));
  ASSERT_TRUE(sink_.WaitForMessages(4, kPrompt));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Delivery> deliveries,
                       WaitForDelivered(client(), name, 4, kPrompt));

  const std::vector<std::pair<std::string, std::string>> want = {
      {"Investigating", "We are investigating delays."},
      {"Identified", "A stuck queue; draining it."},
      {"Resolved", "Delays are gone."}};
  std::string unsubscribe_token;
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("notification ", i));
    ParsedMail mail = Mail(i + 1);
    EXPECT_EQ(mail.Header("Subject"),
              absl::StrCat("[", kPageDisplayName,
                           "] Delta processing delayed: ", want[i].first));
    EXPECT_THAT(mail.text, HasSubstr(want[i].second));
    EXPECT_THAT(mail.html, HasSubstr(want[i].second));
    EXPECT_THAT(mail.text, Not(HasSubstr("Internal note")));
    EXPECT_THAT(mail.text, Not(HasSubstr("Incident early")));
    const std::string link_prefix = absl::StrCat(kPublicUrl, "/unsubscribe");
    const std::string token = LinkToken(mail.text, link_prefix);
    ASSERT_EQ(token.size(), 43u) << mail.text;
    EXPECT_NE(token, confirm_token);
    EXPECT_EQ(mail.Header("List-Unsubscribe"),
              absl::StrCat("<", link_prefix, "?token=", token, ">"));
    EXPECT_EQ(mail.Header("List-Unsubscribe-Post"),
              "List-Unsubscribe=One-Click");
    if (i == 0) unsubscribe_token = token;
    EXPECT_EQ(token, unsubscribe_token) << "one token per subscriber";
  }
  EXPECT_EQ(sink_.Messages().size(), 4u);

  // The token from List-Unsubscribe, through a client of its own.
  const std::string header_token =
      LinkToken(Mail(3).Header("List-Unsubscribe"),
                absl::StrCat(kPublicUrl, "/unsubscribe"));
  std::unique_ptr<client::Client> anonymous = server_->NewClient();
  v1::UnsubscribeRequest unsubscribe;
  unsubscribe.set_token(header_token);
  ASSERT_OK(anonymous->Unsubscribe(unsubscribe));
  v1::GetSubscriberRequest get;
  get.set_name(name);
  EXPECT_CODE(client().GetSubscriber(get), absl::StatusCode::kNotFound);
  EXPECT_CODE(anonymous->Unsubscribe(unsubscribe), absl::StatusCode::kNotFound);

  // A later incident reaches the control, and nobody else.
  const std::string later = IncidentName(kPage, "later");
  ASSERT_OK(CreateIncident(client(), kPage, "later", {},
                           v1::IncidentStatus::INVESTIGATING));
  const int64_t later_seq = Sequences({FirstUpdate(later)})[0];
  ASSERT_OK(WaitForDelivered(client(), control.subscriber().name(), 5, kPrompt));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Delivery> of_later,
                       DeliveriesOfEvent(client(), kPage, later_seq));
  ASSERT_EQ(of_later.size(), 1u);
  EXPECT_THAT(of_later[0].name(), HasSubstr(control.subscriber().name()));
  EXPECT_EQ(sink_.Messages().size(), 4u) << "mail after unsubscribing";
}

// A burst for one incident while the relay is down: once it is back, the
// notifications that are due together go out as one message carrying each
// update in order (the subject names the last), and nothing is dropped.
TEST_F(MailTest, Email_BurstWhileRelayDown_ArrivesAsOneMessageInOrder) {
  ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse created,
                       SubscribeEmail(client(), kPage, "burst@example.com"));
  const std::string name = created.subscriber().name();
  ASSERT_TRUE(sink_.WaitForMessages(1, kPrompt)) << "no confirmation mail";
  v1::ConfirmSubscriberRequest confirm;
  confirm.set_token(
      LinkToken(Mail(0).text, absl::StrCat(kPublicUrl, "/confirm")));
  ASSERT_OK(client().ConfirmSubscriber(confirm));
  ASSERT_OK(WaitForDelivered(client(), name, 1, kPrompt));

  sink_.Stop();
  const std::string incident = IncidentName(kPage, "burst");
  ASSERT_OK(CreateIncident(client(), kPage, "burst", {},
                           v1::IncidentStatus::INVESTIGATING));
  ASSERT_OK(PostNotified(client(), incident, v1::IncidentStatus::IDENTIFIED,
                         "Second: identified.", true));
  ASSERT_OK(PostNotified(client(), incident, v1::IncidentStatus::MONITORING,
                         "Third: monitoring.", true));
  // The relay refused at least one attempt before it comes back.
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::StatusOr<std::vector<v1::Delivery>> d =
            AllDeliveries(client(), name);
        return d.ok() && d->size() == 4 &&
               (*d)[1].state() == v1::Delivery::RETRYING;
      },
      kPrompt));
  ASSERT_OK(sink_.Start());  // the same port

  ASSERT_OK(WaitForDelivered(client(), name, 4, kPrompt));
  ASSERT_EQ(sink_.Messages().size(), 2u) << "one message for the burst";
  ParsedMail burst = Mail(1);
  EXPECT_EQ(burst.Header("Subject"),
            absl::StrCat("[", kPageDisplayName, "] Incident burst: Monitoring"));
  const size_t first = burst.text.find("Opened burst");
  const size_t second = burst.text.find("Second: identified.");
  const size_t third = burst.text.find("Third: monitoring.");
  ASSERT_NE(first, std::string::npos) << burst.text;
  ASSERT_NE(second, std::string::npos) << burst.text;
  ASSERT_NE(third, std::string::npos) << burst.text;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_THAT(burst.Header("List-Unsubscribe"), HasSubstr("/unsubscribe?token="));
}

// Measurement, not a pass/fail bound: 20 webhook subscribers x 50 notifying
// events = 1000 deliveries to a receiver that answers at once, through one
// server's default four delivery workers. Every one must arrive.
TEST_F(NotifyTest, Measure_Throughput_1000WebhooksAllArrive) {
  constexpr int kSubscribers = 20;
  constexpr int kEvents = 50;
  std::vector<std::string> paths;
  for (int i = 0; i < kSubscribers; ++i) {
    paths.push_back(absl::StrCat("/t", i));
    ASSERT_OK(SubscribeWebhook(client(), kPage, receiver_.Url(paths.back())));
  }
  const std::string incident = IncidentName(kPage, "burst");
  const absl::Time start = absl::Now();
  ASSERT_OK(CreateIncident(client(), kPage, "burst", {},
                           v1::IncidentStatus::INVESTIGATING));
  const absl::Time first_commit = absl::Now();
  for (int i = 1; i < kEvents - 1; ++i) {
    ASSERT_OK(PostNotified(client(), incident,
                           v1::IncidentStatus::VALUE_UNSPECIFIED,
                           absl::StrCat("Update ", i), true));
  }
  ASSERT_OK(PostNotified(client(), incident, v1::IncidentStatus::RESOLVED,
                         "Done.", false));
  const absl::Time last_commit = absl::Now();
  const size_t total = kSubscribers * kEvents;
  ASSERT_TRUE(receiver_.WaitForRequests(total, absl::Seconds(30)))
      << "only " << receiver_.RequestCount() << " of " << total;
  absl::Time last_receipt = absl::InfinitePast();
  std::map<std::string, std::set<std::string>> ids;
  for (const testing::HttpRequest& r : receiver_.Requests()) {
    last_receipt = std::max(last_receipt, r.received);
    EXPECT_EQ(r.status, 200);
    ids[r.path].insert(r.Header("Incidentd-Event-Id"));
  }
  EXPECT_EQ(receiver_.RequestCount(), total);
  for (const std::string& path : paths) {
    EXPECT_EQ(ids[path].size(), static_cast<size_t>(kEvents)) << path;
  }
  const absl::Duration from_first = last_receipt - first_commit;
  const absl::Duration after_last = last_receipt - last_commit;
  const double per_second = total / absl::ToDoubleSeconds(from_first);
  std::cout << "[ throughput ] " << total << " webhooks (" << kSubscribers
            << " subscribers x " << kEvents << " events): writes took "
            << absl::FormatDuration(last_commit - start)
            << "; last receipt " << absl::FormatDuration(from_first)
            << " after the first commit, " << absl::FormatDuration(after_last)
            << " after the last; " << static_cast<int>(per_second)
            << " webhooks/s" << std::endl;
  RecordProperty("webhooks", static_cast<int>(total));
  RecordProperty("first_commit_to_last_receipt_ms",
                 static_cast<int>(absl::ToInt64Milliseconds(from_first)));
  RecordProperty("last_commit_to_last_receipt_ms",
                 static_cast<int>(absl::ToInt64Milliseconds(after_last)));
  RecordProperty("webhooks_per_second", static_cast<int>(per_second));
}

}  // namespace
}  // namespace incidentd::e2e
