#include "bench/write/raw_post.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/write/fixture.h"
#include "storage/model.h"

namespace incidentd::bench::write {
namespace {

// The statements of one post, as storage/mysql writes them (the texts must
// match byte for byte: the run compares both sides' general log).
constexpr char kFindRequest[] =
    "SELECT scope, request_id, method, fingerprint, resource_name, "
    "create_time FROM request_records WHERE scope = ? AND request_id = ?";
constexpr char kLockIncident[] =
    "SELECT page_id, id, title, kind, status, derived_impact, "
    "impact_override, start_time, resolve_time, impact_start_time, "
    "impact_end_time, scheduled_start_time, scheduled_end_time, "
    "manual_transitions, create_time, update_time, version FROM incidents "
    "WHERE page_id = ? AND id = ? FOR UPDATE";
constexpr char kIncidentComponents[] =
    "SELECT incident_id, component_id FROM incident_components "
    "WHERE page_id = ? AND incident_id IN (?) ORDER BY incident_id, position";
constexpr char kPage[] =
    "SELECT id, display_name, url, time_zone, create_time, update_time, "
    "version FROM pages WHERE id = ?";
constexpr char kUpdateIncident[] =
    "UPDATE incidents SET title = ?, kind = ?, status = ?, is_open = ?, "
    "derived_impact = ?, impact_override = ?, start_time = ?, "
    "sort_time = ?, resolve_time = ?, impact_start_time = ?, "
    "impact_end_time = ?, scheduled_start_time = ?, "
    "scheduled_end_time = ?, manual_transitions = ?, update_time = ?, "
    "version = ? WHERE page_id = ? AND id = ? AND version = ?";
constexpr char kDeleteComponents[] =
    "DELETE FROM incident_components WHERE page_id = ? AND incident_id = ?";
constexpr char kInsertComponent[] =
    "INSERT INTO incident_components (page_id, incident_id, position, "
    "component_id) VALUES (?, ?, ?, ?)";
constexpr char kInsertUpdate[] =
    "INSERT INTO incident_updates (page_id, incident_id, id, status, "
    "resulting_status, body, display_time, display_time_zone, create_time, "
    "author, notify, reopen, update_time, version) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kLastInsertId[] = "SELECT LAST_INSERT_ID()";
constexpr char kInsertRequest[] =
    "INSERT INTO request_records (scope, request_id, method, fingerprint, "
    "resource_name, create_time) VALUES (?, ?, ?, ?, ?, ?)";
constexpr char kLockSequence[] =
    "SELECT last_seq, last_time FROM event_sequences WHERE page_id = ? "
    "FOR UPDATE";
constexpr char kInsertEvent[] =
    "INSERT INTO events (page_id, seq, type, create_time, actor, "
    "resource_name, incident_id, component_ids, notify, payload) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kUpdateSequence[] =
    "UPDATE event_sequences SET last_seq = ?, last_time = ? WHERE page_id = ?";

// A request fingerprint is a SHA-256 in hex (server/fingerprint.cc); its
// value does not matter here, its length does.
constexpr char kFingerprint[] =
    "5f1c3a9e0b7d4e2f8a6c1d3b5e7f9a0c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d0f";

// As storage/mysql/sql_time.cc formats times: UTC, microseconds.
std::string SqlNow() {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S",
                          absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())),
                          absl::UTCTimeZone());
}

// A 20-character id from [a-z0-9], as server/names.cc makes them.
std::string NewId(absl::BitGen& gen) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string id(20, 'a');
  for (char& c : id) c = kAlphabet[absl::Uniform<size_t>(gen, 0, 36)];
  return id;
}

bool IsOpen(int64_t status) {
  const auto s = static_cast<IncidentStatus>(status);
  return s != IncidentStatus::kResolved && s != IncidentStatus::kCompleted &&
         s != IncidentStatus::kCancelled;
}

