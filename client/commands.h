// incidentctl's command line: parsing arguments into a CommandLine, turning
// one into a runnable command (which is where every usage error is found),
// and the program as a whole. incidentctl.cc only wires RunIncidentctl to
// argv, the environment and the standard streams.
#ifndef INCIDENTD_CLIENT_COMMANDS_H_
#define INCIDENTD_CLIENT_COMMANDS_H_

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/client.h"
#include "client/watcher.h"
#include "google/protobuf/message.h"

namespace incidentd::client {

struct CommandLine {
  // --server (else $INCIDENTD_SERVER, else 127.0.0.1:50051) and --timeout.
  ClientOptions client;
  // The command words and their positional arguments, e.g.
  // {"incidents", "get", "productsup/ceph-2025-09"}.
  std::vector<std::string> words;
  // Every other flag, by name without dashes, with its values in order
  // (repeatable flags such as --component and -f have several).
  std::map<std::string, std::vector<std::string>> flags;
  bool help = false;
};

// Splits arguments (without the program name) into words and flags. Flags
// may come anywhere; "--name=value" and "--name value" both work; "--" ends
// the flags. INVALID_ARGUMENT (a usage error) for an unknown flag, a missing
// value, or a bad --timeout. `server_env` is $INCIDENTD_SERVER or "".
absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args, absl::string_view server_env);

// A checked command, ready to run against a server; it writes its output to
// `out` and returns the call's error, if any.
using Command = std::function<absl::Status(Client& client, std::ostream& out)>;

// Checks the words, arguments and flags of `line` and builds its requests.
// INVALID_ARGUMENT (a usage error) when they do not make a command.
absl::StatusOr<Command> BuildCommand(const CommandLine& line);

// `incidentctl watch PAGE ...`, checked: the servers to rotate through
// (every --server given, else the default target), the request (start
// position and filters) and what to print.
struct WatchSettings {
  std::vector<std::string> targets;
  v1::WatchPageRequest request;
  // Also print heartbeats (the snapshot is printed whenever asked for).
  bool verbose = false;
};
absl::StatusOr<WatchSettings> ParseWatchCommand(const CommandLine& line);

// `incidentctl subscribe PAGE ...`, checked: the request it sends.
absl::StatusOr<v1::CreateSubscriberRequest> ParseSubscribeCommand(
    const CommandLine& line);

// A delivery's name from PAGE/SUBSCRIBER/SEQUENCE or the full
// pages/PAGE/subscribers/SUBSCRIBER/deliveries/SEQUENCE; INVALID_ARGUMENT
// for any other shape (whether the parts are valid is the server's to say).
absl::StatusOr<std::string> ExpandDeliveryName(absl::string_view arg);

// What `watch` prints, one JSON line each, flushed at once (so that a pipe
// into jq shows events as they happen): every event as an
// incidentd.v1.Event; the snapshot as {"snapshot":{...}}; with `verbose`,
// heartbeats as {"heartbeat":{...}} (a jq filter tells them apart by key).
WatchCallbacks PrintingCallbacks(std::ostream& out, bool verbose);

// The --help text: every command, its flags and the short name forms.
std::string UsageText();

// Enum flag values, case-insensitive, '-' for '_': "partial-outage",
// "PARTIAL_OUTAGE" and "partial_outage" all name PARTIAL_OUTAGE; "update"
// or "" names VALUE_UNSPECIFIED for --status. INVALID_ARGUMENT otherwise.
absl::StatusOr<int> ParseEnumFlag(const google::protobuf::EnumDescriptor& type,
                                  absl::string_view flag,
                                  absl::string_view value);

// Protobuf JSON: one line for list items, indented for single resources.
std::string ToJson(const google::protobuf::Message& message, bool pretty);

// The program: 0 on success, 1 when a call fails ("incidentctl: CODE:
// message" on `err`), 2 for usage errors.
int RunIncidentctl(const std::vector<std::string>& args,
                   absl::string_view server_env, std::ostream& out,
                   std::ostream& err);

}  // namespace incidentd::client

#endif  // INCIDENTD_CLIENT_COMMANDS_H_
