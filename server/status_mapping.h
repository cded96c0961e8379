// The one mapping from absl::Status to grpc::Status: the same canonical code
// and the message unchanged (storage messages carry no SQL already).
#ifndef INCIDENTD_SERVER_STATUS_MAPPING_H_
#define INCIDENTD_SERVER_STATUS_MAPPING_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace incidentd {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_STATUS_MAPPING_H_
