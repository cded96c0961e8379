#include "server/watch_service.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "server/logging.h"
#include "server/status_mapping.h"
#include "server/strings.h"

namespace incidentd {
namespace {

// One stream: forwards gRPC's reactions to its watcher and the watcher's
// writes to gRPC. Deletes itself when gRPC is done with it.
class WatchReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
                           public WatchStream {
 public:
  explicit WatchReactor(const Clock& clock)
      : clock_(clock), start_(clock.Now()) {}

  void Attach(std::shared_ptr<EventWatcher> watcher) {
    watcher_ = std::move(watcher);
  }
  void set_page(std::string page) { page_ = std::move(page); }

  // WatchStream.
  void SendHeaders() override { StartSendInitialMetadata(); }
  void Send(const grpc::ByteBuffer* message) override { StartWrite(message); }
  void Close(const absl::Status& status) override {
    status_ = status;
    Finish(ToGrpcStatus(status));
  }

  // Reactions; none before the handler returned, so watcher_ is set.
  void OnWriteDone(bool ok) override {
    if (watcher_ != nullptr) watcher_->OnWriteDone(ok);
  }
  void OnCancel() override {
    if (watcher_ != nullptr) watcher_->OnCancel();
  }
  void OnDone() override {
    if (watcher_ != nullptr) watcher_->OnDone();
    LogEnd();
    delete this;
  }

 private:
  void LogEnd() const {
    const double seconds = absl::ToDoubleSeconds(clock_.Now() - start_);
    std::string line =
        absl::StrFormat("EventService.WatchPage %s %s %.1fs", page_,
                        absl::StatusCodeToString(status_.code()), seconds);
    if (!status_.ok()) StrAppend(&line, ": ", status_.message());
    Log(RpcEndLevel(status_.code(), /*stream=*/true), "rpc", line);
  }

  const Clock& clock_;
  const absl::Time start_;
  std::string page_ = "-";
  std::shared_ptr<EventWatcher> watcher_;
  // Written by Close, read by OnDone, which gRPC calls after the Finish.
  absl::Status status_ = absl::CancelledError("never finished");
};

bool ParseRequest(const grpc::ByteBuffer& bytes, v1::WatchPageRequest* out) {
  std::vector<grpc::Slice> slices;
  if (!bytes.Dump(&slices).ok()) return false;
  std::string joined;
  for (const grpc::Slice& s : slices) {
    joined.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  // Fails on invalid UTF-8 in a string field too.
  return out->ParseFromString(joined);
}

int ListEventsIndex() {
  return google::protobuf::DescriptorPool::generated_pool()
      ->FindServiceByName("incidentd.v1.EventService")
      ->FindMethodByName("ListEvents")
      ->index();
}

}  // namespace

EventServiceImpl::EventServiceImpl(WatchLogic& logic, EventHub& hub,
                                   UnaryRunner& runner, const Clock& clock,
                                   EventWatcher::Options watch_options)
    : logic_(logic),
      hub_(hub),
      runner_(runner),
      clock_(clock),
      watch_options_(watch_options) {
  ParseLeniently<v1::ListEventsRequest, v1::ListEventsResponse>(
      ListEventsIndex(), [this](grpc::CallbackServerContext* ctx,
                                const v1::ListEventsRequest* request,
                                v1::ListEventsResponse* response) {
        return ListEvents(ctx, request, response);
      });
}

grpc::ServerUnaryReactor* EventServiceImpl::ListEvents(
    grpc::CallbackServerContext* ctx, const v1::ListEventsRequest* request,
    v1::ListEventsResponse* response) {
  return runner_.Run(ctx, "EventService.ListEvents", *request, response,
                     [this, request](absl::Time deadline) {
                       return logic_.ListEvents(*request, deadline);
                     });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* EventServiceImpl::WatchPage(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  auto* reactor = new WatchReactor(clock_);
  v1::WatchPageRequest parsed;
  if (request == nullptr || !ParseRequest(*request, &parsed)) {
    reactor->Close(absl::InvalidArgumentError(
        "the request could not be parsed: a string field is not valid UTF-8, "
        "or the message is malformed"));
    return reactor;
  }
  // For the log line only; cut short, as it is user input.
  reactor->set_page(parsed.page().substr(0, 120));
  absl::StatusOr<WatchRequest> watch = ParseWatchRequest(parsed);
  if (!watch.ok()) {
    reactor->Close(watch.status());
    return reactor;
  }
  auto watcher = std::make_shared<EventWatcher>(
      *std::move(watch), watch_options_, logic_, hub_, clock_, reactor);
  reactor->Attach(watcher);
  // The watcher is attached first: its start read may finish before this
  // handler returns.
  if (absl::Status added = hub_.AddWatcher(watcher); !added.ok()) {
    watcher->End(added);
  }
  return reactor;
}

}  // namespace incidentd
