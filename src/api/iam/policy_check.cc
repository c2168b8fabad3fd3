#include "api/iam/policy_check.h"

namespace elfs::api::iam {

ApiResult<void> CheckPolicy(std::string_view document, elfs::iam::PolicyType type) {
  auto parsed = elfs::iam::ParsePolicy(document, type);
  if (!parsed) {
    // The engine's own size check (its limits equal or exceed IAM's) is
    // reported like any other problem of the document.
    return Fail(400, "MalformedPolicyDocument", parsed.error().message());
  }
  return {};
}

}  // namespace elfs::api::iam
