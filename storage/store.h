// The storage interfaces: small repositories in domain types, reached
// through a Transaction, and the Store that runs transactions. Only
// storage/mysql/ implements them and only it knows SQL.
//
// Conventions for every repository method:
//   - NOT_FOUND when the named record (or its page) does not exist.
//   - Insert*: ALREADY_EXISTS when the id is taken.
//   - Update*: the caller passes the record with `version` already
//     incremented; the write succeeds only if the stored version is
//     version - 1, else ABORTED ("changed concurrently"). Nothing is written
//     on any error.
//   - List* take a cursor (the last row of the previous page, exclusive) and
//     a limit; they return at most `limit` rows.
//   - Lock::kForUpdate takes a row lock until the transaction ends, so that a
//     read-check-write inside one transaction cannot lose an update.
//   - Errors never carry SQL; UNAVAILABLE when the database cannot be
//     reached, DEADLINE_EXCEEDED when the deadline passed.
#ifndef INCIDENTD_STORAGE_STORE_H_
#define INCIDENTD_STORAGE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/model.h"

namespace incidentd::storage {

enum class Lock { kNone, kForUpdate };

class PageRepository {
 public:
  virtual ~PageRepository() = default;
  virtual absl::StatusOr<Page> Get(std::string_view page_id, Lock lock) = 0;
  // Ordered by id; `after_id` empty for the first page.
  virtual absl::StatusOr<std::vector<Page>> List(std::string_view after_id,
                                                 int limit) = 0;
  virtual absl::Status Insert(const Page& page) = 0;
  virtual absl::Status Update(const Page& page) = 0;
  // Deletes the page and everything under it.
  virtual absl::Status Delete(std::string_view page_id) = 0;
  // Whether the page has any component, group or incident.
  virtual absl::StatusOr<bool> HasChildren(std::string_view page_id) = 0;
};

struct ComponentCursor {
  int32_t position = 0;
  std::string id;
};

class ComponentRepository {
 public:
  virtual ~ComponentRepository() = default;
  virtual absl::StatusOr<Component> Get(std::string_view page_id,
                                        std::string_view id, Lock lock) = 0;
  // Display order: position, then id. `group_id` filters when not empty.
  virtual absl::StatusOr<std::vector<Component>> List(
      std::string_view page_id, std::string_view group_id,
      const std::optional<ComponentCursor>& after, int limit) = 0;
  virtual absl::Status Insert(const Component& component) = 0;
  virtual absl::Status Update(const Component& component) = 0;
  virtual absl::Status Delete(std::string_view page_id,
                              std::string_view id) = 0;

  virtual absl::StatusOr<ComponentGroup> GetGroup(std::string_view page_id,
                                                  std::string_view id,
                                                  Lock lock) = 0;
  // Display order: position, then id.
  virtual absl::StatusOr<std::vector<ComponentGroup>> ListGroups(
      std::string_view page_id, const std::optional<ComponentCursor>& after,
      int limit) = 0;
  virtual absl::Status InsertGroup(const ComponentGroup& group) = 0;
  virtual absl::Status UpdateGroup(const ComponentGroup& group) = 0;
  // Its components become ungrouped (their version is not changed).
  virtual absl::Status DeleteGroup(std::string_view page_id,
                                   std::string_view id) = 0;
};

// Which incidents a list returns, and where it resumes.
struct IncidentQuery {
  std::string page_id;
  IncidentKind kind = IncidentKind::kUnspecified;  // any
  enum class State { kAny, kOpen, kClosed } state = State::kAny;
  std::string component_id;                  // any when empty
  std::optional<absl::Time> start_time_from;  // inclusive
  std::optional<absl::Time> start_time_to;    // exclusive
  // Newest first: ordered by (start_time, id) descending; incidents without
  // a start time sort by create_time. Resume strictly after this pair.
  struct Cursor {
    absl::Time start_time;
    std::string id;
  };
  std::optional<Cursor> after;
  int limit = 20;
};

// Open means: status not RESOLVED, COMPLETED or CANCELLED.
class IncidentRepository {
 public:
  virtual ~IncidentRepository() = default;
  virtual absl::StatusOr<Incident> Get(std::string_view page_id,
                                       std::string_view id, Lock lock) = 0;
  virtual absl::StatusOr<std::vector<Incident>> List(
      const IncidentQuery& query) = 0;
  // Every open incident and maintenance of a page, newest first.
  virtual absl::StatusOr<std::vector<Incident>> ListOpen(
      std::string_view page_id) = 0;
  // Whether an open incident lists the component as affected.
  virtual absl::StatusOr<bool> IsComponentInOpenIncident(
      std::string_view page_id, std::string_view component_id) = 0;
  virtual absl::Status Insert(const Incident& incident) = 0;
  virtual absl::Status Update(const Incident& incident) = 0;

  // Maintenance, on any page, due for an automatic transition at `now`:
  // not manual_transitions, and either SCHEDULED with scheduled_start_time
  // <= now, or IN_PROGRESS/VERIFYING with scheduled_end_time <= now. Rows
  // are locked FOR UPDATE SKIP LOCKED, so concurrent callers on other
  // replicas take disjoint sets.
  virtual absl::StatusOr<std::vector<Incident>> LockDueMaintenance(
      absl::Time now, int limit) = 0;

