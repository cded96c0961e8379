#include "server/page_status_view.h"

#include <optional>
#include <utility>

#include "server/converters.h"
#include "server/domain/page_status.h"
#include "server/status_macros.h"

namespace incidentd {

absl::StatusOr<std::vector<Component>> ReadAllComponents(
    storage::Transaction& tx, const std::string& page_id) {
  constexpr int kBatch = 1000;
  std::vector<Component> all;
  std::optional<storage::ComponentCursor> after;
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<Component> batch,
                     tx.components().List(page_id, "", after, kBatch));
    for (Component& c : batch) all.push_back(std::move(c));
    if (static_cast<int>(batch.size()) < kBatch) return all;
    after = storage::ComponentCursor{all.back().position, all.back().id};
  }
}

v1::PageStatus BuildPageStatus(const std::string& page_id,
                               const std::vector<Component>& components,
                               std::vector<Incident> open, absl::Time now) {
  const domain::PageStatusSummary summary =
      domain::ComputePageStatus(components, open);
  std::vector<Incident> incidents;
  std::vector<Incident> maintenance;
  for (Incident& i : open) {
    if (i.kind == IncidentKind::kIncident) {
      incidents.push_back(std::move(i));
    } else if (i.status == IncidentStatus::kInProgress ||
               i.status == IncidentStatus::kVerifying) {
      maintenance.push_back(std::move(i));
    }
  }
  return ToProto(page_id, summary, components, incidents, maintenance, now);
}

}  // namespace incidentd
