// The pure rules of subscriptions: email and webhook URL validation, private
// addresses, who an event notifies, retry timing and quarantine.
#include "server/domain/subscriptions.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/model.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::domain {
namespace {

using ::testing::HasSubstr;
constexpr absl::StatusCode kIA = absl::StatusCode::kInvalidArgument;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// --- NormalizeEmail
// -----------------------------------------------------------

TEST(NormalizeEmailTest, AcceptsCommonAddresses) {
  for (const std::string& good : std::vector<std::string>{
           "ops@example.com",
           "first.last@example.com",
           "first.last+status@example.com",  // plus-addressing
           "a@b.co",
           "ops@mail.eu.example.com",    // subdomains
           "ops@xn--bcher-kva.example",  // IDN in punycode
           "o'brien@example.ie",
           "x_y-z@ex-ample.org",
           "!#$%&'*+-/=?^_`{|}~@example.com",  // every atext character
           "1234@123.example.com",
       }) {
    auto r = NormalizeEmail("subscriber.email", good);
    ASSERT_OK(r) << good;
    EXPECT_EQ(*r, good) << "already normal";
  }
}

TEST(NormalizeEmailTest, LowercasesTheDomainButKeepsTheLocalPart) {
  auto r = NormalizeEmail("subscriber.email", "Jane.Doe+Ops@Example.COM");
  ASSERT_OK(r);
  EXPECT_EQ(*r, "Jane.Doe+Ops@example.com");
}

TEST(NormalizeEmailTest, LengthLimits_64LocalAnd254Total) {
  const std::string local64(64, 'a');
  EXPECT_OK(NormalizeEmail("e", local64 + "@example.com"));
  const std::string local65(65, 'a');
  absl::Status s =
      NormalizeEmail("subscriber.email", local65 + "@example.com").status();
  EXPECT_CODE(s, kIA);
  EXPECT_THAT(Message(s), HasSubstr("at most 64"));

  // 254 characters in all: 64 + '@' + labels of 63 + ".com" style domain.
  std::string domain = std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                       std::string(57, 'd') + ".com";
  std::string at254 = local64 + "@" + domain;
  ASSERT_EQ(at254.size(), 254u);
  EXPECT_OK(NormalizeEmail("e", at254));
  std::string at255 = local64 + "@" + "e" + domain;
  ASSERT_EQ(at255.size(), 255u);
  s = NormalizeEmail("subscriber.email", at255).status();
  EXPECT_CODE(s, kIA);
  EXPECT_THAT(Message(s), HasSubstr("at most 254"));
}

TEST(NormalizeEmailTest, RefusesMalformedAddresses) {
  for (const std::string& bad : std::vector<std::string>{
           "",
           "plainaddress",
           "@example.com",
           "ops@",
           "ops@@example.com",
           "a@b@example.com",
           "ops@localhost",            // one label
           "ops@example.com.",         // trailing dot
           "ops@.example.com",         // leading dot
           "ops@example..com",         // consecutive dots in the domain
           "first..last@example.com",  // consecutive dots in the local part
           ".ops@example.com",
           "ops.@example.com",
           "ops @example.com",
           " ops@example.com",
           "ops@example.com ",
           "ops@exa mple.com",
           "\"quoted\"@example.com",
           "ops(comment)@example.com",
           "a,b@example.com",
           "a<b>@example.com",
           "a\\b@example.com",
           "ops@-example.com",
           "ops@example-.com",
           "ops@exa_mple.com",
           "ops@[192.0.2.1]",
           "ops@192.0.2.1",
           "ops@example.123",
           "a'; DROP TABLE x;--@b.com",  // SQL metacharacters
           "ops@example.com\r\nBcc: victim@example.com",
           "ops@example.com\n",
           std::string("ops\0@example.com", 16),
           "j\xC3\xB6rg@example.com",  // unicode local part
           "ops@b\xC3\xBC"
           "cher.example",  // unicode domain
       }) {
    EXPECT_CODE(NormalizeEmail("subscriber.email", bad), kIA) << bad;
  }
  const std::string long_label = "ops@" + std::string(64, 'x') + ".com";
  EXPECT_CODE(NormalizeEmail("subscriber.email", long_label), kIA);
}

TEST(NormalizeEmailTest, MessagesNameTheFieldAndTheProblem) {
  struct Case {
    std::string email;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"ops.example.com", "subscriber.email: missing '@'"},
           {"a@b@example.com", "subscriber.email: more than one '@'"},
           {"@example.com", "subscriber.email: the part before '@' is empty"},
           {"ops@", "subscriber.email: the domain after '@' is empty"},
           {"ops@example", "at least two labels"},
           {"ops@example.com.", "empty label"},
           {"a..b@example.com", "two dots in a row"},
           {"a b@example.com", "spaces"},
           {"a;b@example.com", "must not contain ';'"},
           {"j\xC3\xB6rg@example.com", "must be ASCII"},
           {"ops@[192.0.2.1]", "IP address literal"},
       }) {
    absl::Status s = NormalizeEmail("subscriber.email", c.email).status();
    EXPECT_CODE(s, kIA) << c.email;
    EXPECT_THAT(Message(s), HasSubstr(c.says)) << c.email;
    EXPECT_EQ(Message(s).rfind("subscriber.email: ", 0), 0u) << Message(s);
  }
}

