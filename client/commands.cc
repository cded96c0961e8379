#include "client/commands.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <thread>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/apply.h"
#include "client/names.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace incidentd::client {
namespace {

constexpr absl::string_view kDefaultServer = "127.0.0.1:50051";

// Flags that take a value, and flags that are switches. Global ones
// (server, timeout, help) are valid with every command.
const std::set<std::string, std::less<>>& ValueFlags() {
  static const auto* flags = new std::set<std::string, std::less<>>{
      "server",         "timeout",       "title",
      "body",           "status",        "component",
      "kind",           "display-time",  "display-time-zone",
      "author",         "url",           "time-zone",
      "id",             "f",             "scheduled-start",
      "scheduled-end",  "after",         "incident",
      "type",           "email",         "webhook",
      "state",          "event"};
  return *flags;
}
const std::set<std::string, std::less<>>& SwitchFlags() {
  static const auto* flags = new std::set<std::string, std::less<>>{
      "open", "closed", "notify", "reopen", "help", "snapshot", "verbose"};
  return *flags;
}

absl::Status UsageError(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// The last value of a flag, or "".
std::string Flag(const CommandLine& line, absl::string_view name) {
  auto it = line.flags.find(std::string(name));
  if (it == line.flags.end() || it->second.empty()) return "";
  return it->second.back();
}
bool HasFlag(const CommandLine& line, absl::string_view name) {
  return line.flags.count(std::string(name)) > 0;
}
std::vector<std::string> FlagValues(const CommandLine& line,
                                    absl::string_view name) {
  auto it = line.flags.find(std::string(name));
  if (it == line.flags.end()) return {};
  return it->second;
}

// Checks that `line` is `usage`: `command_words` words, then exactly the
// positional arguments named in `usage`, and only the `allowed` flags
// (besides the global ones) with every `required` one present.
absl::Status CheckShape(const CommandLine& line, size_t command_words,
                        size_t positional, std::set<std::string> allowed,
                        std::set<std::string> required, absl::string_view usage) {
  if (line.words.size() != command_words + positional) {
    return UsageError(absl::StrCat("usage: incidentctl ", usage));
  }
  for (const auto& [name, values] : line.flags) {
    if (name == "server" || name == "timeout" || name == "help") continue;
    if (allowed.count(name) == 0) {
      return UsageError(absl::StrCat(name.size() == 1 ? "-" : "--", name,
                                     " is not a flag of this command; usage: "
                                     "incidentctl ",
                                     usage));
    }
  }
  for (const std::string& name : required) {
    if (Flag(line, name).empty()) {
      return UsageError(absl::StrCat("--", name,
                                     " is required; usage: incidentctl ",
                                     usage));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<google::protobuf::Timestamp> ParseTimeFlag(
    absl::string_view flag, const std::string& value) {
  google::protobuf::Timestamp ts;
  if (!google::protobuf::util::TimeUtil::FromString(value, &ts)) {
    return UsageError(absl::StrCat(
        "--", flag, ": \"", value,
        "\" is not an RFC 3339 time such as 2025-09-09T13:53:00+02:00"));
  }
  return ts;
}

// --component ID or ID=STATUS: the affected component, and the status the
// update sets on it when given.
struct ComponentFlag {
  std::string name;
  v1::ComponentStatus::Value status = v1::ComponentStatus::VALUE_UNSPECIFIED;
};
absl::StatusOr<std::vector<ComponentFlag>> ParseComponentFlags(
    const CommandLine& line, const std::string& page_name,
    bool status_required) {
  std::vector<ComponentFlag> out;
  for (const std::string& value : FlagValues(line, "component")) {
    ComponentFlag flag;
    absl::string_view id = value;
    size_t eq = value.find('=');
    if (eq != std::string::npos) {
      id = absl::string_view(value).substr(0, eq);
      absl::StatusOr<int> status = ParseEnumFlag(
          *v1::ComponentStatus::Value_descriptor(), "component",
          absl::string_view(value).substr(eq + 1));
      if (!status.ok()) return status.status();
      flag.status = static_cast<v1::ComponentStatus::Value>(*status);
    } else if (status_required) {
      return UsageError(absl::StrCat("--component ", value,
                                     ": expected ID=STATUS, e.g. "
                                     "data-processing=operational"));
    }
    if (id.empty()) return UsageError("--component: empty component id");
    flag.name = ChildOfPage(page_name, kComponents, id);
    out.push_back(std::move(flag));
  }
  return out;
}

// The page part of an incident name: "pages/p/incidents/i" -> "pages/p".
std::string PageOf(const std::string& name) {
  size_t first = name.find('/');
  size_t second = name.find('/', first + 1);
  return name.substr(0, second);
}

// Follows next_page_token until the list ends.
template <typename Request, typename Call, typename Each>
absl::Status Paginate(Request request, Call call, Each each) {
  while (true) {
    auto response = call(request);
    if (!response.ok()) return response.status();
    each(*response);
    if (response->next_page_token().empty()) return absl::OkStatus();
    request.set_page_token(response->next_page_token());
  }
}

template <typename Message>
absl::Status PrintPretty(const absl::StatusOr<Message>& result,
                         std::ostream& out) {
  if (!result.ok()) return result.status();
  out << ToJson(*result, /*pretty=*/true);
  return absl::OkStatus();
}

template <typename Items>
void PrintLines(const Items& items, std::ostream& out) {
  for (const auto& item : items) out << ToJson(item, /*pretty=*/false) << "\n";
}

// A JSON string literal, escaped by the protobuf JSON printer.
std::string JsonString(const std::string& value) {
  google::protobuf::Value json;
  json.set_string_value(value);
  return ToJson(json, /*pretty=*/false);
}

// --- the commands, one builder each --------------------------------------

absl::StatusOr<Command> PagesList(const CommandLine& line) {
  if (auto s = CheckShape(line, 2, 0, {}, {}, "pages list"); !s.ok()) return s;
  return Command([](Client& client, std::ostream& out) {
    v1::ListPagesRequest request;
    request.set_page_size(1000);
    return Paginate(
        request, [&](const auto& r) { return client.ListPages(r); },
        [&](const v1::ListPagesResponse& r) { PrintLines(r.pages(), out); });
  });
}

absl::StatusOr<Command> PagesGet(const CommandLine& line) {
  if (auto s = CheckShape(line, 2, 1, {}, {}, "pages get PAGE"); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> name = ExpandPageName(line.words[2]);
  if (!name.ok()) return name.status();
  v1::GetPageRequest request;
  request.set_name(*name);
  return Command([request](Client& client, std::ostream& out) {
    return PrintPretty(client.GetPage(request), out);
  });
}

absl::StatusOr<Command> PagesCreate(const CommandLine& line) {
  if (auto s = CheckShape(line, 2, 2, {"url", "time-zone"}, {},
                          "pages create ID DISPLAY_NAME [--url URL] "
                          "[--time-zone ZONE]");
      !s.ok()) {
    return s;
  }
  v1::CreatePageRequest request;
  request.set_page_id(line.words[2]);
  request.mutable_page()->set_display_name(line.words[3]);
  request.mutable_page()->set_url(Flag(line, "url"));
  request.mutable_page()->set_time_zone(Flag(line, "time-zone"));
  return Command([request](Client& client, std::ostream& out) {
    return PrintPretty(client.CreatePage(request), out);
  });
}

absl::StatusOr<Command> ComponentsList(const CommandLine& line) {
  if (auto s = CheckShape(line, 2, 1, {}, {}, "components list PAGE");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> page = ExpandPageName(line.words[2]);
  if (!page.ok()) return page.status();
  v1::ListComponentsRequest request;
  request.set_parent(*page);
  request.set_page_size(1000);
  return Command([request](Client& client, std::ostream& out) {
    return Paginate(
        request, [&](const auto& r) { return client.ListComponents(r); },
        [&](const v1::ListComponentsResponse& r) {
          PrintLines(r.components(), out);
        });
  });
}

absl::StatusOr<Command> ComponentsGet(const CommandLine& line) {
  if (auto s = CheckShape(line, 2, 1, {}, {}, "components get COMPONENT");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> name =
      ExpandChildName(line.words[2], kComponents);
  if (!name.ok()) return name.status();
  v1::GetComponentRequest request;
  request.set_name(*name);
  return Command([request](Client& client, std::ostream& out) {
    return PrintPretty(client.GetComponent(request), out);
  });
}

absl::StatusOr<Command> GroupsList(const CommandLine& line) {
  if (auto s = CheckShape(line, 2, 1, {}, {}, "groups list PAGE"); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> page = ExpandPageName(line.words[2]);
  if (!page.ok()) return page.status();
  v1::ListComponentGroupsRequest request;
  request.set_parent(*page);
  request.set_page_size(1000);
  return Command([request](Client& client, std::ostream& out) {
    return Paginate(
        request, [&](const auto& r) { return client.ListComponentGroups(r); },
        [&](const v1::ListComponentGroupsResponse& r) {
          PrintLines(r.groups(), out);
        });
  });
}

absl::StatusOr<Command> IncidentsList(const CommandLine& line) {
  constexpr absl::string_view kUsage =
      "incidents list PAGE [--open|--closed] [--kind incident|maintenance]";
  if (auto s = CheckShape(line, 2, 1, {"open", "closed", "kind"}, {}, kUsage);
      !s.ok()) {
    return s;
  }
  if (HasFlag(line, "open") && HasFlag(line, "closed")) {
    return UsageError("--open and --closed exclude each other");
  }
  absl::StatusOr<std::string> page = ExpandPageName(line.words[2]);
  if (!page.ok()) return page.status();
  v1::ListIncidentsRequest request;
  request.set_parent(*page);
  request.set_page_size(200);
  if (HasFlag(line, "open")) request.set_state(v1::ListIncidentsRequest::OPEN);
  if (HasFlag(line, "closed")) {
    request.set_state(v1::ListIncidentsRequest::CLOSED);
  }
  if (HasFlag(line, "kind")) {
    absl::StatusOr<int> kind = ParseEnumFlag(
        *v1::Incident::Kind_descriptor(), "kind", Flag(line, "kind"));
    if (!kind.ok()) return kind.status();
    request.set_kind(static_cast<v1::Incident::Kind>(*kind));
  }
  return Command([request](Client& client, std::ostream& out) {
    return Paginate(
        request, [&](const auto& r) { return client.ListIncidents(r); },
        [&](const v1::ListIncidentsResponse& r) {
          PrintLines(r.incidents(), out);
        });
  });
}

absl::StatusOr<Command> IncidentsGet(const CommandLine& line) {
  if (auto s = CheckShape(line, 2, 1, {}, {}, "incidents get INCIDENT");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> name = ExpandChildName(line.words[2], kIncidents);
  if (!name.ok()) return name.status();
  v1::GetIncidentRequest request;
  request.set_name(*name);
  return Command([request](Client& client, std::ostream& out) {
    return PrintPretty(client.GetIncident(request), out);
  });
}

absl::StatusOr<Command> IncidentsCreate(const CommandLine& line) {
  constexpr absl::string_view kUsage =
      "incidents create PAGE --title TITLE --body BODY [--status STATUS] "
      "[--component ID[=STATUS]]... [--id ID] [--kind KIND] "
      "[--scheduled-start TIME --scheduled-end TIME] [--author AUTHOR] "
      "[--display-time TIME] [--notify]";
  if (auto s = CheckShape(line, 2, 1,
                          {"title", "body", "status", "component", "id",
                           "kind", "scheduled-start", "scheduled-end",
                           "author", "display-time", "notify"},
                          {"title", "body"}, kUsage);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> page = ExpandPageName(line.words[2]);
  if (!page.ok()) return page.status();
  v1::CreateIncidentRequest request;
  request.set_parent(*page);
  request.set_incident_id(Flag(line, "id"));
  v1::Incident& incident = *request.mutable_incident();
  incident.set_title(Flag(line, "title"));
  if (HasFlag(line, "kind")) {
    absl::StatusOr<int> kind = ParseEnumFlag(*v1::Incident::Kind_descriptor(),
                                             "kind", Flag(line, "kind"));
    if (!kind.ok()) return kind.status();
    incident.set_kind(static_cast<v1::Incident::Kind>(*kind));
  }
  for (const auto& [flag, field] :
       {std::pair{"scheduled-start", &v1::Incident::mutable_scheduled_start_time},
        std::pair{"scheduled-end", &v1::Incident::mutable_scheduled_end_time}}) {
    if (!HasFlag(line, flag)) continue;
    absl::StatusOr<google::protobuf::Timestamp> time =
        ParseTimeFlag(flag, Flag(line, flag));
    if (!time.ok()) return time.status();
    *(incident.*field)() = *time;
  }
  v1::IncidentUpdate& update = *request.mutable_first_update();
  update.set_body(Flag(line, "body"));
  update.set_author(Flag(line, "author"));
  update.set_notify(HasFlag(line, "notify"));
  if (HasFlag(line, "status")) {
    absl::StatusOr<int> status = ParseEnumFlag(
        *v1::IncidentStatus::Value_descriptor(), "status", Flag(line, "status"));
    if (!status.ok()) return status.status();
    update.set_status(static_cast<v1::IncidentStatus::Value>(*status));
  }
  if (HasFlag(line, "display-time")) {
    absl::StatusOr<google::protobuf::Timestamp> time =
        ParseTimeFlag("display-time", Flag(line, "display-time"));
    if (!time.ok()) return time.status();
    *update.mutable_display_time() = *time;
  }
  absl::StatusOr<std::vector<ComponentFlag>> components =
      ParseComponentFlags(line, *page, /*status_required=*/false);
  if (!components.ok()) return components.status();
  for (const ComponentFlag& component : *components) {
    incident.add_components(component.name);
    if (component.status != v1::ComponentStatus::VALUE_UNSPECIFIED) {
      v1::ComponentChange& change = *update.add_component_changes();
      change.set_component(component.name);
      change.set_status(component.status);
    }
  }
  return Command([request](Client& client, std::ostream& out) {
    return PrintPretty(client.CreateIncident(request), out);
  });
}

absl::StatusOr<Command> UpdatesList(const CommandLine& line) {
  if (auto s = CheckShape(line, 2, 1, {}, {}, "updates list INCIDENT");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> name = ExpandChildName(line.words[2], kIncidents);
  if (!name.ok()) return name.status();
  v1::ListIncidentUpdatesRequest request;
  request.set_parent(*name);
  request.set_page_size(500);
  return Command([request](Client& client, std::ostream& out) {
    return Paginate(
        request, [&](const auto& r) { return client.ListIncidentUpdates(r); },
        [&](const v1::ListIncidentUpdatesResponse& r) {
          PrintLines(r.updates(), out);
        });
  });
}

// `post` and `resolve`: one timeline update; `resolve` fixes the status.
absl::StatusOr<Command> Post(const CommandLine& line, bool resolve) {
  const std::string usage =
      resolve ? "resolve INCIDENT --body BODY [--component ID=STATUS]... "
                "[--notify] [--display-time TIME] [--display-time-zone ZONE] "
                "[--author AUTHOR]"
              : "post INCIDENT [--status STATUS] --body BODY "
                "[--component ID=STATUS]... [--notify] [--reopen] "
                "[--display-time TIME] [--display-time-zone ZONE] "
                "[--author AUTHOR]";
  std::set<std::string> allowed = {"body",   "component",    "notify",
                                   "author", "display-time", "display-time-zone"};
  if (!resolve) {
    allowed.insert("status");
    allowed.insert("reopen");
  }
  if (auto s = CheckShape(line, 1, 1, allowed, {"body"}, usage); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> name = ExpandChildName(line.words[1], kIncidents);
  if (!name.ok()) return name.status();
  v1::PostIncidentUpdateRequest request;
  request.set_parent(*name);
  request.set_reopen(HasFlag(line, "reopen"));
  v1::IncidentUpdate& update = *request.mutable_update();
  update.set_body(Flag(line, "body"));
  update.set_author(Flag(line, "author"));
  update.set_notify(HasFlag(line, "notify"));
  update.set_display_time_zone(Flag(line, "display-time-zone"));
  if (resolve) {
    update.set_status(v1::IncidentStatus::RESOLVED);
  } else if (HasFlag(line, "status")) {
    absl::StatusOr<int> status = ParseEnumFlag(
        *v1::IncidentStatus::Value_descriptor(), "status", Flag(line, "status"));
    if (!status.ok()) return status.status();
    update.set_status(static_cast<v1::IncidentStatus::Value>(*status));
  }
  if (HasFlag(line, "display-time")) {
    absl::StatusOr<google::protobuf::Timestamp> time =
        ParseTimeFlag("display-time", Flag(line, "display-time"));
    if (!time.ok()) return time.status();
    *update.mutable_display_time() = *time;
  }
  absl::StatusOr<std::vector<ComponentFlag>> components =
      ParseComponentFlags(line, PageOf(*name), /*status_required=*/true);
  if (!components.ok()) return components.status();
  for (const ComponentFlag& component : *components) {
    v1::ComponentChange& change = *update.add_component_changes();
    change.set_component(component.name);
    change.set_status(component.status);
  }
  return Command([request](Client& client, std::ostream& out) {
    return PrintPretty(client.PostIncidentUpdate(request), out);
  });
}

absl::StatusOr<Command> PostmortemCommand(const CommandLine& line) {
  constexpr absl::string_view kUsage =
      "postmortem get|publish|unpublish INCIDENT";
  if (auto s = CheckShape(line, 2, 1, {}, {}, kUsage); !s.ok()) return s;
  absl::StatusOr<std::string> incident =
      ExpandChildName(line.words[2], kIncidents);
  if (!incident.ok()) return incident.status();
  const std::string name = PostmortemName(*incident);
  const std::string& verb = line.words[1];
  if (verb == "get") {
    v1::GetPostmortemRequest request;
    request.set_name(name);
    return Command([request](Client& client, std::ostream& out) {
      return PrintPretty(client.GetPostmortem(request), out);
    });
  }
  if (verb == "publish") {
    v1::PublishPostmortemRequest request;
    request.set_name(name);
    return Command([request](Client& client, std::ostream& out) {
      return PrintPretty(client.PublishPostmortem(request), out);
    });
  }
  if (verb == "unpublish") {
    v1::UnpublishPostmortemRequest request;
    request.set_name(name);
    return Command([request](Client& client, std::ostream& out) {
      return PrintPretty(client.UnpublishPostmortem(request), out);
    });
  }
  return UsageError(absl::StrCat("usage: incidentctl ", kUsage));
}

absl::StatusOr<Command> ActionsList(const CommandLine& line) {
  if (auto s = CheckShape(line, 2, 1, {}, {}, "actions list INCIDENT");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> name = ExpandChildName(line.words[2], kIncidents);
  if (!name.ok()) return name.status();
  v1::ListCorrectiveActionsRequest request;
  request.set_parent(*name);
  request.set_page_size(1000);
  return Command([request](Client& client, std::ostream& out) {
    return Paginate(
        request, [&](const auto& r) { return client.ListCorrectiveActions(r); },
        [&](const v1::ListCorrectiveActionsResponse& r) {
          PrintLines(r.corrective_actions(), out);
        });
  });
}

absl::StatusOr<Command> Status(const CommandLine& line) {
  if (auto s = CheckShape(line, 1, 1, {}, {}, "status PAGE"); !s.ok()) return s;
  absl::StatusOr<std::string> page = ExpandPageName(line.words[1]);
  if (!page.ok()) return page.status();
  v1::GetPageStatusRequest request;
  request.set_name(*page);
  return Command([request](Client& client, std::ostream& out) {
    return PrintPretty(client.GetPageStatus(request), out);
  });
}

absl::StatusOr<Command> Health(const CommandLine& line) {
  if (auto s = CheckShape(line, 1, 0, {}, {}, "health"); !s.ok()) return s;
  return Command([](Client& client, std::ostream& out) -> absl::Status {
    absl::StatusOr<HealthStatus> status = client.CheckHealth();
    if (!status.ok()) return status.status();
    grpc::health::v1::HealthCheckResponse response;
    response.set_status(*status);
    out << ToJson(response, /*pretty=*/true);
    if (*status != grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::UnavailableError(absl::StrCat(
          "server is ",
          grpc::health::v1::HealthCheckResponse::ServingStatus_Name(*status)));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<Command> Apply(const CommandLine& line) {
  if (auto s = CheckShape(line, 1, 0, {"f"}, {"f"}, "apply -f FILE.json..."); !s.ok()) {
    return s;
  }
  std::vector<std::string> files = FlagValues(line, "f");
  return Command([files](Client& client, std::ostream& out) -> absl::Status {
    for (const std::string& path : files) {
      absl::StatusOr<apply_v1::ApplyFile> file = ReadApplyFile(path);
      if (!file.ok()) return file.status();
      absl::StatusOr<std::vector<ApplyStep>> plan = PlanApply(*file);
      if (!plan.ok()) {
        return absl::Status(plan.status().code(),
                            absl::StrCat(path, ": ", plan.status().message()));
      }
      std::vector<AppliedStep> done;
      absl::Status status = RunApplyPlan(client, *plan, &done);
      for (const AppliedStep& step : done) {
        out << "{\"file\":" << JsonString(path)
            << ",\"step\":" << JsonString(step.what)
            << ",\"resource\":" << JsonString(step.resource)
            << ",\"sent\":" << (step.sent ? "true" : "false") << "}\n";
      }
      if (!status.ok()) {
        return absl::Status(status.code(),
                            absl::StrCat(path, ": ", status.message()));
      }
    }
    return absl::OkStatus();
  });
}

// --- subscriptions ----------------------------------------------------------

constexpr absl::string_view kSubscribers = "subscribers";

// The only value of a flag that may be given once; "" when absent.
absl::StatusOr<std::string> SingleFlag(const CommandLine& line,
                                       absl::string_view name) {
  std::vector<std::string> values = FlagValues(line, name);
  if (values.size() > 1) {
    return UsageError(absl::StrCat("--", name, " may be given once"));
  }
  if (!values.empty() && values[0].empty()) {
    return UsageError(absl::StrCat("--", name, ": empty value"));
  }
  return values.empty() ? "" : values[0];
}

absl::StatusOr<Command> Subscribe(const CommandLine& line) {
  absl::StatusOr<v1::CreateSubscriberRequest> request =
      ParseSubscribeCommand(line);
  if (!request.ok()) return request.status();
  return Command(
      [request = *std::move(request)](Client& client, std::ostream& out) {
        // The whole response: for a webhook it carries the signing secret,
        // which is shown this once.
        return PrintPretty(client.CreateSubscriber(request), out);
      });
}

absl::StatusOr<Command> Subscribers(const CommandLine& line) {
  constexpr absl::string_view kUsage = "subscribers PAGE [--state STATE]";
  if (auto s = CheckShape(line, 1, 1, {"state"}, {}, kUsage); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> page = ExpandPageName(line.words[1]);
  if (!page.ok()) return page.status();
  v1::ListSubscribersRequest request;
  request.set_parent(*page);
  request.set_page_size(1000);
  if (HasFlag(line, "state")) {
    absl::StatusOr<int> state = ParseEnumFlag(
        *v1::Subscriber::State_descriptor(), "state", Flag(line, "state"));
    if (!state.ok()) return state.status();
    request.set_state(static_cast<v1::Subscriber::State>(*state));
  }
  return Command([request](Client& client, std::ostream& out) {
    return Paginate(
        request, [&](const auto& r) { return client.ListSubscribers(r); },
        [&](const v1::ListSubscribersResponse& r) {
          PrintLines(r.subscribers(), out);
        });
  });
}

// `unsubscribe TOKEN` and `confirm TOKEN`. A token may start with '-'
// (base64url): then it goes after "--".
absl::StatusOr<Command> TokenCommand(const CommandLine& line, bool confirm) {
  const std::string usage = confirm ? "confirm TOKEN" : "unsubscribe TOKEN";
  if (auto s = CheckShape(line, 1, 1, {}, {}, usage); !s.ok()) return s;
  const std::string& token = line.words[1];
  if (token.empty()) return UsageError("the token is empty");
  if (confirm) {
    v1::ConfirmSubscriberRequest request;
    request.set_token(token);
    return Command([request](Client& client, std::ostream& out) {
      return PrintPretty(client.ConfirmSubscriber(request), out);
    });
  }
  v1::UnsubscribeRequest request;
  request.set_token(token);
  return Command([request](Client& client, std::ostream& out) -> absl::Status {
    absl::Status status = client.Unsubscribe(request);
    if (!status.ok()) return status;
    out << ToJson(google::protobuf::Empty(), /*pretty=*/true);
    return absl::OkStatus();
  });
}

absl::StatusOr<Command> Deliveries(const CommandLine& line) {
  constexpr absl::string_view kUsage =
      "deliveries SUBSCRIBER [--event N] [--state STATE]";
  if (auto s = CheckShape(line, 1, 1, {"event", "state"}, {}, kUsage);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> parent =
      ExpandChildName(line.words[1], kSubscribers);
  if (!parent.ok()) return parent.status();
  v1::ListDeliveriesRequest request;
  request.set_parent(*parent);
  request.set_page_size(1000);
  if (HasFlag(line, "event")) {
    int64_t event = 0;
    if (!absl::SimpleAtoi(Flag(line, "event"), &event) || event < 1) {
      return UsageError(absl::StrCat("--event: \"", Flag(line, "event"),
                                     "\" is not an event sequence (1 or "
                                     "more)"));
    }
    request.set_event_sequence(event);
  }
  if (absl::EndsWith(*parent, "/-") && request.event_sequence() == 0) {
    return UsageError(
        "--event is required with PAGE/- (one event's deliveries to every "
        "subscriber)");
  }
  if (HasFlag(line, "state")) {
    absl::StatusOr<int> state = ParseEnumFlag(*v1::Delivery::State_descriptor(),
                                              "state", Flag(line, "state"));
    if (!state.ok()) return state.status();
    request.set_state(static_cast<v1::Delivery::State>(*state));
  }
  return Command([request](Client& client, std::ostream& out) {
    return Paginate(
        request, [&](const auto& r) { return client.ListDeliveries(r); },
        [&](const v1::ListDeliveriesResponse& r) {
          PrintLines(r.deliveries(), out);
        });
  });
}

absl::StatusOr<Command> Redeliver(const CommandLine& line) {
  if (auto s = CheckShape(line, 1, 1, {}, {}, "redeliver DELIVERY"); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> name = ExpandDeliveryName(line.words[1]);
  if (!name.ok()) return name.status();
  v1::RedeliverDeliveryRequest request;
  request.set_name(*name);
  return Command([request](Client& client, std::ostream& out) {
    return PrintPretty(client.RedeliverDelivery(request), out);
  });
}

absl::StatusOr<Command> Reactivate(const CommandLine& line) {
  if (auto s = CheckShape(line, 1, 1, {}, {}, "reactivate SUBSCRIBER");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> name =
      ExpandChildName(line.words[1], kSubscribers);
  if (!name.ok()) return name.status();
  v1::ReactivateSubscriberRequest request;
  request.set_name(*name);
  return Command([request](Client& client, std::ostream& out) {
    return PrintPretty(client.ReactivateSubscriber(request), out);
  });
}

// --- watch ------------------------------------------------------------------

// Where the signal handler tells StopOnSignal's thread that Ctrl-C came; a
// pipe because write() is one of the few things a handler may do.
int g_signal_pipe = -1;

void OnStopSignal(int) {
  const char byte = 's';
  (void)!write(g_signal_pipe, &byte, 1);
}

// While alive, the first SIGINT or SIGTERM stops `watcher` (so the command
// ends cleanly, exit 0); a second one kills as usual (SA_RESETHAND), in
// case stopping hangs.
class StopOnSignal {
 public:
  explicit StopOnSignal(Watcher& watcher) {
    if (pipe2(fds_, O_CLOEXEC) != 0) return;
    g_signal_pipe = fds_[1];
    struct sigaction action {};
    action.sa_handler = OnStopSignal;
    action.sa_flags = SA_RESETHAND | SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
    thread_ = std::thread([this, &watcher] {
      char byte = 0;
      while (read(fds_[0], &byte, 1) < 0 && errno == EINTR) {
      }
      if (byte == 's') watcher.Stop();
    });
  }
  ~StopOnSignal() {
    if (!thread_.joinable()) return;
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    const char byte = 'q';
    (void)!write(fds_[1], &byte, 1);
    thread_.join();
    g_signal_pipe = -1;
    close(fds_[0]);
    close(fds_[1]);
  }

 private:
  int fds_[2] = {-1, -1};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  std::thread thread_;
};

absl::StatusOr<Command> Watch(const CommandLine& line) {
  absl::StatusOr<WatchSettings> parsed = ParseWatchCommand(line);
  if (!parsed.ok()) return parsed.status();
  return Command([settings = *std::move(parsed)](
                     Client& client, std::ostream& out) -> absl::Status {
    WatchOptions options;
    options.targets = settings.targets;
    options.request = settings.request;
    options.metadata = client.options().metadata;
    Watcher watcher(options, PrintingCallbacks(out, settings.verbose));
    StopOnSignal stop(watcher);
    return watcher.Run();
  });
}

}  // namespace

absl::StatusOr<v1::CreateSubscriberRequest> ParseSubscribeCommand(
    const CommandLine& line) {
  constexpr absl::string_view kUsage =
      "subscribe PAGE (--email ADDRESS | --webhook URL) [--component ID]... "
      "[--incident ID]";
  if (auto s =
          CheckShape(line, 1, 1, {"email", "webhook", "component", "incident"},
                     {}, kUsage);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> page = ExpandPageName(line.words[1]);
  if (!page.ok()) return page.status();
  absl::StatusOr<std::string> email = SingleFlag(line, "email");
  if (!email.ok()) return email.status();
  absl::StatusOr<std::string> webhook = SingleFlag(line, "webhook");
  if (!webhook.ok()) return webhook.status();
  if (email->empty() == webhook->empty()) {
    return UsageError(absl::StrCat(
        "give exactly one of --email and --webhook; usage: incidentctl ",
        kUsage));
  }
  absl::StatusOr<std::string> incident = SingleFlag(line, "incident");
  if (!incident.ok()) return incident.status();

  v1::CreateSubscriberRequest request;
  request.set_parent(*page);
  v1::Subscriber& subscriber = *request.mutable_subscriber();
  if (!email->empty()) {
    subscriber.set_email(*email);
  } else {
    subscriber.set_webhook_url(*webhook);
  }
  for (const std::string& id : FlagValues(line, "component")) {
    if (id.empty()) return UsageError("--component: empty component id");
    subscriber.add_components(ChildOfPage(*page, kComponents, id));
  }
  if (!incident->empty()) {
    subscriber.set_incident(ChildOfPage(*page, kIncidents, *incident));
  }
  return request;
}

absl::StatusOr<std::string> ExpandDeliveryName(absl::string_view arg) {
  std::vector<absl::string_view> parts = absl::StrSplit(arg, '/');
  bool empty_part = false;
  for (absl::string_view part : parts) empty_part |= part.empty();
  if (!empty_part) {
    if (parts.size() == 3 && parts[0] != "pages") {
      return absl::StrCat("pages/", parts[0], "/subscribers/", parts[1],
                          "/deliveries/", parts[2]);
    }
    if (parts.size() == 6 && parts[0] == "pages" && parts[2] == "subscribers" &&
        parts[4] == "deliveries") {
      return std::string(arg);
    }
  }
  return UsageError(
      absl::StrCat("\"", arg,
                   "\" is not a delivery: expected PAGE/SUBSCRIBER/SEQUENCE or "
                   "pages/PAGE/subscribers/SUBSCRIBER/deliveries/SEQUENCE"));
}

absl::StatusOr<WatchSettings> ParseWatchCommand(const CommandLine& line) {
  constexpr absl::string_view kUsage =
      "watch PAGE [--after N | --snapshot] [--component ID]... "
      "[--incident ID]... [--type TYPE]... [--verbose]";
  if (auto s = CheckShape(line, 1, 1,
                          {"after", "snapshot", "component", "incident", "type",
                           "verbose"},
                          {}, kUsage);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> page = ExpandPageName(line.words[1]);
  if (!page.ok()) return page.status();
  WatchSettings settings;
  settings.targets = FlagValues(line, "server");
  if (settings.targets.empty()) settings.targets = {line.client.target};
  settings.verbose = HasFlag(line, "verbose");
  v1::WatchPageRequest& request = settings.request;
  request.set_page(*page);
  if (HasFlag(line, "after")) {
    int64_t after = 0;
    if (!absl::SimpleAtoi(Flag(line, "after"), &after) || after < 0) {
      return UsageError(absl::StrCat("--after: \"", Flag(line, "after"),
                                     "\" is not a sequence number (0 or "
                                     "more)"));
    }
    request.set_after_sequence(after);
  }
  request.set_snapshot(HasFlag(line, "snapshot"));
  if (request.snapshot() && request.after_sequence() > 0) {
    return UsageError(
        "--snapshot and --after exclude each other: a snapshot starts from "
        "the page as it is now");
  }
  for (const std::string& id : FlagValues(line, "component")) {
    if (id.empty()) return UsageError("--component: empty component id");
    request.add_components(ChildOfPage(*page, kComponents, id));
  }
  for (const std::string& id : FlagValues(line, "incident")) {
    if (id.empty()) return UsageError("--incident: empty incident id");
    request.add_incidents(ChildOfPage(*page, kIncidents, id));
  }
  for (const std::string& value : FlagValues(line, "type")) {
    absl::StatusOr<int> type =
        ParseEnumFlag(*v1::Event::Type_descriptor(), "type", value);
    if (!type.ok()) return type.status();
    request.add_types(static_cast<v1::Event::Type>(*type));
  }
  return settings;
}

WatchCallbacks PrintingCallbacks(std::ostream& out, bool verbose) {
  WatchCallbacks callbacks;
  callbacks.on_event = [&out](const v1::Event& event) {
    out << ToJson(event, /*pretty=*/false) << std::endl;
  };
  callbacks.on_snapshot = [&out](const v1::Snapshot& snapshot) {
    v1::WatchPageResponse line;
    *line.mutable_snapshot() = snapshot;
    out << ToJson(line, /*pretty=*/false) << std::endl;
  };
  if (verbose) {
    callbacks.on_heartbeat = [&out](const v1::Heartbeat& heartbeat) {
      v1::WatchPageResponse line;
      *line.mutable_heartbeat() = heartbeat;
      out << ToJson(line, /*pretty=*/false) << std::endl;
    };
  }
  return callbacks;
}

absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args, absl::string_view server_env) {
  CommandLine line;
  line.client.target =
      server_env.empty() ? std::string(kDefaultServer) : std::string(server_env);
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_ended || arg.size() < 2 || arg[0] != '-') {
      line.words.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    std::string name;
    std::optional<std::string> value;
    if (absl::StartsWith(arg, "--")) {
      name = arg.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
    } else if (arg == "-f" || arg == "-h") {
      name = arg.substr(1);
    } else {
      return UsageError(absl::StrCat("unknown flag ", arg));
    }
    if (name == "h") name = "help";
    if (name == "file") name = "f";
    if (SwitchFlags().count(name) > 0) {
      if (value.has_value()) {
        return UsageError(absl::StrCat("--", name, " takes no value"));
      }
      line.flags[name].push_back("");
      continue;
    }
    if (ValueFlags().count(name) == 0) {
      return UsageError(absl::StrCat("unknown flag ", arg));
    }
    if (!value.has_value()) {
      if (i + 1 >= args.size()) {
        return UsageError(absl::StrCat(arg, " needs a value"));
      }
      value = args[++i];
    }
    line.flags[name].push_back(*value);
  }
  line.help = line.flags.count("help") > 0;
  if (std::string server = Flag(line, "server"); !server.empty()) {
    line.client.target = server;
  } else if (line.flags.count("server") > 0) {
    return UsageError("--server needs a value");
  }
  if (line.flags.count("timeout") > 0) {
    const std::string value = Flag(line, "timeout");
    absl::Duration timeout;
    int seconds = 0;
    if (absl::ParseDuration(value, &timeout)) {
    } else if (absl::SimpleAtoi(value, &seconds)) {
      timeout = absl::Seconds(seconds);
    } else {
      return UsageError(absl::StrCat("--timeout: \"", value,
                                     "\" is not a duration such as 10s"));
    }
    if (timeout <= absl::ZeroDuration()) {
      return UsageError("--timeout must be positive");
    }
    line.client.timeout = timeout;
  }
  return line;
}

absl::StatusOr<Command> BuildCommand(const CommandLine& line) {
  if (line.words.empty()) return UsageError("no command given");
  const std::string& command = line.words[0];
  const std::string sub = line.words.size() > 1 ? line.words[1] : "";
  if (command == "pages") {
    if (sub == "list") return PagesList(line);
    if (sub == "get") return PagesGet(line);
    if (sub == "create") return PagesCreate(line);
    return UsageError("usage: incidentctl pages list|get|create ...");
  }
  if (command == "components") {
    if (sub == "list") return ComponentsList(line);
    if (sub == "get") return ComponentsGet(line);
    return UsageError("usage: incidentctl components list|get ...");
  }
  if (command == "groups") {
    if (sub == "list") return GroupsList(line);
    return UsageError("usage: incidentctl groups list PAGE");
  }
  if (command == "incidents") {
    if (sub == "list") return IncidentsList(line);
    if (sub == "get") return IncidentsGet(line);
    if (sub == "create") return IncidentsCreate(line);
    return UsageError("usage: incidentctl incidents list|get|create ...");
  }
  if (command == "updates") {
    if (sub == "list") return UpdatesList(line);
    return UsageError("usage: incidentctl updates list INCIDENT");
  }
  if (command == "post") return Post(line, /*resolve=*/false);
  if (command == "resolve") return Post(line, /*resolve=*/true);
  if (command == "postmortem") return PostmortemCommand(line);
  if (command == "actions") {
    if (sub == "list") return ActionsList(line);
    return UsageError("usage: incidentctl actions list INCIDENT");
  }
  if (command == "status") return Status(line);
  if (command == "health") return Health(line);
  if (command == "apply") return Apply(line);
  if (command == "watch") return Watch(line);
  if (command == "subscribe") return Subscribe(line);
  if (command == "subscribers") return Subscribers(line);
  if (command == "unsubscribe") return TokenCommand(line, /*confirm=*/false);
  if (command == "confirm") return TokenCommand(line, /*confirm=*/true);
  if (command == "deliveries") return Deliveries(line);
  if (command == "redeliver") return Redeliver(line);
  if (command == "reactivate") return Reactivate(line);
  return UsageError(absl::StrCat("unknown command \"", command, "\""));
}

absl::StatusOr<int> ParseEnumFlag(const google::protobuf::EnumDescriptor& type,
                                  absl::string_view flag,
                                  absl::string_view value) {
  std::string normalized =
      absl::AsciiStrToUpper(absl::StrReplaceAll(value, {{"-", "_"}}));
  if (&type == v1::IncidentStatus::Value_descriptor() &&
      (normalized.empty() || normalized == "UPDATE")) {
    return v1::IncidentStatus::VALUE_UNSPECIFIED;
  }
  const google::protobuf::EnumValueDescriptor* found =
      type.FindValueByName(normalized);
  if (found == nullptr || found->number() == 0) {
    std::vector<std::string> names;
    for (int i = 0; i < type.value_count(); ++i) {
      if (type.value(i)->number() == 0) continue;
      names.push_back(absl::StrReplaceAll(
          absl::AsciiStrToLower(type.value(i)->name()), {{"_", "-"}}));
    }
    return UsageError(absl::StrCat("--", flag, ": \"", value,
                                   "\" is not one of ",
                                   absl::StrJoin(names, ", ")));
  }
  return found->number();
}

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  std::string json;
  // Cannot fail for the generated messages printed here.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string UsageText() {
  return R"(incidentctl: talk to an incidentd server. Output is protobuf JSON: one object
per line for lists, indented for single resources, so it pipes into jq.

Usage: incidentctl [--server HOST:PORT] [--timeout DURATION] COMMAND ...

  pages list
  pages get PAGE
  pages create ID DISPLAY_NAME [--url URL] [--time-zone ZONE]
  components list PAGE
  components get COMPONENT
  groups list PAGE
  incidents list PAGE [--open|--closed] [--kind incident|maintenance]
  incidents get INCIDENT
  incidents create PAGE --title TITLE --body BODY [--status STATUS]
                   [--component ID[=STATUS]]... [--id ID] [--author AUTHOR]
                   [--display-time TIME] [--notify] [--kind KIND]
                   [--scheduled-start TIME --scheduled-end TIME]
  updates list INCIDENT
  post INCIDENT [--status STATUS] --body BODY [--component ID=STATUS]...
                [--notify] [--reopen] [--display-time TIME]
                [--display-time-zone ZONE] [--author AUTHOR]
  resolve INCIDENT --body BODY [--component ID=STATUS]... [--notify] ...
  postmortem get|publish|unpublish INCIDENT
  actions list INCIDENT
  status PAGE
  health
  apply -f FILE.json [-f FILE.json]...
  watch PAGE [--after N | --snapshot] [--component ID]... [--incident ID]...
             [--type TYPE]... [--verbose]
  subscribe PAGE (--email ADDRESS | --webhook URL) [--component ID]...
                 [--incident ID]
  subscribers PAGE [--state pending-confirmation|active|quarantined]
  confirm TOKEN
  unsubscribe TOKEN
  deliveries SUBSCRIBER [--event N] [--state STATE]
  redeliver DELIVERY
  reactivate SUBSCRIBER

Names: the full resource name, or the short form without the collection word:
  PAGE       productsup                 or pages/productsup
  COMPONENT  productsup/data-processing or pages/productsup/components/data-processing
  INCIDENT   productsup/ceph-2025-09    or pages/productsup/incidents/ceph-2025-09
  SUBSCRIBER productsup/ID              or pages/productsup/subscribers/ID
  DELIVERY   productsup/ID/SEQUENCE     or pages/productsup/subscribers/ID/deliveries/SEQUENCE
  --component takes a bare id of the incident's page (or a full name).

Values: STATUS investigating, identified, monitoring, resolved, scheduled,
  in-progress, verifying, completed, cancelled; `post` without --status (or
  --status update) posts an "Update" that keeps the status. Component
  statuses: operational, degraded-performance, partial-outage, major-outage,
  under-maintenance. TIME is RFC 3339, e.g. 2025-09-09T13:53:00+02:00.

apply: creates the page, groups, components and incidents (timeline,
  postmortem, corrective actions) of an incidentd.apply.v1.ApplyFile (see
  client/apply.proto). Every create carries a request id derived from the
  file, so applying the same file again changes nothing. Prints one line per
  step.

watch: prints the page's events as they are committed, one incidentd.v1.Event
  per line, until Ctrl-C. --after N resumes after sequence N (default: from
  the oldest event kept); --snapshot first prints the page as it is now
  ({"snapshot":...}) and then the events after it. --component, --incident
  (ids of the page) and --type (e.g. incident-update-posted, repeatable) keep
  only matching events; --verbose also prints heartbeats ({"heartbeat":...},
  the position after events the filters skipped). On a broken stream it
  reconnects with backoff and resumes where it stopped, rotating through
  every --server given, so no event is printed twice or missed.

subscribe: subscribes an email address (which must confirm it with the token
  from the confirmation mail: `confirm TOKEN`) or a webhook URL to the page,
  or to chosen components (--component, ids of the page) or one incident.
  For a webhook it prints the signing secret: the only time it is shown.
  unsubscribe takes the token from any notification. A token that starts
  with '-' goes after "--": incidentctl confirm -- -Ab3...
deliveries: the notifications of one subscriber, in event order; PAGE/- with
  --event N lists one event's deliveries to every subscriber. --state is
  pending, delivered, retrying or failed. redeliver sends one again now;
  reactivate resumes a quarantined subscriber.

Global flags:
  --server   the server address; default $INCIDENTD_SERVER, else
             127.0.0.1:50051 (watch takes several: --server A --server B)
  --timeout  the deadline of each call, e.g. 10s (the default), 500ms
  --help     this text

Exit status: 0 on success; 1 when a call fails, with "incidentctl: CODE:
message" on stderr; 2 for usage errors.
)";
}

int RunIncidentctl(const std::vector<std::string>& args,
                   absl::string_view server_env, std::ostream& out,
                   std::ostream& err) {
  absl::StatusOr<CommandLine> line = ParseCommandLine(args, server_env);
  if (line.ok() && line->help) {
    out << UsageText();
    return 0;
  }
  absl::StatusOr<Command> command =
      line.ok() ? BuildCommand(*line) : absl::StatusOr<Command>(line.status());
  if (!command.ok()) {
    err << "incidentctl: " << command.status().message()
        << "\nRun 'incidentctl --help' for usage.\n";
    return 2;
  }
  Client client(line->client);
  absl::Status status = (*command)(client, out);
  if (!status.ok()) {
    err << "incidentctl: " << absl::StatusCodeToString(status.code()) << ": "
        << status.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace incidentd::client
