#include "client/commands.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

CommandLine Parse(const std::vector<std::string>& args,
                  absl::string_view env = "") {
  absl::StatusOr<CommandLine> line = ParseCommandLine(args, env);
  EXPECT_OK(line);
  return line.value_or(CommandLine());
}

TEST(ParseCommandLine, Defaults_AreLocalServerAndTenSeconds) {
  CommandLine line = Parse({"health"});
  EXPECT_EQ(line.client.target, "127.0.0.1:50051");
  EXPECT_EQ(line.client.timeout, absl::Seconds(10));
  EXPECT_THAT(line.words, ElementsAre("health"));
}

TEST(ParseCommandLine, ServerEnvironment_IsUsedUnlessTheFlagIsGiven) {
  EXPECT_EQ(Parse({"health"}, "db:1").client.target, "db:1");
  EXPECT_EQ(Parse({"--server", "x:2", "health"}, "db:1").client.target, "x:2");
  EXPECT_EQ(Parse({"health", "--server=y:3"}, "db:1").client.target, "y:3");
}

TEST(ParseCommandLine, Timeout_AcceptsDurationsAndSeconds) {
  EXPECT_EQ(Parse({"--timeout=500ms", "health"}).client.timeout,
            absl::Milliseconds(500));
  EXPECT_EQ(Parse({"--timeout", "3", "health"}).client.timeout,
            absl::Seconds(3));
}

TEST(ParseCommandLine, BadTimeout_IsUsageError) {
  EXPECT_CODE(ParseCommandLine({"--timeout=soon", "health"}, ""),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCommandLine({"--timeout=0s", "health"}, ""),
              absl::StatusCode::kInvalidArgument);
}

TEST(ParseCommandLine, FlagsMayComeAnywhereAndRepeat) {
  CommandLine line =
      Parse({"incidents", "create", "--title", "T", "acme", "--component=a",
             "--body=B", "--component", "b=partial-outage", "--notify"});
  EXPECT_THAT(line.words, ElementsAre("incidents", "create", "acme"));
  EXPECT_THAT(line.flags["component"], ElementsAre("a", "b=partial-outage"));
  EXPECT_THAT(line.flags["title"], ElementsAre("T"));
  EXPECT_EQ(line.flags.count("notify"), 1u);
}

TEST(ParseCommandLine, ShortFileFlag_Repeats) {
  CommandLine line = Parse({"apply", "-f", "a.json", "--file=b.json"});
  EXPECT_THAT(line.words, ElementsAre("apply"));
  EXPECT_THAT(line.flags["f"], ElementsAre("a.json", "b.json"));
}

TEST(ParseCommandLine, DoubleDash_EndsFlags) {
  CommandLine line = Parse({"pages", "create", "--", "x", "--not-a-flag"});
  EXPECT_THAT(line.words,
              ElementsAre("pages", "create", "x", "--not-a-flag"));
}

TEST(ParseCommandLine, UnknownFlagOrMissingValue_IsUsageError) {
  EXPECT_CODE(ParseCommandLine({"health", "--bogus"}, ""),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCommandLine({"health", "-x"}, ""),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCommandLine({"post", "p/i", "--body"}, ""),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseCommandLine({"incidents", "list", "p", "--open=yes"}, ""),
              absl::StatusCode::kInvalidArgument);
}

TEST(ParseCommandLine, Help_IsRecognised) {
  EXPECT_TRUE(Parse({"--help"}).help);
  EXPECT_TRUE(Parse({"-h"}).help);
}

