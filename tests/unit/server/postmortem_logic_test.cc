#include "server/postmortem_logic.h"

#include "tests/unit/server/logic_fixture.h"

namespace incidentd::testing {
namespace {

constexpr char kIncident[] = "pages/acme/incidents/delta";
constexpr char kPostmortem[] = "pages/acme/incidents/delta/postmortem";

class PostmortemLogicTest : public LogicTest {
 protected:
  void SetUp() override {
    MakePage("acme");
    ASSERT_OK(incidents_.CreateIncident(IncidentRequest("acme", "delta", ""),
                                        kNoDeadline));
  }

  v1::UpdatePostmortemRequest Write(std::string root_cause,
                                    const std::string& etag = "") {
    v1::UpdatePostmortemRequest r;
    r.mutable_postmortem()->set_name(kPostmortem);
    v1::PostmortemSection* s = r.mutable_postmortem()->add_sections();
    s->set_heading("Root cause");
    s->set_body(std::move(root_cause));
    r.mutable_postmortem()->set_author("SRE");
    r.mutable_postmortem()->set_etag(etag);
    return r;
  }
};

TEST_F(PostmortemLogicTest, GetPostmortem_NoneYet_IsNotFound) {
  v1::GetPostmortemRequest r;
  r.set_name(kPostmortem);
  EXPECT_CODE(postmortems_.GetPostmortem(r, kNoDeadline),
              absl::StatusCode::kNotFound);
}

TEST_F(PostmortemLogicTest, UpdatePostmortem_UnknownIncident_IsNotFound) {
  v1::UpdatePostmortemRequest r = Write("x");
  r.mutable_postmortem()->set_name("pages/acme/incidents/nope/postmortem");
  EXPECT_CODE(postmortems_.UpdatePostmortem(r, kNoDeadline),
              absl::StatusCode::kNotFound);
}

TEST_F(PostmortemLogicTest, UpdatePostmortem_CreatesDraftThenNewRevisions) {
  ASSERT_OK_AND_ASSIGN(v1::Postmortem draft, postmortems_.UpdatePostmortem(
                                                 Write("A bug."), kNoDeadline));
  EXPECT_EQ(draft.state(), v1::Postmortem::DRAFT);
  EXPECT_EQ(draft.revision(), 1);
  ASSERT_OK_AND_ASSIGN(
      v1::Postmortem second,
      postmortems_.UpdatePostmortem(Write("A bug in delta.", draft.etag()),
                                    kNoDeadline));
  EXPECT_EQ(second.revision(), 2);
  // The same content again is not a new revision.
  ASSERT_OK_AND_ASSIGN(
      v1::Postmortem same,
      postmortems_.UpdatePostmortem(Write("A bug in delta."), kNoDeadline));
  EXPECT_EQ(same.revision(), 2);

  v1::ListPostmortemRevisionsRequest list;
  list.set_name(kPostmortem);
  ASSERT_OK_AND_ASSIGN(v1::ListPostmortemRevisionsResponse revs,
                       postmortems_.ListPostmortemRevisions(list, kNoDeadline));
  ASSERT_EQ(revs.revisions_size(), 2);
  EXPECT_EQ(revs.revisions(0).revision(), 2);
  EXPECT_EQ(revs.revisions(1).sections(0).body(), "A bug.");
}

TEST_F(PostmortemLogicTest, UpdatePostmortem_StaleEtag_IsAborted) {
  ASSERT_OK_AND_ASSIGN(v1::Postmortem draft, postmortems_.UpdatePostmortem(
                                                 Write("A bug."), kNoDeadline));
  ASSERT_OK(
      postmortems_.UpdatePostmortem(Write("B", draft.etag()), kNoDeadline));
  EXPECT_CODE(
      postmortems_.UpdatePostmortem(Write("C", draft.etag()), kNoDeadline),
      absl::StatusCode::kAborted);
}

TEST_F(PostmortemLogicTest,
       UpdatePostmortem_TooManySections_IsInvalidArgument) {
  v1::UpdatePostmortemRequest r = Write("x");
  for (int k = 0; k < 50; ++k)
    r.mutable_postmortem()->add_sections()->set_body("y");
  EXPECT_CODE(postmortems_.UpdatePostmortem(r, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

TEST_F(PostmortemLogicTest, PublishPostmortem_Empty_IsFailedPrecondition) {
  ASSERT_OK(postmortems_.UpdatePostmortem(Write(""), kNoDeadline));
  v1::PublishPostmortemRequest r;
  r.set_name(kPostmortem);
  EXPECT_CODE(postmortems_.PublishPostmortem(r, kNoDeadline),
              absl::StatusCode::kFailedPrecondition);
}

TEST_F(PostmortemLogicTest,
       PublishPostmortem_BackfilledTime_ThenTwiceIsFailedPrecondition) {
  ASSERT_OK(postmortems_.UpdatePostmortem(Write("A bug."), kNoDeadline));
  v1::PublishPostmortemRequest r;
  r.set_name(kPostmortem);
  const absl::Time when = clock_.Now() - absl::Hours(48);
  *r.mutable_publish_time() = Ts(when);
  ASSERT_OK_AND_ASSIGN(v1::Postmortem published,
                       postmortems_.PublishPostmortem(r, kNoDeadline));
  EXPECT_EQ(published.state(), v1::Postmortem::PUBLISHED);
  EXPECT_EQ(FromTs(published.publish_time()), when);
  EXPECT_CODE(postmortems_.PublishPostmortem(r, kNoDeadline),
              absl::StatusCode::kFailedPrecondition);

  // New content keeps it published.
  ASSERT_OK_AND_ASSIGN(
      v1::Postmortem edited,
      postmortems_.UpdatePostmortem(Write("Two bugs."), kNoDeadline));
  EXPECT_EQ(edited.state(), v1::Postmortem::PUBLISHED);
  EXPECT_EQ(edited.revision(), 2);
}

TEST_F(PostmortemLogicTest, UnpublishPostmortem_Draft_IsFailedPrecondition) {
  ASSERT_OK(postmortems_.UpdatePostmortem(Write("A bug."), kNoDeadline));
  v1::UnpublishPostmortemRequest r;
  r.set_name(kPostmortem);
  EXPECT_CODE(postmortems_.UnpublishPostmortem(r, kNoDeadline),
              absl::StatusCode::kFailedPrecondition);
}

TEST_F(PostmortemLogicTest, CorrectiveActions_CreateListUpdate) {
  v1::CreateCorrectiveActionRequest create;
  create.set_parent(kIncident);
  create.mutable_corrective_action()->set_description(
      "Alert on read-only nodes");
  create.mutable_corrective_action()->set_owner("SRE");
  create.set_request_id("a-1");
  ASSERT_OK_AND_ASSIGN(
      v1::CorrectiveAction a,
      postmortems_.CreateCorrectiveAction(create, kNoDeadline));
  EXPECT_EQ(a.state(), v1::CorrectiveAction::OPEN);
  ASSERT_OK_AND_ASSIGN(
      v1::CorrectiveAction again,
      postmortems_.CreateCorrectiveAction(create, kNoDeadline));
  EXPECT_EQ(again.name(), a.name());

  create.clear_request_id();
  create.set_corrective_action_id("tests");
  create.mutable_corrective_action()->set_description("Add tests");
  ASSERT_OK(postmortems_.CreateCorrectiveAction(create, kNoDeadline));

  v1::ListCorrectiveActionsRequest list;
  list.set_parent(kIncident);
  ASSERT_OK_AND_ASSIGN(v1::ListCorrectiveActionsResponse listed,
                       postmortems_.ListCorrectiveActions(list, kNoDeadline));
  ASSERT_EQ(listed.corrective_actions_size(), 2);
  EXPECT_EQ(listed.corrective_actions(0).name(), a.name());
  EXPECT_EQ(listed.corrective_actions(1).name(),
            "pages/acme/incidents/delta/correctiveActions/tests");

  v1::UpdateCorrectiveActionRequest update;
  update.mutable_corrective_action()->set_name(a.name());
  update.mutable_corrective_action()->set_state(v1::CorrectiveAction::DONE);
  update.mutable_corrective_action()->set_etag(a.etag());
  *update.mutable_update_mask() = Mask({"state"});
  ASSERT_OK_AND_ASSIGN(
      v1::CorrectiveAction done,
      postmortems_.UpdateCorrectiveAction(update, kNoDeadline));
  EXPECT_EQ(done.state(), v1::CorrectiveAction::DONE);
  EXPECT_EQ(done.description(), "Alert on read-only nodes");
  EXPECT_CODE(postmortems_.UpdateCorrectiveAction(update, kNoDeadline),
              absl::StatusCode::kAborted);
}

TEST_F(PostmortemLogicTest,
       CreateCorrectiveAction_EmptyDescription_IsInvalidArgument) {
  v1::CreateCorrectiveActionRequest create;
  create.set_parent(kIncident);
  EXPECT_CODE(postmortems_.CreateCorrectiveAction(create, kNoDeadline),
              absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace incidentd::testing
