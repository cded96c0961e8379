// Bad input to SubscriptionService over the wire, against a server that
// denies private webhook addresses (the default): malformed and private
// URLs, credentials in URLs, malformed addresses, unknown or foreign
// resources, oversized fields, empty requests, unknown enum values, stale
// etags, unknown tokens. Each refused call must answer the documented code
// AND change nothing: what the API shows and what the database holds (table
// checksums) are compared before and after. Text with SQL metacharacters
// that is valid is accepted and comes back byte for byte.
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/api_helpers.h"
#include "tests/e2e/notify_helpers.h"
#include "tests/e2e/server_harness.h"
#include "tests/testing/smtp_sink.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Code = absl::StatusCode;
constexpr Code kInvalid = Code::kInvalidArgument;
constexpr Code kNotFound = Code::kNotFound;
constexpr Code kAborted = Code::kAborted;
constexpr Code kExists = Code::kAlreadyExists;
constexpr Code kPrecondition = Code::kFailedPrecondition;
constexpr Code kExhausted = Code::kResourceExhausted;
constexpr absl::Duration kPrompt = absl::Seconds(20);
constexpr int kCap = 3;  // --max_subscribers_per_page

const std::string kPages[] = {"alpha", "beta", "gamma"};

class NotifyBadInputTest : public ServerTest {
 protected:
  void SetUp() override {
    ASSERT_OK(sink_.Start());
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    Seed();
  }

  // The default --deny_private_webhooks (true); a page cap of kCap.
  ServerOptions Options() const override {
    ServerOptions options;
    options.extra_flags = {absl::StrCat("--smtp_url=", sink_.Url()),
                           absl::StrCat("--max_subscribers_per_page=", kCap),
                           "--retry_initial_delay=200ms",
                           "--delivery_poll_interval=100ms"};
    return options;
  }

