// The libcurl webhook transport against the in-process HTTP(S) receiver.
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/notify/transport.h"
#include "tests/testing/http_receiver.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/transport/test_certificate.h"

namespace incidentd::notify {
namespace {

using ::incidentd::testing::HttpReceiver;
using ::incidentd::testing::HttpReceiverOptions;
using ::incidentd::testing::HttpRequest;
using ::incidentd::testing::TestCertificate;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// How long a call may take beyond its own timeout on a busy machine.
constexpr absl::Duration kMargin = absl::Seconds(3);

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

WebhookRequest Request(std::string url, std::string body = R"({"id":"x"})") {
  WebhookRequest request;
  request.url = std::move(url);
  request.body = std::move(body);
  return request;
}

class WebhookTransportTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(receiver_.Start()); }

  // Tests talk to loopback receivers: private addresses allowed unless a
  // test says otherwise.
  static std::unique_ptr<WebhookTransport> Transport(
      CurlWebhookOptions options = Loopback()) {
    return NewCurlWebhookTransport(options);
  }
  static CurlWebhookOptions Loopback() {
    CurlWebhookOptions options;
    options.deny_private = false;
    return options;
  }

  HttpReceiver receiver_;
};

TEST_F(WebhookTransportTest, Post_Receiver2xx_IsOkAndBodyAndHeadersArriveAsSent) {
  WebhookRequest request =
      Request(receiver_.Url("/hooks/status?team=sre"),
              R"({"id":"pages/p/events/7","event":{"seq":"7"}})");
  request.headers = {{"Incidentd-Event-Id", "pages/p/events/7"},
                     {"Incidentd-Timestamp", "1714658580"},
                     {"Incidentd-Signature", "v1=abc123"}};

  ASSERT_OK(Transport()->Post(request));

  std::vector<HttpRequest> received = receiver_.Requests();
  ASSERT_EQ(received.size(), 1u);
  const HttpRequest& got = received[0];
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.path, "/hooks/status?team=sre");
  EXPECT_EQ(got.body, request.body);
  EXPECT_EQ(got.Header("Content-Type"), "application/json");
  EXPECT_EQ(got.Header("User-Agent"), "incidentd-webhooks/1");
  EXPECT_EQ(got.Header("Incidentd-Event-Id"), "pages/p/events/7");
  EXPECT_EQ(got.Header("Incidentd-Timestamp"), "1714658580");
  EXPECT_EQ(got.Header("Incidentd-Signature"), "v1=abc123");
  EXPECT_EQ(got.status, 200);
}

TEST_F(WebhookTransportTest, Post_EveryStatus2xx_IsOk) {
  for (int status : {200, 201, 202, 204, 299}) {
    receiver_.SetResponse(status);
    EXPECT_OK(Transport()->Post(Request(receiver_.Url()))) << status;
  }
}

TEST_F(WebhookTransportTest, Post_UserAgentFromOptions_IsSent) {
  CurlWebhookOptions options = Loopback();
  options.user_agent = "custom-agent/2";
  ASSERT_OK(Transport(options)->Post(Request(receiver_.Url())));
  EXPECT_EQ(receiver_.Requests().at(0).Header("user-agent"), "custom-agent/2");
}

TEST_F(WebhookTransportTest, Post_LargeBody_ArrivesWholeWithoutExpectContinue) {
  std::string body = R"({"text":")" + std::string(1536 * 1024, 'a') + R"("})";
  ASSERT_OK(Transport()->Post(Request(receiver_.Url(), body)));
  std::vector<HttpRequest> received = receiver_.Requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].body, body);
  // Past 1 MiB curl would otherwise ask to continue, and wait up to a
  // second for a receiver that does not know "100 Continue".
  EXPECT_EQ(received[0].Header("expect"), "");
}

TEST_F(WebhookTransportTest, Post_Http500_IsUnavailableHttp500) {
  receiver_.SetResponse(500);
  absl::Status status = Transport()->Post(Request(receiver_.Url()));
  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_EQ(Message(status), "HTTP 500");
}

TEST_F(WebhookTransportTest, Post_Http4xx_IsUnavailableWithItsStatus) {
  receiver_.SetResponse(404);
  absl::Status status = Transport()->Post(Request(receiver_.Url()));
  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_EQ(Message(status), "HTTP 404");
}

