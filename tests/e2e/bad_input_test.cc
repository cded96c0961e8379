// Bad input for every RPC: empty and malformed names, oversized fields,
// invalid UTF-8, unknown enum numbers, unknown ids, resources of another
// page, stale etags, reused request ids. Each refused call must answer the
// documented code AND leave everything as it was: both what the API shows
// (re-read) and what the database holds (table checksums) are compared
// before and after. Text with SQL metacharacters is accepted and comes back
// byte for byte.
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/api_helpers.h"
#include "tests/e2e/server_harness.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

using Code = absl::StatusCode;
constexpr Code kInvalid = Code::kInvalidArgument;
constexpr Code kNotFound = Code::kNotFound;
constexpr Code kAborted = Code::kAborted;
constexpr Code kExists = Code::kAlreadyExists;
constexpr Code kPrecondition = Code::kFailedPrecondition;

// Not UTF-8: a lone continuation byte and an invalid lead byte.
const std::string kBadUtf8 = "caf\xc3 \xff\xfe";
// One line of text full of what breaks naive SQL, shells and JSON, with
// 2-, 3- and 4-byte UTF-8.
const std::string kSqlLine =
    "Robert'); DROP TABLE pages; -- \\' \\\" \"q\" `b` %_ \t ünïcødé € 💥";
// The same with line breaks, for bodies.
const std::string kSqlText = kSqlLine + "\nsecond line;\r\n' OR '1'='1";

std::string Long(size_t n) { return std::string(n, 'x'); }

template <typename Enum>
Enum Unknown() {
  return static_cast<Enum>(99);
}

template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

class BadInputTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    Seed();
  }

  // Two pages with one of everything; etags made stale by one more write.
  void Seed() {
    for (const char* page : {"alpha", "beta"}) ASSERT_OK(CreatePage(client(), page));
    ASSERT_OK(CreateGroup(client(), "alpha", "g1"));
    ASSERT_OK(CreateGroup(client(), "beta", "g2"));
    ASSERT_OK(CreateComponent(client(), "alpha", "c1", GroupName("alpha", "g1")));
    ASSERT_OK(CreateComponent(client(), "alpha", "c2"));
    ASSERT_OK(CreateComponent(client(), "beta", "c3"));
    ASSERT_OK(CreateIncident(
        client(), "alpha", "inc-a", {c1_}, v1::IncidentStatus::INVESTIGATING,
        {Change(c1_, v1::ComponentStatus::PARTIAL_OUTAGE)}));
    ASSERT_OK(CreateIncident(client(), "alpha", "inc-a2", {},
                             v1::IncidentStatus::INVESTIGATING));
    ASSERT_OK(CreateIncident(client(), "beta", "inc-b", {},
                             v1::IncidentStatus::INVESTIGATING));
    for (const std::string& incident : {inc_a_, inc_b_}) {
      ASSERT_OK(WritePostmortem(incident, "First draft.", ""));
      v1::CreateCorrectiveActionRequest action;
      action.set_parent(incident);
      action.set_corrective_action_id(incident == inc_a_ ? "act-a" : "act-b");
      action.mutable_corrective_action()->set_description("Add alerts");
      ASSERT_OK(client().CreateCorrectiveAction(action));
    }

    v1::GetPageRequest get_page;
    get_page.set_name(PageName("alpha"));
    ASSERT_OK_AND_ASSIGN(v1::Page page, client().GetPage(get_page));
    stale_page_ = page.etag();
    v1::UpdatePageRequest update_page;
    update_page.mutable_page()->set_name(page.name());
    update_page.mutable_page()->set_display_name("Alpha");
    update_page.mutable_update_mask()->add_paths("display_name");
    ASSERT_OK(client().UpdatePage(update_page));

    ASSERT_OK_AND_ASSIGN(v1::Component c2, GetComponent(client(), c2_));
    stale_component_ = c2.etag();
    v1::UpdateComponentRequest update_component;
    update_component.mutable_component()->set_name(c2_);
    update_component.mutable_component()->set_description("Second");
    update_component.mutable_update_mask()->add_paths("description");
    ASSERT_OK(client().UpdateComponent(update_component));

    v1::GetComponentGroupRequest get_group;
    get_group.set_name(g1_);
    ASSERT_OK_AND_ASSIGN(v1::ComponentGroup g1,
                         client().GetComponentGroup(get_group));
    stale_group_ = g1.etag();
    v1::UpdateComponentGroupRequest update_group;
    update_group.mutable_group()->set_name(g1_);
    update_group.mutable_group()->set_description("Second");
    update_group.mutable_update_mask()->add_paths("description");
    ASSERT_OK(client().UpdateComponentGroup(update_group));

    ASSERT_OK_AND_ASSIGN(v1::Incident incident, GetIncident(client(), inc_a_));
    stale_incident_ = incident.etag();
    ASSERT_EQ(incident.updates_size(), 1);
    update_a_ = incident.updates(0).name();
    stale_update_ = incident.updates(0).etag();
    v1::UpdateIncidentRequest update_incident;
    update_incident.mutable_incident()->set_name(inc_a_);
    update_incident.mutable_incident()->set_title("Incident A");
    update_incident.mutable_update_mask()->add_paths("title");
    ASSERT_OK(client().UpdateIncident(update_incident));
    v1::EditIncidentUpdateRequest edit;
    edit.mutable_update()->set_name(update_a_);
    edit.mutable_update()->set_body("Opened A.");
    edit.mutable_update_mask()->add_paths("body");
    ASSERT_OK(client().EditIncidentUpdate(edit));

    ASSERT_OK_AND_ASSIGN(v1::Postmortem draft,
                         WritePostmortem(inc_a_, "Second draft.", ""));
    stale_postmortem_ = draft.etag();
    ASSERT_OK(WritePostmortem(inc_a_, "Third draft.", ""));
    // inc-b's postmortem: published, then edited (it stays published).
    v1::PublishPostmortemRequest publish;
    publish.set_name(inc_b_ + "/postmortem");
    ASSERT_OK_AND_ASSIGN(v1::Postmortem published,
                         client().PublishPostmortem(publish));
    stale_published_ = published.etag();
    ASSERT_OK(WritePostmortem(inc_b_, "Published, then edited.", ""));

    v1::UpdateCorrectiveActionRequest update_action;
    update_action.mutable_corrective_action()->set_name(act_a_);
    update_action.mutable_corrective_action()->set_owner("SRE");
    update_action.mutable_update_mask()->add_paths("owner");
    v1::ListCorrectiveActionsRequest list_actions;
    list_actions.set_parent(inc_a_);
    ASSERT_OK_AND_ASSIGN(v1::ListCorrectiveActionsResponse actions,
                         client().ListCorrectiveActions(list_actions));
    ASSERT_EQ(actions.corrective_actions_size(), 1);
    ASSERT_EQ(actions.corrective_actions(0).name(), act_a_);
    stale_action_ = actions.corrective_actions(0).etag();
    ASSERT_OK(client().UpdateCorrectiveAction(update_action));
  }

  absl::StatusOr<v1::Postmortem> WritePostmortem(const std::string& incident,
                                                 const std::string& body,
                                                 const std::string& etag) {
    v1::UpdatePostmortemRequest request;
    request.mutable_postmortem()->set_name(incident + "/postmortem");
    request.mutable_postmortem()->set_etag(etag);
    request.mutable_postmortem()->add_sections()->set_body(body);
    return client().UpdatePostmortem(request);
  }

  // Everything the API shows, as one list of messages.
  std::vector<std::unique_ptr<google::protobuf::Message>> World() {
    std::vector<std::unique_ptr<google::protobuf::Message>> out;
    auto add = [&](auto result) {
      if (!result.ok()) {
        ADD_FAILURE() << "re-read failed: " << result.status();
        return;
      }
      out.push_back(std::make_unique<std::decay_t<decltype(*result)>>(
          *std::move(result)));
    };
    v1::ListPagesRequest pages;
    pages.set_page_size(1000);
    add(client().ListPages(pages));
    for (const char* page : {"alpha", "beta"}) {
      v1::ListComponentsRequest components;
      components.set_parent(PageName(page));
      add(client().ListComponents(components));
      v1::ListComponentGroupsRequest groups;
      groups.set_parent(PageName(page));
      add(client().ListComponentGroups(groups));
      v1::ListIncidentsRequest incidents;
      incidents.set_parent(PageName(page));
      incidents.set_page_size(200);
      absl::StatusOr<v1::ListIncidentsResponse> list =
          client().ListIncidents(incidents);
      add(list);
      if (!list.ok()) continue;
      for (const v1::Incident& listed : list->incidents()) {
        absl::StatusOr<v1::Incident> incident =
            GetIncident(client(), listed.name());
        // Time in the current status grows with the clock.
        if (incident.ok()) incident->clear_durations();
        add(incident);
        v1::GetPostmortemRequest postmortem;
        postmortem.set_name(listed.name() + "/postmortem");
        absl::StatusOr<v1::Postmortem> got = client().GetPostmortem(postmortem);
        if (got.ok() || !absl::IsNotFound(got.status())) add(got);
        v1::ListCorrectiveActionsRequest actions;
        actions.set_parent(listed.name());
        add(client().ListCorrectiveActions(actions));
      }
    }
    return out;
  }

  // Runs `call`; expects one of `codes`, and nothing changed anywhere.
  void ExpectRejected(const std::string& what, std::initializer_list<Code> codes,
                      const std::function<absl::Status()>& call) {
    SCOPED_TRACE(what);
    auto world_before = World();
    absl::StatusOr<std::string> db_before = db_->Fingerprint();
    ASSERT_OK(db_before);
    absl::Status status = call();
    bool expected = false;
    std::vector<std::string> names;
    for (Code code : codes) {
      expected = expected || status.code() == code;
      names.push_back(absl::StatusCodeToString(code));
    }
    EXPECT_TRUE(expected) << what << ": got " << status << ", want "
                          << absl::StrJoin(names, " or ");
    auto world_after = World();
    ASSERT_EQ(world_after.size(), world_before.size()) << what;
    for (size_t i = 0; i < world_before.size(); ++i) {
      EXPECT_TRUE(ProtoEquals(*world_after[i], *world_before[i]))
          << what << " changed what the API shows";
    }
    absl::StatusOr<std::string> db_after = db_->Fingerprint();
    ASSERT_OK(db_after);
    EXPECT_EQ(*db_after, *db_before) << what << " changed stored data";
  }

  const std::string alpha_ = PageName("alpha");
  const std::string beta_ = PageName("beta");
  const std::string g1_ = GroupName("alpha", "g1");
  const std::string g2_ = GroupName("beta", "g2");
  const std::string c1_ = ComponentName("alpha", "c1");
  const std::string c2_ = ComponentName("alpha", "c2");
  const std::string c3_ = ComponentName("beta", "c3");
  const std::string inc_a_ = IncidentName("alpha", "inc-a");
  const std::string inc_a2_ = IncidentName("alpha", "inc-a2");
  const std::string inc_b_ = IncidentName("beta", "inc-b");
  const std::string act_a_ = inc_a_ + "/correctiveActions/act-a";
  std::string update_a_;
  std::string stale_page_, stale_component_, stale_group_, stale_incident_,
      stale_update_, stale_postmortem_, stale_published_, stale_action_;
};

