// The Store over MySQL: transactions on pooled connections, with deadlock
// retries, deadline checks and stale-connection replacement.
#include "storage/mysql/mysql_store.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/mysql/connection_pool.h"
#include "storage/mysql/repositories.h"
#include "storage/mysql/session.h"

namespace incidentd::storage {
namespace mysql {
namespace {

class MysqlTransaction final : public Transaction {
 public:
  explicit MysqlTransaction(Session& session)
      : pages_(session),
        components_(session),
        incidents_(session),
        postmortems_(session),
        requests_(session),
        events_(session),
        subscribers_(session),
        deliveries_(session) {}

  PageRepository& pages() override { return pages_; }
  ComponentRepository& components() override { return components_; }
  IncidentRepository& incidents() override { return incidents_; }
  PostmortemRepository& postmortems() override { return postmortems_; }
  RequestRepository& requests() override { return requests_; }
  EventRepository& events() override { return events_; }
  SubscriberRepository& subscribers() override { return subscribers_; }
  DeliveryRepository& deliveries() override { return deliveries_; }

 private:
  MysqlPageRepository pages_;
  MysqlComponentRepository components_;
  MysqlIncidentRepository incidents_;
  MysqlPostmortemRepository postmortems_;
  MysqlRequestRepository requests_;
  MysqlEventRepository events_;
  MysqlSubscriberRepository subscribers_;
  MysqlDeliveryRepository deliveries_;
};

absl::Status StartTransaction(Session& session, bool read_only) {
  if (!read_only) {
    return session.ExecDirect("start transaction", "START TRANSACTION");
  }
  // Sessions run READ COMMITTED, where every statement sees a new snapshot;
  // a read-only transaction promises one snapshot for all its reads, which
  // takes REPEATABLE READ (for this transaction only).
  absl::Status status = session.ExecDirect(
      "start transaction", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
  if (!status.ok()) return status;
  status = session.ExecDirect(
      "start transaction",
      "START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT");
  // The isolation level above waits for the next transaction; if this one
  // did not start, it would apply to the next user of the connection.
  if (!status.ok()) session.DiscardConnection();
  return status;
}

class MysqlStore final : public Store {
 public:
  explicit MysqlStore(const MysqlConfig& config)
      : config_(config), pool_(config) {}

  absl::Status ReadWrite(
      absl::Time deadline,
      absl::FunctionRef<absl::Status(Transaction&)> fn) override {
    return Run(deadline, /*read_only=*/false, fn);
  }

  absl::Status ReadOnly(
      absl::Time deadline,
      absl::FunctionRef<absl::Status(Transaction&)> fn) override {
    return Run(deadline, /*read_only=*/true, fn);
  }

  absl::Status Ping(absl::Time deadline) override {
    return AcquireLive(deadline,
                       [](Session& session) {
                         return session.Query("ping", "SELECT 1", {},
                                              [](const SqlRow&) {});
                       })
        .status();
  }

 private:
  // Takes a connection and runs `first` on it. A connection that sat idle
  // may have been closed by the server meanwhile (killed, restarted,
  // wait_timeout); `first` is the first thing to find out, and nothing has
  // happened yet, so such a connection is dropped and the next one tried —
  // up to pool_size + 1 times, since every idle connection may be dead.
  absl::StatusOr<Lease> AcquireLive(
      absl::Time deadline, absl::FunctionRef<absl::Status(Session&)> first) {
    for (int attempt = 0;; ++attempt) {
      if (absl::Now() >= deadline) {
        return absl::DeadlineExceededError(
            "deadline passed before the database was reached");
      }
      absl::StatusOr<Lease> lease = pool_.Acquire(deadline);
      if (!lease.ok()) return lease.status();
      Session session(lease->connection(), deadline, /*read_only=*/false);
      absl::Status status = first(session);
      if (status.ok()) return lease;
      const bool stale =
          lease->reused() && status.code() == absl::StatusCode::kUnavailable;
      if (!stale || attempt >= pool_.size()) return status;
    }
  }

  absl::Status Run(absl::Time deadline, bool read_only,
                   absl::FunctionRef<absl::Status(Transaction&)> fn) {
    for (int attempt = 0;; ++attempt) {
      bool retryable = false;
      absl::Status status = RunOnce(deadline, read_only, fn, &retryable);
      if (status.ok() || !retryable ||
          attempt >= config_.max_transaction_retries) {
        return status;
      }
      const absl::Duration pause = Backoff(attempt);
      if (absl::Now() + pause >= deadline) return status;
      absl::SleepFor(pause);
    }
  }

  // One attempt. `retryable` is set when the database aborted the
  // transaction (deadlock, lock wait timeout), whatever `fn` made of that.
  absl::Status RunOnce(absl::Time deadline, bool read_only,
                       absl::FunctionRef<absl::Status(Transaction&)> fn,
                       bool* retryable) {
    absl::StatusOr<Lease> lease = AcquireLive(deadline, [&](Session& session) {
      return StartTransaction(session, read_only);
    });
    if (!lease.ok()) return lease.status();
    Session session(lease->connection(), deadline, read_only);
    MysqlTransaction transaction(session);
    absl::Status status = fn(transaction);
    // COMMIT refuses to run after the deadline or after the server aborted
    // the transaction (even if `fn` ignored that). If the connection drops
    // during COMMIT the outcome is unknown; the caller sees UNAVAILABLE,
    // and request ids make its retry safe.
    if (status.ok()) status = session.ExecDirect("commit", "COMMIT");
    if (!status.ok()) {
      session.Rollback().IgnoreError();  // a failed rollback marks it broken
      *retryable = session.failure().code() == absl::StatusCode::kAborted;
    }
    return status;
  }

  // 10 ms, 20 ms, 40 ms... times a random factor in [0.5, 1.5), so that
  // the transactions that deadlocked do not collide again in lock step.
  static absl::Duration Backoff(int attempt) {
    thread_local absl::BitGen bitgen;
    const double factor = absl::Uniform(bitgen, 0.5, 1.5);
    return absl::Milliseconds(10) * (1 << std::min(attempt, 6)) * factor;
  }

  const MysqlConfig config_;
  ConnectionPool pool_;
};

absl::Status ValidateConfig(const MysqlConfig& c) {
  auto invalid = [](const char* what) {
    return absl::InvalidArgumentError(absl::StrCat("mysql config: ", what));
  };
  if (c.host.empty()) return invalid("host is empty");
  if (c.port < 1 || c.port > 65535) return invalid("port must be 1 to 65535");
  if (c.user.empty()) return invalid("user is empty");
  if (c.database.empty()) return invalid("database is empty");
  if (c.pool_size < 1) return invalid("pool_size must be at least 1");
  if (c.connect_timeout <= absl::ZeroDuration() ||
      c.read_timeout <= absl::ZeroDuration() ||
      c.write_timeout <= absl::ZeroDuration()) {
    return invalid("timeouts must be positive");
  }
  if (c.lock_wait_timeout < absl::Seconds(1)) {
    return invalid("lock_wait_timeout must be at least 1 s");
  }
  if (c.max_transaction_retries < 0) {
    return invalid("max_transaction_retries must not be negative");
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace mysql

absl::StatusOr<std::unique_ptr<Store>> OpenMysqlStore(
    const MysqlConfig& config) {
  if (absl::Status s = mysql::ValidateConfig(config); !s.ok()) return s;
  return std::unique_ptr<Store>(new mysql::MysqlStore(config));
}

}  // namespace incidentd::storage
