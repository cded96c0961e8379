#include "server/names.h"

#include <initializer_list>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_split.h"
#include "server/domain/validation.h"
#include "server/strings.h"

namespace incidentd {
namespace {

constexpr std::string_view kPages = "pages";
constexpr std::string_view kComponents = "components";
constexpr std::string_view kGroups = "componentGroups";
constexpr std::string_view kIncidents = "incidents";
constexpr std::string_view kUpdates = "updates";
constexpr std::string_view kPostmortem = "postmortem";
constexpr std::string_view kActions = "correctiveActions";
constexpr std::string_view kStatus = "status";

// Echoed names are cut short: they are user input and may be huge.
std::string Quote(std::string_view name) {
  constexpr size_t kMaxEcho = 120;
  if (name.size() > kMaxEcho) {
    return StrCat("\"", name.substr(0, kMaxEcho), "...\"");
  }
  return StrCat("\"", name, "\"");
}

// `pattern` lists the literal segments and "{...}" for ids; returns the
// ids in order.
absl::StatusOr<std::vector<std::string>> Match(
    std::string_view field, std::string_view name,
    std::initializer_list<std::string_view> pattern) {
  std::string expected;
  for (std::string_view part : pattern) {
    StrAppend(&expected, expected.empty() ? "" : "/", part);
  }
  if (name.empty()) {
    return absl::InvalidArgumentError(
        StrCat(field, ": required (", expected, ")"));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(ToAbsl(name), '/');
  auto mismatch = [&] {
    return absl::InvalidArgumentError(StrCat(field,
                                             ": expected a name of the form ",
                                             expected, ", got ", Quote(name)));
  };
  if (parts.size() != pattern.size()) return mismatch();
  std::vector<std::string> ids;
  size_t i = 0;
  for (std::string_view want : pattern) {
    const std::string_view got(parts[i].data(), parts[i].size());
    ++i;
    if (!want.empty() && want.front() == '{') {
      absl::Status valid = domain::ValidateId(
          StrCat(field, " (", want.substr(1, want.size() - 2), " id)"), got);
      if (!valid.ok()) return valid;
      ids.emplace_back(got);
    } else if (got != want) {
      return mismatch();
    }
  }
  return ids;
}

absl::StatusOr<PageChildName> MatchPageChild(std::string_view field,
                                             std::string_view name,
                                             std::string_view collection,
                                             std::string_view id_label) {
  absl::StatusOr<std::vector<std::string>> ids =
      Match(field, name, {kPages, "{page}", collection, id_label});
  if (!ids.ok()) return ids.status();
  return PageChildName{std::move((*ids)[0]), std::move((*ids)[1])};
}

absl::StatusOr<IncidentChildName> MatchIncidentChild(
    std::string_view field, std::string_view name, std::string_view collection,
    std::string_view id_label) {
  absl::StatusOr<std::vector<std::string>> ids =
      Match(field, name,
            {kPages, "{page}", kIncidents, "{incident}", collection, id_label});
  if (!ids.ok()) return ids.status();
  return IncidentChildName{std::move((*ids)[0]), std::move((*ids)[1]),
                           std::move((*ids)[2])};
}

absl::StatusOr<std::string> OnPage(std::string_view field,
                                   std::string_view name,
                                   absl::StatusOr<PageChildName> parsed,
                                   std::string_view page_id) {
  if (!parsed.ok()) return parsed.status();
  if (parsed->page_id != page_id) {
    return absl::InvalidArgumentError(
        StrCat(field, ": ", Quote(name), " is not on pages/", page_id));
  }
  return std::move(parsed->id);
}

}  // namespace

std::string PageName(std::string_view page_id) {
  return StrCat(kPages, "/", page_id);
}
std::string ComponentName(std::string_view page_id, std::string_view id) {
  return StrCat(kPages, "/", page_id, "/", kComponents, "/", id);
}
std::string GroupName(std::string_view page_id, std::string_view id) {
  return StrCat(kPages, "/", page_id, "/", kGroups, "/", id);
}
std::string IncidentName(std::string_view page_id, std::string_view id) {
  return StrCat(kPages, "/", page_id, "/", kIncidents, "/", id);
}
std::string UpdateName(std::string_view page_id, std::string_view incident_id,
                       std::string_view id) {
  return StrCat(IncidentName(page_id, incident_id), "/", kUpdates, "/", id);
}
std::string PostmortemName(std::string_view page_id,
                           std::string_view incident_id) {
  return StrCat(IncidentName(page_id, incident_id), "/", kPostmortem);
}
std::string CorrectiveActionName(std::string_view page_id,
                                 std::string_view incident_id,
                                 std::string_view id) {
  return StrCat(IncidentName(page_id, incident_id), "/", kActions, "/", id);
}
std::string PageStatusName(std::string_view page_id) {
  return StrCat(PageName(page_id), "/", kStatus);
}

absl::StatusOr<std::string> ParsePageName(std::string_view field,
                                          std::string_view name) {
  absl::StatusOr<std::vector<std::string>> ids =
      Match(field, name, {kPages, "{page}"});
  if (!ids.ok()) return ids.status();
  return std::move((*ids)[0]);
}

absl::StatusOr<PageChildName> ParseComponentName(std::string_view field,
                                                 std::string_view name) {
  return MatchPageChild(field, name, kComponents, "{component}");
}

absl::StatusOr<PageChildName> ParseGroupName(std::string_view field,
                                             std::string_view name) {
  return MatchPageChild(field, name, kGroups, "{group}");
}

absl::StatusOr<PageChildName> ParseIncidentName(std::string_view field,
                                                std::string_view name) {
  return MatchPageChild(field, name, kIncidents, "{incident}");
}

absl::StatusOr<IncidentChildName> ParseUpdateName(std::string_view field,
                                                  std::string_view name) {
  return MatchIncidentChild(field, name, kUpdates, "{update}");
}

absl::StatusOr<PageChildName> ParsePostmortemName(std::string_view field,
                                                  std::string_view name) {
  absl::StatusOr<std::vector<std::string>> ids = Match(
      field, name, {kPages, "{page}", kIncidents, "{incident}", kPostmortem});
  if (!ids.ok()) return ids.status();
  return PageChildName{std::move((*ids)[0]), std::move((*ids)[1])};
}

absl::StatusOr<IncidentChildName> ParseCorrectiveActionName(
    std::string_view field, std::string_view name) {
  return MatchIncidentChild(field, name, kActions, "{action}");
}

absl::StatusOr<std::string> ParsePageStatusName(std::string_view field,
                                                std::string_view name) {
  absl::StatusOr<std::vector<std::string>> ids =
      Match(field, name, {kPages, "{page}", kStatus});
  if (ids.ok()) return std::move((*ids)[0]);
  // The page's own name is accepted too, for convenience at the command
  // line; any other shape reports the canonical form.
  absl::StatusOr<std::string> page = ParsePageName(field, name);
  if (page.ok()) return page;
  return ids.status();
}

absl::StatusOr<std::string> ParseComponentNameOnPage(std::string_view field,
                                                     std::string_view name,
                                                     std::string_view page_id) {
  return OnPage(field, name, ParseComponentName(field, name), page_id);
}

absl::StatusOr<std::string> ParseGroupNameOnPage(std::string_view field,
                                                 std::string_view name,
                                                 std::string_view page_id) {
  return OnPage(field, name, ParseGroupName(field, name), page_id);
}

std::string NewResourceId() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local absl::BitGen gen;
  std::string id(20, 'a');
  for (char& c : id) c = kAlphabet[absl::Uniform<size_t>(gen, 0, 36)];
  return id;
}

}  // namespace incidentd
