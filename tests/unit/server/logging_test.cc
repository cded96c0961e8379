#include "server/logging.h"

#include "gtest/gtest.h"

namespace incidentd {
namespace {

TEST(LoggingTest, FormatLogLine_TimestampLevelComponentMessage) {
  absl::Time t = absl::FromUnixMicros(1795216321123456);  // 2026-11-20T23:12:01
  EXPECT_EQ(FormatLogLine(t, LogLevel::kInfo, "rpc", "hello"),
            "2026-11-20T23:12:01.123456Z INFO [rpc] hello");
  EXPECT_EQ(FormatLogLine(t, LogLevel::kWarn, "health", "x"),
            "2026-11-20T23:12:01.123456Z WARN [health] x");
  EXPECT_EQ(FormatLogLine(t, LogLevel::kError, "main", "y"),
            "2026-11-20T23:12:01.123456Z ERROR [main] y");
}

TEST(LoggingTest, FormatLogLine_WholeSecondsKeepSixDigits) {
  absl::Time t = absl::FromUnixSeconds(0);
  EXPECT_EQ(FormatLogLine(t, LogLevel::kInfo, "c", "m"),
            "1970-01-01T00:00:00.000000Z INFO [c] m");
}

TEST(IsReadMethodTest, GetListCount_AreReads_EverythingElseIsNot) {
  EXPECT_TRUE(IsReadMethod("PageService.GetPageStatus"));
  EXPECT_TRUE(IsReadMethod("incidentd.v1.IncidentService.ListIncidents"));
  EXPECT_TRUE(IsReadMethod("SubscriptionService.CountSubscribers"));
  EXPECT_TRUE(IsReadMethod("GetPage"));
  EXPECT_FALSE(IsReadMethod("IncidentService.PostIncidentUpdate"));
  EXPECT_FALSE(IsReadMethod("PageService.DeletePage"));
  EXPECT_FALSE(IsReadMethod("SubscriptionService.ConfirmSubscriber"));
  // A verb elsewhere in the name does not count.
  EXPECT_FALSE(IsReadMethod("Getter.SetThing"));
  EXPECT_FALSE(IsReadMethod(""));
}

}  // namespace
TEST(LogThrottleTest, OneLinePerPeriod_CountingWhatItHeldBack) {
  LogThrottle throttle(absl::Seconds(1));
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  int64_t suppressed = -1;
  EXPECT_TRUE(throttle.Admit(t0, &suppressed));
  EXPECT_EQ(suppressed, 0);
  EXPECT_FALSE(throttle.Admit(t0 + absl::Milliseconds(10), &suppressed));
  EXPECT_FALSE(throttle.Admit(t0 + absl::Milliseconds(999), &suppressed));
  EXPECT_TRUE(throttle.Admit(t0 + absl::Seconds(1), &suppressed));
  EXPECT_EQ(suppressed, 2);
  EXPECT_TRUE(throttle.Admit(t0 + absl::Seconds(5), &suppressed));
  EXPECT_EQ(suppressed, 0);
}

}  // namespace incidentd
