// A fixture for the service logic tests: the logic classes over a FakeStore,
// a FakeClock and a RecordingNotifier, and shorthands to build a page with
// components.
#ifndef INCIDENTD_TESTS_UNIT_SERVER_LOGIC_FIXTURE_H_
#define INCIDENTD_TESTS_UNIT_SERVER_LOGIC_FIXTURE_H_

#include <string>

#include "gtest/gtest.h"
#include "server/clock.h"
#include "server/component_logic.h"
#include "server/incident_logic.h"
#include "server/page_logic.h"
#include "server/postmortem_logic.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/server/fake_store.h"
#include "tests/unit/server/recording_notifier.h"

namespace incidentd::testing {

inline google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

inline absl::Time FromTs(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

inline google::protobuf::FieldMask Mask(
    std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* p : paths) mask.add_paths(p);
  return mask;
}

class LogicTest : public ::testing::Test {
 protected:
  static constexpr absl::Time kNoDeadline = absl::InfiniteFuture();

  v1::Page MakePage(const std::string& id, const std::string& zone = "") {
    v1::CreatePageRequest r;
    r.set_page_id(id);
    r.mutable_page()->set_display_name("Page " + id);
    r.mutable_page()->set_time_zone(zone);
    absl::StatusOr<v1::Page> page = pages_.CreatePage(r, kNoDeadline);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.value_or(v1::Page());
  }

  v1::Component MakeComponent(const std::string& page, const std::string& id,
                              const std::string& group = "") {
    v1::CreateComponentRequest r;
    r.set_parent("pages/" + page);
    r.set_component_id(id);
    r.mutable_component()->set_display_name("Component " + id);
    r.mutable_component()->set_group(group);
    absl::StatusOr<v1::Component> c =
        components_.CreateComponent(r, kNoDeadline);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.value_or(v1::Component());
  }

  v1::Component GetComponent(const std::string& name) {
    v1::GetComponentRequest r;
    r.set_name(name);
    absl::StatusOr<v1::Component> c = components_.GetComponent(r, kNoDeadline);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.value_or(v1::Component());
  }

  v1::Incident GetIncident(const std::string& name) {
    v1::GetIncidentRequest r;
    r.set_name(name);
    absl::StatusOr<v1::Incident> i = incidents_.GetIncident(r, kNoDeadline);
    EXPECT_TRUE(i.ok()) << i.status();
    return i.value_or(v1::Incident());
  }

  // An incident on `page` affecting `component` (a partial outage).
  v1::CreateIncidentRequest IncidentRequest(const std::string& page,
                                            const std::string& id,
                                            const std::string& component) {
    v1::CreateIncidentRequest r;
    r.set_parent("pages/" + page);
    r.set_incident_id(id);
    r.mutable_incident()->set_title("Issue with delta processing");
    r.mutable_first_update()->set_body("We are investigating.");
    if (!component.empty()) {
      const std::string name = "pages/" + page + "/components/" + component;
      r.mutable_incident()->add_components(name);
      v1::ComponentChange* change =
          r.mutable_first_update()->add_component_changes();
      change->set_component(name);
      change->set_status(v1::ComponentStatus::PARTIAL_OUTAGE);
    }
    return r;
  }

  v1::PostIncidentUpdateRequest Post(const std::string& incident,
                                     v1::IncidentStatus::Value status,
                                     const std::string& body = "News.") {
    v1::PostIncidentUpdateRequest r;
    r.set_parent(incident);
    r.mutable_update()->set_status(status);
    r.mutable_update()->set_body(body);
    return r;
  }

  FakeStore store_;
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  RecordingNotifier notifier_;
  PageLogic pages_{store_, clock_, notifier_};
  ComponentLogic components_{store_, clock_, notifier_};
  IncidentLogic incidents_{store_, clock_, notifier_};
  PostmortemLogic postmortems_{store_, clock_, notifier_};
};

}  // namespace incidentd::testing

#endif  // INCIDENTD_TESTS_UNIT_SERVER_LOGIC_FIXTURE_H_
