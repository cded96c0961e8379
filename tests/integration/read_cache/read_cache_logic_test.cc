// The read cache with the real logic over the real MariaDB, as two replicas
// share one database: replica A and replica B each have their own logic and
// cache (and notifier), one Store each. What a replica's own commits do to
// its answers (gone at once), what another's do (gone at A's next poll),
// deletes, the per-call parts of a cached answer (compute time, durations),
// bad input on the cached path, and a writer racing readers.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/clock.h"
#include "server/component_logic.h"
#include "server/event_notifier.h"
#include "server/incident_logic.h"
#include "server/names.h"
#include "server/page_logic.h"
#include "server/read_cache.h"
#include "server/watch_logic.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

// One replica: its logic and its cache, told of its own commits.
struct Replica {
  Replica(storage::Store& store, const Clock& clock)
      : watch(store, clock),
        cache(watch, clock, Options()),
        notifier({&cache}),
        pages(store, clock, notifier, &cache),
        components(store, clock, notifier),
        incidents(store, clock, notifier, &cache) {
    watch.UseReadCache(&cache);
  }

  static ReadCache::Options Options() {
    ReadCache::Options o;
    o.run_poller_thread = false;  // polled by hand
    // Real time passes between polls by hand; the fake clock barely moves.
    o.verify_within = absl::Hours(1);
    return o;
  }

  WatchLogic watch;
  ReadCache cache;
  TeeNotifier notifier;
  PageLogic pages;
  ComponentLogic components;
  IncidentLogic incidents;
};

class ReadCacheLogicTest : public MysqlTest {
 protected:
  void SetUp() override {
    MysqlTest::SetUp();
    if (HasFatalFailure()) return;
    a_ = std::make_unique<Replica>(store(), clock_);
    store_b_ = OpenStore(db().config());
    b_ = std::make_unique<Replica>(*store_b_, clock_);
    // The truth: the same logic without a cache.
    truth_pages_ = std::make_unique<PageLogic>(store(), clock_, noop_);
    truth_incidents_ = std::make_unique<IncidentLogic>(store(), clock_, noop_);
    page_ = UniqueId("page");
    v1::CreatePageRequest page;
    page.set_page_id(page_);
    page.mutable_page()->set_display_name("Acme");
    ASSERT_OK(a_->pages.CreatePage(page, Soon()));
    for (const char* id : {"api", "web"}) {
      v1::CreateComponentRequest c;
      c.set_parent(PageName(page_));
      c.set_component_id(id);
      c.mutable_component()->set_display_name(id);
      ASSERT_OK(a_->components.CreateComponent(c, Soon()));
    }
  }

  absl::StatusOr<v1::PageStatus> Status(Replica& r) {
    v1::GetPageStatusRequest request;
    request.set_name(PageStatusName(page_));
    return r.pages.GetPageStatus(request, Soon());
  }

  absl::Status SetStatus(Replica& r, const std::string& component,
                         v1::ComponentStatus::Value status) {
    v1::SetComponentStatusRequest request;
    request.set_name(ComponentName(page_, component));
    request.set_status(status);
    request.set_reason("Planned database failover");
    return r.components.SetComponentStatus(request, Soon()).status();
  }

  v1::ComponentStatus::Value StatusOf(const v1::PageStatus& status,
                                      const std::string& component) {
    for (const v1::Component& c : status.components()) {
      if (c.name() == ComponentName(page_, component)) return c.status();
    }
    ADD_FAILURE() << "no component " << component;
    return v1::ComponentStatus::VALUE_UNSPECIFIED;
  }

  std::string OpenIncident(Replica& r, const std::string& id) {
    v1::CreateIncidentRequest request;
    request.set_parent(PageName(page_));
    request.set_incident_id(id);
    request.mutable_incident()->set_title("Elevated error rates");
    request.mutable_first_update()->set_body("We are investigating.");
    request.mutable_first_update()->set_status(
        v1::IncidentStatus::INVESTIGATING);
    EXPECT_OK(r.incidents.CreateIncident(request, Soon()));
    return IncidentName(page_, id);
  }

  absl::StatusOr<v1::Incident> Incident(Replica& r, const std::string& name) {
    v1::GetIncidentRequest request;
    request.set_name(name);
    return r.incidents.GetIncident(request, Soon());
  }

  absl::Status Post(Replica& r, const std::string& name, const char* body,
                    v1::IncidentStatus::Value status) {
    v1::PostIncidentUpdateRequest request;
    request.set_parent(name);
    request.mutable_update()->set_body(body);
    request.mutable_update()->set_status(status);
    return r.incidents.PostIncidentUpdate(request, Soon()).status();
  }

