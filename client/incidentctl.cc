// incidentctl: the command-line client of incidentd. The logic lives in
// client/commands.h; this only passes it argv, $INCIDENTD_SERVER and the
// standard streams.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "client/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* server = std::getenv("INCIDENTD_SERVER");
  return incidentd::client::RunIncidentctl(
      args, server == nullptr ? "" : server, std::cout, std::cerr);
}
