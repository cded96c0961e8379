// RETURN_IF_ERROR and ASSIGN_OR_RETURN for absl::Status code; Abseil
// 20220623 does not export its own.
#ifndef INCIDENTD_SERVER_STATUS_MACROS_H_
#define INCIDENTD_SERVER_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define INCIDENTD_STATUS_CONCAT_INNER(a, b) a##b
#define INCIDENTD_STATUS_CONCAT(a, b) INCIDENTD_STATUS_CONCAT_INNER(a, b)

#ifndef RETURN_IF_ERROR
#define RETURN_IF_ERROR(expr)            \
  do {                                   \
    absl::Status _status_ = (expr);      \
    if (!_status_.ok()) return _status_; \
  } while (0)
#endif

#ifndef ASSIGN_OR_RETURN
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  INCIDENTD_ASSIGN_OR_RETURN_IMPL(   \
      INCIDENTD_STATUS_CONCAT(_statusor_, __LINE__), lhs, rexpr)
#define INCIDENTD_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                    \
  if (!statusor.ok()) return std::move(statusor).status();    \
  lhs = std::move(statusor).value()
#endif

#endif  // INCIDENTD_SERVER_STATUS_MACROS_H_
