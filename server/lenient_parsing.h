// Requests that do not parse: a proto3 string field that is not valid UTF-8,
// or broken wire data. gRPC answers those itself, UNIMPLEMENTED with an empty
// message, before any handler runs; the API promises INVALID_ARGUMENT ("not
// UTF-8; fix the request"). So the services replace gRPC's unary handlers
// with LenientUnaryHandler: a request that fails to parse reaches the
// service empty and marked, and UnaryRunner answers it INVALID_ARGUMENT.
//
// This leans on grpc::internal (gRPC 1.51's CallbackUnaryHandler), kept to
// this one header.
#ifndef INCIDENTD_SERVER_LENIENT_PARSING_H_
#define INCIDENTD_SERVER_LENIENT_PARSING_H_

#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/message_allocator.h>

#include <functional>
#include <utility>

#include "google/protobuf/message.h"

namespace incidentd {

// Why a request reached the service without its content.
enum class ParseFailure {
  kNone,
  // Its bytes did not parse (see above): the caller's mistake.
  kMalformed,
  // There were no bytes: the call ended (cancelled, its deadline passed)
  // before its message arrived, as happens to many calls under overload.
  kMissing,
};

// What `request` went through (see above).
ParseFailure ParseFailureOf(const google::protobuf::Message& request);
// Empties `request` and marks it with `why` (not kNone).
void MarkUnparsedRequest(google::protobuf::Message* request,
                         ParseFailure why);

template <typename Request, typename Response>
class LenientUnaryHandler final : public grpc::internal::MethodHandler {
 public:
  using GetReactor = std::function<grpc::ServerUnaryReactor*(
      grpc::CallbackServerContext*, const Request*, Response*)>;

  explicit LenientUnaryHandler(GetReactor get_reactor)
      : inner_(std::move(get_reactor)) {}

  void RunHandler(const HandlerParameter& param) override {
    inner_.RunHandler(param);
  }

  void* Deserialize(grpc_call* call, grpc_byte_buffer* req,
                    grpc::Status* status, void** handler_data) override {
    void* request = inner_.Deserialize(call, req, status, handler_data);
    if (status->ok() || *handler_data == nullptr) return request;
    // gRPC's handler left its message holder (on the call's arena) behind;
    // its request goes on, empty and marked.
    Request* marked =
        static_cast<grpc::MessageHolder<Request, Response>*>(*handler_data)
            ->request();
    MarkUnparsedRequest(marked, req == nullptr ? ParseFailure::kMissing
                                               : ParseFailure::kMalformed);
    *status = grpc::Status::OK;
    return marked;
  }

 private:
  grpc::internal::CallbackUnaryHandler<Request, Response> inner_;
};

// Parses a raw request (see LenientService::ServeRaw); what failed, if
// anything, is marked on `request` as for typed methods.
void ParseRawRequest(const grpc::ByteBuffer& bytes,
                     google::protobuf::Message* request);

// A method's position in its service definition, as the generated code
// numbers them: the index ParseLeniently takes. `service` is the full name,
// e.g. "incidentd.v1.PageService".
int MethodIndex(const char* service, const char* method);

// A generated CallbackService whose unary methods can be switched to
// LenientUnaryHandler.
template <typename CallbackService>
class LenientService : public CallbackService {
 protected:
  // `index` is the method's position in the service definition.
  template <typename Request, typename Response>
  void ParseLeniently(
      int index,
      typename LenientUnaryHandler<Request, Response>::GetReactor reactor) {
    this->MarkMethodCallback(
        index, new LenientUnaryHandler<Request, Response>(std::move(reactor)));
  }

  // A unary method served as bytes both ways: for answers kept serialized
  // (the read cache), which gRPC would otherwise copy into a message and
  // serialize again on every call. The method parses its request with
  // ParseRawRequest.
  using RawReactor = std::function<grpc::ServerUnaryReactor*(
      grpc::CallbackServerContext*, const grpc::ByteBuffer*,
      grpc::ByteBuffer*)>;
  void ServeRaw(int index, RawReactor reactor) {
    this->MarkMethodRawCallback(
        index,
        new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer,
                                                 grpc::ByteBuffer>(
            std::move(reactor)));
  }
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_LENIENT_PARSING_H_
