#include "server/notify/signing.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "server/strings.h"

namespace incidentd::notify {
namespace {

constexpr size_t kMacBytes = 32;  // SHA-256
using Mac = std::array<uint8_t, kMacBytes>;

// HMAC-SHA256(secret, "<unix_seconds>.<body>").
Mac ComputeMac(std::string_view secret, int64_t unix_seconds,
               std::string_view body) {
  const std::string message = StrCat(unix_seconds, ".", body);
  Mac mac{};
  unsigned int length = 0;
  // HMAC() only fails on an allocation failure or a broken OpenSSL; a
  // signature that silently came out wrong would make every receiver
  // reject us, so that is treated as fatal like an out-of-memory.
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()),
           message.size(), mac.data(), &length) == nullptr ||
      length != kMacBytes) {
    std::fprintf(stderr, "incidentd: HMAC-SHA256 failed\n");
    std::abort();
  }
  return mac;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 64 hex digits (either case) to 32 bytes; false for anything else.
bool DecodeHexMac(absl::string_view hex, Mac* out) {
  if (hex.size() != 2 * kMacBytes) return false;
  for (size_t i = 0; i < kMacBytes; ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace

std::string SignWebhook(std::string_view secret, int64_t unix_seconds,
                        std::string_view body) {
  const Mac mac = ComputeMac(secret, unix_seconds, body);
  return absl::StrCat(
      "v1=", absl::BytesToHexString(absl::string_view(
                 reinterpret_cast<const char*>(mac.data()), mac.size())));
}

bool VerifyWebhookSignature(std::string_view secret, int64_t unix_seconds,
                            std::string_view body,
                            std::string_view signature_header) {
  const Mac expected = ComputeMac(secret, unix_seconds, body);
  bool match = false;
  // Every candidate is compared, match or not, so that the time taken says
  // nothing about which one (if any) was right.
  for (absl::string_view part : absl::StrSplit(ToAbsl(signature_header), ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!absl::ConsumePrefix(&part, "v1=")) continue;
    Mac candidate;
    if (!DecodeHexMac(part, &candidate)) continue;
    if (CRYPTO_memcmp(candidate.data(), expected.data(), kMacBytes) == 0) {
      match = true;
    }
  }
  return match;
}

std::string NewSecret() {
  std::array<uint8_t, 32> bytes;
  // Without the CSPRNG there is no safe secret to hand out; a guessable
  // token would let anyone unsubscribe or forge webhooks, so stop instead.
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    std::fprintf(stderr, "incidentd: RAND_bytes failed\n");
    std::abort();
  }
  std::string secret;
  absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()),
                        bytes.size()),
      &secret);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return secret;
}

}  // namespace incidentd::notify
