#include "server/incident_logic.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "server/converters.h"
#include "server/domain/durations.h"
#include "server/domain/incident_rules.h"
#include "server/domain/subscriptions.h"
#include "server/domain/validation.h"
#include "server/event_encoding.h"
#include "server/event_recording.h"
#include "server/field_mask.h"
#include "server/idempotency.h"
#include "server/names.h"
#include "server/pagination.h"
#include "server/status_macros.h"
#include "server/strings.h"

namespace incidentd {
namespace {

using storage::IncidentQuery;
using storage::IncidentRepository;
using storage::Lock;
using storage::Transaction;

// The batch size for reading a whole timeline.
constexpr int kTimelineBatch = 500;

// GetIncident's answer as the read cache keeps it: serialized, without
// the durations (they depend on the time of the call), and what they are
// computed from.
struct CachedIncidentView final : CachedValue {
  size_t Bytes() const override {
    // The domain copies hold about what the bytes hold.
    return sizeof(*this) + 2 * bytes->size();
  }
  std::shared_ptr<const std::string> bytes;
  Incident incident;
  std::vector<IncidentUpdate> timeline;
};

std::string IncidentCacheKey(const std::string& incident_id) {
  return StrCat("incident/", incident_id);
}

absl::StatusOr<std::string> ChosenId(std::string_view field,
                                     const std::string& requested) {
  if (requested.empty()) return NewResourceId();
  RETURN_IF_ERROR(domain::ValidateId(field, requested));
  return requested;
}

absl::Status NoDuplicates(std::string_view field,
                          const std::vector<std::string>& ids) {
  absl::flat_hash_set<std::string_view> seen;
  for (const std::string& id : ids) {
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(
          StrCat(field, ": component \"", id, "\" is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTitle(std::string_view field, const std::string& title) {
  return domain::ValidateLine(field, title, 1, domain::kMaxDisplayNameLength);
}

absl::Status ValidateComponents(std::string_view field,
                                const std::vector<std::string>& ids) {
  if (ids.size() > domain::kMaxComponentsPerIncident) {
    return absl::InvalidArgumentError(
        StrCat(field, ": at most ", domain::kMaxComponentsPerIncident,
               " components (got ", ids.size(), ")"));
  }
  return NoDuplicates(field, ids);
}

// Scheduled times belong to maintenance, which needs both, end after start;
// the impact window, when complete, must not end before it starts.
absl::Status ValidateTimes(const Incident& i) {
  if (i.kind == IncidentKind::kMaintenance) {
    if (!i.scheduled_start_time || !i.scheduled_end_time) {
      return absl::InvalidArgumentError(
          "incident.scheduled_start_time and incident.scheduled_end_time: "
          "required for maintenance");
    }
    if (*i.scheduled_end_time <= *i.scheduled_start_time) {
      return absl::InvalidArgumentError(
          "incident.scheduled_end_time: must be after scheduled_start_time");
    }
  } else if (i.scheduled_start_time || i.scheduled_end_time) {
    return absl::InvalidArgumentError(
        "incident.scheduled_start_time, incident.scheduled_end_time: only "
        "for maintenance");
  }
  if (i.impact_start_time && i.impact_end_time &&
      *i.impact_end_time < *i.impact_start_time) {
    return absl::InvalidArgumentError(
        "incident.impact_end_time: must not be before impact_start_time");
  }
  return absl::OkStatus();
}

// The fields a caller writes on an update they post or edit.
absl::Status ValidateUpdateInput(std::string_view field,
                                 const IncidentUpdate& update) {
  RETURN_IF_ERROR(domain::ValidateText(StrCat(field, ".body"), update.body, 1,
                                       domain::kMaxBodyBytes));
  RETURN_IF_ERROR(domain::ValidateTimeZone(StrCat(field, ".display_time_zone"),
                                           update.display_time_zone));
  RETURN_IF_ERROR(domain::ValidateLine(StrCat(field, ".author"), update.author,
                                       0, domain::kMaxAuthorLength));
  if (update.component_changes.size() > domain::kMaxComponentChanges) {
    return absl::InvalidArgumentError(StrCat(
        field, ".component_changes: at most ", domain::kMaxComponentChanges,
        " (got ", update.component_changes.size(), ")"));
  }
  std::vector<std::string> ids;
  for (size_t k = 0; k < update.component_changes.size(); ++k) {
    if (update.component_changes[k].status == ComponentStatus::kUnspecified) {
      return absl::InvalidArgumentError(
          StrCat(field, ".component_changes[", k, "].status: required"));
    }
    ids.push_back(update.component_changes[k].component_id);
  }
  RETURN_IF_ERROR(NoDuplicates(StrCat(field, ".component_changes"), ids));
  return absl::OkStatus();
}

// Reads and locks the components an incident lists; NOT_FOUND naming the
// first that does not exist. Locking them serialises with DeleteComponent.
absl::Status LockComponents(Transaction& tx, const std::string& page_id,
                            std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());  // one lock order, no deadlocks
  for (const std::string& id : ids) {
    absl::Status s =
        tx.components().Get(page_id, id, Lock::kForUpdate).status();
    if (absl::IsNotFound(s)) {
      return absl::NotFoundError(
          StrCat("component ", ComponentName(page_id, id), " does not exist"));
    }
    RETURN_IF_ERROR(s);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<IncidentUpdate>> ReadTimeline(
    Transaction& tx, const std::string& page_id,
    const std::string& incident_id) {
  std::vector<IncidentUpdate> all;
  std::optional<IncidentRepository::UpdateCursor> after;
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<IncidentUpdate> batch,
                     tx.incidents().ListUpdates(page_id, incident_id, after,
                                                kTimelineBatch));
    const bool last = static_cast<int>(batch.size()) < kTimelineBatch;
    for (IncidentUpdate& u : batch) all.push_back(std::move(u));
    if (last) break;
    after = IncidentRepository::UpdateCursor{all.back().display_time,
                                             all.back().seq};
  }
  return all;
}

// The event a post's status change makes, if any: an incident closing or
// reopening, a maintenance starting, completing or being cancelled.
// `before` is unspecified for a new incident.
std::optional<EventType> TransitionEventType(IncidentKind kind,
                                             IncidentStatus before,
                                             IncidentStatus after) {
  if (after == before) return std::nullopt;
  if (kind == IncidentKind::kIncident) {
    const bool was_open =
        before == IncidentStatus::kUnspecified || domain::IsOpen(before);
    if (was_open && !domain::IsOpen(after)) return EventType::kIncidentResolved;
    if (!was_open && domain::IsOpen(after)) return EventType::kIncidentReopened;
    return std::nullopt;
  }
  switch (after) {
    case IncidentStatus::kInProgress:
    case IncidentStatus::kVerifying:
      // IN_PROGRESS -> VERIFYING is a step within the running maintenance.
      if (before == IncidentStatus::kUnspecified ||
          before == IncidentStatus::kScheduled) {
        return EventType::kMaintenanceStarted;
      }
      return std::nullopt;
    case IncidentStatus::kCompleted:
      return EventType::kMaintenanceCompleted;
    case IncidentStatus::kCancelled:
      return EventType::kMaintenanceCancelled;
    default:
      return std::nullopt;
  }
}

// After an edit of `edited`, whose display time was `old_display_time`:
// the incident's start and resolve times follow its timeline. Writes the
// incident and returns it when they moved; nullopt when nothing moved.
absl::StatusOr<std::optional<Incident>> RetimeIncident(
    Transaction& tx, const Incident& incident, const IncidentUpdate& edited,
    absl::Time old_display_time, absl::Time now) {
  if (edited.display_time == old_display_time) return std::nullopt;
  ASSIGN_OR_RETURN(std::vector<IncidentUpdate> timeline,
                   ReadTimeline(tx, incident.page_id, incident.id));
  std::sort(timeline.begin(), timeline.end(),
            [](const IncidentUpdate& a, const IncidentUpdate& b) {
              return a.seq < b.seq;  // posting order
            });
  Incident changed = incident;
  if (incident.kind == IncidentKind::kIncident && !timeline.empty()) {
    absl::Time first = timeline.front().display_time;
    for (const IncidentUpdate& u : timeline)
      first = std::min(first, u.display_time);
    changed.start_time = first;
  }
  if (!domain::IsOpen(incident.status)) {
    // The update that last closed it.
    IncidentStatus before = IncidentStatus::kUnspecified;
    for (const IncidentUpdate& u : timeline) {
      const bool was_open =
          before == IncidentStatus::kUnspecified || domain::IsOpen(before);
      if (was_open && !domain::IsOpen(u.resulting_status)) {
        changed.resolve_time = u.display_time;
      }
      before = u.resulting_status;
    }
  }
  if (changed.start_time == incident.start_time &&
      changed.resolve_time == incident.resolve_time) {
    return std::nullopt;
  }
  changed.update_time = now;
  ++changed.version;
  RETURN_IF_ERROR(tx.incidents().Update(changed));
  return std::optional<Incident>(std::move(changed));
}

std::string StatusReasonFor(const Incident& incident) {
  return StrCat(incident.kind == IncidentKind::kMaintenance ? "Maintenance: "
                                                            : "Incident: ",
                incident.title);
}

// The canonical query string of a list, every filter included, so that a
// token issued for one query is refused for another.
std::string IncidentListQuery(const std::string& page_id, IncidentKind kind,
                              int state, const std::string& component_id,
                              const std::optional<absl::Time>& from,
                              const std::optional<absl::Time>& to) {
  auto time = [](const std::optional<absl::Time>& t) {
    return t ? CursorTime(*t) : std::string("-");
  };
  return StrCat("incidents|", page_id, "|kind=", static_cast<int>(kind),
                "|state=", state, "|component=", component_id,
                "|from=", time(from), "|to=", time(to));
}

}  // namespace

// --- The one path of a post -----------------------------------------------

absl::StatusOr<IncidentLogic::PostPlan> IncidentLogic::PlanPost(
    Transaction& tx, const Incident& incident, IncidentUpdate update,
    absl::Time now) const {
  const IncidentStatus before = incident.status;
  RETURN_IF_ERROR(domain::CheckTransition(incident.kind, before, update.status,
                                          update.reopen));
  const IncidentStatus after = domain::ResultingStatus(before, update.status);

  PostPlan plan;
  plan.incident = incident;
  Incident& inc = plan.incident;

  if (update.display_time_zone.empty()) {
    ASSIGN_OR_RETURN(Page page, tx.pages().Get(inc.page_id, Lock::kNone));
    update.display_time_zone = page.time_zone;
  }

  // A component whose status a post sets is affected by the incident.
  absl::flat_hash_set<std::string> explicit_ids;
  for (const ComponentChange& change : update.component_changes) {
    explicit_ids.insert(change.component_id);
    if (std::find(inc.component_ids.begin(), inc.component_ids.end(),
                  change.component_id) == inc.component_ids.end()) {
      inc.component_ids.push_back(change.component_id);
    }
  }
  if (inc.component_ids.size() > domain::kMaxComponentsPerIncident) {
    return absl::InvalidArgumentError(
        StrCat("update.component_changes: the incident would affect more than ",
               domain::kMaxComponentsPerIncident, " components"));
  }

  // In the order the rules give, which is the order the timeline records.
  const std::vector<ComponentChange> changes =
      domain::EffectiveComponentChanges(inc, before, after,
                                        update.component_changes);
  std::vector<const ComponentChange*> by_id;
  for (const ComponentChange& change : changes) by_id.push_back(&change);
  std::sort(by_id.begin(), by_id.end(),
            [](const ComponentChange* a, const ComponentChange* b) {
              return a->component_id < b->component_id;  // one lock order
            });
  const std::string reason = StatusReasonFor(inc);
  absl::flat_hash_set<std::string> gone;
  for (const ComponentChange* change : by_id) {
    absl::StatusOr<Component> component = tx.components().Get(
        inc.page_id, change->component_id, Lock::kForUpdate);
    if (absl::IsNotFound(component.status())) {
      // A component the post names must exist; one it only implies (an
      // affected component since deleted) is passed over, or a reopened
      // incident could never be resolved again.
      if (explicit_ids.contains(change->component_id)) {
        return absl::NotFoundError(StrCat(
            "component ", ComponentName(inc.page_id, change->component_id),
            " does not exist"));
      }
      gone.insert(change->component_id);
      continue;
    }
    RETURN_IF_ERROR(component.status());
    if (component->status == change->status &&
        component->status_reason == reason) {
      continue;
    }
    component->status = change->status;
    component->status_reason = reason;
    component->status_change_time = now;
    component->update_time = now;
    ++component->version;
    plan.components.push_back(*std::move(component));
  }
  update.component_changes.clear();
  for (const ComponentChange& change : changes) {
    if (!gone.contains(change.component_id)) {
      update.component_changes.push_back(change);
    }
  }

  inc.status = after;
  inc.derived_impact =
      domain::DeriveImpact(inc.derived_impact, update.component_changes);
  const bool was_open =
      before == IncidentStatus::kUnspecified || domain::IsOpen(before);
  const bool is_open = domain::IsOpen(after);
  if (was_open && !is_open) inc.resolve_time = update.display_time;
  if (!was_open && is_open) inc.resolve_time.reset();
  if (inc.kind == IncidentKind::kMaintenance) {
    // The scheduled start, unless the maintenance was started earlier.
    if (!inc.start_time) inc.start_time = inc.scheduled_start_time;
    const bool starts = before == IncidentStatus::kScheduled &&
                        (after == IncidentStatus::kInProgress ||
                         after == IncidentStatus::kVerifying ||
                         after == IncidentStatus::kCompleted);
    if (starts && (!inc.start_time || update.display_time < *inc.start_time)) {
      inc.start_time = update.display_time;
    }
  } else if (!inc.start_time || update.display_time < *inc.start_time) {
    // The first update in display order: backfilled posts may come later.
    inc.start_time = update.display_time;
  }
  inc.update_time = now;
  ++inc.version;
  plan.previous_status = before;
  plan.incident_changed =
      domain::EffectiveImpact(inc) != domain::EffectiveImpact(incident) ||
      inc.component_ids != incident.component_ids ||
      inc.start_time != incident.start_time;

  update.page_id = inc.page_id;
  update.incident_id = inc.id;
  if (update.id.empty()) update.id = NewResourceId();
  update.resulting_status = after;
  update.create_time = now;
  update.update_time = now;
  update.version = 1;
  update.previous_versions.clear();
  plan.update = std::move(update);
  return plan;
}

absl::Status IncidentLogic::CommitPost(Transaction& tx, PostPlan& plan,
                                       std::vector<Event>& events) const {
  const Incident& inc = plan.incident;
  const bool is_new = inc.version == 1;
  if (is_new) {
    RETURN_IF_ERROR(tx.incidents().Insert(inc));
  } else {
    RETURN_IF_ERROR(tx.incidents().Update(inc));
  }
  for (const Component& c : plan.components) {
    RETURN_IF_ERROR(tx.components().Update(c));
  }
  ASSIGN_OR_RETURN(plan.update.seq, tx.incidents().InsertUpdate(plan.update));

  const EventOrigin origin{plan.update.create_time, plan.update.author};
  if (is_new) {
    events.push_back(MakeIncidentEvent(inc.kind == IncidentKind::kMaintenance
                                           ? EventType::kMaintenanceScheduled
                                           : EventType::kIncidentCreated,
                                       origin, inc));
  }
  const std::optional<EventType> transition =
      TransitionEventType(inc.kind, plan.previous_status, inc.status);
  if (transition.has_value()) {
    events.push_back(MakeIncidentEvent(*transition, origin, inc));
  } else if (!is_new && plan.incident_changed) {
    events.push_back(
        MakeIncidentEvent(EventType::kIncidentUpdated, origin, inc));
  }
  // The post carries the change's notification, so that it has the text.
  Event posted = MakeIncidentUpdateEvent(EventType::kIncidentUpdatePosted,
                                         origin, inc, plan.update);
  if (domain::PostNotifies(is_new, transition.has_value(),
                           plan.update.notify)) {
    MarkNotifying(posted);
  }
  events.push_back(std::move(posted));
  for (const ComponentChange& change : plan.update.component_changes) {
    for (const Component& c : plan.components) {
      if (c.id != change.component_id) continue;
      events.push_back(MakeComponentEvent(EventType::kComponentStatusChanged,
                                          origin, c, inc.id));
    }
  }
  return absl::OkStatus();
}

// --- RPCs ------------------------------------------------------------------

absl::StatusOr<v1::Incident> IncidentLogic::CreateIncident(
    const v1::CreateIncidentRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string page_id,
                   ParsePageName("parent", request.parent()));
  ASSIGN_OR_RETURN(std::string id,
                   ChosenId("incident_id", request.incident_id()));
  RETURN_IF_ERROR(
      domain::ValidateRequestId("request_id", request.request_id()));

  v1::Incident incident_in = request.incident();
  incident_in.clear_name();  // output only
  incident_in.clear_etag();
  ASSIGN_OR_RETURN(Incident incident,
                   FromProto(incident_in, page_id, "incident"));
  RETURN_IF_ERROR(ValidateTitle("incident.title", incident.title));
  RETURN_IF_ERROR(
      ValidateComponents("incident.components", incident.component_ids));
  if (incident.kind == IncidentKind::kUnspecified) {
    incident.kind = IncidentKind::kIncident;
  }
  RETURN_IF_ERROR(ValidateTimes(incident));
  // Output-only state starts afresh.
  incident.id = id;
  incident.status = IncidentStatus::kUnspecified;
  incident.derived_impact = Impact::kNone;
  incident.start_time.reset();
  incident.resolve_time.reset();
  incident.version = 0;

  v1::IncidentUpdate update_in = request.first_update();
  update_in.clear_name();
  update_in.clear_etag();
  ASSIGN_OR_RETURN(IncidentUpdate first,
                   FromProto(update_in, page_id, id, "first_update"));
  RETURN_IF_ERROR(ValidateUpdateInput("first_update", first));
  if (first.status == IncidentStatus::kUnspecified) {
    first.status = domain::DefaultFirstStatus(incident.kind);
  }
  first.reopen = false;
  const bool has_display_time = update_in.has_display_time();

  const RequestKey key =
      MakeRequestKey(page_id, "CreateIncident", request.request_id(), request);
  Incident result;
  RETURN_IF_ERROR(ReadWriteIdempotentRecorded(
      store_, notifier_, deadline, key,
      [&](Transaction& tx, const std::string& previous) -> absl::Status {
        ASSIGN_OR_RETURN(PageChildName name,
                         ParseIncidentName("request_id", previous));
        ASSIGN_OR_RETURN(
            result, tx.incidents().Get(name.page_id, name.id, Lock::kNone));
        return absl::OkStatus();
      },
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        RETURN_IF_ERROR(tx.pages().Get(page_id, Lock::kNone).status());
        RETURN_IF_ERROR(LockComponents(tx, page_id, incident.component_ids));
        const absl::Time now = Now();
        Incident fresh = incident;
        fresh.create_time = now;
        fresh.update_time = now;
        IncidentUpdate update = first;
        if (!has_display_time) update.display_time = now;
        ASSIGN_OR_RETURN(PostPlan plan, PlanPost(tx, fresh, update, now));
        RETURN_IF_ERROR(CommitPost(tx, plan, events));
        result = plan.incident;
        return RememberRequest(tx, key, IncidentName(page_id, id), now);
      }));
  return ToProto(result);
}

std::optional<absl::StatusOr<SerializedAnswer>> IncidentLogic::CachedIncident(
    const v1::GetIncidentRequest& request) {
  absl::StatusOr<PageChildName> name =
      ParseIncidentName("name", request.name());
  if (!name.ok()) return name.status();
  if (cache_ == nullptr) return std::nullopt;
  std::shared_ptr<const CachedIncidentView> hit =
      cache_->Find<CachedIncidentView>(name->page_id,
                                       IncidentCacheKey(name->id));
  if (hit == nullptr) return std::nullopt;
  v1::Incident fresh;
  *fresh.mutable_durations() =
      ToProto(domain::ComputeDurations(hit->incident, hit->timeline, Now()));
  return SerializedAnswer{hit->bytes, fresh.SerializeAsString()};
}

absl::StatusOr<v1::Incident> IncidentLogic::GetIncident(
    const v1::GetIncidentRequest& request, absl::Time deadline) {
  if (auto cached = CachedIncident(request)) {
    return ParseAnswer<v1::Incident>(*cached);
  }
  ASSIGN_OR_RETURN(PageChildName name,
                   ParseIncidentName("name", request.name()));
  ReadCache::Fill fill;
  if (cache_ != nullptr) fill = cache_->BeginFill(name.page_id);
  int64_t seq = 0;
  auto view = std::make_shared<CachedIncidentView>();
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(seq, ReadPageSequence(tx, name.page_id));
        ASSIGN_OR_RETURN(view->incident, tx.incidents().Get(
                                             name.page_id, name.id, Lock::kNone));
        ASSIGN_OR_RETURN(view->timeline,
                         ReadTimeline(tx, name.page_id, name.id));
        return absl::OkStatus();
      }));
  v1::Incident out = ToProto(view->incident);
  for (const IncidentUpdate& u : view->timeline) {
    *out.add_updates() = ToProto(u);
  }
  if (cache_ != nullptr) {
    view->bytes = std::make_shared<const std::string>(out.SerializeAsString());
  }
  *out.mutable_durations() = ToProto(
      domain::ComputeDurations(view->incident, view->timeline, Now()));
  if (cache_ != nullptr) {
    cache_->Insert(fill, IncidentCacheKey(name.id), seq, std::move(view));
  }
  return out;
}