// --- ParseWebhookUrl
// ----------------------------------------------------------

TEST(ParseWebhookUrlTest, ParsesSchemeHostPortAndDefaults) {
  auto r = ParseWebhookUrl("subscriber.webhook_url",
                           "https://hooks.example.com/incidentd?team=ops");
  ASSERT_OK(r);
  EXPECT_EQ(r->scheme, "https");
  EXPECT_EQ(r->host, "hooks.example.com");
  EXPECT_EQ(r->port, 443);
  EXPECT_FALSE(r->host_is_ip);
  EXPECT_EQ(r->normalized, "https://hooks.example.com/incidentd?team=ops");

  r = ParseWebhookUrl("u", "http://example.com");
  ASSERT_OK(r);
  EXPECT_EQ(r->port, 80);
  EXPECT_EQ(r->normalized, "http://example.com");

  r = ParseWebhookUrl("u", "http://127.0.0.1:8080/hook");
  ASSERT_OK(r);
  EXPECT_EQ(r->host, "127.0.0.1");
  EXPECT_EQ(r->port, 8080);
  EXPECT_TRUE(r->host_is_ip);

  r = ParseWebhookUrl("u", "http://localhost:65535/");
  ASSERT_OK(r);
  EXPECT_EQ(r->port, 65535);
  r = ParseWebhookUrl("u", "http://internal_host.corp:1/x");
  ASSERT_OK(r);
  EXPECT_EQ(r->port, 1);
}

TEST(ParseWebhookUrlTest, LowercasesSchemeAndHostOnly) {
  auto r =
      ParseWebhookUrl("u", "HTTPS://Hooks.Example.COM:8443/Path/To?Key=AbC");
  ASSERT_OK(r);
  EXPECT_EQ(r->scheme, "https");
  EXPECT_EQ(r->host, "hooks.example.com");
  EXPECT_EQ(r->port, 8443);
  EXPECT_EQ(r->normalized, "https://hooks.example.com:8443/Path/To?Key=AbC");
}

TEST(ParseWebhookUrlTest, Ipv6LiteralsInBrackets) {
  auto r = ParseWebhookUrl("u", "http://[::1]:9000/hook");
  ASSERT_OK(r);
  EXPECT_EQ(r->host, "::1");
  EXPECT_EQ(r->port, 9000);
  EXPECT_TRUE(r->host_is_ip);
  EXPECT_EQ(r->normalized, "http://[::1]:9000/hook");

  r = ParseWebhookUrl("u", "https://[2001:DB8::A]/x");
  ASSERT_OK(r);
  EXPECT_EQ(r->host, "2001:db8::a");
  EXPECT_EQ(r->port, 443);
  EXPECT_EQ(r->normalized, "https://[2001:db8::a]/x");

  for (const std::string& bad : std::vector<std::string>{
           "http://[::1/x", "http://[not-an-ip]/", "http://[]/",
           "http://[fe80::1%25eth0]/", "http://[::1]x/", "http://::1/",
           "http://[127.0.0.1]/"}) {
    EXPECT_CODE(ParseWebhookUrl("u", bad), kIA) << bad;
  }
}

