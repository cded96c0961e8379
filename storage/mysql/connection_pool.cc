#include "storage/mysql/connection_pool.h"

#include <utility>

#include "absl/status/status.h"

namespace incidentd::storage::mysql {

Lease::Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection,
             bool reused)
    : pool_(pool), connection_(std::move(connection)), reused_(reused) {}

Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_),
      connection_(std::move(other.connection_)),
      reused_(other.reused_) {}

Lease::~Lease() {
  if (connection_ != nullptr) pool_->Release(std::move(connection_));
}

ConnectionPool::ConnectionPool(const MysqlConfig& config) : config_(config) {}

ConnectionPool::~ConnectionPool() {
  std::vector<std::unique_ptr<Connection>> idle;
  {
    absl::MutexLock lock(&mu_);
    idle.swap(idle_);
  }
  // Closed outside the lock: closing talks to the server.
}

bool ConnectionPool::CanHandOutLocked() const {
  return !idle_.empty() || open_ < config_.pool_size;
}

absl::StatusOr<Lease> ConnectionPool::Acquire(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithDeadline(
            absl::Condition(this, &ConnectionPool::CanHandOutLocked),
            deadline)) {
      return absl::DeadlineExceededError(
          "no database connection became free before the deadline");
    }
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection), /*reused=*/true);
    }
    ++open_;  // reserve the slot while connecting without the lock
  }
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      Connection::Open(config_, deadline);
  if (!connection.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return connection.status();
  }
  return Lease(this, *std::move(connection), /*reused=*/false);
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection) {
  if (connection->broken()) {
    connection.reset();  // close before taking the lock
    absl::MutexLock lock(&mu_);
    --open_;
    return;
  }
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(connection));
}

}  // namespace incidentd::storage::mysql