absl::StatusOr<v1::ListIncidentsResponse> IncidentLogic::ListIncidents(
    const v1::ListIncidentsRequest& request, absl::Time deadline) {
  IncidentQuery query;
  ASSIGN_OR_RETURN(query.page_id, ParsePageName("parent", request.parent()));
  ASSIGN_OR_RETURN(query.kind, KindFromProto("kind", request.kind()));
  switch (request.state()) {
    case v1::ListIncidentsRequest::STATE_FILTER_UNSPECIFIED:
      query.state = IncidentQuery::State::kAny;
      break;
    case v1::ListIncidentsRequest::OPEN:
      query.state = IncidentQuery::State::kOpen;
      break;
    case v1::ListIncidentsRequest::CLOSED:
      query.state = IncidentQuery::State::kClosed;
      break;
    default:
      return absl::InvalidArgumentError(
          StrCat("state: unknown value ", request.state()));
  }
  if (!request.component().empty()) {
    ASSIGN_OR_RETURN(query.component_id,
                     ParseComponentNameOnPage("component", request.component(),
                                              query.page_id));
  }
  if (request.has_start_time_from()) {
    ASSIGN_OR_RETURN(
        query.start_time_from,
        FromProtoTime("start_time_from", request.start_time_from()));
  }
  if (request.has_start_time_to()) {
    ASSIGN_OR_RETURN(query.start_time_to,
                     FromProtoTime("start_time_to", request.start_time_to()));
  }
  const std::string query_string = IncidentListQuery(
      query.page_id, query.kind, request.state(), query.component_id,
      query.start_time_from, query.start_time_to);
  ASSIGN_OR_RETURN(ListPage list,
                   StartList(request.page_size(), request.page_token(),
                             query_string, 20, 200, 2));
  if (!list.cursor.empty()) {
    ASSIGN_OR_RETURN(absl::Time start, ParseCursorTime(list.cursor[0]));
    query.after = IncidentQuery::Cursor{start, list.cursor[1]};
  }
  query.limit = list.size + 1;

  std::vector<Incident> incidents;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(tx.pages().Get(query.page_id, Lock::kNone).status());
        if (!query.component_id.empty()) {
          RETURN_IF_ERROR(
              tx.components()
                  .Get(query.page_id, query.component_id, Lock::kNone)
                  .status());
        }
        ASSIGN_OR_RETURN(incidents, tx.incidents().List(query));
        return absl::OkStatus();
      }));
  v1::ListIncidentsResponse response;
  response.set_next_page_token(
      FinishList(incidents, list.size, query_string, [](const Incident& i) {
        // Storage orders incidents without a start time by creation.
        return std::vector<std::string>{
            CursorTime(i.start_time.value_or(i.create_time)), i.id};
      }));
  for (const Incident& i : incidents) *response.add_incidents() = ToProto(i);
  return response;
}