// Runs the same request with `mutate` applied, for table-like cases.
template <typename Request>
std::function<absl::Status()> With(
    const Request& base, std::function<void(Request&)> mutate,
    std::function<absl::Status(const Request&)> call) {
  return [=] {
    Request request = base;
    mutate(request);
    return call(request);
  };
}

// --- PageService ----------------------------------------------------------

TEST_F(BadInputTest, CreatePage_RejectBadInputAndChangeNothing) {
  v1::CreatePageRequest base;
  base.set_page_id("gamma");
  base.mutable_page()->set_display_name("Gamma");
  auto call = [this](const v1::CreatePageRequest& r) {
    return StatusOf(client().CreatePage(r));
  };
  using R = v1::CreatePageRequest;
  ExpectRejected("empty page_id", {kInvalid},
                 With<R>(base, [](R& r) { r.clear_page_id(); }, call));
  ExpectRejected("64-character page_id", {kInvalid},
                 With<R>(base, [](R& r) { r.set_page_id(std::string(64, 'a')); }, call));
  ExpectRejected("upper case and underscore in page_id", {kInvalid},
                 With<R>(base, [](R& r) { r.set_page_id("Bad_Id"); }, call));
  ExpectRejected("page_id with a slash", {kInvalid},
                 With<R>(base, [](R& r) { r.set_page_id("a/b"); }, call));
  ExpectRejected("display_name of 201 characters", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_page()->set_display_name(Long(201)); }, call));
  ExpectRejected("unknown time zone", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_page()->set_time_zone("Mars/Olympus"); }, call));
  ExpectRejected("url that is not http(s)", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_page()->set_url("javascript:alert(1)"); }, call));
  ExpectRejected("request_id of 129 characters", {kInvalid},
                 With<R>(base, [](R& r) { r.set_request_id(Long(129)); }, call));
  ExpectRejected("page_id taken", {kExists},
                 With<R>(base, [](R& r) { r.set_page_id("alpha"); }, call));

  // SQL metacharacters are just text.
  R sql = base;
  sql.mutable_page()->set_display_name(kSqlLine);
  ASSERT_OK_AND_ASSIGN(v1::Page created, client().CreatePage(sql));
  EXPECT_EQ(created.display_name(), kSqlLine);
  v1::GetPageRequest get;
  get.set_name(created.name());
  ASSERT_OK_AND_ASSIGN(v1::Page read, client().GetPage(get));
  EXPECT_EQ(read.display_name(), kSqlLine);

  // A request id replays the first result, and refuses another request.
  R with_id = base;
  with_id.set_page_id("delta");
  with_id.set_request_id("create-delta");
  ASSERT_OK_AND_ASSIGN(v1::Page first, client().CreatePage(with_id));
  ASSERT_OK_AND_ASSIGN(v1::Page again, client().CreatePage(with_id));
  EXPECT_TRUE(ProtoEquals(again, first));
  ExpectRejected("request_id reused for another request", {kExists},
                 With<R>(with_id, [](R& r) { r.mutable_page()->set_display_name("Other"); }, call));
  ExpectRejected("request_id reused for another page id", {kExists},
                 With<R>(with_id, [](R& r) { r.set_page_id("epsilon"); }, call));
}

TEST_F(BadInputTest, GetPage_ListPages_GetPageStatus_RejectBadInputAndChangeNothing) {
  auto get = [this](const std::string& name) {
    v1::GetPageRequest r;
    r.set_name(name);
    return StatusOf(client().GetPage(r));
  };
  ExpectRejected("GetPage empty name", {kInvalid}, [&] { return get(""); });
  ExpectRejected("GetPage pages/", {kInvalid}, [&] { return get("pages/"); });
  ExpectRejected("GetPage wrong collection", {kInvalid},
                 [&] { return get("books/alpha"); });
  ExpectRejected("GetPage extra segments", {kInvalid},
                 [&] { return get("pages/alpha/components"); });
  // An id no page can have: malformed (or simply not found), never a match.
  ExpectRejected("GetPage bad id", {kInvalid, kNotFound},
                 [&] { return get("pages/Al pha"); });
  ExpectRejected("GetPage unknown", {kNotFound}, [&] { return get("pages/nope"); });

  auto list = [this](int size, const std::string& token) {
    v1::ListPagesRequest r;
    r.set_page_size(size);
    r.set_page_token(token);
    return StatusOf(client().ListPages(r));
  };
  ExpectRejected("ListPages negative page_size", {kInvalid},
                 [&] { return list(-1, ""); });
  ExpectRejected("ListPages garbage token", {kInvalid},
                 [&] { return list(0, "not-a-token"); });
  ExpectRejected("ListPages token with SQL", {kInvalid},
                 [&] { return list(0, "' OR 1=1; --"); });

  auto status = [this](const std::string& name) {
    v1::GetPageStatusRequest r;
    r.set_name(name);
    return StatusOf(client().GetPageStatus(r));
  };
  ExpectRejected("GetPageStatus empty", {kInvalid}, [&] { return status(""); });
  ExpectRejected("GetPageStatus malformed", {kInvalid},
                 [&] { return status("pages/alpha/state"); });
  ExpectRejected("GetPageStatus unknown", {kNotFound},
                 [&] { return status("pages/nope"); });
  ExpectRejected("GetPageStatus unknown /status", {kNotFound},
                 [&] { return status("pages/nope/status"); });
}

