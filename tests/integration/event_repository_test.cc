// The MySQL event log: numbering, reading, heads, pruning, what deleting a
// page does to it, the migration that adds it, and the property live
// updates rest on: under concurrent writers (some rolling back), a reader
// tailing the log never sees a sequence before every lower one is visible,
// and the log ends up exactly the committed events, numbered 1..N.
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "storage/mysql/mysql_store.h"
#include "tests/integration/model_helpers.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using storage::EventRepository;
using storage::Lock;
using storage::MysqlConfig;
using storage::Transaction;

std::vector<int64_t> Seqs(const std::vector<Event>& events) {
  std::vector<int64_t> seqs;
  for (const Event& e : events) seqs.push_back(e.seq);
  return seqs;
}

std::vector<int64_t> Range(int64_t first, int64_t last) {
  std::vector<int64_t> seqs;
  for (int64_t s = first; s <= last; ++s) seqs.push_back(s);
  return seqs;
}

// A time in `year`, far from the At() times other tests use: pruning is
// global, so each pruning test works in an era of its own.
absl::Time InYear(int year, int minutes) {
  return absl::FromCivil(absl::CivilSecond(year, 6, 1, 0, 0, 0),
                         absl::UTCTimeZone()) +
         absl::Minutes(minutes);
}

class EventRepositoryTest : public MysqlTest {
 protected:
  std::string NewPage() {
    std::string id = UniqueId("page");
    EXPECT_OK(Write(
        [&](Transaction& tx) { return tx.pages().Insert(MakePage(id)); }));
    return id;
  }

  // Appends in a transaction of its own; the event as stored.
  absl::StatusOr<Event> Append(Event event) {
    absl::Status status =
        Write([&](Transaction& tx) { return tx.events().Append(event); });
    if (!status.ok()) return status;
    return event;
  }

  absl::StatusOr<std::vector<Event>> List(const std::string& page_id,
                                          int64_t after_seq, int limit) {
    absl::StatusOr<std::vector<Event>> events;
    absl::Status status = Read([&](Transaction& tx) {
      events = tx.events().List(page_id, after_seq, limit);
      return events.status();
    });
    if (!status.ok()) return status;
    return events;
  }

  absl::StatusOr<EventRepository::Head> Head(const std::string& page_id) {
    absl::StatusOr<EventRepository::Head> head;
    absl::Status status = Read([&](Transaction& tx) {
      head = tx.events().GetHead(page_id);
      return head.status();
    });
    if (!status.ok()) return status;
    return head;
  }

  absl::StatusOr<int64_t> Prune(absl::Time before, int limit) {
    absl::StatusOr<int64_t> pruned;
    absl::Status status = Write([&](Transaction& tx) {
      pruned = tx.events().PruneBefore(before, limit);
      return pruned.status();
    });
    if (!status.ok()) return status;
    return pruned;
  }

  // Events of any page still kept from before `year`, left by other tests
  // of this process, so that a pruning test counts only its own.
  void PruneEverythingBefore(int year) {
    ASSERT_OK(Prune(InYear(year, 0), 1000000));
  }

  absl::StatusOr<int64_t> CountRows(const std::string& table,
                                    const std::string& page_id) {
    return db().QueryInt(absl::StrCat("SELECT COUNT(*) FROM ", table,
                                      " WHERE page_id = '", page_id, "'"));
  }
};

