// The incident lifecycle rules: transitions for both kinds, labels, impact,
// the component changes a post implies, and the maintenance scheduler's
// due transitions.
#include "server/domain/incident_rules.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/model.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using C = absl::StatusCode;
using S = IncidentStatus;

constexpr C kOk = C::kOk;
constexpr C kFP = C::kFailedPrecondition;
constexpr C kIA = C::kInvalidArgument;

const S kIncidentStatuses[] = {S::kInvestigating, S::kIdentified,
                               S::kMonitoring, S::kResolved};
const S kMaintenanceStatuses[] = {S::kScheduled, S::kInProgress, S::kVerifying,
                                  S::kCompleted, S::kCancelled};

// Requested statuses in the column order of the tables below; kUnspecified
// is a post that keeps the status ("Update").
const S kIncidentColumns[] = {S::kUnspecified, S::kInvestigating,
                              S::kIdentified, S::kMonitoring, S::kResolved};
const S kMaintenanceColumns[] = {S::kUnspecified, S::kScheduled, S::kInProgress,
                                 S::kVerifying,   S::kCompleted, S::kCancelled};

// Changes as (component id, status) pairs, for readable expectations.
using ChangeView = std::pair<std::string, ComponentStatus>;
std::vector<ChangeView> View(const std::vector<ComponentChange>& changes) {
  std::vector<ChangeView> out;
  for (const ComponentChange& c : changes) {
    out.emplace_back(c.component_id, c.status);
  }
  return out;
}

std::string Name(S s) { return StatusTitle(s); }

// --- Kinds and statuses ----------------------------------------------------

TEST(IncidentRulesTest, IsOpen_OnlyResolvedCompletedAndCancelledAreClosed) {
  EXPECT_TRUE(IsOpen(S::kInvestigating));
  EXPECT_TRUE(IsOpen(S::kIdentified));
  EXPECT_TRUE(IsOpen(S::kMonitoring));
  EXPECT_FALSE(IsOpen(S::kResolved));
  EXPECT_TRUE(IsOpen(S::kScheduled));
  EXPECT_TRUE(IsOpen(S::kInProgress));
  EXPECT_TRUE(IsOpen(S::kVerifying));
  EXPECT_FALSE(IsOpen(S::kCompleted));
  EXPECT_FALSE(IsOpen(S::kCancelled));
}

TEST(IncidentRulesTest, IsStatusOfKind_SplitsStatusesBetweenKinds) {
  for (S s : kIncidentStatuses) {
    EXPECT_TRUE(IsStatusOfKind(IncidentKind::kIncident, s)) << Name(s);
    EXPECT_FALSE(IsStatusOfKind(IncidentKind::kMaintenance, s)) << Name(s);
  }
  for (S s : kMaintenanceStatuses) {
    EXPECT_FALSE(IsStatusOfKind(IncidentKind::kIncident, s)) << Name(s);
    EXPECT_TRUE(IsStatusOfKind(IncidentKind::kMaintenance, s)) << Name(s);
  }
  EXPECT_FALSE(IsStatusOfKind(IncidentKind::kIncident, S::kUnspecified));
  EXPECT_FALSE(IsStatusOfKind(IncidentKind::kMaintenance, S::kUnspecified));
  EXPECT_FALSE(IsStatusOfKind(IncidentKind::kUnspecified, S::kInvestigating));
}

TEST(IncidentRulesTest, DefaultFirstStatus_IsInvestigatingOrScheduled) {
  EXPECT_EQ(DefaultFirstStatus(IncidentKind::kIncident), S::kInvestigating);
  EXPECT_EQ(DefaultFirstStatus(IncidentKind::kMaintenance), S::kScheduled);
}

// --- Transitions: incidents --------------------------------------------------

TEST(IncidentRulesTest, CheckTransition_Incident_EveryMoveWithoutReopen) {
  // Rows: current status; columns: kIncidentColumns.
  struct Row {
    S current;
    C expected[5];
  };
  // clang-format off
  const Row rows[] = {
      // first post:       Update Investig. Identif. Monitor. Resolved
      {S::kUnspecified,   {kOk,   kOk,      kOk,     kOk,     kOk}},
      {S::kInvestigating, {kOk,   kOk,      kOk,     kOk,     kOk}},
      {S::kIdentified,    {kOk,   kOk,      kOk,     kOk,     kOk}},
      // Going back (Monitoring to Identified) is normal.
      {S::kMonitoring,    {kOk,   kOk,      kOk,     kOk,     kOk}},
      {S::kResolved,      {kOk,   kFP,      kFP,     kFP,     kOk}},
  };
  // clang-format on
  for (const Row& row : rows) {
    for (int i = 0; i < 5; ++i) {
      EXPECT_CODE(CheckTransition(IncidentKind::kIncident, row.current,
                                  kIncidentColumns[i], /*reopen=*/false),
                  row.expected[i])
          << Name(row.current) << " -> " << Name(kIncidentColumns[i]);
    }
  }
}

