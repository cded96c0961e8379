// Text and times come back exactly as stored: every text column kind
// (VARCHAR, TEXT, MEDIUMTEXT) with hostile and maximal values, and times at
// microsecond precision.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/mysql/sql_time.h"
#include "tests/integration/model_helpers.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using storage::Lock;
using storage::Transaction;

// Every printable and control ASCII byte but NUL, plus multibyte UTF-8.
std::string AllAsciiButNul() {
  std::string s;
  for (int c = 1; c < 128; ++c) s.push_back(static_cast<char>(c));
  return s;
}

std::vector<std::string> HostileTexts() {
  return {
      "'; DROP TABLE pages; --",
      "Robert'); DELETE FROM incidents WHERE ('1'='1",
      "quotes ' \" ` and backslashes \\ \\\\ \\' \\n (not a newline)",
      "emoji \xF0\x9F\x94\xA5\xF0\x9F\x9A\x92 and 4-byte \xF0\x9D\x84\x9E "
      "(U+1D11E)",
      "\xE4\xB8\xAD\xE6\x96\x87 \xD0\xA0\xD1\x83\xD1\x81 "
      "\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A combining e\xCC\x81",
      "  leading and trailing spaces  ",
      "\n\tnewlines\r\nand tabs\t\n",
      "percent %s %d %% and underscore _ and ? placeholder",
      AllAsciiButNul(),
  };
}

class TextRoundTripTest : public MysqlTest {};

TEST_F(TextRoundTripTest, HostileText_InEveryTextColumn_ComesBackByteForByte) {
  for (const std::string& text : HostileTexts()) {
    SCOPED_TRACE(text);
    const std::string page_id = UniqueId("page");
    Page page = MakePage(page_id);
    page.display_name = text;
    page.url = text;
    page.time_zone = text.substr(0, 64);
    ComponentGroup group = MakeGroup(page_id, "g", 1);
    group.display_name = text;
    group.description = text;
    Component component = MakeComponent(page_id, "c", 1, "g");
    component.display_name = text;
    component.description = text;
    component.status_reason = text;
    Incident incident = MakeIncident(page_id, "i", At(0));
    incident.title = text;
    IncidentUpdate update = MakeUpdate(page_id, "i", "u", At(1));
    update.body = text;
    update.display_time_zone = text.substr(0, 64);
    update.author = text;
    Postmortem postmortem = MakePostmortem(page_id, "i");
    postmortem.sections = {{text, text}, {"", text}};
    postmortem.author = text;
    CorrectiveAction action = MakeAction(page_id, "i", "a");
    action.description = text;
    action.owner = text;
    RequestRecord request = MakeRequest(page_id, "r");
    request.method = text;
    request.fingerprint = text;
    request.resource_name = text;

    ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
      std::vector<absl::Status> s = {
          tx.pages().Insert(page), tx.components().InsertGroup(group),
          tx.components().Insert(component), tx.incidents().Insert(incident)};
      absl::StatusOr<int64_t> seq = tx.incidents().InsertUpdate(update);
      if (seq.ok()) update.seq = *seq;
      s.push_back(seq.status());
      update.previous_versions.push_back(
          {text, At(0), text.substr(0, 64), At(2), text});
      update.body = text + text;
      update.version = 2;
      s.push_back(tx.incidents().EditUpdate(update));
      s.push_back(tx.postmortems().Insert(postmortem));
      absl::StatusOr<int64_t> action_seq =
          tx.postmortems().InsertAction(action);
      if (action_seq.ok()) action.seq = *action_seq;
      s.push_back(action_seq.status());
      s.push_back(tx.requests().Insert(request));
      for (const absl::Status& status : s) {
        if (!status.ok()) return status;
      }
      return absl::OkStatus();
    }));

    ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<Page> p = tx.pages().Get(page_id, Lock::kNone);
      EXPECT_OK(p);
      if (p.ok()) {
        EXPECT_EQ(Dump(*p), Dump(page));
      }
      absl::StatusOr<ComponentGroup> g =
          tx.components().GetGroup(page_id, "g", Lock::kNone);
      EXPECT_OK(g);
      if (g.ok()) {
        EXPECT_EQ(Dump(*g), Dump(group));
      }
      absl::StatusOr<Component> c =
          tx.components().Get(page_id, "c", Lock::kNone);
      EXPECT_OK(c);
      if (c.ok()) {
        EXPECT_EQ(Dump(*c), Dump(component));
      }
      absl::StatusOr<Incident> i =
          tx.incidents().Get(page_id, "i", Lock::kNone);
      EXPECT_OK(i);
      if (i.ok()) {
        EXPECT_EQ(Dump(*i), Dump(incident));
      }
      absl::StatusOr<IncidentUpdate> u =
          tx.incidents().GetUpdate(page_id, "i", "u", Lock::kNone);
      EXPECT_OK(u);
      if (u.ok()) {
        EXPECT_EQ(Dump(*u), Dump(update));
      }
      absl::StatusOr<Postmortem> pm =
          tx.postmortems().Get(page_id, "i", Lock::kNone);
      EXPECT_OK(pm);
      if (pm.ok()) {
        EXPECT_EQ(Dump(*pm), Dump(postmortem));
      }
      absl::StatusOr<std::vector<Postmortem>> revisions =
          tx.postmortems().ListRevisions(page_id, "i", 0, 1);
      EXPECT_OK(revisions);
      if (revisions.ok() && revisions->size() == 1) {
        EXPECT_EQ(Dump(revisions->front()), Dump(postmortem));
      }
      absl::StatusOr<CorrectiveAction> a =
          tx.postmortems().GetAction(page_id, "i", "a", Lock::kNone);
      EXPECT_OK(a);
      if (a.ok()) {
        EXPECT_EQ(Dump(*a), Dump(action));
      }
      absl::StatusOr<RequestRecord> r = tx.requests().Find(page_id, "r");
      EXPECT_OK(r);
      if (r.ok()) {
        EXPECT_EQ(Dump(*r), Dump(request));
      }
      return absl::OkStatus();
    }));
  }
  // And the tables are all still there.
  EXPECT_OK(db().QueryInt("SELECT COUNT(*) FROM pages"));
}

