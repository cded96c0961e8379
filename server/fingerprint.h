// The fingerprint of a request, for idempotent creates: what makes two calls
// with the same request_id "the same request".
#ifndef INCIDENTD_SERVER_FINGERPRINT_H_
#define INCIDENTD_SERVER_FINGERPRINT_H_

#include <string>

#include "google/protobuf/message.h"

namespace incidentd {

// Hex SHA-256 of the request's deterministic serialization with its
// `request_id` field (if any) cleared: stable across calls and processes,
// different when any other field differs.
std::string RequestFingerprint(const google::protobuf::Message& request);

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_FINGERPRINT_H_
