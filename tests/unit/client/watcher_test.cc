// The watch helper's pure parts: which events reach the caller, what a
// reconnection asks for, and when and where it reconnects.
#include "client/watcher.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace incidentd::client {
namespace {

using Verdict = WatchPosition::Verdict;

v1::WatchPageRequest From(int64_t after) {
  v1::WatchPageRequest request;
  request.set_page("pages/acme");
  request.set_after_sequence(after);
  return request;
}

v1::WatchPageRequest WithSnapshot() {
  v1::WatchPageRequest request;
  request.set_page("pages/acme");
  request.set_snapshot(true);
  return request;
}

// --- WatchPosition ----------------------------------------------------------

TEST(WatchPosition, FromMiddle_DeliversTheNextAndDropsEarlier) {
  WatchPosition position(From(5));
  EXPECT_EQ(position.OnEvent(5), Verdict::kDuplicate);
  EXPECT_EQ(position.OnEvent(3), Verdict::kDuplicate);
  EXPECT_EQ(position.OnEvent(6), Verdict::kDeliver);
  EXPECT_EQ(position.OnEvent(6), Verdict::kDuplicate);
  EXPECT_EQ(position.OnEvent(7), Verdict::kDeliver);
  EXPECT_EQ(position.last_sequence(), 7);
}

TEST(WatchPosition, Unfiltered_MissingEvent_IsGapAndDoesNotMove) {
  WatchPosition position(From(5));
  EXPECT_EQ(position.OnEvent(7), Verdict::kGap);
  EXPECT_EQ(position.last_sequence(), 5);
  EXPECT_EQ(position.NextRequest().after_sequence(), 5);
  EXPECT_EQ(position.OnEvent(6), Verdict::kDeliver);
}

TEST(WatchPosition, FromZero_FirstEventMayBeAnyBecauseOfRetention) {
  WatchPosition position(From(0));
  EXPECT_EQ(position.OnEvent(40), Verdict::kDeliver);
  EXPECT_EQ(position.OnEvent(42), Verdict::kGap);
  EXPECT_EQ(position.OnEvent(41), Verdict::kDeliver);
}

TEST(WatchPosition, Filtered_SkippedSequencesAreNotGaps) {
  v1::WatchPageRequest request = From(5);
  request.add_types(v1::Event::INCIDENT_CREATED);
  WatchPosition position(request);
  EXPECT_EQ(position.OnEvent(9), Verdict::kDeliver);
  EXPECT_EQ(position.OnEvent(9), Verdict::kDuplicate);
  EXPECT_EQ(position.OnEvent(20), Verdict::kDeliver);
}

TEST(WatchPosition, Heartbeat_MovesThePositionForwardOnly) {
  v1::WatchPageRequest request = From(5);
  request.add_components("pages/acme/components/api");
  WatchPosition position(request);
  position.OnHeartbeat(12);
  EXPECT_EQ(position.last_sequence(), 12);
  position.OnHeartbeat(8);
  EXPECT_EQ(position.last_sequence(), 12);
  EXPECT_EQ(position.OnEvent(12), Verdict::kDuplicate);
  EXPECT_EQ(position.NextRequest().after_sequence(), 12);
}

TEST(WatchPosition, HeartbeatFromZero_MakesThePositionKnown) {
  WatchPosition position(From(0));
  position.OnHeartbeat(30);
  EXPECT_EQ(position.OnEvent(32), Verdict::kGap);
  EXPECT_EQ(position.OnEvent(31), Verdict::kDeliver);
}

TEST(WatchPosition, NextRequest_KeepsPageAndFiltersAndResumesAfterLast) {
  v1::WatchPageRequest request = From(3);
  request.add_components("pages/acme/components/api");
  request.add_incidents("pages/acme/incidents/i");
  request.add_types(v1::Event::INCIDENT_UPDATE_POSTED);
  WatchPosition position(request);
  ASSERT_EQ(position.OnEvent(8), Verdict::kDeliver);
  v1::WatchPageRequest next = position.NextRequest();
  EXPECT_EQ(next.page(), "pages/acme");
  EXPECT_EQ(next.after_sequence(), 8);
  EXPECT_FALSE(next.snapshot());
  EXPECT_THAT(next.components(),
              ::testing::ElementsAre("pages/acme/components/api"));
  EXPECT_THAT(next.incidents(),
              ::testing::ElementsAre("pages/acme/incidents/i"));
  EXPECT_THAT(next.types(),
              ::testing::ElementsAre(v1::Event::INCIDENT_UPDATE_POSTED));
}

TEST(WatchPosition, NoEventYet_ResumesFromTheStart) {
  WatchPosition position(From(0));
  EXPECT_EQ(position.NextRequest().after_sequence(), 0);
}

TEST(WatchPosition, SnapshotNotYetReceived_IsAskedForAgain) {
  WatchPosition position(WithSnapshot());
  EXPECT_TRUE(position.snapshot_pending());
  v1::WatchPageRequest next = position.NextRequest();
  EXPECT_TRUE(next.snapshot());
  EXPECT_EQ(next.after_sequence(), 0);
}

TEST(WatchPosition, AfterSnapshot_ResumesAfterItWithoutAnother) {
  WatchPosition position(WithSnapshot());
  position.OnSnapshot(17);
  EXPECT_FALSE(position.snapshot_pending());
  EXPECT_EQ(position.OnEvent(17), Verdict::kDuplicate);
  EXPECT_EQ(position.OnEvent(19), Verdict::kGap);
  EXPECT_EQ(position.OnEvent(18), Verdict::kDeliver);
  v1::WatchPageRequest next = position.NextRequest();
  EXPECT_FALSE(next.snapshot());
  EXPECT_EQ(next.after_sequence(), 18);
}

// --- IsPermanentWatchError --------------------------------------------------

TEST(IsPermanentWatchError, RequestAndPositionErrors_AreFinal) {
  for (absl::StatusCode code :
       {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
        absl::StatusCode::kOutOfRange, absl::StatusCode::kFailedPrecondition,
        absl::StatusCode::kUnauthenticated,
        absl::StatusCode::kPermissionDenied}) {
    EXPECT_TRUE(IsPermanentWatchError(code)) << absl::StatusCodeToString(code);
  }
}

TEST(IsPermanentWatchError, ServerAndTransportErrors_AreRetried) {
  for (absl::StatusCode code :
       {absl::StatusCode::kUnavailable, absl::StatusCode::kResourceExhausted,
        absl::StatusCode::kCancelled, absl::StatusCode::kDeadlineExceeded,
        absl::StatusCode::kInternal, absl::StatusCode::kUnknown,
        absl::StatusCode::kAborted, absl::StatusCode::kUnimplemented}) {
    EXPECT_FALSE(IsPermanentWatchError(code)) << absl::StatusCodeToString(code);
  }
}

// --- ReconnectPolicy --------------------------------------------------------

// A jitter source that always answers `value`.
std::function<double()> Fixed(double value) {
  return [value] { return value; };
}

TEST(ReconnectPolicy, Backoff_DoublesFrom50msAndStopsAt5s) {
  ReconnectPolicy policy(1, BackoffOptions(), Fixed(0.5));
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 10; ++i) {
    delays.push_back(policy.OnStreamEnd(absl::StatusCode::kUnavailable).delay);
  }
  // Half of each ceiling: 50, 100, ..., 3200, then 5000 (capped).
  EXPECT_THAT(delays,
              ::testing::ElementsAre(
                  absl::Milliseconds(25), absl::Milliseconds(50),
                  absl::Milliseconds(100), absl::Milliseconds(200),
                  absl::Milliseconds(400), absl::Milliseconds(800),
                  absl::Milliseconds(1600), absl::Milliseconds(2500),
                  absl::Milliseconds(2500), absl::Milliseconds(2500)));
}

