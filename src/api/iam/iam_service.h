// The IAM Query API (version 2010-05-08) as an api::Service with signing name
// "iam": users, groups, roles, access keys, inline and managed policies with
// versions and attachments, tags, and SimulatePrincipalPolicy /
// SimulateCustomPolicy (the policy engine's explanations). The data lives in
// an IamDirectory shared with StsService and the gateway.
//
// Every operation validates its input against the botocore model, then calls
// authz.Authorize with "iam:<Action>", the resource ARN and its condition keys
// (aws:RequestTag/<k>, aws:TagKeys, aws:ResourceTag/<k>, iam:PolicyARN)
// before it changes anything.
//
// Thread safety: thread-safe (see IamDirectory).
#pragma once

#include <string_view>

#include "api/common/service.h"
#include "api/iam/iam_directory.h"

namespace elfs::api::iam {

class IamService final : public Service {
 public:
  explicit IamService(IamDirectory& directory) : dir_(directory) {}
  std::string_view SigningName() const override { return "iam"; }
  Outcome Handle(const CallContext& ctx, const http::Request& req, Authorizer& authz) override;

 private:
  IamDirectory& dir_;
};

// IAM quotas enforced (AWS defaults; see docs/api*.md). Policy sizes count
// characters other than whitespace.
inline constexpr size_t kUserInlinePolicyChars = 2048;    // aggregate per user
inline constexpr size_t kGroupInlinePolicyChars = 5120;   // aggregate per group
inline constexpr size_t kRoleInlinePolicyChars = 10240;   // aggregate per role
inline constexpr size_t kManagedPolicyChars = 6144;       // per version
inline constexpr size_t kTrustPolicyChars = 2048;         // per role
inline constexpr size_t kAccessKeysPerUser = 2;
inline constexpr size_t kPolicyVersions = 5;
inline constexpr size_t kAttachedPoliciesPerEntity = 10;  // user, group or role
inline constexpr size_t kGroupsPerUser = 10;
inline constexpr size_t kTagsPerEntity = 50;

}  // namespace elfs::api::iam
