// The data the write benchmarks post to, and what one post carries. Both
// databases (incidentd's and the raw SQL replay's) are filled through
// incidentd's own API, so that they are prepared the same way.
#ifndef INCIDENTD_BENCH_WRITE_FIXTURE_H_
#define INCIDENTD_BENCH_WRITE_FIXTURE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace incidentd::bench::write {

// What every benchmark post says: a status-keeping "Update" of a realistic
// length (the seed reports' updates run 100 to 600 bytes), with an author
// and notify on, as an on-call tool would post it.
inline constexpr char kPostBody[] =
    "We have identified elevated error rates on the public API caused by a "
    "saturated connection pool on one of the database replicas. Traffic is "
    "being moved to the healthy replicas and error rates are decreasing. We "
    "will post another update within 30 minutes or as soon as we know more.";
inline constexpr char kPostAuthor[] = "Platform On-Call";
// The component every fixture incident affects, and the page's zone.
inline constexpr char kComponentId[] = "api";
inline constexpr char kTimeZone[] = "Europe/Berlin";

// `own_pages` pages "p00", "p01"... with one open incident "inc" each (one
// per client: posts to different incidents on different pages share no
// row lock), and one page "shared" with `shared_incidents` incidents
// "inc00"... (posts to different incidents of one page still serialise on
// the page's event sequence row). Every incident affects kComponentId.
struct Layout {
  int own_pages = 64;
  int shared_incidents = 16;
};

// Resource names of incidents, for requests ("pages/p00/incidents/inc").
std::string OwnPageId(int index);
std::string OwnIncidentName(int index);
std::string SharedIncidentName(int index);
inline constexpr char kSharedPageId[] = "shared";

// Creates the layout on the incidentd at `address` (its database empty).
absl::Status Populate(const std::string& address, const Layout& layout);

}  // namespace incidentd::bench::write

#endif  // INCIDENTD_BENCH_WRITE_FIXTURE_H_
