// The MySQL repositories: each one runs its SQL through the Session of the
// transaction it belongs to. Constructed by MysqlTransaction only.
#ifndef INCIDENTD_STORAGE_MYSQL_REPOSITORIES_H_
#define INCIDENTD_STORAGE_MYSQL_REPOSITORIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/model.h"
#include "storage/mysql/session.h"
#include "storage/store.h"

namespace incidentd::storage::mysql {

class MysqlPageRepository : public PageRepository {
 public:
  explicit MysqlPageRepository(Session& session) : session_(session) {}
  absl::StatusOr<Page> Get(std::string_view page_id, Lock lock) override;
  absl::StatusOr<std::vector<Page>> List(std::string_view after_id,
                                         int limit) override;
  absl::Status Insert(const Page& page) override;
  absl::Status Update(const Page& page) override;
  absl::Status Delete(std::string_view page_id) override;
  absl::StatusOr<bool> HasChildren(std::string_view page_id) override;

 private:
  Session& session_;
};

class MysqlComponentRepository : public ComponentRepository {
 public:
  explicit MysqlComponentRepository(Session& session) : session_(session) {}
  absl::StatusOr<Component> Get(std::string_view page_id, std::string_view id,
                                Lock lock) override;
  absl::StatusOr<std::vector<Component>> List(
      std::string_view page_id, std::string_view group_id,
      const std::optional<ComponentCursor>& after, int limit) override;
  absl::Status Insert(const Component& component) override;
  absl::Status Update(const Component& component) override;
  absl::Status Delete(std::string_view page_id, std::string_view id) override;

  absl::StatusOr<ComponentGroup> GetGroup(std::string_view page_id,
                                          std::string_view id,
                                          Lock lock) override;
  absl::StatusOr<std::vector<ComponentGroup>> ListGroups(
      std::string_view page_id, const std::optional<ComponentCursor>& after,
      int limit) override;
  absl::Status InsertGroup(const ComponentGroup& group) override;
  absl::Status UpdateGroup(const ComponentGroup& group) override;
  absl::Status DeleteGroup(std::string_view page_id,
                           std::string_view id) override;

 private:
  Session& session_;
};

class MysqlIncidentRepository : public IncidentRepository {
 public:
  explicit MysqlIncidentRepository(Session& session) : session_(session) {}
  absl::StatusOr<Incident> Get(std::string_view page_id, std::string_view id,
                               Lock lock) override;
  absl::StatusOr<std::vector<Incident>> List(
      const IncidentQuery& query) override;
  absl::StatusOr<std::vector<Incident>> ListOpen(
      std::string_view page_id) override;
  absl::StatusOr<bool> IsComponentInOpenIncident(
      std::string_view page_id, std::string_view component_id) override;
  absl::Status Insert(const Incident& incident) override;
  absl::Status Update(const Incident& incident) override;
  absl::StatusOr<std::vector<Incident>> LockDueMaintenance(absl::Time now,
                                                           int limit) override;
  absl::StatusOr<std::vector<Incident>> LockDueReminders(absl::Time now,
                                                         absl::Duration lead,
                                                         int limit) override;
  absl::Status MarkReminded(std::string_view page_id, std::string_view id,
                            absl::Time start) override;

  absl::StatusOr<std::vector<IncidentUpdate>> ListUpdates(
      std::string_view page_id, std::string_view incident_id,
      const std::optional<UpdateCursor>& after, int limit) override;
  absl::StatusOr<IncidentUpdate> GetUpdate(std::string_view page_id,
                                           std::string_view incident_id,
                                           std::string_view update_id,
                                           Lock lock) override;
  absl::StatusOr<int64_t> InsertUpdate(const IncidentUpdate& update) override;
  absl::Status EditUpdate(const IncidentUpdate& update) override;

 private:
  // Runs an incidents SELECT (columns kIncidentColumns) and fills in the
  // affected components of every row.
  absl::StatusOr<std::vector<Incident>> QueryIncidents(
      absl::string_view operation, absl::string_view sql_text,
      absl::Span<const SqlValue> params);
  absl::Status LoadComponents(std::vector<Incident>& incidents);
  absl::Status InsertComponents(const Incident& incident);
  // Fills in component changes and previous versions.
  absl::Status LoadUpdateChildren(std::vector<IncidentUpdate>& updates);
  absl::Status InsertRevision(const IncidentUpdate& update, int revision);

