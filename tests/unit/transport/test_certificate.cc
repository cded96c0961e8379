#include "tests/unit/transport/test_certificate.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace incidentd::testing {

TestCertificate::TestCertificate(std::string dir)
    : dir_(std::move(dir)),
      cert_file_(absl::StrCat(dir_, "/cert.pem")),
      key_file_(absl::StrCat(dir_, "/key.pem")) {}

TestCertificate::~TestCertificate() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

absl::StatusOr<std::unique_ptr<TestCertificate>> TestCertificate::Create() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(
      tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/incidentd-cert-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  std::unique_ptr<TestCertificate> certificate(new TestCertificate(pattern));
  // An EC key: generating it takes milliseconds, an RSA one can take a
  // second on a busy machine. The names are what the tests connect to.
  const std::string command = absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 2 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
      "-keyout '", certificate->key_file_, "' -out '",
      certificate->cert_file_, "' 2>/dev/null");
  const int rc = std::system(command.c_str());
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("openssl req failed (", rc,
                                            "): ", command));
  }
  return certificate;
}

}  // namespace incidentd::testing
