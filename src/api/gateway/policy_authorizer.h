// PolicyAuthorizer: the Authorizer every API call goes through. It turns the
// caller into the policy engine's principal, adds the global condition keys
// (aws:SourceIp, aws:SecureTransport, aws:CurrentTime, aws:EpochTime,
// aws:RequestedRegion; the principal's own keys come from the engine),
// gathers the caller's identity policies and the resource's policy, and asks
// iam::Evaluate, with decisions cached until Invalidate() (the daemon calls
// it on every store change of IAM data or file system policies).
//
// A denial is AccessDenied (403) naming the principal, the action, the
// resource and why, as AWS words it.
//
// Thread safety: thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/common/authorizer.h"
#include "api/common/directory.h"
#include "api/common/policy_principal.h"
#include "iam/cache.h"
#include "iam/evaluate.h"

namespace elfs::api {

class PolicyAuthorizer final : public Authorizer {
 public:
  // The resource-based policy of a resource ARN (the file system policy of
  // a file system, the trust policy of a role), or nullopt when it has none.
  struct ResourcePolicy {
    std::string json;
    iam::PolicyType type = iam::PolicyType::kResource;
  };
  using ResourcePolicyLookup =
      std::function<std::optional<ResourcePolicy>(std::string_view arn, std::string_view action)>;

  // The session policy an assumed-role session was created with (AssumeRole's
  // Policy), or nullopt. A session's permissions are the intersection of its
  // role's policies and this one.
  using SessionPolicyLookup = std::function<std::optional<std::string>(const Principal&)>;

  PolicyAuthorizer(CredentialDirectory& credentials, ResourcePolicyLookup resource_policies,
                   std::string account_id, SessionPolicyLookup session_policies = {});

  tl::expected<void, ApiError> Authorize(const CallContext& ctx, const AuthzRequest& req) override;
  // The whole decision, for explanations (and tests).
  std::shared_ptr<const iam::Decision> Decide(const CallContext& ctx, const AuthzRequest& req);

  void Invalidate();

 private:
  std::shared_ptr<const iam::Policy> Parsed(const std::string& json, iam::PolicyType type);

  CredentialDirectory& credentials_;
  ResourcePolicyLookup resource_policies_;
  const std::string account_;
  SessionPolicyLookup session_policies_;
  iam::DecisionCache cache_;
  std::mutex parsed_mu_;
  // Parsed documents by their text; cleared on Invalidate().
  std::map<std::string, std::shared_ptr<const iam::Policy>> parsed_;  // guarded by parsed_mu_
};

// The global condition keys of a call (SPEC §1.3 and the AWS global keys).
iam::ContextKeys GlobalKeys(const CallContext& ctx);

}  // namespace elfs::api
