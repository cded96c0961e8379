// The libcurl webhook and SMTP transports (transport.h). One easy handle
// per call: a call owns all of its state, so transports are safe to share
// between delivery workers without locks, and a connection opened under one
// set of options is never reused under another.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "server/domain/subscriptions.h"
#include "server/notify/transport.h"
#include "server/strings.h"

namespace incidentd::notify {
namespace {

// A receiver's answer is not read, but it is drained so that the status
// line counts; past this many bytes the transfer is cut off (the status is
// known by then) so that a hostile receiver cannot stream into us.
constexpr size_t kMaxResponseBody = 64 * 1024;
// Error messages end up in the delivery's last_error: short.
constexpr size_t kMaxErrorLength = 200;

struct EasyDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends to a curl string list; false when curl is out of memory.
bool Append(Slist& list, const std::string& item) {
  curl_slist* grown = curl_slist_append(list.get(), item.c_str());
  if (grown == nullptr) return false;
  list.release();  // curl_slist_append returns the same head, now grown.
  list.reset(grown);
  return true;
}

// Sets options and remembers the first failure, so that a libcurl lacking
// one (CURLOPT_PROTOCOLS_STR is 7.85+) refuses to send rather than sending
// with a safety option silently missing.
class Options {
 public:
  explicit Options(CURL* curl) : curl_(curl) {}
  template <typename T>
  Options& Set(CURLoption option, T value) {
    if (error_ == CURLE_OK) error_ = curl_easy_setopt(curl_, option, value);
    return *this;
  }
  CURLcode error() const { return error_; }

 private:
  CURL* curl_;
  CURLcode error_ = CURLE_OK;
};

// What an error message may show: at most kMaxErrorLength bytes, on one
// line, with every occurrence of `secrets` (a URL whose path or query may
// carry a token, a password) masked.
std::string Sanitize(std::string message,
                     std::initializer_list<std::string_view> secrets) {
  for (std::string_view secret : secrets) {
    if (secret.empty()) continue;
    message = absl::StrReplaceAll(message, {{ToAbsl(secret), "***"}});
  }
  for (char& c : message) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  absl::StripTrailingAsciiWhitespace(&message);
  if (message.size() > kMaxErrorLength) {
    message.resize(kMaxErrorLength - 3);
    message += "...";
  }
  return message;
}

// curl's own sentence for a failure: the error buffer when it says
// something, else the generic text of the code.
std::string CurlText(CURLcode code, const char* error_buffer) {
  if (error_buffer[0] != '\0') return error_buffer;
  return curl_easy_strerror(code);
}

bool IsTlsError(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

// The failures both transports describe the same way; nullopt for the
// rest.
std::optional<absl::Status> CommonFailure(CURL* curl, CURLcode code,
                                          const char* error_buffer,
                                          absl::Duration timeout) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::UnavailableError(
          absl::StrCat("timed out after ", absl::FormatDuration(timeout)));
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;  // NOLINT(runtime/int): curl's type
      curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
      if (os_errno != 0) {
        // GNU strerror_r: thread-safe, returns the text (maybe not in buf).
        char buffer[128];
        return absl::UnavailableError(absl::StrCat(
            "connect: ", strerror_r(static_cast<int>(os_errno), buffer,
                                    sizeof(buffer))));
      }
      return absl::UnavailableError(
          absl::StrCat("connect: ", CurlText(code, error_buffer)));
    }
    case CURLE_COULDNT_RESOLVE_HOST:
      return absl::UnavailableError(
          absl::StrCat("DNS: ", CurlText(code, error_buffer)));
    case CURLE_OUT_OF_MEMORY:
      return absl::UnavailableError("out of memory");
    default:
      break;
  }
  if (IsTlsError(code)) {
    return absl::UnavailableError(
        absl::StrCat("TLS: ", CurlText(code, error_buffer)));
  }
  return std::nullopt;
}

// --- Webhooks.

// The state of one POST that curl's callbacks reach.
struct WebhookCall {
  bool deny_private = true;
  // The first address the socket callback refused, as text.
  std::string refused_address;
  size_t response_bytes = 0;
  bool response_capped = false;
};