TEST_F(EventRepositoryTest,
       Append_FirstEventOfAPage_IsSeq1AndEveryFieldReadsBack) {
  const std::string page = NewPage();
  ASSERT_OK_AND_ASSIGN(Event stored,
                       Append(MakeEvent(page, At(5), "the api event")));
  EXPECT_EQ(stored.seq, 1);
  ASSERT_OK_AND_ASSIGN(std::vector<Event> events, List(page, 0, 10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Dump(events[0]), Dump(stored));
  EXPECT_EQ(events[0].create_time, At(5));
}

TEST_F(EventRepositoryTest, Append_EmptyOptionalFields_ReadBackEmpty) {
  const std::string page = NewPage();
  Event event = MakeEvent(page, At(1), "");
  event.type = EventType::kPageUpdated;
  event.actor.clear();
  event.incident_id.clear();
  event.component_ids.clear();
  event.resource_name = absl::StrCat("pages/", page);
  ASSERT_OK_AND_ASSIGN(Event stored, Append(event));
  ASSERT_OK_AND_ASSIGN(std::vector<Event> events, List(page, 0, 10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Dump(events[0]), Dump(stored));
  EXPECT_TRUE(events[0].component_ids.empty());
}

TEST_F(EventRepositoryTest, Append_NotifyFlag_ReadsBackAsWritten) {
  const std::string page = NewPage();
  Event quiet = MakeEvent(page, At(1), "an edit");
  quiet.notify = false;
  Event loud = MakeEvent(page, At(2), "a posted update");
  loud.notify = true;
  ASSERT_OK(Append(quiet));
  ASSERT_OK(Append(loud));
  ASSERT_OK_AND_ASSIGN(std::vector<Event> events, List(page, 0, 10));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[0].notify);
  EXPECT_TRUE(events[1].notify);
}

TEST_F(EventRepositoryTest, Get_AStoredEvent_ReturnsEveryField) {
  const std::string page = NewPage();
  ASSERT_OK(Append(MakeEvent(page, At(1), "first")));
  Event second = MakeEvent(page, At(2), std::string("se\0cond", 7));
  second.notify = false;
  second.component_ids = {"api"};
  ASSERT_OK_AND_ASSIGN(Event stored, Append(second));
  ASSERT_OK(Append(MakeEvent(page, At(3), "third")));
  absl::StatusOr<Event> got;
  ASSERT_OK(Read([&](Transaction& tx) {
    got = tx.events().Get(page, 2);
    return absl::OkStatus();
  }));
  ASSERT_OK(got);
  EXPECT_EQ(Dump(*got), Dump(stored));
}

TEST_F(EventRepositoryTest, Get_UnknownSequenceOrPage_IsNotFound) {
  const std::string page = NewPage();
  ASSERT_OK(Append(MakeEvent(page, At(1), "only")));
  absl::StatusOr<Event> beyond, zero, other_page;
  ASSERT_OK(Read([&](Transaction& tx) {
    beyond = tx.events().Get(page, 2);
    zero = tx.events().Get(page, 0);
    other_page = tx.events().Get("no-such-page", 1);
    return absl::OkStatus();
  }));
  EXPECT_CODE(beyond, absl::StatusCode::kNotFound);
  EXPECT_CODE(zero, absl::StatusCode::kNotFound);
  EXPECT_CODE(other_page, absl::StatusCode::kNotFound);
}

TEST_F(EventRepositoryTest, Append_InSeparateTransactions_IncreasesByOne) {
  const std::string page = NewPage();
  for (int64_t expected = 1; expected <= 5; ++expected) {
    ASSERT_OK_AND_ASSIGN(Event stored, Append(MakeEvent(page, At(1), "x")));
    EXPECT_EQ(stored.seq, expected);
  }
  EXPECT_EQ(Seqs(List(page, 0, 100).value_or(std::vector<Event>{})),
            Range(1, 5));
}

TEST_F(EventRepositoryTest, Append_SeveralInOneTransaction_AreConsecutive) {
  const std::string page = NewPage();
  ASSERT_OK(Append(MakeEvent(page, At(1), "first")));
  std::vector<int64_t> assigned;
  ASSERT_OK(Write([&](Transaction& tx) {
    for (int i = 0; i < 3; ++i) {
      Event e = MakeEvent(page, At(2), absl::StrCat("batch ", i));
      if (absl::Status s = tx.events().Append(e); !s.ok()) return s;
      assigned.push_back(e.seq);
    }
    return absl::OkStatus();
  }));
  EXPECT_EQ(assigned, Range(2, 4));
  ASSERT_OK_AND_ASSIGN(std::vector<Event> events, List(page, 0, 100));
  EXPECT_EQ(Seqs(events), Range(1, 4));
  EXPECT_EQ(events[3].payload, "batch 2");
}

TEST_F(EventRepositoryTest, Append_RolledBackTransaction_LeavesNoGap) {
  const std::string page = NewPage();
  ASSERT_OK(Append(MakeEvent(page, At(1), "kept 1")));
  int64_t rolled_back_seq = 0;
  EXPECT_CODE(Write([&](Transaction& tx) {
                Event e = MakeEvent(page, At(2), "rolled back");
                if (absl::Status s = tx.events().Append(e); !s.ok()) return s;
                rolled_back_seq = e.seq;
                return absl::CancelledError("changed my mind");
              }),
              absl::StatusCode::kCancelled);
  EXPECT_EQ(rolled_back_seq, 2);
  ASSERT_OK_AND_ASSIGN(Event next, Append(MakeEvent(page, At(3), "kept 2")));
  EXPECT_EQ(next.seq, 2);
  ASSERT_OK_AND_ASSIGN(std::vector<Event> events, List(page, 0, 100));
  EXPECT_EQ(Seqs(events), Range(1, 2));
  EXPECT_EQ(events[1].payload, "kept 2");
}

TEST_F(EventRepositoryTest, Append_UnknownPage_IsNotFoundAndWritesNothing) {
  EXPECT_CODE(Append(MakeEvent("no-such-page", At(1), "x")),
              absl::StatusCode::kNotFound);
  EXPECT_EQ(CountRows("events", "no-such-page").value_or(-1), 0);
  EXPECT_EQ(CountRows("event_sequences", "no-such-page").value_or(-1), 0);
}

TEST_F(EventRepositoryTest,
       Append_ComponentIdEmptyOrWithTheSeparator_IsInvalidArgument) {
  const std::string page = NewPage();
  Event with_comma = MakeEvent(page, At(1), "x");
  with_comma.component_ids = {"api", "a,b"};
  EXPECT_CODE(Append(with_comma), absl::StatusCode::kInvalidArgument);
  Event with_empty = MakeEvent(page, At(1), "x");
  with_empty.component_ids = {""};
  EXPECT_CODE(Append(with_empty), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CountRows("events", page).value_or(-1), 0);
}

TEST_F(EventRepositoryTest, Append_InReadOnlyTransaction_IsFailedPrecondition) {
  const std::string page = NewPage();
  EXPECT_CODE(Read([&](Transaction& tx) {
                Event e = MakeEvent(page, At(1), "x");
                return tx.events().Append(e);
              }),
              absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CountRows("events", page).value_or(-1), 0);
}

TEST_F(EventRepositoryTest,
       Append_TimeFinerThanMicroseconds_ReturnsTheStoredTime) {
  const std::string page = NewPage();
  ASSERT_OK_AND_ASSIGN(
      Event stored,
      Append(MakeEvent(page, At(3) + absl::Nanoseconds(789), "x")));
  EXPECT_EQ(stored.create_time, At(3));
  ASSERT_OK_AND_ASSIGN(std::vector<Event> events, List(page, 0, 10));
  EXPECT_EQ(events.at(0).create_time, At(3));
}

// Replicas' clocks differ: a later event may come with an earlier time.
// Storing it at the page's latest time keeps each page's times in seq
// order, which is what lets pruning by time remove only a prefix.
TEST_F(EventRepositoryTest,
       Append_EarlierTimeThanThePagesLastEvent_IsStoredAtTheLastTime) {
  const std::string page = NewPage();
  const std::string other = NewPage();
  ASSERT_OK(Append(MakeEvent(page, At(10), "from a fast clock")));
  ASSERT_OK_AND_ASSIGN(Event late, Append(MakeEvent(page, At(4), "slow")));
  EXPECT_EQ(late.create_time, At(10));
  ASSERT_OK_AND_ASSIGN(Event later, Append(MakeEvent(page, At(12), "ok")));
  EXPECT_EQ(later.create_time, At(12));
  // Other pages are not affected.
  ASSERT_OK_AND_ASSIGN(Event elsewhere, Append(MakeEvent(other, At(4), "x")));
  EXPECT_EQ(elsewhere.create_time, At(4));

  ASSERT_OK_AND_ASSIGN(std::vector<Event> events, List(page, 0, 10));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].create_time, At(10));
  EXPECT_EQ(events[1].payload, "slow");
}

