#include "server/event_watcher.h"

#include <algorithm>
#include <utility>

#include "server/converters.h"
#include "server/event_encoding.h"
#include "server/strings.h"

namespace incidentd {
namespace {

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::shared_ptr<const WatchMessage> MakeMessage(
    int64_t position, const v1::WatchPageResponse& response) {
  auto message = std::make_shared<WatchMessage>();
  message->position = position;
  const std::string bytes = response.SerializeAsString();
  message->bytes = ToByteBuffer(bytes);
  message->size = bytes.size();
  return message;
}

std::shared_ptr<const WatchMessage> MakeHeartbeat(int64_t position,
                                                  absl::Time now) {
  v1::WatchPageResponse response;
  response.mutable_heartbeat()->set_sequence(position);
  *response.mutable_heartbeat()->mutable_time() = ToProtoTime(now);
  return MakeMessage(position, response);
}

absl::Status NoLongerKept(int64_t after) {
  return absl::FailedPreconditionError(
      StrCat("events after sequence ", after,
             " are no longer kept; start again with snapshot = true"));
}

}  // namespace

std::shared_ptr<const EncodedEvent> EncodeForWatchers(const Event& event) {
  auto encoded = std::make_shared<EncodedEvent>();
  encoded->position = event.seq;
  const std::string bytes = EncodeEventResponse(event);
  encoded->bytes = ToByteBuffer(bytes);
  encoded->size = bytes.size();
  encoded->type = event.type;
  encoded->incident_id = event.incident_id;
  encoded->component_ids = event.component_ids;
  return encoded;
}

bool EventFilter::Matches(const EncodedEvent& event) const {
  if (!types.empty() && !types.contains(static_cast<int>(event.type))) {
    return false;
  }
  if (!incident_ids.empty() && !incident_ids.contains(event.incident_id)) {
    return false;
  }
  if (!component_ids.empty() &&
      std::none_of(event.component_ids.begin(), event.component_ids.end(),
                   [this](const std::string& id) {
                     return component_ids.contains(id);
                   })) {
    return false;
  }
  return true;
}

EventWatcher::EventWatcher(WatchRequest request, Options options, EventLog& log,
                           WatcherHost& host, const Clock& clock,
                           WatchStream* stream)
    : request_(std::move(request)),
      options_(options),
      log_(log),
      host_(host),
      clock_(clock),
      stream_(stream),
      last_send_(clock.Now()) {}

int EventWatcher::ReadBatch() const {
  // A page of replay must fit in the buffer (see ReplayLocked).
  return std::max(1, std::min(options_.read_batch, options_.buffer));
}

void EventWatcher::Offer(
    absl::Span<const std::shared_ptr<const EncodedEvent>> events,
    int64_t head) {
  absl::MutexLock lock(&mu_);
  if (phase_ == Phase::kEnding || phase_ == Phase::kDone) return;
  int64_t highest = head;
  if (!events.empty()) highest = std::max(highest, events.back()->position);
  max_offered_ = std::max(max_offered_, highest);
  // Starting or replaying: the read in progress (or the next one) catches
  // up to max_offered_.
  if (phase_ != Phase::kLive) return;
  for (const std::shared_ptr<const EncodedEvent>& event : events) {
    if (event->position < next_) continue;  // a duplicate
    if (event->position > next_) break;     // a gap: replay below
    if (!AcceptLocked(event, /*live=*/true)) return;
  }
  if (max_offered_ >= next_) ReplayLocked();
  PumpLocked();
}

bool EventWatcher::AcceptLocked(
    const std::shared_ptr<const EncodedEvent>& event, bool live) {
  next_ = event->position + 1;
  from_first_kept_ = false;
  // Filtered out: the position moves on all the same.
  if (!request_.filter.Matches(*event)) return true;
  // Replay reads only when a page fits, so only live events can overflow.
  if (live && static_cast<int>(queue_.size()) >= options_.buffer) {
    EndLocked(absl::ResourceExhaustedError(
        StrCat("watcher fell behind at sequence ", sent_position_,
               "; resume with after_sequence=", sent_position_)));
    return false;
  }
  PushLocked(event);
  return true;
}

void EventWatcher::PushLocked(std::shared_ptr<const WatchMessage> message) {
  queued_bytes_ += message->size;
  queue_.push_back(std::move(message));
}

void EventWatcher::ReplayLocked() {
  phase_ = Phase::kReplaying;
  MaybeRequestReadLocked();
}

void EventWatcher::MaybeRequestReadLocked() {
  if (reading_ || phase_ != Phase::kReplaying) return;
  // A slow client slows its replay down instead of filling the buffer.
  if (static_cast<int>(queue_.size()) + ReadBatch() > options_.buffer ||
      queued_bytes_ > options_.max_replay_bytes) {
    read_wanted_ = true;
    return;
  }
  read_wanted_ = false;
  reading_ = true;
  host_.RequestRead(shared_from_this());
}

absl::Status EventWatcher::RunRead(absl::Time deadline) {
  Phase phase;
  int64_t after = 0;
  int64_t known_head = 0;
  {
    absl::MutexLock lock(&mu_);
    if (phase_ == Phase::kEnding || phase_ == Phase::kDone) {
      reading_ = false;
      return absl::OkStatus();
    }
    phase = phase_;
    after = next_ - 1;
    known_head = max_offered_;
  }
  if (phase == Phase::kStarting) {
    absl::StatusOr<WatchStart> start =
        log_.StartWatch(request_, ReadBatch(), deadline);
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (phase_ == Phase::kEnding || phase_ == Phase::kDone) {
      return absl::OkStatus();
    }
    // A stream that cannot start says why (the page, the position, or the
    // database being away) and the client decides.
    if (!start.ok()) {
      EndLocked(start.status());
      return absl::OkStatus();
    }
    ApplyStartLocked(*std::move(start));
    PumpLocked();
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<Event>> events =
      log_.ReadEvents(request_.page_id, after, ReadBatch(), deadline);
  absl::MutexLock lock(&mu_);
  if (phase_ == Phase::kEnding || phase_ == Phase::kDone) {
    reading_ = false;
    return absl::OkStatus();
  }
  // The stream stays, quiet but for heartbeats; the host retries the read.
  if (!events.ok()) return events.status();
  reading_ = false;
  ApplyEventsLocked(*events, known_head);
  PumpLocked();
  return absl::OkStatus();
}

void EventWatcher::ApplyStartLocked(WatchStart start) {
  if (start.snapshot.has_value()) {
    next_ = start.snapshot->sequence() + 1;
    v1::WatchPageResponse response;
    *response.mutable_snapshot() = *std::move(start.snapshot);
    PushLocked(MakeMessage(next_ - 1, response));
  } else {
    next_ = request_.after_sequence + 1;
    sent_position_ = request_.after_sequence;
    from_first_kept_ = request_.after_sequence == 0;
    // The client learns that the stream is up without waiting for an event.
    stream_->SendHeaders();
  }
  phase_ = Phase::kReplaying;
  ApplyEventsLocked(start.events, start.last_seq);
}

void EventWatcher::ApplyEventsLocked(const std::vector<Event>& events,
                                     int64_t known_head) {
  for (const Event& event : events) {
    if (event.seq < next_) continue;
    if (event.seq > next_) {
      if (!from_first_kept_) {
        EndLocked(NoLongerKept(next_ - 1));
        return;
      }
      next_ = event.seq;  // the first event still kept
    }
    if (!AcceptLocked(EncodeForWatchers(event), /*live=*/false)) return;
  }
  if (static_cast<int>(events.size()) >= ReadBatch()) {
    MaybeRequestReadLocked();  // more of the log to read
    return;
  }
  // A short read saw the whole log as it was when the read began, which
  // held everything known committed by then. Falling short of that means
  // the events in between were pruned.
  if (next_ <= known_head) {
    if (!from_first_kept_) {
      EndLocked(NoLongerKept(next_ - 1));
      return;
    }
    next_ = known_head + 1;
  }
  // Offered while the read ran: read again rather than wait for the next.
  if (max_offered_ >= next_) {
    MaybeRequestReadLocked();
    return;
  }
  phase_ = Phase::kLive;
}

void EventWatcher::MaybeHeartbeat(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (phase_ == Phase::kStarting || ending_.has_value() || closed_ ||
      stream_ == nullptr || in_flight_ != nullptr || !queue_.empty()) {
    return;
  }
  if (now - last_send_ < options_.heartbeat_interval) return;
  SendLocked(MakeHeartbeat(next_ - 1, now));
}

void EventWatcher::End(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  EndLocked(status);
}

void EventWatcher::EndLocked(const absl::Status& status) {
  if (ending_.has_value() || phase_ == Phase::kDone) return;
  ending_ = status;
  phase_ = Phase::kEnding;
  queue_.clear();
  queued_bytes_ = 0;
  read_wanted_ = false;
  host_.RemoveWatcher(this);
  PumpLocked();
}

void EventWatcher::PumpLocked() {
  if (closed_ || stream_ == nullptr || in_flight_ != nullptr) return;
  if (!queue_.empty()) {
    std::shared_ptr<const WatchMessage> message = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= message->size;
    SendLocked(std::move(message));
    if (read_wanted_) MaybeRequestReadLocked();
    return;
  }
  // Only now, after the write in flight: the status follows every message
  // sent, so "resume from N" names what the client really has.
  if (ending_.has_value()) {
    closed_ = true;
    stream_->Close(*ending_);
    return;
  }
  // Filtered-out events moved the position: tell the client, so a resume
  // does not replay them.
  if (phase_ != Phase::kStarting && next_ - 1 > sent_position_) {
    SendLocked(MakeHeartbeat(next_ - 1, clock_.Now()));
  }
}

void EventWatcher::SendLocked(std::shared_ptr<const WatchMessage> message) {
  in_flight_ = std::move(message);
  sent_position_ = in_flight_->position;
  last_send_ = clock_.Now();
  stream_->Send(&in_flight_->bytes);
}

void EventWatcher::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  in_flight_.reset();
  if (!ok) {
    // The call is broken (cancelled, or the client went away).
    EndLocked(absl::CancelledError("the stream was cancelled"));
  }
  PumpLocked();
}

void EventWatcher::OnCancel() {
  absl::MutexLock lock(&mu_);
  EndLocked(absl::CancelledError("the stream was cancelled"));
}

void EventWatcher::OnDone() {
  {
    absl::MutexLock lock(&mu_);
    stream_ = nullptr;
    closed_ = true;
    phase_ = Phase::kDone;
    queue_.clear();
    queued_bytes_ = 0;
    in_flight_.reset();
  }
  host_.RemoveWatcher(this);
}

int64_t EventWatcher::position() const {
  absl::MutexLock lock(&mu_);
  return phase_ == Phase::kStarting ? request_.after_sequence : next_ - 1;
}

size_t EventWatcher::buffered() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace incidentd
