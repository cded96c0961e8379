// PageRepository and ComponentRepository over MySQL.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/model_helpers.h"
#include "tests/integration/mysql_fixture.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using storage::ComponentCursor;
using storage::Lock;
using storage::Transaction;

class PageRepositoryTest : public MysqlTest {};

TEST_F(PageRepositoryTest, Insert_ThenGet_ReturnsEveryField) {
  const Page page = MakePage(UniqueId("page"));
  ASSERT_OK(Write([&](Transaction& tx) { return tx.pages().Insert(page); }));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Page> got = tx.pages().Get(page.id, Lock::kNone);
    EXPECT_OK(got);
    if (got.ok()) {
      EXPECT_EQ(Dump(*got), Dump(page));
    }
    return absl::OkStatus();
  }));
}

TEST_F(PageRepositoryTest, Get_ForUpdateInReadWrite_ReturnsThePage) {
  const Page page = MakePage(UniqueId("page"));
  ASSERT_OK(Write([&](Transaction& tx) { return tx.pages().Insert(page); }));
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Page> got = tx.pages().Get(page.id, Lock::kForUpdate);
    EXPECT_OK(got);
    if (got.ok()) {
      EXPECT_EQ(Dump(*got), Dump(page));
    }
    return absl::OkStatus();
  }));
}

TEST_F(PageRepositoryTest, Insert_TakenId_IsAlreadyExists) {
  const Page page = MakePage(UniqueId("page"));
  ASSERT_OK(Write([&](Transaction& tx) { return tx.pages().Insert(page); }));
  EXPECT_CODE(Write([&](Transaction& tx) { return tx.pages().Insert(page); }),
              absl::StatusCode::kAlreadyExists);
}

TEST_F(PageRepositoryTest, Get_UnknownId_IsNotFound) {
  EXPECT_CODE(Read([&](Transaction& tx) {
                return tx.pages().Get("no-such-page", Lock::kNone).status();
              }),
              absl::StatusCode::kNotFound);
}

TEST_F(PageRepositoryTest, List_OrdersByIdAndResumesAfterTheCursor) {
  const std::string prefix = UniqueId("list");
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    for (const char* suffix : {"-c", "-a", "-b"}) {
      absl::Status s = tx.pages().Insert(MakePage(prefix + suffix));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<Page>> first = tx.pages().List(prefix + "-", 2);
    EXPECT_OK(first);
    if (!first.ok()) return first.status();
    EXPECT_EQ(Ids(*first),
              (std::vector<std::string>{prefix + "-a", prefix + "-b"}));
    absl::StatusOr<std::vector<Page>> second =
        tx.pages().List(first->back().id, 2);
    EXPECT_OK(second);
    if (!second.ok()) return second.status();
    EXPECT_FALSE(second->empty());
    if (!second->empty()) {
      EXPECT_EQ(second->front().id, prefix + "-c");
      EXPECT_EQ(Dump(second->front()), Dump(MakePage(prefix + "-c")));
    }
    absl::StatusOr<std::vector<Page>> none = tx.pages().List(prefix + "-", 0);
    EXPECT_OK(none);
    if (none.ok()) {
      EXPECT_TRUE(none->empty());
    }
    return absl::OkStatus();
  }));
}

TEST_F(PageRepositoryTest, Update_NextVersion_WritesFields) {
  Page page = MakePage(UniqueId("page"));
  ASSERT_OK(Write([&](Transaction& tx) { return tx.pages().Insert(page); }));
  page.display_name = "Exalate";
  page.url = "https://status.exalate.com";
  page.time_zone = "UTC";
  page.update_time = At(60);
  page.version = 2;
  ASSERT_OK(Write([&](Transaction& tx) { return tx.pages().Update(page); }));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Page> got = tx.pages().Get(page.id, Lock::kNone);
    EXPECT_OK(got);
    if (got.ok()) {
      EXPECT_EQ(Dump(*got), Dump(page));
    }
    return absl::OkStatus();
  }));
}

