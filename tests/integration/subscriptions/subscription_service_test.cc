// SubscriptionServiceImpl wired to a gRPC server in the test process (an
// in-process channel, no port), over the real MariaDB: every method is
// served (none UNIMPLEMENTED), statuses keep their codes, and a webhook's
// signing secret reaches the client once.
#include "server/subscription_service.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "incidentd/v1/subscriptions.grpc.pb.h"
#include "server/clock.h"
#include "server/executor.h"
#include "server/names.h"
#include "server/notify/delivery_signal.h"
#include "server/page_logic.h"
#include "server/subscription_logic.h"
#include "server/unary.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

class SubscriptionServiceTest : public MysqlTest {
 protected:
  void SetUp() override {
    MysqlTest::SetUp();
    if (HasFatalFailure()) return;
    logic_ = std::make_unique<SubscriptionLogic>(store(), clock_, signal_,
                                                 SubscriptionOptions{});
    service_ = std::make_unique<SubscriptionServiceImpl>(*logic_, runner_);
    runner_.SetAccepting(true);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::SubscriptionService::NewStub(
        server_->InProcessChannel(grpc::ChannelArguments()));

    page_ = UniqueId("page");
    PageLogic pages(store(), clock_, notifier_);
    v1::CreatePageRequest r;
    r.set_page_id(page_);
    r.mutable_page()->set_display_name("Acme");
    ASSERT_OK(pages.CreatePage(r, Soon()));
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    executor_.Shutdown();
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return ctx;
  }

  RealClock clock_;
  NoopEventNotifier notifier_;
  notify::NoopDeliverySignal signal_;
  Executor executor_{2, 16, clock_};
  UnaryRunner runner_{executor_, clock_, absl::Seconds(20)};
  std::unique_ptr<SubscriptionLogic> logic_;
  std::unique_ptr<SubscriptionServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::SubscriptionService::Stub> stub_;
  std::string page_;
};

TEST_F(SubscriptionServiceTest,
       CreateAndGet_OverGrpc_ShowTheSecretOnlyOnCreate) {
  v1::CreateSubscriberRequest create;
  create.set_parent(PageName(page_));
  create.mutable_subscriber()->set_webhook_url("https://hooks.example.com/in");
  v1::CreateSubscriberResponse created;
  grpc::Status status =
      stub_->CreateSubscriber(Context().get(), create, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.signing_secret().size(), 43u);
  EXPECT_EQ(created.subscriber().state(), v1::Subscriber::ACTIVE);

  v1::GetSubscriberRequest get;
  get.set_name(created.subscriber().name());
  v1::Subscriber got;
  status = stub_->GetSubscriber(Context().get(), get, &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(got.webhook_url(), "https://hooks.example.com/in");
  EXPECT_EQ(got.SerializeAsString().find(created.signing_secret()),
            std::string::npos);
}

TEST_F(SubscriptionServiceTest, EveryMethod_IsServedWithItsStatusCode) {
  // Empty requests: each method answers from its own validation (never
  // UNIMPLEMENTED, which an unwired method would).
  auto code = [](const grpc::Status& s) { return s.error_code(); };
  google::protobuf::Empty empty;
  {
    v1::CreateSubscriberResponse out;
    EXPECT_EQ(code(stub_->CreateSubscriber(Context().get(), {}, &out)),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  v1::Subscriber subscriber;
  EXPECT_EQ(code(stub_->GetSubscriber(Context().get(), {}, &subscriber)),
            grpc::StatusCode::INVALID_ARGUMENT);
  {
    v1::ListSubscribersResponse out;
    EXPECT_EQ(code(stub_->ListSubscribers(Context().get(), {}, &out)),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(code(stub_->UpdateSubscriber(Context().get(), {}, &subscriber)),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(stub_->DeleteSubscriber(Context().get(), {}, &empty)),
            grpc::StatusCode::INVALID_ARGUMENT);
  {
    v1::CountSubscribersRequest r;
    r.set_parent(PageName(page_));
    v1::CountSubscribersResponse out;
    EXPECT_TRUE(stub_->CountSubscribers(Context().get(), r, &out).ok());
    EXPECT_EQ(out.total(), 0);
  }
  EXPECT_EQ(code(stub_->ConfirmSubscriber(Context().get(), {}, &subscriber)),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(code(stub_->Unsubscribe(Context().get(), {}, &empty)),
            grpc::StatusCode::NOT_FOUND);
  {
    v1::CreateSubscriberResponse out;
    EXPECT_EQ(code(stub_->RotateSigningSecret(Context().get(), {}, &out)),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(code(stub_->ReactivateSubscriber(Context().get(), {}, &subscriber)),
            grpc::StatusCode::INVALID_ARGUMENT);
  {
    v1::ListDeliveriesResponse out;
    EXPECT_EQ(code(stub_->ListDeliveries(Context().get(), {}, &out)),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  v1::Delivery delivery;
  EXPECT_EQ(code(stub_->GetDelivery(Context().get(), {}, &delivery)),
            grpc::StatusCode::INVALID_ARGUMENT);
  {
    v1::RedeliverDeliveryRequest r;
    r.set_name(DeliveryName(page_, "nobody", 3));
    EXPECT_EQ(code(stub_->RedeliverDelivery(Context().get(), r, &delivery)),
              grpc::StatusCode::NOT_FOUND);
  }
}

}  // namespace
}  // namespace incidentd::testing
