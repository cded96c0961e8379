// ReadCache's rules: what is served, what a commit here or elsewhere drops,
// which fills are refused, what ages out and what is evicted. The log is a
// fake that only answers LastSequences; time is a FakeClock.
#include "server/read_cache.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "server/clock.h"
#include "server/strings.h"
#include "tests/testing/status_matchers.h"

namespace incidentd {
namespace {

class FakeHeads final : public EventLog {
 public:
  absl::StatusOr<WatchStart> StartWatch(const WatchRequest&, int,
                                        absl::Time) override {
    return absl::UnimplementedError("not in this test");
  }
  absl::StatusOr<std::vector<Event>> ReadEvents(const std::string&, int64_t,
                                                int, absl::Time) override {
    return absl::UnimplementedError("not in this test");
  }
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> LastSequences(
      const std::vector<std::string>& page_ids, absl::Time) override {
    ++polls;
    asked = page_ids;
    if (!failure.ok()) return failure;
    std::vector<std::pair<std::string, int64_t>> out;
    for (const std::string& id : page_ids) {
      auto it = heads.find(id);
      if (it != heads.end()) out.emplace_back(id, it->second);
    }
    return out;
  }

  std::map<std::string, int64_t> heads;
  absl::Status failure;
  int polls = 0;
  std::vector<std::string> asked;
};

struct Text final : CachedValue {
  explicit Text(std::string v, size_t bytes = 100)
      : value(std::move(v)), bytes(bytes) {}
  size_t Bytes() const override { return bytes; }
  std::string value;
  size_t bytes;
};

struct Other final : CachedValue {
  size_t Bytes() const override { return 10; }
};

class ReadCacheTest : public ::testing::Test {
 protected:
  ReadCache& cache() {
    if (cache_ == nullptr) {
      cache_ = std::make_unique<ReadCache>(heads_, clock_, options_);
    }
    return *cache_;
  }

  // A whole miss-and-fill at the page's current head.
  void FillAt(const std::string& page, const std::string& key, int64_t seq,
              const std::string& value, size_t bytes = 100) {
    ReadCache::Fill fill = cache().BeginFill(page);
    cache().Insert(fill, key, seq, std::make_shared<Text>(value, bytes));
  }

  std::string Get(const std::string& page, const std::string& key) {
    std::shared_ptr<const Text> hit = cache().Find<Text>(page, key);
    return hit == nullptr ? "<miss>" : hit->value;
  }

  static ReadCache::Options ByHand() {
    ReadCache::Options o;
    o.run_poller_thread = false;
    return o;
  }

