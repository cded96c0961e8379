#include "server/domain/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"

namespace incidentd::domain {
namespace {

// Token layout, before web-safe base64:
//   version (1 byte) | query fingerprint (8) | field count (varint) |
//   per field: length (varint), bytes | MAC (16)
// The MAC is a truncated HMAC-SHA256 over the query and everything before
// it. The key is a constant so that a token survives restarts and works on
// every replica; it guards against altered and misapplied tokens, not
// against a forger who reads this file, so the cursor it carries is still
// treated as untrusted input by the queries that use it.
constexpr uint8_t kVersion = 1;
constexpr size_t kFingerprintSize = 8;
constexpr size_t kMacSize = 16;
constexpr std::string_view kKey = "incidentd page token v1";
// Far above any real cursor; bounds the work spent on garbage.
constexpr size_t kMaxTokenSize = 4096;
constexpr size_t kMaxFields = 64;

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view& in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (in.empty()) return false;
    const uint8_t b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    *v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

std::string Fingerprint(std::string_view query) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(query.data()), query.size(),
         digest);
  return std::string(reinterpret_cast<const char*>(digest), kFingerprintSize);
}

std::string Mac(std::string_view query, std::string_view payload) {
  std::string input;
  PutVarint(input, query.size());
  input.append(query);
  input.append(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), kKey.data(), static_cast<int>(kKey.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), kMacSize);
}

absl::Status Invalid(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrFormat("page_token: %s", why));
}

}  // namespace

std::string EncodePageToken(std::string_view query,
                            const std::vector<std::string>& cursor) {
  std::string payload;
  payload.push_back(static_cast<char>(kVersion));
  payload.append(Fingerprint(query));
  PutVarint(payload, cursor.size());
  for (const std::string& field : cursor) {
    PutVarint(payload, field.size());
    payload.append(field);
  }
  payload.append(Mac(query, payload));
  return absl::WebSafeBase64Escape(payload);
}

absl::StatusOr<std::vector<std::string>> DecodePageToken(
    std::string_view token, std::string_view query) {
  if (token.empty()) return std::vector<std::string>();
  const absl::Status malformed = Invalid("is malformed; send it as received");
  std::string raw;
  if (token.size() > kMaxTokenSize ||
      !absl::WebSafeBase64Unescape(
          absl::string_view(token.data(), token.size()), &raw) ||
      raw.size() < 1 + kFingerprintSize + 1 + kMacSize ||
      static_cast<uint8_t>(raw[0]) != kVersion) {
    return malformed;
  }
  std::string_view payload(raw.data(), raw.size() - kMacSize);
  std::string_view mac(raw.data() + payload.size(), kMacSize);
  const std::string expected = Mac(query, payload);
  if (CRYPTO_memcmp(expected.data(), mac.data(), kMacSize) != 0) {
    // Tell the two likely mistakes apart, for whoever reads the error.
    if (payload.substr(1, kFingerprintSize) != Fingerprint(query)) {
      return Invalid(
          "was issued for a different query; repeat the request's other "
          "fields unchanged, or start again without a token");
    }
    return malformed;
  }
  std::string_view in = payload.substr(1 + kFingerprintSize);
  uint64_t count;
  if (!GetVarint(in, &count) || count > kMaxFields) return malformed;
  std::vector<std::string> cursor;
  cursor.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t len;
    if (!GetVarint(in, &len) || len > in.size()) return malformed;
    cursor.emplace_back(in.substr(0, len));
    in.remove_prefix(len);
  }
  if (!in.empty()) return malformed;
  return cursor;
}

absl::StatusOr<int> ResolvePageSize(int requested, int default_size, int max) {
  if (requested < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("page_size: must not be negative (got %d)", requested));
  }
  if (requested == 0) return default_size < max ? default_size : max;
  return requested < max ? requested : max;
}

}  // namespace incidentd::domain
