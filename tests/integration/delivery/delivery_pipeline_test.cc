// The notification pipeline against the real database: the service logic
// commits changes (and their events), the Dispatcher turns notifying events
// into deliveries, and DeliveryWorkers send them through recording
// transports under a fake clock, so retries, leases and quarantine run
// without waiting.
#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/clock.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "server/component_logic.h"
#include "server/converters.h"
#include "server/event_notifier.h"
#include "server/incident_logic.h"
#include "server/maintenance_scheduler.h"
#include "server/executor.h"
#include "server/notify/delivery_worker.h"
#include "server/notify/dispatcher.h"
#include "server/notify/signing.h"
#include "server/page_logic.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using storage::Lock;
using storage::Transaction;
using testing::MysqlTest;

constexpr absl::Time kNoDeadline = absl::InfiniteFuture();

// Records every POST; fails the first `fail_first` with `failure`.
class FakeWebhooks final : public notify::WebhookTransport {
 public:
  absl::Status Post(const notify::WebhookRequest& request) override {
    absl::MutexLock lock(&mu_);
    requests_.push_back(request);
    if (fail_first_ > 0) {
      --fail_first_;
      return absl::UnavailableError("HTTP 503");
    }
    return absl::OkStatus();
  }
  void FailFirst(int n) {
    absl::MutexLock lock(&mu_);
    fail_first_ = n;
  }
  std::vector<notify::WebhookRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  // The Incidentd-Event-Id of every request, in order.
  std::vector<std::string> ids() {
    std::vector<std::string> out;
    for (const notify::WebhookRequest& r : requests()) {
      for (const auto& [name, value] : r.headers) {
        if (name == "Incidentd-Event-Id") out.push_back(value);
      }
    }
    return out;
  }

 private:
  absl::Mutex mu_;
  std::vector<notify::WebhookRequest> requests_ ABSL_GUARDED_BY(mu_);
  int fail_first_ ABSL_GUARDED_BY(mu_) = 0;
};

class FakeMail final : public notify::MailTransport {
 public:
  struct Sent {
    std::string from, to, mime;
  };
  absl::Status Send(std::string_view from, std::string_view to,
                    std::string_view mime) override {
    absl::MutexLock lock(&mu_);
    sent_.push_back(
        {std::string(from), std::string(to), std::string(mime)});
    return absl::OkStatus();
  }
  std::vector<Sent> sent() {
    absl::MutexLock lock(&mu_);
    return sent_;
  }

 private:
  absl::Mutex mu_;
  std::vector<Sent> sent_ ABSL_GUARDED_BY(mu_);
};

// The decoded text/plain part of a mail from ToMime (base64, CRLF lines).
std::string TextPart(const std::string& mime) {
  const size_t type = mime.find("Content-Type: text/plain");
  if (type == std::string::npos) return "";
  const size_t start = mime.find("\r\n\r\n", type);
  const size_t end = mime.find("\r\n--", start);
  if (start == std::string::npos || end == std::string::npos) return "";
  std::string encoded = mime.substr(start + 4, end - start - 4);
  encoded.erase(std::remove(encoded.begin(), encoded.end(), '\r'),
                encoded.end());
  encoded.erase(std::remove(encoded.begin(), encoded.end(), '\n'),
                encoded.end());
  std::string text;
  if (!absl::Base64Unescape(encoded, &text)) return "";
  return text;
}

