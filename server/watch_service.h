// The event service over gRPC: ListEvents through the UnaryRunner like every
// unary method, and WatchPage as a callback-API write reactor per stream
// (streams are reactors, not threads). WatchPage is registered raw, taking
// and sending ByteBuffers, so that every watcher of a page sends the same
// encoding of each event (see EncodedEvent) instead of re-serializing it.
#ifndef INCIDENTD_SERVER_WATCH_SERVICE_H_
#define INCIDENTD_SERVER_WATCH_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "incidentd/v1/events.grpc.pb.h"
#include "server/clock.h"
#include "server/event_hub.h"
#include "server/event_watcher.h"
#include "server/lenient_parsing.h"
#include "server/unary.h"
#include "server/watch_logic.h"

namespace incidentd {

class EventServiceImpl final
    : public LenientService<v1::EventService::WithRawCallbackMethod_WatchPage<
          v1::EventService::WithCallbackMethod_ListEvents<
              v1::EventService::Service>>> {
 public:
  EventServiceImpl(WatchLogic& logic, EventHub& hub, UnaryRunner& runner,
                   const Clock& clock, EventWatcher::Options watch_options);

  grpc::ServerUnaryReactor* ListEvents(
      grpc::CallbackServerContext* ctx, const v1::ListEventsRequest* request,
      v1::ListEventsResponse* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchPage(
      grpc::CallbackServerContext* ctx,
      const grpc::ByteBuffer* request) override;

 private:
  WatchLogic& logic_;
  EventHub& hub_;
  UnaryRunner& runner_;
  const Clock& clock_;
  const EventWatcher::Options watch_options_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_WATCH_SERVICE_H_
