#include "server/event_encoding.h"

#include <algorithm>
#include <string>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "server/converters.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::testing {
namespace {

using google::protobuf::util::MessageDifferencer;

const absl::Time kNow = absl::FromUnixMicros(1700000000123456);

IncidentUpdate MakeUpdate(std::string body) {
  IncidentUpdate u;
  u.page_id = "acme";
  u.incident_id = "outage";
  u.id = "u1";
  u.status = IncidentStatus::kIdentified;
  u.resulting_status = IncidentStatus::kIdentified;
  u.body = std::move(body);
  u.display_time = kNow;
  u.display_time_zone = "Europe/Berlin";
  u.create_time = kNow;
  u.update_time = kNow;
  u.author = "Tech Operations";
  u.component_changes.push_back({"api", ComponentStatus::kPartialOutage});
  u.version = 1;
  return u;
}

Incident MakeIncident() {
  Incident i;
  i.page_id = "acme";
  i.id = "outage";
  i.title = "Issue with delta processing";
  i.status = IncidentStatus::kIdentified;
  i.component_ids = {"api", "db"};
  i.create_time = kNow;
  i.update_time = kNow;
  i.version = 2;
  return i;
}

// What a watcher must receive: the slow path, parsed and re-wrapped.
v1::WatchPageResponse Slow(const Event& event) {
  v1::WatchPageResponse response;
  absl::StatusOr<v1::Event> decoded = DecodeEvent(event);
  EXPECT_OK(decoded);
  if (decoded.ok()) *response.mutable_event() = *decoded;
  return response;
}

// The fast path's bytes, parsed as a client would.
v1::WatchPageResponse Fast(const Event& event) {
  v1::WatchPageResponse response;
  EXPECT_TRUE(response.ParseFromString(EncodeEventResponse(event)));
  return response;
}

void ExpectFastEqualsSlow(const Event& event) {
  const v1::WatchPageResponse slow = Slow(event);
  const v1::WatchPageResponse fast = Fast(event);
  std::string diff;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(slow, fast)) << diff;
  EXPECT_EQ(fast.event().sequence(), event.seq);
}

TEST(EventEncodingTest, MakeIncidentUpdateEvent_ColumnsAndPayloadAgree) {
  Event event = MakeIncidentUpdateEvent(
      EventType::kIncidentUpdatePosted, EventOrigin{kNow, "Tech Operations"},
      MakeIncident(), MakeUpdate("We are investigating."));
  EXPECT_EQ(event.page_id, "acme");
  EXPECT_EQ(event.type, EventType::kIncidentUpdatePosted);
  EXPECT_EQ(event.create_time, kNow);
  EXPECT_EQ(event.actor, "Tech Operations");
  EXPECT_EQ(event.resource_name, "pages/acme/incidents/outage/updates/u1");
  EXPECT_EQ(event.incident_id, "outage");
  EXPECT_EQ(event.component_ids, (std::vector<std::string>{"api", "db"}));
  EXPECT_EQ(event.seq, 0);  // storage assigns it

  v1::Event payload;
  ASSERT_TRUE(payload.ParseFromString(event.payload));
  EXPECT_EQ(payload.page(), "pages/acme");
  EXPECT_EQ(payload.sequence(), 0);  // not in the payload
  EXPECT_EQ(payload.type(), v1::Event::INCIDENT_UPDATE_POSTED);
  EXPECT_EQ(payload.create_time().seconds(), 1700000000);
  EXPECT_EQ(payload.create_time().nanos(), 123456000);
  EXPECT_EQ(payload.actor(), "Tech Operations");
  EXPECT_EQ(payload.resource(), "pages/acme/incidents/outage/updates/u1");
  EXPECT_EQ(payload.incident(), "pages/acme/incidents/outage");
  EXPECT_EQ(payload.components(0), "pages/acme/components/api");
  EXPECT_EQ(payload.components(1), "pages/acme/components/db");
  ASSERT_EQ(payload.state_case(), v1::Event::kIncidentUpdate);
  EXPECT_TRUE(MessageDifferencer::Equals(
      payload.incident_update(), ToProto(MakeUpdate("We are investigating."))));
}

TEST(EventEncodingTest, MakeComponentEvent_ConcernsTheComponentItself) {
  Component c;
  c.page_id = "acme";
  c.id = "api";
  c.display_name = "API";
  c.status = ComponentStatus::kMajorOutage;
  Event event = MakeComponentEvent(EventType::kComponentStatusChanged,
                                   EventOrigin{kNow, ""}, c, "outage");
  EXPECT_EQ(event.resource_name, "pages/acme/components/api");
  EXPECT_EQ(event.component_ids, std::vector<std::string>{"api"});
  EXPECT_EQ(event.incident_id, "outage");
  ASSERT_OK_AND_ASSIGN(v1::Event api, DecodeEvent(event));
  EXPECT_EQ(api.component().status(), v1::ComponentStatus::MAJOR_OUTAGE);
  EXPECT_EQ(api.incident(), "pages/acme/incidents/outage");
}

