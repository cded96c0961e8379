#include "server/postmortem_logic.h"

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

using storage::Lock;
using storage::Transaction;

absl::Status ValidateContent(const Postmortem& p) {
  if (p.sections.size() > domain::kMaxSections) {
    return absl::InvalidArgumentError(StrCat("postmortem.sections: at most ",
                                             domain::kMaxSections, " (got ",
                                             p.sections.size(), ")"));
  }
  for (size_t k = 0; k < p.sections.size(); ++k) {
    const std::string field = StrCat("postmortem.sections[", k, "]");
    RETURN_IF_ERROR(domain::ValidateLine(StrCat(field, ".heading"),
                                         p.sections[k].heading, 0,
                                         domain::kMaxDisplayNameLength));
    RETURN_IF_ERROR(domain::ValidateText(
        StrCat(field, ".body"), p.sections[k].body, 0, domain::kMaxBodyBytes));
  }
  return domain::ValidateLine("postmortem.author", p.author, 0,
                              domain::kMaxAuthorLength);
}

bool SameContent(const Postmortem& a, const Postmortem& b) {
  if (a.author != b.author || a.sections.size() != b.sections.size()) {
    return false;
  }
  for (size_t k = 0; k < a.sections.size(); ++k) {
    if (a.sections[k].heading != b.sections[k].heading ||
        a.sections[k].body != b.sections[k].body) {
      return false;
    }
  }
  return true;
}

bool IsEmpty(const Postmortem& p) {
  for (const PostmortemSection& s : p.sections) {
    if (!s.body.empty()) return false;
  }
  return true;
}

absl::Status ValidateAction(const CorrectiveAction& a, bool description,
                            bool owner) {
  if (description) {
    RETURN_IF_ERROR(domain::ValidateText("corrective_action.description",
                                         a.description, 1,
                                         domain::kMaxDescriptionLength));
  }
  if (owner) {
    RETURN_IF_ERROR(domain::ValidateLine("corrective_action.owner", a.owner, 0,
                                         domain::kMaxAuthorLength));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Postmortem> PostmortemLogic::GetPostmortem(
    const v1::GetPostmortemRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name,
                   ParsePostmortemName("name", request.name()));
  Postmortem postmortem;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(postmortem, tx.postmortems().Get(name.page_id, name.id,
                                                          Lock::kNone));
        return absl::OkStatus();
      }));
  return ToProto(postmortem);
}

absl::StatusOr<v1::Postmortem> PostmortemLogic::UpdatePostmortem(
    const v1::UpdatePostmortemRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(
      PageChildName name,
      ParsePostmortemName("postmortem.name", request.postmortem().name()));
  ASSIGN_OR_RETURN(
      Postmortem input,
      FromProto(request.postmortem(), name.page_id, name.id, "postmortem"));
  RETURN_IF_ERROR(ValidateContent(input));
  const std::string& etag = request.postmortem().etag();

  Postmortem postmortem;
  RETURN_IF_ERROR(ReadWriteRecorded(
      store_, notifier_, deadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        // Locking the incident serialises the creation of its first draft.
        ASSIGN_OR_RETURN(
            Incident incident,
            tx.incidents().Get(name.page_id, name.id, Lock::kForUpdate));
        absl::StatusOr<Postmortem> current =
            tx.postmortems().Get(name.page_id, name.id, Lock::kForUpdate);
        const absl::Time now = Now();
        const EventOrigin origin{now, input.author};
        if (absl::IsNotFound(current.status())) {
          if (!etag.empty()) {
            return absl::AbortedError(
                "postmortem.etag: the postmortem no longer exists as read");
          }
          postmortem = input;
          postmortem.state = PostmortemState::kDraft;
          postmortem.publish_time.reset();
          postmortem.revision = 1;
          postmortem.create_time = now;
          postmortem.update_time = now;
          postmortem.version = 1;
          RETURN_IF_ERROR(tx.postmortems().Insert(postmortem));
          events.push_back(MakePostmortemEvent(EventType::kPostmortemUpdated,
                                               origin, incident, postmortem));
          return absl::OkStatus();
        }
        RETURN_IF_ERROR(current.status());
        postmortem = *std::move(current);
        RETURN_IF_ERROR(CheckEtag("postmortem.etag", etag, postmortem.version));
        if (SameContent(postmortem, input)) return absl::OkStatus();
        postmortem.sections = input.sections;
        postmortem.author = input.author;
        ++postmortem.revision;
        postmortem.update_time = now;
        ++postmortem.version;
        RETURN_IF_ERROR(tx.postmortems().Update(postmortem));
        events.push_back(MakePostmortemEvent(EventType::kPostmortemUpdated,
                                             origin, incident, postmortem));
        return absl::OkStatus();
      }));
  return ToProto(postmortem);
}