TEST(IncidentRulesTest, CheckTransition_Incident_EveryMoveWithReopen) {
  struct Row {
    S current;
    C expected[5];
  };
  // clang-format off
  const Row rows[] = {
      // Reopen is only for resolved incidents, and needs an open status.
      {S::kUnspecified,   {kFP, kFP, kFP, kFP, kFP}},
      {S::kInvestigating, {kFP, kFP, kFP, kFP, kFP}},
      {S::kIdentified,    {kFP, kFP, kFP, kFP, kFP}},
      {S::kMonitoring,    {kFP, kFP, kFP, kFP, kFP}},
      {S::kResolved,      {kIA, kOk, kOk, kOk, kIA}},
  };
  // clang-format on
  for (const Row& row : rows) {
    for (int i = 0; i < 5; ++i) {
      EXPECT_CODE(CheckTransition(IncidentKind::kIncident, row.current,
                                  kIncidentColumns[i], /*reopen=*/true),
                  row.expected[i])
          << Name(row.current) << " -> " << Name(kIncidentColumns[i]);
    }
  }
}

TEST(IncidentRulesTest, CheckTransition_Incident_MaintenanceStatusIsInvalid) {
  for (S current : {S::kUnspecified, S::kInvestigating, S::kIdentified,
                    S::kMonitoring, S::kResolved}) {
    for (S requested : kMaintenanceStatuses) {
      for (bool reopen : {false, true}) {
        EXPECT_CODE(CheckTransition(IncidentKind::kIncident, current, requested,
                                    reopen),
                    kIA)
            << Name(current) << " -> " << Name(requested);
      }
    }
  }
}

TEST(IncidentRulesTest, CheckTransition_Resolved_ErrorSaysToReopen) {
  absl::Status s = CheckTransition(IncidentKind::kIncident, S::kResolved,
                                   S::kIdentified, false);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("reopen"));
}

// --- Transitions: maintenance ----------------------------------------------

TEST(IncidentRulesTest, CheckTransition_Maintenance_EveryMove) {
  struct Row {
    S current;
    C expected[6];
  };
  // clang-format off
  const Row rows[] = {
      //                 Update Sched. InProg Verify Compl. Cancel
      {S::kUnspecified, {kOk,   kOk,   kOk,   kOk,   kOk,   kOk}},
      {S::kScheduled,   {kOk,   kOk,   kOk,   kOk,   kOk,   kOk}},
      {S::kInProgress,  {kOk,   kFP,   kOk,   kOk,   kOk,   kOk}},
      {S::kVerifying,   {kOk,   kFP,   kFP,   kOk,   kOk,   kOk}},
      {S::kCompleted,   {kOk,   kFP,   kFP,   kFP,   kOk,   kFP}},
      {S::kCancelled,   {kOk,   kFP,   kFP,   kFP,   kFP,   kOk}},
  };
  // clang-format on
  for (const Row& row : rows) {
    for (int i = 0; i < 6; ++i) {
      EXPECT_CODE(CheckTransition(IncidentKind::kMaintenance, row.current,
                                  kMaintenanceColumns[i], /*reopen=*/false),
                  row.expected[i])
          << Name(row.current) << " -> " << Name(kMaintenanceColumns[i]);
    }
  }
}

TEST(IncidentRulesTest,
     CheckTransition_Maintenance_ReopenIsFailedPrecondition) {
  for (S current : {S::kUnspecified, S::kScheduled, S::kInProgress,
                    S::kVerifying, S::kCompleted, S::kCancelled}) {
    for (S requested : kMaintenanceColumns) {
      EXPECT_CODE(CheckTransition(IncidentKind::kMaintenance, current,
                                  requested, /*reopen=*/true),
                  kFP)
          << Name(current) << " -> " << Name(requested);
    }
  }
}

