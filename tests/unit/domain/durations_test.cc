// Figures from a timeline: time to resolve, time in each status, and the
// customer impact window; and their human form.
#include "server/domain/durations.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/model.h"

namespace incidentd::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using S = IncidentStatus;

// Central European Summer Time, as the Productsup page shows it. A fixed
// offset keeps the test free of the tz database.
const absl::TimeZone kCest = absl::FixedTimeZone(2 * 3600);

absl::Time Cest(int month, int day, int hour, int minute) {
  return absl::FromCivil(absl::CivilMinute(2025, month, day, hour, minute),
                         kCest);
}

IncidentUpdate Post(S status, absl::Time display_time, int64_t seq) {
  IncidentUpdate u;
  u.status = status;
  u.display_time = display_time;
  u.seq = seq;
  return u;
}

Incident AnIncident() {
  Incident i;
  i.kind = IncidentKind::kIncident;
  return i;
}

// "Issue with delta processing", Productsup, 9 September 2025.
std::vector<IncidentUpdate> CephTimeline() {
  return {
      Post(S::kInvestigating, Cest(9, 9, 13, 53), 1),
      Post(S::kUnspecified, Cest(9, 9, 14, 46), 2),  // "Update"
      Post(S::kIdentified, Cest(9, 9, 14, 48), 3),
      Post(S::kMonitoring, Cest(9, 9, 15, 17), 4),
      Post(S::kResolved, Cest(9, 9, 18, 30), 5),
  };
}

TEST(DurationsTest, Ceph_TimeToResolve_IsFirstToResolvingPost) {
  IncidentDurations d =
      ComputeDurations(AnIncident(), CephTimeline(), Cest(9, 20, 0, 0));
  ASSERT_TRUE(d.time_to_resolve.has_value());
  EXPECT_EQ(*d.time_to_resolve, absl::Hours(4) + absl::Minutes(37));
}

TEST(DurationsTest, Ceph_TimeInStatus_UpdatePostKeepsStatus) {
  IncidentDurations d =
      ComputeDurations(AnIncident(), CephTimeline(), Cest(9, 20, 0, 0));
  // Investigating 13:53-14:48 (the 14:46 "Update" keeps it), Identified
  // 14:48-15:17, Monitoring 15:17-18:30; resolved time is not counted.
  EXPECT_THAT(
      d.time_in_status,
      ElementsAre(Pair(S::kInvestigating, absl::Minutes(55)),
                  Pair(S::kIdentified, absl::Minutes(29)),
                  Pair(S::kMonitoring, absl::Hours(3) + absl::Minutes(13))));
}

TEST(DurationsTest, Ceph_ImpactWindow_DiffersFromTimeline) {
  Incident incident = AnIncident();
  // Customer impact 12:30 -> 15:00 CEST, while the timeline runs 13:53 to
  // 18:30.
  incident.impact_start_time = Cest(9, 9, 12, 30);
  incident.impact_end_time = Cest(9, 9, 15, 0);
  IncidentDurations d =
      ComputeDurations(incident, CephTimeline(), Cest(9, 20, 0, 0));
  ASSERT_TRUE(d.impact_duration.has_value());
  EXPECT_EQ(*d.impact_duration, absl::Hours(2) + absl::Minutes(30));
  EXPECT_EQ(domain::HumanDuration(*d.impact_duration), "2h30m");
  EXPECT_EQ(domain::HumanDuration(*d.time_to_resolve), "4h37m");
}

TEST(DurationsTest, UnorderedInput_IsTakenInDisplayOrder) {
  std::vector<IncidentUpdate> updates = CephTimeline();
  std::reverse(updates.begin(), updates.end());
  std::swap(updates[1], updates[3]);
  IncidentDurations d =
      ComputeDurations(AnIncident(), updates, Cest(9, 20, 0, 0));
  EXPECT_EQ(d.time_to_resolve, absl::Hours(4) + absl::Minutes(37));
  EXPECT_THAT(
      d.time_in_status,
      ElementsAre(Pair(S::kInvestigating, absl::Minutes(55)),
                  Pair(S::kIdentified, absl::Minutes(29)),
                  Pair(S::kMonitoring, absl::Hours(3) + absl::Minutes(13))));
}

