// The hook by which a change that made deliveries due (a subscription's
// confirmation mail, a redelivery, a reactivation, the dispatcher's new
// deliveries) wakes this replica's delivery workers, instead of leaving them
// to find it at their next poll.
#ifndef INCIDENTD_SERVER_NOTIFY_DELIVERY_SIGNAL_H_
#define INCIDENTD_SERVER_NOTIFY_DELIVERY_SIGNAL_H_

namespace incidentd::notify {

class DeliverySignal {
 public:
  virtual ~DeliverySignal() = default;
  // Called after the commit. Must not block.
  virtual void Wake() = 0;
};

class NoopDeliverySignal final : public DeliverySignal {
 public:
  void Wake() override {}
};

}  // namespace incidentd::notify

#endif  // INCIDENTD_SERVER_NOTIFY_DELIVERY_SIGNAL_H_
