// Page tokens: round trip, binding to the query, tamper detection, and page
// size resolution.
#include "server/domain/page_token.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
constexpr absl::StatusCode kIA = absl::StatusCode::kInvalidArgument;

constexpr char kQuery[] = "incidents|pages/productsup|kind=1|state=0";

TEST(PageTokenTest, RoundTrip_GivesTheCursorBack) {
  const std::vector<std::string> cursor = {"2025-09-09T11:53:00Z",
                                           "ceph-2025-009"};
  const std::string token = EncodePageToken(kQuery, cursor);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> decoded,
                       DecodePageToken(token, kQuery));
  EXPECT_EQ(decoded, cursor);
}

TEST(PageTokenTest, RoundTrip_KeepsEmptyBinaryAndLongFields) {
  const std::vector<std::string> cursor = {
      "", std::string("\0\xFF|\n", 4), std::string(1000, 'x'), "caf\xC3\xA9"};
  ASSERT_OK_AND_ASSIGN(
      std::vector<std::string> decoded,
      DecodePageToken(EncodePageToken(kQuery, cursor), kQuery));
  EXPECT_EQ(decoded, cursor);
}

TEST(PageTokenTest, RoundTrip_EmptyCursor) {
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> decoded,
                       DecodePageToken(EncodePageToken(kQuery, {}), kQuery));
  EXPECT_THAT(decoded, IsEmpty());
}

TEST(PageTokenTest, Token_IsWebSafeAndDeterministic) {
  const std::string token = EncodePageToken(kQuery, {"a", "b"});
  EXPECT_EQ(token.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                "0123456789-_"),
            std::string::npos)
      << token;
  // No per-process key: another replica, or this one after a restart,
  // produces and accepts the same token.
  EXPECT_EQ(token, EncodePageToken(kQuery, {"a", "b"}));
}

TEST(PageTokenTest, EmptyToken_IsTheFirstPage) {
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> decoded,
                       DecodePageToken("", kQuery));
  EXPECT_THAT(decoded, IsEmpty());
}

TEST(PageTokenTest, WrongQuery_IsInvalidArgument) {
  const std::string token = EncodePageToken(kQuery, {"x"});
  absl::StatusOr<std::vector<std::string>> decoded =
      DecodePageToken(token, "incidents|pages/productsup|kind=2|state=0");
  EXPECT_CODE(decoded, kIA);
  EXPECT_THAT(std::string(decoded.status().message()),
              HasSubstr("page_token: "));
  EXPECT_THAT(std::string(decoded.status().message()),
              HasSubstr("different query"));
}

TEST(PageTokenTest, EveryAlteredByte_IsInvalidArgument) {
  const std::vector<std::string> cursor = {"2025-09-09T11:53:00Z", "ceph"};
  std::string raw;
  ASSERT_TRUE(
      absl::WebSafeBase64Unescape(EncodePageToken(kQuery, cursor), &raw));
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string altered = raw;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    EXPECT_CODE(DecodePageToken(absl::WebSafeBase64Escape(altered), kQuery),
                kIA)
        << "byte " << i;
  }
}

TEST(PageTokenTest, TruncatedOrExtended_IsInvalidArgument) {
  const std::string token = EncodePageToken(kQuery, {"abc", "def"});
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  for (size_t n = 1; n < raw.size(); ++n) {  // 0 bytes: the empty token
    EXPECT_CODE(
        DecodePageToken(absl::WebSafeBase64Escape(raw.substr(0, n)), kQuery),
        kIA)
        << "length " << n;
  }
  EXPECT_CODE(DecodePageToken(absl::WebSafeBase64Escape(raw + "x"), kQuery),
              kIA);
}

TEST(PageTokenTest, Garbage_IsInvalidArgument) {
  for (const std::string& garbage :
       {std::string("not a token!"), std::string("%%%%"), std::string("A"),
        std::string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        std::string("\xC3\xA9"), std::string(10000, 'A')}) {
    absl::StatusOr<std::vector<std::string>> decoded =
        DecodePageToken(garbage, kQuery);
    EXPECT_CODE(decoded, kIA) << garbage;
    EXPECT_THAT(std::string(decoded.status().message()),
                HasSubstr("page_token: "));
  }
}

TEST(PageTokenTest, ForgedWithoutTheKey_IsInvalidArgument) {
  // A well-formed layout with a made-up MAC: version, fingerprint, one
  // field "x", 16 MAC bytes.
  std::string raw = std::string("\x01", 1) + std::string(8, '\0') +
                    std::string("\x01\x01x", 3) + std::string(16, '\0');
  EXPECT_CODE(DecodePageToken(absl::WebSafeBase64Escape(raw), kQuery), kIA);
}

// --- Page size --------------------------------------------------------------

TEST(PageSizeTest, ResolvePageSize_ZeroIsDefault) {
  ASSERT_OK_AND_ASSIGN(int size, ResolvePageSize(0, 20, 100));
  EXPECT_EQ(size, 20);
}

TEST(PageSizeTest, ResolvePageSize_InRangeIsKept) {
  ASSERT_OK_AND_ASSIGN(int one, ResolvePageSize(1, 20, 100));
  EXPECT_EQ(one, 1);
  ASSERT_OK_AND_ASSIGN(int max, ResolvePageSize(100, 20, 100));
  EXPECT_EQ(max, 100);
}

TEST(PageSizeTest, ResolvePageSize_AboveMaxIsCoerced) {
  ASSERT_OK_AND_ASSIGN(int size, ResolvePageSize(5000, 20, 100));
  EXPECT_EQ(size, 100);
}

TEST(PageSizeTest, ResolvePageSize_NegativeIsInvalidArgument) {
  absl::StatusOr<int> size = ResolvePageSize(-1, 20, 100);
  EXPECT_CODE(size, kIA);
  EXPECT_THAT(std::string(size.status().message()), HasSubstr("page_size"));
}

}  // namespace
}  // namespace incidentd::domain
