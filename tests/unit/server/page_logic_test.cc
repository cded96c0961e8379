#include "server/page_logic.h"

#include "tests/unit/server/logic_fixture.h"

namespace incidentd::testing {
namespace {

using PageLogicTest = LogicTest;

TEST_F(PageLogicTest, CreatePage_DefaultsTimeZoneToUtc_WithFirstEtag) {
  v1::Page page = MakePage("acme");
  EXPECT_EQ(page.name(), "pages/acme");
  EXPECT_EQ(page.time_zone(), "UTC");
  EXPECT_FALSE(page.etag().empty());
  EXPECT_EQ(FromTs(page.create_time()), clock_.Now());
}

TEST_F(PageLogicTest, CreatePage_MissingDisplayName_IsInvalidArgument) {
  v1::CreatePageRequest r;
  r.set_page_id("acme");
  EXPECT_CODE(pages_.CreatePage(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(PageLogicTest, CreatePage_UnknownTimeZone_IsInvalidArgument) {
  v1::CreatePageRequest r;
  r.set_page_id("acme");
  r.mutable_page()->set_display_name("Acme");
  r.mutable_page()->set_time_zone("Mars/Olympus");
  EXPECT_CODE(pages_.CreatePage(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(PageLogicTest, CreatePage_TakenId_IsAlreadyExists) {
  MakePage("acme");
  v1::CreatePageRequest r;
  r.set_page_id("acme");
  r.mutable_page()->set_display_name("Another");
  EXPECT_CODE(pages_.CreatePage(r, kNoDeadline),
              absl::StatusCode::kAlreadyExists);
}

TEST_F(PageLogicTest,
       CreatePage_SameRequestIdAgain_ReturnsThePageAsFirstCreated) {
  v1::CreatePageRequest r;
  r.set_page_id("acme");
  r.mutable_page()->set_display_name("Acme");
  r.set_request_id("req-1");
  ASSERT_OK_AND_ASSIGN(v1::Page first, pages_.CreatePage(r, kNoDeadline));
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(v1::Page again, pages_.CreatePage(r, kNoDeadline));
  EXPECT_EQ(again.DebugString(), first.DebugString());
  EXPECT_EQ(store_.Snapshot().pages.size(), 1u);
}

TEST_F(PageLogicTest,
       CreatePage_SameRequestIdDifferentRequest_IsAlreadyExists) {
  v1::CreatePageRequest r;
  r.set_page_id("acme");
  r.mutable_page()->set_display_name("Acme");
  r.set_request_id("req-1");
  ASSERT_OK(pages_.CreatePage(r, kNoDeadline));
  r.set_page_id("other");
  absl::StatusOr<v1::Page> second = pages_.CreatePage(r, kNoDeadline);
  EXPECT_CODE(second, absl::StatusCode::kAlreadyExists);
  EXPECT_NE(second.status().message().find("different request"),
            std::string::npos);
  EXPECT_EQ(store_.Snapshot().pages.count("other"), 0u);
}

TEST_F(PageLogicTest, UpdatePage_MaskedFieldsOnly_BumpsEtag) {
  v1::Page page = MakePage("acme", "Europe/Berlin");
  v1::UpdatePageRequest r;
  r.mutable_page()->set_name(page.name());
  r.mutable_page()->set_display_name("Acme Inc");
  r.mutable_page()->set_url("https://ignored.example");
  *r.mutable_update_mask() = Mask({"display_name"});
  ASSERT_OK_AND_ASSIGN(v1::Page updated, pages_.UpdatePage(r, kNoDeadline));
  EXPECT_EQ(updated.display_name(), "Acme Inc");
  EXPECT_EQ(updated.url(), "");
  EXPECT_EQ(updated.time_zone(), "Europe/Berlin");
  EXPECT_NE(updated.etag(), page.etag());
}

TEST_F(PageLogicTest, UpdatePage_StaleEtag_IsAbortedAndChangesNothing) {
  v1::Page page = MakePage("acme");
  v1::UpdatePageRequest r;
  r.mutable_page()->set_name(page.name());
  r.mutable_page()->set_display_name("First");
  r.mutable_page()->set_etag(page.etag());
  *r.mutable_update_mask() = Mask({"display_name"});
  ASSERT_OK(pages_.UpdatePage(r, kNoDeadline));
  r.mutable_page()->set_display_name("Second");
  EXPECT_CODE(pages_.UpdatePage(r, kNoDeadline), absl::StatusCode::kAborted);
  EXPECT_EQ(store_.Snapshot().pages.at("acme").display_name, "First");
}

TEST_F(PageLogicTest, UpdatePage_OutputOnlyPathInMask_IsInvalidArgument) {
  v1::Page page = MakePage("acme");
  v1::UpdatePageRequest r;
  r.mutable_page()->set_name(page.name());
  *r.mutable_update_mask() = Mask({"create_time"});
  EXPECT_CODE(pages_.UpdatePage(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(PageLogicTest, GetPage_Unknown_IsNotFound) {
  v1::GetPageRequest r;
  r.set_name("pages/nope");
  EXPECT_CODE(pages_.GetPage(r, kNoDeadline), absl::StatusCode::kNotFound);
}

TEST_F(PageLogicTest, GetPage_MalformedName_IsInvalidArgument) {
  v1::GetPageRequest r;
  r.set_name("pages/acme/components/x");
  EXPECT_CODE(pages_.GetPage(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(PageLogicTest,
       DeletePage_WithChildren_IsFailedPreconditionUnlessForced) {
  MakePage("acme");
  MakeComponent("acme", "api");
  v1::DeletePageRequest r;
  r.set_name("pages/acme");
  EXPECT_CODE(pages_.DeletePage(r, kNoDeadline),
              absl::StatusCode::kFailedPrecondition);
  r.set_force(true);
  ASSERT_OK(pages_.DeletePage(r, kNoDeadline));
  EXPECT_TRUE(store_.Snapshot().pages.empty());
  EXPECT_TRUE(store_.Snapshot().components.empty());
}

TEST_F(PageLogicTest, ListPages_PagesThroughEveryPageInNameOrder) {
  for (const char* id : {"c", "a", "e", "b", "d"}) MakePage(id);
  std::vector<std::string> seen;
  v1::ListPagesRequest r;
  r.set_page_size(2);
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK_AND_ASSIGN(v1::ListPagesResponse resp,
                         pages_.ListPages(r, kNoDeadline));
    EXPECT_LE(resp.pages_size(), 2);
    for (const v1::Page& p : resp.pages()) seen.push_back(p.name());
    if (resp.next_page_token().empty()) break;
    r.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"pages/a", "pages/b", "pages/c",
                                            "pages/d", "pages/e"}));
}

TEST_F(PageLogicTest, ListPages_GarbageToken_IsInvalidArgument) {
  v1::ListPagesRequest r;
  r.set_page_token("not-a-token");
  EXPECT_CODE(pages_.ListPages(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(PageLogicTest, GetPageStatus_AllOperational_IsNone) {
  MakePage("acme");
  MakeComponent("acme", "api");
  v1::GetPageStatusRequest r;
  r.set_name("pages/acme/status");
  ASSERT_OK_AND_ASSIGN(v1::PageStatus status,
                       pages_.GetPageStatus(r, kNoDeadline));
  EXPECT_EQ(status.name(), "pages/acme/status");
  EXPECT_EQ(status.indicator(), v1::PageStatus::NONE);
  EXPECT_EQ(status.description(), "All Systems Operational");
  EXPECT_EQ(status.components_size(), 1);
}

TEST_F(PageLogicTest, GetPageStatus_OpenIncident_NamesItsCauses) {
  MakePage("acme");
  MakeComponent("acme", "api");
  ASSERT_OK(incidents_.CreateIncident(IncidentRequest("acme", "delta", "api"),
                                      kNoDeadline));
  v1::GetPageStatusRequest r;
  r.set_name("pages/acme");
  ASSERT_OK_AND_ASSIGN(v1::PageStatus status,
                       pages_.GetPageStatus(r, kNoDeadline));
  EXPECT_EQ(status.indicator(), v1::PageStatus::MAJOR);
  ASSERT_EQ(status.causes_size(), 2);
  EXPECT_EQ(status.causes(0).resource(), "pages/acme/components/api");
  EXPECT_EQ(status.causes(1).resource(), "pages/acme/incidents/delta");
  ASSERT_EQ(status.open_incidents_size(), 1);
  EXPECT_EQ(status.active_maintenance_size(), 0);
}

TEST_F(PageLogicTest, GetPageStatus_UnknownPage_IsNotFound) {
  v1::GetPageStatusRequest r;
  r.set_name("pages/nope/status");
  EXPECT_CODE(pages_.GetPageStatus(r, kNoDeadline),
              absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace incidentd::testing