std::string Header(const notify::WebhookRequest& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

// Counts the read-only transactions run through it: how often the
// dispatcher's loop went to the database.
class CountingStore final : public storage::Store {
 public:
  explicit CountingStore(storage::Store& inner) : inner_(inner) {}
  absl::Status ReadWrite(
      absl::Time deadline,
      absl::FunctionRef<absl::Status(Transaction&)> fn) override {
    return inner_.ReadWrite(deadline, fn);
  }
  absl::Status ReadOnly(
      absl::Time deadline,
      absl::FunctionRef<absl::Status(Transaction&)> fn) override {
    ++reads_;
    return inner_.ReadOnly(deadline, fn);
  }
  absl::Status Ping(absl::Time deadline) override {
    return inner_.Ping(deadline);
  }
  int reads() const { return reads_.load(); }

 private:
  storage::Store& inner_;
  std::atomic<int> reads_{0};
};

// Waits (real time) until `condition` holds; whether it did.
bool Eventually(const std::function<bool()>& condition) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!condition()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

class DeliveryPipelineTest : public MysqlTest {
 protected:
  void SetUp() override {
    MysqlTest::SetUp();
    // The logic needs the store, which exists from MysqlTest::SetUp on.
    pages_ = std::make_unique<PageLogic>(store(), clock_, notifier_);
    components_ = std::make_unique<ComponentLogic>(store(), clock_, notifier_);
    incidents_ = std::make_unique<IncidentLogic>(store(), clock_, notifier_);
    dispatcher_ = std::make_unique<notify::Dispatcher>(
        store(), clock_, signal_, absl::Seconds(1), absl::Hours(24));
    page_ = UniqueId("page");
    v1::CreatePageRequest p;
    p.set_page_id(page_);
    p.mutable_page()->set_display_name("Productsup");
    p.mutable_page()->set_url("https://status.example.com");
    ASSERT_OK(pages_->CreatePage(p, kNoDeadline).status());
    for (const char* c : {"a", "b"}) {
      v1::CreateComponentRequest r;
      r.set_parent(PageName());
      r.set_component_id(c);
      r.mutable_component()->set_display_name(std::string("Component ") + c);
      ASSERT_OK(components_->CreateComponent(r, kNoDeadline).status());
    }
  }

  // Workers claim due subscribers of any page: the suite's database must
  // not keep one test's subscribers for the next.
  void TearDown() override {
    EXPECT_OK(db().Execute("DELETE FROM pages WHERE id = '" + page_ + "'"));
  }

  std::string PageName() const { return "pages/" + page_; }
  std::string Component(const std::string& id) const {
    return PageName() + "/components/" + id;
  }

  notify::DeliveryOptions Options(const std::string& owner = "worker-1") {
    notify::DeliveryOptions o;
    o.workers = 0;  // RunOnce on the test thread
    o.lease = absl::Seconds(60);
    o.retry.initial_delay = absl::Seconds(10);
    o.retry.max_delay = absl::Minutes(10);
    o.retry.horizon = absl::Hours(24);
    o.quarantine.failures = 1000;
    o.quarantine.window = absl::ZeroDuration();
    o.mail_from = "Status <status@example.com>";
    o.owner = owner;
    return o;
  }

  // A subscriber stored directly (the API's rules have tests of their own).
  Subscriber AddSubscriber(SubscriberKind kind, std::vector<std::string> comps,
                           std::string incident = "",
                           SubscriberState state = SubscriberState::kActive) {
    Subscriber s;
    s.page_id = page_;
    s.id = UniqueId("sub");
    s.kind = kind;
    s.address = kind == SubscriberKind::kEmail
                    ? s.id + "@example.com"
                    : "https://hooks.example.com/" + s.id;
    s.component_ids = std::move(comps);
    s.incident_id = std::move(incident);
    s.state = state;
    s.unsubscribe_token = notify::NewSecret();
    if (kind == SubscriberKind::kWebhook) s.signing_secret = notify::NewSecret();
    if (state == SubscriberState::kPendingConfirmation) {
      s.confirmation_token = notify::NewSecret();
    }
    s.create_time = s.update_time = TruncateToMicros(clock_.Now());
    s.version = 1;
    EXPECT_OK(Write([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<storage::EventRepository::Head> head =
          tx.events().GetHead(page_);
      if (!head.ok()) return head.status();
      s.after_seq = head->last_seq;
      return tx.subscribers().Insert(s);
    }));
    return s;
  }

  std::string OpenIncident(const std::string& id,
                           const std::string& component) {
    v1::CreateIncidentRequest r;
    r.set_parent(PageName());
    r.set_incident_id(id);
    r.mutable_incident()->set_title("Issue with delta processing");
    r.mutable_first_update()->set_body("We are investigating.");
    r.mutable_first_update()->set_status(v1::IncidentStatus::INVESTIGATING);
    r.mutable_incident()->add_components(Component(component));
    EXPECT_OK(incidents_->CreateIncident(r, kNoDeadline).status());
    return PageName() + "/incidents/" + id;
  }

  void PostUpdate(const std::string& incident, v1::IncidentStatus::Value status,
                  bool notify, const std::string& body = "News.") {
    v1::PostIncidentUpdateRequest r;
    r.set_parent(incident);
    r.mutable_update()->set_status(status);
    r.mutable_update()->set_body(body);
    r.mutable_update()->set_notify(notify);
    EXPECT_OK(incidents_->PostIncidentUpdate(r, kNoDeadline).status());
  }

  std::vector<Delivery> Deliveries(const std::string& subscriber_id) {
    std::vector<Delivery> out;
    EXPECT_OK(Read([&](Transaction& tx) -> absl::Status {
      storage::DeliveryQuery q;
      q.page_id = page_;
      q.subscriber_id = subscriber_id;
      q.limit = 1000;
      absl::StatusOr<std::vector<Delivery>> list = tx.deliveries().List(q);
      if (!list.ok()) return list.status();
      out = *list;
      return absl::OkStatus();
    }));
    return out;
  }

  Subscriber Reload(const Subscriber& s) {
    Subscriber out;
    EXPECT_OK(Read([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<Subscriber> got =
          tx.subscribers().Get(s.page_id, s.id, Lock::kNone);
      if (!got.ok()) return got.status();
      out = *got;
      return absl::OkStatus();
    }));
    return out;
  }

  // Runs the worker until nothing is due now; how many attempts it made.
  int Drain(notify::DeliveryWorkers& workers) {
    int total = 0;
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<int> n = workers.RunOnce();
      EXPECT_OK(n.status());
      if (!n.ok() || *n == 0) break;
      total += *n;
    }
    return total;
  }

  int64_t Dispatch() {
    absl::StatusOr<int64_t> n = dispatcher_->RunOnce(kNoDeadline);
    EXPECT_OK(n.status());
    return n.value_or(-1);
  }

  FakeClock clock_{absl::FromUnixSeconds(1750000000)};
  NoopEventNotifier notifier_;
  notify::NoopDeliverySignal signal_;
  std::unique_ptr<PageLogic> pages_;
  std::unique_ptr<ComponentLogic> components_;
  std::unique_ptr<IncidentLogic> incidents_;
  std::unique_ptr<notify::Dispatcher> dispatcher_;
  FakeWebhooks webhooks_;
  FakeMail mail_;
  std::string page_;
};

