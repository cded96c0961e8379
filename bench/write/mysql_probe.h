// What the write benchmarks ask the MariaDB server itself, on a connection
// of their own: its durability settings, its commit and fsync counters
// (group commit), and its general log, through which a run checks that the
// raw replay issues exactly the statements incidentd issues for a post.
#ifndef INCIDENTD_BENCH_WRITE_MYSQL_PROBE_H_
#define INCIDENTD_BENCH_WRITE_MYSQL_PROBE_H_

#include <cppconn/connection.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/common/bench_common.h"

namespace incidentd::bench::write {

// Server-wide counters from SHOW GLOBAL STATUS.
struct CommitCounters {
  int64_t commits = 0;     // Com_commit: COMMIT statements, any session
  int64_t fsyncs = 0;      // Innodb_data_fsyncs: redo log and data files
  int64_t log_writes = 0;  // Innodb_log_writes: redo log write requests
  int64_t questions = 0;   // Questions: statements clients sent
};
CommitCounters operator-(const CommitCounters& a, const CommitCounters& b);

class MysqlProbe {
 public:
  static absl::StatusOr<std::unique_ptr<MysqlProbe>> Open(const BenchEnv& env);
  ~MysqlProbe();

  absl::StatusOr<CommitCounters> ReadCounters();
  // The settings that decide what a commit costs, as "name=value, ...".
  absl::StatusOr<std::string> DurabilitySettings();

  // Turns the general log on, into the (emptied) mysql.general_log table.
  absl::Status StartStatementLog();
  // Turns it off again (restoring the previous log settings) and returns the
  // transaction in it that inserted into incident_updates and mentions
  // `marker` (a request id: other clients of the server may post too), from
  // START TRANSACTION to COMMIT, each statement with its values replaced by
  // '?'. NOT_FOUND if there is none, FAILED_PRECONDITION if several.
  absl::StatusOr<std::vector<std::string>> StopStatementLogAndFindPost(
      const std::string& marker);

  // The payload size of the newest event of `page_id` in `database`.
  absl::StatusOr<int64_t> NewestEventPayloadBytes(const std::string& database,
                                                  const std::string& page_id);

  absl::Status DropDatabase(const std::string& database);

  // The server's process id, from its pid file (@@pid_file), when it runs
  // on this machine and the file is readable; 0 otherwise.
  int ServerPid();

 private:
  MysqlProbe() = default;
  std::unique_ptr<sql::Connection> connection_;
  std::string saved_log_output_;
};

// `statement` with its literal values (quoted strings, numbers, NULL)
// replaced by '?', so that two executions of one statement compare equal.
std::string MaskLiterals(std::string_view statement);

}  // namespace incidentd::bench::write

#endif  // INCIDENTD_BENCH_WRITE_MYSQL_PROBE_H_
