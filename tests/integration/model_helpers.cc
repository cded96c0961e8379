#include "tests/integration/model_helpers.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace incidentd::testing {
namespace {

std::string T(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E*S", t, absl::UTCTimeZone());
}
std::string T(const std::optional<absl::Time>& t) {
  return t.has_value() ? T(*t) : "none";
}
template <typename E>
int N(E e) {
  return static_cast<int>(e);
}

}  // namespace

absl::Time At(int minutes) {
  return absl::FromCivil(absl::CivilSecond(2024, 3, 1, 12, 0, 0),
                         absl::UTCTimeZone()) +
         absl::Microseconds(123456) + absl::Minutes(minutes);
}

Page MakePage(const std::string& id) {
  Page p;
  p.id = id;
  p.display_name = "Productsup";
  p.url = "https://status.productsup.com";
  p.time_zone = "Europe/Berlin";
  p.create_time = At(0);
  p.update_time = At(1);
  p.version = 1;
  return p;
}

ComponentGroup MakeGroup(const std::string& page_id, const std::string& id,
                         int position) {
  ComponentGroup g;
  g.page_id = page_id;
  g.id = id;
  g.display_name = "Platform";
  g.description = "Everything that runs feeds";
  g.position = position;
  g.create_time = At(0);
  g.update_time = At(2);
  g.version = 1;
  return g;
}

Component MakeComponent(const std::string& page_id, const std::string& id,
                        int position, const std::string& group_id) {
  Component c;
  c.page_id = page_id;
  c.id = id;
  c.display_name = "Data Processing";
  c.description = "Imports and exports";
  c.group_id = group_id;
  c.status = ComponentStatus::kDegradedPerformance;
  c.status_reason = "Planned database failover";
  c.status_change_time = At(3);
  c.position = position;
  c.create_time = At(0);
  c.update_time = At(4);
  c.version = 1;
  return c;
}

Incident MakeIncident(const std::string& page_id, const std::string& id,
                      std::optional<absl::Time> start) {
  Incident i;
  i.page_id = page_id;
  i.id = id;
  i.title = "Issue with delta processing";
  i.kind = IncidentKind::kIncident;
  i.status = IncidentStatus::kInvestigating;
  i.derived_impact = Impact::kMinor;
  i.impact_override = Impact::kMajor;
  i.component_ids = {"data-processing", "api"};
  i.start_time = start;
  i.impact_start_time = start;
  i.create_time = At(0);
  i.update_time = At(5);
  i.version = 1;
  return i;
}

Incident MakeMaintenance(const std::string& page_id, const std::string& id,
                         absl::Time from, absl::Time to) {
  Incident i = MakeIncident(page_id, id, std::nullopt);
  i.kind = IncidentKind::kMaintenance;
  i.status = IncidentStatus::kScheduled;
  i.derived_impact = Impact::kNone;
  i.impact_override = Impact::kUnspecified;
  i.scheduled_start_time = from;
  i.scheduled_end_time = to;
  return i;
}

IncidentUpdate MakeUpdate(const std::string& page_id,
                          const std::string& incident_id, const std::string& id,
                          absl::Time display_time) {
  IncidentUpdate u;
  u.page_id = page_id;
  u.incident_id = incident_id;
  u.id = id;
  u.status = IncidentStatus::kIdentified;
  u.resulting_status = IncidentStatus::kIdentified;
  u.body = "The issue has been identified and a fix is being implemented.";
  u.display_time = display_time;
  u.display_time_zone = "Europe/Berlin";
  u.create_time = At(30);
  u.author = "on-call";
  u.component_changes = {{"data-processing", ComponentStatus::kMajorOutage},
                         {"api", ComponentStatus::kPartialOutage}};
  u.notify = true;
  u.reopen = false;
  u.update_time = At(31);
  u.version = 1;
  return u;
}

Postmortem MakePostmortem(const std::string& page_id,
                          const std::string& incident_id) {
  Postmortem p;
  p.page_id = page_id;
  p.incident_id = incident_id;
  p.sections = {{"Lead-up", "A database failover."},
                {"Fault", "Nodes could read but not write."},
                {"Impact", "Writes hung for 2h30m."}};
  p.state = PostmortemState::kDraft;
  p.author = "sre";
  p.revision = 1;
  p.create_time = At(100);
  p.update_time = At(100);
  p.version = 1;
  return p;
}

