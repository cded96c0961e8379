#include "tests/e2e/notify_helpers.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "server/notify/signing.h"
#include "tests/e2e/api_helpers.h"

namespace incidentd::e2e {

std::vector<std::string> NotifyFlags(const std::string& smtp_url) {
  return {
      "--deny_private_webhooks=false",
      absl::StrCat("--smtp_url=", smtp_url),
      absl::StrCat("--public_url=", kPublicUrl),
      absl::StrCat("--mail_from=Status <", kMailFromAddress, ">"),
      "--retry_initial_delay=200ms",
      absl::StrCat("--retry_max_delay=", absl::FormatDuration(kRetryMaxDelay)),
      absl::StrCat("--delivery_poll_interval=",
                   absl::FormatDuration(kPollInterval)),
      "--webhook_timeout=2s",
      // Must exceed 2 x webhook_timeout + 1s.
      "--delivery_lease=6s",
  };
}

absl::StatusOr<v1::CreateSubscriberResponse> SubscribeWebhook(
    client::Client& client, const std::string& page, const std::string& url,
    const std::vector<std::string>& components) {
  v1::CreateSubscriberRequest request;
  request.set_parent(PageName(page));
  request.mutable_subscriber()->set_webhook_url(url);
  for (const std::string& c : components) {
    request.mutable_subscriber()->add_components(c);
  }
  return client.CreateSubscriber(request);
}

absl::StatusOr<v1::CreateSubscriberResponse> SubscribeEmail(
    client::Client& client, const std::string& page, const std::string& email) {
  v1::CreateSubscriberRequest request;
  request.set_parent(PageName(page));
  request.mutable_subscriber()->set_email(email);
  return client.CreateSubscriber(request);
}

absl::StatusOr<v1::IncidentUpdate> PostNotified(
    client::Client& client, const std::string& incident,
    v1::IncidentStatus::Value status, const std::string& body, bool notify) {
  v1::PostIncidentUpdateRequest request;
  request.set_parent(incident);
  request.mutable_update()->set_status(status);
  request.mutable_update()->set_body(body);
  request.mutable_update()->set_notify(notify);
  return client.PostIncidentUpdate(request);
}

namespace {

absl::StatusOr<std::vector<v1::Delivery>> ListAll(
    client::Client& client, v1::ListDeliveriesRequest request) {
  std::vector<v1::Delivery> out;
  request.set_page_size(1000);
  while (true) {
    absl::StatusOr<v1::ListDeliveriesResponse> page =
        client.ListDeliveries(request);
    if (!page.ok()) return page.status();
    out.insert(out.end(), page->deliveries().begin(), page->deliveries().end());
    if (page->next_page_token().empty()) return out;
    request.set_page_token(page->next_page_token());
  }
}

}  // namespace

absl::StatusOr<std::vector<v1::Delivery>> AllDeliveries(
    client::Client& client, const std::string& subscriber) {
  v1::ListDeliveriesRequest request;
  request.set_parent(subscriber);
  return ListAll(client, request);
}

absl::StatusOr<std::vector<v1::Delivery>> DeliveriesOfEvent(
    client::Client& client, const std::string& page, int64_t sequence) {
  v1::ListDeliveriesRequest request;
  request.set_parent(absl::StrCat(PageName(page), "/subscribers/-"));
  request.set_event_sequence(sequence);
  return ListAll(client, request);
}

absl::StatusOr<std::vector<v1::Delivery>> WaitForDelivered(
    client::Client& client, const std::string& subscriber, size_t count,
    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "nothing listed";
  while (true) {
    absl::StatusOr<std::vector<v1::Delivery>> deliveries =
        AllDeliveries(client, subscriber);
    if (deliveries.ok()) {
      const bool done =
          deliveries->size() == count &&
          std::all_of(deliveries->begin(), deliveries->end(),
                      [](const v1::Delivery& d) {
                        return d.state() == v1::Delivery::DELIVERED;
                      });
      if (done) return deliveries;
      last.clear();
      for (const v1::Delivery& d : *deliveries) {
        absl::StrAppend(&last, "\n  ", d.name(), " ",
                        v1::Delivery::State_Name(d.state()),
                        " attempts=", d.attempts(), " error=", d.last_error());
      }
    } else {
      last = deliveries.status().ToString();
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(subscriber, ": want ", count,
                       " deliveries all DELIVERED; last seen:", last));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

absl::StatusOr<std::vector<v1::Event>> AllEvents(client::Client& client,
                                                 const std::string& page) {
  std::vector<v1::Event> out;
  v1::ListEventsRequest request;
  request.set_parent(PageName(page));
  request.set_page_size(1000);
  while (true) {
    absl::StatusOr<v1::ListEventsResponse> list = client.ListEvents(request);
    if (!list.ok()) return list.status();
    out.insert(out.end(), list->events().begin(), list->events().end());
    if (list->next_page_token().empty()) return out;
    request.set_page_token(list->next_page_token());
  }
}

std::vector<int64_t> PostedSequences(const std::vector<v1::Event>& events,
                                     const std::vector<std::string>& updates) {
  std::vector<int64_t> out;
  for (const std::string& update : updates) {
    int64_t seq = -1;
    for (const v1::Event& e : events) {
      if (e.type() == v1::Event::INCIDENT_UPDATE_POSTED &&
          e.resource() == update) {
        seq = e.sequence();
      }
    }
    out.push_back(seq);
  }
  return out;
}

int64_t SequenceOfEventId(absl::string_view id) {
  const size_t at = id.rfind("/events/");
  if (!absl::StartsWith(id, "pages/") || at == absl::string_view::npos) {
    return -1;
  }
  int64_t seq = -1;
  if (!absl::SimpleAtoi(id.substr(at + 8), &seq)) return -1;
  return seq;
}

int64_t SequenceOfDelivery(const v1::Delivery& delivery) {
  const size_t at = delivery.name().rfind("/deliveries/");
  int64_t seq = -1;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(delivery.name().substr(at + 12), &seq)) {
    return -1;
  }
  return seq;
}

Webhook ParseWebhook(const testing::HttpRequest& request,
                     const std::string& secret) {
  Webhook hook;
  hook.request = request;
  hook.event_id = request.Header("Incidentd-Event-Id");
  hook.seq = SequenceOfEventId(hook.event_id);
  if (!absl::SimpleAtoi(request.Header("Incidentd-Delivery-Attempt"),
                        &hook.attempt)) {
    hook.attempt = 0;
  }
  int64_t timestamp = 0;
  hook.signature_ok =
      absl::SimpleAtoi(request.Header("Incidentd-Timestamp"), &timestamp) &&
      notify::VerifyWebhookSignature(secret, timestamp, request.body,
                                     request.Header("Incidentd-Signature"));
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  hook.body_ok = google::protobuf::util::JsonStringToMessage(
                     request.body, &hook.notification, options)
                     .ok();
  return hook;
}

std::vector<Webhook> WebhooksAt(const testing::HttpReceiver& receiver,
                                const std::string& path,
                                const std::string& secret) {
  std::vector<Webhook> out;
  for (const testing::HttpRequest& r : receiver.Requests()) {
    if (r.path == path) out.push_back(ParseWebhook(r, secret));
  }
  return out;
}

std::vector<int64_t> AcceptedSequences(const std::vector<Webhook>& hooks) {
  std::vector<int64_t> out;
  for (const Webhook& h : hooks) {
    if (h.answered_2xx()) out.push_back(h.seq);
  }
  return out;
}

size_t AcceptedCount(const testing::HttpReceiver& receiver,
                     const std::string& path) {
  size_t n = 0;
  for (const testing::HttpRequest& r : receiver.Requests()) {
    if (r.path == path && r.status >= 200 && r.status < 300) ++n;
  }
  return n;
}

std::string ParsedMail::Header(const std::string& name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  return it == headers.end() ? "" : it->second;
}

absl::StatusOr<ParsedMail> ParseMail(const std::string& data) {
  ParsedMail mail;
  const size_t head_end = data.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    return absl::InvalidArgumentError("no blank line after the headers");
  }
  // Headers, with folded continuation lines joined to their header.
  std::string current;
  auto flush = [&] {
    if (current.empty()) return;
    const size_t colon = current.find(':');
    if (colon != std::string::npos) {
      mail.headers[absl::AsciiStrToLower(current.substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(current.substr(colon + 1)));
    }
    current.clear();
  };
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(data).substr(0, head_end), "\r\n")) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      absl::StrAppend(&current, line);
    } else {
      flush();
      current = std::string(line);
    }
  }
  flush();

  const std::string type = mail.Header("Content-Type");
  const size_t b = type.find("boundary=\"");
  if (b == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("no boundary in ", type));
  }
  const size_t b_end = type.find('"', b + 10);
  const std::string delimiter =
      absl::StrCat("--", type.substr(b + 10, b_end - b - 10));
  const std::string body = data.substr(head_end + 4);
  size_t pos = body.find(delimiter);
  while (pos != std::string::npos) {
    pos += delimiter.size();
    if (body.compare(pos, 2, "--") == 0) break;  // the closing delimiter
    const size_t next = body.find(delimiter, pos);
    if (next == std::string::npos) {
      return absl::InvalidArgumentError("no closing delimiter");
    }
    const std::string part = body.substr(pos, next - pos);
    const size_t part_head = part.find("\r\n\r\n");
    if (part_head == std::string::npos) {
      return absl::InvalidArgumentError("a part without headers");
    }
    const std::string part_headers =
        absl::AsciiStrToLower(part.substr(0, part_head));
    std::string encoded;
    for (char c : part.substr(part_head + 4)) {
      if (c != '\r' && c != '\n') encoded.push_back(c);
    }
    std::string decoded;
    if (!absl::Base64Unescape(encoded, &decoded)) {
      return absl::InvalidArgumentError("a part is not base64");
    }
    if (absl::StrContains(part_headers, "text/plain")) {
      mail.text = decoded;
    } else if (absl::StrContains(part_headers, "text/html")) {
      mail.html = decoded;
    }
    pos = next;
  }
  return mail;
}