TEST_F(PageRepositoryTest, Update_StaleVersion_IsAbortedAndWritesNothing) {
  const Page original = MakePage(UniqueId("page"));
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.pages().Insert(original); }));
  Page changed = original;
  changed.display_name = "Lost";
  changed.version = 2;
  ASSERT_OK(Write([&](Transaction& tx) { return tx.pages().Update(changed); }));
  Page stale = original;  // still based on version 1
  stale.display_name = "Stale";
  stale.version = 2;
  EXPECT_CODE(Write([&](Transaction& tx) { return tx.pages().Update(stale); }),
              absl::StatusCode::kAborted);
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<Page> got = tx.pages().Get(original.id, Lock::kNone);
    EXPECT_OK(got);
    if (got.ok()) {
      EXPECT_EQ(Dump(*got), Dump(changed));
    }
    return absl::OkStatus();
  }));
}

TEST_F(PageRepositoryTest, Update_UnknownId_IsNotFound) {
  Page page = MakePage(UniqueId("page"));
  page.version = 2;
  EXPECT_CODE(Write([&](Transaction& tx) { return tx.pages().Update(page); }),
              absl::StatusCode::kNotFound);
}

TEST_F(PageRepositoryTest, Delete_UnknownId_IsNotFound) {
  EXPECT_CODE(
      Write([&](Transaction& tx) { return tx.pages().Delete("no-such-page"); }),
      absl::StatusCode::kNotFound);
}

TEST_F(PageRepositoryTest, Delete_RemovesThePageAndEverythingUnderIt) {
  const std::string page_id = UniqueId("page");
  const std::string other_id = UniqueId("page");
  auto fill = [&](const std::string& p) {
    return Write([&](Transaction& tx) -> absl::Status {
      std::vector<absl::Status> s;
      s.push_back(tx.pages().Insert(MakePage(p)));
      s.push_back(tx.components().InsertGroup(MakeGroup(p, "platform", 1)));
      s.push_back(
          tx.components().Insert(MakeComponent(p, "api", 1, "platform")));
      s.push_back(tx.components().Insert(MakeComponent(p, "web", 2)));
      s.push_back(tx.incidents().Insert(MakeIncident(p, "outage", At(0))));
      IncidentUpdate update = MakeUpdate(p, "outage", "u1", At(10));
      s.push_back(tx.incidents().InsertUpdate(update).status());
      update.version = 2;
      update.previous_versions.push_back(
          {"old text", At(9), "UTC", At(11), "editor"});
      s.push_back(tx.incidents().EditUpdate(update));
      s.push_back(tx.postmortems().Insert(MakePostmortem(p, "outage")));
      s.push_back(tx.postmortems()
                      .InsertAction(MakeAction(p, "outage", "a1"))
                      .status());
      s.push_back(tx.requests().Insert(MakeRequest(p, "req-1")));
      for (const absl::Status& status : s) {
        if (!status.ok()) return status;
      }
      return absl::OkStatus();
    });
  };
  ASSERT_OK(fill(page_id));
  ASSERT_OK(fill(other_id));

  ASSERT_OK(Write([&](Transaction& tx) { return tx.pages().Delete(page_id); }));

  const std::vector<std::pair<std::string, std::string>> tables = {
      {"pages", "id"},
      {"component_groups", "page_id"},
      {"components", "page_id"},
      {"incidents", "page_id"},
      {"incident_components", "page_id"},
      {"incident_updates", "page_id"},
      {"incident_update_components", "page_id"},
      {"incident_update_revisions", "page_id"},
      {"postmortems", "page_id"},
      {"postmortem_sections", "page_id"},
      {"postmortem_revisions", "page_id"},
      {"postmortem_revision_sections", "page_id"},
      {"corrective_actions", "page_id"},
      {"request_records", "scope"},
  };
  for (const auto& [table, column] : tables) {
    ASSERT_OK_AND_ASSIGN(
        int64_t deleted_rows,
        db().QueryInt(absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE ",
                                   column, " = '", page_id, "'")));
    EXPECT_EQ(deleted_rows, 0) << table;
    ASSERT_OK_AND_ASSIGN(
        int64_t kept_rows,
        db().QueryInt(absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE ",
                                   column, " = '", other_id, "'")));
    EXPECT_GT(kept_rows, 0) << table << " of the other page";
  }
}

