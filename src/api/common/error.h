// The API layer's error: what AWS clients see. Services build these from
// their own error tables; Status from lower layers (the store) becomes one in
// FromStatus(), the one place that maps Errc to an AWS error.
#pragma once

#include <string>

#include <tl/expected.hpp>

#include "common/status.h"

namespace elfs::api {

struct ApiError {
  int http_status = 400;
  std::string code;     // "FileSystemNotFound", "NoSuchEntity", "InvalidParameterValue", ...
  std::string message;  // human-readable, safe to show the caller (never a secret)
};

template <class T>
using ApiResult = tl::expected<T, ApiError>;

inline tl::unexpected<ApiError> Fail(int http_status, std::string code, std::string message) {
  return tl::unexpected<ApiError>(ApiError{http_status, std::move(code), std::move(message)});
}
inline tl::unexpected<ApiError> Fail(ApiError e) { return tl::unexpected<ApiError>(std::move(e)); }

// Store and other internal failures: a concurrent change is retryable
// (409/ConflictException style is service-specific, so callers that can
// retry should do so before reaching here); anything else is a 500.
ApiError FromStatus(const Status& s);

}  // namespace elfs::api
