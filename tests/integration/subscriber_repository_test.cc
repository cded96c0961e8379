// SubscriberRepository over MySQL: subscribers and their tokens, lists and
// counts, and the leases by which delivery workers on every replica share
// them (ClaimDue, ReleaseLease, MarkDue).
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/integration/model_helpers.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using storage::Lock;
using storage::SubscriberQuery;
using storage::SubscriberRepository;
using storage::Transaction;
using Token = storage::SubscriberRepository::Token;
using V = std::vector<std::string>;

// Claims look at every page, so each test starts from a database without
// any (deleting a page deletes everything under it).
class SubscriberRepositoryTest : public MysqlTest {
 protected:
  void SetUp() override {
    MysqlTest::SetUp();
    ASSERT_OK(db().Execute("DELETE FROM pages"));
    page_ = NewPage();
  }

  std::string NewPage() {
    std::string id = UniqueId("page");
    EXPECT_OK(Write(
        [&](Transaction& tx) { return tx.pages().Insert(MakePage(id)); }));
    return id;
  }

  absl::Status Insert(const Subscriber& s) {
    return Write([&](Transaction& tx) { return tx.subscribers().Insert(s); });
  }

  absl::StatusOr<Subscriber> Get(const std::string& page,
                                 const std::string& id) {
    absl::StatusOr<Subscriber> got;
    absl::Status status = Read([&](Transaction& tx) {
      got = tx.subscribers().Get(page, id, Lock::kNone);
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return got;
  }

  absl::StatusOr<Subscriber> Find(Token kind, const std::string& token) {
    absl::StatusOr<Subscriber> got;
    absl::Status status = Read([&](Transaction& tx) {
      got = tx.subscribers().FindByToken(kind, token, Lock::kNone);
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return got;
  }

  // The ids a query lists, or {"error: ..."}.
  V List(SubscriberQuery query) {
    absl::StatusOr<std::vector<Subscriber>> got;
    EXPECT_OK(Read([&](Transaction& tx) {
      got = tx.subscribers().List(query);
      return absl::OkStatus();
    }));
    if (!got.ok()) return {absl::StrCat("error: ", got.status().ToString())};
    return Ids(*got);
  }

  absl::Status MarkDue(const std::string& page, const V& ids, absl::Time due) {
    return Write([&](Transaction& tx) {
      return tx.subscribers().MarkDue(page, ids, due);
    });
  }

  // ClaimDue in a transaction of its own, as workers run it.
  absl::StatusOr<std::vector<Subscriber>> Claim(absl::Time now,
                                                const std::string& owner,
                                                absl::Time lease_until,
                                                int limit) {
    absl::StatusOr<std::vector<Subscriber>> claimed;
    absl::Status status = Write([&](Transaction& tx) {
      claimed = tx.subscribers().ClaimDue(now, owner, lease_until, limit);
      return claimed.status();
    });
    if (!status.ok()) return status;
    return claimed;
  }

  // The ids claimed, or {"error: ..."}.
  V ClaimIds(absl::Time now, const std::string& owner, absl::Time lease_until,
             int limit = 100) {
    absl::StatusOr<std::vector<Subscriber>> claimed =
        Claim(now, owner, lease_until, limit);
    if (!claimed.ok()) {
      return {absl::StrCat("error: ", claimed.status().ToString())};
    }
    return Ids(*claimed);
  }

  absl::Status Release(const std::string& page, const std::string& id,
                       const std::string& owner,
                       const SubscriberRepository::LeaseEnd& end) {
    return Write([&](Transaction& tx) {
      return tx.subscribers().ReleaseLease(page, id, owner, end);
    });
  }

  // The scheduling column ClaimDue scans, which the model does not show.
  std::optional<absl::Time> DueTime(const std::string& page,
                                    const std::string& id) {
    absl::StatusOr<int64_t> micros = db().QueryInt(absl::StrCat(
        "SELECT IF(due_time IS NULL, -1, TIMESTAMPDIFF(MICROSECOND, "
        "'1970-01-01 00:00:00', due_time)) FROM subscribers "
        "WHERE page_id = '",
        page, "' AND id = '", id, "'"));
    EXPECT_OK(micros);
    if (!micros.ok() || *micros < 0) return std::nullopt;
    return absl::FromUnixMicros(*micros);
  }

  // An ACTIVE webhook subscriber of the test's page at a URL of its own.
  Subscriber Webhook(const std::string& id) {
    return MakeWebhookSubscriber(
        page_, id, absl::StrCat("https://hooks.example.com/", id));
  }

  std::string page_;
};

TEST_F(SubscriberRepositoryTest, Insert_Webhook_GetReturnsEveryField) {
  Subscriber s = Webhook("hook");
  s.failing_since = At(20) + absl::Microseconds(1);  // microseconds kept
  s.state_reason = "10 deliveries failed in a row; last error: HTTP 500";
  ASSERT_OK(Insert(s));
  ASSERT_OK_AND_ASSIGN(Subscriber got, Get(page_, "hook"));
  EXPECT_EQ(Dump(got), Dump(s));
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Subscriber> locked =
        tx.subscribers().Get(page_, "hook", Lock::kForUpdate);
    EXPECT_OK(locked);
    if (locked.ok()) {
      EXPECT_EQ(Dump(*locked), Dump(s));
    }
    return absl::OkStatus();
  }));
}

TEST_F(SubscriberRepositoryTest,
       Insert_EmailWithoutSecretOrOptionalTimes_ReadsBackEmpty) {
  Subscriber s = MakeEmailSubscriber(page_, "mail", "Jana@example.com");
  ASSERT_OK(Insert(s));
  ASSERT_OK_AND_ASSIGN(Subscriber got, Get(page_, "mail"));
  EXPECT_EQ(Dump(got), Dump(s));
  EXPECT_TRUE(got.component_ids.empty());
  EXPECT_EQ(got.signing_secret, "");
  EXPECT_FALSE(got.activate_time.has_value());
  EXPECT_FALSE(got.failing_since.has_value());
}

TEST_F(SubscriberRepositoryTest, Insert_SubscribersWithoutTokens_DoNotCollide) {
  for (const char* id : {"a", "b", "c"}) {
    Subscriber s = Webhook(id);
    s.confirmation_token.clear();
    s.unsubscribe_token.clear();
    ASSERT_OK(Insert(s)) << id;
  }
  ASSERT_OK_AND_ASSIGN(Subscriber got, Get(page_, "b"));
  EXPECT_EQ(got.confirmation_token, "");
  EXPECT_EQ(got.unsubscribe_token, "");
}

TEST_F(SubscriberRepositoryTest, Insert_TakenId_IsAlreadyExistsNamingIt) {
  ASSERT_OK(Insert(Webhook("hook")));
  Subscriber again =
      MakeWebhookSubscriber(page_, "hook", "https://other.test/");
  again.unsubscribe_token = "another-token";
  again.signing_secret = "another-secret";
  absl::Status status = Insert(again);
  EXPECT_CODE(status, absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(status.message(), "subscriber already exists");
  ASSERT_OK_AND_ASSIGN(Subscriber kept, Get(page_, "hook"));
  EXPECT_EQ(kept.address, "https://hooks.example.com/hook");
}

TEST_F(SubscriberRepositoryTest,
       Insert_SameKindAndAddressOnThePage_IsAlreadyExistsAddress) {
  ASSERT_OK(Insert(MakeEmailSubscriber(page_, "first", "ops@example.com")));
  absl::Status status =
      Insert(MakeEmailSubscriber(page_, "second", "ops@example.com"));
  EXPECT_CODE(status, absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(status.message(), "address already subscribed");
  EXPECT_CODE(Get(page_, "second"), absl::StatusCode::kNotFound);

  // Addresses compare exactly (the domain layer normalises them), the same
  // address may be another kind, and other pages have their own.
  EXPECT_OK(Insert(MakeEmailSubscriber(page_, "upper", "Ops@example.com")));
  Subscriber as_webhook =
      MakeWebhookSubscriber(page_, "hook", "ops@example.com");
  EXPECT_OK(Insert(as_webhook));
  const std::string other = NewPage();
  EXPECT_OK(Insert(MakeEmailSubscriber(other, "first", "ops@example.com")));
}

TEST_F(SubscriberRepositoryTest,
       Insert_LongUrlsSharingAPrefix_AreDifferentAddresses) {
  const std::string prefix =
      "https://hooks.example.com/" + std::string(2000, 'x');
  Subscriber a = MakeWebhookSubscriber(page_, "a", prefix + "/aaaaaaaaaaa");
  Subscriber b = MakeWebhookSubscriber(page_, "b", prefix + "/bbbbbbbbbbb");
  ASSERT_EQ(a.address.size(), 2038u);
  ASSERT_OK(Insert(a));
  ASSERT_OK(Insert(b));
  Subscriber a_again = MakeWebhookSubscriber(page_, "c", a.address);
  EXPECT_EQ(Insert(a_again).message(), "address already subscribed");
  ASSERT_OK_AND_ASSIGN(Subscriber got, Get(page_, "b"));
  EXPECT_EQ(got.address, b.address);
}

// The limits of server/domain/subscriptions.h and validation.h, in the
// widest characters where the text may have them.
TEST_F(SubscriberRepositoryTest,
       Insert_LongestValuesTheApiAllows_FitTheirColumns) {
  std::string wide;
  for (int n = 0; n < 2000 / 4; ++n) wide += "\xF0\x9F\x98\x80";  // U+1F600
  Subscriber s = MakeWebhookSubscriber(
      page_, std::string(63, 'h'),
      "https://hooks.example.com/" + std::string(2048 - 26 - 2000, 'p') + wide);
  ASSERT_EQ(s.address.size(), 2048u);
  s.component_ids.clear();
  for (int n = 0; n < 100; ++n) {
    s.component_ids.push_back(std::string(61, 'c') +
                              absl::StrCat(n % 10, n / 10));
  }
  s.incident_id = std::string(63, 'i');
  s.state_reason = wide + wide;
  s.unsubscribe_token = std::string(43, 'u');
  s.signing_secret = std::string(43, 's');
  s.confirmation_token = std::string(43, 'k');
  Subscriber mail = MakeEmailSubscriber(
      page_, "mail",
      std::string(64, 'm') + "@" + std::string(185, 'd') + ".com");
  ASSERT_EQ(mail.address.size(), 254u);
  ASSERT_OK(Insert(s));
  ASSERT_OK(Insert(mail));
  ASSERT_OK_AND_ASSIGN(Subscriber got, Get(page_, s.id));
  EXPECT_EQ(Dump(got), Dump(s));
  ASSERT_OK_AND_ASSIGN(got, Get(page_, "mail"));
  EXPECT_EQ(Dump(got), Dump(mail));

  Delivery d = MakeDelivery(page_, s.id, 1);
  d.incident_id = std::string(63, 'i');
  d.last_error = wide;
  ASSERT_OK(Write([&](Transaction& tx) {
    return tx.deliveries().InsertNew({d}).status();
  }));
  absl::StatusOr<Delivery> stored;
  ASSERT_OK(Read([&](Transaction& tx) {
    stored = tx.deliveries().Get(page_, s.id, 1, Lock::kNone);
    return stored.status();
  }));
  EXPECT_EQ(Dump(*stored), Dump(d));
}

TEST_F(SubscriberRepositoryTest, Insert_UnknownPage_IsNotFound) {
  EXPECT_CODE(Insert(MakeWebhookSubscriber("no-such-page", "hook",
                                           "https://hooks.example.com/")),
              absl::StatusCode::kNotFound);
}

TEST_F(SubscriberRepositoryTest,
       Insert_ComponentIdEmptyOrWithAComma_IsInvalidArgument) {
  Subscriber comma = Webhook("comma");
  comma.component_ids = {"api", "a,b"};
  EXPECT_CODE(Insert(comma), absl::StatusCode::kInvalidArgument);
  Subscriber empty = Webhook("empty");
  empty.component_ids = {""};
  EXPECT_CODE(Insert(empty), absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(Get(page_, "comma"), absl::StatusCode::kNotFound);
}

TEST_F(SubscriberRepositoryTest, Get_UnknownIdOrPage_IsNotFound) {
  ASSERT_OK(Insert(Webhook("hook")));
  EXPECT_CODE(Get(page_, "nope"), absl::StatusCode::kNotFound);
  EXPECT_CODE(Get("no-such-page", "hook"), absl::StatusCode::kNotFound);
}

TEST_F(SubscriberRepositoryTest,
       FindByToken_EachKind_FindsTheSubscriberOnAnyPage) {
  const std::string other = NewPage();
  Subscriber mail = MakeEmailSubscriber(other, "mail", "ops@example.com");
  ASSERT_OK(Insert(mail));
  ASSERT_OK(Insert(Webhook("hook")));

  ASSERT_OK_AND_ASSIGN(Subscriber by_confirmation,
                       Find(Token::kConfirmation, mail.confirmation_token));
  EXPECT_EQ(Dump(by_confirmation), Dump(mail));
  ASSERT_OK_AND_ASSIGN(Subscriber by_unsubscribe,
                       Find(Token::kUnsubscribe, mail.unsubscribe_token));
  EXPECT_EQ(Dump(by_unsubscribe), Dump(mail));
  ASSERT_OK_AND_ASSIGN(
      Subscriber hook,
      Find(Token::kUnsubscribe, Webhook("hook").unsubscribe_token));
  EXPECT_EQ(hook.id, "hook");
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Subscriber> locked = tx.subscribers().FindByToken(
        Token::kConfirmation, mail.confirmation_token, Lock::kForUpdate);
    EXPECT_OK(locked);
    return absl::OkStatus();
  }));
}

TEST_F(SubscriberRepositoryTest,
       FindByToken_WrongKindUnknownOrEmpty_IsNotFound) {
  Subscriber mail = MakeEmailSubscriber(page_, "mail", "ops@example.com");
  ASSERT_OK(Insert(mail));
  Subscriber hook = Webhook("hook");  // no confirmation token
  ASSERT_OK(Insert(hook));
  EXPECT_CODE(Find(Token::kUnsubscribe, mail.confirmation_token),
              absl::StatusCode::kNotFound);
  EXPECT_CODE(Find(Token::kConfirmation, mail.unsubscribe_token),
              absl::StatusCode::kNotFound);
  EXPECT_CODE(Find(Token::kConfirmation, "no-such-token"),
              absl::StatusCode::kNotFound);
  EXPECT_CODE(Find(Token::kConfirmation, ""), absl::StatusCode::kNotFound);
  EXPECT_CODE(Find(Token::kUnsubscribe, ""), absl::StatusCode::kNotFound);
  // Tokens compare exactly.
  EXPECT_CODE(
      Find(Token::kUnsubscribe, absl::StrCat(mail.unsubscribe_token, " ")),
      absl::StatusCode::kNotFound);
}

TEST_F(SubscriberRepositoryTest,
       Update_WritesEveryFieldButKeyKindAddressAndCreateTime) {
  Subscriber mail = MakeEmailSubscriber(page_, "mail", "ops@example.com");
  ASSERT_OK(Insert(mail));
  Subscriber confirmed = mail;
  confirmed.kind = SubscriberKind::kWebhook;  // not written
  confirmed.address = "changed@example.com";  // not written
  confirmed.create_time = At(99);             // not written
  confirmed.component_ids = {"api"};
  confirmed.incident_id = "outage";
  confirmed.state = SubscriberState::kQuarantined;
  confirmed.state_reason = "10 deliveries failed in a row";
  confirmed.confirmation_token.clear();
  confirmed.unsubscribe_token = "new-unsubscribe-token";
  confirmed.signing_secret = "new-secret";
  confirmed.after_seq = 77;
  confirmed.consecutive_failures = 10;
  confirmed.failing_since = At(40);
  confirmed.activate_time = At(30);
  confirmed.update_time = At(50);
  confirmed.version = 2;
  ASSERT_OK(Write(
      [&](Transaction& tx) { return tx.subscribers().Update(confirmed); }));

  Subscriber expected = confirmed;
  expected.kind = mail.kind;
  expected.address = mail.address;
  expected.create_time = mail.create_time;
  ASSERT_OK_AND_ASSIGN(Subscriber got, Get(page_, "mail"));
  EXPECT_EQ(Dump(got), Dump(expected));
  // The cleared confirmation token finds nothing any more.
  EXPECT_CODE(Find(Token::kConfirmation, mail.confirmation_token),
              absl::StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(Subscriber found,
                       Find(Token::kUnsubscribe, "new-unsubscribe-token"));
  EXPECT_EQ(found.id, "mail");
}

TEST_F(SubscriberRepositoryTest,
       Update_StaleVersion_IsAbortedAndWritesNothing) {
  Subscriber s = Webhook("hook");
  ASSERT_OK(Insert(s));
  Subscriber first = s;
  first.incident_id = "first";
  first.version = 2;
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.subscribers().Update(first); }));
  Subscriber stale = s;
  stale.incident_id = "stale";
  stale.version = 2;  // read at version 1 too
  EXPECT_CODE(
      Write([&](Transaction& tx) { return tx.subscribers().Update(stale); }),
      absl::StatusCode::kAborted);
  ASSERT_OK_AND_ASSIGN(Subscriber got, Get(page_, "hook"));
  EXPECT_EQ(got.incident_id, "first");
  EXPECT_EQ(got.version, 2);
}

