#include "api/iam/sts_service.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/common/ids.h"
#include "api/iam/iam_ops.h"
#include "api/iam/policy_check.h"
#include "iam/evaluate.h"

namespace elfs::api::iam {
namespace {

namespace engine = elfs::iam;

ApiError AccessDenied(const CallContext& ctx, std::string_view action, std::string_view resource,
                      std::string_view why = {}) {
  std::string who = ctx.principal.arn.empty() ? "anonymous" : ctx.principal.arn;
  std::string msg = fmt::format("User: {} is not authorized to perform: {} on resource: {}", who,
                                action, resource);
  if (!why.empty()) msg += fmt::format(" ({})", why);
  return ApiError{403, "AccessDenied", std::move(msg)};
}

// 40 random characters five times: as long as AWS's shorter session tokens.
std::string NewSessionToken(Random& random) {
  std::string token;
  for (int i = 0; i < 5; ++i) token += NewSecretKey(random);
  return token;
}

void WriteCredentials(XmlWriter& w, const SessionRecord& s) {
  w.Open("Credentials")
      .Leaf("AccessKeyId", s.access_key_id)
      .Leaf("SecretAccessKey", s.secret)
      .Leaf("SessionToken", s.token)
      .Leaf("Expiration", FormatIso8601(s.expires))
      .Close();
}

// Stores a new session; sessions that expired are removed in the same
// transaction, so the table stays as small as the live sessions.
ApiResult<void> StoreSession(Op& op, const SessionRecord& session) {
  store::Transaction txn;
  auto sessions = op.dir.ListSessions();
  if (!sessions) return Fail(sessions.error());
  for (const auto& s : *sessions) {
    if (s.expires <= op.ctx.now) op.dir.Delete(txn, s);
  }
  op.dir.Put(txn, session);
  return op.dir.Commit(txn);
}

std::vector<engine::LabeledPolicy> CallerPolicies(IamDirectory& dir, const Principal& p) {
  std::vector<engine::LabeledPolicy> out;
  for (const auto& doc : dir.IdentityPolicies(p)) {
    auto parsed = engine::ParseSharedPolicy(doc.json, engine::PolicyType::kIdentity);
    if (!parsed) {
      // Stored documents were valid when written; a stricter engine may
      // refuse one later. It then grants nothing.
      spdlog::warn("sts: identity policy {} no longer parses: {}", doc.source,
                   parsed.error().message());
      continue;
    }
    out.push_back({doc.source, std::move(*parsed)});
  }
  return out;
}

ApiResult<void> GetCallerIdentity(Op& op) {
  // AWS requires no permission for this call (an explicit Deny does not stop
  // it either), so it is not authorized; only anonymous callers are refused.
  const Principal& p = op.ctx.principal;
  if (p.anonymous()) {
    return Fail(AccessDenied(op.ctx, "sts:GetCallerIdentity", "*", "the request was not signed"));
  }
  op.resource = p.arn;
  op.out.Leaf("UserId", p.user_id).Leaf("Account", p.account).Leaf("Arn", p.arn);
  return {};
}

ApiResult<void> AssumeRole(Op& op) {
  auto role_arn = RequireString(op.q, {"RoleArn", "roleArn", 20, 2048});
  if (!role_arn) return Fail(role_arn.error());
  auto session_name =
      RequireString(op.q, {"RoleSessionName", "roleSessionName", 2, 64, Pattern::kSessionName});
  if (!session_name) return Fail(session_name.error());
  auto duration = GetInt(op.q, "DurationSeconds", "durationSeconds", kMinSessionSeconds, 43200);
  if (!duration) return Fail(duration.error());
  auto policy = GetString(op.q, {"Policy", "policy", 1, 2048, Pattern::kPolicyDocument}, false);
  if (!policy) return Fail(policy.error());
  auto external_id =
      GetString(op.q, {"ExternalId", "externalId", 2, 1224, Pattern::kExternalId}, false);
  if (!external_id) return Fail(external_id.error());
  auto source_identity = GetString(
      op.q, {"SourceIdentity", "sourceIdentity", 2, 64, Pattern::kSessionName}, false);
  if (!source_identity) return Fail(source_identity.error());
  auto tags = ParseTags(op.q, false);
  if (!tags) return Fail(tags.error());
  if (!op.q.Indices("PolicyArns.member").empty()) {
    return Fail(ValidationError("Managed session policies (PolicyArns) are not supported; pass "
                                "the document in Policy."));
  }
  if (op.q.Has("SerialNumber") || op.q.Has("TokenCode")) {
    return Fail(ValidationError("MFA is not supported by this service."));
  }
  if (*policy) {
    if (PolicySize(**policy) > kSessionPolicyChars) {
      return Fail(ApiError{400, "PackedPolicyTooLarge",
                           "The session policy is larger than the 2048 characters allowed."});
    }
    if (auto ok = CheckPolicy(**policy, engine::PolicyType::kIdentity); !ok) return ok;
  }

  ConditionKeys keys;
  AddRequestTagKeys(keys, *tags);
  keys["sts:RoleSessionName"] = {*session_name};
  if (*external_id) keys["sts:ExternalId"] = {**external_id};
  if (*source_identity) keys["sts:SourceIdentity"] = {**source_identity};
  if (auto ok = op.Authorize("sts:AssumeRole", *role_arn, keys); !ok) return ok;

  const Principal& caller = op.ctx.principal;
  if (caller.anonymous() || caller.kind == Principal::Kind::kRoot) {
    return Fail(AccessDenied(op.ctx, "sts:AssumeRole", *role_arn,
                             caller.anonymous() ? "anonymous callers may not assume roles"
                                                : "roles may not be assumed by root accounts"));
  }
  // Only roles of this account exist here; AWS does not say whether a role
  // exists to someone who may not assume it.
  std::string prefix = "arn:aws:iam::" + op.dir.account() + ":role/";
  if (role_arn->rfind(prefix, 0) != 0) return Fail(AccessDenied(op.ctx, "sts:AssumeRole", *role_arn));
  std::string role_name = role_arn->substr(role_arn->rfind('/') + 1);
  auto role = op.dir.GetRole(role_name);
  if (!role) return Fail(role.error());
  if (!*role || op.dir.RoleArn((*role)->path, (*role)->name) != *role_arn) {
    return Fail(AccessDenied(op.ctx, "sts:AssumeRole", *role_arn));
  }

  auto trust = engine::ParseSharedPolicy((*role)->trust_policy, engine::PolicyType::kTrust);
  if (!trust) {
    spdlog::warn("sts: trust policy of role {} no longer parses: {}", (*role)->name,
                 trust.error().message());
    return Fail(AccessDenied(op.ctx, "sts:AssumeRole", *role_arn));
  }
  engine::RequestContext request;
  request.action = "sts:AssumeRole";
  request.resource = *role_arn;
  request.principal = ToPolicyPrincipal(caller);
  for (const auto& [k, v] : keys) request.keys[k] = v;
  request.keys["aws:CurrentTime"] = {FormatIso8601(op.ctx.now)};
  request.keys["aws:SecureTransport"] = {op.ctx.secure_transport ? "true" : "false"};
  if (!op.ctx.source_ip.empty()) request.keys["aws:SourceIp"] = {op.ctx.source_ip};

  // One evaluation over the caller's identity policies with the trust policy
  // as the resource policy: the engine applies AWS's rules (an explicit Deny
  // anywhere wins; a trust policy naming the caller allows by itself; one
  // naming only the account needs an identity policy's Allow too).
  engine::PolicySet policies;
  policies.identity = CallerPolicies(op.dir, caller);
  policies.resource = engine::LabeledPolicy{"trust-policy", *trust};
  policies.resource_account = op.dir.account();
  engine::Decision decision = engine::Evaluate(policies, request);
  if (!decision.allowed()) {
    return Fail(AccessDenied(op.ctx, "sts:AssumeRole", *role_arn, decision.basis));
  }
  // Unlike other resource policies, a trust policy is required: an identity
  // policy's Allow alone never lets anyone assume a role (IAM User Guide,
  // "How IAM roles differ from resource-based policies").
  bool trusted = std::any_of(decision.matched.begin(), decision.matched.end(), [](const auto& m) {
    return m.resource_policy && m.effect == engine::Effect::kAllow;
  });
  if (!trusted) {
    return Fail(AccessDenied(op.ctx, "sts:AssumeRole", *role_arn,
                             "the role's trust policy does not allow it"));
  }

  int seconds = static_cast<int>(duration->value_or(kDefaultSessionSeconds));
  if (caller.kind == Principal::Kind::kAssumedRole && seconds > kRoleChainingMaxSeconds) {
    return Fail(ValidationError(
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining."));
  }
  if (seconds > (*role)->max_session_duration) {
    return Fail(ValidationError(fmt::format(
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")));
  }

  SessionRecord s;
  s.access_key_id = NewIamId(op.dir.random(), "ASIA", 16);
  s.secret = NewSecretKey(op.dir.random());
  s.token = NewSessionToken(op.dir.random());
  s.expires = op.ctx.now + std::chrono::seconds(seconds);
  s.kind = Principal::Kind::kAssumedRole;
  s.role = Lower((*role)->name);
  s.role_name = (*role)->name;
  s.role_path = (*role)->path;
  s.role_id = (*role)->id;
  s.session_name = *session_name;
  s.session_policy = policy->value_or("");
  s.session_tags = std::move(*tags);
  if (auto ok = StoreSession(op, s); !ok) return ok;

  WriteCredentials(op.out, s);
  op.out.Open("AssumedRoleUser")
      .Leaf("AssumedRoleId", s.role_id + ":" + s.session_name)
      .Leaf("Arn", "arn:aws:sts::" + op.dir.account() + ":assumed-role/" + s.role_name + "/" +
                       s.session_name)
      .Close();
  if (*policy) {
    // Percentage of the allowed size, as STS reports it.
    op.out.Leaf("PackedPolicySize",
                std::to_string(PolicySize(**policy) * 100 / kSessionPolicyChars));
  }
  if (*source_identity) op.out.Leaf("SourceIdentity", **source_identity);
  return {};
}

ApiResult<void> GetSessionToken(Op& op) {
  const Principal& caller = op.ctx.principal;
  int max = caller.kind == Principal::Kind::kRoot ? kRootSessionTokenMaxSeconds
                                                  : kSessionTokenMaxSeconds;
  auto duration = GetInt(op.q, "DurationSeconds", "durationSeconds", kMinSessionSeconds,
                         kSessionTokenMaxSeconds);
  if (!duration) return Fail(duration.error());
  if (op.q.Has("SerialNumber") || op.q.Has("TokenCode")) {
    return Fail(ValidationError("MFA is not supported by this service."));
  }
  if (auto ok = op.Authorize("sts:GetSessionToken", "*"); !ok) return ok;
  if (caller.anonymous() || caller.kind == Principal::Kind::kAssumedRole ||
      caller.access_key_id.rfind("ASIA", 0) == 0) {
    return Fail(AccessDenied(op.ctx, "sts:GetSessionToken", "*",
                             "Cannot call GetSessionToken with session credentials"));
  }
  SessionRecord s;
  s.access_key_id = NewIamId(op.dir.random(), "ASIA", 16);
  s.secret = NewSecretKey(op.dir.random());
  s.token = NewSessionToken(op.dir.random());
  int seconds = static_cast<int>(std::min<long long>(duration->value_or(43200), max));
  s.expires = op.ctx.now + std::chrono::seconds(seconds);
  s.kind = caller.kind;
  if (caller.kind == Principal::Kind::kUser) s.user = Lower(caller.name);
  if (auto ok = StoreSession(op, s); !ok) return ok;
  WriteCredentials(op.out, s);
  return {};
}

constexpr OpSpec kStsOps[] = {
    {"GetCallerIdentity", GetCallerIdentity, true, false},
    {"AssumeRole", AssumeRole, true, true},
    {"GetSessionToken", GetSessionToken, true, true},
};

constexpr ProtocolInfo kSts{"sts", kStsVersion, kStsXmlns};

}  // namespace

Outcome StsService::Handle(const CallContext& ctx, const http::Request& req, Authorizer& authz) {
  return HandleQuery(kSts, kStsOps, ctx, req, authz, dir_);
}

}  // namespace elfs::api::iam
