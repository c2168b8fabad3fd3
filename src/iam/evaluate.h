// The evaluator: AWS's policy evaluation logic over one request.
//
// What is implemented (AWS IAM User Guide, "Policy evaluation logic"):
//  1. Every statement of every policy in the set is checked against the
//     request (action, resource, principal for resource/trust policies,
//     conditions).
//  2. An explicit Deny in any of them decides: kExplicitDeny. This holds for
//     the account root user too (a root user has no identity policies, but a
//     resource policy Deny applies to it).
//  3. The account root user of the resource's account may do everything in
//     its account: kAllow ("By default, all requests are implicitly denied
//     with the exception of the AWS account root user, which has full
//     access"). Not for trust policies: root may not assume roles.
//  4. Same account (principal's account == resource_account, or
//     resource_account empty): an Allow in an identity policy OR in the
//     resource policy suffices.
//  5. Cross-account: the resource policy must allow AND the principal's own
//     account must allow (an identity policy Allow, or the principal is the
//     root user of its account).
//  6. Anonymous and service principals have no identity policies: only the
//     resource policy can allow them.
//  7. Otherwise kImplicitDeny.
// Role sessions are evaluated with the role's identity policies (the caller
// puts them in the set) and match resource-policy principals naming the
// session ARN, the role ARN or the account.
//  8. A session policy (AssumeRole's Policy) limits a session to the
//     intersection (IAM User Guide, "Session policies"): what the rules above
//     allow must be allowed by the session policy too, and its explicit Deny
//     wins. Permission boundaries, SCPs and RCPs do not exist in elfs.
//
// Thread safety: Evaluate is a pure function of its arguments.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "iam/context.h"
#include "iam/explain.h"
#include "iam/policy.h"

namespace elfs::iam {

struct LabeledPolicy {
  std::string label;  // "user/alice:inline/AllowEfs", "file-system-policy", ...
  std::shared_ptr<const Policy> policy;
};

struct PolicySet {
  std::vector<LabeledPolicy> identity;   // the user's, its groups', the role's
  std::optional<LabeledPolicy> resource; // the file system policy / trust policy
  std::string resource_account;          // the account that owns the resource
  // An assumed-role session's own policy (null policy: unreadable, allows nothing).
  std::optional<LabeledPolicy> session;
};

Decision Evaluate(const PolicySet& policies, const RequestContext& request);

// The policy EFS applies when a file system has none: every principal that
// reaches a mount target, anonymous included, gets ClientMount, ClientWrite
// and ClientRootAccess (condition elasticfilesystem:AccessedViaMountTarget =
// true). Its label is kDefaultEfsPolicyLabel.
const std::shared_ptr<const Policy>& DefaultEfsFileSystemPolicy();
inline constexpr std::string_view kDefaultEfsPolicyLabel = "default-file-system-policy";
// {kDefaultEfsPolicyLabel, DefaultEfsFileSystemPolicy()}
LabeledPolicy DefaultEfsResourcePolicy();

}  // namespace elfs::iam
