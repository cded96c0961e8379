// Input checks shared by every handler: ids, one-line strings, texts, time
// zones, request ids and URLs.
#include "server/domain/validation.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::domain {
namespace {

using ::testing::HasSubstr;
constexpr absl::StatusCode kIA = absl::StatusCode::kInvalidArgument;

// --- Ids
// ----------------------------------------------------------------------

TEST(ValidationTest, ValidateId_AcceptsLowercaseDigitsAndInnerDashes) {
  EXPECT_OK(ValidateId("page_id", "productsup"));
  EXPECT_OK(ValidateId("page_id", "a"));
  EXPECT_OK(ValidateId("incident_id", "ceph-2025-009"));
  EXPECT_OK(ValidateId("incident_id", "9lives"));
  EXPECT_OK(ValidateId("page_id", std::string(63, 'a')));
}

TEST(ValidationTest, ValidateId_RejectsEmptyLongAndOtherCharacters) {
  for (const std::string& bad :
       {std::string(""), std::string(64, 'a'), std::string("Productsup"),
        std::string("-lead"), std::string("trail-"), std::string("under_score"),
        std::string("dot.ted"), std::string("sp ace"), std::string("x/y"),
        std::string("caf\xC3\xA9"), std::string("a\0b", 3)}) {
    EXPECT_CODE(ValidateId("page_id", bad), kIA) << bad;
  }
}

TEST(ValidationTest, ValidateId_MessageNamesFieldAndLimit) {
  absl::Status s = ValidateId("component_id", "");
  EXPECT_THAT(std::string(s.message()), HasSubstr("component_id: "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("1 to 63"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("got 0"));
}

// --- Lines
// --------------------------------------------------------------------

TEST(ValidationTest, ValidateLine_Empty_IsInvalidWithTheDocumentedMessage) {
  absl::Status s = ValidateLine("incident.title", "", 1, 200);
  EXPECT_CODE(s, kIA);
  EXPECT_EQ(s.message(), "incident.title: must be 1 to 200 characters (got 0)");
}

TEST(ValidationTest, ValidateLine_CountsCodePointsNotBytes) {
  // "é" is two bytes, one character.
  EXPECT_OK(ValidateLine("title", std::string(5, 'x') + "\xC3\xA9", 6, 6));
  // U+1F525 FIRE is four bytes, one character.
  const std::string fire = "\xF0\x9F\x94\xA5";
  EXPECT_OK(ValidateLine("title", fire, 1, 1));
  std::string ten_fires;
  for (int i = 0; i < 10; ++i) ten_fires += fire;
  EXPECT_OK(ValidateLine("title", ten_fires, 1, 10));
  absl::Status s = ValidateLine("title", ten_fires + fire, 1, 10);
  EXPECT_CODE(s, kIA);
  EXPECT_THAT(std::string(s.message()), HasSubstr("(got 11)"));
}

TEST(ValidationTest, ValidateLine_Oversized_IsInvalid) {
  EXPECT_OK(ValidateLine("title", std::string(200, 'x'), 1, 200));
  EXPECT_CODE(ValidateLine("title", std::string(201, 'x'), 1, 200), kIA);
}

TEST(ValidationTest, ValidateLine_InvalidUtf8_IsInvalid) {
  for (const std::string& bad : {
           std::string("\xC3"),              // truncated
           std::string("ab\xC3("),           // bad continuation
           std::string("\xC0\xAF"),          // overlong '/'
           std::string("\xE0\x80\xAF"),      // overlong, three bytes
           std::string("\xED\xA0\x80"),      // surrogate U+D800
           std::string("\xF4\x90\x80\x80"),  // above U+10FFFF
           std::string("\xFF"),
           std::string("\x80"),
       }) {
    absl::Status s = ValidateLine("title", bad, 0, 200);
    EXPECT_CODE(s, kIA);
    EXPECT_THAT(std::string(s.message()), HasSubstr("UTF-8"));
  }
}

TEST(ValidationTest, ValidateLine_ControlCharacters_AreInvalidButTabIsFine) {
  EXPECT_OK(ValidateLine("title", "a\tb", 1, 200));
  for (const std::string& bad :
       {std::string("a\nb"), std::string("a\rb"), std::string("a\0b", 3),
        std::string("bell\a"), std::string("esc\x1b[31m"),
        std::string("del\x7f"), std::string("c1 \xC2\x85")}) {
    absl::Status s = ValidateLine("title", bad, 1, 200);
    EXPECT_CODE(s, kIA);
    EXPECT_THAT(std::string(s.message()), HasSubstr("control"));
  }
}

TEST(ValidationTest, ValidateLine_SqlMetacharacters_AreFine) {
  EXPECT_OK(ValidateLine(
      "title", "Robert'); DROP TABLE incidents;-- \"%_\\ `x` /*", 1, 200));
}

// --- Texts
// --------------------------------------------------------------------

TEST(ValidationTest, ValidateText_AllowsNewlinesTabsAndUnicode) {
  EXPECT_OK(
      ValidateText("update.body",
                   "Dear customers,\nWe are investigating.\n\n"
                   "\t\xE2\x80\xA2 item \xE2\x86\x92 done \xF0\x9F\x94\xA5\r\n",
                   1, kMaxBodyBytes));
}

TEST(ValidationTest, ValidateText_LimitsAreInBytes) {
  EXPECT_OK(ValidateText("update.body", std::string(kMaxBodyBytes, 'x'), 1,
                         kMaxBodyBytes));
  absl::Status s = ValidateText(
      "update.body", std::string(kMaxBodyBytes + 1, 'x'), 1, kMaxBodyBytes);
  EXPECT_CODE(s, kIA);
  EXPECT_EQ(s.message(), "update.body: must be 1 to 65536 bytes (got 65537)");
  // 16385 four-byte emoji: 16385 characters but 65540 bytes.
  std::string fires;
  for (int i = 0; i < 16385; ++i) fires += "\xF0\x9F\x94\xA5";
  EXPECT_CODE(ValidateText("update.body", fires, 1, kMaxBodyBytes), kIA);
}

TEST(ValidationTest, ValidateText_Empty_IsInvalidWhenRequired) {
  EXPECT_CODE(ValidateText("update.body", "", 1, kMaxBodyBytes), kIA);
  EXPECT_OK(ValidateText("section.heading", "", 0, kMaxBodyBytes));
}

TEST(ValidationTest, ValidateText_InvalidUtf8AndControls_AreInvalid) {
  EXPECT_CODE(ValidateText("body", "ok\n\xC3", 1, 100), kIA);
  EXPECT_CODE(ValidateText("body", std::string("nul\0", 4), 1, 100), kIA);
  EXPECT_CODE(ValidateText("body", "bare\rcarriage return", 1, 100), kIA);
  absl::Status s = ValidateText("body", "line\n\x1b[2J", 1, 100);
  EXPECT_CODE(s, kIA);
  EXPECT_THAT(std::string(s.message()), HasSubstr("U+001B at byte 5"));
}

TEST(ValidationTest, ValidateText_SqlMetacharacters_AreFine) {
  EXPECT_OK(ValidateText("body", "'; DELETE FROM pages; --\n\\0 %", 1, 100));
}

// --- Time zones -------------------------------------------------------------

TEST(ValidationTest, ValidateTimeZone_AcceptsIanaNamesAndEmpty) {
  EXPECT_OK(ValidateTimeZone("page.time_zone", ""));
  EXPECT_OK(ValidateTimeZone("page.time_zone", "UTC"));
  EXPECT_OK(ValidateTimeZone("page.time_zone", "Europe/Berlin"));
  EXPECT_OK(ValidateTimeZone("page.time_zone", "America/Argentina/Salta"));
  EXPECT_OK(ValidateTimeZone("page.time_zone", "Etc/GMT+1"));
}

TEST(ValidationTest, ValidateTimeZone_RejectsUnknownNamesAndPaths) {
  for (const std::string& bad :
       {std::string("CEST+2"), std::string("Europe/Atlantis"),
        std::string("europe/berlin"), std::string("/etc/passwd"),
        std::string("../zoneinfo/UTC"), std::string("Europe/../UTC"),
        std::string("Europe"), std::string("localtime"),
        std::string("Fixed/UTC+02:00:00"), std::string("file:UTC"),
        std::string(65, 'A')}) {
    absl::Status s = ValidateTimeZone("page.time_zone", bad);
    EXPECT_CODE(s, kIA) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("page.time_zone: ")) << bad;
  }
}

// --- Request ids
// --------------------------------------------------------------

TEST(ValidationTest, ValidateRequestId_EmptyOrPrintableAscii) {
  EXPECT_OK(ValidateRequestId("request_id", ""));
  EXPECT_OK(
      ValidateRequestId("request_id", "8c6f1f0e-3a1b-4c2d-9e8f-0123456789ab"));
  EXPECT_OK(ValidateRequestId("request_id", std::string(128, '~')));
  EXPECT_CODE(ValidateRequestId("request_id", std::string(129, 'a')), kIA);
  EXPECT_CODE(ValidateRequestId("request_id", "tab\there"), kIA);
  EXPECT_CODE(ValidateRequestId("request_id", "caf\xC3\xA9"), kIA);
}

// --- URLs
// ---------------------------------------------------------------------

TEST(ValidationTest, ValidateUrl_AcceptsAbsoluteHttpAndHttps) {
  EXPECT_OK(ValidateUrl("page.url", ""));
  EXPECT_OK(ValidateUrl("page.url", "https://status.productsup.com"));
  EXPECT_OK(ValidateUrl("page.url", "http://localhost:8080/hook?x=1#y"));
  EXPECT_OK(ValidateUrl("page.url", "HTTPS://Example.com/"));
  EXPECT_OK(ValidateUrl("page.url", "https://user@[::1]:443/p"));
}

TEST(ValidationTest, ValidateUrl_RejectsOtherSchemesRelativeAndOversized) {
  for (const std::string& bad :
       {std::string("ftp://example.com"), std::string("javascript:alert(1)"),
        std::string("//example.com/x"), std::string("/relative"),
        std::string("https://"), std::string("https:///path"),
        std::string("https://exa mple.com"), std::string("https://a.com\n"),
        std::string("https://a.com:80x/"), std::string("https://[::1/"),
        std::string("https://a.com/") + std::string(kMaxUrlLength, 'x')}) {
    EXPECT_CODE(ValidateUrl("page.url", bad), kIA) << bad;
  }
}

}  // namespace
}  // namespace incidentd::domain
