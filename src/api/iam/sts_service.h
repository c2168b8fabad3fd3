// The STS Query API (version 2011-06-15) as an api::Service with signing name
// "sts": GetCallerIdentity, AssumeRole (temporary credentials checked against
// the role's trust policy) and GetSessionToken. Sessions are stored in the
// shared IamDirectory ("iam/session"), so FindAccessKey finds them.
//
// AssumeRole decides with the policy engine, as AWS does for a role in the
// caller's own account: an explicit Deny in the trust policy or in the
// caller's identity policies refuses; otherwise the trust policy must allow
// the caller, and when it allows only through the account (or "*") rather
// than naming the caller, an identity policy of the caller must allow
// sts:AssumeRole on the role too. The account root may not assume roles.
// Role chaining (a role session assuming a role) is limited to one hour.
//
// Thread safety: thread-safe (see IamDirectory).
#pragma once

#include <string_view>

#include "api/common/service.h"
#include "api/iam/iam_directory.h"

namespace elfs::api::iam {

class StsService final : public Service {
 public:
  explicit StsService(IamDirectory& directory) : dir_(directory) {}
  std::string_view SigningName() const override { return "sts"; }
  Outcome Handle(const CallContext& ctx, const http::Request& req, Authorizer& authz) override;

 private:
  IamDirectory& dir_;
};

inline constexpr int kDefaultSessionSeconds = 3600;
inline constexpr int kMinSessionSeconds = 900;
inline constexpr int kRoleChainingMaxSeconds = 3600;
inline constexpr int kSessionTokenMaxSeconds = 129600;  // GetSessionToken, IAM users
inline constexpr int kRootSessionTokenMaxSeconds = 3600;
inline constexpr size_t kSessionPolicyChars = 2048;

}  // namespace elfs::api::iam
