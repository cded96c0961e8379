#include "tests/testing/smtp_sink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

#ifndef INCIDENTD_SMTP_SINK_SCRIPT
#error "INCIDENTD_SMTP_SINK_SCRIPT (the path of smtp_sink.py) must be defined"
#endif

namespace incidentd::testing {
namespace {

// Debian's interpreter: the one with python3-aiosmtpd (a python3 earlier on
// PATH may lack it).
constexpr char kPython[] = "/usr/bin/python3";
constexpr absl::Duration kStartTimeout = absl::Seconds(30);

bool IsMessageFile(const std::string& name) {
  return !name.empty() && name[0] != '.' && absl::EndsWith(name, ".msg");
}

// Milliseconds left until `deadline` for poll(), at least 0.
int PollMillis(absl::Time deadline) {
  return static_cast<int>(std::max<int64_t>(
      0, absl::ToInt64Milliseconds(deadline - absl::Now()) + 1));
}

// Reads the first line the child prints ("port <n>"); "" when it exits or
// stays silent until `deadline`.
std::string ReadFirstLine(int fd, absl::Time deadline) {
  std::string line;
  while (line.find('\n') == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, PollMillis(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return "";
    char chunk[256];
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    line.append(chunk, static_cast<size_t>(n));
  }
  return line.substr(0, line.find('\n'));
}

// Whether an SMTP server answers on 127.0.0.1:`port` with its 220 greeting.
bool Greets(int port, absl::Time deadline) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address),
                    sizeof(address)) == 0;
  std::string greeting;
  while (ok && greeting.size() < 3) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, PollMillis(deadline)) <= 0) {
      ok = false;
      break;
    }
    char chunk[256];
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0) {
      ok = false;
      break;
    }
    greeting.append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  return ok && absl::StartsWith(greeting, "220");
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// One message file: the envelope lines, a blank line, the message.
SmtpMessage ParseMessageFile(const std::string& contents) {
  SmtpMessage message;
  const size_t end = contents.find("\n\n");
  absl::string_view head = absl::string_view(contents).substr(0, end);
  if (end != std::string::npos) message.data = contents.substr(end + 2);
  for (absl::string_view line : absl::StrSplit(head, '\n')) {
    std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(line, absl::MaxSplits(": ", 1));
    if (field.first == "mail-from") {
      message.mail_from = std::string(field.second);
    } else if (field.first == "rcpt-to") {
      message.rcpt_to.emplace_back(field.second);
    } else if (field.first == "tls") {
      message.tls = field.second == "yes";
    } else if (field.first == "auth" && field.second != "-") {
      message.auth_user = std::string(field.second);
    }
  }
  return message;
}

}  // namespace

SmtpSink::SmtpSink(SmtpSinkOptions options) : options_(std::move(options)) {}

SmtpSink::~SmtpSink() {
  Stop();
  if (own_dir_) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string SmtpSink::Url() const {
  return absl::StrCat("smtp://127.0.0.1:", port_);
}

absl::Status SmtpSink::Start(int port) {
  if (running()) return absl::FailedPreconditionError("already running");
  if (port == 0) port = port_;
  if (dir_.empty()) {
    if (!options_.dir.empty()) {
      std::error_code error;
      std::filesystem::create_directories(options_.dir, error);
      if (error) {
        return absl::InternalError(
            absl::StrCat("cannot create ", options_.dir, ": ", error.message()));
      }
      dir_ = options_.dir;
    } else {
      const char* tmp = std::getenv("TMPDIR");
      std::string pattern = absl::StrCat(
          tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/incidentd-smtp-XXXXXX");
      if (mkdtemp(pattern.data()) == nullptr) {
        return absl::InternalError(
            absl::StrCat("mkdtemp: ", std::strerror(errno)));
      }
      dir_ = pattern;
      own_dir_ = true;
    }
  }

  std::vector<std::string> argv = {kPython, INCIDENTD_SMTP_SINK_SCRIPT,
                                   "--dir", dir_,
                                   "--port", absl::StrCat(port)};
  for (const std::string& address : options_.reject_recipients) {
    argv.push_back("--reject");
    argv.push_back(address);
  }
  if (!options_.auth_user.empty()) {
    argv.push_back("--auth");
    argv.push_back(
        absl::StrCat(options_.auth_user, ":", options_.auth_password));
  }
  if (!options_.tls_cert_file.empty()) {
    argv.insert(argv.end(), {"--tls-cert", options_.tls_cert_file,
                             "--tls-key", options_.tls_key_file});
  }
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> c_argv = CStrings(argv);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    // The sink dies with the test (with the thread that forked, strictly).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(out[1], 1);  // stderr stays the test's: Python errors show there
    execv(c_argv[0], c_argv.data());
    _exit(127);
  }
  close(out[1]);
  pid_ = pid;
  const absl::Time deadline = absl::Now() + kStartTimeout;
  const std::string line = ReadFirstLine(out[0], deadline);
  // The sink prints nothing after its port; a closed pipe is fine.
  close(out[0]);
  int printed_port = 0;
  if (!absl::SimpleAtoi(absl::StripPrefix(line, "port "), &printed_port) ||
      printed_port <= 0) {
    Stop();
    return absl::UnavailableError(absl::StrCat(
        "the SMTP sink did not start (", kPython, " ",
        INCIDENTD_SMTP_SINK_SCRIPT, "; see its stderr above)"));
  }
  port_ = printed_port;
  if (!Greets(port_, deadline)) {
    Stop();
    return absl::UnavailableError(
        absl::StrCat("the SMTP sink on port ", port_, " does not answer"));
  }
  return absl::OkStatus();
}

void SmtpSink::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

size_t SmtpSink::CountMessages() const {
  size_t count = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    if (IsMessageFile(entry.path().filename().string())) ++count;
  }
  return count;
}

std::vector<SmtpMessage> SmtpSink::Messages() const {
  std::vector<std::string> names;
  if (dir_.empty()) return {};
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    std::string name = entry.path().filename().string();
    if (IsMessageFile(name)) names.push_back(std::move(name));
  }
  // Zero-padded numbers: name order is acceptance order.
  std::sort(names.begin(), names.end());
  std::vector<SmtpMessage> messages;
  for (const std::string& name : names) {
    std::ifstream in(absl::StrCat(dir_, "/", name), std::ios::binary);
    std::stringstream contents;
    contents << in.rdbuf();
    messages.push_back(ParseMessageFile(contents.str()));
  }
  return messages;
}

bool SmtpSink::WaitForMessages(size_t n, absl::Duration timeout) const {
  if (dir_.empty()) return n == 0;
  const absl::Time deadline = absl::Now() + timeout;
  const int watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (watch < 0) return false;
  // Watch first, count second: a message renamed in between still wakes
  // the poll below.
  inotify_add_watch(watch, dir_.c_str(), IN_MOVED_TO);
  bool reached = false;
  while (!(reached = CountMessages() >= n)) {
    if (absl::Now() >= deadline) break;
    pollfd p{watch, POLLIN, 0};
    if (poll(&p, 1, PollMillis(deadline)) < 0 && errno != EINTR) break;
    char events[4096];
    while (read(watch, events, sizeof(events)) > 0) {
    }
  }
  close(watch);
  return reached;
}

}  // namespace incidentd::testing
