#include "server/event_encoding.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "google/protobuf/io/coded_stream.h"
#include "server/converters.h"
#include "server/names.h"
#include "server/strings.h"

namespace incidentd {
namespace {

using google::protobuf::io::CodedOutputStream;

// Wire-format tags: (field number << 3) | wire type. Derived from the
// generated field numbers so that a renumbering fails to compile here
// instead of sending garbage.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kEventSequenceTag =
    (static_cast<uint32_t>(v1::Event::kSequenceFieldNumber) << 3) | kVarint;
constexpr uint32_t kResponseEventTag =
    (static_cast<uint32_t>(v1::WatchPageResponse::kEventFieldNumber) << 3) |
    kLengthDelimited;
constexpr uint32_t kEventNotifyTag =
    (static_cast<uint32_t>(v1::Event::kNotifyFieldNumber) << 3) | kVarint;
// One byte each, which the encoding below relies on.
static_assert(kEventSequenceTag < 0x80 && kResponseEventTag < 0x80 &&
              kEventNotifyTag < 0x80);

void AppendVarint(uint64_t value, std::string& out) {
  uint8_t buffer[10];  // the longest varint
  uint8_t* end = CodedOutputStream::WriteVarint64ToArray(value, buffer);
  out.append(reinterpret_cast<const char*>(buffer), end - buffer);
}

// The parts every event shares; `api` already holds the state.
Event Finish(EventType type, const EventOrigin& origin,
             std::string_view page_id, std::string resource_name,
             std::string_view incident_id,
             std::vector<std::string> component_ids, v1::Event api) {
  api.set_page(PageName(page_id));
  api.set_type(static_cast<v1::Event::Type>(static_cast<int>(type)));
  *api.mutable_create_time() = ToProtoTime(origin.time);
  api.set_actor(origin.actor);
  api.set_resource(resource_name);
  if (!incident_id.empty())
    api.set_incident(IncidentName(page_id, incident_id));
  for (const std::string& id : component_ids) {
    api.add_components(ComponentName(page_id, id));
  }

  Event event;
  event.page_id = std::string(page_id);
  event.type = type;
  event.create_time = origin.time;
  event.actor = origin.actor;
  event.resource_name = std::move(resource_name);
  event.incident_id = std::string(incident_id);
  event.component_ids = std::move(component_ids);
  // Without `sequence`: storage assigns it on append, and the readers add
  // it (DecodeEvent, EncodeEventResponse).
  api.SerializeToString(&event.payload);
  return event;
}

}  // namespace

Event MakePageEvent(EventType type, const EventOrigin& origin,
                    const Page& page) {
  v1::Event api;
  *api.mutable_page_state() = ToProto(page);
  return Finish(type, origin, page.id, PageName(page.id), "", {},
                std::move(api));
}

Event MakeComponentEvent(EventType type, const EventOrigin& origin,
                         const Component& component,
                         std::string_view incident_id) {
  v1::Event api;
  *api.mutable_component() = ToProto(component);
  return Finish(type, origin, component.page_id,
                ComponentName(component.page_id, component.id), incident_id,
                {component.id}, std::move(api));
}

Event MakeComponentDeletedEvent(const EventOrigin& origin,
                                std::string_view page_id,
                                std::string_view component_id) {
  return Finish(EventType::kComponentDeleted, origin, page_id,
                ComponentName(page_id, component_id), "",
                {std::string(component_id)}, v1::Event());
}

Event MakeGroupEvent(EventType type, const EventOrigin& origin,
                     const ComponentGroup& group) {
  v1::Event api;
  *api.mutable_component_group() = ToProto(group);
  return Finish(type, origin, group.page_id, GroupName(group.page_id, group.id),
                "", {}, std::move(api));
}

Event MakeGroupDeletedEvent(const EventOrigin& origin, std::string_view page_id,
                            std::string_view group_id) {
  return Finish(EventType::kComponentGroupDeleted, origin, page_id,
                GroupName(page_id, group_id), "", {}, v1::Event());
}

Event MakeIncidentEvent(EventType type, const EventOrigin& origin,
                        const Incident& incident) {
  v1::Event api;
  *api.mutable_incident_state() = ToProto(incident);
  return Finish(type, origin, incident.page_id,
                IncidentName(incident.page_id, incident.id), incident.id,
                incident.component_ids, std::move(api));
}

Event MakeIncidentUpdateEvent(EventType type, const EventOrigin& origin,
                              const Incident& incident,
                              const IncidentUpdate& update) {
  v1::Event api;
  *api.mutable_incident_update() = ToProto(update);
  return Finish(type, origin, incident.page_id,
                UpdateName(incident.page_id, incident.id, update.id),
                incident.id, incident.component_ids, std::move(api));
}

Event MakePostmortemEvent(EventType type, const EventOrigin& origin,
                          const Incident& incident,
                          const Postmortem& postmortem) {
  v1::Event api;
  *api.mutable_postmortem() = ToProto(postmortem);
  return Finish(type, origin, incident.page_id,
                PostmortemName(incident.page_id, incident.id), incident.id,
                incident.component_ids, std::move(api));
}

Event MakeCorrectiveActionEvent(EventType type, const EventOrigin& origin,
                                const Incident& incident,
                                const CorrectiveAction& action) {
  v1::Event api;
  *api.mutable_corrective_action() = ToProto(action);
  return Finish(type, origin, incident.page_id,
                CorrectiveActionName(incident.page_id, incident.id, action.id),
                incident.id, incident.component_ids, std::move(api));
}

void MarkNotifying(Event& event) {
  if (event.notify) return;
  event.notify = true;
  event.payload.push_back(static_cast<char>(kEventNotifyTag));
  AppendVarint(1, event.payload);
}

absl::StatusOr<v1::Event> DecodeEvent(const Event& event) {
  v1::Event api;
  if (!api.ParseFromString(event.payload)) {
    return absl::InternalError(StrCat("event ", event.seq, " of page ",
                                      PageName(event.page_id),
                                      " is unreadable"));
  }
  api.set_sequence(event.seq);
  return api;
}

std::string EncodeEventResponse(const Event& event) {
  const uint64_t seq = static_cast<uint64_t>(event.seq);
  const size_t event_size =
      event.payload.size() + 1 + CodedOutputStream::VarintSize64(seq);
  std::string out;
  out.reserve(1 + CodedOutputStream::VarintSize64(event_size) + event_size);
  out.push_back(static_cast<char>(kResponseEventTag));
  AppendVarint(event_size, out);
  out.append(event.payload);
  out.push_back(static_cast<char>(kEventSequenceTag));
  AppendVarint(seq, out);
  return out;
}

}  // namespace incidentd
