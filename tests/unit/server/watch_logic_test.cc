// The event service's logic: where a watch may start (resume position and
// retention), its validation, the snapshot, and ListEvents.
#include "server/watch_logic.h"

#include "google/protobuf/util/message_differencer.h"
#include "server/strings.h"
#include "tests/unit/server/logic_fixture.h"

namespace incidentd::testing {
namespace {

using Head = storage::EventRepository::Head;

TEST(CheckResumeTest, FromZero_IsFineWhileEventOneIsKept) {
  EXPECT_OK(CheckResume(0, Head{0, 0}));  // no event yet
  EXPECT_OK(CheckResume(0, Head{10, 1}));
}

// 0 means "from event 1"; serving from the oldest kept instead would skip
// the pruned ones without telling the client.
TEST(CheckResumeTest, FromZero_OnceEventOneIsPruned_IsFailedPrecondition) {
  EXPECT_CODE(CheckResume(0, Head{10, 5}),
              absl::StatusCode::kFailedPrecondition);
  EXPECT_CODE(CheckResume(0, Head{10, 0}),  // everything pruned
              absl::StatusCode::kFailedPrecondition);
}

TEST(CheckResumeTest, FromTheMiddleOfWhatIsKept_IsFine) {
  EXPECT_OK(CheckResume(7, Head{10, 5}));
  EXPECT_OK(CheckResume(4, Head{10, 5}));  // 5 is the next one: kept
}

TEST(CheckResumeTest, FromTheLatest_IsFineEvenWithNothingKept) {
  EXPECT_OK(CheckResume(10, Head{10, 5}));
  EXPECT_OK(CheckResume(10, Head{10, 0}));
}

TEST(CheckResumeTest, FromTheFuture_IsOutOfRange) {
  EXPECT_CODE(CheckResume(11, Head{10, 5}), absl::StatusCode::kOutOfRange);
  EXPECT_CODE(CheckResume(1, Head{0, 0}), absl::StatusCode::kOutOfRange);
}

TEST(CheckResumeTest, FromBeforeRetention_IsFailedPreconditionSayingSnapshot) {
  absl::Status s = CheckResume(3, Head{10, 5});
  EXPECT_CODE(s, absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("snapshot"), std::string::npos) << s;
  EXPECT_CODE(CheckResume(7, Head{10, 0}),
              absl::StatusCode::kFailedPrecondition);
}

TEST(ParseWatchRequestTest, FiltersBecomeIdsOfThePage) {
  v1::WatchPageRequest r;
  r.set_page("pages/acme");
  r.set_after_sequence(4);
  r.add_components("pages/acme/components/api");
  r.add_incidents("pages/acme/incidents/outage");
  r.add_types(v1::Event::INCIDENT_CREATED);
  ASSERT_OK_AND_ASSIGN(WatchRequest w, ParseWatchRequest(r));
  EXPECT_EQ(w.page_id, "acme");
  EXPECT_EQ(w.after_sequence, 4);
  EXPECT_FALSE(w.snapshot);
  EXPECT_TRUE(w.filter.component_ids.contains("api"));
  EXPECT_TRUE(w.filter.incident_ids.contains("outage"));
  EXPECT_TRUE(w.filter.types.contains(v1::Event::INCIDENT_CREATED));
}

TEST(ParseWatchRequestTest, BadRequests_AreInvalidArgument) {
  auto parse = [](auto edit) {
    v1::WatchPageRequest r;
    r.set_page("pages/acme");
    edit(r);
    return ParseWatchRequest(r).status();
  };
  EXPECT_CODE(parse([](auto& r) { r.set_page("acme"); }),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(parse([](auto& r) { r.set_after_sequence(-1); }),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(parse([](auto& r) {
                r.set_snapshot(true);
                r.set_after_sequence(3);
              }),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(
      parse([](auto& r) { r.add_components("pages/other/components/api"); }),
      absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(parse([](auto& r) { r.add_components("pages/acme"); }),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(
      parse([](auto& r) { r.add_incidents("pages/other/incidents/outage"); }),
      absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(parse([](auto& r) { r.add_types(v1::Event::TYPE_UNSPECIFIED); }),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(
      parse([](auto& r) { r.add_types(static_cast<v1::Event::Type>(999)); }),
      absl::StatusCode::kInvalidArgument);
}

class WatchLogicTest : public LogicTest {
 protected:
  int64_t LastSeq(const std::string& page) {
    std::vector<Event> events = store_.Events(page);
    return events.empty() ? 0 : events.back().seq;
  }

  v1::ListEventsResponse List(int64_t after, int size,
                              const std::string& token = "") {
    v1::ListEventsRequest r;
    r.set_parent("pages/acme");
    r.set_after_sequence(after);
    r.set_page_size(size);
    r.set_page_token(token);
    absl::StatusOr<v1::ListEventsResponse> got =
        logic_.ListEvents(r, kNoDeadline);
    EXPECT_OK(got);
    return got.value_or(v1::ListEventsResponse());
  }

  WatchLogic logic_{store_, clock_};
};

TEST_F(WatchLogicTest, ListEvents_PagesThroughEveryEventOldestFirst) {
  MakePage("acme");
  MakeComponent("acme", "api");
  MakeComponent("acme", "db");
  const int64_t last = LastSeq("acme");
  ASSERT_GE(last, 3);
  std::vector<int64_t> seen;
  std::string token;
  do {
    v1::ListEventsResponse page = List(0, 2, token);
    EXPECT_LE(page.events_size(), 2);
    for (const v1::Event& e : page.events()) seen.push_back(e.sequence());
    token = page.next_page_token();
  } while (!token.empty());
  std::vector<int64_t> want;
  for (int64_t s = 1; s <= last; ++s) want.push_back(s);
  EXPECT_EQ(seen, want);

  v1::ListEventsResponse first = List(0, 1);
  ASSERT_EQ(first.events_size(), 1);
  EXPECT_EQ(first.events(0).type(), v1::Event::PAGE_CREATED);
  EXPECT_EQ(first.events(0).page(), "pages/acme");
}

TEST_F(WatchLogicTest, ListEvents_LargeEvents_EachPageFitsAGrpcMessage) {
  MakePage("acme");
  ASSERT_OK(incidents_.CreateIncident(IncidentRequest("acme", "big", ""),
                                      kNoDeadline));
  const std::string body(60 * 1024, 'x');
  for (int i = 0; i < 80; ++i) {  // about 5 MB of events
    ASSERT_OK(incidents_.PostIncidentUpdate(
        Post("pages/acme/incidents/big", v1::IncidentStatus::VALUE_UNSPECIFIED,
             StrCat(i, body)),
        kNoDeadline));
  }
  std::vector<int64_t> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListEventsResponse page = List(0, 1000, token);
    EXPECT_LT(page.ByteSizeLong(), 4u << 20);  // gRPC's default limit
    for (const v1::Event& e : page.events()) seen.push_back(e.sequence());
    token = page.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 100);
  EXPECT_GE(pages, 2);
  std::vector<int64_t> want;
  for (int64_t s = 1; s <= LastSeq("acme"); ++s) want.push_back(s);
  EXPECT_EQ(seen, want);
}

TEST_F(WatchLogicTest, ListEvents_AfterASequence_StartsAfterIt) {
  MakePage("acme");
  MakeComponent("acme", "api");
  v1::ListEventsResponse page = List(1, 10);
  ASSERT_GE(page.events_size(), 1);
  EXPECT_EQ(page.events(0).sequence(), 2);
  EXPECT_EQ(page.events(0).type(), v1::Event::COMPONENT_CREATED);
}

TEST_F(WatchLogicTest, ListEvents_Errors) {
  MakePage("acme");
  auto list = [&](int64_t after, const std::string& parent,
                  const std::string& token = "") {
    v1::ListEventsRequest r;
    r.set_parent(parent);
    r.set_after_sequence(after);
    r.set_page_token(token);
    return logic_.ListEvents(r, kNoDeadline).status();
  };
  EXPECT_CODE(list(0, "pages/nope"), absl::StatusCode::kNotFound);
  EXPECT_CODE(list(0, "acme"), absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(list(-1, "pages/acme"), absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(list(LastSeq("acme") + 1, "pages/acme"),
              absl::StatusCode::kOutOfRange);

  MakeComponent("acme", "api");
  MakeComponent("acme", "db");
  const std::string token = List(0, 1).next_page_token();
  ASSERT_FALSE(token.empty());
  EXPECT_CODE(list(1, "pages/acme", token), absl::StatusCode::kInvalidArgument)
      << "a token belongs to its query";
}

TEST_F(WatchLogicTest, ListEvents_FromBeforeRetention_IsFailedPrecondition) {
  MakePage("acme");
  MakeComponent("acme", "api");
  clock_.Advance(absl::Hours(2));
  MakeComponent("acme", "db");
  ASSERT_OK(store_.ReadWrite(kNoDeadline, [&](storage::Transaction& tx) {
    return tx.events().PruneBefore(clock_.Now() - absl::Hours(1), 100).status();
  }));
  v1::ListEventsRequest r;
  r.set_parent("pages/acme");
  r.set_after_sequence(1);
  EXPECT_CODE(logic_.ListEvents(r, kNoDeadline),
              absl::StatusCode::kFailedPrecondition);
  // 0 is "from event 1", pruned too.
  r.set_after_sequence(0);
  EXPECT_CODE(logic_.ListEvents(r, kNoDeadline),
              absl::StatusCode::kFailedPrecondition);
  // From just before the oldest kept: what is kept.
  v1::ListEventsResponse kept = List(2, 10);
  ASSERT_GE(kept.events_size(), 1);
  EXPECT_EQ(kept.events(0).sequence(), 3);
}

TEST_F(WatchLogicTest, StartWatch_Snapshot_IsThePageAsOfItsSequence) {
  MakePage("acme");
  v1::CreateComponentGroupRequest g;
  g.set_parent("pages/acme");
  g.set_group_id("core");
  g.mutable_group()->set_display_name("Core");
  ASSERT_OK(components_.CreateComponentGroup(g, kNoDeadline));
  MakeComponent("acme", "api", "pages/acme/componentGroups/core");
  ASSERT_OK(incidents_.CreateIncident(IncidentRequest("acme", "outage", "api"),
                                      kNoDeadline));

  WatchRequest request;
  request.page_id = "acme";
  request.snapshot = true;
  ASSERT_OK_AND_ASSIGN(WatchStart start,
                       logic_.StartWatch(request, 10, kNoDeadline));
  ASSERT_TRUE(start.snapshot.has_value());
  const v1::Snapshot& s = *start.snapshot;
  EXPECT_EQ(s.sequence(), LastSeq("acme"));
  EXPECT_EQ(start.last_seq, s.sequence());
  EXPECT_TRUE(start.events.empty());
  EXPECT_EQ(s.page().name(), "pages/acme");
  ASSERT_EQ(s.component_groups_size(), 1);
  EXPECT_EQ(s.component_groups(0).name(), "pages/acme/componentGroups/core");

  // The status is GetPageStatus's.
  v1::GetPageStatusRequest status_request;
  status_request.set_name("pages/acme/status");
  ASSERT_OK_AND_ASSIGN(v1::PageStatus want,
                       pages_.GetPageStatus(status_request, kNoDeadline));
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(s.status(), want))
      << s.status().DebugString() << "\nvs\n"
      << want.DebugString();
  EXPECT_EQ(s.status().open_incidents_size(), 1);
  EXPECT_EQ(s.status().components_size(), 1);
}

TEST_F(WatchLogicTest, StartWatch_Resume_ReturnsTheFirstEventsAfterIt) {
  MakePage("acme");
  MakeComponent("acme", "api");
  MakeComponent("acme", "db");
  WatchRequest request;
  request.page_id = "acme";
  request.after_sequence = 1;
  ASSERT_OK_AND_ASSIGN(WatchStart start,
                       logic_.StartWatch(request, 1, kNoDeadline));
  EXPECT_FALSE(start.snapshot.has_value());
  EXPECT_EQ(start.last_seq, LastSeq("acme"));
  ASSERT_EQ(start.events.size(), 1u);
  EXPECT_EQ(start.events[0].seq, 2);
}

TEST_F(WatchLogicTest, StartWatch_UnknownPageOrFuturePosition_Fails) {
  MakePage("acme");
  WatchRequest request;
  request.page_id = "nope";
  EXPECT_CODE(logic_.StartWatch(request, 10, kNoDeadline),
              absl::StatusCode::kNotFound);
  request.page_id = "acme";
  request.after_sequence = 100;
  EXPECT_CODE(logic_.StartWatch(request, 10, kNoDeadline),
              absl::StatusCode::kOutOfRange);
}

TEST_F(WatchLogicTest, LastSequences_LeavesUnknownPagesOut) {
  MakePage("acme");
  MakePage("beta");
  ASSERT_OK_AND_ASSIGN(
      auto heads, logic_.LastSequences({"acme", "beta", "nope"}, kNoDeadline));
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_EQ(heads[0].first, "acme");
  EXPECT_EQ(heads[0].second, LastSeq("acme"));
  EXPECT_EQ(heads[1].first, "beta");
}

}  // namespace
}  // namespace incidentd::testing
