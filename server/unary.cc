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

void UnaryRunner::Finish(grpc::ServerUnaryReactor* reactor, const char* method,
                         absl::Time start, const absl::Status& status) const {
  const absl::Time now = clock_.Now();
  int64_t suppressed = 0;
  // Refusals come in floods exactly when CPU is short: one line a second.
  const bool log =
      status.ok()
          ? log_reads_ || now - start >= kSlowRead || !IsReadMethod(method)
          : status.code() != absl::StatusCode::kResourceExhausted ||
                refusals_.Admit(now, &suppressed);
  if (log) {
    const double ms = absl::ToDoubleMilliseconds(now - start);
    std::string line = absl::StrFormat(
        "%s %s %.1fms", method, absl::StatusCodeToString(status.code()), ms);
    if (!status.ok()) StrAppend(&line, ": ", status.message());
    if (suppressed > 0) {
      StrAppend(&line, " (and ", suppressed,
                " more refused since the last such line)");
    }
    Log(RpcEndLevel(status.code(), /*stream=*/false), "rpc", line);
  }
  reactor->Finish(ToGrpcStatus(status));
}

}  // namespace incidentd