TEST_F(BadInputTest, UpdatePage_DeletePage_RejectBadInputAndChangeNothing) {
  v1::UpdatePageRequest base;
  base.mutable_page()->set_name(alpha_);
  base.mutable_page()->set_display_name("Changed");
  base.mutable_update_mask()->add_paths("display_name");
  auto call = [this](const v1::UpdatePageRequest& r) {
    return StatusOf(client().UpdatePage(r));
  };
  using R = v1::UpdatePageRequest;
  ExpectRejected("empty name", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_page()->clear_name(); }, call));
  ExpectRejected("unknown page", {kNotFound},
                 With<R>(base, [](R& r) { r.mutable_page()->set_name("pages/nope"); }, call));
  ExpectRejected("stale etag", {kAborted},
                 With<R>(base, [this](R& r) { r.mutable_page()->set_etag(stale_page_); }, call));
  ExpectRejected("unknown mask path", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update_mask()->add_paths("colour"); }, call));
  ExpectRejected("output-only mask path", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update_mask()->add_paths("create_time"); }, call));
  ExpectRejected("display_name of 201 characters", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_page()->set_display_name(Long(201)); }, call));
  ExpectRejected("unknown time zone", {kInvalid},
                 With<R>(base, [](R& r) {
                   r.mutable_page()->set_time_zone("Nowhere/Town");
                   r.mutable_update_mask()->add_paths("time_zone");
                 }, call));

  auto del = [this](const std::string& name, bool force,
                    const std::string& etag) {
    v1::DeletePageRequest r;
    r.set_name(name);
    r.set_force(force);
    r.set_etag(etag);
    return client().DeletePage(r);
  };
  ExpectRejected("DeletePage empty name", {kInvalid},
                 [&] { return del("", false, ""); });
  ExpectRejected("DeletePage unknown", {kNotFound},
                 [&] { return del("pages/nope", false, ""); });
  ExpectRejected("DeletePage with children, no force", {kPrecondition},
                 [&] { return del(alpha_, false, ""); });
  ExpectRejected("DeletePage stale etag", {kAborted},
                 [&] { return del(alpha_, true, stale_page_); });
}

// --- ComponentService -----------------------------------------------------

TEST_F(BadInputTest, CreateComponent_RejectBadInputAndChangeNothing) {
  v1::CreateComponentRequest base;
  base.set_parent(alpha_);
  base.set_component_id("c9");
  base.mutable_component()->set_display_name("C9");
  auto call = [this](const v1::CreateComponentRequest& r) {
    return StatusOf(client().CreateComponent(r));
  };
  using R = v1::CreateComponentRequest;
  ExpectRejected("empty parent", {kInvalid},
                 With<R>(base, [](R& r) { r.clear_parent(); }, call));
  ExpectRejected("unknown page", {kNotFound},
                 With<R>(base, [](R& r) { r.set_parent("pages/nope"); }, call));
  ExpectRejected("bad component_id", {kInvalid},
                 With<R>(base, [](R& r) { r.set_component_id("C 9"); }, call));
  ExpectRejected("component_id taken", {kExists},
                 With<R>(base, [](R& r) { r.set_component_id("c1"); }, call));
  ExpectRejected("display_name of 201 characters", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_component()->set_display_name(Long(201)); }, call));
  ExpectRejected("description of 4097 characters", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_component()->set_description(Long(4097)); }, call));
  ExpectRejected("unknown group", {kNotFound},
                 With<R>(base, [](R& r) { r.mutable_component()->set_group("pages/alpha/componentGroups/nope"); }, call));
  ExpectRejected("group of another page", {kInvalid, kNotFound},
                 With<R>(base, [this](R& r) { r.mutable_component()->set_group(g2_); }, call));
  ExpectRejected("malformed group", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_component()->set_group("componentGroups/g1"); }, call));
  ExpectRejected("request_id not printable ASCII", {kInvalid},
                 With<R>(base, [](R& r) { r.set_request_id("id\n1"); }, call));

  R sql = base;
  sql.mutable_component()->set_display_name(kSqlLine);
  sql.mutable_component()->set_description(kSqlText);
  ASSERT_OK_AND_ASSIGN(v1::Component created, client().CreateComponent(sql));
  ASSERT_OK_AND_ASSIGN(v1::Component read, GetComponent(client(), created.name()));
  EXPECT_EQ(read.display_name(), kSqlLine);
  EXPECT_EQ(read.description(), kSqlText);

  R with_id = base;
  with_id.clear_component_id();  // generated: only the request id finds it
  with_id.set_request_id("create-c");
  ASSERT_OK_AND_ASSIGN(v1::Component first, client().CreateComponent(with_id));
  v1::ListComponentsRequest list;
  list.set_parent(alpha_);
  ASSERT_OK_AND_ASSIGN(v1::ListComponentsResponse before,
                       client().ListComponents(list));
  ASSERT_OK_AND_ASSIGN(v1::Component again, client().CreateComponent(with_id));
  EXPECT_TRUE(ProtoEquals(again, first));
  ASSERT_OK_AND_ASSIGN(v1::ListComponentsResponse after,
                       client().ListComponents(list));
  EXPECT_EQ(after.components_size(), before.components_size())
      << "the replay created a second component";
  ExpectRejected("request_id reused for another request", {kExists},
                 With<R>(with_id, [](R& r) { r.mutable_component()->set_position(7); }, call));
}

TEST_F(BadInputTest, GetComponent_ListComponents_RejectBadInputAndChangeNothing) {
  auto get = [this](const std::string& name) {
    return StatusOf(GetComponent(client(), name));
  };
  ExpectRejected("empty name", {kInvalid}, [&] { return get(""); });
  ExpectRejected("unknown", {kNotFound},
                 [&] { return get("pages/alpha/components/nope"); });
  ExpectRejected("another page's component", {kNotFound},
                 [&] { return get("pages/beta/components/c1"); });
  ExpectRejected("wrong collection", {kInvalid},
                 [&] { return get("pages/alpha/incidents/c1"); });
  ExpectRejected("extra segment", {kInvalid},
                 [&] { return get(c1_ + "/status"); });

  v1::ListComponentsRequest base;
  base.set_parent(alpha_);
  auto call = [this](const v1::ListComponentsRequest& r) {
    return StatusOf(client().ListComponents(r));
  };
  using R = v1::ListComponentsRequest;
  ExpectRejected("List empty parent", {kInvalid},
                 With<R>(base, [](R& r) { r.clear_parent(); }, call));
  ExpectRejected("List unknown page", {kNotFound},
                 With<R>(base, [](R& r) { r.set_parent("pages/nope"); }, call));
  ExpectRejected("List negative page_size", {kInvalid},
                 With<R>(base, [](R& r) { r.set_page_size(-5); }, call));
  ExpectRejected("List garbage token", {kInvalid},
                 With<R>(base, [](R& r) { r.set_page_token("garbage"); }, call));
  ExpectRejected("List group of another page", {kInvalid, kNotFound},
                 With<R>(base, [this](R& r) { r.set_group(g2_); }, call));
  // A token from one query replayed with another.
  R first_page = base;
  first_page.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(v1::ListComponentsResponse page1,
                       client().ListComponents(first_page));
  ASSERT_FALSE(page1.next_page_token().empty());
  ExpectRejected("List token of another page's query", {kInvalid},
                 With<R>(base, [&](R& r) {
                   r.set_parent(beta_);
                   r.set_page_token(page1.next_page_token());
                 }, call));
}

TEST_F(BadInputTest, UpdateComponent_DeleteComponent_RejectBadInputAndChangeNothing) {
  v1::UpdateComponentRequest base;
  base.mutable_component()->set_name(c2_);
  base.mutable_component()->set_display_name("Changed");
  base.mutable_update_mask()->add_paths("display_name");
  auto call = [this](const v1::UpdateComponentRequest& r) {
    return StatusOf(client().UpdateComponent(r));
  };
  using R = v1::UpdateComponentRequest;
  ExpectRejected("empty name", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_component()->clear_name(); }, call));
  ExpectRejected("unknown", {kNotFound},
                 With<R>(base, [](R& r) { r.mutable_component()->set_name("pages/alpha/components/nope"); }, call));
  ExpectRejected("another page's component", {kNotFound},
                 With<R>(base, [](R& r) { r.mutable_component()->set_name("pages/beta/components/c2"); }, call));
  ExpectRejected("stale etag", {kAborted},
                 With<R>(base, [this](R& r) { r.mutable_component()->set_etag(stale_component_); }, call));
  ExpectRejected("output-only status in mask", {kInvalid},
                 With<R>(base, [](R& r) {
                   r.mutable_component()->set_status(v1::ComponentStatus::MAJOR_OUTAGE);
                   r.mutable_update_mask()->add_paths("status");
                 }, call));
  ExpectRejected("unknown mask path", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update_mask()->add_paths("nope"); }, call));
  ExpectRejected("group of another page", {kInvalid, kNotFound},
                 With<R>(base, [this](R& r) {
                   r.mutable_component()->set_group(g2_);
                   r.mutable_update_mask()->add_paths("group");
                 }, call));

  auto del = [this](const std::string& name, const std::string& etag) {
    v1::DeleteComponentRequest r;
    r.set_name(name);
    r.set_etag(etag);
    return client().DeleteComponent(r);
  };
  ExpectRejected("Delete empty", {kInvalid}, [&] { return del("", ""); });
  ExpectRejected("Delete unknown", {kNotFound},
                 [&] { return del("pages/alpha/components/nope", ""); });
  ExpectRejected("Delete another page's", {kNotFound},
                 [&] { return del("pages/beta/components/c1", ""); });
  ExpectRejected("Delete while an open incident affects it", {kPrecondition},
                 [&] { return del(c1_, ""); });
  ExpectRejected("Delete stale etag", {kAborted},
                 [&] { return del(c2_, stale_component_); });
}

