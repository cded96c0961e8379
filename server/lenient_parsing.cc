#include "server/lenient_parsing.h"

#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"

namespace incidentd {
namespace {

// The largest field number protobuf allows; no API message uses it.
constexpr int kUnparsedMarker = 536870911;

}  // namespace

bool IsUnparsedRequest(const google::protobuf::Message& request) {
  const google::protobuf::UnknownFieldSet& unknown =
      request.GetReflection()->GetUnknownFields(request);
  for (int i = 0; i < unknown.field_count(); ++i) {
    if (unknown.field(i).number() == kUnparsedMarker) return true;
  }
  return false;
}

void MarkUnparsedRequest(google::protobuf::Message* request) {
  request->Clear();
  request->GetReflection()->MutableUnknownFields(request)->AddVarint(
      kUnparsedMarker, 1);
}

int MethodIndex(const char* service, const char* method) {
  return google::protobuf::DescriptorPool::generated_pool()
      ->FindServiceByName(service)
      ->FindMethodByName(method)
      ->index();
}

}  // namespace incidentd
