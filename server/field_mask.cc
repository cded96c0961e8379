#include "server/field_mask.h"

#include <algorithm>

#include "server/strings.h"

namespace incidentd {

absl::StatusOr<UpdateMask> ResolveUpdateMask(
    const google::protobuf::FieldMask& mask,
    const google::protobuf::Descriptor& resource,
    std::initializer_list<std::string_view> updatable) {
  UpdateMask result;
  auto is_updatable = [&](std::string_view path) {
    return std::find(updatable.begin(), updatable.end(), path) !=
           updatable.end();
  };
  const bool everything = mask.paths_size() == 0 ||
                          (mask.paths_size() == 1 && mask.paths(0) == "*");
  if (everything) {
    for (std::string_view f : updatable) result.fields_.emplace(std::string(f));
    return result;
  }
  for (const std::string& path : mask.paths()) {
    if (path == "*") {
      return absl::InvalidArgumentError(
          "update_mask: \"*\" must be the only path");
    }
    const std::string_view top =
        std::string_view(path).substr(0, std::min(path.size(), path.find('.')));
    if (resource.FindFieldByName(std::string(top)) == nullptr) {
      return absl::InvalidArgumentError(StrCat("update_mask: \"", path,
                                               "\" is not a field of ",
                                               resource.full_name()));
    }
    if (!is_updatable(top)) {
      return absl::InvalidArgumentError(
          StrCat("update_mask: \"", path,
                 "\" cannot be updated (output only or immutable)"));
    }
    if (top.size() != path.size()) {
      return absl::InvalidArgumentError(StrCat(
          "update_mask: \"", path,
          "\": subfields cannot be updated separately; use \"", top, "\""));
    }
    result.fields_.emplace(std::string(top));
  }
  return result;
}

}  // namespace incidentd
