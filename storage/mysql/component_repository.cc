// Components and component groups, in display order (position, then id).
#include <string>
#include <vector>

#include "storage/mysql/repositories.h"

namespace incidentd::storage::mysql {
namespace {

constexpr char kComponentColumns[] =
    "page_id, id, display_name, description, group_id, status, "
    "status_reason, status_change_time, position, create_time, update_time, "
    "version";

Component ReadComponent(const SqlRow& row) {
  Component c;
  c.page_id = row.Str(1);
  c.id = row.Str(2);
  c.display_name = row.Str(3);
  c.description = row.Str(4);
  c.group_id = row.Str(5);
  c.status = row.Enum<ComponentStatus>(6);
  c.status_reason = row.Str(7);
  c.status_change_time = row.Time(8);
  c.position = static_cast<int32_t>(row.Int(9));
  c.create_time = row.Time(10);
  c.update_time = row.Time(11);
  c.version = row.Int(12);
  return c;
}

constexpr char kGroupColumns[] =
    "page_id, id, display_name, description, position, create_time, "
    "update_time, version";

ComponentGroup ReadGroup(const SqlRow& row) {
  ComponentGroup g;
  g.page_id = row.Str(1);
  g.id = row.Str(2);
  g.display_name = row.Str(3);
  g.description = row.Str(4);
  g.position = static_cast<int32_t>(row.Int(5));
  g.create_time = row.Time(6);
  g.update_time = row.Time(7);
  g.version = row.Int(8);
  return g;
}

// An empty group id is stored as NULL, so that the group foreign key does
// not apply.
SqlValue GroupId(const std::string& group_id) {
  if (group_id.empty()) return nullptr;
  return group_id;
}

// Appends the display-order cursor condition and its values.
void AppendAfter(const std::optional<ComponentCursor>& after, std::string* sql,
                 std::vector<SqlValue>* params) {
  if (!after.has_value()) return;
  *sql += " AND (position > ? OR (position = ? AND id > ?))";
  params->push_back(after->position);
  params->push_back(after->position);
  params->push_back(after->id);
}

}  // namespace

absl::StatusOr<Component> MysqlComponentRepository::Get(
    std::string_view page_id, std::string_view id, Lock lock) {
  if (absl::Status s = session_.CheckLock(lock); !s.ok()) return s;
  std::optional<Component> component;
  absl::Status status = session_.Query(
      "get component",
      std::string("SELECT ") + kComponentColumns +
          " FROM components WHERE page_id = ? AND id = ?" +
          std::string(Session::LockClause(lock)),
      {page_id, id},
      [&](const SqlRow& row) { component = ReadComponent(row); });
  if (!status.ok()) return status;
  if (!component.has_value()) return NotFound("component");
  return *std::move(component);
}

absl::StatusOr<std::vector<Component>> MysqlComponentRepository::List(
    std::string_view page_id, std::string_view group_id,
    const std::optional<ComponentCursor>& after, int limit) {
  std::vector<Component> components;
  if (limit <= 0) return components;
  std::string sql = std::string("SELECT ") + kComponentColumns +
                    " FROM components WHERE page_id = ?";
  std::vector<SqlValue> params = {page_id};
  if (!group_id.empty()) {
    sql += " AND group_id = ?";
    params.push_back(group_id);
  }
  AppendAfter(after, &sql, &params);
  sql += " ORDER BY position, id LIMIT ?";
  params.push_back(limit);
  absl::Status status = session_.Query(
      "list components", sql, params,
      [&](const SqlRow& row) { components.push_back(ReadComponent(row)); });
  if (!status.ok()) return status;
  return components;
}

absl::Status MysqlComponentRepository::Insert(const Component& c) {
  return Named(
      session_
          .Exec("insert component",
                "INSERT INTO components (page_id, id, display_name, "
                "description, group_id, status, status_reason, "
                "status_change_time, position, create_time, update_time, "
                "version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {c.page_id, c.id, c.display_name, c.description,
                 GroupId(c.group_id), c.status, c.status_reason,
                 c.status_change_time, c.position, c.create_time, c.update_time,
                 c.version})
          .status(),
      "component");
}