TEST_F(DeliveryPipelineTest, Dispatch_MatchesFiltersAndNotifyingEventsOnly) {
  const Subscriber whole = AddSubscriber(SubscriberKind::kWebhook, {});
  const Subscriber only_a = AddSubscriber(SubscriberKind::kWebhook, {"a"});
  const Subscriber only_b = AddSubscriber(SubscriberKind::kWebhook, {"b"});
  const Subscriber pending = AddSubscriber(
      SubscriberKind::kEmail, {}, "", SubscriberState::kPendingConfirmation);

  const std::string incident = OpenIncident("i1", "a");
  EXPECT_EQ(Dispatch(), 2);  // whole + only_a hear of the creation
  PostUpdate(incident, v1::IncidentStatus::IDENTIFIED, /*notify=*/false);
  EXPECT_EQ(Dispatch(), 0);  // a post without notify stays in the log
  PostUpdate(incident, v1::IncidentStatus::MONITORING, /*notify=*/true);
  EXPECT_EQ(Dispatch(), 2);
  PostUpdate(incident, v1::IncidentStatus::RESOLVED, /*notify=*/false);
  EXPECT_EQ(Dispatch(), 2);  // resolving always notifies

  EXPECT_EQ(Deliveries(whole.id).size(), 3u);
  EXPECT_EQ(Deliveries(only_a.id).size(), 3u);
  EXPECT_TRUE(Deliveries(only_b.id).empty());
  EXPECT_TRUE(Deliveries(pending.id).empty());
  for (const Delivery& d : Deliveries(whole.id)) {
    EXPECT_EQ(d.event_type, EventType::kIncidentUpdatePosted);
    EXPECT_EQ(d.incident_id, "i1");
    EXPECT_EQ(d.state, DeliveryState::kPending);
  }
  // Dispatching again finds nothing new: the cursor moved with them.
  EXPECT_EQ(Dispatch(), 0);
}