  // Timeline. Ordered newest first by (display_time, seq); resume strictly
  // after `after` (display_time, seq) when set.
  struct UpdateCursor {
    absl::Time display_time;
    int64_t seq = 0;
  };
  virtual absl::StatusOr<std::vector<IncidentUpdate>> ListUpdates(
      std::string_view page_id, std::string_view incident_id,
      const std::optional<UpdateCursor>& after, int limit) = 0;
  virtual absl::StatusOr<IncidentUpdate> GetUpdate(std::string_view page_id,
                                                   std::string_view incident_id,
                                                   std::string_view update_id,
                                                   Lock lock) = 0;
  // Assigns and returns the update's seq (increasing in insertion order).
  virtual absl::StatusOr<int64_t> InsertUpdate(const IncidentUpdate& update) = 0;
  // Writes body, display time and zone, update_time and version (the
  // version check as for every Update), and appends
  // update.previous_versions.back() as the newest revision.
  virtual absl::Status EditUpdate(const IncidentUpdate& update) = 0;
};

class PostmortemRepository {
 public:
  virtual ~PostmortemRepository() = default;
  virtual absl::StatusOr<Postmortem> Get(std::string_view page_id,
                                         std::string_view incident_id,
                                         Lock lock) = 0;
  // Insert and Update also record the postmortem as revision
  // `postmortem.revision` when no such revision exists yet.
  virtual absl::Status Insert(const Postmortem& postmortem) = 0;
  virtual absl::Status Update(const Postmortem& postmortem) = 0;
  // Newest first; resume strictly below `before_revision` when > 0.
  virtual absl::StatusOr<std::vector<Postmortem>> ListRevisions(
      std::string_view page_id, std::string_view incident_id,
      int64_t before_revision, int limit) = 0;

  virtual absl::StatusOr<CorrectiveAction> GetAction(
      std::string_view page_id, std::string_view incident_id,
      std::string_view id, Lock lock) = 0;
  // Creation order; resume strictly after `after_seq` when > 0.
  virtual absl::StatusOr<std::vector<CorrectiveAction>> ListActions(
      std::string_view page_id, std::string_view incident_id,
      int64_t after_seq, int limit) = 0;
  // Assigns and returns the action's seq.
  virtual absl::StatusOr<int64_t> InsertAction(
      const CorrectiveAction& action) = 0;
  virtual absl::Status UpdateAction(const CorrectiveAction& action) = 0;
};

// Client request ids, for idempotent creates. The record is written in the
// same transaction as the resource it produced.
class RequestRepository {
 public:
  virtual ~RequestRepository() = default;
  // NOT_FOUND when the id was never used in that scope.
  virtual absl::StatusOr<RequestRecord> Find(std::string_view scope,
                                             std::string_view request_id) = 0;
  // ALREADY_EXISTS when (scope, request_id) was recorded concurrently.
  virtual absl::Status Insert(const RequestRecord& record) = 0;
};

// The per-page event log. Sequence numbers are per page, start at 1 and
// increase by exactly one per committed event, in commit order: Append
// takes the page's sequence lock (a row lock held until the transaction
// ends), so a later commit always has a higher sequence and a rolled-back
// transaction leaves no gap. Append events LAST in a transaction, after
// every other write, to hold that lock as briefly as possible and always in
// the same order (no deadlocks).
class EventRepository {
 public:
  virtual ~EventRepository() = default;
  // Assigns event.seq (the page's next sequence) and event.create_time as
  // stored: never earlier than the page's previous event, so that a page's
  // times follow its sequence even when replica clocks differ, and pruning
  // by time never leaves a hole below a kept event. NOT_FOUND for an unknown
  // page; INVALID_ARGUMENT for an empty component id or one with a comma.
  virtual absl::Status Append(Event& event) = 0;
  // Events with seq > after_seq, ascending, at most `limit`. NOT_FOUND for
  // an unknown page.
  virtual absl::StatusOr<std::vector<Event>> List(std::string_view page_id,
                                                  int64_t after_seq,
                                                  int limit) = 0;
  struct Head {
    // The page's latest sequence (0: no event yet).
    int64_t last_seq = 0;
    // The oldest sequence still kept (0: none kept, e.g. all pruned).
    int64_t first_kept_seq = 0;
  };
  // NOT_FOUND for an unknown page.
  virtual absl::StatusOr<Head> GetHead(std::string_view page_id) = 0;
  // The latest sequence of each given page that exists (pages without
  // events map to 0; unknown pages are left out). For tailing many pages in
  // one query.
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>>
  LastSequences(const std::vector<std::string>& page_ids) = 0;
  // Deletes at most `limit` events created before `before` (any page);
  // returns how many. The sequence counters are kept, so numbering goes on.
  virtual absl::StatusOr<int64_t> PruneBefore(absl::Time before, int limit) = 0;
};

// One unit of work: everything done through it commits or rolls back
// together.
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual PageRepository& pages() = 0;
  virtual ComponentRepository& components() = 0;
  virtual IncidentRepository& incidents() = 0;
  virtual PostmortemRepository& postmortems() = 0;
  virtual RequestRepository& requests() = 0;
  virtual EventRepository& events() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // Runs `fn` in one read-write transaction and commits if it returns OK;
  // rolls back otherwise and returns its status. Deadlocks and lock wait
  // timeouts are retried a bounded number of times, so `fn` must have no
  // effect outside the transaction. No statement starts after `deadline`
  // (DEADLINE_EXCEEDED).
  virtual absl::Status ReadWrite(absl::Time deadline,
                                 absl::FunctionRef<absl::Status(Transaction&)> fn) = 0;
  // Runs `fn` in a read-only transaction with a consistent snapshot; locks
  // are not allowed there.
  virtual absl::Status ReadOnly(absl::Time deadline,
                                absl::FunctionRef<absl::Status(Transaction&)> fn) = 0;
  // OK when the database answers a trivial query before `deadline`.
  virtual absl::Status Ping(absl::Time deadline) = 0;
};

}  // namespace incidentd::storage

#endif  // INCIDENTD_STORAGE_STORE_H_
