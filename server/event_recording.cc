#include "server/event_recording.h"

#include <algorithm>
#include <optional>
#include <string>

#include "server/status_macros.h"

namespace incidentd {

absl::Status AppendEvents(storage::Transaction& tx,
                          std::vector<Event>& events) {
  std::stable_sort(
      events.begin(), events.end(),
      [](const Event& a, const Event& b) { return a.page_id < b.page_id; });
  for (Event& event : events) RETURN_IF_ERROR(tx.events().Append(event));
  return absl::OkStatus();
}

void AnnounceEvents(EventNotifier& notifier, const std::vector<Event>& events) {
  std::vector<const std::string*> pages;
  for (const Event& event : events) {
    const bool seen =
        std::any_of(pages.begin(), pages.end(),
                    [&](const std::string* p) { return *p == event.page_id; });
    if (!seen) pages.push_back(&event.page_id);
  }
  for (const std::string* page : pages) notifier.PageChanged(*page);
}

absl::Status ReadWriteRecorded(storage::Store& store, EventNotifier& notifier,
                               absl::Time deadline, RecordedChange fn) {
  std::vector<Event> events;
  RETURN_IF_ERROR(
      store.ReadWrite(deadline, [&](storage::Transaction& tx) -> absl::Status {
        events.clear();
        RETURN_IF_ERROR(fn(tx, events));
        return AppendEvents(tx, events);
      }));
  AnnounceEvents(notifier, events);
  return absl::OkStatus();
}

absl::Status ReadWriteIdempotentRecorded(storage::Store& store,
                                         EventNotifier& notifier,
                                         absl::Time deadline,
                                         const RequestKey& key, Replay replay,
                                         RecordedChange fn) {
  std::vector<Event> events;
  RETURN_IF_ERROR(ReadWriteIdempotent(
      store, deadline, key, [&](storage::Transaction& tx) -> absl::Status {
        events.clear();
        ASSIGN_OR_RETURN(std::optional<std::string> previous,
                         FindPreviousRequest(tx, key));
        if (previous.has_value()) return replay(tx, *previous);
        RETURN_IF_ERROR(fn(tx, events));
        return AppendEvents(tx, events);
      }));
  AnnounceEvents(notifier, events);
  return absl::OkStatus();
}

}  // namespace incidentd