TEST(ParseWebhookUrlTest, RefusesBadUrls) {
  struct Case {
    std::string url;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"", "must not be empty"},
           {"example.com/hook", "absolute"},
           {"ftp://example.com/", "http or https"},
           {"javascript://example.com/%0Aalert(1)", "http or https"},
           {"file:///etc/passwd", "http or https"},
           {"http:/example.com", "absolute"},
           {"https://user:secret@example.com/", "credentials"},
           {"https://user@example.com/", "credentials"},
           {"https://@example.com/", "credentials"},
           {"https://example.com@evil.com/", "credentials"},
           {"http:///hook", "no host"},
           {"http://:8080/hook", "no host"},
           {"http://example.com:0/", "port"},
           {"http://example.com:65536/", "port"},
           {"http://example.com:99999/", "port"},
           {"http://example.com:123456/", "port"},
           {"http://example.com:80a/", "port"},
           {"http://example.com:-1/", "port"},
           {"http://example.com:/", "port"},
           {"http://exa mple.com/", "spaces"},
           {"http://example.com/a b", "spaces"},
           {" http://example.com/", "spaces"},
           {"http://example.com/\t", "control"},
           {"http://example.com/\r\nX-Injected: 1", "control"},
           {std::string("http://example.com/\0", 20), "control"},
           {"http://example.com/\x7F", "control"},
           {"http://example.com/#frag", "fragment"},
           {"http://example.com#", "fragment"},
           {"http://b\xC3\xBC"
            "cher.example/",
            "ASCII"},
           {"http://example.com\\@127.0.0.1/", "'\\'"},
           {"http://exa%6dple.com/", "host"},
           {"http://-example.com/", "host"},
           {"http://example..com/", "host"},
           {"http://example.com./", "host"},
           {"http://2130706433/", "dotted-decimal"},
           {"http://0x7f.1/", "dotted-decimal"},
           {"http://127.1/", "dotted-decimal"},
           {"http://0177.0.0.1/", "dotted-decimal"},
           {"http://256.0.0.1/", "dotted-decimal"},
           {"http://example.com/%zz", "'%'"},
           {"http://example.com/%4", "'%'"},
           {"http://example.com/<script>", "'<'"},
           {"http://example.com/{x}", "'{'"},
       }) {
    absl::Status s = ParseWebhookUrl("subscriber.webhook_url", c.url).status();
    EXPECT_CODE(s, kIA) << c.url;
    EXPECT_THAT(Message(s), HasSubstr(c.says)) << c.url;
    EXPECT_EQ(Message(s).rfind("subscriber.webhook_url: ", 0), 0u)
        << Message(s);
  }
}

TEST(ParseWebhookUrlTest, LengthLimitIs2048Bytes) {
  const std::string prefix = "https://example.com/";
  const std::string at_limit =
      prefix + std::string(kMaxWebhookUrlLength - prefix.size(), 'a');
  EXPECT_OK(ParseWebhookUrl("u", at_limit));
  absl::Status s = ParseWebhookUrl("u", at_limit + "a").status();
  EXPECT_CODE(s, kIA);
  EXPECT_THAT(Message(s), HasSubstr("at most 2048 bytes"));
}

TEST(ParseWebhookUrlTest, KeepsReservedCharactersAndEscapesInPathAndQuery) {
  const std::string url =
      "https://example.com/a/b;c=d/~e_f.g-h?x=1&y=%2F@z,(ok)!*$'+:";
  auto r = ParseWebhookUrl("u", url);
  ASSERT_OK(r);
  EXPECT_EQ(r->normalized, url);
  EXPECT_EQ(r->host, "example.com");
}

// --- Private addresses
// --------------------------------------------------------

std::array<uint8_t, 4> V4(const char* text) {
  std::array<uint8_t, 4> a;
  in_addr addr;
  EXPECT_EQ(inet_pton(AF_INET, text, &addr), 1) << text;
  std::memcpy(a.data(), &addr, 4);
  return a;
}

std::array<uint8_t, 16> V6(const char* text) {
  std::array<uint8_t, 16> a;
  in6_addr addr;
  EXPECT_EQ(inet_pton(AF_INET6, text, &addr), 1) << text;
  std::memcpy(a.data(), &addr, 16);
  return a;
}

