// `incidentctl apply`: reading apply files (incidentd.apply.v1.ApplyFile, see
// client/apply.proto), planning the ordered requests that create a file's
// content, and running a plan against a server. Planning is a pure function,
// so what a file turns into can be tested without a server.
//
// Idempotency: every create carries a request id derived from the file
// (page, kind, id, position in the timeline), so applying a file again
// returns what the first run created and changes nothing. The postmortem
// steps have no request id; they compare with the server's current state
// instead (same sections and author: no new revision; published: no
// publish).
#ifndef INCIDENTD_CLIENT_APPLY_H_
#define INCIDENTD_CLIENT_APPLY_H_

#include <string>
#include "absl/strings/string_view.h"
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/apply.pb.h"
#include "client/client.h"

namespace incidentd::client {

namespace apply_v1 = ::incidentd::apply::v1;

// Parses the protobuf JSON form of an ApplyFile; unknown fields are an
// error (INVALID_ARGUMENT), because a misspelt field would be lost silently.
absl::StatusOr<apply_v1::ApplyFile> ParseApplyFile(absl::string_view json);
// Reads and parses a file; NOT_FOUND if it cannot be read.
absl::StatusOr<apply_v1::ApplyFile> ReadApplyFile(const std::string& path);

// One request of a plan. `what` says where in the file it comes from, for
// messages ("incident ceph-2025-09 update 3").
struct ApplyStep {
  using Request = std::variant<
      v1::CreatePageRequest, v1::CreateComponentGroupRequest,
      v1::CreateComponentRequest, v1::CreateIncidentRequest,
      v1::PostIncidentUpdateRequest, v1::UpdatePostmortemRequest,
      v1::PublishPostmortemRequest, v1::CreateCorrectiveActionRequest>;
  std::string what;
  Request request;
};

// The request id of a create, "apply/<page>/<path...>" joined by '/'; when
// that would exceed the API's 128 characters, "apply/sha256/<hex digest>"
// of it instead (still deterministic).
std::string ApplyRequestId(absl::string_view page_id,
                           const std::vector<std::string>& path);

// The requests that create `file`'s content, in order: the page, groups,
// components, then per incident: CreateIncident with the first update, a
// PostIncidentUpdate per later update (with reopen set when an update moves
// a resolved incident back to an open status), UpdatePostmortem and
// PublishPostmortem when the file has them, and CreateCorrectiveAction per
// action. Bare ids are expanded to resource names. INVALID_ARGUMENT when the
// file lacks what idempotent applying needs: a page id, group, component and
// incident ids, and at least one update per incident.
absl::StatusOr<std::vector<ApplyStep>> PlanApply(
    const apply_v1::ApplyFile& file);

// What happened to one step when it ran.
struct AppliedStep {
  std::string what;
  // The resource the step created or found.
  std::string resource;
  // False when the step was skipped because the server already had it (the
  // postmortem steps); creates replayed by request id count as applied.
  bool sent = true;
};

// Runs the steps in order and stops at the first failure, whose message
// names the step. `done` receives every step that succeeded.
absl::Status RunApplyPlan(Client& client, const std::vector<ApplyStep>& steps,
                          std::vector<AppliedStep>* done);

}  // namespace incidentd::client

#endif  // INCIDENTD_CLIENT_APPLY_H_