TEST(DurationsTest, EqualDisplayTimes_AreOrderedBySeq) {
  const absl::Time t = Cest(9, 9, 10, 0);
  // Given newest first; seq says Investigating was posted first.
  std::vector<IncidentUpdate> updates = {
      Post(S::kResolved, t + absl::Hours(1), 3),
      Post(S::kIdentified, t, 2),
      Post(S::kInvestigating, t, 1),
  };
  IncidentDurations d = ComputeDurations(AnIncident(), updates, t);
  EXPECT_THAT(d.time_in_status,
              ElementsAre(Pair(S::kInvestigating, absl::ZeroDuration()),
                          Pair(S::kIdentified, absl::Hours(1))));
}

TEST(DurationsTest, StatusGoingBack_AddsUpPerStatusInOrderFirstEntered) {
  const absl::Time t = Cest(9, 9, 10, 0);
  std::vector<IncidentUpdate> updates = {
      Post(S::kInvestigating, t, 1),
      Post(S::kIdentified, t + absl::Minutes(10), 2),
      Post(S::kMonitoring, t + absl::Minutes(30), 3),
      Post(S::kIdentified, t + absl::Minutes(60), 4),  // Monitoring -> back
      Post(S::kResolved, t + absl::Minutes(90), 5),
  };
  IncidentDurations d = ComputeDurations(AnIncident(), updates, t);
  EXPECT_THAT(d.time_in_status,
              ElementsAre(Pair(S::kInvestigating, absl::Minutes(10)),
                          Pair(S::kIdentified, absl::Minutes(50)),
                          Pair(S::kMonitoring, absl::Minutes(30))));
  EXPECT_EQ(d.time_to_resolve, absl::Minutes(90));
}

TEST(DurationsTest, OpenIncident_CountsCurrentStatusToNow_NoTimeToResolve) {
  const absl::Time t = Cest(9, 9, 10, 0);
  std::vector<IncidentUpdate> updates = {
      Post(S::kInvestigating, t, 1),
      Post(S::kIdentified, t + absl::Hours(1), 2),
      Post(S::kUnspecified, t + absl::Hours(2), 3),
  };
  IncidentDurations d =
      ComputeDurations(AnIncident(), updates, t + absl::Hours(3));
  EXPECT_FALSE(d.time_to_resolve.has_value());
  EXPECT_THAT(d.time_in_status,
              ElementsAre(Pair(S::kInvestigating, absl::Hours(1)),
                          Pair(S::kIdentified, absl::Hours(2))));
}

TEST(DurationsTest, OpenIncident_DisplayTimeAfterNow_CountsZero) {
  const absl::Time t = Cest(9, 9, 10, 0);
  IncidentDurations d = ComputeDurations(
      AnIncident(), {Post(S::kInvestigating, t, 1)}, t - absl::Minutes(5));
  EXPECT_THAT(d.time_in_status,
              ElementsAre(Pair(S::kInvestigating, absl::ZeroDuration())));
}

TEST(DurationsTest, Reopened_TimeToResolveRunsToTheLastResolve) {
  const absl::Time t = Cest(9, 9, 10, 0);
  IncidentUpdate reopen = Post(S::kInvestigating, t + absl::Hours(3), 3);
  reopen.reopen = true;
  std::vector<IncidentUpdate> updates = {
      Post(S::kInvestigating, t, 1),
      Post(S::kResolved, t + absl::Hours(1), 2),
      reopen,
      Post(S::kResolved, t + absl::Hours(4), 4),
      Post(S::kUnspecified, t + absl::Hours(5), 5),  // a note after resolving
  };
  IncidentDurations d =
      ComputeDurations(AnIncident(), updates, t + absl::Hours(9));
  EXPECT_EQ(d.time_to_resolve, absl::Hours(4));
  EXPECT_THAT(d.time_in_status,
              ElementsAre(Pair(S::kInvestigating, absl::Hours(2)),
                          Pair(S::kResolved, absl::Hours(2))));
}

TEST(DurationsTest, FirstPostWithoutStatus_CountsAsTheDefaultStatus) {
  const absl::Time t = Cest(9, 9, 10, 0);
  IncidentDurations d = ComputeDurations(
      AnIncident(),
      {Post(S::kUnspecified, t, 1), Post(S::kResolved, t + absl::Hours(1), 2)},
      t + absl::Hours(2));
  EXPECT_THAT(d.time_in_status,
              ElementsAre(Pair(S::kInvestigating, absl::Hours(1))));
}

