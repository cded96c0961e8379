// Two incidentd processes sharing one database, as two replicas behind a
// Kubernetes Service: every watcher on either one sees every event of the
// page in order, whichever replica the write went through; a replica killed
// mid-stream costs its watchers nothing but a reconnect; and background
// work (maintenance transitions) happens once, not once per replica.
#include <signal.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/api_helpers.h"
#include "tests/e2e/server_harness.h"
#include "tests/e2e/watch_helpers.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

using ::testing::ElementsAreArray;

constexpr absl::Duration kPrompt = absl::Seconds(10);

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testing::GetMysqlEnv();
    ASSERT_OK_AND_ASSIGN(db_, TestDatabase::Create(env_, "e2e_replicas"));
    ServerOptions options;
    options.maintenance_interval = absl::Milliseconds(100);
    options.extra_flags = {"--event_poll_interval=50ms",
                           "--heartbeat_interval=500ms"};
    // One after the other: the first applies the migrations.
    ASSERT_OK_AND_ASSIGN(a_, ServerProcess::Start(env_, db_->name(), options));
    ASSERT_OK_AND_ASSIGN(b_, ServerProcess::Start(env_, db_->name(), options));
  }

  void TearDown() override {
    for (std::unique_ptr<ServerProcess>* server : {&a_, &b_}) {
      if (*server == nullptr || !(*server)->running()) continue;
      absl::StatusOr<int> code = (*server)->Stop();
      EXPECT_OK(code);
      if (code.ok()) {
        EXPECT_EQ(*code, 0) << (*server)->Log();
      }
    }
    a_.reset();
    b_.reset();
    db_.reset();
  }

  // A page with components api and web, created through `client`.
  void CreatePageWithComponents(client::Client& client,
                                const std::string& page) {
    ASSERT_OK(CreatePage(client, page));
    ASSERT_OK(CreateComponent(client, page, "api"));
    ASSERT_OK(CreateComponent(client, page, "web"));
  }

  static client::WatchOptions HelperOptions(
      const std::string& page, std::vector<std::string> targets) {
    client::WatchOptions options;
    options.targets = std::move(targets);
    options.request = WatchRequest(page);
    return options;
  }

  testing::MysqlEnv env_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> a_;
  std::unique_ptr<ServerProcess> b_;
};

// Runs `steps` writer steps on a thread; failures are test failures.
std::thread WriteOnThread(client::Client& client, const std::string& page,
                          const std::string& tag, int steps) {
  return std::thread([&client, page, tag, steps] {
    PageWriter writer(client, page, {"api", "web"}, tag);
    for (int i = 0; i < steps; ++i) {
      absl::Status status = writer.Step();
      EXPECT_OK(status) << tag << " step " << i;
      if (!status.ok()) return;
    }
  });
}

TEST_F(ReplicasTest, ConcurrentWritersOnBoth_EveryWatcherOnEitherGetsEveryEvent) {
  CreatePageWithComponents(a_->client(), "p1");
  CreatePageWithComponents(b_->client(), "p2");
  const std::vector<std::string> pages = {"p1", "p2"};
  std::vector<ServerProcess*> servers = {a_.get(), b_.get()};

  // Raw streams from 0 on each replica for each page, before any write.
  std::vector<std::unique_ptr<v1::EventService::Stub>> stubs;
  for (ServerProcess* server : servers) {
    stubs.push_back(v1::EventService::NewStub(server->client().channel()));
  }
  struct Watching {
    std::string page;
    std::string where;
    std::unique_ptr<RawWatch> watch;
  };
  std::vector<Watching> watching;
  for (size_t s = 0; s < servers.size(); ++s) {
    for (const std::string& page : pages) {
      for (int copy = 0; copy < 2; ++copy) {
        watching.push_back(
            {page, absl::StrCat("server ", s, " (early)"),
             std::make_unique<RawWatch>(*stubs[s], WatchRequest(page))});
      }
    }
  }
  // And the client library's watcher, on B.
  BackgroundWatcher helper(HelperOptions("p1", {b_->address()}));

  std::vector<std::thread> writers;
  for (size_t s = 0; s < servers.size(); ++s) {
    for (const std::string& page : pages) {
      writers.push_back(WriteOnThread(servers[s]->client(), page,
                                      absl::StrCat("s", s, page), 30));
    }
  }
  // Late joiners, while the writes go on: replay, then live.
  ASSERT_TRUE(WaitFor(
      [&] { return LastSequence(a_->client(), "p1").value_or(0) >= 60; },
      absl::Seconds(30)));
  for (size_t s = 0; s < servers.size(); ++s) {
    for (const std::string& page : pages) {
      watching.push_back(
          {page, absl::StrCat("server ", s, " (late)"),
           std::make_unique<RawWatch>(*stubs[s], WatchRequest(page))});
    }
  }
  for (std::thread& writer : writers) writer.join();

  for (const std::string& page : pages) {
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> listed,
                         ListAllEvents(a_->client(), page));
    const int64_t last = listed.back().sequence();
    ASSERT_THAT(Sequences(listed), ElementsAreArray(Range(1, last)));
    // 3 + 30 steps by each of two writers, at least one event each.
    ASSERT_GE(last, 63);
    for (Watching& w : watching) {
      if (w.page != page) continue;
      ASSERT_TRUE(w.watch->WaitForPosition(last, kPrompt))
          << page << " on " << w.where << " stopped at "
          << w.watch->position() << " of " << last;
      EXPECT_THAT(w.watch->event_sequences(), ElementsAreArray(Range(1, last)))
          << page << " on " << w.where;
      EXPECT_FALSE(w.watch->WaitForEnd(absl::ZeroDuration()).has_value())
          << "a stream ended on " << w.where;
    }
    // What a watcher on either replica got is what the log holds.
    for (Watching& w : watching) {
      if (w.page != page) continue;
      std::vector<v1::WatchPageResponse> responses = w.watch->responses();
      size_t i = 0;
      for (const v1::WatchPageResponse& r : responses) {
        if (!r.has_event()) continue;
        ASSERT_LT(i, listed.size());
        EXPECT_TRUE(ProtoEquals(r.event(), listed[i])) << w.where;
        ++i;
      }
    }
    if (page == "p1") {
      ASSERT_TRUE(helper.WaitForSequence(last, kPrompt));
      EXPECT_THAT(helper.sequences(), ElementsAreArray(Range(1, last)));
    }
  }
  EXPECT_OK(helper.Stop());
  EXPECT_EQ(helper.stats().gaps, 0);
  EXPECT_EQ(helper.stats().duplicates_dropped, 0);
}