TEST_F(PageRepositoryTest, HasChildren_IsTrueWithAnyComponentGroupOrIncident) {
  auto has_children = [&](const std::string& page_id) {
    absl::StatusOr<bool> result;
    EXPECT_OK(Read([&](Transaction& tx) {
      result = tx.pages().HasChildren(page_id);
      return absl::OkStatus();
    }));
    return result;
  };
  const std::string empty = UniqueId("page");
  const std::string with_group = UniqueId("page");
  const std::string with_component = UniqueId("page");
  const std::string with_incident = UniqueId("page");
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    for (const std::string& id :
         {empty, with_group, with_component, with_incident}) {
      absl::Status s = tx.pages().Insert(MakePage(id));
      if (!s.ok()) return s;
    }
    absl::Status s = tx.components().InsertGroup(MakeGroup(with_group, "g", 1));
    if (s.ok())
      s = tx.components().Insert(MakeComponent(with_component, "c", 1));
    if (s.ok())
      s = tx.incidents().Insert(MakeIncident(with_incident, "i", At(0)));
    return s;
  }));
  EXPECT_EQ(has_children(empty).value_or(true), false);
  EXPECT_EQ(has_children(with_group).value_or(false), true);
  EXPECT_EQ(has_children(with_component).value_or(false), true);
  EXPECT_EQ(has_children(with_incident).value_or(false), true);
  EXPECT_CODE(has_children("no-such-page"), absl::StatusCode::kNotFound);
}

class ComponentRepositoryTest : public MysqlTest {
 protected:
  void SetUp() override {
    MysqlTest::SetUp();
    page_id_ = UniqueId("page");
    ASSERT_OK(Write([&](Transaction& tx) {
      return tx.pages().Insert(MakePage(page_id_));
    }));
  }

  absl::StatusOr<Component> GetComponent(const std::string& id) {
    absl::StatusOr<Component> c;
    absl::Status s = Read([&](Transaction& tx) {
      c = tx.components().Get(page_id_, id, Lock::kNone);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return c;
  }

  std::string page_id_;
};

TEST_F(ComponentRepositoryTest, Insert_ThenGet_ReturnsEveryField) {
  const Component ungrouped = MakeComponent(page_id_, "web", 2);
  const Component grouped = MakeComponent(page_id_, "api", 1, "platform");
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::Status s =
        tx.components().InsertGroup(MakeGroup(page_id_, "platform", 1));
    if (s.ok()) s = tx.components().Insert(ungrouped);
    if (s.ok()) s = tx.components().Insert(grouped);
    return s;
  }));
  ASSERT_OK_AND_ASSIGN(Component got_ungrouped, GetComponent("web"));
  EXPECT_EQ(Dump(got_ungrouped), Dump(ungrouped));
  ASSERT_OK_AND_ASSIGN(Component got_grouped, GetComponent("api"));
  EXPECT_EQ(Dump(got_grouped), Dump(grouped));
}

TEST_F(ComponentRepositoryTest, Insert_UnknownPageOrGroup_IsNotFound) {
  EXPECT_CODE(
      Write([&](Transaction& tx) {
        return tx.components().Insert(MakeComponent("no-such-page", "api", 1));
      }),
      absl::StatusCode::kNotFound);
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.components().Insert(
                    MakeComponent(page_id_, "api", 1, "no-such-group"));
              }),
              absl::StatusCode::kNotFound);
  EXPECT_CODE(
      Write([&](Transaction& tx) {
        return tx.components().InsertGroup(MakeGroup("no-such-page", "g", 1));
      }),
      absl::StatusCode::kNotFound);
}

TEST_F(ComponentRepositoryTest, Insert_TakenId_IsAlreadyExists) {
  ASSERT_OK(Write([&](Transaction& tx) {
    return tx.components().Insert(MakeComponent(page_id_, "api", 1));
  }));
  EXPECT_CODE(
      Write([&](Transaction& tx) {
        return tx.components().Insert(MakeComponent(page_id_, "api", 5));
      }),
      absl::StatusCode::kAlreadyExists);
  ASSERT_OK(Write([&](Transaction& tx) {
    return tx.components().InsertGroup(MakeGroup(page_id_, "g", 1));
  }));
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.components().InsertGroup(MakeGroup(page_id_, "g", 2));
              }),
              absl::StatusCode::kAlreadyExists);
}