TEST(PrivateAddressTest, IPv4RangesAndTheirEdges) {
  struct Case {
    const char* address;
    bool is_private;
  };
  for (const Case& c : std::vector<Case>{
           {"0.0.0.0", true},          {"0.255.255.255", true},
           {"1.0.0.0", false},         {"8.8.8.8", false},
           {"9.255.255.255", false},   {"10.0.0.0", true},
           {"10.255.255.255", true},   {"11.0.0.0", false},
           {"100.63.255.255", false},  {"100.64.0.0", true},
           {"100.127.255.255", true},  {"100.128.0.0", false},
           {"126.255.255.255", false}, {"127.0.0.0", true},
           {"127.0.0.1", true},        {"127.255.255.255", true},
           {"128.0.0.0", false},       {"169.253.255.255", false},
           {"169.254.0.0", true},      {"169.254.169.254", true},
           {"169.254.255.255", true},  {"169.255.0.0", false},
           {"172.15.255.255", false},  {"172.16.0.0", true},
           {"172.31.255.255", true},   {"172.32.0.0", false},
           {"192.167.255.255", false}, {"192.168.0.0", true},
           {"192.168.255.255", true},  {"192.169.0.0", false},
           {"223.255.255.255", false}, {"224.0.0.0", true},
           {"239.255.255.255", true},  {"255.255.255.255", true},
       }) {
    EXPECT_EQ(IsPrivateIPv4(V4(c.address)), c.is_private) << c.address;
    EXPECT_EQ(IsPrivateHostLiteral(c.address), c.is_private) << c.address;
  }
}

TEST(PrivateAddressTest, IPv6RangesAndEmbeddedIPv4) {
  struct Case {
    const char* address;
    bool is_private;
  };
  for (const Case& c : std::vector<Case>{
           {"::", true},
           {"::1", true},
           {"fe80::1", true},
           {"febf:ffff::1", true},
           {"fec0::1", true},  // deprecated site-local
           {"fc00::1", true},
           {"fd12::1", true},
           {"fdff:ffff::1", true},
           {"fbff:ffff::1", false},
           {"ff02::1", true},
           {"::ffff:127.0.0.1", true},
           {"::ffff:10.0.0.1", true},
           {"::ffff:169.254.169.254", true},
           {"::ffff:8.8.8.8", false},
           {"::127.0.0.1", true},  // IPv4-compatible
           {"::8.8.8.8", false},
           {"64:ff9b::10.0.0.1", true},  // NAT64
           {"64:ff9b::8.8.8.8", false},
           {"2001:4860::8888", false},
           {"2001:4860:4860::8888", false},
           {"2a00:1450:4001::200e", false},
       }) {
    EXPECT_EQ(IsPrivateIPv6(V6(c.address)), c.is_private) << c.address;
    EXPECT_EQ(IsPrivateHostLiteral(c.address), c.is_private) << c.address;
  }
}

TEST(PrivateAddressTest, HostLiteral_NamesAreNotCheckedHere) {
  EXPECT_FALSE(IsPrivateHostLiteral("localhost"));
  EXPECT_FALSE(IsPrivateHostLiteral("example.com"));
  EXPECT_FALSE(IsPrivateHostLiteral(""));
  EXPECT_TRUE(IsPrivateHostLiteral("[::1]"));  // bracketed works too
}

TEST(PrivateAddressTest, ParsedWebhookHostsFeedTheCheck) {
  auto r = ParseWebhookUrl("u", "http://[::ffff:127.0.0.1]:8080/");
  ASSERT_OK(r);
  EXPECT_TRUE(r->host_is_ip);
  EXPECT_TRUE(IsPrivateHostLiteral(r->host));
  r = ParseWebhookUrl("u", "http://192.168.1.10/");
  ASSERT_OK(r);
  EXPECT_TRUE(IsPrivateHostLiteral(r->host));
  r = ParseWebhookUrl("u", "https://8.8.8.8/");
  ASSERT_OK(r);
  EXPECT_FALSE(IsPrivateHostLiteral(r->host));
}

// --- Notifies
// -----------------------------------------------------------------

