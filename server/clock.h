// The one source of time for the server: a Clock interface, the real clock,
// and a settable FakeClock for tests.
#ifndef INCIDENTD_SERVER_CLOCK_H_
#define INCIDENTD_SERVER_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace incidentd {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class RealClock final : public Clock {
 public:
  absl::Time Now() const override;
};

// Time stands still until a test moves it.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000))
      : now_(start) {}
  absl::Time Now() const override;
  void Set(absl::Time t);
  void Advance(absl::Duration d);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// Times are stored with microsecond precision; the server truncates every
// time it writes so that what a write returns equals what a later read does.
inline absl::Time TruncateToMicros(absl::Time t) {
  return absl::FromUnixMicros(absl::ToUnixMicros(t));
}

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_CLOCK_H_
