#include "client/names.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace incidentd::client {
namespace {

bool HasEmptySegment(const std::vector<absl::string_view>& parts) {
  for (absl::string_view part : parts) {
    if (part.empty()) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::string> ExpandPageName(absl::string_view arg) {
  std::vector<absl::string_view> parts = absl::StrSplit(arg, '/');
  if (parts.size() == 1 && !HasEmptySegment(parts)) {
    return absl::StrCat("pages/", arg);
  }
  if (parts.size() == 2 && parts[0] == "pages" && !HasEmptySegment(parts)) {
    return std::string(arg);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", arg, "\" is not a page: expected ID or pages/ID"));
}

absl::StatusOr<std::string> ExpandChildName(absl::string_view arg,
                                            absl::string_view collection) {
  std::vector<absl::string_view> parts = absl::StrSplit(arg, '/');
  if (!HasEmptySegment(parts)) {
    if (parts.size() == 2 && parts[0] != "pages") {
      return absl::StrCat("pages/", parts[0], "/", collection, "/", parts[1]);
    }
    if (parts.size() == 4 && parts[0] == "pages" && parts[2] == collection) {
      return std::string(arg);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", arg, "\" is not one of the ", collection,
                   ": expected PAGE/ID or pages/PAGE/", collection, "/ID"));
}

std::string ChildOfPage(absl::string_view page_name,
                        absl::string_view collection, absl::string_view id) {
  if (id.empty() || id.find('/') != absl::string_view::npos) {
    return std::string(id);
  }
  return absl::StrCat(page_name, "/", collection, "/", id);
}

std::string PostmortemName(absl::string_view incident_name) {
  return absl::StrCat(incident_name, "/postmortem");
}

}  // namespace incidentd::client