  // Equal but for compute_time.
  static bool SameStatus(v1::PageStatus x, v1::PageStatus y) {
    x.clear_compute_time();
    y.clear_compute_time();
    return MessageDifferencer::Equals(x, y);
  }

  FakeClock clock_;
  NoopEventNotifier noop_;
  std::unique_ptr<storage::Store> store_b_;
  std::unique_ptr<Replica> a_;
  std::unique_ptr<Replica> b_;
  std::unique_ptr<PageLogic> truth_pages_;
  std::unique_ptr<IncidentLogic> truth_incidents_;
  std::string page_;
};

TEST_F(ReadCacheLogicTest, SecondRead_IsAHit_WithTheSameAnswerAndANewComputeTime) {
  ASSERT_OK_AND_ASSIGN(v1::PageStatus first, Status(*a_));
  clock_.Advance(absl::Seconds(3));
  ASSERT_OK_AND_ASSIGN(v1::PageStatus second, Status(*a_));
  EXPECT_EQ(a_->cache.stats().hits, 1);
  EXPECT_TRUE(SameStatus(first, second));
  EXPECT_EQ(second.compute_time().seconds() - first.compute_time().seconds(),
            3);
}

TEST_F(ReadCacheLogicTest, SerializedHit_IsTheWholeAnswerWithTheTimeOfTheCall) {
  ASSERT_OK_AND_ASSIGN(v1::PageStatus read, Status(*a_));
  clock_.Advance(absl::Seconds(7));
  v1::GetPageStatusRequest request;
  request.set_name(PageStatusName(page_));
  std::optional<absl::StatusOr<SerializedAnswer>> hit =
      a_->pages.CachedPageStatus(request);
  ASSERT_TRUE(hit.has_value());
  ASSERT_OK(hit->status());
  // What goes on the wire: the cached bytes, then the per-call fields.
  v1::PageStatus wire;
  ASSERT_TRUE(wire.ParseFromString(*(*hit)->cached + (*hit)->fresh));
  EXPECT_TRUE(SameStatus(wire, read));
  EXPECT_EQ(wire.compute_time().seconds() - read.compute_time().seconds(), 7);
  // The cached part has no time of its own: it would be merged, not
  // replaced, if it did.
  v1::PageStatus cached_only;
  ASSERT_TRUE(cached_only.ParseFromString(*(*hit)->cached));
  EXPECT_FALSE(cached_only.has_compute_time());
}

absl::StatusOr<WatchStart> StartWithSnapshot(Replica& r,
                                             const std::string& page) {
  WatchRequest request;
  request.page_id = page;
  request.snapshot = true;
  return r.watch.StartWatch(request, 100, absl::Now() + absl::Seconds(10));
}

TEST_F(ReadCacheLogicTest, WatchSnapshot_IsCached_AndExactAtItsSequence) {
  ASSERT_OK_AND_ASSIGN(WatchStart first, StartWithSnapshot(*a_, page_));
  const ReadCache::Stats before = a_->cache.stats();
  clock_.Advance(absl::Seconds(2));
  ASSERT_OK_AND_ASSIGN(WatchStart second, StartWithSnapshot(*a_, page_));
  EXPECT_EQ(a_->cache.stats().hits, before.hits + 1);
  ASSERT_TRUE(first.snapshot.has_value() && second.snapshot.has_value());
  EXPECT_EQ(second.last_seq, first.last_seq);
  EXPECT_EQ(second.snapshot->sequence(), first.last_seq);
  EXPECT_EQ(second.snapshot->status().compute_time().seconds() -
                first.snapshot->status().compute_time().seconds(),
            2);
  v1::Snapshot x = *first.snapshot, y = *second.snapshot;
  x.mutable_status()->clear_compute_time();
  y.mutable_status()->clear_compute_time();
  EXPECT_TRUE(MessageDifferencer::Equals(x, y));
  // Another replica's commit: until the poll, the old snapshot at its own
  // (older) sequence, from which the watcher would be handed the new event.
  ASSERT_OK(SetStatus(*b_, "api", v1::ComponentStatus::MAJOR_OUTAGE));
  ASSERT_OK_AND_ASSIGN(WatchStart stale, StartWithSnapshot(*a_, page_));
  EXPECT_EQ(stale.last_seq, first.last_seq);
  ASSERT_OK(a_->cache.Poll());
  ASSERT_OK_AND_ASSIGN(WatchStart fresh, StartWithSnapshot(*a_, page_));
  EXPECT_GT(fresh.last_seq, first.last_seq);
  EXPECT_EQ(StatusOf(fresh.snapshot->status(), "api"),
            v1::ComponentStatus::MAJOR_OUTAGE);
  // A watch without a snapshot never touches the cache.
  WatchRequest plain;
  plain.page_id = page_;
  const ReadCache::Stats now = a_->cache.stats();
  ASSERT_OK(a_->watch.StartWatch(plain, 100, absl::Now() + absl::Seconds(10))
                .status());
  EXPECT_EQ(a_->cache.stats().hits, now.hits);
  EXPECT_EQ(a_->cache.stats().misses, now.misses);
}

