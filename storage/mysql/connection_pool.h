// The connection pool: at most `pool_size` open connections, opened lazily
// on first use, handed out one caller at a time, and closed instead of
// returned when they broke.
#ifndef INCIDENTD_STORAGE_MYSQL_CONNECTION_POOL_H_
#define INCIDENTD_STORAGE_MYSQL_CONNECTION_POOL_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/mysql/connection.h"
#include "storage/mysql/mysql_store.h"

namespace incidentd::storage::mysql {

class ConnectionPool;

// Exclusive use of one connection; gives it back (or closes it, if it
// broke) when destroyed.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  ~Lease();

  Connection& connection() { return *connection_; }
  // Whether the connection sat idle in the pool before this lease: the
  // server may have closed it meanwhile (killed, restarted, wait_timeout),
  // which is why a failed first statement on it is worth one more try.
  bool reused() const { return reused_; }

 private:
  friend class ConnectionPool;
  Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection,
        bool reused);

  ConnectionPool* pool_;
  std::unique_ptr<Connection> connection_;
  bool reused_;
};

class ConnectionPool {
 public:
  explicit ConnectionPool(const MysqlConfig& config);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  // Every Lease must be gone by now.
  ~ConnectionPool();

  // An idle connection, else a new one while fewer than pool_size are open,
  // else waits for one to come back. DEADLINE_EXCEEDED when none is free by
  // `deadline`; UNAVAILABLE when connecting fails.
  absl::StatusOr<Lease> Acquire(absl::Time deadline);

  int size() const { return config_.pool_size; }

 private:
  friend class Lease;
  void Release(std::unique_ptr<Connection> connection);
  bool CanHandOutLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const MysqlConfig config_;
  absl::Mutex mu_;
  // Most recently returned last, and taken from the back: the warmest
  // connection is reused first.
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  // Connections open or being opened, idle or leased.
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace incidentd::storage::mysql

#endif  // INCIDENTD_STORAGE_MYSQL_CONNECTION_POOL_H_
