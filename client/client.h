// The incidentd client library: one channel with its options, one per-call
// deadline and metadata policy, and a thin absl::StatusOr wrapper over every
// RPC of the incidentd.v1 services plus grpc.health.v1.Health/Check. (The
// streaming WatchPage has its own helper: client/watcher.h.)
#ifndef INCIDENTD_CLIENT_CLIENT_H_
#define INCIDENTD_CLIENT_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/health.grpc.pb.h"
#include "google/protobuf/empty.pb.h"
#include "incidentd/v1/components.grpc.pb.h"
#include "incidentd/v1/events.grpc.pb.h"
#include "incidentd/v1/incidents.grpc.pb.h"
#include "incidentd/v1/pages.grpc.pb.h"
#include "incidentd/v1/postmortems.grpc.pb.h"
#include "incidentd/v1/subscriptions.grpc.pb.h"

namespace incidentd::client {

namespace v1 = ::incidentd::v1;
using HealthStatus = ::grpc::health::v1::HealthCheckResponse::ServingStatus;

struct ClientOptions {
  // host:port, or any gRPC target ("dns:///incidentd:50051").
  std::string target = "127.0.0.1:50051";
  // The deadline of every call, counted from its start.
  absl::Duration timeout = absl::Seconds(10);
  // Sent with every call, e.g. an API key once the server asks for one.
  std::vector<std::pair<std::string, std::string>> metadata;
};

// The one conversion from a gRPC status to an absl::Status: same canonical
// code, same message.
absl::Status FromGrpcStatus(const grpc::Status& status);

// The one way this library opens a channel to `target`: insecure for now,
// with keepalive pings while calls are in flight.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& target);

// Thread-safe: calls may be made from any number of threads at once.
class Client {
 public:
  explicit Client(ClientOptions options);

