#include "tests/e2e/watch_helpers.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/e2e/api_helpers.h"

namespace incidentd::e2e {

absl::StatusOr<std::vector<v1::Event>> ListAllEvents(client::Client& client,
                                                     const std::string& page,
                                                     int64_t after,
                                                     int page_size) {
  std::vector<v1::Event> events;
  v1::ListEventsRequest request;
  request.set_parent(PageName(page));
  request.set_after_sequence(after);
  request.set_page_size(page_size);
  while (true) {
    absl::StatusOr<v1::ListEventsResponse> response =
        client.ListEvents(request);
    if (!response.ok()) return response.status();
    for (const v1::Event& event : response->events()) events.push_back(event);
    if (response->next_page_token().empty()) return events;
    request.set_page_token(response->next_page_token());
  }
}

std::vector<int64_t> Sequences(const std::vector<v1::Event>& events) {
  std::vector<int64_t> out;
  for (const v1::Event& event : events) out.push_back(event.sequence());
  return out;
}

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

absl::StatusOr<int64_t> LastSequence(client::Client& client,
                                     const std::string& page) {
  absl::StatusOr<std::vector<v1::Event>> events =
      ListAllEvents(client, page, 0, /*page_size=*/50);
  if (!events.ok()) return events.status();
  return events->empty() ? 0 : events->back().sequence();
}

v1::WatchPageRequest WatchRequest(const std::string& page, int64_t after) {
  v1::WatchPageRequest request;
  request.set_page(PageName(page));
  request.set_after_sequence(after);
  return request;
}

std::shared_ptr<grpc::Channel> SeparateChannel(const std::string& target,
                                               bool small_windows) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (small_windows) {
    // No window growth from bandwidth probes, and the smallest initial
    // stream window: the server can put little on the wire for a stream
    // nobody reads.
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  }
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

// --- RawWatch ---------------------------------------------------------------

RawWatch::RawWatch(v1::EventService::Stub& stub,
                   const v1::WatchPageRequest& request, bool read)
    : request_(request) {
  stub.async()->WatchPage(&context_, &request_, this);
  if (read) {
    {
      absl::MutexLock lock(&mu_);
      reading_ = true;
    }
    StartRead(&response_);
  } else {
    // Keeps gRPC from finishing the call (OnDone) before StartReading(), so
    // that starting to read later is always allowed.
    AddHold();
  }
  StartCall();
}

RawWatch::~RawWatch() {
  context_.TryCancel();
  // Releases the hold of a stream that was never read.
  StartReading();
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return status_.has_value();
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(30))) {
    // Freeing the reactor under gRPC's feet would corrupt memory: stop.
    fprintf(stderr, "RawWatch: the call did not end 30s after cancel\n");
    std::abort();
  }
}

void RawWatch::StartReading() {
  {
    absl::MutexLock lock(&mu_);
    if (reading_) return;
    reading_ = true;
  }
  // Not under mu_: gRPC may run OnReadDone inline.
  StartRead(&response_);
  RemoveHold();
}

void RawWatch::OnReadDone(bool ok) {
  if (!ok) return;  // the stream ended; OnDone follows
  {
    absl::MutexLock lock(&mu_);
    responses_.push_back(response_);
    last_response_time_ = absl::Now();
    if (response_.has_event()) {
      position_ = std::max(position_, response_.event().sequence());
    } else if (response_.has_heartbeat()) {
      position_ = std::max(position_, response_.heartbeat().sequence());
    } else if (response_.has_snapshot()) {
      position_ = std::max(position_, response_.snapshot().sequence());
    }
  }
  StartRead(&response_);
}

void RawWatch::OnDone(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  status_ = status;
}

bool RawWatch::WaitForPosition(int64_t sequence, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reached = [this, sequence]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return position_ >= sequence || status_.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  return position_ >= sequence;
}

std::optional<grpc::Status> RawWatch::WaitForEnd(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return status_.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return status_;
}

std::vector<v1::WatchPageResponse> RawWatch::responses() const {
  absl::MutexLock lock(&mu_);
  return responses_;
}

