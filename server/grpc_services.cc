#include "server/grpc_services.h"

#include <memory>
#include <optional>
#include <string>

#include <grpcpp/support/proto_buffer_writer.h>

namespace incidentd {
namespace {

// A cached answer as gRPC sends it: the cached bytes shared, not copied
// (the slice keeps them alive), then the per-call fields.
grpc::ByteBuffer ToByteBuffer(const SerializedAnswer& answer) {
  auto* keep = new std::shared_ptr<const std::string>(answer.cached);
  grpc::Slice slices[] = {
      grpc::Slice(const_cast<char*>((*keep)->data()), (*keep)->size(),
                  [](void* p) {
                    delete static_cast<std::shared_ptr<const std::string>*>(p);
                  },
                  keep),
      grpc::Slice(answer.fresh),
  };
  return grpc::ByteBuffer(slices, 2);
}

std::optional<absl::StatusOr<grpc::ByteBuffer>> AsBytes(
    std::optional<absl::StatusOr<SerializedAnswer>> answer) {
  if (!answer.has_value()) return std::nullopt;
  if (!answer->ok()) return answer->status();
  return ToByteBuffer(**answer);
}

template <typename Message>
absl::StatusOr<grpc::ByteBuffer> AsBytes(absl::StatusOr<Message> message) {
  if (!message.ok()) return message.status();
  grpc::ByteBuffer bytes;
  bool own = false;
  grpc::Status serialized =
      grpc::SerializationTraits<Message>::Serialize(*message, &bytes, &own);
  if (!serialized.ok()) {
    return absl::InternalError("the answer could not be serialized");
  }
  return bytes;
}

}  // namespace

PageServiceImpl::PageServiceImpl(PageLogic& logic, UnaryRunner& runner)
    : logic_(logic), runner_(runner) {
  constexpr const char* kService = "incidentd.v1.PageService";
  ParseLeniently<v1::CreatePageRequest, v1::Page>(
      MethodIndex(kService, "CreatePage"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::CreatePageRequest* request, v1::Page* response) {
        return CreatePage(ctx, request, response);
      });
  ParseLeniently<v1::GetPageRequest, v1::Page>(
      MethodIndex(kService, "GetPage"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::GetPageRequest* request,
             v1::Page* response) { return GetPage(ctx, request, response); });
  ParseLeniently<v1::ListPagesRequest, v1::ListPagesResponse>(
      MethodIndex(kService, "ListPages"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::ListPagesRequest* request,
             v1::ListPagesResponse* response) {
        return ListPages(ctx, request, response);
      });
  ParseLeniently<v1::UpdatePageRequest, v1::Page>(
      MethodIndex(kService, "UpdatePage"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::UpdatePageRequest* request, v1::Page* response) {
        return UpdatePage(ctx, request, response);
      });
  ParseLeniently<v1::DeletePageRequest, google::protobuf::Empty>(
      MethodIndex(kService, "DeletePage"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::DeletePageRequest* request,
             google::protobuf::Empty* response) {
        return DeletePage(ctx, request, response);
      });
  ServeRaw(MethodIndex(kService, "GetPageStatus"),
           [this](grpc::CallbackServerContext* ctx,
                  const grpc::ByteBuffer* request,
                  grpc::ByteBuffer* response) {
             return GetPageStatusRaw(ctx, request, response);
           });
}

grpc::ServerUnaryReactor* PageServiceImpl::CreatePage(
    grpc::CallbackServerContext* ctx, const v1::CreatePageRequest* request,
    v1::Page* response) {
  return runner_.Run(ctx, "PageService.CreatePage", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.CreatePage(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* PageServiceImpl::GetPage(
    grpc::CallbackServerContext* ctx, const v1::GetPageRequest* request,
    v1::Page* response) {
  return runner_.Run(ctx, "PageService.GetPage", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.GetPage(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* PageServiceImpl::ListPages(
    grpc::CallbackServerContext* ctx, const v1::ListPagesRequest* request,
    v1::ListPagesResponse* response) {
  return runner_.Run(ctx, "PageService.ListPages", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.ListPages(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* PageServiceImpl::UpdatePage(
    grpc::CallbackServerContext* ctx, const v1::UpdatePageRequest* request,
    v1::Page* response) {
  return runner_.Run(ctx, "PageService.UpdatePage", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.UpdatePage(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* PageServiceImpl::DeletePage(
    grpc::CallbackServerContext* ctx, const v1::DeletePageRequest* request,
    google::protobuf::Empty* response) {
  return runner_.Run(ctx, "PageService.DeletePage", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.DeletePage(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* PageServiceImpl::GetPageStatusRaw(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  // Shared: a miss reads it later, on the executor.
  auto parsed = std::make_shared<v1::GetPageStatusRequest>();
  ParseRawRequest(*request, parsed.get());
  return runner_.RunFast(
      ctx, "PageService.GetPageStatus", *parsed, response,
      [this, parsed]() -> std::optional<absl::StatusOr<grpc::ByteBuffer>> {
        return AsBytes(logic_.CachedPageStatus(*parsed));
      },
      [this, parsed](absl::Time deadline) {
        return AsBytes(logic_.GetPageStatus(*parsed, deadline));
      });
}

ComponentServiceImpl::ComponentServiceImpl(ComponentLogic& logic,
                                           UnaryRunner& runner)
    : logic_(logic), runner_(runner) {
  constexpr const char* kService = "incidentd.v1.ComponentService";
  ParseLeniently<v1::CreateComponentRequest, v1::Component>(
      MethodIndex(kService, "CreateComponent"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::CreateComponentRequest* request,
             v1::Component* response) {
        return CreateComponent(ctx, request, response);
      });
  ParseLeniently<v1::GetComponentRequest, v1::Component>(
      MethodIndex(kService, "GetComponent"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::GetComponentRequest* request, v1::Component* response) {
        return GetComponent(ctx, request, response);
      });
  ParseLeniently<v1::ListComponentsRequest, v1::ListComponentsResponse>(
      MethodIndex(kService, "ListComponents"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::ListComponentsRequest* request,
             v1::ListComponentsResponse* response) {
        return ListComponents(ctx, request, response);
      });
  ParseLeniently<v1::UpdateComponentRequest, v1::Component>(
      MethodIndex(kService, "UpdateComponent"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::UpdateComponentRequest* request,
             v1::Component* response) {
        return UpdateComponent(ctx, request, response);
      });
  ParseLeniently<v1::DeleteComponentRequest, google::protobuf::Empty>(
      MethodIndex(kService, "DeleteComponent"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::DeleteComponentRequest* request,
             google::protobuf::Empty* response) {
        return DeleteComponent(ctx, request, response);
      });
  ParseLeniently<v1::SetComponentStatusRequest, v1::Component>(
      MethodIndex(kService, "SetComponentStatus"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::SetComponentStatusRequest* request,
             v1::Component* response) {
        return SetComponentStatus(ctx, request, response);
      });
  ParseLeniently<v1::CreateComponentGroupRequest, v1::ComponentGroup>(
      MethodIndex(kService, "CreateComponentGroup"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::CreateComponentGroupRequest* request,
             v1::ComponentGroup* response) {
        return CreateComponentGroup(ctx, request, response);
      });
  ParseLeniently<v1::GetComponentGroupRequest, v1::ComponentGroup>(
      MethodIndex(kService, "GetComponentGroup"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::GetComponentGroupRequest* request,
             v1::ComponentGroup* response) {
        return GetComponentGroup(ctx, request, response);
      });
  ParseLeniently<v1::ListComponentGroupsRequest,
                 v1::ListComponentGroupsResponse>(
      MethodIndex(kService, "ListComponentGroups"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::ListComponentGroupsRequest* request,
             v1::ListComponentGroupsResponse* response) {
        return ListComponentGroups(ctx, request, response);
      });
  ParseLeniently<v1::UpdateComponentGroupRequest, v1::ComponentGroup>(
      MethodIndex(kService, "UpdateComponentGroup"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::UpdateComponentGroupRequest* request,
             v1::ComponentGroup* response) {
        return UpdateComponentGroup(ctx, request, response);
      });
  ParseLeniently<v1::DeleteComponentGroupRequest, google::protobuf::Empty>(
      MethodIndex(kService, "DeleteComponentGroup"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::DeleteComponentGroupRequest* request,
             google::protobuf::Empty* response) {
        return DeleteComponentGroup(ctx, request, response);
      });
}

grpc::ServerUnaryReactor* ComponentServiceImpl::CreateComponent(
    grpc::CallbackServerContext* ctx, const v1::CreateComponentRequest* request,
    v1::Component* response) {
  return runner_.Run(ctx, "ComponentService.CreateComponent", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.CreateComponent(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* ComponentServiceImpl::GetComponent(
    grpc::CallbackServerContext* ctx, const v1::GetComponentRequest* request,
    v1::Component* response) {
  return runner_.Run(ctx, "ComponentService.GetComponent", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.GetComponent(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* ComponentServiceImpl::ListComponents(
    grpc::CallbackServerContext* ctx, const v1::ListComponentsRequest* request,
    v1::ListComponentsResponse* response) {
  return runner_.Run(ctx, "ComponentService.ListComponents", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.ListComponents(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* ComponentServiceImpl::UpdateComponent(
    grpc::CallbackServerContext* ctx, const v1::UpdateComponentRequest* request,
    v1::Component* response) {
  return runner_.Run(ctx, "ComponentService.UpdateComponent", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.UpdateComponent(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* ComponentServiceImpl::DeleteComponent(
    grpc::CallbackServerContext* ctx, const v1::DeleteComponentRequest* request,
    google::protobuf::Empty* response) {
  return runner_.Run(ctx, "ComponentService.DeleteComponent", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.DeleteComponent(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* ComponentServiceImpl::SetComponentStatus(
    grpc::CallbackServerContext* ctx,
    const v1::SetComponentStatusRequest* request, v1::Component* response) {
  return runner_.Run(ctx, "ComponentService.SetComponentStatus", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.SetComponentStatus(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* ComponentServiceImpl::CreateComponentGroup(
    grpc::CallbackServerContext* ctx,
    const v1::CreateComponentGroupRequest* request,
    v1::ComponentGroup* response) {
  return runner_.Run(ctx, "ComponentService.CreateComponentGroup", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.CreateComponentGroup(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* ComponentServiceImpl::GetComponentGroup(
    grpc::CallbackServerContext* ctx,
    const v1::GetComponentGroupRequest* request, v1::ComponentGroup* response) {
  return runner_.Run(ctx, "ComponentService.GetComponentGroup", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.GetComponentGroup(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* ComponentServiceImpl::ListComponentGroups(
    grpc::CallbackServerContext* ctx,
    const v1::ListComponentGroupsRequest* request,
    v1::ListComponentGroupsResponse* response) {
  return runner_.Run(ctx, "ComponentService.ListComponentGroups", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.ListComponentGroups(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* ComponentServiceImpl::UpdateComponentGroup(
    grpc::CallbackServerContext* ctx,
    const v1::UpdateComponentGroupRequest* request,
    v1::ComponentGroup* response) {
  return runner_.Run(ctx, "ComponentService.UpdateComponentGroup", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.UpdateComponentGroup(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* ComponentServiceImpl::DeleteComponentGroup(
    grpc::CallbackServerContext* ctx,
    const v1::DeleteComponentGroupRequest* request,
    google::protobuf::Empty* response) {
  return runner_.Run(ctx, "ComponentService.DeleteComponentGroup", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.DeleteComponentGroup(*request, deadline);
                     });
}

IncidentServiceImpl::IncidentServiceImpl(IncidentLogic& logic,
                                         UnaryRunner& runner)
    : logic_(logic), runner_(runner) {
  constexpr const char* kService = "incidentd.v1.IncidentService";
  ParseLeniently<v1::CreateIncidentRequest, v1::Incident>(
      MethodIndex(kService, "CreateIncident"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::CreateIncidentRequest* request, v1::Incident* response) {
        return CreateIncident(ctx, request, response);
      });
  ServeRaw(MethodIndex(kService, "GetIncident"),
           [this](grpc::CallbackServerContext* ctx,
                  const grpc::ByteBuffer* request,
                  grpc::ByteBuffer* response) {
             return GetIncidentRaw(ctx, request, response);
           });
  ParseLeniently<v1::ListIncidentsRequest, v1::ListIncidentsResponse>(
      MethodIndex(kService, "ListIncidents"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::ListIncidentsRequest* request,
             v1::ListIncidentsResponse* response) {
        return ListIncidents(ctx, request, response);
      });
  ParseLeniently<v1::UpdateIncidentRequest, v1::Incident>(
      MethodIndex(kService, "UpdateIncident"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::UpdateIncidentRequest* request, v1::Incident* response) {
        return UpdateIncident(ctx, request, response);
      });
  ParseLeniently<v1::PostIncidentUpdateRequest, v1::IncidentUpdate>(
      MethodIndex(kService, "PostIncidentUpdate"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::PostIncidentUpdateRequest* request,
             v1::IncidentUpdate* response) {
        return PostIncidentUpdate(ctx, request, response);
      });
  ParseLeniently<v1::EditIncidentUpdateRequest, v1::IncidentUpdate>(
      MethodIndex(kService, "EditIncidentUpdate"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::EditIncidentUpdateRequest* request,
             v1::IncidentUpdate* response) {
        return EditIncidentUpdate(ctx, request, response);
      });
  ParseLeniently<v1::ListIncidentUpdatesRequest,
                 v1::ListIncidentUpdatesResponse>(
      MethodIndex(kService, "ListIncidentUpdates"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::ListIncidentUpdatesRequest* request,
             v1::ListIncidentUpdatesResponse* response) {
        return ListIncidentUpdates(ctx, request, response);
      });
}

grpc::ServerUnaryReactor* IncidentServiceImpl::CreateIncident(
    grpc::CallbackServerContext* ctx, const v1::CreateIncidentRequest* request,
    v1::Incident* response) {
  return runner_.Run(ctx, "IncidentService.CreateIncident", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.CreateIncident(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* IncidentServiceImpl::GetIncidentRaw(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  auto parsed = std::make_shared<v1::GetIncidentRequest>();
  ParseRawRequest(*request, parsed.get());
  return runner_.RunFast(
      ctx, "IncidentService.GetIncident", *parsed, response,
      [this, parsed]() -> std::optional<absl::StatusOr<grpc::ByteBuffer>> {
        return AsBytes(logic_.CachedIncident(*parsed));
      },
      [this, parsed](absl::Time deadline) {
        return AsBytes(logic_.GetIncident(*parsed, deadline));
      });
}

grpc::ServerUnaryReactor* IncidentServiceImpl::ListIncidents(
    grpc::CallbackServerContext* ctx, const v1::ListIncidentsRequest* request,
    v1::ListIncidentsResponse* response) {
  return runner_.Run(ctx, "IncidentService.ListIncidents", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.ListIncidents(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* IncidentServiceImpl::UpdateIncident(
    grpc::CallbackServerContext* ctx, const v1::UpdateIncidentRequest* request,
    v1::Incident* response) {
  return runner_.Run(ctx, "IncidentService.UpdateIncident", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.UpdateIncident(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* IncidentServiceImpl::PostIncidentUpdate(
    grpc::CallbackServerContext* ctx,
    const v1::PostIncidentUpdateRequest* request,
    v1::IncidentUpdate* response) {
  return runner_.Run(ctx, "IncidentService.PostIncidentUpdate", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.PostIncidentUpdate(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* IncidentServiceImpl::EditIncidentUpdate(
    grpc::CallbackServerContext* ctx,
    const v1::EditIncidentUpdateRequest* request,
    v1::IncidentUpdate* response) {
  return runner_.Run(ctx, "IncidentService.EditIncidentUpdate", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.EditIncidentUpdate(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* IncidentServiceImpl::ListIncidentUpdates(
    grpc::CallbackServerContext* ctx,
    const v1::ListIncidentUpdatesRequest* request,
    v1::ListIncidentUpdatesResponse* response) {
  return runner_.Run(ctx, "IncidentService.ListIncidentUpdates", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.ListIncidentUpdates(*request, deadline);
                     });
}

PostmortemServiceImpl::PostmortemServiceImpl(PostmortemLogic& logic,
                                             UnaryRunner& runner)
    : logic_(logic), runner_(runner) {
  constexpr const char* kService = "incidentd.v1.PostmortemService";
  ParseLeniently<v1::GetPostmortemRequest, v1::Postmortem>(
      MethodIndex(kService, "GetPostmortem"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::GetPostmortemRequest* request,
             v1::Postmortem* response) {
        return GetPostmortem(ctx, request, response);
      });
  ParseLeniently<v1::UpdatePostmortemRequest, v1::Postmortem>(
      MethodIndex(kService, "UpdatePostmortem"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::UpdatePostmortemRequest* request,
             v1::Postmortem* response) {
        return UpdatePostmortem(ctx, request, response);
      });
  ParseLeniently<v1::PublishPostmortemRequest, v1::Postmortem>(
      MethodIndex(kService, "PublishPostmortem"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::PublishPostmortemRequest* request,
             v1::Postmortem* response) {
        return PublishPostmortem(ctx, request, response);
      });
  ParseLeniently<v1::UnpublishPostmortemRequest, v1::Postmortem>(
      MethodIndex(kService, "UnpublishPostmortem"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::UnpublishPostmortemRequest* request,
             v1::Postmortem* response) {
        return UnpublishPostmortem(ctx, request, response);
      });
  ParseLeniently<v1::ListPostmortemRevisionsRequest,
                 v1::ListPostmortemRevisionsResponse>(
      MethodIndex(kService, "ListPostmortemRevisions"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::ListPostmortemRevisionsRequest* request,
             v1::ListPostmortemRevisionsResponse* response) {
        return ListPostmortemRevisions(ctx, request, response);
      });
  ParseLeniently<v1::CreateCorrectiveActionRequest, v1::CorrectiveAction>(
      MethodIndex(kService, "CreateCorrectiveAction"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::CreateCorrectiveActionRequest* request,
             v1::CorrectiveAction* response) {
        return CreateCorrectiveAction(ctx, request, response);
      });
  ParseLeniently<v1::ListCorrectiveActionsRequest,
                 v1::ListCorrectiveActionsResponse>(
      MethodIndex(kService, "ListCorrectiveActions"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::ListCorrectiveActionsRequest* request,
             v1::ListCorrectiveActionsResponse* response) {
        return ListCorrectiveActions(ctx, request, response);
      });
  ParseLeniently<v1::UpdateCorrectiveActionRequest, v1::CorrectiveAction>(
      MethodIndex(kService, "UpdateCorrectiveAction"),
      [this](grpc::CallbackServerContext* ctx,
             const v1::UpdateCorrectiveActionRequest* request,
             v1::CorrectiveAction* response) {
        return UpdateCorrectiveAction(ctx, request, response);
      });
}

grpc::ServerUnaryReactor* PostmortemServiceImpl::GetPostmortem(
    grpc::CallbackServerContext* ctx, const v1::GetPostmortemRequest* request,
    v1::Postmortem* response) {
  return runner_.Run(ctx, "PostmortemService.GetPostmortem", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.GetPostmortem(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* PostmortemServiceImpl::UpdatePostmortem(
    grpc::CallbackServerContext* ctx,
    const v1::UpdatePostmortemRequest* request, v1::Postmortem* response) {
  return runner_.Run(ctx, "PostmortemService.UpdatePostmortem", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.UpdatePostmortem(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* PostmortemServiceImpl::PublishPostmortem(
    grpc::CallbackServerContext* ctx,
    const v1::PublishPostmortemRequest* request, v1::Postmortem* response) {
  return runner_.Run(ctx, "PostmortemService.PublishPostmortem", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.PublishPostmortem(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* PostmortemServiceImpl::UnpublishPostmortem(
    grpc::CallbackServerContext* ctx,
    const v1::UnpublishPostmortemRequest* request, v1::Postmortem* response) {
  return runner_.Run(ctx, "PostmortemService.UnpublishPostmortem", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.UnpublishPostmortem(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* PostmortemServiceImpl::ListPostmortemRevisions(
    grpc::CallbackServerContext* ctx,
    const v1::ListPostmortemRevisionsRequest* request,
    v1::ListPostmortemRevisionsResponse* response) {
  return runner_.Run(ctx, "PostmortemService.ListPostmortemRevisions", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.ListPostmortemRevisions(*request,
                                                             deadline);
                     });
}

grpc::ServerUnaryReactor* PostmortemServiceImpl::CreateCorrectiveAction(
    grpc::CallbackServerContext* ctx,
    const v1::CreateCorrectiveActionRequest* request,
    v1::CorrectiveAction* response) {
  return runner_.Run(ctx, "PostmortemService.CreateCorrectiveAction", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.CreateCorrectiveAction(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* PostmortemServiceImpl::ListCorrectiveActions(
    grpc::CallbackServerContext* ctx,
    const v1::ListCorrectiveActionsRequest* request,
    v1::ListCorrectiveActionsResponse* response) {
  return runner_.Run(ctx, "PostmortemService.ListCorrectiveActions", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.ListCorrectiveActions(*request, deadline);
                     });
}

grpc::ServerUnaryReactor* PostmortemServiceImpl::UpdateCorrectiveAction(
    grpc::CallbackServerContext* ctx,
    const v1::UpdateCorrectiveActionRequest* request,
    v1::CorrectiveAction* response) {
  return runner_.Run(ctx, "PostmortemService.UpdateCorrectiveAction", *request,
                     response, [this, request](absl::Time deadline) {
                       return logic_.UpdateCorrectiveAction(*request, deadline);
                     });
}

}  // namespace incidentd
