// The read benchmarks' load generator: unary gRPC calls over raw bytes
// (grpc::GenericStub on completion queues), many in flight from a few
// threads, spread over several channels, in a closed loop (K calls always in
// flight) or an open loop (calls sent on a fixed schedule whatever the
// answers). The same generator drives incidentd and the bare server, so two
// figures taken with it differ only by the server.
#ifndef INCIDENTD_BENCH_READ_LOAD_GENERATOR_H_
#define INCIDENTD_BENCH_READ_LOAD_GENERATOR_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/generic/generic_stub.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/common/bench_common.h"

namespace incidentd::bench {

// One unary call as bytes: "/package.Service/Method" and its serialized
// request, sent as is every time.
struct UnaryCall {
  std::string method;
  std::string request;
};

// How long a run warms up (calls not counted), how long it is measured, and
// the deadline of every call.
struct RunTiming {
  absl::Duration warmup;
  absl::Duration measure;
  absl::Duration deadline = absl::Seconds(10);
};

// What the calls started inside the measured window came to.
struct RunResult {
  absl::Duration window;
  int64_t started = 0;  // calls sent in the window
  std::array<int64_t, 17> by_code{};  // indexed by grpc::StatusCode
  Histogram ok_latency;        // send to OK answer
  Histogram rejected_latency;  // send to RESOURCE_EXHAUSTED
  // Open loop only: how late each send was against its schedule (the
  // generator's own lag), and calls not sent: when `max_in_flight` were
  // already out, or when the generator fell more than kMaxSendLag behind
  // (it was descheduled: sending the backlog at once would measure a burst
  // the schedule never asked for).
  Histogram send_lag;
  int64_t not_sent = 0;
  int64_t skipped_late = 0;
  // CPU seconds this process (the generator) used during the whole run.
  double generator_cpu_seconds = 0;
  absl::Duration elapsed;  // wall time of the whole run

  int64_t ok() const { return by_code[grpc::StatusCode::OK]; }
  int64_t count(grpc::StatusCode code) const { return by_code[code]; }
  int64_t errors() const { return started - ok(); }
  double ok_per_second() const;
  double started_per_second() const;
  // "OK 1234, RESOURCE_EXHAUSTED 5" for notes; only the codes seen.
  std::string CodesSummary() const;
};

class LoadGenerator {
 public:
  static constexpr absl::Duration kMaxSendLag = absl::Milliseconds(2);

  // Opens `channels` channels to `address`, each its own TCP connection (a
  // connection serialises its calls' frames: one would be the bottleneck),
  // and `threads` completion-queue threads; waits until all are connected.
  static absl::StatusOr<std::unique_ptr<LoadGenerator>> Connect(
      const std::string& address, int channels, int threads);
  ~LoadGenerator();

  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  // Closed loop: `in_flight` calls always out; each answer sends the next
  // call at once on the same channel. Latency is from send to answer.
  RunResult Closed(const UnaryCall& call, int in_flight,
                   const RunTiming& timing);

  // Open loop: calls sent at `rate` per second on a fixed schedule, whatever
  // the answers, round-robin over the channels; at most `max_in_flight` out
  // (further sends are counted in not_sent). Latency is from the actual
  // send; send_lag tells how far sends fell behind the schedule. A send
  // more than kMaxSendLag late is skipped (skipped_late): the server does
  // not slow the pacer (it never waits for answers), so lateness is the
  // generator's own and must not turn into a burst at the server.
  RunResult Open(const UnaryCall& call, double rate, const RunTiming& timing,
                 int max_in_flight = 100000);

 private:
  class Run;
  struct Call;

  LoadGenerator() = default;
  void Poll(int index);
  void Send(Run& run, int channel, int64_t intended_ns);
  void Complete(Call* call);

  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::thread> pollers_;
};

// CPU seconds (user + system) used so far by process `pid`, from /proc; 0
// when it cannot be read (or pid <= 0).
double ProcessCpuSeconds(int pid);

// The local MariaDB/MySQL server listening on `port` as started by
// scripts/db.sh (its command line holds --port=PORT), or 0 when none is
// found (e.g. a remote database): its CPU use tells whether the database
// limits a figure.
int FindDatabasePid(int port);

}  // namespace incidentd::bench

#endif  // INCIDENTD_BENCH_READ_LOAD_GENERATOR_H_
