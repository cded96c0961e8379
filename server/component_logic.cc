#include "server/component_logic.h"

#include <optional>
#include <string>
#include <vector>

#include "server/converters.h"
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

using storage::ComponentCursor;
using storage::Lock;
using storage::Transaction;

absl::Status ValidateNameAndDescription(std::string_view field,
                                        const std::string& display_name,
                                        const std::string& description,
                                        bool check_name,
                                        bool check_description) {
  if (check_name) {
    RETURN_IF_ERROR(domain::ValidateLine(StrCat(field, ".display_name"),
                                         display_name, 1,
                                         domain::kMaxDisplayNameLength));
  }
  if (check_description) {
    RETURN_IF_ERROR(domain::ValidateText(StrCat(field, ".description"),
                                         description, 0,
                                         domain::kMaxDescriptionLength));
  }
  return absl::OkStatus();
}

// The id to create a resource with: the caller's, validated, or a new one.
absl::StatusOr<std::string> ChosenId(std::string_view field,
                                     const std::string& requested) {
  if (requested.empty()) return NewResourceId();
  RETURN_IF_ERROR(domain::ValidateId(field, requested));
  return requested;
}

absl::Status GroupExists(Transaction& tx, const std::string& page_id,
                         const std::string& group_id) {
  if (group_id.empty()) return absl::OkStatus();
  absl::Status s =
      tx.components().GetGroup(page_id, group_id, Lock::kNone).status();
  if (absl::IsNotFound(s)) {
    return absl::NotFoundError(StrCat(
        "component group ", GroupName(page_id, group_id), " does not exist"));
  }
  return s;
}

}  // namespace

// --- Components ------------------------------------------------------------

absl::StatusOr<v1::Component> ComponentLogic::CreateComponent(
    const v1::CreateComponentRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string page_id,
                   ParsePageName("parent", request.parent()));
  ASSIGN_OR_RETURN(std::string id,
                   ChosenId("component_id", request.component_id()));
  RETURN_IF_ERROR(
      domain::ValidateRequestId("request_id", request.request_id()));
  v1::Component input = request.component();
  input.clear_name();
  input.clear_etag();
  ASSIGN_OR_RETURN(Component component, FromProto(input, page_id, "component"));
  RETURN_IF_ERROR(ValidateNameAndDescription(
      "component", component.display_name, component.description, true, true));

  const RequestKey key =
      MakeRequestKey(page_id, "CreateComponent", request.request_id(), request);
  Component result;
  RETURN_IF_ERROR(ReadWriteIdempotentRecorded(
      store_, notifier_, deadline, key,
      [&](Transaction& tx, const std::string& previous) -> absl::Status {
        ASSIGN_OR_RETURN(PageChildName name,
                         ParseComponentName("request_id", previous));
        ASSIGN_OR_RETURN(
            result, tx.components().Get(name.page_id, name.id, Lock::kNone));
        return absl::OkStatus();
      },
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        RETURN_IF_ERROR(tx.pages().Get(page_id, Lock::kNone).status());
        RETURN_IF_ERROR(GroupExists(tx, page_id, component.group_id));
        const absl::Time now = Now();
        result = component;
        result.id = id;
        result.status = ComponentStatus::kOperational;
        result.status_reason.clear();
        result.status_change_time = now;
        result.create_time = now;
        result.update_time = now;
        result.version = 1;
        RETURN_IF_ERROR(tx.components().Insert(result));
        RETURN_IF_ERROR(
            RememberRequest(tx, key, ComponentName(page_id, id), now));
        events.push_back(MakeComponentEvent(EventType::kComponentCreated,
                                            EventOrigin{now, ""}, result));
        return absl::OkStatus();
      }));
  return ToProto(result);
}

absl::StatusOr<v1::Component> ComponentLogic::GetComponent(
    const v1::GetComponentRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name,
                   ParseComponentName("name", request.name()));
  Component component;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            component, tx.components().Get(name.page_id, name.id, Lock::kNone));
        return absl::OkStatus();
      }));
  return ToProto(component);
}

