#include "server/subscription_logic.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "server/converters.h"
#include "server/domain/subscriptions.h"
#include "server/field_mask.h"
#include "server/names.h"
#include "server/notify/signing.h"
#include "server/pagination.h"
#include "server/status_macros.h"
#include "server/strings.h"
#include "server/subscription_converters.h"

namespace incidentd {
namespace {

using storage::DeliveryQuery;
using storage::Lock;
using storage::SubscriberQuery;
using storage::SubscriberRepository;
using storage::Transaction;

// Tokens are 43 characters (notify::NewSecret); anything much longer is not
// one of ours and is refused before it reaches the database.
constexpr size_t kMaxTokenLength = 128;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

// The one answer for a token that matches nothing: it must not tell an
// unknown token from a used one, and never echoes the token (a secret).
absl::Status UnknownToken() {
  return absl::NotFoundError("token: unknown or expired token");
}

absl::Status CheckTokenLength(std::string_view token) {
  if (token.size() > kMaxTokenLength) {
    return absl::InvalidArgumentError(
        StrCat("token: at most ", kMaxTokenLength, " characters (got ",
               token.size(), "); not a token issued by this service"));
  }
  return absl::OkStatus();
}

// RFC 6761: "localhost" and every name under it are loopback.
bool IsLocalhostName(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  constexpr std::string_view kLocalhost = "localhost";
  constexpr std::string_view kUnderLocalhost = ".localhost";
  return host == kLocalhost ||
         (host.size() > kUnderLocalhost.size() &&
          host.substr(host.size() - kUnderLocalhost.size()) == kUnderLocalhost);
}

// The address as stored: an email normalized, or a webhook URL parsed and
// normalized (and, with `deny_private`, not aimed at a private host).
// Messages never echo the address: webhook URLs often carry a secret in
// their path or query.
absl::StatusOr<std::string> ValidAddress(SubscriberKind kind,
                                         const std::string& address,
                                         bool deny_private) {
  switch (kind) {
    case SubscriberKind::kEmail: {
      constexpr std::string_view kField = "subscriber.email";
      if (address.empty()) {
        return absl::InvalidArgumentError(StrCat(kField, ": required"));
      }
      if (address.size() > domain::kMaxEmailLength) {
        return absl::InvalidArgumentError(
            StrCat(kField, ": at most ", domain::kMaxEmailLength,
                   " characters (got ", address.size(), ")"));
      }
      return domain::NormalizeEmail(kField, address);
    }
    case SubscriberKind::kWebhook: {
      constexpr std::string_view kField = "subscriber.webhook_url";
      if (address.empty()) {
        return absl::InvalidArgumentError(StrCat(kField, ": required"));
      }
      if (address.size() > domain::kMaxWebhookUrlLength) {
        return absl::InvalidArgumentError(
            StrCat(kField, ": at most ", domain::kMaxWebhookUrlLength,
                   " characters (got ", address.size(), ")"));
      }
      ASSIGN_OR_RETURN(domain::WebhookUrl url,
                       domain::ParseWebhookUrl(kField, address));
      if (deny_private && (IsLocalhostName(url.host) ||
                           domain::IsPrivateHostLiteral(url.host))) {
        return absl::InvalidArgumentError(StrCat(
            kField,
            ": the host is a loopback, private or link-local address, which "
            "this server does not deliver to"));
      }
      return std::move(url.normalized);
    }
    case SubscriberKind::kUnspecified:
      break;
  }
  return absl::InvalidArgumentError(
      "subscriber: exactly one of email or webhook_url is required");
}

// The subscriber's filters as given in `proto`: names on the page, at most
// kMaxSubscriberComponents components, duplicates dropped (first kept).
absl::StatusOr<SubscriberInput> ReadInput(const v1::Subscriber& proto,
                                          std::string_view page_id) {
  // Checked before parsing, so that a huge list costs nothing.
  if (static_cast<size_t>(proto.components_size()) >
      domain::kMaxSubscriberComponents) {
    return absl::InvalidArgumentError(StrCat(
        "subscriber.components: at most ", domain::kMaxSubscriberComponents,
        " components (got ", proto.components_size(), ")"));
  }
  ASSIGN_OR_RETURN(SubscriberInput input,
                   SubscriberInputFromProto(proto, page_id, "subscriber"));
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> unique;
  for (std::string& id : input.component_ids) {
    if (seen.insert(id).second) unique.push_back(std::move(id));
  }
  input.component_ids = std::move(unique);
  return input;
}

// NOT_FOUND naming the first component or the incident that does not exist.
absl::Status CheckFiltersExist(Transaction& tx, const std::string& page_id,
                               const std::vector<std::string>& component_ids,
                               const std::string& incident_id) {
  for (const std::string& id : component_ids) {
    absl::Status s = tx.components().Get(page_id, id, Lock::kNone).status();
    if (absl::IsNotFound(s)) {
      return absl::NotFoundError(
          StrCat("component ", ComponentName(page_id, id), " does not exist"));
    }
    RETURN_IF_ERROR(s);
  }
  if (!incident_id.empty()) {
    absl::Status s =
        tx.incidents().Get(page_id, incident_id, Lock::kNone).status();
    if (absl::IsNotFound(s)) {
      return absl::NotFoundError(StrCat(
          "incident ", IncidentName(page_id, incident_id), " does not exist"));
    }
    RETURN_IF_ERROR(s);
  }
  return absl::OkStatus();
}

absl::Status PageExists(Transaction& tx, const std::string& page_id,
                        Lock lock) {
  absl::Status s = tx.pages().Get(page_id, lock).status();
  if (absl::IsNotFound(s)) {
    return absl::NotFoundError(
        StrCat("page ", PageName(page_id), " does not exist"));
  }
  return s;
}

absl::StatusOr<Subscriber> GetSubscriberRecord(Transaction& tx,
                                               const PageChildName& name,
                                               Lock lock) {
  absl::StatusOr<Subscriber> s =
      tx.subscribers().Get(name.page_id, name.id, lock);
  if (absl::IsNotFound(s.status())) {
    return absl::NotFoundError(StrCat("subscriber ",
                                      SubscriberName(name.page_id, name.id),
                                      " does not exist"));
  }
  return s;
}

absl::StatusOr<Delivery> GetDeliveryRecord(Transaction& tx,
                                           const DeliveryResourceName& name,
                                           Lock lock) {
  absl::StatusOr<Delivery> d = tx.deliveries().Get(
      name.page_id, name.subscriber_id, name.event_seq, lock);
  if (absl::IsNotFound(d.status())) {
    return absl::NotFoundError(
        StrCat("delivery ",
               DeliveryName(name.page_id, name.subscriber_id, name.event_seq),
               " does not exist"));
  }
  return d;
}

std::string SubscriberListQuery(const std::string& page_id,
                                SubscriberState state) {
  return StrCat("subscribers|", page_id, "|state=", static_cast<int>(state));
}

std::string DeliveryListQuery(const DeliveriesParent& parent, int64_t event_seq,
                              DeliveryState state) {
  return StrCat("deliveries|", parent.page_id, "|subscriber=",
                parent.subscriber_id.empty() ? "-" : parent.subscriber_id,
                "|event=", event_seq, "|state=", static_cast<int>(state));
}

}  // namespace

// --- Subscribers -----------------------------------------------------------

absl::StatusOr<v1::CreateSubscriberResponse>
SubscriptionLogic::CreateSubscriber(const v1::CreateSubscriberRequest& request,
                                    absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string page_id,
                   ParsePageName("parent", request.parent()));
  ASSIGN_OR_RETURN(SubscriberInput input,
                   ReadInput(request.subscriber(), page_id));
  ASSIGN_OR_RETURN(
      std::string address,
      ValidAddress(input.kind, input.address, options_.deny_private_webhooks));