TEST_F(SubscriberRepositoryTest, Update_UnknownSubscriber_IsNotFound) {
  Subscriber s = Webhook("nope");
  s.version = 2;
  EXPECT_CODE(
      Write([&](Transaction& tx) { return tx.subscribers().Update(s); }),
      absl::StatusCode::kNotFound);
}

TEST_F(SubscriberRepositoryTest, List_ById_WithCursorLimitAndStateFilter) {
  const std::string other = NewPage();
  for (const char* id : {"d", "a", "c", "b", "e"}) {
    Subscriber s = Webhook(id);
    if (std::string(id) == "b" || std::string(id) == "d") {
      s.state = SubscriberState::kQuarantined;
    }
    ASSERT_OK(Insert(s));
  }
  ASSERT_OK(Insert(MakeEmailSubscriber(page_, "f", "f@example.com")));
  ASSERT_OK(Insert(MakeWebhookSubscriber(other, "a", "https://x.test/")));

  SubscriberQuery q;
  q.page_id = page_;
  EXPECT_EQ(List(q), (V{"a", "b", "c", "d", "e", "f"}));
  q.limit = 2;
  EXPECT_EQ(List(q), (V{"a", "b"}));
  q.after_id = "b";
  EXPECT_EQ(List(q), (V{"c", "d"}));
  q.after_id = "e";
  EXPECT_EQ(List(q), (V{"f"}));
  q.after_id = "f";
  EXPECT_EQ(List(q), V{});

  SubscriberQuery by_state;
  by_state.page_id = page_;
  by_state.state = SubscriberState::kQuarantined;
  EXPECT_EQ(List(by_state), (V{"b", "d"}));
  by_state.after_id = "b";
  EXPECT_EQ(List(by_state), (V{"d"}));
  by_state.state = SubscriberState::kPendingConfirmation;
  by_state.after_id.clear();
  EXPECT_EQ(List(by_state), (V{"f"}));
  SubscriberQuery none;
  none.page_id = page_;
  none.limit = 0;
  EXPECT_EQ(List(none), V{});
}