  // alpha: components c1, c2, incident inc-a, kCap webhook subscribers (one
  // with a stale etag). beta: component c3, incident inc-b, an email
  // subscriber (pending; its confirmation mail sent) and a webhook. gamma:
  // an incident. Incidents come before subscribers, so nothing is owed to
  // anyone; the test waits until all is dispatched and sent, so that the
  // server writes nothing by itself while calls are refused.
  void Seed() {
    for (const std::string& page : kPages) ASSERT_OK(CreatePage(client(), page));
    ASSERT_OK(CreateComponent(client(), "alpha", "c1"));
    ASSERT_OK(CreateComponent(client(), "alpha", "c2"));
    ASSERT_OK(CreateComponent(client(), "beta", "c3"));
    for (const auto& [page, id] : {std::pair{"alpha", "inc-a"},
                                   std::pair{"beta", "inc-b"},
                                   std::pair{"gamma", "inc-g"}}) {
      ASSERT_OK(CreateIncident(client(), page, id, {},
                               v1::IncidentStatus::INVESTIGATING));
    }
    v1::CreateSubscriberRequest create;
    create.set_parent(PageName("alpha"));
    create.mutable_subscriber()->set_webhook_url("https://hooks.example.com/a1");
    create.mutable_subscriber()->add_components(c1_);
    ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse w1,
                         client().CreateSubscriber(create));
    w1_ = w1.subscriber().name();
    stale_w1_ = w1.subscriber().etag();
    v1::UpdateSubscriberRequest update;
    update.mutable_subscriber()->set_name(w1_);
    update.mutable_subscriber()->add_components(c1_);
    update.mutable_subscriber()->add_components(c2_);
    update.mutable_update_mask()->add_paths("components");
    ASSERT_OK_AND_ASSIGN(v1::Subscriber updated, client().UpdateSubscriber(update));
    ASSERT_NE(updated.etag(), stale_w1_);
    ASSERT_OK_AND_ASSIGN(
        v1::CreateSubscriberResponse w2,
        SubscribeWebhook(client(), "alpha", "https://hooks.example.com/a2"));
    w2_ = w2.subscriber().name();
    w2_etag_ = w2.subscriber().etag();
    create.mutable_subscriber()->set_webhook_url("https://hooks.example.com/a3");
    create.mutable_subscriber()->clear_components();
    create.mutable_subscriber()->set_incident(inc_a_);
    ASSERT_OK(client().CreateSubscriber(create));
    ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse e1,
                         SubscribeEmail(client(), "beta", "ops@example.com"));
    e1_ = e1.subscriber().name();
    ASSERT_OK(SubscribeWebhook(client(), "beta", "https://hooks.example.com/b1"));

    ASSERT_OK(WaitForDelivered(client(), e1_, 1, kPrompt));
    ASSERT_TRUE(sink_.WaitForMessages(1, kPrompt));
    ASSERT_TRUE(WaitFor(
        [&] {
          absl::StatusOr<int64_t> lagging = db_->QueryInt(
              "SELECT COUNT(*) FROM event_sequences s LEFT JOIN "
              "notification_cursors c ON c.page_id = s.page_id "
              "WHERE COALESCE(c.last_seq, 0) < s.last_seq AND EXISTS "
              "(SELECT 1 FROM subscribers u WHERE u.page_id = s.page_id "
              "AND u.state IN (2, 3))");  // pages with someone to notify
          return lagging.ok() && *lagging == 0;
        },
        kPrompt))
        << "the dispatcher did not catch up";
  }

  // Everything SubscriptionService shows, as one list of messages.
  std::vector<std::unique_ptr<google::protobuf::Message>> World() {
    std::vector<std::unique_ptr<google::protobuf::Message>> out;
    auto add = [&](auto result) {
      if (!result.ok()) {
        ADD_FAILURE() << "re-read failed: " << result.status();
        return;
      }
      out.push_back(std::make_unique<std::decay_t<decltype(*result)>>(
          *std::move(result)));
    };
    for (const std::string& page : kPages) {
      v1::CountSubscribersRequest count;
      count.set_parent(PageName(page));
      add(client().CountSubscribers(count));
      v1::ListSubscribersRequest list;
      list.set_parent(PageName(page));
      list.set_page_size(1000);
      absl::StatusOr<v1::ListSubscribersResponse> listed =
          client().ListSubscribers(list);
      add(listed);
      if (!listed.ok()) continue;
      for (const v1::Subscriber& s : listed->subscribers()) {
        v1::GetSubscriberRequest get;
        get.set_name(s.name());
        add(client().GetSubscriber(get));
        v1::ListDeliveriesRequest deliveries;
        deliveries.set_parent(s.name());
        add(client().ListDeliveries(deliveries));
      }
    }
    return out;
  }

  // Runs `call`; expects one of `codes`, and nothing changed anywhere.
  void ExpectRejected(const std::string& what, const std::vector<Code>& codes,
                      const std::function<absl::Status()>& call) {
    CheckRejected(what, codes, call).IgnoreError();
  }
  // The same, returning the call's status.
  absl::Status CheckRejected(const std::string& what,
                             const std::vector<Code>& codes,
                             const std::function<absl::Status()>& call) {
    SCOPED_TRACE(what);
    auto world_before = World();
    absl::StatusOr<std::string> db_before = db_->Fingerprint();
    EXPECT_OK(db_before);
    const absl::Status status = call();
    bool expected = false;
    std::vector<std::string> names;
    for (Code code : codes) {
      expected = expected || status.code() == code;
      names.push_back(absl::StatusCodeToString(code));
    }
    EXPECT_TRUE(expected) << what << ": got " << status << ", want "
                          << absl::StrJoin(names, " or ");
    auto world_after = World();
    EXPECT_EQ(world_after.size(), world_before.size()) << what;
    for (size_t i = 0; i < world_before.size() && i < world_after.size();
         ++i) {
      EXPECT_TRUE(ProtoEquals(*world_after[i], *world_before[i]))
          << what << " changed what the API shows";
    }
    absl::StatusOr<std::string> db_after = db_->Fingerprint();
    EXPECT_OK(db_after);
    if (db_before.ok() && db_after.ok()) {
      EXPECT_EQ(*db_after, *db_before) << what << " changed stored data";
    }
    return status;
  }

  // CreateSubscriber on `page` with a webhook URL, an email, or neither.
  std::function<absl::Status()> Create(
      const std::string& parent, const std::string& webhook,
      const std::string& email = "",
      const std::vector<std::string>& components = {},
      const std::string& incident = "") {
    return [=] {
      v1::CreateSubscriberRequest request;
      request.set_parent(parent);
      if (!webhook.empty()) request.mutable_subscriber()->set_webhook_url(webhook);
      if (!email.empty()) request.mutable_subscriber()->set_email(email);
      for (const std::string& c : components) {
        request.mutable_subscriber()->add_components(c);
      }
      request.mutable_subscriber()->set_incident(incident);
      return client().CreateSubscriber(request).status();
    };
  }

  testing::SmtpSink sink_;
  const std::string alpha_ = PageName("alpha");
  const std::string beta_ = PageName("beta");
  const std::string c1_ = ComponentName("alpha", "c1");
  const std::string c2_ = ComponentName("alpha", "c2");
  const std::string c3_ = ComponentName("beta", "c3");
  const std::string inc_a_ = IncidentName("alpha", "inc-a");
  const std::string inc_b_ = IncidentName("beta", "inc-b");
  std::string w1_, stale_w1_, w2_, w2_etag_, e1_;
};

