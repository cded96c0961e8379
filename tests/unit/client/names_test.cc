#include "client/names.h"

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::client {
namespace {

TEST(ExpandPageName, BareId_BecomesPageName) {
  EXPECT_EQ(ExpandPageName("productsup").value(), "pages/productsup");
}

TEST(ExpandPageName, FullName_IsKept) {
  EXPECT_EQ(ExpandPageName("pages/productsup").value(), "pages/productsup");
}

TEST(ExpandPageName, OtherShapes_AreInvalidArgument) {
  for (const char* arg : {"", "pages/", "/x", "a/b", "pages/a/b", "x/"}) {
    EXPECT_CODE(ExpandPageName(arg), absl::StatusCode::kInvalidArgument)
        << arg;
  }
}

TEST(ExpandChildName, PageSlashId_BecomesFullName) {
  EXPECT_EQ(ExpandChildName("productsup/ceph-2025-09", kIncidents).value(),
            "pages/productsup/incidents/ceph-2025-09");
  EXPECT_EQ(ExpandChildName("exalate/hosting", kComponents).value(),
            "pages/exalate/components/hosting");
  EXPECT_EQ(ExpandChildName("exalate/jira", kComponentGroups).value(),
            "pages/exalate/componentGroups/jira");
}

TEST(ExpandChildName, FullNameOfThatCollection_IsKept) {
  EXPECT_EQ(ExpandChildName("pages/p/incidents/i", kIncidents).value(),
            "pages/p/incidents/i");
}

TEST(ExpandChildName, FullNameOfAnotherCollection_IsInvalidArgument) {
  EXPECT_CODE(ExpandChildName("pages/p/components/c", kIncidents),
              absl::StatusCode::kInvalidArgument);
}

TEST(ExpandChildName, AmbiguousOrMalformed_IsInvalidArgument) {
  for (const char* arg : {"", "ceph", "pages/ceph", "p/", "/i", "p//i",
                          "a/b/c", "pages/p/incidents", "pages/p/incidents/",
                          "pages/p/incidents/i/updates/u"}) {
    EXPECT_CODE(ExpandChildName(arg, kIncidents),
                absl::StatusCode::kInvalidArgument)
        << arg;
  }
}

TEST(ChildOfPage, BareId_IsExpandedUnderThePage) {
  EXPECT_EQ(ChildOfPage("pages/productsup", kComponents, "data-processing"),
            "pages/productsup/components/data-processing");
}

TEST(ChildOfPage, FullNameOrEmpty_IsKept) {
  EXPECT_EQ(ChildOfPage("pages/a", kComponents, "pages/b/components/c"),
            "pages/b/components/c");
  EXPECT_EQ(ChildOfPage("pages/a", kComponentGroups, ""), "");
}

TEST(PostmortemName, IsTheIncidentsSingleton) {
  EXPECT_EQ(PostmortemName("pages/p/incidents/i"),
            "pages/p/incidents/i/postmortem");
}

}  // namespace
}  // namespace incidentd::client
