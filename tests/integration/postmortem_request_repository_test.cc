// PostmortemRepository (postmortems, revisions, corrective actions) and
// RequestRepository over MySQL.
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/integration/model_helpers.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using storage::Lock;
using storage::Transaction;
using V = std::vector<std::string>;

class PostmortemRepositoryTest : public MysqlTest {
 protected:
  void SetUp() override {
    MysqlTest::SetUp();
    page_id_ = UniqueId("page");
    ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
      absl::Status s = tx.pages().Insert(MakePage(page_id_));
      if (s.ok())
        s = tx.incidents().Insert(MakeIncident(page_id_, "outage", At(0)));
      return s;
    }));
  }

  absl::StatusOr<Postmortem> GetPostmortem() {
    absl::StatusOr<Postmortem> got;
    absl::Status s = Read([&](Transaction& tx) {
      got = tx.postmortems().Get(page_id_, "outage", Lock::kNone);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return got;
  }

  absl::StatusOr<std::vector<Postmortem>> Revisions(int64_t before, int limit) {
    absl::StatusOr<std::vector<Postmortem>> got;
    absl::Status s = Read([&](Transaction& tx) {
      got = tx.postmortems().ListRevisions(page_id_, "outage", before, limit);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return got;
  }

  std::string page_id_;
};

TEST_F(PostmortemRepositoryTest,
       Insert_ThenGet_ReturnsSectionsInOrderAndRecordsRevision1) {
  const Postmortem draft = MakePostmortem(page_id_, "outage");
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.postmortems().Insert(draft); }));
  ASSERT_OK_AND_ASSIGN(Postmortem got, GetPostmortem());
  EXPECT_EQ(Dump(got), Dump(draft));
  ASSERT_OK_AND_ASSIGN(std::vector<Postmortem> revisions, Revisions(0, 10));
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(Dump(revisions[0]), Dump(draft));

  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Postmortem> locked =
        tx.postmortems().Get(page_id_, "outage", Lock::kForUpdate);
    EXPECT_OK(locked);
    if (locked.ok()) {
      EXPECT_EQ(Dump(*locked), Dump(draft));
    }
    return absl::OkStatus();
  }));
}

TEST_F(PostmortemRepositoryTest,
       Insert_SecondTimeIsAlreadyExists_UnknownIncidentIsNotFound) {
  const Postmortem draft = MakePostmortem(page_id_, "outage");
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.postmortems().Insert(draft); }));
  EXPECT_CODE(
      Write([&](Transaction& tx) { return tx.postmortems().Insert(draft); }),
      absl::StatusCode::kAlreadyExists);
  EXPECT_CODE(
      Write([&](Transaction& tx) {
        return tx.postmortems().Insert(MakePostmortem(page_id_, "nope"));
      }),
      absl::StatusCode::kNotFound);
  EXPECT_CODE(
      Read([&](Transaction& tx) {
        return tx.postmortems().Get(page_id_, "nope", Lock::kNone).status();
      }),
      absl::StatusCode::kNotFound);
}

TEST_F(PostmortemRepositoryTest,
       Update_NewRevisionRecordsSnapshot_StateChangeAloneDoesNot) {
  Postmortem p = MakePostmortem(page_id_, "outage");
  ASSERT_OK(Write([&](Transaction& tx) { return tx.postmortems().Insert(p); }));
  const Postmortem revision1 = p;

  // A content edit: revision 2, a full snapshot.
  p.sections = {{"Root cause", "Failover left nodes read-only."},
                {"Lessons learned", "Health must tell the truth."}};
  p.author = "editor";
  p.revision = 2;
  p.update_time = At(200);
  p.version = 2;
  ASSERT_OK(Write([&](Transaction& tx) { return tx.postmortems().Update(p); }));
  const Postmortem revision2 = p;

  // Publishing: same content, same revision; not recorded again.
  p.state = PostmortemState::kPublished;
  p.publish_time = At(300);
  p.update_time = At(300);
  p.version = 3;
  ASSERT_OK(Write([&](Transaction& tx) { return tx.postmortems().Update(p); }));

  ASSERT_OK_AND_ASSIGN(Postmortem got, GetPostmortem());
  EXPECT_EQ(Dump(got), Dump(p));
  ASSERT_OK_AND_ASSIGN(std::vector<Postmortem> revisions, Revisions(0, 10));
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_EQ(Dump(revisions[0]), Dump(revision2));
  EXPECT_EQ(Dump(revisions[1]), Dump(revision1));
}

