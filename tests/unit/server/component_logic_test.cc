#include "server/component_logic.h"

#include "tests/unit/server/logic_fixture.h"

namespace incidentd::testing {
namespace {

using ComponentLogicTest = LogicTest;

TEST_F(ComponentLogicTest, CreateComponent_IsOperational) {
  MakePage("acme");
  v1::Component c = MakeComponent("acme", "api");
  EXPECT_EQ(c.name(), "pages/acme/components/api");
  EXPECT_EQ(c.status(), v1::ComponentStatus::OPERATIONAL);
}

TEST_F(ComponentLogicTest, CreateComponent_WithoutId_GetsAGeneratedOne) {
  MakePage("acme");
  v1::CreateComponentRequest r;
  r.set_parent("pages/acme");
  r.mutable_component()->set_display_name("API");
  ASSERT_OK_AND_ASSIGN(v1::Component c,
                       components_.CreateComponent(r, kNoDeadline));
  EXPECT_EQ(c.name().rfind("pages/acme/components/", 0), 0u) << c.name();
}

TEST_F(ComponentLogicTest, CreateComponent_UnknownPage_IsNotFound) {
  v1::CreateComponentRequest r;
  r.set_parent("pages/nope");
  r.mutable_component()->set_display_name("API");
  EXPECT_CODE(components_.CreateComponent(r, kNoDeadline),
              absl::StatusCode::kNotFound);
}

TEST_F(ComponentLogicTest, CreateComponent_UnknownGroup_IsNotFound) {
  MakePage("acme");
  v1::CreateComponentRequest r;
  r.set_parent("pages/acme");
  r.mutable_component()->set_display_name("API");
  r.mutable_component()->set_group("pages/acme/componentGroups/nope");
  EXPECT_CODE(components_.CreateComponent(r, kNoDeadline),
              absl::StatusCode::kNotFound);
}

TEST_F(ComponentLogicTest,
       CreateComponent_GroupOfAnotherPage_IsInvalidArgument) {
  MakePage("acme");
  v1::CreateComponentRequest r;
  r.set_parent("pages/acme");
  r.mutable_component()->set_display_name("API");
  r.mutable_component()->set_group("pages/other/componentGroups/core");
  EXPECT_CODE(components_.CreateComponent(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(ComponentLogicTest, SetComponentStatus_RecordsStatusReasonAndTime) {
  MakePage("acme");
  v1::Component c = MakeComponent("acme", "db");
  clock_.Advance(absl::Minutes(5));
  v1::SetComponentStatusRequest r;
  r.set_name(c.name());
  r.set_status(v1::ComponentStatus::UNDER_MAINTENANCE);
  r.set_reason("Planned database failover");
  r.set_etag(c.etag());
  ASSERT_OK_AND_ASSIGN(v1::Component set,
                       components_.SetComponentStatus(r, kNoDeadline));
  EXPECT_EQ(set.status(), v1::ComponentStatus::UNDER_MAINTENANCE);
  EXPECT_EQ(set.status_reason(), "Planned database failover");
  EXPECT_EQ(FromTs(set.status_change_time()), clock_.Now());
  // The old etag is stale now.
  EXPECT_CODE(components_.SetComponentStatus(r, kNoDeadline),
              absl::StatusCode::kAborted);
}

TEST_F(ComponentLogicTest,
       SetComponentStatus_UnspecifiedOrUnknownStatus_IsInvalidArgument) {
  MakePage("acme");
  v1::Component c = MakeComponent("acme", "db");
  v1::SetComponentStatusRequest r;
  r.set_name(c.name());
  r.set_reason("why");
  EXPECT_CODE(components_.SetComponentStatus(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
  r.set_status(static_cast<v1::ComponentStatus::Value>(99));
  EXPECT_CODE(components_.SetComponentStatus(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(ComponentLogicTest, SetComponentStatus_EmptyReason_IsInvalidArgument) {
  MakePage("acme");
  v1::Component c = MakeComponent("acme", "db");
  v1::SetComponentStatusRequest r;
  r.set_name(c.name());
  r.set_status(v1::ComponentStatus::MAJOR_OUTAGE);
  EXPECT_CODE(components_.SetComponentStatus(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(ComponentLogicTest,
       DeleteComponent_WhileAnOpenIncidentListsIt_IsFailedPrecondition) {
  MakePage("acme");
  v1::Component c = MakeComponent("acme", "api");
  ASSERT_OK(incidents_.CreateIncident(IncidentRequest("acme", "delta", "api"),
                                      kNoDeadline));
  v1::DeleteComponentRequest del;
  del.set_name(c.name());
  EXPECT_CODE(components_.DeleteComponent(del, kNoDeadline),
              absl::StatusCode::kFailedPrecondition);

  ASSERT_OK(incidents_.PostIncidentUpdate(
      Post("pages/acme/incidents/delta", v1::IncidentStatus::RESOLVED),
      kNoDeadline));
  EXPECT_OK(components_.DeleteComponent(del, kNoDeadline));
}

TEST_F(ComponentLogicTest, UpdateComponent_MovesItIntoAGroup) {
  MakePage("acme");
  v1::CreateComponentGroupRequest g;
  g.set_parent("pages/acme");
  g.set_group_id("core");
  g.mutable_group()->set_display_name("Core");
  ASSERT_OK(components_.CreateComponentGroup(g, kNoDeadline));
  v1::Component c = MakeComponent("acme", "api");
  v1::UpdateComponentRequest r;
  *r.mutable_component() = c;
  r.mutable_component()->set_group("pages/acme/componentGroups/core");
  *r.mutable_update_mask() = Mask({"group"});
  ASSERT_OK_AND_ASSIGN(v1::Component moved,
                       components_.UpdateComponent(r, kNoDeadline));
  EXPECT_EQ(moved.group(), "pages/acme/componentGroups/core");
  EXPECT_EQ(moved.display_name(), c.display_name());
}

TEST_F(ComponentLogicTest, UpdateComponent_StatusInMask_IsInvalidArgument) {
  MakePage("acme");
  v1::Component c = MakeComponent("acme", "api");
  v1::UpdateComponentRequest r;
  *r.mutable_component() = c;
  *r.mutable_update_mask() = Mask({"status"});
  EXPECT_CODE(components_.UpdateComponent(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(ComponentLogicTest, ListComponents_DisplayOrderAndGroupFilter) {
  MakePage("acme");
  v1::CreateComponentGroupRequest g;
  g.set_parent("pages/acme");
  g.set_group_id("core");
  g.mutable_group()->set_display_name("Core");
  ASSERT_OK(components_.CreateComponentGroup(g, kNoDeadline));
  MakeComponent("acme", "b");
  MakeComponent("acme", "a", "pages/acme/componentGroups/core");
  MakeComponent("acme", "c", "pages/acme/componentGroups/core");

  v1::ListComponentsRequest all;
  all.set_parent("pages/acme");
  all.set_page_size(2);
  ASSERT_OK_AND_ASSIGN(v1::ListComponentsResponse first,
                       components_.ListComponents(all, kNoDeadline));
  ASSERT_EQ(first.components_size(), 2);
  EXPECT_EQ(first.components(0).name(), "pages/acme/components/a");
  EXPECT_EQ(first.components(1).name(), "pages/acme/components/b");
  ASSERT_FALSE(first.next_page_token().empty());

  // The token belongs to the unfiltered query.
  v1::ListComponentsRequest filtered = all;
  filtered.set_group("pages/acme/componentGroups/core");
  filtered.set_page_token(first.next_page_token());
  EXPECT_CODE(components_.ListComponents(filtered, kNoDeadline),
              absl::StatusCode::kInvalidArgument);

  filtered.clear_page_token();
  filtered.set_page_size(0);
  ASSERT_OK_AND_ASSIGN(v1::ListComponentsResponse grouped,
                       components_.ListComponents(filtered, kNoDeadline));
  ASSERT_EQ(grouped.components_size(), 2);
  EXPECT_EQ(grouped.components(1).name(), "pages/acme/components/c");
}

TEST_F(ComponentLogicTest, DeleteComponentGroup_LeavesItsComponentsUngrouped) {
  MakePage("acme");
  v1::CreateComponentGroupRequest g;
  g.set_parent("pages/acme");
  g.set_group_id("core");
  g.mutable_group()->set_display_name("Core");
  ASSERT_OK_AND_ASSIGN(v1::ComponentGroup group,
                       components_.CreateComponentGroup(g, kNoDeadline));
  v1::Component c = MakeComponent("acme", "api", group.name());
  v1::DeleteComponentGroupRequest del;
  del.set_name(group.name());
  del.set_etag(group.etag());
  ASSERT_OK(components_.DeleteComponentGroup(del, kNoDeadline));
  EXPECT_EQ(GetComponent(c.name()).group(), "");
}

TEST_F(ComponentLogicTest, CreateComponentGroup_SameRequestIdTwice_CreatesOne) {
  MakePage("acme");
  v1::CreateComponentGroupRequest g;
  g.set_parent("pages/acme");
  g.mutable_group()->set_display_name("Core");
  g.set_request_id("g-1");
  ASSERT_OK_AND_ASSIGN(v1::ComponentGroup a,
                       components_.CreateComponentGroup(g, kNoDeadline));
  ASSERT_OK_AND_ASSIGN(v1::ComponentGroup b,
                       components_.CreateComponentGroup(g, kNoDeadline));
  EXPECT_EQ(a.name(), b.name());
  EXPECT_EQ(store_.Snapshot().groups.size(), 1u);
}

}  // namespace
}  // namespace incidentd::testing