  // Drawn once, outside the transaction, so that a retried transaction
  // writes the same values the response shows.
  Subscriber created;
  created.page_id = page_id;
  created.id = NewResourceId();
  created.kind = input.kind;
  created.address = std::move(address);
  created.component_ids = std::move(input.component_ids);
  created.incident_id = std::move(input.incident_id);
  created.unsubscribe_token = notify::NewSecret();
  if (created.kind == SubscriberKind::kEmail) {
    created.state = SubscriberState::kPendingConfirmation;
    created.confirmation_token = notify::NewSecret();
  } else {
    created.state = SubscriberState::kActive;
    created.signing_secret = notify::NewSecret();
  }
  created.version = 1;

  Subscriber result;
  RETURN_IF_ERROR(
      store_.ReadWrite(deadline, [&](Transaction& tx) -> absl::Status {
        result = created;
        // The page row lock serialises creates on the page, so that the cap
        // holds exactly even with concurrent creates on several replicas.
        // It is the transaction's first read: InnoDB takes the snapshot
        // that the count reads at the first plain read, which so comes
        // after the lock and sees every create committed before it.
        RETURN_IF_ERROR(PageExists(tx, page_id, Lock::kForUpdate));
        RETURN_IF_ERROR(CheckFiltersExist(tx, page_id, result.component_ids,
                                          result.incident_id));
        ASSIGN_OR_RETURN(SubscriberRepository::Counts counts,
                         tx.subscribers().CountByState(page_id));
        const int64_t total =
            counts.pending_confirmation + counts.active + counts.quarantined;
        if (total >= options_.max_subscribers_per_page) {
          return absl::ResourceExhaustedError(
              StrCat(PageName(page_id), " has ", total,
                     " subscribers, as many as a page may have"));
        }
        const absl::Time now = Now();
        result.create_time = now;
        result.update_time = now;
        if (result.kind == SubscriberKind::kWebhook) {
          // Webhooks hear of the events committed from now on.
          ASSIGN_OR_RETURN(storage::EventRepository::Head head,
                           tx.events().GetHead(page_id));
          result.after_seq = head.last_seq;
          result.activate_time = now;
        }
        absl::Status inserted = tx.subscribers().Insert(result);
        if (absl::IsAlreadyExists(inserted)) {
          return absl::AlreadyExistsError(StrCat(
              result.kind == SubscriberKind::kEmail ? "subscriber.email"
                                                    : "subscriber.webhook_url",
              ": this address is already subscribed to ", PageName(page_id)));
        }
        RETURN_IF_ERROR(inserted);
        if (result.kind == SubscriberKind::kEmail) {
          // The double opt-in mail, due at once: deliveries/0.
          Delivery confirmation;
          confirmation.page_id = page_id;
          confirmation.subscriber_id = result.id;
          confirmation.event_seq = 0;
          confirmation.state = DeliveryState::kPending;
          confirmation.create_time = now;
          confirmation.horizon_start = now;
          confirmation.next_attempt_time = now;
          RETURN_IF_ERROR(tx.deliveries().InsertNew({confirmation}).status());
          RETURN_IF_ERROR(tx.subscribers().MarkDue(page_id, {result.id}, now));
        }
        return absl::OkStatus();
      }));
  if (result.kind == SubscriberKind::kEmail) signal_.Wake();