TEST_F(SubscriberRepositoryTest,
       ListNotified_ActiveAndQuarantinedOfThePage_ById) {
  const std::string other = NewPage();
  Subscriber quarantined = Webhook("b-quarantined");
  quarantined.state = SubscriberState::kQuarantined;
  ASSERT_OK(Insert(Webhook("c-active")));
  ASSERT_OK(Insert(quarantined));
  ASSERT_OK(Insert(Webhook("a-active")));
  ASSERT_OK(Insert(MakeEmailSubscriber(page_, "0-pending", "p@example.com")));
  ASSERT_OK(
      Insert(MakeWebhookSubscriber(other, "elsewhere", "https://x.test/")));
  absl::StatusOr<std::vector<Subscriber>> notified;
  ASSERT_OK(Read([&](Transaction& tx) {
    notified = tx.subscribers().ListNotified(page_);
    return notified.status();
  }));
  EXPECT_EQ(Ids(*notified), (V{"a-active", "b-quarantined", "c-active"}));
  EXPECT_EQ(Dump(notified->at(1)), Dump(quarantined));
}

TEST_F(SubscriberRepositoryTest, CountByState_CountsEachState) {
  const std::string empty_page = NewPage();
  Subscriber q1 = Webhook("q1");
  q1.state = SubscriberState::kQuarantined;
  ASSERT_OK(Insert(q1));
  ASSERT_OK(Insert(Webhook("a1")));
  ASSERT_OK(Insert(Webhook("a2")));
  ASSERT_OK(Insert(MakeEmailSubscriber(page_, "p1", "p1@example.com")));
  ASSERT_OK(Insert(MakeEmailSubscriber(page_, "p2", "p2@example.com")));
  ASSERT_OK(Insert(MakeEmailSubscriber(page_, "p3", "p3@example.com")));
  absl::StatusOr<SubscriberRepository::Counts> counts, empty, unknown;
  ASSERT_OK(Read([&](Transaction& tx) {
    counts = tx.subscribers().CountByState(page_);
    empty = tx.subscribers().CountByState(empty_page);
    unknown = tx.subscribers().CountByState("no-such-page");
    return absl::OkStatus();
  }));
  ASSERT_OK(counts);
  EXPECT_EQ(counts->pending_confirmation, 3);
  EXPECT_EQ(counts->active, 2);
  EXPECT_EQ(counts->quarantined, 1);
  ASSERT_OK(empty);
  EXPECT_EQ(empty->pending_confirmation + empty->active + empty->quarantined,
            0);
  EXPECT_CODE(unknown, absl::StatusCode::kNotFound);
}

