// The live-update settings: their defaults, their variables, and the values
// refused.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "gtest/gtest.h"
#include "server/config.h"
#include "tests/testing/status_matchers.h"

namespace incidentd {
namespace {

void ParseArgs(std::vector<std::string> args) {
  args.insert(args.begin(), "incidentd");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  absl::ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

class EventConfigTest : public ::testing::Test {
 private:
  absl::FlagSaver saver_;
};

TEST_F(EventConfigTest, Defaults) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ConfigFromFlags());
  EXPECT_EQ(c.event_poll_interval, absl::Milliseconds(100));
  EXPECT_EQ(c.heartbeat_interval, absl::Seconds(15));
  EXPECT_EQ(c.watch_buffer, 1024);
  EXPECT_EQ(c.event_retention, absl::Hours(720));
  EXPECT_EQ(c.event_prune_interval, absl::Minutes(1));
}

TEST_F(EventConfigTest, EnvironmentVariables_SetThem) {
  std::map<std::string, std::string> vars = {
      {"INCIDENTD_EVENT_POLL_INTERVAL", "50ms"},
      {"INCIDENTD_HEARTBEAT_INTERVAL", "2s"},
      {"INCIDENTD_WATCH_BUFFER", "64"},
      {"INCIDENTD_EVENT_RETENTION", "1h"},
      {"INCIDENTD_EVENT_PRUNE_INTERVAL", "10s"},
  };
  ASSERT_OK(ApplyEnvironment(
      [&vars](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(std::string(name));
        if (it == vars.end()) return std::nullopt;
        return it->second;
      }));
  ASSERT_OK_AND_ASSIGN(ServerConfig c, ConfigFromFlags());
  EXPECT_EQ(c.event_poll_interval, absl::Milliseconds(50));
  EXPECT_EQ(c.heartbeat_interval, absl::Seconds(2));
  EXPECT_EQ(c.watch_buffer, 64);
  EXPECT_EQ(c.event_retention, absl::Hours(1));
  EXPECT_EQ(c.event_prune_interval, absl::Seconds(10));
  const std::string line = DescribeConfig(c);
  EXPECT_NE(line.find("watch_buffer=64"), std::string::npos) << line;
}

TEST_F(EventConfigTest, OutOfRangeValues_AreInvalidArgument) {
  for (const char* arg :
       {"--event_poll_interval=0s", "--heartbeat_interval=-1s",
        "--watch_buffer=0", "--event_retention=0s",
        "--event_prune_interval=0s"}) {
    absl::FlagSaver inner;
    ParseArgs({arg});
    EXPECT_CODE(ConfigFromFlags(), absl::StatusCode::kInvalidArgument) << arg;
  }
}

}  // namespace
}  // namespace incidentd
