#include "server/watch_logic.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "server/converters.h"
#include "server/event_encoding.h"
#include "server/names.h"
#include "server/page_status_view.h"
#include "server/pagination.h"
#include "server/status_macros.h"
#include "server/strings.h"

namespace incidentd {
namespace {

using storage::Lock;
using storage::Transaction;

// Rows per query when reading all of a page's components or groups.
constexpr int kBatch = 1000;
// A watch's starting snapshot as the read cache keeps it (a reconnecting
// crowd of watchers then costs one read, not one each).
constexpr char kSnapshotKey[] = "snapshot";
struct CachedSnapshot final : CachedValue {
  explicit CachedSnapshot(v1::Snapshot s) : snapshot(std::move(s)) {}
  size_t Bytes() const override {
    return sizeof(*this) + snapshot.SpaceUsedLong();
  }
  v1::Snapshot snapshot;
};

// LastSequences is asked about this many pages per query at most.
constexpr size_t kPagesPerQuery = 500;
// The events of one ListEvents response, in payload bytes at most (unless
// one event alone is larger).
constexpr size_t kMaxListBytes = 3 << 20;

absl::StatusOr<std::vector<ComponentGroup>> AllGroups(Transaction& tx,
                                                      const std::string& page) {
  std::vector<ComponentGroup> all;
  std::optional<storage::ComponentCursor> after;
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<ComponentGroup> batch,
                     tx.components().ListGroups(page, after, kBatch));
    for (ComponentGroup& g : batch) all.push_back(std::move(g));
    if (static_cast<int>(batch.size()) < kBatch) return all;
    after = storage::ComponentCursor{all.back().position, all.back().id};
  }
}

}  // namespace

absl::StatusOr<WatchRequest> ParseWatchRequest(
    const v1::WatchPageRequest& request) {
  WatchRequest out;
  ASSIGN_OR_RETURN(out.page_id, ParsePageName("page", request.page()));
  if (request.after_sequence() < 0) {
    return absl::InvalidArgumentError("after_sequence: must not be negative");
  }
  if (request.snapshot() && request.after_sequence() != 0) {
    return absl::InvalidArgumentError(
        "snapshot: a snapshot starts a new stream; after_sequence must be 0 "
        "with it");
  }
  out.after_sequence = request.after_sequence();
  out.snapshot = request.snapshot();
  for (const std::string& name : request.components()) {
    ASSIGN_OR_RETURN(std::string id,
                     ParseComponentNameOnPage("components", name, out.page_id));
    out.filter.component_ids.insert(std::move(id));
  }
  for (const std::string& name : request.incidents()) {
    ASSIGN_OR_RETURN(PageChildName incident,
                     ParseIncidentName("incidents", name));
    if (incident.page_id != out.page_id) {
      return absl::InvalidArgumentError(
          StrCat("incidents: ", name, " is not on ", request.page()));
    }
    out.filter.incident_ids.insert(std::move(incident.id));
  }
  for (int type : request.types()) {
    if (type == v1::Event::TYPE_UNSPECIFIED || !v1::Event::Type_IsValid(type)) {
      return absl::InvalidArgumentError(
          StrCat("types: ", type, " is not an event type"));
    }
    out.filter.types.insert(type);
  }
  return out;
}

absl::Status CheckResume(int64_t after,
                         const storage::EventRepository::Head& head) {
  if (after > head.last_seq) {
    return absl::OutOfRangeError(
        StrCat("after_sequence ", after, " is after the page's latest event (",
               head.last_seq, "); was it from another database?"));
  }
  // 0 is "from event 1": once event 1 is pruned, a client resuming from 0
  // would otherwise skip events silently, which the stream promises never
  // to do.
  if (after == head.last_seq) return absl::OkStatus();
  if (head.first_kept_seq == 0 || after + 1 < head.first_kept_seq) {
    return absl::FailedPreconditionError(StrCat(
        "events after sequence ", after,
        " are no longer kept (retention); start again with snapshot = true"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ListEventsResponse> WatchLogic::ListEvents(
    const v1::ListEventsRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string page_id,
                   ParsePageName("parent", request.parent()));
  if (request.after_sequence() < 0) {
    return absl::InvalidArgumentError("after_sequence: must not be negative");
  }
  const std::string query =
      StrCat("events|", page_id, "|after=", request.after_sequence());
  ASSIGN_OR_RETURN(ListPage list,
                   StartList(request.page_size(), request.page_token(), query,
                             100, 1000, 1));
  int64_t after = request.after_sequence();
  if (!list.cursor.empty()) {
    ASSIGN_OR_RETURN(after, ParseCursorInt(list.cursor[0]));
  }
  std::vector<Event> events;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(storage::EventRepository::Head head,
                         tx.events().GetHead(page_id));
        // A token's position was served once, so only pruning since then
        // can fail it.
        RETURN_IF_ERROR(CheckResume(after, head));
        ASSIGN_OR_RETURN(events,
                         tx.events().List(page_id, after, list.size + 1));
        return absl::OkStatus();
      }));
  // gRPC clients refuse messages over 4 MiB by default: a page of large
  // events ends short of that, and its token says where to go on.
  int size = list.size;
  size_t bytes = 0;
  for (int i = 0; i < std::min(size, static_cast<int>(events.size())); ++i) {
    bytes += events[i].payload.size();
    if (i > 0 && bytes > kMaxListBytes) {
      size = i;
      break;
    }
  }
  v1::ListEventsResponse response;
  response.set_next_page_token(
      FinishList(events, size, query, [](const Event& e) {
        return std::vector<std::string>{CursorInt(e.seq)};
      }));
  for (const Event& e : events) {
    ASSIGN_OR_RETURN(*response.add_events(), DecodeEvent(e));
  }
  return response;
}