TEST_F(SubscriberRepositoryTest, Delete_RemovesTheSubscriberWithItsDeliveries) {
  ASSERT_OK(Insert(Webhook("gone")));
  ASSERT_OK(Insert(Webhook("kept")));
  ASSERT_OK(Write([&](Transaction& tx) {
    return tx.deliveries()
        .InsertNew({MakeDelivery(page_, "gone", 1),
                    MakeDelivery(page_, "gone", 2),
                    MakeDelivery(page_, "kept", 1)})
        .status();
  }));
  ASSERT_OK(Write(
      [&](Transaction& tx) { return tx.subscribers().Delete(page_, "gone"); }));
  EXPECT_CODE(Get(page_, "gone"), absl::StatusCode::kNotFound);
  EXPECT_EQ(db().QueryInt(absl::StrCat("SELECT COUNT(*) FROM deliveries WHERE "
                                       "page_id = '",
                                       page_, "' AND subscriber_id = 'gone'"))
                .value_or(-1),
            0);
  EXPECT_EQ(db().QueryInt(absl::StrCat("SELECT COUNT(*) FROM deliveries WHERE "
                                       "page_id = '",
                                       page_, "' AND subscriber_id = 'kept'"))
                .value_or(-1),
            1);
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.subscribers().Delete(page_, "gone");
              }),
              absl::StatusCode::kNotFound);
}

