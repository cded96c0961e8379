// bench_bare_server: the ceiling the read benchmarks compare incidentd with.
// A gRPC callback-API server that answers every unary method at once with
// one fixed, pre-serialized response of --response_bytes bytes, ignoring the
// request: gRPC's own cost per call and nothing else.
//
//   bench_bare_server --listen=127.0.0.1:PORT --response_bytes=N
//
// Same server set-up as incidentd where it matters for a unary read: the
// callback API, default channel arguments (max message sizes), no
// compression, the default health service (so callers can wait for SERVING
// the same way), and Abseil's mutex deadlock detection off. It runs until
// killed (SIGTERM).
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "address to serve on");
ABSL_FLAG(int64_t, response_bytes, 0,
          "size of the response every call gets, in bytes (0 or >= 2)");

namespace incidentd::bench {
namespace {

int VarintSize(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Exactly `size` bytes that parse as a protobuf message holding one unknown
// length-delimited field (number 15), so that a client that does decode the
// answer gets a valid message of the right size. (A size of 1 cannot be
// written that way; it becomes 2.)
std::string PaddingMessage(int64_t size) {
  if (size <= 0) return "";
  for (int64_t payload = size - 2; payload >= 0; --payload) {
    if (1 + VarintSize(payload) + payload != size) continue;
    std::string out;
    out.push_back(static_cast<char>((15 << 3) | 2));
    uint64_t v = static_cast<uint64_t>(payload);
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
    out.append(static_cast<size_t>(payload), 'x');
    return out;
  }
  return std::string("\x7a\x00", 2);
}

// One call: read the request (a unary call sends exactly one), answer with
// the shared response and finish, all from gRPC's callbacks.
class AnswerReactor : public grpc::ServerGenericBidiReactor {
 public:
  explicit AnswerReactor(const grpc::ByteBuffer* response)
      : response_(response) {
    StartRead(&request_);
  }
  void OnReadDone(bool /*ok*/) override {
    // Sending copies the buffer's slice references, not its bytes.
    StartWriteAndFinish(response_, grpc::WriteOptions(), grpc::Status::OK);
  }
  void OnDone() override { delete this; }

 private:
  const grpc::ByteBuffer* const response_;
  grpc::ByteBuffer request_;
};

class AnswerEverything : public grpc::CallbackGenericService {
 public:
  explicit AnswerEverything(const std::string& response) {
    grpc::Slice slice(response);
    response_ = grpc::ByteBuffer(&slice, 1);
  }
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* /*ctx*/) override {
    return new AnswerReactor(&response_);
  }

 private:
  grpc::ByteBuffer response_;
};

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As incidentd does (server/main.cc): Debian's Abseil is built without
  // NDEBUG, so every Mutex acquisition (gRPC's included) would also update
  // the deadlock-detection graph under one global lock, a cost incidentd
  // does not carry (GraphCycles::GetId was the top symbol of this server's
  // profile in overload).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::string listen = absl::GetFlag(FLAGS_listen);
  const int64_t bytes = absl::GetFlag(FLAGS_response_bytes);
  if (bytes < 0 || bytes > 4 * 1024 * 1024) {
    std::fprintf(stderr, "--response_bytes must be 0 to 4 MiB\n");
    return 2;
  }
  AnswerEverything service(PaddingMessage(bytes));
  // Registered services win over the generic one: Health/Check is answered
  // by gRPC's health service, every other method by `service`.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::fprintf(stderr, "bench_bare_server: port %d, %lld-byte responses\n",
               port, static_cast<long long>(bytes));
  server->Wait();
  return 0;
}

}  // namespace
}  // namespace incidentd::bench

int main(int argc, char** argv) {
  return incidentd::bench::Main(argc, argv);
}
