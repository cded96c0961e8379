// Subscribers of a page, and the leases by which delivery workers on every
// replica share them (see the subscribers table in
// storage/migrations/0003_subscriptions.sql).
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/mysql/repositories.h"

namespace incidentd::storage::mysql {
namespace {

// Ids per MarkDue statement: AppendInList pads to a power of two, so this
// bounds both the statement size and the number of distinct texts.
constexpr size_t kIdsPerStatement = 256;

constexpr char kSubscriberColumns[] =
    "page_id, id, kind, address, component_ids, incident_id, state, "
    "state_reason, confirmation_token, unsubscribe_token, signing_secret, "
    "after_seq, consecutive_failures, failing_since, activate_time, "
    "create_time, update_time, version";

Subscriber ReadSubscriber(const SqlRow& row) {
  Subscriber s;
  s.page_id = row.Str(1);
  s.id = row.Str(2);
  s.kind = row.Enum<SubscriberKind>(3);
  s.address = row.Str(4);
  s.component_ids = DecodeIdList(row.Str(5));
  s.incident_id = row.Str(6);
  s.state = row.Enum<SubscriberState>(7);
  s.state_reason = row.Str(8);
  s.confirmation_token = row.Str(9);  // NULL reads as ""
  s.unsubscribe_token = row.Str(10);
  s.signing_secret = row.Str(11);
  s.after_seq = row.Int(12);
  s.consecutive_failures = static_cast<int32_t>(row.Int(13));
  s.failing_since = row.OptTime(14);
  s.activate_time = row.OptTime(15);
  s.create_time = row.Time(16);
  s.update_time = row.Time(17);
  s.version = row.Int(18);
  return s;
}

// A token as stored: NULL for none, so that the unique keys on the token
// columns never see two empty tokens collide.
SqlValue TokenValue(const std::string& token) {
  if (token.empty()) return nullptr;
  return token;
}

// The states ClaimDue takes, each scanned as one range of subscribers_due.
// Every state but QUARANTINED: pending subscribers have their confirmation
// mail to get.
constexpr SubscriberState kClaimable[] = {SubscriberState::kPendingConfirmation,
                                          SubscriberState::kActive};

}  // namespace

absl::StatusOr<std::vector<Subscriber>>
MysqlSubscriberRepository::QuerySubscribers(absl::string_view operation,
                                            absl::string_view sql_text,
                                            absl::Span<const SqlValue> params) {
  std::vector<Subscriber> subscribers;
  absl::Status status = session_.Query(
      operation, sql_text, params,
      [&](const SqlRow& row) { subscribers.push_back(ReadSubscriber(row)); });
  if (!status.ok()) return status;
  return subscribers;
}

absl::StatusOr<Subscriber> MysqlSubscriberRepository::Get(
    std::string_view page_id, std::string_view id, Lock lock) {
  if (absl::Status s = session_.CheckLock(lock); !s.ok()) return s;
  absl::StatusOr<std::vector<Subscriber>> found =
      QuerySubscribers("get subscriber",
                       std::string("SELECT ") + kSubscriberColumns +
                           " FROM subscribers WHERE page_id = ? AND id = ?" +
                           std::string(Session::LockClause(lock)),
                       {page_id, id});
  if (!found.ok()) return found.status();
  if (found->empty()) return NotFound("subscriber");
  return std::move(found->front());
}

absl::StatusOr<Subscriber> MysqlSubscriberRepository::FindByToken(
    Token kind, std::string_view token, Lock lock) {
  if (absl::Status s = session_.CheckLock(lock); !s.ok()) return s;
  // "" is how the model says "no token": it never names a subscriber.
  if (token.empty()) return NotFound("subscriber");
  const char* column =
      kind == Token::kConfirmation ? "confirmation_token" : "unsubscribe_token";
  absl::StatusOr<std::vector<Subscriber>> found = QuerySubscribers(
      "find subscriber by token",
      std::string("SELECT ") + kSubscriberColumns + " FROM subscribers WHERE " +
          column + " = ?" + std::string(Session::LockClause(lock)),
      {token});
  if (!found.ok()) return found.status();
  // utf8mb4_bin pads: 'abc ' = 'abc'. A token must match byte for byte.
  const Subscriber* match = nullptr;
  for (const Subscriber& s : *found) {
    const std::string& stored = kind == Token::kConfirmation
                                    ? s.confirmation_token
                                    : s.unsubscribe_token;
    if (stored == token) match = &s;
  }
  if (match == nullptr) return NotFound("subscriber");
  return *match;
}

absl::StatusOr<std::vector<Subscriber>> MysqlSubscriberRepository::List(
    const SubscriberQuery& query) {
  if (query.limit <= 0) return std::vector<Subscriber>();
  std::string sql = std::string("SELECT ") + kSubscriberColumns +
                    " FROM subscribers WHERE page_id = ? AND id > ?";
  std::vector<SqlValue> params = {query.page_id, query.after_id};
  if (query.state != SubscriberState::kUnspecified) {
    sql += " AND state = ?";
    params.push_back(query.state);
  }
  sql += " ORDER BY id LIMIT ?";
  params.push_back(query.limit);
  return QuerySubscribers("list subscribers", sql, params);
}

absl::StatusOr<std::vector<Subscriber>> MysqlSubscriberRepository::ListNotified(
    std::string_view page_id) {
  return QuerySubscribers(
      "list notified subscribers",
      std::string("SELECT ") + kSubscriberColumns +
          " FROM subscribers WHERE page_id = ? AND state IN (?, ?) "
          "ORDER BY id",
      {page_id, SubscriberState::kActive, SubscriberState::kQuarantined});
}

absl::StatusOr<SubscriberRepository::Counts>
MysqlSubscriberRepository::CountByState(std::string_view page_id) {
  // The page row joined in, so that an unknown page is told from one
  // without subscribers in the same statement.
  bool page_exists = false;
  Counts counts;
  absl::Status status =
      session_.Query("count subscribers",
                     "SELECT s.state, COUNT(s.id) FROM pages p "
                     "LEFT JOIN subscribers s ON s.page_id = p.id "
                     "WHERE p.id = ? GROUP BY s.state",
                     {page_id}, [&](const SqlRow& row) {
                       page_exists = true;
                       if (row.IsNull(1)) return;
                       switch (row.Enum<SubscriberState>(1)) {
                         case SubscriberState::kPendingConfirmation:
                           counts.pending_confirmation = row.Int(2);
                           break;
                         case SubscriberState::kActive:
                           counts.active = row.Int(2);
                           break;
                         case SubscriberState::kQuarantined:
                           counts.quarantined = row.Int(2);
                           break;
                         default:
                           break;
                       }
                     });
  if (!status.ok()) return status;
  if (!page_exists) return NotFound("page");
  return counts;
}

absl::Status MysqlSubscriberRepository::WhichDuplicate(
    const Subscriber& subscriber) {
  bool id_taken = false;
  absl::Status status =
      session_.Query("insert subscriber",
                     "SELECT 1 FROM subscribers WHERE page_id = ? AND id = ?",
                     {subscriber.page_id, subscriber.id},
                     [&](const SqlRow&) { id_taken = true; });
  if (!status.ok()) return status;
  if (id_taken) return absl::AlreadyExistsError("subscriber already exists");
  bool address_taken = false;
  status = session_.Query(
      "insert subscriber",
      "SELECT 1 FROM subscribers WHERE page_id = ? AND kind = ? AND "
      "address_hash = UNHEX(SHA2(?, 256)) AND address = ?",
      {subscriber.page_id, subscriber.kind, subscriber.address,
       subscriber.address},
      [&](const SqlRow&) { address_taken = true; });
  if (!status.ok()) return status;
  if (address_taken) {
    return absl::AlreadyExistsError("address already subscribed");
  }
  // Left: a token that another subscriber has (32 random bytes each, so in
  // practice never), or a conflicting row that is gone again.
  return absl::AlreadyExistsError("subscriber already exists");
}

absl::Status MysqlSubscriberRepository::Insert(const Subscriber& s) {
  absl::StatusOr<std::string> component_ids =
      EncodeIdList("insert subscriber", s.component_ids);
  if (!component_ids.ok()) return component_ids.status();
  absl::StatusOr<int64_t> rows = session_.Exec(
      "insert subscriber",
      "INSERT INTO subscribers (page_id, id, kind, address, component_ids, "
      "incident_id, state, state_reason, confirmation_token, "
      "unsubscribe_token, signing_secret, after_seq, consecutive_failures, "
      "failing_since, activate_time, create_time, update_time, version) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {s.page_id, s.id, s.kind, s.address, *component_ids, s.incident_id,
       s.state, s.state_reason, TokenValue(s.confirmation_token),
       TokenValue(s.unsubscribe_token), s.signing_secret, s.after_seq,
       s.consecutive_failures, s.failing_since, s.activate_time, s.create_time,
       s.update_time, s.version});
  if (rows.ok()) return absl::OkStatus();
  switch (rows.status().code()) {
    case absl::StatusCode::kAlreadyExists:
      return WhichDuplicate(s);
    case absl::StatusCode::kNotFound:  // the foreign key to pages
      return NotFound("page");
    default:
      return rows.status();
  }
}