TEST_F(WebhookTransportTest, Post_Redirect_IsFailedPreconditionAndNotFollowed) {
  for (int code : {301, 302, 307, 308}) {
    receiver_.Clear();
    // Following it would reach the same receiver a second time.
    receiver_.SetRedirect(receiver_.Url("/elsewhere"), code);
    absl::Status status = Transport()->Post(Request(receiver_.Url("/hook")));
    EXPECT_CODE(status, absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(Message(status),
              absl::StrCat("HTTP ", code, " (redirects are not followed)"));
    // Requests are recorded before they are answered, so the count is
    // final once Post returned.
    std::vector<HttpRequest> received = receiver_.Requests();
    ASSERT_EQ(received.size(), 1u) << code;
    EXPECT_EQ(received[0].path, "/hook");
  }
}

TEST_F(WebhookTransportTest, Post_SlowReceiver_IsUnavailableWithinTheTimeout) {
  receiver_.SetDelay(absl::Seconds(30));
  CurlWebhookOptions options = Loopback();
  options.timeout = absl::Milliseconds(300);

  const absl::Time start = absl::Now();
  absl::Status status = Transport(options)->Post(Request(receiver_.Url()));
  const absl::Duration took = absl::Now() - start;

  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_EQ(Message(status), "timed out after 300ms");
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, options.timeout + kMargin);
  EXPECT_EQ(receiver_.RequestCount(), 1u);
}

TEST_F(WebhookTransportTest, Post_ConnectionRefused_IsUnavailable) {
  const std::string url = receiver_.Url();
  receiver_.Stop();
  absl::Status status = Transport()->Post(Request(url));
  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_EQ(Message(status), "connect: Connection refused");
}

TEST_F(WebhookTransportTest, Post_ReceiverBackOnTheSamePort_IsOkAgain) {
  const std::string url = receiver_.Url();
  const int port = receiver_.port();
  receiver_.Stop();
  EXPECT_CODE(Transport()->Post(Request(url)),
              absl::StatusCode::kUnavailable);

  ASSERT_OK(receiver_.Start());
  EXPECT_EQ(receiver_.port(), port);
  EXPECT_OK(Transport()->Post(Request(url)));
  EXPECT_EQ(receiver_.RequestCount(), 1u);
}

TEST_F(WebhookTransportTest,
       Post_DenyPrivate_LoopbackAddress_IsFailedPreconditionWithoutARequest) {
  CurlWebhookOptions options;  // deny_private defaults to true
  absl::Status status = Transport(options)->Post(Request(receiver_.Url()));
  EXPECT_CODE(status, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Message(status), "address 127.0.0.1 is private");
  EXPECT_EQ(receiver_.RequestCount(), 0u);
}

TEST_F(WebhookTransportTest,
       Post_DenyPrivate_NameResolvingToLoopback_IsFailedPrecondition) {
  CurlWebhookOptions options;
  options.deny_private = true;
  const std::string url =
      absl::StrCat("http://localhost:", receiver_.port(), "/hook");
  absl::Status status = Transport(options)->Post(Request(url));
  // The check runs on the resolved address, whichever of the two curl
  // tried first.
  EXPECT_CODE(status, absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(status), AnyOf("address 127.0.0.1 is private",
                                     "address ::1 is private"));
  EXPECT_EQ(receiver_.RequestCount(), 0u);
}

TEST_F(WebhookTransportTest, Post_DenyPrivateOff_NameResolvingToLoopback_IsOk) {
  const std::string url =
      absl::StrCat("http://localhost:", receiver_.port(), "/hook");
  EXPECT_OK(Transport()->Post(Request(url)));
  EXPECT_EQ(receiver_.RequestCount(), 1u);
}

TEST_F(WebhookTransportTest, Post_NonHttpScheme_IsFailedPreconditionUnsent) {
  const std::string port = absl::StrCat(receiver_.port());
  const std::vector<std::string> urls = {
      "ftp://127.0.0.1:" + port + "/hook", "file:///etc/hostname",
      "smtp://127.0.0.1:" + port, "gopher://127.0.0.1:" + port + "/"};
  for (const std::string& url : urls) {
    absl::Status status = Transport()->Post(Request(url));
    EXPECT_CODE(status, absl::StatusCode::kFailedPrecondition) << url;
    EXPECT_EQ(Message(status), "only http and https URLs are allowed") << url;
  }
  EXPECT_EQ(receiver_.RequestCount(), 0u);
}