std::vector<int64_t> RawWatch::event_sequences() const {
  absl::MutexLock lock(&mu_);
  std::vector<int64_t> out;
  for (const v1::WatchPageResponse& r : responses_) {
    if (r.has_event()) out.push_back(r.event().sequence());
  }
  return out;
}

int64_t RawWatch::position() const {
  absl::MutexLock lock(&mu_);
  return position_;
}

absl::Time RawWatch::last_response_time() const {
  absl::MutexLock lock(&mu_);
  return last_response_time_;
}

// --- BackgroundWatcher ------------------------------------------------------

BackgroundWatcher::BackgroundWatcher(client::WatchOptions options) {
  client::WatchCallbacks callbacks;
  callbacks.on_event = [this](const v1::Event& event) {
    absl::MutexLock lock(&mu_);
    events_.push_back(event);
  };
  callbacks.on_reconnect = [this](const absl::Status&, const std::string&,
                                  absl::Duration) {
    absl::MutexLock lock(&mu_);
    ++reconnects_;
  };
  watcher_ = std::make_unique<client::Watcher>(std::move(options),
                                               std::move(callbacks));
  thread_ = std::thread([this] {
    absl::Status status = watcher_->Run();
    absl::MutexLock lock(&mu_);
    result_ = status;
  });
}

BackgroundWatcher::~BackgroundWatcher() { Stop().IgnoreError(); }

absl::Status BackgroundWatcher::Stop() {
  watcher_->Stop();
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  return result_.value_or(absl::OkStatus());
}

bool BackgroundWatcher::WaitForSequence(int64_t sequence,
                                        absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reached = [this, sequence]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return (!events_.empty() && events_.back().sequence() >= sequence) ||
           result_.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  return !events_.empty() && events_.back().sequence() >= sequence;
}

std::optional<absl::Status> BackgroundWatcher::WaitForEnd(
    absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return result_.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return result_;
}

std::vector<int64_t> BackgroundWatcher::sequences() const {
  absl::MutexLock lock(&mu_);
  return Sequences(events_);
}

std::vector<v1::Event> BackgroundWatcher::events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

int BackgroundWatcher::reconnects() const {
  absl::MutexLock lock(&mu_);
  return reconnects_;
}

// --- PageWriter -------------------------------------------------------------

PageWriter::PageWriter(client::Client& client, std::string page,
                       std::vector<std::string> components, std::string tag)
    : client_(client),
      page_(std::move(page)),
      components_(std::move(components)),
      tag_(std::move(tag)) {}

absl::Status PageWriter::Step() {
  const int step = step_++;
  const std::string component =
      ComponentName(page_, components_[step % components_.size()]);
  switch (step % 6) {
    case 0: {
      const std::string id = absl::StrCat(tag_, "-", step);
      absl::StatusOr<v1::Incident> incident =
          CreateIncident(client_, page_, id, {component},
                         v1::IncidentStatus::INVESTIGATING,
                         {Change(component, v1::ComponentStatus::PARTIAL_OUTAGE)});
      if (!incident.ok()) return incident.status();
      incident_ = incident->name();
      return absl::OkStatus();
    }
    case 1:
      return PostUpdate(client_, incident_, v1::IncidentStatus::IDENTIFIED,
                        absl::StrCat("Found it (", tag_, " ", step, ")"))
          .status();
    case 2:
    case 5: {
      v1::SetComponentStatusRequest request;
      request.set_name(component);
      request.set_status(step % 6 == 2
                             ? v1::ComponentStatus::DEGRADED_PERFORMANCE
                             : v1::ComponentStatus::OPERATIONAL);
      request.set_reason(absl::StrCat("Writer ", tag_, " step ", step));
      return client_.SetComponentStatus(request).status();
    }
    case 3:
      return PostUpdate(client_, incident_,
                        v1::IncidentStatus::VALUE_UNSPECIFIED,
                        absl::StrCat("Still on it (", tag_, " ", step, ")"))
          .status();
    default:
      return PostUpdate(client_, incident_, v1::IncidentStatus::RESOLVED,
                        absl::StrCat("Fixed (", tag_, " ", step, ")"))
          .status();
  }
}

}  // namespace incidentd::e2e