CorrectiveAction MakeAction(const std::string& page_id,
                            const std::string& incident_id,
                            const std::string& id) {
  CorrectiveAction a;
  a.page_id = page_id;
  a.incident_id = incident_id;
  a.id = id;
  a.description = "Bound every database call by a deadline";
  a.owner = "platform-team";
  a.state = ActionState::kOpen;
  a.create_time = At(101);
  a.update_time = At(102);
  a.version = 1;
  return a;
}

RequestRecord MakeRequest(const std::string& scope,
                          const std::string& request_id) {
  RequestRecord r;
  r.scope = scope;
  r.request_id = request_id;
  r.method = "incidentd.v1.Incidents/CreateIncident";
  r.fingerprint = "3f2a9c";
  r.resource_name = "pages/p/incidents/i";
  r.create_time = At(7);
  return r;
}

Event MakeEvent(const std::string& page_id, absl::Time time,
                const std::string& payload) {
  Event e;
  e.page_id = page_id;
  e.type = EventType::kIncidentUpdatePosted;
  e.create_time = time;
  e.actor = "Jana (SRE)";
  e.resource_name =
      absl::StrCat("pages/", page_id, "/incidents/feed-delays/updates/u1");
  e.incident_id = "feed-delays";
  e.component_ids = {"data-processing", "platform-api"};
  e.notify = true;
  e.payload = payload;
  return e;
}

Subscriber MakeWebhookSubscriber(const std::string& page_id,
                                 const std::string& id,
                                 const std::string& url) {
  Subscriber s;
  s.page_id = page_id;
  s.id = id;
  s.kind = SubscriberKind::kWebhook;
  s.address = url;
  s.component_ids = {"data-processing", "platform-api"};
  s.incident_id = "feed-delays";
  s.state = SubscriberState::kActive;
  s.state_reason = "";
  s.unsubscribe_token = absl::StrCat("unsub-", page_id, "-", id);
  s.signing_secret = absl::StrCat("secret-", page_id, "-", id);
  s.after_seq = 41;
  s.consecutive_failures = 3;
  s.failing_since = At(20);
  s.activate_time = At(1);
  s.create_time = At(0);
  s.update_time = At(2);
  s.version = 1;
  return s;
}

Subscriber MakeEmailSubscriber(const std::string& page_id,
                               const std::string& id,
                               const std::string& email) {
  Subscriber s;
  s.page_id = page_id;
  s.id = id;
  s.kind = SubscriberKind::kEmail;
  s.address = email;
  s.state = SubscriberState::kPendingConfirmation;
  s.confirmation_token = absl::StrCat("confirm-", page_id, "-", id);
  s.unsubscribe_token = absl::StrCat("unsub-", page_id, "-", id);
  s.create_time = At(0);
  s.update_time = At(0);
  s.version = 1;
  return s;
}

Delivery MakeDelivery(const std::string& page_id,
                      const std::string& subscriber_id, int64_t seq) {
  Delivery d;
  d.page_id = page_id;
  d.subscriber_id = subscriber_id;
  d.event_seq = seq;
  d.event_type = EventType::kIncidentUpdatePosted;
  d.incident_id = "feed-delays";
  d.state = DeliveryState::kPending;
  d.create_time = At(200);
  d.horizon_start = At(200);
  d.next_attempt_time = At(200);
  return d;
}

std::string Dump(const Page& p) {
  return absl::StrCat("Page{", p.id, "|", p.display_name, "|", p.url, "|",
                      p.time_zone, "|", T(p.create_time), "|", T(p.update_time),
                      "|v", p.version, "}");
}

std::string Dump(const ComponentGroup& g) {
  return absl::StrCat("Group{", g.page_id, "|", g.id, "|", g.display_name, "|",
                      g.description, "|", g.position, "|", T(g.create_time),
                      "|", T(g.update_time), "|v", g.version, "}");
}

std::string Dump(const Component& c) {
  return absl::StrCat("Component{", c.page_id, "|", c.id, "|", c.display_name,
                      "|", c.description, "|", c.group_id, "|", N(c.status),
                      "|", c.status_reason, "|", T(c.status_change_time), "|",
                      c.position, "|", T(c.create_time), "|", T(c.update_time),
                      "|v", c.version, "}");
}

