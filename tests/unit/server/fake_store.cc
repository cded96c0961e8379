#include "tests/unit/server/fake_store.h"

#include <algorithm>
#include <vector>

namespace incidentd::testing {
namespace {

using storage::ComponentCursor;
using storage::IncidentQuery;
using storage::Lock;

std::string S(std::string_view s) { return std::string(s); }

bool IsOpenStatus(IncidentStatus s) {
  return s != IncidentStatus::kResolved && s != IncidentStatus::kCompleted &&
         s != IncidentStatus::kCancelled;
}

template <typename Map, typename Key>
absl::Status CheckedUpdate(Map& map, const Key& key,
                           const typename Map::mapped_type& record,
                           const char* what) {
  auto it = map.find(key);
  if (it == map.end())
    return absl::NotFoundError(std::string(what) + " not found");
  if (it->second.version != record.version - 1) {
    return absl::AbortedError(std::string(what) + " changed concurrently");
  }
  it->second = record;
  return absl::OkStatus();
}

class Pages final : public storage::PageRepository {
 public:
  explicit Pages(FakeStore::State& s) : s_(s) {}
  absl::StatusOr<Page> Get(std::string_view id, Lock) override {
    auto it = s_.pages.find(S(id));
    if (it == s_.pages.end()) return absl::NotFoundError("page not found");
    return it->second;
  }
  absl::StatusOr<std::vector<Page>> List(std::string_view after_id,
                                         int limit) override {
    std::vector<Page> out;
    for (auto it = s_.pages.upper_bound(S(after_id));
         it != s_.pages.end() && static_cast<int>(out.size()) < limit; ++it) {
      out.push_back(it->second);
    }
    return out;
  }
  absl::Status Insert(const Page& page) override {
    if (!s_.pages.emplace(page.id, page).second) {
      return absl::AlreadyExistsError("page already exists");
    }
    return absl::OkStatus();
  }
  absl::Status Update(const Page& page) override {
    return CheckedUpdate(s_.pages, page.id, page, "page");
  }
  absl::Status Delete(std::string_view id) override {
    const std::string p = S(id);
    if (s_.pages.erase(p) == 0) return absl::NotFoundError("page not found");
    auto drop = [&](auto& map) {
      for (auto it = map.begin(); it != map.end();) {
        it = std::get<0>(it->first) == p ? map.erase(it) : std::next(it);
      }
    };
    drop(s_.groups);
    drop(s_.components);
    drop(s_.incidents);
    drop(s_.updates);
    drop(s_.postmortems);
    drop(s_.revisions);
    drop(s_.actions);
    drop(s_.reminded_start);
    s_.events.erase(p);  // the log goes with the page
    s_.last_event_seq.erase(p);
    return absl::OkStatus();
  }
  absl::StatusOr<bool> HasChildren(std::string_view id) override {
    auto any = [&](const auto& map) {
      for (const auto& [key, value] : map) {
        if (std::get<0>(key) == id) return true;
      }
      return false;
    };
    return any(s_.groups) || any(s_.components) || any(s_.incidents);
  }