TEST_F(ReadCacheLogicTest, OwnCommit_IsSeenByTheNextRead) {
  ASSERT_OK(Status(*a_).status());
  ASSERT_OK(SetStatus(*a_, "api", v1::ComponentStatus::MAJOR_OUTAGE));
  ASSERT_OK_AND_ASSIGN(v1::PageStatus status, Status(*a_));
  EXPECT_EQ(StatusOf(status, "api"), v1::ComponentStatus::MAJOR_OUTAGE);
  EXPECT_NE(status.indicator(), v1::PageStatus::NONE);
}

TEST_F(ReadCacheLogicTest, OtherReplicasCommit_IsSeenAfterThePoll) {
  ASSERT_OK(Status(*a_).status());
  ASSERT_OK(SetStatus(*b_, "web", v1::ComponentStatus::PARTIAL_OUTAGE));
  // Until A polls, it answers what it had: the staleness the cache allows.
  ASSERT_OK_AND_ASSIGN(v1::PageStatus before, Status(*a_));
  EXPECT_EQ(StatusOf(before, "web"), v1::ComponentStatus::OPERATIONAL);
  ASSERT_OK(a_->cache.Poll());
  ASSERT_OK_AND_ASSIGN(v1::PageStatus after, Status(*a_));
  EXPECT_EQ(StatusOf(after, "web"), v1::ComponentStatus::PARTIAL_OUTAGE);
  ASSERT_OK_AND_ASSIGN(v1::PageStatus truth, Status(*b_));
  EXPECT_TRUE(SameStatus(after, truth));
}

TEST_F(ReadCacheLogicTest, Poll_WithNoChange_KeepsServingFromTheCache) {
  ASSERT_OK(Status(*a_).status());
  ASSERT_OK(a_->cache.Poll());
  ASSERT_OK(Status(*a_).status());
  EXPECT_EQ(a_->cache.stats().hits, 1);
  EXPECT_EQ(a_->cache.stats().invalidations, 0);
}

