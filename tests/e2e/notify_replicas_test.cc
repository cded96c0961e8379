// Notifications with two incidentd processes on one database, as two
// replicas behind a Service: both dispatch and both deliver, yet each
// notification goes out once in steady state; a replica killed with
// deliveries in flight loses none (its leases expire and the survivor sends
// them, the ones in flight possibly twice). Also measures the delay from a
// commit to the first delivery attempt, through the delivering replica and
// through the other one.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/api_helpers.h"
#include "tests/e2e/notify_helpers.h"
#include "tests/e2e/server_harness.h"
#include "tests/testing/http_receiver.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

using ::testing::ElementsAreArray;

constexpr char kPage[] = "status";
constexpr absl::Duration kPrompt = absl::Seconds(30);

class NotifyReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testing::GetMysqlEnv();
    ASSERT_OK(receiver_.Start());
    ASSERT_OK_AND_ASSIGN(db_, TestDatabase::Create(env_, "e2e_notify_replicas"));
    // One after the other: the first applies the migrations.
    ASSERT_OK_AND_ASSIGN(a_, ServerProcess::Start(env_, db_->name(),
                                                  Options(/*second=*/false)));
    ASSERT_OK_AND_ASSIGN(b_, ServerProcess::Start(env_, db_->name(),
                                                  Options(/*second=*/true)));
    ASSERT_OK(CreatePage(a_->client(), kPage));
  }

  void TearDown() override {
    for (ServerProcess* server : {a_.get(), b_.get()}) {
      if (HasFailure() && server != nullptr) {
        std::cout << "incidentd warnings:\n" << Warnings(server->Log());
      }
    }
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
    receiver_.Stop();
    db_.reset();
  }

  ServerOptions Options(bool second) const {
    ServerOptions options;
    options.extra_flags = NotifyFlags("smtp://127.0.0.1:1");
    if (second) {
      for (const std::string& flag : SecondFlags()) {
        options.extra_flags.push_back(flag);
      }
    }
    return options;
  }
  // Flags for the second server only.
  virtual std::vector<std::string> SecondFlags() const { return {}; }

  // How many subscribers `server`'s delivery workers hold leases on now.
  int64_t LeasesHeldBy(const ServerProcess& server) {
    // NewLeaseOwner is "<host>:<pid>:<random>".
    absl::StatusOr<int64_t> n = db_->QueryInt(absl::StrCat(
        "SELECT COUNT(*) FROM subscribers WHERE lease_owner LIKE '%:",
        server.pid(), ":%'"));
    return n.ok() ? *n : -1;
  }

  testing::MysqlEnv env_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> a_;
  std::unique_ptr<ServerProcess> b_;
  testing::HttpReceiver receiver_;
};