TEST_F(ComponentRepositoryTest, Get_UnknownId_IsNotFound) {
  EXPECT_CODE(GetComponent("nope"), absl::StatusCode::kNotFound);
  EXPECT_CODE(
      Read([&](Transaction& tx) {
        return tx.components().GetGroup(page_id_, "nope", Lock::kNone).status();
      }),
      absl::StatusCode::kNotFound);
}

TEST_F(ComponentRepositoryTest, List_DisplayOrderIsPositionThenId_WithCursor) {
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::Status s = tx.components().InsertGroup(MakeGroup(page_id_, "g", 1));
    if (s.ok()) s = tx.components().Insert(MakeComponent(page_id_, "d", 2));
    if (s.ok())
      s = tx.components().Insert(MakeComponent(page_id_, "c", 1, "g"));
    if (s.ok())
      s = tx.components().Insert(MakeComponent(page_id_, "a", 2, "g"));
    if (s.ok()) s = tx.components().Insert(MakeComponent(page_id_, "b", 1));
    return s;
  }));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    auto list = [&](std::string group, std::optional<ComponentCursor> after,
                    int limit) {
      absl::StatusOr<std::vector<Component>> got =
          tx.components().List(page_id_, group, after, limit);
      EXPECT_OK(got);
      return got.ok() ? Ids(*got) : std::vector<std::string>{"error"};
    };
    using V = std::vector<std::string>;
    EXPECT_EQ(list("", std::nullopt, 10), (V{"b", "c", "a", "d"}));
    EXPECT_EQ(list("", std::nullopt, 3), (V{"b", "c", "a"}));
    EXPECT_EQ(list("", ComponentCursor{1, "c"}, 10), (V{"a", "d"}));
    EXPECT_EQ(list("g", std::nullopt, 10), (V{"c", "a"}));
    EXPECT_EQ(list("g", ComponentCursor{1, "c"}, 10), (V{"a"}));
    return absl::OkStatus();
  }));
}

TEST_F(ComponentRepositoryTest,
       ListGroups_DisplayOrderIsPositionThenId_WithCursor) {
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::Status s = tx.components().InsertGroup(MakeGroup(page_id_, "z", 0));
    if (s.ok()) s = tx.components().InsertGroup(MakeGroup(page_id_, "b", 3));
    if (s.ok()) s = tx.components().InsertGroup(MakeGroup(page_id_, "a", 3));
    return s;
  }));
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<ComponentGroup>> all =
        tx.components().ListGroups(page_id_, std::nullopt, 10);
    EXPECT_OK(all);
    if (all.ok()) {
      EXPECT_EQ(Ids(*all), (std::vector<std::string>{"z", "a", "b"}));
      EXPECT_EQ(Dump(all->front()), Dump(MakeGroup(page_id_, "z", 0)));
    }
    absl::StatusOr<std::vector<ComponentGroup>> rest =
        tx.components().ListGroups(page_id_, ComponentCursor{3, "a"}, 10);
    EXPECT_OK(rest);
    if (rest.ok()) {
      EXPECT_EQ(Ids(*rest), (std::vector<std::string>{"b"}));
    }
    return absl::OkStatus();
  }));
}

TEST_F(ComponentRepositoryTest, Update_NextVersion_WritesEveryField) {
  Component c = MakeComponent(page_id_, "api", 1);
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::Status s = tx.components().InsertGroup(MakeGroup(page_id_, "g", 1));
    if (s.ok()) s = tx.components().Insert(c);
    return s;
  }));
  c.display_name = "API";
  c.description = "Public REST API";
  c.group_id = "g";
  c.status = ComponentStatus::kMajorOutage;
  c.status_reason = "Failover";
  c.status_change_time = At(70);
  c.position = 9;
  c.update_time = At(71);
  c.version = 2;
  ASSERT_OK(Write([&](Transaction& tx) { return tx.components().Update(c); }));
  ASSERT_OK_AND_ASSIGN(Component got, GetComponent("api"));
  EXPECT_EQ(Dump(got), Dump(c));

  c.group_id = "";  // ungrouping is an update too
  c.version = 3;
  ASSERT_OK(Write([&](Transaction& tx) { return tx.components().Update(c); }));
  ASSERT_OK_AND_ASSIGN(got, GetComponent("api"));
  EXPECT_EQ(Dump(got), Dump(c));
}