TEST_F(WebhookTransportTest, Post_ErrorMessages_NeverShowTheUrl) {
  // A receiver URL may carry its own secret in the path or query.
  const std::string secret = "s3cr3t-token-in-url";
  const std::string url = receiver_.Url(absl::StrCat("/hook/", secret));
  receiver_.SetResponse(503);
  absl::Status http = Transport()->Post(Request(url));
  CurlWebhookOptions fast = Loopback();
  fast.timeout = absl::Milliseconds(200);
  receiver_.SetDelay(absl::Seconds(30));
  absl::Status timeout = Transport(fast)->Post(Request(url));
  receiver_.Stop();
  absl::Status refused = Transport()->Post(Request(url));

  for (const absl::Status& status : {http, timeout, refused}) {
    EXPECT_FALSE(status.ok());
    EXPECT_THAT(Message(status), Not(HasSubstr(secret)));
    EXPECT_THAT(Message(status), Not(HasSubstr("/hook")));
  }
}

TEST_F(WebhookTransportTest, Post_HugeResponseBody_IsCutOffAndTheStatusCounts) {
  receiver_.SetResponse(200, std::string(4 * 1024 * 1024, 'x'));
  EXPECT_OK(Transport()->Post(Request(receiver_.Url())));
  receiver_.SetResponse(503, std::string(4 * 1024 * 1024, 'x'));
  absl::Status status = Transport()->Post(Request(receiver_.Url()));
  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_EQ(Message(status), "HTTP 503");
}

TEST_F(WebhookTransportTest, Post_HeaderWithLineBreak_IsRefusedUnsent) {
  WebhookRequest request = Request(receiver_.Url());
  request.headers = {{"Incidentd-Event-Id", "x\r\nX-Injected: 1"}};
  EXPECT_CODE(Transport()->Post(request),
              absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(receiver_.RequestCount(), 0u);
}

TEST_F(WebhookTransportTest, Post_FromManyThreadsAtOnce_EveryRequestArrives) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10;
  std::unique_ptr<WebhookTransport> transport = Transport();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string body = absl::StrCat(R"({"n":")", t, "-", i, R"("})");
        if (!transport->Post(Request(receiver_.Url(), body)).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(failures.load(), 0);
  std::set<std::string> bodies;
  for (const HttpRequest& request : receiver_.Requests()) {
    bodies.insert(request.body);
  }
  EXPECT_EQ(bodies.size(), static_cast<size_t>(kThreads * kPerThread));
}

class HttpsWebhookTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(certificate_, TestCertificate::Create());
    HttpReceiverOptions options;
    options.tls_cert_file = certificate_->cert_file();
    options.tls_key_file = certificate_->key_file();
    receiver_ = std::make_unique<HttpReceiver>(options);
    ASSERT_OK(receiver_->Start());
  }

  std::unique_ptr<TestCertificate> certificate_;
  std::unique_ptr<HttpReceiver> receiver_;
};

TEST_F(HttpsWebhookTransportTest, Post_TrustedCertificate_IsOk) {
  CurlWebhookOptions options;
  options.deny_private = false;
  options.ca_file = certificate_->cert_file();
  ASSERT_THAT(receiver_->Url(), StartsWith("https://127.0.0.1:"));

  ASSERT_OK(NewCurlWebhookTransport(options)->Post(
      Request(receiver_->Url("/secure"), R"({"tls":true})")));

  std::vector<HttpRequest> received = receiver_->Requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].path, "/secure");
  EXPECT_EQ(received[0].body, R"({"tls":true})");
}

TEST_F(HttpsWebhookTransportTest, Post_ByHostName_IsOk) {
  CurlWebhookOptions options;
  options.deny_private = false;
  options.ca_file = certificate_->cert_file();
  EXPECT_OK(NewCurlWebhookTransport(options)->Post(Request(
      absl::StrCat("https://localhost:", receiver_->port(), "/secure"))));
}

TEST_F(HttpsWebhookTransportTest,
       Post_UntrustedCertificate_IsUnavailableTlsWithoutARequest) {
  CurlWebhookOptions options;
  options.deny_private = false;  // the system's CAs only
  absl::Status status =
      NewCurlWebhookTransport(options)->Post(Request(receiver_->Url()));
  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_THAT(Message(status), StartsWith("TLS: "));
  EXPECT_EQ(receiver_->RequestCount(), 0u);
}

TEST_F(HttpsWebhookTransportTest, Post_Http503OverTls_IsUnavailableHttp503) {
  CurlWebhookOptions options;
  options.deny_private = false;
  options.ca_file = certificate_->cert_file();
  receiver_->SetResponse(503);
  absl::Status status =
      NewCurlWebhookTransport(options)->Post(Request(receiver_->Url()));
  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_EQ(Message(status), "HTTP 503");
}

}  // namespace
}  // namespace incidentd::notify