TEST_F(ReplicasTest, OneKilled_ItsWatchersResumeThroughTheOtherWithNothingLost) {
  CreatePageWithComponents(b_->client(), "p1");
  CreatePageWithComponents(b_->client(), "p2");

  // Helpers that start on A (the first address) and one that starts on B.
  struct Helper {
    std::string page;
    std::unique_ptr<BackgroundWatcher> watcher;
  };
  std::vector<Helper> on_a;
  for (const char* page : {"p1", "p1", "p2"}) {
    on_a.push_back({page, std::make_unique<BackgroundWatcher>(HelperOptions(
                              page, {a_->address(), b_->address()}))});
  }
  BackgroundWatcher on_b(HelperOptions("p1", {b_->address(), a_->address()}));
  // A raw stream on A, to see the kill from the outside.
  auto stub_a = v1::EventService::NewStub(a_->client().channel());
  RawWatch raw_on_a(*stub_a, WatchRequest("p1"));

  // Writes through both; every watcher is live before the kill.
  std::thread through_a = WriteOnThread(a_->client(), "p1", "a", 12);
  std::thread through_b = WriteOnThread(b_->client(), "p2", "b", 12);
  through_a.join();
  through_b.join();
  for (Helper& h : on_a) {
    ASSERT_OK_AND_ASSIGN(int64_t last, LastSequence(b_->client(), h.page));
    ASSERT_TRUE(h.watcher->WaitForSequence(last, kPrompt));
    ASSERT_EQ(h.watcher->reconnects(), 0);
  }

  // Writes go on through B while A dies.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    PageWriter p1(b_->client(), "p1", {"api", "web"}, "k1");
    PageWriter p2(b_->client(), "p2", {"web", "api"}, "k2");
    int steps = 0;
    while (!stop.load() || steps < 40) {
      EXPECT_OK(p1.Step());
      EXPECT_OK(p2.Step());
      ++steps;
    }
  });
  ASSERT_OK_AND_ASSIGN(int64_t before_kill, LastSequence(b_->client(), "p1"));
  ASSERT_TRUE(WaitFor(
      [&] {
        return LastSequence(b_->client(), "p1").value_or(0) >= before_kill + 15;
      },
      absl::Seconds(30)));
  a_->Kill();
  std::optional<grpc::Status> killed = raw_on_a.WaitForEnd(kPrompt);
  ASSERT_TRUE(killed.has_value());
  EXPECT_EQ(killed->error_code(), grpc::StatusCode::UNAVAILABLE);
  stop = true;
  writer.join();

  for (size_t i = 0; i < on_a.size(); ++i) {
    BackgroundWatcher& w = *on_a[i].watcher;
    ASSERT_OK_AND_ASSIGN(int64_t last,
                         LastSequence(b_->client(), on_a[i].page));
    ASSERT_TRUE(w.WaitForSequence(last, kPrompt))
        << "watcher " << i << " stopped at "
        << (w.sequences().empty() ? 0 : w.sequences().back()) << " of "
        << last;
    EXPECT_THAT(w.sequences(), ElementsAreArray(Range(1, last)))
        << "watcher " << i;
    EXPECT_GE(w.reconnects(), 1) << "watcher " << i;
    EXPECT_EQ(w.stats().gaps, 0) << "watcher " << i;
    EXPECT_EQ(w.stats().duplicates_dropped, 0) << "watcher " << i;
    EXPECT_OK(w.Stop());
  }
  ASSERT_OK_AND_ASSIGN(int64_t last, LastSequence(b_->client(), "p1"));
  ASSERT_TRUE(on_b.WaitForSequence(last, kPrompt));
  EXPECT_THAT(on_b.sequences(), ElementsAreArray(Range(1, last)));
  EXPECT_EQ(on_b.reconnects(), 0);
  EXPECT_OK(on_b.Stop());
}