TEST_F(NotifyBadInputTest, CreateSubscriber_BadInput_IsRefusedAndChangesNothing) {
  const std::string hook = "https://hooks.example.com/new";
  ExpectRejected("empty request", {kInvalid}, [&] {
    return client().CreateSubscriber(v1::CreateSubscriberRequest()).status();
  });
  ExpectRejected("no address", {kInvalid}, Create(beta_, ""));
  ExpectRejected("parent without pages/", {kInvalid}, Create("beta", hook));
  ExpectRejected("parent with SQL", {kInvalid},
                 Create("pages/beta' OR '1'='1", hook));
  // Webhook URLs.
  for (const std::string& url : {
           std::string("not a url"),
           std::string("hooks.example.com/no-scheme"),
           std::string("https://"),
           std::string("https://user:secret@hooks.example.com/x"),
           std::string("https://token@hooks.example.com/x"),
           std::string("ftp://hooks.example.com/x"),
           std::string("file:///etc/passwd"),
           std::string("javascript:alert(1)"),
           std::string("https://hooks.example.com/a b"),
           std::string("https://hooks.example.com/x\"y"),
           std::string("https://hooks.example.com/x#fragment"),
           std::string("https://hooks.example.com:99999/x"),
           std::string("https://hooks.example.com/x\r\nX-Injected: 1"),
           absl::StrCat("https://hooks.example.com/", std::string(2100, 'x')),
       }) {
    ExpectRejected(absl::StrCat("webhook URL ", url.substr(0, 60)), {kInvalid},
                   Create(beta_, url));
  }
  // Private, loopback and link-local addresses, denied by default.
  for (const char* url : {
           "http://127.0.0.1:8080/hook", "http://127.1.2.3/hook",
           "http://10.1.2.3/hook", "http://172.16.0.1/hook",
           "http://192.168.0.1/hook", "http://169.254.169.254/latest/meta-data",
           "http://[::1]/hook", "http://[fe80::1]/hook",
           "http://[::ffff:127.0.0.1]/hook", "http://0.0.0.0/hook",
           "http://localhost/hook", "http://api.localhost/hook",
       }) {
    ExpectRejected(absl::StrCat("private webhook ", url), {kInvalid},
                   Create(beta_, url));
  }
  // Email addresses.
  for (const std::string& email : {
           std::string("not-an-email"),
           std::string("ops@localhost"),
           std::string("ops@@example.com"),
           std::string("ops@ex ample.com"),
           std::string("o ps@example.com"),
           std::string("\"quoted\"@example.com"),
           std::string("ops@[127.0.0.1]"),
           std::string("ops@example..com"),
           std::string("Robert'); DROP TABLE subscribers; --@example.com"),
           absl::StrCat(std::string(65, 'x'), "@example.com"),
           absl::StrCat("ops@", std::string(300, 'x'), ".com"),
       }) {
    ExpectRejected(absl::StrCat("email ", email.substr(0, 60)), {kInvalid},
                   Create(beta_, "", email));
  }
  // Unknown and foreign resources.
  ExpectRejected("unknown page", {kNotFound}, Create("pages/nope", hook));
  ExpectRejected("unknown component", {kNotFound},
                 Create(beta_, hook, "", {ComponentName("beta", "nope")}));
  ExpectRejected("component of another page", {kInvalid},
                 Create(beta_, hook, "", {c1_}));
  ExpectRejected("malformed component", {kInvalid},
                 Create(beta_, hook, "", {"c3"}));
  ExpectRejected("unknown incident", {kNotFound},
                 Create(beta_, hook, "", {}, IncidentName("beta", "nope")));
  ExpectRejected("incident of another page", {kInvalid},
                 Create(beta_, hook, "", {}, inc_a_));
  std::vector<std::string> many(101, c3_);
  ExpectRejected("101 components", {kInvalid}, Create(beta_, hook, "", many));
  // Taken addresses, also when spelled differently.
  ExpectRejected("taken webhook", {kExists},
                 Create(beta_, "https://hooks.example.com/b1"));
  ExpectRejected("taken webhook, upper-case host", {kExists},
                 Create(beta_, "HTTPS://HOOKS.EXAMPLE.COM/b1"));
  ExpectRejected("taken email", {kExists}, Create(beta_, "", "ops@example.com"));
  ExpectRejected("taken email, upper-case domain", {kExists},
                 Create(beta_, "", "ops@EXAMPLE.com"));
  // A full page.
  ExpectRejected("page at its cap", {kExhausted}, Create(alpha_, hook));
  ExpectRejected("page at its cap, email", {kExhausted},
                 Create(alpha_, "", "new@example.com"));
}