TEST_F(BadInputTest, SetComponentStatus_RejectBadInputAndChangeNothing) {
  v1::SetComponentStatusRequest base;
  base.set_name(c2_);
  base.set_status(v1::ComponentStatus::DEGRADED_PERFORMANCE);
  base.set_reason("Planned failover");
  auto call = [this](const v1::SetComponentStatusRequest& r) {
    return StatusOf(client().SetComponentStatus(r));
  };
  using R = v1::SetComponentStatusRequest;
  ExpectRejected("empty name", {kInvalid},
                 With<R>(base, [](R& r) { r.clear_name(); }, call));
  ExpectRejected("unknown", {kNotFound},
                 With<R>(base, [](R& r) { r.set_name("pages/alpha/components/nope"); }, call));
  ExpectRejected("unspecified status", {kInvalid},
                 With<R>(base, [](R& r) { r.clear_status(); }, call));
  ExpectRejected("status 99", {kInvalid},
                 With<R>(base, [](R& r) { r.set_status(Unknown<v1::ComponentStatus::Value>()); }, call));
  ExpectRejected("empty reason", {kInvalid},
                 With<R>(base, [](R& r) { r.clear_reason(); }, call));
  ExpectRejected("reason of 1025 characters", {kInvalid},
                 With<R>(base, [](R& r) { r.set_reason(Long(1025)); }, call));
  ExpectRejected("stale etag", {kAborted},
                 With<R>(base, [this](R& r) { r.set_etag(stale_component_); }, call));

  R sql = base;
  sql.set_reason(kSqlLine);
  ASSERT_OK_AND_ASSIGN(v1::Component set, client().SetComponentStatus(sql));
  ASSERT_OK_AND_ASSIGN(v1::Component read, GetComponent(client(), c2_));
  EXPECT_EQ(read.status(), v1::ComponentStatus::DEGRADED_PERFORMANCE);
  EXPECT_EQ(read.status_reason(), kSqlLine);
}

TEST_F(BadInputTest, ComponentGroups_RejectBadInputAndChangeNothing) {
  v1::CreateComponentGroupRequest base;
  base.set_parent(alpha_);
  base.set_group_id("g9");
  base.mutable_group()->set_display_name("G9");
  auto create = [this](const v1::CreateComponentGroupRequest& r) {
    return StatusOf(client().CreateComponentGroup(r));
  };
  using C = v1::CreateComponentGroupRequest;
  ExpectRejected("Create empty parent", {kInvalid},
                 With<C>(base, [](C& r) { r.clear_parent(); }, create));
  ExpectRejected("Create unknown page", {kNotFound},
                 With<C>(base, [](C& r) { r.set_parent("pages/nope"); }, create));
  ExpectRejected("Create bad group_id", {kInvalid},
                 With<C>(base, [](C& r) { r.set_group_id("-g"); }, create));
  ExpectRejected("Create group_id taken", {kExists},
                 With<C>(base, [](C& r) { r.set_group_id("g1"); }, create));
  ExpectRejected("Create display_name of 201", {kInvalid},
                 With<C>(base, [](C& r) { r.mutable_group()->set_display_name(Long(201)); }, create));
  C with_id = base;
  with_id.set_request_id("create-g9");
  with_id.mutable_group()->set_description(kSqlText);
  ASSERT_OK_AND_ASSIGN(v1::ComponentGroup first,
                       client().CreateComponentGroup(with_id));
  EXPECT_EQ(first.description(), kSqlText);
  ASSERT_OK_AND_ASSIGN(v1::ComponentGroup again,
                       client().CreateComponentGroup(with_id));
  EXPECT_TRUE(ProtoEquals(again, first));
  ExpectRejected("Create request_id reused for another request", {kExists},
                 With<C>(with_id, [](C& r) { r.set_group_id("g10"); }, create));

  auto get = [this](const std::string& name) {
    v1::GetComponentGroupRequest r;
    r.set_name(name);
    return StatusOf(client().GetComponentGroup(r));
  };
  ExpectRejected("Get empty", {kInvalid}, [&] { return get(""); });
  ExpectRejected("Get unknown", {kNotFound},
                 [&] { return get("pages/alpha/componentGroups/nope"); });
  ExpectRejected("Get another page's", {kNotFound},
                 [&] { return get("pages/beta/componentGroups/g1"); });
  ExpectRejected("Get wrong collection", {kInvalid},
                 [&] { return get("pages/alpha/groups/g1"); });

  auto list = [this](const std::string& parent, const std::string& token) {
    v1::ListComponentGroupsRequest r;
    r.set_parent(parent);
    r.set_page_token(token);
    return StatusOf(client().ListComponentGroups(r));
  };
  ExpectRejected("List empty parent", {kInvalid}, [&] { return list("", ""); });
  ExpectRejected("List unknown page", {kNotFound},
                 [&] { return list("pages/nope", ""); });
  ExpectRejected("List garbage token", {kInvalid},
                 [&] { return list(alpha_, "%%%"); });

  v1::UpdateComponentGroupRequest update;
  update.mutable_group()->set_name(g1_);
  update.mutable_group()->set_display_name("Changed");
  update.mutable_update_mask()->add_paths("display_name");
  auto call_update = [this](const v1::UpdateComponentGroupRequest& r) {
    return StatusOf(client().UpdateComponentGroup(r));
  };
  using U = v1::UpdateComponentGroupRequest;
  ExpectRejected("Update empty name", {kInvalid},
                 With<U>(update, [](U& r) { r.mutable_group()->clear_name(); }, call_update));
  ExpectRejected("Update unknown", {kNotFound},
                 With<U>(update, [](U& r) { r.mutable_group()->set_name("pages/alpha/componentGroups/nope"); }, call_update));
  ExpectRejected("Update stale etag", {kAborted},
                 With<U>(update, [this](U& r) { r.mutable_group()->set_etag(stale_group_); }, call_update));
  ExpectRejected("Update unknown mask path", {kInvalid},
                 With<U>(update, [](U& r) { r.mutable_update_mask()->add_paths("bogus"); }, call_update));
  ExpectRejected("Update display_name of 201", {kInvalid},
                 With<U>(update, [](U& r) { r.mutable_group()->set_display_name(Long(201)); }, call_update));

  auto del = [this](const std::string& name, const std::string& etag) {
    v1::DeleteComponentGroupRequest r;
    r.set_name(name);
    r.set_etag(etag);
    return client().DeleteComponentGroup(r);
  };
  ExpectRejected("Delete empty", {kInvalid}, [&] { return del("", ""); });
  ExpectRejected("Delete unknown", {kNotFound},
                 [&] { return del("pages/alpha/componentGroups/nope", ""); });
  ExpectRejected("Delete another page's", {kNotFound},
                 [&] { return del("pages/beta/componentGroups/g1", ""); });
  ExpectRejected("Delete stale etag", {kAborted},
                 [&] { return del(g1_, stale_group_); });
}

// --- IncidentService ------------------------------------------------------

