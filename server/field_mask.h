// Update masks (AIP-134): which fields of a resource an Update writes. An
// empty mask, or "*", means every updatable field; a path that is not a
// field of the resource, or names an output-only or immutable field, is
// INVALID_ARGUMENT.
#ifndef INCIDENTD_SERVER_FIELD_MASK_H_
#define INCIDENTD_SERVER_FIELD_MASK_H_

#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/field_mask.pb.h"
#include "server/strings.h"

namespace incidentd {

class UpdateMask {
 public:
  // Whether the update writes this top-level field of the resource.
  bool Has(std::string_view field) const {
    return fields_.contains(ToAbsl(field));
  }

 private:
  friend absl::StatusOr<UpdateMask> ResolveUpdateMask(
      const google::protobuf::FieldMask&, const google::protobuf::Descriptor&,
      std::initializer_list<std::string_view>);
  absl::flat_hash_set<std::string> fields_;
};

// `updatable` are top-level field names of `resource` (as in the proto).
absl::StatusOr<UpdateMask> ResolveUpdateMask(
    const google::protobuf::FieldMask& mask,
    const google::protobuf::Descriptor& resource,
    std::initializer_list<std::string_view> updatable);

}  // namespace incidentd

#endif  // INCIDENTD_SERVER_FIELD_MASK_H_
