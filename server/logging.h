// The server's log: one line per event on stderr,
//   2026-11-20T23:12:01.123456Z INFO [rpc] message
// Abseil 20220623 has no absl/log, so this is the one place that writes logs.
#ifndef INCIDENTD_SERVER_LOGGING_H_
#define INCIDENTD_SERVER_LOGGING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/strings.h"

namespace incidentd {

enum class LogLevel { kInfo, kWarn, kError };

// The formatted line, without the trailing newline (exposed for tests).
std::string FormatLogLine(absl::Time time, LogLevel level,
                          std::string_view component, std::string_view message);

// Writes one line atomically (lines from different threads never interleave).
void Log(LogLevel level, std::string_view component, std::string_view message);

// The level of the line that ends an RPC: errors for bugs and lost data,
// warnings for what an operator watches (overload, timeouts, the database
// away), info otherwise. A stream's UNAVAILABLE is how shutdown ends it, so
// streams log it as info.
LogLevel RpcEndLevel(absl::StatusCode code, bool stream);

// Whether a method ("Service.GetX", full names too) only reads: AIP's read
// methods, Get*, List* and Count*. Successful reads are not logged by
// default (UnaryRunner).
bool IsReadMethod(std::string_view method);

// At most one line per period for a kind of event that can come in floods
// (calls refused while overloaded): in overload, a line with a flush per
// refused call costs more CPU than refusing it, and the log says no more.
class LogThrottle {
 public:
  explicit LogThrottle(absl::Duration period) : period_(period) {}
  // Whether an event at `now` gets its line; if so, `*suppressed` is how
  // many events since the last line did not.
  bool Admit(absl::Time now, int64_t* suppressed);

 private:
  const absl::Duration period_;
  absl::Mutex mu_;
  absl::Time next_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

// For a background job that runs in rounds: one line when its rounds start
// failing and one when they succeed again, not one per round while (say)
// the database is away. Not thread-safe: one per job thread.
class FailureEdgeLog {
 public:
  // `job` names it in the lines, e.g. "dispatch".
  FailureEdgeLog(std::string component, std::string job)
      : component_(std::move(component)), job_(std::move(job)) {}
  void Record(const absl::Status& round);

 private:
  const std::string component_;
  const std::string job_;
  bool failing_ = false;
};

template <typename... Args>
void LogInfo(std::string_view component, const Args&... args) {
  Log(LogLevel::kInfo, component, StrCat(args...));
}
template <typename... Args>
void LogWarn(std::string_view component, const Args&... args) {
  Log(LogLevel::kWarn, component, StrCat(args...));
}
template <typename... Args>
void LogError(std::string_view component, const Args&... args) {
  Log(LogLevel::kError, component, StrCat(args...));
}

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_LOGGING_H_