TEST_F(NotifyBadInputTest, OtherRpcs_BadInput_IsRefusedAndChangesNothing) {
  const std::string unknown_subscriber = beta_ + "/subscribers/nope";
  const std::string unknown_token(43, 'A');
  auto get = [&](const std::string& name) {
    return [=] {
      v1::GetSubscriberRequest request;
      request.set_name(name);
      return client().GetSubscriber(request).status();
    };
  };
  ExpectRejected("get unknown", {kNotFound}, get(unknown_subscriber));
  ExpectRejected("get malformed", {kInvalid}, get("subscribers/x"));
  ExpectRejected("get empty", {kInvalid}, get(""));
  ExpectRejected("get with SQL", {kInvalid},
                 get(beta_ + "/subscribers/x' OR '1'='1"));

  auto list = [&](const std::string& parent, int state, int page_size,
                  const std::string& token) {
    return [=] {
      v1::ListSubscribersRequest request;
      request.set_parent(parent);
      request.set_state(static_cast<v1::Subscriber::State>(state));
      request.set_page_size(page_size);
      request.set_page_token(token);
      return client().ListSubscribers(request).status();
    };
  };
  ExpectRejected("list unknown state", {kInvalid}, list(beta_, 99, 0, ""));
  ExpectRejected("list negative state", {kInvalid}, list(beta_, -1, 0, ""));
  ExpectRejected("list negative page size", {kInvalid}, list(beta_, 0, -1, ""));
  ExpectRejected("list garbage token", {kInvalid}, list(beta_, 0, 0, "garbage"));
  ExpectRejected("list unknown page", {kNotFound},
                 list("pages/nope", 0, 0, ""));
  ExpectRejected("list empty request", {kInvalid}, list("", 0, 0, ""));

  auto update = [&](const std::string& name, const std::string& etag,
                    const std::vector<std::string>& components,
                    const std::string& path) {
    return [=] {
      v1::UpdateSubscriberRequest request;
      request.mutable_subscriber()->set_name(name);
      request.mutable_subscriber()->set_etag(etag);
      for (const std::string& c : components) {
        request.mutable_subscriber()->add_components(c);
      }
      request.mutable_update_mask()->add_paths(path);
      return client().UpdateSubscriber(request).status();
    };
  };
  ExpectRejected("update stale etag", {kAborted},
                 update(w1_, stale_w1_, {c1_}, "components"));
  ExpectRejected("update malformed etag", {kInvalid},
                 update(w1_, "not-an-etag", {c1_}, "components"));
  ExpectRejected("update unknown component", {kNotFound},
                 update(w1_, "", {ComponentName("alpha", "nope")}, "components"));
  ExpectRejected("update foreign component", {kInvalid},
                 update(w1_, "", {c3_}, "components"));
  ExpectRejected("update the address", {kInvalid},
                 update(w1_, "", {}, "webhook_url"));
  ExpectRejected("update unknown field", {kInvalid},
                 update(w1_, "", {}, "no_such_field"));
  ExpectRejected("update unknown subscriber", {kNotFound},
                 update(unknown_subscriber, "", {}, "components"));
  ExpectRejected("update empty request", {kInvalid}, [&] {
    return client().UpdateSubscriber(v1::UpdateSubscriberRequest()).status();
  });

  auto remove = [&](const std::string& name, const std::string& etag) {
    return [=] {
      v1::DeleteSubscriberRequest request;
      request.set_name(name);
      request.set_etag(etag);
      return client().DeleteSubscriber(request);
    };
  };
  ExpectRejected("delete stale etag", {kAborted}, remove(w1_, stale_w1_));
  ExpectRejected("delete unknown", {kNotFound}, remove(unknown_subscriber, ""));
  ExpectRejected("delete empty", {kInvalid}, remove("", ""));

  auto count = [&](const std::string& parent) {
    return [=] {
      v1::CountSubscribersRequest request;
      request.set_parent(parent);
      return client().CountSubscribers(request).status();
    };
  };
  ExpectRejected("count unknown page", {kNotFound}, count("pages/nope"));
  ExpectRejected("count empty", {kInvalid}, count(""));

  // Tokens: unknown, empty, oversized, SQL; never found, never echoed.
  for (const auto& [what, token, codes] :
       std::vector<std::tuple<std::string, std::string, std::vector<Code>>>{
           {"unknown token", unknown_token, {kNotFound}},
           {"empty token", "", {kNotFound, kInvalid}},
           {"oversized token", std::string(200, 'A'), {kInvalid}},
           {"SQL token", "' OR '1'='1", {kNotFound, kInvalid}},
           {"SQL wildcard token", "%", {kNotFound, kInvalid}},
       }) {
    const std::string t = token;
    const absl::Status confirmed =
        CheckRejected(absl::StrCat("confirm, ", what), codes, [&] {
          v1::ConfirmSubscriberRequest request;
          request.set_token(t);
          return client().ConfirmSubscriber(request).status();
        });
    const absl::Status unsubscribed =
        CheckRejected(absl::StrCat("unsubscribe, ", what), codes, [&] {
          v1::UnsubscribeRequest request;
          request.set_token(t);
          return client().Unsubscribe(request);
        });
    if (t.size() > 8) {
      EXPECT_THAT(std::string(confirmed.message()), Not(HasSubstr(t)))
          << "the message echoes the token";
      EXPECT_THAT(std::string(unsubscribed.message()), Not(HasSubstr(t)))
          << "the message echoes the token";
    }
  }

  auto rotate = [&](const std::string& name) {
    return [=] {
      v1::RotateSigningSecretRequest request;
      request.set_name(name);
      return client().RotateSigningSecret(request).status();
    };
  };
  ExpectRejected("rotate an email subscriber", {kPrecondition}, rotate(e1_));
  ExpectRejected("rotate unknown", {kNotFound}, rotate(unknown_subscriber));

  auto reactivate = [&](const std::string& name, const std::string& etag) {
    return [=] {
      v1::ReactivateSubscriberRequest request;
      request.set_name(name);
      request.set_etag(etag);
      return client().ReactivateSubscriber(request).status();
    };
  };
  ExpectRejected("reactivate an active subscriber", {kPrecondition},
                 reactivate(w2_, w2_etag_));
  ExpectRejected("reactivate with a stale etag", {kAborted},
                 reactivate(w1_, stale_w1_));
  ExpectRejected("reactivate unknown", {kNotFound},
                 reactivate(unknown_subscriber, ""));

  auto deliveries = [&](const std::string& parent, int64_t seq, int state) {
    return [=] {
      v1::ListDeliveriesRequest request;
      request.set_parent(parent);
      request.set_event_sequence(seq);
      request.set_state(static_cast<v1::Delivery::State>(state));
      return client().ListDeliveries(request).status();
    };
  };
  ExpectRejected("deliveries of every subscriber without an event", {kInvalid},
                 deliveries(beta_ + "/subscribers/-", 0, 0));
  ExpectRejected("deliveries, negative event", {kInvalid},
                 deliveries(e1_, -1, 0));
  ExpectRejected("deliveries, unknown state", {kInvalid}, deliveries(e1_, 0, 99));
  ExpectRejected("deliveries of unknown subscriber", {kNotFound},
                 deliveries(unknown_subscriber, 0, 0));
  ExpectRejected("deliveries of unknown page", {kNotFound},
                 deliveries("pages/nope/subscribers/-", 1, 0));
  ExpectRejected("deliveries, empty request", {kInvalid}, deliveries("", 0, 0));

  auto get_delivery = [&](const std::string& name) {
    return [=] {
      v1::GetDeliveryRequest request;
      request.set_name(name);
      return client().GetDelivery(request).status();
    };
  };
  ExpectRejected("unknown delivery", {kNotFound},
                 get_delivery(e1_ + "/deliveries/99"));
  ExpectRejected("malformed delivery", {kInvalid},
                 get_delivery(e1_ + "/deliveries/abc"));
  ExpectRejected("negative delivery", {kInvalid},
                 get_delivery(e1_ + "/deliveries/-1"));

  auto redeliver = [&](const std::string& name) {
    return [=] {
      v1::RedeliverDeliveryRequest request;
      request.set_name(name);
      return client().RedeliverDelivery(request).status();
    };
  };
  ExpectRejected("redeliver unknown delivery", {kNotFound},
                 redeliver(w2_ + "/deliveries/99"));
  ExpectRejected("redeliver of unknown subscriber", {kNotFound},
                 redeliver(unknown_subscriber + "/deliveries/1"));
  ExpectRejected("redeliver malformed", {kInvalid}, redeliver("deliveries/1"));
}

