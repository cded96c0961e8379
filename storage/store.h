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
  // Maintenance, on any page, whose "starting soon" reminder is due at
  // `now`: SCHEDULED, scheduled_start_time in (now, now + lead], created
  // more than `lead` before that start (else the notice of its scheduling
  // serves), and not reminded yet for that start time (a rescheduled one is
  // reminded again). Locked FOR UPDATE SKIP LOCKED, as above.
  virtual absl::StatusOr<std::vector<Incident>> LockDueReminders(
      absl::Time now, absl::Duration lead, int limit) = 0;
  // Records that the reminder for the start time `start` was sent. Not a
  // change of the incident: version and update_time stay.
  virtual absl::Status MarkReminded(std::string_view page_id,
                                    std::string_view id, absl::Time start) = 0;

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
  // One event; NOT_FOUND when the page has no such event (never was, or
  // pruned).
  virtual absl::StatusOr<Event> Get(std::string_view page_id, int64_t seq) = 0;
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

// Which subscribers a list returns, and where it resumes.
struct SubscriberQuery {
  std::string page_id;
  SubscriberState state = SubscriberState::kUnspecified;  // any
  std::string after_id;  // id order; "" for the first page
  int limit = 100;
};

// The subscribers of a page, and the scheduling of their deliveries.
// Subscribers are unique per (page, kind, address).
class SubscriberRepository {
 public:
  virtual ~SubscriberRepository() = default;
  virtual absl::StatusOr<Subscriber> Get(std::string_view page_id,
                                         std::string_view id, Lock lock) = 0;
  enum class Token { kConfirmation, kUnsubscribe };
  // The subscriber, on any page, whose token of that kind this is.
  // NOT_FOUND when none (also for an empty token).
  virtual absl::StatusOr<Subscriber> FindByToken(Token kind,
                                                 std::string_view token,
                                                 Lock lock) = 0;
  // Ordered by id.
  virtual absl::StatusOr<std::vector<Subscriber>> List(
      const SubscriberQuery& query) = 0;
  // Every subscriber of the page that events notify (ACTIVE or
  // QUARANTINED), ordered by id: what the dispatcher matches events with.
  virtual absl::StatusOr<std::vector<Subscriber>> ListNotified(
      std::string_view page_id) = 0;
  struct Counts {
    int64_t pending_confirmation = 0;
    int64_t active = 0;
    int64_t quarantined = 0;
  };
  // NOT_FOUND for an unknown page.
  virtual absl::StatusOr<Counts> CountByState(std::string_view page_id) = 0;
  // ALREADY_EXISTS "subscriber already exists" when the id is taken,
  // "address already subscribed" when the page has that kind and address.
  virtual absl::Status Insert(const Subscriber& subscriber) = 0;
  // Writes every field but the key, kind, address and create_time (version
  // check as for every Update).
  virtual absl::Status Update(const Subscriber& subscriber) = 0;
  // Deletes the subscriber with its deliveries.
  virtual absl::Status Delete(std::string_view page_id,
                              std::string_view id) = 0;

  // --- Delivery scheduling. These write no version: they are the
  // workers' bookkeeping, not edits of the subscriber.

  // Makes each subscriber (ids of the page) due no later than `due`.
  virtual absl::Status MarkDue(std::string_view page_id,
                               const std::vector<std::string>& ids,
                               absl::Time due) = 0;
  // Leases at most `limit` subscribers that are not QUARANTINED (pending
  // ones have their confirmation mail to get), on any page, that are due at
  // `now` and whose lease is free or expired, earliest due first: the rows
  // are read FOR UPDATE SKIP LOCKED (so concurrent callers take disjoint
  // sets) and given lease_owner = owner until `lease_until`. Run it in a
  // transaction of its own, so the leases show at once.
  virtual absl::StatusOr<std::vector<Subscriber>> ClaimDue(
      absl::Time now, std::string_view owner, absl::Time lease_until,
      int limit) = 0;
  struct LeaseEnd {
    int32_t consecutive_failures = 0;
    std::optional<absl::Time> failing_since;
    // When it is next due; nullopt when nothing is pending.
    std::optional<absl::Time> next_due;
  };
  // Ends `owner`'s lease, writing the delivery health and the next due
  // time. FAILED_PRECONDITION, writing nothing, when `owner` no longer
  // holds the lease (it expired and another worker took it).
  virtual absl::Status ReleaseLease(std::string_view page_id,
                                    std::string_view id, std::string_view owner,
                                    const LeaseEnd& end) = 0;
};