  FakeHeads heads_;
  FakeClock clock_;
  ReadCache::Options options_ = ByHand();
  std::unique_ptr<ReadCache> cache_;
};

TEST_F(ReadCacheTest, Fill_ThenFind_ServesTheValue) {
  EXPECT_EQ(Get("p", "status"), "<miss>");
  FillAt("p", "status", 3, "v3");
  EXPECT_EQ(Get("p", "status"), "v3");
  EXPECT_EQ(Get("p", "incident/a"), "<miss>");
  EXPECT_EQ(Get("q", "status"), "<miss>");
  const ReadCache::Stats stats = cache().stats();
  EXPECT_EQ(stats.hits, 1);
  EXPECT_EQ(stats.misses, 3);
  EXPECT_EQ(stats.inserts, 1);
  EXPECT_EQ(stats.entries, 1u);
}

TEST_F(ReadCacheTest, Find_OfAnotherType_Misses) {
  FillAt("p", "status", 1, "v");
  EXPECT_EQ(cache().Find<Other>("p", "status"), nullptr);
}

TEST_F(ReadCacheTest, KeysOfDifferentPages_DoNotCollide) {
  FillAt("p", "x\nstatus", 1, "first");
  FillAt("p\nx", "status", 1, "second");
  EXPECT_EQ(Get("p", "x\nstatus"), "first");
  EXPECT_EQ(Get("p\nx", "status"), "second");
}

TEST_F(ReadCacheTest, LocalCommit_DropsEveryAnswerOfThatPageOnly) {
  FillAt("p", "status", 1, "p-status");
  FillAt("p", "incident/a", 1, "p-a");
  FillAt("q", "status", 1, "q-status");
  cache().PageChanged("p");
  EXPECT_EQ(Get("p", "status"), "<miss>");
  EXPECT_EQ(Get("p", "incident/a"), "<miss>");
  EXPECT_EQ(Get("q", "status"), "q-status");
  EXPECT_EQ(cache().stats().invalidations, 1);
}

TEST_F(ReadCacheTest, FillBegunBeforeALocalCommit_IsRefused) {
  // The reader read the old state; the commit landed while it read.
  ReadCache::Fill fill = cache().BeginFill("p");
  cache().PageChanged("p");
  cache().Insert(fill, "status", 1, std::make_shared<Text>("stale"));
  EXPECT_EQ(Get("p", "status"), "<miss>");
  EXPECT_EQ(cache().stats().refused, 1);
  // A fill begun after the commit is kept.
  FillAt("p", "status", 2, "fresh");
  EXPECT_EQ(Get("p", "status"), "fresh");
}

TEST_F(ReadCacheTest, FillOlderThanTheEntriesAlreadyThere_IsRefused) {
  FillAt("p", "status", 5, "v5");
  FillAt("p", "incident/a", 4, "a4");
  EXPECT_EQ(Get("p", "incident/a"), "<miss>");
  EXPECT_EQ(Get("p", "status"), "v5");
}

TEST_F(ReadCacheTest, FillNewerThanTheEntriesAlreadyThere_DropsThem) {
  // The newer fill proves the page moved on (elsewhere) since the others.
  FillAt("p", "status", 4, "v4");
  FillAt("p", "incident/a", 5, "a5");
  EXPECT_EQ(Get("p", "status"), "<miss>");
  EXPECT_EQ(Get("p", "incident/a"), "a5");
}

TEST_F(ReadCacheTest, Poll_AsksOnlyForCachedPages_AndDropsThoseThatMovedOn) {
  FillAt("p", "status", 3, "p3");
  FillAt("q", "status", 7, "q7");
  heads_.heads = {{"p", 4}, {"q", 7}};
  ASSERT_OK(cache().Poll());
  EXPECT_EQ(heads_.polls, 1);
  EXPECT_EQ(heads_.asked.size(), 2u);
  EXPECT_EQ(Get("p", "status"), "<miss>");
  EXPECT_EQ(Get("q", "status"), "q7");
}

TEST_F(ReadCacheTest, Poll_DropsPagesDeletedElsewhere) {
  FillAt("p", "status", 3, "p3");
  heads_.heads = {};
  ASSERT_OK(cache().Poll());
  EXPECT_EQ(Get("p", "status"), "<miss>");
}

TEST_F(ReadCacheTest, Poll_SeeingAnOlderHead_KeepsTheEntries) {
  // The poll's query read the head before a fill read a newer state.
  FillAt("p", "status", 5, "p5");
  heads_.heads = {{"p", 4}};
  ASSERT_OK(cache().Poll());
  EXPECT_EQ(Get("p", "status"), "p5");
}

TEST_F(ReadCacheTest, Poll_WithNothingCached_DoesNotQuery) {
  ASSERT_OK(cache().Poll());
  EXPECT_EQ(heads_.polls, 0);
}

TEST_F(ReadCacheTest, Answers_NotVerifiedWithinTheLimit_AreNotServed) {
  options_.verify_within = absl::Seconds(1);
  FillAt("p", "status", 3, "p3");
  heads_.heads = {{"p", 3}};
  clock_.Advance(absl::Milliseconds(900));
  ASSERT_OK(cache().Poll());  // verified again: good for another second
  clock_.Advance(absl::Milliseconds(900));
  EXPECT_EQ(Get("p", "status"), "p3");
  // The database goes away: polls fail, the answer ages out.
  heads_.failure = absl::UnavailableError("database away");
  EXPECT_EQ(cache().Poll().code(), absl::StatusCode::kUnavailable);
  clock_.Advance(absl::Milliseconds(200));
  EXPECT_EQ(Get("p", "status"), "<miss>");
  // Back: the next successful poll makes it current again.
  heads_.failure = absl::OkStatus();
  ASSERT_OK(cache().Poll());
  EXPECT_EQ(Get("p", "status"), "p3");
}

TEST_F(ReadCacheTest, OverCapacity_EvictsTheLeastRecentlyUsed) {
  // Each entry counts its value and some overhead: four fit, not five.
  options_.capacity_bytes = 3000;
  FillAt("a", "status", 1, "a", 500);
  FillAt("b", "status", 1, "b", 500);
  FillAt("c", "status", 1, "c", 500);
  EXPECT_EQ(Get("a", "status"), "a");  // a is now the most recent
  FillAt("d", "status", 1, "d", 500);
  EXPECT_EQ(cache().stats().evictions, 0);
  FillAt("e", "status", 1, "e", 500);
  const ReadCache::Stats stats = cache().stats();
  EXPECT_LE(stats.bytes, 3000u);
  EXPECT_GT(stats.evictions, 0);
  EXPECT_EQ(Get("b", "status"), "<miss>");
  EXPECT_EQ(Get("a", "status"), "a");
  EXPECT_EQ(Get("e", "status"), "e");
}

TEST_F(ReadCacheTest, AnswerLargerThanAQuarterOfTheCapacity_IsNotKept) {
  options_.capacity_bytes = 4000;
  FillAt("p", "status", 1, "huge", 2000);
  EXPECT_EQ(Get("p", "status"), "<miss>");
  EXPECT_EQ(cache().stats().bytes, 0u);
}

TEST_F(ReadCacheTest, ZeroCapacity_KeepsNothingAndNeverQueries) {
  options_.capacity_bytes = 0;
  EXPECT_FALSE(cache().enabled());
  FillAt("p", "status", 1, "v");
  EXPECT_EQ(Get("p", "status"), "<miss>");
  ASSERT_OK(cache().Poll());
  EXPECT_EQ(heads_.polls, 0);
  EXPECT_EQ(cache().stats().entries, 0u);
}

TEST_F(ReadCacheTest, FillsThatNeverInsert_AreForgottenAfterTheReadDeadline) {
  // Reads of pages that do not exist leave nothing behind for long.
  options_.read_deadline = absl::Seconds(5);
  for (int i = 0; i < 100; ++i) cache().BeginFill(StrCat("nope-", i));
  FillAt("p", "status", 1, "v");
  EXPECT_EQ(cache().stats().pages, 101u);
  heads_.heads = {{"p", 1}};
  clock_.Advance(absl::Seconds(6));
  ASSERT_OK(cache().Poll());
  EXPECT_EQ(cache().stats().pages, 1u);
  EXPECT_EQ(heads_.asked, std::vector<std::string>{"p"});
}

TEST_F(ReadCacheTest, ReplacingAnEntry_KeepsTheAccountingRight) {
  FillAt("p", "status", 1, "v1", 100);
  FillAt("p", "status", 1, "v1-again", 300);
  const ReadCache::Stats stats = cache().stats();
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(Get("p", "status"), "v1-again");
  cache().PageChanged("p");
  EXPECT_EQ(cache().stats().bytes, 0u);
}

TEST_F(ReadCacheTest, PollerThread_DropsAnswersOfPagesChangedElsewhere) {
  options_.poll_interval = absl::Milliseconds(5);
  options_.run_poller_thread = true;
  // The log is only read by the poller thread from here to Stop().
  heads_.heads = {{"p", 2}};
  FillAt("p", "status", 1, "v1");
  cache().Start();
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (Get("p", "status") != "<miss>" && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(Get("p", "status"), "<miss>");
  cache().Stop();
  EXPECT_GE(heads_.polls, 1);
}

}  // namespace
}  // namespace incidentd