TEST_F(SubscriberRepositoryTest,
       DeletePage_DeletesItsSubscribersDeliveriesAndCursor) {
  const std::string other = NewPage();
  for (const std::string& page : {page_, other}) {
    ASSERT_OK(Insert(MakeWebhookSubscriber(page, "hook", "https://x.test/")));
    ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
      Event e = MakeEvent(page, At(1), "x");
      if (absl::Status s = tx.events().Append(e); !s.ok()) return s;
      absl::StatusOr<std::optional<int64_t>> cursor =
          tx.deliveries().LockCursor(page);
      if (!cursor.ok()) return cursor.status();
      if (absl::Status s = tx.deliveries().SetCursor(page, 1); !s.ok())
        return s;
      return tx.deliveries()
          .InsertNew({MakeDelivery(page, "hook", 1)})
          .status();
    }));
  }
  ASSERT_OK(Write([&](Transaction& tx) { return tx.pages().Delete(page_); }));
  for (const char* table :
       {"subscribers", "deliveries", "notification_cursors"}) {
    EXPECT_EQ(db().QueryInt(absl::StrCat("SELECT COUNT(*) FROM ", table,
                                         " WHERE page_id = '", page_, "'"))
                  .value_or(-1),
              0)
        << table;
    EXPECT_EQ(db().QueryInt(absl::StrCat("SELECT COUNT(*) FROM ", table,
                                         " WHERE page_id = '", other, "'"))
                  .value_or(-1),
              1)
        << table;
  }
}

