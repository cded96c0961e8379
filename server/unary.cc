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

void UnaryRunner::Finish(grpc::ServerUnaryReactor* reactor, const char* method,
                         absl::Time start, const absl::Status& status) const {
  const double ms = absl::ToDoubleMilliseconds(clock_.Now() - start);
  std::string line = absl::StrFormat(
      "%s %s %.1fms", method, absl::StatusCodeToString(status.code()), ms);
  if (!status.ok()) StrAppend(&line, ": ", status.message());
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      Log(LogLevel::kError, "rpc", line);
      break;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
      Log(LogLevel::kWarn, "rpc", line);
      break;
    default:
      Log(LogLevel::kInfo, "rpc", line);
  }
  reactor->Finish(ToGrpcStatus(status));
}

}  // namespace incidentd