// n copies of a 4-byte character: n characters, 4n bytes.
std::string FourByteChars(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "\xF0\x9F\x94\xA5";
  return s;
}

TEST_F(TextRoundTripTest, LongestValuesTheApiAllows_FitTheirColumns) {
  // The limits of server/domain/validation.h, in the widest characters.
  const std::string page_id = UniqueId("page");
  Page page = MakePage(page_id);
  page.display_name = FourByteChars(200);
  page.url = "https://example.com/" + std::string(2048 - 20, 'x');
  page.time_zone = std::string(64, 'z');
  Component component = MakeComponent(page_id, "c", 1);
  component.display_name = FourByteChars(200);
  component.description = FourByteChars(4096);
  component.status_reason = FourByteChars(1024);
  Incident incident = MakeIncident(page_id, "i", At(0));
  incident.title = FourByteChars(200);
  incident.component_ids.clear();
  for (int n = 0; n < 100; ++n) {
    incident.component_ids.push_back(std::string(62, 'a') +
                                     std::to_string(n % 10));
  }
  IncidentUpdate update = MakeUpdate(page_id, "i", "u", At(1));
  update.body = FourByteChars(65536 / 4);  // 65536 bytes: more than TEXT holds
  update.author = FourByteChars(200);
  Postmortem postmortem = MakePostmortem(page_id, "i");
  postmortem.sections.clear();
  for (int n = 0; n < 50; ++n) {
    postmortem.sections.push_back(
        {FourByteChars(200), FourByteChars(65536 / 4)});
  }
  RequestRecord request = MakeRequest(page_id, std::string(128, '~'));

  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::Status s = tx.pages().Insert(page);
    if (s.ok()) s = tx.components().Insert(component);
    if (s.ok()) s = tx.incidents().Insert(incident);
    if (s.ok()) {
      absl::StatusOr<int64_t> seq = tx.incidents().InsertUpdate(update);
      if (seq.ok()) update.seq = *seq;
      s = seq.status();
    }
    if (s.ok()) s = tx.postmortems().Insert(postmortem);
    if (s.ok()) s = tx.requests().Insert(request);
    return s;
  }));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Page> p = tx.pages().Get(page_id, Lock::kNone);
    if (p.ok()) {
      EXPECT_EQ(Dump(*p), Dump(page));
    }
    absl::StatusOr<Component> c =
        tx.components().Get(page_id, "c", Lock::kNone);
    if (c.ok()) {
      EXPECT_EQ(Dump(*c), Dump(component));
    }
    absl::StatusOr<Incident> i = tx.incidents().Get(page_id, "i", Lock::kNone);
    if (i.ok()) {
      EXPECT_EQ(Dump(*i), Dump(incident));
    }
    absl::StatusOr<IncidentUpdate> u =
        tx.incidents().GetUpdate(page_id, "i", "u", Lock::kNone);
    if (u.ok()) {
      EXPECT_EQ(u->body, update.body);
    }
    absl::StatusOr<Postmortem> pm =
        tx.postmortems().Get(page_id, "i", Lock::kNone);
    if (pm.ok()) {
      EXPECT_EQ(Dump(*pm), Dump(postmortem));
    }
    absl::StatusOr<RequestRecord> r =
        tx.requests().Find(page_id, request.request_id);
    if (r.ok()) {
      EXPECT_EQ(Dump(*r), Dump(request));
    }
    for (absl::Status s : {p.status(), c.status(), i.status(), u.status(),
                           pm.status(), r.status()}) {
      EXPECT_OK(s);
    }
    return absl::OkStatus();
  }));
}