absl::StatusOr<v1::ListComponentsResponse> ComponentLogic::ListComponents(
    const v1::ListComponentsRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string page_id,
                   ParsePageName("parent", request.parent()));
  std::string group_id;
  if (!request.group().empty()) {
    ASSIGN_OR_RETURN(group_id,
                     ParseGroupNameOnPage("group", request.group(), page_id));
  }
  const std::string query = StrCat("components|", page_id, "|group=", group_id);
  ASSIGN_OR_RETURN(ListPage list,
                   StartList(request.page_size(), request.page_token(), query,
                             100, 1000, 2));
  std::optional<ComponentCursor> after;
  if (!list.cursor.empty()) {
    ASSIGN_OR_RETURN(int64_t position, ParseCursorInt(list.cursor[0]));
    after = ComponentCursor{static_cast<int32_t>(position), list.cursor[1]};
  }
  std::vector<Component> components;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(tx.pages().Get(page_id, Lock::kNone).status());
        RETURN_IF_ERROR(GroupExists(tx, page_id, group_id));
        ASSIGN_OR_RETURN(
            components,
            tx.components().List(page_id, group_id, after, list.size + 1));
        return absl::OkStatus();
      }));
  v1::ListComponentsResponse response;
  response.set_next_page_token(
      FinishList(components, list.size, query, [](const Component& c) {
        return std::vector<std::string>{CursorInt(c.position), c.id};
      }));
  for (const Component& c : components) *response.add_components() = ToProto(c);
  return response;
}

absl::StatusOr<v1::Component> ComponentLogic::UpdateComponent(
    const v1::UpdateComponentRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(
      PageChildName name,
      ParseComponentName("component.name", request.component().name()));
  ASSIGN_OR_RETURN(
      UpdateMask mask,
      ResolveUpdateMask(request.update_mask(), *v1::Component::descriptor(),
                        {"display_name", "description", "group", "position"}));
  ASSIGN_OR_RETURN(Component input,
                   FromProto(request.component(), name.page_id, "component"));
  RETURN_IF_ERROR(ValidateNameAndDescription(
      "component", input.display_name, input.description,
      mask.Has("display_name"), mask.Has("description")));

  Component component;
  RETURN_IF_ERROR(ReadWriteRecorded(
      store_, notifier_, deadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        ASSIGN_OR_RETURN(component, tx.components().Get(name.page_id, name.id,
                                                        Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("component.etag", request.component().etag(),
                                  component.version));
        if (mask.Has("display_name"))
          component.display_name = input.display_name;
        if (mask.Has("description")) component.description = input.description;
        if (mask.Has("group")) {
          RETURN_IF_ERROR(GroupExists(tx, name.page_id, input.group_id));
          component.group_id = input.group_id;
        }
        if (mask.Has("position")) component.position = input.position;
        const absl::Time now = Now();
        component.update_time = now;
        ++component.version;
        RETURN_IF_ERROR(tx.components().Update(component));
        events.push_back(MakeComponentEvent(EventType::kComponentUpdated,
                                            EventOrigin{now, ""}, component));
        return absl::OkStatus();
      }));
  return ToProto(component);
}

absl::StatusOr<google::protobuf::Empty> ComponentLogic::DeleteComponent(
    const v1::DeleteComponentRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name,
                   ParseComponentName("name", request.name()));
  RETURN_IF_ERROR(ReadWriteRecorded(
      store_, notifier_, deadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        ASSIGN_OR_RETURN(
            Component component,
            tx.components().Get(name.page_id, name.id, Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("etag", request.etag(), component.version));
        ASSIGN_OR_RETURN(
            bool in_open_incident,
            tx.incidents().IsComponentInOpenIncident(name.page_id, name.id));
        if (in_open_incident) {
          return absl::FailedPreconditionError(
              "an open incident or maintenance still affects this component; "
              "resolve it or remove the component from it first");
        }
        RETURN_IF_ERROR(tx.components().Delete(name.page_id, name.id));
        events.push_back(MakeComponentDeletedEvent(EventOrigin{Now(), ""},
                                                   name.page_id, name.id));
        return absl::OkStatus();
      }));
  return google::protobuf::Empty();
}

