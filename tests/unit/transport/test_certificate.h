// A throwaway self-signed certificate for localhost and 127.0.0.1, made with
// the openssl command, for the HTTPS receiver and the STARTTLS sink.
#ifndef INCIDENTD_TESTS_UNIT_TRANSPORT_TEST_CERTIFICATE_H_
#define INCIDENTD_TESTS_UNIT_TRANSPORT_TEST_CERTIFICATE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace incidentd::testing {

class TestCertificate {
 public:
  // Generates a key and certificate (PEM) in a new temporary directory.
  static absl::StatusOr<std::unique_ptr<TestCertificate>> Create();
  ~TestCertificate();  // deletes the directory
  TestCertificate(const TestCertificate&) = delete;
  TestCertificate& operator=(const TestCertificate&) = delete;

  // The certificate doubles as its own CA bundle (CurlWebhookOptions and
  // CurlMailOptions ca_file).
  const std::string& cert_file() const { return cert_file_; }
  const std::string& key_file() const { return key_file_; }

 private:
  explicit TestCertificate(std::string dir);
  std::string dir_;
  std::string cert_file_;
  std::string key_file_;
};

}  // namespace incidentd::testing

#endif  // INCIDENTD_TESTS_UNIT_TRANSPORT_TEST_CERTIFICATE_H_
