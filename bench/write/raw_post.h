// The write path's baseline: the SQL transaction of one PostIncidentUpdate,
// statement for statement as incidentd issues it (checked against the
// server's general log in every run), replayed through Connector/C++ with
// prepared statements on a connection set up exactly as storage/mysql sets
// up its own (same isolation level, autocommit, sql_mode, time zone,
// charset). No gRPC, no server, no domain logic: what is left is the
// database's own cost of the post.
#ifndef INCIDENTD_BENCH_WRITE_RAW_POST_H_
#define INCIDENTD_BENCH_WRITE_RAW_POST_H_

#include <cppconn/prepared_statement.h>
#include <cppconn/statement.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/write/load_result.h"
#include "storage/mysql/connection.h"
#include "storage/mysql/mysql_store.h"

namespace incidentd::bench::write {

struct RawTarget {
  std::string page_id;
  std::string incident_id;
};

// One connection replaying posts. Use it on one thread at a time.
class RawPoster {
 public:
  // `payload_bytes`: the size of the event payload incidentd stored for the
  // same post, so that both sides write rows of the same size.
  static absl::StatusOr<std::unique_ptr<RawPoster>> Open(
      const storage::MysqlConfig& config, size_t payload_bytes);
  ~RawPoster();

  // One post, one transaction: OK once committed; otherwise rolled back,
  // with the MySQL error.
  absl::Status Post(const RawTarget& target, const std::string& request_id);

 private:
  RawPoster() = default;
  void PostOrThrow(const RawTarget& target, const std::string& request_id);

  std::unique_ptr<storage::mysql::Connection> connection_;
  std::unique_ptr<sql::Statement> direct_;
  // One per statement of the post, prepared once (as incidentd's
  // per-connection statement cache does).
  std::unique_ptr<sql::PreparedStatement> find_request_, lock_incident_,
      incident_components_, page_, update_incident_, delete_components_,
      insert_component_, insert_update_, last_insert_id_, insert_request_,
      lock_sequence_, insert_event_, update_sequence_;
  std::string payload_;
  absl::BitGen bitgen_;
};

// `targets.size()` threads, thread k replaying posts to targets[k] on its
// own connection, each pinned to `cpus` (empty: not pinned), in a loop for
// the warm-up and the measured window. Latency: one transaction.
absl::StatusOr<LoadResult> RunRawClosedLoop(
    const storage::MysqlConfig& config, const std::vector<RawTarget>& targets,
    size_t payload_bytes, const std::vector<int>& cpus,
    const std::string& request_prefix, const RunTiming& timing,
    const WindowHooks& hooks);

}  // namespace incidentd::bench::write

#endif  // INCIDENTD_BENCH_WRITE_RAW_POST_H_
