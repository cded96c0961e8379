// Live updates against one real server: resuming from anywhere, snapshots,
// filters and heartbeats, a stuck watcher among healthy ones, a thousand
// watchers, graceful shutdown, and `incidentctl watch`.
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/e2e/api_helpers.h"
#include "tests/e2e/server_harness.h"
#include "tests/e2e/watch_helpers.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// How long a watcher may take to see a committed event here: far more than
// the server needs (it is told of local commits at once, and polls every
// 50ms), so that a busy machine running other tests does not fail them, and
// still a bound that a watcher stuck behind another would not meet.
constexpr absl::Duration kPrompt = absl::Seconds(5);

class WatchTest : public ServerTest {
 protected:
  ServerOptions Options() const override {
    ServerOptions options;
    options.extra_flags = {"--event_poll_interval=50ms",
                           "--heartbeat_interval=200ms"};
    return options;
  }

  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    events_ = v1::EventService::NewStub(client().channel());
  }
  void TearDown() override {
    events_.reset();
    ServerTest::TearDown();
  }

  // A page "acme" with components api and web.
  void CreateAcme() {
    ASSERT_OK(CreatePage(client(), "acme"));
    ASSERT_OK(CreateComponent(client(), "acme", "api"));
    ASSERT_OK(CreateComponent(client(), "acme", "web"));
  }
  // `steps` mutations on acme; the page's last sequence afterwards.
  int64_t Write(PageWriter& writer, int steps) {
    for (int i = 0; i < steps; ++i) {
      absl::Status status = writer.Step();
      EXPECT_OK(status);
      if (!status.ok()) break;
    }
    absl::StatusOr<int64_t> last = LastSequence(client(), "acme");
    EXPECT_OK(last);
    return last.value_or(-1);
  }
  std::unique_ptr<RawWatch> Watch(const v1::WatchPageRequest& request) {
    return std::make_unique<RawWatch>(*events_, request);
  }
  // The status a stream for `request` ends with before sending anything.
  grpc::Status Rejection(const v1::WatchPageRequest& request) {
    RawWatch watch(*events_, request);
    std::optional<grpc::Status> status = watch.WaitForEnd(kPrompt);
    EXPECT_TRUE(status.has_value()) << "the stream was not refused";
    EXPECT_THAT(watch.responses(), IsEmpty());
    return status.value_or(grpc::Status::OK);
  }

  std::unique_ptr<v1::EventService::Stub> events_;
};

// --- resume -------------------------------------------------------------------

TEST_F(WatchTest, Resume_FromZero_GetsEveryEventAsListEventsHasIt) {
  CreateAcme();
  PageWriter writer(client(), "acme", {"api", "web"}, "w");
  const int64_t last = Write(writer, 12);
  ASSERT_GT(last, 12);

  std::unique_ptr<RawWatch> watch = Watch(WatchRequest("acme", 0));
  ASSERT_TRUE(watch->WaitForPosition(last, kPrompt)) << watch->position();
  EXPECT_THAT(watch->event_sequences(), ElementsAreArray(Range(1, last)));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> listed,
                       ListAllEvents(client(), "acme"));
  std::vector<v1::Event> streamed;
  for (const v1::WatchPageResponse& r : watch->responses()) {
    if (r.has_event()) streamed.push_back(r.event());
  }
  ASSERT_EQ(streamed.size(), listed.size());
  for (size_t i = 0; i < listed.size(); ++i) {
    EXPECT_TRUE(ProtoEquals(streamed[i], listed[i])) << "event " << i + 1;
    EXPECT_EQ(streamed[i].page(), PageName("acme"));
  }
  // The first event is the page's own creation.
  EXPECT_EQ(streamed.front().type(), v1::Event::PAGE_CREATED);
}

TEST_F(WatchTest, Resume_FromTheMiddle_GetsExactlyTheRestThenLiveEvents) {
  CreateAcme();
  PageWriter writer(client(), "acme", {"api", "web"}, "w");
  const int64_t last = Write(writer, 12);
  const int64_t middle = last / 2;

  std::unique_ptr<RawWatch> watch = Watch(WatchRequest("acme", middle));
  ASSERT_TRUE(watch->WaitForPosition(last, kPrompt));
  EXPECT_THAT(watch->event_sequences(),
              ElementsAreArray(Range(middle + 1, last)));

  const int64_t later = Write(writer, 4);
  ASSERT_TRUE(watch->WaitForPosition(later, kPrompt));
  EXPECT_THAT(watch->event_sequences(),
              ElementsAreArray(Range(middle + 1, later)));
}

