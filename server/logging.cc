#include "server/logging.h"

#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace incidentd {
namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

}  // namespace

std::string FormatLogLine(absl::Time time, LogLevel level,
                          std::string_view component,
                          std::string_view message) {
  return StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone()), " ",
      LevelName(level), " [", component, "] ", message);
}

void Log(LogLevel level, std::string_view component, std::string_view message) {
  static absl::Mutex mu(absl::kConstInit);
  std::string line = FormatLogLine(absl::Now(), level, component, message);
  line.push_back('\n');
  absl::MutexLock lock(&mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

LogLevel RpcEndLevel(absl::StatusCode code, bool stream) {
  switch (code) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      return LogLevel::kError;
    case absl::StatusCode::kUnavailable:
      return stream ? LogLevel::kInfo : LogLevel::kWarn;
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
      return LogLevel::kWarn;
    default:
      return LogLevel::kInfo;
  }
}

bool IsReadMethod(std::string_view method) {
  const size_t dot = method.rfind('.');
  const std::string_view name =
      dot == std::string_view::npos ? method : method.substr(dot + 1);
  for (std::string_view verb : {"Get", "List", "Count"}) {
    if (name.substr(0, verb.size()) == verb) return true;
  }
  return false;
}

bool LogThrottle::Admit(absl::Time now, int64_t* suppressed) {
  absl::MutexLock lock(&mu_);
  if (now < next_) {
    ++suppressed_;
    return false;
  }
  next_ = now + period_;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

void FailureEdgeLog::Record(const absl::Status& round) {
  if (!round.ok() && !failing_) {
    Log(LogLevel::kWarn, component_, StrCat(job_, " failing: ", round.ToString()));
  } else if (round.ok() && failing_) {
    Log(LogLevel::kInfo, component_, StrCat(job_, " succeeding again"));
  }
  failing_ = !round.ok();
}

}  // namespace incidentd
