// Idempotent creates (AIP-155): a request_id is remembered, in the same
// transaction as the resource it produced, with the method and the request's
// fingerprint. The same request again returns that resource as it is now;
// the same id with a different request is ALREADY_EXISTS.
#ifndef INCIDENTD_SERVER_IDEMPOTENCY_H_
#define INCIDENTD_SERVER_IDEMPOTENCY_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "storage/store.h"

namespace incidentd {

struct RequestKey {
  std::string scope;       // page id; "" for page creation
  std::string request_id;  // empty: not idempotent
  std::string method;      // e.g. "CreateIncident"
  std::string fingerprint;
};

RequestKey MakeRequestKey(std::string_view scope, std::string_view method,
                          std::string_view request_id,
                          const google::protobuf::Message& request);

// Inside the transaction: the resource name the same request produced
// before; nullopt when the request id is empty or new; ALREADY_EXISTS when
// it was used with a different request (or method).
absl::StatusOr<std::optional<std::string>> FindPreviousRequest(
    storage::Transaction& tx, const RequestKey& key);

// Records the request (no-op without a request id).
absl::Status RememberRequest(storage::Transaction& tx, const RequestKey& key,
                             std::string_view resource_name, absl::Time now);

// Store::ReadWrite, retried once when the key has a request id and the
// transaction fails with ALREADY_EXISTS: a concurrent twin committed first,
// and on the second run FindPreviousRequest answers with its result. `fn`
// must set its outputs afresh on every run.
absl::Status ReadWriteIdempotent(
    storage::Store& store, absl::Time deadline, const RequestKey& key,
    absl::FunctionRef<absl::Status(storage::Transaction&)> fn);

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_IDEMPOTENCY_H_