TEST_F(ReadCacheLogicTest, DeletedPage_IsNotFoundAtOnceHere_AndAfterThePollThere) {
  ASSERT_OK(Status(*a_).status());
  ASSERT_OK(Status(*b_).status());
  v1::DeletePageRequest del;
  del.set_name(PageName(page_));
  del.set_force(true);
  ASSERT_OK(a_->pages.DeletePage(del, Soon()));
  EXPECT_EQ(Status(*a_).status().code(), absl::StatusCode::kNotFound);
  ASSERT_OK(b_->cache.Poll());
  EXPECT_EQ(Status(*b_).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ReadCacheLogicTest, Incident_OtherReplicasPost_IsSeenAfterThePoll) {
  const std::string name = OpenIncident(*a_, "db");
  ASSERT_OK(Incident(*a_, name).status());
  ASSERT_OK(Post(*b_, name, "We found the cause.",
                 v1::IncidentStatus::IDENTIFIED));
  ASSERT_OK_AND_ASSIGN(v1::Incident stale, Incident(*a_, name));
  EXPECT_EQ(stale.updates_size(), 1);
  ASSERT_OK(a_->cache.Poll());
  ASSERT_OK_AND_ASSIGN(v1::Incident fresh, Incident(*a_, name));
  EXPECT_EQ(fresh.updates_size(), 2);
  EXPECT_EQ(fresh.status(), v1::IncidentStatus::IDENTIFIED);
}

TEST_F(ReadCacheLogicTest, Incident_OwnPost_IsSeenByTheNextRead) {
  const std::string name = OpenIncident(*a_, "db");
  ASSERT_OK(Incident(*a_, name).status());
  ASSERT_OK(Post(*a_, name, "Fixed.", v1::IncidentStatus::RESOLVED));
  ASSERT_OK_AND_ASSIGN(v1::Incident incident, Incident(*a_, name));
  EXPECT_EQ(incident.status(), v1::IncidentStatus::RESOLVED);
  EXPECT_TRUE(incident.durations().has_time_to_resolve());
}

TEST_F(ReadCacheLogicTest, Incident_CachedDurations_CountUpToTheTimeOfTheCall) {
  const std::string name = OpenIncident(*a_, "db");
  ASSERT_OK_AND_ASSIGN(v1::Incident first, Incident(*a_, name));
  clock_.Advance(absl::Minutes(10));
  ASSERT_OK_AND_ASSIGN(v1::Incident later, Incident(*a_, name));
  EXPECT_GE(a_->cache.stats().hits, 1);
  ASSERT_EQ(first.durations().time_in_status_size(), 1);
  ASSERT_EQ(later.durations().time_in_status_size(), 1);
  EXPECT_EQ(later.durations().time_in_status(0).duration().seconds() -
                first.durations().time_in_status(0).duration().seconds(),
            600);
  // The same as a read without the cache at that moment.
  v1::GetIncidentRequest request;
  request.set_name(name);
  ASSERT_OK_AND_ASSIGN(v1::Incident truth,
                       truth_incidents_->GetIncident(request, Soon()));
  EXPECT_TRUE(MessageDifferencer::Equals(later, truth))
      << later.DebugString() << "\nvs\n" << truth.DebugString();
}

TEST_F(ReadCacheLogicTest, BadNames_AreRefusedOnTheCachedPath_LikeTheOther) {
  ASSERT_OK(Status(*a_).status());  // something is cached
  for (const char* bad : {"", "pages", "pages//status", "pages/x'; DROP TABLE pages; --/status",
                          "pages/acme/incidents/x"}) {
    v1::GetPageStatusRequest request;
    request.set_name(bad);
    std::optional<absl::StatusOr<SerializedAnswer>> fast =
        a_->pages.CachedPageStatus(request);
    ASSERT_TRUE(fast.has_value()) << bad;
    EXPECT_EQ(fast->status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_EQ(a_->pages.GetPageStatus(request, Soon()).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  v1::GetPageStatusRequest unknown;
  unknown.set_name(PageStatusName("no-such-page"));
  EXPECT_FALSE(a_->pages.CachedPageStatus(unknown).has_value());
  absl::StatusOr<v1::PageStatus> missing =
      a_->pages.GetPageStatus(unknown, Soon());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("page"));
  // Asked again: still NOT_FOUND (a miss is never cached).
  EXPECT_EQ(a_->pages.GetPageStatus(unknown, Soon()).status().code(),
            absl::StatusCode::kNotFound);
  v1::GetIncidentRequest no_incident;
  no_incident.set_name(IncidentName(page_, "nope"));
  EXPECT_EQ(a_->incidents.GetIncident(no_incident, Soon()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ReadCacheLogicTest, WriterRacingReaders_EndsWithTheTruth) {
  // B writes while A's readers fill and A polls: whatever interleaving, once
  // the writes are done and A has polled, A answers what the database holds.
  std::atomic<bool> done{false};
  std::thread writer([&] {
    const v1::ComponentStatus::Value cycle[] = {
        v1::ComponentStatus::DEGRADED_PERFORMANCE,
        v1::ComponentStatus::PARTIAL_OUTAGE, v1::ComponentStatus::OPERATIONAL};
    for (int i = 0; i < 30; ++i) {
      EXPECT_OK(SetStatus(*b_, i % 2 ? "api" : "web", cycle[i % 3]));
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        EXPECT_OK(Status(*a_).status());
        if (!done) {
          EXPECT_OK(a_->cache.Poll());
        }
      }
    });
  }
  writer.join();
  for (std::thread& t : readers) t.join();
  ASSERT_OK(a_->cache.Poll());
  ASSERT_OK_AND_ASSIGN(v1::PageStatus cached, Status(*a_));
  v1::GetPageStatusRequest request;
  request.set_name(PageStatusName(page_));
  ASSERT_OK_AND_ASSIGN(v1::PageStatus truth,
                       truth_pages_->GetPageStatus(request, Soon()));
  EXPECT_TRUE(SameStatus(cached, truth))
      << cached.DebugString() << "\nvs\n" << truth.DebugString();
}

}  // namespace
}  // namespace incidentd::testing
