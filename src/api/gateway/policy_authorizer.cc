#include "api/gateway/policy_authorizer.h"

#include <spdlog/spdlog.h>

#include "api/common/ids.h"

namespace elfs::api {

iam::ContextKeys GlobalKeys(const CallContext& ctx) {
  iam::ContextKeys keys;
  if (!ctx.source_ip.empty()) keys["aws:SourceIp"] = {ctx.source_ip};
  keys["aws:SecureTransport"] = {ctx.secure_transport ? "true" : "false"};
  keys["aws:CurrentTime"] = {FormatIso8601(ctx.now)};
  keys["aws:EpochTime"] = {std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(ctx.now.time_since_epoch()).count())};
  if (!ctx.region.empty()) keys["aws:RequestedRegion"] = {ctx.region};
  return keys;
}

PolicyAuthorizer::PolicyAuthorizer(CredentialDirectory& credentials,
                                   ResourcePolicyLookup resource_policies, std::string account_id,
                                   SessionPolicyLookup session_policies)
    : credentials_(credentials),
      resource_policies_(std::move(resource_policies)),
      account_(std::move(account_id)),
      session_policies_(std::move(session_policies)) {}

void PolicyAuthorizer::Invalidate() {
  cache_.Invalidate();
  std::lock_guard lock(parsed_mu_);
  parsed_.clear();
}

std::shared_ptr<const iam::Policy> PolicyAuthorizer::Parsed(const std::string& json,
                                                            iam::PolicyType type) {
  // The type is part of the key: the same text may be valid as one type only.
  std::string key = std::string(iam::PolicyTypeName(type)) + "\n" + json;
  {
    std::lock_guard lock(parsed_mu_);
    auto it = parsed_.find(key);
    if (it != parsed_.end()) return it->second;
  }
  auto p = iam::ParseSharedPolicy(json, type);
  if (!p) {
    // Stored policies were validated when written; one that no longer parses
    // grants nothing.
    spdlog::warn("authorizer: ignoring a stored policy that does not parse: {}",
                 p.error().message());
    return nullptr;
  }
  std::lock_guard lock(parsed_mu_);
  if (parsed_.size() > 4096) parsed_.clear();
  parsed_.emplace(std::move(key), *p);
  return *p;
}

std::shared_ptr<const iam::Decision> PolicyAuthorizer::Decide(const CallContext& ctx,
                                                             const AuthzRequest& req) {
  iam::RequestContext rc;
  rc.action = req.action;
  rc.resource = req.resource;
  rc.principal = ToPolicyPrincipal(ctx.principal);
  rc.keys = GlobalKeys(ctx);
  for (const auto& [k, v] : req.context) rc.keys[k] = v;

  std::optional<std::string> session_policy;
  if (session_policies_ && ctx.principal.kind == Principal::Kind::kAssumedRole) {
    session_policy = session_policies_(ctx.principal);
    // Sessions of one role and name may carry different session policies:
    // the key they were issued under keeps their cached decisions apart.
    if (session_policy) rc.keys["elfs:SessionAccessKeyId"] = {ctx.principal.access_key_id};
  }

  uint64_t generation = cache_.generation();
  std::string key = iam::DecisionCache::Key(rc);
  if (auto hit = cache_.Get(key)) return hit;

  iam::PolicySet set;
  set.resource_account = account_;
  for (const auto& doc : credentials_.IdentityPolicies(ctx.principal)) {
    if (auto p = Parsed(doc.json, iam::PolicyType::kIdentity)) set.identity.push_back({doc.source, p});
  }
  if (resource_policies_ && req.resource != "*") {
    if (auto rp = resource_policies_(req.resource, req.action)) {
      if (auto p = Parsed(rp->json, rp->type)) {
        set.resource = iam::LabeledPolicy{"resource-policy:" + req.resource, p};
      }
    }
  }
  if (session_policy) {
    // Validated by AssumeRole; one that no longer parses allows nothing.
    set.session = iam::LabeledPolicy{"session-policy",
                                     Parsed(*session_policy, iam::PolicyType::kIdentity)};
  }
  iam::Decision decision = iam::Evaluate(set, rc);
  auto shared = std::make_shared<const iam::Decision>(std::move(decision));
  cache_.Put(key, shared, generation);
  return shared;
}

tl::expected<void, ApiError> PolicyAuthorizer::Authorize(const CallContext& ctx,
                                                         const AuthzRequest& req) {
  auto decision = Decide(ctx, req);
  if (decision->allowed()) return {};
  return tl::unexpected<ApiError>(ApiError{403, "AccessDenied", decision->Reason()});
}

}  // namespace elfs::api
