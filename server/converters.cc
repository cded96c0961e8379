#include "server/converters.h"

#include <cstdint>
#include <utility>

#include "absl/strings/numbers.h"
#include "server/domain/incident_rules.h"
#include "server/names.h"
#include "server/status_macros.h"
#include "server/strings.h"

namespace incidentd {
namespace {

// 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr int64_t kMinSeconds = 0;
constexpr int64_t kMaxSeconds = 253402300799;

// A writable enum field: unknown numbers are the caller's mistake.
template <typename E>
absl::StatusOr<E> CheckedEnum(std::string_view field, int value, int max) {
  if (value < 0 || value > max) {
    return absl::InvalidArgumentError(StrCat(field, ": unknown value ", value));
  }
  return static_cast<E>(value);
}

// An output-only enum field sent back by a client: never an error (the
// handler ignores it), unknown numbers read as unspecified.
template <typename E>
E LenientEnum(int value, int max) {
  return (value < 0 || value > max) ? static_cast<E>(0) : static_cast<E>(value);
}

absl::StatusOr<std::optional<absl::Time>> OptionalTime(
    std::string_view field, bool has, const google::protobuf::Timestamp& ts) {
  if (!has) return std::optional<absl::Time>();
  ASSIGN_OR_RETURN(absl::Time t, FromProtoTime(field, ts));
  return std::optional<absl::Time>(t);
}

// Reads an output-only or required time; unset reads as the Unix epoch,
// which is what an unset absl::Time in the model is.
absl::StatusOr<absl::Time> TimeOrEpoch(std::string_view field, bool has,
                                       const google::protobuf::Timestamp& ts) {
  if (!has) return absl::UnixEpoch();
  return FromProtoTime(field, ts);
}

absl::StatusOr<int64_t> VersionOrZero(std::string_view field,
                                      std::string_view etag) {
  if (etag.empty()) return 0;
  return VersionFromEtag(field, etag);
}

std::string F(std::string_view field, std::string_view sub) {
  return StrCat(field, ".", sub);
}

}  // namespace

// --- Times -----------------------------------------------------------------

google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1000000;
  int64_t rem = micros % 1000000;
  if (rem < 0) {
    rem += 1000000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rem * 1000));
  return ts;
}

absl::StatusOr<absl::Time> FromProtoTime(
    std::string_view field, const google::protobuf::Timestamp& ts) {
  if (ts.seconds() < kMinSeconds || ts.seconds() > kMaxSeconds ||
      ts.nanos() < 0 || ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        StrCat(field, ": must be a time between 1970-01-01 and 9999-12-31"));
  }
  return absl::FromUnixMicros(ts.seconds() * 1000000 + ts.nanos() / 1000);
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  out.set_seconds(nanos / 1000000000);
  // Duration keeps the sign of seconds in nanos, as C++ division does.
  out.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return out;
}

// --- Etags -----------------------------------------------------------------

std::string Etag(int64_t version) { return StrCat("v", version); }

absl::StatusOr<int64_t> VersionFromEtag(std::string_view field,
                                        std::string_view etag) {
  int64_t version = 0;
  if (etag.size() < 2 || etag[0] != 'v' ||
      !absl::SimpleAtoi(ToAbsl(etag.substr(1)), &version) || version < 1 ||
      etag.substr(1).front() == '+' || etag.substr(1).front() == '0') {
    return absl::InvalidArgumentError(
        StrCat(field, ": not an etag issued by this service"));
  }
  return version;
}

