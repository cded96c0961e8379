#include "server/subscription_service.h"

namespace incidentd {
namespace {

int MethodIndex(const char* method) {
  return incidentd::MethodIndex("incidentd.v1.SubscriptionService", method);
}

}  // namespace

SubscriptionServiceImpl::SubscriptionServiceImpl(SubscriptionLogic& logic,
                                                 UnaryRunner& runner)
    : logic_(logic), runner_(runner) {
  ParseLeniently<v1::CreateSubscriberRequest, v1::CreateSubscriberResponse>(
      MethodIndex("CreateSubscriber"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::CreateSubscriberRequest* request,
             v1::CreateSubscriberResponse* response) {
        return CreateSubscriber(ctx, request, response);
      });
  ParseLeniently<v1::GetSubscriberRequest, v1::Subscriber>(
      MethodIndex("GetSubscriber"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::GetSubscriberRequest* request,
             v1::Subscriber* response) {
        return GetSubscriber(ctx, request, response);
      });
  ParseLeniently<v1::ListSubscribersRequest, v1::ListSubscribersResponse>(
      MethodIndex("ListSubscribers"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::ListSubscribersRequest* request,
             v1::ListSubscribersResponse* response) {
        return ListSubscribers(ctx, request, response);
      });
  ParseLeniently<v1::UpdateSubscriberRequest, v1::Subscriber>(
      MethodIndex("UpdateSubscriber"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::UpdateSubscriberRequest* request,
             v1::Subscriber* response) {
        return UpdateSubscriber(ctx, request, response);
      });
  ParseLeniently<v1::DeleteSubscriberRequest, google::protobuf::Empty>(
      MethodIndex("DeleteSubscriber"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::DeleteSubscriberRequest* request,
             google::protobuf::Empty* response) {
        return DeleteSubscriber(ctx, request, response);
      });
  ParseLeniently<v1::CountSubscribersRequest, v1::CountSubscribersResponse>(
      MethodIndex("CountSubscribers"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::CountSubscribersRequest* request,
             v1::CountSubscribersResponse* response) {
        return CountSubscribers(ctx, request, response);
      });
  ParseLeniently<v1::ConfirmSubscriberRequest, v1::Subscriber>(
      MethodIndex("ConfirmSubscriber"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::ConfirmSubscriberRequest* request,
             v1::Subscriber* response) {
        return ConfirmSubscriber(ctx, request, response);
      });
  ParseLeniently<v1::UnsubscribeRequest, google::protobuf::Empty>(
      MethodIndex("Unsubscribe"), [this](grpc::CallbackServerContext* ctx,
                                         const v1::UnsubscribeRequest* request,
                                         google::protobuf::Empty* response) {
        return Unsubscribe(ctx, request, response);
      });
  ParseLeniently<v1::RotateSigningSecretRequest, v1::CreateSubscriberResponse>(
      MethodIndex("RotateSigningSecret"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::RotateSigningSecretRequest* request,
             v1::CreateSubscriberResponse* response) {
        return RotateSigningSecret(ctx, request, response);
      });
  ParseLeniently<v1::ReactivateSubscriberRequest, v1::Subscriber>(
      MethodIndex("ReactivateSubscriber"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::ReactivateSubscriberRequest* request,
             v1::Subscriber* response) {
        return ReactivateSubscriber(ctx, request, response);
      });
  ParseLeniently<v1::ListDeliveriesRequest, v1::ListDeliveriesResponse>(
      MethodIndex("ListDeliveries"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::ListDeliveriesRequest* request,
             v1::ListDeliveriesResponse* response) {
        return ListDeliveries(ctx, request, response);
      });
  ParseLeniently<v1::GetDeliveryRequest, v1::Delivery>(
      MethodIndex("GetDelivery"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::GetDeliveryRequest* request, v1::Delivery* response) {
        return GetDelivery(ctx, request, response);
      });
  ParseLeniently<v1::RedeliverDeliveryRequest, v1::Delivery>(
      MethodIndex("RedeliverDelivery"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::RedeliverDeliveryRequest* request,
             v1::Delivery* response) {
        return RedeliverDelivery(ctx, request, response);
      });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::CreateSubscriber(
    grpc::CallbackServerContext* ctx,
    const v1::CreateSubscriberRequest* request,
    v1::CreateSubscriberResponse* response) {
  return runner_.Run(ctx, "SubscriptionService.CreateSubscriber", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.CreateSubscriber(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::GetSubscriber(
    grpc::CallbackServerContext* ctx, const v1::GetSubscriberRequest* request,
    v1::Subscriber* response) {
  return runner_.Run(ctx, "SubscriptionService.GetSubscriber", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.GetSubscriber(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::ListSubscribers(
    grpc::CallbackServerContext* ctx, const v1::ListSubscribersRequest* request,
    v1::ListSubscribersResponse* response) {
  return runner_.Run(ctx, "SubscriptionService.ListSubscribers", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.ListSubscribers(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::UpdateSubscriber(
    grpc::CallbackServerContext* ctx,
    const v1::UpdateSubscriberRequest* request, v1::Subscriber* response) {
  return runner_.Run(ctx, "SubscriptionService.UpdateSubscriber", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.UpdateSubscriber(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::DeleteSubscriber(
    grpc::CallbackServerContext* ctx,
    const v1::DeleteSubscriberRequest* request,
    google::protobuf::Empty* response) {
  return runner_.Run(ctx, "SubscriptionService.DeleteSubscriber", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.DeleteSubscriber(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::CountSubscribers(
    grpc::CallbackServerContext* ctx,
    const v1::CountSubscribersRequest* request,
    v1::CountSubscribersResponse* response) {
  return runner_.Run(ctx, "SubscriptionService.CountSubscribers", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.CountSubscribers(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::ConfirmSubscriber(
    grpc::CallbackServerContext* ctx,
    const v1::ConfirmSubscriberRequest* request, v1::Subscriber* response) {
  return runner_.Run(ctx, "SubscriptionService.ConfirmSubscriber", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.ConfirmSubscriber(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::Unsubscribe(
    grpc::CallbackServerContext* ctx, const v1::UnsubscribeRequest* request,
    google::protobuf::Empty* response) {
  return runner_.Run(ctx, "SubscriptionService.Unsubscribe", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.Unsubscribe(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::RotateSigningSecret(
    grpc::CallbackServerContext* ctx,
    const v1::RotateSigningSecretRequest* request,
    v1::CreateSubscriberResponse* response) {
  return runner_.Run(ctx, "SubscriptionService.RotateSigningSecret", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.RotateSigningSecret(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::ReactivateSubscriber(
    grpc::CallbackServerContext* ctx,
    const v1::ReactivateSubscriberRequest* request, v1::Subscriber* response) {
  return runner_.Run(ctx, "SubscriptionService.ReactivateSubscriber", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.ReactivateSubscriber(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::ListDeliveries(
    grpc::CallbackServerContext* ctx, const v1::ListDeliveriesRequest* request,
    v1::ListDeliveriesResponse* response) {
  return runner_.Run(ctx, "SubscriptionService.ListDeliveries", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.ListDeliveries(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::GetDelivery(
    grpc::CallbackServerContext* ctx, const v1::GetDeliveryRequest* request,
    v1::Delivery* response) {
  return runner_.Run(ctx, "SubscriptionService.GetDelivery", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.GetDelivery(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* SubscriptionServiceImpl::RedeliverDelivery(
    grpc::CallbackServerContext* ctx,
    const v1::RedeliverDeliveryRequest* request, v1::Delivery* response) {
  return runner_.Run(ctx, "SubscriptionService.RedeliverDelivery", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.RedeliverDelivery(*request, deadline);
                     });
}

}  // namespace incidentd
