#include "tests/testing/http_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "server/strings.h"

namespace incidentd::testing {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;

absl::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

std::string ResponseText(int status, absl::string_view location,
                         absl::string_view body) {
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ",
                                 ReasonPhrase(status), "\r\n",
                                 "Content-Type: text/plain\r\n",
                                 "Content-Length: ", body.size(), "\r\n",
                                 "Connection: close\r\n");
  if (!location.empty()) absl::StrAppend(&out, "Location: ", location, "\r\n");
  absl::StrAppend(&out, "\r\n", body);
  return out;
}

// One accepted connection's byte stream, plain or TLS.
class Stream {
 public:
  Stream(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}

  // Appends what arrives to `out`; false at the end of the stream or on
  // an error (both end the connection).
  bool ReadSome(std::string& out) {
    char chunk[16 * 1024];
    while (true) {
      ssize_t n;
      if (ssl_ != nullptr) {
        n = SSL_read(ssl_, chunk, sizeof(chunk));
      } else {
        n = recv(fd_, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == EINTR) continue;
      }
      if (n <= 0) return false;
      out.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

  bool WriteAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n;
      if (ssl_ != nullptr) {
        n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
      } else {
        n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
      }
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

 private:
  int fd_;
  SSL* ssl_;
};

// The request line and headers of `head` (without the blank line) into
// `request`; false when malformed.
bool ParseHead(absl::string_view head, HttpRequest& request) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() ||
      !absl::StartsWith(parts[2], "HTTP/1.")) {
    return false;
  }
  request.method = std::string(parts[0]);
  request.path = std::string(parts[1]);
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos || colon == 0) return false;
    request.headers.emplace_back(
        absl::AsciiStrToLower(lines[i].substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  return true;
}

}  // namespace

std::string HttpRequest::Header(std::string_view name) const {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(name));
  for (const auto& [key, value] : headers) {
    if (key == lower) return value;
  }
  return "";
}

HttpReceiver::HttpReceiver(HttpReceiverOptions options)
    : options_(std::move(options)) {}

HttpReceiver::~HttpReceiver() { Stop(); }

absl::Status HttpReceiver::Start(int port) {
  absl::MutexLock lock(&mu_);
  if (running_) return absl::FailedPreconditionError("already running");
  if (port == 0) port = port_;

  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    std::signal(SIGPIPE, SIG_IGN);
    SSL_CTX* tls = SSL_CTX_new(TLS_server_method());
    if (tls == nullptr ||
        SSL_CTX_use_certificate_chain_file(tls,
                                           options_.tls_cert_file.c_str()) !=
            1 ||
        SSL_CTX_use_PrivateKey_file(tls, options_.tls_key_file.c_str(),
                                    SSL_FILETYPE_PEM) != 1) {
      char text[256] = "";
      ERR_error_string_n(ERR_get_error(), text, sizeof(text));
      SSL_CTX_free(tls);
      return absl::InternalError(
          absl::StrCat("cannot load the TLS certificate or key: ", text));
    }
    tls_ = tls;
  }

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  // Coming back on the same port after Stop() must not wait out the
  // TIME_WAIT of the connections closed then.
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 128) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    close(fd);
    if (tls_ != nullptr) SSL_CTX_free(tls_);
    tls_ = nullptr;
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on 127.0.0.1:", port, ": ", std::strerror(error)));
  }
  listen_fd_ = fd;
  port_ = ntohs(address.sin_port);
  running_ = true;
  stopping_ = false;
  accept_thread_ = std::thread(&HttpReceiver::AcceptLoop, this);
  return absl::OkStatus();
}

void HttpReceiver::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!running_ || stopping_) return;
    stopping_ = true;  // also ends pending delays
  }
  // Wakes the blocked accept() (EINVAL) on Linux.
  shutdown(listen_fd_, SHUT_RDWR);
  accept_thread_.join();
  close(listen_fd_);
  listen_fd_ = -1;

  std::list<std::unique_ptr<Connection>> connections;
  {
    absl::MutexLock lock(&mu_);
    // Wakes connection threads blocked reading; their fds stay open (and
    // so cannot be reused under us) until joined below.
    for (const auto& connection : connections_) {
      shutdown(connection->fd, SHUT_RDWR);
    }
    connections.swap(connections_);
  }
  for (const auto& connection : connections) {
    connection->thread.join();
    close(connection->fd);
  }
  if (tls_ != nullptr) SSL_CTX_free(tls_);
  tls_ = nullptr;

  absl::MutexLock lock(&mu_);
  running_ = false;
  stopping_ = false;
}

bool HttpReceiver::running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

int HttpReceiver::port() const {
  absl::MutexLock lock(&mu_);
  return port_;
}

