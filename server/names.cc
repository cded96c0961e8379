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
constexpr std::string_view kSubscribers = "subscribers";
constexpr std::string_view kDeliveries = "deliveries";
constexpr std::string_view kEvents = "events";
// The subscriber id that stands for every subscriber of a page (AIP-159).
constexpr std::string_view kAnySubscriber = "-";

// Echoed names are cut short: they are user input and may be huge.
std::string Quote(std::string_view name) {
  constexpr size_t kMaxEcho = 120;
  if (name.size() > kMaxEcho) {
    return StrCat("\"", name.substr(0, kMaxEcho), "...\"");
  }
  return StrCat("\"", name, "\"");
}

// A sequence number segment: decimal digits only, no sign, no leading zero
// (so that every number has one name), within int64.
bool IsSequence(std::string_view s) {
  if (s.empty() || s.size() > 19) return false;
  if (s.size() > 1 && s.front() == '0') return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  // 19 digits may still overflow int64.
  return s.size() < 19 || s <= "9223372036854775807";
}

int64_t SequenceValue(std::string_view s) {
  int64_t value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return value;
}

// `pattern` lists the literal segments, "{...}" for ids and "{#...}" for
// sequence numbers; returns the ids and numbers in order.
// `expected_override`, when given, replaces the pattern in the message for
// a name of the wrong shape.
absl::StatusOr<std::vector<std::string>> Match(
    std::string_view field, std::string_view name,
    std::initializer_list<std::string_view> pattern,
    std::string_view expected_override = {}) {
  std::string expected;
  for (std::string_view part : pattern) {
    if (part.size() > 2 && part.substr(0, 2) == "{#") {
      StrAppend(&expected, expected.empty() ? "" : "/", "{", part.substr(2));
    } else {
      StrAppend(&expected, expected.empty() ? "" : "/", part);
    }
  }
  if (!expected_override.empty()) expected = std::string(expected_override);
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
    if (want.size() > 2 && want.substr(0, 2) == "{#") {
      if (!IsSequence(got)) {
        return absl::InvalidArgumentError(
            StrCat(field, " (", want.substr(2, want.size() - 3),
                   "): must be a decimal number from 0 to 9223372036854775807 "
                   "without sign or leading zeros, got ",
                   Quote(got)));
      }
      ids.emplace_back(got);
    } else if (!want.empty() && want.front() == '{') {
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
std::string SubscriberName(std::string_view page_id, std::string_view id) {
  return StrCat(kPages, "/", page_id, "/", kSubscribers, "/", id);
}
std::string DeliveryName(std::string_view page_id,
                         std::string_view subscriber_id, int64_t event_seq) {
  return StrCat(SubscriberName(page_id, subscriber_id), "/", kDeliveries, "/",
                event_seq);
}
std::string EventName(std::string_view page_id, int64_t seq) {
  return StrCat(PageName(page_id), "/", kEvents, "/", seq);
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

absl::StatusOr<PageChildName> ParseSubscriberName(std::string_view field,
                                                  std::string_view name) {
  return MatchPageChild(field, name, kSubscribers, "{subscriber}");
}

absl::StatusOr<DeliveryResourceName> ParseDeliveryName(std::string_view field,
                                                       std::string_view name) {
  absl::StatusOr<std::vector<std::string>> ids =
      Match(field, name,
            {kPages, "{page}", kSubscribers, "{subscriber}", kDeliveries,
             "{#event sequence}"});
  if (!ids.ok()) return ids.status();
  return DeliveryResourceName{std::move((*ids)[0]), std::move((*ids)[1]),
                              SequenceValue((*ids)[2])};
}

absl::StatusOr<DeliveriesParent> ParseDeliveriesParent(std::string_view field,
                                                       std::string_view name) {
  constexpr std::string_view kExpected =
      "pages/{page}/subscribers/{subscriber} (or pages/{page}/subscribers/- "
      "for every subscriber)";
  absl::StatusOr<std::vector<std::string>> any = Match(
      field, name, {kPages, "{page}", kSubscribers, kAnySubscriber}, kExpected);
  if (any.ok()) return DeliveriesParent{std::move((*any)[0]), ""};
  absl::StatusOr<std::vector<std::string>> one = Match(
      field, name, {kPages, "{page}", kSubscribers, "{subscriber}"}, kExpected);
  if (!one.ok()) return one.status();
  return DeliveriesParent{std::move((*one)[0]), std::move((*one)[1])};
}

absl::StatusOr<EventResourceName> ParseEventName(std::string_view field,
                                                 std::string_view name) {
  absl::StatusOr<std::vector<std::string>> ids =
      Match(field, name, {kPages, "{page}", kEvents, "{#sequence}"});
  if (!ids.ok()) return ids.status();
  const int64_t seq = SequenceValue((*ids)[1]);
  if (seq == 0) {
    return absl::InvalidArgumentError(
        StrCat(field, ": event sequences start at 1, got ", Quote(name)));
  }
  return EventResourceName{std::move((*ids)[0]), seq};
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

absl::StatusOr<std::string> ParseIncidentNameOnPage(std::string_view field,
                                                    std::string_view name,
                                                    std::string_view page_id) {
  return OnPage(field, name, ParseIncidentName(field, name), page_id);
}

std::string NewResourceId() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local absl::BitGen gen;
  std::string id(20, 'a');
  for (char& c : id) c = kAlphabet[absl::Uniform<size_t>(gen, 0, 36)];
  return id;
}

}  // namespace incidentd