// The address as text when it is one deny_private refuses (any family but
// IPv4 and IPv6 counts as refused), nullopt when it may be connected to.
std::optional<std::string> RefusedAddress(const curl_sockaddr& address) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address.addr);
    std::array<uint8_t, 4> bytes;
    std::memcpy(bytes.data(), &in->sin_addr, bytes.size());
    if (!domain::IsPrivateIPv4(bytes)) return std::nullopt;
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    return std::string(text);
  }
  if (address.family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address.addr);
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
    if (!domain::IsPrivateIPv6(bytes)) return std::nullopt;
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    return std::string(text);
  }
  return absl::StrCat("of family ", address.family);
}

// CURLOPT_OPENSOCKETFUNCTION: runs for every address curl is about to
// connect to, after DNS, so this is where a name that resolves to a private
// address is caught. Refusing makes curl try the next address, then fail
// with CURLE_COULDNT_CONNECT.
curl_socket_t OpenSocket(void* clientp, curlsocktype purpose,
                         curl_sockaddr* address) {
  auto* call = static_cast<WebhookCall*>(clientp);
  if (call->deny_private) {
    if (std::optional<std::string> refused = RefusedAddress(*address)) {
      if (call->refused_address.empty()) call->refused_address = *refused;
      return CURL_SOCKET_BAD;
    }
  }
  // CLOEXEC: a process that forks (tests spawn receivers) must not leak
  // half-open webhook connections into its children.
  return socket(address->family, address->socktype | SOCK_CLOEXEC,
                address->protocol);
}

size_t DiscardResponse(char* data, size_t size, size_t count, void* userp) {
  auto* call = static_cast<WebhookCall*>(userp);
  const size_t bytes = size * count;
  call->response_bytes += bytes;
  if (call->response_bytes > kMaxResponseBody) {
    call->response_capped = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  return bytes;
}

// A header line must stay one line: a value with CR or LF would let a
// caller's data add headers or a body.
bool IsSafeHeader(const std::string& name, const std::string& value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c == ':' || c == '\r' || c == '\n' || c == ' ' || c == '\t') {
      return false;
    }
  }
  return value.find_first_of("\r\n") == std::string::npos;
}

class CurlWebhookTransport final : public WebhookTransport {
 public:
  explicit CurlWebhookTransport(CurlWebhookOptions options)
      : options_(std::move(options)) {}