// Phase 1: a steady stream of notifying events, written through both
// replicas, to four webhook subscribers: each event arrives exactly once
// per subscriber, in order. Phase 2: the receiver is slowed so deliveries
// are in flight, replica A is SIGKILLed while it holds a subscriber's lease,
// writes go on through B: every delivery still completes; only ids that
// were in flight at the kill may arrive twice, and few.
TEST_F(NotifyReplicasTest,
       TwoReplicasDelivering_NoDuplicates_AndKilledReplicasWorkCompletes) {
  constexpr int kSubscribers = 4;
  constexpr int kSteadyEvents = 16;
  constexpr int kBeforeKill = 4;
  constexpr int kAfterKill = 4;
  constexpr absl::Duration kDelay = absl::Milliseconds(250);
  client::Client* via[] = {&a_->client(), &b_->client()};

  std::vector<std::string> names, paths, secrets;
  for (int i = 0; i < kSubscribers; ++i) {
    paths.push_back(absl::StrCat("/r", i));
    ASSERT_OK_AND_ASSIGN(
        v1::CreateSubscriberResponse created,
        SubscribeWebhook(*via[i % 2], kPage, receiver_.Url(paths.back())));
    names.push_back(created.subscriber().name());
    secrets.push_back(created.signing_secret());
  }

  // Who holds leases while phase 1 runs, sampled: both replicas deliver.
  // Joined however the test ends (an ASSERT returns early).
  std::atomic<bool> sampling{true};
  std::atomic<int64_t> seen_a{0}, seen_b{0};
  std::thread sampler([&] {
    while (sampling.load()) {
      if (LeasesHeldBy(*a_) > 0) ++seen_a;
      if (LeasesHeldBy(*b_) > 0) ++seen_b;
      absl::SleepFor(absl::Milliseconds(10));  // a sampling rate, not a wait
    }
  });
  auto stop_sampling = [&] {
    sampling = false;
    if (sampler.joinable()) sampler.join();
  };
  struct Joiner {
    std::function<void()> f;
    ~Joiner() { f(); }
  } joiner{stop_sampling};

  const std::string incident = IncidentName(kPage, "stream");
  ASSERT_OK(CreateIncident(*via[0], kPage, "stream", {},
                           v1::IncidentStatus::INVESTIGATING));
  for (int i = 1; i < kSteadyEvents; ++i) {
    ASSERT_OK(PostNotified(*via[i % 2], incident,
                           v1::IncidentStatus::VALUE_UNSPECIFIED,
                           absl::StrCat("Steady ", i), true));
  }
  for (const std::string& name : names) {
    ASSERT_OK(WaitForDelivered(*via[0], name, kSteadyEvents, kPrompt));
  }
  stop_sampling();
  std::cout << "[ replicas ] lease samples: A " << seen_a.load() << ", B "
            << seen_b.load() << std::endl;

  std::map<std::string, std::vector<int64_t>> steady;  // path -> accepted
  for (int i = 0; i < kSubscribers; ++i) {
    SCOPED_TRACE(paths[i]);
    std::vector<Webhook> hooks = WebhooksAt(receiver_, paths[i], secrets[i]);
    steady[paths[i]] = AcceptedSequences(hooks);
    EXPECT_EQ(hooks.size(), static_cast<size_t>(kSteadyEvents))
        << "a duplicate or a failed request in steady state";
    EXPECT_EQ(steady[paths[i]].size(), static_cast<size_t>(kSteadyEvents));
    EXPECT_TRUE(std::is_sorted(steady[paths[i]].begin(), steady[paths[i]].end()));
    EXPECT_EQ(std::set<int64_t>(steady[paths[i]].begin(), steady[paths[i]].end())
                  .size(),
              static_cast<size_t>(kSteadyEvents))
        << "an id arrived twice";
    for (const Webhook& h : hooks) EXPECT_TRUE(h.signature_ok);
  }
  ASSERT_FALSE(HasFailure());

  // Phase 2.
  receiver_.SetDelay(kDelay);
  for (int i = 0; i < kBeforeKill; ++i) {
    ASSERT_OK(PostNotified(*via[i % 2], incident,
                           v1::IncidentStatus::VALUE_UNSPECIFIED,
                           absl::StrCat("Before the kill ", i), true));
  }
  // A is mid-delivery: it holds a subscriber's lease while the receiver
  // keeps each request for kDelay.
  ASSERT_TRUE(WaitFor([&] { return LeasesHeldBy(*a_) > 0; }, kPrompt,
                      absl::Milliseconds(5)))
      << "replica A never took a subscriber";
  const absl::Time kill_time = absl::Now();
  a_->Kill();  // returns once A is gone
  const absl::Time killed = absl::Now();
  for (int i = 0; i < kAfterKill; ++i) {
    ASSERT_OK(PostNotified(b_->client(), incident,
                           v1::IncidentStatus::VALUE_UNSPECIFIED,
                           absl::StrCat("After the kill ", i), true));
  }
  const size_t total = kSteadyEvents + kBeforeKill + kAfterKill;
  for (const std::string& name : names) {
    ASSERT_OK(WaitForDelivered(b_->client(), name, total, kPrompt));
  }
  const absl::Duration recovery = absl::Now() - kill_time;

  ASSERT_OK_AND_ASSIGN(std::vector<v1::Event> events, AllEvents(b_->client(), kPage));
  std::vector<int64_t> expected;
  for (const v1::Event& e : events) {
    if (e.notify()) expected.push_back(e.sequence());
  }
  ASSERT_EQ(expected.size(), total);

  int duplicates = 0;
  for (int i = 0; i < kSubscribers; ++i) {
    SCOPED_TRACE(paths[i]);
    std::vector<Webhook> hooks = WebhooksAt(receiver_, paths[i], secrets[i]);
    std::map<int64_t, std::vector<absl::Time>> received;  // seq -> arrivals
    std::vector<int64_t> first_arrivals;
    for (const Webhook& h : hooks) {
      EXPECT_TRUE(h.signature_ok);
      if (received[h.seq].empty()) first_arrivals.push_back(h.seq);
      received[h.seq].push_back(h.request.received);
    }
    // Every id at least once, first arrivals in event order.
    EXPECT_THAT(first_arrivals, ElementsAreArray(expected));
    for (const auto& [seq, times] : received) {
      if (times.size() == 1) continue;
      duplicates += static_cast<int>(times.size()) - 1;
      EXPECT_EQ(times.size(), 2u) << "event " << seq;
      // Only what the killed replica had in flight: sent before it died,
      // within one answer delay (plus recording) of the kill. The receiver
      // stamps a request when it reads it, which can be a little after A
      // wrote it: hence the slack after `killed`.
      EXPECT_LE(times[0], killed + absl::Milliseconds(100)) << "event " << seq;
      EXPECT_GT(times[1], kill_time) << "event " << seq
                                     << " was sent twice before the kill";
      EXPECT_GE(times[0], kill_time - kDelay - absl::Seconds(1))
          << "event " << seq << " was sent twice long before the kill";
      EXPECT_FALSE(std::count(steady[paths[i]].begin(), steady[paths[i]].end(),
                              seq))
          << "a steady-state delivery was sent again";
    }
  }
  EXPECT_LE(duplicates, kSubscribers);
  std::cout << "[ replicas ] after SIGKILL of A: every delivery DELIVERED "
            << absl::FormatDuration(recovery) << " after the kill; "
            << duplicates << " duplicate(s) of in-flight ids" << std::endl;
  RecordProperty("duplicates_after_kill", duplicates);
  RecordProperty("recovery_ms",
                 static_cast<int>(absl::ToInt64Milliseconds(recovery)));
}

