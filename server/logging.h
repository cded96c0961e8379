// The server's log: one line per event on stderr,
//   2026-11-20T23:12:01.123456Z INFO [rpc] message
// Abseil 20220623 has no absl/log, so this is the one place that writes logs.
#ifndef INCIDENTD_SERVER_LOGGING_H_
#define INCIDENTD_SERVER_LOGGING_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
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