TEST_F(BadInputTest, CreateIncident_RejectBadInputAndChangeNothing) {
  v1::CreateIncidentRequest base;
  base.set_parent(alpha_);
  base.set_incident_id("inc-9");
  base.mutable_incident()->set_title("Errors");
  base.mutable_incident()->add_components(c2_);
  base.mutable_first_update()->set_body("Investigating.");
  auto call = [this](const v1::CreateIncidentRequest& r) {
    return StatusOf(client().CreateIncident(r));
  };
  using R = v1::CreateIncidentRequest;
  auto maintenance = [](R& r) {
    r.mutable_incident()->set_kind(v1::Incident::MAINTENANCE);
    *r.mutable_incident()->mutable_scheduled_start_time() =
        ToProto(absl::Now() + absl::Hours(1));
    *r.mutable_incident()->mutable_scheduled_end_time() =
        ToProto(absl::Now() + absl::Hours(2));
  };
  ExpectRejected("empty parent", {kInvalid},
                 With<R>(base, [](R& r) { r.clear_parent(); }, call));
  ExpectRejected("unknown page", {kNotFound},
                 With<R>(base, [](R& r) {
                   r.set_parent("pages/nope");
                   r.mutable_incident()->clear_components();
                 }, call));
  ExpectRejected("bad incident_id", {kInvalid},
                 With<R>(base, [](R& r) { r.set_incident_id("inc_9"); }, call));
  ExpectRejected("incident_id taken", {kExists},
                 With<R>(base, [](R& r) { r.set_incident_id("inc-a"); }, call));
  ExpectRejected("empty title", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_incident()->clear_title(); }, call));
  ExpectRejected("title of 201 characters", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_incident()->set_title(Long(201)); }, call));
  ExpectRejected("title with a newline", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_incident()->set_title("a\nb"); }, call));
  ExpectRejected("empty body", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_first_update()->clear_body(); }, call));
  ExpectRejected("body of 65537 bytes", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_first_update()->set_body(Long(65537)); }, call));
  ExpectRejected("kind 99", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_incident()->set_kind(Unknown<v1::Incident::Kind>()); }, call));
  ExpectRejected("status 99", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_first_update()->set_status(Unknown<v1::IncidentStatus::Value>()); }, call));
  ExpectRejected("maintenance status on an incident", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_first_update()->set_status(v1::IncidentStatus::SCHEDULED); }, call));
  ExpectRejected("incident status on a maintenance", {kInvalid},
                 With<R>(base, [&](R& r) {
                   maintenance(r);
                   r.mutable_first_update()->set_status(v1::IncidentStatus::INVESTIGATING);
                 }, call));
  ExpectRejected("maintenance without scheduled times", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_incident()->set_kind(v1::Incident::MAINTENANCE); }, call));
  ExpectRejected("maintenance ending before it starts", {kInvalid},
                 With<R>(base, [&](R& r) {
                   maintenance(r);
                   std::swap(*r.mutable_incident()->mutable_scheduled_start_time(),
                             *r.mutable_incident()->mutable_scheduled_end_time());
                 }, call));
  ExpectRejected("impact_override 99", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_incident()->set_impact_override(Unknown<v1::Impact::Value>()); }, call));
  ExpectRejected("unknown component", {kNotFound},
                 With<R>(base, [](R& r) { r.mutable_incident()->add_components("pages/alpha/components/nope"); }, call));
  ExpectRejected("component of another page", {kInvalid, kNotFound},
                 With<R>(base, [this](R& r) { r.mutable_incident()->add_components(c3_); }, call));
  ExpectRejected("malformed component", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_incident()->add_components("c2"); }, call));
  ExpectRejected("101 components", {kInvalid},
                 With<R>(base, [this](R& r) {
                   for (int i = 0; i < 100; ++i) r.mutable_incident()->add_components(c2_);
                 }, call));
  ExpectRejected("component change status 99", {kInvalid},
                 With<R>(base, [this](R& r) {
                   *r.mutable_first_update()->add_component_changes() =
                       Change(c2_, Unknown<v1::ComponentStatus::Value>());
                 }, call));
  ExpectRejected("component change of an unknown component", {kNotFound},
                 With<R>(base, [](R& r) {
                   *r.mutable_first_update()->add_component_changes() =
                       Change("pages/alpha/components/nope", v1::ComponentStatus::MAJOR_OUTAGE);
                 }, call));
  ExpectRejected("component change of another page", {kInvalid, kNotFound},
                 With<R>(base, [this](R& r) {
                   *r.mutable_first_update()->add_component_changes() =
                       Change(c3_, v1::ComponentStatus::MAJOR_OUTAGE);
                 }, call));
  ExpectRejected("unknown display time zone", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_first_update()->set_display_time_zone("CEST"); }, call));
  ExpectRejected("author of 5000 characters", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_first_update()->set_author(Long(5000)); }, call));
  ExpectRejected("request_id of 129 characters", {kInvalid},
                 With<R>(base, [](R& r) { r.set_request_id(Long(129)); }, call));

  R sql = base;
  sql.mutable_incident()->set_title(kSqlLine);
  sql.mutable_first_update()->set_body(kSqlText);
  sql.mutable_first_update()->set_author(kSqlLine);
  ASSERT_OK_AND_ASSIGN(v1::Incident created, client().CreateIncident(sql));
  ASSERT_OK_AND_ASSIGN(v1::Incident read, GetIncident(client(), created.name()));
  EXPECT_EQ(read.title(), kSqlLine);
  ASSERT_EQ(read.updates_size(), 1);
  EXPECT_EQ(read.updates(0).body(), kSqlText);
  EXPECT_EQ(read.updates(0).author(), kSqlLine);

  R with_id = base;
  with_id.set_incident_id("inc-10");
  with_id.set_request_id("create-inc-10");
  ASSERT_OK_AND_ASSIGN(v1::Incident first, client().CreateIncident(with_id));
  ASSERT_OK_AND_ASSIGN(v1::Incident again, client().CreateIncident(with_id));
  EXPECT_EQ(again.name(), first.name());
  EXPECT_EQ(again.etag(), first.etag());
  ExpectRejected("request_id reused for another request", {kExists},
                 With<R>(with_id, [](R& r) { r.mutable_first_update()->set_body("Other."); }, call));
}

TEST_F(BadInputTest, GetIncident_ListIncidents_ListIncidentUpdates_RejectBadInputAndChangeNothing) {
  auto get = [this](const std::string& name) {
    return StatusOf(GetIncident(client(), name));
  };
  ExpectRejected("Get empty", {kInvalid}, [&] { return get(""); });
  ExpectRejected("Get unknown", {kNotFound},
                 [&] { return get("pages/alpha/incidents/nope"); });
  ExpectRejected("Get another page's incident", {kNotFound},
                 [&] { return get("pages/beta/incidents/inc-a"); });
  ExpectRejected("Get wrong collection", {kInvalid},
                 [&] { return get("pages/alpha/components/inc-a"); });
  ExpectRejected("Get SQL in the id", {kInvalid, kNotFound},
                 [&] { return get("pages/alpha/incidents/x' OR '1'='1"); });

  v1::ListIncidentsRequest base;
  base.set_parent(alpha_);
  auto list = [this](const v1::ListIncidentsRequest& r) {
    return StatusOf(client().ListIncidents(r));
  };
  using R = v1::ListIncidentsRequest;
  ExpectRejected("List empty parent", {kInvalid},
                 With<R>(base, [](R& r) { r.clear_parent(); }, list));
  ExpectRejected("List unknown page", {kNotFound},
                 With<R>(base, [](R& r) { r.set_parent("pages/nope"); }, list));
  ExpectRejected("List kind 99", {kInvalid},
                 With<R>(base, [](R& r) { r.set_kind(Unknown<v1::Incident::Kind>()); }, list));
  ExpectRejected("List state 99", {kInvalid},
                 With<R>(base, [](R& r) { r.set_state(Unknown<v1::ListIncidentsRequest::StateFilter>()); }, list));
  ExpectRejected("List negative page_size", {kInvalid},
                 With<R>(base, [](R& r) { r.set_page_size(-1); }, list));
  ExpectRejected("List garbage token", {kInvalid},
                 With<R>(base, [](R& r) { r.set_page_token("AAAA"); }, list));
  ExpectRejected("List component of another page", {kInvalid, kNotFound},
                 With<R>(base, [this](R& r) { r.set_component(c3_); }, list));
  R paged = base;
  paged.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(v1::ListIncidentsResponse page1,
                       client().ListIncidents(paged));
  ASSERT_FALSE(page1.next_page_token().empty());
  ExpectRejected("List token replayed with another filter", {kInvalid},
                 With<R>(base, [&](R& r) {
                   r.set_state(v1::ListIncidentsRequest::CLOSED);
                   r.set_page_token(page1.next_page_token());
                 }, list));

  auto updates = [this](const std::string& parent, int size,
                        const std::string& token) {
    v1::ListIncidentUpdatesRequest r;
    r.set_parent(parent);
    r.set_page_size(size);
    r.set_page_token(token);
    return StatusOf(client().ListIncidentUpdates(r));
  };
  ExpectRejected("ListUpdates empty parent", {kInvalid},
                 [&] { return updates("", 0, ""); });
  ExpectRejected("ListUpdates unknown incident", {kNotFound},
                 [&] { return updates("pages/alpha/incidents/nope", 0, ""); });
  ExpectRejected("ListUpdates another page's incident", {kNotFound},
                 [&] { return updates("pages/beta/incidents/inc-a", 0, ""); });
  ExpectRejected("ListUpdates negative page_size", {kInvalid},
                 [&] { return updates(inc_a_, -1, ""); });
  ExpectRejected("ListUpdates garbage token", {kInvalid},
                 [&] { return updates(inc_a_, 0, "garbage"); });
}