absl::StatusOr<v1::Incident> IncidentLogic::UpdateIncident(
    const v1::UpdateIncidentRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(
      PageChildName name,
      ParseIncidentName("incident.name", request.incident().name()));
  ASSIGN_OR_RETURN(
      UpdateMask mask,
      ResolveUpdateMask(
          request.update_mask(), *v1::Incident::descriptor(),
          {"title", "impact_override", "components", "impact_start_time",
           "impact_end_time", "scheduled_start_time", "scheduled_end_time",
           "manual_transitions"}));
  ASSIGN_OR_RETURN(Incident input,
                   FromProto(request.incident(), name.page_id, "incident"));
  if (mask.Has("title")) {
    RETURN_IF_ERROR(ValidateTitle("incident.title", input.title));
  }
  if (mask.Has("components")) {
    RETURN_IF_ERROR(
        ValidateComponents("incident.components", input.component_ids));
  }

  Incident incident;
  RETURN_IF_ERROR(ReadWriteRecorded(
      store_, notifier_, deadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        ASSIGN_OR_RETURN(incident, tx.incidents().Get(name.page_id, name.id,
                                                      Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("incident.etag", request.incident().etag(),
                                  incident.version));
        if (mask.Has("title")) incident.title = input.title;
        if (mask.Has("impact_override")) {
          incident.impact_override = input.impact_override;
        }
        if (mask.Has("components")) {
          RETURN_IF_ERROR(
              LockComponents(tx, name.page_id, input.component_ids));
          incident.component_ids = input.component_ids;
        }
        if (mask.Has("impact_start_time")) {
          incident.impact_start_time = input.impact_start_time;
        }
        if (mask.Has("impact_end_time")) {
          incident.impact_end_time = input.impact_end_time;
        }
        if (mask.Has("scheduled_start_time")) {
          incident.scheduled_start_time = input.scheduled_start_time;
          // Not started yet: the maintenance starts when it is scheduled to.
          if (incident.kind == IncidentKind::kMaintenance &&
              incident.status == IncidentStatus::kScheduled) {
            incident.start_time = incident.scheduled_start_time;
          }
        }
        if (mask.Has("scheduled_end_time")) {
          incident.scheduled_end_time = input.scheduled_end_time;
        }
        if (mask.Has("manual_transitions")) {
          incident.manual_transitions = input.manual_transitions;
        }
        RETURN_IF_ERROR(ValidateTimes(incident));
        const absl::Time now = Now();
        incident.update_time = now;
        ++incident.version;
        RETURN_IF_ERROR(tx.incidents().Update(incident));
        events.push_back(MakeIncidentEvent(EventType::kIncidentUpdated,
                                           EventOrigin{now, ""}, incident));
        return absl::OkStatus();
      }));
  return ToProto(incident);
}