TEST_F(DeliveryPipelineTest, Dispatch_ComponentStatusOutsideIncident_OnlyItsSubscribers) {
  const Subscriber whole = AddSubscriber(SubscriberKind::kWebhook, {});
  const Subscriber only_a = AddSubscriber(SubscriberKind::kWebhook, {"a"});
  const Subscriber only_b = AddSubscriber(SubscriberKind::kWebhook, {"b"});
  v1::SetComponentStatusRequest r;
  r.set_name(Component("b"));
  r.set_status(v1::ComponentStatus::MAJOR_OUTAGE);
  r.set_reason("Database failover");
  ASSERT_OK(components_->SetComponentStatus(r, kNoDeadline).status());
  EXPECT_EQ(Dispatch(), 1);
  EXPECT_TRUE(Deliveries(whole.id).empty());
  EXPECT_TRUE(Deliveries(only_a.id).empty());
  ASSERT_EQ(Deliveries(only_b.id).size(), 1u);
  EXPECT_EQ(Deliveries(only_b.id)[0].event_type,
            EventType::kComponentStatusChanged);
}

TEST_F(DeliveryPipelineTest, Dispatch_IncidentFilterAndEarlierEventsIgnored) {
  const std::string first = OpenIncident("early", "a");
  // Subscribed after the first incident: it hears only what follows, and
  // with an incident filter only that incident.
  const Subscriber whole = AddSubscriber(SubscriberKind::kWebhook, {});
  const Subscriber one = AddSubscriber(SubscriberKind::kWebhook, {}, "early");
  const std::string second = OpenIncident("late", "b");
  PostUpdate(first, v1::IncidentStatus::RESOLVED, true);
  Dispatch();
  std::vector<int64_t> whole_seqs, one_seqs;
  for (const Delivery& d : Deliveries(whole.id)) whole_seqs.push_back(d.event_seq);
  for (const Delivery& d : Deliveries(one.id)) one_seqs.push_back(d.event_seq);
  EXPECT_EQ(whole_seqs.size(), 2u);  // "late" created, "early" resolved
  ASSERT_EQ(one_seqs.size(), 1u);
  EXPECT_EQ(one_seqs[0], whole_seqs[1]);
  EXPECT_GT(whole_seqs[0], whole.after_seq);
}

// The loop's own behaviour on local commits (PageChanged), with a poll
// interval of an hour so that only wake-ups run passes.
TEST_F(DeliveryPipelineTest, Loop_PageNobodySubscribesTo_StopsWakingItAfterOnePass) {
  CountingStore counting(store());
  notify::Dispatcher loop(counting, clock_, signal_, absl::Hours(1),
                          absl::Hours(24));
  loop.Start();
  const std::string incident = OpenIncident("i1", "a");
  loop.PageChanged(page_);
  // One pass: the backlog, then the check that nobody subscribes.
  ASSERT_TRUE(Eventually([&] { return counting.reads() >= 2; }));
  absl::SleepFor(absl::Milliseconds(100));
  const int after_first = counting.reads();
  for (int i = 0; i < 10; ++i) {
    PostUpdate(incident, v1::IncidentStatus::IDENTIFIED, true);
    loop.PageChanged(page_);
  }
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(counting.reads(), after_first)
      << "commits to a page without subscribers still wake the dispatcher";
  // The quiet lasts one poll interval (clock time): then commits wake it.
  clock_.Advance(absl::Hours(1) + absl::Seconds(1));
  loop.PageChanged(page_);
  EXPECT_TRUE(Eventually([&] { return counting.reads() > after_first; }));
  loop.Stop();
}

TEST_F(DeliveryPipelineTest, Loop_PageDispatchedByAnotherReplica_KeepsWakingIt) {
  // This replica's pass finds nothing (the other dispatcher was first), but
  // the page has a subscriber: its next commit must still wake it at once.
  const Subscriber s = AddSubscriber(SubscriberKind::kWebhook, {});
  CountingStore counting(store());
  notify::Dispatcher loop(counting, clock_, signal_, absl::Hours(1),
                          absl::Hours(24));
  loop.Start();
  const std::string incident = OpenIncident("i1", "a");
  ASSERT_EQ(Dispatch(), 1);  // the other replica
  loop.PageChanged(page_);
  ASSERT_TRUE(Eventually([&] { return counting.reads() >= 2; }));
  PostUpdate(incident, v1::IncidentStatus::IDENTIFIED, true);
  loop.PageChanged(page_);
  EXPECT_TRUE(Eventually([&] { return Deliveries(s.id).size() == 2; }))
      << "the second event was not dispatched on its commit";
  loop.Stop();
}