TEST(ReconnectPolicy, FullJitter_SpansZeroToTheCeiling) {
  ReconnectPolicy low(1, BackoffOptions(), Fixed(0.0));
  EXPECT_EQ(low.OnStreamEnd(absl::StatusCode::kUnavailable).delay,
            absl::ZeroDuration());
  ReconnectPolicy high(1, BackoffOptions(), Fixed(0.999));
  EXPECT_EQ(high.OnStreamEnd(absl::StatusCode::kUnavailable).delay,
            absl::Milliseconds(50) * 0.999);
}

TEST(ReconnectPolicy, ManyFailures_NeverExceedTheMaximum) {
  ReconnectPolicy policy(1, BackoffOptions(), Fixed(0.999));
  absl::Duration delay;
  for (int i = 0; i < 5000; ++i) {
    delay = policy.OnStreamEnd(absl::StatusCode::kUnavailable).delay;
  }
  EXPECT_LE(delay, absl::Seconds(5));
  EXPECT_GT(delay, absl::Seconds(4));
}

TEST(ReconnectPolicy, Progress_StartsTheBackoffOver) {
  ReconnectPolicy policy(1, BackoffOptions(), Fixed(1.0));
  for (int i = 0; i < 4; ++i) policy.OnStreamEnd(absl::StatusCode::kUnavailable);
  EXPECT_EQ(policy.NextCeiling(), absl::Milliseconds(800));
  policy.OnProgress();
  EXPECT_EQ(policy.NextCeiling(), absl::Milliseconds(50));
}

