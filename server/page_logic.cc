#include "server/page_logic.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/converters.h"
#include "server/page_status_view.h"
#include "server/domain/incident_rules.h"
#include "server/domain/validation.h"
#include "server/event_encoding.h"
#include "server/event_recording.h"
#include "server/field_mask.h"
#include "server/idempotency.h"
#include "server/names.h"
#include "server/pagination.h"
#include "server/status_macros.h"

namespace incidentd {
namespace {

using storage::Lock;
using storage::Transaction;

absl::Status ValidateDisplayName(const Page& page) {
  return domain::ValidateLine("page.display_name", page.display_name, 1,
                              domain::kMaxDisplayNameLength);
}
absl::Status ValidateUrl(const Page& page) {
  return domain::ValidateUrl("page.url", page.url);
}
absl::Status ValidateTimeZone(const Page& page) {
  return domain::ValidateTimeZone("page.time_zone", page.time_zone);
}

// GetPageStatus's answer as the read cache keeps it: serialized, without
// compute_time (set per call).
constexpr char kStatusKey[] = "status";
struct CachedStatus final : CachedValue {
  explicit CachedStatus(const v1::PageStatus& status) {
    v1::PageStatus without_time = status;
    without_time.clear_compute_time();
    bytes = std::make_shared<const std::string>(
        without_time.SerializeAsString());
  }
  size_t Bytes() const override { return sizeof(*this) + bytes->size(); }
  std::shared_ptr<const std::string> bytes;
};

}  // namespace

absl::StatusOr<v1::Page> PageLogic::CreatePage(
    const v1::CreatePageRequest& request, absl::Time deadline) {
  RETURN_IF_ERROR(domain::ValidateId("page_id", request.page_id()));
  RETURN_IF_ERROR(
      domain::ValidateRequestId("request_id", request.request_id()));
  v1::Page input = request.page();
  input.clear_name();  // output only: chosen by page_id
  input.clear_etag();
  ASSIGN_OR_RETURN(Page page, FromProto(input, "page"));
  RETURN_IF_ERROR(ValidateDisplayName(page));
  RETURN_IF_ERROR(ValidateUrl(page));
  RETURN_IF_ERROR(ValidateTimeZone(page));
  if (page.time_zone.empty()) page.time_zone = "UTC";
  page.id = request.page_id();

  const RequestKey key =
      MakeRequestKey("", "CreatePage", request.request_id(), request);
  Page result;
  RETURN_IF_ERROR(ReadWriteIdempotentRecorded(
      store_, notifier_, deadline, key,
      [&](Transaction& tx, const std::string& previous) -> absl::Status {
        ASSIGN_OR_RETURN(std::string id, ParsePageName("request_id", previous));
        ASSIGN_OR_RETURN(result, tx.pages().Get(id, Lock::kNone));
        return absl::OkStatus();
      },
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        const absl::Time now = Now();
        result = page;
        result.create_time = now;
        result.update_time = now;
        result.version = 1;
        RETURN_IF_ERROR(tx.pages().Insert(result));
        RETURN_IF_ERROR(RememberRequest(tx, key, PageName(result.id), now));
        events.push_back(MakePageEvent(EventType::kPageCreated,
                                       EventOrigin{now, ""}, result));
        return absl::OkStatus();
      }));
  return ToProto(result);
}

absl::StatusOr<v1::Page> PageLogic::GetPage(const v1::GetPageRequest& request,
                                            absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string id, ParsePageName("name", request.name()));
  Page page;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(page, tx.pages().Get(id, Lock::kNone));
        return absl::OkStatus();
      }));
  return ToProto(page);
}

absl::StatusOr<v1::ListPagesResponse> PageLogic::ListPages(
    const v1::ListPagesRequest& request, absl::Time deadline) {
  constexpr std::string_view kQuery = "pages";
  ASSIGN_OR_RETURN(ListPage list,
                   StartList(request.page_size(), request.page_token(), kQuery,
                             50, 1000, 1));
  const std::string after = list.cursor.empty() ? "" : list.cursor[0];
  std::vector<Page> pages;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(pages, tx.pages().List(after, list.size + 1));
        return absl::OkStatus();
      }));
  v1::ListPagesResponse response;
  response.set_next_page_token(
      FinishList(pages, list.size, kQuery,
                 [](const Page& p) { return std::vector<std::string>{p.id}; }));
  for (const Page& p : pages) *response.add_pages() = ToProto(p);
  return response;
}

