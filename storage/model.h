// The domain model: plain records that the storage layer reads and writes and
// the domain rules reason about. No API messages and no SQL here; converters
// to and from the API live in server/.
#ifndef INCIDENTD_STORAGE_MODEL_H_
#define INCIDENTD_STORAGE_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace incidentd {

// Numeric values match the API enums (incidentd.v1.*.Value) so that
// converters are plain casts after validation; 0 is "unspecified".
enum class ComponentStatus : int {
  kUnspecified = 0,
  kOperational = 1,
  kDegradedPerformance = 2,
  kPartialOutage = 3,
  kMajorOutage = 4,
  kUnderMaintenance = 5,
};

enum class Impact : int {
  kUnspecified = 0,
  kNone = 1,
  kMinor = 2,
  kMajor = 3,
  kCritical = 4,
};

enum class IncidentKind : int {
  kUnspecified = 0,
  kIncident = 1,
  kMaintenance = 2,
};

enum class IncidentStatus : int {
  kUnspecified = 0,
  kInvestigating = 1,
  kIdentified = 2,
  kMonitoring = 3,
  kResolved = 4,
  kScheduled = 5,
  kInProgress = 6,
  kVerifying = 7,
  kCompleted = 8,
  kCancelled = 9,
};

enum class PostmortemState : int { kUnspecified = 0, kDraft = 1, kPublished = 2 };

enum class ActionState : int {
  kUnspecified = 0,
  kOpen = 1,
  kInProgress = 2,
  kDone = 3,
};

// Every mutable record carries `version`, starting at 1 and incremented by
// every write; the API's etag is derived from it.

struct Page {
  std::string id;
  std::string display_name;
  std::string url;
  std::string time_zone = "UTC";
  absl::Time create_time;
  absl::Time update_time;
  int64_t version = 0;
};

struct ComponentGroup {
  std::string page_id;
  std::string id;
  std::string display_name;
  std::string description;
  int32_t position = 0;
  absl::Time create_time;
  absl::Time update_time;
  int64_t version = 0;
};

struct Component {
  std::string page_id;
  std::string id;
  std::string display_name;
  std::string description;
  std::string group_id;  // empty: no group
  ComponentStatus status = ComponentStatus::kOperational;
  std::string status_reason;
  absl::Time status_change_time;
  int32_t position = 0;
  absl::Time create_time;
  absl::Time update_time;
  int64_t version = 0;
};

struct ComponentChange {
  std::string component_id;
  ComponentStatus status = ComponentStatus::kUnspecified;
};

struct Incident {
  std::string page_id;
  std::string id;
  std::string title;
  IncidentKind kind = IncidentKind::kIncident;
  IncidentStatus status = IncidentStatus::kUnspecified;
  // The derived impact is stored too, so that lists and page status need no
  // timeline; it is recomputed on every update by the domain rules.
  Impact derived_impact = Impact::kNone;
  Impact impact_override = Impact::kUnspecified;
  std::vector<std::string> component_ids;  // affected, in the order given
  std::optional<absl::Time> start_time;
  std::optional<absl::Time> resolve_time;
  std::optional<absl::Time> impact_start_time;
  std::optional<absl::Time> impact_end_time;
  std::optional<absl::Time> scheduled_start_time;
  std::optional<absl::Time> scheduled_end_time;
  bool manual_transitions = false;
  absl::Time create_time;
  absl::Time update_time;
  int64_t version = 0;
};

struct IncidentUpdateRevision {
  std::string body;
  absl::Time display_time;
  std::string display_time_zone;
  absl::Time replace_time;
  std::string replaced_by;
};

struct IncidentUpdate {
  std::string page_id;
  std::string incident_id;
  std::string id;
  // Assigned by storage on insert; orders updates with equal display times.
  int64_t seq = 0;
  IncidentStatus status = IncidentStatus::kUnspecified;  // unspecified: "Update"
  IncidentStatus resulting_status = IncidentStatus::kUnspecified;
  std::string body;
  absl::Time display_time;
  std::string display_time_zone;
  absl::Time create_time;
  std::string author;
  std::vector<ComponentChange> component_changes;
  bool notify = false;
  bool reopen = false;
  std::vector<IncidentUpdateRevision> previous_versions;  // oldest first
  absl::Time update_time;
  int64_t version = 0;
};

struct PostmortemSection {
  std::string heading;
  std::string body;
};

struct Postmortem {
  std::string page_id;
  std::string incident_id;
  std::vector<PostmortemSection> sections;
  PostmortemState state = PostmortemState::kDraft;
  std::optional<absl::Time> publish_time;
  std::string author;
  int64_t revision = 0;  // content revision, 1 for the first draft
  absl::Time create_time;
  absl::Time update_time;
  int64_t version = 0;  // every write, content or state
};

