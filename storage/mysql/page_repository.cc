// Pages, the tenants everything else hangs from.
#include <string>

#include "storage/mysql/repositories.h"

namespace incidentd::storage::mysql {
namespace {

constexpr char kColumns[] =
    "id, display_name, url, time_zone, create_time, update_time, version";

Page ReadPage(const SqlRow& row) {
  Page page;
  page.id = row.Str(1);
  page.display_name = row.Str(2);
  page.url = row.Str(3);
  page.time_zone = row.Str(4);
  page.create_time = row.Time(5);
  page.update_time = row.Time(6);
  page.version = row.Int(7);
  return page;
}

}  // namespace

absl::StatusOr<Page> MysqlPageRepository::Get(std::string_view page_id,
                                              Lock lock) {
  if (absl::Status s = session_.CheckLock(lock); !s.ok()) return s;
  std::optional<Page> page;
  absl::Status status = session_.Query(
      "get page",
      std::string("SELECT ") + kColumns + " FROM pages WHERE id = ?" +
          std::string(Session::LockClause(lock)),
      {page_id}, [&](const SqlRow& row) { page = ReadPage(row); });
  if (!status.ok()) return status;
  if (!page.has_value()) return NotFound("page");
  return *std::move(page);
}

absl::StatusOr<std::vector<Page>> MysqlPageRepository::List(
    std::string_view after_id, int limit) {
  std::vector<Page> pages;
  if (limit <= 0) return pages;
  absl::Status status = session_.Query(
      "list pages",
      std::string("SELECT ") + kColumns +
          " FROM pages WHERE id > ? ORDER BY id LIMIT ?",
      {after_id, limit},
      [&](const SqlRow& row) { pages.push_back(ReadPage(row)); });
  if (!status.ok()) return status;
  return pages;
}

absl::Status MysqlPageRepository::Insert(const Page& page) {
  return Named(session_
                   .Exec("insert page",
                         "INSERT INTO pages (id, display_name, url, time_zone, "
                         "create_time, update_time, version) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         {page.id, page.display_name, page.url, page.time_zone,
                          page.create_time, page.update_time, page.version})
                   .status(),
               "page");
}

absl::Status MysqlPageRepository::Update(const Page& page) {
  absl::StatusOr<int64_t> rows = session_.Exec(
      "update page",
      "UPDATE pages SET display_name = ?, url = ?, time_zone = ?, "
      "update_time = ?, version = ? WHERE id = ? AND version = ?",
      {page.display_name, page.url, page.time_zone, page.update_time,
       page.version, page.id, page.version - 1});
  if (!rows.ok()) return rows.status();
  if (*rows == 0) {
    return StaleOrMissing(session_, "page", "SELECT 1 FROM pages WHERE id = ?",
                          {page.id});
  }
  return absl::OkStatus();
}

absl::Status MysqlPageRepository::Delete(std::string_view page_id) {
  // The foreign keys cascade from pages to everything under them, except
  // components' group reference (deliberately without an action), so
  // ungroup first; request records have no foreign key at all.
  absl::StatusOr<int64_t> rows =
      session_.Exec("delete page",
                    "UPDATE components SET group_id = NULL "
                    "WHERE page_id = ? AND group_id IS NOT NULL",
                    {page_id});
  if (!rows.ok()) return rows.status();
  rows = session_.Exec(
      "delete page", "DELETE FROM request_records WHERE scope = ?", {page_id});
  if (!rows.ok()) return rows.status();
  rows =
      session_.Exec("delete page", "DELETE FROM pages WHERE id = ?", {page_id});
  if (!rows.ok()) return rows.status();
  if (*rows == 0) return NotFound("page");
  return absl::OkStatus();
}

absl::StatusOr<bool> MysqlPageRepository::HasChildren(
    std::string_view page_id) {
  bool page_exists = false;
  bool has_children = false;
  absl::Status status = session_.Query(
      "check page children",
      "SELECT EXISTS (SELECT 1 FROM pages WHERE id = ?), "
      "EXISTS (SELECT 1 FROM components WHERE page_id = ?) OR "
      "EXISTS (SELECT 1 FROM component_groups WHERE page_id = ?) OR "
      "EXISTS (SELECT 1 FROM incidents WHERE page_id = ?)",
      {page_id, page_id, page_id, page_id}, [&](const SqlRow& row) {
        page_exists = row.Bool(1);
        has_children = row.Bool(2);
      });
  if (!status.ok()) return status;
  if (!page_exists) return NotFound("page");
  return has_children;
}

}  // namespace incidentd::storage::mysql
