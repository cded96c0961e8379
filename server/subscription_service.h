// The gRPC SubscriptionService: a thin CallbackService that hands each call
// to SubscriptionLogic through the UnaryRunner (so no storage work runs on a
// gRPC thread), parsing leniently (lenient_parsing.h) like the other
// services in grpc_services.h.
#ifndef INCIDENTD_SERVER_SUBSCRIPTION_SERVICE_H_
#define INCIDENTD_SERVER_SUBSCRIPTION_SERVICE_H_

#include "incidentd/v1/subscriptions.grpc.pb.h"
#include "server/lenient_parsing.h"
#include "server/subscription_logic.h"
#include "server/unary.h"

namespace incidentd {

class SubscriptionServiceImpl final
    : public LenientService<v1::SubscriptionService::CallbackService> {
 public:
  SubscriptionServiceImpl(SubscriptionLogic& logic, UnaryRunner& runner);

  grpc::ServerUnaryReactor* CreateSubscriber(
      grpc::CallbackServerContext* ctx,
      const v1::CreateSubscriberRequest* request,
      v1::CreateSubscriberResponse* response) override;
  grpc::ServerUnaryReactor* GetSubscriber(
      grpc::CallbackServerContext* ctx, const v1::GetSubscriberRequest* request,
      v1::Subscriber* response) override;
  grpc::ServerUnaryReactor* ListSubscribers(
      grpc::CallbackServerContext* ctx,
      const v1::ListSubscribersRequest* request,
      v1::ListSubscribersResponse* response) override;
  grpc::ServerUnaryReactor* UpdateSubscriber(
      grpc::CallbackServerContext* ctx,
      const v1::UpdateSubscriberRequest* request,
      v1::Subscriber* response) override;
  grpc::ServerUnaryReactor* DeleteSubscriber(
      grpc::CallbackServerContext* ctx,
      const v1::DeleteSubscriberRequest* request,
      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* CountSubscribers(
      grpc::CallbackServerContext* ctx,
      const v1::CountSubscribersRequest* request,
      v1::CountSubscribersResponse* response) override;
  grpc::ServerUnaryReactor* ConfirmSubscriber(
      grpc::CallbackServerContext* ctx,
      const v1::ConfirmSubscriberRequest* request,
      v1::Subscriber* response) override;
  grpc::ServerUnaryReactor* Unsubscribe(
      grpc::CallbackServerContext* ctx, const v1::UnsubscribeRequest* request,
      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* RotateSigningSecret(
      grpc::CallbackServerContext* ctx,
      const v1::RotateSigningSecretRequest* request,
      v1::CreateSubscriberResponse* response) override;
  grpc::ServerUnaryReactor* ReactivateSubscriber(
      grpc::CallbackServerContext* ctx,
      const v1::ReactivateSubscriberRequest* request,
      v1::Subscriber* response) override;
  grpc::ServerUnaryReactor* ListDeliveries(
      grpc::CallbackServerContext* ctx,
      const v1::ListDeliveriesRequest* request,
      v1::ListDeliveriesResponse* response) override;
  grpc::ServerUnaryReactor* GetDelivery(grpc::CallbackServerContext* ctx,
                                        const v1::GetDeliveryRequest* request,
                                        v1::Delivery* response) override;
  grpc::ServerUnaryReactor* RedeliverDelivery(
      grpc::CallbackServerContext* ctx,
      const v1::RedeliverDeliveryRequest* request,
      v1::Delivery* response) override;

 private:
  SubscriptionLogic& logic_;
  UnaryRunner& runner_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_SUBSCRIPTION_SERVICE_H_
