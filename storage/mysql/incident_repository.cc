// Incidents and maintenance, their affected components, and their timeline
// updates with component changes and edit history.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "storage/mysql/repositories.h"

namespace incidentd::storage::mysql {
namespace {

constexpr char kIncidentColumns[] =
    "page_id, id, title, kind, status, derived_impact, impact_override, "
    "start_time, resolve_time, impact_start_time, impact_end_time, "
    "scheduled_start_time, scheduled_end_time, manual_transitions, "
    "create_time, update_time, version";

Incident ReadIncident(const SqlRow& row) {
  Incident i;
  i.page_id = row.Str(1);
  i.id = row.Str(2);
  i.title = row.Str(3);
  i.kind = row.Enum<IncidentKind>(4);
  i.status = row.Enum<IncidentStatus>(5);
  i.derived_impact = row.Enum<Impact>(6);
  i.impact_override = row.Enum<Impact>(7);
  i.start_time = row.OptTime(8);
  i.resolve_time = row.OptTime(9);
  i.impact_start_time = row.OptTime(10);
  i.impact_end_time = row.OptTime(11);
  i.scheduled_start_time = row.OptTime(12);
  i.scheduled_end_time = row.OptTime(13);
  i.manual_transitions = row.Bool(14);
  i.create_time = row.Time(15);
  i.update_time = row.Time(16);
  i.version = row.Int(17);
  return i;
}

// The two columns stored only for indexes (see the migration).
bool IsOpen(IncidentStatus status) {
  return status != IncidentStatus::kResolved &&
         status != IncidentStatus::kCompleted &&
         status != IncidentStatus::kCancelled;
}
absl::Time SortTime(const Incident& i) {
  return i.start_time.value_or(i.create_time);
}

constexpr char kNewestFirst[] = " ORDER BY sort_time DESC, id DESC";

constexpr char kUpdateColumns[] =
    "page_id, incident_id, id, seq, status, resulting_status, body, "
    "display_time, display_time_zone, create_time, author, notify, reopen, "
    "update_time, version";

IncidentUpdate ReadUpdate(const SqlRow& row) {
  IncidentUpdate u;
  u.page_id = row.Str(1);
  u.incident_id = row.Str(2);
  u.id = row.Str(3);
  u.seq = row.Int(4);
  u.status = row.Enum<IncidentStatus>(5);
  u.resulting_status = row.Enum<IncidentStatus>(6);
  u.body = row.Str(7);
  u.display_time = row.Time(8);
  u.display_time_zone = row.Str(9);
  u.create_time = row.Time(10);
  u.author = row.Str(11);
  u.notify = row.Bool(12);
  u.reopen = row.Bool(13);
  u.update_time = row.Time(14);
  u.version = row.Int(15);
  return u;
}

}  // namespace

absl::StatusOr<std::vector<Incident>> MysqlIncidentRepository::QueryIncidents(
    absl::string_view operation, absl::string_view sql_text,
    absl::Span<const SqlValue> params) {
  std::vector<Incident> incidents;
  absl::Status status = session_.Query(
      operation, sql_text, params,
      [&](const SqlRow& row) { incidents.push_back(ReadIncident(row)); });
  if (!status.ok()) return status;
  if (absl::Status s = LoadComponents(incidents); !s.ok()) return s;
  return incidents;
}

absl::Status MysqlIncidentRepository::LoadComponents(
    std::vector<Incident>& incidents) {
  // One query per page (LockDueMaintenance spans pages; everything else
  // has one).
  std::map<std::string_view, std::vector<SqlValue>> ids_by_page;
  for (const Incident& i : incidents) ids_by_page[i.page_id].push_back(i.id);
  absl::flat_hash_map<std::string, std::vector<std::string>> components;
  for (const auto& [page_id, ids] : ids_by_page) {
    std::string sql =
        "SELECT incident_id, component_id FROM incident_components "
        "WHERE page_id = ? AND incident_id IN ";
    std::vector<SqlValue> params = {page_id};
    AppendInList(ids, &sql, &params);
    sql += " ORDER BY incident_id, position";
    components.clear();
    absl::Status status = session_.Query(
        "list incident components", sql, params, [&](const SqlRow& row) {
          components[row.Str(1)].push_back(row.Str(2));
        });
    if (!status.ok()) return status;
    for (Incident& i : incidents) {
      if (i.page_id != page_id) continue;
      auto it = components.find(i.id);
      if (it != components.end()) i.component_ids = std::move(it->second);
    }
  }
  return absl::OkStatus();
}

absl::Status MysqlIncidentRepository::InsertComponents(
    const Incident& incident) {
  std::vector<SqlValue> rows;
  for (size_t p = 0; p < incident.component_ids.size(); ++p) {
    rows.insert(rows.end(),
                {incident.page_id, incident.id, static_cast<int32_t>(p),
                 incident.component_ids[p]});
  }
  return InsertRows(session_, "insert incident components",
                    "INSERT INTO incident_components (page_id, incident_id, "
                    "position, component_id) VALUES ",
                    4, rows);
}

absl::StatusOr<Incident> MysqlIncidentRepository::Get(std::string_view page_id,
                                                      std::string_view id,
                                                      Lock lock) {
  if (absl::Status s = session_.CheckLock(lock); !s.ok()) return s;
  absl::StatusOr<std::vector<Incident>> found =
      QueryIncidents("get incident",
                     std::string("SELECT ") + kIncidentColumns +
                         " FROM incidents WHERE page_id = ? AND id = ?" +
                         std::string(Session::LockClause(lock)),
                     {page_id, id});
  if (!found.ok()) return found.status();
  if (found->empty()) return NotFound("incident");
  return std::move(found->front());
}

absl::StatusOr<std::vector<Incident>> MysqlIncidentRepository::List(
    const IncidentQuery& query) {
  if (query.limit <= 0) return std::vector<Incident>();
  // Filters and cursor all apply to sort_time, the column the list is
  // ordered by, so that pages of a filtered list never skip or repeat.
  std::string sql = std::string("SELECT ") + kIncidentColumns +
                    " FROM incidents WHERE page_id = ?";
  std::vector<SqlValue> params = {query.page_id};
  if (query.kind != IncidentKind::kUnspecified) {
    sql += " AND kind = ?";
    params.push_back(query.kind);
  }
  if (query.state != IncidentQuery::State::kAny) {
    sql += " AND is_open = ?";
    params.push_back(query.state == IncidentQuery::State::kOpen);
  }
  if (query.start_time_from.has_value()) {
    sql += " AND sort_time >= ?";
    params.push_back(*query.start_time_from);
  }
  if (query.start_time_to.has_value()) {
    sql += " AND sort_time < ?";
    params.push_back(*query.start_time_to);
  }
  if (query.after.has_value()) {
    sql += " AND (sort_time < ? OR (sort_time = ? AND id < ?))";
    params.push_back(query.after->start_time);
    params.push_back(query.after->start_time);
    params.push_back(query.after->id);
  }
  if (!query.component_id.empty()) {
    sql +=
        " AND EXISTS (SELECT 1 FROM incident_components c "
        "WHERE c.page_id = incidents.page_id AND c.incident_id = incidents.id "
        "AND c.component_id = ?)";
    params.push_back(query.component_id);
  }
  sql += kNewestFirst;
  sql += " LIMIT ?";
  params.push_back(query.limit);
  return QueryIncidents("list incidents", sql, params);
}

absl::StatusOr<std::vector<Incident>> MysqlIncidentRepository::ListOpen(
    std::string_view page_id) {
  return QueryIncidents(
      "list open incidents",
      std::string("SELECT ") + kIncidentColumns +
          " FROM incidents WHERE page_id = ? AND is_open = 1" + kNewestFirst,
      {page_id});
}

absl::StatusOr<bool> MysqlIncidentRepository::IsComponentInOpenIncident(
    std::string_view page_id, std::string_view component_id) {
  bool found = false;
  absl::Status status = session_.Query(
      "check component in open incident",
      "SELECT 1 FROM incident_components c JOIN incidents i "
      "ON i.page_id = c.page_id AND i.id = c.incident_id "
      "WHERE c.page_id = ? AND c.component_id = ? AND i.is_open = 1 LIMIT 1",
      {page_id, component_id}, [&](const SqlRow&) { found = true; });
  if (!status.ok()) return status;
  return found;
}

absl::Status MysqlIncidentRepository::Insert(const Incident& i) {
  absl::StatusOr<int64_t> rows = session_.Exec(
      "insert incident",
      "INSERT INTO incidents (page_id, id, title, kind, status, is_open, "
      "derived_impact, impact_override, start_time, sort_time, resolve_time, "
      "impact_start_time, impact_end_time, scheduled_start_time, "
      "scheduled_end_time, manual_transitions, create_time, update_time, "
      "version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
      "?)",
      {i.page_id, i.id, i.title, i.kind, i.status, IsOpen(i.status),
       i.derived_impact, i.impact_override, i.start_time, SortTime(i),
       i.resolve_time, i.impact_start_time, i.impact_end_time,
       i.scheduled_start_time, i.scheduled_end_time, i.manual_transitions,
       i.create_time, i.update_time, i.version});
  if (!rows.ok()) return Named(rows.status(), "incident");
  return InsertComponents(i);
}

absl::Status MysqlIncidentRepository::Update(const Incident& i) {
  absl::StatusOr<int64_t> rows = session_.Exec(
      "update incident",
      "UPDATE incidents SET title = ?, kind = ?, status = ?, is_open = ?, "
      "derived_impact = ?, impact_override = ?, start_time = ?, "
      "sort_time = ?, resolve_time = ?, impact_start_time = ?, "
      "impact_end_time = ?, scheduled_start_time = ?, "
      "scheduled_end_time = ?, manual_transitions = ?, update_time = ?, "
      "version = ? WHERE page_id = ? AND id = ? AND version = ?",
      {i.title, i.kind, i.status, IsOpen(i.status), i.derived_impact,
       i.impact_override, i.start_time, SortTime(i), i.resolve_time,
       i.impact_start_time, i.impact_end_time, i.scheduled_start_time,
       i.scheduled_end_time, i.manual_transitions, i.update_time, i.version,
       i.page_id, i.id, i.version - 1});
  if (!rows.ok()) return rows.status();
  if (*rows == 0) {
    return StaleOrMissing(
        session_, "incident",
        "SELECT 1 FROM incidents WHERE page_id = ? AND id = ?",
        {i.page_id, i.id});
  }
  // The row lock taken by the UPDATE above serialises this with every
  // other writer of the incident.
  rows = session_.Exec(
      "update incident",
      "DELETE FROM incident_components WHERE page_id = ? AND incident_id = ?",
      {i.page_id, i.id});
  if (!rows.ok()) return rows.status();
  return InsertComponents(i);
}

absl::StatusOr<std::vector<Incident>>
MysqlIncidentRepository::LockDueMaintenance(absl::Time now, int limit) {
  if (absl::Status s = session_.CheckLock(Lock::kForUpdate); !s.ok()) return s;
  // One range scan per (status, time column), each on its own index in
  // index order, so that InnoDB locks only the rows it returns and stops at
  // the limit: a plan that sorted or merged indexes would lock every due
  // row first, and a concurrent caller would find them all skipped. Oldest
  // due first.
  struct Due {
    IncidentStatus status;
    const char* index_and_column;
  };
  static constexpr Due kDue[] = {
      {IncidentStatus::kScheduled,
       " FORCE INDEX (incidents_due_start) WHERE status = ? AND "
       "scheduled_start_time <= ? AND kind = ? AND manual_transitions = 0 "
       "ORDER BY scheduled_start_time"},
      {IncidentStatus::kInProgress,
       " FORCE INDEX (incidents_due_end) WHERE status = ? AND "
       "scheduled_end_time <= ? AND kind = ? AND manual_transitions = 0 "
       "ORDER BY scheduled_end_time"},
      {IncidentStatus::kVerifying,
       " FORCE INDEX (incidents_due_end) WHERE status = ? AND "
       "scheduled_end_time <= ? AND kind = ? AND manual_transitions = 0 "
       "ORDER BY scheduled_end_time"},
  };
  std::vector<Incident> due;
  for (const Due& d : kDue) {
    const int remaining = limit - static_cast<int>(due.size());
    if (remaining <= 0) break;
    absl::StatusOr<std::vector<Incident>> found = QueryIncidents(
        "lock due maintenance",
        std::string("SELECT ") + kIncidentColumns + " FROM incidents" +
            d.index_and_column + " LIMIT ? FOR UPDATE SKIP LOCKED",
        {d.status, now, IncidentKind::kMaintenance, remaining});
    if (!found.ok()) return found.status();
    for (Incident& i : *found) due.push_back(std::move(i));
  }
  return due;
}

absl::StatusOr<std::vector<Incident>> MysqlIncidentRepository::LockDueReminders(
    absl::Time now, absl::Duration lead, int limit) {
  if (absl::Status s = session_.CheckLock(Lock::kForUpdate); !s.ok()) return s;
  if (limit <= 0) return std::vector<Incident>();
  // One range scan of incidents_due_start in index order, as in
  // LockDueMaintenance, so that only the returned rows stay locked. The
  // other conditions are checked per row; a row that fails them is
  // unlocked again at once (READ COMMITTED).
  return QueryIncidents(
      "lock due reminders",
      std::string("SELECT ") + kIncidentColumns +
          " FROM incidents FORCE INDEX (incidents_due_start) "
          "WHERE status = ? AND scheduled_start_time > ? AND "
          "scheduled_start_time <= ? AND kind = ? AND "
          "create_time < scheduled_start_time - INTERVAL ? MICROSECOND AND "
          "(reminded_start IS NULL OR reminded_start <> scheduled_start_time) "
          "ORDER BY scheduled_start_time LIMIT ? FOR UPDATE SKIP LOCKED",
      {IncidentStatus::kScheduled, now, now + lead, IncidentKind::kMaintenance,
       absl::ToInt64Microseconds(lead), limit});
}

absl::Status MysqlIncidentRepository::MarkReminded(std::string_view page_id,
                                                   std::string_view id,
                                                   absl::Time start) {
  absl::StatusOr<int64_t> rows =
      session_.Exec("mark maintenance reminded",
                    "UPDATE incidents SET reminded_start = ? "
                    "WHERE page_id = ? AND id = ?",
                    {start, page_id, id});
  if (!rows.ok()) return rows.status();
  if (*rows > 0) return absl::OkStatus();
  // No row changed: none there, or it was marked for `start` already.
  bool exists = false;
  absl::Status status =
      session_.Query("mark maintenance reminded",
                     "SELECT 1 FROM incidents WHERE page_id = ? AND id = ?",
                     {page_id, id}, [&](const SqlRow&) { exists = true; });
  if (!status.ok()) return status;
  return exists ? absl::OkStatus() : NotFound("incident");
}

absl::Status MysqlIncidentRepository::LoadUpdateChildren(
    std::vector<IncidentUpdate>& updates) {
  if (updates.empty()) return absl::OkStatus();
  // Every caller passes updates of one incident.
  const std::string& page_id = updates.front().page_id;
  const std::string& incident_id = updates.front().incident_id;
  std::vector<SqlValue> ids;
  absl::flat_hash_map<std::string, IncidentUpdate*> by_id;
  for (IncidentUpdate& u : updates) {
    ids.push_back(u.id);
    by_id[u.id] = &u;
  }

  std::string sql =
      "SELECT update_id, component_id, status FROM incident_update_components "
      "WHERE page_id = ? AND incident_id = ? AND update_id IN ";
  std::vector<SqlValue> params = {page_id, incident_id};
  AppendInList(ids, &sql, &params);
  sql += " ORDER BY update_id, position";
  absl::Status status = session_.Query(
      "list update component changes", sql, params, [&](const SqlRow& row) {
        auto it = by_id.find(row.Str(1));
        if (it == by_id.end()) return;
        it->second->component_changes.push_back(
            {row.Str(2), row.Enum<ComponentStatus>(3)});
      });
  if (!status.ok()) return status;

  sql =
      "SELECT update_id, body, display_time, display_time_zone, "
      "replace_time, replaced_by FROM incident_update_revisions "
      "WHERE page_id = ? AND incident_id = ? AND update_id IN ";
  params = {page_id, incident_id};
  AppendInList(ids, &sql, &params);
  sql += " ORDER BY update_id, revision";
  return session_.Query("list update revisions", sql, params,
                        [&](const SqlRow& row) {
                          auto it = by_id.find(row.Str(1));
                          if (it == by_id.end()) return;
                          IncidentUpdateRevision r;
                          r.body = row.Str(2);
                          r.display_time = row.Time(3);
                          r.display_time_zone = row.Str(4);
                          r.replace_time = row.Time(5);
                          r.replaced_by = row.Str(6);
                          it->second->previous_versions.push_back(std::move(r));
                        });
}

absl::StatusOr<std::vector<IncidentUpdate>>
MysqlIncidentRepository::ListUpdates(std::string_view page_id,
                                     std::string_view incident_id,
                                     const std::optional<UpdateCursor>& after,
                                     int limit) {
  std::vector<IncidentUpdate> updates;
  if (limit <= 0) return updates;
  std::string sql = std::string("SELECT ") + kUpdateColumns +
                    " FROM incident_updates WHERE page_id = ? AND "
                    "incident_id = ?";
  std::vector<SqlValue> params = {page_id, incident_id};
  if (after.has_value()) {
    sql += " AND (display_time < ? OR (display_time = ? AND seq < ?))";
    params.push_back(after->display_time);
    params.push_back(after->display_time);
    params.push_back(after->seq);
  }
  sql += " ORDER BY display_time DESC, seq DESC LIMIT ?";
  params.push_back(limit);
  absl::Status status = session_.Query(
      "list incident updates", sql, params,
      [&](const SqlRow& row) { updates.push_back(ReadUpdate(row)); });
  if (!status.ok()) return status;
  if (absl::Status s = LoadUpdateChildren(updates); !s.ok()) return s;
  return updates;
}

absl::StatusOr<IncidentUpdate> MysqlIncidentRepository::GetUpdate(
    std::string_view page_id, std::string_view incident_id,
    std::string_view update_id, Lock lock) {
  if (absl::Status s = session_.CheckLock(lock); !s.ok()) return s;
  std::vector<IncidentUpdate> found;
  absl::Status status = session_.Query(
      "get incident update",
      std::string("SELECT ") + kUpdateColumns +
          " FROM incident_updates WHERE page_id = ? AND incident_id = ? AND "
          "id = ?" +
          std::string(Session::LockClause(lock)),
      {page_id, incident_id, update_id},
      [&](const SqlRow& row) { found.push_back(ReadUpdate(row)); });
  if (!status.ok()) return status;
  if (found.empty()) return NotFound("incident update");
  if (absl::Status s = LoadUpdateChildren(found); !s.ok()) return s;
  return std::move(found.front());
}

absl::Status MysqlIncidentRepository::InsertRevision(
    const IncidentUpdate& update, int revision) {
  const IncidentUpdateRevision& r = update.previous_versions[revision - 1];
  return session_
      .Exec(
          "insert update revision",
          "INSERT INTO incident_update_revisions (page_id, incident_id, "
          "update_id, revision, body, display_time, display_time_zone, "
          "replace_time, replaced_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {update.page_id, update.incident_id, update.id, revision, r.body,
           r.display_time, r.display_time_zone, r.replace_time, r.replaced_by})
      .status();
}