// Which deliveries a list returns, in (subscriber id, event seq) order.
struct DeliveryQuery {
  std::string page_id;
  std::string subscriber_id;  // "" for every subscriber of the page
  std::optional<int64_t> event_seq;  // one event (0: confirmation mails)
  DeliveryState state = DeliveryState::kUnspecified;  // any
  // Resume strictly after (subscriber id, event seq).
  std::optional<std::pair<std::string, int64_t>> after;
  int limit = 100;
};

// The notifications to send, and the dispatcher's per-page cursor into the
// event log.
class DeliveryRepository {
 public:
  virtual ~DeliveryRepository() = default;
  // Records the deliveries not recorded yet (same page, subscriber and
  // event); returns how many were new. NOT_FOUND when a subscriber is gone.
  virtual absl::StatusOr<int64_t> InsertNew(
      const std::vector<Delivery>& deliveries) = 0;
  virtual absl::StatusOr<Delivery> Get(std::string_view page_id,
                                       std::string_view subscriber_id,
                                       int64_t event_seq, Lock lock) = 0;
  virtual absl::StatusOr<std::vector<Delivery>> List(
      const DeliveryQuery& query) = 0;
  // The subscriber's deliveries still to make (PENDING or RETRYING), in
  // event order, at most `limit`.
  virtual absl::StatusOr<std::vector<Delivery>> ListOpen(
      std::string_view page_id, std::string_view subscriber_id, int limit) = 0;
  // Writes state, attempts, last_error, horizon_start and the attempt and
  // delivery times. NOT_FOUND when it is gone.
  virtual absl::Status Update(const Delivery& delivery) = 0;
  // Makes every open delivery of the subscriber due at `when`; returns how
  // many.
  virtual absl::StatusOr<int64_t> RescheduleOpen(
      std::string_view page_id, std::string_view subscriber_id,
      absl::Time when) = 0;
  // Deletes at most `limit` DELIVERED or FAILED deliveries created before
  // `before`; returns how many.
  virtual absl::StatusOr<int64_t> PruneFinished(absl::Time before,
                                                int limit) = 0;

  // --- The dispatcher's cursor: per page, the last event sequence that was
  // turned into deliveries. A page without one counts as at 0.
  struct Backlog {
    std::string page_id;
    int64_t cursor = 0;
    int64_t last_seq = 0;  // the page's latest event
  };
  // Pages whose log has events past their cursor and that have a
  // subscriber events notify (ACTIVE or QUARANTINED), at most `limit`.
  // Pages without one are left behind at no cost: a subscriber hears only
  // of events after it became active (Subscriber.after_seq), so when one
  // arrives the old events are passed over, not sent.
  //
  // Without this, every commit on any page cost a second write
  // transaction (the cursor's) even with nobody to notify.

  virtual absl::StatusOr<std::vector<Backlog>> ListBacklog(int limit) = 0;
  // Locks the page's cursor row (FOR UPDATE SKIP LOCKED), creating it at 0
  // when missing, and returns its position; nullopt when another
  // transaction holds it. NOT_FOUND for an unknown page.
  virtual absl::StatusOr<std::optional<int64_t>> LockCursor(
      std::string_view page_id) = 0;
  // Moves the locked cursor to `seq`.
  virtual absl::Status SetCursor(std::string_view page_id, int64_t seq) = 0;
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
  virtual SubscriberRepository& subscribers() = 0;
  virtual DeliveryRepository& deliveries() = 0;
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