absl::StatusOr<v1::Postmortem> PostmortemLogic::PublishPostmortem(
    const v1::PublishPostmortemRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name,
                   ParsePostmortemName("name", request.name()));
  std::optional<absl::Time> publish_time;
  if (request.has_publish_time()) {
    ASSIGN_OR_RETURN(publish_time,
                     FromProtoTime("publish_time", request.publish_time()));
  }
  Postmortem postmortem;
  RETURN_IF_ERROR(ReadWriteRecorded(
      store_, notifier_, deadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        ASSIGN_OR_RETURN(postmortem, tx.postmortems().Get(name.page_id, name.id,
                                                          Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("etag", request.etag(), postmortem.version));
        if (postmortem.state == PostmortemState::kPublished) {
          return absl::FailedPreconditionError(
              "the postmortem is already published");
        }
        if (IsEmpty(postmortem)) {
          return absl::FailedPreconditionError(
              "the postmortem is empty; write it before publishing");
        }
        const absl::Time now = Now();
        postmortem.state = PostmortemState::kPublished;
        postmortem.publish_time = publish_time.value_or(now);
        postmortem.update_time = now;
        ++postmortem.version;
        RETURN_IF_ERROR(tx.postmortems().Update(postmortem));
        // For the event's components: the incident's affected ones.
        ASSIGN_OR_RETURN(
            Incident incident,
            tx.incidents().Get(name.page_id, name.id, Lock::kNone));
        Event published =
            MakePostmortemEvent(EventType::kPostmortemPublished,
                                EventOrigin{now, ""}, incident, postmortem);
        MarkNotifying(published);
        events.push_back(std::move(published));
        return absl::OkStatus();
      }));
  return ToProto(postmortem);
}

absl::StatusOr<v1::Postmortem> PostmortemLogic::UnpublishPostmortem(
    const v1::UnpublishPostmortemRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name,
                   ParsePostmortemName("name", request.name()));
  Postmortem postmortem;
  RETURN_IF_ERROR(ReadWriteRecorded(
      store_, notifier_, deadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        ASSIGN_OR_RETURN(postmortem, tx.postmortems().Get(name.page_id, name.id,
                                                          Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("etag", request.etag(), postmortem.version));
        if (postmortem.state != PostmortemState::kPublished) {
          return absl::FailedPreconditionError(
              "the postmortem is not published");
        }
        // publish_time stays: it says when it was last published.
        postmortem.state = PostmortemState::kDraft;
        const absl::Time now = Now();
        postmortem.update_time = now;
        ++postmortem.version;
        RETURN_IF_ERROR(tx.postmortems().Update(postmortem));
        ASSIGN_OR_RETURN(
            Incident incident,
            tx.incidents().Get(name.page_id, name.id, Lock::kNone));
        events.push_back(MakePostmortemEvent(EventType::kPostmortemUnpublished,
                                             EventOrigin{now, ""}, incident,
                                             postmortem));
        return absl::OkStatus();
      }));
  return ToProto(postmortem);
}

absl::StatusOr<v1::ListPostmortemRevisionsResponse>
PostmortemLogic::ListPostmortemRevisions(
    const v1::ListPostmortemRevisionsRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name,
                   ParsePostmortemName("name", request.name()));
  const std::string query =
      StrCat("revisions|", PostmortemName(name.page_id, name.id));
  ASSIGN_OR_RETURN(
      ListPage list,
      StartList(request.page_size(), request.page_token(), query, 20, 100, 1));
  int64_t before = 0;
  if (!list.cursor.empty()) {
    ASSIGN_OR_RETURN(before, ParseCursorInt(list.cursor[0]));
  }
  std::vector<Postmortem> revisions;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(
            tx.postmortems().Get(name.page_id, name.id, Lock::kNone).status());
        ASSIGN_OR_RETURN(revisions,
                         tx.postmortems().ListRevisions(name.page_id, name.id,
                                                        before, list.size + 1));
        return absl::OkStatus();
      }));
  v1::ListPostmortemRevisionsResponse response;
  response.set_next_page_token(
      FinishList(revisions, list.size, query, [](const Postmortem& p) {
        return std::vector<std::string>{CursorInt(p.revision)};
      }));
  for (const Postmortem& p : revisions) *response.add_revisions() = ToProto(p);
  return response;
}

