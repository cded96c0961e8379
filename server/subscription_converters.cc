#include "server/subscription_converters.h"

#include <utility>

#include "server/converters.h"
#include "server/names.h"
#include "server/status_macros.h"
#include "server/strings.h"

namespace incidentd {

v1::Subscriber ToProto(const Subscriber& s) {
  v1::Subscriber out;
  out.set_name(SubscriberName(s.page_id, s.id));
  switch (s.kind) {
    case SubscriberKind::kEmail:
      out.set_email(s.address);
      break;
    case SubscriberKind::kWebhook:
      out.set_webhook_url(s.address);
      break;
    case SubscriberKind::kUnspecified:
      break;
  }
  for (const std::string& id : s.component_ids) {
    out.add_components(ComponentName(s.page_id, id));
  }
  if (!s.incident_id.empty()) {
    out.set_incident(IncidentName(s.page_id, s.incident_id));
  }
  out.set_state(static_cast<v1::Subscriber::State>(s.state));
  out.set_state_reason(s.state_reason);
  out.set_consecutive_failures(s.consecutive_failures);
  *out.mutable_create_time() = ToProtoTime(s.create_time);
  *out.mutable_update_time() = ToProtoTime(s.update_time);
  if (s.activate_time.has_value()) {
    *out.mutable_activate_time() = ToProtoTime(*s.activate_time);
  }
  out.set_etag(Etag(s.version));
  return out;
}

v1::Delivery ToProto(const Delivery& d) {
  v1::Delivery out;
  out.set_name(DeliveryName(d.page_id, d.subscriber_id, d.event_seq));
  if (d.event_seq > 0) out.set_event(EventName(d.page_id, d.event_seq));
  out.set_event_type(static_cast<v1::Event::Type>(d.event_type));
  out.set_state(static_cast<v1::Delivery::State>(d.state));
  out.set_attempts(d.attempts);
  out.set_last_error(d.last_error);
  *out.mutable_create_time() = ToProtoTime(d.create_time);
  if (d.last_attempt_time.has_value()) {
    *out.mutable_last_attempt_time() = ToProtoTime(*d.last_attempt_time);
  }
  if (d.next_attempt_time.has_value()) {
    *out.mutable_next_attempt_time() = ToProtoTime(*d.next_attempt_time);
  }
  if (d.deliver_time.has_value()) {
    *out.mutable_deliver_time() = ToProtoTime(*d.deliver_time);
  }
  return out;
}

absl::StatusOr<SubscriberInput> SubscriberInputFromProto(
    const v1::Subscriber& proto, std::string_view page_id,
    std::string_view field) {
  SubscriberInput input;
  switch (proto.address_case()) {
    case v1::Subscriber::kEmail:
      input.kind = SubscriberKind::kEmail;
      input.address = proto.email();
      break;
    case v1::Subscriber::kWebhookUrl:
      input.kind = SubscriberKind::kWebhook;
      input.address = proto.webhook_url();
      break;
    case v1::Subscriber::ADDRESS_NOT_SET:
      break;
  }
  input.component_ids.reserve(proto.components_size());
  for (int i = 0; i < proto.components_size(); ++i) {
    ASSIGN_OR_RETURN(std::string id, ParseComponentNameOnPage(
                                         StrCat(field, ".components[", i, "]"),
                                         proto.components(i), page_id));
    input.component_ids.push_back(std::move(id));
  }
  if (!proto.incident().empty()) {
    ASSIGN_OR_RETURN(input.incident_id,
                     ParseIncidentNameOnPage(StrCat(field, ".incident"),
                                             proto.incident(), page_id));
  }
  return input;
}

absl::StatusOr<SubscriberState> SubscriberStateFromProto(std::string_view field,
                                                         int value) {
  if (value < 0 || value > static_cast<int>(SubscriberState::kQuarantined)) {
    return absl::InvalidArgumentError(StrCat(field, ": unknown value ", value));
  }
  return static_cast<SubscriberState>(value);
}

absl::StatusOr<DeliveryState> DeliveryStateFromProto(std::string_view field,
                                                     int value) {
  if (value < 0 || value > static_cast<int>(DeliveryState::kFailed)) {
    return absl::InvalidArgumentError(StrCat(field, ": unknown value ", value));
  }
  return static_cast<DeliveryState>(value);
}

}  // namespace incidentd