TEST_F(BadInputTest, UpdateIncident_RejectBadInputAndChangeNothing) {
  v1::UpdateIncidentRequest base;
  base.mutable_incident()->set_name(inc_a_);
  base.mutable_incident()->set_title("Renamed");
  base.mutable_update_mask()->add_paths("title");
  auto call = [this](const v1::UpdateIncidentRequest& r) {
    return StatusOf(client().UpdateIncident(r));
  };
  using R = v1::UpdateIncidentRequest;
  ExpectRejected("empty name", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_incident()->clear_name(); }, call));
  ExpectRejected("unknown", {kNotFound},
                 With<R>(base, [](R& r) { r.mutable_incident()->set_name("pages/alpha/incidents/nope"); }, call));
  ExpectRejected("another page's incident", {kNotFound},
                 With<R>(base, [](R& r) { r.mutable_incident()->set_name("pages/beta/incidents/inc-a"); }, call));
  ExpectRejected("stale etag", {kAborted},
                 With<R>(base, [this](R& r) { r.mutable_incident()->set_etag(stale_incident_); }, call));
  ExpectRejected("title of 201", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_incident()->set_title(Long(201)); }, call));
  ExpectRejected("output-only status in mask", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update_mask()->add_paths("status"); }, call));
  ExpectRejected("immutable kind in mask", {kInvalid},
                 With<R>(base, [](R& r) {
                   r.mutable_incident()->set_kind(v1::Incident::MAINTENANCE);
                   r.mutable_update_mask()->add_paths("kind");
                 }, call));
  ExpectRejected("unknown mask path", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update_mask()->add_paths("severity"); }, call));
  ExpectRejected("impact_override 99", {kInvalid},
                 With<R>(base, [](R& r) {
                   r.mutable_incident()->set_impact_override(Unknown<v1::Impact::Value>());
                   r.mutable_update_mask()->add_paths("impact_override");
                 }, call));
  ExpectRejected("unknown component", {kNotFound},
                 With<R>(base, [](R& r) {
                   r.mutable_incident()->add_components("pages/alpha/components/nope");
                   r.mutable_update_mask()->add_paths("components");
                 }, call));
  ExpectRejected("component of another page", {kInvalid, kNotFound},
                 With<R>(base, [this](R& r) {
                   r.mutable_incident()->add_components(c3_);
                   r.mutable_update_mask()->add_paths("components");
                 }, call));
}

TEST_F(BadInputTest, PostIncidentUpdate_RejectBadInputAndChangeNothing) {
  v1::PostIncidentUpdateRequest base;
  base.set_parent(inc_a_);
  base.mutable_update()->set_status(v1::IncidentStatus::IDENTIFIED);
  base.mutable_update()->set_body("Found it.");
  auto call = [this](const v1::PostIncidentUpdateRequest& r) {
    return StatusOf(client().PostIncidentUpdate(r));
  };
  using R = v1::PostIncidentUpdateRequest;
  ExpectRejected("empty parent", {kInvalid},
                 With<R>(base, [](R& r) { r.clear_parent(); }, call));
  ExpectRejected("unknown incident", {kNotFound},
                 With<R>(base, [](R& r) { r.set_parent("pages/alpha/incidents/nope"); }, call));
  ExpectRejected("another page's incident", {kNotFound},
                 With<R>(base, [](R& r) { r.set_parent("pages/beta/incidents/inc-a"); }, call));
  ExpectRejected("empty body", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update()->clear_body(); }, call));
  ExpectRejected("body of 65537 bytes", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update()->set_body(Long(65537)); }, call));
  ExpectRejected("body with a NUL byte", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update()->set_body(std::string("a\0b", 3)); }, call));
  ExpectRejected("status 99", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update()->set_status(Unknown<v1::IncidentStatus::Value>()); }, call));
  ExpectRejected("maintenance status on an incident", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update()->set_status(v1::IncidentStatus::IN_PROGRESS); }, call));
  ExpectRejected("reopen on an open incident", {kPrecondition},
                 With<R>(base, [](R& r) { r.set_reopen(true); }, call));
  ExpectRejected("stale etag", {kAborted},
                 With<R>(base, [this](R& r) { r.set_etag(stale_incident_); }, call));
  ExpectRejected("component change status 99", {kInvalid},
                 With<R>(base, [this](R& r) {
                   *r.mutable_update()->add_component_changes() =
                       Change(c1_, Unknown<v1::ComponentStatus::Value>());
                 }, call));
  ExpectRejected("component change of an unknown component", {kNotFound},
                 With<R>(base, [](R& r) {
                   *r.mutable_update()->add_component_changes() =
                       Change("pages/alpha/components/nope", v1::ComponentStatus::OPERATIONAL);
                 }, call));
  ExpectRejected("component change of another page", {kInvalid, kNotFound},
                 With<R>(base, [this](R& r) {
                   *r.mutable_update()->add_component_changes() =
                       Change(c3_, v1::ComponentStatus::MAJOR_OUTAGE);
                 }, call));
  ExpectRejected("101 component changes", {kInvalid},
                 With<R>(base, [this](R& r) {
                   for (int i = 0; i < 101; ++i) {
                     *r.mutable_update()->add_component_changes() =
                         Change(c1_, v1::ComponentStatus::MAJOR_OUTAGE);
                   }
                 }, call));
  ExpectRejected("unknown display time zone", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update()->set_display_time_zone("Europe/Atlantis"); }, call));

  R sql = base;
  sql.mutable_update()->set_body(kSqlText);
  ASSERT_OK_AND_ASSIGN(v1::IncidentUpdate posted, client().PostIncidentUpdate(sql));
  EXPECT_EQ(posted.body(), kSqlText);
  ASSERT_OK_AND_ASSIGN(v1::Incident read, GetIncident(client(), inc_a_));
  EXPECT_EQ(read.updates(0).body(), kSqlText);

  R with_id = base;
  with_id.set_request_id("post-1");
  with_id.mutable_update()->set_body("Once only.");
  ASSERT_OK_AND_ASSIGN(v1::IncidentUpdate first, client().PostIncidentUpdate(with_id));
  ASSERT_OK_AND_ASSIGN(v1::IncidentUpdate again, client().PostIncidentUpdate(with_id));
  EXPECT_EQ(again.name(), first.name());
  ASSERT_OK_AND_ASSIGN(read, GetIncident(client(), inc_a_));
  int copies = 0;
  for (const auto& u : read.updates()) copies += u.body() == "Once only.";
  EXPECT_EQ(copies, 1);
  ExpectRejected("request_id reused for another request", {kExists},
                 With<R>(with_id, [](R& r) { r.mutable_update()->set_body("Twice?"); }, call));
  ExpectRejected("request_id reused on another incident", {kExists},
                 With<R>(with_id, [this](R& r) { r.set_parent(inc_a2_); }, call));
}

TEST_F(BadInputTest, EditIncidentUpdate_RejectBadInputAndChangeNothing) {
  v1::EditIncidentUpdateRequest base;
  base.mutable_update()->set_name(update_a_);
  base.mutable_update()->set_body("Edited.");
  base.mutable_update_mask()->add_paths("body");
  base.set_editor("alice");
  auto call = [this](const v1::EditIncidentUpdateRequest& r) {
    return StatusOf(client().EditIncidentUpdate(r));
  };
  using R = v1::EditIncidentUpdateRequest;
  const std::string update_id = update_a_.substr(update_a_.rfind('/') + 1);
  ExpectRejected("empty name", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update()->clear_name(); }, call));
  ExpectRejected("incident name instead of an update's", {kInvalid},
                 With<R>(base, [this](R& r) { r.mutable_update()->set_name(inc_a_); }, call));
  ExpectRejected("unknown update", {kNotFound},
                 With<R>(base, [this](R& r) { r.mutable_update()->set_name(inc_a_ + "/updates/nope"); }, call));
  ExpectRejected("update under another incident", {kNotFound},
                 With<R>(base, [&](R& r) { r.mutable_update()->set_name(inc_a2_ + "/updates/" + update_id); }, call));
  ExpectRejected("update under another page", {kNotFound},
                 With<R>(base, [&](R& r) {
                   r.mutable_update()->set_name("pages/beta/incidents/inc-a/updates/" + update_id);
                 }, call));
  ExpectRejected("stale etag", {kAborted},
                 With<R>(base, [this](R& r) { r.mutable_update()->set_etag(stale_update_); }, call));
  ExpectRejected("empty body", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update()->clear_body(); }, call));
  ExpectRejected("body of 65537 bytes", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_update()->set_body(Long(65537)); }, call));
  ExpectRejected("status in mask", {kInvalid},
                 With<R>(base, [](R& r) {
                   r.mutable_update()->set_status(v1::IncidentStatus::RESOLVED);
                   r.mutable_update_mask()->add_paths("status");
                 }, call));
  ExpectRejected("unknown display time zone", {kInvalid},
                 With<R>(base, [](R& r) {
                   r.mutable_update()->set_display_time_zone("PST8PDT-ish");
                   r.mutable_update_mask()->add_paths("display_time_zone");
                 }, call));
}