TEST_F(WatchTest, Resume_WhileWritesGoOn_NoGapOrDuplicateAtTheSwitchToLive) {
  CreateAcme();
  PageWriter writer(client(), "acme", {"api", "web"}, "w");
  // More events than one replay batch (256 in the server today), so the
  // replay takes several and then switches to live while a writer keeps
  // committing.
  ASSERT_GT(Write(writer, 220), 300);
  std::thread more([&] {
    PageWriter other(client(), "acme", {"web", "api"}, "x");
    for (int i = 0; i < 60; ++i) {
      if (!other.Step().ok()) break;
    }
  });
  const std::vector<int64_t> starts = {0, 7, 100};
  std::vector<std::unique_ptr<RawWatch>> watches;
  for (int64_t from : starts) {
    watches.push_back(Watch(WatchRequest("acme", from)));
    absl::SleepFor(absl::Milliseconds(30));  // spread the starts over the writes
  }
  more.join();
  ASSERT_OK_AND_ASSIGN(int64_t last, LastSequence(client(), "acme"));
  for (size_t i = 0; i < watches.size(); ++i) {
    ASSERT_TRUE(watches[i]->WaitForPosition(last, kPrompt))
        << "from " << starts[i] << " reached " << watches[i]->position();
    EXPECT_THAT(watches[i]->event_sequences(),
                ElementsAreArray(Range(starts[i] + 1, last)))
        << "from " << starts[i];
  }
}

TEST_F(WatchTest, Resume_FromTheFuture_IsOutOfRange) {
  CreateAcme();
  ASSERT_OK_AND_ASSIGN(int64_t last, LastSequence(client(), "acme"));
  grpc::Status status = Rejection(WatchRequest("acme", last + 100));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
      << status.error_message();
  EXPECT_THAT(status.error_message(), Not(IsEmpty()));

  // The latest sequence itself is a valid place to wait from.
  std::unique_ptr<RawWatch> watch = Watch(WatchRequest("acme", last));
  ASSERT_OK(CreateComponent(client(), "acme", "cdn"));
  ASSERT_TRUE(watch->WaitForPosition(last + 1, kPrompt));
  EXPECT_THAT(watch->event_sequences(), ElementsAreArray({last + 1}));
}