TEST(IncidentRulesTest, CheckTransition_Maintenance_IncidentStatusIsInvalid) {
  for (S current :
       {S::kUnspecified, S::kScheduled, S::kInProgress, S::kCompleted}) {
    for (S requested : kIncidentStatuses) {
      EXPECT_CODE(CheckTransition(IncidentKind::kMaintenance, current,
                                  requested, false),
                  kIA)
          << Name(current) << " -> " << Name(requested);
    }
  }
}

TEST(IncidentRulesTest, CheckTransition_UnspecifiedKind_IsInvalidArgument) {
  EXPECT_CODE(CheckTransition(IncidentKind::kUnspecified, S::kUnspecified,
                              S::kInvestigating, false),
              kIA);
}

TEST(IncidentRulesTest, ResultingStatus_UpdateKeepsStatus) {
  EXPECT_EQ(ResultingStatus(S::kMonitoring, S::kUnspecified), S::kMonitoring);
  EXPECT_EQ(ResultingStatus(S::kMonitoring, S::kIdentified), S::kIdentified);
  EXPECT_EQ(ResultingStatus(S::kUnspecified, S::kInvestigating),
            S::kInvestigating);
}

// --- Labels
// -------------------------------------------------------------------

TEST(IncidentRulesTest, UpdateLabel_NamesTheStatusUpdateOrReopened) {
  IncidentUpdate u;
  const std::pair<S, std::string> cases[] = {
      {S::kInvestigating, "Investigating"}, {S::kIdentified, "Identified"},
      {S::kMonitoring, "Monitoring"},       {S::kResolved, "Resolved"},
      {S::kScheduled, "Scheduled"},         {S::kInProgress, "In progress"},
      {S::kVerifying, "Verifying"},         {S::kCompleted, "Completed"},
      {S::kCancelled, "Cancelled"},         {S::kUnspecified, "Update"},
  };
  for (const auto& [status, label] : cases) {
    u.status = status;
    EXPECT_EQ(UpdateLabel(u), label);
  }
  u.status = S::kIdentified;
  u.reopen = true;
  EXPECT_EQ(UpdateLabel(u), "Reopened");
}

TEST(IncidentRulesTest, StatusTitle_IsTheDisplayName) {
  EXPECT_EQ(StatusTitle(S::kInProgress), "In progress");
  EXPECT_EQ(StatusTitle(S::kInvestigating), "Investigating");
  EXPECT_EQ(StatusTitle(S::kCancelled), "Cancelled");
}

// --- Impact
// ----------------------------------------------------------------------

TEST(IncidentRulesTest, ImpactOfComponentStatus_MapsOutagesToImpact) {
  EXPECT_EQ(ImpactOfComponentStatus(ComponentStatus::kOperational),
            Impact::kNone);
  EXPECT_EQ(ImpactOfComponentStatus(ComponentStatus::kDegradedPerformance),
            Impact::kMinor);
  EXPECT_EQ(ImpactOfComponentStatus(ComponentStatus::kPartialOutage),
            Impact::kMajor);
  EXPECT_EQ(ImpactOfComponentStatus(ComponentStatus::kMajorOutage),
            Impact::kCritical);
  EXPECT_EQ(ImpactOfComponentStatus(ComponentStatus::kUnderMaintenance),
            Impact::kNone);
  EXPECT_EQ(ImpactOfComponentStatus(ComponentStatus::kUnspecified),
            Impact::kNone);
}

TEST(IncidentRulesTest, WorseImpact_PicksTheWorse) {
  EXPECT_EQ(WorseImpact(Impact::kMinor, Impact::kMajor), Impact::kMajor);
  EXPECT_EQ(WorseImpact(Impact::kCritical, Impact::kNone), Impact::kCritical);
  EXPECT_EQ(WorseImpact(Impact::kNone, Impact::kNone), Impact::kNone);
  EXPECT_EQ(WorseImpact(Impact::kUnspecified, Impact::kMinor), Impact::kMinor);
}

TEST(IncidentRulesTest, DeriveImpact_IsThePeakAndNeverDrops) {
  EXPECT_EQ(DeriveImpact(Impact::kNone, {}), Impact::kNone);
  EXPECT_EQ(
      DeriveImpact(Impact::kNone, {{"a", ComponentStatus::kDegradedPerformance},
                                   {"b", ComponentStatus::kPartialOutage}}),
      Impact::kMajor);
  // Components recovering do not lower the incident's impact.
  EXPECT_EQ(
      DeriveImpact(Impact::kCritical, {{"a", ComponentStatus::kOperational}}),
      Impact::kCritical);
  EXPECT_EQ(
      DeriveImpact(Impact::kMinor, {{"a", ComponentStatus::kMajorOutage}}),
      Impact::kCritical);
}

