// Idempotent retries and concurrent writers against the real server.
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/api_helpers.h"
#include "tests/e2e/server_harness.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

class ConcurrencyTest : public ServerTest {
 protected:
  int64_t IncidentVersion(const std::string& page, const std::string& id) {
    absl::StatusOr<int64_t> version = db_->QueryInt(absl::StrCat(
        "SELECT version FROM incidents WHERE page_id = '", page,
        "' AND id = '", id, "'"));
    EXPECT_OK(version);
    return version.value_or(-1);
  }
};

v1::CreateIncidentRequest RetriedCreate() {
  v1::CreateIncidentRequest request;
  request.set_parent(PageName("acme"));
  // No incident_id: the server picks one, so only the request id can make
  // the retry find the first incident.
  request.mutable_incident()->set_title("Checkout fails");
  request.mutable_first_update()->set_body("Investigating checkout errors.");
  request.set_request_id("retry-0001");
  return request;
}

int CountIncidents(client::Client& client) {
  v1::ListIncidentsRequest list;
  list.set_parent(PageName("acme"));
  list.set_page_size(200);
  absl::StatusOr<v1::ListIncidentsResponse> response =
      client.ListIncidents(list);
  EXPECT_OK(response);
  return response.ok() ? response->incidents_size() : -1;
}

TEST_F(ConcurrencyTest, CreateIncident_RetriedWithOneRequestId_CreatesOne) {
  ASSERT_OK(CreatePage(client(), "acme"));
  ASSERT_OK_AND_ASSIGN(v1::Incident first,
                       client().CreateIncident(RetriedCreate()));
  ASSERT_OK_AND_ASSIGN(v1::Incident retry,
                       client().CreateIncident(RetriedCreate()));
  EXPECT_EQ(retry.name(), first.name());
  EXPECT_TRUE(ProtoEquals(retry.create_time(), first.create_time()));
  EXPECT_EQ(CountIncidents(client()), 1);
  ASSERT_OK_AND_ASSIGN(v1::Incident read, GetIncident(client(), first.name()));
  EXPECT_EQ(read.updates_size(), 1);
}

TEST_F(ConcurrencyTest, CreateIncident_ConcurrentTwinsWithOneRequestId_OneWins) {
  ASSERT_OK(CreatePage(client(), "acme"));
  constexpr int kTwins = 4;
  absl::Barrier* barrier = new absl::Barrier(kTwins);
  std::vector<absl::StatusOr<v1::Incident>> results(
      kTwins, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kTwins; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<client::Client> own = server_->NewClient();
      if (barrier->Block()) delete barrier;
      results[i] = own->CreateIncident(RetriedCreate());
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& result : results) {
    ASSERT_OK(result);
    EXPECT_EQ(result->name(), results[0]->name());
  }
  EXPECT_EQ(CountIncidents(client()), 1);
}

TEST_F(ConcurrencyTest, ConcurrentPosts_NoUpdateIsLost) {
  ASSERT_OK(CreatePage(client(), "acme"));
  const std::string name = IncidentName("acme", "busy");
  ASSERT_OK(CreateIncident(client(), "acme", "busy", {},
                           v1::IncidentStatus::INVESTIGATING));
  const int64_t version_before = IncidentVersion("acme", "busy");

  constexpr int kThreads = 8;
  constexpr int kPostsPerThread = 5;
  absl::Barrier* barrier = new absl::Barrier(kThreads);
  std::vector<absl::Status> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<client::Client> own = server_->NewClient();
      if (barrier->Block()) delete barrier;
      for (int i = 0; i < kPostsPerThread; ++i) {
        // Status changes too, so that every post reads and writes the
        // incident row.
        auto status = (t + i) % 2 == 0 ? v1::IncidentStatus::IDENTIFIED
                                       : v1::IncidentStatus::MONITORING;
        absl::StatusOr<v1::IncidentUpdate> posted = PostUpdate(
            *own, name, status, absl::StrCat("thread ", t, " post ", i));
        if (!posted.ok() && errors[t].ok()) errors[t] = posted.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& error : errors) EXPECT_OK(error);

  ASSERT_OK_AND_ASSIGN(v1::Incident incident, GetIncident(client(), name));
  ASSERT_EQ(incident.updates_size(), 1 + kThreads * kPostsPerThread);
  std::set<std::string> bodies;
  for (const auto& update : incident.updates()) bodies.insert(update.body());
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPostsPerThread; ++i) {
      EXPECT_EQ(bodies.count(absl::StrCat("thread ", t, " post ", i)), 1u);
    }
  }
  // The incident's status is the one the newest update left.
  EXPECT_EQ(incident.status(), incident.updates(0).resulting_status());
  EXPECT_EQ(IncidentVersion("acme", "busy"),
            version_before + kThreads * kPostsPerThread);
}

}  // namespace
}  // namespace incidentd::e2e
