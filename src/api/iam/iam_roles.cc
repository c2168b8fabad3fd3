// IAM roles: trust policies (validated by the policy engine as kTrust),
// descriptions, session durations, tags.
#include <fmt/format.h>

#include "api/common/ids.h"
#include "api/iam/iam_entity.h"
#include "api/iam/policy_check.h"

namespace elfs::api::iam {

void WriteRoleFields(XmlWriter& w, IamDirectory& d, const RoleRecord& r, bool with_details) {
  w.Leaf("Path", r.path)
      .Leaf("RoleName", r.name)
      .Leaf("RoleId", r.id)
      .Leaf("Arn", d.RoleArn(r.path, r.name))
      .Leaf("CreateDate", FormatIso8601(r.created))
      .Leaf("AssumeRolePolicyDocument", UrlEncode(r.trust_policy));
  if (!r.description.empty()) w.Leaf("Description", r.description);
  w.Leaf("MaxSessionDuration", std::to_string(r.max_session_duration));
  if (with_details) {
    if (!r.tags.empty()) WriteTags(w, r.tags);
    w.Open("RoleLastUsed").Close();
  }
}

namespace {

constexpr StringRule kTrustDocument{"AssumeRolePolicyDocument", "assumeRolePolicyDocument", 1,
                                    131072, Pattern::kPolicyDocument};
constexpr StringRule kDescription{"Description", "description", 0, 1000, Pattern::kDescription};

// A trust policy: engine validation as kTrust, then IAM's size quota.
ApiResult<void> CheckTrustPolicy(std::string_view document) {
  if (PolicySize(document) > kTrustPolicyChars) {
    return Fail(LimitExceeded(
        fmt::format("Cannot exceed quota for ACLSizePerRole: {}", kTrustPolicyChars)));
  }
  return CheckPolicy(document, elfs::iam::PolicyType::kTrust);
}

ApiResult<RoleRecord> AuthorizedRole(Op& op, std::string_view action, std::string_view name,
                                     ConditionKeys extra = {}) {
  return AuthorizedEntity<RoleRecord>(op, action, name, std::move(extra));
}

}  // namespace

ApiResult<void> CreateRole(Op& op) {
  auto name = RequireString(op.q, rules::kRoleName);
  if (!name) return Fail(name.error());
  auto path = GetString(op.q, rules::kPath, false);
  if (!path) return Fail(path.error());
  auto trust = RequireString(op.q, kTrustDocument);
  if (!trust) return Fail(trust.error());
  auto description = GetString(op.q, kDescription, false);
  if (!description) return Fail(description.error());
  auto max_session = GetInt(op.q, "MaxSessionDuration", "maxSessionDuration", 3600, 43200);
  if (!max_session) return Fail(max_session.error());
  auto boundary = GetString(op.q, {"PermissionsBoundary", "permissionsBoundary", 20, 2048}, false);
  if (!boundary) return Fail(boundary.error());
  auto tags = ParseTags(op.q, false);
  if (!tags) return Fail(tags.error());
  if (*boundary) {
    return Fail(InvalidInput("Permissions boundaries are not supported by this service."));
  }
  if (auto ok = CheckTrustPolicy(*trust); !ok) return ok;
  RoleRecord r;
  r.name = *name;
  r.path = path->value_or("/");
  ConditionKeys keys;
  AddRequestTagKeys(keys, *tags);
  if (auto ok = op.Authorize("iam:CreateRole", op.dir.RoleArn(r.path, r.name), std::move(keys));
      !ok) {
    return ok;
  }
  auto existing = op.dir.GetRole(r.name);
  if (!existing) return Fail(existing.error());
  if (*existing) {
    return Fail(EntityAlreadyExists(fmt::format("Role with name {} already exists.", r.name)));
  }
  r.id = NewIamId(op.dir.random(), "AROA", 17);
  r.created = op.ctx.now;
  r.trust_policy = std::move(*trust);
  r.description = description->value_or("");
  r.max_session_duration = static_cast<int>(max_session->value_or(3600));
  r.tags = std::move(*tags);
  store::Transaction txn;
  op.dir.Put(txn, r);
  if (auto ok = op.dir.Commit(txn); !ok) return ok;
  op.out.Open("Role");
  WriteRoleFields(op.out, op.dir, r, false);
  if (!r.tags.empty()) WriteTags(op.out, r.tags);
  op.out.Close();
  return {};
}

ApiResult<void> GetRole(Op& op) {
  auto role = GetAndWriteEntity<RoleRecord>(op);
  if (!role) return Fail(role.error());
  return {};
}

ApiResult<void> ListRoles(Op& op) { return ListEntities<RoleRecord>(op); }

ApiResult<void> UpdateRole(Op& op) {
  auto name = RequireString(op.q, rules::kRoleName);
  if (!name) return Fail(name.error());
  auto description = GetString(op.q, kDescription, false);
  if (!description) return Fail(description.error());
  auto max_session = GetInt(op.q, "MaxSessionDuration", "maxSessionDuration", 3600, 43200);
  if (!max_session) return Fail(max_session.error());
  auto role = AuthorizedRole(op, "iam:UpdateRole", *name);
  if (!role) return Fail(role.error());
  if (*description) role->description = **description;
  if (*max_session) role->max_session_duration = static_cast<int>(**max_session);
  return Save(op.dir, *role);
}

ApiResult<void> UpdateAssumeRolePolicy(Op& op) {
  auto name = RequireString(op.q, rules::kRoleName);
  if (!name) return Fail(name.error());
  auto doc = RequireString(op.q, rules::kPolicyDocument);
  if (!doc) return Fail(doc.error());
  if (auto ok = CheckTrustPolicy(*doc); !ok) return ok;
  auto role = AuthorizedRole(op, "iam:UpdateAssumeRolePolicy", *name);
  if (!role) return Fail(role.error());
  role->trust_policy = std::move(*doc);
  return Save(op.dir, *role);
}

ApiResult<void> DeleteRole(Op& op) {
  auto name = RequireString(op.q, rules::kRoleName);
  if (!name) return Fail(name.error());
  auto role = AuthorizedRole(op, "iam:DeleteRole", *name);
  if (!role) return Fail(role.error());
  if (!role->inline_policies.empty()) {
    return Fail(DeleteConflict("Cannot delete entity, must delete policies first."));
  }
  if (!role->attached.empty()) {
    return Fail(DeleteConflict("Cannot delete entity, must detach all policies first."));
  }
  // Sessions of the role end with it (their principal no longer exists).
  store::Transaction txn;
  auto sessions = op.dir.ListSessions();
  if (!sessions) return Fail(sessions.error());
  for (const auto& s : *sessions) {
    if (s.kind == Principal::Kind::kAssumedRole && s.role_id == role->id) op.dir.Delete(txn, s);
  }
  op.dir.Delete(txn, *role);
  return op.dir.Commit(txn);
}

ApiResult<void> TagRole(Op& op) { return TagEntity<RoleRecord>(op); }
ApiResult<void> UntagRole(Op& op) { return UntagEntity<RoleRecord>(op); }
ApiResult<void> ListRoleTags(Op& op) { return ListEntityTags<RoleRecord>(op); }

}  // namespace elfs::api::iam