// A nullable column, as read and written back.
struct OptText {
  bool null = true;
  std::string text;
};
OptText ReadOpt(sql::ResultSet& rs, int column) {
  if (rs.isNull(column)) return {};
  return {false, rs.getString(column).asStdString()};
}
void BindOpt(sql::PreparedStatement& st, int index, const OptText& v) {
  if (v.null) {
    st.setNull(index, 0);
  } else {
    st.setString(index, v.text);
  }
}

absl::Status FromException(const sql::SQLException& e) {
  return absl::UnknownError(
      absl::StrCat("MySQL error ", e.getErrorCode(), ": ", e.what()));
}

void PinThisThread(const std::vector<int>& cpus) {
  if (cpus.empty()) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RawPoster>> RawPoster::Open(
    const storage::MysqlConfig& config, size_t payload_bytes) {
  // storage/mysql's own connection set-up: the session settings cannot
  // differ from incidentd's.
  absl::StatusOr<std::unique_ptr<storage::mysql::Connection>> connection =
      storage::mysql::Connection::Open(config,
                                       absl::Now() + absl::Seconds(10));
  if (!connection.ok()) return connection.status();
  std::unique_ptr<RawPoster> p(new RawPoster());
  p->connection_ = *std::move(connection);
  p->payload_.assign(payload_bytes, 'x');
  try {
    sql::Connection& c = p->connection_->raw();
    p->direct_.reset(c.createStatement());
    auto prepare = [&](const char* text) {
      return std::unique_ptr<sql::PreparedStatement>(
          c.prepareStatement(text));
    };
    p->find_request_ = prepare(kFindRequest);
    p->lock_incident_ = prepare(kLockIncident);
    p->incident_components_ = prepare(kIncidentComponents);
    p->page_ = prepare(kPage);
    p->update_incident_ = prepare(kUpdateIncident);
    p->delete_components_ = prepare(kDeleteComponents);
    p->insert_component_ = prepare(kInsertComponent);
    p->insert_update_ = prepare(kInsertUpdate);
    p->last_insert_id_ = prepare(kLastInsertId);
    p->insert_request_ = prepare(kInsertRequest);
    p->lock_sequence_ = prepare(kLockSequence);
    p->insert_event_ = prepare(kInsertEvent);
    p->update_sequence_ = prepare(kUpdateSequence);
  } catch (const sql::SQLException& e) {
    return FromException(e);
  }
  return p;
}

RawPoster::~RawPoster() {
  storage::mysql::EnsureSqlThreadInit();
  // Statements before their connection.
  find_request_.reset();
  lock_incident_.reset();
  incident_components_.reset();
  page_.reset();
  update_incident_.reset();
  delete_components_.reset();
  insert_component_.reset();
  insert_update_.reset();
  last_insert_id_.reset();
  insert_request_.reset();
  lock_sequence_.reset();
  insert_event_.reset();
  update_sequence_.reset();
  direct_.reset();
}

absl::Status RawPoster::Post(const RawTarget& target,
                             const std::string& request_id) {
  try {
    PostOrThrow(target, request_id);
    return absl::OkStatus();
  } catch (const sql::SQLException& e) {
    absl::Status status = FromException(e);
    try {
      direct_->execute("ROLLBACK");
    } catch (const sql::SQLException&) {
      connection_->MarkBroken();
    }
    return status;
  } catch (const std::exception& e) {
    return absl::InternalError(e.what());
  }
}

void RawPoster::PostOrThrow(const RawTarget& target,
                            const std::string& request_id) {
  const std::string& page = target.page_id;
  const std::string& incident = target.incident_id;
  direct_->execute("START TRANSACTION");

  // The request id is new (the idempotency check).
  find_request_->setString(1, page);
  find_request_->setString(2, request_id);
  {
    std::unique_ptr<sql::ResultSet> rs(find_request_->executeQuery());
    if (rs->next()) throw sql::SQLException("request id seen before", "", 0);
  }

  // The incident, locked; the fields the UPDATE writes back.
  lock_incident_->setString(1, page);
  lock_incident_->setString(2, incident);
  std::string title, create_time;
  int64_t kind = 0, status = 0, derived_impact = 0, impact_override = 0,
          manual = 0, version = 0;
  OptText start, resolve, impact_start, impact_end, scheduled_start,
      scheduled_end;
  {
    std::unique_ptr<sql::ResultSet> rs(lock_incident_->executeQuery());
    if (!rs->next()) throw sql::SQLException("no such incident", "", 0);
    title = rs->getString(3).asStdString();
    kind = rs->getInt64(4);
    status = rs->getInt64(5);
    derived_impact = rs->getInt64(6);
    impact_override = rs->getInt64(7);
    start = ReadOpt(*rs, 8);
    resolve = ReadOpt(*rs, 9);
    impact_start = ReadOpt(*rs, 10);
    impact_end = ReadOpt(*rs, 11);
    scheduled_start = ReadOpt(*rs, 12);
    scheduled_end = ReadOpt(*rs, 13);
    manual = rs->getInt64(14);
    create_time = rs->getString(15).asStdString();
    version = rs->getInt64(17);
  }
  incident_components_->setString(1, page);
  incident_components_->setString(2, incident);
  std::vector<std::string> components;
  {
    std::unique_ptr<sql::ResultSet> rs(incident_components_->executeQuery());
    while (rs->next()) components.push_back(rs->getString(2).asStdString());
  }
  // The one-row INSERT below is the statement for exactly one component.
  if (components.size() != 1) {
    throw sql::SQLException("fixture incidents affect one component", "", 0);
  }
  // The update gives no time zone: the page's applies.
  page_->setString(1, page);
  std::string time_zone;
  {
    std::unique_ptr<sql::ResultSet> rs(page_->executeQuery());
    if (!rs->next()) throw sql::SQLException("no such page", "", 0);
    time_zone = rs->getString(4).asStdString();
  }

  const std::string now = SqlNow();
  if (start.null) start = {false, now};
  sql::PreparedStatement& u = *update_incident_;
  u.setString(1, title);
  u.setInt64(2, kind);
  u.setInt64(3, status);
  u.setInt64(4, IsOpen(status) ? 1 : 0);
  u.setInt64(5, derived_impact);
  u.setInt64(6, impact_override);
  BindOpt(u, 7, start);
  u.setString(8, start.null ? create_time : start.text);
  BindOpt(u, 9, resolve);
  BindOpt(u, 10, impact_start);
  BindOpt(u, 11, impact_end);
  BindOpt(u, 12, scheduled_start);
  BindOpt(u, 13, scheduled_end);
  u.setInt64(14, manual);
  u.setString(15, now);
  u.setInt64(16, version + 1);
  u.setString(17, page);
  u.setString(18, incident);
  u.setInt64(19, version);
  if (u.executeUpdate() != 1) throw sql::SQLException("incident changed", "", 0);
  delete_components_->setString(1, page);
  delete_components_->setString(2, incident);
  delete_components_->executeUpdate();
  insert_component_->setString(1, page);
  insert_component_->setString(2, incident);
  insert_component_->setInt64(3, 0);
  insert_component_->setString(4, components[0]);
  insert_component_->executeUpdate();

  const std::string update_id = NewId(bitgen_);
  sql::PreparedStatement& iu = *insert_update_;
  iu.setString(1, page);
  iu.setString(2, incident);
  iu.setString(3, update_id);
  iu.setInt64(4, static_cast<int64_t>(IncidentStatus::kUnspecified));
  iu.setInt64(5, status);
  iu.setString(6, kPostBody);
  iu.setString(7, now);
  iu.setString(8, time_zone);
  iu.setString(9, now);
  iu.setString(10, kPostAuthor);
  iu.setInt64(11, 1);
  iu.setInt64(12, 0);
  iu.setString(13, now);
  iu.setInt64(14, 1);
  iu.executeUpdate();
  {
    std::unique_ptr<sql::ResultSet> rs(last_insert_id_->executeQuery());
    rs->next();
  }
  const std::string update_name = absl::StrCat(
      "pages/", page, "/incidents/", incident, "/updates/", update_id);
  insert_request_->setString(1, page);
  insert_request_->setString(2, request_id);
  insert_request_->setString(3, "PostIncidentUpdate");
  insert_request_->setString(4, kFingerprint);
  insert_request_->setString(5, update_name);
  insert_request_->setString(6, now);
  insert_request_->executeUpdate();

  // The event, numbered under the page's sequence row lock, taken last.
  lock_sequence_->setString(1, page);
  int64_t seq = 0;
  std::string event_time = now;
  {
    std::unique_ptr<sql::ResultSet> rs(lock_sequence_->executeQuery());
    if (!rs->next()) throw sql::SQLException("no event sequence row", "", 0);
    seq = rs->getInt64(1) + 1;
    // Times of one page's events never go backwards (same format: the
    // strings compare as the times do).
    event_time = std::max(event_time, rs->getString(2).asStdString());
  }
  sql::PreparedStatement& ie = *insert_event_;
  ie.setString(1, page);
  ie.setInt64(2, seq);
  ie.setInt64(3, static_cast<int64_t>(EventType::kIncidentUpdatePosted));
  ie.setString(4, event_time);
  ie.setString(5, kPostAuthor);
  ie.setString(6, update_name);
  ie.setString(7, incident);
  ie.setString(8, absl::StrJoin(components, ","));
  ie.setInt64(9, 1);
  ie.setString(10, payload_);
  ie.executeUpdate();
  update_sequence_->setInt64(1, seq);
  update_sequence_->setString(2, event_time);
  update_sequence_->setString(3, page);
  update_sequence_->executeUpdate();
  direct_->execute("COMMIT");
}

absl::StatusOr<LoadResult> RunRawClosedLoop(
    const storage::MysqlConfig& config, const std::vector<RawTarget>& targets,
    size_t payload_bytes, const std::vector<int>& cpus,
    const std::string& request_prefix, const RunTiming& timing,
    const WindowHooks& hooks) {
  const int n = static_cast<int>(targets.size());
  absl::BlockingCounter connected(n);
  absl::Notification go;
  std::atomic<bool> stop{false};
  absl::Time window_start, window_end;  // written before `go`
  std::vector<LoadResult> results(n);
  std::vector<absl::Status> open_errors(n);

  std::vector<std::thread> threads;
  for (int k = 0; k < n; ++k) {
    threads.emplace_back([&, k] {
      PinThisThread(cpus);
      absl::StatusOr<std::unique_ptr<RawPoster>> poster =
          RawPoster::Open(config, payload_bytes);
      if (!poster.ok()) open_errors[k] = poster.status();
      connected.DecrementCount();
      go.WaitForNotification();
      if (!poster.ok()) return;
      LoadResult& r = results[k];
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        const absl::Time begin = absl::Now();
        absl::Status s = (*poster)->Post(
            targets[k], absl::StrCat(request_prefix, "-", k, "-", i));
        const absl::Time end = absl::Now();
        if (end < window_start || end > window_end) continue;
        if (s.ok()) {
          ++r.ok;
          r.ok_latency.Add(end - begin);
        } else {
          ++r.other_errors["MySQL error"];
          if (r.first_error.empty()) r.first_error = std::string(s.message());
        }
      }
      poster->reset();
    });
  }
  connected.Wait();
  window_start = absl::Now() + timing.warmup;
  window_end = window_start + timing.measure;
  go.Notify();
  for (const absl::Status& s : open_errors) {
    if (!s.ok()) {
      stop.store(true);
      for (std::thread& t : threads) t.join();
      return s;
    }
  }
  absl::SleepFor(window_start - absl::Now());
  hooks.at_start();
  absl::SleepFor(window_end - absl::Now());
  hooks.at_end();
  stop.store(true);
  for (std::thread& t : threads) t.join();

  LoadResult result;
  result.window = timing.measure;
  for (const LoadResult& r : results) result.Merge(r);
  return result;
}

}  // namespace incidentd::bench::write