// --- Scheduling.

TEST_F(SubscriberRepositoryTest, MarkDue_OnlyEverMovesTheDueTimeEarlier) {
  ASSERT_OK(Insert(Webhook("hook")));
  ASSERT_OK(Insert(Webhook("other")));
  EXPECT_EQ(DueTime(page_, "hook"), std::nullopt);  // new: nothing due
  ASSERT_OK(MarkDue(page_, {"hook"}, At(10)));
  EXPECT_EQ(DueTime(page_, "hook"), At(10));
  ASSERT_OK(MarkDue(page_, {"hook"}, At(20)));
  EXPECT_EQ(DueTime(page_, "hook"), At(10));
  ASSERT_OK(MarkDue(page_, {"hook"}, At(5) + absl::Microseconds(7)));
  EXPECT_EQ(DueTime(page_, "hook"), At(5) + absl::Microseconds(7));
  EXPECT_EQ(DueTime(page_, "other"), std::nullopt);
}

TEST_F(SubscriberRepositoryTest,
       MarkDue_ManyIdsUnknownIdsAndNone_MarksExactlyThePagesIds) {
  const std::string other = NewPage();
  V ids;
  for (int n = 0; n < 300; ++n) {
    const std::string id = absl::StrCat("s", n);
    Subscriber s = Webhook(id);
    s.unsubscribe_token.clear();
    ASSERT_OK(Insert(s));
    if (n % 2 == 0) ids.push_back(id);
  }
  ASSERT_OK(Insert(MakeWebhookSubscriber(other, "s0", "https://x.test/")));
  ids.push_back("no-such-subscriber");
  ids.push_back("s0");  // twice
  ASSERT_OK(MarkDue(page_, ids, At(1)));
  ASSERT_OK(MarkDue(page_, {}, At(0)));
  EXPECT_EQ(db().QueryInt(absl::StrCat("SELECT COUNT(*) FROM subscribers "
                                       "WHERE page_id = '",
                                       page_, "' AND due_time IS NOT NULL"))
                .value_or(-1),
            150);
  EXPECT_EQ(DueTime(page_, "s298"), At(1));
  EXPECT_EQ(DueTime(page_, "s299"), std::nullopt);
  EXPECT_EQ(DueTime(other, "s0"), std::nullopt);
}

