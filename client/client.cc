#include "client/client.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"

namespace incidentd::client {
namespace {

// Keepalive pings only while calls are in flight, and rarely: enough to
// notice a dead connection behind a NAT or load balancer without tripping
// the server's ping abuse limits.
constexpr int kKeepaliveTimeMs = 60 * 1000;
constexpr int kKeepaliveTimeoutMs = 20 * 1000;

// A fresh id per call, so that one call can be found in the server's log.
std::string NewRequestId() {
  thread_local absl::BitGen gen;
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(gen));
}

}  // namespace

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  // Insecure for now: TLS comes with API keys.
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      channel_(NewChannel(options_.target)),
      pages_(v1::PageService::NewStub(channel_)),
      components_(v1::ComponentService::NewStub(channel_)),
      incidents_(v1::IncidentService::NewStub(channel_)),
      postmortems_(v1::PostmortemService::NewStub(channel_)),
      events_(v1::EventService::NewStub(channel_)),
      subscriptions_(v1::SubscriptionService::NewStub(channel_)),
      health_(grpc::health::v1::Health::NewStub(channel_)) {}

void Client::PrepareContext(grpc::ClientContext& context) const {
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  context.AddMetadata("x-request-id", NewRequestId());
  for (const auto& [key, value] : options_.metadata) {
    context.AddMetadata(key, value);
  }
}

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Client::Call(
    Stub& stub,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    const Request& request) const {
  grpc::ClientContext context;
  PrepareContext(context);
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

// PageService.
absl::StatusOr<v1::Page> Client::CreatePage(
    const v1::CreatePageRequest& request) {
  return Call(*pages_, &v1::PageService::Stub::CreatePage, request);
}
absl::StatusOr<v1::Page> Client::GetPage(const v1::GetPageRequest& request) {
  return Call(*pages_, &v1::PageService::Stub::GetPage, request);
}
absl::StatusOr<v1::ListPagesResponse> Client::ListPages(
    const v1::ListPagesRequest& request) {
  return Call(*pages_, &v1::PageService::Stub::ListPages, request);
}
absl::StatusOr<v1::Page> Client::UpdatePage(
    const v1::UpdatePageRequest& request) {
  return Call(*pages_, &v1::PageService::Stub::UpdatePage, request);
}
absl::Status Client::DeletePage(const v1::DeletePageRequest& request) {
  return Call(*pages_, &v1::PageService::Stub::DeletePage, request).status();
}
absl::StatusOr<v1::PageStatus> Client::GetPageStatus(
    const v1::GetPageStatusRequest& request) {
  return Call(*pages_, &v1::PageService::Stub::GetPageStatus, request);
}

// ComponentService.
absl::StatusOr<v1::Component> Client::CreateComponent(
    const v1::CreateComponentRequest& request) {
  return Call(*components_, &v1::ComponentService::Stub::CreateComponent,
              request);
}
absl::StatusOr<v1::Component> Client::GetComponent(
    const v1::GetComponentRequest& request) {
  return Call(*components_, &v1::ComponentService::Stub::GetComponent,
              request);
}
absl::StatusOr<v1::ListComponentsResponse> Client::ListComponents(
    const v1::ListComponentsRequest& request) {
  return Call(*components_, &v1::ComponentService::Stub::ListComponents,
              request);
}
absl::StatusOr<v1::Component> Client::UpdateComponent(
    const v1::UpdateComponentRequest& request) {
  return Call(*components_, &v1::ComponentService::Stub::UpdateComponent,
              request);
}
absl::Status Client::DeleteComponent(
    const v1::DeleteComponentRequest& request) {
  return Call(*components_, &v1::ComponentService::Stub::DeleteComponent,
              request)
      .status();
}
absl::StatusOr<v1::Component> Client::SetComponentStatus(
    const v1::SetComponentStatusRequest& request) {
  return Call(*components_, &v1::ComponentService::Stub::SetComponentStatus,
              request);
}
absl::StatusOr<v1::ComponentGroup> Client::CreateComponentGroup(
    const v1::CreateComponentGroupRequest& request) {
  return Call(*components_, &v1::ComponentService::Stub::CreateComponentGroup,
              request);
}
absl::StatusOr<v1::ComponentGroup> Client::GetComponentGroup(
    const v1::GetComponentGroupRequest& request) {
  return Call(*components_, &v1::ComponentService::Stub::GetComponentGroup,
              request);
}
absl::StatusOr<v1::ListComponentGroupsResponse> Client::ListComponentGroups(
    const v1::ListComponentGroupsRequest& request) {
  return Call(*components_, &v1::ComponentService::Stub::ListComponentGroups,
              request);
}
absl::StatusOr<v1::ComponentGroup> Client::UpdateComponentGroup(
    const v1::UpdateComponentGroupRequest& request) {
  return Call(*components_, &v1::ComponentService::Stub::UpdateComponentGroup,
              request);
}
absl::Status Client::DeleteComponentGroup(
    const v1::DeleteComponentGroupRequest& request) {
  return Call(*components_, &v1::ComponentService::Stub::DeleteComponentGroup,
              request)
      .status();
}

// IncidentService.
absl::StatusOr<v1::Incident> Client::CreateIncident(
    const v1::CreateIncidentRequest& request) {
  return Call(*incidents_, &v1::IncidentService::Stub::CreateIncident,
              request);
}
absl::StatusOr<v1::Incident> Client::GetIncident(
    const v1::GetIncidentRequest& request) {
  return Call(*incidents_, &v1::IncidentService::Stub::GetIncident, request);
}
absl::StatusOr<v1::ListIncidentsResponse> Client::ListIncidents(
    const v1::ListIncidentsRequest& request) {
  return Call(*incidents_, &v1::IncidentService::Stub::ListIncidents,
              request);
}
absl::StatusOr<v1::Incident> Client::UpdateIncident(
    const v1::UpdateIncidentRequest& request) {
  return Call(*incidents_, &v1::IncidentService::Stub::UpdateIncident,
              request);
}
absl::StatusOr<v1::IncidentUpdate> Client::PostIncidentUpdate(
    const v1::PostIncidentUpdateRequest& request) {
  return Call(*incidents_, &v1::IncidentService::Stub::PostIncidentUpdate,
              request);
}
absl::StatusOr<v1::IncidentUpdate> Client::EditIncidentUpdate(
    const v1::EditIncidentUpdateRequest& request) {
  return Call(*incidents_, &v1::IncidentService::Stub::EditIncidentUpdate,
              request);
}
absl::StatusOr<v1::ListIncidentUpdatesResponse> Client::ListIncidentUpdates(
    const v1::ListIncidentUpdatesRequest& request) {
  return Call(*incidents_, &v1::IncidentService::Stub::ListIncidentUpdates,
              request);
}

// PostmortemService.
absl::StatusOr<v1::Postmortem> Client::GetPostmortem(
    const v1::GetPostmortemRequest& request) {
  return Call(*postmortems_, &v1::PostmortemService::Stub::GetPostmortem,
              request);
}
absl::StatusOr<v1::Postmortem> Client::UpdatePostmortem(
    const v1::UpdatePostmortemRequest& request) {
  return Call(*postmortems_, &v1::PostmortemService::Stub::UpdatePostmortem,
              request);
}
absl::StatusOr<v1::Postmortem> Client::PublishPostmortem(
    const v1::PublishPostmortemRequest& request) {
  return Call(*postmortems_, &v1::PostmortemService::Stub::PublishPostmortem,
              request);
}
absl::StatusOr<v1::Postmortem> Client::UnpublishPostmortem(
    const v1::UnpublishPostmortemRequest& request) {
  return Call(*postmortems_,
              &v1::PostmortemService::Stub::UnpublishPostmortem, request);
}
absl::StatusOr<v1::ListPostmortemRevisionsResponse>
Client::ListPostmortemRevisions(
    const v1::ListPostmortemRevisionsRequest& request) {
  return Call(*postmortems_,
              &v1::PostmortemService::Stub::ListPostmortemRevisions, request);
}
absl::StatusOr<v1::CorrectiveAction> Client::CreateCorrectiveAction(
    const v1::CreateCorrectiveActionRequest& request) {
  return Call(*postmortems_,
              &v1::PostmortemService::Stub::CreateCorrectiveAction, request);
}
absl::StatusOr<v1::ListCorrectiveActionsResponse>
Client::ListCorrectiveActions(const v1::ListCorrectiveActionsRequest& request) {
  return Call(*postmortems_,
              &v1::PostmortemService::Stub::ListCorrectiveActions, request);
}
absl::StatusOr<v1::CorrectiveAction> Client::UpdateCorrectiveAction(
    const v1::UpdateCorrectiveActionRequest& request) {
  return Call(*postmortems_,
              &v1::PostmortemService::Stub::UpdateCorrectiveAction, request);
}

// SubscriptionService.
absl::StatusOr<v1::CreateSubscriberResponse> Client::CreateSubscriber(
    const v1::CreateSubscriberRequest& request) {
  return Call(*subscriptions_, &v1::SubscriptionService::Stub::CreateSubscriber,
              request);
}
absl::StatusOr<v1::Subscriber> Client::GetSubscriber(
    const v1::GetSubscriberRequest& request) {
  return Call(*subscriptions_, &v1::SubscriptionService::Stub::GetSubscriber,
              request);
}
absl::StatusOr<v1::ListSubscribersResponse> Client::ListSubscribers(
    const v1::ListSubscribersRequest& request) {
  return Call(*subscriptions_, &v1::SubscriptionService::Stub::ListSubscribers,
              request);
}
absl::StatusOr<v1::Subscriber> Client::UpdateSubscriber(
    const v1::UpdateSubscriberRequest& request) {
  return Call(*subscriptions_, &v1::SubscriptionService::Stub::UpdateSubscriber,
              request);
}
absl::Status Client::DeleteSubscriber(
    const v1::DeleteSubscriberRequest& request) {
  return Call(*subscriptions_, &v1::SubscriptionService::Stub::DeleteSubscriber,
              request)
      .status();
}
absl::StatusOr<v1::CountSubscribersResponse> Client::CountSubscribers(
    const v1::CountSubscribersRequest& request) {
  return Call(*subscriptions_, &v1::SubscriptionService::Stub::CountSubscribers,
              request);
}
absl::StatusOr<v1::Subscriber> Client::ConfirmSubscriber(
    const v1::ConfirmSubscriberRequest& request) {
  return Call(*subscriptions_,
              &v1::SubscriptionService::Stub::ConfirmSubscriber, request);
}
absl::Status Client::Unsubscribe(const v1::UnsubscribeRequest& request) {
  return Call(*subscriptions_, &v1::SubscriptionService::Stub::Unsubscribe,
              request)
      .status();
}
absl::StatusOr<v1::CreateSubscriberResponse> Client::RotateSigningSecret(
    const v1::RotateSigningSecretRequest& request) {
  return Call(*subscriptions_,
              &v1::SubscriptionService::Stub::RotateSigningSecret, request);
}
absl::StatusOr<v1::Subscriber> Client::ReactivateSubscriber(
    const v1::ReactivateSubscriberRequest& request) {
  return Call(*subscriptions_,
              &v1::SubscriptionService::Stub::ReactivateSubscriber, request);
}
absl::StatusOr<v1::ListDeliveriesResponse> Client::ListDeliveries(
    const v1::ListDeliveriesRequest& request) {
  return Call(*subscriptions_, &v1::SubscriptionService::Stub::ListDeliveries,
              request);
}
absl::StatusOr<v1::Delivery> Client::GetDelivery(
    const v1::GetDeliveryRequest& request) {
  return Call(*subscriptions_, &v1::SubscriptionService::Stub::GetDelivery,
              request);
}
absl::StatusOr<v1::Delivery> Client::RedeliverDelivery(
    const v1::RedeliverDeliveryRequest& request) {
  return Call(*subscriptions_,
              &v1::SubscriptionService::Stub::RedeliverDelivery, request);
}

// EventService.
absl::StatusOr<v1::ListEventsResponse> Client::ListEvents(
    const v1::ListEventsRequest& request) {
  return Call(*events_, &v1::EventService::Stub::ListEvents, request);
}

absl::StatusOr<HealthStatus> Client::CheckHealth(std::string_view service) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(std::string(service));
  absl::StatusOr<grpc::health::v1::HealthCheckResponse> response =
      Call(*health_, &grpc::health::v1::Health::Stub::Check, request);
  if (!response.ok()) return response.status();
  return response->status();
}

}  // namespace incidentd::client