TEST(BuildCommand, EveryDocumentedCommand_Builds) {
  const std::vector<std::vector<std::string>> commands = {
      {"pages", "list"},
      {"pages", "get", "acme"},
      {"pages", "create", "acme", "Acme Inc", "--time-zone", "UTC"},
      {"components", "list", "acme"},
      {"components", "get", "acme/api"},
      {"groups", "list", "pages/acme"},
      {"incidents", "list", "acme", "--open", "--kind=maintenance"},
      {"incidents", "get", "acme/outage"},
      {"incidents", "create", "acme", "--title", "T", "--body", "B",
       "--status", "identified", "--component", "api=major-outage",
       "--component", "web"},
      {"updates", "list", "pages/acme/incidents/outage"},
      {"post", "acme/outage", "--status", "monitoring", "--body", "B",
       "--notify", "--display-time", "2025-09-09T13:53:00+02:00"},
      {"post", "acme/outage", "--body", "Just an update"},
      {"resolve", "acme/outage", "--body", "Fixed"},
      {"postmortem", "get", "acme/outage"},
      {"postmortem", "publish", "acme/outage"},
      {"postmortem", "unpublish", "acme/outage"},
      {"actions", "list", "acme/outage"},
      {"status", "acme"},
      {"health"},
      {"apply", "-f", "a.json", "-f", "b.json"},
      {"watch", "acme"},
      {"watch", "pages/acme", "--after", "12", "--component", "api",
       "--incident", "outage", "--type", "incident-created", "--verbose"},
      {"watch", "acme", "--snapshot"},
      {"subscribe", "acme", "--email", "ops@example.com"},
      {"subscribe", "pages/acme", "--webhook", "https://h.example/x",
       "--component", "api", "--component", "web", "--incident", "outage"},
      {"subscribers", "acme"},
      {"subscribers", "acme", "--state", "pending-confirmation"},
      {"confirm", "tok"},
      {"confirm", "--", "-starts-with-a-dash"},
      {"unsubscribe", "tok"},
      {"deliveries", "acme/s1"},
      {"deliveries", "pages/acme/subscribers/s1", "--state", "retrying",
       "--event", "4"},
      {"deliveries", "acme/-", "--event", "12"},
      {"redeliver", "acme/s1/12"},
      {"redeliver", "pages/acme/subscribers/s1/deliveries/0"},
      {"reactivate", "acme/s1"},
  };
  for (const auto& args : commands) {
    EXPECT_OK(BuildCommand(Parse(args))) << args[0];
  }
}

TEST(BuildCommand, UsageErrors_AreInvalidArgument) {
  const std::vector<std::vector<std::string>> commands = {
      {},
      {"frobnicate"},
      {"pages"},
      {"pages", "delete", "acme"},
      {"pages", "get"},
      {"pages", "get", "a", "b"},
      {"incidents", "get", "outage"},  // no page: ambiguous
      {"incidents", "list", "acme", "--open", "--closed"},
      {"incidents", "list", "acme", "--kind", "outage"},
      {"incidents", "create", "acme", "--body", "B"},  // no title
      {"incidents", "create", "acme", "--title", "T", "--body", "B",
       "--status", "solved"},
      {"post", "acme/outage"},  // no body
      {"post", "acme/outage", "--body", "B", "--component", "api"},
      {"post", "acme/outage", "--body", "B", "--display-time", "yesterday"},
      {"resolve", "acme/outage", "--body", "B", "--status", "monitoring"},
      {"postmortem", "delete", "acme/outage"},
      {"status"},
      {"health", "now"},
      {"apply"},
      {"apply", "-f", "a.json", "--title", "T"},
      {"watch"},
      {"watch", "acme", "--after", "-1"},
      {"watch", "acme", "--after", "ten"},
      {"watch", "acme", "--after", "3", "--snapshot"},
      {"watch", "acme", "--type", "incident-exploded"},
      {"watch", "acme", "--body", "B"},
      {"subscribe", "acme"},  // no address
      {"subscribe", "acme", "--email", "a@b.example", "--webhook",
       "https://h.example/x"},
      {"subscribe", "acme", "--email", "a@b.example", "--email", "c@d.example"},
      {"subscribe", "acme", "--email="},
      {"subscribe", "acme", "--webhook", "https://h.example/x", "--incident",
       "a", "--incident", "b"},
      {"subscribe", "acme", "--email", "a@b.example", "--component="},
      {"subscribe", "acme", "--email", "a@b.example", "--status", "active"},
      {"subscribe", "--email", "a@b.example"},  // no page
      {"subscribers"},
      {"subscribers", "acme", "--state", "sleeping"},
      {"confirm"},
      {"confirm", "a", "b"},
      {"unsubscribe"},
      {"deliveries", "acme"},    // not a subscriber
      {"deliveries", "acme/-"},  // every subscriber needs --event
      {"deliveries", "acme/s1", "--event", "0"},
      {"deliveries", "acme/s1", "--event", "x"},
      {"deliveries", "acme/s1", "--state", "lost"},
      {"redeliver", "acme/s1"},
      {"redeliver", "pages/acme/subscribers/s1"},
      {"redeliver", "acme//1"},
      {"reactivate", "s1"},
  };
  for (const auto& args : commands) {
    absl::StatusOr<CommandLine> line = ParseCommandLine(args, "");
    ASSERT_OK(line);
    EXPECT_CODE(BuildCommand(*line), absl::StatusCode::kInvalidArgument)
        << (args.empty() ? "(none)" : args[0]);
  }
}

