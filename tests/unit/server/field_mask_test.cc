#include "server/field_mask.h"

#include "gtest/gtest.h"
#include "incidentd/v1/resources.pb.h"
#include "tests/testing/status_matchers.h"

namespace incidentd {
namespace {

google::protobuf::FieldMask Mask(std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* p : paths) mask.add_paths(p);
  return mask;
}

absl::StatusOr<UpdateMask> ResolvePage(const google::protobuf::FieldMask& m) {
  return ResolveUpdateMask(m, *v1::Page::descriptor(),
                           {"display_name", "url", "time_zone"});
}

TEST(FieldMaskTest, Empty_MeansEveryUpdatableField) {
  ASSERT_OK_AND_ASSIGN(UpdateMask mask, ResolvePage(Mask({})));
  EXPECT_TRUE(mask.Has("display_name"));
  EXPECT_TRUE(mask.Has("url"));
  EXPECT_TRUE(mask.Has("time_zone"));
  EXPECT_FALSE(mask.Has("etag"));
}

TEST(FieldMaskTest, Star_MeansEveryUpdatableField) {
  ASSERT_OK_AND_ASSIGN(UpdateMask mask, ResolvePage(Mask({"*"})));
  EXPECT_TRUE(mask.Has("display_name"));
  EXPECT_TRUE(mask.Has("time_zone"));
}

TEST(FieldMaskTest, Paths_SelectOnlyThoseFields) {
  ASSERT_OK_AND_ASSIGN(UpdateMask mask, ResolvePage(Mask({"url"})));
  EXPECT_TRUE(mask.Has("url"));
  EXPECT_FALSE(mask.Has("display_name"));
  EXPECT_FALSE(mask.Has("time_zone"));
}

TEST(FieldMaskTest, UnknownPath_IsInvalidArgument) {
  absl::StatusOr<UpdateMask> mask = ResolvePage(Mask({"url", "colour"}));
  EXPECT_CODE(mask, absl::StatusCode::kInvalidArgument);
  EXPECT_NE(mask.status().message().find("colour"), std::string::npos);
}

TEST(FieldMaskTest, OutputOnlyPath_IsInvalidArgument) {
  EXPECT_CODE(ResolvePage(Mask({"etag"})), absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ResolvePage(Mask({"create_time"})),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ResolvePage(Mask({"name"})), absl::StatusCode::kInvalidArgument);
}

TEST(FieldMaskTest, ImmutablePath_IsInvalidArgument) {
  EXPECT_CODE(ResolveUpdateMask(Mask({"kind"}), *v1::Incident::descriptor(),
                                {"title", "components"}),
              absl::StatusCode::kInvalidArgument);
}

TEST(FieldMaskTest, SubfieldPath_IsInvalidArgument) {
  EXPECT_CODE(ResolvePage(Mask({"url.host"})),
              absl::StatusCode::kInvalidArgument);
  EXPECT_CODE(ResolvePage(Mask({"create_time.seconds"})),
              absl::StatusCode::kInvalidArgument);
}

TEST(FieldMaskTest, StarWithOtherPaths_IsInvalidArgument) {
  EXPECT_CODE(ResolvePage(Mask({"*", "url"})),
              absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace incidentd