TEST_F(EventRepositoryTest, Payload_BinaryWithNulBytes_RoundTripsByteForByte) {
  const std::string page = NewPage();
  std::string every_byte;
  for (int round = 0; round < 3; ++round) {
    for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  }
  const std::string leading_nul("\0\0\x01\xff\xc3(", 6);  // invalid UTF-8 too
  std::string large(3 << 20, '\0');  // 3 MiB, over any small buffer
  absl::BitGen bitgen;
  for (char& c : large) c = static_cast<char>(absl::Uniform<uint8_t>(bitgen));
  const std::vector<std::string> payloads = {every_byte, leading_nul,
                                             std::string(), large};
  for (const std::string& payload : payloads) {
    ASSERT_OK(Append(MakeEvent(page, At(1), payload)));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<Event> events, List(page, 0, 10));
  ASSERT_EQ(events.size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(events[i].payload.size(), payloads[i].size()) << i;
    EXPECT_TRUE(events[i].payload == payloads[i]) << "payload " << i;
  }
}

TEST_F(EventRepositoryTest,
       List_AfterSeq_ReturnsLaterEventsAscendingUpToLimit) {
  const std::string page = NewPage();
  const std::string other = NewPage();
  for (int i = 1; i <= 7; ++i) {
    ASSERT_OK(Append(MakeEvent(page, At(i), absl::StrCat("e", i))));
    ASSERT_OK(Append(MakeEvent(other, At(i), "other page")));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<Event> events, List(page, 2, 3));
  EXPECT_EQ(Seqs(events), Range(3, 5));
  EXPECT_EQ(events[0].payload, "e3");
  EXPECT_EQ(events[0].page_id, page);
  ASSERT_OK_AND_ASSIGN(events, List(page, 5, 100));
  EXPECT_EQ(Seqs(events), Range(6, 7));
  ASSERT_OK_AND_ASSIGN(events, List(page, 7, 100));
  EXPECT_TRUE(events.empty());
  ASSERT_OK_AND_ASSIGN(events, List(page, 0, 0));
  EXPECT_TRUE(events.empty());
}

