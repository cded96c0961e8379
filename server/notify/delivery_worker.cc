#include "server/notify/delivery_worker.h"

#include <unistd.h>

#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_format.h"
#include "server/converters.h"
#include "server/event_encoding.h"
#include "server/logging.h"
#include "server/names.h"
#include "server/notify/messages.h"
#include "server/status_macros.h"
#include "server/strings.h"

namespace incidentd::notify {
namespace {

using storage::Lock;
using storage::Transaction;

// Deliveries read per look at a subscriber's queue, and at most this many
// email notifications of one incident in one message.
constexpr int kQueueWindow = 20;
constexpr int kMaxCoalesced = 10;
// Components read for their display names; beyond, mails show ids.
constexpr int kMaxNamedComponents = 1000;
// Each storage step of a worker; a database slower than this is down.
// Deadlines are real time (the store's), not the clock's domain time.
constexpr absl::Duration kStorageDeadline = absl::Seconds(10);
absl::Time StorageDeadline() { return absl::Now() + kStorageDeadline; }
constexpr char kEventGone[] = "event no longer kept (retention)";

std::string LinkBase(const std::string& public_url, const Page& page) {
  std::string base = public_url.empty() ? page.url : public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

std::string Link(const std::string& base, std::string_view action,
                 const std::string& token) {
  if (base.empty()) return "";
  return StrCat(base, "/", action, "?token=", token);
}

}  // namespace

// Deliveries that go out as one message, with what renders them.
struct DeliveryWorkers::Unit {
  std::vector<Delivery> deliveries;
  std::vector<MailItem> items;  // one per delivery, same order
};

std::string NewLeaseOwner() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  absl::BitGen gen;
  return absl::StrFormat("%s:%d:%08x", host, static_cast<int>(getpid()),
                         absl::Uniform<uint32_t>(gen));
}

DeliveryWorkers::DeliveryWorkers(storage::Store& store, const Clock& clock,
                                 WebhookTransport& webhooks, MailTransport& mail,
                                 DeliveryOptions options)
    : store_(store),
      clock_(clock),
      webhooks_(webhooks),
      mail_(mail),
      options_(std::move(options)) {}

DeliveryWorkers::~DeliveryWorkers() { Stop(); }

void DeliveryWorkers::Start() {
  absl::MutexLock lock(&mu_);
  if (!threads_.empty() || stopping_) return;
  for (int i = 0; i < options_.workers; ++i) {
    threads_.emplace_back([this] { Loop(); });
  }
}

void DeliveryWorkers::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void DeliveryWorkers::Wake() {
  absl::MutexLock lock(&mu_);
  ++wakes_;
}

double DeliveryWorkers::Draw() {
  absl::MutexLock lock(&random_mu_);
  return absl::Uniform<double>(random_, 0.0, 1.0);
}

void DeliveryWorkers::Loop() {
  FailureEdgeLog failures("notify", "delivery");
  while (true) {
    int64_t seen;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      seen = wakes_;
    }
    absl::StatusOr<int> attempted = RunOnce();
    failures.Record(attempted.status());
    if (attempted.ok() && *attempted > 0) continue;  // more may be due
    absl::MutexLock lock(&mu_);
    auto ready = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || wakes_ != seen;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), options_.poll_interval);
  }
}

absl::StatusOr<int> DeliveryWorkers::RunOnce() {
  const absl::Time now = TruncateToMicros(clock_.Now());
  const absl::Time lease_end = now + options_.lease;
  std::vector<Subscriber> claimed;
  RETURN_IF_ERROR(store_.ReadWrite(
      StorageDeadline(), [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(claimed, tx.subscribers().ClaimDue(
                                      now, options_.owner, lease_end, 1));
        return absl::OkStatus();
      }));
  if (claimed.empty()) return 0;
  return Serve(claimed.front(), lease_end);
}

