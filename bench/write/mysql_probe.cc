#include "bench/write/mysql_probe.h"

#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace incidentd::bench::write {
namespace {

absl::Status FromException(const char* what, const sql::SQLException& e) {
  return absl::UnavailableError(absl::StrCat(what, ": MySQL error ",
                                             e.getErrorCode(), ": ", e.what()));
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// The settings that decide whether and how commits share an fsync.
constexpr char kSettings[] =
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN ("
    "'innodb_flush_log_at_trx_commit', 'log_bin', 'sync_binlog', "
    "'innodb_flush_method', 'innodb_log_file_buffering', "
    "'innodb_doublewrite', 'binlog_commit_wait_count', "
    "'binlog_commit_wait_usec')";

}  // namespace

CommitCounters operator-(const CommitCounters& a, const CommitCounters& b) {
  return {a.commits - b.commits, a.fsyncs - b.fsyncs,
          a.log_writes - b.log_writes, a.questions - b.questions};
}

std::string MaskLiterals(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\'') {
      // A quoted string: backslash escapes and doubled quotes inside.
      ++i;
      while (i < s.size()) {
        if (s[i] == '\\') {
          i += 2;
        } else if (s[i] == '\'') {
          if (i + 1 < s.size() && s[i + 1] == '\'') {
            i += 2;
          } else {
            ++i;
            break;
          }
        } else {
          ++i;
        }
      }
      out += '?';
    } else if (std::isdigit(static_cast<unsigned char>(c)) &&
               (out.empty() || !IsWordChar(out.back()))) {
      while (i < s.size() &&
             (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
        ++i;
      }
      out += '?';
    } else if (s.substr(i, 4) == "NULL" &&
               (out.empty() || !IsWordChar(out.back())) &&
               (i + 4 == s.size() || !IsWordChar(s[i + 4]))) {
      i += 4;
      out += '?';
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<MysqlProbe>> MysqlProbe::Open(
    const BenchEnv& env) {
  std::unique_ptr<MysqlProbe> probe(new MysqlProbe());
  try {
    sql::ConnectOptionsMap options;
    options["hostName"] = sql::SQLString(env.mysql_host);
    options["port"] = env.mysql_port;
    options["userName"] = sql::SQLString(env.mysql_user);
    options["password"] = sql::SQLString(env.mysql_password);
    options["OPT_CONNECT_TIMEOUT"] = 10;
    options["OPT_READ_TIMEOUT"] = 30;
    probe->connection_.reset(
        sql::mysql::get_mysql_driver_instance()->connect(options));
  } catch (const sql::SQLException& e) {
    return FromException("connecting the probe", e);
  }
  return probe;
}

MysqlProbe::~MysqlProbe() = default;

absl::StatusOr<CommitCounters> MysqlProbe::ReadCounters() {
  CommitCounters c;
  try {
    std::unique_ptr<sql::Statement> st(connection_->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_commit', "
        "'Innodb_data_fsyncs', 'Innodb_log_writes', 'Questions')"));
    while (rs->next()) {
      const std::string name = rs->getString(1).asStdString();
      const int64_t value = rs->getInt64(2);
      if (name == "Com_commit") c.commits = value;
      if (name == "Innodb_data_fsyncs") c.fsyncs = value;
      if (name == "Innodb_log_writes") c.log_writes = value;
      if (name == "Questions") c.questions = value;
    }
  } catch (const sql::SQLException& e) {
    return FromException("reading the commit counters", e);
  }
  return c;
}

absl::StatusOr<std::string> MysqlProbe::DurabilitySettings() {
  std::vector<std::string> settings;
  try {
    std::unique_ptr<sql::Statement> st(connection_->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(kSettings));
    while (rs->next()) {
      settings.push_back(absl::StrCat(rs->getString(1).asStdString(), "=",
                                      rs->getString(2).asStdString()));
    }
  } catch (const sql::SQLException& e) {
    return FromException("reading the durability settings", e);
  }
  return absl::StrJoin(settings, ", ");
}

absl::Status MysqlProbe::StartStatementLog() {
  try {
    std::unique_ptr<sql::Statement> st(connection_->createStatement());
    {
      std::unique_ptr<sql::ResultSet> rs(
          st->executeQuery("SELECT @@global.log_output"));
      if (rs->next()) saved_log_output_ = rs->getString(1).asStdString();
    }
    st->execute("SET GLOBAL log_output = 'TABLE'");
    st->execute("TRUNCATE TABLE mysql.general_log");
    st->execute("SET GLOBAL general_log = 1");
  } catch (const sql::SQLException& e) {
    return FromException("turning the general log on", e);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>>
MysqlProbe::StopStatementLogAndFindPost(const std::string& marker) {
  // Per connection (thread_id): the statements of its open transaction, and
  // whether one of them mentioned the marker.
  struct Open {
    std::vector<std::string> statements;
    bool marked = false;
  };
  std::map<int64_t, Open> open;
  std::vector<std::vector<std::string>> posts;
  try {
    std::unique_ptr<sql::Statement> st(connection_->createStatement());
    st->execute("SET GLOBAL general_log = 0");
    if (!saved_log_output_.empty()) {
      std::unique_ptr<sql::PreparedStatement> restore(
          connection_->prepareStatement("SET GLOBAL log_output = ?"));
      restore->setString(1, saved_log_output_);
      restore->execute();
    }
    // The CSV table keeps the order rows were logged in.
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
        "SELECT thread_id, command_type, argument FROM mysql.general_log"));
    while (rs->next()) {
      const int64_t thread = rs->getInt64(1);
      const std::string command = rs->getString(2).asStdString();
      const std::string text = rs->getString(3).asStdString();
      // Prepare lines appear only on a connection's first use of a
      // statement; what runs is the Execute.
      if (command != "Query" && command != "Execute") continue;
      if (text == "START TRANSACTION") {
        open[thread] = Open{{text}, false};
        continue;
      }
      auto it = open.find(thread);
      if (it == open.end()) continue;
      it->second.statements.push_back(MaskLiterals(text));
      if (absl::StrContains(text, marker)) it->second.marked = true;
      if (text == "COMMIT" || text == "ROLLBACK") {
        const std::vector<std::string>& st = it->second.statements;
        const bool is_post =
            std::any_of(st.begin(), st.end(), [](const std::string& s) {
              return absl::StartsWith(s, "INSERT INTO incident_updates");
            });
        if (is_post && it->second.marked) {
          posts.push_back(std::move(it->second.statements));
        }
        open.erase(it);
      }
    }
    st->execute("TRUNCATE TABLE mysql.general_log");
  } catch (const sql::SQLException& e) {
    return FromException("reading the general log", e);
  }
  if (posts.empty()) {
    return absl::NotFoundError("no post transaction in the general log");
  }
  if (posts.size() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(posts.size(), " post transactions in the general log"));
  }
  return std::move(posts.front());
}

absl::StatusOr<int64_t> MysqlProbe::NewestEventPayloadBytes(
    const std::string& database, const std::string& page_id) {
  try {
    std::unique_ptr<sql::PreparedStatement> st(connection_->prepareStatement(
        absl::StrCat("SELECT LENGTH(payload) FROM `", database,
                     "`.events WHERE page_id = ? ORDER BY seq DESC LIMIT 1")));
    st->setString(1, page_id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) {
      return absl::NotFoundError(
          absl::StrCat("no event of page ", page_id, " in ", database));
    }
    return rs->getInt64(1);
  } catch (const sql::SQLException& e) {
    return FromException("reading an event's size", e);
  }
}

int MysqlProbe::ServerPid() {
  std::string path;
  try {
    std::unique_ptr<sql::Statement> st(connection_->createStatement());
    std::unique_ptr<sql::ResultSet> rs(
        st->executeQuery("SELECT @@global.pid_file"));
    if (rs->next()) path = rs->getString(1).asStdString();
  } catch (const sql::SQLException&) {
    return 0;
  }
  std::ifstream in(path);
  int pid = 0;
  if (!(in >> pid)) return 0;
  return pid;
}

absl::Status MysqlProbe::DropDatabase(const std::string& database) {
  try {
    std::unique_ptr<sql::Statement> st(connection_->createStatement());
    st->execute(absl::StrCat("DROP DATABASE IF EXISTS `", database, "`"));
  } catch (const sql::SQLException& e) {
    return FromException("dropping a database", e);
  }
  return absl::OkStatus();
}

}  // namespace incidentd::bench::write