TEST_F(SubscriberRepositoryTest,
       ClaimDue_EarliestDueFirst_SkippingQuarantinedAndNotYetDue) {
  const std::string other = NewPage();
  ASSERT_OK(Insert(Webhook("late")));
  ASSERT_OK(Insert(Webhook("early")));
  ASSERT_OK(Insert(MakeEmailSubscriber(page_, "pending", "p@example.com")));
  Subscriber quarantined = Webhook("quarantined");
  quarantined.state = SubscriberState::kQuarantined;
  ASSERT_OK(Insert(quarantined));
  ASSERT_OK(Insert(Webhook("future")));
  ASSERT_OK(Insert(Webhook("never")));
  ASSERT_OK(
      Insert(MakeWebhookSubscriber(other, "elsewhere", "https://x.test/")));
  ASSERT_OK(MarkDue(page_, {"late"}, At(3)));
  ASSERT_OK(MarkDue(page_, {"early"}, At(1)));
  ASSERT_OK(MarkDue(page_, {"pending"}, At(2)));
  ASSERT_OK(MarkDue(page_, {"quarantined"}, At(0)));
  ASSERT_OK(MarkDue(page_, {"future"}, At(11)));
  ASSERT_OK(MarkDue(other, {"elsewhere"}, At(4)));

  ASSERT_OK_AND_ASSIGN(std::vector<Subscriber> claimed,
                       Claim(At(10), "worker-1", At(20), 3));
  EXPECT_EQ(Ids(claimed), (V{"early", "pending", "late"}));
  Subscriber early = Webhook("early");
  EXPECT_EQ(Dump(claimed[0]), Dump(early));  // claiming is no edit
  // What is left and due: the other page's.
  EXPECT_EQ(ClaimIds(At(10), "worker-1", At(20)), V{"elsewhere"});
  EXPECT_EQ(ClaimIds(At(10), "worker-1", At(20)), V{});
  // Exactly at its due time it is due.
  EXPECT_EQ(ClaimIds(At(11), "worker-1", At(20)), V{"future"});
  EXPECT_EQ(ClaimIds(At(12), "worker-1", At(20), 0), V{});
}

TEST_F(SubscriberRepositoryTest,
       ClaimDue_UnderAnUnexpiredLease_IsNotClaimedUntilTheLeaseExpires) {
  ASSERT_OK(Insert(Webhook("hook")));
  ASSERT_OK(MarkDue(page_, {"hook"}, At(0)));
  EXPECT_EQ(ClaimIds(At(1), "worker-1", At(5)), V{"hook"});
  // Still due, but leased: not even its owner claims it twice.
  EXPECT_EQ(ClaimIds(At(2), "worker-2", At(6)), V{});
  EXPECT_EQ(ClaimIds(At(4), "worker-1", At(6)), V{});
  // worker-1 died: at the end of its lease another worker takes over.
  EXPECT_EQ(ClaimIds(At(5), "worker-2", At(9)), V{"hook"});
  EXPECT_EQ(ClaimIds(At(6), "worker-3", At(10)), V{});
}

TEST_F(SubscriberRepositoryTest,
       ClaimDue_ConcurrentTransactions_TakeDisjointSetsWithoutWaiting) {
  V all;
  for (int n = 0; n < 8; ++n) {
    const std::string id = absl::StrCat("s", n);
    Subscriber s = Webhook(id);
    s.unsubscribe_token.clear();
    ASSERT_OK(Insert(s));
    ASSERT_OK(MarkDue(page_, {id}, At(n)));
    all.push_back(id);
  }
  // The first claim holds its row locks (uncommitted) while the second runs
  // on another connection.
  V first, second;
  absl::Notification first_locked, second_done;
  std::thread other([&] {
    EXPECT_OK(Write([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<std::vector<Subscriber>> claimed =
          tx.subscribers().ClaimDue(At(100), "worker-1", At(200), 5);
      if (claimed.ok()) first = Ids(*claimed);
      first_locked.Notify();
      second_done.WaitForNotification();
      return claimed.status();
    }));
  });
  first_locked.WaitForNotification();
  const absl::Time started = absl::Now();
  second = ClaimIds(At(100), "worker-2", At(200), 5);
  const absl::Duration took = absl::Now() - started;
  second_done.Notify();
  other.join();

  EXPECT_EQ(first, (V{"s0", "s1", "s2", "s3", "s4"}));
  EXPECT_EQ(second, (V{"s5", "s6", "s7"}));
  // Skipped, not waited for (the lock wait timeout is 2 s).
  EXPECT_LT(took, absl::Seconds(1));
  // Both leases hold: nothing left to claim.
  EXPECT_EQ(ClaimIds(At(100), "worker-3", At(200)), V{});
}