// A maintenance scheduled from `start` for an hour, moving by itself.
// Reads are answered from each replica's read cache: a write through the
// other replica shows in them within its poll interval (50ms here), and a
// deleted page stops being answered.
TEST_F(ReplicasTest, CachedReadsOnOne_SeeWritesThroughTheOtherWithinAPoll) {
  CreatePageWithComponents(a_->client(), "p1");
  ASSERT_OK_AND_ASSIGN(v1::Incident opened,
                       CreateIncident(a_->client(), "p1", "db",
                                      {ComponentName("p1", "api")},
                                      v1::IncidentStatus::INVESTIGATING));
  // B reads (and caches) both answers, twice.
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(v1::PageStatus status, GetPageStatus(b_->client(), "p1"));
    EXPECT_EQ(status.open_incidents_size(), 1);
    ASSERT_OK(GetIncident(b_->client(), opened.name()).status());
  }
  ASSERT_OK(PostUpdate(a_->client(), opened.name(), v1::IncidentStatus::RESOLVED,
                       "Fixed."));
  const absl::Time posted = absl::Now();
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::StatusOr<v1::PageStatus> status = GetPageStatus(b_->client(), "p1");
        absl::StatusOr<v1::Incident> incident =
            GetIncident(b_->client(), opened.name());
        return status.ok() && status->open_incidents_size() == 0 &&
               incident.ok() &&
               incident->status() == v1::IncidentStatus::RESOLVED;
      },
      absl::Seconds(5)))
      << "replica B still answers what it read before the post";
  // Generous for a loaded machine; the poll itself is 50ms.
  EXPECT_LT(absl::Now() - posted, absl::Seconds(2));

  v1::DeletePageRequest del;
  del.set_name(PageName("p1"));
  del.set_force(true);
  ASSERT_OK(a_->client().DeletePage(del));
  ASSERT_TRUE(WaitFor(
      [&] {
        return GetPageStatus(b_->client(), "p1").status().code() ==
               absl::StatusCode::kNotFound;
      },
      absl::Seconds(5)))
      << "replica B still answers for a deleted page";
}

absl::StatusOr<v1::Incident> ScheduleMaintenance(client::Client& client,
                                                 const std::string& page,
                                                 const std::string& id,
                                                 absl::Time start) {
  v1::CreateIncidentRequest request;
  request.set_parent(PageName(page));
  request.set_incident_id(id);
  v1::Incident& incident = *request.mutable_incident();
  incident.set_title("Database upgrade");
  incident.set_kind(v1::Incident::MAINTENANCE);
  incident.add_components(ComponentName(page, "api"));
  *incident.mutable_scheduled_start_time() = ToProto(start);
  *incident.mutable_scheduled_end_time() = ToProto(start + absl::Hours(1));
  request.mutable_first_update()->set_body("We will upgrade the database.");
  return client.CreateIncident(request);
}

TEST_F(ReplicasTest, MaintenanceDue_IsStartedOnceNotOncePerReplica) {
  CreatePageWithComponents(a_->client(), "p1");
  const absl::Time start =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 1);
  std::vector<std::string> names;
  for (int i = 0; i < 4; ++i) {
    const std::string id = absl::StrCat("upgrade-", i);
    ASSERT_OK(ScheduleMaintenance(i % 2 ? a_->client() : b_->client(), "p1",
                                  id, start));
    names.push_back(IncidentName("p1", id));
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const std::string& name : names) {
          absl::StatusOr<v1::Incident> incident =
              GetIncident(a_->client(), name);
          if (!incident.ok() ||
              incident->status() != v1::IncidentStatus::IN_PROGRESS) {
            return false;
          }
        }
        return true;
      },
      absl::Seconds(15)))
      << "the maintenance did not start by itself";
  // Both schedulers go on ticking every 100ms; give them ten more chances
  // to start a maintenance a second time.
  absl::SleepFor(absl::Seconds(1));

  for (const std::string& name : names) {
    ASSERT_OK_AND_ASSIGN(v1::Incident incident,
                         GetIncident(b_->client(), name));
    int in_progress = 0;
    for (const v1::IncidentUpdate& update : incident.updates()) {
      in_progress +=
          update.resulting_status() == v1::IncidentStatus::IN_PROGRESS;
    }
    EXPECT_EQ(in_progress, 1) << name;
    EXPECT_EQ(incident.updates_size(), 2) << name;
  }
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events,
                       ListAllEvents(a_->client(), "p1"));
  for (const std::string& name : names) {
    int started = 0;
    for (const v1::Event& event : events) {
      started += event.type() == v1::Event::MAINTENANCE_STARTED &&
                 event.incident() == name;
    }
    EXPECT_EQ(started, 1) << name;
  }
}

}  // namespace
}  // namespace incidentd::e2e