TEST(IncidentRulesTest, EffectiveImpact_OverrideReplacesDerived) {
  Incident incident;
  incident.derived_impact = Impact::kCritical;
  EXPECT_EQ(EffectiveImpact(incident), Impact::kCritical);
  incident.impact_override = Impact::kMinor;
  EXPECT_EQ(EffectiveImpact(incident), Impact::kMinor);
  incident.impact_override = Impact::kNone;
  EXPECT_EQ(EffectiveImpact(incident), Impact::kNone);
}

// --- Component changes ------------------------------------------------------

Incident IncidentWith(IncidentKind kind, std::vector<std::string> components) {
  Incident incident;
  incident.kind = kind;
  incident.component_ids = std::move(components);
  return incident;
}

TEST(IncidentRulesTest,
     EffectiveComponentChanges_Resolve_SetsAffectedOperational) {
  Incident incident =
      IncidentWith(IncidentKind::kIncident, {"api", "processing"});
  EXPECT_THAT(
      View(EffectiveComponentChanges(incident, S::kMonitoring, S::kResolved,
                                     {})),
      ElementsAre(ChangeView{"api", ComponentStatus::kOperational},
                  ChangeView{"processing", ComponentStatus::kOperational}));
}

TEST(IncidentRulesTest,
     EffectiveComponentChanges_Resolve_NamedChangesWinAndOthersFollow) {
  Incident incident =
      IncidentWith(IncidentKind::kIncident, {"api", "processing"});
  std::vector<ComponentChange> changes = {
      {"other", ComponentStatus::kDegradedPerformance},
      {"processing", ComponentStatus::kDegradedPerformance},
  };
  EXPECT_THAT(
      View(EffectiveComponentChanges(incident, S::kIdentified, S::kResolved,
                                     changes)),
      ElementsAre(
          ChangeView{"api", ComponentStatus::kOperational},
          ChangeView{"processing", ComponentStatus::kDegradedPerformance},
          ChangeView{"other", ComponentStatus::kDegradedPerformance}));
}

TEST(IncidentRulesTest,
     EffectiveComponentChanges_BackfilledResolvedFirstPost_SetsOperational) {
  Incident incident = IncidentWith(IncidentKind::kIncident, {"api"});
  EXPECT_THAT(View(EffectiveComponentChanges(incident, S::kUnspecified,
                                             S::kResolved, {})),
              ElementsAre(ChangeView{"api", ComponentStatus::kOperational}));
}

TEST(IncidentRulesTest,
     EffectiveComponentChanges_PostOnResolved_IsExactlyChanges) {
  Incident incident = IncidentWith(IncidentKind::kIncident, {"api"});
  EXPECT_THAT(
      View(EffectiveComponentChanges(incident, S::kResolved, S::kResolved, {})),
      IsEmpty());
}

TEST(IncidentRulesTest, EffectiveComponentChanges_OpenMove_IsExactlyChanges) {
  Incident incident = IncidentWith(IncidentKind::kIncident, {"api"});
  std::vector<ComponentChange> changes = {
      {"other", ComponentStatus::kMajorOutage},
  };
  EXPECT_THAT(View(EffectiveComponentChanges(incident, S::kInvestigating,
                                             S::kIdentified, changes)),
              ElementsAre(ChangeView{"other", ComponentStatus::kMajorOutage}));
  // An "Update" post: the status stays.
  EXPECT_THAT(View(EffectiveComponentChanges(incident, S::kMonitoring,
                                             S::kMonitoring, {})),
              IsEmpty());
}

TEST(IncidentRulesTest,
     EffectiveComponentChanges_MaintenanceStart_SetsUnderMaintenance) {
  Incident m = IncidentWith(IncidentKind::kMaintenance, {"db", "api"});
  std::vector<ComponentChange> changes = {
      {"api", ComponentStatus::kDegradedPerformance}};
  EXPECT_THAT(
      View(
          EffectiveComponentChanges(m, S::kScheduled, S::kInProgress, changes)),
      ElementsAre(ChangeView{"db", ComponentStatus::kUnderMaintenance},
                  ChangeView{"api", ComponentStatus::kDegradedPerformance}));
}