TEST(EventEncodingTest, DeletedEvents_CarryNoState) {
  Event component =
      MakeComponentDeletedEvent(EventOrigin{kNow, ""}, "acme", "api");
  ASSERT_OK_AND_ASSIGN(v1::Event api, DecodeEvent(component));
  EXPECT_EQ(api.type(), v1::Event::COMPONENT_DELETED);
  EXPECT_EQ(api.resource(), "pages/acme/components/api");
  EXPECT_EQ(api.state_case(), v1::Event::STATE_NOT_SET);

  Event group = MakeGroupDeletedEvent(EventOrigin{kNow, ""}, "acme", "jira");
  ASSERT_OK_AND_ASSIGN(api, DecodeEvent(group));
  EXPECT_EQ(api.type(), v1::Event::COMPONENT_GROUP_DELETED);
  EXPECT_EQ(api.resource(), "pages/acme/componentGroups/jira");
  EXPECT_TRUE(api.components().empty());
  EXPECT_EQ(api.state_case(), v1::Event::STATE_NOT_SET);
}

TEST(EventEncodingTest, DecodeEvent_SetsTheSequenceStorageAssigned) {
  Event event = MakeIncidentEvent(EventType::kIncidentCreated,
                                  EventOrigin{kNow, "alice"}, MakeIncident());
  event.seq = 42;
  ASSERT_OK_AND_ASSIGN(v1::Event api, DecodeEvent(event));
  EXPECT_EQ(api.sequence(), 42);
  EXPECT_EQ(api.type(), v1::Event::INCIDENT_CREATED);
  EXPECT_EQ(api.incident_state().title(), "Issue with delta processing");
}

TEST(EventEncodingTest, DecodeEvent_CorruptPayload_IsInternal) {
  Event event;
  event.page_id = "acme";
  event.seq = 7;
  event.payload = "\xff\xff\xff";
  EXPECT_CODE(DecodeEvent(event), absl::StatusCode::kInternal);
}

TEST(EventEncodingTest, EncodeEventResponse_SmallEvent_ParsesAsTheSlowPath) {
  Event event = MakeIncidentUpdateEvent(EventType::kIncidentUpdatePosted,
                                        EventOrigin{kNow, "alice"},
                                        MakeIncident(), MakeUpdate("Short."));
  event.seq = 1;
  ExpectFastEqualsSlow(event);
}

TEST(EventEncodingTest, EncodeEventResponse_LargeSequences_ParseAsTheSlowPath) {
  Event event = MakeIncidentEvent(EventType::kIncidentUpdated,
                                  EventOrigin{kNow, ""}, MakeIncident());
  // One to nine varint bytes.
  for (int64_t seq : {int64_t{1}, int64_t{127}, int64_t{128}, int64_t{300},
                      int64_t{1} << 40, int64_t{0x7fffffffffffffff}}) {
    event.seq = seq;
    ExpectFastEqualsSlow(event);
  }
}

TEST(EventEncodingTest,
     EncodeEventResponse_LargePayloads_MultiByteLengths_ParseAsTheSlowPath) {
  // Payload lengths whose varints take 1, 2, 3 and 4 bytes, and the
  // boundaries where the event's own length (payload + sequence) crosses
  // into the next varint size.
  for (size_t body :
       {size_t{1}, size_t{100}, size_t{127}, size_t{200}, size_t{16000},
        size_t{16384}, size_t{65536}, size_t{3000000}}) {
    Event event = MakeIncidentUpdateEvent(
        EventType::kIncidentUpdatePosted, EventOrigin{kNow, "alice"},
        MakeIncident(), MakeUpdate(std::string(body, 'x')));
    event.seq = 1234567;
    SCOPED_TRACE(body);
    ExpectFastEqualsSlow(event);
  }
}

TEST(EventEncodingTest,
     EncodeEventResponse_EventLengthAroundVarintBoundaries_ParsesAsSlowPath) {
  // The actor is free text: its length steers the event's length byte by
  // byte across 128 and 16384, where the length varint grows a byte.
  auto make = [](size_t actor) {
    Event event = MakeGroupDeletedEvent(
        EventOrigin{kNow, std::string(actor, 'a')}, "acme", "g");
    event.seq = 5;  // the sequence field: one byte of tag, one of value
    return event;
  };
  const size_t overhead = make(1).payload.size() + 2 - 1;
  ASSERT_LT(overhead + 8, 128u);
  std::vector<size_t> lengths;
  for (size_t boundary : {size_t{128}, size_t{16384}}) {
    for (size_t actor = boundary - overhead - 8;
         actor <= boundary - overhead + 8; ++actor) {
      Event event = make(actor);
      lengths.push_back(event.payload.size() + 2);
      SCOPED_TRACE(lengths.back());
      ExpectFastEqualsSlow(event);
    }
  }
  // Both boundaries themselves were among them.
  EXPECT_NE(std::find(lengths.begin(), lengths.end(), 128u), lengths.end());
  EXPECT_NE(std::find(lengths.begin(), lengths.end(), 16384u), lengths.end());
}

TEST(EventEncodingTest, EncodeEventResponse_IsAWatchPageResponseEventOnly) {
  Event event = MakeGroupDeletedEvent(EventOrigin{kNow, ""}, "acme", "jira");
  event.seq = 9;
  v1::WatchPageResponse response = Fast(event);
  EXPECT_EQ(response.kind_case(), v1::WatchPageResponse::kEvent);
  EXPECT_EQ(response.event().sequence(), 9);
  EXPECT_EQ(response.event().page(), "pages/acme");
}

}  // namespace
}  // namespace incidentd::testing