  v1::CreateSubscriberResponse response;
  *response.mutable_subscriber() = ToProto(result);
  if (result.kind == SubscriberKind::kWebhook) {
    response.set_signing_secret(result.signing_secret);
  }
  return response;
}

absl::StatusOr<v1::Subscriber> SubscriptionLogic::GetSubscriber(
    const v1::GetSubscriberRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name,
                   ParseSubscriberName("name", request.name()));
  Subscriber subscriber;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(subscriber,
                         GetSubscriberRecord(tx, name, Lock::kNone));
        return absl::OkStatus();
      }));
  return ToProto(subscriber);
}

absl::StatusOr<v1::ListSubscribersResponse> SubscriptionLogic::ListSubscribers(
    const v1::ListSubscribersRequest& request, absl::Time deadline) {
  SubscriberQuery query;
  ASSIGN_OR_RETURN(query.page_id, ParsePageName("parent", request.parent()));
  ASSIGN_OR_RETURN(query.state,
                   SubscriberStateFromProto("state", request.state()));
  const std::string query_string =
      SubscriberListQuery(query.page_id, query.state);
  ASSIGN_OR_RETURN(ListPage list,
                   StartList(request.page_size(), request.page_token(),
                             query_string, kDefaultPageSize, kMaxPageSize, 1));
  if (!list.cursor.empty()) query.after_id = list.cursor[0];
  query.limit = list.size + 1;

  std::vector<Subscriber> subscribers;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(PageExists(tx, query.page_id, Lock::kNone));
        ASSIGN_OR_RETURN(subscribers, tx.subscribers().List(query));
        return absl::OkStatus();
      }));
  v1::ListSubscribersResponse response;
  response.set_next_page_token(FinishList(
      subscribers, list.size, query_string,
      [](const Subscriber& s) { return std::vector<std::string>{s.id}; }));
  for (const Subscriber& s : subscribers) {
    *response.add_subscribers() = ToProto(s);
  }
  return response;
}

