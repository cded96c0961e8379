// SubscriptionLogic over the real MariaDB: subscribers (email and webhook),
// tokens and secrets, deliveries, and every RPC's refusal of bad input,
// with nothing changed when a call fails.
#include "server/subscription_logic.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/clock.h"
#include "server/component_logic.h"
#include "server/event_notifier.h"
#include "server/incident_logic.h"
#include "server/names.h"
#include "server/notify/delivery_signal.h"
#include "server/page_logic.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using storage::Lock;
using storage::SubscriberRepository;
using storage::Transaction;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Counts wake-ups, and runs `on_wake` inside each (to look at the database
// as another session sees it at that moment).
class RecordingSignal final : public notify::DeliverySignal {
 public:
  void Wake() override {
    ++wakes_;
    if (on_wake_) on_wake_();
  }
  int wakes() const { return wakes_.load(); }
  void OnWake(std::function<void()> fn) { on_wake_ = std::move(fn); }

 private:
  std::atomic<int> wakes_{0};
  std::function<void()> on_wake_;
};

google::protobuf::FieldMask Mask(std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* p : paths) mask.add_paths(p);
  return mask;
}

absl::Time FromTs(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

class SubscriptionLogicTest : public MysqlTest {
 protected:
  void SetUp() override {
    MysqlTest::SetUp();
    if (HasFatalFailure()) return;
    pages_ = std::make_unique<PageLogic>(store(), clock_, notifier_);
    components_ = std::make_unique<ComponentLogic>(store(), clock_, notifier_);
    incidents_ = std::make_unique<IncidentLogic>(store(), clock_, notifier_);
    UseOptions(SubscriptionOptions{});
    page_ = MakePage();
  }

  void UseOptions(SubscriptionOptions options) {
    logic_ =
        std::make_unique<SubscriptionLogic>(store(), clock_, signal_, options);
  }
  SubscriptionLogic& logic() { return *logic_; }

  absl::Time Now() const { return TruncateToMicros(clock_.Now()); }

  std::string MakePage() {
    const std::string id = UniqueId("page");
    v1::CreatePageRequest r;
    r.set_page_id(id);
    r.mutable_page()->set_display_name("Page " + id);
    EXPECT_OK(pages_->CreatePage(r, Soon()));
    return id;
  }

  // Returns the component's name.
  std::string MakeComponent(const std::string& page, const std::string& id) {
    v1::CreateComponentRequest r;
    r.set_parent(PageName(page));
    r.set_component_id(id);
    r.mutable_component()->set_display_name("Component " + id);
    EXPECT_OK(components_->CreateComponent(r, Soon()));
    return ComponentName(page, id);
  }

  // An incident (which appends events to the page's log); returns its name.
  std::string MakeIncident(const std::string& page, const std::string& id) {
    v1::CreateIncidentRequest r;
    r.set_parent(PageName(page));
    r.set_incident_id(id);
    r.mutable_incident()->set_title("Issue with delta processing");
    r.mutable_first_update()->set_body("We are investigating.");
    EXPECT_OK(incidents_->CreateIncident(r, Soon()));
    return IncidentName(page, id);
  }

  int64_t Head(const std::string& page) {
    int64_t last = -1;
    EXPECT_OK(Read([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<storage::EventRepository::Head> head =
          tx.events().GetHead(page);
      if (!head.ok()) return head.status();
      last = head->last_seq;
      return absl::OkStatus();
    }));
    return last;
  }

  // The subscriber as stored, secrets included.
  Subscriber Stored(const std::string& name) {
    absl::StatusOr<PageChildName> parsed = ParseSubscriberName("name", name);
    EXPECT_OK(parsed);
    Subscriber s;
    EXPECT_OK(Read([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<Subscriber> got =
          tx.subscribers().Get(parsed->page_id, parsed->id, Lock::kNone);
      if (!got.ok()) return got.status();
      s = *std::move(got);
      return absl::OkStatus();
    }));
    return s;
  }

  // Writes `s` as the delivery workers would (state, health).
  void Rewrite(Subscriber s) {
    ++s.version;
    ASSERT_OK(
        Write([&](Transaction& tx) { return tx.subscribers().Update(s); }));
  }

  void InsertDelivery(const Delivery& d) {
    ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<int64_t> n = tx.deliveries().InsertNew({d});
      if (!n.ok()) return n.status();
      if (*n != 1) return absl::InternalError("delivery not inserted");
      return tx.deliveries().Update(d);  // attempts, errors, times as given
    }));
  }

  absl::StatusOr<Delivery> StoredDelivery(const std::string& page,
                                          const std::string& subscriber_id,
                                          int64_t seq) {
    absl::StatusOr<Delivery> out = absl::UnknownError("not read");
    absl::Status s = Read([&](Transaction& tx) -> absl::Status {
      out = tx.deliveries().Get(page, subscriber_id, seq, Lock::kNone);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return out;
  }

  // Whether a worker claiming now would take the subscriber (it is due).
  bool IsDue(const std::string& page, const std::string& id) {
    bool due = false;
    EXPECT_OK(store().ReadWrite(Soon(), [&](Transaction& tx) -> absl::Status {
      absl::StatusOr<std::vector<Subscriber>> claimed =
          tx.subscribers().ClaimDue(Now(), UniqueId("test-worker"),
                                    Now() + absl::Seconds(1), 1000);
      if (!claimed.ok()) return claimed.status();
      for (const Subscriber& s : *claimed) {
        if (s.page_id == page && s.id == id) due = true;
      }
      return absl::OkStatus();
    }));
    return due;
  }

  v1::CreateSubscriberRequest WebhookRequest(const std::string& page,
                                             const std::string& url) {
    v1::CreateSubscriberRequest r;
    r.set_parent(PageName(page));
    r.mutable_subscriber()->set_webhook_url(url);
    return r;
  }
  v1::CreateSubscriberRequest EmailRequest(const std::string& page,
                                           const std::string& email) {
    v1::CreateSubscriberRequest r;
    r.set_parent(PageName(page));
    r.mutable_subscriber()->set_email(email);
    return r;
  }

  v1::CreateSubscriberResponse MustCreate(
      const v1::CreateSubscriberRequest& r) {
    absl::StatusOr<v1::CreateSubscriberResponse> created =
        logic().CreateSubscriber(r, Soon());
    EXPECT_OK(created);
    return created.value_or(v1::CreateSubscriberResponse());
  }
  v1::Subscriber Webhook(
      const std::string& url = "https://hooks.example.com/x") {
    return MustCreate(WebhookRequest(page_, url)).subscriber();
  }
  v1::Subscriber Email(const std::string& email = "ops@example.com") {
    return MustCreate(EmailRequest(page_, email)).subscriber();
  }

  v1::Subscriber Get(const std::string& name) {
    v1::GetSubscriberRequest r;
    r.set_name(name);
    absl::StatusOr<v1::Subscriber> got = logic().GetSubscriber(r, Soon());
    EXPECT_OK(got);
    return got.value_or(v1::Subscriber());
  }

  int64_t Total(const std::string& page) {
    v1::CountSubscribersRequest r;
    r.set_parent(PageName(page));
    absl::StatusOr<v1::CountSubscribersResponse> counts =
        logic().CountSubscribers(r, Soon());
    EXPECT_OK(counts);
    return counts.ok() ? counts->total() : -1;
  }

  // That no secret of `stored` appears anywhere in `message`.
  static void ExpectNoSecrets(const google::protobuf::Message& message,
                              const Subscriber& stored) {
    const std::string wire = message.SerializeAsString();
    const std::string text = message.DebugString();
    for (const std::string* secret :
         {&stored.confirmation_token, &stored.unsubscribe_token,
          &stored.signing_secret}) {
      if (secret->empty()) continue;
      EXPECT_THAT(wire, Not(HasSubstr(*secret)));
      EXPECT_THAT(text, Not(HasSubstr(*secret)));
    }
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  NoopEventNotifier notifier_;
  RecordingSignal signal_;
  std::unique_ptr<PageLogic> pages_;
  std::unique_ptr<ComponentLogic> components_;
  std::unique_ptr<IncidentLogic> incidents_;
  std::unique_ptr<SubscriptionLogic> logic_;
  std::string page_;
};

// --- CreateSubscriber: webhooks ----------------------------------------------

TEST_F(SubscriptionLogicTest,
       CreateSubscriber_Webhook_IsActiveAndShowsItsSigningSecretOnce) {
  MakeIncident(page_, "before");
  const int64_t head = Head(page_);
  ASSERT_GT(head, 0);
  v1::CreateSubscriberResponse created =
      MustCreate(WebhookRequest(page_, "HTTPS://Hooks.Example.COM/in/Abc?x=1"));
  const v1::Subscriber& s = created.subscriber();
  EXPECT_THAT(s.name(), HasSubstr("pages/" + page_ + "/subscribers/"));
  EXPECT_EQ(s.webhook_url(), "https://hooks.example.com/in/Abc?x=1");
  EXPECT_EQ(s.state(), v1::Subscriber::ACTIVE);
  EXPECT_EQ(FromTs(s.activate_time()), Now());
  EXPECT_EQ(FromTs(s.create_time()), Now());
  EXPECT_EQ(s.etag(), "v1");
  EXPECT_EQ(created.signing_secret().size(), 43u);

  const Subscriber stored = Stored(s.name());
  EXPECT_EQ(stored.kind, SubscriberKind::kWebhook);
  EXPECT_EQ(stored.signing_secret, created.signing_secret());
  EXPECT_EQ(stored.unsubscribe_token.size(), 43u);
  EXPECT_EQ(stored.confirmation_token, "");
  // It hears of the events committed after it, not before.
  EXPECT_EQ(stored.after_seq, head);
  // No confirmation mail, nothing due, nobody woken.
  EXPECT_CODE(StoredDelivery(page_, stored.id, 0), absl::StatusCode::kNotFound);
  EXPECT_EQ(signal_.wakes(), 0);

  // The response shows the signing secret and nothing else secret.
  v1::CreateSubscriberResponse without_secret = created;
  without_secret.clear_signing_secret();
  ExpectNoSecrets(without_secret, stored);
  ExpectNoSecrets(Get(s.name()), stored);
}

TEST_F(SubscriptionLogicTest,
       CreateSubscriber_Webhook_StartsAtItsOwnPagesHead) {
  // Another page, further along its log than page_.
  const std::string page = MakePage();
  MakeIncident(page, "one");
  MakeIncident(page, "two");
  ASSERT_GT(Head(page), Head(page_));
  v1::Subscriber s =
      MustCreate(WebhookRequest(page, "https://a.example/h")).subscriber();
  EXPECT_EQ(Stored(s.name()).after_seq, Head(page));
}

TEST_F(SubscriptionLogicTest,
       CreateSubscriber_ComponentsAndIncident_AreStoredDeduplicatedInOrder) {
  const std::string api = MakeComponent(page_, "api");
  const std::string web = MakeComponent(page_, "web");
  const std::string incident = MakeIncident(page_, "outage");
  v1::CreateSubscriberRequest r = WebhookRequest(page_, "https://a.example/h");
  r.mutable_subscriber()->add_components(web);
  r.mutable_subscriber()->add_components(api);
  r.mutable_subscriber()->add_components(web);
  r.mutable_subscriber()->set_incident(incident);
  v1::Subscriber s = MustCreate(r).subscriber();
  EXPECT_THAT(s.components(), ElementsAre(web, api));
  EXPECT_EQ(s.incident(), incident);
  const Subscriber stored = Stored(s.name());
  EXPECT_THAT(stored.component_ids, ElementsAre("web", "api"));
  EXPECT_EQ(stored.incident_id, "outage");
  EXPECT_THAT(Get(s.name()).components(), ElementsAre(web, api));
}

TEST_F(SubscriptionLogicTest, CreateSubscriber_OutputFields_AreIgnored) {
  v1::CreateSubscriberRequest r = WebhookRequest(page_, "https://a.example/h");
  r.mutable_subscriber()->set_name("pages/other/subscribers/mine");
  r.mutable_subscriber()->set_state(v1::Subscriber::QUARANTINED);
  r.mutable_subscriber()->set_consecutive_failures(7);
  r.mutable_subscriber()->set_state_reason("made up");
  v1::Subscriber s = MustCreate(r).subscriber();
  EXPECT_THAT(s.name(), HasSubstr("pages/" + page_ + "/subscribers/"));
  EXPECT_EQ(s.state(), v1::Subscriber::ACTIVE);
  EXPECT_EQ(s.consecutive_failures(), 0);
  EXPECT_EQ(s.state_reason(), "");
}

// --- CreateSubscriber: email -------------------------------------------------

TEST_F(SubscriptionLogicTest,
       CreateSubscriber_Email_IsPendingWithItsConfirmationMailDueAndWakes) {
  clock_.Advance(absl::Microseconds(1234567));
  // At the wake-up, another session must already see the committed mail.
  bool visible_at_wake = false;
  signal_.OnWake([&] {
    absl::StatusOr<std::vector<Subscriber>> all = absl::UnknownError("");
    EXPECT_OK(Read([&](Transaction& tx) -> absl::Status {
      storage::SubscriberQuery q;
      q.page_id = page_;
      all = tx.subscribers().List(q);
      return absl::OkStatus();
    }));
    visible_at_wake = all.ok() && all->size() == 1 &&
                      StoredDelivery(page_, (*all)[0].id, 0).ok();
  });
  v1::CreateSubscriberRequest r = EmailRequest(page_, "Ops.Team@Example.COM");
  v1::CreateSubscriberResponse created = MustCreate(r);
  const v1::Subscriber& s = created.subscriber();
  EXPECT_EQ(s.email(), "Ops.Team@example.com");  // the domain lowercased
  EXPECT_EQ(s.state(), v1::Subscriber::PENDING_CONFIRMATION);
  EXPECT_FALSE(s.has_activate_time());
  EXPECT_EQ(created.signing_secret(), "");
  EXPECT_EQ(signal_.wakes(), 1);
  EXPECT_TRUE(visible_at_wake);

  const Subscriber stored = Stored(s.name());
  EXPECT_EQ(stored.kind, SubscriberKind::kEmail);
  EXPECT_EQ(stored.confirmation_token.size(), 43u);
  EXPECT_EQ(stored.unsubscribe_token.size(), 43u);
  EXPECT_NE(stored.confirmation_token, stored.unsubscribe_token);
  EXPECT_EQ(stored.signing_secret, "");
  ExpectNoSecrets(created, stored);

  ASSERT_OK_AND_ASSIGN(Delivery mail, StoredDelivery(page_, stored.id, 0));
  EXPECT_EQ(mail.state, DeliveryState::kPending);
  EXPECT_EQ(mail.attempts, 0);
  EXPECT_EQ(mail.create_time, Now());
  EXPECT_EQ(mail.horizon_start, Now());
  EXPECT_EQ(mail.next_attempt_time, Now());
  EXPECT_TRUE(IsDue(page_, stored.id));
}

TEST_F(SubscriptionLogicTest,
       CreateSubscriber_SameAddressTwice_IsAlreadyExists) {
  Email("ops@example.com");
  Webhook("https://a.example/h");
  const int wakes = signal_.wakes();
  // The same after normalization.
  EXPECT_CODE(
      logic().CreateSubscriber(EmailRequest(page_, "ops@EXAMPLE.com"), Soon()),
      absl::StatusCode::kAlreadyExists);
  EXPECT_CODE(logic().CreateSubscriber(
                  WebhookRequest(page_, "HTTPS://A.EXAMPLE/h"), Soon()),
              absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Total(page_), 2);
  EXPECT_EQ(signal_.wakes(), wakes);
  // Another page may have the same address.
  EXPECT_OK(logic().CreateSubscriber(
      EmailRequest(MakePage(), "ops@example.com"), Soon()));
  // And the local part keeps its case: a different address.
  EXPECT_OK(
      logic().CreateSubscriber(EmailRequest(page_, "Ops@example.com"), Soon()));
}

// --- CreateSubscriber: bad input ---------------------------------------------

TEST_F(SubscriptionLogicTest,
       CreateSubscriber_UnknownOrMalformedPage_IsRefused) {
  EXPECT_CODE(
      logic().CreateSubscriber(
          WebhookRequest("no-such-page", "https://a.example/h"), Soon()),
      absl::StatusCode::kNotFound);
  v1::CreateSubscriberRequest r = WebhookRequest(page_, "https://a.example/h");
  r.set_parent("");
  EXPECT_CODE(logic().CreateSubscriber(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  r.set_parent("pages/Bad Page");
  EXPECT_CODE(logic().CreateSubscriber(r, Soon()),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(SubscriptionLogicTest,
       CreateSubscriber_NoOrEmptyAddress_IsInvalidArgument) {
  v1::CreateSubscriberRequest none;
  none.set_parent(PageName(page_));
  absl::StatusOr<v1::CreateSubscriberResponse> r =
      logic().CreateSubscriber(none, Soon());
  EXPECT_CODE(r, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("email or webhook_url"));

  r = logic().CreateSubscriber(EmailRequest(page_, ""), Soon());
  EXPECT_CODE(r, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("subscriber.email"));
  r = logic().CreateSubscriber(WebhookRequest(page_, ""), Soon());
  EXPECT_CODE(r, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("subscriber.webhook_url"));
  EXPECT_EQ(Total(page_), 0);
}

TEST_F(SubscriptionLogicTest,
       CreateSubscriber_MalformedEmail_IsInvalidArgument) {
  for (const std::string& email :
       {std::string("no-at-sign.example.com"), std::string("a@b@example.com"),
        std::string("two words@example.com"),
        std::string("\"quoted\"@example.com"), std::string("a@localhost"),
        std::string("a@[127.0.0.1]"), std::string("a..b@example.com"),
        std::string("a@example..com"), std::string("@example.com"),
        std::string("a@"), std::string("a@example.com\n"),
        std::string("a\r\nBcc: x@y.com@example.com")}) {
    absl::StatusOr<v1::CreateSubscriberResponse> r =
        logic().CreateSubscriber(EmailRequest(page_, email), Soon());
    EXPECT_CODE(r, absl::StatusCode::kInvalidArgument) << email;
    EXPECT_THAT(std::string(r.status().message()),
                HasSubstr("subscriber.email"))
        << email;
  }
  EXPECT_EQ(Total(page_), 0);
  EXPECT_EQ(signal_.wakes(), 0);
}

TEST_F(SubscriptionLogicTest,
       CreateSubscriber_OversizedAddress_IsInvalidArgument) {
  const std::string long_email =
      std::string(64, 'a') + "@" + std::string(63, 'b') + "." +
      std::string(63, 'c') + "." + std::string(63, 'd') + ".com";  // 259
  ASSERT_GT(long_email.size(), 254u);
  absl::StatusOr<v1::CreateSubscriberResponse> r =
      logic().CreateSubscriber(EmailRequest(page_, long_email), Soon());
  EXPECT_CODE(r, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("subscriber.email"));

  const std::string long_url =
      "https://a.example/" + std::string(2048 - 18 + 1, 'x');  // 2049
  ASSERT_EQ(long_url.size(), 2049u);
  r = logic().CreateSubscriber(WebhookRequest(page_, long_url), Soon());
  EXPECT_CODE(r, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("subscriber.webhook_url"));
  // At the limit it is fine.
  EXPECT_OK(logic().CreateSubscriber(
      WebhookRequest(page_, long_url.substr(0, 2048)), Soon()));
  // A megabyte is refused as quickly, without echoing it.
  r = logic().CreateSubscriber(
      WebhookRequest(page_, "https://a.example/" + std::string(1 << 20, 'y')),
      Soon());
  EXPECT_CODE(r, absl::StatusCode::kInvalidArgument);
  EXPECT_LT(r.status().message().size(), 300u);
  EXPECT_EQ(Total(page_), 1);
}

TEST_F(SubscriptionLogicTest, CreateSubscriber_MalformedUrl_IsInvalidArgument) {
  for (const std::string& url :
       {std::string("not a url"), std::string("ftp://a.example/h"),
        std::string("https://"), std::string("https:///path"),
        std::string("//a.example/h"), std::string("a.example/h"),
        std::string("https://a.example:99999/h"),
        std::string("https://a.example:port/h"),
        std::string("https://a.example/h#fragment"),
        std::string("https://a.example/h b"),
        std::string("https://a.example/h\r\nX-Injected: 1"),
        std::string("javascript:alert(1)"),
        std::string("file:///etc/passwd")}) {
    absl::StatusOr<v1::CreateSubscriberResponse> r =
        logic().CreateSubscriber(WebhookRequest(page_, url), Soon());
    EXPECT_CODE(r, absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(std::string(r.status().message()),
                HasSubstr("subscriber.webhook_url"))
        << url;
  }
  EXPECT_EQ(Total(page_), 0);
}

TEST_F(
    SubscriptionLogicTest,
    CreateSubscriber_UrlWithCredentials_IsInvalidArgumentWithoutEchoingThem) {
  for (const std::string& url :
       {std::string("https://user:hunter2secret@a.example/h"),
        std::string("https://hunter2secret@a.example/h"),
        std::string("https://:hunter2secret@a.example/h")}) {
    absl::StatusOr<v1::CreateSubscriberResponse> r =
        logic().CreateSubscriber(WebhookRequest(page_, url), Soon());
    EXPECT_CODE(r, absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(std::string(r.status().message()),
                Not(HasSubstr("hunter2secret")));
  }
  EXPECT_EQ(Total(page_), 0);
}

TEST_F(SubscriptionLogicTest,
       CreateSubscriber_PrivateOrLoopbackHost_IsRefusedWhenDenied) {
  const std::vector<std::string> private_urls = {
      "http://127.0.0.1:8080/h",
      "http://10.1.2.3/h",
      "http://192.168.0.10/h",
      "http://172.16.5.4/h",
      "http://169.254.169.254/latest",
      "http://[::1]:9000/h",
      "http://[fe80::1]/h",
      "http://0.0.0.0/h",
      "http://localhost:8080/h",
      "http://LOCALHOST/h",
      "http://api.localhost/h",
      "http://[::ffff:127.0.0.1]/h"};
  for (const std::string& url : private_urls) {
    absl::StatusOr<v1::CreateSubscriberResponse> r =
        logic().CreateSubscriber(WebhookRequest(page_, url), Soon());
    EXPECT_CODE(r, absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("private")) << url;
  }
  EXPECT_EQ(Total(page_), 0);
  // Public literals and names are fine.
  EXPECT_OK(logic().CreateSubscriber(
      WebhookRequest(page_, "http://93.184.216.34/h"), Soon()));
  EXPECT_OK(logic().CreateSubscriber(
      WebhookRequest(page_, "https://localhost.example.com/h"), Soon()));

  // A deployment that allows them (tests use loopback receivers).
  SubscriptionOptions allow;
  allow.deny_private_webhooks = false;
  UseOptions(allow);
  for (const std::string& url : private_urls) {
    EXPECT_OK(logic().CreateSubscriber(WebhookRequest(page_, url), Soon()))
        << url;
  }
}

TEST_F(SubscriptionLogicTest, CreateSubscriber_BadComponents_AreRefused) {
  const std::string api = MakeComponent(page_, "api");
  const std::string other_page = MakePage();
  const std::string elsewhere = MakeComponent(other_page, "api");

  auto create_with = [&](std::vector<std::string> components) {
    v1::CreateSubscriberRequest r =
        WebhookRequest(page_, "https://a.example/h");
    for (const std::string& c : components)
      r.mutable_subscriber()->add_components(c);
    return logic().CreateSubscriber(r, Soon());
  };
  absl::StatusOr<v1::CreateSubscriberResponse> r =
      create_with({api, ComponentName(page_, "nope")});
  EXPECT_CODE(r, absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("nope"));
  // Another page's component, even an existing one.
  r = create_with({elsewhere});
  EXPECT_CODE(r, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("subscriber.components[0]"));
  // Not a component name.
  EXPECT_CODE(create_with({api, "api"}), absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(create_with({IncidentName(page_, "x")}),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(create_with({""}), absl::StatusCode::kInvalidArgument);
  // Too many.
  std::vector<std::string> many(101, api);
  r = create_with(many);
  EXPECT_CODE(r, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("at most 100"));
  EXPECT_EQ(Total(page_), 0);
  // 100, all the same, is one component.
  ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse ok,
                       create_with(std::vector<std::string>(100, api)));
  EXPECT_THAT(ok.subscriber().components(), ElementsAre(api));
}

TEST_F(SubscriptionLogicTest, CreateSubscriber_BadIncident_IsRefused) {
  const std::string other_page = MakePage();
  const std::string elsewhere = MakeIncident(other_page, "outage");
  auto create_with = [&](const std::string& incident) {
    v1::CreateSubscriberRequest r = EmailRequest(page_, "ops@example.com");
    r.mutable_subscriber()->set_incident(incident);
    return logic().CreateSubscriber(r, Soon());
  };
  EXPECT_CODE(create_with(IncidentName(page_, "outage")),
              absl::StatusCode::kNotFound);
  absl::StatusOr<v1::CreateSubscriberResponse> r = create_with(elsewhere);
  EXPECT_CODE(r, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("subscriber.incident"));
  EXPECT_CODE(create_with("outage"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Total(page_), 0);
  EXPECT_EQ(signal_.wakes(), 0);
}

TEST_F(SubscriptionLogicTest,
       CreateSubscriber_SqlMetacharacters_AreRefusedOrStoredVerbatim) {
  // Not a valid address: refused by validation.
  EXPECT_CODE(
      logic().CreateSubscriber(
          EmailRequest(page_, "x'); DROP TABLE subscribers; --@example.com"),
          Soon()),
      absl::StatusCode::kInvalidArgument);
  // Valid, and full of quotes and comment markers: stored verbatim.
  const std::string email = "o'brien+x--y/*z*/@example.com";
  v1::Subscriber s = Email(email);
  EXPECT_EQ(s.email(), email);
  EXPECT_EQ(Get(s.name()).email(), email);
  const std::string url =
      "https://a.example/h?q=1';DROP%20TABLE%20subscribers;--&n=(1)OR(1=1)";
  v1::Subscriber w = Webhook(url);
  EXPECT_EQ(w.webhook_url(), url);
  EXPECT_EQ(Get(w.name()).webhook_url(), url);
  // And harmless: the table is there, holding exactly these two.
  v1::ListSubscribersRequest list;
  list.set_parent(PageName(page_));
  ASSERT_OK_AND_ASSIGN(v1::ListSubscribersResponse all,
                       logic().ListSubscribers(list, Soon()));
  EXPECT_EQ(all.subscribers_size(), 2);
  // The same address again is a duplicate, not a wildcard match.
  EXPECT_CODE(logic().CreateSubscriber(EmailRequest(page_, email), Soon()),
              absl::StatusCode::kAlreadyExists);
  EXPECT_OK(logic().CreateSubscriber(
      EmailRequest(page_, "o'brien+x--y/*z*/@example.co"), Soon()));
}

TEST_F(SubscriptionLogicTest, CreateSubscriber_AtTheCap_IsResourceExhausted) {
  SubscriptionOptions capped;
  capped.max_subscribers_per_page = 2;
  UseOptions(capped);
  Email("a@example.com");
  Webhook("https://a.example/h");
  const int wakes = signal_.wakes();
  absl::StatusOr<v1::CreateSubscriberResponse> r =
      logic().CreateSubscriber(EmailRequest(page_, "c@example.com"), Soon());
  EXPECT_CODE(r, absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Total(page_), 2);
  EXPECT_EQ(signal_.wakes(), wakes);
  // The cap is per page.
  EXPECT_OK(logic().CreateSubscriber(EmailRequest(MakePage(), "c@example.com"),
                                     Soon()));
  // Room again after a delete.
  v1::ListSubscribersRequest list;
  list.set_parent(PageName(page_));
  ASSERT_OK_AND_ASSIGN(v1::ListSubscribersResponse all,
                       logic().ListSubscribers(list, Soon()));
  v1::DeleteSubscriberRequest del;
  del.set_name(all.subscribers(0).name());
  ASSERT_OK(logic().DeleteSubscriber(del, Soon()));
  EXPECT_OK(
      logic().CreateSubscriber(EmailRequest(page_, "c@example.com"), Soon()));
}

TEST_F(SubscriptionLogicTest,
       CreateSubscriber_ConcurrentCreates_StopExactlyAtTheCap) {
  SubscriptionOptions capped;
  capped.max_subscribers_per_page = 3;
  UseOptions(capped);
  constexpr int kThreads = 8;
  std::vector<absl::StatusCode> codes(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      codes[i] =
          logic()
              .CreateSubscriber(EmailRequest(page_, "user" + std::to_string(i) +
                                                        "@example.com"),
                                Soon())
              .status()
              .code();
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), absl::StatusCode::kOk), 3);
  EXPECT_EQ(std::count(codes.begin(), codes.end(),
                       absl::StatusCode::kResourceExhausted),
            kThreads - 3);
  EXPECT_EQ(Total(page_), 3);
  EXPECT_EQ(signal_.wakes(), 3);
}

// --- Get, List, Count --------------------------------------------------------

TEST_F(SubscriptionLogicTest, GetSubscriber_UnknownOrMalformed_IsRefused) {
  v1::GetSubscriberRequest r;
  r.set_name(SubscriberName(page_, "nobody"));
  EXPECT_CODE(logic().GetSubscriber(r, Soon()), absl::StatusCode::kNotFound);
  r.set_name(SubscriberName("no-such-page", "nobody"));
  EXPECT_CODE(logic().GetSubscriber(r, Soon()), absl::StatusCode::kNotFound);
  for (const char* bad : {"", "pages/p/subscribers", "pages/p/subscribers/-",
                          "pages/p/components/x", "pages/p/subscribers/X"}) {
    r.set_name(bad);
    EXPECT_CODE(logic().GetSubscriber(r, Soon()),
                absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(SubscriptionLogicTest, ListSubscribers_PagesThroughAllInIdOrder) {
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) {
    names.push_back(Email("user" + std::to_string(i) + "@example.com").name());
  }
  std::sort(names.begin(), names.end());
  v1::ListSubscribersRequest r;
  r.set_parent(PageName(page_));
  r.set_page_size(2);
  std::vector<std::string> seen;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(v1::ListSubscribersResponse page,
                         logic().ListSubscribers(r, Soon()));
    for (const v1::Subscriber& s : page.subscribers()) {
      seen.push_back(s.name());
      ExpectNoSecrets(s, Stored(s.name()));
    }
    r.set_page_token(page.next_page_token());
    ++pages;
  } while (!r.page_token().empty() && pages < 10);
  EXPECT_EQ(seen, names);
  EXPECT_EQ(pages, 3);
}

TEST_F(SubscriptionLogicTest, ListSubscribers_StateFilter) {
  v1::Subscriber email = Email();
  v1::Subscriber hook = Webhook();
  v1::ListSubscribersRequest r;
  r.set_parent(PageName(page_));
  r.set_state(v1::Subscriber::ACTIVE);
  ASSERT_OK_AND_ASSIGN(v1::ListSubscribersResponse active,
                       logic().ListSubscribers(r, Soon()));
  ASSERT_EQ(active.subscribers_size(), 1);
  EXPECT_EQ(active.subscribers(0).name(), hook.name());
  r.set_state(v1::Subscriber::PENDING_CONFIRMATION);
  ASSERT_OK_AND_ASSIGN(v1::ListSubscribersResponse pending,
                       logic().ListSubscribers(r, Soon()));
  ASSERT_EQ(pending.subscribers_size(), 1);
  EXPECT_EQ(pending.subscribers(0).name(), email.name());
  r.set_state(v1::Subscriber::QUARANTINED);
  ASSERT_OK_AND_ASSIGN(v1::ListSubscribersResponse none,
                       logic().ListSubscribers(r, Soon()));
  EXPECT_THAT(none.subscribers(), IsEmpty());
}

TEST_F(SubscriptionLogicTest, ListSubscribers_BadInput_IsRefused) {
  for (int i = 0; i < 3; ++i) Email("u" + std::to_string(i) + "@example.com");
  v1::ListSubscribersRequest r;
  r.set_parent(PageName(page_));
  r.set_state(static_cast<v1::Subscriber::State>(99));
  absl::StatusOr<v1::ListSubscribersResponse> got =
      logic().ListSubscribers(r, Soon());
  EXPECT_CODE(got, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("state"));
  r.set_state(static_cast<v1::Subscriber::State>(-1));
  EXPECT_CODE(logic().ListSubscribers(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  r.set_state(v1::Subscriber::STATE_UNSPECIFIED);
  r.set_page_size(-1);
  EXPECT_CODE(logic().ListSubscribers(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  r.set_page_size(0);
  r.set_page_token("garbage");
  EXPECT_CODE(logic().ListSubscribers(r, Soon()),
              absl::StatusCode::kInvalidArgument);

  // A token is bound to its query: another state filter or page refuses it.
  r.set_page_token("");
  r.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(v1::ListSubscribersResponse first,
                       logic().ListSubscribers(r, Soon()));
  ASSERT_FALSE(first.next_page_token().empty());
  r.set_page_token(first.next_page_token());
  r.set_state(v1::Subscriber::PENDING_CONFIRMATION);
  EXPECT_CODE(logic().ListSubscribers(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  r.set_state(v1::Subscriber::STATE_UNSPECIFIED);
  r.set_parent(PageName(MakePage()));
  EXPECT_CODE(logic().ListSubscribers(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  // A size above the maximum is lowered to it (AIP-158), not refused.
  r.set_parent(PageName(page_));
  r.set_page_token("");
  r.set_page_size(100000);
  ASSERT_OK_AND_ASSIGN(v1::ListSubscribersResponse all,
                       logic().ListSubscribers(r, Soon()));
  EXPECT_EQ(all.subscribers_size(), 3);

  r.set_page_size(0);
  r.set_parent(PageName("no-such-page"));
  EXPECT_CODE(logic().ListSubscribers(r, Soon()), absl::StatusCode::kNotFound);
}

TEST_F(SubscriptionLogicTest, CountSubscribers_CountsEachState) {
  Email("a@example.com");
  Email("b@example.com");
  Webhook();
  Subscriber quarantined = Stored(Webhook("https://b.example/h").name());
  quarantined.state = SubscriberState::kQuarantined;
  Rewrite(quarantined);
  v1::CountSubscribersRequest r;
  r.set_parent(PageName(page_));
  ASSERT_OK_AND_ASSIGN(v1::CountSubscribersResponse counts,
                       logic().CountSubscribers(r, Soon()));
  EXPECT_EQ(counts.pending_confirmation(), 2);
  EXPECT_EQ(counts.active(), 1);
  EXPECT_EQ(counts.quarantined(), 1);
  EXPECT_EQ(counts.total(), 4);

  r.set_parent(PageName("no-such-page"));
  EXPECT_CODE(logic().CountSubscribers(r, Soon()), absl::StatusCode::kNotFound);
  r.set_parent("pages/");
  EXPECT_CODE(logic().CountSubscribers(r, Soon()),
              absl::StatusCode::kInvalidArgument);
}

// --- UpdateSubscriber --------------------------------------------------------

TEST_F(SubscriptionLogicTest, UpdateSubscriber_WritesTheMaskedFilters) {
  const std::string api = MakeComponent(page_, "api");
  const std::string web = MakeComponent(page_, "web");
  const std::string incident = MakeIncident(page_, "outage");
  v1::Subscriber s = Webhook();
  const std::string secret = Stored(s.name()).signing_secret;
  clock_.Advance(absl::Minutes(5));

  v1::UpdateSubscriberRequest r;
  *r.mutable_subscriber() = s;
  r.mutable_subscriber()->add_components(api);
  r.mutable_subscriber()->add_components(web);
  r.mutable_subscriber()->set_incident(incident);
  *r.mutable_update_mask() = Mask({"components"});
  ASSERT_OK_AND_ASSIGN(v1::Subscriber updated,
                       logic().UpdateSubscriber(r, Soon()));
  EXPECT_THAT(updated.components(), ElementsAre(api, web));
  EXPECT_EQ(updated.incident(), "");  // not in the mask
  EXPECT_EQ(updated.etag(), "v2");
  EXPECT_EQ(FromTs(updated.update_time()), Now());
  EXPECT_EQ(updated.webhook_url(), s.webhook_url());
  ExpectNoSecrets(updated, Stored(s.name()));

  // An empty mask writes both.
  *r.mutable_subscriber() = updated;
  r.mutable_subscriber()->clear_components();
  r.mutable_subscriber()->set_incident(incident);
  r.clear_update_mask();
  ASSERT_OK_AND_ASSIGN(v1::Subscriber both,
                       logic().UpdateSubscriber(r, Soon()));
  EXPECT_THAT(both.components(), IsEmpty());
  EXPECT_EQ(both.incident(), incident);
  EXPECT_EQ(Stored(s.name()).incident_id, "outage");
  EXPECT_EQ(Stored(s.name()).version, 3);
  // The signing secret is untouched by updates.
  EXPECT_EQ(Stored(s.name()).signing_secret, secret);
}

TEST_F(SubscriptionLogicTest, UpdateSubscriber_BadInput_ChangesNothing) {
  const std::string api = MakeComponent(page_, "api");
  v1::Subscriber s = Webhook();
  const Subscriber before = Stored(s.name());
  auto update = [&](std::function<void(v1::UpdateSubscriberRequest&)> edit) {
    v1::UpdateSubscriberRequest r;
    *r.mutable_subscriber() = s;
    r.mutable_subscriber()->add_components(api);
    edit(r);
    return logic().UpdateSubscriber(r, Soon());
  };
  EXPECT_CODE(update([](auto& r) { r.mutable_subscriber()->set_etag("v7"); }),
              absl::StatusCode::kAborted);
  EXPECT_CODE(
      update([](auto& r) { r.mutable_subscriber()->set_etag("seven"); }),
      absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(
      update([](auto& r) { *r.mutable_update_mask() = Mask({"webhook_url"}); }),
      absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(
      update([](auto& r) { *r.mutable_update_mask() = Mask({"state"}); }),
      absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(
      update([](auto& r) { *r.mutable_update_mask() = Mask({"bogus"}); }),
      absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(
      update([&](auto& r) {
        r.mutable_subscriber()->add_components(ComponentName(page_, "gone"));
      }),
      absl::StatusCode::kNotFound);
  EXPECT_CODE(
      update([&](auto& r) {
        r.mutable_subscriber()->set_incident(IncidentName(page_, "gone"));
      }),
      absl::StatusCode::kNotFound);
  EXPECT_CODE(
      update([](auto& r) {
        r.mutable_subscriber()->add_components("pages/elsewhere/components/a");
      }),
      absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(
      update([](auto& r) {
        for (int i = 0; i < 101; ++i) {
          r.mutable_subscriber()->add_components(r.subscriber().components(0));
        }
      }),
      absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(
      update([&](auto& r) {
        r.mutable_subscriber()->set_name(SubscriberName(page_, "nobody"));
        r.mutable_subscriber()->clear_etag();
      }),
      absl::StatusCode::kNotFound);
  EXPECT_CODE(update([](auto& r) { r.mutable_subscriber()->set_name(""); }),
              absl::StatusCode::kInvalidArgument);
  const Subscriber after = Stored(s.name());
  EXPECT_EQ(after.version, before.version);
  EXPECT_THAT(after.component_ids, IsEmpty());
}

// --- DeleteSubscriber ------------------------------------------------------

TEST_F(SubscriptionLogicTest, DeleteSubscriber_RemovesItWithItsDeliveries) {
  v1::Subscriber s = Email();
  const Subscriber stored = Stored(s.name());
  ASSERT_OK(StoredDelivery(page_, stored.id, 0).status());

  v1::DeleteSubscriberRequest r;
  r.set_name(s.name());
  r.set_etag("v2");
  EXPECT_CODE(logic().DeleteSubscriber(r, Soon()), absl::StatusCode::kAborted);
  r.set_etag("2");
  EXPECT_CODE(logic().DeleteSubscriber(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Total(page_), 1);
  r.set_etag(s.etag());
  ASSERT_OK(logic().DeleteSubscriber(r, Soon()));
  EXPECT_EQ(Total(page_), 0);
  EXPECT_CODE(StoredDelivery(page_, stored.id, 0), absl::StatusCode::kNotFound);
  v1::GetSubscriberRequest get;
  get.set_name(s.name());
  EXPECT_CODE(logic().GetSubscriber(get, Soon()), absl::StatusCode::kNotFound);
  // Gone: its tokens find nothing, a second delete is NOT_FOUND.
  v1::UnsubscribeRequest unsubscribe;
  unsubscribe.set_token(stored.unsubscribe_token);
  EXPECT_CODE(logic().Unsubscribe(unsubscribe, Soon()),
              absl::StatusCode::kNotFound);
  r.clear_etag();
  EXPECT_CODE(logic().DeleteSubscriber(r, Soon()), absl::StatusCode::kNotFound);
}

// --- ConfirmSubscriber -------------------------------------------------------

TEST_F(SubscriptionLogicTest,
       ConfirmSubscriber_PendingBecomesActiveHearingEventsFromNow) {
  v1::Subscriber s = Email();
  const Subscriber pending = Stored(s.name());
  MakeIncident(page_, "after-subscribing");
  const int64_t head = Head(page_);
  ASSERT_GT(head, 0);
  clock_.Advance(absl::Hours(2));
  const int wakes = signal_.wakes();

  v1::ConfirmSubscriberRequest r;
  r.set_token(pending.confirmation_token);
  ASSERT_OK_AND_ASSIGN(v1::Subscriber confirmed,
                       logic().ConfirmSubscriber(r, Soon()));
  EXPECT_EQ(confirmed.name(), s.name());
  EXPECT_EQ(confirmed.state(), v1::Subscriber::ACTIVE);
  EXPECT_EQ(FromTs(confirmed.activate_time()), Now());
  EXPECT_EQ(confirmed.etag(), "v2");
  const Subscriber active = Stored(s.name());
  EXPECT_EQ(active.after_seq, head);
  ExpectNoSecrets(confirmed, active);
  // Confirming makes nothing due.
  EXPECT_EQ(signal_.wakes(), wakes);

  // Again (a second click, or a mail scanner's visit): unchanged.
  clock_.Advance(absl::Minutes(1));
  MakeIncident(page_, "later");
  ASSERT_OK_AND_ASSIGN(v1::Subscriber again,
                       logic().ConfirmSubscriber(r, Soon()));
  EXPECT_EQ(again.etag(), "v2");
  EXPECT_EQ(again.state(), v1::Subscriber::ACTIVE);
  EXPECT_EQ(FromTs(again.activate_time()), FromTs(confirmed.activate_time()));
  EXPECT_EQ(Stored(s.name()).after_seq, head);
}

TEST_F(SubscriptionLogicTest, ConfirmSubscriber_QuarantinedToken_IsUnchanged) {
  v1::Subscriber s = Email();
  Subscriber stored = Stored(s.name());
  stored.state = SubscriberState::kQuarantined;
  Rewrite(stored);
  v1::ConfirmSubscriberRequest r;
  r.set_token(stored.confirmation_token);
  ASSERT_OK_AND_ASSIGN(v1::Subscriber got,
                       logic().ConfirmSubscriber(r, Soon()));
  EXPECT_EQ(got.state(), v1::Subscriber::QUARANTINED);
  EXPECT_EQ(Stored(s.name()).version, stored.version + 1);
}

TEST_F(SubscriptionLogicTest, ConfirmSubscriber_BadTokens_AreRefusedSilently) {
  v1::Subscriber s = Email();
  const Subscriber stored = Stored(s.name());
  v1::ConfirmSubscriberRequest r;
  for (const std::string& token :
       {std::string(""), std::string("unknown-token"),
        stored.unsubscribe_token,  // the other kind of token
        stored.confirmation_token + "x", std::string("' OR '1'='1"),
        std::string(128, 'a')}) {
    r.set_token(token);
    absl::StatusOr<v1::Subscriber> got = logic().ConfirmSubscriber(r, Soon());
    EXPECT_CODE(got, absl::StatusCode::kNotFound) << token;
    EXPECT_THAT(std::string(got.status().message()),
                HasSubstr("unknown or expired token"));
    if (!token.empty()) {
      EXPECT_THAT(std::string(got.status().message()), Not(HasSubstr(token)));
    }
  }
  r.set_token(std::string(129, 'a'));
  EXPECT_CODE(logic().ConfirmSubscriber(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  r.set_token(std::string(1 << 20, 'a'));
  EXPECT_CODE(logic().ConfirmSubscriber(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Stored(s.name()).state, SubscriberState::kPendingConfirmation);
  EXPECT_EQ(Stored(s.name()).version, 1);
}

// --- Unsubscribe -------------------------------------------------------------

TEST_F(SubscriptionLogicTest, Unsubscribe_ByToken_DeletesTheSubscriber) {
  v1::Subscriber email = Email();
  v1::Subscriber hook = Webhook();
  const Subscriber stored = Stored(hook.name());
  v1::UnsubscribeRequest r;
  r.set_token(stored.unsubscribe_token);
  ASSERT_OK(logic().Unsubscribe(r, Soon()));
  v1::GetSubscriberRequest get;
  get.set_name(hook.name());
  EXPECT_CODE(logic().GetSubscriber(get, Soon()), absl::StatusCode::kNotFound);
  EXPECT_EQ(Total(page_), 1);  // the other one stays
  // Already unsubscribed.
  EXPECT_CODE(logic().Unsubscribe(r, Soon()), absl::StatusCode::kNotFound);
}

TEST_F(SubscriptionLogicTest, Unsubscribe_BadTokens_AreRefused) {
  v1::Subscriber s = Email();
  const Subscriber stored = Stored(s.name());
  v1::UnsubscribeRequest r;
  for (const std::string& token :
       {std::string(""), std::string("nope"),
        stored.confirmation_token,  // the other kind of token
        std::string("%"), std::string("' OR 1=1 --")}) {
    r.set_token(token);
    absl::StatusOr<google::protobuf::Empty> got =
        logic().Unsubscribe(r, Soon());
    EXPECT_CODE(got, absl::StatusCode::kNotFound) << token;
    if (!token.empty()) {
      EXPECT_THAT(std::string(got.status().message()), Not(HasSubstr(token)));
    }
  }
  r.set_token(std::string(200, 'z'));
  EXPECT_CODE(logic().Unsubscribe(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Total(page_), 1);
}

// --- RotateSigningSecret -----------------------------------------------------

TEST_F(SubscriptionLogicTest,
       RotateSigningSecret_Webhook_ReplacesTheSecretAndShowsItOnce) {
  v1::CreateSubscriberResponse created =
      MustCreate(WebhookRequest(page_, "https://a.example/h"));
  const std::string name = created.subscriber().name();
  const Subscriber before = Stored(name);
  clock_.Advance(absl::Minutes(1));
  v1::RotateSigningSecretRequest r;
  r.set_name(name);
  ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse rotated,
                       logic().RotateSigningSecret(r, Soon()));
  EXPECT_EQ(rotated.signing_secret().size(), 43u);
  EXPECT_NE(rotated.signing_secret(), created.signing_secret());
  EXPECT_EQ(rotated.subscriber().etag(), "v2");
  EXPECT_EQ(FromTs(rotated.subscriber().update_time()), Now());
  const Subscriber stored = Stored(name);
  EXPECT_EQ(stored.signing_secret, rotated.signing_secret());
  // Nothing but the secret changed.
  EXPECT_EQ(stored.unsubscribe_token, before.unsubscribe_token);
  EXPECT_EQ(stored.after_seq, before.after_seq);
  EXPECT_EQ(stored.state, before.state);
  v1::CreateSubscriberResponse without_secret = rotated;
  without_secret.clear_signing_secret();
  ExpectNoSecrets(without_secret, stored);
  ExpectNoSecrets(Get(name), stored);
  v1::ListSubscribersRequest list;
  list.set_parent(PageName(page_));
  ASSERT_OK_AND_ASSIGN(v1::ListSubscribersResponse all,
                       logic().ListSubscribers(list, Soon()));
  ExpectNoSecrets(all, stored);
}

TEST_F(SubscriptionLogicTest, RotateSigningSecret_EmailOrUnknown_IsRefused) {
  v1::Subscriber email = Email();
  v1::RotateSigningSecretRequest r;
  r.set_name(email.name());
  EXPECT_CODE(logic().RotateSigningSecret(r, Soon()),
              absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Stored(email.name()).version, 1);
  EXPECT_EQ(Stored(email.name()).signing_secret, "");
  r.set_name(SubscriberName(page_, "nobody"));
  EXPECT_CODE(logic().RotateSigningSecret(r, Soon()),
              absl::StatusCode::kNotFound);
  r.set_name("subscribers/x");
  EXPECT_CODE(logic().RotateSigningSecret(r, Soon()),
              absl::StatusCode::kInvalidArgument);
}

// --- ReactivateSubscriber ----------------------------------------------------

class DeliveryStateTest : public SubscriptionLogicTest {
 protected:
  // A webhook subscriber with deliveries of two events (created by the
  // test, as the dispatcher would): the first failed for good, the second
  // retrying in an hour.
  void SetUp() override {
    SubscriptionLogicTest::SetUp();
    if (HasFatalFailure()) return;
    hook_ = Webhook();
    stored_ = Stored(hook_.name());
    MakeIncident(page_, "outage");
    first_ = Head(page_);
    MakeIncident(page_, "second");
    second_ = Head(page_);
    ASSERT_GT(second_, first_);

    Delivery failed;
    failed.page_id = page_;
    failed.subscriber_id = stored_.id;
    failed.event_seq = first_;
    failed.event_type = EventType::kIncidentUpdatePosted;
    failed.incident_id = "outage";
    failed.state = DeliveryState::kFailed;
    failed.attempts = 12;
    failed.last_error = "HTTP 500";
    failed.create_time = Now();
    failed.horizon_start = Now();
    failed.last_attempt_time = Now() + absl::Minutes(30);
    InsertDelivery(failed);

    Delivery retrying = failed;
    retrying.event_seq = second_;
    retrying.incident_id = "second";
    retrying.state = DeliveryState::kRetrying;
    retrying.attempts = 3;
    retrying.last_error = "connect: Connection refused";
    retrying.next_attempt_time = Now() + absl::Hours(1);
    InsertDelivery(retrying);
  }

  void Quarantine() {
    Subscriber s = Stored(hook_.name());
    s.state = SubscriberState::kQuarantined;
    s.state_reason =
        "10 deliveries failed in a row over 1h2m; last error: HTTP 500";
    s.consecutive_failures = 10;
    s.failing_since = Now() - absl::Hours(1);
    Rewrite(s);
  }

  v1::Subscriber hook_;
  Subscriber stored_;
  int64_t first_ = 0;
  int64_t second_ = 0;
};

TEST_F(DeliveryStateTest,
       ReactivateSubscriber_Quarantined_BecomesActiveWithHeldDeliveriesDueNow) {
  Quarantine();
  ASSERT_EQ(Get(hook_.name()).state(), v1::Subscriber::QUARANTINED);
  EXPECT_FALSE(IsDue(page_, stored_.id));  // quarantined: never claimed
  clock_.Advance(absl::Minutes(3));
  bool due_at_wake = false;
  signal_.OnWake([&] {
    absl::StatusOr<Delivery> d = StoredDelivery(page_, stored_.id, second_);
    due_at_wake = d.ok() && d->next_attempt_time == Now();
  });

  v1::ReactivateSubscriberRequest r;
  r.set_name(hook_.name());
  ASSERT_OK_AND_ASSIGN(v1::Subscriber active,
                       logic().ReactivateSubscriber(r, Soon()));
  EXPECT_EQ(active.state(), v1::Subscriber::ACTIVE);
  EXPECT_EQ(active.state_reason(), "");
  EXPECT_EQ(active.consecutive_failures(), 0);
  EXPECT_EQ(signal_.wakes(), 1);
  EXPECT_TRUE(due_at_wake);
  const Subscriber stored = Stored(hook_.name());
  EXPECT_FALSE(stored.failing_since.has_value());
  EXPECT_EQ(stored.after_seq, stored_.after_seq);
  ExpectNoSecrets(active, stored);

  ASSERT_OK_AND_ASSIGN(Delivery held,
                       StoredDelivery(page_, stored_.id, second_));
  EXPECT_EQ(held.next_attempt_time, Now());
  EXPECT_EQ(held.attempts, 3);
  // The finished one stays finished.
  ASSERT_OK_AND_ASSIGN(Delivery failed,
                       StoredDelivery(page_, stored_.id, first_));
  EXPECT_EQ(failed.state, DeliveryState::kFailed);
  EXPECT_TRUE(IsDue(page_, stored_.id));
}

TEST_F(DeliveryStateTest,
       ReactivateSubscriber_NotQuarantinedOrStaleEtag_IsRefused) {
  v1::ReactivateSubscriberRequest r;
  r.set_name(hook_.name());
  absl::StatusOr<v1::Subscriber> got = logic().ReactivateSubscriber(r, Soon());
  EXPECT_CODE(got, absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("ACTIVE"));

  Quarantine();
  r.set_etag("v1");  // before the quarantine
  EXPECT_CODE(logic().ReactivateSubscriber(r, Soon()),
              absl::StatusCode::kAborted);
  r.set_etag("x");
  EXPECT_CODE(logic().ReactivateSubscriber(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  r.set_etag("");
  r.set_name(SubscriberName(page_, "nobody"));
  EXPECT_CODE(logic().ReactivateSubscriber(r, Soon()),
              absl::StatusCode::kNotFound);
  EXPECT_EQ(Stored(hook_.name()).state, SubscriberState::kQuarantined);
  EXPECT_EQ(signal_.wakes(), 0);
  // With the current etag it works.
  r.set_name(hook_.name());
  r.set_etag(Get(hook_.name()).etag());
  EXPECT_OK(logic().ReactivateSubscriber(r, Soon()));
}

// --- Deliveries --------------------------------------------------------------

TEST_F(DeliveryStateTest, GetDelivery_ShowsTheEventAndItsHistory) {
  v1::GetDeliveryRequest r;
  r.set_name(DeliveryName(page_, stored_.id, first_));
  ASSERT_OK_AND_ASSIGN(v1::Delivery d, logic().GetDelivery(r, Soon()));
  EXPECT_EQ(d.name(), DeliveryName(page_, stored_.id, first_));
  EXPECT_EQ(d.event(), EventName(page_, first_));
  EXPECT_EQ(d.event_type(), v1::Event::INCIDENT_UPDATE_POSTED);
  EXPECT_EQ(d.state(), v1::Delivery::FAILED);
  EXPECT_EQ(d.attempts(), 12);
  EXPECT_EQ(d.last_error(), "HTTP 500");
  EXPECT_EQ(FromTs(d.last_attempt_time()), Now() + absl::Minutes(30));
  EXPECT_FALSE(d.has_deliver_time());

  // The confirmation mail has no event.
  v1::Subscriber email = Email();
  r.set_name(DeliveryName(page_, Stored(email.name()).id, 0));
  ASSERT_OK_AND_ASSIGN(v1::Delivery mail, logic().GetDelivery(r, Soon()));
  EXPECT_EQ(mail.event(), "");
  EXPECT_EQ(mail.event_type(), v1::Event::TYPE_UNSPECIFIED);
  EXPECT_EQ(mail.state(), v1::Delivery::PENDING);

  r.set_name(DeliveryName(page_, stored_.id, second_ + 100));
  EXPECT_CODE(logic().GetDelivery(r, Soon()), absl::StatusCode::kNotFound);
  r.set_name(DeliveryName(page_, "nobody", first_));
  EXPECT_CODE(logic().GetDelivery(r, Soon()), absl::StatusCode::kNotFound);
  for (const std::string& bad :
       {std::string(""), SubscriberName(page_, stored_.id),
        SubscriberName(page_, stored_.id) + "/deliveries/-1",
        SubscriberName(page_, stored_.id) + "/deliveries/x",
        SubscriberName(page_, "-") + "/deliveries/1"}) {
    r.set_name(bad);
    EXPECT_CODE(logic().GetDelivery(r, Soon()),
                absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(DeliveryStateTest, ListDeliveries_BySubscriber_InEventOrderWithFilters) {
  v1::ListDeliveriesRequest r;
  r.set_parent(hook_.name());
  ASSERT_OK_AND_ASSIGN(v1::ListDeliveriesResponse all,
                       logic().ListDeliveries(r, Soon()));
  ASSERT_EQ(all.deliveries_size(), 2);
  EXPECT_EQ(all.deliveries(0).event(), EventName(page_, first_));
  EXPECT_EQ(all.deliveries(1).event(), EventName(page_, second_));
  EXPECT_EQ(all.next_page_token(), "");

  r.set_state(v1::Delivery::RETRYING);
  ASSERT_OK_AND_ASSIGN(v1::ListDeliveriesResponse retrying,
                       logic().ListDeliveries(r, Soon()));
  ASSERT_EQ(retrying.deliveries_size(), 1);
  EXPECT_EQ(retrying.deliveries(0).event(), EventName(page_, second_));

  r.set_state(v1::Delivery::STATE_UNSPECIFIED);
  r.set_event_sequence(first_);
  ASSERT_OK_AND_ASSIGN(v1::ListDeliveriesResponse one,
                       logic().ListDeliveries(r, Soon()));
  ASSERT_EQ(one.deliveries_size(), 1);
  EXPECT_EQ(one.deliveries(0).event(), EventName(page_, first_));

  // Paging, one at a time.
  r.set_event_sequence(0);
  r.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(v1::ListDeliveriesResponse p1,
                       logic().ListDeliveries(r, Soon()));
  ASSERT_EQ(p1.deliveries_size(), 1);
  ASSERT_FALSE(p1.next_page_token().empty());
  r.set_page_token(p1.next_page_token());
  ASSERT_OK_AND_ASSIGN(v1::ListDeliveriesResponse p2,
                       logic().ListDeliveries(r, Soon()));
  ASSERT_EQ(p2.deliveries_size(), 1);
  EXPECT_EQ(p2.deliveries(0).event(), EventName(page_, second_));
  EXPECT_EQ(p2.next_page_token(), "");
  // The token belongs to this query.
  r.set_state(v1::Delivery::FAILED);
  EXPECT_CODE(logic().ListDeliveries(r, Soon()),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(DeliveryStateTest, ListDeliveries_OfOneEvent_ToEverySubscriber) {
  // A second subscriber with a delivery of the first event.
  v1::Subscriber other = Webhook("https://b.example/h");
  Delivery d;
  d.page_id = page_;
  d.subscriber_id = Stored(other.name()).id;
  d.event_seq = first_;
  d.event_type = EventType::kIncidentUpdatePosted;
  d.state = DeliveryState::kDelivered;
  d.attempts = 1;
  d.create_time = Now();
  d.horizon_start = Now();
  d.deliver_time = Now();
  InsertDelivery(d);

  v1::ListDeliveriesRequest r;
  r.set_parent(SubscriberName(page_, "-"));
  r.set_event_sequence(first_);
  ASSERT_OK_AND_ASSIGN(v1::ListDeliveriesResponse all,
                       logic().ListDeliveries(r, Soon()));
  ASSERT_EQ(all.deliveries_size(), 2);
  std::vector<std::string> expected = {
      DeliveryName(page_, stored_.id, first_),
      DeliveryName(page_, d.subscriber_id, first_)};
  std::sort(expected.begin(), expected.end());  // by subscriber id
  EXPECT_EQ(all.deliveries(0).name(), expected[0]);
  EXPECT_EQ(all.deliveries(1).name(), expected[1]);

  r.set_state(v1::Delivery::DELIVERED);
  ASSERT_OK_AND_ASSIGN(v1::ListDeliveriesResponse delivered,
                       logic().ListDeliveries(r, Soon()));
  ASSERT_EQ(delivered.deliveries_size(), 1);
  EXPECT_EQ(delivered.deliveries(0).name(),
            DeliveryName(page_, d.subscriber_id, first_));
  EXPECT_EQ(FromTs(delivered.deliveries(0).deliver_time()), Now());
}

TEST_F(DeliveryStateTest, ListDeliveries_BadInput_IsRefused) {
  v1::ListDeliveriesRequest r;
  r.set_parent(SubscriberName(page_, "-"));
  absl::StatusOr<v1::ListDeliveriesResponse> got =
      logic().ListDeliveries(r, Soon());
  EXPECT_CODE(got, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("event_sequence"));

  r.set_parent(hook_.name());
  r.set_event_sequence(-1);
  EXPECT_CODE(logic().ListDeliveries(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  r.set_event_sequence(0);
  r.set_state(static_cast<v1::Delivery::State>(5));
  got = logic().ListDeliveries(r, Soon());
  EXPECT_CODE(got, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("state"));
  r.set_state(v1::Delivery::STATE_UNSPECIFIED);
  r.set_page_size(-5);
  EXPECT_CODE(logic().ListDeliveries(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  r.set_page_size(0);

  r.set_parent(SubscriberName(page_, "nobody"));
  EXPECT_CODE(logic().ListDeliveries(r, Soon()), absl::StatusCode::kNotFound);
  r.set_parent(SubscriberName("no-such-page", "-"));
  r.set_event_sequence(1);
  EXPECT_CODE(logic().ListDeliveries(r, Soon()), absl::StatusCode::kNotFound);
  for (const char* bad : {"", "pages/p", "pages/p/subscribers",
                          "pages/p/subscribers/--", "pages/p/components/-"}) {
    r.set_parent(bad);
    EXPECT_CODE(logic().ListDeliveries(r, Soon()),
                absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(DeliveryStateTest,
       RedeliverDelivery_BecomesPendingDueNowWithAFreshHorizonKeepingHistory) {
  clock_.Advance(absl::Hours(30));  // long past the first horizon
  bool pending_at_wake = false;
  signal_.OnWake([&] {
    absl::StatusOr<Delivery> d = StoredDelivery(page_, stored_.id, first_);
    pending_at_wake = d.ok() && d->state == DeliveryState::kPending;
  });
  v1::RedeliverDeliveryRequest r;
  r.set_name(DeliveryName(page_, stored_.id, first_));
  ASSERT_OK_AND_ASSIGN(v1::Delivery d, logic().RedeliverDelivery(r, Soon()));
  EXPECT_EQ(d.state(), v1::Delivery::PENDING);
  EXPECT_EQ(FromTs(d.next_attempt_time()), Now());
  EXPECT_EQ(d.attempts(), 12);
  EXPECT_EQ(d.last_error(), "HTTP 500");
  EXPECT_EQ(signal_.wakes(), 1);
  EXPECT_TRUE(pending_at_wake);
  ASSERT_OK_AND_ASSIGN(Delivery stored,
                       StoredDelivery(page_, stored_.id, first_));
  EXPECT_EQ(stored.horizon_start, Now());
  EXPECT_EQ(stored.next_attempt_time, Now());
  EXPECT_TRUE(IsDue(page_, stored_.id));

  // Whatever its state: again now that it is pending.
  ASSERT_OK_AND_ASSIGN(d, logic().RedeliverDelivery(r, Soon()));
  EXPECT_EQ(d.state(), v1::Delivery::PENDING);
  EXPECT_EQ(signal_.wakes(), 2);
}

TEST_F(DeliveryStateTest,
       RedeliverDelivery_SubscriberNotActive_IsFailedPrecondition) {
  Quarantine();
  v1::RedeliverDeliveryRequest r;
  r.set_name(DeliveryName(page_, stored_.id, first_));
  absl::StatusOr<v1::Delivery> got = logic().RedeliverDelivery(r, Soon());
  EXPECT_CODE(got, absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("QUARANTINED"));
  ASSERT_OK_AND_ASSIGN(Delivery unchanged,
                       StoredDelivery(page_, stored_.id, first_));
  EXPECT_EQ(unchanged.state, DeliveryState::kFailed);

  // A pending email subscriber: its confirmation mail may be sent again,
  // nothing else.
  v1::Subscriber email = Email();
  EXPECT_EQ(signal_.wakes(), 1);  // the email's creation
  r.set_name(DeliveryName(page_, Stored(email.name()).id, 0));
  ASSERT_OK_AND_ASSIGN(v1::Delivery resent,
                       logic().RedeliverDelivery(r, Soon()));
  EXPECT_EQ(resent.state(), v1::Delivery::PENDING);
  EXPECT_EQ(signal_.wakes(), 2);
  r.set_name(DeliveryName(page_, Stored(email.name()).id, 1));
  EXPECT_CODE(logic().RedeliverDelivery(r, Soon()),
              absl::StatusCode::kFailedPrecondition);

  r.set_name(DeliveryName(page_, stored_.id, second_ + 7));
  Subscriber s = Stored(hook_.name());
  s.state = SubscriberState::kActive;
  Rewrite(s);
  EXPECT_CODE(logic().RedeliverDelivery(r, Soon()),
              absl::StatusCode::kNotFound);
  r.set_name(DeliveryName(page_, "nobody", 1));
  EXPECT_CODE(logic().RedeliverDelivery(r, Soon()),
              absl::StatusCode::kNotFound);
  r.set_name("pages/p/subscribers/s/deliveries/01");
  EXPECT_CODE(logic().RedeliverDelivery(r, Soon()),
              absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(signal_.wakes(), 2);
}

}  // namespace
}  // namespace incidentd::testing
