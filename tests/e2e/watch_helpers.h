// What the live-update tests share: WatchPage streams held open through
// gRPC's callback API (so a test can hold a thousand on a few threads), the
// page's full log through ListEvents, the client watch helper run on a
// thread, and writers that make many kinds of events.
#ifndef INCIDENTD_TESTS_E2E_WATCH_HELPERS_H_
#define INCIDENTD_TESTS_E2E_WATCH_HELPERS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/watcher.h"
#include "incidentd/v1/events.grpc.pb.h"

namespace incidentd::e2e {

namespace v1 = ::incidentd::v1;

// Every event of `page` (an id) after `after`, oldest first, following
// ListEvents' pages of `page_size`.
absl::StatusOr<std::vector<v1::Event>> ListAllEvents(client::Client& client,
                                                     const std::string& page,
                                                     int64_t after = 0,
                                                     int page_size = 1000);
std::vector<int64_t> Sequences(const std::vector<v1::Event>& events);
// from, from + 1, ..., to (empty when to < from).
std::vector<int64_t> Range(int64_t from, int64_t to);
// The page's latest sequence, from ListEvents (0 when it has none), in
// small pages so that large events never make a page too big to receive.
absl::StatusOr<int64_t> LastSequence(client::Client& client,
                                     const std::string& page);

// A request for `page` (an id) resuming after `after`.
v1::WatchPageRequest WatchRequest(const std::string& page, int64_t after = 0);

// A channel of its own (its own TCP connection, not shared with other
// channels to the same address), optionally with the smallest HTTP/2 flow
// control windows, so that a reader that stops reading stops the server's
// writes after a few kilobytes instead of megabytes.
std::shared_ptr<grpc::Channel> SeparateChannel(const std::string& target,
                                               bool small_windows = false);

// One WatchPage call driven by gRPC's callback API; records everything it
// receives and how it ended. Safe to query from any thread.
class RawWatch : public grpc::ClientReadReactor<v1::WatchPageResponse> {
 public:
  // Starts the call. With `read` false it never reads until StartReading():
  // a consumer that is stuck.
  RawWatch(v1::EventService::Stub& stub, const v1::WatchPageRequest& request,
           bool read = true);
  // Cancels the call and waits for gRPC to be done with it.
  ~RawWatch() override;

  void StartReading();
  void Cancel() { context_.TryCancel(); }

  // Until an event or heartbeat at or after `sequence` arrived; false when
  // `timeout` passed or the stream ended first.
  bool WaitForPosition(int64_t sequence, absl::Duration timeout);
  // Until the stream ended: its status; nullopt when `timeout` passed.
  std::optional<grpc::Status> WaitForEnd(absl::Duration timeout);

  std::vector<v1::WatchPageResponse> responses() const;
  std::vector<int64_t> event_sequences() const;
  // The highest sequence of an event or heartbeat received (0: none).
  int64_t position() const;
  // When the latest response arrived (InfinitePast when none yet).
  absl::Time last_response_time() const;

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  grpc::ClientContext context_;
  v1::WatchPageRequest request_;
  v1::WatchPageResponse response_;  // the read in progress
  mutable absl::Mutex mu_;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<v1::WatchPageResponse> responses_ ABSL_GUARDED_BY(mu_);
  int64_t position_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_response_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::optional<grpc::Status> status_ ABSL_GUARDED_BY(mu_);
};

// The client library's Watcher on a thread of its own, collecting what it
// delivers.
class BackgroundWatcher {
 public:
  explicit BackgroundWatcher(client::WatchOptions options);
  // Stops it and joins the thread.
  ~BackgroundWatcher();

  // Until an event at or after `sequence` was delivered; false on timeout
  // or when Run() returned first.
  bool WaitForSequence(int64_t sequence, absl::Duration timeout);
  // Stops the watcher; what Run() returned.
  absl::Status Stop();
  // Until Run() returned by itself (a permanent error): its status, or
  // nullopt on timeout.
  std::optional<absl::Status> WaitForEnd(absl::Duration timeout);

  std::vector<int64_t> sequences() const;
  std::vector<v1::Event> events() const;
  int reconnects() const;
  client::WatchStats stats() const { return watcher_->stats(); }

 private:
  mutable absl::Mutex mu_;
  std::vector<v1::Event> events_ ABSL_GUARDED_BY(mu_);
  int reconnects_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::Status> result_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<client::Watcher> watcher_;
  std::thread thread_;
};

// Makes events on a page through one client: incidents created, updates
// posted, component statuses set, in a repeating mix. The page needs the
// components named in `components` (ids).
class PageWriter {
 public:
  PageWriter(client::Client& client, std::string page,
             std::vector<std::string> components, std::string tag);
  // One mutation; OK or the call's error.
  absl::Status Step();

 private:
  client::Client& client_;
  const std::string page_;
  const std::vector<std::string> components_;
  const std::string tag_;  // keeps ids of concurrent writers apart
  int step_ = 0;
  std::string incident_;  // the open incident this writer posts to
};

}  // namespace incidentd::e2e

#endif  // INCIDENTD_TESTS_E2E_WATCH_HELPERS_H_