absl::Status MysqlSubscriberRepository::Update(const Subscriber& s) {
  absl::StatusOr<std::string> component_ids =
      EncodeIdList("update subscriber", s.component_ids);
  if (!component_ids.ok()) return component_ids.status();
  absl::StatusOr<int64_t> rows = session_.Exec(
      "update subscriber",
      "UPDATE subscribers SET component_ids = ?, incident_id = ?, state = ?, "
      "state_reason = ?, confirmation_token = ?, unsubscribe_token = ?, "
      "signing_secret = ?, after_seq = ?, consecutive_failures = ?, "
      "failing_since = ?, activate_time = ?, update_time = ?, version = ? "
      "WHERE page_id = ? AND id = ? AND version = ?",
      {*component_ids, s.incident_id, s.state, s.state_reason,
       TokenValue(s.confirmation_token), TokenValue(s.unsubscribe_token),
       s.signing_secret, s.after_seq, s.consecutive_failures, s.failing_since,
       s.activate_time, s.update_time, s.version, s.page_id, s.id,
       s.version - 1});
  if (!rows.ok()) {
    // Only a token can collide here (32 random bytes: never in practice).
    return Named(rows.status(), "subscriber token");
  }
  if (*rows == 0) {
    return StaleOrMissing(session_, "subscriber",
                          "SELECT 1 FROM subscribers WHERE page_id = ? AND "
                          "id = ?",
                          {s.page_id, s.id});
  }
  return absl::OkStatus();
}