absl::StatusOr<v1::Subscriber> SubscriptionLogic::UpdateSubscriber(
    const v1::UpdateSubscriberRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(
      PageChildName name,
      ParseSubscriberName("subscriber.name", request.subscriber().name()));
  ASSIGN_OR_RETURN(
      UpdateMask mask,
      ResolveUpdateMask(request.update_mask(), *v1::Subscriber::descriptor(),
                        {"components", "incident"}));
  ASSIGN_OR_RETURN(SubscriberInput input,
                   ReadInput(request.subscriber(), name.page_id));
  // The etag's form is checked before any storage work.
  if (!request.subscriber().etag().empty()) {
    RETURN_IF_ERROR(
        VersionFromEtag("subscriber.etag", request.subscriber().etag())
            .status());
  }

  Subscriber subscriber;
  RETURN_IF_ERROR(
      store_.ReadWrite(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(subscriber,
                         GetSubscriberRecord(tx, name, Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("subscriber.etag",
                                  request.subscriber().etag(),
                                  subscriber.version));
        RETURN_IF_ERROR(CheckFiltersExist(
            tx, name.page_id,
            mask.Has("components") ? input.component_ids
                                   : std::vector<std::string>{},
            mask.Has("incident") ? input.incident_id : std::string()));
        if (mask.Has("components"))
          subscriber.component_ids = input.component_ids;
        if (mask.Has("incident")) subscriber.incident_id = input.incident_id;
        subscriber.update_time = Now();
        ++subscriber.version;
        return tx.subscribers().Update(subscriber);
      }));
  return ToProto(subscriber);
}

absl::StatusOr<google::protobuf::Empty> SubscriptionLogic::DeleteSubscriber(
    const v1::DeleteSubscriberRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name,
                   ParseSubscriberName("name", request.name()));
  if (!request.etag().empty()) {
    RETURN_IF_ERROR(VersionFromEtag("etag", request.etag()).status());
  }
  RETURN_IF_ERROR(
      store_.ReadWrite(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(Subscriber subscriber,
                         GetSubscriberRecord(tx, name, Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("etag", request.etag(), subscriber.version));
        return tx.subscribers().Delete(name.page_id, name.id);
      }));
  return google::protobuf::Empty();
}

absl::StatusOr<v1::CountSubscribersResponse>
SubscriptionLogic::CountSubscribers(const v1::CountSubscribersRequest& request,
                                    absl::Time deadline) {
  ASSIGN_OR_RETURN(std::string page_id,
                   ParsePageName("parent", request.parent()));
  SubscriberRepository::Counts counts;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(PageExists(tx, page_id, Lock::kNone));
        ASSIGN_OR_RETURN(counts, tx.subscribers().CountByState(page_id));
        return absl::OkStatus();
      }));
  v1::CountSubscribersResponse response;
  response.set_pending_confirmation(counts.pending_confirmation);
  response.set_active(counts.active);
  response.set_quarantined(counts.quarantined);
  response.set_total(counts.pending_confirmation + counts.active +
                     counts.quarantined);
  return response;
}

absl::StatusOr<v1::Subscriber> SubscriptionLogic::ConfirmSubscriber(
    const v1::ConfirmSubscriberRequest& request, absl::Time deadline) {
  RETURN_IF_ERROR(CheckTokenLength(request.token()));
  if (request.token().empty()) return UnknownToken();
  Subscriber subscriber;
  RETURN_IF_ERROR(
      store_.ReadWrite(deadline, [&](Transaction& tx) -> absl::Status {
        absl::StatusOr<Subscriber> found = tx.subscribers().FindByToken(
            SubscriberRepository::Token::kConfirmation, request.token(),
            Lock::kForUpdate);
        if (absl::IsNotFound(found.status())) return UnknownToken();
        RETURN_IF_ERROR(found.status());
        subscriber = *std::move(found);
        // A second click on the link (or a mail scanner's visit before the
        // person's) confirms nothing new: the subscriber as it is.
        if (subscriber.state != SubscriberState::kPendingConfirmation) {
          return absl::OkStatus();
        }
        // Email subscribers hear of the events committed from now on.
        ASSIGN_OR_RETURN(storage::EventRepository::Head head,
                         tx.events().GetHead(subscriber.page_id));
        const absl::Time now = Now();
        subscriber.state = SubscriberState::kActive;
        subscriber.after_seq = head.last_seq;
        subscriber.activate_time = now;
        subscriber.update_time = now;
        ++subscriber.version;
        return tx.subscribers().Update(subscriber);
      }));
  return ToProto(subscriber);
}