TEST_F(DeliveryPipelineTest, Dispatch_ConcurrentDispatchers_CreateEachDeliveryOnce) {
  std::vector<Subscriber> subs;
  for (int i = 0; i < 5; ++i) subs.push_back(AddSubscriber(SubscriberKind::kWebhook, {}));
  const std::string incident = OpenIncident("busy", "a");
  for (int i = 0; i < 30; ++i) {
    PostUpdate(incident, v1::IncidentStatus::VALUE_UNSPECIFIED, true,
               "Update " + std::to_string(i));
  }
  std::unique_ptr<storage::Store> other = OpenStore(db().config());
  notify::Dispatcher second(*other, clock_, signal_, absl::Seconds(1),
                            absl::Hours(24));
  int64_t created_a = 0, created_b = 0;
  std::thread a([&] {
    for (int i = 0; i < 20; ++i) created_a += dispatcher_->RunOnce(kNoDeadline).value_or(0);
  });
  std::thread b([&] {
    for (int i = 0; i < 20; ++i) created_b += second.RunOnce(kNoDeadline).value_or(0);
  });
  a.join();
  b.join();
  EXPECT_EQ(created_a + created_b, 5 * 31);
  for (const Subscriber& s : subs) {
    std::vector<Delivery> list = Deliveries(s.id);
    ASSERT_EQ(list.size(), 31u);
    for (size_t i = 1; i < list.size(); ++i) {
      EXPECT_LT(list[i - 1].event_seq, list[i].event_seq);
    }
  }
}

TEST_F(DeliveryPipelineTest, Worker_RetriesWithBackoffThenDeliversInOrder) {
  const Subscriber hook = AddSubscriber(SubscriberKind::kWebhook, {});
  const std::string incident = OpenIncident("i1", "a");
  PostUpdate(incident, v1::IncidentStatus::IDENTIFIED, true);
  PostUpdate(incident, v1::IncidentStatus::RESOLVED, true);
  ASSERT_EQ(Dispatch(), 3);
  notify::DeliveryWorkers workers(store(), clock_, webhooks_, mail_, Options());
  webhooks_.FailFirst(2);

  EXPECT_EQ(Drain(workers), 1);  // the head fails; the rest waits behind it
  std::vector<Delivery> list = Deliveries(hook.id);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].state, DeliveryState::kRetrying);
  EXPECT_EQ(list[0].attempts, 1);
  EXPECT_EQ(list[0].last_error, "HTTP 503");
  ASSERT_TRUE(list[0].next_attempt_time.has_value());
  const absl::Duration wait = *list[0].next_attempt_time - clock_.Now();
  EXPECT_GE(wait, absl::Seconds(5));  // jitter: half to all of 10s
  EXPECT_LE(wait, absl::Seconds(10));
  EXPECT_EQ(list[1].state, DeliveryState::kPending);
  EXPECT_EQ(Reload(hook).consecutive_failures, 1);

  EXPECT_EQ(Drain(workers), 0);  // not due yet: nothing attempted
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(Drain(workers), 1);  // second failure; backoff doubles
  list = Deliveries(hook.id);
  EXPECT_EQ(list[0].attempts, 2);
  EXPECT_GE(*list[0].next_attempt_time - clock_.Now(), absl::Seconds(10));
  clock_.Advance(absl::Seconds(20));
  EXPECT_EQ(Drain(workers), 3);

  list = Deliveries(hook.id);
  for (const Delivery& d : list) {
    EXPECT_EQ(d.state, DeliveryState::kDelivered);
    EXPECT_TRUE(d.deliver_time.has_value());
  }
  EXPECT_EQ(Reload(hook).consecutive_failures, 0);
  // In event order, each event delivered successfully once (the first was
  // tried three times, with the same id).
  const std::vector<std::string> ids = webhooks_.ids();
  ASSERT_EQ(ids.size(), 5u);
  const std::string first = notify::EventId(page_, list[0].event_seq);
  EXPECT_EQ(ids[0], first);
  EXPECT_EQ(ids[1], first);
  EXPECT_EQ(ids[2], first);
  EXPECT_EQ(ids[3], notify::EventId(page_, list[1].event_seq));
  EXPECT_EQ(ids[4], notify::EventId(page_, list[2].event_seq));
  // Every request is signed with the subscriber's secret.
  for (const notify::WebhookRequest& r : webhooks_.requests()) {
    int64_t ts = 0;
    ASSERT_TRUE(absl::SimpleAtoi(Header(r, "Incidentd-Timestamp"), &ts));
    EXPECT_TRUE(notify::VerifyWebhookSignature(
        hook.signing_secret, ts, r.body, Header(r, "Incidentd-Signature")));
    EXPECT_EQ(r.url, hook.address);
  }
  EXPECT_EQ(Header(webhooks_.requests()[2], "Incidentd-Delivery-Attempt"), "3");
}

