// Resource names from the short forms that incidentctl arguments and apply
// files accept. Short forms only ever drop the fixed collection words:
//   page        ID                      or pages/ID
//   component   PAGE/ID                 or pages/PAGE/components/ID
//   group       PAGE/ID                 or pages/PAGE/componentGroups/ID
//   incident    PAGE/ID                 or pages/PAGE/incidents/ID
// Whether an id is valid is the server's to say; these only reject shapes
// that cannot be a name of the wanted kind (INVALID_ARGUMENT).
#ifndef INCIDENTD_CLIENT_NAMES_H_
#define INCIDENTD_CLIENT_NAMES_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace incidentd::client {

inline constexpr absl::string_view kComponents = "components";
inline constexpr absl::string_view kComponentGroups = "componentGroups";
inline constexpr absl::string_view kIncidents = "incidents";

// "productsup" or "pages/productsup" -> "pages/productsup".
absl::StatusOr<std::string> ExpandPageName(absl::string_view arg);
// "PAGE/ID" or "pages/PAGE/<collection>/ID" -> the full name.
absl::StatusOr<std::string> ExpandChildName(absl::string_view arg,
                                            absl::string_view collection);

// For apply files, where everything belongs to one page: a bare id
// ("data-processing") becomes "<page_name>/<collection>/data-processing"; a
// value containing '/' is taken to be a full name already and kept.
std::string ChildOfPage(absl::string_view page_name,
                        absl::string_view collection, absl::string_view id);

// "pages/p/incidents/i" -> "pages/p/incidents/i/postmortem".
std::string PostmortemName(absl::string_view incident_name);

}  // namespace incidentd::client

#endif  // INCIDENTD_CLIENT_NAMES_H_