absl::Status MysqlSubscriberRepository::Delete(std::string_view page_id,
                                               std::string_view id) {
  // Its deliveries go with it through their foreign key.
  absl::StatusOr<int64_t> rows = session_.Exec(
      "delete subscriber",
      "DELETE FROM subscribers WHERE page_id = ? AND id = ?", {page_id, id});
  if (!rows.ok()) return rows.status();
  if (*rows == 0) return NotFound("subscriber");
  return absl::OkStatus();
}

absl::Status MysqlSubscriberRepository::MarkDue(
    std::string_view page_id, const std::vector<std::string>& ids,
    absl::Time due) {
  // Sorted, so that across chunks too the rows are locked in key order:
  // two transactions marking overlapping sets wait for each other instead
  // of deadlocking.
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (size_t begin = 0; begin < sorted.size(); begin += kIdsPerStatement) {
    const size_t end = std::min(sorted.size(), begin + kIdsPerStatement);
    std::vector<SqlValue> values(sorted.begin() + begin, sorted.begin() + end);
    // due_marked tells a worker holding the lease that this happened (see
    // ReleaseLease).
    std::string sql =
        "UPDATE subscribers SET due_time = LEAST(COALESCE(due_time, ?), ?), "
        "due_marked = 1 WHERE page_id = ? AND id IN ";
    std::vector<SqlValue> params = {due, due, page_id};
    AppendInList(values, &sql, &params);
    absl::StatusOr<int64_t> rows =
        session_.Exec("mark subscribers due", sql, params);
    if (!rows.ok()) return rows.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Subscriber>> MysqlSubscriberRepository::ClaimDue(
    absl::Time now, std::string_view owner, absl::Time lease_until, int limit) {
  if (absl::Status s = session_.CheckLock(Lock::kForUpdate); !s.ok()) return s;
  if (limit <= 0) return std::vector<Subscriber>();
  // One range scan of subscribers_due per claimable state, in due_time
  // order, so that InnoDB stops at the limit and keeps only the rows it
  // returns locked (a plan over both states at once would sort, locking
  // every due row first, and a concurrent caller would find them all
  // skipped). Rows under another worker's lease are read and unlocked at
  // once (READ COMMITTED). Each scan takes up to `limit`; the earliest due
  // of both are leased, and the rest stay locked only until this
  // transaction commits.
  std::vector<std::pair<absl::Time, Subscriber>> due;
  for (SubscriberState state : kClaimable) {
    absl::Status status = session_.Query(
        "claim due subscribers",
        std::string("SELECT ") + kSubscriberColumns +
            ", due_time FROM subscribers FORCE INDEX (subscribers_due) "
            "WHERE state = ? AND due_time <= ? AND "
            "(lease_until IS NULL OR lease_until <= ?) "
            "ORDER BY due_time LIMIT ? FOR UPDATE SKIP LOCKED",
        {state, now, now, limit}, [&](const SqlRow& row) {
          due.emplace_back(row.Time(19), ReadSubscriber(row));
        });
    if (!status.ok()) return status;
  }
  std::stable_sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
    return a.first < b.first;
  });
  if (static_cast<int>(due.size()) > limit) due.resize(limit);

  std::vector<Subscriber> claimed;
  std::map<std::string, std::vector<SqlValue>> ids_by_page;
  for (auto& [due_time, subscriber] : due) {
    claimed.push_back(std::move(subscriber));
  }
  for (const Subscriber& s : claimed) ids_by_page[s.page_id].push_back(s.id);
  for (const auto& [page_id, ids] : ids_by_page) {
    std::string sql =
        "UPDATE subscribers SET lease_owner = ?, lease_until = ?, "
        "due_marked = 0 WHERE page_id = ? AND id IN ";
    std::vector<SqlValue> params = {owner, lease_until, page_id};
    AppendInList(ids, &sql, &params);
    absl::StatusOr<int64_t> rows =
        session_.Exec("claim due subscribers", sql, params);
    if (!rows.ok()) return rows.status();
  }
  return claimed;
}