// The second replica sends nothing (--delivery_workers=0): a write through
// it is dispatched there and must be found by the first replica's workers
// at their poll.
class NotifyLatencyTest : public NotifyReplicasTest {
 protected:
  std::vector<std::string> SecondFlags() const override {
    return {"--delivery_workers=0"};
  }
};

// Measurement: from a PostIncidentUpdate's return to the receiver's receipt
// of its webhook (the first attempt), for 50 updates written through the
// delivering replica and 50 through the other one, which the first finds at
// its next --delivery_poll_interval. Each must arrive.
TEST_F(NotifyLatencyTest, Measure_CommitToFirstAttempt_SameAndOtherReplica) {
  constexpr int kSamples = 50;
  ASSERT_OK_AND_ASSIGN(
      v1::CreateSubscriberResponse created,
      SubscribeWebhook(a_->client(), kPage, receiver_.Url("/lat")));
  const std::string incident = IncidentName(kPage, "latency");
  ASSERT_OK(CreateIncident(a_->client(), kPage, "latency", {},
                           v1::IncidentStatus::INVESTIGATING));
  ASSERT_TRUE(receiver_.WaitForRequests(1, kPrompt));

  auto measure = [&](client::Client& client, const std::string& label) {
    std::vector<absl::Duration> samples;
    absl::BitGen random;
    for (int i = 0; i < kSamples; ++i) {
      // Writes at random moments, as real ones come, not in lockstep with
      // the workers' polling (which would measure a whole poll interval
      // every time): a pause, not a wait for anything.
      absl::SleepFor(absl::Milliseconds(absl::Uniform<int>(
          random, 0, absl::ToInt64Milliseconds(kPollInterval))));
      const size_t before = receiver_.RequestCount();
      absl::StatusOr<v1::IncidentUpdate> posted = PostNotified(
          client, incident, v1::IncidentStatus::VALUE_UNSPECIFIED,
          absl::StrCat(label, " ", i), true);
      const absl::Time returned = absl::Now();
      if (!posted.ok()) {
        ADD_FAILURE() << posted.status();
        return Distribution();
      }
      if (!receiver_.WaitForRequests(before + 1, kPrompt)) {
        ADD_FAILURE() << label << " " << i << " never arrived";
        return Distribution();
      }
      const testing::HttpRequest got = receiver_.Requests()[before];
      Webhook hook = ParseWebhook(got, created.signing_secret());
      EXPECT_TRUE(hook.body_ok);
      EXPECT_EQ(hook.notification.event().incident_update().name(),
                posted->name());
      samples.push_back(got.received - returned);
    }
    Distribution d = Summarize(samples);
    std::cout << "[ latency ] commit to first attempt, write through the "
              << label << ": " << d.ToString() << std::endl;
    return d;
  };
  const Distribution same = measure(a_->client(), "same replica");
  const Distribution other = measure(b_->client(), "other replica");
  EXPECT_EQ(receiver_.RequestCount(), 1u + 2 * kSamples) << "a duplicate";
  for (const auto& [label, d] :
       {std::pair{"same", same}, std::pair{"other", other}}) {
    RecordProperty(absl::StrCat(label, "_p50_ms"), static_cast<int>(d.p50_ms));
    RecordProperty(absl::StrCat(label, "_p99_ms"), static_cast<int>(d.p99_ms));
    RecordProperty(absl::StrCat(label, "_max_ms"), static_cast<int>(d.max_ms));
  }
}

}  // namespace
}  // namespace incidentd::e2e