 private:
  FakeStore::State& s_;
};

class Components final : public storage::ComponentRepository {
 public:
  explicit Components(FakeStore::State& s) : s_(s) {}
  absl::StatusOr<Component> Get(std::string_view page, std::string_view id,
                                Lock) override {
    auto it = s_.components.find({S(page), S(id)});
    if (it == s_.components.end()) {
      return absl::NotFoundError("component not found");
    }
    return it->second;
  }
  absl::StatusOr<std::vector<Component>> List(
      std::string_view page, std::string_view group,
      const std::optional<ComponentCursor>& after, int limit) override {
    std::vector<Component> all;
    for (const auto& [key, c] : s_.components) {
      if (key.first != page) continue;
      if (!group.empty() && c.group_id != group) continue;
      if (after && std::make_pair(c.position, c.id) <=
                       std::make_pair(after->position, after->id)) {
        continue;
      }
      all.push_back(c);
    }
    std::sort(all.begin(), all.end(),
              [](const Component& a, const Component& b) {
                return std::make_pair(a.position, a.id) <
                       std::make_pair(b.position, b.id);
              });
    if (static_cast<int>(all.size()) > limit) all.resize(limit);
    return all;
  }
  absl::Status Insert(const Component& c) override {
    if (!s_.pages.count(c.page_id))
      return absl::NotFoundError("page not found");
    if (!s_.components.emplace(Key(c), c).second) {
      return absl::AlreadyExistsError("component already exists");
    }
    return absl::OkStatus();
  }
  absl::Status Update(const Component& c) override {
    return CheckedUpdate(s_.components, Key(c), c, "component");
  }
  absl::Status Delete(std::string_view page, std::string_view id) override {
    if (s_.components.erase({S(page), S(id)}) == 0) {
      return absl::NotFoundError("component not found");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<ComponentGroup> GetGroup(std::string_view page,
                                          std::string_view id, Lock) override {
    auto it = s_.groups.find({S(page), S(id)});
    if (it == s_.groups.end()) {
      return absl::NotFoundError("component group not found");
    }
    return it->second;
  }
  absl::StatusOr<std::vector<ComponentGroup>> ListGroups(
      std::string_view page, const std::optional<ComponentCursor>& after,
      int limit) override {
    std::vector<ComponentGroup> all;
    for (const auto& [key, g] : s_.groups) {
      if (key.first != page) continue;
      if (after && std::make_pair(g.position, g.id) <=
                       std::make_pair(after->position, after->id)) {
        continue;
      }
      all.push_back(g);
    }
    std::sort(all.begin(), all.end(),
              [](const ComponentGroup& a, const ComponentGroup& b) {
                return std::make_pair(a.position, a.id) <
                       std::make_pair(b.position, b.id);
              });
    if (static_cast<int>(all.size()) > limit) all.resize(limit);
    return all;
  }
  absl::Status InsertGroup(const ComponentGroup& g) override {
    if (!s_.groups.emplace(FakeStore::Key2{g.page_id, g.id}, g).second) {
      return absl::AlreadyExistsError("component group already exists");
    }
    return absl::OkStatus();
  }
  absl::Status UpdateGroup(const ComponentGroup& g) override {
    return CheckedUpdate(s_.groups, FakeStore::Key2{g.page_id, g.id}, g,
                         "component group");
  }
  absl::Status DeleteGroup(std::string_view page,
                           std::string_view id) override {
    if (s_.groups.erase({S(page), S(id)}) == 0) {
      return absl::NotFoundError("component group not found");
    }
    for (auto& [key, c] : s_.components) {
      if (key.first == page && c.group_id == id) c.group_id.clear();
    }
    return absl::OkStatus();
  }

 private:
  static FakeStore::Key2 Key(const Component& c) { return {c.page_id, c.id}; }
  FakeStore::State& s_;
};

class Incidents final : public storage::IncidentRepository {
 public:
  explicit Incidents(FakeStore::State& s) : s_(s) {}
  absl::StatusOr<Incident> Get(std::string_view page, std::string_view id,
                               Lock) override {
    auto it = s_.incidents.find({S(page), S(id)});
    if (it == s_.incidents.end())
      return absl::NotFoundError("incident not found");
    return it->second;
  }
  absl::StatusOr<std::vector<Incident>> List(const IncidentQuery& q) override {
    std::vector<Incident> all;
    for (const auto& [key, i] : s_.incidents) {
      if (key.first != q.page_id) continue;
      if (q.kind != IncidentKind::kUnspecified && i.kind != q.kind) continue;
      if (q.state == IncidentQuery::State::kOpen && !IsOpenStatus(i.status))
        continue;
      if (q.state == IncidentQuery::State::kClosed && IsOpenStatus(i.status))
        continue;
      if (!q.component_id.empty() &&
          std::find(i.component_ids.begin(), i.component_ids.end(),
                    q.component_id) == i.component_ids.end()) {
        continue;
      }
      const absl::Time start = SortTime(i);
      if (q.start_time_from && start < *q.start_time_from) continue;
      if (q.start_time_to && start >= *q.start_time_to) continue;
      if (q.after && std::make_pair(start, i.id) >=
                         std::make_pair(q.after->start_time, q.after->id)) {
        continue;
      }
      all.push_back(i);
    }
    SortNewestFirst(all);
    if (static_cast<int>(all.size()) > q.limit) all.resize(q.limit);
    return all;
  }
  absl::StatusOr<std::vector<Incident>> ListOpen(
      std::string_view page) override {
    std::vector<Incident> all;
    for (const auto& [key, i] : s_.incidents) {
      if (key.first == page && IsOpenStatus(i.status)) all.push_back(i);
    }
    SortNewestFirst(all);
    return all;
  }
  absl::StatusOr<bool> IsComponentInOpenIncident(
      std::string_view page, std::string_view component) override {
    for (const auto& [key, i] : s_.incidents) {
      if (key.first == page && IsOpenStatus(i.status) &&
          std::find(i.component_ids.begin(), i.component_ids.end(),
                    component) != i.component_ids.end()) {
        return true;
      }
    }
    return false;
  }
  absl::Status Insert(const Incident& i) override {
    if (!s_.incidents.emplace(FakeStore::Key2{i.page_id, i.id}, i).second) {
      return absl::AlreadyExistsError("incident already exists");
    }
    return absl::OkStatus();
  }
  absl::Status Update(const Incident& i) override {
    return CheckedUpdate(s_.incidents, FakeStore::Key2{i.page_id, i.id}, i,
                         "incident");
  }
  absl::StatusOr<std::vector<Incident>> LockDueMaintenance(absl::Time now,
                                                           int limit) override {
    std::vector<Incident> due;
    for (const auto& [key, i] : s_.incidents) {
      if (i.kind != IncidentKind::kMaintenance || i.manual_transitions)
        continue;
      const bool start = i.status == IncidentStatus::kScheduled &&
                         i.scheduled_start_time &&
                         *i.scheduled_start_time <= now;
      const bool end = (i.status == IncidentStatus::kInProgress ||
                        i.status == IncidentStatus::kVerifying) &&
                       i.scheduled_end_time && *i.scheduled_end_time <= now;
      if ((start || end) && static_cast<int>(due.size()) < limit)
        due.push_back(i);
    }
    return due;
  }
  absl::StatusOr<std::vector<Incident>> LockDueReminders(absl::Time now,
                                                         absl::Duration lead,
                                                         int limit) override {
    std::vector<Incident> due;
    for (const auto& [key, i] : s_.incidents) {
      if (static_cast<int>(due.size()) >= limit) break;
      if (i.status != IncidentStatus::kScheduled || !i.scheduled_start_time) {
        continue;
      }
      const absl::Time start = *i.scheduled_start_time;
      if (start <= now || start > now + lead) continue;
      if (i.create_time >= start - lead) continue;  // its notice served
      auto reminded = s_.reminded_start.find(key);
      if (reminded != s_.reminded_start.end() && reminded->second == start) {
        continue;
      }
      due.push_back(i);
    }
    return due;
  }
  absl::Status MarkReminded(std::string_view page, std::string_view id,
                            absl::Time start) override {
    const FakeStore::Key2 key{S(page), S(id)};
    if (!s_.incidents.count(key)) {
      return absl::NotFoundError("incident not found");
    }
    s_.reminded_start[key] = start;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<IncidentUpdate>> ListUpdates(
      std::string_view page, std::string_view incident,
      const std::optional<UpdateCursor>& after, int limit) override {
    std::vector<IncidentUpdate> all;
    for (const auto& [key, u] : s_.updates) {
      if (std::get<0>(key) != page || std::get<1>(key) != incident) continue;
      if (after && std::make_pair(u.display_time, u.seq) >=
                       std::make_pair(after->display_time, after->seq)) {
        continue;
      }
      all.push_back(u);
    }
    std::sort(all.begin(), all.end(),
              [](const IncidentUpdate& a, const IncidentUpdate& b) {
                return std::make_pair(a.display_time, a.seq) >
                       std::make_pair(b.display_time, b.seq);
              });
    if (static_cast<int>(all.size()) > limit) all.resize(limit);
    return all;
  }
  absl::StatusOr<IncidentUpdate> GetUpdate(std::string_view page,
                                           std::string_view incident,
                                           std::string_view id, Lock) override {
    auto it = s_.updates.find({S(page), S(incident), S(id)});
    if (it == s_.updates.end()) return absl::NotFoundError("update not found");
    return it->second;
  }
  absl::StatusOr<int64_t> InsertUpdate(const IncidentUpdate& u) override {
    if (!s_.incidents.count({u.page_id, u.incident_id})) {
      return absl::NotFoundError("incident not found");
    }
    IncidentUpdate stored = u;
    stored.seq = s_.next_update_seq++;
    if (!s_.updates
             .emplace(FakeStore::Key3{u.page_id, u.incident_id, u.id}, stored)
             .second) {
      return absl::AlreadyExistsError("update already exists");
    }
    return stored.seq;
  }
  absl::Status EditUpdate(const IncidentUpdate& u) override {
    return CheckedUpdate(s_.updates,
                         FakeStore::Key3{u.page_id, u.incident_id, u.id}, u,
                         "update");
  }

 private:
  static absl::Time SortTime(const Incident& i) {
    return i.start_time.value_or(i.create_time);
  }
  static void SortNewestFirst(std::vector<Incident>& v) {
    std::sort(v.begin(), v.end(), [](const Incident& a, const Incident& b) {
      return std::make_pair(SortTime(a), a.id) >
             std::make_pair(SortTime(b), b.id);
    });
  }
  FakeStore::State& s_;
};

class Postmortems final : public storage::PostmortemRepository {
 public:
  explicit Postmortems(FakeStore::State& s) : s_(s) {}
  absl::StatusOr<Postmortem> Get(std::string_view page,
                                 std::string_view incident, Lock) override {
    auto it = s_.postmortems.find({S(page), S(incident)});
    if (it == s_.postmortems.end()) {
      return absl::NotFoundError("postmortem not found");
    }
    return it->second;
  }
  absl::Status Insert(const Postmortem& p) override {
    const FakeStore::Key2 key{p.page_id, p.incident_id};
    if (!s_.incidents.count(key))
      return absl::NotFoundError("incident not found");
    if (!s_.postmortems.emplace(key, p).second) {
      return absl::AlreadyExistsError("postmortem already exists");
    }
    s_.revisions[key].emplace(p.revision, p);
    return absl::OkStatus();
  }
  absl::Status Update(const Postmortem& p) override {
    const FakeStore::Key2 key{p.page_id, p.incident_id};
    absl::Status s = CheckedUpdate(s_.postmortems, key, p, "postmortem");
    if (s.ok()) s_.revisions[key].emplace(p.revision, p);
    return s;
  }
  absl::StatusOr<std::vector<Postmortem>> ListRevisions(
      std::string_view page, std::string_view incident, int64_t before,
      int limit) override {
    std::vector<Postmortem> out;
    const auto& revs = s_.revisions[{S(page), S(incident)}];
    for (auto it = revs.rbegin();
         it != revs.rend() && static_cast<int>(out.size()) < limit; ++it) {
      if (before > 0 && it->first >= before) continue;
      out.push_back(it->second);
    }
    return out;
  }
  absl::StatusOr<CorrectiveAction> GetAction(std::string_view page,
                                             std::string_view incident,
                                             std::string_view id,
                                             Lock) override {
    auto it = s_.actions.find({S(page), S(incident), S(id)});
    if (it == s_.actions.end()) {
      return absl::NotFoundError("corrective action not found");
    }
    return it->second;
  }
  absl::StatusOr<std::vector<CorrectiveAction>> ListActions(
      std::string_view page, std::string_view incident, int64_t after_seq,
      int limit) override {
    std::vector<CorrectiveAction> all;
    for (const auto& [key, a] : s_.actions) {
      if (std::get<0>(key) == page && std::get<1>(key) == incident &&
          a.seq > after_seq) {
        all.push_back(a);
      }
    }
    std::sort(all.begin(), all.end(),
              [](const CorrectiveAction& a, const CorrectiveAction& b) {
                return a.seq < b.seq;
              });
    if (static_cast<int>(all.size()) > limit) all.resize(limit);
    return all;
  }
  absl::StatusOr<int64_t> InsertAction(const CorrectiveAction& a) override {
    if (!s_.incidents.count({a.page_id, a.incident_id})) {
      return absl::NotFoundError("incident not found");
    }
    CorrectiveAction stored = a;
    stored.seq = s_.next_action_seq++;
    if (!s_.actions
             .emplace(FakeStore::Key3{a.page_id, a.incident_id, a.id}, stored)
             .second) {
      return absl::AlreadyExistsError("corrective action already exists");
    }
    return stored.seq;
  }
  absl::Status UpdateAction(const CorrectiveAction& a) override {
    return CheckedUpdate(s_.actions,
                         FakeStore::Key3{a.page_id, a.incident_id, a.id}, a,
                         "corrective action");
  }

 private:
  FakeStore::State& s_;
};

class Requests final : public storage::RequestRepository {
 public:
  explicit Requests(FakeStore::State& s) : s_(s) {}
  absl::StatusOr<RequestRecord> Find(std::string_view scope,
                                     std::string_view id) override {
    auto it = s_.requests.find({S(scope), S(id)});
    if (it == s_.requests.end())
      return absl::NotFoundError("request not found");
    return it->second;
  }
  absl::Status Insert(const RequestRecord& r) override {
    if (!s_.requests.emplace(FakeStore::Key2{r.scope, r.request_id}, r)
             .second) {
      return absl::AlreadyExistsError("request id already recorded");
    }
    return absl::OkStatus();
  }

 private:
  FakeStore::State& s_;
};

class Events final : public storage::EventRepository {
 public:
  Events(FakeStore::State& s, const absl::Status& append_error)
      : s_(s), append_error_(append_error) {}
  // The transaction holds the whole store (see FakeStore::Run), which is
  // what the page's sequence lock gives a database: the next number.
  absl::Status Append(Event& event) override {
    if (!append_error_.ok()) return append_error_;
    if (!s_.pages.count(event.page_id)) {
      return absl::NotFoundError("page not found");
    }
    event.seq = ++s_.last_event_seq[event.page_id];
    s_.events[event.page_id][event.seq] = event;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Event>> List(std::string_view page,
                                          int64_t after_seq,
                                          int limit) override {
    std::vector<Event> out;
    auto log = s_.events.find(S(page));
    if (log == s_.events.end()) return out;
    for (auto it = log->second.upper_bound(after_seq);
         it != log->second.end() && static_cast<int>(out.size()) < limit;
         ++it) {
      out.push_back(it->second);
    }
    return out;
  }
  absl::StatusOr<Event> Get(std::string_view page, int64_t seq) override {
    auto log = s_.events.find(S(page));
    if (log == s_.events.end()) return absl::NotFoundError("event not found");
    auto it = log->second.find(seq);
    if (it == log->second.end()) {
      return absl::NotFoundError("event not found");
    }
    return it->second;
  }
  absl::StatusOr<Head> GetHead(std::string_view page) override {
    if (!s_.pages.count(S(page))) return absl::NotFoundError("page not found");
    Head head;
    auto last = s_.last_event_seq.find(S(page));
    if (last != s_.last_event_seq.end()) head.last_seq = last->second;
    auto log = s_.events.find(S(page));
    if (log != s_.events.end() && !log->second.empty()) {
      head.first_kept_seq = log->second.begin()->first;
    }
    return head;
  }
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> LastSequences(
      const std::vector<std::string>& pages) override {
    std::vector<std::pair<std::string, int64_t>> out;
    for (const std::string& page : pages) {
      if (!s_.pages.count(page)) continue;
      auto last = s_.last_event_seq.find(page);
      out.emplace_back(page,
                       last == s_.last_event_seq.end() ? 0 : last->second);
    }
    return out;
  }
  absl::StatusOr<int64_t> PruneBefore(absl::Time before, int limit) override {
    int64_t pruned = 0;
    for (auto& [page, log] : s_.events) {
      for (auto it = log.begin(); it != log.end() && pruned < limit;) {
        if (it->second.create_time < before) {
          it = log.erase(it);
          ++pruned;
        } else {
          ++it;
        }
      }
    }
    return pruned;
  }

 private:
  FakeStore::State& s_;
  const absl::Status& append_error_;
};

// Subscriptions are not modelled in memory: the logic over them (and its
// SQL) is tested against MariaDB. Every method says so.
absl::Status NotModelled() {
  return absl::UnimplementedError("subscriptions are not kept by FakeStore");
}

class Subscribers final : public storage::SubscriberRepository {
 public:
  absl::StatusOr<Subscriber> Get(std::string_view, std::string_view,
                                 Lock) override {
    return NotModelled();
  }
  absl::StatusOr<Subscriber> FindByToken(Token, std::string_view,
                                         Lock) override {
    return NotModelled();
  }
  absl::StatusOr<std::vector<Subscriber>> List(
      const storage::SubscriberQuery&) override {
    return NotModelled();
  }
  absl::StatusOr<std::vector<Subscriber>> ListNotified(
      std::string_view) override {
    return NotModelled();
  }
  absl::StatusOr<Counts> CountByState(std::string_view) override {
    return NotModelled();
  }
  absl::Status Insert(const Subscriber&) override { return NotModelled(); }
  absl::Status Update(const Subscriber&) override { return NotModelled(); }
  absl::Status Delete(std::string_view, std::string_view) override {
    return NotModelled();
  }
  absl::Status MarkDue(std::string_view, const std::vector<std::string>&,
                       absl::Time) override {
    return NotModelled();
  }
  absl::StatusOr<std::vector<Subscriber>> ClaimDue(absl::Time, std::string_view,
                                                   absl::Time, int) override {
    return NotModelled();
  }
  absl::Status ReleaseLease(std::string_view, std::string_view,
                            std::string_view, const LeaseEnd&) override {
    return NotModelled();
  }
};

class Deliveries final : public storage::DeliveryRepository {
 public:
  absl::StatusOr<int64_t> InsertNew(const std::vector<Delivery>&) override {
    return NotModelled();
  }
  absl::StatusOr<Delivery> Get(std::string_view, std::string_view, int64_t,
                               Lock) override {
    return NotModelled();
  }
  absl::StatusOr<std::vector<Delivery>> List(
      const storage::DeliveryQuery&) override {
    return NotModelled();
  }
  absl::StatusOr<std::vector<Delivery>> ListOpen(std::string_view,
                                                 std::string_view,
                                                 int) override {
    return NotModelled();
  }
  absl::Status Update(const Delivery&) override { return NotModelled(); }
  absl::StatusOr<int64_t> RescheduleOpen(std::string_view, std::string_view,
                                         absl::Time) override {
    return NotModelled();
  }
  absl::StatusOr<int64_t> PruneFinished(absl::Time, int) override {
    return NotModelled();
  }
  absl::StatusOr<std::vector<Backlog>> ListBacklog(int) override {
    return NotModelled();
  }
  absl::StatusOr<std::optional<int64_t>> LockCursor(std::string_view) override {
    return NotModelled();
  }
  absl::Status SetCursor(std::string_view, int64_t) override {
    return NotModelled();
  }
};

class Tx final : public storage::Transaction {
 public:
  Tx(FakeStore::State& s, const absl::Status& append_error)
      : pages_(s),
        components_(s),
        incidents_(s),
        postmortems_(s),
        requests_(s),
        events_(s, append_error) {}
  storage::PageRepository& pages() override { return pages_; }
  storage::ComponentRepository& components() override { return components_; }
  storage::IncidentRepository& incidents() override { return incidents_; }
  storage::PostmortemRepository& postmortems() override { return postmortems_; }
  storage::RequestRepository& requests() override { return requests_; }
  storage::EventRepository& events() override { return events_; }
  storage::SubscriberRepository& subscribers() override { return subscribers_; }
  storage::DeliveryRepository& deliveries() override { return deliveries_; }

 private:
  Pages pages_;
  Components components_;
  Incidents incidents_;
  Postmortems postmortems_;
  Requests requests_;
  Events events_;
  Subscribers subscribers_;
  Deliveries deliveries_;
};

}  // namespace

absl::Status FakeStore::Run(
    absl::FunctionRef<absl::Status(storage::Transaction&)> fn, bool write) {
  absl::MutexLock lock(&mu_);
  if (!available_) return absl::UnavailableError("database unavailable");
  State working = state_;
  Tx tx(working, append_error_);
  absl::Status status = fn(tx);
  // A read-only transaction's writes are dropped, as a bug would show.
  if (status.ok() && write) {
    state_ = std::move(working);
    ++committed_;
  }
  return status;
}

absl::Status FakeStore::ReadWrite(
    absl::Time, absl::FunctionRef<absl::Status(storage::Transaction&)> fn) {
  return Run(fn, /*write=*/true);
}

absl::Status FakeStore::ReadOnly(
    absl::Time, absl::FunctionRef<absl::Status(storage::Transaction&)> fn) {
  return Run(fn, /*write=*/false);
}

absl::Status FakeStore::Ping(absl::Time) {
  absl::MutexLock lock(&mu_);
  return available_ ? absl::OkStatus()
                    : absl::UnavailableError("database unavailable");
}

void FakeStore::SetAvailable(bool available) {
  absl::MutexLock lock(&mu_);
  available_ = available;
}

void FakeStore::SetAppendError(absl::Status error) {
  absl::MutexLock lock(&mu_);
  append_error_ = std::move(error);
}

std::vector<Event> FakeStore::Events(const std::string& page_id) {
  absl::MutexLock lock(&mu_);
  std::vector<Event> out;
  auto log = state_.events.find(page_id);
  if (log == state_.events.end()) return out;
  for (const auto& [seq, event] : log->second) out.push_back(event);
  return out;
}

FakeStore::State FakeStore::Snapshot() {
  absl::MutexLock lock(&mu_);
  return state_;
}

int FakeStore::writes() {
  absl::MutexLock lock(&mu_);
  return committed_;
}

}  // namespace incidentd::testing