absl::StatusOr<int> DeliveryWorkers::Serve(const Subscriber& claimed,
                                           absl::Time lease_end) {
  const std::string& page_id = claimed.page_id;
  const std::string& sub_id = claimed.id;
  // Stop taking new work while half the lease is left: the lease must
  // outlive the last attempt, or another worker could start the same one.
  const absl::Time stop_at = lease_end - options_.lease / 2;
  Subscriber sub = claimed;
  int attempted = 0;
  bool gone = false;

  while (!gone && clock_.Now() < stop_at) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    // The queue head and what renders it.
    Page page;
    std::map<std::string, std::string> component_names;
    Unit unit;
    std::vector<Delivery> lost;  // their events were pruned
    bool not_yet_due = false;
    const absl::Time now = TruncateToMicros(clock_.Now());
    absl::Status read = store_.ReadOnly(
        StorageDeadline(), [&](Transaction& tx) -> absl::Status {
          unit = Unit();
          lost.clear();
          not_yet_due = false;
          ASSIGN_OR_RETURN(std::vector<Delivery> open,
                           tx.deliveries().ListOpen(page_id, sub_id,
                                                    kQueueWindow));
          if (open.empty()) return absl::OkStatus();
          if (open.front().next_attempt_time.has_value() &&
              *open.front().next_attempt_time > now) {
            not_yet_due = true;
            return absl::OkStatus();
          }
          ASSIGN_OR_RETURN(page, tx.pages().Get(page_id, Lock::kNone));
          if (sub.kind == SubscriberKind::kEmail) {
            // Mails name affected components by display name.
            component_names.clear();
            ASSIGN_OR_RETURN(std::vector<Component> components,
                             tx.components().List(page_id, "", std::nullopt,
                                                  kMaxNamedComponents));
            for (const Component& c : components) {
              component_names[ComponentName(page_id, c.id)] = c.display_name;
            }
          }
          for (const Delivery& d : open) {
            if (!unit.deliveries.empty()) {
              // Coalesce only email about the head's incident that is
              // already due, never a confirmation mail.
              const Delivery& first = unit.deliveries.front();
              if (sub.kind != SubscriberKind::kEmail || d.event_seq == 0 ||
                  first.event_seq == 0 || first.incident_id.empty() ||
                  d.incident_id != first.incident_id ||
                  (d.next_attempt_time.has_value() &&
                   *d.next_attempt_time > now) ||
                  static_cast<int>(unit.deliveries.size()) >= kMaxCoalesced) {
                break;
              }
            }
            if (d.event_seq == 0) {  // the confirmation mail
              unit.deliveries.push_back(d);
              unit.items.emplace_back();
              break;
            }
            absl::StatusOr<Event> event = tx.events().Get(page_id, d.event_seq);
            if (absl::IsNotFound(event.status())) {
              lost.push_back(d);
              break;
            }
            RETURN_IF_ERROR(event.status());
            MailItem item;
            ASSIGN_OR_RETURN(item.event, DecodeEvent(*event));
            if (!d.incident_id.empty()) {
              absl::StatusOr<Incident> incident =
                  tx.incidents().Get(page_id, d.incident_id, Lock::kNone);
              if (incident.ok()) {
                item.incident = ToProto(*incident);
              } else if (!absl::IsNotFound(incident.status())) {
                return incident.status();
              }
            }
            unit.deliveries.push_back(d);
            unit.items.push_back(std::move(item));
            if (sub.kind != SubscriberKind::kEmail) break;  // one per POST
          }
          return absl::OkStatus();
        });
    RETURN_IF_ERROR(read);
    if (not_yet_due || (unit.deliveries.empty() && lost.empty())) break;

    // Send.
    absl::Status sent = absl::OkStatus();
    const absl::Time attempt_time = TruncateToMicros(clock_.Now());
    if (!unit.deliveries.empty()) {
      const Delivery& head = unit.deliveries.front();
      if (sub.kind == SubscriberKind::kWebhook) {
        v1::WebhookNotification n;
        n.set_id(EventId(page_id, head.event_seq));
        n.set_page_display_name(page.display_name);
        *n.mutable_event() = unit.items.front().event;
        if (unit.items.front().incident.has_value()) {
          *n.mutable_incident() = *unit.items.front().incident;
        }
        sent = webhooks_.Post(BuildWebhookRequest(sub.address,
                                                  sub.signing_secret, n,
                                                  head.attempts + 1,
                                                  attempt_time));
      } else {
        const std::string base = LinkBase(options_.public_url, page);
        Mail mail;
        if (head.event_seq == 0) {
          mail = RenderConfirmationMail(
              page.display_name, options_.mail_from, sub.address,
              Link(base, "confirm", sub.confirmation_token),
              sub.confirmation_token);
        } else {
          MailContext context;
          context.page_display_name = page.display_name;
          context.page_url = page.url;
          context.component_display_names = std::move(component_names);
          context.unsubscribe_url =
              Link(base, "unsubscribe", sub.unsubscribe_token);
          context.unsubscribe_token = sub.unsubscribe_token;
          mail = RenderNotificationMail(context, options_.mail_from,
                                        sub.address, unit.items);
        }
        const std::string message_id =
            absl::StrFormat("<%s.%s.%d.%d@incidentd>", page_id, sub_id,
                            head.event_seq, head.attempts + 1);
        sent = mail_.Send(EnvelopeAddress(options_.mail_from), sub.address,
                          ToMime(mail, attempt_time, message_id));
      }
      attempted += static_cast<int>(unit.deliveries.size());
    }

    // Record.
    bool quarantined = false;
    absl::Status recorded = store_.ReadWrite(
        StorageDeadline(),
        [&](Transaction& tx) -> absl::Status {
          quarantined = false;
          absl::StatusOr<Subscriber> locked =
              tx.subscribers().Get(page_id, sub_id, Lock::kForUpdate);
          if (absl::IsNotFound(locked.status())) {
            gone = true;  // deleted or unsubscribed meanwhile
            return absl::OkStatus();
          }
          RETURN_IF_ERROR(locked.status());
          Subscriber s = *std::move(locked);
          for (Delivery d : lost) {
            d.state = DeliveryState::kFailed;
            d.last_error = kEventGone;
            d.next_attempt_time.reset();
            absl::Status u = tx.deliveries().Update(d);
            if (!u.ok() && !absl::IsNotFound(u)) return u;
          }
          if (unit.deliveries.empty()) {
            sub = s;
            return absl::OkStatus();
          }
          for (Delivery d : unit.deliveries) {
            ++d.attempts;
            d.last_attempt_time = attempt_time;
            if (sent.ok()) {
              d.state = DeliveryState::kDelivered;
              d.deliver_time = attempt_time;
              d.next_attempt_time.reset();
              d.last_error.clear();
            } else {
              d.last_error = std::string(sent.message());
              d.next_attempt_time = domain::NextAttemptTime(
                  options_.retry, d.horizon_start, attempt_time, d.attempts,
                  Draw());
              if (d.next_attempt_time.has_value()) {
                d.next_attempt_time = TruncateToMicros(*d.next_attempt_time);
              }
              d.state = d.next_attempt_time.has_value()
                            ? DeliveryState::kRetrying
                            : DeliveryState::kFailed;
            }
            absl::Status u = tx.deliveries().Update(d);
            if (!u.ok() && !absl::IsNotFound(u)) return u;
          }
          if (sent.ok()) {
            s.consecutive_failures = 0;
            s.failing_since.reset();
          } else {
            ++s.consecutive_failures;
            if (!s.failing_since.has_value()) s.failing_since = attempt_time;
            if (s.state == SubscriberState::kActive &&
                domain::ShouldQuarantine(options_.quarantine,
                                         s.consecutive_failures,
                                         *s.failing_since, attempt_time)) {
              s.state = SubscriberState::kQuarantined;
              s.state_reason = domain::QuarantineReason(
                  s.consecutive_failures, attempt_time - *s.failing_since,
                  std::string(sent.message()));
              s.update_time = attempt_time;
              ++s.version;
              RETURN_IF_ERROR(tx.subscribers().Update(s));
              quarantined = true;
            }
          }
          sub = s;
          return absl::OkStatus();
        });
    RETURN_IF_ERROR(recorded);
    if (quarantined) {
      LogWarn("notify", PageName(page_id), "/subscribers/", sub_id,
              " quarantined: ", sub.state_reason);
    }
    // Head of line: after a failure the rest of the queue waits for the
    // retry, so notifications never overtake one another.
    if (!sent.ok() || quarantined) break;
  }

  if (gone) return attempted;
  // Hand the subscriber back, due when its queue head is.
  absl::Status released = store_.ReadWrite(
      StorageDeadline(), [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::vector<Delivery> open,
                         tx.deliveries().ListOpen(page_id, sub_id, 1));
        storage::SubscriberRepository::LeaseEnd end;
        end.consecutive_failures = sub.consecutive_failures;
        end.failing_since = sub.failing_since;
        if (!open.empty()) {
          end.next_due = open.front().next_attempt_time.value_or(
              TruncateToMicros(clock_.Now()));
        }
        return tx.subscribers().ReleaseLease(page_id, sub_id, options_.owner,
                                             end);
      });
  if (absl::IsFailedPrecondition(released) || absl::IsNotFound(released)) {
    // The lease expired and another worker has the subscriber, or it was
    // deleted: nothing of ours to hand back.
    return attempted;
  }
  RETURN_IF_ERROR(released);
  return attempted;
}

}  // namespace incidentd::notify
