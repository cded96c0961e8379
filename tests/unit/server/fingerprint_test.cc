#include "server/fingerprint.h"

#include "gtest/gtest.h"
#include "incidentd/v1/incidents.pb.h"

namespace incidentd {
namespace {

v1::CreateIncidentRequest Request() {
  v1::CreateIncidentRequest r;
  r.set_parent("pages/acme");
  r.set_incident_id("delta");
  r.mutable_incident()->set_title("Issue with delta processing");
  r.mutable_incident()->add_components("pages/acme/components/api");
  r.mutable_first_update()->set_body("We are investigating.");
  r.set_request_id("req-1");
  return r;
}

TEST(FingerprintTest, IsHexSha256) {
  std::string f = RequestFingerprint(Request());
  EXPECT_EQ(f.size(), 64u);
  EXPECT_EQ(f.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(FingerprintTest, SameRequest_SameFingerprint) {
  EXPECT_EQ(RequestFingerprint(Request()), RequestFingerprint(Request()));
}

TEST(FingerprintTest, IgnoresRequestId) {
  v1::CreateIncidentRequest other = Request();
  other.set_request_id("req-2");
  EXPECT_EQ(RequestFingerprint(Request()), RequestFingerprint(other));
  other.clear_request_id();
  EXPECT_EQ(RequestFingerprint(Request()), RequestFingerprint(other));
}

TEST(FingerprintTest, DiffersWhenAnyOtherFieldDiffers) {
  const std::string base = RequestFingerprint(Request());
  v1::CreateIncidentRequest a = Request();
  a.mutable_incident()->set_title("Another title");
  EXPECT_NE(RequestFingerprint(a), base);
  v1::CreateIncidentRequest b = Request();
  b.mutable_first_update()->set_notify(true);
  EXPECT_NE(RequestFingerprint(b), base);
  v1::CreateIncidentRequest c = Request();
  c.set_incident_id("");
  EXPECT_NE(RequestFingerprint(c), base);
}

}  // namespace
}  // namespace incidentd