TEST_F(EventRepositoryTest, List_PageWithoutEvents_IsEmpty) {
  const std::string page = NewPage();
  ASSERT_OK_AND_ASSIGN(std::vector<Event> events, List(page, 0, 10));
  EXPECT_TRUE(events.empty());
}

TEST_F(EventRepositoryTest, List_UnknownPage_IsNotFound) {
  EXPECT_CODE(List("no-such-page", 0, 10), absl::StatusCode::kNotFound);
}

TEST_F(EventRepositoryTest, GetHead_PageWithoutEvents_IsZeroAndZero) {
  const std::string page = NewPage();
  ASSERT_OK_AND_ASSIGN(EventRepository::Head head, Head(page));
  EXPECT_EQ(head.last_seq, 0);
  EXPECT_EQ(head.first_kept_seq, 0);
}

TEST_F(EventRepositoryTest, GetHead_AfterAppends_IsLatestAndOldestKept) {
  const std::string page = NewPage();
  for (int i = 0; i < 3; ++i) ASSERT_OK(Append(MakeEvent(page, At(i), "x")));
  ASSERT_OK_AND_ASSIGN(EventRepository::Head head, Head(page));
  EXPECT_EQ(head.last_seq, 3);
  EXPECT_EQ(head.first_kept_seq, 1);
}

TEST_F(EventRepositoryTest, GetHead_UnknownPage_IsNotFound) {
  EXPECT_CODE(Head("no-such-page"), absl::StatusCode::kNotFound);
}

TEST_F(EventRepositoryTest,
       LastSequences_ManyPagesInOneCall_MapsEachExistingPageToItsLatest) {
  // More pages than one query takes, so the batching is exercised too.
  constexpr int kPages = 300;
  std::vector<std::string> ids;
  std::map<std::string, int64_t> expected;
  for (int i = 0; i < kPages; ++i) ids.push_back(UniqueId("many"));
  ASSERT_OK(Write([&](Transaction& tx) {
    for (int i = 0; i < kPages; ++i) {
      if (absl::Status s = tx.pages().Insert(MakePage(ids[i])); !s.ok()) {
        return s;
      }
      // Some pages never had an event: they map to 0.
      for (int n = 0; n < i % 4; ++n) {
        Event e = MakeEvent(ids[i], At(1), "x");
        if (absl::Status s = tx.events().Append(e); !s.ok()) return s;
      }
      expected[ids[i]] = i % 4;
    }
    return absl::OkStatus();
  }));
  std::vector<std::string> asked = ids;
  asked.push_back("no-such-page");  // left out
  asked.push_back(ids[7]);          // asked twice, answered once
  std::reverse(asked.begin(), asked.end());

  std::vector<std::pair<std::string, int64_t>> answer;
  ASSERT_OK(Read([&](Transaction& tx) {
    absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> r =
        tx.events().LastSequences(asked);
    if (!r.ok()) return r.status();
    answer = *std::move(r);
    return absl::OkStatus();
  }));
  EXPECT_EQ(answer.size(), expected.size());
  const std::map<std::string, int64_t> answered(answer.begin(), answer.end());
  EXPECT_EQ(answered, expected);
}

TEST_F(EventRepositoryTest, LastSequences_NoPages_IsEmpty) {
  ASSERT_OK(Read([&](Transaction& tx) {
    absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> r =
        tx.events().LastSequences({});
    EXPECT_OK(r);
    EXPECT_TRUE(r.ok() && r->empty());
    return absl::OkStatus();
  }));
}

