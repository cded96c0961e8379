// The project's status assertions for GoogleTest. Abseil 20220623 ships no
// status matchers, so these few live here and nowhere else.
#ifndef INCIDENTD_TESTS_TESTING_STATUS_MATCHERS_H_
#define INCIDENTD_TESTS_TESTING_STATUS_MATCHERS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace incidentd::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace incidentd::testing

#define EXPECT_OK(expr) \
  EXPECT_TRUE(::incidentd::testing::GetStatus(expr).ok()) \
      << ::incidentd::testing::GetStatus(expr)
#define ASSERT_OK(expr) \
  ASSERT_TRUE(::incidentd::testing::GetStatus(expr).ok()) \
      << ::incidentd::testing::GetStatus(expr)
// Asserts the status code, and prints the status when it differs.
#define EXPECT_CODE(expr, code_value)                               \
  EXPECT_EQ(::incidentd::testing::GetStatus(expr).code(), code_value) \
      << ::incidentd::testing::GetStatus(expr)

#define INCIDENTD_CONCAT_INNER(a, b) a##b
#define INCIDENTD_CONCAT(a, b) INCIDENTD_CONCAT_INNER(a, b)
// ASSERT_OK_AND_ASSIGN(auto x, MakeX()): asserts OK, then moves the value.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL(INCIDENTD_CONCAT(statusor_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  ASSERT_TRUE(statusor.ok()) << statusor.status();      \
  lhs = std::move(statusor).value()

#endif  // INCIDENTD_TESTS_TESTING_STATUS_MATCHERS_H_
