#include "server/client_policy_source.h"

#include <chrono>

#include "api/common/policy_principal.h"

namespace elfs::server {

std::string ClientPolicySourceAdapter::FileSystemArn(const std::string& fs_id) {
  return efs_.FileSystemArn(fs_id);
}

std::optional<std::string> ClientPolicySourceAdapter::FileSystemPolicy(const std::string& fs_id) {
  return efs_.FileSystemPolicy(fs_id);
}

Result<authz::ResolvedPrincipal> ClientPolicySourceAdapter::ResolveAccessKey(
    const std::string& access_key_id, const std::string& session_token) {
  auto key = credentials_.FindAccessKey(access_key_id);
  if (!key) return Err(Errc::kNotFound, "unknown access key");
  if (!key->active) return Err(Errc::kAccess, "the access key is inactive");
  // Session credentials work only with their own token; a long-term key
  // carries none.
  if (key->session_token != session_token)
    return Err(Errc::kAccess, key->session_token.empty()
                                  ? "a session token was given for a long-term access key"
                                  : "the session token does not match the access key");
  authz::ResolvedPrincipal out;
  if (key->expires) {
    out.expires = std::chrono::duration_cast<std::chrono::seconds>(
                      key->expires->time_since_epoch())
                      .count();
    if (*out.expires <= clock_.Now().sec) return Err(Errc::kAccess, "the session expired");
  }
  out.principal = api::ToPolicyPrincipal(key->principal);
  if (!key->session_policy.empty())
    out.session_policy = authz::ResolvedPrincipal::PolicyText{"session-policy", key->session_policy};
  for (auto& doc : credentials_.IdentityPolicies(key->principal))
    out.identity_policies.push_back({std::move(doc.source), std::move(doc.json)});
  return out;
}

std::optional<authz::AccessPointConfig> ClientPolicySourceAdapter::FindAccessPoint(
    const std::string& ap_id) {
  auto ap = efs_.FindAccessPoint(ap_id);
  if (!ap) return std::nullopt;
  authz::AccessPointConfig out;
  out.id = ap->access_point_id;
  out.arn = ap->arn;
  out.file_system_id = ap->file_system_id;
  if (ap->posix_user)
    out.posix_user = authz::AccessPointConfig::PosixUser{ap->posix_user->uid, ap->posix_user->gid,
                                                         ap->posix_user->secondary_gids};
  out.root_path = ap->root_path.empty() ? "/" : ap->root_path;
  if (ap->creation_info)
    out.creation_info = authz::AccessPointConfig::CreationInfo{
        ap->creation_info->owner_uid, ap->creation_info->owner_gid,
        ap->creation_info->permissions};
  return out;
}

}  // namespace elfs::server