TEST_F(EventRepositoryTest,
       PruneBefore_DeletesOldestFirstUpToLimit_AndTheNumberingGoesOn) {
  PruneEverythingBefore(1971);
  const std::string a = NewPage();
  const std::string b = NewPage();
  for (int m : {1, 2, 3, 4}) {
    ASSERT_OK(Append(MakeEvent(a, InYear(1971, m), "a")));
  }
  for (int m : {1, 5}) ASSERT_OK(Append(MakeEvent(b, InYear(1971, m), "b")));

  // Two of the three before minute 3, oldest first: a1 and b1.
  EXPECT_EQ(Prune(InYear(1971, 3), 2).value_or(-1), 2);
  EXPECT_EQ(Seqs(List(a, 0, 10).value_or(std::vector<Event>{})), Range(2, 4));
  EXPECT_EQ(Seqs(List(b, 0, 10).value_or(std::vector<Event>{})),
            std::vector<int64_t>{2});
  ASSERT_OK_AND_ASSIGN(EventRepository::Head head, Head(a));
  EXPECT_EQ(head.last_seq, 4);
  EXPECT_EQ(head.first_kept_seq, 2);

  EXPECT_EQ(Prune(InYear(1971, 3), 100).value_or(-1), 1);
  ASSERT_OK_AND_ASSIGN(head, Head(a));
  EXPECT_EQ(head.first_kept_seq, 3);

  // Everything: the counters stay, only nothing is kept.
  EXPECT_EQ(Prune(InYear(1971, 10), 100).value_or(-1), 3);
  ASSERT_OK_AND_ASSIGN(head, Head(a));
  EXPECT_EQ(head.last_seq, 4);
  EXPECT_EQ(head.first_kept_seq, 0);
  ASSERT_OK_AND_ASSIGN(head, Head(b));
  EXPECT_EQ(head.last_seq, 2);
  EXPECT_EQ(head.first_kept_seq, 0);

  ASSERT_OK_AND_ASSIGN(Event next, Append(MakeEvent(a, InYear(1971, 20), "a")));
  EXPECT_EQ(next.seq, 5);
  ASSERT_OK_AND_ASSIGN(head, Head(a));
  EXPECT_EQ(head.last_seq, 5);
  EXPECT_EQ(head.first_kept_seq, 5);
  EXPECT_EQ(Seqs(List(a, 0, 10).value_or(std::vector<Event>{})),
            std::vector<int64_t>{5});
}

