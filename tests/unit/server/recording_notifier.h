// An EventNotifier for tests that remembers which pages it was told of, in
// order, so that a test can assert who was woken and how often.
#ifndef INCIDENTD_TESTS_UNIT_SERVER_RECORDING_NOTIFIER_H_
#define INCIDENTD_TESTS_UNIT_SERVER_RECORDING_NOTIFIER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/event_notifier.h"

namespace incidentd::testing {

class RecordingNotifier final : public EventNotifier {
 public:
  void PageChanged(std::string_view page_id) override {
    absl::MutexLock lock(&mu_);
    pages_.emplace_back(page_id);
  }
  // Every call so far, oldest first.
  std::vector<std::string> pages() {
    absl::MutexLock lock(&mu_);
    return pages_;
  }
  void Clear() {
    absl::MutexLock lock(&mu_);
    pages_.clear();
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> pages_ ABSL_GUARDED_BY(mu_);
};

}  // namespace incidentd::testing

#endif  // INCIDENTD_TESTS_UNIT_SERVER_RECORDING_NOTIFIER_H_
