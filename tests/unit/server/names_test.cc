#include "server/names.h"

#include <set>

#include "gtest/gtest.h"
#include "server/domain/validation.h"
#include "tests/testing/status_matchers.h"

namespace incidentd {
namespace {

TEST(NamesTest, Format_EveryResource) {
  EXPECT_EQ(PageName("acme"), "pages/acme");
  EXPECT_EQ(ComponentName("acme", "api"), "pages/acme/components/api");
  EXPECT_EQ(GroupName("acme", "core"), "pages/acme/componentGroups/core");
  EXPECT_EQ(IncidentName("acme", "i1"), "pages/acme/incidents/i1");
  EXPECT_EQ(UpdateName("acme", "i1", "u1"),
            "pages/acme/incidents/i1/updates/u1");
  EXPECT_EQ(PostmortemName("acme", "i1"), "pages/acme/incidents/i1/postmortem");
  EXPECT_EQ(CorrectiveActionName("acme", "i1", "a1"),
            "pages/acme/incidents/i1/correctiveActions/a1");
  EXPECT_EQ(PageStatusName("acme"), "pages/acme/status");
}

TEST(NamesTest, Parse_EveryFormattedName_RoundTrips) {
  ASSERT_OK_AND_ASSIGN(std::string page,
                       ParsePageName("name", PageName("acme")));
  EXPECT_EQ(page, "acme");

  ASSERT_OK_AND_ASSIGN(
      PageChildName component,
      ParseComponentName("name", ComponentName("acme", "api")));
  EXPECT_EQ(component.page_id, "acme");
  EXPECT_EQ(component.id, "api");

  ASSERT_OK_AND_ASSIGN(PageChildName group,
                       ParseGroupName("name", GroupName("acme", "core")));
  EXPECT_EQ(group.id, "core");

  ASSERT_OK_AND_ASSIGN(PageChildName incident,
                       ParseIncidentName("name", IncidentName("acme", "i-1")));
  EXPECT_EQ(incident.page_id, "acme");
  EXPECT_EQ(incident.id, "i-1");

  ASSERT_OK_AND_ASSIGN(IncidentChildName update,
                       ParseUpdateName("name", UpdateName("acme", "i1", "u1")));
  EXPECT_EQ(update.page_id, "acme");
  EXPECT_EQ(update.incident_id, "i1");
  EXPECT_EQ(update.id, "u1");

  ASSERT_OK_AND_ASSIGN(
      PageChildName postmortem,
      ParsePostmortemName("name", PostmortemName("acme", "i1")));
  EXPECT_EQ(postmortem.page_id, "acme");
  EXPECT_EQ(postmortem.id, "i1");

  ASSERT_OK_AND_ASSIGN(IncidentChildName action,
                       ParseCorrectiveActionName(
                           "name", CorrectiveActionName("acme", "i1", "a1")));
  EXPECT_EQ(action.incident_id, "i1");
  EXPECT_EQ(action.id, "a1");
}

TEST(NamesTest, ParsePageName_Empty_IsInvalidArgumentNamingTheField) {
  absl::StatusOr<std::string> parsed = ParsePageName("parent", "");
  EXPECT_CODE(parsed, absl::StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("parent"), std::string::npos);
}

TEST(NamesTest, Parse_WrongCollection_IsInvalidArgument) {
  EXPECT_CODE(ParsePageName("name", "page/acme"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseComponentName("name", "pages/acme/componentGroups/api"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseGroupName("name", "pages/acme/components/core"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIncidentName("name", "pages/acme/components/i1"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(
      ParseUpdateName("name", "pages/acme/incidents/i1/correctiveActions/u"),
      absl::StatusCode::kInvalidArgument);
}

TEST(NamesTest, Parse_ExtraOrMissingSegments_IsInvalidArgument) {
  EXPECT_CODE(ParsePageName("name", "pages/acme/components/api"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParsePageName("name", "pages/acme/"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParsePageName("name", "pages"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseComponentName("name", "pages/acme/components"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseComponentName("name", "pages/acme/components/api/x"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIncidentName("name", "/pages/acme/incidents/i1"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParsePostmortemName("name", "pages/acme/incidents/i1"),
              absl::StatusCode::kInvalidArgument);
}

TEST(NamesTest, Parse_BadId_IsInvalidArgument) {
  EXPECT_CODE(ParsePageName("name", "pages/Acme"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParsePageName("name", "pages/-acme"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParsePageName("name", "pages/ac me"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParsePageName("name", "pages/" + std::string(64, 'a')),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseComponentName("name", "pages/acme/components/"),
              absl::StatusCode::kInvalidArgument);
}

TEST(NamesTest, ParsePageStatusName_AcceptsStatusAndPageNames) {
  ASSERT_OK_AND_ASSIGN(std::string a,
                       ParsePageStatusName("name", "pages/acme/status"));
  EXPECT_EQ(a, "acme");
  ASSERT_OK_AND_ASSIGN(std::string b,
                       ParsePageStatusName("name", "pages/acme"));
  EXPECT_EQ(b, "acme");
  EXPECT_CODE(ParsePageStatusName("name", "pages/acme/state"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParsePageStatusName("name", "pages/acme/status/x"),
              absl::StatusCode::kInvalidArgument);
}

TEST(NamesTest, ParseComponentNameOnPage_OtherPage_IsInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(std::string id, ParseComponentNameOnPage(
                                           "c", "pages/a/components/x", "a"));
  EXPECT_EQ(id, "x");
  EXPECT_CODE(ParseComponentNameOnPage("c", "pages/b/components/x", "a"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseGroupNameOnPage("g", "pages/b/componentGroups/x", "a"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseGroupNameOnPage("g", "x", "a"),
              absl::StatusCode::kInvalidArgument);
}

TEST(NamesTest, Format_SubscriptionResources) {
  EXPECT_EQ(SubscriberName("acme", "s1"), "pages/acme/subscribers/s1");
  EXPECT_EQ(DeliveryName("acme", "s1", 42),
            "pages/acme/subscribers/s1/deliveries/42");
  EXPECT_EQ(DeliveryName("acme", "s1", 0),
            "pages/acme/subscribers/s1/deliveries/0");
  EXPECT_EQ(EventName("acme", 7), "pages/acme/events/7");
}

TEST(NamesTest, ParseSubscriberAndDeliveryNames_RoundTrip) {
  ASSERT_OK_AND_ASSIGN(
      PageChildName subscriber,
      ParseSubscriberName("name", SubscriberName("acme", "s1")));
  EXPECT_EQ(subscriber.page_id, "acme");
  EXPECT_EQ(subscriber.id, "s1");

  ASSERT_OK_AND_ASSIGN(
      DeliveryResourceName delivery,
      ParseDeliveryName("name",
                        DeliveryName("acme", "s1", 9223372036854775807)));
  EXPECT_EQ(delivery.page_id, "acme");
  EXPECT_EQ(delivery.subscriber_id, "s1");
  EXPECT_EQ(delivery.event_seq, 9223372036854775807);

  ASSERT_OK_AND_ASSIGN(
      DeliveryResourceName confirmation,
      ParseDeliveryName("name", DeliveryName("acme", "s1", 0)));
  EXPECT_EQ(confirmation.event_seq, 0);

  ASSERT_OK_AND_ASSIGN(EventResourceName event,
                       ParseEventName("event", EventName("acme", 12)));
  EXPECT_EQ(event.page_id, "acme");
  EXPECT_EQ(event.seq, 12);
}

TEST(NamesTest, ParseDeliveryName_BadSequence_IsInvalidArgumentNamingTheField) {
  for (const char* name : {
           "pages/acme/subscribers/s1/deliveries/",
           "pages/acme/subscribers/s1/deliveries/-1",
           "pages/acme/subscribers/s1/deliveries/+1",
           "pages/acme/subscribers/s1/deliveries/01",
           "pages/acme/subscribers/s1/deliveries/1e3",
           "pages/acme/subscribers/s1/deliveries/0x10",
           "pages/acme/subscribers/s1/deliveries/ 1",
           "pages/acme/subscribers/s1/deliveries/9223372036854775808",
           "pages/acme/subscribers/s1/deliveries/99999999999999999999",
           "pages/acme/subscribers/s1/deliveries",
           "pages/acme/subscribers/s1/deliveries/1/x",
           "pages/acme/subscribers/-/deliveries/1",
           "pages/acme/subscriber/s1/deliveries/1",
       }) {
    absl::StatusOr<DeliveryResourceName> parsed =
        ParseDeliveryName("delivery", name);
    EXPECT_CODE(parsed, absl::StatusCode::kInvalidArgument) << name;
    EXPECT_NE(parsed.status().message().find("delivery"), std::string::npos)
        << parsed.status();
  }
}

TEST(NamesTest, ParseSubscriberName_Wildcard_IsInvalidArgument) {
  EXPECT_CODE(ParseSubscriberName("name", "pages/acme/subscribers/-"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseSubscriberName("name", "pages/acme/subscribers"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseSubscriberName("name", "pages/acme/components/s1"),
              absl::StatusCode::kInvalidArgument);
}

TEST(NamesTest, ParseDeliveriesParent_OneSubscriberOrEvery) {
  ASSERT_OK_AND_ASSIGN(
      DeliveriesParent one,
      ParseDeliveriesParent("parent", "pages/acme/subscribers/s1"));
  EXPECT_EQ(one.page_id, "acme");
  EXPECT_EQ(one.subscriber_id, "s1");
  ASSERT_OK_AND_ASSIGN(
      DeliveriesParent every,
      ParseDeliveriesParent("parent", "pages/acme/subscribers/-"));
  EXPECT_EQ(every.page_id, "acme");
  EXPECT_EQ(every.subscriber_id, "");

  for (const char* name :
       {"", "pages/acme", "pages/acme/subscribers", "pages/acme/subscribers/--",
        "pages/-/subscribers/-", "pages/acme/subscribers/-/deliveries",
        "pages/acme/components/-"}) {
    absl::StatusOr<DeliveriesParent> parsed =
        ParseDeliveriesParent("parent", name);
    EXPECT_CODE(parsed, absl::StatusCode::kInvalidArgument) << name;
    EXPECT_NE(parsed.status().message().find("parent"), std::string::npos)
        << parsed.status();
  }
}

TEST(NamesTest, ParseEventName_SequenceZeroOrMalformed_IsInvalidArgument) {
  EXPECT_CODE(ParseEventName("event", "pages/acme/events/0"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseEventName("event", "pages/acme/events/x"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseEventName("event", "pages/acme/events"),
              absl::StatusCode::kInvalidArgument);
}

TEST(NamesTest, ParseIncidentNameOnPage_OtherPage_IsInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(
      std::string id, ParseIncidentNameOnPage("i", "pages/a/incidents/x", "a"));
  EXPECT_EQ(id, "x");
  EXPECT_CODE(ParseIncidentNameOnPage("i", "pages/b/incidents/x", "a"),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ParseIncidentNameOnPage("i", "pages/a/components/x", "a"),
              absl::StatusCode::kInvalidArgument);
}

TEST(NamesTest, NewResourceId_IsValidAndFresh) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewResourceId();
    EXPECT_OK(domain::ValidateId("id", id));
    EXPECT_TRUE(seen.insert(id).second) << id;
  }
}

}  // namespace
}  // namespace incidentd