absl::StatusOr<v1::Page> PageLogic::UpdatePage(
    const v1::UpdatePageRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string id,
                   ParsePageName("page.name", request.page().name()));
  ASSIGN_OR_RETURN(
      UpdateMask mask,
      ResolveUpdateMask(request.update_mask(), *v1::Page::descriptor(),
                        {"display_name", "url", "time_zone"}));
  ASSIGN_OR_RETURN(Page input, FromProto(request.page(), "page"));
  if (mask.Has("display_name")) RETURN_IF_ERROR(ValidateDisplayName(input));
  if (mask.Has("url")) RETURN_IF_ERROR(ValidateUrl(input));
  if (mask.Has("time_zone")) RETURN_IF_ERROR(ValidateTimeZone(input));

  Page page;
  RETURN_IF_ERROR(ReadWriteRecorded(
      store_, notifier_, deadline,
      [&](Transaction& tx, std::vector<Event>& events) -> absl::Status {
        ASSIGN_OR_RETURN(page, tx.pages().Get(id, Lock::kForUpdate));
        RETURN_IF_ERROR(
            CheckEtag("page.etag", request.page().etag(), page.version));
        if (mask.Has("display_name")) page.display_name = input.display_name;
        if (mask.Has("url")) page.url = input.url;
        if (mask.Has("time_zone")) {
          page.time_zone = input.time_zone.empty() ? "UTC" : input.time_zone;
        }
        const absl::Time now = Now();
        page.update_time = now;
        ++page.version;
        RETURN_IF_ERROR(tx.pages().Update(page));
        events.push_back(
            MakePageEvent(EventType::kPageUpdated, EventOrigin{now, ""}, page));
        return absl::OkStatus();
      }));
  return ToProto(page);
}

absl::StatusOr<google::protobuf::Empty> PageLogic::DeletePage(
    const v1::DeletePageRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string id, ParsePageName("name", request.name()));
  // No event: the page's event log is deleted with it.
  RETURN_IF_ERROR(
      store_.ReadWrite(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(Page page, tx.pages().Get(id, Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("etag", request.etag(), page.version));
        if (!request.force()) {
          ASSIGN_OR_RETURN(bool has_children, tx.pages().HasChildren(id));
          if (has_children) {
            return absl::FailedPreconditionError(
                "the page still has components, groups or incidents; delete "
                "them first or set force");
          }
        }
        return tx.pages().Delete(id);
      }));
  // No event, but cached answers about the page must go.
  notifier_.PageChanged(id);
  return google::protobuf::Empty();
}

std::optional<absl::StatusOr<SerializedAnswer>> PageLogic::CachedPageStatus(
    const v1::GetPageStatusRequest& request) {
  absl::StatusOr<std::string> id = ParsePageStatusName("name", request.name());
  if (!id.ok()) return id.status();
  if (cache_ == nullptr) return std::nullopt;
  std::shared_ptr<const CachedStatus> hit =
      cache_->Find<CachedStatus>(*id, kStatusKey);
  if (hit == nullptr) return std::nullopt;
  v1::PageStatus fresh;
  *fresh.mutable_compute_time() = ToProtoTime(Now());
  return SerializedAnswer{hit->bytes, fresh.SerializeAsString()};
}

absl::StatusOr<v1::PageStatus> PageLogic::GetPageStatus(
    const v1::GetPageStatusRequest& request, absl::Time deadline) {
  if (auto cached = CachedPageStatus(request)) {
    return ParseAnswer<v1::PageStatus>(*cached);
  }
  ASSIGN_OR_RETURN(std::string id, ParsePageStatusName("name", request.name()));
  ReadCache::Fill fill;
  if (cache_ != nullptr) fill = cache_->BeginFill(id);
  int64_t seq = 0;
  std::vector<Component> components;
  std::vector<Incident> open;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(seq, ReadPageSequence(tx, id));
        ASSIGN_OR_RETURN(components, ReadAllComponents(tx, id));
        ASSIGN_OR_RETURN(open, tx.incidents().ListOpen(id));
        return absl::OkStatus();
      }));
  v1::PageStatus status =
      BuildPageStatus(id, components, std::move(open), Now());
  if (cache_ != nullptr) {
    cache_->Insert(fill, kStatusKey, seq,
                   std::make_shared<const CachedStatus>(status));
  }
  return status;
}

}  // namespace incidentd
