#include "server/idempotency.h"

#include "server/fingerprint.h"
#include "server/strings.h"

namespace incidentd {

RequestKey MakeRequestKey(std::string_view scope, std::string_view method,
                          std::string_view request_id,
                          const google::protobuf::Message& request) {
  RequestKey key;
  key.scope = std::string(scope);
  key.request_id = std::string(request_id);
  key.method = std::string(method);
  if (!request_id.empty()) key.fingerprint = RequestFingerprint(request);
  return key;
}

absl::StatusOr<std::optional<std::string>> FindPreviousRequest(
    storage::Transaction& tx, const RequestKey& key) {
  if (key.request_id.empty()) return std::optional<std::string>();
  absl::StatusOr<RequestRecord> record =
      tx.requests().Find(key.scope, key.request_id);
  if (absl::IsNotFound(record.status())) return std::optional<std::string>();
  if (!record.ok()) return record.status();
  if (record->method != key.method || record->fingerprint != key.fingerprint) {
    return absl::AlreadyExistsError(
        StrCat("request_id \"", key.request_id,
               "\" was used with a different request"));
  }
  return std::optional<std::string>(record->resource_name);
}

absl::Status RememberRequest(storage::Transaction& tx, const RequestKey& key,
                             std::string_view resource_name, absl::Time now) {
  if (key.request_id.empty()) return absl::OkStatus();
  RequestRecord record;
  record.scope = key.scope;
  record.request_id = key.request_id;
  record.method = key.method;
  record.fingerprint = key.fingerprint;
  record.resource_name = std::string(resource_name);
  record.create_time = now;
  return tx.requests().Insert(record);
}

absl::Status ReadWriteIdempotent(
    storage::Store& store, absl::Time deadline, const RequestKey& key,
    absl::FunctionRef<absl::Status(storage::Transaction&)> fn) {
  absl::Status status = store.ReadWrite(deadline, fn);
  if (absl::IsAlreadyExists(status) && !key.request_id.empty()) {
    status = store.ReadWrite(deadline, fn);
  }
  return status;
}

}  // namespace incidentd
