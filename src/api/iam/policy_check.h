// Policy documents at the IAM API boundary: validation with the policy
// engine (MalformedPolicyDocument with the engine's message), IAM's size
// quotas (LimitExceeded), and conversions between api::Principal and the
// engine's iam::Principal. Internal to elfs_api_iam.
//
// Thread safety: stateless functions.
#pragma once

#include "api/common/policy_principal.h"

#include <cstddef>
#include <string>
#include <string_view>

#include "api/common/error.h"
#include "api/common/principal.h"
#include "iam/policy.h"
#include "iam/principal.h"

namespace elfs::api::iam {

// MalformedPolicyDocument (400) when the engine rejects the document. Size is
// checked separately by the caller (its quota depends on the entity).
ApiResult<void> CheckPolicy(std::string_view document, elfs::iam::PolicyType type);


}  // namespace elfs::api::iam
