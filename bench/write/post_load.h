// Load on incidentd's write path: PostIncidentUpdate over gRPC's callback
// API, many posts in flight from gRPC's few threads. A closed loop (each
// client keeps one post in flight) finds the rate; an open loop (posts sent
// on a fixed schedule whatever the answers) offers more than that.
#ifndef INCIDENTD_BENCH_WRITE_POST_LOAD_H_
#define INCIDENTD_BENCH_WRITE_POST_LOAD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/common/bench_common.h"
#include "bench/write/load_result.h"

namespace incidentd::bench::write {

// One client per entry of `incidents` (resource names; several clients may
// name the same incident), each posting in a loop. Every post carries a new
// request_id, as a real caller's would. A post refused with
// RESOURCE_EXHAUSTED is retried after an exponential backoff with jitter
// (5 ms doubling to 200 ms), as a well-behaved client retries; its latency
// runs from its first attempt, so the backoff is part of it.
absl::StatusOr<LoadResult> RunClosedLoop(const std::string& address,
                                         const std::vector<std::string>& incidents,
                                         const std::string& request_prefix,
                                         const RunTiming& timing,
                                         const WindowHooks& hooks);

struct OpenLoopResult {
  LoadResult load;     // by the calls SCHEDULED inside the window
  double offered = 0;  // calls per second scheduled
  Histogram send_lag;  // how late the generator sent against its schedule
};

// Posts sent at `rate` per second on a fixed schedule, round robin over
// `incidents`, each with `deadline` and never retried. Latencies run from
// the send.
absl::StatusOr<OpenLoopResult> RunOpenLoop(
    const std::string& address, const std::vector<std::string>& incidents,
    const std::string& request_prefix, double rate, absl::Duration deadline,
    const RunTiming& timing);

}  // namespace incidentd::bench::write

#endif  // INCIDENTD_BENCH_WRITE_POST_LOAD_H_
