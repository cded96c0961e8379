// The page status rule (resources.proto, message PageStatus): indicator,
// sentence and causes from components and incidents.
#include "server/domain/page_status.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/model.h"

namespace incidentd::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Kind = StatusCause::Kind;

Component Comp(std::string id, std::string name, ComponentStatus status) {
  Component c;
  c.id = std::move(id);
  c.display_name = std::move(name);
  c.status = status;
  return c;
}

Incident Inc(std::string id, std::string title, IncidentStatus status,
             Impact derived, Impact override_impact = Impact::kUnspecified) {
  Incident i;
  i.id = std::move(id);
  i.title = std::move(title);
  i.kind = IncidentKind::kIncident;
  i.status = status;
  i.derived_impact = derived;
  i.impact_override = override_impact;
  return i;
}

Incident Maint(std::string id, std::string title, IncidentStatus status) {
  Incident i;
  i.id = std::move(id);
  i.title = std::move(title);
  i.kind = IncidentKind::kMaintenance;
  i.status = status;
  return i;
}

// (kind, id, indicator, explanation), for readable expectations.
struct CauseView {
  Kind kind;
  std::string id;
  Indicator indicator;
  std::string explanation;
  bool operator==(const CauseView& o) const {
    return kind == o.kind && id == o.id && indicator == o.indicator &&
           explanation == o.explanation;
  }
};
void PrintTo(const CauseView& c, std::ostream* os) {
  *os << "{" << (c.kind == Kind::kComponent ? "component " : "incident ")
      << c.id << ", " << static_cast<int>(c.indicator) << ", \""
      << c.explanation << "\"}";
}
std::vector<CauseView> Causes(const PageStatusSummary& s) {
  std::vector<CauseView> out;
  for (const StatusCause& c : s.causes) {
    out.push_back({c.kind, c.id, c.indicator, c.explanation});
  }
  return out;
}

TEST(PageStatusTest, NothingAtAll_IsAllSystemsOperational) {
  PageStatusSummary s = ComputePageStatus({}, {});
  EXPECT_EQ(s.indicator, Indicator::kNone);
  EXPECT_EQ(s.description, "All Systems Operational");
  EXPECT_THAT(s.causes, IsEmpty());
}

TEST(PageStatusTest, OperationalComponents_AreAllSystemsOperational) {
  PageStatusSummary s = ComputePageStatus(
      {Comp("api", "Platform API", ComponentStatus::kOperational),
       Comp("proc", "Data Processing", ComponentStatus::kOperational)},
      {});
  EXPECT_EQ(s.indicator, Indicator::kNone);
  EXPECT_EQ(s.description, "All Systems Operational");
  EXPECT_THAT(s.causes, IsEmpty());
}

TEST(PageStatusTest, EachComponentStatus_GivesItsIndicatorAndSentence) {
  struct Case {
    ComponentStatus status;
    Indicator indicator;
    std::string description;
    std::string explanation;
  };
  const Case cases[] = {
      {ComponentStatus::kDegradedPerformance, Indicator::kMinor,
       "Minor Service Outage", "Data Processing: Degraded Performance"},
      {ComponentStatus::kPartialOutage, Indicator::kMajor,
       "Partial System Outage", "Data Processing: Partial Outage"},
      {ComponentStatus::kMajorOutage, Indicator::kCritical,
       "Major System Outage", "Data Processing: Major Outage"},
      {ComponentStatus::kUnderMaintenance, Indicator::kMaintenance,
       "Service Under Maintenance", "Data Processing: Under Maintenance"},
  };
  for (const Case& c : cases) {
    PageStatusSummary s =
        ComputePageStatus({Comp("proc", "Data Processing", c.status)}, {});
    EXPECT_EQ(s.indicator, c.indicator) << c.explanation;
    EXPECT_EQ(s.description, c.description);
    EXPECT_THAT(Causes(s), ElementsAre(CauseView{Kind::kComponent, "proc",
                                                 c.indicator, c.explanation}));
  }
}

TEST(PageStatusTest, EachIncidentImpact_GivesItsIndicator) {
  struct Case {
    Impact impact;
    Indicator indicator;
    std::string description;
    std::string explanation;
  };
  const Case cases[] = {
      {Impact::kMinor, Indicator::kMinor, "Minor Service Outage",
       "Issue with delta processing: impact Minor"},
      {Impact::kMajor, Indicator::kMajor, "Partial System Outage",
       "Issue with delta processing: impact Major"},
      {Impact::kCritical, Indicator::kCritical, "Major System Outage",
       "Issue with delta processing: impact Critical"},
  };
  for (const Case& c : cases) {
    PageStatusSummary s =
        ComputePageStatus({}, {Inc("ceph", "Issue with delta processing",
                                   IncidentStatus::kIdentified, c.impact)});
    EXPECT_EQ(s.indicator, c.indicator) << c.explanation;
    EXPECT_EQ(s.description, c.description);
    EXPECT_THAT(Causes(s), ElementsAre(CauseView{Kind::kIncident, "ceph",
                                                 c.indicator, c.explanation}));
  }
}

TEST(PageStatusTest, OpenIncidentWithoutImpact_ContributesNothing) {
  PageStatusSummary s = ComputePageStatus(
      {}, {Inc("i", "Investigating something", IncidentStatus::kInvestigating,
               Impact::kNone)});
  EXPECT_EQ(s.indicator, Indicator::kNone);
  EXPECT_THAT(s.causes, IsEmpty());
}

