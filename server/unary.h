// The one bridge from gRPC's callback API to the executor: a unary handler
// supplies "a function of the deadline returning absl::StatusOr<Response>";
// UnaryRunner runs it on the executor (never on a gRPC thread), maps its
// status, finishes the reactor and logs one line per RPC.
#ifndef INCIDENTD_SERVER_UNARY_H_
#define INCIDENTD_SERVER_UNARY_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "server/clock.h"
#include "server/executor.h"
#include "server/logging.h"
#include "server/lenient_parsing.h"

namespace incidentd {

class UnaryRunner {
 public:
  // `default_deadline` applies when the client set none. Successful reads
  // (Get*, List*, Count*) are logged only with `log_reads` or when slow: a
  // busy status page is read tens of thousands of times a second, and a
  // line each would cost more than answering (and say nothing).
  UnaryRunner(Executor& executor, const Clock& clock,
              absl::Duration default_deadline, bool log_reads = false)
      : executor_(executor),
        clock_(clock),
        default_deadline_(default_deadline),
        log_reads_(log_reads) {}

  // Until set, every RPC answers UNAVAILABLE: the server listens (so health
  // can say NOT_SERVING) before the database and its schema are ready.
  void SetAccepting(bool accepting) { accepting_.store(accepting); }

  // The deadline storage work of this call must respect.
  absl::Time DeadlineFor(const grpc::CallbackServerContext& ctx) const;

  // `fn(absl::Time deadline) -> absl::StatusOr<Response>` runs on the
  // executor; its value is moved into `*response` when OK. `request` is
  // only looked at for the mark of a request that did not parse.
  template <typename Response, typename Fn>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx,
                                const char* method,
                                const google::protobuf::Message& request,
                                Response* response, Fn fn) {
    return RunFast(
        ctx, method, request, response,
        [] { return std::optional<absl::StatusOr<Response>>(); },
        std::move(fn));
  }

  // Run, but `fast() -> std::optional<absl::StatusOr<Response>>` is tried
  // first, on gRPC's thread: it answers what needs no blocking work (a
  // cached read, an invalid request) and returns nullopt for the rest,
  // which goes to the executor as in Run. A hit thus costs no thread
  // hand-off; `fast` must never block.
  template <typename Response, typename Fast, typename Fn>
  grpc::ServerUnaryReactor* RunFast(grpc::CallbackServerContext* ctx,
                                    const char* method,
                                    const google::protobuf::Message& request,
                                    Response* response, Fast fast, Fn fn) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    const absl::Time start = clock_.Now();
    switch (ParseFailureOf(request)) {
      case ParseFailure::kNone:
        break;
      case ParseFailure::kMissing:
        // No one waits for this answer: the call is already over.
        Finish(reactor, method, start,
               absl::CancelledError(
                   "the call ended before its request message arrived"));
        return reactor;
      case ParseFailure::kMalformed:
        Finish(reactor, method, start,
               absl::InvalidArgumentError(
                   "the request could not be parsed: a string field is not "
                   "valid UTF-8, or the message is malformed"));
        return reactor;
    }
    if (!accepting_.load()) {
      Finish(reactor, method, start,
             absl::UnavailableError("server is starting; retry shortly"));
      return reactor;
    }
    // Under a flood, calls can wait in gRPC itself until their callers have
    // given up: answering those would only take CPU from the live ones.
    const absl::Time deadline = DeadlineFor(*ctx);
    if (deadline <= start) {
      Finish(reactor, method, start,
             absl::DeadlineExceededError("deadline exceeded before the call "
                                         "was handled"));
      return reactor;
    }
    std::optional<absl::StatusOr<Response>> answer = fast();
    if (answer.has_value()) {
      if (answer->ok()) *response = **std::move(answer);
      Finish(reactor, method, start, answer->status());
      return reactor;
    }
    absl::Status submitted = executor_.Submit(
        deadline, [this, ctx, reactor, method, start, deadline, response,
                   fn = std::move(fn)](absl::Status ready) mutable {
          if (!ready.ok()) {
            Finish(reactor, method, start, ready);
            return;
          }
          // The client gave up while the call waited; don't do its work.
          if (ctx->IsCancelled()) {
            Finish(reactor, method, start,
                   absl::CancelledError("call cancelled"));
            return;
          }
          absl::StatusOr<Response> result = fn(deadline);
          if (result.ok()) *response = *std::move(result);
          Finish(reactor, method, start, result.status());
        });
    if (!submitted.ok()) Finish(reactor, method, start, submitted);
    return reactor;
  }

 private:
  void Finish(grpc::ServerUnaryReactor* reactor, const char* method,
              absl::Time start, const absl::Status& status) const;
  // The throttle of the answers of `code` that come in floods; null for
  // the others (one line each).
  LogThrottle* FloodThrottle(absl::StatusCode code) const;

  Executor& executor_;
  const Clock& clock_;
  const absl::Duration default_deadline_;
  const bool log_reads_;
  std::atomic<bool> accepting_{false};
  // The answers that come in floods when the server is overloaded (refused,
  // expired before they were handled, abandoned by their callers): at most
  // one line a second of each (logging.h).
  mutable LogThrottle refused_{absl::Seconds(1)};
  mutable LogThrottle expired_{absl::Seconds(1)};
  mutable LogThrottle cancelled_{absl::Seconds(1)};
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_UNARY_H_