TEST_F(DeliveryPipelineTest, Worker_PastTheHorizon_FailsAndMovesOn) {
  const Subscriber hook = AddSubscriber(SubscriberKind::kWebhook, {});
  const std::string incident = OpenIncident("i1", "a");
  PostUpdate(incident, v1::IncidentStatus::RESOLVED, true);
  ASSERT_EQ(Dispatch(), 2);
  notify::DeliveryOptions o = Options();
  o.retry.horizon = absl::Seconds(3);  // the first retry is already too late
  notify::DeliveryWorkers workers(store(), clock_, webhooks_, mail_, o);
  webhooks_.FailFirst(1);
  EXPECT_EQ(Drain(workers), 2);
  std::vector<Delivery> list = Deliveries(hook.id);
  EXPECT_EQ(list[0].state, DeliveryState::kFailed);
  EXPECT_FALSE(list[0].next_attempt_time.has_value());
  EXPECT_EQ(list[1].state, DeliveryState::kDelivered);
}

TEST_F(DeliveryPipelineTest, Worker_RepeatedFailures_Quarantine_ThenReactivation) {
  const Subscriber hook = AddSubscriber(SubscriberKind::kWebhook, {});
  OpenIncident("i1", "a");
  ASSERT_EQ(Dispatch(), 1);
  notify::DeliveryOptions o = Options();
  o.quarantine.failures = 3;
  o.quarantine.window = absl::Seconds(60);
  notify::DeliveryWorkers workers(store(), clock_, webhooks_, mail_, o);
  webhooks_.FailFirst(100);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Drain(workers), 1);
    clock_.Advance(absl::Seconds(11 << i));
  }
  // Three in a row, but within the window: still active.
  EXPECT_EQ(Reload(hook).state, SubscriberState::kActive);
  EXPECT_EQ(Drain(workers), 1);
  const Subscriber q = Reload(hook);
  EXPECT_EQ(q.state, SubscriberState::kQuarantined);
  EXPECT_EQ(q.consecutive_failures, 4);
  EXPECT_THAT(q.state_reason, HasSubstr("HTTP 503"));
  EXPECT_EQ(q.version, hook.version + 1);

  // Quarantined: new deliveries are recorded but nothing is attempted.
  const size_t before = webhooks_.requests().size();
  OpenIncident("i2", "b");
  EXPECT_EQ(Dispatch(), 1);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Drain(workers), 0);
  EXPECT_EQ(webhooks_.requests().size(), before);

  // Reactivated (as ReactivateSubscriber does): the held ones go out.
  webhooks_.FailFirst(0);
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    Subscriber s = q;
    s.state = SubscriberState::kActive;
    s.state_reason.clear();
    s.consecutive_failures = 0;
    s.failing_since.reset();
    ++s.version;
    if (absl::Status st = tx.subscribers().Update(s); !st.ok()) return st;
    const absl::Time now = TruncateToMicros(clock_.Now());
    if (absl::Status st =
            tx.deliveries().RescheduleOpen(page_, s.id, now).status();
        !st.ok()) {
      return st;
    }
    return tx.subscribers().MarkDue(page_, {s.id}, now);
  }));
  EXPECT_EQ(Drain(workers), 2);
  for (const Delivery& d : Deliveries(hook.id)) {
    EXPECT_EQ(d.state, DeliveryState::kDelivered);
  }
}

