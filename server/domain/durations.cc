#include "server/domain/durations.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/domain/incident_rules.h"

namespace incidentd::domain {
namespace {

void AddTime(std::vector<std::pair<IncidentStatus, absl::Duration>>& spans,
             IncidentStatus status, absl::Duration d) {
  for (auto& span : spans) {
    if (span.first == status) {
      span.second += d;
      return;
    }
  }
  spans.emplace_back(status, d);
}

}  // namespace

IncidentDurations ComputeDurations(const Incident& incident,
                                   const std::vector<IncidentUpdate>& updates,
                                   absl::Time now) {
  IncidentDurations result;
  if (incident.impact_start_time.has_value() &&
      incident.impact_end_time.has_value() &&
      *incident.impact_end_time >= *incident.impact_start_time) {
    result.impact_duration =
        *incident.impact_end_time - *incident.impact_start_time;
  }
  if (updates.empty()) return result;

  // Display order, as the timeline is shown; pointers avoid copying bodies.
  std::vector<const IncidentUpdate*> ordered;
  ordered.reserve(updates.size());
  for (const IncidentUpdate& u : updates) ordered.push_back(&u);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const IncidentUpdate* a, const IncidentUpdate* b) {
                     if (a->display_time != b->display_time) {
                       return a->display_time < b->display_time;
                     }
                     return a->seq < b->seq;
                   });

  // The status after each post. A first post without a status opened the
  // incident in its default status, as the service does on creation.
  std::vector<IncidentStatus> after(ordered.size());
  IncidentStatus status = DefaultFirstStatus(incident.kind);
  for (size_t i = 0; i < ordered.size(); ++i) {
    status = after[i] = ResultingStatus(status, ordered[i]->status);
  }
  // Where the final closed run starts (the post that resolved it for good);
  // ordered.size() while open. Time from there on has no end, so it is not
  // counted; a resolved spell that a reopen ended is.
  size_t end = ordered.size();
  while (end > 0 && !IsOpen(after[end - 1])) --end;
  if (end < ordered.size()) {
    result.time_to_resolve =
        ordered[end]->display_time - ordered.front()->display_time;
  }
  for (size_t i = 0; i < end; ++i) {
    if (i + 1 < ordered.size()) {
      AddTime(result.time_in_status, after[i],
              ordered[i + 1]->display_time - ordered[i]->display_time);
    } else {
      // Still open: the current status counts up to now (never negative,
      // should a display time lie in the future).
      AddTime(result.time_in_status, after[i],
              std::max(absl::ZeroDuration(), now - ordered[i]->display_time));
    }
  }
  return result;
}

std::string HumanDuration(absl::Duration d) {
  if (d < absl::ZeroDuration())
    return absl::StrCat("-", domain::HumanDuration(-d));
  const int64_t total = absl::ToInt64Seconds(d);
  const int64_t parts[] = {total / 86400, total % 86400 / 3600,
                           total % 3600 / 60, total % 60};
  const char* const units[] = {"d", "h", "m", "s"};
  // The largest unit and the next one, when not zero: precise enough for a
  // person and short enough for a table cell.
  for (int i = 0; i < 4; ++i) {
    if (parts[i] == 0) continue;
    std::string out = absl::StrCat(parts[i], units[i]);
    if (i + 1 < 4 && parts[i + 1] != 0) {
      absl::StrAppend(&out, parts[i + 1], units[i + 1]);
    }
    return out;
  }
  return "0s";
}

}  // namespace incidentd::domain