TEST_F(ComponentRepositoryTest, Update_StaleVersion_IsAbortedAndWritesNothing) {
  const Component original = MakeComponent(page_id_, "api", 1);
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.components().Insert(original); }));
  Component stale = original;
  stale.status = ComponentStatus::kMajorOutage;
  stale.version = 3;  // stored: 1, so this expects 2
  EXPECT_CODE(
      Write([&](Transaction& tx) { return tx.components().Update(stale); }),
      absl::StatusCode::kAborted);
  ASSERT_OK_AND_ASSIGN(Component got, GetComponent("api"));
  EXPECT_EQ(Dump(got), Dump(original));

  Component unknown = MakeComponent(page_id_, "nope", 1);
  unknown.version = 2;
  EXPECT_CODE(
      Write([&](Transaction& tx) { return tx.components().Update(unknown); }),
      absl::StatusCode::kNotFound);
}

TEST_F(ComponentRepositoryTest, Delete_RemovesOnlyThatComponent) {
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::Status s = tx.components().Insert(MakeComponent(page_id_, "a", 1));
    if (s.ok()) s = tx.components().Insert(MakeComponent(page_id_, "b", 2));
    return s;
  }));
  ASSERT_OK(Write(
      [&](Transaction& tx) { return tx.components().Delete(page_id_, "a"); }));
  EXPECT_CODE(GetComponent("a"), absl::StatusCode::kNotFound);
  EXPECT_OK(GetComponent("b"));
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.components().Delete(page_id_, "a");
              }),
              absl::StatusCode::kNotFound);
}

TEST_F(ComponentRepositoryTest, UpdateGroup_NextVersionWrites_StaleIsAborted) {
  ComponentGroup g = MakeGroup(page_id_, "g", 1);
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.components().InsertGroup(g); }));
  ComponentGroup stale = g;
  g.display_name = "Core";
  g.description = "";
  g.position = 4;
  g.update_time = At(80);
  g.version = 2;
  ASSERT_OK(
      Write([&](Transaction& tx) { return tx.components().UpdateGroup(g); }));
  stale.display_name = "Stale";
  stale.version = 2;
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.components().UpdateGroup(stale);
              }),
              absl::StatusCode::kAborted);
  ASSERT_OK(Read([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<ComponentGroup> got =
        tx.components().GetGroup(page_id_, "g", Lock::kNone);
    EXPECT_OK(got);
    if (got.ok()) {
      EXPECT_EQ(Dump(*got), Dump(g));
    }
    return absl::OkStatus();
  }));
  ComponentGroup unknown = MakeGroup(page_id_, "nope", 1);
  unknown.version = 2;
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.components().UpdateGroup(unknown);
              }),
              absl::StatusCode::kNotFound);
}

TEST_F(ComponentRepositoryTest,
       DeleteGroup_UngroupsItsComponentsKeepingTheirVersion) {
  const Component member = MakeComponent(page_id_, "api", 1, "g");
  const Component outsider = MakeComponent(page_id_, "web", 2, "h");
  ASSERT_OK(Write([&](Transaction& tx) -> absl::Status {
    absl::Status s = tx.components().InsertGroup(MakeGroup(page_id_, "g", 1));
    if (s.ok()) s = tx.components().InsertGroup(MakeGroup(page_id_, "h", 2));
    if (s.ok()) s = tx.components().Insert(member);
    if (s.ok()) s = tx.components().Insert(outsider);
    return s;
  }));
  ASSERT_OK(Write([&](Transaction& tx) {
    return tx.components().DeleteGroup(page_id_, "g");
  }));

  Component ungrouped = member;
  ungrouped.group_id = "";
  ASSERT_OK_AND_ASSIGN(Component got, GetComponent("api"));
  EXPECT_EQ(Dump(got), Dump(ungrouped));
  ASSERT_OK_AND_ASSIGN(got, GetComponent("web"));
  EXPECT_EQ(Dump(got), Dump(outsider));
  EXPECT_CODE(
      Read([&](Transaction& tx) {
        return tx.components().GetGroup(page_id_, "g", Lock::kNone).status();
      }),
      absl::StatusCode::kNotFound);
  EXPECT_CODE(Write([&](Transaction& tx) {
                return tx.components().DeleteGroup(page_id_, "g");
              }),
              absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace incidentd::testing