TEST_F(DeliveryPipelineTest, Worker_ExpiredLeaseOfDeadWorker_IsTakenOver) {
  const Subscriber hook = AddSubscriber(SubscriberKind::kWebhook, {});
  OpenIncident("i1", "a");
  ASSERT_EQ(Dispatch(), 1);
  // A worker claims the subscriber and dies before it records anything.
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    const absl::Time now = TruncateToMicros(clock_.Now());
    absl::StatusOr<std::vector<Subscriber>> claimed =
        tx.subscribers().ClaimDue(now, "dead-worker", now + absl::Seconds(60), 10);
    if (!claimed.ok()) return claimed.status();
    EXPECT_EQ(claimed->size(), 1u);
    return absl::OkStatus();
  }));
  notify::DeliveryWorkers workers(store(), clock_, webhooks_, mail_, Options());
  EXPECT_EQ(Drain(workers), 0);  // leased: not ours to send
  clock_.Advance(absl::Seconds(61));
  EXPECT_EQ(Drain(workers), 1);
  EXPECT_EQ(Deliveries(hook.id)[0].state, DeliveryState::kDelivered);
  EXPECT_EQ(webhooks_.requests().size(), 1u);
}

TEST_F(DeliveryPipelineTest, Worker_EmailBurstForOneIncident_IsOneMessageInOrder) {
  const Subscriber mail = AddSubscriber(SubscriberKind::kEmail, {});
  const std::string incident = OpenIncident("i1", "a");
  PostUpdate(incident, v1::IncidentStatus::IDENTIFIED, true, "Found the cause.");
  PostUpdate(incident, v1::IncidentStatus::RESOLVED, true, "All clear.");
  ASSERT_EQ(Dispatch(), 3);
  notify::DeliveryWorkers workers(store(), clock_, webhooks_, mail_, Options());
  EXPECT_EQ(Drain(workers), 3);
  const std::vector<FakeMail::Sent> sent = mail_.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].from, "status@example.com");
  EXPECT_EQ(sent[0].to, mail.address);
  EXPECT_THAT(sent[0].mime,
              HasSubstr("Subject: [Productsup] Issue with delta processing: Resolved"));
  EXPECT_THAT(sent[0].mime, HasSubstr("List-Unsubscribe: <https://status.example.com/unsubscribe?token=" +
                                      mail.unsubscribe_token + ">"));
  // Every post of the burst, in order, and the component by its name.
  const std::string text = TextPart(sent[0].mime);
  const size_t investigating = text.find("We are investigating.");
  const size_t found = text.find("Found the cause.");
  const size_t clear = text.find("All clear.");
  ASSERT_NE(investigating, std::string::npos) << text;
  ASSERT_NE(found, std::string::npos) << text;
  ASSERT_NE(clear, std::string::npos) << text;
  EXPECT_LT(investigating, found);
  EXPECT_LT(found, clear);
  EXPECT_THAT(text, HasSubstr("Component a"));
  for (const Delivery& d : Deliveries(mail.id)) {
    EXPECT_EQ(d.state, DeliveryState::kDelivered);
    EXPECT_EQ(d.attempts, 1);
  }
}

TEST_F(DeliveryPipelineTest, Worker_PendingEmail_GetsItsConfirmationMailOnly) {
  Subscriber pending = AddSubscriber(SubscriberKind::kEmail, {}, "",
                                     SubscriberState::kPendingConfirmation);
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    Delivery d;
    d.page_id = page_;
    d.subscriber_id = pending.id;
    d.event_seq = 0;
    d.state = DeliveryState::kPending;
    d.create_time = d.horizon_start = TruncateToMicros(clock_.Now());
    d.next_attempt_time = d.create_time;
    if (absl::Status s = tx.deliveries().InsertNew({d}).status(); !s.ok()) return s;
    return tx.subscribers().MarkDue(page_, {pending.id}, d.create_time);
  }));
  OpenIncident("i1", "a");
  EXPECT_EQ(Dispatch(), 0);  // not confirmed: hears nothing yet
  notify::DeliveryWorkers workers(store(), clock_, webhooks_, mail_, Options());
  EXPECT_EQ(Drain(workers), 1);
  const std::vector<FakeMail::Sent> sent = mail_.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_THAT(sent[0].mime, HasSubstr("Confirm your subscription"));
  EXPECT_EQ(Deliveries(pending.id)[0].state, DeliveryState::kDelivered);
}