TEST(DurationsTest, Maintenance_TimeToCompleteAndStatuses) {
  const absl::Time t = Cest(9, 9, 10, 0);
  Incident m;
  m.kind = IncidentKind::kMaintenance;
  std::vector<IncidentUpdate> updates = {
      Post(S::kScheduled, t, 1),
      Post(S::kInProgress, t + absl::Hours(24), 2),
      Post(S::kVerifying, t + absl::Hours(25), 3),
      Post(S::kCompleted, t + absl::Hours(26), 4),
  };
  IncidentDurations d = ComputeDurations(m, updates, t + absl::Hours(48));
  EXPECT_EQ(d.time_to_resolve, absl::Hours(26));
  EXPECT_THAT(d.time_in_status,
              ElementsAre(Pair(S::kScheduled, absl::Hours(24)),
                          Pair(S::kInProgress, absl::Hours(1)),
                          Pair(S::kVerifying, absl::Hours(1))));
}

TEST(DurationsTest, CancelledMaintenance_HasTimeToResolve) {
  const absl::Time t = Cest(9, 9, 10, 0);
  Incident m;
  m.kind = IncidentKind::kMaintenance;
  IncidentDurations d = ComputeDurations(
      m,
      {Post(S::kScheduled, t, 1), Post(S::kCancelled, t + absl::Hours(2), 2)},
      t + absl::Hours(3));
  EXPECT_EQ(d.time_to_resolve, absl::Hours(2));
}

TEST(DurationsTest, NoUpdates_NothingButTheImpactWindow) {
  Incident incident = AnIncident();
  IncidentDurations d = ComputeDurations(incident, {}, Cest(9, 9, 10, 0));
  EXPECT_FALSE(d.time_to_resolve.has_value());
  EXPECT_FALSE(d.impact_duration.has_value());
  EXPECT_THAT(d.time_in_status, IsEmpty());
}

TEST(DurationsTest, ImpactWindow_NeedsBothEndsInOrder) {
  Incident incident = AnIncident();
  incident.impact_start_time = Cest(9, 9, 12, 30);
  EXPECT_FALSE(ComputeDurations(incident, {}, Cest(9, 10, 0, 0))
                   .impact_duration.has_value());
  incident.impact_end_time = Cest(9, 9, 12, 0);  // before the start
  EXPECT_FALSE(ComputeDurations(incident, {}, Cest(9, 10, 0, 0))
                   .impact_duration.has_value());
  incident.impact_end_time = Cest(9, 9, 12, 30);
  EXPECT_EQ(ComputeDurations(incident, {}, Cest(9, 10, 0, 0)).impact_duration,
            absl::ZeroDuration());
}

TEST(DurationsTest, XplentyImpactWindow_SpansMidnightUtc) {
  Incident incident = AnIncident();
  incident.impact_start_time = absl::FromCivil(
      absl::CivilMinute(2018, 3, 20, 20, 49), absl::UTCTimeZone());
  incident.impact_end_time = absl::FromCivil(
      absl::CivilMinute(2018, 3, 21, 9, 3), absl::UTCTimeZone());
  IncidentDurations d =
      ComputeDurations(incident, {}, *incident.impact_end_time);
  EXPECT_EQ(d.impact_duration, absl::Hours(12) + absl::Minutes(14));
  EXPECT_EQ(domain::HumanDuration(*d.impact_duration), "12h14m");
}

TEST(DurationsTest, HumanDuration_LargestUnitAndTheNext) {
  EXPECT_EQ(domain::HumanDuration(absl::Hours(2) + absl::Minutes(30)),
            "2h30m");
  EXPECT_EQ(domain::HumanDuration(absl::Minutes(45)), "45m");
  EXPECT_EQ(domain::HumanDuration(absl::Hours(76)), "3d4h");
  EXPECT_EQ(domain::HumanDuration(absl::Hours(76) + absl::Minutes(59)),
            "3d4h");
  EXPECT_EQ(domain::HumanDuration(absl::Seconds(12)), "12s");
  EXPECT_EQ(domain::HumanDuration(absl::Seconds(90)), "1m30s");
  EXPECT_EQ(domain::HumanDuration(absl::Hours(1) + absl::Seconds(30)), "1h");
  EXPECT_EQ(domain::HumanDuration(absl::Hours(48)), "2d");
  EXPECT_EQ(domain::HumanDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(domain::HumanDuration(absl::Milliseconds(300)), "0s");
  EXPECT_EQ(domain::HumanDuration(-absl::Minutes(5)), "-5m");
}

}  // namespace
}  // namespace incidentd::domain
