// Events as the server writes and serves them. Producers build a model Event
// from the resource a change left behind: the columns storage filters by,
// and the payload (the API's incidentd.v1.Event without its sequence).
// Streams turn a stored Event back into the API's, either parsed
// (DecodeEvent) or, for fan-out, as ready-to-send WatchPageResponse bytes
// built without parsing (EncodeEventResponse).
#ifndef INCIDENTD_SERVER_EVENT_ENCODING_H_
#define INCIDENTD_SERVER_EVENT_ENCODING_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "incidentd/v1/events.pb.h"
#include "storage/model.h"

namespace incidentd {

// Who made a change and when; shared by every event of that change.
struct EventOrigin {
  absl::Time time;    // the clock's now used for the change
  std::string actor;  // author or editor where the API takes one, else ""
};

// --- Producers: one builder per kind of resource. Each sets the columns
// (page, type, time, actor, resource name, incident, components) and the
// payload, whose state is the resource as given (after the change).

Event MakePageEvent(EventType type, const EventOrigin& origin,
                    const Page& page);
// Components: the component itself. `incident_id` names the incident whose
// update set the status, if one did.
Event MakeComponentEvent(EventType type, const EventOrigin& origin,
                         const Component& component,
                         std::string_view incident_id = "");
// COMPONENT_DELETED: no state.
Event MakeComponentDeletedEvent(const EventOrigin& origin,
                                std::string_view page_id,
                                std::string_view component_id);
// Groups concern no component in particular: no components.
Event MakeGroupEvent(EventType type, const EventOrigin& origin,
                     const ComponentGroup& group);
// COMPONENT_GROUP_DELETED: no state. Its components became ungrouped
// without a write of their own, so no event of theirs says so.
Event MakeGroupDeletedEvent(const EventOrigin& origin, std::string_view page_id,
                            std::string_view group_id);
// Everything under an incident concerns the incident and its affected
// components as they are after the change (`incident`).
Event MakeIncidentEvent(EventType type, const EventOrigin& origin,
                        const Incident& incident);
Event MakeIncidentUpdateEvent(EventType type, const EventOrigin& origin,
                              const Incident& incident,
                              const IncidentUpdate& update);
Event MakePostmortemEvent(EventType type, const EventOrigin& origin,
                          const Incident& incident,
                          const Postmortem& postmortem);
Event MakeCorrectiveActionEvent(EventType type, const EventOrigin& origin,
                                const Incident& incident,
                                const CorrectiveAction& action);

// Marks `event` (built above) as the one that notifies subscribers: sets
// Event.notify in the columns and in the payload (appended as a field,
// which protobuf merges, so the payload needs no re-encoding).
void MarkNotifying(Event& event);

// --- Consumers.

// The API's event: the payload parsed, with the sequence set. INTERNAL when
// the payload does not parse (a corrupt row).
absl::StatusOr<v1::Event> DecodeEvent(const Event& event);

// The serialized WatchPageResponse carrying `event` (seq assigned), built
// from the stored payload without parsing it: protobuf merges concatenated
// fields, so Event = payload || sequence field, wrapped as the response's
// length-delimited `event` field. Parses to exactly the message DecodeEvent
// gives, wrapped; the bytes may differ from a re-serialization only in
// field order.
std::string EncodeEventResponse(const Event& event);

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_EVENT_ENCODING_H_
