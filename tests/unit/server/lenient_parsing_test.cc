#include "server/lenient_parsing.h"

#include "gtest/gtest.h"
#include <grpcpp/grpcpp.h>

#include <string>

#include "incidentd/v1/pages.pb.h"

namespace incidentd {
namespace {

TEST(LenientParsingTest, ParsedRequest_IsNotMarked) {
  v1::CreatePageRequest request;
  request.set_page_id("acme");
  EXPECT_EQ(ParseFailureOf(request), ParseFailure::kNone);
  EXPECT_EQ(ParseFailureOf(v1::CreatePageRequest()), ParseFailure::kNone);
}

TEST(LenientParsingTest, MarkedRequest_IsEmptyAndMarkedWithWhy) {
  for (ParseFailure why : {ParseFailure::kMalformed, ParseFailure::kMissing}) {
    v1::CreatePageRequest request;
    request.set_page_id("acme");
    MarkUnparsedRequest(&request, why);
    EXPECT_EQ(ParseFailureOf(request), why);
    EXPECT_EQ(request.page_id(), "");
  }
}

TEST(LenientParsingTest, AClientsOwnUnknownFields_AreNotAMark) {
  // A newer client's field the server does not know yet is kept, unmarked.
  v1::CreatePageRequest request;
  request.GetReflection()->MutableUnknownFields(&request)->AddVarint(99, 1);
  request.GetReflection()->MutableUnknownFields(&request)->AddLengthDelimited(
      536870911, "not a varint");
  EXPECT_EQ(ParseFailureOf(request), ParseFailure::kNone);
}

grpc::ByteBuffer BytesOf(const std::string& wire) {
  grpc::Slice slice(wire);
  return grpc::ByteBuffer(&slice, 1);
}

TEST(ParseRawRequestTest, WellFormed_IsParsed) {
  v1::GetPageStatusRequest sent;
  sent.set_name("pages/acme/status");
  v1::GetPageStatusRequest got;
  ParseRawRequest(BytesOf(sent.SerializeAsString()), &got);
  EXPECT_EQ(ParseFailureOf(got), ParseFailure::kNone);
  EXPECT_EQ(got.name(), "pages/acme/status");
}

TEST(ParseRawRequestTest, NotUtf8_IsMalformed) {
  v1::GetPageStatusRequest got;
  ParseRawRequest(BytesOf(std::string("\x0a\x01\xff", 3)), &got);
  EXPECT_EQ(ParseFailureOf(got), ParseFailure::kMalformed);
}

TEST(ParseRawRequestTest, NoBuffer_IsMissing) {
  v1::GetPageStatusRequest got;
  ParseRawRequest(grpc::ByteBuffer(), &got);
  EXPECT_EQ(ParseFailureOf(got), ParseFailure::kMissing);
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
