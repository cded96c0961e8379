// A small HTTP/1.1 server inside the test process, standing in for a webhook
// receiver: it records every request and answers as the test programs it
// (a status, failures for the next N requests, a delay, a redirect, down and
// back up on the same port). Plain HTTP, or HTTPS with a given certificate.
#ifndef INCIDENTD_TESTS_TESTING_HTTP_RECEIVER_H_
#define INCIDENTD_TESTS_TESTING_HTTP_RECEIVER_H_

#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

// OpenSSL's context type, without OpenSSL's headers in every test.
struct ssl_ctx_st;

namespace incidentd::testing {

// One request as it arrived.
struct HttpRequest {
  absl::Time received;  // when the whole request (body included) had arrived
  std::string method;   // "POST"
  std::string path;     // the request target as sent, query included
  // In arrival order, names lowercased, values without surrounding blanks.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The status the receiver chose for it. A client that gave up during a
  // delay never saw it.
  int status = 0;

  // The first value of header `name` (any case), "" when absent.
  std::string Header(std::string_view name) const;
};

struct HttpReceiverOptions {
  // Both set: serve HTTPS with this PEM certificate (chain) and key. Start()
  // then ignores SIGPIPE process-wide: OpenSSL writes with write(2), and a
  // client that hung up must not kill the test.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// Listens on 127.0.0.1 only. Each connection gets its own thread, so a
// delayed answer does not hold up other requests; every answer closes its
// connection ("Connection: close"). Bodies need a Content-Length (chunked
// requests are answered 411 and not recorded); "Expect: 100-continue" is
// honoured. All methods are thread-safe.
class HttpReceiver {
 public:
  explicit HttpReceiver(HttpReceiverOptions options = {});
  ~HttpReceiver();  // Stop()s
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  // Starts listening. `port` 0 means: the port of the previous Start() if
  // there was one (so Stop() then Start() comes back where clients expect
  // it), else a free port. FAILED_PRECONDITION when already running.
  absl::Status Start(int port = 0);
  // Stops listening (new connections are refused), cuts open connections
  // and pending delays short, and joins every thread. Recorded requests and
  // the programmed behaviour are kept. Does nothing when not running.
  void Stop();
  bool running() const;

  int port() const;  // 0 before the first Start()
  // "http://127.0.0.1:<port><path>" ("https://" with TLS).
  std::string Url(std::string_view path = "/") const;

  // --- What the answers are. Each applies to requests received after the
  // call; precedence: FailNext, then SetRedirect, then SetResponse.

  // Answers `status` with `body` (default: 200, empty). Clears a redirect.
  void SetResponse(int status, std::string body = "");
  // Answers `status` with "Location: <location>" until SetResponse().
  void SetRedirect(std::string location, int status = 302);
  // The next `n` requests are answered `status`, then the rest as above:
  // FailNext(3) before any request fails the first three.
  void FailNext(int n, int status = 500);
  // Waits this long before answering each request (0: none). The request is
  // recorded (and WaitForRequests wakes) before the wait.
  void SetDelay(absl::Duration delay);

  // --- What arrived.

  std::vector<HttpRequest> Requests() const;  // in arrival order
  size_t RequestCount() const;
  // Blocks until at least `n` requests have arrived in total (since
  // construction or Clear()); false on timeout.
  bool WaitForRequests(size_t n, absl::Duration timeout) const;
  // Forgets the recorded requests.
  void Clear();

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
    bool done = false;  // guarded by mu_
  };

  void AcceptLoop();
  void Serve(Connection* connection);
  // Joins and closes finished connections.
  void ReapLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Picks the answer for one request and records it.
  struct Answer {
    int status = 200;
    std::string location;
    std::string body;
    absl::Duration delay;
  };
  Answer Record(HttpRequest request);

  const HttpReceiverOptions options_;
  ssl_ctx_st* tls_ = nullptr;  // while running with TLS
  int listen_fd_ = -1;
  std::thread accept_thread_;

  mutable absl::Mutex mu_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int port_ ABSL_GUARDED_BY(mu_) = 0;
  std::list<std::unique_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
  int status_ ABSL_GUARDED_BY(mu_) = 200;
  std::string body_ ABSL_GUARDED_BY(mu_);
  std::string redirect_location_ ABSL_GUARDED_BY(mu_);
  int redirect_status_ ABSL_GUARDED_BY(mu_) = 302;
  int fail_remaining_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_status_ ABSL_GUARDED_BY(mu_) = 500;
  absl::Duration delay_ ABSL_GUARDED_BY(mu_);
};

}  // namespace incidentd::testing

#endif  // INCIDENTD_TESTS_TESTING_HTTP_RECEIVER_H_