  absl::Status Post(const WebhookRequest& request) override {
    Slist headers;
    bool listed = Append(headers, "Content-Type: application/json") &&
                  // curl would otherwise send "Expect: 100-continue" for
                  // bodies past 1 MiB and wait up to a second for a "go".
                  Append(headers, "Expect:");
    for (const auto& [name, value] : request.headers) {
      if (!IsSafeHeader(name, value)) {
        return absl::FailedPreconditionError(
            absl::StrCat("header ", Sanitize(name, {}), " is malformed"));
      }
      listed = listed && Append(headers, absl::StrCat(name, ": ", value));
    }
    EasyHandle curl(curl_easy_init());
    if (!listed || curl == nullptr) {
      return absl::UnavailableError("out of memory");
    }
    WebhookCall call;
    call.deny_private = options_.deny_private;
    char error_buffer[CURL_ERROR_SIZE] = "";

    Options set(curl.get());
    set.Set(CURLOPT_ERRORBUFFER, error_buffer)
        .Set(CURLOPT_NOSIGNAL, 1L)
        .Set(CURLOPT_URL, request.url.c_str())
        .Set(CURLOPT_PROTOCOLS_STR, "http,https")
        .Set(CURLOPT_FOLLOWLOCATION, 0L)
        // A proxy from the environment would be what the socket callback
        // sees, not the receiver: the private-address check would be void.
        .Set(CURLOPT_PROXY, "")
        .Set(CURLOPT_TIMEOUT_MS,
             static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)))
        .Set(CURLOPT_USERAGENT, options_.user_agent.c_str())
        .Set(CURLOPT_HTTPHEADER, headers.get())
        .Set(CURLOPT_POST, 1L)
        .Set(CURLOPT_POSTFIELDS, request.body.data())
        .Set(CURLOPT_POSTFIELDSIZE_LARGE,
             static_cast<curl_off_t>(request.body.size()))
        .Set(CURLOPT_OPENSOCKETFUNCTION, &OpenSocket)
        .Set(CURLOPT_OPENSOCKETDATA, &call)
        .Set(CURLOPT_WRITEFUNCTION, &DiscardResponse)
        .Set(CURLOPT_WRITEDATA, &call);
    if (!options_.ca_file.empty()) {
      set.Set(CURLOPT_CAINFO, options_.ca_file.c_str());
    }
    if (set.error() != CURLE_OK) {
      return absl::InternalError(absl::StrCat(
          "libcurl refused an option: ", curl_easy_strerror(set.error())));
    }

    const CURLcode code = curl_easy_perform(curl.get());
    long http_status = 0;  // NOLINT(runtime/int): curl's type
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &http_status);

    if (code == CURLE_OK ||
        (code == CURLE_WRITE_ERROR && call.response_capped)) {
      return FromHttpStatus(http_status);
    }
    // Refused addresses first: when every address was refused curl only
    // says it could not connect.
    if (!call.refused_address.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("address ", call.refused_address, " is private"));
    }
    if (code == CURLE_UNSUPPORTED_PROTOCOL) {
      return absl::FailedPreconditionError(
          "only http and https URLs are allowed");
    }
    if (code == CURLE_URL_MALFORMAT) {
      return absl::FailedPreconditionError("malformed URL");
    }
    if (std::optional<absl::Status> common = CommonFailure(
            curl.get(), code, error_buffer, options_.timeout)) {
      return absl::Status(common->code(),
                          Sanitize(std::string(common->message()),
                                   {request.url}));
    }
    return absl::UnavailableError(
        Sanitize(CurlText(code, error_buffer), {request.url}));
  }

 private:
  static absl::Status FromHttpStatus(long http_status) {  // NOLINT
    if (http_status >= 200 && http_status < 300) return absl::OkStatus();
    if (http_status >= 300 && http_status < 400) {
      return absl::FailedPreconditionError(absl::StrCat(
          "HTTP ", http_status, " (redirects are not followed)"));
    }
    if (http_status == 0) return absl::UnavailableError("no HTTP status");
    return absl::UnavailableError(absl::StrCat("HTTP ", http_status));
  }

  const CurlWebhookOptions options_;
};

// --- Mail.

// The state of one SMTP submission that curl's callbacks reach.
struct MailCall {
  std::string_view message;
  size_t sent = 0;
  // The relay's last error reply ("550 5.1.1 ... rejected"): curl itself
  // only says "RCPT failed: 550", and answers QUIT's 221 come after it.
  std::string error_reply;
};

size_t ReadMessage(char* buffer, size_t size, size_t count, void* userp) {
  auto* call = static_cast<MailCall*>(userp);
  const size_t n = std::min(size * count, call->message.size() - call->sent);
  std::memcpy(buffer, call->message.data() + call->sent, n);
  call->sent += n;
  return n;
}

// CURLOPT_DEBUGFUNCTION, only to keep the relay's error replies: curl
// reports a rejection as "RCPT failed: 550" while the relay's text says
// why. What curl sends (CURLINFO_HEADER_OUT, AUTH included) is never looked
// at.
int KeepReplies(CURL* curl, curl_infotype type, char* data, size_t size,
                void* userp) {
  if (type != CURLINFO_HEADER_IN) return 0;
  auto* call = static_cast<MailCall*>(userp);
  std::string_view text(data, size);
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view()
                                         : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() >= 3 && (line[0] == '4' || line[0] == '5') &&
        absl::ascii_isdigit(line[1]) && absl::ascii_isdigit(line[2])) {
      call->error_reply = std::string(line.substr(0, kMaxErrorLength));
    }
  }
  return 0;
}