absl::StatusOr<google::protobuf::Empty> SubscriptionLogic::Unsubscribe(
    const v1::UnsubscribeRequest& request, absl::Time deadline) {
  RETURN_IF_ERROR(CheckTokenLength(request.token()));
  if (request.token().empty()) return UnknownToken();
  RETURN_IF_ERROR(
      store_.ReadWrite(deadline, [&](Transaction& tx) -> absl::Status {
        absl::StatusOr<Subscriber> found = tx.subscribers().FindByToken(
            SubscriberRepository::Token::kUnsubscribe, request.token(),
            Lock::kForUpdate);
        if (absl::IsNotFound(found.status())) return UnknownToken();
        RETURN_IF_ERROR(found.status());
        return tx.subscribers().Delete(found->page_id, found->id);
      }));
  return google::protobuf::Empty();
}

absl::StatusOr<v1::CreateSubscriberResponse>
SubscriptionLogic::RotateSigningSecret(
    const v1::RotateSigningSecretRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name,
                   ParseSubscriberName("name", request.name()));
  const std::string secret = notify::NewSecret();
  Subscriber subscriber;
  RETURN_IF_ERROR(
      store_.ReadWrite(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(subscriber,
                         GetSubscriberRecord(tx, name, Lock::kForUpdate));
        if (subscriber.kind != SubscriberKind::kWebhook) {
          return absl::FailedPreconditionError(
              "name: only webhook subscribers have a signing secret");
        }
        subscriber.signing_secret = secret;
        subscriber.update_time = Now();
        ++subscriber.version;
        return tx.subscribers().Update(subscriber);
      }));
  v1::CreateSubscriberResponse response;
  *response.mutable_subscriber() = ToProto(subscriber);
  response.set_signing_secret(secret);
  return response;
}

absl::StatusOr<v1::Subscriber> SubscriptionLogic::ReactivateSubscriber(
    const v1::ReactivateSubscriberRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(PageChildName name,
                   ParseSubscriberName("name", request.name()));
  if (!request.etag().empty()) {
    RETURN_IF_ERROR(VersionFromEtag("etag", request.etag()).status());
  }
  Subscriber subscriber;
  RETURN_IF_ERROR(
      store_.ReadWrite(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(subscriber,
                         GetSubscriberRecord(tx, name, Lock::kForUpdate));
        RETURN_IF_ERROR(CheckEtag("etag", request.etag(), subscriber.version));
        if (subscriber.state != SubscriberState::kQuarantined) {
          return absl::FailedPreconditionError(
              StrCat("name: the subscriber is ",
                     v1::Subscriber::State_Name(
                         static_cast<v1::Subscriber::State>(subscriber.state)),
                     "; only a QUARANTINED subscriber can be reactivated"));
        }
        const absl::Time now = Now();
        subscriber.state = SubscriberState::kActive;
        subscriber.state_reason.clear();
        subscriber.consecutive_failures = 0;
        subscriber.failing_since.reset();
        subscriber.update_time = now;
        ++subscriber.version;
        RETURN_IF_ERROR(tx.subscribers().Update(subscriber));
        // The held deliveries go out at once, in event order; the workers fail
        // those whose retry horizon has passed.
        RETURN_IF_ERROR(tx.deliveries()
                            .RescheduleOpen(name.page_id, name.id, now)
                            .status());
        return tx.subscribers().MarkDue(name.page_id, {name.id}, now);
      }));
  signal_.Wake();
  return ToProto(subscriber);
}

// --- Deliveries ------------------------------------------------------------