TEST(IncidentRulesTest,
     EffectiveComponentChanges_MaintenanceCompleteOrCancel_SetsOperational) {
  Incident m = IncidentWith(IncidentKind::kMaintenance, {"db"});
  for (auto [before, after] : {std::pair{S::kInProgress, S::kCompleted},
                               std::pair{S::kVerifying, S::kCompleted},
                               std::pair{S::kInProgress, S::kCancelled},
                               std::pair{S::kScheduled, S::kCancelled}}) {
    EXPECT_THAT(View(EffectiveComponentChanges(m, before, after, {})),
                ElementsAre(ChangeView{"db", ComponentStatus::kOperational}))
        << Name(before) << " -> " << Name(after);
  }
}

TEST(IncidentRulesTest,
     EffectiveComponentChanges_MaintenanceVerifying_IsExactlyChanges) {
  Incident m = IncidentWith(IncidentKind::kMaintenance, {"db"});
  EXPECT_THAT(
      View(EffectiveComponentChanges(m, S::kInProgress, S::kVerifying, {})),
      IsEmpty());
  // Already in progress: a further post does not reset the components.
  EXPECT_THAT(
      View(EffectiveComponentChanges(m, S::kInProgress, S::kInProgress, {})),
      IsEmpty());
}

// --- Scheduled maintenance --------------------------------------------------

class DueMaintenanceTest : public ::testing::Test {
 protected:
  DueMaintenanceTest() {
    m_.kind = IncidentKind::kMaintenance;
    m_.status = S::kScheduled;
    m_.scheduled_start_time = start_;
    m_.scheduled_end_time = end_;
  }
  const absl::Time start_ = absl::FromUnixSeconds(1'700'000'000);
  const absl::Time end_ = start_ + absl::Hours(2);
  Incident m_;
};

TEST_F(DueMaintenanceTest, Scheduled_BeforeStart_IsNone) {
  EXPECT_EQ(DueMaintenanceTransition(m_, start_ - absl::Seconds(1)),
            S::kUnspecified);
}

TEST_F(DueMaintenanceTest, Scheduled_AtStart_StartsIt) {
  EXPECT_EQ(DueMaintenanceTransition(m_, start_), S::kInProgress);
  EXPECT_EQ(DueMaintenanceTransition(m_, start_ + absl::Minutes(5)),
            S::kInProgress);
}

TEST_F(DueMaintenanceTest, Scheduled_AfterEnd_CompletesIt) {
  EXPECT_EQ(DueMaintenanceTransition(m_, end_), S::kCompleted);
}

TEST_F(DueMaintenanceTest, Scheduled_WithoutStartTime_IsNone) {
  m_.scheduled_start_time.reset();
  EXPECT_EQ(DueMaintenanceTransition(m_, end_ + absl::Hours(1)),
            S::kUnspecified);
}

TEST_F(DueMaintenanceTest, InProgressOrVerifying_AtEnd_CompletesIt) {
  for (S s : {S::kInProgress, S::kVerifying}) {
    m_.status = s;
    EXPECT_EQ(DueMaintenanceTransition(m_, end_ - absl::Seconds(1)),
              S::kUnspecified)
        << Name(s);
    EXPECT_EQ(DueMaintenanceTransition(m_, end_), S::kCompleted) << Name(s);
  }
}

TEST_F(DueMaintenanceTest, InProgress_WithoutEndTime_IsNone) {
  m_.status = S::kInProgress;
  m_.scheduled_end_time.reset();
  EXPECT_EQ(DueMaintenanceTransition(m_, end_ + absl::Hours(100)),
            S::kUnspecified);
}

TEST_F(DueMaintenanceTest, Final_IsNone) {
  for (S s : {S::kCompleted, S::kCancelled}) {
    m_.status = s;
    EXPECT_EQ(DueMaintenanceTransition(m_, end_ + absl::Hours(1)),
              S::kUnspecified)
        << Name(s);
  }
}

TEST_F(DueMaintenanceTest, ManualTransitions_IsNone) {
  m_.manual_transitions = true;
  EXPECT_EQ(DueMaintenanceTransition(m_, start_), S::kUnspecified);
  m_.status = S::kInProgress;
  EXPECT_EQ(DueMaintenanceTransition(m_, end_), S::kUnspecified);
}

TEST_F(DueMaintenanceTest, Incident_IsNone) {
  m_.kind = IncidentKind::kIncident;
  m_.status = S::kInvestigating;
  EXPECT_EQ(DueMaintenanceTransition(m_, end_), S::kUnspecified);
}

}  // namespace
}  // namespace incidentd::domain