// An envelope address goes into "MAIL FROM:<...>" and "RCPT TO:<...>": a
// line break or an angle bracket would break out of the command.
bool IsSafeEnvelopeAddress(std::string_view address) {
  return !address.empty() &&
         address.find_first_of("\r\n<>") == std::string_view::npos;
}

class CurlMailTransport final : public MailTransport {
 public:
  explicit CurlMailTransport(CurlMailOptions options)
      : options_(std::move(options)) {}

  absl::Status Send(std::string_view from, std::string_view to,
                    std::string_view mime) override {
    if (!IsSafeEnvelopeAddress(from) || !IsSafeEnvelopeAddress(to)) {
      return absl::FailedPreconditionError("malformed envelope address");
    }
    const std::string mail_from = StrCat("<", from, ">");
    Slist recipients;
    EasyHandle curl(curl_easy_init());
    if (!Append(recipients, StrCat("<", to, ">")) || curl == nullptr) {
      return absl::UnavailableError("out of memory");
    }
    MailCall call;
    call.message = mime;
    char error_buffer[CURL_ERROR_SIZE] = "";

    Options set(curl.get());
    set.Set(CURLOPT_ERRORBUFFER, error_buffer)
        .Set(CURLOPT_NOSIGNAL, 1L)
        .Set(CURLOPT_URL, options_.url.c_str())
        .Set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        .Set(CURLOPT_PROXY, "")
        .Set(CURLOPT_TIMEOUT_MS,
             static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)))
        // Without require_starttls, STARTTLS is still used whenever the
        // relay offers it (opportunistic TLS), with the certificate
        // checked: "optional" means a relay without TLS is accepted, not
        // that a bad certificate is.
        .Set(CURLOPT_USE_SSL, static_cast<long>(options_.require_starttls
                                                    ? CURLUSESSL_ALL
                                                    : CURLUSESSL_TRY))
        .Set(CURLOPT_MAIL_FROM, mail_from.c_str())
        .Set(CURLOPT_MAIL_RCPT, recipients.get())
        .Set(CURLOPT_UPLOAD, 1L)
        .Set(CURLOPT_READFUNCTION, &ReadMessage)
        .Set(CURLOPT_READDATA, &call)
        .Set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mime.size()))
        .Set(CURLOPT_DEBUGFUNCTION, &KeepReplies)
        .Set(CURLOPT_DEBUGDATA, &call)
        // Only so that the debug callback runs; with a callback set, curl
        // prints nothing itself.
        .Set(CURLOPT_VERBOSE, 1L);
    if (!options_.user.empty()) {
      set.Set(CURLOPT_USERNAME, options_.user.c_str())
          .Set(CURLOPT_PASSWORD, options_.password.c_str());
    }
    if (!options_.ca_file.empty()) {
      set.Set(CURLOPT_CAINFO, options_.ca_file.c_str());
    }
    if (set.error() != CURLE_OK) {
      return absl::InternalError(absl::StrCat(
          "libcurl refused an option: ", curl_easy_strerror(set.error())));
    }

    const CURLcode code = curl_easy_perform(curl.get());
    if (code == CURLE_OK) return absl::OkStatus();

    std::string message;
    if (code == CURLE_USE_SSL_FAILED) {
      message = "TLS: the relay does not offer STARTTLS";
    } else if (std::optional<absl::Status> common = CommonFailure(
                   curl.get(), code, error_buffer, options_.timeout)) {
      message = std::string(common->message());
    } else if (!call.error_reply.empty()) {
      message = absl::StrCat("relay: ", call.error_reply);
    } else {
      message = CurlText(code, error_buffer);
    }
    return absl::UnavailableError(
        Sanitize(std::move(message), {options_.password}));
  }

 private:
  const CurlMailOptions options_;
};

}  // namespace

void InitCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::unique_ptr<WebhookTransport> NewCurlWebhookTransport(
    const CurlWebhookOptions& options) {
  InitCurl();
  return std::make_unique<CurlWebhookTransport>(options);
}

std::unique_ptr<MailTransport> NewCurlMailTransport(
    const CurlMailOptions& options) {
  InitCurl();
  return std::make_unique<CurlMailTransport>(options);
}

}  // namespace incidentd::notify
