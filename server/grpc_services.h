// The gRPC services: thin CallbackService subclasses that hand each call to
// its logic class through the UnaryRunner (so no storage work ever runs on a
// gRPC thread). Every method parses leniently (lenient_parsing.h); the two
// reads a status page makes most are served as bytes from the read cache.
#ifndef INCIDENTD_SERVER_GRPC_SERVICES_H_
#define INCIDENTD_SERVER_GRPC_SERVICES_H_

#include "incidentd/v1/components.grpc.pb.h"
#include "incidentd/v1/incidents.grpc.pb.h"
#include "incidentd/v1/pages.grpc.pb.h"
#include "incidentd/v1/postmortems.grpc.pb.h"
#include "server/component_logic.h"
#include "server/incident_logic.h"
#include "server/lenient_parsing.h"
#include "server/page_logic.h"
#include "server/postmortem_logic.h"
#include "server/unary.h"

namespace incidentd {

class PageServiceImpl final
    : public LenientService<v1::PageService::CallbackService> {
 public:
  PageServiceImpl(PageLogic& logic, UnaryRunner& runner);

  grpc::ServerUnaryReactor* CreatePage(grpc::CallbackServerContext* ctx,
                                       const v1::CreatePageRequest* request,
                                       v1::Page* response) override;
  grpc::ServerUnaryReactor* GetPage(grpc::CallbackServerContext* ctx,
                                    const v1::GetPageRequest* request,
                                    v1::Page* response) override;
  grpc::ServerUnaryReactor* ListPages(grpc::CallbackServerContext* ctx,
                                      const v1::ListPagesRequest* request,
                                      v1::ListPagesResponse* response) override;
  grpc::ServerUnaryReactor* UpdatePage(grpc::CallbackServerContext* ctx,
                                       const v1::UpdatePageRequest* request,
                                       v1::Page* response) override;
  grpc::ServerUnaryReactor* DeletePage(
      grpc::CallbackServerContext* ctx, const v1::DeletePageRequest* request,
      google::protobuf::Empty* response) override;
  // Served as bytes (ServeRaw): cached answers go out without a copy.
  grpc::ServerUnaryReactor* GetPageStatusRaw(grpc::CallbackServerContext* ctx,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response);

 private:
  PageLogic& logic_;
  UnaryRunner& runner_;
};

class ComponentServiceImpl final
    : public LenientService<v1::ComponentService::CallbackService> {
 public:
  ComponentServiceImpl(ComponentLogic& logic, UnaryRunner& runner);

  grpc::ServerUnaryReactor* CreateComponent(
      grpc::CallbackServerContext* ctx,
      const v1::CreateComponentRequest* request,
      v1::Component* response) override;
  grpc::ServerUnaryReactor* GetComponent(grpc::CallbackServerContext* ctx,
                                         const v1::GetComponentRequest* request,
                                         v1::Component* response) override;
  grpc::ServerUnaryReactor* ListComponents(
      grpc::CallbackServerContext* ctx,
      const v1::ListComponentsRequest* request,
      v1::ListComponentsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateComponent(
      grpc::CallbackServerContext* ctx,
      const v1::UpdateComponentRequest* request,
      v1::Component* response) override;
  grpc::ServerUnaryReactor* DeleteComponent(
      grpc::CallbackServerContext* ctx,
      const v1::DeleteComponentRequest* request,
      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* SetComponentStatus(
      grpc::CallbackServerContext* ctx,
      const v1::SetComponentStatusRequest* request,
      v1::Component* response) override;
  grpc::ServerUnaryReactor* CreateComponentGroup(
      grpc::CallbackServerContext* ctx,
      const v1::CreateComponentGroupRequest* request,
      v1::ComponentGroup* response) override;
  grpc::ServerUnaryReactor* GetComponentGroup(
      grpc::CallbackServerContext* ctx,
      const v1::GetComponentGroupRequest* request,
      v1::ComponentGroup* response) override;
  grpc::ServerUnaryReactor* ListComponentGroups(
      grpc::CallbackServerContext* ctx,
      const v1::ListComponentGroupsRequest* request,
      v1::ListComponentGroupsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateComponentGroup(
      grpc::CallbackServerContext* ctx,
      const v1::UpdateComponentGroupRequest* request,
      v1::ComponentGroup* response) override;
  grpc::ServerUnaryReactor* DeleteComponentGroup(
      grpc::CallbackServerContext* ctx,
      const v1::DeleteComponentGroupRequest* request,
      google::protobuf::Empty* response) override;

 private:
  ComponentLogic& logic_;
  UnaryRunner& runner_;
};

class IncidentServiceImpl final
    : public LenientService<v1::IncidentService::CallbackService> {
 public:
  IncidentServiceImpl(IncidentLogic& logic, UnaryRunner& runner);

  grpc::ServerUnaryReactor* CreateIncident(
      grpc::CallbackServerContext* ctx,
      const v1::CreateIncidentRequest* request,
      v1::Incident* response) override;
  // Served as bytes, like GetPageStatus.
  grpc::ServerUnaryReactor* GetIncidentRaw(grpc::CallbackServerContext* ctx,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response);
  grpc::ServerUnaryReactor* ListIncidents(
      grpc::CallbackServerContext* ctx, const v1::ListIncidentsRequest* request,
      v1::ListIncidentsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateIncident(
      grpc::CallbackServerContext* ctx,
      const v1::UpdateIncidentRequest* request,
      v1::Incident* response) override;
  grpc::ServerUnaryReactor* PostIncidentUpdate(
      grpc::CallbackServerContext* ctx,
      const v1::PostIncidentUpdateRequest* request,
      v1::IncidentUpdate* response) override;
  grpc::ServerUnaryReactor* EditIncidentUpdate(
      grpc::CallbackServerContext* ctx,
      const v1::EditIncidentUpdateRequest* request,
      v1::IncidentUpdate* response) override;
  grpc::ServerUnaryReactor* ListIncidentUpdates(
      grpc::CallbackServerContext* ctx,
      const v1::ListIncidentUpdatesRequest* request,
      v1::ListIncidentUpdatesResponse* response) override;

 private:
  IncidentLogic& logic_;
  UnaryRunner& runner_;
};

class PostmortemServiceImpl final
    : public LenientService<v1::PostmortemService::CallbackService> {
 public:
  PostmortemServiceImpl(PostmortemLogic& logic, UnaryRunner& runner);

  grpc::ServerUnaryReactor* GetPostmortem(
      grpc::CallbackServerContext* ctx, const v1::GetPostmortemRequest* request,
      v1::Postmortem* response) override;
  grpc::ServerUnaryReactor* UpdatePostmortem(
      grpc::CallbackServerContext* ctx,
      const v1::UpdatePostmortemRequest* request,
      v1::Postmortem* response) override;
  grpc::ServerUnaryReactor* PublishPostmortem(
      grpc::CallbackServerContext* ctx,
      const v1::PublishPostmortemRequest* request,
      v1::Postmortem* response) override;
  grpc::ServerUnaryReactor* UnpublishPostmortem(
      grpc::CallbackServerContext* ctx,
      const v1::UnpublishPostmortemRequest* request,
      v1::Postmortem* response) override;
  grpc::ServerUnaryReactor* ListPostmortemRevisions(
      grpc::CallbackServerContext* ctx,
      const v1::ListPostmortemRevisionsRequest* request,
      v1::ListPostmortemRevisionsResponse* response) override;
  grpc::ServerUnaryReactor* CreateCorrectiveAction(
      grpc::CallbackServerContext* ctx,
      const v1::CreateCorrectiveActionRequest* request,
      v1::CorrectiveAction* response) override;
  grpc::ServerUnaryReactor* ListCorrectiveActions(
      grpc::CallbackServerContext* ctx,
      const v1::ListCorrectiveActionsRequest* request,
      v1::ListCorrectiveActionsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateCorrectiveAction(
      grpc::CallbackServerContext* ctx,
      const v1::UpdateCorrectiveActionRequest* request,
      v1::CorrectiveAction* response) override;

 private:
  PostmortemLogic& logic_;
  UnaryRunner& runner_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_GRPC_SERVICES_H_