absl::StatusOr<WatchStart> WatchLogic::StartWatch(const WatchRequest& request,
                                                  int limit,
                                                  absl::Time deadline) {
  const std::string& page_id = request.page_id;
  WatchStart start;
  ReadCache::Fill fill;
  if (request.snapshot && cache_ != nullptr) {
    if (auto hit = cache_->Find<CachedSnapshot>(page_id, kSnapshotKey)) {
      start.last_seq = hit->snapshot.sequence();
      start.snapshot = hit->snapshot;
      *start.snapshot->mutable_status()->mutable_compute_time() =
          ToProtoTime(TruncateToMicros(clock_.Now()));
      return start;
    }
    fill = cache_->BeginFill(page_id);
  }
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        start = WatchStart();
        ASSIGN_OR_RETURN(storage::EventRepository::Head head,
                         tx.events().GetHead(page_id));
        start.last_seq = head.last_seq;
        if (!request.snapshot) {
          RETURN_IF_ERROR(CheckResume(request.after_sequence, head));
          ASSIGN_OR_RETURN(
              start.events,
              tx.events().List(page_id, request.after_sequence, limit));
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(Page page, tx.pages().Get(page_id, Lock::kNone));
        ASSIGN_OR_RETURN(std::vector<Component> components,
                         ReadAllComponents(tx, page_id));
        ASSIGN_OR_RETURN(std::vector<Incident> open,
                         tx.incidents().ListOpen(page_id));
        ASSIGN_OR_RETURN(std::vector<ComponentGroup> groups,
                         AllGroups(tx, page_id));
        v1::Snapshot snapshot;
        snapshot.set_sequence(head.last_seq);
        *snapshot.mutable_page() = ToProto(page);
        *snapshot.mutable_status() =
            BuildPageStatus(page_id, components, std::move(open),
                         TruncateToMicros(clock_.Now()));
        for (const ComponentGroup& g : groups) {
          *snapshot.add_component_groups() = ToProto(g);
        }
        start.snapshot = std::move(snapshot);
        return absl::OkStatus();
      }));
  if (start.snapshot.has_value() && cache_ != nullptr) {
    cache_->Insert(fill, kSnapshotKey, start.last_seq,
                   std::make_shared<const CachedSnapshot>(*start.snapshot));
  }
  return start;
}

absl::StatusOr<std::vector<Event>> WatchLogic::ReadEvents(
    const std::string& page_id, int64_t after_seq, int limit,
    absl::Time deadline) {
  std::vector<Event> events;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(events, tx.events().List(page_id, after_seq, limit));
        return absl::OkStatus();
      }));
  return events;
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>>
WatchLogic::LastSequences(const std::vector<std::string>& page_ids,
                          absl::Time deadline) {
  std::vector<std::pair<std::string, int64_t>> heads;
  for (size_t from = 0; from < page_ids.size(); from += kPagesPerQuery) {
    const std::vector<std::string> chunk(
        page_ids.begin() + from,
        page_ids.begin() + std::min(page_ids.size(), from + kPagesPerQuery));
    std::vector<std::pair<std::string, int64_t>> some;
    RETURN_IF_ERROR(
        store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
          ASSIGN_OR_RETURN(some, tx.events().LastSequences(chunk));
          return absl::OkStatus();
        }));
    for (auto& head : some) heads.push_back(std::move(head));
  }
  return heads;
}

}  // namespace incidentd
