// Where the tests find the real MariaDB that `make test` starts: the
// INCIDENTD_MYSQL_{HOST,PORT,USER,PASSWORD} environment variables.
#ifndef INCIDENTD_TESTS_TESTING_TEST_ENV_H_
#define INCIDENTD_TESTS_TESTING_TEST_ENV_H_

#include <cstdlib>
#include <string>

namespace incidentd::testing {

struct MysqlEnv {
  std::string host;
  int port = 0;
  std::string user;
  std::string password;
};

// Reads the environment; aborts with a clear message when it is missing,
// because an integration test without its database must fail, not skip.
inline MysqlEnv GetMysqlEnv() {
  auto get = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
      fprintf(stderr,
              "%s is not set: run integration and e2e tests through "
              "`make test`, which starts the database\n",
              name);
      std::abort();
    }
    return v;
  };
  MysqlEnv env;
  env.host = get("INCIDENTD_MYSQL_HOST");
  env.port = std::atoi(get("INCIDENTD_MYSQL_PORT").c_str());
  env.user = get("INCIDENTD_MYSQL_USER");
  env.password = get("INCIDENTD_MYSQL_PASSWORD");
  return env;
}

}  // namespace incidentd::testing

#endif  // INCIDENTD_TESTS_TESTING_TEST_ENV_H_
