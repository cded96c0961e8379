// The MySQL Store's transactions: commit and rollback, read-only rules,
// deadlines, deadlock retries, the connection pool and its recovery from
// lost connections.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "storage/mysql/mysql_store.h"
#include "tests/integration/model_helpers.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using storage::Lock;
using storage::MysqlConfig;
using storage::Transaction;

// A port on which nothing listens: bound, read, and closed again.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class StoreTest : public MysqlTest {
 protected:
  // A fresh page, committed.
  std::string NewPage() {
    std::string id = UniqueId("page");
    EXPECT_OK(Write(
        [&](Transaction& tx) { return tx.pages().Insert(MakePage(id)); }));
    return id;
  }

  absl::StatusOr<Page> ReadPage(const std::string& id) {
    absl::StatusOr<Page> page;
    absl::Status status = Read([&](Transaction& tx) {
      page = tx.pages().Get(id, Lock::kNone);
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return page;
  }
};

TEST_F(StoreTest, ReadWrite_FnReturnsOk_Commits) {
  const std::string id = UniqueId("page");
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.pages().Insert(MakePage(id)); }));
  EXPECT_OK(ReadPage(id));
}

TEST_F(StoreTest, ReadWrite_FnReturnsError_RollsBackAndReturnsIt) {
  const std::string id = UniqueId("page");
  absl::Status status = Write([&](Transaction& tx) {
    absl::Status inserted = tx.pages().Insert(MakePage(id));
    if (!inserted.ok()) return inserted;
    return absl::InvalidArgumentError("changed my mind");
  });
  EXPECT_EQ(status, absl::InvalidArgumentError("changed my mind"));
  EXPECT_CODE(ReadPage(id), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, ReadOnly_RowLocks_AreFailedPrecondition) {
  const std::string page_id = NewPage();
  ASSERT_OK(Read([&](Transaction& tx) {
    EXPECT_CODE(tx.pages().Get(page_id, Lock::kForUpdate),
                absl::StatusCode::kFailedPrecondition);
    EXPECT_CODE(tx.components().Get(page_id, "c", Lock::kForUpdate),
                absl::StatusCode::kFailedPrecondition);
    EXPECT_CODE(tx.incidents().Get(page_id, "i", Lock::kForUpdate),
                absl::StatusCode::kFailedPrecondition);
    EXPECT_CODE(tx.incidents().LockDueMaintenance(absl::Now(), 10),
                absl::StatusCode::kFailedPrecondition);
    EXPECT_CODE(tx.postmortems().Get(page_id, "i", Lock::kForUpdate),
                absl::StatusCode::kFailedPrecondition);
    return absl::OkStatus();
  }));
}

TEST_F(StoreTest, ReadOnly_Writes_AreFailedPreconditionAndWriteNothing) {
  const std::string id = UniqueId("page");
  ASSERT_OK(Read([&](Transaction& tx) {
    EXPECT_CODE(tx.pages().Insert(MakePage(id)),
                absl::StatusCode::kFailedPrecondition);
    EXPECT_CODE(tx.requests().Insert(MakeRequest("", id)),
                absl::StatusCode::kFailedPrecondition);
    return absl::OkStatus();
  }));
  EXPECT_CODE(ReadPage(id), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, ReadOnly_SeesOneSnapshotForAllReads) {
  const std::string id = NewPage();
  std::string first, second;
  ASSERT_OK(Read([&](Transaction& tx) {
    absl::StatusOr<Page> before = tx.pages().Get(id, Lock::kNone);
    if (!before.ok()) return before.status();
    first = before->display_name;
    // Committed by another transaction (another pooled connection) while
    // this one is open.
    absl::Status renamed = store().ReadWrite(Soon(), [&](Transaction& w) {
      Page page = MakePage(id);
      page.display_name = "Renamed";
      page.version = 2;
      return w.pages().Update(page);
    });
    if (!renamed.ok()) return renamed;
    absl::StatusOr<Page> after = tx.pages().Get(id, Lock::kNone);
    if (!after.ok()) return after.status();
    second = after->display_name;
    return absl::OkStatus();
  }));
  EXPECT_EQ(first, "Productsup");
  EXPECT_EQ(second, "Productsup");
  ASSERT_OK_AND_ASSIGN(Page now, ReadPage(id));
  EXPECT_EQ(now.display_name, "Renamed");
}

TEST_F(StoreTest,
       ReadWrite_DeadlineAlreadyPassed_IsDeadlineExceededAndRunsNothing) {
  bool ran = false;
  absl::Status status =
      store().ReadWrite(absl::Now() - absl::Seconds(1), [&](Transaction&) {
        ran = true;
        return absl::OkStatus();
      });
  EXPECT_CODE(status, absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(ran);
  EXPECT_CODE(store().ReadOnly(absl::Now() - absl::Seconds(1),
                               [&](Transaction&) {
                                 ran = true;
                                 return absl::OkStatus();
                               }),
              absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(ran);
  EXPECT_CODE(store().Ping(absl::Now() - absl::Seconds(1)),
              absl::StatusCode::kDeadlineExceeded);
}

TEST_F(StoreTest,
       ReadWrite_DeadlinePassesMidway_NextStatementFailsAndAllRollsBack) {
  const std::string id = UniqueId("page");
  const absl::Time deadline = absl::Now() + absl::Milliseconds(300);
  absl::Status second_statement;
  absl::Status status = store().ReadWrite(deadline, [&](Transaction& tx) {
    absl::Status inserted = tx.pages().Insert(MakePage(id));
    if (!inserted.ok()) return inserted;
    // The subject of the test is time passing, not synchronisation.
    absl::SleepFor(deadline - absl::Now() + absl::Milliseconds(1));
    second_statement = tx.pages().Get(id, Lock::kNone).status();
    return second_statement;
  });
  EXPECT_CODE(second_statement, absl::StatusCode::kDeadlineExceeded);
  EXPECT_CODE(status, absl::StatusCode::kDeadlineExceeded);
  EXPECT_CODE(ReadPage(id), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, ReadWrite_StaleVersion_IsAbortedAndNotRetried) {
  const std::string id = NewPage();
  int runs = 0;
  absl::Status status = Write([&](Transaction& tx) {
    ++runs;
    Page page = MakePage(id);
    page.version = 5;  // stored: 1
    return tx.pages().Update(page);
  });
  EXPECT_CODE(status, absl::StatusCode::kAborted);
  EXPECT_EQ(runs, 1);
}

TEST_F(StoreTest, ReadWrite_Deadlock_IsRetriedAndBothTransactionsCommit) {
  const std::string a = NewPage();
  const std::string b = NewPage();
  absl::Notification a_locked, b_locked;
  std::atomic<int> runs{0};
  // Each transaction locks one page, waits until the other holds its page,
  // then asks for the other's: a deadlock InnoDB breaks by aborting one,
  // which ReadWrite retries (the notifications are already given by then).
  auto cross = [&](const std::string& mine, absl::Notification& mine_locked,
                   const std::string& theirs,
                   absl::Notification& theirs_locked) {
    return Write([&](Transaction& tx) -> absl::Status {
      ++runs;
      absl::StatusOr<Page> page = tx.pages().Get(mine, Lock::kForUpdate);
      if (!page.ok()) return page.status();
      if (!mine_locked.HasBeenNotified()) mine_locked.Notify();
      theirs_locked.WaitForNotification();
      absl::StatusOr<Page> other = tx.pages().Get(theirs, Lock::kForUpdate);
      if (!other.ok()) return other.status();
      page->version++;
      page->display_name = "touched by " + mine;
      return tx.pages().Update(*page);
    });
  };
  absl::Status first;
  std::thread t([&] { first = cross(a, a_locked, b, b_locked); });
  absl::Status second = cross(b, b_locked, a, a_locked);
  t.join();
  EXPECT_OK(first);
  EXPECT_OK(second);
  EXPECT_EQ(runs.load(), 3);  // one of them ran twice
}

TEST_F(StoreTest, ReadWrite_LockWaitTimeout_IsAborted) {
  MysqlConfig config = db().config();
  config.lock_wait_timeout = absl::Seconds(1);
  config.max_transaction_retries = 0;
  std::unique_ptr<storage::Store> store = OpenStore(config);
  const std::string id = NewPage();
  absl::Notification locked, done;
  std::thread holder([&] {
    EXPECT_OK(store->ReadWrite(Soon(), [&](Transaction& tx) {
      absl::Status s = tx.pages().Get(id, Lock::kForUpdate).status();
      locked.Notify();
      done.WaitForNotification();
      return s;
    }));
  });
  locked.WaitForNotification();
  absl::Status status = store->ReadWrite(Soon(), [&](Transaction& tx) {
    return tx.pages().Get(id, Lock::kForUpdate).status();
  });
  done.Notify();
  holder.join();
  EXPECT_CODE(status, absl::StatusCode::kAborted);
}

TEST_F(StoreTest, ReadWrite_ConcurrentReadModifyWrite_LosesNoUpdate) {
  const std::string page_id = NewPage();
  const std::string incident_id = UniqueId("incident");
  Incident incident = MakeIncident(page_id, incident_id, At(0));
  incident.component_ids.clear();
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.incidents().Insert(incident); }));

  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kThreads);
  for (int n = 0; n < kThreads; ++n) {
    threads.emplace_back([&, n] {
      results[n] = Write([&](Transaction& tx) -> absl::Status {
        absl::StatusOr<Incident> current =
            tx.incidents().Get(page_id, incident_id, Lock::kForUpdate);
        if (!current.ok()) return current.status();
        current->component_ids.push_back("component-" + std::to_string(n));
        current->status = n % 2 == 0 ? IncidentStatus::kIdentified
                                     : IncidentStatus::kMonitoring;
        current->version++;
        return tx.incidents().Update(*current);
      });
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_OK(s);

  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Incident> final_state =
        tx.incidents().Get(page_id, incident_id, Lock::kNone);
    if (!final_state.ok()) return final_state.status();
    EXPECT_EQ(final_state->version, 1 + kThreads);
    std::vector<std::string> ids = final_state->component_ids;
    std::sort(ids.begin(), ids.end());
    std::vector<std::string> expected;
    for (int n = 0; n < kThreads; ++n) {
      expected.push_back("component-" + std::to_string(n));
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(ids, expected);
    return absl::OkStatus();
  }));
}

TEST_F(StoreTest, ReadWrite_AllConnectionsBusy_WaitEndsAtDeadline) {
  MysqlConfig config = db().config();
  config.pool_size = 1;
  std::unique_ptr<storage::Store> store = OpenStore(config);
  absl::Notification holding, release;
  std::thread holder([&] {
    EXPECT_OK(store->ReadWrite(Soon(), [&](Transaction&) {
      holding.Notify();
      release.WaitForNotification();
      return absl::OkStatus();
    }));
  });
  holding.WaitForNotification();
  bool ran = false;
  const absl::Time start = absl::Now();
  absl::Status status =
      store->ReadWrite(start + absl::Milliseconds(200), [&](Transaction&) {
        ran = true;
        return absl::OkStatus();
      });
  const absl::Duration waited = absl::Now() - start;
  release.Notify();
  holder.join();
  EXPECT_CODE(status, absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(ran);
  EXPECT_LT(waited, absl::Seconds(2));
  // The connection came back and serves the next caller.
  EXPECT_OK(store->Ping(Soon()));
}

TEST_F(StoreTest, Ping_DatabaseUp_IsOk) { EXPECT_OK(store().Ping(Soon())); }

TEST_F(StoreTest, OpenMysqlStore_DatabaseDown_SucceedsWithoutConnecting) {
  MysqlConfig config = db().config();
  config.port = ClosedPort();
  EXPECT_OK(storage::OpenMysqlStore(config));
}

TEST_F(StoreTest, ClosedPort_PingAndTransactions_AreUnavailableQuickly) {
  MysqlConfig config = db().config();
  config.port = ClosedPort();
  config.connect_timeout = absl::Seconds(1);
  std::unique_ptr<storage::Store> store = OpenStore(config);
  const absl::Time start = absl::Now();
  EXPECT_CODE(store->Ping(Soon()), absl::StatusCode::kUnavailable);
  bool ran = false;
  EXPECT_CODE(store->ReadWrite(Soon(),
                               [&](Transaction&) {
                                 ran = true;
                                 return absl::OkStatus();
                               }),
              absl::StatusCode::kUnavailable);
  EXPECT_CODE(store->ReadOnly(Soon(),
                              [&](Transaction&) {
                                ran = true;
                                return absl::OkStatus();
                              }),
              absl::StatusCode::kUnavailable);
  EXPECT_FALSE(ran);
  EXPECT_LT(absl::Now() - start, config.connect_timeout);
}

TEST_F(StoreTest, OpenMysqlStore_BadConfig_IsInvalidArgument) {
  MysqlConfig config = db().config();
  config.pool_size = 0;
  EXPECT_CODE(storage::OpenMysqlStore(config),
              absl::StatusCode::kInvalidArgument);
  config = db().config();
  config.lock_wait_timeout = absl::Milliseconds(10);
  EXPECT_CODE(storage::OpenMysqlStore(config),
              absl::StatusCode::kInvalidArgument);
  config = db().config();
  config.port = 0;
  EXPECT_CODE(storage::OpenMysqlStore(config),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreTest,
       ConnectionKilledWhileIdle_IsReplacedAndNextTransactionSucceeds) {
  MysqlConfig config = db().config();
  config.pool_size = 1;
  std::unique_ptr<storage::Store> store = OpenStore(config);
  ASSERT_OK(store->Ping(Soon()));
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> before, db().OtherConnectionIds());
  ASSERT_FALSE(before.empty());

  ASSERT_OK(db().KillOtherConnections());

  const std::string id = UniqueId("page");
  EXPECT_OK(store->ReadWrite(Soon(), [&](Transaction& tx) {
    return tx.pages().Insert(MakePage(id));
  }));
  EXPECT_OK(ReadPage(id));

  ASSERT_OK(db().KillOtherConnections());
  EXPECT_OK(store->Ping(Soon()));
  ASSERT_OK(db().KillOtherConnections());
  EXPECT_OK(store->ReadOnly(Soon(), [&](Transaction& tx) {
    return tx.pages().Get(id, Lock::kNone).status();
  }));
}

TEST_F(StoreTest, ConnectionKilledMidTransaction_IsUnavailableThenRecovers) {
  MysqlConfig config = db().config();
  config.pool_size = 1;
  std::unique_ptr<storage::Store> store = OpenStore(config);
  const std::string id = UniqueId("page");
  absl::Status status = store->ReadWrite(Soon(), [&](Transaction& tx) {
    absl::Status inserted = tx.pages().Insert(MakePage(id));
    if (!inserted.ok()) return inserted;
    absl::Status killed = db().KillOtherConnections();
    if (!killed.ok()) return killed;
    return tx.pages().Get(id, Lock::kNone).status();
  });
  EXPECT_CODE(status, absl::StatusCode::kUnavailable);
  EXPECT_CODE(ReadPage(id), absl::StatusCode::kNotFound);

  EXPECT_OK(store->ReadWrite(Soon(), [&](Transaction& tx) {
    return tx.pages().Insert(MakePage(id));
  }));
  EXPECT_OK(ReadPage(id));
}

}  // namespace
}  // namespace incidentd::testing
