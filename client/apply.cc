#include "client/apply.h"

#include <openssl/evp.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/names.h"
#include "google/protobuf/util/json_util.h"

namespace incidentd::client {
namespace {

// The API's limit on request ids.
constexpr size_t kMaxRequestIdLength = 128;

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

bool IsOpenIncidentStatus(v1::IncidentStatus::Value status) {
  return status == v1::IncidentStatus::INVESTIGATING ||
         status == v1::IncidentStatus::IDENTIFIED ||
         status == v1::IncidentStatus::MONITORING;
}

// An update as the API wants it: component ids expanded, and the output-only
// reopen flag cleared (the request's own reopen field carries it).
v1::IncidentUpdate ExpandUpdate(const std::string& page_name,
                                const v1::IncidentUpdate& update) {
  v1::IncidentUpdate out = update;
  out.set_reopen(false);
  for (v1::ComponentChange& change : *out.mutable_component_changes()) {
    change.set_component(
        ChildOfPage(page_name, kComponents, change.component()));
  }
  return out;
}

bool SameContent(const v1::Postmortem& a, const v1::Postmortem& b) {
  if (a.author() != b.author()) return false;
  if (a.sections_size() != b.sections_size()) return false;
  for (int i = 0; i < a.sections_size(); ++i) {
    if (a.sections(i).heading() != b.sections(i).heading() ||
        a.sections(i).body() != b.sections(i).body()) {
      return false;
    }
  }
  return true;
}

absl::Status InStep(const std::string& what, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
}

// Runs one step; returns the resource name, or "" for a skipped step.
absl::StatusOr<AppliedStep> RunStep(Client& client, const ApplyStep& step) {
  AppliedStep applied;
  applied.what = step.what;
  auto named = [&](const auto& result) -> absl::StatusOr<AppliedStep> {
    if (!result.ok()) return result.status();
    applied.resource = result->name();
    return applied;
  };
  return std::visit(
      Overloaded{
          [&](const v1::CreatePageRequest& r) {
            return named(client.CreatePage(r));
          },
          [&](const v1::CreateComponentGroupRequest& r) {
            return named(client.CreateComponentGroup(r));
          },
          [&](const v1::CreateComponentRequest& r) {
            return named(client.CreateComponent(r));
          },
          [&](const v1::CreateIncidentRequest& r) {
            return named(client.CreateIncident(r));
          },
          [&](const v1::PostIncidentUpdateRequest& r) {
            return named(client.PostIncidentUpdate(r));
          },
          [&](const v1::UpdatePostmortemRequest& r)
              -> absl::StatusOr<AppliedStep> {
            v1::GetPostmortemRequest get;
            get.set_name(r.postmortem().name());
            absl::StatusOr<v1::Postmortem> current = client.GetPostmortem(get);
            if (current.ok() && SameContent(*current, r.postmortem())) {
              applied.resource = current->name();
              applied.sent = false;
              return applied;
            }
            if (!current.ok() && !absl::IsNotFound(current.status())) {
              return current.status();
            }
            return named(client.UpdatePostmortem(r));
          },
          [&](const v1::PublishPostmortemRequest& r)
              -> absl::StatusOr<AppliedStep> {
            v1::GetPostmortemRequest get;
            get.set_name(r.name());
            absl::StatusOr<v1::Postmortem> current = client.GetPostmortem(get);
            if (!current.ok()) return current.status();
            if (current->state() == v1::Postmortem::PUBLISHED) {
              applied.resource = current->name();
              applied.sent = false;
              return applied;
            }
            // The etag makes a concurrent change fail instead of publishing
            // content this run did not see.
            v1::PublishPostmortemRequest publish = r;
            publish.set_etag(current->etag());
            return named(client.PublishPostmortem(publish));
          },
          [&](const v1::CreateCorrectiveActionRequest& r) {
            return named(client.CreateCorrectiveAction(r));
          },
      },
      step.request);
}

}  // namespace

absl::StatusOr<apply_v1::ApplyFile> ParseApplyFile(absl::string_view json) {
  apply_v1::ApplyFile file;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  google::protobuf::util::Status status =
      google::protobuf::util::JsonStringToMessage(
          google::protobuf::StringPiece(json.data(), json.size()), &file,
          options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an apply file: ", status.message().as_string()));
  }
  return file;
}

absl::StatusOr<apply_v1::ApplyFile> ReadApplyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<apply_v1::ApplyFile> file = ParseApplyFile(buffer.str());
  if (!file.ok()) return InStep(path, file.status());
  return file;
}

std::string ApplyRequestId(absl::string_view page_id,
                           const std::vector<std::string>& path) {
  std::string id = absl::StrCat("apply/", page_id);
  if (!path.empty()) absl::StrAppend(&id, "/", absl::StrJoin(path, "/"));
  if (id.size() <= kMaxRequestIdLength) return id;
  return absl::StrCat("apply/sha256/", Sha256Hex(id));
}