TEST_F(SubscriberRepositoryTest,
       ClaimAndRelease_WriteNoVersionAndReleaseWritesHealthAndNextDue) {
  Subscriber s = Webhook("hook");
  ASSERT_OK(Insert(s));
  ASSERT_OK(MarkDue(page_, {"hook"}, At(0)));
  ASSERT_EQ(ClaimIds(At(1), "worker-1", At(5)), V{"hook"});
  SubscriberRepository::LeaseEnd end;
  end.consecutive_failures = 4;
  end.failing_since = At(1) + absl::Microseconds(3);
  end.next_due = At(30);
  ASSERT_OK(Release(page_, "hook", "worker-1", end));

  ASSERT_OK_AND_ASSIGN(Subscriber got, Get(page_, "hook"));
  Subscriber expected = s;
  expected.consecutive_failures = 4;
  expected.failing_since = At(1) + absl::Microseconds(3);
  EXPECT_EQ(Dump(got), Dump(expected));  // version and update_time kept
  EXPECT_EQ(DueTime(page_, "hook"), At(30));
  // The lease is over: anyone may claim it when it is next due.
  EXPECT_EQ(ClaimIds(At(29), "worker-2", At(40)), V{});
  EXPECT_EQ(ClaimIds(At(30), "worker-2", At(40)), V{"hook"});

  // Healthy again and nothing pending: not due at all.
  ASSERT_OK(Release(page_, "hook", "worker-2", {}));
  ASSERT_OK_AND_ASSIGN(got, Get(page_, "hook"));
  EXPECT_EQ(got.consecutive_failures, 0);
  EXPECT_FALSE(got.failing_since.has_value());
  EXPECT_EQ(DueTime(page_, "hook"), std::nullopt);
  EXPECT_EQ(ClaimIds(At(1000), "worker-2", At(2000)), V{});
}

TEST_F(SubscriberRepositoryTest,
       ReleaseLease_ByAWorkerThatLostIt_IsFailedPreconditionAndWritesNothing) {
  ASSERT_OK(Insert(Webhook("hook")));
  ASSERT_OK(MarkDue(page_, {"hook"}, At(0)));
  ASSERT_EQ(ClaimIds(At(1), "worker-1", At(5)), V{"hook"});
  // worker-1 stalled past its lease; worker-2 took over.
  ASSERT_EQ(ClaimIds(At(6), "worker-2", At(10)), V{"hook"});
  SubscriberRepository::LeaseEnd stale;
  stale.consecutive_failures = 9;
  stale.next_due = At(100);
  EXPECT_CODE(Release(page_, "hook", "worker-1", stale),
              absl::StatusCode::kFailedPrecondition);
  ASSERT_OK_AND_ASSIGN(Subscriber got, Get(page_, "hook"));
  EXPECT_EQ(got.consecutive_failures, 3);  // as inserted
  EXPECT_EQ(DueTime(page_, "hook"), At(0));
  // worker-2 still holds it.
  EXPECT_EQ(ClaimIds(At(7), "worker-3", At(10)), V{});
  EXPECT_OK(Release(page_, "hook", "worker-2", {}));
  // Released: nobody holds it, so no release fits any more.
  EXPECT_CODE(Release(page_, "hook", "worker-2", {}),
              absl::StatusCode::kFailedPrecondition);
  EXPECT_CODE(Release(page_, "nope", "worker-2", {}),
              absl::StatusCode::kNotFound);
}

// The dispatcher records new deliveries and marks the subscriber due while a
// worker holds it, after the worker read its open deliveries: the worker's
// "nothing more is due" must not erase that.
TEST_F(SubscriberRepositoryTest,
       ReleaseLease_AfterAMarkDueDuringTheLease_LeavesTheSubscriberDue) {
  ASSERT_OK(Insert(Webhook("hook")));
  ASSERT_OK(MarkDue(page_, {"hook"}, At(0)));
  ASSERT_EQ(ClaimIds(At(1), "worker-1", At(5)), V{"hook"});
  ASSERT_OK(MarkDue(page_, {"hook"}, At(2)));
  ASSERT_OK(Release(page_, "hook", "worker-1", {}));
  EXPECT_EQ(ClaimIds(At(2), "worker-2", At(6)), V{"hook"});

  // And a MarkDue before the claim does not count as one during the lease.
  SubscriberRepository::LeaseEnd end;
  end.next_due = At(50);
  ASSERT_OK(Release(page_, "hook", "worker-2", end));
  EXPECT_EQ(DueTime(page_, "hook"), At(50));
}

TEST_F(SubscriberRepositoryTest,
       ClaimDue_InReadOnlyTransaction_IsFailedPrecondition) {
  EXPECT_CODE(
      Read([&](Transaction& tx) {
        return tx.subscribers().ClaimDue(At(0), "worker", At(1), 10).status();
      }),
      absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace incidentd::testing