Event NotifyingEvent(int64_t seq, EventType type, std::string incident,
                     std::vector<std::string> components) {
  Event e;
  e.page_id = "productsup";
  e.seq = seq;
  e.type = type;
  e.incident_id = std::move(incident);
  e.component_ids = std::move(components);
  e.notify = true;
  return e;
}

Subscriber ActiveSubscriber() {
  Subscriber s;
  s.page_id = "productsup";
  s.id = "ops";
  s.kind = SubscriberKind::kWebhook;
  s.state = SubscriberState::kActive;
  s.after_seq = 10;
  return s;
}

TEST(NotifiesTest, WholePageSubscriberHearsNotifyingEventsAfterActivation) {
  const Subscriber s = ActiveSubscriber();
  EXPECT_TRUE(Notifies(
      NotifyingEvent(11, EventType::kIncidentUpdatePosted, "ceph", {"api"}),
      s));
  EXPECT_TRUE(Notifies(
      NotifyingEvent(12, EventType::kIncidentUpdatePosted, "ceph", {}), s));
  EXPECT_TRUE(Notifies(
      NotifyingEvent(13, EventType::kPostmortemPublished, "ceph", {}), s));
  EXPECT_TRUE(Notifies(
      NotifyingEvent(14, EventType::kMaintenanceStartingSoon, "upgrade", {}),
      s));
}

TEST(NotifiesTest, EventsAtOrBeforeActivationDoNotNotify) {
  const Subscriber s = ActiveSubscriber();
  EXPECT_FALSE(Notifies(
      NotifyingEvent(10, EventType::kIncidentUpdatePosted, "ceph", {}), s));
  EXPECT_FALSE(Notifies(
      NotifyingEvent(3, EventType::kIncidentUpdatePosted, "ceph", {}), s));
}

TEST(NotifiesTest, EventsWithoutNotifyNeverNotify) {
  Event e = NotifyingEvent(11, EventType::kIncidentUpdateEdited, "ceph", {});
  e.notify = false;
  EXPECT_FALSE(Notifies(e, ActiveSubscriber()));
}

TEST(NotifiesTest, QuarantinedSubscribersAreRecordedButPendingOnesAreNot) {
  Subscriber s = ActiveSubscriber();
  const Event e =
      NotifyingEvent(11, EventType::kIncidentUpdatePosted, "ceph", {});
  s.state = SubscriberState::kQuarantined;
  EXPECT_TRUE(Notifies(e, s));
  s.state = SubscriberState::kPendingConfirmation;
  EXPECT_FALSE(Notifies(e, s));
  s.state = SubscriberState::kUnspecified;
  EXPECT_FALSE(Notifies(e, s));
}

TEST(NotifiesTest, IncidentFilter_OnlyThatIncident) {
  Subscriber s = ActiveSubscriber();
  s.incident_id = "ceph";
  EXPECT_TRUE(Notifies(
      NotifyingEvent(11, EventType::kIncidentUpdatePosted, "ceph", {}), s));
  EXPECT_FALSE(Notifies(
      NotifyingEvent(12, EventType::kIncidentUpdatePosted, "other", {}), s));
  EXPECT_FALSE(Notifies(
      NotifyingEvent(13, EventType::kComponentStatusChanged, "", {"api"}), s));
}

TEST(NotifiesTest,
     ComponentFilter_SubscriberToAHearsNothingOfAnIncidentOnlyOnB) {
  Subscriber s = ActiveSubscriber();
  s.component_ids = {"a", "c"};
  EXPECT_FALSE(Notifies(
      NotifyingEvent(11, EventType::kIncidentUpdatePosted, "inc", {"b"}), s));
  EXPECT_TRUE(Notifies(
      NotifyingEvent(12, EventType::kIncidentUpdatePosted, "inc", {"b", "c"}),
      s));
  EXPECT_TRUE(Notifies(
      NotifyingEvent(13, EventType::kIncidentUpdatePosted, "inc", {"a"}), s));
  // An incident touching no component is not about A.
  EXPECT_FALSE(Notifies(
      NotifyingEvent(14, EventType::kIncidentUpdatePosted, "inc", {}), s));
}