TEST_F(WatchTest, BadRequests_AreRefusedWithTheDocumentedCodes) {
  CreateAcme();
  EXPECT_EQ(Rejection(WatchRequest("nope")).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::WatchPageRequest bad_name;
  bad_name.set_page("acme");
  EXPECT_EQ(Rejection(bad_name).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::WatchPageRequest snapshot_and_after = WatchRequest("acme", 1);
  snapshot_and_after.set_snapshot(true);
  EXPECT_EQ(Rejection(snapshot_and_after).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(WatchTest, ListEvents_LargeEvents_EveryPageFitsTheDefaultMessageLimit) {
  CreateAcme();
  ASSERT_OK(CreateIncident(client(), "acme", "big", {},
                           v1::IncidentStatus::INVESTIGATING));
  // 60 KiB bodies (the limit is 64 KiB): 100 of them are 6 MB, more than
  // gRPC's default 4 MB receive limit, so the server must make pages that
  // fit rather than fill page_size.
  const std::string body(60 * 1024, 'x');
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(PostUpdate(client(), IncidentName("acme", "big"),
                         v1::IncidentStatus::VALUE_UNSPECIFIED,
                         absl::StrCat(i, body)));
  }
  ASSERT_OK_AND_ASSIGN(int64_t last, LastSequence(client(), "acme"));
  absl::StatusOr<std::vector<v1::Event>> listed =
      ListAllEvents(client(), "acme", 0, /*page_size=*/1000);
  ASSERT_OK(listed);
  EXPECT_THAT(Sequences(*listed), ElementsAreArray(Range(1, last)));
}

// --- snapshot ---------------------------------------------------------------

TEST_F(WatchTest, Snapshot_ComesFirstAndIsFollowedByExactlyTheLaterEvents) {
  CreateAcme();
  PageWriter writer(client(), "acme", {"api", "web"}, "w");
  Write(writer, 7);  // an incident is open, api is degraded

  v1::WatchPageRequest request = WatchRequest("acme");
  request.set_snapshot(true);
  std::thread more([&] {
    PageWriter other(client(), "acme", {"web"}, "x");
    for (int i = 0; i < 30; ++i) {
      if (!other.Step().ok()) break;
    }
  });
  absl::SleepFor(absl::Milliseconds(20));  // the snapshot lands among writes
  std::unique_ptr<RawWatch> watch = Watch(request);
  more.join();
  ASSERT_OK_AND_ASSIGN(int64_t last, LastSequence(client(), "acme"));
  ASSERT_TRUE(watch->WaitForPosition(last, kPrompt));

  std::vector<v1::WatchPageResponse> responses = watch->responses();
  ASSERT_FALSE(responses.empty());
  ASSERT_TRUE(responses.front().has_snapshot());
  const v1::Snapshot& snapshot = responses.front().snapshot();
  EXPECT_GT(snapshot.sequence(), 0);
  EXPECT_EQ(snapshot.page().name(), PageName("acme"));
  EXPECT_EQ(snapshot.status().components_size(), 2);
  for (size_t i = 1; i < responses.size(); ++i) {
    EXPECT_FALSE(responses[i].has_snapshot()) << "a second snapshot at " << i;
  }
  EXPECT_THAT(watch->event_sequences(),
              ElementsAreArray(Range(snapshot.sequence() + 1, last)));
}

TEST_F(WatchTest, Snapshot_ReflectsExactlyTheEventsUpToItsSequence) {
  CreateAcme();
  PageWriter writer(client(), "acme", {"api", "web"}, "w");
  const int64_t last = Write(writer, 3);  // incident open, api degraded
  v1::WatchPageRequest request = WatchRequest("acme");
  request.set_snapshot(true);
  std::unique_ptr<RawWatch> watch = Watch(request);
  ASSERT_TRUE(watch->WaitForPosition(last, kPrompt));
  const v1::Snapshot snapshot = watch->responses().front().snapshot();
  EXPECT_EQ(snapshot.sequence(), last);
  ASSERT_OK_AND_ASSIGN(v1::PageStatus status, GetPageStatus(client(), "acme"));
  EXPECT_EQ(snapshot.status().indicator(), status.indicator());
  EXPECT_EQ(snapshot.status().open_incidents_size(), 1);
  EXPECT_THAT(watch->event_sequences(), IsEmpty());
}

// --- filters and heartbeats -------------------------------------------------

class WatchFilterTest : public WatchTest {
 protected:
  // Watches acme from 0 with `request`'s filters; checks that it receives
  // exactly the events of the log that `wanted` accepts, and that its
  // position still reaches the last event (by heartbeat when the last
  // events are filtered out).
  void ExpectFiltered(v1::WatchPageRequest request,
                      const std::function<bool(const v1::Event&)>& wanted) {
    std::unique_ptr<RawWatch> watch = Watch(request);
    PageWriter writer(client(), "acme", {"api", "web"}, "w");
    Write(writer, 18);
    // Last, an event no filter below accepts.
    ASSERT_OK(CreateComponent(client(), "acme", "zzz"));
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> listed,
                         ListAllEvents(client(), "acme"));
    const int64_t last = listed.back().sequence();
    std::vector<int64_t> expected;
    for (const v1::Event& event : listed) {
      if (wanted(event)) expected.push_back(event.sequence());
    }
    ASSERT_FALSE(expected.empty());
    ASSERT_LT(expected.size(), listed.size());

    ASSERT_TRUE(watch->WaitForPosition(last, kPrompt))
        << "the position stopped at " << watch->position() << " of " << last;
    EXPECT_THAT(watch->event_sequences(), ElementsAreArray(expected));
    // The position past the filtered-out tail came by heartbeat, and a
    // heartbeat never claims a position an event after it contradicts.
    int64_t position = 0;
    bool heartbeat_at_last = false;
    for (const v1::WatchPageResponse& r : watch->responses()) {
      if (r.has_event()) {
        EXPECT_GT(r.event().sequence(), position);
        position = r.event().sequence();
      } else if (r.has_heartbeat()) {
        EXPECT_GE(r.heartbeat().sequence(), position);
        position = r.heartbeat().sequence();
        heartbeat_at_last |= position == last;
      }
    }
    EXPECT_TRUE(heartbeat_at_last);
  }
};

TEST_F(WatchFilterTest, ByComponent_OnlyEventsConcerningIt) {
  CreateAcme();
  v1::WatchPageRequest request = WatchRequest("acme");
  request.add_components(ComponentName("acme", "api"));
  ExpectFiltered(request, [](const v1::Event& event) {
    return std::count(event.components().begin(), event.components().end(),
                      ComponentName("acme", "api")) > 0;
  });
}

TEST_F(WatchFilterTest, ByIncident_OnlyEventsConcerningIt) {
  CreateAcme();
  // PageWriter's first incident is "w-0", its second "w-6".
  v1::WatchPageRequest request = WatchRequest("acme");
  request.add_incidents(IncidentName("acme", "w-6"));
  ExpectFiltered(request, [](const v1::Event& event) {
    return event.incident() == IncidentName("acme", "w-6");
  });
}

TEST_F(WatchFilterTest, ByType_OnlyThoseTypes) {
  CreateAcme();
  v1::WatchPageRequest request = WatchRequest("acme");
  request.add_types(v1::Event::INCIDENT_RESOLVED);
  request.add_types(v1::Event::INCIDENT_CREATED);
  ExpectFiltered(request, [](const v1::Event& event) {
    return event.type() == v1::Event::INCIDENT_RESOLVED ||
           event.type() == v1::Event::INCIDENT_CREATED;
  });
}

TEST_F(WatchFilterTest, FiltersTogether_AnEventMustPassEveryOne) {
  CreateAcme();
  v1::WatchPageRequest request = WatchRequest("acme");
  request.add_components(ComponentName("acme", "web"));
  request.add_types(v1::Event::COMPONENT_STATUS_CHANGED);
  ExpectFiltered(request, [](const v1::Event& event) {
    return event.type() == v1::Event::COMPONENT_STATUS_CHANGED &&
           std::count(event.components().begin(), event.components().end(),
                      ComponentName("acme", "web")) > 0;
  });
}

TEST_F(WatchTest, IdleStream_GetsHeartbeatsWithItsPosition) {
  CreateAcme();
  ASSERT_OK_AND_ASSIGN(int64_t last, LastSequence(client(), "acme"));
  std::unique_ptr<RawWatch> watch = Watch(WatchRequest("acme", last));
  // --heartbeat_interval=200ms: a few of them within a second or two.
  ASSERT_TRUE(WaitFor(
      [&] {
        int heartbeats = 0;
        for (const v1::WatchPageResponse& r : watch->responses()) {
          heartbeats += r.has_heartbeat();
        }
        return heartbeats >= 3;
      },
      kPrompt));
  for (const v1::WatchPageResponse& r : watch->responses()) {
    ASSERT_TRUE(r.has_heartbeat());
    EXPECT_EQ(r.heartbeat().sequence(), last);
    EXPECT_GT(FromProto(r.heartbeat().time()), absl::Now() - absl::Minutes(1));
  }
}

// --- a watcher that never reads ---------------------------------------------

class SlowWatcherTest : public WatchTest {
 protected:
  ServerOptions Options() const override {
    ServerOptions options = WatchTest::Options();
    options.extra_flags.push_back("--watch_buffer=16");
    return options;
  }
};

int64_t RssKb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "VmRSS:")) {
      int64_t kb = 0;
      std::vector<std::string> parts =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb;
    }
  }
  return -1;
}

