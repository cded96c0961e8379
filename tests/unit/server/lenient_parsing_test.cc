#include "server/lenient_parsing.h"

#include "gtest/gtest.h"
#include "incidentd/v1/pages.pb.h"

namespace incidentd {
namespace {

TEST(LenientParsingTest, ParsedRequest_IsNotMarked) {
  v1::CreatePageRequest request;
  request.set_page_id("acme");
  EXPECT_FALSE(IsUnparsedRequest(request));
  EXPECT_FALSE(IsUnparsedRequest(v1::CreatePageRequest()));
}

TEST(LenientParsingTest, MarkedRequest_IsEmptyAndMarked) {
  v1::CreatePageRequest request;
  request.set_page_id("acme");
  MarkUnparsedRequest(&request);
  EXPECT_TRUE(IsUnparsedRequest(request));
  EXPECT_EQ(request.page_id(), "");
}

TEST(LenientParsingTest, InvalidUtf8_FailsToParseWithoutLeniency) {
  // What the handler exists for: protobuf refuses a proto3 string that is
  // not UTF-8 (field 1, page_id, holding the byte 0xff).
  const std::string wire("\x0a\x01\xff", 3);
  v1::CreatePageRequest request;
  EXPECT_FALSE(request.ParseFromString(wire));
}

}  // namespace
}  // namespace incidentd
