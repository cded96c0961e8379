#include "server/lenient_parsing.h"

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"

namespace incidentd {
namespace {

// The largest field number protobuf allows; no API message uses it.
constexpr int kUnparsedMarker = 536870911;

}  // namespace

ParseFailure ParseFailureOf(const google::protobuf::Message& request) {
  const google::protobuf::UnknownFieldSet& unknown =
      request.GetReflection()->GetUnknownFields(request);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const google::protobuf::UnknownField& field = unknown.field(i);
    if (field.number() != kUnparsedMarker ||
        field.type() != google::protobuf::UnknownField::TYPE_VARINT) {
      continue;
    }
    return field.varint() == static_cast<uint64_t>(ParseFailure::kMissing)
               ? ParseFailure::kMissing
               : ParseFailure::kMalformed;
  }
  return ParseFailure::kNone;
}

void MarkUnparsedRequest(google::protobuf::Message* request,
                         ParseFailure why) {
  request->Clear();
  request->GetReflection()->MutableUnknownFields(request)->AddVarint(
      kUnparsedMarker, static_cast<uint64_t>(why));
}

void ParseRawRequest(const grpc::ByteBuffer& bytes,
                     google::protobuf::Message* request) {
  // A call that ended before its message arrived has no buffer at all.
  if (!bytes.Valid()) {
    MarkUnparsedRequest(request, ParseFailure::kMissing);
    return;
  }
  std::vector<grpc::Slice> slices;
  if (!bytes.Dump(&slices).ok()) {
    MarkUnparsedRequest(request, ParseFailure::kMalformed);
    return;
  }
  std::string wire;
  wire.reserve(bytes.Length());
  for (const grpc::Slice& slice : slices) {
    wire.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  if (!request->ParseFromString(wire)) {
    MarkUnparsedRequest(request, ParseFailure::kMalformed);
  }
}

int MethodIndex(const char* service, const char* method) {
  return google::protobuf::DescriptorPool::generated_pool()
      ->FindServiceByName(service)
      ->FindMethodByName(method)
      ->index();
}

}  // namespace incidentd
