// Webhook signatures (HMAC-SHA256 over "<timestamp>.<body>"), their
// verification, and the random secrets.
#include "server/notify/signing.h"

#include <openssl/sha.h>

#include <cstdint>
#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace incidentd::notify {
namespace {

using ::testing::MatchesRegex;

// HMAC-SHA256 written out from RFC 2104 over plain SHA-256, so that the
// signature is checked against something other than the HMAC() call the
// code under test makes.
std::string TextbookHmacSha256Hex(const std::string& key,
                                  const std::string& message) {
  constexpr size_t kBlock = 64;
  std::string k = key;
  if (k.size() > kBlock) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(k.data()), k.size(), digest);
    k.assign(reinterpret_cast<const char*>(digest), sizeof digest);
  }
  k.resize(kBlock, '\0');
  std::string inner(kBlock, '\0');
  std::string outer(kBlock, '\0');
  for (size_t i = 0; i < kBlock; ++i) {
    inner[i] = static_cast<char>(k[i] ^ 0x36);
    outer[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  inner += message;
  SHA256(reinterpret_cast<const unsigned char*>(inner.data()), inner.size(),
         digest);
  outer.append(reinterpret_cast<const char*>(digest), sizeof digest);
  SHA256(reinterpret_cast<const unsigned char*>(outer.data()), outer.size(),
         digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

TEST(SigningTest, TheReferenceHmacMatchesRfc4231TestCase2) {
  EXPECT_EQ(TextbookHmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SigningTest, SignWebhook_IsV1HexHmacOfTimestampDotBody) {
  const std::string body = R"({"id":"pages/productsup/events/42"})";
  const std::string signature =
      SignWebhook("s3cr3t-signing-key", 1714658580, body);
  // Computed with Python's hmac module.
  EXPECT_EQ(
      signature,
      "v1=4dbbf5ab586f26cc0fd0cd68dd374f2306dc2d5ddc57d990f8afe513c303e659");
  EXPECT_EQ(signature, "v1=" + TextbookHmacSha256Hex("s3cr3t-signing-key",
                                                     "1714658580." + body));
}

TEST(SigningTest, SignWebhook_LongKeysAndEmptyBodies) {
  const std::string long_key(200, 'k');  // longer than a SHA-256 block
  EXPECT_EQ(SignWebhook(long_key, 0, ""),
            "v1=" + TextbookHmacSha256Hex(long_key, "0."));
  EXPECT_EQ(SignWebhook("k", -5, "x"),
            "v1=" + TextbookHmacSha256Hex("k", "-5.x"));
  EXPECT_THAT(SignWebhook("", 1, "body"), MatchesRegex("v1=[0-9a-f]{64}"));
}

TEST(SigningTest, SignWebhook_ChangesWithSecretTimestampOrBody) {
  const std::string base = SignWebhook("secret", 1714658580, "{\"a\":1}");
  EXPECT_NE(base, SignWebhook("secreT", 1714658580, "{\"a\":1}"));
  EXPECT_NE(base, SignWebhook("secret", 1714658581, "{\"a\":1}"));
  EXPECT_NE(base, SignWebhook("secret", 1714658580, "{\"a\":2}"));
  EXPECT_NE(base, SignWebhook("secret", 1714658580, "{\"a\":1} "));
  // The '.' separates: moving digits between timestamp and body changes it.
  EXPECT_NE(SignWebhook("s", 12, "3.x"), SignWebhook("s", 123, "x"));
  EXPECT_EQ(base, SignWebhook("secret", 1714658580, "{\"a\":1}"));
}

TEST(SigningTest, Verify_AcceptsItsOwnSignatureAndAListContainingIt) {
  const std::string body = "{\"id\":\"x\"}";
  const std::string good = SignWebhook("secret", 100, body);
  EXPECT_TRUE(VerifyWebhookSignature("secret", 100, body, good));
  const std::string other = SignWebhook("old-secret", 100, body);
  EXPECT_TRUE(VerifyWebhookSignature("secret", 100, body, other + "," + good));
  EXPECT_TRUE(VerifyWebhookSignature("secret", 100, body, good + ", " + other));
  EXPECT_TRUE(VerifyWebhookSignature("secret", 100, body,
                                     "v0=abc, " + good + " ,v2=zz"));
  // Hex case does not matter.
  std::string upper = good;
  for (size_t i = 3; i < upper.size(); ++i) {
    if (upper[i] >= 'a' && upper[i] <= 'f') upper[i] -= 'a' - 'A';
  }
  EXPECT_TRUE(VerifyWebhookSignature("secret", 100, body, upper));
}

TEST(SigningTest, Verify_RejectsWrongAndGarbledSignatures) {
  const std::string body = "{\"id\":\"x\"}";
  const std::string good = SignWebhook("secret", 100, body);
  EXPECT_FALSE(VerifyWebhookSignature("other", 100, body, good));
  EXPECT_FALSE(VerifyWebhookSignature("secret", 101, body, good));
  EXPECT_FALSE(VerifyWebhookSignature("secret", 100, body + " ", good));
  EXPECT_FALSE(VerifyWebhookSignature("secret", 100, body, ""));
  EXPECT_FALSE(VerifyWebhookSignature("secret", 100, body, "v1="));
  EXPECT_FALSE(VerifyWebhookSignature("secret", 100, body, good.substr(3)));
  EXPECT_FALSE(
      VerifyWebhookSignature("secret", 100, body, "v2" + good.substr(2)));
  EXPECT_FALSE(VerifyWebhookSignature("secret", 100, body,
                                      good.substr(0, good.size() - 1)));
  EXPECT_FALSE(VerifyWebhookSignature("secret", 100, body, good + "0"));
  std::string flipped = good;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_FALSE(VerifyWebhookSignature("secret", 100, body, flipped));
  std::string not_hex = good;
  not_hex[10] = 'g';
  EXPECT_FALSE(VerifyWebhookSignature("secret", 100, body, not_hex));
  EXPECT_FALSE(VerifyWebhookSignature("secret", 100, body, ",,,"));
}

TEST(SigningTest, NewSecret_Is43Base64UrlCharactersAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string secret = NewSecret();
    ASSERT_THAT(secret, MatchesRegex("[A-Za-z0-9_-]{43}")) << secret;
    std::string raw;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(secret, &raw));
    EXPECT_EQ(raw.size(), 32u);
    seen.insert(secret);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace incidentd::notify