absl::StatusOr<v1::CorrectiveAction> PostmortemLogic::CreateCorrectiveAction(
    const v1::CreateCorrectiveActionRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName parent,
                   ParseIncidentName("parent", request.parent()));
  std::string id = request.corrective_action_id();
  if (id.empty()) {
    id = NewResourceId();
  } else {
    RETURN_IF_ERROR(domain::ValidateId("corrective_action_id", id));
  }
  RETURN_IF_ERROR(
      domain::ValidateRequestId("request_id", request.request_id()));
  v1::CorrectiveAction input_proto = request.corrective_action();
  input_proto.clear_name();
  input_proto.clear_etag();
  ASSIGN_OR_RETURN(
      CorrectiveAction input,
      FromProto(input_proto, parent.page_id, parent.id, "corrective_action"));
  RETURN_IF_ERROR(ValidateAction(input, true, true));
  if (input.state == ActionState::kUnspecified)
    input.state = ActionState::kOpen;

  const RequestKey key = MakeRequestKey(
      parent.page_id, "CreateCorrectiveAction", request.request_id(), request);
  CorrectiveAction result;
  RETURN_IF_ERROR(ReadWriteIdempotentRecorded(
      store_, notifier_, deadline, key,
      [&](Transaction& tx, const std::string& previous) -> absl::Status {
        ASSIGN_OR_RETURN(IncidentChildName name,
                         ParseCorrectiveActionName("request_id", previous));
        ASSIGN_OR_RETURN(
            result, tx.postmortems().GetAction(name.page_id, name.incident_id,
                                               name.id, Lock::kNone));
        return absl::OkStatus();
      },
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        ASSIGN_OR_RETURN(
            Incident incident,
            tx.incidents().Get(parent.page_id, parent.id, Lock::kNone));
        const absl::Time now = Now();
        result = input;
        result.id = id;
        result.create_time = now;
        result.update_time = now;
        result.version = 1;
        ASSIGN_OR_RETURN(result.seq, tx.postmortems().InsertAction(result));
        RETURN_IF_ERROR(RememberRequest(
            tx, key, CorrectiveActionName(parent.page_id, parent.id, id), now));
        events.push_back(
            MakeCorrectiveActionEvent(EventType::kCorrectiveActionCreated,
                                      EventOrigin{now, ""}, incident, result));
        return absl::OkStatus();
      }));
  return ToProto(result);
}

absl::StatusOr<v1::ListCorrectiveActionsResponse>
PostmortemLogic::ListCorrectiveActions(
    const v1::ListCorrectiveActionsRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName parent,
                   ParseIncidentName("parent", request.parent()));
  const std::string query =
      StrCat("correctiveActions|", IncidentName(parent.page_id, parent.id));
  ASSIGN_OR_RETURN(ListPage list,
                   StartList(request.page_size(), request.page_token(), query,
                             100, 1000, 1));
  int64_t after = 0;
  if (!list.cursor.empty()) {
    ASSIGN_OR_RETURN(after, ParseCursorInt(list.cursor[0]));
  }
  std::vector<CorrectiveAction> actions;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(tx.incidents()
                            .Get(parent.page_id, parent.id, Lock::kNone)
                            .status());
        ASSIGN_OR_RETURN(actions,
                         tx.postmortems().ListActions(parent.page_id, parent.id,
                                                      after, list.size + 1));
        return absl::OkStatus();
      }));
  v1::ListCorrectiveActionsResponse response;
  response.set_next_page_token(
      FinishList(actions, list.size, query, [](const CorrectiveAction& a) {
        return std::vector<std::string>{CursorInt(a.seq)};
      }));
  for (const CorrectiveAction& a : actions) {
    *response.add_corrective_actions() = ToProto(a);
  }
  return response;
}

absl::StatusOr<v1::CorrectiveAction> PostmortemLogic::UpdateCorrectiveAction(
    const v1::UpdateCorrectiveActionRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(
      IncidentChildName name,
      ParseCorrectiveActionName("corrective_action.name",
                                request.corrective_action().name()));
  ASSIGN_OR_RETURN(UpdateMask mask,
                   ResolveUpdateMask(request.update_mask(),
                                     *v1::CorrectiveAction::descriptor(),
                                     {"description", "owner", "state"}));
  ASSIGN_OR_RETURN(CorrectiveAction input,
                   FromProto(request.corrective_action(), name.page_id,
                             name.incident_id, "corrective_action"));
  RETURN_IF_ERROR(
      ValidateAction(input, mask.Has("description"), mask.Has("owner")));
  if (mask.Has("state") && input.state == ActionState::kUnspecified) {
    return absl::InvalidArgumentError("corrective_action.state: required");
  }
  CorrectiveAction action;
  RETURN_IF_ERROR(ReadWriteRecorded(
      store_, notifier_, deadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        ASSIGN_OR_RETURN(
            action, tx.postmortems().GetAction(name.page_id, name.incident_id,
                                               name.id, Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("corrective_action.etag",
                                  request.corrective_action().etag(),
                                  action.version));
        if (mask.Has("description")) action.description = input.description;
        if (mask.Has("owner")) action.owner = input.owner;
        if (mask.Has("state")) action.state = input.state;
        const absl::Time now = Now();
        action.update_time = now;
        ++action.version;
        RETURN_IF_ERROR(tx.postmortems().UpdateAction(action));
        ASSIGN_OR_RETURN(
            Incident incident,
            tx.incidents().Get(name.page_id, name.incident_id, Lock::kNone));
        events.push_back(
            MakeCorrectiveActionEvent(EventType::kCorrectiveActionUpdated,
                                      EventOrigin{now, ""}, incident, action));
        return absl::OkStatus();
      }));
  return ToProto(action);
}

}  // namespace incidentd