absl::StatusOr<v1::ListDeliveriesResponse> SubscriptionLogic::ListDeliveries(
    const v1::ListDeliveriesRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(DeliveriesParent parent,
                   ParseDeliveriesParent("parent", request.parent()));
  if (request.event_sequence() < 0) {
    return absl::InvalidArgumentError(
        StrCat("event_sequence: must not be negative (got ",
               request.event_sequence(), ")"));
  }
  if (parent.subscriber_id.empty() && request.event_sequence() == 0) {
    return absl::InvalidArgumentError(
        "event_sequence: required with parent pages/{page}/subscribers/- "
        "(the deliveries of one event to every subscriber)");
  }
  DeliveryQuery query;
  query.page_id = parent.page_id;
  query.subscriber_id = parent.subscriber_id;
  if (request.event_sequence() > 0) query.event_seq = request.event_sequence();
  ASSIGN_OR_RETURN(query.state,
                   DeliveryStateFromProto("state", request.state()));
  const std::string query_string =
      DeliveryListQuery(parent, request.event_sequence(), query.state);
  ASSIGN_OR_RETURN(ListPage list,
                   StartList(request.page_size(), request.page_token(),
                             query_string, kDefaultPageSize, kMaxPageSize, 2));
  if (!list.cursor.empty()) {
    ASSIGN_OR_RETURN(int64_t seq, ParseCursorInt(list.cursor[1]));
    query.after = std::make_pair(list.cursor[0], seq);
  }
  query.limit = list.size + 1;

  std::vector<Delivery> deliveries;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        if (parent.subscriber_id.empty()) {
          RETURN_IF_ERROR(PageExists(tx, parent.page_id, Lock::kNone));
        } else {
          RETURN_IF_ERROR(
              GetSubscriberRecord(
                  tx, PageChildName{parent.page_id, parent.subscriber_id},
                  Lock::kNone)
                  .status());
        }
        ASSIGN_OR_RETURN(deliveries, tx.deliveries().List(query));
        return absl::OkStatus();
      }));
  v1::ListDeliveriesResponse response;
  response.set_next_page_token(
      FinishList(deliveries, list.size, query_string, [](const Delivery& d) {
        return std::vector<std::string>{d.subscriber_id,
                                        CursorInt(d.event_seq)};
      }));
  for (const Delivery& d : deliveries) *response.add_deliveries() = ToProto(d);
  return response;
}

absl::StatusOr<v1::Delivery> SubscriptionLogic::GetDelivery(
    const v1::GetDeliveryRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(DeliveryResourceName name,
                   ParseDeliveryName("name", request.name()));
  Delivery delivery;
  RETURN_IF_ERROR(
      store_.ReadOnly(deadline, [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(delivery, GetDeliveryRecord(tx, name, Lock::kNone));
        return absl::OkStatus();
      }));
  return ToProto(delivery);
}

absl::StatusOr<v1::Delivery> SubscriptionLogic::RedeliverDelivery(
    const v1::RedeliverDeliveryRequest& request, absl::Time deadline) {
  ASSIGN_OR_RETURN(DeliveryResourceName name,
                   ParseDeliveryName("name", request.name()));
  Delivery delivery;
  RETURN_IF_ERROR(
      store_.ReadWrite(deadline, [&](Transaction& tx) -> absl::Status {
        // The subscriber first, then its delivery: the order every writer of
        // both takes, so that none deadlocks with another.
        ASSIGN_OR_RETURN(
            Subscriber subscriber,
            GetSubscriberRecord(tx,
                                PageChildName{name.page_id, name.subscriber_id},
                                Lock::kForUpdate));
        // A pending subscriber may have its confirmation mail (deliveries/0)
        // sent again: the first may have been lost or filtered as spam.
        const bool resend_confirmation =
            subscriber.state == SubscriberState::kPendingConfirmation &&
            name.event_seq == 0;
        if (subscriber.state != SubscriberState::kActive &&
            !resend_confirmation) {
          return absl::FailedPreconditionError(
              StrCat("name: the subscriber is ",
                     v1::Subscriber::State_Name(
                         static_cast<v1::Subscriber::State>(subscriber.state)),
                     "; deliveries are sent again only to an ACTIVE subscriber",
                     subscriber.state == SubscriberState::kQuarantined
                         ? " (reactivate it first)"
                         : ""));
        }
        ASSIGN_OR_RETURN(delivery,
                         GetDeliveryRecord(tx, name, Lock::kForUpdate));
        const absl::Time now = Now();
        // Attempts and the last error stay: they are the delivery's history.
        delivery.state = DeliveryState::kPending;
        delivery.next_attempt_time = now;
        delivery.horizon_start = now;
        RETURN_IF_ERROR(tx.deliveries().Update(delivery));
        return tx.subscribers().MarkDue(name.page_id, {name.subscriber_id},
                                        now);
      }));
  signal_.Wake();
  return ToProto(delivery);
}

}  // namespace incidentd