// --- PostmortemService ----------------------------------------------------

TEST_F(BadInputTest, GetPostmortem_UpdatePostmortem_ListRevisions_RejectBadInputAndChangeNothing) {
  auto get = [this](const std::string& name) {
    v1::GetPostmortemRequest r;
    r.set_name(name);
    return StatusOf(client().GetPostmortem(r));
  };
  ExpectRejected("Get empty", {kInvalid}, [&] { return get(""); });
  ExpectRejected("Get incident name", {kInvalid}, [&] { return get(inc_a_); });
  ExpectRejected("Get wrong singleton", {kInvalid},
                 [&] { return get(inc_a_ + "/postmortems"); });
  ExpectRejected("Get of an incident without one", {kNotFound},
                 [&] { return get(inc_a2_ + "/postmortem"); });
  ExpectRejected("Get of an unknown incident", {kNotFound},
                 [&] { return get("pages/alpha/incidents/nope/postmortem"); });
  ExpectRejected("Get of another page", {kNotFound},
                 [&] { return get("pages/beta/incidents/inc-a/postmortem"); });

  v1::UpdatePostmortemRequest base;
  base.mutable_postmortem()->set_name(inc_a_ + "/postmortem");
  base.mutable_postmortem()->add_sections()->set_body("New text.");
  auto call = [this](const v1::UpdatePostmortemRequest& r) {
    return StatusOf(client().UpdatePostmortem(r));
  };
  using R = v1::UpdatePostmortemRequest;
  ExpectRejected("Update empty name", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_postmortem()->clear_name(); }, call));
  ExpectRejected("Update unknown incident", {kNotFound},
                 With<R>(base, [](R& r) { r.mutable_postmortem()->set_name("pages/alpha/incidents/nope/postmortem"); }, call));
  ExpectRejected("Update stale etag", {kAborted},
                 With<R>(base, [this](R& r) { r.mutable_postmortem()->set_etag(stale_postmortem_); }, call));
  ExpectRejected("Update 51 sections", {kInvalid},
                 With<R>(base, [](R& r) {
                   for (int i = 0; i < 50; ++i) r.mutable_postmortem()->add_sections()->set_body("x");
                 }, call));
  ExpectRejected("Update section body of 65537 bytes", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_postmortem()->mutable_sections(0)->set_body(Long(65537)); }, call));
  ExpectRejected("Update author of 5000 characters", {kInvalid},
                 With<R>(base, [](R& r) { r.mutable_postmortem()->set_author(Long(5000)); }, call));

  R sql = base;
  sql.mutable_postmortem()->mutable_sections(0)->set_heading(kSqlLine);
  sql.mutable_postmortem()->mutable_sections(0)->set_body(kSqlText);
  ASSERT_OK(client().UpdatePostmortem(sql));
  v1::GetPostmortemRequest read_request;
  read_request.set_name(inc_a_ + "/postmortem");
  ASSERT_OK_AND_ASSIGN(v1::Postmortem read, client().GetPostmortem(read_request));
  ASSERT_EQ(read.sections_size(), 1);
  EXPECT_EQ(read.sections(0).heading(), kSqlLine);
  EXPECT_EQ(read.sections(0).body(), kSqlText);

  auto revisions = [this](const std::string& name, const std::string& token) {
    v1::ListPostmortemRevisionsRequest r;
    r.set_name(name);
    r.set_page_token(token);
    return StatusOf(client().ListPostmortemRevisions(r));
  };
  ExpectRejected("Revisions empty", {kInvalid},
                 [&] { return revisions("", ""); });
  ExpectRejected("Revisions unknown incident", {kNotFound},
                 [&] { return revisions("pages/alpha/incidents/nope/postmortem", ""); });
  ExpectRejected("Revisions garbage token", {kInvalid},
                 [&] { return revisions(inc_a_ + "/postmortem", "zzz"); });
}

TEST_F(BadInputTest, PublishPostmortem_UnpublishPostmortem_RejectBadInputAndChangeNothing) {
  auto publish = [this](const std::string& name, const std::string& etag) {
    v1::PublishPostmortemRequest r;
    r.set_name(name);
    r.set_etag(etag);
    return StatusOf(client().PublishPostmortem(r));
  };
  ExpectRejected("Publish empty", {kInvalid}, [&] { return publish("", ""); });
  ExpectRejected("Publish unknown incident", {kNotFound},
                 [&] { return publish("pages/alpha/incidents/nope/postmortem", ""); });
  ExpectRejected("Publish without a postmortem", {kNotFound, kPrecondition},
                 [&] { return publish(inc_a2_ + "/postmortem", ""); });
  ExpectRejected("Publish stale etag", {kAborted},
                 [&] { return publish(inc_a_ + "/postmortem", stale_postmortem_); });
  ExpectRejected("Publish when published", {kPrecondition},
                 [&] { return publish(inc_b_ + "/postmortem", ""); });

  auto unpublish = [this](const std::string& name, const std::string& etag) {
    v1::UnpublishPostmortemRequest r;
    r.set_name(name);
    r.set_etag(etag);
    return StatusOf(client().UnpublishPostmortem(r));
  };
  ExpectRejected("Unpublish empty", {kInvalid}, [&] { return unpublish("", ""); });
  ExpectRejected("Unpublish unknown incident", {kNotFound},
                 [&] { return unpublish("pages/beta/incidents/nope/postmortem", ""); });
  ExpectRejected("Unpublish a draft", {kPrecondition},
                 [&] { return unpublish(inc_a_ + "/postmortem", ""); });
  ExpectRejected("Unpublish stale etag", {kAborted},
                 [&] { return unpublish(inc_b_ + "/postmortem", stale_published_); });
}

TEST_F(BadInputTest, CorrectiveActions_RejectBadInputAndChangeNothing) {
  v1::CreateCorrectiveActionRequest base;
  base.set_parent(inc_a_);
  base.set_corrective_action_id("act-9");
  base.mutable_corrective_action()->set_description("Automate failover");
  auto create = [this](const v1::CreateCorrectiveActionRequest& r) {
    return StatusOf(client().CreateCorrectiveAction(r));
  };
  using C = v1::CreateCorrectiveActionRequest;
  ExpectRejected("Create empty parent", {kInvalid},
                 With<C>(base, [](C& r) { r.clear_parent(); }, create));
  ExpectRejected("Create unknown incident", {kNotFound},
                 With<C>(base, [](C& r) { r.set_parent("pages/alpha/incidents/nope"); }, create));
  ExpectRejected("Create under another page", {kNotFound},
                 With<C>(base, [](C& r) { r.set_parent("pages/beta/incidents/inc-a"); }, create));
  ExpectRejected("Create bad id", {kInvalid},
                 With<C>(base, [](C& r) { r.set_corrective_action_id("Act 9"); }, create));
  ExpectRejected("Create id taken", {kExists},
                 With<C>(base, [](C& r) { r.set_corrective_action_id("act-a"); }, create));
  ExpectRejected("Create empty description", {kInvalid},
                 With<C>(base, [](C& r) { r.mutable_corrective_action()->clear_description(); }, create));
  ExpectRejected("Create description of 4097", {kInvalid},
                 With<C>(base, [](C& r) { r.mutable_corrective_action()->set_description(Long(4097)); }, create));
  ExpectRejected("Create state 99", {kInvalid},
                 With<C>(base, [](C& r) { r.mutable_corrective_action()->set_state(Unknown<v1::CorrectiveAction::State>()); }, create));
  ExpectRejected("Create owner of 5000", {kInvalid},
                 With<C>(base, [](C& r) { r.mutable_corrective_action()->set_owner(Long(5000)); }, create));

  C sql = base;
  sql.mutable_corrective_action()->set_description(kSqlText);
  sql.mutable_corrective_action()->set_owner(kSqlLine);
  ASSERT_OK_AND_ASSIGN(v1::CorrectiveAction created,
                       client().CreateCorrectiveAction(sql));
  EXPECT_EQ(created.description(), kSqlText);
  EXPECT_EQ(created.owner(), kSqlLine);

  C with_id = base;
  with_id.clear_corrective_action_id();
  with_id.set_request_id("action-1");
  ASSERT_OK_AND_ASSIGN(v1::CorrectiveAction first,
                       client().CreateCorrectiveAction(with_id));
  v1::ListCorrectiveActionsRequest list_all;
  list_all.set_parent(inc_a_);
  ASSERT_OK_AND_ASSIGN(v1::ListCorrectiveActionsResponse before,
                       client().ListCorrectiveActions(list_all));
  ASSERT_OK_AND_ASSIGN(v1::CorrectiveAction again,
                       client().CreateCorrectiveAction(with_id));
  EXPECT_TRUE(ProtoEquals(again, first));
  ASSERT_OK_AND_ASSIGN(v1::ListCorrectiveActionsResponse after,
                       client().ListCorrectiveActions(list_all));
  EXPECT_EQ(after.corrective_actions_size(), before.corrective_actions_size())
      << "the replay created a second action";
  ExpectRejected("Create request_id reused for another request", {kExists},
                 With<C>(with_id, [](C& r) { r.mutable_corrective_action()->set_owner("Someone"); }, create));

  auto list = [this](const std::string& parent, const std::string& token) {
    v1::ListCorrectiveActionsRequest r;
    r.set_parent(parent);
    r.set_page_token(token);
    return StatusOf(client().ListCorrectiveActions(r));
  };
  ExpectRejected("List empty", {kInvalid}, [&] { return list("", ""); });
  ExpectRejected("List unknown incident", {kNotFound},
                 [&] { return list("pages/alpha/incidents/nope", ""); });
  ExpectRejected("List garbage token", {kInvalid},
                 [&] { return list(inc_a_, "garbage"); });

  v1::UpdateCorrectiveActionRequest update;
  update.mutable_corrective_action()->set_name(act_a_);
  update.mutable_corrective_action()->set_state(v1::CorrectiveAction::DONE);
  update.mutable_update_mask()->add_paths("state");
  auto call_update = [this](const v1::UpdateCorrectiveActionRequest& r) {
    return StatusOf(client().UpdateCorrectiveAction(r));
  };
  using U = v1::UpdateCorrectiveActionRequest;
  ExpectRejected("Update empty name", {kInvalid},
                 With<U>(update, [](U& r) { r.mutable_corrective_action()->clear_name(); }, call_update));
  ExpectRejected("Update unknown", {kNotFound},
                 With<U>(update, [this](U& r) { r.mutable_corrective_action()->set_name(inc_a_ + "/correctiveActions/nope"); }, call_update));
  ExpectRejected("Update another page's", {kNotFound},
                 With<U>(update, [](U& r) {
                   r.mutable_corrective_action()->set_name("pages/beta/incidents/inc-a/correctiveActions/act-a");
                 }, call_update));
  ExpectRejected("Update stale etag", {kAborted},
                 With<U>(update, [this](U& r) { r.mutable_corrective_action()->set_etag(stale_action_); }, call_update));
  ExpectRejected("Update state 99", {kInvalid},
                 With<U>(update, [](U& r) { r.mutable_corrective_action()->set_state(Unknown<v1::CorrectiveAction::State>()); }, call_update));
  ExpectRejected("Update empty description", {kInvalid},
                 With<U>(update, [](U& r) { r.mutable_update_mask()->add_paths("description"); }, call_update));
  ExpectRejected("Update unknown mask path", {kInvalid},
                 With<U>(update, [](U& r) { r.mutable_update_mask()->add_paths("priority"); }, call_update));
}

