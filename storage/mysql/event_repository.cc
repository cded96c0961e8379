// The per-page event log: the counter rows of event_sequences number the
// events, and holding a page's counter row lock until commit is what makes
// the numbering gap-free and commit-ordered (see storage/store.h).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "storage/mysql/repositories.h"
#include "storage/mysql/sql_time.h"

namespace incidentd::storage::mysql {
namespace {

// Ids per LastSequences query: AppendInList pads to a power of two, so this
// bounds both the statement size and the number of distinct texts.
constexpr size_t kPagesPerQuery = 256;

constexpr char kEventColumns[] =
    "page_id, seq, type, create_time, actor, resource_name, incident_id, "
    "component_ids, notify, payload";

Event ReadEvent(const SqlRow& row) {
  Event e;
  e.page_id = row.Str(1);
  e.seq = row.Int(2);
  e.type = row.Enum<EventType>(3);
  e.create_time = row.Time(4);
  e.actor = row.Str(5);
  e.resource_name = row.Str(6);
  e.incident_id = row.Str(7);
  e.component_ids = DecodeIdList(row.Str(8));
  e.notify = row.Bool(9);
  e.payload = row.Str(10);
  return e;
}

// What the database stores of a time: DATETIME(6) keeps microseconds,
// truncated towards the past (as FormatSqlTime does).
absl::Time StoredTime(absl::Time t) {
  return absl::FromUnixMicros(absl::ToUnixMicros(t));
}

}  // namespace

absl::Status MysqlEventRepository::NextSequence(const Event& event,
                                                int64_t* seq,
                                                absl::Time* create_time) {
  if (absl::Status s = session_.CheckLock(Lock::kForUpdate); !s.ok()) return s;
  // Two tries: the second only after a concurrent first Append of the same
  // page created the counter row that this one then found missing.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::optional<std::pair<int64_t, absl::Time>> counter;
    absl::Status status = session_.Query(
        "append event",
        "SELECT last_seq, last_time FROM event_sequences WHERE page_id = ? "
        "FOR UPDATE",
        {event.page_id},
        [&](const SqlRow& row) { counter.emplace(row.Int(1), row.Time(2)); });
    if (!status.ok()) return status;
    if (counter.has_value()) {
      *seq = counter->first + 1;
      *create_time = std::max(counter->second, StoredTime(event.create_time));
      return absl::OkStatus();
    }
    // No counter yet: a page from before the event log, or this page's
    // first event. The foreign key tells an unknown page; the insert's row
    // lock then serves as the page's sequence lock.
    absl::StatusOr<int64_t> created = session_.Exec(
        "append event",
        "INSERT INTO event_sequences (page_id, last_seq, last_time) "
        "VALUES (?, 0, ?)",
        {event.page_id, MinSqlTime()});
    if (created.ok()) {
      *seq = 1;
      *create_time = StoredTime(event.create_time);
      return absl::OkStatus();
    }
    if (created.status().code() == absl::StatusCode::kNotFound) {
      return NotFound("page");
    }
    if (created.status().code() != absl::StatusCode::kAlreadyExists) {
      return created.status();
    }
  }
  // The row vanished between the insert that found it and the read: the
  // page was deleted meanwhile.
  return NotFound("page");
}