absl::StatusOr<v1::IncidentUpdate> IncidentLogic::PostIncidentUpdate(
    const v1::PostIncidentUpdateRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName parent,
                   ParseIncidentName("parent", request.parent()));
  RETURN_IF_ERROR(
      domain::ValidateRequestId("request_id", request.request_id()));
  v1::IncidentUpdate update_in = request.update();
  update_in.clear_name();  // output only
  update_in.clear_etag();
  ASSIGN_OR_RETURN(IncidentUpdate update,
                   FromProto(update_in, parent.page_id, parent.id, "update"));
  RETURN_IF_ERROR(ValidateUpdateInput("update", update));
  update.reopen = request.reopen();
  const bool has_display_time = update_in.has_display_time();

  const RequestKey key = MakeRequestKey(parent.page_id, "PostIncidentUpdate",
                                        request.request_id(), request);
  IncidentUpdate result;
  RETURN_IF_ERROR(ReadWriteIdempotentRecorded(
      store_, notifier_, deadline, key,
      [&](Transaction& tx, const std::string& previous) -> absl::Status {
        ASSIGN_OR_RETURN(IncidentChildName name,
                         ParseUpdateName("request_id", previous));
        ASSIGN_OR_RETURN(
            result, tx.incidents().GetUpdate(name.page_id, name.incident_id,
                                             name.id, Lock::kNone));
        return absl::OkStatus();
      },
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        ASSIGN_OR_RETURN(
            Incident incident,
            tx.incidents().Get(parent.page_id, parent.id, Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("etag", request.etag(), incident.version));
        const absl::Time now = Now();
        IncidentUpdate post = update;
        if (!has_display_time) post.display_time = now;
        ASSIGN_OR_RETURN(PostPlan plan, PlanPost(tx, incident, post, now));
        RETURN_IF_ERROR(CommitPost(tx, plan, events));
        result = plan.update;
        return RememberRequest(
            tx, key, UpdateName(parent.page_id, parent.id, result.id), now);
      }));
  return ToProto(result);
}

