// The hook by which a committed change tells this replica's live streams to
// look at the event log now, instead of at the next poll.
#ifndef INCIDENTD_SERVER_EVENT_NOTIFIER_H_
#define INCIDENTD_SERVER_EVENT_NOTIFIER_H_

#include <initializer_list>
#include <string_view>
#include <vector>

namespace incidentd {

class EventNotifier {
 public:
  virtual ~EventNotifier() = default;
  // Called after a transaction that appended events to the page committed.
  // Must not block: it only wakes whoever fetches the events.
  virtual void PageChanged(std::string_view page_id) = 0;
};

// For code paths and tests with no live streams.
class NoopEventNotifier final : public EventNotifier {
 public:
  void PageChanged(std::string_view) override {}
};

// Tells several notifiers (the live streams' hub, the notification
// dispatcher) of every commit.
class TeeNotifier final : public EventNotifier {
 public:
  TeeNotifier(std::initializer_list<EventNotifier*> targets)
      : targets_(targets) {}
  void PageChanged(std::string_view page_id) override {
    for (EventNotifier* target : targets_) target->PageChanged(page_id);
  }

 private:
  const std::vector<EventNotifier*> targets_;
};

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_EVENT_NOTIFIER_H_