// --- Invalid UTF-8, in one place ------------------------------------------

// A string that is not UTF-8, in any string field of any RPC, is a request
// to fix: INVALID_ARGUMENT ("not UTF-8" is listed with the common codes in
// pages.proto), and nothing is written.
TEST_F(BadInputTest, InvalidUtf8_InEveryStringField_IsInvalidArgument) {
  ExpectRejected("CreatePage display_name", {kInvalid}, [&] {
    v1::CreatePageRequest r;
    r.set_page_id("gamma");
    r.mutable_page()->set_display_name(kBadUtf8);
    return StatusOf(client().CreatePage(r));
  });
  ExpectRejected("GetPage name", {kInvalid}, [&] {
    v1::GetPageRequest r;
    r.set_name("pages/" + kBadUtf8);
    return StatusOf(client().GetPage(r));
  });
  ExpectRejected("UpdatePage display_name", {kInvalid}, [&] {
    v1::UpdatePageRequest r;
    r.mutable_page()->set_name(alpha_);
    r.mutable_page()->set_display_name(kBadUtf8);
    r.mutable_update_mask()->add_paths("display_name");
    return StatusOf(client().UpdatePage(r));
  });
  ExpectRejected("CreateComponent display_name", {kInvalid}, [&] {
    v1::CreateComponentRequest r;
    r.set_parent(alpha_);
    r.set_component_id("c9");
    r.mutable_component()->set_display_name(kBadUtf8);
    return StatusOf(client().CreateComponent(r));
  });
  ExpectRejected("UpdateComponent description", {kInvalid}, [&] {
    v1::UpdateComponentRequest r;
    r.mutable_component()->set_name(c2_);
    r.mutable_component()->set_description(kBadUtf8);
    r.mutable_update_mask()->add_paths("description");
    return StatusOf(client().UpdateComponent(r));
  });
  ExpectRejected("SetComponentStatus reason", {kInvalid}, [&] {
    v1::SetComponentStatusRequest r;
    r.set_name(c2_);
    r.set_status(v1::ComponentStatus::MAJOR_OUTAGE);
    r.set_reason(kBadUtf8);
    return StatusOf(client().SetComponentStatus(r));
  });
  ExpectRejected("CreateComponentGroup display_name", {kInvalid}, [&] {
    v1::CreateComponentGroupRequest r;
    r.set_parent(alpha_);
    r.set_group_id("g9");
    r.mutable_group()->set_display_name(kBadUtf8);
    return StatusOf(client().CreateComponentGroup(r));
  });
  ExpectRejected("UpdateComponentGroup display_name", {kInvalid}, [&] {
    v1::UpdateComponentGroupRequest r;
    r.mutable_group()->set_name(g1_);
    r.mutable_group()->set_display_name(kBadUtf8);
    r.mutable_update_mask()->add_paths("display_name");
    return StatusOf(client().UpdateComponentGroup(r));
  });
  ExpectRejected("CreateIncident title", {kInvalid}, [&] {
    v1::CreateIncidentRequest r;
    r.set_parent(alpha_);
    r.mutable_incident()->set_title(kBadUtf8);
    r.mutable_first_update()->set_body("Investigating.");
    return StatusOf(client().CreateIncident(r));
  });
  ExpectRejected("CreateIncident first update body", {kInvalid}, [&] {
    v1::CreateIncidentRequest r;
    r.set_parent(alpha_);
    r.mutable_incident()->set_title("Errors");
    r.mutable_first_update()->set_body(kBadUtf8);
    return StatusOf(client().CreateIncident(r));
  });
  ExpectRejected("UpdateIncident title", {kInvalid}, [&] {
    v1::UpdateIncidentRequest r;
    r.mutable_incident()->set_name(inc_a_);
    r.mutable_incident()->set_title(kBadUtf8);
    r.mutable_update_mask()->add_paths("title");
    return StatusOf(client().UpdateIncident(r));
  });
  ExpectRejected("PostIncidentUpdate body", {kInvalid}, [&] {
    return StatusOf(
        PostUpdate(client(), inc_a_, v1::IncidentStatus::IDENTIFIED, kBadUtf8));
  });
  ExpectRejected("PostIncidentUpdate author", {kInvalid}, [&] {
    v1::PostIncidentUpdateRequest r;
    r.set_parent(inc_a_);
    r.mutable_update()->set_body("Found it.");
    r.mutable_update()->set_author(kBadUtf8);
    return StatusOf(client().PostIncidentUpdate(r));
  });
  ExpectRejected("EditIncidentUpdate body", {kInvalid}, [&] {
    v1::EditIncidentUpdateRequest r;
    r.mutable_update()->set_name(update_a_);
    r.mutable_update()->set_body(kBadUtf8);
    r.mutable_update_mask()->add_paths("body");
    return StatusOf(client().EditIncidentUpdate(r));
  });
  ExpectRejected("UpdatePostmortem heading", {kInvalid}, [&] {
    v1::UpdatePostmortemRequest r;
    r.mutable_postmortem()->set_name(inc_a_ + "/postmortem");
    auto* section = r.mutable_postmortem()->add_sections();
    section->set_heading(kBadUtf8);
    section->set_body("Text.");
    return StatusOf(client().UpdatePostmortem(r));
  });
  ExpectRejected("CreateCorrectiveAction description", {kInvalid}, [&] {
    v1::CreateCorrectiveActionRequest r;
    r.set_parent(inc_a_);
    r.mutable_corrective_action()->set_description(kBadUtf8);
    return StatusOf(client().CreateCorrectiveAction(r));
  });
  ExpectRejected("UpdateCorrectiveAction owner", {kInvalid}, [&] {
    v1::UpdateCorrectiveActionRequest r;
    r.mutable_corrective_action()->set_name(act_a_);
    r.mutable_corrective_action()->set_owner(kBadUtf8);
    r.mutable_update_mask()->add_paths("owner");
    return StatusOf(client().UpdateCorrectiveAction(r));
  });
}

}  // namespace
}  // namespace incidentd::e2e
