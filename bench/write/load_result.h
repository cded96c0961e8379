// What one load run of the write benchmarks measures, the same record for
// incidentd (over gRPC) and for the raw SQL replay, so that the two sides of
// every figure are computed by the same code.
#ifndef INCIDENTD_BENCH_WRITE_LOAD_RESULT_H_
#define INCIDENTD_BENCH_WRITE_LOAD_RESULT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "bench/common/bench_common.h"

namespace incidentd::bench::write {

// A run warms up, then is measured for `measure`; what completes (closed
// loop) or is scheduled (open loop) inside [start + warmup, + measure]
// counts.
struct RunTiming {
  absl::Duration warmup;
  absl::Duration measure;
};

// Called on the thread that runs the load, at the start and at the end of
// the measured window: where the caller reads the database's counters.
struct WindowHooks {
  std::function<void()> at_start = [] {};
  std::function<void()> at_end = [] {};
};

struct LoadResult {
  absl::Duration window;  // the measured window as it really was
  int64_t ok = 0;         // updates committed
  // Attempts refused with RESOURCE_EXHAUSTED (incidentd's full queue).
  int64_t rejected = 0;
  int64_t deadline_exceeded = 0;
  // Any other failure, by a short description; the first one's text.
  std::map<std::string, int64_t> other_errors;
  std::string first_error;
  Histogram ok_latency;        // first attempt (or schedule) to commit
  Histogram reject_latency;    // send to RESOURCE_EXHAUSTED

  double ok_per_second() const {
    const double s = absl::ToDoubleSeconds(window);
    return s > 0 ? static_cast<double>(ok) / s : 0;
  }
  int64_t other_error_count() const {
    int64_t n = 0;
    for (const auto& [what, count] : other_errors) n += count;
    return n;
  }
  void Merge(const LoadResult& other) {
    ok += other.ok;
    rejected += other.rejected;
    deadline_exceeded += other.deadline_exceeded;
    for (const auto& [what, count] : other.other_errors) {
      other_errors[what] += count;
    }
    if (first_error.empty()) first_error = other.first_error;
    ok_latency.Merge(other.ok_latency);
    reject_latency.Merge(other.reject_latency);
  }
};

}  // namespace incidentd::bench::write

#endif  // INCIDENTD_BENCH_WRITE_LOAD_RESULT_H_
