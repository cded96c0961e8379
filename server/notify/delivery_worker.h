// The delivery workers: threads on every replica that send the recorded
// deliveries. A worker leases one subscriber at a time
// (SubscriberRepository::ClaimDue, FOR UPDATE SKIP LOCKED), so that per
// subscriber notifications go out in event order, head of line first, and
// no two workers send to the same subscriber at once. A worker that dies
// leaves its lease to expire; another then takes the subscriber over and
// sends what was not recorded as sent (a receiver may see that one
// notification twice, with the same event id; never none).
//
// Per attempt: success -> DELIVERED; failure -> RETRYING with exponential
// backoff and jitter, FAILED past the retry horizon (domain::RetryPolicy).
// A subscriber whose attempts keep failing is QUARANTINED
// (domain::QuarantinePolicy) and not attempted until reactivated. Email
// notifications about one incident that are due together go out as one
// message (nothing is dropped: it carries each, in order).
#ifndef INCIDENTD_SERVER_NOTIFY_DELIVERY_WORKER_H_
#define INCIDENTD_SERVER_NOTIFY_DELIVERY_WORKER_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/clock.h"
#include "server/domain/subscriptions.h"
#include "server/notify/delivery_signal.h"
#include "server/notify/transport.h"
#include "storage/store.h"

namespace incidentd::notify {

struct DeliveryOptions {
  int workers = 4;  // threads; 0: this replica sends nothing
  // How often an idle worker looks for due deliveries written elsewhere
  // (this replica's own wake it at once).
  absl::Duration poll_interval = absl::Seconds(1);
  // How long a claimed subscriber stays leased. A worker stops taking new
  // deliveries of it after half of this, so the lease outlives any attempt
  // (each bounded by the transport's timeout).
  absl::Duration lease = absl::Seconds(60);
  domain::RetryPolicy retry;
  domain::QuarantinePolicy quarantine;
  // The mail's From header, e.g. "Status <status@example.com>"; the
  // envelope sender is the address inside the angle brackets.
  std::string mail_from = "incidentd <incidentd@localhost>";
  // Where the confirm and unsubscribe links point: <base>/confirm?token=...
  // and <base>/unsubscribe?token=...; "" to use the page's URL.
  std::string public_url;
  // This replica, as lease owner; unique per process.
  std::string owner;
};

class DeliveryWorkers final : public DeliverySignal {
 public:
  DeliveryWorkers(storage::Store& store, const Clock& clock,
                  WebhookTransport& webhooks, MailTransport& mail,
                  DeliveryOptions options);
  ~DeliveryWorkers() override;

  void Start();
  // Lets attempts in flight finish (each bounded by its transport's
  // timeout), then joins; idempotent.
  void Stop();

  // New deliveries are due: idle workers look now.
  void Wake() override;

  // One round on the calling thread: claims at most one due subscriber and
  // sends what is due for it; returns how many deliveries were attempted
  // (0: nothing was due).
  absl::StatusOr<int> RunOnce();

 private:
  struct Unit;  // deliveries sent as one message
  absl::StatusOr<int> Serve(const Subscriber& claimed, absl::Time lease_end);
  void Loop();
  double Draw();

  storage::Store& store_;
  const Clock& clock_;
  WebhookTransport& webhooks_;
  MailTransport& mail_;
  const DeliveryOptions options_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t wakes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Mutex random_mu_;
  absl::BitGen random_ ABSL_GUARDED_BY(random_mu_);
  std::vector<std::thread> threads_;
};

// A lease owner name for this process: host, pid and a random suffix.
std::string NewLeaseOwner();

}  // namespace incidentd::notify

#endif  // INCIDENTD_SERVER_NOTIFY_DELIVERY_WORKER_H_
