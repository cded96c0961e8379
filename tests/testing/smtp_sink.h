// A real SMTP server for tests: tests/testing/smtp_sink.py (Debian's
// python3-aiosmtpd) run as a child process on a free loopback port, storing
// every accepted message as a file that this class reads back.
#ifndef INCIDENTD_TESTS_TESTING_SMTP_SINK_H_
#define INCIDENTD_TESTS_TESTING_SMTP_SINK_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace incidentd::testing {

// One accepted message.
struct SmtpMessage {
  std::string mail_from;             // the envelope sender, bare address
  std::vector<std::string> rcpt_to;  // the accepted recipients, bare
  bool tls = false;                  // sent after STARTTLS
  std::string auth_user;             // who authenticated, "" for nobody
  // The message as received: CRLF line endings, dot-stuffing undone, the
  // final CRLF before the terminating "." included.
  std::string data;
};

struct SmtpSinkOptions {
  // Where the messages go; "" for a fresh temporary directory that the
  // sink deletes when destroyed. A given directory is left in place.
  std::string dir;
  // RCPT TO these addresses is answered 550.
  std::vector<std::string> reject_recipients;
  // Both set: AUTH (PLAIN or LOGIN, allowed without TLS) is required with
  // these credentials.
  std::string auth_user;
  std::string auth_password;
  // Both set: STARTTLS is offered with this certificate and key.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// Not thread-safe: one test thread drives it (the transport under test may
// of course send from any thread).
class SmtpSink {
 public:
  explicit SmtpSink(SmtpSinkOptions options = {});
  ~SmtpSink();  // Stop()s, and deletes a temporary directory
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  // Starts the child and returns once the port accepts connections. `port`
  // 0: the previous Start()'s port if there was one, else a free port.
  // Messages already in the directory stay and are counted.
  absl::Status Start(int port = 0);
  // Kills the child (SIGKILL: the sink is "down" at once) and reaps it.
  // Accepted messages stay readable. Does nothing when not running.
  void Stop();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }  // 0 before the first Start()
  // "smtp://127.0.0.1:<port>", as CurlMailOptions.url.
  std::string Url() const;
  const std::string& dir() const { return dir_; }

  // Every accepted message, in acceptance order. Works while stopped.
  std::vector<SmtpMessage> Messages() const;
  // Blocks until at least `n` messages are in the directory (woken by
  // inotify, not by polling); false on timeout.
  bool WaitForMessages(size_t n, absl::Duration timeout) const;

 private:
  size_t CountMessages() const;

  SmtpSinkOptions options_;
  std::string dir_;
  bool own_dir_ = false;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace incidentd::testing

#endif  // INCIDENTD_TESTS_TESTING_SMTP_SINK_H_