absl::Status MysqlComponentRepository::Update(const Component& c) {
  absl::StatusOr<int64_t> rows = session_.Exec(
      "update component",
      "UPDATE components SET display_name = ?, description = ?, "
      "group_id = ?, status = ?, status_reason = ?, status_change_time = ?, "
      "position = ?, update_time = ?, version = ? "
      "WHERE page_id = ? AND id = ? AND version = ?",
      {c.display_name, c.description, GroupId(c.group_id), c.status,
       c.status_reason, c.status_change_time, c.position, c.update_time,
       c.version, c.page_id, c.id, c.version - 1});
  if (!rows.ok()) return rows.status();
  if (*rows == 0) {
    return StaleOrMissing(
        session_, "component",
        "SELECT 1 FROM components WHERE page_id = ? AND id = ?",
        {c.page_id, c.id});
  }
  return absl::OkStatus();
}

absl::Status MysqlComponentRepository::Delete(std::string_view page_id,
                                              std::string_view id) {
  absl::StatusOr<int64_t> rows = session_.Exec(
      "delete component", "DELETE FROM components WHERE page_id = ? AND id = ?",
      {page_id, id});
  if (!rows.ok()) return rows.status();
  if (*rows == 0) return NotFound("component");
  return absl::OkStatus();
}

absl::StatusOr<ComponentGroup> MysqlComponentRepository::GetGroup(
    std::string_view page_id, std::string_view id, Lock lock) {
  if (absl::Status s = session_.CheckLock(lock); !s.ok()) return s;
  std::optional<ComponentGroup> group;
  absl::Status status = session_.Query(
      "get component group",
      std::string("SELECT ") + kGroupColumns +
          " FROM component_groups WHERE page_id = ? AND id = ?" +
          std::string(Session::LockClause(lock)),
      {page_id, id}, [&](const SqlRow& row) { group = ReadGroup(row); });
  if (!status.ok()) return status;
  if (!group.has_value()) return NotFound("component group");
  return *std::move(group);
}

absl::StatusOr<std::vector<ComponentGroup>>
MysqlComponentRepository::ListGroups(
    std::string_view page_id, const std::optional<ComponentCursor>& after,
    int limit) {
  std::vector<ComponentGroup> groups;
  if (limit <= 0) return groups;
  std::string sql = std::string("SELECT ") + kGroupColumns +
                    " FROM component_groups WHERE page_id = ?";
  std::vector<SqlValue> params = {page_id};
  AppendAfter(after, &sql, &params);
  sql += " ORDER BY position, id LIMIT ?";
  params.push_back(limit);
  absl::Status status = session_.Query(
      "list component groups", sql, params,
      [&](const SqlRow& row) { groups.push_back(ReadGroup(row)); });
  if (!status.ok()) return status;
  return groups;
}

absl::Status MysqlComponentRepository::InsertGroup(const ComponentGroup& g) {
  return Named(
      session_
          .Exec("insert component group",
                "INSERT INTO component_groups (page_id, id, display_name, "
                "description, position, create_time, update_time, version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                {g.page_id, g.id, g.display_name, g.description, g.position,
                 g.create_time, g.update_time, g.version})
          .status(),
      "component group");
}

absl::Status MysqlComponentRepository::UpdateGroup(const ComponentGroup& g) {
  absl::StatusOr<int64_t> rows = session_.Exec(
      "update component group",
      "UPDATE component_groups SET display_name = ?, description = ?, "
      "position = ?, update_time = ?, version = ? "
      "WHERE page_id = ? AND id = ? AND version = ?",
      {g.display_name, g.description, g.position, g.update_time, g.version,
       g.page_id, g.id, g.version - 1});
  if (!rows.ok()) return rows.status();
  if (*rows == 0) {
    return StaleOrMissing(
        session_, "component group",
        "SELECT 1 FROM component_groups WHERE page_id = ? AND id = ?",
        {g.page_id, g.id});
  }
  return absl::OkStatus();
}

absl::Status MysqlComponentRepository::DeleteGroup(std::string_view page_id,
                                                   std::string_view id) {
  // Ungrouping is not a change to the components' own fields, so their
  // version and update_time stay as they are.
  absl::StatusOr<int64_t> rows =
      session_.Exec("delete component group",
                    "UPDATE components SET group_id = NULL WHERE page_id = ? "
                    "AND group_id = ?",
                    {page_id, id});
  if (!rows.ok()) return rows.status();
  rows =
      session_.Exec("delete component group",
                    "DELETE FROM component_groups WHERE page_id = ? AND id = ?",
                    {page_id, id});
  if (!rows.ok()) return rows.status();
  if (*rows == 0) return NotFound("component group");
  return absl::OkStatus();
}

}  // namespace incidentd::storage::mysql