TEST_F(SlowWatcherTest, NeverReading_DoesNotHoldUpOthers_AndIsCutOffBounded) {
  CreateAcme();
  ASSERT_OK(CreateIncident(client(), "acme", "big", {},
                           v1::IncidentStatus::INVESTIGATING));
  ASSERT_OK_AND_ASSIGN(int64_t start, LastSequence(client(), "acme"));

  // Stuck watchers, on a connection of their own with small windows; and
  // two healthy ones, one sharing the default connection with the tests'
  // writes.
  constexpr int kStuck = 20;
  auto stuck_channel = SeparateChannel(server_->address(), /*small=*/true);
  auto stuck_stub = v1::EventService::NewStub(stuck_channel);
  std::vector<std::unique_ptr<RawWatch>> stuck;
  for (int i = 0; i < kStuck; ++i) {
    stuck.push_back(std::make_unique<RawWatch>(
        *stuck_stub, WatchRequest("acme", start), /*read=*/false));
  }
  std::unique_ptr<RawWatch> healthy = Watch(WatchRequest("acme", start));
  auto other_channel = SeparateChannel(server_->address());
  auto other_stub = v1::EventService::NewStub(other_channel);
  RawWatch other(*other_stub, WatchRequest("acme", start));
  const int64_t rss_before = RssKb(server_->pid());
  ASSERT_GT(rss_before, 0);

  // 60 KiB bodies: 120 events are ~7 MB, far beyond the 16 buffered events
  // and a stuck stream's flow-control windows; kept for every stuck
  // watcher, they would be ~140 MB.
  const std::string body(60 * 1024, 'x');
  const std::string incident = IncidentName("acme", "big");
  int64_t written = start;
  absl::Duration worst = absl::ZeroDuration();
  for (int i = 0; i < 120; ++i) {
    ASSERT_OK(PostUpdate(client(), incident,
                         v1::IncidentStatus::VALUE_UNSPECIFIED,
                         absl::StrCat(i, body)));
    if (i % 20 == 19) {
      ASSERT_OK_AND_ASSIGN(written, LastSequence(client(), "acme"));
      const absl::Time t0 = absl::Now();
      ASSERT_TRUE(healthy->WaitForPosition(written, kPrompt))
          << "a healthy watcher is stuck at " << healthy->position() << " of "
          << written << " after " << i + 1 << " posts";
      ASSERT_TRUE(other.WaitForPosition(written, kPrompt));
      worst = std::max(worst, absl::Now() - t0);
    }
  }
  ASSERT_OK_AND_ASSIGN(written, LastSequence(client(), "acme"));
  ASSERT_TRUE(healthy->WaitForPosition(written, kPrompt));
  ASSERT_TRUE(other.WaitForPosition(written, kPrompt));
  EXPECT_THAT(healthy->event_sequences(),
              ElementsAreArray(Range(start + 1, written)));
  EXPECT_THAT(other.event_sequences(),
              ElementsAreArray(Range(start + 1, written)));
  const int64_t rss_after = RssKb(server_->pid());

  // Now the stuck watchers read what they were sent: a prefix of the
  // events, and then the status that tells them to resume.
  size_t most = 0;
  for (int i = 0; i < kStuck; ++i) {
    RawWatch& slow = *stuck[i];
    slow.StartReading();
    std::optional<grpc::Status> end = slow.WaitForEnd(kPrompt);
    ASSERT_TRUE(end.has_value()) << "stuck stream " << i << " was never ended";
    EXPECT_EQ(end->error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << end->error_message();
    std::vector<int64_t> got = slow.event_sequences();
    EXPECT_LT(got.size(), 60u) << "stuck watcher " << i << " was buffered for";
    EXPECT_THAT(got, ElementsAreArray(Range(start + 1, start + got.size())));
    most = std::max(most, got.size());
  }
  // One resumes from where it was cut off and gets the rest.
  RawWatch resumed(*stuck_stub, WatchRequest("acme", stuck[0]->position()));
  ASSERT_TRUE(resumed.WaitForPosition(written, kPrompt));
  EXPECT_THAT(resumed.event_sequences(),
              ElementsAreArray(Range(stuck[0]->position() + 1, written)));

  // Generous: the 7 MB that went by may show; a copy of them per stuck
  // watcher must not.
  EXPECT_LT(rss_after - rss_before, 64 * 1024)
      << "RSS grew from " << rss_before << " kB to " << rss_after << " kB";
  RecordProperty("healthy_watcher_worst_wait_ms",
                 static_cast<int>(absl::ToInt64Milliseconds(worst)));
  RecordProperty("stuck_watcher_most_events", static_cast<int>(most));
  RecordProperty("server_rss_growth_kb",
                 static_cast<int>(rss_after - rss_before));
}

// --- a thousand watchers ----------------------------------------------------

TEST_F(WatchTest, AThousandWatchers_AllReceiveTheNextEvents) {
  CreateAcme();
  ASSERT_OK_AND_ASSIGN(int64_t start, LastSequence(client(), "acme"));
  constexpr int kChannels = 4;
  constexpr int kPerChannel = 250;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::EventService::Stub>> stubs;
  for (int c = 0; c < kChannels; ++c) {
    channels.push_back(SeparateChannel(server_->address()));
    stubs.push_back(v1::EventService::NewStub(channels.back()));
  }
  std::vector<std::unique_ptr<RawWatch>> watches;
  for (int i = 0; i < kChannels * kPerChannel; ++i) {
    watches.push_back(std::make_unique<RawWatch>(
        *stubs[i % kChannels], WatchRequest("acme", start)));
  }
  PageWriter writer(client(), "acme", {"api", "web"}, "w");
  const int64_t last = Write(writer, 3);
  ASSERT_GE(last, start + 3);
  int behind = 0;
  for (auto& watch : watches) {
    if (!watch->WaitForPosition(last, absl::Seconds(20))) ++behind;
  }
  ASSERT_EQ(behind, 0) << behind << " of 1000 watchers did not get event "
                       << last;
  for (size_t i = 0; i < watches.size(); ++i) {
    ASSERT_THAT(watches[i]->event_sequences(),
                ElementsAreArray(Range(start + 1, last)))
        << "watcher " << i;
  }
}

// --- graceful shutdown --------------------------------------------------------

TEST_F(WatchTest, Shutdown_EndsStreamsWithUnavailableWellBeforeTheGrace) {
  CreateAcme();
  std::vector<std::unique_ptr<RawWatch>> watches;
  for (int i = 0; i < 5; ++i) watches.push_back(Watch(WatchRequest("acme")));
  ASSERT_OK_AND_ASSIGN(int64_t last, LastSequence(client(), "acme"));
  for (auto& watch : watches) ASSERT_TRUE(watch->WaitForPosition(last, kPrompt));

  // The default grace is 5s: the streams must not run it out.
  const absl::Time t0 = absl::Now();
  absl::StatusOr<int> exit_code;
  std::thread stop([&] { exit_code = server_->Stop(); });
  for (auto& watch : watches) {
    std::optional<grpc::Status> end = watch->WaitForEnd(absl::Seconds(4));
    ASSERT_TRUE(end.has_value()) << "a stream outlived the shutdown";
    EXPECT_EQ(end->error_code(), grpc::StatusCode::UNAVAILABLE)
        << end->error_message();
  }
  EXPECT_LT(absl::Now() - t0, absl::Seconds(2));
  stop.join();
  ASSERT_OK(exit_code);
  EXPECT_EQ(*exit_code, 0) << server_->Log();
  server_.reset();
}

// --- incidentctl watch ------------------------------------------------------

TEST_F(WatchTest, Incidentctl_PrintsEventsAsJsonLinesUntilCtrlC) {
  CreateAcme();
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<BackgroundProcess> watch,
      BackgroundProcess::Start({IncidentctlBinary(), "--server",
                                server_->address(), "watch", "acme"}));
  PageWriter writer(client(), "acme", {"api", "web"}, "w");
  const int64_t last = Write(writer, 6);
  auto lines = [&] {
    return std::vector<std::string>(absl::StrSplit(watch->Out(), '\n',
                                                   absl::SkipEmpty()));
  };
  ASSERT_TRUE(WaitFor([&] { return static_cast<int64_t>(lines().size()) >= last; }, kPrompt))
      << watch->Out();
  watch->Signal(SIGINT);
  ASSERT_OK_AND_ASSIGN(CommandResult result, watch->Wait(absl::Seconds(5)));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::vector<int64_t> sequences;
  for (const std::string& line : lines()) {
    v1::Event event;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &event).ok())
        << line;
    sequences.push_back(event.sequence());
  }
  EXPECT_THAT(sequences, ElementsAreArray(Range(1, last)));
}

