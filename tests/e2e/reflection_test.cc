// Server reflection, as grpcurl uses it. No reflection.proto is installed,
// but libgrpc++_reflection carries the generated descriptors of
// grpc.reflection.v1alpha: this test finds them in the generated pool,
// builds requests with the message factory, and speaks the bidi stream
// through grpc::GenericStub.
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/generic/generic_stub.h>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "tests/e2e/server_harness.h"
#include "tests/testing/status_matchers.h"

namespace incidentd::e2e {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::MessageFactory;
using ::testing::IsSupersetOf;

constexpr char kMethod[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

std::unique_ptr<Message> NewMessage(const std::string& full_name) {
  // A real call into libgrpc++_reflection, so that the linker (Debian links
  // --as-needed) keeps the library, and with it the descriptors this test
  // needs; a mere reference is optimised away in release builds. It only
  // registers a server builder plugin, which this process never uses.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  const Descriptor* descriptor =
      DescriptorPool::generated_pool()->FindMessageTypeByName(full_name);
  if (descriptor == nullptr) return nullptr;
  return std::unique_ptr<Message>(
      MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
}

const FieldDescriptor* Field(const Message& message, const char* name) {
  return message.GetDescriptor()->FindFieldByName(name);
}

// One request on the reflection stream, and the one response to it.
absl::StatusOr<std::unique_ptr<Message>> Reflect(
    ServerProcess& server, const std::string& field, const std::string& value) {
  std::unique_ptr<Message> request =
      NewMessage("grpc.reflection.v1alpha.ServerReflectionRequest");
  std::unique_ptr<Message> response =
      NewMessage("grpc.reflection.v1alpha.ServerReflectionResponse");
  if (request == nullptr || response == nullptr) {
    return absl::InternalError(
        "grpc.reflection.v1alpha descriptors are not linked in");
  }
  request->GetReflection()->SetString(request.get(),
                                      Field(*request, field.c_str()), value);
  std::string bytes;
  request->SerializeToString(&bytes);

  grpc::GenericStub stub(server.client().channel());
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  server.client().PrepareContext(context);
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, kMethod, &cq);
  // Each operation is waited for before the next one starts.
  auto await = [&cq](intptr_t want) {
    void* tag = nullptr;
    bool ok = false;
    return cq.Next(&tag, &ok) && reinterpret_cast<intptr_t>(tag) == want && ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  bool ok = await(1);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer outgoing(&slice, 1);
  if (ok) {
    call->Write(outgoing, reinterpret_cast<void*>(2));
    ok = await(2);
  }
  if (ok) {
    call->WritesDone(reinterpret_cast<void*>(3));
    ok = await(3);
  }
  grpc::ByteBuffer incoming;
  bool got_response = false;
  if (ok) {
    call->Read(&incoming, reinterpret_cast<void*>(4));
    got_response = await(4);
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  void* tag = nullptr;
  bool finished = false;
  while (cq.Next(&tag, &finished)) {
    if (reinterpret_cast<intptr_t>(tag) == 5) break;
  }
  cq.Shutdown();
  while (cq.Next(&tag, &finished)) {
  }
  if (!status.ok()) return client::FromGrpcStatus(status);
  if (!got_response) return absl::InternalError("no reflection response");
  std::vector<grpc::Slice> slices;
  if (!incoming.Dump(&slices).ok()) return absl::InternalError("bad buffer");
  std::string received;
  for (const grpc::Slice& s : slices) {
    received.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (!response->ParseFromString(received)) {
    return absl::InternalError("unparsable reflection response");
  }
  return response;
}

class ReflectionTest : public ServerTest {};

TEST_F(ReflectionTest, ListServices_NamesEveryIncidentdServiceAndHealth) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Message> response,
                       Reflect(*server_, "list_services", ""));
  const Message& list = response->GetReflection()->GetMessage(
      *response, Field(*response, "list_services_response"));
  const FieldDescriptor* services = Field(list, "service");
  std::vector<std::string> names;
  for (int i = 0; i < list.GetReflection()->FieldSize(list, services); ++i) {
    const Message& service =
        list.GetReflection()->GetRepeatedMessage(list, services, i);
    names.push_back(
        service.GetReflection()->GetString(service, Field(service, "name")));
  }
  EXPECT_THAT(names, IsSupersetOf({"incidentd.v1.PageService",
                                   "incidentd.v1.ComponentService",
                                   "incidentd.v1.IncidentService",
                                   "incidentd.v1.PostmortemService",
                                   "grpc.health.v1.Health"}));
}

TEST_F(ReflectionTest, FileContainingSymbol_DescribesTheIncidentService) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Message> response,
                       Reflect(*server_, "file_containing_symbol",
                               "incidentd.v1.IncidentService"));
  const Message& files = response->GetReflection()->GetMessage(
      *response, Field(*response, "file_descriptor_response"));
  const FieldDescriptor* protos = Field(files, "file_descriptor_proto");
  ASSERT_GE(files.GetReflection()->FieldSize(files, protos), 1);
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(
      files.GetReflection()->GetRepeatedString(files, protos, 0)));
  EXPECT_EQ(file.name(), "incidentd/v1/incidents.proto");
  EXPECT_EQ(file.package(), "incidentd.v1");
  ASSERT_GE(file.service_size(), 1);
  EXPECT_EQ(file.service(0).name(), "IncidentService");
}

}  // namespace
}  // namespace incidentd::e2e