struct CorrectiveAction {
  std::string page_id;
  std::string incident_id;
  std::string id;
  int64_t seq = 0;  // assigned by storage on insert; creation order
  std::string description;
  std::string owner;
  ActionState state = ActionState::kOpen;
  absl::Time create_time;
  absl::Time update_time;
  int64_t version = 0;
};

// A remembered client request id: the method it was used with, a
// fingerprint of the request, and the resource the first call produced.
struct RequestRecord {
  std::string scope;  // the page id, or "" for page creation
  std::string request_id;
  std::string method;
  std::string fingerprint;
  std::string resource_name;
  absl::Time create_time;
};

// Values match incidentd.v1.Event.Type.
enum class EventType : int {
  kUnspecified = 0,
  kPageCreated = 1,
  kPageUpdated = 2,
  kComponentCreated = 10,
  kComponentUpdated = 11,
  kComponentDeleted = 12,
  kComponentStatusChanged = 13,
  kComponentGroupCreated = 20,
  kComponentGroupUpdated = 21,
  kComponentGroupDeleted = 22,
  kIncidentCreated = 30,
  kIncidentUpdated = 31,
  kIncidentUpdatePosted = 32,
  kIncidentUpdateEdited = 33,
  kIncidentResolved = 34,
  kIncidentReopened = 35,
  kMaintenanceScheduled = 40,
  kMaintenanceStarted = 41,
  kMaintenanceCompleted = 42,
  kMaintenanceCancelled = 43,
  kMaintenanceStartingSoon = 44,
  kPostmortemUpdated = 50,
  kPostmortemPublished = 51,
  kPostmortemUnpublished = 52,
  kCorrectiveActionCreated = 60,
  kCorrectiveActionUpdated = 61,
};

// One committed change on a page: a row of the page's event log. Storage
// keeps `payload` as opaque bytes; the server encodes the API's view of the
// change there (incidentd.v1.Event without its sequence), so that serving an
// event to many watchers needs no re-encoding. The other fields are what
// the server filters and orders by.
struct Event {
  std::string page_id;
  int64_t seq = 0;  // assigned by storage on append
  EventType type = EventType::kUnspecified;
  absl::Time create_time;
  std::string actor;
  std::string resource_name;
  std::string incident_id;                 // "" when none
  std::vector<std::string> component_ids;  // the components it concerns
  // Whether subscribers are notified of it (see Event.notify in the API);
  // the payload says the same.
  bool notify = false;
  std::string payload;
};

// --- Subscriptions.

// Values match incidentd.v1.Subscriber.State.
enum class SubscriberState : int {
  kUnspecified = 0,
  kPendingConfirmation = 1,
  kActive = 2,
  kQuarantined = 3,
};

enum class SubscriberKind : int { kUnspecified = 0, kEmail = 1, kWebhook = 2 };

struct Subscriber {
  std::string page_id;
  std::string id;
  SubscriberKind kind = SubscriberKind::kUnspecified;
  // The email address, or the webhook URL, as validated.
  std::string address;
  std::vector<std::string> component_ids;  // empty: the whole page
  std::string incident_id;                 // "" for any
  SubscriberState state = SubscriberState::kUnspecified;
  std::string state_reason;
  // Secrets: never returned by the API after creation, never logged.
  // Email only. Kept after confirmation, so that a second click on the link
  // (or a mail scanner's visit before the person's) still succeeds.
  std::string confirmation_token;
  std::string unsubscribe_token;
  std::string signing_secret;  // webhook only
  // Events of the page with a sequence above this notify the subscriber:
  // the page's last sequence when it became active.
  int64_t after_seq = 0;
  // Delivery health, written by the delivery workers (no version change).
  int32_t consecutive_failures = 0;
  std::optional<absl::Time> failing_since;  // first failure of the streak
  std::optional<absl::Time> activate_time;
  absl::Time create_time;
  absl::Time update_time;
  int64_t version = 0;
};

// Values match incidentd.v1.Delivery.State.
enum class DeliveryState : int {
  kUnspecified = 0,
  kPending = 1,
  kDelivered = 2,
  kRetrying = 3,
  kFailed = 4,
};

// One notification to one subscriber: of the page event `event_seq`, or
// (event_seq 0) an email subscriber's confirmation mail. At most one per
// (subscriber, event).
struct Delivery {
  std::string page_id;
  std::string subscriber_id;
  int64_t event_seq = 0;
  EventType event_type = EventType::kUnspecified;
  // The incident the event concerns, for coalescing ("" when none).
  std::string incident_id;
  DeliveryState state = DeliveryState::kPending;
  int32_t attempts = 0;
  std::string last_error;
  absl::Time create_time;
  // When the retry horizon began: create_time, or the last redelivery.
  absl::Time horizon_start;
  std::optional<absl::Time> last_attempt_time;
  // When it may next be attempted (pending and retrying only).
  std::optional<absl::Time> next_attempt_time;
  std::optional<absl::Time> deliver_time;
};

}  // namespace incidentd

#endif  // INCIDENTD_STORAGE_MODEL_H_