TEST_F(WatchTest, Incidentctl_FiltersAndResumesAfterAGivenSequence) {
  CreateAcme();
  PageWriter writer(client(), "acme", {"api", "web"}, "w");
  const int64_t last = Write(writer, 12);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> listed,
                       ListAllEvents(client(), "acme"));
  std::vector<int64_t> expected;
  for (const v1::Event& event : listed) {
    if (event.sequence() > 5 &&
        event.type() == v1::Event::COMPONENT_STATUS_CHANGED) {
      expected.push_back(event.sequence());
    }
  }
  ASSERT_FALSE(expected.empty());
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<BackgroundProcess> watch,
      BackgroundProcess::Start({IncidentctlBinary(), "--server",
                                server_->address(), "watch", "acme",
                                "--after", "5", "--type",
                                "component-status-changed", "--verbose"}));
  // --verbose: heartbeats show the position reaching the last event.
  ASSERT_TRUE(WaitFor(
      [&] {
        return absl::StrContains(
            watch->Out(), absl::StrCat("\"heartbeat\":{\"sequence\":\"",
                                       last, "\""));
      },
      kPrompt))
      << watch->Out();
  watch->Signal(SIGTERM);
  ASSERT_OK_AND_ASSIGN(CommandResult result, watch->Wait(absl::Seconds(5)));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::vector<int64_t> sequences;
  for (absl::string_view line :
       absl::StrSplit(result.out, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "{\"heartbeat\"")) continue;
    v1::Event event;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(std::string(line), &event)
            .ok())
        << line;
    sequences.push_back(event.sequence());
  }
  EXPECT_THAT(sequences, ElementsAreArray(expected));
}