  const ClientOptions& options() const { return options_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // PageService.
  absl::StatusOr<v1::Page> CreatePage(const v1::CreatePageRequest& request);
  absl::StatusOr<v1::Page> GetPage(const v1::GetPageRequest& request);
  absl::StatusOr<v1::ListPagesResponse> ListPages(
      const v1::ListPagesRequest& request);
  absl::StatusOr<v1::Page> UpdatePage(const v1::UpdatePageRequest& request);
  absl::Status DeletePage(const v1::DeletePageRequest& request);
  absl::StatusOr<v1::PageStatus> GetPageStatus(
      const v1::GetPageStatusRequest& request);

  // ComponentService.
  absl::StatusOr<v1::Component> CreateComponent(
      const v1::CreateComponentRequest& request);
  absl::StatusOr<v1::Component> GetComponent(
      const v1::GetComponentRequest& request);
  absl::StatusOr<v1::ListComponentsResponse> ListComponents(
      const v1::ListComponentsRequest& request);
  absl::StatusOr<v1::Component> UpdateComponent(
      const v1::UpdateComponentRequest& request);
  absl::Status DeleteComponent(const v1::DeleteComponentRequest& request);
  absl::StatusOr<v1::Component> SetComponentStatus(
      const v1::SetComponentStatusRequest& request);
  absl::StatusOr<v1::ComponentGroup> CreateComponentGroup(
      const v1::CreateComponentGroupRequest& request);
  absl::StatusOr<v1::ComponentGroup> GetComponentGroup(
      const v1::GetComponentGroupRequest& request);
  absl::StatusOr<v1::ListComponentGroupsResponse> ListComponentGroups(
      const v1::ListComponentGroupsRequest& request);
  absl::StatusOr<v1::ComponentGroup> UpdateComponentGroup(
      const v1::UpdateComponentGroupRequest& request);
  absl::Status DeleteComponentGroup(
      const v1::DeleteComponentGroupRequest& request);

  // IncidentService.
  absl::StatusOr<v1::Incident> CreateIncident(
      const v1::CreateIncidentRequest& request);
  absl::StatusOr<v1::Incident> GetIncident(
      const v1::GetIncidentRequest& request);
  absl::StatusOr<v1::ListIncidentsResponse> ListIncidents(
      const v1::ListIncidentsRequest& request);
  absl::StatusOr<v1::Incident> UpdateIncident(
      const v1::UpdateIncidentRequest& request);
  absl::StatusOr<v1::IncidentUpdate> PostIncidentUpdate(
      const v1::PostIncidentUpdateRequest& request);
  absl::StatusOr<v1::IncidentUpdate> EditIncidentUpdate(
      const v1::EditIncidentUpdateRequest& request);
  absl::StatusOr<v1::ListIncidentUpdatesResponse> ListIncidentUpdates(
      const v1::ListIncidentUpdatesRequest& request);

  // PostmortemService.
  absl::StatusOr<v1::Postmortem> GetPostmortem(
      const v1::GetPostmortemRequest& request);
  absl::StatusOr<v1::Postmortem> UpdatePostmortem(
      const v1::UpdatePostmortemRequest& request);
  absl::StatusOr<v1::Postmortem> PublishPostmortem(
      const v1::PublishPostmortemRequest& request);
  absl::StatusOr<v1::Postmortem> UnpublishPostmortem(
      const v1::UnpublishPostmortemRequest& request);
  absl::StatusOr<v1::ListPostmortemRevisionsResponse> ListPostmortemRevisions(
      const v1::ListPostmortemRevisionsRequest& request);
  absl::StatusOr<v1::CorrectiveAction> CreateCorrectiveAction(
      const v1::CreateCorrectiveActionRequest& request);
  absl::StatusOr<v1::ListCorrectiveActionsResponse> ListCorrectiveActions(
      const v1::ListCorrectiveActionsRequest& request);
  absl::StatusOr<v1::CorrectiveAction> UpdateCorrectiveAction(
      const v1::UpdateCorrectiveActionRequest& request);

  // SubscriptionService.
  absl::StatusOr<v1::CreateSubscriberResponse> CreateSubscriber(
      const v1::CreateSubscriberRequest& request);
  absl::StatusOr<v1::Subscriber> GetSubscriber(
      const v1::GetSubscriberRequest& request);
  absl::StatusOr<v1::ListSubscribersResponse> ListSubscribers(
      const v1::ListSubscribersRequest& request);
  absl::StatusOr<v1::Subscriber> UpdateSubscriber(
      const v1::UpdateSubscriberRequest& request);
  absl::Status DeleteSubscriber(const v1::DeleteSubscriberRequest& request);
  absl::StatusOr<v1::CountSubscribersResponse> CountSubscribers(
      const v1::CountSubscribersRequest& request);
  absl::StatusOr<v1::Subscriber> ConfirmSubscriber(
      const v1::ConfirmSubscriberRequest& request);
  absl::Status Unsubscribe(const v1::UnsubscribeRequest& request);
  absl::StatusOr<v1::CreateSubscriberResponse> RotateSigningSecret(
      const v1::RotateSigningSecretRequest& request);
  absl::StatusOr<v1::Subscriber> ReactivateSubscriber(
      const v1::ReactivateSubscriberRequest& request);
  absl::StatusOr<v1::ListDeliveriesResponse> ListDeliveries(
      const v1::ListDeliveriesRequest& request);
  absl::StatusOr<v1::Delivery> GetDelivery(
      const v1::GetDeliveryRequest& request);
  absl::StatusOr<v1::Delivery> RedeliverDelivery(
      const v1::RedeliverDeliveryRequest& request);

  // EventService (WatchPage: see client/watcher.h).
  absl::StatusOr<v1::ListEventsResponse> ListEvents(
      const v1::ListEventsRequest& request);

  // grpc.health.v1.Health/Check for `service` ("" is the whole server).
  absl::StatusOr<HealthStatus> CheckHealth(std::string_view service = "");

  // Sets the deadline and metadata of a call made outside this class on
  // channel() (e.g. a generic or reflection stub), the same way as above.
  void PrepareContext(grpc::ClientContext& context) const;

 private:
  // Runs one unary call of `stub` with a prepared context.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(
      Stub& stub,
      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                   Response*),
      const Request& request) const;

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PageService::Stub> pages_;
  std::unique_ptr<v1::ComponentService::Stub> components_;
  std::unique_ptr<v1::IncidentService::Stub> incidents_;
  std::unique_ptr<v1::PostmortemService::Stub> postmortems_;
  std::unique_ptr<v1::EventService::Stub> events_;
  std::unique_ptr<v1::SubscriptionService::Stub> subscriptions_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

}  // namespace incidentd::client

#endif  // INCIDENTD_CLIENT_CLIENT_H_