TEST_F(PostmortemRepositoryTest,
       Update_StaleVersion_IsAbortedAndWritesNothing) {
  const Postmortem original = MakePostmortem(page_id_, "outage");
  ASSERT_OK(Write(
      [&](Transaction& tx) { return tx.postmortems().Insert(original); }));
  Postmortem stale = original;
  stale.sections = {{"Stale", "text"}};
  stale.revision = 2;
  stale.version = 5;
  EXPECT_CODE(
      Write([&](Transaction& tx) { return tx.postmortems().Update(stale); }),
      absl::StatusCode::kAborted);
  ASSERT_OK_AND_ASSIGN(Postmortem got, GetPostmortem());
  EXPECT_EQ(Dump(got), Dump(original));
  ASSERT_OK_AND_ASSIGN(std::vector<Postmortem> revisions, Revisions(0, 10));
  EXPECT_EQ(revisions.size(), 1u);

  Postmortem unknown = MakePostmortem(page_id_, "nope");
  unknown.version = 2;
  EXPECT_CODE(
      Write([&](Transaction& tx) { return tx.postmortems().Update(unknown); }),
      absl::StatusCode::kNotFound);
}

TEST_F(PostmortemRepositoryTest,
       ListRevisions_NewestFirst_ResumesBelowTheCursor) {
  Postmortem p = MakePostmortem(page_id_, "outage");
  ASSERT_OK(Write([&](Transaction& tx) { return tx.postmortems().Insert(p); }));
  for (int r = 2; r <= 5; ++r) {
    p.sections = {{"Revision", std::to_string(r)}};
    p.revision = r;
    p.version = r;
    ASSERT_OK(
        Write([&](Transaction& tx) { return tx.postmortems().Update(p); }));
  }
  auto numbers = [](const std::vector<Postmortem>& list) {
    std::vector<int64_t> n;
    for (const Postmortem& p : list) n.push_back(p.revision);
    return n;
  };
  ASSERT_OK_AND_ASSIGN(std::vector<Postmortem> first, Revisions(0, 2));
  EXPECT_EQ(numbers(first), (std::vector<int64_t>{5, 4}));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[1].sections.size(), 1u);
  if (!first[1].sections.empty()) {
    EXPECT_EQ(first[1].sections[0].body, "4");
  }
  ASSERT_OK_AND_ASSIGN(std::vector<Postmortem> next, Revisions(4, 2));
  EXPECT_EQ(numbers(next), (std::vector<int64_t>{3, 2}));
  ASSERT_OK_AND_ASSIGN(std::vector<Postmortem> last, Revisions(2, 2));
  EXPECT_EQ(numbers(last), (std::vector<int64_t>{1}));
  ASSERT_OK_AND_ASSIGN(std::vector<Postmortem> none, Revisions(1, 2));
  EXPECT_TRUE(none.empty());
}

TEST_F(PostmortemRepositoryTest,
       Actions_InsertAssignsIncreasingSeq_GetReturnsEveryField) {
  CorrectiveAction first = MakeAction(page_id_, "outage", "deadlines");
  CorrectiveAction second = MakeAction(page_id_, "outage", "alerts");
  second.state = ActionState::kInProgress;
  second.owner = "";
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> s1 = tx.postmortems().InsertAction(first);
    absl::StatusOr<int64_t> s2 = tx.postmortems().InsertAction(second);
    if (!s1.ok()) return s1.status();
    if (!s2.ok()) return s2.status();
    EXPECT_GT(*s2, *s1);
    first.seq = *s1;
    second.seq = *s2;
    return absl::OkStatus();
  }));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<CorrectiveAction> got =
        tx.postmortems().GetAction(page_id_, "outage", "alerts", Lock::kNone);
    EXPECT_OK(got);
    if (got.ok()) {
      EXPECT_EQ(Dump(*got), Dump(second));
    }
    EXPECT_CODE(
        tx.postmortems().GetAction(page_id_, "outage", "nope", Lock::kNone),
        absl::StatusCode::kNotFound);
    return absl::OkStatus();
  }));
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.postmortems().InsertAction(first).status();
              }),
              absl::StatusCode::kAlreadyExists);
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.postmortems()
                    .InsertAction(MakeAction(page_id_, "nope", "x"))
                    .status();
              }),
              absl::StatusCode::kNotFound);
}

TEST_F(PostmortemRepositoryTest, ListActions_CreationOrder_ResumesAfterSeq) {
  std::vector<int64_t> seqs;
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    for (const char* id : {"c", "a", "b"}) {
      absl::StatusOr<int64_t> s =
          tx.postmortems().InsertAction(MakeAction(page_id_, "outage", id));
      if (!s.ok()) return s.status();
      seqs.push_back(*s);
    }
    return absl::OkStatus();
  }));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    auto list = [&](int64_t after, int limit) -> V {
      absl::StatusOr<std::vector<CorrectiveAction>> got =
          tx.postmortems().ListActions(page_id_, "outage", after, limit);
      EXPECT_OK(got);
      return got.ok() ? Ids(*got) : V{"error"};
    };
    EXPECT_EQ(list(0, 10), (V{"c", "a", "b"}));
    EXPECT_EQ(list(0, 2), (V{"c", "a"}));
    EXPECT_EQ(list(seqs[1], 2), (V{"b"}));
    EXPECT_EQ(list(seqs[2], 2), V{});
    return absl::OkStatus();
  }));
}