TEST(NotifiesTest, ComponentStatusChange_OnlyForSubscribersOfThatComponent) {
  const Event change =
      NotifyingEvent(11, EventType::kComponentStatusChanged, "", {"a"});
  EXPECT_FALSE(Notifies(change, ActiveSubscriber()));  // whole page
  Subscriber s = ActiveSubscriber();
  s.component_ids = {"a"};
  EXPECT_TRUE(Notifies(change, s));
  s.component_ids = {"b"};
  EXPECT_FALSE(Notifies(change, s));
}

TEST(NotifiesTest, BothFiltersMustPass) {
  Subscriber s = ActiveSubscriber();
  s.incident_id = "ceph";
  s.component_ids = {"a"};
  EXPECT_TRUE(Notifies(
      NotifyingEvent(11, EventType::kIncidentUpdatePosted, "ceph", {"a"}), s));
  EXPECT_FALSE(Notifies(
      NotifyingEvent(12, EventType::kIncidentUpdatePosted, "ceph", {"b"}), s));
  EXPECT_FALSE(Notifies(
      NotifyingEvent(13, EventType::kIncidentUpdatePosted, "other", {"a"}), s));
}

TEST(PostNotifiesTest, CreatingOrMovingStateAlwaysNotifiesOtherwiseTheFlag) {
  EXPECT_TRUE(PostNotifies(/*creates=*/true, false, false));
  EXPECT_TRUE(PostNotifies(false, /*changes_state=*/true, false));
  EXPECT_TRUE(PostNotifies(false, false, /*notify_flag=*/true));
  EXPECT_TRUE(PostNotifies(true, true, true));
  EXPECT_FALSE(PostNotifies(false, false, false));
}

// --- NextAttemptTime
// ----------------------------------------------------------

const absl::Time kStart = absl::FromUnixSeconds(1714658580);  // 2024-05-02

TEST(NextAttemptTimeTest, FirstRetryWithDefaultsIsFiveToTenSecondsAway) {
  const RetryPolicy policy;
  const absl::Time now = kStart + absl::Seconds(1);
  for (double r : {0.0, 0.25, 0.5, 0.75, 0.999999}) {
    std::optional<absl::Time> next = NextAttemptTime(policy, kStart, now, 1, r);
    ASSERT_TRUE(next.has_value()) << r;
    EXPECT_GE(*next - now, absl::Seconds(5)) << r;
    EXPECT_LT(*next - now, absl::Seconds(10)) << r;
  }
}

TEST(NextAttemptTimeTest, JitterBoundsAreHalfToAllOfTheNominalDelay) {
  const RetryPolicy policy;
  EXPECT_EQ(*NextAttemptTime(policy, kStart, kStart, 1, 0.0),
            kStart + absl::Seconds(5));
  const absl::Duration top =
      *NextAttemptTime(policy, kStart, kStart, 1, 0.9999999999) - kStart;
  EXPECT_LT(top, absl::Seconds(10));
  EXPECT_GT(top, absl::Milliseconds(9999));
  EXPECT_EQ(*NextAttemptTime(policy, kStart, kStart, 3, 0.5),
            kStart + absl::Seconds(30));  // 40s nominal * 0.75
}

TEST(NextAttemptTimeTest, DelayDoublesPerAttempt) {
  const RetryPolicy policy;
  absl::Duration previous = absl::ZeroDuration();
  for (int attempts = 1; attempts <= 8; ++attempts) {
    const absl::Duration d =
        *NextAttemptTime(policy, kStart, kStart, attempts, 0.0) - kStart;
    EXPECT_EQ(d, absl::Seconds(5) * (1 << (attempts - 1))) << attempts;
    EXPECT_GT(d, previous);
    previous = d;
  }
}

TEST(NextAttemptTimeTest, DelayIsCappedAtMaxDelay) {
  const RetryPolicy policy;  // 10s doubling reaches 1h at the 10th attempt
  for (int attempts : {10, 11, 20, 31, 32, 64, 1000000}) {
    const absl::Duration d =
        *NextAttemptTime(policy, kStart, kStart, attempts, 0.999999) - kStart;
    EXPECT_LE(d, absl::Hours(1)) << attempts;
    EXPECT_GE(d, absl::Minutes(59)) << attempts;
  }
  EXPECT_EQ(*NextAttemptTime(policy, kStart, kStart, 50, 0.0),
            kStart + absl::Minutes(30));
}

