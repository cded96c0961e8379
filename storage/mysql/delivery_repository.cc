// Deliveries (one notification to one subscriber) and the dispatcher's
// per-page cursors into the event log (see the deliveries and
// notification_cursors tables in storage/migrations/0003_subscriptions.sql).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/mysql/repositories.h"

namespace incidentd::storage::mysql {
namespace {

constexpr char kDeliveryColumns[] =
    "page_id, subscriber_id, event_seq, event_type, incident_id, state, "
    "attempts, last_error, create_time, horizon_start, last_attempt_time, "
    "next_attempt_time, deliver_time";
constexpr int kDeliveryWidth = 13;

Delivery ReadDelivery(const SqlRow& row) {
  Delivery d;
  d.page_id = row.Str(1);
  d.subscriber_id = row.Str(2);
  d.event_seq = row.Int(3);
  d.event_type = row.Enum<EventType>(4);
  d.incident_id = row.Str(5);
  d.state = row.Enum<DeliveryState>(6);
  d.attempts = static_cast<int32_t>(row.Int(7));
  d.last_error = row.Str(8);
  d.create_time = row.Time(9);
  d.horizon_start = row.Time(10);
  d.last_attempt_time = row.OptTime(11);
  d.next_attempt_time = row.OptTime(12);
  d.deliver_time = row.OptTime(13);
  return d;
}

}  // namespace

absl::StatusOr<std::vector<Delivery>> MysqlDeliveryRepository::QueryDeliveries(
    absl::string_view operation, absl::string_view sql_text,
    absl::Span<const SqlValue> params) {
  std::vector<Delivery> deliveries;
  absl::Status status = session_.Query(
      operation, sql_text, params,
      [&](const SqlRow& row) { deliveries.push_back(ReadDelivery(row)); });
  if (!status.ok()) return status;
  return deliveries;
}

absl::StatusOr<int64_t> MysqlDeliveryRepository::InsertNew(
    const std::vector<Delivery>& deliveries) {
  std::vector<SqlValue> values;
  values.reserve(deliveries.size() * kDeliveryWidth);
  for (const Delivery& d : deliveries) {
    values.insert(
        values.end(),
        {d.page_id, d.subscriber_id, d.event_seq, d.event_type, d.incident_id,
         d.state, d.attempts, d.last_error, d.create_time, d.horizon_start,
         d.last_attempt_time, d.next_attempt_time, d.deliver_time});
  }
  // Not INSERT IGNORE, which would also pass over a missing subscriber (a
  // foreign key error). A duplicate "updates" a column to itself, which
  // changes nothing and counts no row, so the count is of the new rows.
  absl::StatusOr<int64_t> inserted = InsertRowsCounted(
      session_, "record deliveries",
      std::string("INSERT INTO deliveries (") + kDeliveryColumns + ") VALUES ",
      " ON DUPLICATE KEY UPDATE event_seq = event_seq", kDeliveryWidth, values);
  if (!inserted.ok() &&
      inserted.status().code() == absl::StatusCode::kNotFound) {
    return NotFound("subscriber");
  }
  return inserted;
}

absl::StatusOr<Delivery> MysqlDeliveryRepository::Get(
    std::string_view page_id, std::string_view subscriber_id, int64_t event_seq,
    Lock lock) {
  if (absl::Status s = session_.CheckLock(lock); !s.ok()) return s;
  absl::StatusOr<std::vector<Delivery>> found = QueryDeliveries(
      "get delivery",
      std::string("SELECT ") + kDeliveryColumns +
          " FROM deliveries WHERE page_id = ? AND subscriber_id = ? AND "
          "event_seq = ?" +
          std::string(Session::LockClause(lock)),
      {page_id, subscriber_id, event_seq});
  if (!found.ok()) return found.status();
  if (found->empty()) return NotFound("delivery");
  return std::move(found->front());
}

absl::StatusOr<std::vector<Delivery>> MysqlDeliveryRepository::List(
    const DeliveryQuery& query) {
  if (query.limit <= 0) return std::vector<Delivery>();
  std::string sql = std::string("SELECT ") + kDeliveryColumns +
                    " FROM deliveries WHERE page_id = ?";
  std::vector<SqlValue> params = {query.page_id};
  if (!query.subscriber_id.empty()) {
    sql += " AND subscriber_id = ?";
    params.push_back(query.subscriber_id);
  }
  if (query.event_seq.has_value()) {
    sql += " AND event_seq = ?";
    params.push_back(*query.event_seq);
  }
  if (query.state != DeliveryState::kUnspecified) {
    sql += " AND state = ?";
    params.push_back(query.state);
  }
  if (query.after.has_value()) {
    sql += " AND (subscriber_id > ? OR (subscriber_id = ? AND event_seq > ?))";
    params.insert(params.end(), {query.after->first, query.after->first,
                                 query.after->second});
  }
  sql += " ORDER BY subscriber_id, event_seq LIMIT ?";
  params.push_back(query.limit);
  return QueryDeliveries("list deliveries", sql, params);
}

absl::StatusOr<std::vector<Delivery>> MysqlDeliveryRepository::ListOpen(
    std::string_view page_id, std::string_view subscriber_id, int limit) {
  if (limit <= 0) return std::vector<Delivery>();
  return QueryDeliveries(
      "list open deliveries",
      std::string("SELECT ") + kDeliveryColumns +
          " FROM deliveries WHERE page_id = ? AND subscriber_id = ? AND "
          "state IN (?, ?) ORDER BY event_seq LIMIT ?",
      {page_id, subscriber_id, DeliveryState::kPending,
       DeliveryState::kRetrying, limit});
}

absl::Status MysqlDeliveryRepository::Update(const Delivery& d) {
  absl::StatusOr<int64_t> rows = session_.Exec(
      "update delivery",
      "UPDATE deliveries SET state = ?, attempts = ?, last_error = ?, "
      "horizon_start = ?, last_attempt_time = ?, next_attempt_time = ?, "
      "deliver_time = ? "
      "WHERE page_id = ? AND subscriber_id = ? AND event_seq = ?",
      {d.state, d.attempts, d.last_error, d.horizon_start, d.last_attempt_time,
       d.next_attempt_time, d.deliver_time, d.page_id, d.subscriber_id,
       d.event_seq});
  if (!rows.ok()) return rows.status();
  if (*rows > 0) return absl::OkStatus();
  // No row changed: none there, or written with what it held already.
  bool exists = false;
  absl::Status status = session_.Query(
      "update delivery",
      "SELECT 1 FROM deliveries WHERE page_id = ? AND subscriber_id = ? AND "
      "event_seq = ?",
      {d.page_id, d.subscriber_id, d.event_seq},
      [&](const SqlRow&) { exists = true; });
  if (!status.ok()) return status;
  return exists ? absl::OkStatus() : NotFound("delivery");
}

absl::StatusOr<int64_t> MysqlDeliveryRepository::RescheduleOpen(
    std::string_view page_id, std::string_view subscriber_id, absl::Time when) {
  return session_.Exec(
      "reschedule open deliveries",
      "UPDATE deliveries SET next_attempt_time = ? "
      "WHERE page_id = ? AND subscriber_id = ? AND state IN (?, ?)",
      {when, page_id, subscriber_id, DeliveryState::kPending,
       DeliveryState::kRetrying});
}

absl::StatusOr<int64_t> MysqlDeliveryRepository::PruneFinished(
    absl::Time before, int limit) {
  if (limit <= 0) return 0;
  return session_.Exec(
      "prune deliveries",
      "DELETE FROM deliveries WHERE state IN (?, ?) AND create_time < ? "
      "LIMIT ?",
      {DeliveryState::kDelivered, DeliveryState::kFailed, before, limit});
}

absl::StatusOr<std::vector<DeliveryRepository::Backlog>>
MysqlDeliveryRepository::ListBacklog(int limit) {
  std::vector<Backlog> backlog;
  if (limit <= 0) return backlog;
  absl::Status status = session_.Query(
      "list notification backlog",
      "SELECT s.page_id, COALESCE(c.last_seq, 0), s.last_seq "
      "FROM event_sequences s "
      "LEFT JOIN notification_cursors c ON c.page_id = s.page_id "
      "WHERE s.last_seq > COALESCE(c.last_seq, 0) "
      "AND EXISTS (SELECT 1 FROM subscribers u WHERE u.page_id = s.page_id "
      "AND u.state IN (?, ?)) "
      "ORDER BY s.page_id LIMIT ?",
      {SubscriberState::kActive, SubscriberState::kQuarantined, limit},
      [&](const SqlRow& row) {
        Backlog b;
        b.page_id = row.Str(1);
        b.cursor = row.Int(2);
        b.last_seq = row.Int(3);
        backlog.push_back(std::move(b));
      });
  if (!status.ok()) return status;
  return backlog;
}

absl::StatusOr<std::optional<int64_t>> MysqlDeliveryRepository::LockCursor(
    std::string_view page_id) {
  if (absl::Status s = session_.CheckLock(Lock::kForUpdate); !s.ok()) return s;
  auto lock = [&]() -> absl::StatusOr<std::optional<int64_t>> {
    std::optional<int64_t> cursor;
    absl::Status status = session_.Query(
        "lock notification cursor",
        "SELECT last_seq FROM notification_cursors WHERE page_id = ? "
        "FOR UPDATE SKIP LOCKED",
        {page_id}, [&](const SqlRow& row) { cursor = row.Int(1); });
    if (!status.ok()) return status;
    return cursor;
  };
  // Locking first: creating the row first (INSERT IGNORE) would wait on the
  // duplicate's lock while another dispatcher holds it, instead of skipping.
  absl::StatusOr<std::optional<int64_t>> cursor = lock();
  if (!cursor.ok() || cursor->has_value()) return cursor;
  // Skipped, or missing. A plain read sees the committed row without
  // waiting for its lock.
  bool exists = false;
  absl::Status status =
      session_.Query("lock notification cursor",
                     "SELECT 1 FROM notification_cursors WHERE page_id = ?",
                     {page_id}, [&](const SqlRow&) { exists = true; });
  if (!status.ok()) return status;
  if (exists) return std::optional<int64_t>();
  // Missing: create it at 0, which takes its lock. The foreign key tells an
  // unknown page. A concurrent creator wins the row; then it is locked or
  // committed, and one more try says which.
  absl::StatusOr<int64_t> created =
      session_.Exec("lock notification cursor",
                    "INSERT INTO notification_cursors (page_id, last_seq) "
                    "VALUES (?, 0)",
                    {page_id});
  if (created.ok()) return std::optional<int64_t>(0);
  switch (created.status().code()) {
    case absl::StatusCode::kNotFound:
      return NotFound("page");
    case absl::StatusCode::kAlreadyExists:
      return lock();
    default:
      return created.status();
  }
}

absl::Status MysqlDeliveryRepository::SetCursor(std::string_view page_id,
                                                int64_t seq) {
  absl::StatusOr<int64_t> rows = session_.Exec(
      "move notification cursor",
      "UPDATE notification_cursors SET last_seq = ? WHERE page_id = ?",
      {seq, page_id});
  if (!rows.ok()) return rows.status();
  if (*rows > 0) return absl::OkStatus();
  // No row changed: none there, or already at `seq`.
  bool exists = false;
  absl::Status status =
      session_.Query("move notification cursor",
                     "SELECT 1 FROM notification_cursors WHERE page_id = ?",
                     {page_id}, [&](const SqlRow&) { exists = true; });
  if (!status.ok()) return status;
  return exists ? absl::OkStatus() : NotFound("notification cursor");
}

}  // namespace incidentd::storage::mysql
