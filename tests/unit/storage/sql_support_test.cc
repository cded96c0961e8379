// Unit tests (no database) of the pieces under the MySQL storage: splitting
// migrations, time text, the error mapping, IN lists.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/mysql/migrations.h"
#include "storage/mysql/session.h"
#include "storage/mysql/sql_errors.h"
#include "storage/mysql/sql_time.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::storage::mysql {
namespace {

using V = std::vector<std::string>;

TEST(SplitStatementsTest, SplitsAtSemicolonsEndingALine_SkipsComments) {
  EXPECT_EQ(SplitStatements("-- a comment; with a semicolon\n"
                            "CREATE TABLE a (\n"
                            "  x INT -- trailing; not at the end\n"
                            ");\n"
                            "\n"
                            "  -- indented comment\n"
                            "INSERT INTO a VALUES (';');  \n"
                            "DROP TABLE a"),
            (V{"CREATE TABLE a (\n  x INT -- trailing; not at the end\n)",
               "INSERT INTO a VALUES (';')", "DROP TABLE a"}));
  EXPECT_EQ(SplitStatements(""), V{});
  EXPECT_EQ(SplitStatements("-- only a comment\n;\n"), V{});
}

TEST(SplitStatementsTest, EmbeddedMigrations_AreContiguousAndNonEmpty) {
  int expected = 1;
  for (const Migration& m : EmbeddedMigrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_FALSE(std::string(m.name).empty());
    EXPECT_FALSE(SplitStatements(m.sql).empty()) << m.name;
  }
}

TEST(SqlTimeTest, Format_MicrosecondsInUtc) {
  const absl::Time t =
      absl::FromCivil(absl::CivilSecond(2024, 3, 1, 12, 34, 56),
                      absl::UTCTimeZone()) +
      absl::Microseconds(7);
  EXPECT_EQ(FormatSqlTime(t).value_or(""), "2024-03-01 12:34:56.000007");
  EXPECT_EQ(FormatSqlTime(t + absl::Nanoseconds(999)).value_or(""),
            "2024-03-01 12:34:56.000007");
  EXPECT_EQ(
      FormatSqlTime(absl::UnixEpoch() - absl::Nanoseconds(1)).value_or(""),
      "1969-12-31 23:59:59.999999");
  EXPECT_CODE(FormatSqlTime(absl::InfiniteFuture()),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(FormatSqlTime(MinSqlTime() - absl::Microseconds(1)),
              absl::StatusCode::kInvalidArgument);
  EXPECT_OK(FormatSqlTime(MaxSqlTime()));
}

TEST(SqlTimeTest, Parse_AcceptsZeroToSixFractionDigits) {
  const absl::Time whole = absl::FromCivil(
      absl::CivilSecond(2024, 3, 1, 12, 34, 56), absl::UTCTimeZone());
  EXPECT_EQ(ParseSqlTime("2024-03-01 12:34:56").value_or(absl::Time()), whole);
  EXPECT_EQ(ParseSqlTime("2024-03-01 12:34:56.5").value_or(absl::Time()),
            whole + absl::Milliseconds(500));
  EXPECT_EQ(ParseSqlTime("2024-03-01 12:34:56.000007").value_or(absl::Time()),
            whole + absl::Microseconds(7));
  EXPECT_CODE(ParseSqlTime("yesterday"), absl::StatusCode::kInternal);
}

absl::Status Mapped(int error, const char* message = "server text") {
  return StatusFromSqlException(sql::SQLException(message, "HY000", error),
                                "insert page", "INSERT INTO pages VALUES (?)");
}

TEST(SqlErrorsTest, ErrorNumbers_MapToCodesByWhatTheCallerShouldDo) {
  EXPECT_CODE(Mapped(1062), absl::StatusCode::kAlreadyExists);
  EXPECT_CODE(Mapped(1213), absl::StatusCode::kAborted);
  EXPECT_CODE(Mapped(1205), absl::StatusCode::kAborted);
  EXPECT_CODE(Mapped(1452), absl::StatusCode::kNotFound);
  EXPECT_CODE(Mapped(1451), absl::StatusCode::kFailedPrecondition);
  for (int unavailable :
       {2002, 2003, 2006, 2013, 2055, 1053, 1290, 1836, 1040}) {
    EXPECT_CODE(Mapped(unavailable), absl::StatusCode::kUnavailable)
        << unavailable;
  }
  EXPECT_CODE(Mapped(1064), absl::StatusCode::kInternal);  // syntax error
  EXPECT_CODE(Mapped(0), absl::StatusCode::kInternal);
}

TEST(SqlErrorsTest, Messages_NameTheOperationButNeverSqlOrServerText) {
  absl::Status s =
      Mapped(1064, "You have an error in your SQL syntax near 'x'");
  EXPECT_NE(s.message().find("insert page"), absl::string_view::npos);
  EXPECT_EQ(s.message().find("INSERT"), absl::string_view::npos);
  EXPECT_EQ(s.message().find("SQL"), absl::string_view::npos);
  EXPECT_EQ(s.message().find("syntax"), absl::string_view::npos);
}

TEST(SqlErrorsTest, CatchSqlErrors_TurnsExceptionsIntoStatuses) {
  EXPECT_OK(CatchSqlErrors("op", "", [] {}));
  EXPECT_CODE(
      CatchSqlErrors("op", "",
                     [] { throw sql::SQLException("gone", "HY000", 2013); }),
      absl::StatusCode::kUnavailable);
  EXPECT_CODE(
      CatchSqlErrors("op", "", [] { throw std::runtime_error("boom"); }),
      absl::StatusCode::kInternal);
}

TEST(SqlErrorsTest, KeepsConnection_OnlyAfterStatementLevelOutcomes) {
  EXPECT_TRUE(KeepsConnection(Mapped(1062)));
  EXPECT_TRUE(KeepsConnection(Mapped(1213)));
  EXPECT_FALSE(KeepsConnection(Mapped(2013)));
  EXPECT_FALSE(KeepsConnection(Mapped(1064)));
}

TEST(AppendInListTest, PadsToAPowerOfTwoWithTheLastValue) {
  const std::vector<std::string> ids = {"a", "b", "c"};
  std::vector<SqlValue> values(ids.begin(), ids.end());
  std::string sql = "x IN ";
  std::vector<SqlValue> params;
  AppendInList(values, &sql, &params);
  EXPECT_EQ(sql, "x IN (?, ?, ?, ?)");
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(params[2].text(), "c");
  EXPECT_EQ(params[3].text(), "c");

  sql.clear();
  params.clear();
  AppendInList(std::vector<SqlValue>{"only"}, &sql, &params);
  EXPECT_EQ(sql, "(?)");
}

}  // namespace
}  // namespace incidentd::storage::mysql
