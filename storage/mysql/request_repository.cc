// Remembered client request ids, for idempotent creates.
#include "storage/mysql/repositories.h"

namespace incidentd::storage::mysql {

absl::StatusOr<RequestRecord> MysqlRequestRepository::Find(
    std::string_view scope, std::string_view request_id) {
  std::optional<RequestRecord> record;
  absl::Status status = session_.Query(
      "find request",
      "SELECT scope, request_id, method, fingerprint, resource_name, "
      "create_time FROM request_records WHERE scope = ? AND request_id = ?",
      {scope, request_id}, [&](const SqlRow& row) {
        RequestRecord r;
        r.scope = row.Str(1);
        r.request_id = row.Str(2);
        r.method = row.Str(3);
        r.fingerprint = row.Str(4);
        r.resource_name = row.Str(5);
        r.create_time = row.Time(6);
        record = std::move(r);
      });
  if (!status.ok()) return status;
  if (!record.has_value()) return NotFound("request id");
  return *std::move(record);
}

absl::Status MysqlRequestRepository::Insert(const RequestRecord& r) {
  return Named(session_
                   .Exec("record request",
                         "INSERT INTO request_records (scope, request_id, "
                         "method, fingerprint, resource_name, create_time) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         {r.scope, r.request_id, r.method, r.fingerprint,
                          r.resource_name, r.create_time})
                   .status(),
               "request id");
}

}  // namespace incidentd::storage::mysql