TEST(ParseWatchCommand, BuildsTheRequestFromShortNames) {
  absl::StatusOr<WatchSettings> settings = ParseWatchCommand(
      Parse({"watch", "acme", "--after=12", "--component", "api",
             "--component", "pages/acme/components/web", "--incident",
             "outage", "--type", "incident-update-posted", "--type",
             "COMPONENT_STATUS_CHANGED"}));
  ASSERT_OK(settings);
  const v1::WatchPageRequest& request = settings->request;
  EXPECT_EQ(request.page(), "pages/acme");
  EXPECT_EQ(request.after_sequence(), 12);
  EXPECT_FALSE(request.snapshot());
  EXPECT_THAT(request.components(),
              ElementsAre("pages/acme/components/api",
                          "pages/acme/components/web"));
  EXPECT_THAT(request.incidents(), ElementsAre("pages/acme/incidents/outage"));
  EXPECT_THAT(request.types(),
              ElementsAre(v1::Event::INCIDENT_UPDATE_POSTED,
                          v1::Event::COMPONENT_STATUS_CHANGED));
  EXPECT_FALSE(settings->verbose);
}

TEST(ParseWatchCommand, EveryServerGiven_IsATargetInOrder) {
  absl::StatusOr<WatchSettings> settings = ParseWatchCommand(
      Parse({"--server", "a:1", "watch", "acme", "--server=b:2"}, "env:3"));
  ASSERT_OK(settings);
  EXPECT_THAT(settings->targets, ElementsAre("a:1", "b:2"));
}

TEST(ParseWatchCommand, NoServerFlag_UsesTheDefaultTarget) {
  absl::StatusOr<WatchSettings> settings =
      ParseWatchCommand(Parse({"watch", "acme", "--snapshot"}, "env:3"));
  ASSERT_OK(settings);
  EXPECT_THAT(settings->targets, ElementsAre("env:3"));
  EXPECT_TRUE(settings->request.snapshot());
  EXPECT_EQ(settings->request.after_sequence(), 0);
}

TEST(ParseSubscribeCommand, BuildsTheRequestFromShortNames) {
  absl::StatusOr<v1::CreateSubscriberRequest> request = ParseSubscribeCommand(
      Parse({"subscribe", "acme", "--webhook", "https://h.example/x?a=1",
             "--component", "api", "--component", "pages/acme/components/web",
             "--incident", "outage"}));
  ASSERT_OK(request);
  EXPECT_EQ(request->parent(), "pages/acme");
  EXPECT_EQ(request->subscriber().webhook_url(), "https://h.example/x?a=1");
  EXPECT_EQ(request->subscriber().email(), "");
  EXPECT_THAT(
      request->subscriber().components(),
      ElementsAre("pages/acme/components/api", "pages/acme/components/web"));
  EXPECT_EQ(request->subscriber().incident(), "pages/acme/incidents/outage");
}

TEST(ParseSubscribeCommand, Email_SetsOnlyTheEmail) {
  absl::StatusOr<v1::CreateSubscriberRequest> request = ParseSubscribeCommand(
      Parse({"subscribe", "pages/acme", "--email=ops@example.com"}));
  ASSERT_OK(request);
  EXPECT_EQ(request->subscriber().address_case(), v1::Subscriber::kEmail);
  EXPECT_EQ(request->subscriber().email(), "ops@example.com");
  EXPECT_THAT(request->subscriber().components(), IsEmpty());
  EXPECT_EQ(request->subscriber().incident(), "");
}

TEST(ParseSubscribeCommand, BothOrNeitherAddress_IsUsageErrorSayingSo) {
  absl::StatusOr<v1::CreateSubscriberRequest> neither =
      ParseSubscribeCommand(Parse({"subscribe", "acme"}));
  EXPECT_CODE(neither, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(neither.status().message()),
              HasSubstr("exactly one of --email and --webhook"));
  EXPECT_CODE(ParseSubscribeCommand(
                  Parse({"subscribe", "acme", "--email", "a@b.example",
                         "--webhook", "https://h.example"})),
              absl::StatusCode::kInvalidArgument);
}