absl::StatusOr<v1::Component> ComponentLogic::SetComponentStatus(
    const v1::SetComponentStatusRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name,
                   ParseComponentName("name", request.name()));
  ASSIGN_OR_RETURN(ComponentStatus status,
                   ComponentStatusFromProto("status", request.status()));
  if (status == ComponentStatus::kUnspecified) {
    return absl::InvalidArgumentError("status: required");
  }
  RETURN_IF_ERROR(domain::ValidateLine("reason", request.reason(), 1,
                                       domain::kMaxReasonLength));
  Component component;
  RETURN_IF_ERROR(ReadWriteRecorded(
      store_, notifier_, deadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        ASSIGN_OR_RETURN(component, tx.components().Get(name.page_id, name.id,
                                                        Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("etag", request.etag(), component.version));
        const absl::Time now = Now();
        const bool changed = component.status != status;
        component.status = status;
        component.status_reason = request.reason();
        component.status_change_time = now;
        component.update_time = now;
        ++component.version;
        RETURN_IF_ERROR(tx.components().Update(component));
        Event event = MakeComponentEvent(EventType::kComponentStatusChanged,
                                         EventOrigin{now, ""}, component);
        // Subscribers of the component hear of a new status set by hand;
        // a new reason alone is not worth a message.
        if (changed) MarkNotifying(event);
        events.push_back(std::move(event));
        return absl::OkStatus();
      }));
  return ToProto(component);
}

// --- Groups ----------------------------------------------------------------

absl::StatusOr<v1::ComponentGroup> ComponentLogic::CreateComponentGroup(
    const v1::CreateComponentGroupRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string page_id,
                   ParsePageName("parent", request.parent()));
  ASSIGN_OR_RETURN(std::string id, ChosenId("group_id", request.group_id()));
  RETURN_IF_ERROR(
      domain::ValidateRequestId("request_id", request.request_id()));
  v1::ComponentGroup input = request.group();
  input.clear_name();
  input.clear_etag();
  ASSIGN_OR_RETURN(ComponentGroup group, FromProto(input, page_id, "group"));
  RETURN_IF_ERROR(ValidateNameAndDescription("group", group.display_name,
                                             group.description, true, true));

  const RequestKey key = MakeRequestKey(page_id, "CreateComponentGroup",
                                        request.request_id(), request);
  ComponentGroup result;
  RETURN_IF_ERROR(ReadWriteIdempotentRecorded(
      store_, notifier_, deadline, key,
      [&](Transaction& tx, const std::string& previous) -> absl::Status {
        ASSIGN_OR_RETURN(PageChildName name,
                         ParseGroupName("request_id", previous));
        ASSIGN_OR_RETURN(result, tx.components().GetGroup(name.page_id, name.id,
                                                          Lock::kNone));
        return absl::OkStatus();
      },
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        RETURN_IF_ERROR(tx.pages().Get(page_id, Lock::kNone).status());
        const absl::Time now = Now();
        result = group;
        result.id = id;
        result.create_time = now;
        result.update_time = now;
        result.version = 1;
        RETURN_IF_ERROR(tx.components().InsertGroup(result));
        RETURN_IF_ERROR(RememberRequest(tx, key, GroupName(page_id, id), now));
        events.push_back(MakeGroupEvent(EventType::kComponentGroupCreated,
                                        EventOrigin{now, ""}, result));
        return absl::OkStatus();
      }));
  return ToProto(result);
}

