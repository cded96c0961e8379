#include "server/pagination.h"

#include "gtest/gtest.h"
#include "server/domain/page_token.h"
#include "tests/testing/status_matchers.h"

namespace incidentd {
namespace {

TEST(PaginationTest, StartList_NoToken_IsFirstPageWithDefaultSize) {
  ASSERT_OK_AND_ASSIGN(ListPage page, StartList(0, "", "q", 20, 200, 2));
  EXPECT_EQ(page.size, 20);
  EXPECT_TRUE(page.cursor.empty());
}

TEST(PaginationTest, FinishList_MoreRows_TokenResumesAfterLastKept) {
  std::vector<int> rows = {1, 2, 3};
  std::string token = FinishList(rows, 2, "q", [](int r) {
    return std::vector<std::string>{CursorInt(r), "x"};
  });
  EXPECT_EQ(rows, (std::vector<int>{1, 2}));
  ASSERT_FALSE(token.empty());
  ASSERT_OK_AND_ASSIGN(ListPage next, StartList(2, token, "q", 20, 200, 2));
  ASSERT_EQ(next.cursor.size(), 2u);
  ASSERT_OK_AND_ASSIGN(int64_t last, ParseCursorInt(next.cursor[0]));
  EXPECT_EQ(last, 2);
}

TEST(PaginationTest, FinishList_NoMoreRows_NoToken) {
  std::vector<int> rows = {1, 2};
  EXPECT_EQ(
      FinishList(rows, 2, "q",
                 [](int r) { return std::vector<std::string>{CursorInt(r)}; }),
      "");
  EXPECT_EQ(rows.size(), 2u);
}

TEST(PaginationTest, StartList_TokenOfAnotherQuery_IsInvalidArgument) {
  std::string token = domain::EncodePageToken("incidents|a|kind=1", {"1", "x"});
  EXPECT_CODE(StartList(0, token, "incidents|a|kind=2", 20, 200, 2),
              absl::StatusCode::kInvalidArgument);
}

TEST(PaginationTest, StartList_CursorOfWrongShape_IsInvalidArgument) {
  std::string token = domain::EncodePageToken("q", {"1"});
  EXPECT_CODE(StartList(0, token, "q", 20, 200, 2),
              absl::StatusCode::kInvalidArgument);
}

TEST(PaginationTest, StartList_NegativeSize_IsInvalidArgument) {
  EXPECT_CODE(StartList(-1, "", "q", 20, 200, 2),
              absl::StatusCode::kInvalidArgument);
}

TEST(PaginationTest, CursorTime_RoundTripsMicroseconds) {
  absl::Time t = absl::FromUnixMicros(1700000000123456);
  ASSERT_OK_AND_ASSIGN(absl::Time back, ParseCursorTime(CursorTime(t)));
  EXPECT_EQ(back, t);
  EXPECT_CODE(ParseCursorTime("12x"), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace incidentd