TEST_F(DeliveryPipelineTest, Worker_EventPrunedBeforeSending_FailsThatDelivery) {
  const Subscriber hook = AddSubscriber(SubscriberKind::kWebhook, {});
  const std::string incident = OpenIncident("i1", "a");
  PostUpdate(incident, v1::IncidentStatus::RESOLVED, true);
  ASSERT_EQ(Dispatch(), 2);
  const int64_t first = Deliveries(hook.id)[0].event_seq;
  ASSERT_OK(db().Execute("DELETE FROM events WHERE page_id = '" + page_ +
                         "' AND seq = " + std::to_string(first)));
  notify::DeliveryWorkers workers(store(), clock_, webhooks_, mail_, Options());
  Drain(workers);
  std::vector<Delivery> list = Deliveries(hook.id);
  EXPECT_EQ(list[0].state, DeliveryState::kFailed);
  EXPECT_THAT(list[0].last_error, HasSubstr("no longer kept"));
  EXPECT_EQ(list[1].state, DeliveryState::kDelivered);
  EXPECT_EQ(webhooks_.requests().size(), 1u);
}

TEST_F(DeliveryPipelineTest, Worker_DeletedSubscriber_StopsCleanly) {
  const Subscriber hook = AddSubscriber(SubscriberKind::kWebhook, {});
  OpenIncident("i1", "a");
  ASSERT_EQ(Dispatch(), 1);
  ASSERT_OK(Write([&](Transaction& tx) {
    return tx.subscribers().Delete(page_, hook.id);
  }));
  notify::DeliveryWorkers workers(store(), clock_, webhooks_, mail_, Options());
  EXPECT_EQ(Drain(workers), 0);
  EXPECT_TRUE(webhooks_.requests().empty());
}

TEST_F(DeliveryPipelineTest, Reminder_OncePerStart_AndNotifies) {
  const Subscriber hook = AddSubscriber(SubscriberKind::kWebhook, {});
  v1::CreateIncidentRequest r;
  r.set_parent(PageName());
  r.set_incident_id("mw");
  r.mutable_incident()->set_title("Database upgrade");
  r.mutable_incident()->set_kind(v1::Incident::MAINTENANCE);
  r.mutable_incident()->add_components(Component("a"));
  *r.mutable_incident()->mutable_scheduled_start_time() =
      ToProtoTime(clock_.Now() + absl::Hours(3));
  *r.mutable_incident()->mutable_scheduled_end_time() =
      ToProtoTime(clock_.Now() + absl::Hours(4));
  r.mutable_first_update()->set_body("We will upgrade the database.");
  r.mutable_first_update()->set_status(v1::IncidentStatus::SCHEDULED);
  ASSERT_OK(incidents_->CreateIncident(r, kNoDeadline).status());
  Executor executor(1, 4, clock_);
  MaintenanceScheduler scheduler(store(), *incidents_, executor, clock_,
                                 absl::Hours(1), absl::Seconds(10),
                                 absl::Minutes(60));
  ASSERT_OK_AND_ASSIGN(int early, scheduler.RemindOnce(kNoDeadline));
  EXPECT_EQ(early, 0);
  clock_.Advance(absl::Hours(2) + absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(int due, scheduler.RemindOnce(kNoDeadline));
  EXPECT_EQ(due, 1);
  ASSERT_OK_AND_ASSIGN(int again, scheduler.RemindOnce(kNoDeadline));
  EXPECT_EQ(again, 0);
  Dispatch();
  std::vector<Delivery> list = Deliveries(hook.id);
  ASSERT_EQ(list.size(), 2u);  // scheduled, then starting soon
  EXPECT_EQ(list[1].event_type, EventType::kMaintenanceStartingSoon);
  executor.Shutdown();
}

}  // namespace
}  // namespace incidentd
