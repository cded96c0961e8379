// An in-memory storage::Store for unit tests of the service logic: the
// conventions of storage/store.h (NOT_FOUND, ALREADY_EXISTS, version checks,
// orderings, cursors) without a database. Transactions run one at a time;
// a failed one leaves no trace. The event log keeps the gap-free numbering
// of EventRepository: per page from 1, +1 per committed event, and a
// rolled-back transaction's events vanish with their numbers. Subscribers
// and deliveries are not kept: their repositories answer UNIMPLEMENTED (the
// logic over them is tested against MariaDB).
#ifndef INCIDENTD_TESTS_UNIT_SERVER_FAKE_STORE_H_
#define INCIDENTD_TESTS_UNIT_SERVER_FAKE_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "storage/store.h"

namespace incidentd::testing {

class FakeStore final : public storage::Store {
 public:
  using Key2 = std::pair<std::string, std::string>;
  using Key3 = std::tuple<std::string, std::string, std::string>;
  struct State {
    std::map<std::string, Page> pages;
    std::map<Key2, ComponentGroup> groups;
    std::map<Key2, Component> components;
    std::map<Key2, Incident> incidents;
    std::map<Key3, IncidentUpdate> updates;
    int64_t next_update_seq = 1;
    std::map<Key2, Postmortem> postmortems;
    std::map<Key2, std::map<int64_t, Postmortem>> revisions;
    std::map<Key3, CorrectiveAction> actions;
    int64_t next_action_seq = 1;
    std::map<Key2, RequestRecord> requests;
    // Per page: the log by sequence, and the last sequence given out (kept
    // when events are pruned, so that numbering goes on).
    std::map<std::string, std::map<int64_t, Event>> events;
    std::map<std::string, int64_t> last_event_seq;
    // Per maintenance: the start time its "starting soon" reminder was sent
    // for (IncidentRepository::MarkReminded).
    std::map<Key2, absl::Time> reminded_start;
  };

  absl::Status ReadWrite(
      absl::Time deadline,
      absl::FunctionRef<absl::Status(storage::Transaction&)> fn) override;
  absl::Status ReadOnly(
      absl::Time deadline,
      absl::FunctionRef<absl::Status(storage::Transaction&)> fn) override;
  absl::Status Ping(absl::Time deadline) override;

  // While false, every call is UNAVAILABLE, as with the database away.
  void SetAvailable(bool available);
  // While not OK, EventRepository::Append fails with it, as a database
  // failing at the last statement of a transaction would.
  void SetAppendError(absl::Status error);
  // A copy of everything stored, for assertions.
  State Snapshot();
  // The page's committed events, oldest first.
  std::vector<Event> Events(const std::string& page_id);
  // Read-write transactions that committed.
  int writes();

 private:
  absl::Status Run(absl::FunctionRef<absl::Status(storage::Transaction&)> fn,
                   bool write);

  absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_);
  bool available_ ABSL_GUARDED_BY(mu_) = true;
  absl::Status append_error_ ABSL_GUARDED_BY(mu_);
  int committed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace incidentd::testing

#endif  // INCIDENTD_TESTS_UNIT_SERVER_FAKE_STORE_H_
