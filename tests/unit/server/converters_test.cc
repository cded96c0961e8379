#include "server/converters.h"

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace incidentd {
namespace {

using google::protobuf::util::MessageDifferencer;

absl::Time T(int64_t micros) { return absl::FromUnixMicros(micros); }

// proto -> model -> proto gives the same message: nothing is lost either way.
template <typename Proto>
void ExpectSameProto(const Proto& want, const Proto& got) {
  EXPECT_TRUE(MessageDifferencer::Equals(want, got))
      << "want: " << want.DebugString() << "\ngot: " << got.DebugString();
}

TEST(ConvertersTest, Page_RoundTrips) {
  Page page;
  page.id = "productsup";
  page.display_name = "Productsup";
  page.url = "https://status.productsup.com";
  page.time_zone = "Europe/Berlin";
  page.create_time = T(1700000000123456);
  page.update_time = T(1700000001000001);
  page.version = 7;

  v1::Page proto = ToProto(page);
  EXPECT_EQ(proto.name(), "pages/productsup");
  EXPECT_EQ(proto.etag(), Etag(7));
  ASSERT_OK_AND_ASSIGN(Page back, FromProto(proto, "page"));
  EXPECT_EQ(back.id, page.id);
  EXPECT_EQ(back.display_name, page.display_name);
  EXPECT_EQ(back.url, page.url);
  EXPECT_EQ(back.time_zone, page.time_zone);
  EXPECT_EQ(back.create_time, page.create_time);
  EXPECT_EQ(back.update_time, page.update_time);
  EXPECT_EQ(back.version, 7);
  ExpectSameProto(proto, ToProto(back));
}

TEST(ConvertersTest, Component_RoundTrips) {
  Component c;
  c.page_id = "acme";
  c.id = "data-processing";
  c.display_name = "Data Processing";
  c.description = "Imports\nand exports";
  c.group_id = "core";
  c.status = ComponentStatus::kPartialOutage;
  c.status_reason = "Incident: Issue with delta processing";
  c.status_change_time = T(1700000000000001);
  c.position = -3;
  c.create_time = T(1600000000000000);
  c.update_time = T(1700000000000002);
  c.version = 4;

  v1::Component proto = ToProto(c);
  EXPECT_EQ(proto.name(), "pages/acme/components/data-processing");
  EXPECT_EQ(proto.group(), "pages/acme/componentGroups/core");
  EXPECT_EQ(proto.status(), v1::ComponentStatus::PARTIAL_OUTAGE);
  ASSERT_OK_AND_ASSIGN(Component back, FromProto(proto, "acme", "component"));
  EXPECT_EQ(back.page_id, "acme");
  EXPECT_EQ(back.id, c.id);
  EXPECT_EQ(back.group_id, "core");
  EXPECT_EQ(back.status, c.status);
  EXPECT_EQ(back.status_change_time, c.status_change_time);
  EXPECT_EQ(back.position, -3);
  EXPECT_EQ(back.version, 4);
  ExpectSameProto(proto, ToProto(back));
}

TEST(ConvertersTest, Component_WithoutGroup_HasNoGroupName) {
  Component c;
  c.page_id = "acme";
  c.id = "api";
  EXPECT_EQ(ToProto(c).group(), "");
}

TEST(ConvertersTest, Component_OnAnotherPage_IsInvalidArgument) {
  v1::Component proto;
  proto.set_name("pages/other/components/api");
  EXPECT_CODE(FromProto(proto, "acme", "component"),
              absl::StatusCode::kInvalidArgument);
  proto.set_name("");
  proto.set_group("pages/other/componentGroups/core");
  EXPECT_CODE(FromProto(proto, "acme", "component"),
              absl::StatusCode::kInvalidArgument);
}

TEST(ConvertersTest, ComponentGroup_RoundTrips) {
  ComponentGroup g;
  g.page_id = "exalate";
  g.id = "jira-cloud";
  g.display_name = "Jira Cloud";
  g.description = "Sync for Jira Cloud";
  g.position = 2;
  g.create_time = T(1);
  g.update_time = T(2);
  g.version = 1;
  v1::ComponentGroup proto = ToProto(g);
  EXPECT_EQ(proto.name(), "pages/exalate/componentGroups/jira-cloud");
  ASSERT_OK_AND_ASSIGN(ComponentGroup back,
                       FromProto(proto, "exalate", "group"));
  EXPECT_EQ(back.id, g.id);
  EXPECT_EQ(back.display_name, g.display_name);
  EXPECT_EQ(back.position, 2);
  ExpectSameProto(proto, ToProto(back));
}

Incident FullIncident() {
  Incident i;
  i.page_id = "acme";
  i.id = "delta";
  i.title = "Issue with delta processing";
  i.kind = IncidentKind::kMaintenance;
  i.status = IncidentStatus::kInProgress;
  i.derived_impact = Impact::kMajor;
  i.component_ids = {"api", "data-processing"};
  i.start_time = T(1000000);
  i.resolve_time = T(2000000);
  i.impact_start_time = T(900000);
  i.impact_end_time = T(2100000);
  i.scheduled_start_time = T(1000000);
  i.scheduled_end_time = T(3000000);
  i.manual_transitions = true;
  i.create_time = T(500000);
  i.update_time = T(600000);
  i.version = 9;
  return i;
}

TEST(ConvertersTest, Incident_RoundTrips) {
  Incident i = FullIncident();
  v1::Incident proto = ToProto(i);
  EXPECT_EQ(proto.name(), "pages/acme/incidents/delta");
  EXPECT_EQ(proto.impact(), v1::Impact::MAJOR);
  ASSERT_EQ(proto.components_size(), 2);
  EXPECT_EQ(proto.components(1), "pages/acme/components/data-processing");
  ASSERT_OK_AND_ASSIGN(Incident back, FromProto(proto, "acme", "incident"));
  EXPECT_EQ(back.id, "delta");
  EXPECT_EQ(back.kind, IncidentKind::kMaintenance);
  EXPECT_EQ(back.status, IncidentStatus::kInProgress);
  EXPECT_EQ(back.derived_impact, Impact::kMajor);
  EXPECT_EQ(back.component_ids, i.component_ids);
  EXPECT_EQ(back.resolve_time, i.resolve_time);
  EXPECT_EQ(back.scheduled_end_time, i.scheduled_end_time);
  EXPECT_TRUE(back.manual_transitions);
  EXPECT_EQ(back.version, 9);
  ExpectSameProto(proto, ToProto(back));
}

TEST(ConvertersTest, Incident_UnsetOptionalTimes_StayUnset) {
  Incident i;
  i.page_id = "acme";
  i.id = "x";
  i.version = 1;
  v1::Incident proto = ToProto(i);
  EXPECT_FALSE(proto.has_start_time());
  EXPECT_FALSE(proto.has_resolve_time());
  EXPECT_FALSE(proto.has_scheduled_start_time());
  ASSERT_OK_AND_ASSIGN(Incident back, FromProto(proto, "acme", "incident"));
  EXPECT_FALSE(back.start_time.has_value());
  EXPECT_FALSE(back.impact_end_time.has_value());
}

TEST(ConvertersTest, Incident_ImpactIsTheOverrideWhenSet) {
  Incident i = FullIncident();
  i.impact_override = Impact::kCritical;
  EXPECT_EQ(ToProto(i).impact(), v1::Impact::CRITICAL);
}

TEST(ConvertersTest, Incident_UnknownKind_IsInvalidArgument) {
  v1::Incident proto;
  proto.set_kind(static_cast<v1::Incident::Kind>(7));
  absl::StatusOr<Incident> back = FromProto(proto, "acme", "incident");
  EXPECT_CODE(back, absl::StatusCode::kInvalidArgument);
  EXPECT_NE(back.status().message().find("incident.kind"), std::string::npos);
}

TEST(ConvertersTest, Incident_UnknownImpactOverride_IsInvalidArgument) {
  v1::Incident proto;
  proto.set_impact_override(static_cast<v1::Impact::Value>(-1));
  EXPECT_CODE(FromProto(proto, "acme", "incident"),
              absl::StatusCode::kInvalidArgument);
}

TEST(ConvertersTest, Incident_ComponentOfAnotherPage_IsInvalidArgument) {
  v1::Incident proto;
  proto.add_components("pages/other/components/api");
  EXPECT_CODE(FromProto(proto, "acme", "incident"),
              absl::StatusCode::kInvalidArgument);
}

TEST(ConvertersTest, IncidentUpdate_RoundTrips) {
  IncidentUpdate u;
  u.page_id = "acme";
  u.incident_id = "delta";
  u.id = "u1";
  u.status = IncidentStatus::kIdentified;
  u.resulting_status = IncidentStatus::kIdentified;
  u.body = "The issue has been identified and a fix is being implemented.";
  u.display_time = T(1690000000000000);
  u.display_time_zone = "Europe/Berlin";
  u.create_time = T(1690000001000000);
  u.author = "Productsup Tech Operations Team";
  u.component_changes = {{"data-processing", ComponentStatus::kPartialOutage},
                         {"api", ComponentStatus::kOperational}};
  u.notify = true;
  u.reopen = true;
  u.previous_versions = {{"first body", T(1), "UTC", T(2), "alice"},
                         {"second body", T(3), "Europe/Paris", T(4), "bob"}};
  u.update_time = T(1690000002000000);
  u.version = 3;

  v1::IncidentUpdate proto = ToProto(u);
  EXPECT_EQ(proto.name(), "pages/acme/incidents/delta/updates/u1");
  EXPECT_EQ(proto.label(), "Reopened");
  ASSERT_EQ(proto.component_changes_size(), 2);
  EXPECT_EQ(proto.component_changes(0).component(),
            "pages/acme/components/data-processing");
  ASSERT_OK_AND_ASSIGN(IncidentUpdate back,
                       FromProto(proto, "acme", "delta", "update"));
  EXPECT_EQ(back.id, "u1");
  EXPECT_EQ(back.status, u.status);
  EXPECT_EQ(back.resulting_status, u.resulting_status);
  EXPECT_EQ(back.body, u.body);
  EXPECT_EQ(back.display_time, u.display_time);
  EXPECT_EQ(back.display_time_zone, u.display_time_zone);
  ASSERT_EQ(back.component_changes.size(), 2u);
  EXPECT_EQ(back.component_changes[0].component_id, "data-processing");
  EXPECT_EQ(back.component_changes[0].status, ComponentStatus::kPartialOutage);
  ASSERT_EQ(back.previous_versions.size(), 2u);
  EXPECT_EQ(back.previous_versions[1].replaced_by, "bob");
  EXPECT_EQ(back.previous_versions[1].display_time_zone, "Europe/Paris");
  EXPECT_TRUE(back.notify);
  EXPECT_TRUE(back.reopen);
  EXPECT_EQ(back.version, 3);
  ExpectSameProto(proto, ToProto(back));
}

TEST(ConvertersTest, IncidentUpdate_PostThatKeepsStatus_IsLabelledUpdate) {
  IncidentUpdate u;
  u.status = IncidentStatus::kUnspecified;
  u.resulting_status = IncidentStatus::kMonitoring;
  EXPECT_EQ(ToProto(u).label(), "Update");
}

TEST(ConvertersTest, IncidentUpdate_UnderAnotherIncident_IsInvalidArgument) {
  v1::IncidentUpdate proto;
  proto.set_name("pages/acme/incidents/other/updates/u1");
  EXPECT_CODE(FromProto(proto, "acme", "delta", "update"),
              absl::StatusCode::kInvalidArgument);
}

TEST(ConvertersTest, IncidentUpdate_UnknownStatus_IsInvalidArgument) {
  v1::IncidentUpdate proto;
  proto.set_status(static_cast<v1::IncidentStatus::Value>(10));
  EXPECT_CODE(FromProto(proto, "acme", "delta", "update"),
              absl::StatusCode::kInvalidArgument);
}

TEST(ConvertersTest, ComponentChange_UnknownStatus_IsInvalidArgument) {
  v1::ComponentChange proto;
  proto.set_component("pages/acme/components/api");
  proto.set_status(static_cast<v1::ComponentStatus::Value>(6));
  EXPECT_CODE(FromProto(proto, "acme", "change"),
              absl::StatusCode::kInvalidArgument);
}

TEST(ConvertersTest, Postmortem_RoundTrips) {
  Postmortem p;
  p.page_id = "posthog";
  p.incident_id = "ingestion-lag";
  p.sections = {{"Lead-up", "A deploy..."}, {"Root cause", "Hot partition."}};
  p.state = PostmortemState::kPublished;
  p.publish_time = T(1700000000000000);
  p.author = "PostHog Team";
  p.revision = 3;
  p.create_time = T(1);
  p.update_time = T(2);
  p.version = 5;

  v1::Postmortem proto = ToProto(p);
  EXPECT_EQ(proto.name(), "pages/posthog/incidents/ingestion-lag/postmortem");
  EXPECT_EQ(proto.state(), v1::Postmortem::PUBLISHED);
  ASSERT_OK_AND_ASSIGN(
      Postmortem back,
      FromProto(proto, "posthog", "ingestion-lag", "postmortem"));
  ASSERT_EQ(back.sections.size(), 2u);
  EXPECT_EQ(back.sections[1].heading, "Root cause");
  EXPECT_EQ(back.sections[1].body, "Hot partition.");
  EXPECT_EQ(back.state, PostmortemState::kPublished);
  EXPECT_EQ(back.publish_time, p.publish_time);
  EXPECT_EQ(back.revision, 3);
  ExpectSameProto(proto, ToProto(back));
}

TEST(ConvertersTest, Postmortem_OfAnotherIncident_IsInvalidArgument) {
  v1::Postmortem proto;
  proto.set_name("pages/posthog/incidents/other/postmortem");
  EXPECT_CODE(FromProto(proto, "posthog", "ingestion-lag", "postmortem"),
              absl::StatusCode::kInvalidArgument);
}

TEST(ConvertersTest, CorrectiveAction_RoundTrips) {
  CorrectiveAction a;
  a.page_id = "exalate";
  a.incident_id = "failover";
  a.id = "alerting";
  a.description = "Alert on read-only database nodes";
  a.owner = "SRE";
  a.state = ActionState::kInProgress;
  a.create_time = T(10);
  a.update_time = T(20);
  a.version = 2;
  v1::CorrectiveAction proto = ToProto(a);
  EXPECT_EQ(proto.name(),
            "pages/exalate/incidents/failover/correctiveActions/alerting");
  ASSERT_OK_AND_ASSIGN(CorrectiveAction back,
                       FromProto(proto, "exalate", "failover", "action"));
  EXPECT_EQ(back.id, "alerting");
  EXPECT_EQ(back.description, a.description);
  EXPECT_EQ(back.owner, "SRE");
  EXPECT_EQ(back.state, ActionState::kInProgress);
  ExpectSameProto(proto, ToProto(back));
}

TEST(ConvertersTest, CorrectiveAction_UnknownState_IsInvalidArgument) {
  v1::CorrectiveAction proto;
  proto.set_state(static_cast<v1::CorrectiveAction::State>(4));
  EXPECT_CODE(FromProto(proto, "exalate", "failover", "action"),
              absl::StatusCode::kInvalidArgument);
}

TEST(ConvertersTest, Durations_ToProto) {
  domain::IncidentDurations d;
  d.time_to_resolve = absl::Hours(2) + absl::Minutes(30);
  d.time_in_status = {{IncidentStatus::kInvestigating, absl::Minutes(10)},
                      {IncidentStatus::kResolved, absl::Milliseconds(1500)}};
  v1::IncidentDurations proto = ToProto(d);
  EXPECT_EQ(proto.time_to_resolve().seconds(), 9000);
  EXPECT_FALSE(proto.has_impact_duration());
  ASSERT_EQ(proto.time_in_status_size(), 2);
  EXPECT_EQ(proto.time_in_status(0).status(),
            v1::IncidentStatus::INVESTIGATING);
  EXPECT_EQ(proto.time_in_status(1).duration().seconds(), 1);
  EXPECT_EQ(proto.time_in_status(1).duration().nanos(), 500000000);
}

TEST(ConvertersTest, PageStatus_NamesCausesAsResources) {
  domain::PageStatusSummary summary;
  summary.indicator = domain::Indicator::kMajor;
  summary.description = "Partial System Outage";
  summary.causes = {{domain::StatusCause::Kind::kComponent, "api",
                     domain::Indicator::kMajor, "API: Partial Outage"},
                    {domain::StatusCause::Kind::kIncident, "delta",
                     domain::Indicator::kMinor, "Delta: impact Minor"}};
  Component api;
  api.page_id = "acme";
  api.id = "api";
  Incident delta;
  delta.page_id = "acme";
  delta.id = "delta";
  v1::PageStatus proto =
      ToProto("acme", summary, {api}, {delta}, {}, T(1700000000000000));
  EXPECT_EQ(proto.name(), "pages/acme/status");
  EXPECT_EQ(proto.indicator(), v1::PageStatus::MAJOR);
  EXPECT_EQ(proto.description(), "Partial System Outage");
  ASSERT_EQ(proto.causes_size(), 2);
  EXPECT_EQ(proto.causes(0).resource(), "pages/acme/components/api");
  EXPECT_EQ(proto.causes(1).resource(), "pages/acme/incidents/delta");
  EXPECT_EQ(proto.causes(1).indicator(), v1::PageStatus::MINOR);
  EXPECT_EQ(proto.components_size(), 1);
  EXPECT_EQ(proto.open_incidents_size(), 1);
  EXPECT_EQ(proto.active_maintenance_size(), 0);
  EXPECT_EQ(proto.compute_time().seconds(), 1700000000);
}

TEST(ConvertersTest, Time_TruncatedToMicroseconds) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(1700000000);
  ts.set_nanos(123456789);
  ASSERT_OK_AND_ASSIGN(absl::Time t, FromProtoTime("t", ts));
  EXPECT_EQ(t, absl::FromUnixMicros(1700000000123456));
  google::protobuf::Timestamp back = ToProtoTime(t);
  EXPECT_EQ(back.seconds(), 1700000000);
  EXPECT_EQ(back.nanos(), 123456000);
}

TEST(ConvertersTest, Time_OutOfRange_IsInvalidArgument) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(-1);
  EXPECT_CODE(FromProtoTime("t", ts), absl::StatusCode::kInvalidArgument);
  ts.set_seconds(253402300800);
  EXPECT_CODE(FromProtoTime("t", ts), absl::StatusCode::kInvalidArgument);
  ts.set_seconds(0);
  ts.set_nanos(1000000000);
  EXPECT_CODE(FromProtoTime("t", ts), absl::StatusCode::kInvalidArgument);
}

TEST(ConvertersTest, Etag_RoundTripsItsVersion) {
  ASSERT_OK_AND_ASSIGN(int64_t version, VersionFromEtag("etag", Etag(42)));
  EXPECT_EQ(version, 42);
}

TEST(ConvertersTest, Etag_NotOurs_IsInvalidArgument) {
  for (const char* bad : {"42", "v", "v0", "v-1", "v+1", "v01", "w1", "v1x"}) {
    EXPECT_CODE(VersionFromEtag("etag", bad),
                absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ConvertersTest, CheckEtag_EmptyIsUnconditional) {
  EXPECT_OK(CheckEtag("etag", "", 5));
}

TEST(ConvertersTest, CheckEtag_Current_IsOk) {
  EXPECT_OK(CheckEtag("etag", Etag(5), 5));
}

TEST(ConvertersTest, CheckEtag_Stale_IsAborted) {
  EXPECT_CODE(CheckEtag("etag", Etag(4), 5), absl::StatusCode::kAborted);
}

TEST(ConvertersTest, CheckEtag_Malformed_IsInvalidArgument) {
  EXPECT_CODE(CheckEtag("etag", "garbage", 5),
              absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace incidentd
