// incidentctl against the real server: its output parses as the API's JSON,
// and its exit codes and error lines are what scripts rely on.
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/e2e/api_helpers.h"
#include "tests/e2e/server_harness.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class CliTest : public ServerTest {
 protected:
  CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {IncidentctlBinary(), "--server",
                               server_->address()});
    absl::StatusOr<CommandResult> result = RunCommand(args, absl::Seconds(60));
    EXPECT_OK(result);
    return result.value_or(CommandResult());
  }
  // Runs a command that must succeed and parses its (single) output.
  template <typename T>
  T RunJson(const std::vector<std::string>& args) {
    CommandResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    T message;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(result.out, &message).ok())
        << result.out;
    return message;
  }
};

TEST_F(CliTest, IncidentFromCreateToResolve) {
  v1::Page page = RunJson<v1::Page>(
      {"pages", "create", "acme", "Acme Inc", "--time-zone", "Europe/Berlin"});
  EXPECT_EQ(page.name(), "pages/acme");
  EXPECT_EQ(page.display_name(), "Acme Inc");
  ASSERT_OK(CreateComponent(client(), "acme", "api"));

  v1::Incident incident = RunJson<v1::Incident>(
      {"incidents", "create", "acme", "--id", "outage", "--title",
       "API errors", "--body", "We are investigating.", "--component",
       "api=partial-outage"});
  EXPECT_EQ(incident.name(), "pages/acme/incidents/outage");
  EXPECT_EQ(incident.status(), v1::IncidentStatus::INVESTIGATING);

  v1::IncidentUpdate update = RunJson<v1::IncidentUpdate>(
      {"post", "acme/outage", "--status", "identified", "--body",
       "Found it.", "--display-time", "2030-01-01T10:00:00+01:00"});
  EXPECT_EQ(update.resulting_status(), v1::IncidentStatus::IDENTIFIED);
  EXPECT_EQ(FromProto(update.display_time()),
            absl::FromUnixSeconds(1893488400));  // 09:00Z
  RunJson<v1::IncidentUpdate>({"post", "pages/acme/incidents/outage",
                               "--body", "Still on it."});

  v1::PageStatus status = RunJson<v1::PageStatus>({"status", "acme"});
  EXPECT_EQ(status.indicator(), v1::PageStatus::MAJOR);

  v1::IncidentUpdate resolved = RunJson<v1::IncidentUpdate>(
      {"resolve", "acme/outage", "--body", "Fixed."});
  EXPECT_EQ(resolved.resulting_status(), v1::IncidentStatus::RESOLVED);

  v1::Incident read =
      RunJson<v1::Incident>({"incidents", "get", "acme/outage"});
  ASSERT_EQ(read.updates_size(), 4);
  status = RunJson<v1::PageStatus>({"status", "pages/acme"});
  EXPECT_EQ(status.description(), "All Systems Operational");
}

TEST_F(CliTest, Lists_PrintOneJsonObjectPerLine) {
  ASSERT_OK(CreatePage(client(), "acme"));
  for (const char* id : {"one", "two", "three"}) {
    ASSERT_OK(CreateIncident(client(), "acme", id, {},
                             v1::IncidentStatus::INVESTIGATING));
  }
  ASSERT_OK(PostUpdate(client(), IncidentName("acme", "two"),
                       v1::IncidentStatus::RESOLVED, "Done."));
  CommandResult result = Run({"incidents", "list", "acme", "--open"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines =
      absl::StrSplit(result.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << result.out;
  for (const std::string& line : lines) {
    v1::Incident incident;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(line, &incident).ok())
        << line;
    EXPECT_NE(incident.name(), IncidentName("acme", "two"));
  }
  result = Run({"updates", "list", "acme/two"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(std::vector<std::string>(
                absl::StrSplit(result.out, '\n', absl::SkipEmpty()))
                .size(),
            2u);
}

TEST_F(CliTest, FailedCall_ExitsOneWithCodeAndMessage) {
  ASSERT_OK(CreatePage(client(), "acme"));
  CommandResult result = Run({"incidents", "get", "acme/missing"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("incidentctl: NOT_FOUND: "));
  EXPECT_EQ(result.out, "");
}

TEST_F(CliTest, UsageError_ExitsTwo) {
  CommandResult result = Run({"incidents", "get", "missing"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("PAGE/ID"));
}

TEST_F(CliTest, Health_IsServing) {
  CommandResult result = Run({"health"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\"SERVING\""));
}

}  // namespace
}  // namespace incidentd::e2e