TEST_F(WatchTest, Incidentctl_FromTheFuture_FailsWithOutOfRange) {
  CreateAcme();
  ASSERT_OK_AND_ASSIGN(
      CommandResult result,
      RunCommand({IncidentctlBinary(), "--server", server_->address(), "watch",
                  "acme", "--after", "9999"},
                 absl::Seconds(10)));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("incidentctl: OUT_OF_RANGE: "));
  EXPECT_THAT(result.out, IsEmpty());
}

// --- retention --------------------------------------------------------------

class RetentionTest : public WatchTest {
 protected:
  ServerOptions Options() const override {
    ServerOptions options = WatchTest::Options();
    options.extra_flags.push_back("--event_retention=1s");
    options.extra_flags.push_back("--event_prune_interval=100ms");
    return options;
  }
};

TEST_F(RetentionTest, ResumeFromBeforeRetention_IsFailedPreconditionToUseASnapshot) {
  CreateAcme();
  PageWriter writer(client(), "acme", {"api", "web"}, "w");
  const int64_t last = Write(writer, 4);
  // Pruned once older than a second, the last one too: ListEvents from
  // just before it says so.
  ASSERT_TRUE(WaitFor(
      [&] {
        v1::ListEventsRequest request;
        request.set_parent(PageName("acme"));
        request.set_after_sequence(last - 1);
        return client().ListEvents(request).status().code() ==
               absl::StatusCode::kFailedPrecondition;
      },
      absl::Seconds(10)))
      << "events older than --event_retention were never pruned";

  // 0 is "from event 1" (events.proto): pruned, so refused like the rest.
  for (int64_t from : {int64_t{0}, int64_t{1}, int64_t{2}, last - 1}) {
    grpc::Status status = Rejection(WatchRequest("acme", from));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << "from " << from << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("snapshot")) << "from "
                                                               << from;
  }
  // The latest position, and a snapshot, still work: numbering goes on.
  std::unique_ptr<RawWatch> resumed = Watch(WatchRequest("acme", last));
  v1::WatchPageRequest request = WatchRequest("acme");
  request.set_snapshot(true);
  std::unique_ptr<RawWatch> fresh = Watch(request);
  ASSERT_TRUE(fresh->WaitForPosition(last, kPrompt));
  EXPECT_EQ(fresh->responses().front().snapshot().sequence(), last);
  ASSERT_OK(CreateComponent(client(), "acme", "cdn"));
  ASSERT_TRUE(resumed->WaitForPosition(last + 1, kPrompt));
  ASSERT_TRUE(fresh->WaitForPosition(last + 1, kPrompt));
  EXPECT_THAT(resumed->event_sequences(), ElementsAreArray({last + 1}));
  EXPECT_THAT(fresh->event_sequences(), ElementsAreArray({last + 1}));

  // The client library gives up on it with the same code.
  client::WatchOptions options;
  options.targets = {server_->address()};
  options.request = WatchRequest("acme", 1);
  BackgroundWatcher watcher(options);
  std::optional<absl::Status> end = watcher.WaitForEnd(kPrompt);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), absl::StatusCode::kFailedPrecondition) << *end;
}

}  // namespace
}  // namespace incidentd::e2e