std::string LinkToken(const std::string& text, const std::string& prefix) {
  const std::string marker = absl::StrCat(prefix, "?token=");
  const size_t at = text.find(marker);
  if (at == std::string::npos) return "";
  size_t end = at + marker.size();
  while (end < text.size() &&
         (absl::ascii_isalnum(static_cast<unsigned char>(text[end])) ||
          text[end] == '-' || text[end] == '_')) {
    ++end;
  }
  return text.substr(at + marker.size(), end - at - marker.size());
}

std::string Warnings(const std::string& log) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, " WARN ") || absl::StrContains(line, " ERROR ")) {
      absl::StrAppend(&out, line, "\n");
    }
  }
  return out;
}

std::string Distribution::ToString() const {
  return absl::StrFormat("n=%d min=%.1fms p50=%.1fms p99=%.1fms max=%.1fms", n,
                         min_ms, p50_ms, p99_ms, max_ms);
}

Distribution Summarize(std::vector<absl::Duration> samples) {
  Distribution d;
  d.n = samples.size();
  if (samples.empty()) return d;
  std::sort(samples.begin(), samples.end());
  // Nearest rank.
  auto rank = [&](double p) {
    size_t i = static_cast<size_t>(std::ceil(p * samples.size()));
    i = std::clamp<size_t>(i, 1, samples.size());
    return absl::ToDoubleMilliseconds(samples[i - 1]);
  };
  d.min_ms = absl::ToDoubleMilliseconds(samples.front());
  d.p50_ms = rank(0.50);
  d.p99_ms = rank(0.99);
  d.max_ms = absl::ToDoubleMilliseconds(samples.back());
  return d;
}

}  // namespace incidentd::e2e
