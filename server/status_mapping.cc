#include "server/status_mapping.h"

#include <string>

namespace incidentd {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  int code = static_cast<int>(status.code());
  // Both enums are the canonical codes 0..16; anything else is a bug that
  // should not leak as an out-of-range wire value.
  if (code < 1 || code > 16) {
    return grpc::Status(grpc::StatusCode::UNKNOWN,
                        std::string(status.message()));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(code),
                      std::string(status.message()));
}

}  // namespace incidentd