absl::Status MysqlEventRepository::Append(Event& event) {
  absl::StatusOr<std::string> component_ids =
      EncodeIdList("append event", event.component_ids);
  if (!component_ids.ok()) return component_ids.status();
  int64_t seq = 0;
  absl::Time create_time;
  if (absl::Status s = NextSequence(event, &seq, &create_time); !s.ok()) {
    return s;
  }
  // The event first and the counter after: if the event cannot be stored
  // (e.g. a payload over the packet limit), the counter is unchanged.
  absl::StatusOr<int64_t> rows = session_.Exec(
      "append event",
      "INSERT INTO events (page_id, seq, type, create_time, actor, "
      "resource_name, incident_id, component_ids, notify, payload) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {event.page_id, seq, event.type, create_time, event.actor,
       event.resource_name, event.incident_id, *component_ids, event.notify,
       event.payload});
  if (!rows.ok()) {
    if (rows.status().code() == absl::StatusCode::kAlreadyExists) {
      // Only a hand-edited counter can fall behind the log.
      return absl::InternalError(
          "append event: the page's event counter is behind its log");
    }
    return rows.status();
  }
  rows = session_.Exec("append event",
                       "UPDATE event_sequences SET last_seq = ?, last_time = ? "
                       "WHERE page_id = ?",
                       {seq, create_time, event.page_id});
  if (!rows.ok()) return rows.status();
  event.seq = seq;
  event.create_time = create_time;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Event>> MysqlEventRepository::List(
    std::string_view page_id, int64_t after_seq, int limit) {
  std::vector<Event> events;
  if (limit <= 0) return events;
  absl::Status status = session_.Query(
      "list events",
      std::string("SELECT ") + kEventColumns +
          " FROM events WHERE page_id = ? AND seq > ? ORDER BY seq LIMIT ?",
      {page_id, after_seq, limit},
      [&](const SqlRow& row) { events.push_back(ReadEvent(row)); });
  if (!status.ok()) return status;
  // Telling "no new events" from "no such page" costs a query, paid only
  // when there is nothing to return.
  if (events.empty()) {
    bool exists = false;
    status = session_.Query("list events", "SELECT 1 FROM pages WHERE id = ?",
                            {page_id}, [&](const SqlRow&) { exists = true; });
    if (!status.ok()) return status;
    if (!exists) return NotFound("page");
  }
  return events;
}

absl::StatusOr<Event> MysqlEventRepository::Get(std::string_view page_id,
                                                int64_t seq) {
  std::optional<Event> event;
  absl::Status status = session_.Query(
      "get event",
      std::string("SELECT ") + kEventColumns +
          " FROM events WHERE page_id = ? AND seq = ?",
      {page_id, seq}, [&](const SqlRow& row) { event = ReadEvent(row); });
  if (!status.ok()) return status;
  if (!event.has_value()) return NotFound("event");
  return *std::move(event);
}

absl::StatusOr<EventRepository::Head> MysqlEventRepository::GetHead(
    std::string_view page_id) {
  std::optional<Head> head;
  absl::Status status = session_.Query(
      "get event log head",
      "SELECT COALESCE(s.last_seq, 0), "
      "COALESCE((SELECT MIN(e.seq) FROM events e WHERE e.page_id = p.id), 0) "
      "FROM pages p LEFT JOIN event_sequences s ON s.page_id = p.id "
      "WHERE p.id = ?",
      {page_id}, [&](const SqlRow& row) {
        head.emplace();
        head->last_seq = row.Int(1);
        head->first_kept_seq = row.Int(2);
      });
  if (!status.ok()) return status;
  if (!head.has_value()) return NotFound("page");
  return *head;
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>>
MysqlEventRepository::LastSequences(const std::vector<std::string>& page_ids) {
  std::vector<std::string> ids = page_ids;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<std::pair<std::string, int64_t>> result;
  for (size_t begin = 0; begin < ids.size(); begin += kPagesPerQuery) {
    const size_t end = std::min(ids.size(), begin + kPagesPerQuery);
    std::vector<SqlValue> values(ids.begin() + begin, ids.begin() + end);
    std::string sql_text =
        "SELECT p.id, COALESCE(s.last_seq, 0) FROM pages p "
        "LEFT JOIN event_sequences s ON s.page_id = p.id WHERE p.id IN ";
    std::vector<SqlValue> params;
    AppendInList(values, &sql_text, &params);
    sql_text += " ORDER BY p.id";
    absl::Status status = session_.Query(
        "read event log heads", sql_text, params, [&](const SqlRow& row) {
          result.emplace_back(row.Str(1), row.Int(2));
        });
    if (!status.ok()) return status;
  }
  return result;
}

absl::StatusOr<int64_t> MysqlEventRepository::PruneBefore(absl::Time before,
                                                          int limit) {
  if (limit <= 0) return 0;
  // Oldest first, and within a time by page and seq: with each page's times
  // never decreasing along its seq (see Append), any batch removes a prefix
  // of every page's log, so the kept events of a page stay contiguous.
  return session_.Exec("prune events",
                       "DELETE FROM events WHERE create_time < ? "
                       "ORDER BY create_time, page_id, seq LIMIT ?",
                       {before, limit});
}

}  // namespace incidentd::storage::mysql