TEST_F(TextRoundTripTest, TextLongerThanItsColumn_IsAnErrorNotTruncated) {
  Page page = MakePage(UniqueId("page"));
  page.display_name = std::string(201, 'x');
  absl::Status status =
      Write([&](Transaction& tx) { return tx.pages().Insert(page); });
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.message().find("pages"), absl::string_view::npos)
      << "no SQL in messages: " << status;
}

class TimeRoundTripTest : public MysqlTest {};

TEST_F(TimeRoundTripTest, Times_KeepMicroseconds_AbsentTimesStayAbsent) {
  const std::string page_id = UniqueId("page");
  const absl::Time epoch = absl::UnixEpoch();
  Incident incident = MakeIncident(page_id, "i", std::nullopt);
  incident.create_time = epoch - absl::Microseconds(1);  // before 1970
  incident.update_time = storage::mysql::MaxSqlTime();
  incident.resolve_time = storage::mysql::MinSqlTime();
  incident.impact_start_time = epoch + absl::Microseconds(999999);
  incident.scheduled_start_time =
      absl::FromCivil(absl::CivilSecond(2024, 2, 29, 23, 59, 59),
                      absl::UTCTimeZone()) +
      absl::Microseconds(1);
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::Status s = tx.pages().Insert(MakePage(page_id));
    if (s.ok()) s = tx.incidents().Insert(incident);
    return s;
  }));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Incident> got =
        tx.incidents().Get(page_id, "i", Lock::kNone);
    EXPECT_OK(got);
    if (!got.ok()) return got.status();
    EXPECT_EQ(Dump(*got), Dump(incident));
    EXPECT_FALSE(got->start_time.has_value());
    EXPECT_FALSE(got->impact_end_time.has_value());
    EXPECT_FALSE(got->scheduled_end_time.has_value());
    return absl::OkStatus();
  }));
}

TEST_F(TimeRoundTripTest, SubMicrosecondDigits_AreTruncatedTowardsThePast) {
  const std::string page_id = UniqueId("page");
  Page page = MakePage(page_id);
  page.create_time = At(0) + absl::Nanoseconds(999);
  page.update_time = absl::UnixEpoch() - absl::Nanoseconds(1);
  ASSERT_OK(Write([&](Transaction& tx) { return tx.pages().Insert(page); }));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Page> got = tx.pages().Get(page_id, Lock::kNone);
    if (!got.ok()) return got.status();
    EXPECT_EQ(got->create_time, At(0));
    EXPECT_EQ(got->update_time, absl::UnixEpoch() - absl::Microseconds(1));
    return absl::OkStatus();
  }));
}

TEST_F(TimeRoundTripTest, TimeOutsideTheStorableRange_IsInvalidArgument) {
  Page page = MakePage(UniqueId("page"));
  page.create_time = absl::InfinitePast();
  EXPECT_CODE(Write([&](Transaction& tx) { return tx.pages().Insert(page); }),
              absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace incidentd::testing
