#include "bench/write/fixture.h"

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "incidentd/v1/components.grpc.pb.h"
#include "incidentd/v1/incidents.grpc.pb.h"
#include "incidentd/v1/pages.grpc.pb.h"

namespace incidentd::bench::write {
namespace {

absl::Status Call(const std::string& what,
                  const std::function<grpc::Status(grpc::ClientContext*)>& fn) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::Status status = fn(&context);
  if (status.ok()) return absl::OkStatus();
  return absl::UnknownError(absl::StrCat("preparing the database: ", what,
                                         ": gRPC code ", status.error_code(),
                                         ": ", status.error_message()));
}

class Populator {
 public:
  explicit Populator(const std::string& address) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channel_ = grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args);
    pages_ = v1::PageService::NewStub(channel_);
    components_ = v1::ComponentService::NewStub(channel_);
    incidents_ = v1::IncidentService::NewStub(channel_);
  }

  absl::Status Page(const std::string& page_id) {
    v1::CreatePageRequest request;
    request.set_page_id(page_id);
    request.mutable_page()->set_display_name(
        absl::StrCat("Bench page ", page_id));
    request.mutable_page()->set_time_zone(kTimeZone);
    v1::Page page;
    absl::Status s = Call(absl::StrCat("create page ", page_id),
                          [&](grpc::ClientContext* c) {
                            return pages_->CreatePage(c, request, &page);
                          });
    if (!s.ok()) return s;
    v1::CreateComponentRequest component_request;
    component_request.set_parent(absl::StrCat("pages/", page_id));
    component_request.set_component_id(kComponentId);
    component_request.mutable_component()->set_display_name("Public API");
    v1::Component component;
    return Call(absl::StrCat("create component of ", page_id),
                [&](grpc::ClientContext* c) {
                  return components_->CreateComponent(c, component_request,
                                                      &component);
                });
  }

  absl::Status Incident(const std::string& page_id,
                        const std::string& incident_id) {
    v1::CreateIncidentRequest request;
    request.set_parent(absl::StrCat("pages/", page_id));
    request.set_incident_id(incident_id);
    request.mutable_incident()->set_title("Elevated API error rates");
    request.mutable_incident()->add_components(
        absl::StrCat("pages/", page_id, "/components/", kComponentId));
    v1::IncidentUpdate* first = request.mutable_first_update();
    first->set_status(v1::IncidentStatus::INVESTIGATING);
    first->set_body("We are investigating elevated error rates on the API.");
    first->set_author(kPostAuthor);
    first->set_notify(true);
    v1::ComponentChange* change = first->add_component_changes();
    change->set_component(
        absl::StrCat("pages/", page_id, "/components/", kComponentId));
    change->set_status(v1::ComponentStatus::PARTIAL_OUTAGE);
    v1::Incident incident;
    return Call(absl::StrCat("create incident ", page_id, "/", incident_id),
                [&](grpc::ClientContext* c) {
                  return incidents_->CreateIncident(c, request, &incident);
                });
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PageService::Stub> pages_;
  std::unique_ptr<v1::ComponentService::Stub> components_;
  std::unique_ptr<v1::IncidentService::Stub> incidents_;
};

std::string SharedIncidentId(int index) {
  return absl::StrFormat("inc%02d", index);
}

}  // namespace

std::string OwnPageId(int index) { return absl::StrFormat("p%02d", index); }

std::string OwnIncidentName(int index) {
  return absl::StrCat("pages/", OwnPageId(index), "/incidents/inc");
}

std::string SharedIncidentName(int index) {
  return absl::StrCat("pages/", kSharedPageId, "/incidents/",
                      SharedIncidentId(index));
}

absl::Status Populate(const std::string& address, const Layout& layout) {
  Populator p(address);
  if (absl::Status s = p.Page(kSharedPageId); !s.ok()) return s;
  // A few callers at once: each create is a transaction of its own, and
  // one at a time would spend seconds waiting for fsyncs.
  constexpr int kWorkers = 8;
  absl::Mutex mu;
  absl::Status first_error;
  auto note = [&](absl::Status s) {
    absl::MutexLock lock(&mu);
    if (first_error.ok()) first_error = std::move(s);
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int i = w; i < layout.own_pages; i += kWorkers) {
        absl::Status s = p.Page(OwnPageId(i));
        if (s.ok()) s = p.Incident(OwnPageId(i), "inc");
        if (!s.ok()) return note(std::move(s));
      }
      for (int i = w; i < layout.shared_incidents; i += kWorkers) {
        absl::Status s = p.Incident(kSharedPageId, SharedIncidentId(i));
        if (!s.ok()) return note(std::move(s));
      }
    });
  }
  for (std::thread& t : workers) t.join();
  return first_error;
}

}  // namespace incidentd::bench::write