absl::Status MysqlSubscriberRepository::ReleaseLease(std::string_view page_id,
                                                     std::string_view id,
                                                     std::string_view owner,
                                                     const LeaseEnd& end) {
  // The worker computed next_due from what it read during the lease; a
  // MarkDue since then (due_marked) may stand for deliveries it never saw,
  // so due_time then stays no later than it was (which is no later than
  // the claim): the subscriber is looked at again at once rather than
  // forgotten. due_time is assigned first, so it reads due_marked before
  // that is cleared.
  absl::StatusOr<int64_t> rows = session_.Exec(
      "release subscriber lease",
      "UPDATE subscribers SET "
      "due_time = CASE WHEN due_marked = 1 AND due_time IS NOT NULL "
      "THEN LEAST(due_time, COALESCE(?, due_time)) ELSE ? END, "
      "due_marked = 0, consecutive_failures = ?, failing_since = ?, "
      "lease_owner = NULL, lease_until = NULL "
      "WHERE page_id = ? AND id = ? AND lease_owner = ?",
      {end.next_due, end.next_due, end.consecutive_failures, end.failing_since,
       page_id, id, owner});
  if (!rows.ok()) return rows.status();
  if (*rows > 0) return absl::OkStatus();
  bool exists = false;
  absl::Status status =
      session_.Query("release subscriber lease",
                     "SELECT 1 FROM subscribers WHERE page_id = ? AND id = ?",
                     {page_id, id}, [&](const SqlRow&) { exists = true; });
  if (!status.ok()) return status;
  if (!exists) return NotFound("subscriber");
  return absl::FailedPreconditionError(
      "release subscriber lease: the lease is no longer held by this worker");
}

}  // namespace incidentd::storage::mysql
