#include "server/health_monitor.h"

#include <vector>

#include "gtest/gtest.h"
#include "server/clock.h"
#include "tests/unit/server/fake_store.h"

namespace incidentd::testing {
namespace {

TEST(HealthMonitorTest, ReportsOnTheFirstProbeAndOnEveryChangeOnly) {
  FakeStore store;
  FakeClock clock;
  std::vector<bool> reports;
  HealthMonitor monitor(store, clock, absl::Seconds(1),
                        [&](bool serving) { reports.push_back(serving); });
  EXPECT_TRUE(monitor.ProbeOnce());
  EXPECT_TRUE(monitor.ProbeOnce());
  store.SetAvailable(false);
  EXPECT_FALSE(monitor.ProbeOnce());
  EXPECT_FALSE(monitor.ProbeOnce());
  store.SetAvailable(true);
  EXPECT_TRUE(monitor.ProbeOnce());
  EXPECT_EQ(reports, (std::vector<bool>{true, false, true}));
}

}  // namespace
}  // namespace incidentd::testing
