// Figures computed from an incident's timeline: time to resolve, the
// customer impact window, and the time spent in each status.
#ifndef INCIDENTD_SERVER_DOMAIN_DURATIONS_H_
#define INCIDENTD_SERVER_DOMAIN_DURATIONS_H_

#include <optional>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "storage/model.h"

namespace incidentd::domain {

struct IncidentDurations {
  // First update's display time to the resolving (or completing/cancelling)
  // one's; unset while open.
  std::optional<absl::Duration> time_to_resolve;
  // impact_end_time - impact_start_time when both set and end >= start.
  std::optional<absl::Duration> impact_duration;
  // Per status, in the order first entered; an open incident's current
  // status counts up to `now`. Updates are taken in display order
  // (display_time, then seq); "Update" posts keep the status.
  std::vector<std::pair<IncidentStatus, absl::Duration>> time_in_status;
};

// `updates` in any order.
IncidentDurations ComputeDurations(const Incident& incident,
                                   const std::vector<IncidentUpdate>& updates,
                                   absl::Time now);

// Human form for logs and incidentctl: "2h30m", "45m", "3d4h", "12s".
std::string HumanDuration(absl::Duration d);

}  // namespace incidentd::domain

#endif  // INCIDENTD_SERVER_DOMAIN_DURATIONS_H_