absl::StatusOr<std::vector<ApplyStep>> PlanApply(
    const apply_v1::ApplyFile& file) {
  if (file.page_id().empty()) {
    return absl::InvalidArgumentError("page_id is required");
  }
  const std::string& page_id = file.page_id();
  const std::string page_name = absl::StrCat("pages/", page_id);
  std::vector<ApplyStep> steps;

  v1::CreatePageRequest page;
  page.set_page_id(page_id);
  *page.mutable_page() = file.page();
  page.set_request_id(ApplyRequestId(page_id, {}));
  steps.push_back({absl::StrCat("page ", page_id), std::move(page)});

  for (int i = 0; i < file.groups_size(); ++i) {
    const apply_v1::GroupSpec& spec = file.groups(i);
    if (spec.group_id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("groups[", i, "]: group_id is required"));
    }
    v1::CreateComponentGroupRequest request;
    request.set_parent(page_name);
    request.set_group_id(spec.group_id());
    *request.mutable_group() = spec.group();
    request.set_request_id(ApplyRequestId(page_id, {"group", spec.group_id()}));
    steps.push_back({absl::StrCat("group ", spec.group_id()), std::move(request)});
  }

  for (int i = 0; i < file.components_size(); ++i) {
    const apply_v1::ComponentSpec& spec = file.components(i);
    if (spec.component_id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("components[", i, "]: component_id is required"));
    }
    v1::CreateComponentRequest request;
    request.set_parent(page_name);
    request.set_component_id(spec.component_id());
    *request.mutable_component() = spec.component();
    request.mutable_component()->set_group(
        ChildOfPage(page_name, kComponentGroups, spec.component().group()));
    request.set_request_id(
        ApplyRequestId(page_id, {"component", spec.component_id()}));
    steps.push_back(
        {absl::StrCat("component ", spec.component_id()), std::move(request)});
  }

  for (int i = 0; i < file.incidents_size(); ++i) {
    const apply_v1::IncidentSpec& spec = file.incidents(i);
    const std::string& id = spec.incident_id();
    if (id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("incidents[", i, "]: incident_id is required"));
    }
    if (spec.updates_size() == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "incident ", id, ": at least one update is required (it opens the "
          "incident)"));
    }
    if (spec.has_postmortem_publish_time() && !spec.has_postmortem()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "incident ", id, ": postmortem_publish_time without a postmortem"));
    }
    const std::string incident_name =
        ChildOfPage(page_name, kIncidents, id);
    const std::string what = absl::StrCat("incident ", id);

    v1::CreateIncidentRequest create;
    create.set_parent(page_name);
    create.set_incident_id(id);
    *create.mutable_incident() = spec.incident();
    for (std::string& component :
         *create.mutable_incident()->mutable_components()) {
      component = ChildOfPage(page_name, kComponents, component);
    }
    *create.mutable_first_update() = ExpandUpdate(page_name, spec.updates(0));
    create.set_request_id(ApplyRequestId(page_id, {"incident", id}));
    steps.push_back({what, std::move(create)});

    // The status each update leaves, to know which updates reopen.
    const bool is_incident =
        spec.incident().kind() != v1::Incident::MAINTENANCE;
    v1::IncidentStatus::Value current = spec.updates(0).status();
    if (current == v1::IncidentStatus::VALUE_UNSPECIFIED) {
      current = is_incident ? v1::IncidentStatus::INVESTIGATING
                            : v1::IncidentStatus::SCHEDULED;
    }
    for (int u = 1; u < spec.updates_size(); ++u) {
      const v1::IncidentUpdate& update = spec.updates(u);
      v1::PostIncidentUpdateRequest post;
      post.set_parent(incident_name);
      *post.mutable_update() = ExpandUpdate(page_name, update);
      post.set_reopen(update.reopen() ||
                      (is_incident &&
                       current == v1::IncidentStatus::RESOLVED &&
                       IsOpenIncidentStatus(update.status())));
      post.set_request_id(
          ApplyRequestId(page_id, {"incident", id, "update", absl::StrCat(u)}));
      if (update.status() != v1::IncidentStatus::VALUE_UNSPECIFIED) {
        current = update.status();
      }
      steps.push_back({absl::StrCat(what, " update ", u), std::move(post)});
    }

    if (spec.has_postmortem()) {
      v1::UpdatePostmortemRequest postmortem;
      *postmortem.mutable_postmortem() = spec.postmortem();
      postmortem.mutable_postmortem()->set_name(PostmortemName(incident_name));
      steps.push_back(
          {absl::StrCat(what, " postmortem"), std::move(postmortem)});
    }
    if (spec.has_postmortem_publish_time()) {
      v1::PublishPostmortemRequest publish;
      publish.set_name(PostmortemName(incident_name));
      *publish.mutable_publish_time() = spec.postmortem_publish_time();
      steps.push_back(
          {absl::StrCat(what, " postmortem publish"), std::move(publish)});
    }

    for (int a = 0; a < spec.corrective_actions_size(); ++a) {
      const apply_v1::CorrectiveActionSpec& action = spec.corrective_actions(a);
      v1::CreateCorrectiveActionRequest request;
      request.set_parent(incident_name);
      request.set_corrective_action_id(action.corrective_action_id());
      *request.mutable_corrective_action() = action.corrective_action();
      request.set_request_id(
          ApplyRequestId(page_id, {"incident", id, "action", absl::StrCat(a)}));
      steps.push_back(
          {absl::StrCat(what, " corrective action ", a), std::move(request)});
    }
  }
  return steps;
}

absl::Status RunApplyPlan(Client& client, const std::vector<ApplyStep>& steps,
                          std::vector<AppliedStep>* done) {
  for (const ApplyStep& step : steps) {
    absl::StatusOr<AppliedStep> applied = RunStep(client, step);
    if (!applied.ok()) return InStep(step.what, applied.status());
    if (done != nullptr) done->push_back(*std::move(applied));
  }
  return absl::OkStatus();
}

}  // namespace incidentd::client