TEST_F(EventRepositoryTest,
       PruneBefore_EventsOfOneTime_DeletesAPrefixOfThePagesLog) {
  PruneEverythingBefore(1972);
  const std::string page = NewPage();
  // One transaction, one time: only seq tells them apart.
  ASSERT_OK(Write([&](Transaction& tx) {
    for (int i = 0; i < 5; ++i) {
      Event e = MakeEvent(page, InYear(1972, 1), "x");
      if (absl::Status s = tx.events().Append(e); !s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  EXPECT_EQ(Prune(InYear(1972, 2), 2).value_or(-1), 2);
  EXPECT_EQ(Seqs(List(page, 0, 10).value_or(std::vector<Event>{})),
            Range(3, 5));
}

TEST_F(EventRepositoryTest,
       PruneBefore_LaterEventsWithEarlierClockTimes_NeverLeavesAHole) {
  PruneEverythingBefore(1973);
  const std::string page = NewPage();
  // Seq 2 comes from a replica whose clock is 3 minutes behind.
  ASSERT_OK(Append(MakeEvent(page, InYear(1973, 5), "1")));
  ASSERT_OK(Append(MakeEvent(page, InYear(1973, 2), "2")));
  ASSERT_OK(Append(MakeEvent(page, InYear(1973, 6), "3")));
  EXPECT_EQ(Prune(InYear(1973, 4), 100).value_or(-1), 0);
  EXPECT_EQ(Seqs(List(page, 0, 10).value_or(std::vector<Event>{})),
            Range(1, 3));
  EXPECT_EQ(Prune(InYear(1973, 6), 100).value_or(-1), 2);
  EXPECT_EQ(Seqs(List(page, 0, 10).value_or(std::vector<Event>{})),
            std::vector<int64_t>{3});
}

TEST_F(EventRepositoryTest, PruneBefore_LimitZero_DeletesNothing) {
  const std::string page = NewPage();
  ASSERT_OK(Append(MakeEvent(page, InYear(1974, 1), "x")));
  EXPECT_EQ(Prune(InYear(1974, 2), 0).value_or(-1), 0);
  EXPECT_EQ(CountRows("events", page).value_or(-1), 1);
}

TEST_F(EventRepositoryTest, DeletePage_DeletesItsEventsAndCounter) {
  const std::string page = NewPage();
  const std::string other = NewPage();
  for (int i = 0; i < 3; ++i) ASSERT_OK(Append(MakeEvent(page, At(i), "x")));
  ASSERT_OK(Append(MakeEvent(other, At(1), "kept")));
  ASSERT_OK(Write([&](Transaction& tx) { return tx.pages().Delete(page); }));
  EXPECT_EQ(CountRows("events", page).value_or(-1), 0);
  EXPECT_EQ(CountRows("event_sequences", page).value_or(-1), 0);
  EXPECT_EQ(CountRows("events", other).value_or(-1), 1);

  // A new page of the same name starts a log of its own.
  ASSERT_OK(Write(
      [&](Transaction& tx) { return tx.pages().Insert(MakePage(page)); }));
  ASSERT_OK_AND_ASSIGN(Event first, Append(MakeEvent(page, At(9), "new")));
  EXPECT_EQ(first.seq, 1);
}

// How many other sessions of the test database are running the statement
// by which Append takes a page's sequence lock. While another transaction
// holds that lock, such a session is waiting for it. (INNODB_TRX would say
// so directly, but MariaDB leaves a transaction that has not written yet
// out of it.)
absl::StatusOr<int64_t> SequenceLockWaiters(TestDatabase& db) {
  return db.QueryInt(absl::StrCat(
      "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
      "WHERE DB = '",
      db.name(),
      "' AND ID <> CONNECTION_ID() "
      "AND INFO LIKE 'SELECT last_seq%FROM event_sequences%FOR UPDATE'"));
}

// Holds one Append uncommitted until a second Append of the same page is
// seen waiting for it, then ends the first as told; returns the sequence
// the second got.
int64_t SecondAppendWhileFirstHolds(storage::Store& store, TestDatabase& db,
                                    const std::string& page, bool commit) {
  absl::Notification appended;
  absl::Notification release;
  absl::Status first_status;
  std::thread first([&] {
    first_status =
        store.ReadWrite(absl::Now() + absl::Seconds(30), [&](Transaction& tx) {
          Event e = MakeEvent(page, At(1), "first");
          absl::Status s = tx.events().Append(e);
          if (!appended.HasBeenNotified()) {
            appended.Notify();
          }
          release.WaitForNotificationWithTimeout(absl::Seconds(20));
          if (!s.ok()) return s;
          return commit ? absl::OkStatus()
                        : absl::CancelledError("rolled back");
        });
  });
  appended.WaitForNotification();
  int64_t second_seq = 0;
  absl::Status second_status;
  std::thread second([&] {
    second_status =
        store.ReadWrite(absl::Now() + absl::Seconds(30), [&](Transaction& tx) {
          Event e = MakeEvent(page, At(2), "second");
          absl::Status s = tx.events().Append(e);
          second_seq = e.seq;
          return s;
        });
  });
  // The second must be waiting on the page's sequence lock, not done.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (SequenceLockWaiters(db).value_or(0) == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  EXPECT_GT(SequenceLockWaiters(db).value_or(0), 0)
      << "the second Append never waited";
  release.Notify();
  first.join();
  second.join();
  if (commit) {
    EXPECT_OK(first_status);
  } else {
    EXPECT_CODE(first_status, absl::StatusCode::kCancelled);
  }
  EXPECT_OK(second_status);
  return second_seq;
}

TEST_F(EventRepositoryTest,
       Append_WhileAnotherTransactionHoldsThePage_WaitsAndTakesTheNextSeq) {
  const std::string page = NewPage();
  ASSERT_OK(Append(MakeEvent(page, At(0), "zero")));
  EXPECT_EQ(SecondAppendWhileFirstHolds(store(), db(), page,
                                        /*commit=*/true),
            3);
  EXPECT_EQ(Seqs(List(page, 0, 10).value_or(std::vector<Event>{})),
            Range(1, 3));
}

TEST_F(EventRepositoryTest,
       Append_WhileAnotherTransactionHoldsThePageAndRollsBack_TakesItsSeq) {
  const std::string page = NewPage();
  ASSERT_OK(Append(MakeEvent(page, At(0), "zero")));
  EXPECT_EQ(SecondAppendWhileFirstHolds(store(), db(), page,
                                        /*commit=*/false),
            2);
  ASSERT_OK_AND_ASSIGN(std::vector<Event> events, List(page, 0, 10));
  EXPECT_EQ(Seqs(events), Range(1, 2));
  EXPECT_EQ(events[1].payload, "second");
}

// THE property: writers on their own connections append to two pages at
// once, some holding the sequence lock a while before committing, some
// rolling back after appending; tailers on both isolation levels read
// List(after = last seen) in a loop. Every batch a tailer sees must start at
// last + 1 and be contiguous, and in the end each page's log is exactly its
// committed events, numbered 1..N, with the rolled-back ones leaving no gap.
TEST_F(EventRepositoryTest,
       ConcurrentWriters_TailersNeverSeeAGap_AndTheLogIsExactlyTheCommits) {
  constexpr int kWriters = 6;
  constexpr int kTransactionsPerWriter = 40;  // a multiple of 4
  constexpr int kTailersPerPage = 2;
  MysqlConfig config = db().config();
  config.pool_size = kWriters + 2 * kTailersPerPage + 2;
  // Waits are short, but the machine may be busy; a timeout here would be
  // retried anyway, it only makes the test slower.
  config.lock_wait_timeout = absl::Seconds(10);
  std::unique_ptr<storage::Store> store = OpenStore(config);
  ASSERT_NE(store, nullptr);
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  const std::vector<std::string> pages = {NewPage(), NewPage()};

  absl::Mutex mu;
  std::map<std::string, std::multiset<std::string>> committed;  // payloads
  std::vector<std::string> writer_problems;
  int rolled_back = 0;
  std::atomic<int> writers_running{kWriters};

  auto writer = [&](int w) {
    absl::BitGen bitgen;
    std::map<std::string, int64_t> last_own_seq;
    for (int t = 0; t < kTransactionsPerWriter; ++t) {
      const std::string& page =
          pages[absl::Uniform<size_t>(bitgen, 0, pages.size())];
      const int count = absl::Uniform(bitgen, 1, 4);
      const bool roll_back = t % 4 == 3;
      const absl::Duration hold =
          t % 2 == 0 ? absl::Microseconds(absl::Uniform(bitgen, 0, 3000))
                     : absl::ZeroDuration();
      std::vector<Event> appended;
      absl::Status status = store->ReadWrite(deadline, [&](Transaction& tx) {
        appended.clear();  // a retried attempt starts over
        for (int k = 0; k < count; ++k) {
          Event e = MakeEvent(page, absl::Now(),
                              absl::StrCat("w", w, "t", t, "e", k,
                                           std::string(1, '\0'), "bytes"));
          if (absl::Status s = tx.events().Append(e); !s.ok()) return s;
          appended.push_back(std::move(e));
        }
        absl::SleepFor(hold);
        if (roll_back) return absl::CancelledError("rolled back on purpose");
        return absl::OkStatus();
      });
      absl::MutexLock lock(&mu);
      if (roll_back) {
        if (status.code() != absl::StatusCode::kCancelled) {
          writer_problems.push_back(status.ToString());
        }
        ++rolled_back;
        continue;
      }
      if (!status.ok()) {
        writer_problems.push_back(status.ToString());
        continue;
      }
      // One writer's commits follow each other: their seqs must too.
      for (size_t k = 0; k < appended.size(); ++k) {
        const int64_t expected =
            k == 0 ? last_own_seq[page] + 1 : appended[k - 1].seq + 1;
        if (k == 0 ? appended[k].seq < expected : appended[k].seq != expected) {
          writer_problems.push_back(absl::StrCat("writer ", w, " got seq ",
                                                 appended[k].seq, " after ",
                                                 expected - 1));
        }
        committed[page].insert(appended[k].payload);
      }
      last_own_seq[page] = appended.back().seq;
    }
    writers_running.fetch_sub(1);
  };

  struct Tailer {
    Tailer(std::string page, bool read_only, int limit)
        : page(std::move(page)), read_only(read_only), limit(limit) {}
    std::string page;
    bool read_only;
    int limit;
    int64_t last = 0;
    int64_t batches = 0;
    std::vector<std::string> problems;
  };
  // Both isolation levels the hub may read with: a read-only snapshot and a
  // read-write (READ COMMITTED) transaction; odd and even batch sizes.
  std::vector<Tailer> tailers;
  for (const std::string& page : pages) {
    tailers.emplace_back(page, /*read_only=*/true, /*limit=*/7);
    tailers.emplace_back(page, /*read_only=*/false, /*limit=*/50);
  }
  auto tail = [&](Tailer& t) {
    while (t.problems.size() < 5) {
      // Read before listing: a pass that starts after the writers are done
      // sees everything, and when it finds nothing new the tailer is done.
      const bool writers_done = writers_running.load() == 0;
      std::vector<Event> batch;
      auto list = [&](Transaction& tx) {
        absl::StatusOr<std::vector<Event>> r =
            tx.events().List(t.page, t.last, t.limit);
        if (!r.ok()) return r.status();
        batch = *std::move(r);
        return absl::OkStatus();
      };
      absl::Status status = t.read_only ? store->ReadOnly(deadline, list)
                                        : store->ReadWrite(deadline, list);
      if (!status.ok()) {
        t.problems.push_back(status.ToString());
        break;
      }
      if (!batch.empty()) ++t.batches;
      for (const Event& e : batch) {
        if (e.seq != t.last + 1) {
          t.problems.push_back(
              absl::StrCat("saw seq ", e.seq, " right after ", t.last));
        }
        t.last = e.seq;
      }
      if (batch.empty() && writers_done) break;
    }
  };

  std::vector<std::thread> threads;
  for (Tailer& t : tailers) threads.emplace_back(tail, std::ref(t));
  for (int w = 0; w < kWriters; ++w) threads.emplace_back(writer, w);
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(writer_problems, std::vector<std::string>{});
  EXPECT_EQ(rolled_back, kWriters * kTransactionsPerWriter / 4);
  for (const std::string& page : pages) {
    SCOPED_TRACE(page);
    const int64_t n = static_cast<int64_t>(committed[page].size());
    ASSERT_GT(n, 0);
    ASSERT_OK_AND_ASSIGN(std::vector<Event> log, List(page, 0, 100000));
    EXPECT_EQ(Seqs(log), Range(1, n));
    std::multiset<std::string> logged;
    for (const Event& e : log) logged.insert(e.payload);
    EXPECT_TRUE(logged == committed[page])
        << "the log holds other events than the committed ones";
    for (size_t i = 1; i < log.size(); ++i) {
      EXPECT_LE(log[i - 1].create_time, log[i].create_time) << "seq " << i + 1;
    }
    ASSERT_OK_AND_ASSIGN(EventRepository::Head head, Head(page));
    EXPECT_EQ(head.last_seq, n);
    EXPECT_EQ(head.first_kept_seq, 1);
  }
  for (const Tailer& t : tailers) {
    SCOPED_TRACE(
        absl::StrCat(t.page, t.read_only ? " read-only" : " read-write"));
    EXPECT_EQ(t.problems, std::vector<std::string>{});
    EXPECT_EQ(t.last, static_cast<int64_t>(committed[t.page].size()));
    EXPECT_GT(t.batches, 1) << "the tailer never read while writers wrote";
  }
}

// Migration 0002 on a database that has pages already (an existing
// deployment): each page gets a counter, and a run interrupted after its
// DDL (not yet recorded) runs again harmlessly. The later migrations run
// again after it (they are written to).
TEST(EventMigrationTest, Migration2_OnADatabaseWithPages_GivesEachACounter) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestDatabase> db,
                       TestDatabase::Create(TestDatabase::Schema::kEmpty));
  ASSERT_OK(storage::ApplyMigrations(db->config()));
  // Back to version 1, with a page.
  ASSERT_OK(db->Execute("DROP TABLE events"));
  ASSERT_OK(db->Execute("DROP TABLE event_sequences"));
  ASSERT_OK(db->Execute("DELETE FROM schema_migrations WHERE version >= 2"));
  ASSERT_OK(db->Execute(
      "INSERT INTO pages (id, display_name, url, time_zone, create_time, "
      "update_time, version) VALUES ('old', 'Old', '', 'UTC', "
      "'2024-01-01 00:00:00', '2024-01-01 00:00:00', 1)"));

  ASSERT_OK(storage::ApplyMigrations(db->config()));
  EXPECT_EQ(db->QueryInt("SELECT last_seq FROM event_sequences "
                         "WHERE page_id = 'old'")
                .value_or(-1),
            0);

  ASSERT_OK(db->Execute("DELETE FROM schema_migrations WHERE version >= 2"));
  ASSERT_OK(storage::ApplyMigrations(db->config()));
  EXPECT_EQ(db->QueryInt("SELECT COUNT(*) FROM event_sequences").value_or(-1),
            1);
  EXPECT_OK(storage::CheckSchema(db->config()));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<storage::Store> store,
                       storage::OpenMysqlStore(db->config()));
  Event event = MakeEvent("old", At(1), "first");
  ASSERT_OK(store->ReadWrite(
      absl::Now() + absl::Seconds(20),
      [&](Transaction& tx) { return tx.events().Append(event); }));
  EXPECT_EQ(event.seq, 1);
}

}  // namespace
}  // namespace incidentd::testing