absl::StatusOr<v1::ComponentGroup> ComponentLogic::GetComponentGroup(
    const v1::GetComponentGroupRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name, ParseGroupName("name", request.name()));
  ComponentGroup group;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(group, tx.components().GetGroup(name.page_id, name.id,
                                                         Lock::kNone));
        return absl::OkStatus();
      }));
  return ToProto(group);
}

absl::StatusOr<v1::ListComponentGroupsResponse>
ComponentLogic::ListComponentGroups(
    const v1::ListComponentGroupsRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string page_id,
                   ParsePageName("parent", request.parent()));
  const std::string query = StrCat("componentGroups|", page_id);
  ASSIGN_OR_RETURN(ListPage list,
                   StartList(request.page_size(), request.page_token(), query,
                             100, 1000, 2));
  std::optional<ComponentCursor> after;
  if (!list.cursor.empty()) {
    ASSIGN_OR_RETURN(int64_t position, ParseCursorInt(list.cursor[0]));
    after = ComponentCursor{static_cast<int32_t>(position), list.cursor[1]};
  }
  std::vector<ComponentGroup> groups;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(tx.pages().Get(page_id, Lock::kNone).status());
        ASSIGN_OR_RETURN(
            groups, tx.components().ListGroups(page_id, after, list.size + 1));
        return absl::OkStatus();
      }));
  v1::ListComponentGroupsResponse response;
  response.set_next_page_token(
      FinishList(groups, list.size, query, [](const ComponentGroup& g) {
        return std::vector<std::string>{CursorInt(g.position), g.id};
      }));
  for (const ComponentGroup& g : groups) *response.add_groups() = ToProto(g);
  return response;
}

absl::StatusOr<v1::ComponentGroup> ComponentLogic::UpdateComponentGroup(
    const v1::UpdateComponentGroupRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name,
                   ParseGroupName("group.name", request.group().name()));
  ASSIGN_OR_RETURN(UpdateMask mask,
                   ResolveUpdateMask(
                       request.update_mask(), *v1::ComponentGroup::descriptor(),
                       {"display_name", "description", "position"}));
  ASSIGN_OR_RETURN(ComponentGroup input,
                   FromProto(request.group(), name.page_id, "group"));
  RETURN_IF_ERROR(ValidateNameAndDescription(
      "group", input.display_name, input.description, mask.Has("display_name"),
      mask.Has("description")));

  ComponentGroup group;
  RETURN_IF_ERROR(ReadWriteRecorded(
      store_, notifier_, deadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        ASSIGN_OR_RETURN(group, tx.components().GetGroup(name.page_id, name.id,
                                                         Lock::kForUpdate));
        RETURN_IF_ERROR(
            CheckEtag("group.etag", request.group().etag(), group.version));
        if (mask.Has("display_name")) group.display_name = input.display_name;
        if (mask.Has("description")) group.description = input.description;
        if (mask.Has("position")) group.position = input.position;
        const absl::Time now = Now();
        group.update_time = now;
        ++group.version;
        RETURN_IF_ERROR(tx.components().UpdateGroup(group));
        events.push_back(MakeGroupEvent(EventType::kComponentGroupUpdated,
                                        EventOrigin{now, ""}, group));
        return absl::OkStatus();
      }));
  return ToProto(group);
}

absl::StatusOr<google::protobuf::Empty> ComponentLogic::DeleteComponentGroup(
    const v1::DeleteComponentGroupRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name, ParseGroupName("name", request.name()));
  RETURN_IF_ERROR(ReadWriteRecorded(
      store_, notifier_, deadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        ASSIGN_OR_RETURN(
            ComponentGroup group,
            tx.components().GetGroup(name.page_id, name.id, Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("etag", request.etag(), group.version));
        RETURN_IF_ERROR(tx.components().DeleteGroup(name.page_id, name.id));
        events.push_back(MakeGroupDeletedEvent(EventOrigin{Now(), ""},
                                               name.page_id, name.id));
        return absl::OkStatus();
      }));
  return google::protobuf::Empty();
}

}  // namespace incidentd
