// The page's status as the API shows it, built in one place for
// GetPageStatus and for the snapshot that starts a watch, so the two can
// never disagree.
#ifndef INCIDENTD_SERVER_PAGE_STATUS_VIEW_H_
#define INCIDENTD_SERVER_PAGE_STATUS_VIEW_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "incidentd/v1/resources.pb.h"
#include "storage/model.h"
#include "storage/store.h"

namespace incidentd {

// Every component of the page, in display order (read in batches).
absl::StatusOr<std::vector<Component>> ReadAllComponents(
    storage::Transaction& tx, const std::string& page_id);

// The derived status (domain::ComputePageStatus) with the components, open
// incidents and running maintenance it was computed from. `open` is what
// IncidentRepository::ListOpen returned.
v1::PageStatus BuildPageStatus(const std::string& page_id,
                               const std::vector<Component>& components,
                               std::vector<Incident> open, absl::Time now);

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_PAGE_STATUS_VIEW_H_