TEST(ReconnectPolicy, OptionsChangeTheSchedule) {
  BackoffOptions options;
  options.initial = absl::Milliseconds(10);
  options.max = absl::Milliseconds(35);
  options.multiplier = 3;
  ReconnectPolicy policy(1, options, Fixed(1.0));
  EXPECT_EQ(policy.OnStreamEnd(absl::StatusCode::kUnavailable).delay,
            absl::Milliseconds(10));
  EXPECT_EQ(policy.OnStreamEnd(absl::StatusCode::kUnavailable).delay,
            absl::Milliseconds(30));
  EXPECT_EQ(policy.OnStreamEnd(absl::StatusCode::kUnavailable).delay,
            absl::Milliseconds(35));
}

TEST(ReconnectPolicy, EachFailure_MovesToTheNextAddressAndWrapsAround) {
  ReconnectPolicy policy(3, BackoffOptions(), Fixed(0.5));
  EXPECT_EQ(policy.address(), 0u);
  std::vector<size_t> addresses;
  for (int i = 0; i < 4; ++i) {
    ReconnectPolicy::Decision decision =
        policy.OnStreamEnd(absl::StatusCode::kUnavailable);
    EXPECT_TRUE(decision.reconnect);
    EXPECT_EQ(decision.address, policy.address());
    addresses.push_back(decision.address);
  }
  EXPECT_THAT(addresses, ::testing::ElementsAre(1, 2, 0, 1));
}

TEST(ReconnectPolicy, OneAddress_StaysOnIt) {
  ReconnectPolicy policy(1, BackoffOptions(), Fixed(0.5));
  EXPECT_EQ(policy.OnStreamEnd(absl::StatusCode::kResourceExhausted).address,
            0u);
}

TEST(ReconnectPolicy, PermanentError_DoesNotReconnect) {
  ReconnectPolicy policy(2, BackoffOptions(), Fixed(0.5));
  ReconnectPolicy::Decision decision =
      policy.OnStreamEnd(absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(decision.reconnect);
  EXPECT_EQ(policy.address(), 0u);
}

// --- Watcher, without a server ----------------------------------------------

TEST(Watcher, NoTarget_IsInvalidArgument) {
  WatchOptions options;
  options.request = From(0);
  Watcher watcher(options, WatchCallbacks());
  EXPECT_EQ(watcher.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Watcher, NoPage_IsInvalidArgument) {
  WatchOptions options;
  options.targets = {"127.0.0.1:1"};
  Watcher watcher(options, WatchCallbacks());
  EXPECT_EQ(watcher.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Watcher, StoppedBeforeRun_ReturnsAtOnceWithItsStartPosition) {
  WatchOptions options;
  options.targets = {"127.0.0.1:1"};
  options.request = From(7);
  Watcher watcher(options, WatchCallbacks());
  watcher.Stop();
  EXPECT_TRUE(watcher.Run().ok());
  EXPECT_EQ(watcher.last_sequence(), 7);
  EXPECT_EQ(watcher.stats().connects, 0);
}

}  // namespace
}  // namespace incidentd::client