  Session& session_;
};

class MysqlPostmortemRepository : public PostmortemRepository {
 public:
  explicit MysqlPostmortemRepository(Session& session) : session_(session) {}
  absl::StatusOr<Postmortem> Get(std::string_view page_id,
                                 std::string_view incident_id,
                                 Lock lock) override;
  absl::Status Insert(const Postmortem& postmortem) override;
  absl::Status Update(const Postmortem& postmortem) override;
  absl::StatusOr<std::vector<Postmortem>> ListRevisions(
      std::string_view page_id, std::string_view incident_id,
      int64_t before_revision, int limit) override;

  absl::StatusOr<CorrectiveAction> GetAction(std::string_view page_id,
                                             std::string_view incident_id,
                                             std::string_view id,
                                             Lock lock) override;
  absl::StatusOr<std::vector<CorrectiveAction>> ListActions(
      std::string_view page_id, std::string_view incident_id, int64_t after_seq,
      int limit) override;
  absl::StatusOr<int64_t> InsertAction(const CorrectiveAction& action) override;
  absl::Status UpdateAction(const CorrectiveAction& action) override;

 private:
  absl::Status InsertSections(const Postmortem& postmortem);
  // Records `postmortem` as revision postmortem.revision unless it exists.
  absl::Status RecordRevision(const Postmortem& postmortem);

  Session& session_;
};

class MysqlRequestRepository : public RequestRepository {
 public:
  explicit MysqlRequestRepository(Session& session) : session_(session) {}
  absl::StatusOr<RequestRecord> Find(std::string_view scope,
                                     std::string_view request_id) override;
  absl::Status Insert(const RequestRecord& record) override;

 private:
  Session& session_;
};

class MysqlEventRepository : public EventRepository {
 public:
  explicit MysqlEventRepository(Session& session) : session_(session) {}
  absl::Status Append(Event& event) override;
  absl::StatusOr<std::vector<Event>> List(std::string_view page_id,
                                          int64_t after_seq,
                                          int limit) override;
  absl::StatusOr<Event> Get(std::string_view page_id, int64_t seq) override;
  absl::StatusOr<Head> GetHead(std::string_view page_id) override;
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> LastSequences(
      const std::vector<std::string>& page_ids) override;
  absl::StatusOr<int64_t> PruneBefore(absl::Time before, int limit) override;

 private:
  // Advances the page's counter (taking its row lock) and returns the new
  // sequence and the create_time to store.
  absl::Status NextSequence(const Event& event, int64_t* seq,
                            absl::Time* create_time);

  Session& session_;
};

class MysqlSubscriberRepository : public SubscriberRepository {
 public:
  explicit MysqlSubscriberRepository(Session& session) : session_(session) {}
  absl::StatusOr<Subscriber> Get(std::string_view page_id, std::string_view id,
                                 Lock lock) override;
  absl::StatusOr<Subscriber> FindByToken(Token kind, std::string_view token,
                                         Lock lock) override;
  absl::StatusOr<std::vector<Subscriber>> List(
      const SubscriberQuery& query) override;
  absl::StatusOr<std::vector<Subscriber>> ListNotified(
      std::string_view page_id) override;
  absl::StatusOr<Counts> CountByState(std::string_view page_id) override;
  absl::Status Insert(const Subscriber& subscriber) override;
  absl::Status Update(const Subscriber& subscriber) override;
  absl::Status Delete(std::string_view page_id, std::string_view id) override;
  absl::Status MarkDue(std::string_view page_id,
                       const std::vector<std::string>& ids,
                       absl::Time due) override;
  absl::StatusOr<std::vector<Subscriber>> ClaimDue(absl::Time now,
                                                   std::string_view owner,
                                                   absl::Time lease_until,
                                                   int limit) override;
  absl::Status ReleaseLease(std::string_view page_id, std::string_view id,
                            std::string_view owner,
                            const LeaseEnd& end) override;