std::string Dump(const Incident& i) {
  return absl::StrCat(
      "Incident{", i.page_id, "|", i.id, "|", i.title, "|", N(i.kind), "|",
      N(i.status), "|", N(i.derived_impact), "|", N(i.impact_override), "|[",
      absl::StrJoin(i.component_ids, ","), "]|", T(i.start_time), "|",
      T(i.resolve_time), "|", T(i.impact_start_time), "|", T(i.impact_end_time),
      "|", T(i.scheduled_start_time), "|", T(i.scheduled_end_time), "|",
      i.manual_transitions, "|", T(i.create_time), "|", T(i.update_time), "|v",
      i.version, "}");
}

std::string Dump(const IncidentUpdate& u) {
  std::string s =
      absl::StrCat("Update{", u.page_id, "|", u.incident_id, "|", u.id, "|seq",
                   u.seq, "|", N(u.status), "|", N(u.resulting_status), "|",
                   u.body, "|", T(u.display_time), "|", u.display_time_zone,
                   "|", T(u.create_time), "|", u.author, "|[");
  for (const ComponentChange& c : u.component_changes) {
    absl::StrAppend(&s, c.component_id, "=", N(c.status), ",");
  }
  absl::StrAppend(&s, "]|", u.notify, "|", u.reopen, "|[");
  for (const IncidentUpdateRevision& r : u.previous_versions) {
    absl::StrAppend(&s, "{", r.body, "|", T(r.display_time), "|",
                    r.display_time_zone, "|", T(r.replace_time), "|",
                    r.replaced_by, "}");
  }
  absl::StrAppend(&s, "]|", T(u.update_time), "|v", u.version, "}");
  return s;
}

std::string Dump(const Postmortem& p) {
  std::string s =
      absl::StrCat("Postmortem{", p.page_id, "|", p.incident_id, "|[");
  for (const PostmortemSection& section : p.sections) {
    absl::StrAppend(&s, "{", section.heading, "|", section.body, "}");
  }
  absl::StrAppend(&s, "]|", N(p.state), "|", T(p.publish_time), "|", p.author,
                  "|r", p.revision, "|", T(p.create_time), "|",
                  T(p.update_time), "|v", p.version, "}");
  return s;
}

std::string Dump(const CorrectiveAction& a) {
  return absl::StrCat("Action{", a.page_id, "|", a.incident_id, "|", a.id,
                      "|seq", a.seq, "|", a.description, "|", a.owner, "|",
                      N(a.state), "|", T(a.create_time), "|", T(a.update_time),
                      "|v", a.version, "}");
}

std::string Dump(const RequestRecord& r) {
  return absl::StrCat("Request{", r.scope, "|", r.request_id, "|", r.method,
                      "|", r.fingerprint, "|", r.resource_name, "|",
                      T(r.create_time), "}");
}

std::string Dump(const Event& e) {
  return absl::StrCat("Event{", e.page_id, "|", e.seq, "|", N(e.type), "|",
                      T(e.create_time), "|", e.actor, "|", e.resource_name, "|",
                      e.incident_id, "|", absl::StrJoin(e.component_ids, ","),
                      "|notify=", e.notify, "|",
                      absl::BytesToHexString(e.payload), "}");
}

std::string Dump(const Subscriber& s) {
  return absl::StrCat(
      "Subscriber{", s.page_id, "|", s.id, "|", N(s.kind), "|", s.address, "|[",
      absl::StrJoin(s.component_ids, ","), "]|", s.incident_id, "|", N(s.state),
      "|", s.state_reason, "|confirm=", s.confirmation_token,
      "|unsub=", s.unsubscribe_token, "|secret=", s.signing_secret, "|after",
      s.after_seq, "|failures", s.consecutive_failures, "|", T(s.failing_since),
      "|", T(s.activate_time), "|", T(s.create_time), "|", T(s.update_time),
      "|v", s.version, "}");
}

std::string Dump(const Delivery& d) {
  return absl::StrCat("Delivery{", d.page_id, "|", d.subscriber_id, "|",
                      d.event_seq, "|", N(d.event_type), "|", d.incident_id,
                      "|", N(d.state), "|attempts", d.attempts, "|",
                      d.last_error, "|", T(d.create_time), "|",
                      T(d.horizon_start), "|", T(d.last_attempt_time), "|",
                      T(d.next_attempt_time), "|", T(d.deliver_time), "}");
}

}  // namespace incidentd::testing
