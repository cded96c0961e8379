// Converters between the subscription API messages (incidentd.v1.Subscriber,
// Delivery) and the domain model. A subscriber's tokens and signing secret
// never reach an API message here: the one response that shows a secret
// (CreateSubscriberResponse.signing_secret) is filled by the logic itself.
#ifndef INCIDENTD_SERVER_SUBSCRIPTION_CONVERTERS_H_
#define INCIDENTD_SERVER_SUBSCRIPTION_CONVERTERS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "incidentd/v1/subscriptions.pb.h"
#include "storage/model.h"

namespace incidentd {

// Without confirmation_token, unsubscribe_token and signing_secret.
v1::Subscriber ToProto(const Subscriber& subscriber);
// deliveries/0 (the confirmation mail) has no event name.
v1::Delivery ToProto(const Delivery& delivery);

// What a caller writes on a subscriber: its address and filters, as given
// (validating and normalizing the address is the logic's business).
struct SubscriberInput {
  SubscriberKind kind = SubscriberKind::kUnspecified;  // no address set
  std::string address;
  // Component ids of the page, in the order given (may repeat).
  std::vector<std::string> component_ids;
  std::string incident_id;  // "" for none
};
// Reads the address, components and incident of `proto`, whose names must
// be on page `page_id` (INVALID_ARGUMENT naming e.g.
// "subscriber.components[2]" otherwise). Output-only fields are ignored.
absl::StatusOr<SubscriberInput> SubscriberInputFromProto(
    const v1::Subscriber& proto, std::string_view page_id,
    std::string_view field);

// State filters of lists: unknown numbers are INVALID_ARGUMENT.
absl::StatusOr<SubscriberState> SubscriberStateFromProto(std::string_view field,
                                                         int value);
absl::StatusOr<DeliveryState> DeliveryStateFromProto(std::string_view field,
                                                     int value);

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_SUBSCRIPTION_CONVERTERS_H_