absl::Status CheckEtag(std::string_view field, std::string_view etag,
                       int64_t current_version) {
  if (etag.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(int64_t version, VersionFromEtag(field, etag));
  if (version != current_version) {
    return absl::AbortedError(
        StrCat(field,
               ": the resource changed since this etag was read; read it "
               "again and retry"));
  }
  return absl::OkStatus();
}

// --- Enums -----------------------------------------------------------------

absl::StatusOr<ComponentStatus> ComponentStatusFromProto(std::string_view field,
                                                         int value) {
  return CheckedEnum<ComponentStatus>(field, value, 5);
}
absl::StatusOr<Impact> ImpactFromProto(std::string_view field, int value) {
  return CheckedEnum<Impact>(field, value, 4);
}
absl::StatusOr<IncidentKind> KindFromProto(std::string_view field, int value) {
  return CheckedEnum<IncidentKind>(field, value, 2);
}
absl::StatusOr<IncidentStatus> IncidentStatusFromProto(std::string_view field,
                                                       int value) {
  return CheckedEnum<IncidentStatus>(field, value, 9);
}
absl::StatusOr<ActionState> ActionStateFromProto(std::string_view field,
                                                 int value) {
  return CheckedEnum<ActionState>(field, value, 3);
}

// --- Page ------------------------------------------------------------------

v1::Page ToProto(const Page& page) {
  v1::Page out;
  out.set_name(PageName(page.id));
  out.set_display_name(page.display_name);
  out.set_url(page.url);
  out.set_time_zone(page.time_zone);
  *out.mutable_create_time() = ToProtoTime(page.create_time);
  *out.mutable_update_time() = ToProtoTime(page.update_time);
  out.set_etag(Etag(page.version));
  return out;
}

absl::StatusOr<Page> FromProto(const v1::Page& proto, std::string_view field) {
  Page page;
  if (!proto.name().empty()) {
    ASSIGN_OR_RETURN(page.id, ParsePageName(F(field, "name"), proto.name()));
  }
  page.display_name = proto.display_name();
  page.url = proto.url();
  page.time_zone = proto.time_zone();
  ASSIGN_OR_RETURN(page.create_time,
                   TimeOrEpoch(F(field, "create_time"), proto.has_create_time(),
                               proto.create_time()));
  ASSIGN_OR_RETURN(page.update_time,
                   TimeOrEpoch(F(field, "update_time"), proto.has_update_time(),
                               proto.update_time()));
  ASSIGN_OR_RETURN(page.version, VersionOrZero(F(field, "etag"), proto.etag()));
  return page;
}

// --- Component and group ---------------------------------------------------

v1::Component ToProto(const Component& c) {
  v1::Component out;
  out.set_name(ComponentName(c.page_id, c.id));
  out.set_display_name(c.display_name);
  out.set_description(c.description);
  if (!c.group_id.empty()) out.set_group(GroupName(c.page_id, c.group_id));
  out.set_status(static_cast<v1::ComponentStatus::Value>(c.status));
  out.set_status_reason(c.status_reason);
  *out.mutable_status_change_time() = ToProtoTime(c.status_change_time);
  out.set_position(c.position);
  *out.mutable_create_time() = ToProtoTime(c.create_time);
  *out.mutable_update_time() = ToProtoTime(c.update_time);
  out.set_etag(Etag(c.version));
  return out;
}

absl::StatusOr<Component> FromProto(const v1::Component& proto,
                                    std::string_view page_id,
                                    std::string_view field) {
  Component c;
  c.page_id = std::string(page_id);
  if (!proto.name().empty()) {
    ASSIGN_OR_RETURN(c.id, ParseComponentNameOnPage(F(field, "name"),
                                                    proto.name(), page_id));
  }
  c.display_name = proto.display_name();
  c.description = proto.description();
  if (!proto.group().empty()) {
    ASSIGN_OR_RETURN(c.group_id, ParseGroupNameOnPage(F(field, "group"),
                                                      proto.group(), page_id));
  }
  c.status = LenientEnum<ComponentStatus>(proto.status(), 5);
  c.status_reason = proto.status_reason();
  ASSIGN_OR_RETURN(
      c.status_change_time,
      TimeOrEpoch(F(field, "status_change_time"),
                  proto.has_status_change_time(), proto.status_change_time()));
  c.position = proto.position();
  ASSIGN_OR_RETURN(c.create_time,
                   TimeOrEpoch(F(field, "create_time"), proto.has_create_time(),
                               proto.create_time()));
  ASSIGN_OR_RETURN(c.update_time,
                   TimeOrEpoch(F(field, "update_time"), proto.has_update_time(),
                               proto.update_time()));
  ASSIGN_OR_RETURN(c.version, VersionOrZero(F(field, "etag"), proto.etag()));
  return c;
}

v1::ComponentGroup ToProto(const ComponentGroup& g) {
  v1::ComponentGroup out;
  out.set_name(GroupName(g.page_id, g.id));
  out.set_display_name(g.display_name);
  out.set_description(g.description);
  out.set_position(g.position);
  *out.mutable_create_time() = ToProtoTime(g.create_time);
  *out.mutable_update_time() = ToProtoTime(g.update_time);
  out.set_etag(Etag(g.version));
  return out;
}

absl::StatusOr<ComponentGroup> FromProto(const v1::ComponentGroup& proto,
                                         std::string_view page_id,
                                         std::string_view field) {
  ComponentGroup g;
  g.page_id = std::string(page_id);
  if (!proto.name().empty()) {
    ASSIGN_OR_RETURN(
        g.id, ParseGroupNameOnPage(F(field, "name"), proto.name(), page_id));
  }
  g.display_name = proto.display_name();
  g.description = proto.description();
  g.position = proto.position();
  ASSIGN_OR_RETURN(g.create_time,
                   TimeOrEpoch(F(field, "create_time"), proto.has_create_time(),
                               proto.create_time()));
  ASSIGN_OR_RETURN(g.update_time,
                   TimeOrEpoch(F(field, "update_time"), proto.has_update_time(),
                               proto.update_time()));
  ASSIGN_OR_RETURN(g.version, VersionOrZero(F(field, "etag"), proto.etag()));
  return g;
}

// --- Incident --------------------------------------------------------------

v1::Incident ToProto(const Incident& i) {
  v1::Incident out;
  out.set_name(IncidentName(i.page_id, i.id));
  out.set_title(i.title);
  out.set_kind(static_cast<v1::Incident::Kind>(i.kind));
  out.set_status(static_cast<v1::IncidentStatus::Value>(i.status));
  out.set_impact(static_cast<v1::Impact::Value>(domain::EffectiveImpact(i)));
  out.set_impact_override(static_cast<v1::Impact::Value>(i.impact_override));
  for (const std::string& id : i.component_ids) {
    out.add_components(ComponentName(i.page_id, id));
  }
  auto set = [](const std::optional<absl::Time>& t,
                google::protobuf::Timestamp* ts) {
    if (t.has_value()) *ts = ToProtoTime(*t);
  };
  if (i.start_time) set(i.start_time, out.mutable_start_time());
  if (i.resolve_time) set(i.resolve_time, out.mutable_resolve_time());
  if (i.impact_start_time) {
    set(i.impact_start_time, out.mutable_impact_start_time());
  }
  if (i.impact_end_time) set(i.impact_end_time, out.mutable_impact_end_time());
  if (i.scheduled_start_time) {
    set(i.scheduled_start_time, out.mutable_scheduled_start_time());
  }
  if (i.scheduled_end_time) {
    set(i.scheduled_end_time, out.mutable_scheduled_end_time());
  }
  out.set_manual_transitions(i.manual_transitions);
  *out.mutable_create_time() = ToProtoTime(i.create_time);
  *out.mutable_update_time() = ToProtoTime(i.update_time);
  out.set_etag(Etag(i.version));
  return out;
}

absl::StatusOr<Incident> FromProto(const v1::Incident& proto,
                                   std::string_view page_id,
                                   std::string_view field) {
  Incident i;
  i.page_id = std::string(page_id);
  if (!proto.name().empty()) {
    ASSIGN_OR_RETURN(PageChildName name,
                     ParseIncidentName(F(field, "name"), proto.name()));
    if (name.page_id != page_id) {
      return absl::InvalidArgumentError(StrCat(field, ".name: \"", proto.name(),
                                               "\" is not on pages/", page_id));
    }
    i.id = std::move(name.id);
  }
  i.title = proto.title();
  ASSIGN_OR_RETURN(i.kind, KindFromProto(F(field, "kind"), proto.kind()));
  i.status = LenientEnum<IncidentStatus>(proto.status(), 9);
  ASSIGN_OR_RETURN(
      i.impact_override,
      ImpactFromProto(F(field, "impact_override"), proto.impact_override()));
  i.derived_impact = i.impact_override == Impact::kUnspecified
                         ? LenientEnum<Impact>(proto.impact(), 4)
                         : Impact::kNone;
  for (int k = 0; k < proto.components_size(); ++k) {
    ASSIGN_OR_RETURN(std::string id, ParseComponentNameOnPage(
                                         StrCat(field, ".components[", k, "]"),
                                         proto.components(k), page_id));
    i.component_ids.push_back(std::move(id));
  }
  ASSIGN_OR_RETURN(i.start_time,
                   OptionalTime(F(field, "start_time"), proto.has_start_time(),
                                proto.start_time()));
  ASSIGN_OR_RETURN(i.resolve_time, OptionalTime(F(field, "resolve_time"),
                                                proto.has_resolve_time(),
                                                proto.resolve_time()));
  ASSIGN_OR_RETURN(
      i.impact_start_time,
      OptionalTime(F(field, "impact_start_time"), proto.has_impact_start_time(),
                   proto.impact_start_time()));
  ASSIGN_OR_RETURN(i.impact_end_time, OptionalTime(F(field, "impact_end_time"),
                                                   proto.has_impact_end_time(),
                                                   proto.impact_end_time()));
  ASSIGN_OR_RETURN(i.scheduled_start_time,
                   OptionalTime(F(field, "scheduled_start_time"),
                                proto.has_scheduled_start_time(),
                                proto.scheduled_start_time()));
  ASSIGN_OR_RETURN(
      i.scheduled_end_time,
      OptionalTime(F(field, "scheduled_end_time"),
                   proto.has_scheduled_end_time(), proto.scheduled_end_time()));
  i.manual_transitions = proto.manual_transitions();
  ASSIGN_OR_RETURN(i.create_time,
                   TimeOrEpoch(F(field, "create_time"), proto.has_create_time(),
                               proto.create_time()));
  ASSIGN_OR_RETURN(i.update_time,
                   TimeOrEpoch(F(field, "update_time"), proto.has_update_time(),
                               proto.update_time()));
  ASSIGN_OR_RETURN(i.version, VersionOrZero(F(field, "etag"), proto.etag()));
  return i;
}

// --- Incident update -------------------------------------------------------

v1::IncidentUpdate ToProto(const IncidentUpdate& u) {
  v1::IncidentUpdate out;
  out.set_name(UpdateName(u.page_id, u.incident_id, u.id));
  out.set_status(static_cast<v1::IncidentStatus::Value>(u.status));
  out.set_resulting_status(
      static_cast<v1::IncidentStatus::Value>(u.resulting_status));
  out.set_label(domain::UpdateLabel(u));
  out.set_body(u.body);
  *out.mutable_display_time() = ToProtoTime(u.display_time);
  out.set_display_time_zone(u.display_time_zone);
  *out.mutable_create_time() = ToProtoTime(u.create_time);
  out.set_author(u.author);
  for (const ComponentChange& change : u.component_changes) {
    v1::ComponentChange* c = out.add_component_changes();
    c->set_component(ComponentName(u.page_id, change.component_id));
    c->set_status(static_cast<v1::ComponentStatus::Value>(change.status));
  }
  out.set_notify(u.notify);
  out.set_reopen(u.reopen);
  for (const IncidentUpdateRevision& r : u.previous_versions) {
    v1::IncidentUpdateRevision* p = out.add_previous_versions();
    p->set_body(r.body);
    *p->mutable_display_time() = ToProtoTime(r.display_time);
    p->set_display_time_zone(r.display_time_zone);
    *p->mutable_replace_time() = ToProtoTime(r.replace_time);
    p->set_replaced_by(r.replaced_by);
  }
  *out.mutable_update_time() = ToProtoTime(u.update_time);
  out.set_etag(Etag(u.version));
  return out;
}

absl::StatusOr<ComponentChange> FromProto(const v1::ComponentChange& proto,
                                          std::string_view page_id,
                                          std::string_view field) {
  ComponentChange change;
  ASSIGN_OR_RETURN(change.component_id,
                   ParseComponentNameOnPage(F(field, "component"),
                                            proto.component(), page_id));
  ASSIGN_OR_RETURN(change.status, ComponentStatusFromProto(F(field, "status"),
                                                           proto.status()));
  return change;
}

absl::StatusOr<IncidentUpdate> FromProto(const v1::IncidentUpdate& proto,
                                         std::string_view page_id,
                                         std::string_view incident_id,
                                         std::string_view field) {
  IncidentUpdate u;
  u.page_id = std::string(page_id);
  u.incident_id = std::string(incident_id);
  if (!proto.name().empty()) {
    ASSIGN_OR_RETURN(IncidentChildName name,
                     ParseUpdateName(F(field, "name"), proto.name()));
    if (name.page_id != page_id || name.incident_id != incident_id) {
      return absl::InvalidArgumentError(
          StrCat(field, ".name: \"", proto.name(), "\" is not under ",
                 IncidentName(page_id, incident_id)));
    }
    u.id = std::move(name.id);
  }
  ASSIGN_OR_RETURN(u.status,
                   IncidentStatusFromProto(F(field, "status"), proto.status()));
  u.resulting_status = LenientEnum<IncidentStatus>(proto.resulting_status(), 9);
  u.body = proto.body();
  ASSIGN_OR_RETURN(u.display_time,
                   TimeOrEpoch(F(field, "display_time"),
                               proto.has_display_time(), proto.display_time()));
  u.display_time_zone = proto.display_time_zone();
  ASSIGN_OR_RETURN(u.create_time,
                   TimeOrEpoch(F(field, "create_time"), proto.has_create_time(),
                               proto.create_time()));
  u.author = proto.author();
  for (int k = 0; k < proto.component_changes_size(); ++k) {
    ASSIGN_OR_RETURN(ComponentChange change,
                     FromProto(proto.component_changes(k), page_id,
                               StrCat(field, ".component_changes[", k, "]")));
    u.component_changes.push_back(std::move(change));
  }
  u.notify = proto.notify();
  u.reopen = proto.reopen();
  for (int k = 0; k < proto.previous_versions_size(); ++k) {
    const v1::IncidentUpdateRevision& p = proto.previous_versions(k);
    const std::string sub = StrCat(field, ".previous_versions[", k, "]");
    IncidentUpdateRevision r;
    r.body = p.body();
    ASSIGN_OR_RETURN(r.display_time,
                     TimeOrEpoch(F(sub, "display_time"), p.has_display_time(),
                                 p.display_time()));
    r.display_time_zone = p.display_time_zone();
    ASSIGN_OR_RETURN(r.replace_time,
                     TimeOrEpoch(F(sub, "replace_time"), p.has_replace_time(),
                                 p.replace_time()));
    r.replaced_by = p.replaced_by();
    u.previous_versions.push_back(std::move(r));
  }
  ASSIGN_OR_RETURN(u.update_time,
                   TimeOrEpoch(F(field, "update_time"), proto.has_update_time(),
                               proto.update_time()));
  ASSIGN_OR_RETURN(u.version, VersionOrZero(F(field, "etag"), proto.etag()));
  return u;
}

// --- Postmortem ------------------------------------------------------------

v1::Postmortem ToProto(const Postmortem& p) {
  v1::Postmortem out;
  out.set_name(PostmortemName(p.page_id, p.incident_id));
  for (const PostmortemSection& s : p.sections) {
    v1::PostmortemSection* section = out.add_sections();
    section->set_heading(s.heading);
    section->set_body(s.body);
  }
  out.set_state(static_cast<v1::Postmortem::State>(p.state));
  if (p.publish_time)
    *out.mutable_publish_time() = ToProtoTime(*p.publish_time);
  out.set_author(p.author);
  out.set_revision(p.revision);
  *out.mutable_create_time() = ToProtoTime(p.create_time);
  *out.mutable_update_time() = ToProtoTime(p.update_time);
  out.set_etag(Etag(p.version));
  return out;
}

absl::StatusOr<Postmortem> FromProto(const v1::Postmortem& proto,
                                     std::string_view page_id,
                                     std::string_view incident_id,
                                     std::string_view field) {
  Postmortem p;
  p.page_id = std::string(page_id);
  p.incident_id = std::string(incident_id);
  if (!proto.name().empty()) {
    ASSIGN_OR_RETURN(PageChildName name,
                     ParsePostmortemName(F(field, "name"), proto.name()));
    if (name.page_id != page_id || name.id != incident_id) {
      return absl::InvalidArgumentError(
          StrCat(field, ".name: \"", proto.name(), "\" is not ",
                 PostmortemName(page_id, incident_id)));
    }
  }
  for (const v1::PostmortemSection& s : proto.sections()) {
    p.sections.push_back(PostmortemSection{s.heading(), s.body()});
  }
  p.state = LenientEnum<PostmortemState>(proto.state(), 2);
  ASSIGN_OR_RETURN(p.publish_time, OptionalTime(F(field, "publish_time"),
                                                proto.has_publish_time(),
                                                proto.publish_time()));
  p.author = proto.author();
  p.revision = proto.revision();
  ASSIGN_OR_RETURN(p.create_time,
                   TimeOrEpoch(F(field, "create_time"), proto.has_create_time(),
                               proto.create_time()));
  ASSIGN_OR_RETURN(p.update_time,
                   TimeOrEpoch(F(field, "update_time"), proto.has_update_time(),
                               proto.update_time()));
  ASSIGN_OR_RETURN(p.version, VersionOrZero(F(field, "etag"), proto.etag()));
  return p;
}

// --- Corrective action -----------------------------------------------------

v1::CorrectiveAction ToProto(const CorrectiveAction& a) {
  v1::CorrectiveAction out;
  out.set_name(CorrectiveActionName(a.page_id, a.incident_id, a.id));
  out.set_description(a.description);
  out.set_owner(a.owner);
  out.set_state(static_cast<v1::CorrectiveAction::State>(a.state));
  *out.mutable_create_time() = ToProtoTime(a.create_time);
  *out.mutable_update_time() = ToProtoTime(a.update_time);
  out.set_etag(Etag(a.version));
  return out;
}

absl::StatusOr<CorrectiveAction> FromProto(const v1::CorrectiveAction& proto,
                                           std::string_view page_id,
                                           std::string_view incident_id,
                                           std::string_view field) {
  CorrectiveAction a;
  a.page_id = std::string(page_id);
  a.incident_id = std::string(incident_id);
  if (!proto.name().empty()) {
    ASSIGN_OR_RETURN(IncidentChildName name,
                     ParseCorrectiveActionName(F(field, "name"), proto.name()));
    if (name.page_id != page_id || name.incident_id != incident_id) {
      return absl::InvalidArgumentError(
          StrCat(field, ".name: \"", proto.name(), "\" is not under ",
                 IncidentName(page_id, incident_id)));
    }
    a.id = std::move(name.id);
  }
  a.description = proto.description();
  a.owner = proto.owner();
  ASSIGN_OR_RETURN(a.state,
                   ActionStateFromProto(F(field, "state"), proto.state()));
  ASSIGN_OR_RETURN(a.create_time,
                   TimeOrEpoch(F(field, "create_time"), proto.has_create_time(),
                               proto.create_time()));
  ASSIGN_OR_RETURN(a.update_time,
                   TimeOrEpoch(F(field, "update_time"), proto.has_update_time(),
                               proto.update_time()));
  ASSIGN_OR_RETURN(a.version, VersionOrZero(F(field, "etag"), proto.etag()));
  return a;
}

// --- Derived figures -------------------------------------------------------

v1::IncidentDurations ToProto(const domain::IncidentDurations& d) {
  v1::IncidentDurations out;
  if (d.time_to_resolve) {
    *out.mutable_time_to_resolve() = ToProtoDuration(*d.time_to_resolve);
  }
  if (d.impact_duration) {
    *out.mutable_impact_duration() = ToProtoDuration(*d.impact_duration);
  }
  for (const auto& [status, duration] : d.time_in_status) {
    v1::IncidentDurations::StatusSpan* span = out.add_time_in_status();
    span->set_status(static_cast<v1::IncidentStatus::Value>(status));
    *span->mutable_duration() = ToProtoDuration(duration);
  }
  return out;
}

v1::PageStatus ToProto(std::string_view page_id,
                       const domain::PageStatusSummary& summary,
                       const std::vector<Component>& components,
                       const std::vector<Incident>& open_incidents,
                       const std::vector<Incident>& active_maintenance,
                       absl::Time compute_time) {
  v1::PageStatus out;
  out.set_name(PageStatusName(page_id));
  out.set_indicator(static_cast<v1::PageStatus::Indicator>(summary.indicator));
  out.set_description(summary.description);
  for (const domain::StatusCause& cause : summary.causes) {
    v1::PageStatus::Cause* c = out.add_causes();
    c->set_resource(cause.kind == domain::StatusCause::Kind::kComponent
                        ? ComponentName(page_id, cause.id)
                        : IncidentName(page_id, cause.id));
    c->set_indicator(static_cast<v1::PageStatus::Indicator>(cause.indicator));
    c->set_explanation(cause.explanation);
  }
  for (const Component& c : components) *out.add_components() = ToProto(c);
  for (const Incident& i : open_incidents)
    *out.add_open_incidents() = ToProto(i);
  for (const Incident& i : active_maintenance) {
    *out.add_active_maintenance() = ToProto(i);
  }
  *out.mutable_compute_time() = ToProtoTime(compute_time);
  return out;
}

}  // namespace incidentd