absl::StatusOr<v1::IncidentUpdate> IncidentLogic::EditIncidentUpdate(
    const v1::EditIncidentUpdateRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(IncidentChildName name,
                   ParseUpdateName("update.name", request.update().name()));
  ASSIGN_OR_RETURN(UpdateMask mask,
                   ResolveUpdateMask(
                       request.update_mask(), *v1::IncidentUpdate::descriptor(),
                       {"body", "display_time", "display_time_zone"}));
  ASSIGN_OR_RETURN(
      IncidentUpdate input,
      FromProto(request.update(), name.page_id, name.incident_id, "update"));
  if (mask.Has("body")) {
    RETURN_IF_ERROR(domain::ValidateText("update.body", input.body, 1,
                                         domain::kMaxBodyBytes));
  }
  if (mask.Has("display_time") && !request.update().has_display_time()) {
    return absl::InvalidArgumentError("update.display_time: required");
  }
  if (mask.Has("display_time_zone")) {
    RETURN_IF_ERROR(domain::ValidateTimeZone("update.display_time_zone",
                                             input.display_time_zone));
  }
  RETURN_IF_ERROR(domain::ValidateLine("editor", request.editor(), 0,
                                       domain::kMaxAuthorLength));

  IncidentUpdate update;
  RETURN_IF_ERROR(ReadWriteRecorded(
      store_, notifier_, deadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        // The incident first, as every post does: one lock order.
        ASSIGN_OR_RETURN(Incident incident,
                         tx.incidents().Get(name.page_id, name.incident_id,
                                            Lock::kForUpdate));
        ASSIGN_OR_RETURN(
            update, tx.incidents().GetUpdate(name.page_id, name.incident_id,
                                             name.id, Lock::kForUpdate));
        RETURN_IF_ERROR(
            CheckEtag("update.etag", request.update().etag(), update.version));
        const absl::Time now = Now();
        update.previous_versions.push_back(IncidentUpdateRevision{
            update.body, update.display_time, update.display_time_zone, now,
            request.editor()});
        const absl::Time old_display_time = update.display_time;
        if (mask.Has("body")) update.body = input.body;
        if (mask.Has("display_time")) update.display_time = input.display_time;
        if (mask.Has("display_time_zone")) {
          update.display_time_zone = input.display_time_zone;
          if (update.display_time_zone.empty()) {
            ASSIGN_OR_RETURN(Page page,
                             tx.pages().Get(name.page_id, Lock::kNone));
            update.display_time_zone = page.time_zone;
          }
        }
        update.update_time = now;
        ++update.version;
        RETURN_IF_ERROR(tx.incidents().EditUpdate(update));
        // The incident's own event (when its times moved), then the edit's,
        // as for a post.
        const EventOrigin origin{now, request.editor()};
        ASSIGN_OR_RETURN(
            std::optional<Incident> moved,
            RetimeIncident(tx, incident, update, old_display_time, now));
        if (moved.has_value()) {
          events.push_back(
              MakeIncidentEvent(EventType::kIncidentUpdated, origin, *moved));
        }
        events.push_back(
            MakeIncidentUpdateEvent(EventType::kIncidentUpdateEdited, origin,
                                    moved.value_or(incident), update));
        return absl::OkStatus();
      }));
  return ToProto(update);
}

