// The subscription service's logic, testable without gRPC: subscribers of a
// page (email and webhook), their tokens and signing secrets, and the
// record of their deliveries, one storage transaction per call. Subscriber
// changes are not page events (subscribers are private data); a change that
// makes a delivery due wakes the delivery workers once it has committed.
#ifndef INCIDENTD_SERVER_SUBSCRIPTION_LOGIC_H_
#define INCIDENTD_SERVER_SUBSCRIPTION_LOGIC_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/empty.pb.h"
#include "incidentd/v1/subscriptions.pb.h"
#include "server/clock.h"
#include "server/notify/delivery_signal.h"
#include "storage/store.h"

namespace incidentd {

struct SubscriptionOptions {
  // CreateSubscriber answers RESOURCE_EXHAUSTED once a page has this many
  // subscribers (in any state).
  int max_subscribers_per_page = 100000;  // as --max_subscribers_per_page
  // Refuse webhook URLs whose host is a private, loopback or link-local IP
  // literal, or "localhost". Names are checked again on the address
  // actually connected to, by the transport.
  bool deny_private_webhooks = true;
};

class SubscriptionLogic {
 public:
  // `signal` is woken after every commit that made a delivery due now.
  SubscriptionLogic(storage::Store& store, const Clock& clock,
                    notify::DeliverySignal& signal, SubscriptionOptions options)
      : store_(store), clock_(clock), signal_(signal), options_(options) {}

  absl::StatusOr<v1::CreateSubscriberResponse> CreateSubscriber(
      const v1::CreateSubscriberRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Subscriber> GetSubscriber(
      const v1::GetSubscriberRequest& request, absl::Time deadline);
  absl::StatusOr<v1::ListSubscribersResponse> ListSubscribers(
      const v1::ListSubscribersRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Subscriber> UpdateSubscriber(
      const v1::UpdateSubscriberRequest& request, absl::Time deadline);
  absl::StatusOr<google::protobuf::Empty> DeleteSubscriber(
      const v1::DeleteSubscriberRequest& request, absl::Time deadline);
  absl::StatusOr<v1::CountSubscribersResponse> CountSubscribers(
      const v1::CountSubscribersRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Subscriber> ConfirmSubscriber(
      const v1::ConfirmSubscriberRequest& request, absl::Time deadline);
  absl::StatusOr<google::protobuf::Empty> Unsubscribe(
      const v1::UnsubscribeRequest& request, absl::Time deadline);
  absl::StatusOr<v1::CreateSubscriberResponse> RotateSigningSecret(
      const v1::RotateSigningSecretRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Subscriber> ReactivateSubscriber(
      const v1::ReactivateSubscriberRequest& request, absl::Time deadline);

  absl::StatusOr<v1::ListDeliveriesResponse> ListDeliveries(
      const v1::ListDeliveriesRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Delivery> GetDelivery(
      const v1::GetDeliveryRequest& request, absl::Time deadline);
  absl::StatusOr<v1::Delivery> RedeliverDelivery(
      const v1::RedeliverDeliveryRequest& request, absl::Time deadline);

 private:
  absl::Time Now() const { return TruncateToMicros(clock_.Now()); }

  storage::Store& store_;
  const Clock& clock_;
  notify::DeliverySignal& signal_;
  const SubscriptionOptions options_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_SUBSCRIPTION_LOGIC_H_
