// Converters between the API messages (incidentd.v1) and the domain model,
// in one place: resources both ways, times, enums, etags. FromProto reads
// every field it can represent and fails with INVALID_ARGUMENT (naming the
// field) on a bad resource name, an unknown enum number of a writable field,
// a timestamp out of range or a malformed etag; whether a field may be set
// by the caller is the handler's business.
#ifndef INCIDENTD_SERVER_CONVERTERS_H_
#define INCIDENTD_SERVER_CONVERTERS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "incidentd/v1/components.pb.h"
#include "incidentd/v1/incidents.pb.h"
#include "incidentd/v1/pages.pb.h"
#include "incidentd/v1/postmortems.pb.h"
#include "incidentd/v1/resources.pb.h"
#include "server/domain/durations.h"
#include "server/domain/page_status.h"
#include "storage/model.h"

namespace incidentd {

// --- Times -----------------------------------------------------------------

google::protobuf::Timestamp ToProtoTime(absl::Time t);
// INVALID_ARGUMENT outside 1970-01-01 .. 9999-12-31 or with bad nanos.
// Truncated to microseconds, the precision of storage.
absl::StatusOr<absl::Time> FromProtoTime(std::string_view field,
                                         const google::protobuf::Timestamp& ts);
google::protobuf::Duration ToProtoDuration(absl::Duration d);

// --- Etags -----------------------------------------------------------------

// The opaque etag of a record version.
std::string Etag(int64_t version);
// The version an etag names; INVALID_ARGUMENT when it is not one of ours.
absl::StatusOr<int64_t> VersionFromEtag(std::string_view field,
                                        std::string_view etag);
// OK when `etag` is empty (unconditional) or names `current_version`;
// ABORTED when stale, INVALID_ARGUMENT when malformed.
absl::Status CheckEtag(std::string_view field, std::string_view etag,
                       int64_t current_version);

// --- Enums (writable fields: unknown numbers are INVALID_ARGUMENT) ----------

absl::StatusOr<ComponentStatus> ComponentStatusFromProto(std::string_view field,
                                                         int value);
absl::StatusOr<Impact> ImpactFromProto(std::string_view field, int value);
absl::StatusOr<IncidentKind> KindFromProto(std::string_view field, int value);
absl::StatusOr<IncidentStatus> IncidentStatusFromProto(std::string_view field,
                                                       int value);
absl::StatusOr<ActionState> ActionStateFromProto(std::string_view field,
                                                 int value);

// --- Resources -------------------------------------------------------------
// `field` is the request field holding the message, e.g. "page" or
// "first_update", used in error messages. Names inside a resource (its own
// name, groups, components) must be on the page given, else
// INVALID_ARGUMENT. An empty name leaves the ids empty (or as given).

v1::Page ToProto(const Page& page);
absl::StatusOr<Page> FromProto(const v1::Page& proto, std::string_view field);

v1::Component ToProto(const Component& component);
absl::StatusOr<Component> FromProto(const v1::Component& proto,
                                    std::string_view page_id,
                                    std::string_view field);

v1::ComponentGroup ToProto(const ComponentGroup& group);
absl::StatusOr<ComponentGroup> FromProto(const v1::ComponentGroup& proto,
                                         std::string_view page_id,
                                         std::string_view field);

// Sets impact to the effective impact. Durations and the timeline are
// GetIncident's and are not filled here.
v1::Incident ToProto(const Incident& incident);
// `impact` is read back as derived_impact when no override is set (the
// derived impact is not recoverable behind an override).
absl::StatusOr<Incident> FromProto(const v1::Incident& proto,
                                   std::string_view page_id,
                                   std::string_view field);

// Sets the label (domain::UpdateLabel).
v1::IncidentUpdate ToProto(const IncidentUpdate& update);
// The seq is not part of the API and stays 0.
absl::StatusOr<IncidentUpdate> FromProto(const v1::IncidentUpdate& proto,
                                         std::string_view page_id,
                                         std::string_view incident_id,
                                         std::string_view field);
absl::StatusOr<ComponentChange> FromProto(const v1::ComponentChange& proto,
                                          std::string_view page_id,
                                          std::string_view field);

v1::Postmortem ToProto(const Postmortem& postmortem);
absl::StatusOr<Postmortem> FromProto(const v1::Postmortem& proto,
                                     std::string_view page_id,
                                     std::string_view incident_id,
                                     std::string_view field);

v1::CorrectiveAction ToProto(const CorrectiveAction& action);
// The seq is not part of the API and stays 0.
absl::StatusOr<CorrectiveAction> FromProto(const v1::CorrectiveAction& proto,
                                           std::string_view page_id,
                                           std::string_view incident_id,
                                           std::string_view field);

v1::IncidentDurations ToProto(const domain::IncidentDurations& durations);

// The page status with its causes named as resources.
v1::PageStatus ToProto(std::string_view page_id,
                       const domain::PageStatusSummary& summary,
                       const std::vector<Component>& components,
                       const std::vector<Incident>& open_incidents,
                       const std::vector<Incident>& active_maintenance,
                       absl::Time compute_time);

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_CONVERTERS_H_