TEST(ExpandDeliveryName, ShortAndFullForms) {
  EXPECT_EQ(ExpandDeliveryName("acme/s1/12").value(),
            "pages/acme/subscribers/s1/deliveries/12");
  EXPECT_EQ(
      ExpandDeliveryName("pages/acme/subscribers/s1/deliveries/0").value(),
      "pages/acme/subscribers/s1/deliveries/0");
  for (const char* bad :
       {"", "acme", "acme/s1", "pages/acme/s1", "acme/s1/12/x", "acme//12",
        "pages/acme/subscribers/s1/deliveries/",
        "pages/acme/components/s1/deliveries/1"}) {
    absl::StatusOr<std::string> name = ExpandDeliveryName(bad);
    EXPECT_CODE(name, absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(PrintingCallbacks, EventsAreOneJsonLineEach) {
  std::ostringstream out;
  WatchCallbacks callbacks = PrintingCallbacks(out, /*verbose=*/false);
  v1::Event event;
  event.set_page("pages/acme");
  event.set_sequence(7);
  event.set_type(v1::Event::INCIDENT_CREATED);
  callbacks.on_event(event);
  event.set_sequence(8);
  callbacks.on_event(event);
  EXPECT_EQ(out.str(),
            "{\"page\":\"pages/acme\",\"sequence\":\"7\",\"type\":"
            "\"INCIDENT_CREATED\"}\n"
            "{\"page\":\"pages/acme\",\"sequence\":\"8\",\"type\":"
            "\"INCIDENT_CREATED\"}\n");
}

TEST(PrintingCallbacks, SnapshotAlways_HeartbeatsOnlyWhenVerbose) {
  v1::Snapshot snapshot;
  snapshot.set_sequence(4);
  v1::Heartbeat heartbeat;
  heartbeat.set_sequence(9);

  std::ostringstream quiet;
  WatchCallbacks callbacks = PrintingCallbacks(quiet, /*verbose=*/false);
  callbacks.on_snapshot(snapshot);
  EXPECT_FALSE(callbacks.on_heartbeat);
  EXPECT_EQ(quiet.str(), "{\"snapshot\":{\"sequence\":\"4\"}}\n");

  std::ostringstream verbose;
  callbacks = PrintingCallbacks(verbose, /*verbose=*/true);
  callbacks.on_heartbeat(heartbeat);
  EXPECT_EQ(verbose.str(), "{\"heartbeat\":{\"sequence\":\"9\"}}\n");
}

TEST(ParseEnumFlag, AcceptsLowerUpperAndDashes) {
  const auto& type = *v1::ComponentStatus::Value_descriptor();
  EXPECT_EQ(ParseEnumFlag(type, "component", "partial-outage").value(),
            v1::ComponentStatus::PARTIAL_OUTAGE);
  EXPECT_EQ(ParseEnumFlag(type, "component", "PARTIAL_OUTAGE").value(),
            v1::ComponentStatus::PARTIAL_OUTAGE);
  EXPECT_EQ(ParseEnumFlag(type, "component", "operational").value(),
            v1::ComponentStatus::OPERATIONAL);
}

TEST(ParseEnumFlag, UpdateStatus_MeansKeepTheStatus) {
  EXPECT_EQ(ParseEnumFlag(*v1::IncidentStatus::Value_descriptor(), "status",
                          "update")
                .value(),
            v1::IncidentStatus::VALUE_UNSPECIFIED);
}

TEST(ParseEnumFlag, UnknownOrUnspecified_IsUsageErrorListingTheChoices) {
  const auto& type = *v1::IncidentStatus::Value_descriptor();
  absl::StatusOr<int> bad = ParseEnumFlag(type, "status", "solved");
  EXPECT_CODE(bad, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("investigating, identified"));
  EXPECT_CODE(ParseEnumFlag(type, "status", "value-unspecified"),
              absl::StatusCode::kInvalidArgument);
}

TEST(RunIncidentctl, Help_PrintsUsageAndExitsZero) {
  std::ostringstream out, err;
  EXPECT_EQ(RunIncidentctl({"--help"}, "", out, err), 0);
  EXPECT_THAT(out.str(), HasSubstr("incidents get INCIDENT"));
  EXPECT_THAT(out.str(), HasSubstr("productsup/ceph-2025-09"));
  EXPECT_THAT(out.str(), HasSubstr("watch PAGE"));
  EXPECT_THAT(out.str(),
              HasSubstr("subscribe PAGE (--email ADDRESS | --webhook URL)"));
  EXPECT_THAT(out.str(), HasSubstr("unsubscribe TOKEN"));
  EXPECT_THAT(err.str(), IsEmpty());
}

TEST(RunIncidentctl, UsageError_ExitsTwoWithMessageOnStderr) {
  std::ostringstream out, err;
  EXPECT_EQ(RunIncidentctl({"incidents", "get", "outage"}, "", out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("incidentctl: "));
  EXPECT_THAT(err.str(), HasSubstr("PAGE/ID"));
  EXPECT_THAT(out.str(), IsEmpty());
}

TEST(ToJson, ListItemsAreOneLine_SingleResourcesIndented) {
  v1::Page page;
  page.set_name("pages/acme");
  page.set_display_name("Acme");
  EXPECT_EQ(ToJson(page, false),
            R"({"name":"pages/acme","displayName":"Acme"})");
  std::string pretty = ToJson(page, true);
  EXPECT_THAT(pretty, HasSubstr("\n"));
  EXPECT_THAT(pretty, HasSubstr("\"displayName\": \"Acme\""));
}

}  // namespace
}  // namespace incidentd::client
