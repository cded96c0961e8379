// Postmortems (current state, sections, and content revisions as full
// snapshots) and corrective actions.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "storage/mysql/repositories.h"

namespace incidentd::storage::mysql {
namespace {

constexpr char kPostmortemColumns[] =
    "page_id, incident_id, state, publish_time, author, revision, "
    "create_time, update_time, version";

// Also reads postmortem_revisions, whose columns are the same.
Postmortem ReadPostmortem(const SqlRow& row) {
  Postmortem p;
  p.page_id = row.Str(1);
  p.incident_id = row.Str(2);
  p.state = row.Enum<PostmortemState>(3);
  p.publish_time = row.OptTime(4);
  p.author = row.Str(5);
  p.revision = row.Int(6);
  p.create_time = row.Time(7);
  p.update_time = row.Time(8);
  p.version = row.Int(9);
  return p;
}

constexpr char kActionColumns[] =
    "page_id, incident_id, id, seq, description, owner, state, create_time, "
    "update_time, version";

CorrectiveAction ReadAction(const SqlRow& row) {
  CorrectiveAction a;
  a.page_id = row.Str(1);
  a.incident_id = row.Str(2);
  a.id = row.Str(3);
  a.seq = row.Int(4);
  a.description = row.Str(5);
  a.owner = row.Str(6);
  a.state = row.Enum<ActionState>(7);
  a.create_time = row.Time(8);
  a.update_time = row.Time(9);
  a.version = row.Int(10);
  return a;
}

absl::Status CheckRevision(const Postmortem& p) {
  if (p.revision < 1) {
    return absl::InvalidArgumentError("postmortem: revision must be 1 or more");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Postmortem> MysqlPostmortemRepository::Get(
    std::string_view page_id, std::string_view incident_id, Lock lock) {
  if (absl::Status s = session_.CheckLock(lock); !s.ok()) return s;
  std::optional<Postmortem> postmortem;
  absl::Status status = session_.Query(
      "get postmortem",
      std::string("SELECT ") + kPostmortemColumns +
          " FROM postmortems WHERE page_id = ? AND incident_id = ?" +
          std::string(Session::LockClause(lock)),
      {page_id, incident_id},
      [&](const SqlRow& row) { postmortem = ReadPostmortem(row); });
  if (!status.ok()) return status;
  if (!postmortem.has_value()) return NotFound("postmortem");
  status =
      session_.Query("get postmortem sections",
                     "SELECT heading, body FROM postmortem_sections "
                     "WHERE page_id = ? AND incident_id = ? ORDER BY position",
                     {page_id, incident_id}, [&](const SqlRow& row) {
                       postmortem->sections.push_back({row.Str(1), row.Str(2)});
                     });
  if (!status.ok()) return status;
  return *std::move(postmortem);
}

absl::Status MysqlPostmortemRepository::InsertSections(const Postmortem& p) {
  std::vector<SqlValue> rows;
  for (size_t i = 0; i < p.sections.size(); ++i) {
    rows.insert(rows.end(), {p.page_id, p.incident_id, static_cast<int32_t>(i),
                             p.sections[i].heading, p.sections[i].body});
  }
  return InsertRows(session_, "insert postmortem sections",
                    "INSERT INTO postmortem_sections (page_id, incident_id, "
                    "position, heading, body) VALUES ",
                    5, rows);
}

absl::Status MysqlPostmortemRepository::RecordRevision(const Postmortem& p) {
  bool exists = false;
  absl::Status status =
      session_.Query("record postmortem revision",
                     "SELECT 1 FROM postmortem_revisions "
                     "WHERE page_id = ? AND incident_id = ? AND revision = ?",
                     {p.page_id, p.incident_id, p.revision},
                     [&](const SqlRow&) { exists = true; });
  if (!status.ok() || exists) return status;
  status =
      session_
          .Exec("record postmortem revision",
                "INSERT INTO postmortem_revisions (page_id, incident_id, "
                "state, publish_time, author, revision, create_time, "
                "update_time, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {p.page_id, p.incident_id, p.state, p.publish_time, p.author,
                 p.revision, p.create_time, p.update_time, p.version})
          .status();
  if (!status.ok()) return status;
  std::vector<SqlValue> rows;
  for (size_t i = 0; i < p.sections.size(); ++i) {
    rows.insert(rows.end(),
                {p.page_id, p.incident_id, p.revision, static_cast<int32_t>(i),
                 p.sections[i].heading, p.sections[i].body});
  }
  return InsertRows(session_, "record postmortem revision",
                    "INSERT INTO postmortem_revision_sections (page_id, "
                    "incident_id, revision, position, heading, body) VALUES ",
                    6, rows);
}

absl::Status MysqlPostmortemRepository::Insert(const Postmortem& p) {
  if (absl::Status s = CheckRevision(p); !s.ok()) return s;
  absl::Status status =
      session_
          .Exec("insert postmortem",
                "INSERT INTO postmortems (page_id, incident_id, state, "
                "publish_time, author, revision, create_time, update_time, "
                "version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {p.page_id, p.incident_id, p.state, p.publish_time, p.author,
                 p.revision, p.create_time, p.update_time, p.version})
          .status();
  if (!status.ok()) return Named(status, "postmortem");
  if (status = InsertSections(p); !status.ok()) return status;
  return RecordRevision(p);
}

absl::Status MysqlPostmortemRepository::Update(const Postmortem& p) {
  if (absl::Status s = CheckRevision(p); !s.ok()) return s;
  absl::StatusOr<int64_t> rows = session_.Exec(
      "update postmortem",
      "UPDATE postmortems SET state = ?, publish_time = ?, author = ?, "
      "revision = ?, update_time = ?, version = ? "
      "WHERE page_id = ? AND incident_id = ? AND version = ?",
      {p.state, p.publish_time, p.author, p.revision, p.update_time, p.version,
       p.page_id, p.incident_id, p.version - 1});
  if (!rows.ok()) return rows.status();
  if (*rows == 0) {
    return StaleOrMissing(
        session_, "postmortem",
        "SELECT 1 FROM postmortems WHERE page_id = ? AND incident_id = ?",
        {p.page_id, p.incident_id});
  }
  rows = session_.Exec(
      "update postmortem",
      "DELETE FROM postmortem_sections WHERE page_id = ? AND incident_id = ?",
      {p.page_id, p.incident_id});
  if (!rows.ok()) return rows.status();
  if (absl::Status s = InsertSections(p); !s.ok()) return s;
  return RecordRevision(p);
}

absl::StatusOr<std::vector<Postmortem>>
MysqlPostmortemRepository::ListRevisions(std::string_view page_id,
                                         std::string_view incident_id,
                                         int64_t before_revision, int limit) {
  std::vector<Postmortem> revisions;
  if (limit <= 0) return revisions;
  std::string sql =
      "SELECT page_id, incident_id, state, publish_time, author, revision, "
      "create_time, update_time, version FROM postmortem_revisions "
      "WHERE page_id = ? AND incident_id = ?";
  std::vector<SqlValue> params = {page_id, incident_id};
  if (before_revision > 0) {
    sql += " AND revision < ?";
    params.push_back(before_revision);
  }
  sql += " ORDER BY revision DESC LIMIT ?";
  params.push_back(limit);
  absl::Status status = session_.Query(
      "list postmortem revisions", sql, params,
      [&](const SqlRow& row) { revisions.push_back(ReadPostmortem(row)); });
  if (!status.ok()) return status;
  if (revisions.empty()) return revisions;

  std::map<int64_t, Postmortem*> by_revision;
  std::vector<SqlValue> numbers;
  for (Postmortem& p : revisions) {
    by_revision[p.revision] = &p;
    numbers.push_back(p.revision);
  }
  sql =
      "SELECT revision, heading, body FROM postmortem_revision_sections "
      "WHERE page_id = ? AND incident_id = ? AND revision IN ";
  params = {page_id, incident_id};
  AppendInList(numbers, &sql, &params);
  sql += " ORDER BY revision, position";
  status = session_.Query(
      "list postmortem revisions", sql, params, [&](const SqlRow& row) {
        auto it = by_revision.find(row.Int(1));
        if (it == by_revision.end()) return;
        it->second->sections.push_back({row.Str(2), row.Str(3)});
      });
  if (!status.ok()) return status;
  return revisions;
}

absl::StatusOr<CorrectiveAction> MysqlPostmortemRepository::GetAction(
    std::string_view page_id, std::string_view incident_id, std::string_view id,
    Lock lock) {
  if (absl::Status s = session_.CheckLock(lock); !s.ok()) return s;
  std::optional<CorrectiveAction> action;
  absl::Status status = session_.Query(
      "get corrective action",
      std::string("SELECT ") + kActionColumns +
          " FROM corrective_actions WHERE page_id = ? AND incident_id = ? "
          "AND id = ?" +
          std::string(Session::LockClause(lock)),
      {page_id, incident_id, id},
      [&](const SqlRow& row) { action = ReadAction(row); });
  if (!status.ok()) return status;
  if (!action.has_value()) return NotFound("corrective action");
  return *std::move(action);
}

absl::StatusOr<std::vector<CorrectiveAction>>
MysqlPostmortemRepository::ListActions(std::string_view page_id,
                                       std::string_view incident_id,
                                       int64_t after_seq, int limit) {
  std::vector<CorrectiveAction> actions;
  if (limit <= 0) return actions;
  absl::Status status = session_.Query(
      "list corrective actions",
      std::string("SELECT ") + kActionColumns +
          " FROM corrective_actions WHERE page_id = ? AND incident_id = ? "
          "AND seq > ? ORDER BY seq LIMIT ?",
      {page_id, incident_id, after_seq, limit},
      [&](const SqlRow& row) { actions.push_back(ReadAction(row)); });
  if (!status.ok()) return status;
  return actions;
}

absl::StatusOr<int64_t> MysqlPostmortemRepository::InsertAction(
    const CorrectiveAction& a) {
  absl::StatusOr<int64_t> seq = session_.InsertReturningId(
      "insert corrective action",
      "INSERT INTO corrective_actions (page_id, incident_id, id, description, "
      "owner, state, create_time, update_time, version) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {a.page_id, a.incident_id, a.id, a.description, a.owner, a.state,
       a.create_time, a.update_time, a.version});
  if (!seq.ok()) return Named(seq.status(), "corrective action");
  return *seq;
}

absl::Status MysqlPostmortemRepository::UpdateAction(
    const CorrectiveAction& a) {
  absl::StatusOr<int64_t> rows = session_.Exec(
      "update corrective action",
      "UPDATE corrective_actions SET description = ?, owner = ?, state = ?, "
      "update_time = ?, version = ? "
      "WHERE page_id = ? AND incident_id = ? AND id = ? AND version = ?",
      {a.description, a.owner, a.state, a.update_time, a.version, a.page_id,
       a.incident_id, a.id, a.version - 1});
  if (!rows.ok()) return rows.status();
  if (*rows == 0) {
    return StaleOrMissing(session_, "corrective action",
                          "SELECT 1 FROM corrective_actions WHERE page_id = ? "
                          "AND incident_id = ? AND id = ?",
                          {a.page_id, a.incident_id, a.id});
  }
  return absl::OkStatus();
}

}  // namespace incidentd::storage::mysql