TEST_F(PostmortemRepositoryTest,
       UpdateAction_NextVersionWrites_StaleIsAborted) {
  CorrectiveAction a = MakeAction(page_id_, "outage", "deadlines");
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> s = tx.postmortems().InsertAction(a);
    if (s.ok()) a.seq = *s;
    return s.status();
  }));
  CorrectiveAction stale = a;
  a.description = "Every database call has a deadline";
  a.owner = "storage-team";
  a.state = ActionState::kDone;
  a.update_time = At(400);
  a.version = 2;
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.postmortems().UpdateAction(a); }));
  stale.state = ActionState::kInProgress;
  stale.version = 2;
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.postmortems().UpdateAction(stale);
              }),
              absl::StatusCode::kAborted);
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<CorrectiveAction> got = tx.postmortems().GetAction(
        page_id_, "outage", "deadlines", Lock::kNone);
    EXPECT_OK(got);
    if (got.ok()) {
      EXPECT_EQ(Dump(*got), Dump(a));
    }
    return absl::OkStatus();
  }));
  CorrectiveAction unknown = MakeAction(page_id_, "outage", "nope");
  unknown.version = 2;
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.postmortems().UpdateAction(unknown);
              }),
              absl::StatusCode::kNotFound);
}

class RequestRepositoryTest : public MysqlTest {
 protected:
  absl::StatusOr<RequestRecord> Find(const std::string& scope,
                                     const std::string& request_id) {
    absl::StatusOr<RequestRecord> got;
    absl::Status s = Read([&](Transaction& tx) {
      got = tx.requests().Find(scope, request_id);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return got;
  }
};

TEST_F(RequestRepositoryTest, Insert_ThenFind_ReturnsEveryField) {
  const RequestRecord record = MakeRequest("", UniqueId("req"));
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.requests().Insert(record); }));
  ASSERT_OK_AND_ASSIGN(RequestRecord got, Find("", record.request_id));
  EXPECT_EQ(Dump(got), Dump(record));
}

TEST_F(RequestRepositoryTest,
       Insert_SameScopeAndIdTwice_IsAlreadyExistsAndKeepsTheFirst) {
  const RequestRecord first = MakeRequest("page-x", UniqueId("req"));
  RequestRecord second = first;
  second.resource_name = "pages/page-x/incidents/other";
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.requests().Insert(first); }));
  EXPECT_CODE(
      Write([&](Transaction& tx) { return tx.requests().Insert(second); }),
      absl::StatusCode::kAlreadyExists);
  ASSERT_OK_AND_ASSIGN(RequestRecord got, Find("page-x", first.request_id));
  EXPECT_EQ(Dump(got), Dump(first));
}

TEST_F(RequestRepositoryTest, Find_IdUsedInAnotherScopeOnly_IsNotFound) {
  const RequestRecord record = MakeRequest("page-a", UniqueId("req"));
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.requests().Insert(record); }));
  EXPECT_CODE(Find("page-b", record.request_id), absl::StatusCode::kNotFound);
  EXPECT_CODE(Find("", record.request_id), absl::StatusCode::kNotFound);
  // The same id may be used in another scope.
  EXPECT_OK(Write([&](Transaction& tx) {
    return tx.requests().Insert(MakeRequest("page-b", record.request_id));
  }));
}

TEST_F(RequestRepositoryTest,
       Insert_ByConcurrentTransactions_OneWinsOtherIsAlreadyExists) {
  const std::string request_id = UniqueId("req");
  absl::Notification inserted, second_started;
  absl::Status first;
  std::thread t([&] {
    first = Write([&](Transaction& tx) {
      absl::Status s = tx.requests().Insert(MakeRequest("p", request_id));
      inserted.Notify();
      second_started.WaitForNotification();
      return s;  // commits after the other transaction has started
    });
  });
  inserted.WaitForNotification();
  second_started.Notify();
  // Either waits for the first to commit or sees its row: both are the
  // duplicate the request-id scheme relies on detecting.
  absl::Status second = Write([&](Transaction& tx) {
    return tx.requests().Insert(MakeRequest("p", request_id));
  });
  t.join();
  EXPECT_OK(first);
  EXPECT_CODE(second, absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace incidentd::testing
