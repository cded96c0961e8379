#include "server/unary.h"

#include "absl/strings/str_format.h"
#include "server/logging.h"
#include "server/status_mapping.h"
#include "server/strings.h"

namespace incidentd {

absl::Time UnaryRunner::DeadlineFor(
    const grpc::CallbackServerContext& ctx) const {
  const std::chrono::system_clock::time_point d = ctx.deadline();
  // gRPC reports "no deadline" as the largest time point.
  if (d == std::chrono::system_clock::time_point::max()) {
    return clock_.Now() + default_deadline_;
  }
  return absl::FromChrono(d);
}

namespace {

// A read this slow is logged even when reads are not.
constexpr absl::Duration kSlowRead = absl::Milliseconds(100);

}  // namespace

LogThrottle* UnaryRunner::FloodThrottle(absl::StatusCode code) const {
  switch (code) {
    case absl::StatusCode::kResourceExhausted:
      return &refused_;
    case absl::StatusCode::kDeadlineExceeded:
      return &expired_;
    case absl::StatusCode::kCancelled:
      return &cancelled_;
    default:
      return nullptr;
  }
}

void UnaryRunner::Finish(grpc::ServerUnaryReactor* reactor, const char* method,
                         absl::Time start, const absl::Status& status) const {
  const absl::Time now = clock_.Now();
  int64_t suppressed = 0;
  bool log = true;
  if (status.ok()) {
    log = log_reads_ || now - start >= kSlowRead || !IsReadMethod(method);
  } else if (LogThrottle* flood = FloodThrottle(status.code())) {
    log = flood->Admit(now, &suppressed);
  }
  if (log) {
    const double ms = absl::ToDoubleMilliseconds(now - start);
    std::string line = absl::StrFormat(
        "%s %s %.1fms", method, absl::StatusCodeToString(status.code()), ms);
    if (!status.ok()) StrAppend(&line, ": ", status.message());
    if (suppressed > 0) {
      StrAppend(&line, " (and ", suppressed,
                " more such answers since the last such line)");
    }
    Log(RpcEndLevel(status.code(), /*stream=*/false), "rpc", line);
  }
  reactor->Finish(ToGrpcStatus(status));
}

}  // namespace incidentd
