// The test HTTP receiver itself, driven through the curl webhook transport:
// the end-to-end tests rely on its programmed answers and its wait.
#include "tests/testing/http_receiver.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/notify/transport.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using ::incidentd::notify::CurlWebhookOptions;
using ::incidentd::notify::NewCurlWebhookTransport;
using ::incidentd::notify::WebhookRequest;
using ::incidentd::notify::WebhookTransport;

class HttpReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(receiver_.Start());
    CurlWebhookOptions options;
    options.deny_private = false;
    transport_ = NewCurlWebhookTransport(options);
  }

  absl::Status Post(std::string body = "{}") {
    WebhookRequest request;
    request.url = receiver_.Url("/r");
    request.body = std::move(body);
    return transport_->Post(request);
  }

  HttpReceiver receiver_;
  std::unique_ptr<WebhookTransport> transport_;
};

TEST_F(HttpReceiverTest, FailNext_FailsThatManyThenAnswersTheResponse) {
  receiver_.FailNext(2, 503);
  EXPECT_FALSE(Post().ok());
  EXPECT_FALSE(Post().ok());
  EXPECT_OK(Post());
  EXPECT_OK(Post());

  std::vector<int> statuses;
  for (const HttpRequest& request : receiver_.Requests()) {
    statuses.push_back(request.status);
  }
  EXPECT_EQ(statuses, (std::vector<int>{503, 503, 200, 200}));
}

TEST_F(HttpReceiverTest, Requests_RecordArrivalTimesInOrder) {
  const absl::Time before = absl::Now();
  ASSERT_OK(Post("1"));
  ASSERT_OK(Post("2"));
  std::vector<HttpRequest> requests = receiver_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, "1");
  EXPECT_EQ(requests[1].body, "2");
  EXPECT_GE(requests[0].received, before);
  EXPECT_LE(requests[0].received, requests[1].received);
}

TEST_F(HttpReceiverTest, WaitForRequests_NothingArrives_ReturnsFalseAtTimeout) {
  const absl::Time start = absl::Now();
  EXPECT_FALSE(receiver_.WaitForRequests(1, absl::Milliseconds(100)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
}

TEST_F(HttpReceiverTest, WaitForRequests_WakesWhenTheRequestsArrive) {
  std::thread sender([this] {
    for (int i = 0; i < 3; ++i) (void)Post();
  });
  EXPECT_TRUE(receiver_.WaitForRequests(3, absl::Seconds(30)));
  sender.join();
  EXPECT_EQ(receiver_.RequestCount(), 3u);
}

TEST_F(HttpReceiverTest, Stop_CutsAPendingDelayShortAndKeepsTheRecord) {
  receiver_.SetDelay(absl::Seconds(60));
  absl::Status status;
  std::thread sender([&] { status = Post(); });
  ASSERT_TRUE(receiver_.WaitForRequests(1, absl::Seconds(30)));

  const absl::Time start = absl::Now();
  receiver_.Stop();
  sender.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_FALSE(status.ok());  // the connection closed without an answer
  EXPECT_EQ(receiver_.RequestCount(), 1u);
  EXPECT_FALSE(receiver_.running());
}

TEST_F(HttpReceiverTest, Clear_ForgetsTheRecordedRequests) {
  ASSERT_OK(Post());
  receiver_.Clear();
  EXPECT_EQ(receiver_.RequestCount(), 0u);
  ASSERT_OK(Post());
  EXPECT_TRUE(receiver_.WaitForRequests(1, absl::Seconds(1)));
}

TEST_F(HttpReceiverTest, Start_WhileRunning_IsFailedPrecondition) {
  EXPECT_CODE(receiver_.Start(), absl::StatusCode::kFailedPrecondition);
}

TEST(HttpReceiverPortTest, Start_OnAGivenPort_ListensThere) {
  HttpReceiver first;
  ASSERT_OK(first.Start());
  const int port = first.port();
  first.Stop();

  HttpReceiver second;
  ASSERT_OK(second.Start(port));
  EXPECT_EQ(second.port(), port);
  EXPECT_EQ(second.Url("/x"), "http://127.0.0.1:" + std::to_string(port) + "/x");
}

}  // namespace
}  // namespace incidentd::testing