// Valid input full of SQL metacharacters is stored and returned verbatim.
TEST_F(NotifyBadInputTest, SqlMetacharactersInValidAddresses_ComeBackVerbatim) {
  const std::string url =
      "https://hooks.example.com/h?q=');DROP%20TABLE%20subscribers;--&x='1'='1'"
      "&p=%25_*";
  const std::string email = "o'brien+%_*{drop}@example.com";
  ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse hook,
                       SubscribeWebhook(client(), "gamma", url));
  EXPECT_EQ(hook.subscriber().webhook_url(), url);
  ASSERT_OK_AND_ASSIGN(v1::CreateSubscriberResponse mail,
                       SubscribeEmail(client(), "gamma", email));
  EXPECT_EQ(mail.subscriber().email(), email);
  for (const auto& [name, want] :
       {std::pair{hook.subscriber().name(), url},
        std::pair{mail.subscriber().name(), email}}) {
    v1::GetSubscriberRequest get;
    get.set_name(name);
    ASSERT_OK_AND_ASSIGN(v1::Subscriber got, client().GetSubscriber(get));
    EXPECT_EQ(got.has_webhook_url() ? got.webhook_url() : got.email(), want);
  }
  // And every table is still there.
  v1::CountSubscribersRequest count;
  count.set_parent(PageName("alpha"));
  ASSERT_OK_AND_ASSIGN(v1::CountSubscribersResponse counts,
                       client().CountSubscribers(count));
  EXPECT_EQ(counts.total(), kCap);
}

}  // namespace
}  // namespace incidentd::e2e