std::string HttpReceiver::Url(std::string_view path) const {
  return absl::StrCat(options_.tls_cert_file.empty() ? "http" : "https",
                      "://127.0.0.1:", port(), ToAbsl(path));
}

void HttpReceiver::SetResponse(int status, std::string body) {
  absl::MutexLock lock(&mu_);
  status_ = status;
  body_ = std::move(body);
  redirect_location_.clear();
}

void HttpReceiver::SetRedirect(std::string location, int status) {
  absl::MutexLock lock(&mu_);
  redirect_location_ = std::move(location);
  redirect_status_ = status;
}

void HttpReceiver::FailNext(int n, int status) {
  absl::MutexLock lock(&mu_);
  fail_remaining_ = n;
  fail_status_ = status;
}

void HttpReceiver::SetDelay(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  delay_ = delay;
}

std::vector<HttpRequest> HttpReceiver::Requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

size_t HttpReceiver::RequestCount() const {
  absl::MutexLock lock(&mu_);
  return requests_.size();
}

bool HttpReceiver::WaitForRequests(size_t n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto arrived = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return requests_.size() >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout);
}

void HttpReceiver::Clear() {
  absl::MutexLock lock(&mu_);
  requests_.clear();
}

void HttpReceiver::AcceptLoop() {
  while (true) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0 && (errno == EINTR || errno == ECONNABORTED)) continue;
    absl::MutexLock lock(&mu_);
    if (fd < 0 || stopping_) {
      if (fd >= 0) close(fd);
      return;
    }
    ReapLocked();
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    Connection* raw = connection.get();
    connections_.push_back(std::move(connection));
    raw->thread = std::thread(&HttpReceiver::Serve, this, raw);
  }
}

void HttpReceiver::ReapLocked() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (!(*it)->done) {
      ++it;
      continue;
    }
    // Done was set in the thread's last locked section: it no longer needs
    // mu_, so joining under it cannot deadlock.
    (*it)->thread.join();
    close((*it)->fd);
    it = connections_.erase(it);
  }
}

HttpReceiver::Answer HttpReceiver::Record(HttpRequest request) {
  absl::MutexLock lock(&mu_);
  Answer answer;
  if (fail_remaining_ > 0) {
    --fail_remaining_;
    answer.status = fail_status_;
  } else if (!redirect_location_.empty()) {
    answer.status = redirect_status_;
    answer.location = redirect_location_;
  } else {
    answer.status = status_;
    answer.body = body_;
  }
  answer.delay = delay_;
  request.status = answer.status;
  requests_.push_back(std::move(request));
  return answer;
}

void HttpReceiver::Serve(Connection* connection) {
  SSL* ssl = nullptr;
  if (tls_ != nullptr) {
    ssl = SSL_new(tls_);
    if (ssl != nullptr) SSL_set_fd(ssl, connection->fd);
  }
  // One request per connection; returning ends it.
  [&] {
    if (tls_ != nullptr && (ssl == nullptr || SSL_accept(ssl) != 1)) return;
    Stream stream(connection->fd, ssl);
    std::string buffer;
    size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeaderBytes) {
        stream.WriteAll(ResponseText(431, "", ""));
        return;
      }
      if (!stream.ReadSome(buffer)) return;
    }
    HttpRequest request;
    if (!ParseHead(absl::string_view(buffer).substr(0, head_end), request)) {
      stream.WriteAll(ResponseText(400, "", ""));
      return;
    }
    if (!request.Header("transfer-encoding").empty()) {
      stream.WriteAll(ResponseText(411, "", ""));
      return;
    }
    size_t length = 0;
    const std::string length_text = request.Header("content-length");
    if (!length_text.empty() &&
        (!absl::SimpleAtoi(length_text, &length) || length > kMaxBodyBytes)) {
      stream.WriteAll(ResponseText(length_text.empty() ? 400 : 413, "", ""));
      return;
    }
    request.body = buffer.substr(head_end + 4);
    if (request.body.size() < length &&
        absl::EqualsIgnoreCase(request.Header("expect"), "100-continue") &&
        !stream.WriteAll("HTTP/1.1 100 Continue\r\n\r\n")) {
      return;
    }
    while (request.body.size() < length) {
      if (!stream.ReadSome(request.body)) return;
    }
    request.body.resize(length);
    request.received = absl::Now();

    const Answer answer = Record(std::move(request));
    if (answer.delay > absl::ZeroDuration()) {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), answer.delay);
      if (stopping_) return;
    }
    stream.WriteAll(ResponseText(answer.status, answer.location, answer.body));
  }();
  if (ssl != nullptr) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
  // Sends the FIN now; the fd itself is closed when the thread is reaped.
  shutdown(connection->fd, SHUT_RDWR);
  absl::MutexLock lock(&mu_);
  connection->done = true;
}

}  // namespace incidentd::testing