 private:
  // Runs a subscribers SELECT of the columns kSubscriberColumns.
  absl::StatusOr<std::vector<Subscriber>> QuerySubscribers(
      absl::string_view operation, absl::string_view sql_text,
      absl::Span<const SqlValue> params);
  // After an insert hit a unique key: which one, as the message says.
  absl::Status WhichDuplicate(const Subscriber& subscriber);

  Session& session_;
};

class MysqlDeliveryRepository : public DeliveryRepository {
 public:
  explicit MysqlDeliveryRepository(Session& session) : session_(session) {}
  absl::StatusOr<int64_t> InsertNew(
      const std::vector<Delivery>& deliveries) override;
  absl::StatusOr<Delivery> Get(std::string_view page_id,
                               std::string_view subscriber_id,
                               int64_t event_seq, Lock lock) override;
  absl::StatusOr<std::vector<Delivery>> List(
      const DeliveryQuery& query) override;
  absl::StatusOr<std::vector<Delivery>> ListOpen(std::string_view page_id,
                                                 std::string_view subscriber_id,
                                                 int limit) override;
  absl::Status Update(const Delivery& delivery) override;
  absl::StatusOr<int64_t> RescheduleOpen(std::string_view page_id,
                                         std::string_view subscriber_id,
                                         absl::Time when) override;
  absl::StatusOr<int64_t> PruneFinished(absl::Time before, int limit) override;
  absl::StatusOr<std::vector<Backlog>> ListBacklog(int limit) override;
  absl::StatusOr<std::optional<int64_t>> LockCursor(
      std::string_view page_id) override;
  absl::Status SetCursor(std::string_view page_id, int64_t seq) override;

 private:
  absl::StatusOr<std::vector<Delivery>> QueryDeliveries(
      absl::string_view operation, absl::string_view sql_text,
      absl::Span<const SqlValue> params);

  Session& session_;
};

// Shared by the repositories.

// After an UPDATE ... WHERE version = ? changed no row: ABORTED when the row
// exists (its version moved on), NOT_FOUND when it does not.
// `exists_sql_text` selects 1 for the row given `key`.
absl::Status StaleOrMissing(Session& session, absl::string_view what,
                            absl::string_view exists_sql_text,
                            absl::Span<const SqlValue> key);

// Runs `insert_prefix` ("INSERT INTO t (a, b) VALUES ") for rows of
// `width` values each, laid out one after another in `values`. Rows go in
// chunks of power-of-two sizes (13 rows: 8, 4, 1), so few round trips and
// few distinct statement texts serve any row count.
absl::Status InsertRows(Session& session, absl::string_view operation,
                        absl::string_view insert_prefix, int width,
                        absl::Span<const SqlValue> values);
// InsertRows with `suffix` after each chunk's rows (e.g. " ON DUPLICATE KEY
// UPDATE ..."); returns the sum of the rows each chunk changed.
absl::StatusOr<int64_t> InsertRowsCounted(Session& session,
                                          absl::string_view operation,
                                          absl::string_view insert_prefix,
                                          absl::string_view suffix, int width,
                                          absl::Span<const SqlValue> values);

// Lists of ids in one column (events and subscribers): joined with ',',
// which no valid id contains ([a-z0-9-]); "" for none. Encoding refuses an
// empty id or one with a ',' (INVALID_ARGUMENT naming `operation`), so that
// what is stored always splits back into the same list.
absl::StatusOr<std::string> EncodeIdList(absl::string_view operation,
                                         const std::vector<std::string>& ids);
std::vector<std::string> DecodeIdList(const std::string& encoded);

// The status for a record that was not found, e.g. "page not found".
absl::Status NotFound(absl::string_view what);

// Rewrites the message of a status from a write, naming the record
// ("page already exists") instead of the generic database text.
absl::Status Named(absl::Status status, absl::string_view what);

}  // namespace incidentd::storage::mysql

#endif  // INCIDENTD_STORAGE_MYSQL_REPOSITORIES_H_
