// The libcurl SMTP transport against a real SMTP server (the aiosmtpd sink).
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/notify/transport.h"
#include "tests/testing/smtp_sink.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/transport/test_certificate.h"

namespace incidentd::notify {
namespace {

using ::incidentd::testing::SmtpMessage;
using ::incidentd::testing::SmtpSink;
using ::incidentd::testing::SmtpSinkOptions;
using ::incidentd::testing::TestCertificate;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kFrom[] = "status@example.com";
constexpr char kTo[] = "alice@example.org";

// A message with the lines SMTP treats specially: a lone dot (the end of
// DATA unless escaped) and lines starting with dots (dot-stuffing).
std::string Mime(std::string_view subject = "Identified") {
  return absl::StrCat(
      "From: Status <status@example.com>\r\n"
      "To: alice@example.org\r\n"
      "Subject: [Productsup] Issue with delta processing: ",
      std::string(subject),
      "\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "\r\n"
      "We found the cause.\r\n"
      ".a leading dot\r\n"
      ".\r\n"
      "..two dots\r\n"
      "last line\r\n");
}

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

CurlMailOptions Options(const SmtpSink& sink) {
  CurlMailOptions options;
  options.url = sink.Url();
  options.timeout = absl::Seconds(20);
  return options;
}

TEST(MailTransportTest, Send_Accepted_ArrivesByteForByteWithTheEnvelope) {
  SmtpSink sink;
  ASSERT_OK(sink.Start());
  ASSERT_OK(NewCurlMailTransport(Options(sink))->Send(kFrom, kTo, Mime()));

  // Send returns once the relay accepted, and the sink stores a message
  // before accepting it.
  std::vector<SmtpMessage> messages = sink.Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].mail_from, kFrom);
  EXPECT_THAT(messages[0].rcpt_to, ElementsAre(kTo));
  EXPECT_EQ(messages[0].data, Mime());
  EXPECT_FALSE(messages[0].tls);
  EXPECT_EQ(messages[0].auth_user, "");
}

TEST(MailTransportTest, Send_SeveralFromThreads_EachArrivesOnce) {
  SmtpSink sink;
  ASSERT_OK(sink.Start());
  std::unique_ptr<MailTransport> transport = NewCurlMailTransport(Options(sink));
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(6);
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = transport->Send(kFrom, kTo, Mime(absl::StrCat("n", i)));
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& result : results) EXPECT_OK(result);

  ASSERT_TRUE(sink.WaitForMessages(results.size(), absl::Seconds(10)));
  std::vector<std::string> subjects;
  for (const SmtpMessage& message : sink.Messages()) {
    for (size_t i = 0; i < results.size(); ++i) {
      if (message.data == Mime(absl::StrCat("n", i))) {
        subjects.push_back(absl::StrCat("n", i));
      }
    }
  }
  EXPECT_THAT(subjects, ::testing::UnorderedElementsAre("n0", "n1", "n2", "n3",
                                                        "n4", "n5"));
}

TEST(MailTransportTest, Send_SinkDown_IsUnavailable) {
  SmtpSink sink;
  ASSERT_OK(sink.Start());
  CurlMailOptions options = Options(sink);
  sink.Stop();
  absl::Status status = NewCurlMailTransport(options)->Send(kFrom, kTo, Mime());
  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_EQ(Message(status), "connect: Connection refused");
  EXPECT_THAT(sink.Messages(), IsEmpty());
}

TEST(MailTransportTest, Send_SinkBackOnTheSamePort_DeliversAgain) {
  SmtpSink sink;
  ASSERT_OK(sink.Start());
  CurlMailOptions options = Options(sink);
  ASSERT_OK(NewCurlMailTransport(options)->Send(kFrom, kTo, Mime("first")));
  sink.Stop();
  ASSERT_OK(sink.Start());
  EXPECT_EQ(sink.Url(), options.url);
  ASSERT_OK(NewCurlMailTransport(options)->Send(kFrom, kTo, Mime("second")));

  std::vector<SmtpMessage> messages = sink.Messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].data, Mime("first"));
  EXPECT_EQ(messages[1].data, Mime("second"));
}

TEST(MailTransportTest, Send_RejectedRecipient_IsUnavailableWithTheRelayReply) {
  SmtpSinkOptions sink_options;
  sink_options.reject_recipients = {"gone@example.org"};
  SmtpSink sink(sink_options);
  ASSERT_OK(sink.Start());

  absl::Status status = NewCurlMailTransport(Options(sink))
                            ->Send(kFrom, "gone@example.org", Mime());

  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_EQ(Message(status),
            "relay: 550 5.1.1 <gone@example.org>: recipient rejected");
  EXPECT_THAT(sink.Messages(), IsEmpty());
}

TEST(MailTransportTest, Send_RequireStarttls_RelayWithoutTls_FailsUndelivered) {
  SmtpSink sink;
  ASSERT_OK(sink.Start());
  CurlMailOptions options = Options(sink);
  options.require_starttls = true;

  absl::Status status = NewCurlMailTransport(options)->Send(kFrom, kTo, Mime());

  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_EQ(Message(status), "TLS: the relay does not offer STARTTLS");
  EXPECT_THAT(sink.Messages(), IsEmpty());
}

class StarttlsMailTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(certificate_, TestCertificate::Create());
    SmtpSinkOptions options;
    options.tls_cert_file = certificate_->cert_file();
    options.tls_key_file = certificate_->key_file();
    sink_ = std::make_unique<SmtpSink>(options);
    ASSERT_OK(sink_->Start());
  }

  std::unique_ptr<TestCertificate> certificate_;
  std::unique_ptr<SmtpSink> sink_;
};

TEST_F(StarttlsMailTransportTest, Send_RequireStarttls_IsSentEncrypted) {
  CurlMailOptions options = Options(*sink_);
  options.require_starttls = true;
  options.ca_file = certificate_->cert_file();
  ASSERT_OK(NewCurlMailTransport(options)->Send(kFrom, kTo, Mime()));

  std::vector<SmtpMessage> messages = sink_->Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].tls);
  EXPECT_EQ(messages[0].data, Mime());
}

TEST_F(StarttlsMailTransportTest, Send_NotRequired_UsesStarttlsWhenOffered) {
  CurlMailOptions options = Options(*sink_);
  options.require_starttls = false;
  options.ca_file = certificate_->cert_file();
  ASSERT_OK(NewCurlMailTransport(options)->Send(kFrom, kTo, Mime()));

  std::vector<SmtpMessage> messages = sink_->Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].tls);
}

TEST_F(StarttlsMailTransportTest,
       Send_UntrustedCertificate_IsUnavailableTlsUndelivered) {
  CurlMailOptions options = Options(*sink_);
  options.require_starttls = true;  // the system's CAs only
  absl::Status status = NewCurlMailTransport(options)->Send(kFrom, kTo, Mime());
  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_THAT(Message(status), StartsWith("TLS: "));
  EXPECT_THAT(sink_->Messages(), IsEmpty());
}

class AuthMailTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SmtpSinkOptions options;
    options.auth_user = "notify";
    options.auth_password = "relay-password-42";
    sink_ = std::make_unique<SmtpSink>(options);
    ASSERT_OK(sink_->Start());
  }
  std::unique_ptr<SmtpSink> sink_;
};

TEST_F(AuthMailTransportTest, Send_WithTheRightCredentials_Authenticates) {
  CurlMailOptions options = Options(*sink_);
  options.user = "notify";
  options.password = "relay-password-42";
  ASSERT_OK(NewCurlMailTransport(options)->Send(kFrom, kTo, Mime()));
  std::vector<SmtpMessage> messages = sink_->Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].auth_user, "notify");
}

TEST_F(AuthMailTransportTest,
       Send_WrongPassword_IsUnavailableWithoutShowingThePassword) {
  CurlMailOptions options = Options(*sink_);
  options.user = "notify";
  options.password = "wrong-password-17";
  absl::Status status = NewCurlMailTransport(options)->Send(kFrom, kTo, Mime());
  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_THAT(Message(status), StartsWith("relay: 535"));
  EXPECT_THAT(Message(status), Not(HasSubstr("wrong-password-17")));
  EXPECT_THAT(sink_->Messages(), IsEmpty());
}

TEST_F(AuthMailTransportTest, Send_WithoutCredentials_IsRefusedByTheRelay) {
  absl::Status status =
      NewCurlMailTransport(Options(*sink_))->Send(kFrom, kTo, Mime());
  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_THAT(Message(status), StartsWith("relay: 530"));
  EXPECT_THAT(sink_->Messages(), IsEmpty());
}

TEST(MailTransportTest, Send_EnvelopeAddressThatBreaksTheCommand_IsRefused) {
  SmtpSink sink;
  ASSERT_OK(sink.Start());
  std::unique_ptr<MailTransport> transport = NewCurlMailTransport(Options(sink));
  for (const char* bad :
       {"alice@example.org>\r\nRCPT TO:<bob@example.org", "a\nb@example.org",
        "<alice@example.org>", ""}) {
    EXPECT_CODE(transport->Send(kFrom, bad, Mime()),
                absl::StatusCode::kFailedPrecondition);
    EXPECT_CODE(transport->Send(bad, kTo, Mime()),
                absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_THAT(sink.Messages(), IsEmpty());
}

TEST(SmtpSinkTest, WaitForMessages_NothingArrives_ReturnsFalseAtTimeout) {
  SmtpSink sink;
  ASSERT_OK(sink.Start());
  EXPECT_TRUE(sink.WaitForMessages(0, absl::ZeroDuration()));
  EXPECT_FALSE(sink.WaitForMessages(1, absl::Milliseconds(100)));
}

TEST(SmtpSinkTest, WaitForMessages_WakesWhenAMessageArrives) {
  SmtpSink sink;
  ASSERT_OK(sink.Start());
  std::thread sender([&] {
    (void)NewCurlMailTransport(Options(sink))->Send(kFrom, kTo, Mime());
  });
  EXPECT_TRUE(sink.WaitForMessages(1, absl::Seconds(30)));
  sender.join();
}

}  // namespace
}  // namespace incidentd::notify