absl::StatusOr<v1::ListIncidentUpdatesResponse>
IncidentLogic::ListIncidentUpdates(
    const v1::ListIncidentUpdatesRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName parent,
                   ParseIncidentName("parent", request.parent()));
  const std::string query =
      StrCat("updates|", IncidentName(parent.page_id, parent.id));
  ASSIGN_OR_RETURN(
      ListPage list,
      StartList(request.page_size(), request.page_token(), query, 100, 500, 2));
  std::optional<IncidentRepository::UpdateCursor> after;
  if (!list.cursor.empty()) {
    ASSIGN_OR_RETURN(absl::Time display_time, ParseCursorTime(list.cursor[0]));
    ASSIGN_OR_RETURN(int64_t seq, ParseCursorInt(list.cursor[1]));
    after = IncidentRepository::UpdateCursor{display_time, seq};
  }
  std::vector<IncidentUpdate> updates;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(tx.incidents()
                            .Get(parent.page_id, parent.id, Lock::kNone)
                            .status());
        ASSIGN_OR_RETURN(updates,
                         tx.incidents().ListUpdates(parent.page_id, parent.id,
                                                    after, list.size + 1));
        return absl::OkStatus();
      }));
  v1::ListIncidentUpdatesResponse response;
  response.set_next_page_token(
      FinishList(updates, list.size, query, [](const IncidentUpdate& u) {
        return std::vector<std::string>{CursorTime(u.display_time),
                                        CursorInt(u.seq)};
      }));
  for (const IncidentUpdate& u : updates) *response.add_updates() = ToProto(u);
  return response;
}

}  // namespace incidentd