absl::StatusOr<int64_t> MysqlIncidentRepository::InsertUpdate(
    const IncidentUpdate& u) {
  absl::StatusOr<int64_t> seq = session_.InsertReturningId(
      "insert incident update",
      "INSERT INTO incident_updates (page_id, incident_id, id, status, "
      "resulting_status, body, display_time, display_time_zone, create_time, "
      "author, notify, reopen, update_time, version) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {u.page_id, u.incident_id, u.id, u.status, u.resulting_status, u.body,
       u.display_time, u.display_time_zone, u.create_time, u.author, u.notify,
       u.reopen, u.update_time, u.version});
  if (!seq.ok()) return Named(seq.status(), "incident update");

  std::vector<SqlValue> rows;
  for (size_t p = 0; p < u.component_changes.size(); ++p) {
    rows.insert(
        rows.end(),
        {u.page_id, u.incident_id, u.id, static_cast<int32_t>(p),
         u.component_changes[p].component_id, u.component_changes[p].status});
  }
  absl::Status status = InsertRows(
      session_, "insert update component changes",
      "INSERT INTO incident_update_components (page_id, incident_id, "
      "update_id, position, component_id, status) VALUES ",
      6, rows);
  if (!status.ok()) return status;
  // A new update normally has no history; store any it brings.
  for (size_t r = 1; r <= u.previous_versions.size(); ++r) {
    status = InsertRevision(u, static_cast<int>(r));
    if (!status.ok()) return status;
  }
  return *seq;
}

absl::Status MysqlIncidentRepository::EditUpdate(const IncidentUpdate& u) {
  if (u.previous_versions.empty()) {
    return absl::InvalidArgumentError(
        "edit incident update: previous_versions must end with the version "
        "being replaced");
  }
  absl::StatusOr<int64_t> rows = session_.Exec(
      "edit incident update",
      "UPDATE incident_updates SET body = ?, display_time = ?, "
      "display_time_zone = ?, update_time = ?, version = ? "
      "WHERE page_id = ? AND incident_id = ? AND id = ? AND version = ?",
      {u.body, u.display_time, u.display_time_zone, u.update_time, u.version,
       u.page_id, u.incident_id, u.id, u.version - 1});
  if (!rows.ok()) return rows.status();
  if (*rows == 0) {
    return StaleOrMissing(session_, "incident update",
                          "SELECT 1 FROM incident_updates WHERE page_id = ? "
                          "AND incident_id = ? AND id = ?",
                          {u.page_id, u.incident_id, u.id});
  }
  return InsertRevision(u, static_cast<int>(u.previous_versions.size()));
}

}  // namespace incidentd::storage::mysql