TEST(PageStatusTest, ImpactOverride_IsWhatCounts) {
  PageStatusSummary s = ComputePageStatus(
      {}, {Inc("i", "Slow API", IncidentStatus::kMonitoring, Impact::kCritical,
               /*override_impact=*/Impact::kMinor)});
  EXPECT_EQ(s.indicator, Indicator::kMinor);
  EXPECT_THAT(Causes(s),
              ElementsAre(CauseView{Kind::kIncident, "i", Indicator::kMinor,
                                    "Slow API: impact Minor"}));
}

TEST(PageStatusTest, ClosedIncidentsAndMaintenance_AreIgnored) {
  PageStatusSummary s = ComputePageStatus(
      {},
      {Inc("old", "Old outage", IncidentStatus::kResolved, Impact::kCritical),
       Maint("m1", "Done upgrade", IncidentStatus::kCompleted),
       Maint("m2", "Called off", IncidentStatus::kCancelled),
       Maint("m3", "Next week", IncidentStatus::kScheduled)});
  EXPECT_EQ(s.indicator, Indicator::kNone);
  EXPECT_EQ(s.description, "All Systems Operational");
  EXPECT_THAT(s.causes, IsEmpty());
}

TEST(PageStatusTest, RunningMaintenance_IsMaintenance) {
  for (IncidentStatus status :
       {IncidentStatus::kInProgress, IncidentStatus::kVerifying}) {
    PageStatusSummary s = ComputePageStatus(
        {Comp("db", "Database", ComponentStatus::kOperational)},
        {Maint("m", "Database upgrade", status)});
    EXPECT_EQ(s.indicator, Indicator::kMaintenance);
    EXPECT_EQ(s.description, "Service Under Maintenance");
    const std::string expected =
        status == IncidentStatus::kInProgress
            ? "Database upgrade: maintenance In progress"
            : "Database upgrade: maintenance Verifying";
    EXPECT_THAT(Causes(s),
                ElementsAre(CauseView{Kind::kIncident, "m",
                                      Indicator::kMaintenance, expected}));
  }
}

TEST(PageStatusTest, Outage_WinsOverMaintenance_ButMaintenanceIsStillACause) {
  PageStatusSummary s = ComputePageStatus(
      {Comp("db", "Database", ComponentStatus::kUnderMaintenance),
       Comp("api", "API", ComponentStatus::kDegradedPerformance)},
      {Maint("m", "Database upgrade", IncidentStatus::kInProgress)});
  EXPECT_EQ(s.indicator, Indicator::kMinor);
  EXPECT_EQ(s.description, "Minor Service Outage");
  EXPECT_THAT(
      Causes(s),
      ElementsAre(CauseView{Kind::kComponent, "api", Indicator::kMinor,
                            "API: Degraded Performance"},
                  CauseView{Kind::kComponent, "db", Indicator::kMaintenance,
                            "Database: Under Maintenance"},
                  CauseView{Kind::kIncident, "m", Indicator::kMaintenance,
                            "Database upgrade: maintenance In progress"}));
}

TEST(PageStatusTest, Causes_WorstFirst_TiesInInputOrderComponentsFirst) {
  PageStatusSummary s = ComputePageStatus(
      {Comp("c1", "One", ComponentStatus::kDegradedPerformance),
       Comp("c2", "Two", ComponentStatus::kMajorOutage),
       Comp("c3", "Three", ComponentStatus::kPartialOutage),
       Comp("c4", "Four", ComponentStatus::kMajorOutage)},
      {Inc("i1", "First", IncidentStatus::kInvestigating, Impact::kCritical),
       Inc("i2", "Second", IncidentStatus::kMonitoring, Impact::kMinor),
       Maint("m1", "Upgrade", IncidentStatus::kInProgress),
       Inc("i3", "Third", IncidentStatus::kIdentified, Impact::kMajor)});
  EXPECT_EQ(s.indicator, Indicator::kCritical);
  EXPECT_EQ(s.description, "Major System Outage");
  std::vector<std::string> ids;
  for (const StatusCause& c : s.causes) ids.push_back(c.id);
  EXPECT_THAT(ids, ElementsAre("c2", "c4", "i1",  // critical
                               "c3", "i3",        // major
                               "c1", "i2",        // minor
                               "m1"));            // maintenance
}

TEST(PageStatusTest, WorstContributionDecides) {
  PageStatusSummary s = ComputePageStatus(
      {Comp("proc", "Data Processing", ComponentStatus::kDegradedPerformance)},
      {Inc("ceph", "Issue with delta processing", IncidentStatus::kIdentified,
           Impact::kMajor)});
  EXPECT_EQ(s.indicator, Indicator::kMajor);
  EXPECT_EQ(s.description, "Partial System Outage");
}

TEST(PageStatusTest, ComponentStatusTitle_NamesEachStatus) {
  EXPECT_EQ(ComponentStatusTitle(ComponentStatus::kOperational), "Operational");
  EXPECT_EQ(ComponentStatusTitle(ComponentStatus::kDegradedPerformance),
            "Degraded Performance");
  EXPECT_EQ(ComponentStatusTitle(ComponentStatus::kPartialOutage),
            "Partial Outage");
  EXPECT_EQ(ComponentStatusTitle(ComponentStatus::kMajorOutage),
            "Major Outage");
  EXPECT_EQ(ComponentStatusTitle(ComponentStatus::kUnderMaintenance),
            "Under Maintenance");
}

}  // namespace
}  // namespace incidentd::domain