TEST(NextAttemptTimeTest, NulloptOncePastTheHorizon) {
  const RetryPolicy policy;
  const absl::Time end = kStart + absl::Hours(24);
  // Well inside: a time.
  EXPECT_TRUE(NextAttemptTime(policy, kStart, end - absl::Hours(2), 20, 0.5)
                  .has_value());
  // The next attempt would land after the horizon: failed for good.
  EXPECT_FALSE(NextAttemptTime(policy, kStart, end - absl::Minutes(10), 20, 0.5)
                   .has_value());
  EXPECT_FALSE(NextAttemptTime(policy, kStart, end + absl::Seconds(1), 1, 0.0)
                   .has_value());
  // Exactly at the horizon still counts.
  EXPECT_EQ(NextAttemptTime(policy, kStart, end - absl::Seconds(5), 1, 0.0),
            end);
}

TEST(NextAttemptTimeTest, CustomPolicyAndOutOfRangeDraws) {
  RetryPolicy policy;
  policy.initial_delay = absl::Seconds(1);
  policy.max_delay = absl::Seconds(4);
  policy.horizon = absl::Minutes(1);
  EXPECT_EQ(*NextAttemptTime(policy, kStart, kStart, 5, 0.0),
            kStart + absl::Seconds(2));
  // A draw outside [0, 1) stays within the jitter bounds.
  EXPECT_EQ(*NextAttemptTime(policy, kStart, kStart, 1, -3.0),
            kStart + absl::Milliseconds(500));
  EXPECT_LT(*NextAttemptTime(policy, kStart, kStart, 1, 7.0),
            kStart + absl::Seconds(1));
  // attempts below 1 behave as the first.
  EXPECT_EQ(*NextAttemptTime(policy, kStart, kStart, 0, 0.0),
            kStart + absl::Milliseconds(500));
}

// --- Quarantine
// ---------------------------------------------------------------

TEST(ShouldQuarantineTest, NeedsEnoughFailuresOverEnoughTime) {
  const QuarantinePolicy policy;  // 10 over 1h
  const absl::Time since = kStart;
  EXPECT_TRUE(ShouldQuarantine(policy, 10, since, since + absl::Hours(1)));
  EXPECT_TRUE(ShouldQuarantine(policy, 25, since, since + absl::Hours(5)));
  // Ten quick failures (a receiver restarting) are not enough.
  EXPECT_FALSE(ShouldQuarantine(policy, 10, since, since + absl::Minutes(59)));
  // An hour of failures but only nine attempts neither.
  EXPECT_FALSE(ShouldQuarantine(policy, 9, since, since + absl::Hours(3)));
  EXPECT_FALSE(ShouldQuarantine(policy, 0, since, since + absl::Hours(3)));
}

TEST(QuarantineReasonTest, SaysHowManyOverHowLongAndTheLastError) {
  EXPECT_EQ(QuarantineReason(10, absl::Hours(1) + absl::Minutes(2), "HTTP 500"),
            "10 deliveries failed in a row over 1h2m; last error: HTTP 500");
  EXPECT_EQ(QuarantineReason(1, absl::Seconds(12), ""),
            "1 delivery failed in a row over 12s");
}

TEST(QuarantineReasonTest, CapsAVeryLongErrorWithoutSplittingCharacters) {
  // "x" then é (two bytes) 300 times: byte 200 is the middle of an é.
  std::string error = "x";
  for (int i = 0; i < 300; ++i) error += "\xC3\xA9";
  const std::string reason = QuarantineReason(10, absl::Hours(2), error);
  EXPECT_LT(reason.size(), 300u);
  EXPECT_THAT(reason, HasSubstr("..."));
  const std::string kept =
      reason.substr(reason.find("last error: ") + 12,
                    reason.size() - 3 - (reason.find("last error: ") + 12));
  EXPECT_EQ(kept.size(), 199u) << "the 'x' and 99 whole characters";
  EXPECT_EQ(kept.back(), '\xA9');
}

}  // namespace
}  // namespace incidentd::domain
