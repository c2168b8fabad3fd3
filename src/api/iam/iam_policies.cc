// Inline policies of users, groups and roles; managed policies with their
// versions and attachments. Documents are validated by the policy engine as
// identity-based policies, stored as given and returned URL-encoded, as IAM
// returns them.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "api/common/ids.h"
#include "api/iam/iam_entity.h"
#include "api/iam/policy_check.h"

namespace elfs::api::iam {

ApiResult<std::string> RequirePolicyDocument(const QueryParams& q, std::string_view param,
                                             std::string_view member) {
  auto doc = RequireString(q, {param, member, 1, 131072, Pattern::kPolicyDocument});
  if (!doc) return Fail(doc.error());
  if (auto ok = CheckPolicy(*doc, elfs::iam::PolicyType::kIdentity); !ok) return Fail(ok.error());
  return doc;
}

namespace {

size_t InlineSize(const InlinePolicies& policies) {
  size_t n = 0;
  for (const auto& [name, doc] : policies) n += PolicySize(doc);
  return n;
}

// ---- inline policies (generic over user, group, role) -----------------------

template <class R>
ApiResult<void> PutInline(Op& op) {
  using E = Entity<R>;
  auto name = RequireString(op.q, E::kRule);
  if (!name) return Fail(name.error());
  auto policy_name = RequireString(op.q, rules::kPolicyName);
  if (!policy_name) return Fail(policy_name.error());
  auto doc = RequirePolicyDocument(op.q, "PolicyDocument", "policyDocument");
  if (!doc) return Fail(doc.error());
  auto rec = AuthorizedEntity<R>(op, fmt::format("iam:Put{}Policy", E::kAction), *name);
  if (!rec) return Fail(rec.error());
  InlinePolicies after = rec->inline_policies;
  after[*policy_name] = *doc;
  // IAM's quota is on the aggregate of an entity's inline policies.
  if (InlineSize(after) > E::kInlineChars) {
    return Fail(LimitExceeded(fmt::format("Maximum policy size of {} bytes exceeded for {} {}",
                                          E::kInlineChars, E::kNoun, rec->name)));
  }
  rec->inline_policies = std::move(after);
  return Save(op.dir, *rec);
}

template <class R>
ApiResult<void> GetInline(Op& op) {
  using E = Entity<R>;
  auto name = RequireString(op.q, E::kRule);
  if (!name) return Fail(name.error());
  auto policy_name = RequireString(op.q, rules::kPolicyName);
  if (!policy_name) return Fail(policy_name.error());
  auto rec = AuthorizedEntity<R>(op, fmt::format("iam:Get{}Policy", E::kAction), *name);
  if (!rec) return Fail(rec.error());
  auto it = rec->inline_policies.find(*policy_name);
  if (it == rec->inline_policies.end()) {
    return Fail(NoSuchEntity(fmt::format("The {} policy with name {} cannot be found.", E::kNoun,
                                         *policy_name)));
  }
  op.out.Leaf(E::kNameElement, rec->name)
      .Leaf("PolicyName", it->first)
      .Leaf("PolicyDocument", UrlEncode(it->second));
  return {};
}

template <class R>
ApiResult<void> DeleteInline(Op& op) {
  using E = Entity<R>;
  auto name = RequireString(op.q, E::kRule);
  if (!name) return Fail(name.error());
  auto policy_name = RequireString(op.q, rules::kPolicyName);
  if (!policy_name) return Fail(policy_name.error());
  auto rec = AuthorizedEntity<R>(op, fmt::format("iam:Delete{}Policy", E::kAction), *name);
  if (!rec) return Fail(rec.error());
  if (rec->inline_policies.erase(*policy_name) == 0) {
    return Fail(NoSuchEntity(fmt::format("The {} policy with name {} cannot be found.", E::kNoun,
                                         *policy_name)));
  }
  return Save(op.dir, *rec);
}

template <class R>
ApiResult<void> ListInline(Op& op) {
  using E = Entity<R>;
  auto name = RequireString(op.q, E::kRule);
  if (!name) return Fail(name.error());
  auto rec = AuthorizedEntity<R>(op, fmt::format("iam:List{}Policies", E::kAction), *name);
  if (!rec) return Fail(rec.error());
  std::vector<std::string> names;
  for (const auto& [n, doc] : rec->inline_policies) names.push_back(n);
  auto page = Paginate(op.q, names);
  if (!page) return Fail(page.error());
  op.out.Open("PolicyNames");
  for (size_t i = page->begin; i < page->end; ++i) op.out.Leaf("member", names[i]);
  op.out.Close();
  WritePageTail(op.out, *page);
  return {};
}

// ---- managed policies --------------------------------------------------------

// PolicyArn: InvalidInput when it is not an IAM policy ARN, NoSuchEntity when
// no such policy exists in this account (AWS managed policies do not exist
// in elfs).
ApiResult<std::string> RequirePolicyArn(const QueryParams& q) {
  auto arn = RequireString(q, rules::kPolicyArn);
  if (!arn) return Fail(arn.error());
  if (arn->rfind("arn:aws:iam::", 0) != 0 || arn->find(":policy/") == std::string::npos) {
    return Fail(InvalidInput(fmt::format("ARN {} is not valid.", *arn)));
  }
  return arn;
}

// Who has which managed policy attached.
struct Attachments {
  std::map<std::string, std::vector<const UserRecord*>> users;
  std::map<std::string, std::vector<const GroupRecord*>> groups;
  std::map<std::string, std::vector<const RoleRecord*>> roles;
  std::vector<UserRecord> all_users;
  std::vector<GroupRecord> all_groups;
  std::vector<RoleRecord> all_roles;

  size_t Count(const std::string& arn) const {
    auto n = [&](const auto& m) {
      auto it = m.find(arn);
      return it == m.end() ? size_t{0} : it->second.size();
    };
    return n(users) + n(groups) + n(roles);
  }
};

ApiResult<std::unique_ptr<Attachments>> LoadAttachments(IamDirectory& dir) {
  auto a = std::make_unique<Attachments>();
  auto users = dir.ListUsers();
  if (!users) return Fail(users.error());
  auto groups = dir.ListGroups();
  if (!groups) return Fail(groups.error());
  auto roles = dir.ListRoles();
  if (!roles) return Fail(roles.error());
  a->all_users = std::move(*users);
  a->all_groups = std::move(*groups);
  a->all_roles = std::move(*roles);
  for (const auto& u : a->all_users) {
    for (const auto& arn : u.attached) a->users[arn].push_back(&u);
  }
  for (const auto& g : a->all_groups) {
    for (const auto& arn : g.attached) a->groups[arn].push_back(&g);
  }
  for (const auto& r : a->all_roles) {
    for (const auto& arn : r.attached) a->roles[arn].push_back(&r);
  }
  return a;
}

void WritePolicyFields(XmlWriter& w, IamDirectory& d, const ManagedPolicyRecord& p,
                       size_t attachment_count, bool with_details) {
  w.Leaf("PolicyName", p.name)
      .Leaf("PolicyId", p.id)
      .Leaf("Arn", d.PolicyArn(p.path, p.name))
      .Leaf("Path", p.path)
      .Leaf("DefaultVersionId", p.default_version)
      .Leaf("AttachmentCount", std::to_string(attachment_count))
      .Leaf("PermissionsBoundaryUsageCount", "0");
  WriteBool(w, "IsAttachable", true);
  if (with_details && !p.description.empty()) w.Leaf("Description", p.description);
  w.Leaf("CreateDate", FormatIso8601(p.created)).Leaf("UpdateDate", FormatIso8601(p.updated));
  if (with_details && !p.tags.empty()) WriteTags(w, p.tags);
}

void WriteVersionFields(XmlWriter& w, const PolicyVersionRecord& v, bool is_default,
                        bool with_document) {
  if (with_document) w.Leaf("Document", UrlEncode(v.document));
  w.Leaf("VersionId", v.version_id);
  WriteBool(w, "IsDefaultVersion", is_default);
  w.Leaf("CreateDate", FormatIso8601(v.created));
}

ApiResult<void> CheckManagedSize(std::string_view document) {
  if (PolicySize(document) > kManagedPolicyChars) {
    return Fail(
        LimitExceeded(fmt::format("Cannot exceed quota for PolicySize: {}", kManagedPolicyChars)));
  }
  return {};
}

// ---- attachments (generic over user, group, role) ----------------------------

template <class R>
ApiResult<void> AttachManaged(Op& op) {
  using E = Entity<R>;
  auto name = RequireString(op.q, E::kRule);
  if (!name) return Fail(name.error());
  auto arn = RequirePolicyArn(op.q);
  if (!arn) return Fail(arn.error());
  auto rec = AuthorizedEntity<R>(op, fmt::format("iam:Attach{}Policy", E::kAction), *name,
                                 {{"iam:PolicyARN", {*arn}}});
  if (!rec) return Fail(rec.error());
  auto policy = op.dir.GetPolicy(*arn);
  if (!policy) return Fail(policy.error());
  if (!*policy) {
    return Fail(NoSuchEntity(fmt::format("Policy {} does not exist or is not attachable.", *arn)));
  }
  if (std::find(rec->attached.begin(), rec->attached.end(), *arn) != rec->attached.end()) return {};
  if (rec->attached.size() >= kAttachedPoliciesPerEntity) {
    return Fail(LimitExceeded(fmt::format("Cannot exceed quota for {}: {}", E::kAttachQuota,
                                          kAttachedPoliciesPerEntity)));
  }
  rec->attached.push_back(*arn);
  store::Transaction txn;
  op.dir.Put(txn, *rec);
  // Tied to the policy's version: a concurrent DeletePolicy loses.
  op.dir.Put(txn, **policy);
  return op.dir.Commit(txn);
}

template <class R>
ApiResult<void> DetachManaged(Op& op) {
  using E = Entity<R>;
  auto name = RequireString(op.q, E::kRule);
  if (!name) return Fail(name.error());
  auto arn = RequirePolicyArn(op.q);
  if (!arn) return Fail(arn.error());
  auto rec = AuthorizedEntity<R>(op, fmt::format("iam:Detach{}Policy", E::kAction), *name,
                                 {{"iam:PolicyARN", {*arn}}});
  if (!rec) return Fail(rec.error());
  auto it = std::find(rec->attached.begin(), rec->attached.end(), *arn);
  if (it == rec->attached.end()) {
    return Fail(NoSuchEntity(
        fmt::format("Policy {} was not found or is not attached to {} {}.", *arn, E::kNoun,
                    rec->name)));
  }
  rec->attached.erase(it);
  return Save(op.dir, *rec);
}

template <class R>
ApiResult<void> ListAttached(Op& op) {
  using E = Entity<R>;
  auto name = RequireString(op.q, E::kRule);
  if (!name) return Fail(name.error());
  auto prefix = GetString(op.q, rules::kPolicyPathPrefix, false);
  if (!prefix) return Fail(prefix.error());
  auto rec = AuthorizedEntity<R>(op, fmt::format("iam:ListAttached{}Policies", E::kAction), *name);
  if (!rec) return Fail(rec.error());
  std::vector<ManagedPolicyRecord> policies;
  for (const auto& arn : rec->attached) {
    auto p = op.dir.GetPolicy(arn);
    if (!p) return Fail(p.error());
    if (*p && HasPathPrefix((*p)->path, *prefix)) policies.push_back(std::move(**p));
  }
  std::sort(policies.begin(), policies.end(),
            [](const auto& a, const auto& b) { return Lower(a.name) < Lower(b.name); });
  std::vector<std::string> keys;
  for (const auto& p : policies) keys.push_back(Lower(p.name));
  auto page = Paginate(op.q, keys);
  if (!page) return Fail(page.error());
  op.out.Open("AttachedPolicies");
  for (size_t i = page->begin; i < page->end; ++i) {
    op.out.Open("member")
        .Leaf("PolicyName", policies[i].name)
        .Leaf("PolicyArn", op.dir.PolicyArn(policies[i].path, policies[i].name))
        .Close();
  }
  op.out.Close();
  WritePageTail(op.out, *page);
  return {};
}

}  // namespace

ApiResult<void> PutUserPolicy(Op& op) { return PutInline<UserRecord>(op); }
ApiResult<void> GetUserPolicy(Op& op) { return GetInline<UserRecord>(op); }
ApiResult<void> DeleteUserPolicy(Op& op) { return DeleteInline<UserRecord>(op); }
ApiResult<void> ListUserPolicies(Op& op) { return ListInline<UserRecord>(op); }
ApiResult<void> PutGroupPolicy(Op& op) { return PutInline<GroupRecord>(op); }
ApiResult<void> GetGroupPolicy(Op& op) { return GetInline<GroupRecord>(op); }
ApiResult<void> DeleteGroupPolicy(Op& op) { return DeleteInline<GroupRecord>(op); }
ApiResult<void> ListGroupPolicies(Op& op) { return ListInline<GroupRecord>(op); }
ApiResult<void> PutRolePolicy(Op& op) { return PutInline<RoleRecord>(op); }
ApiResult<void> GetRolePolicy(Op& op) { return GetInline<RoleRecord>(op); }
ApiResult<void> DeleteRolePolicy(Op& op) { return DeleteInline<RoleRecord>(op); }
ApiResult<void> ListRolePolicies(Op& op) { return ListInline<RoleRecord>(op); }
ApiResult<void> AttachUserPolicy(Op& op) { return AttachManaged<UserRecord>(op); }
ApiResult<void> DetachUserPolicy(Op& op) { return DetachManaged<UserRecord>(op); }
ApiResult<void> ListAttachedUserPolicies(Op& op) { return ListAttached<UserRecord>(op); }
ApiResult<void> AttachGroupPolicy(Op& op) { return AttachManaged<GroupRecord>(op); }
ApiResult<void> DetachGroupPolicy(Op& op) { return DetachManaged<GroupRecord>(op); }
ApiResult<void> ListAttachedGroupPolicies(Op& op) { return ListAttached<GroupRecord>(op); }
ApiResult<void> AttachRolePolicy(Op& op) { return AttachManaged<RoleRecord>(op); }
ApiResult<void> DetachRolePolicy(Op& op) { return DetachManaged<RoleRecord>(op); }
ApiResult<void> ListAttachedRolePolicies(Op& op) { return ListAttached<RoleRecord>(op); }

ApiResult<void> CreatePolicy(Op& op) {
  auto name = RequireString(op.q, rules::kPolicyName);
  if (!name) return Fail(name.error());
  auto path = GetString(op.q, rules::kPolicyPath, false);
  if (!path) return Fail(path.error());
  auto description = GetString(op.q, {"Description", "description", 0, 1000}, false);
  if (!description) return Fail(description.error());
  auto tags = ParseTags(op.q, false);
  if (!tags) return Fail(tags.error());
  auto doc = RequireString(op.q, rules::kPolicyDocument);
  if (!doc) return Fail(doc.error());
  if (auto ok = CheckManagedSize(*doc); !ok) return ok;
  if (auto ok = CheckPolicy(*doc, elfs::iam::PolicyType::kIdentity); !ok) return ok;
  ManagedPolicyRecord p;
  p.name = *name;
  p.path = path->value_or("/");
  ConditionKeys keys;
  AddRequestTagKeys(keys, *tags);
  if (auto ok = op.Authorize("iam:CreatePolicy", op.dir.PolicyArn(p.path, p.name), std::move(keys));
      !ok) {
    return ok;
  }
  // Managed policy names are unique in the account whatever their path.
  auto same_name = op.dir.store().Get(kPolicyKind, Lower(p.name));
  if (!same_name) return Fail(FromStatus(same_name.error()));
  if (*same_name) {
    return Fail(EntityAlreadyExists(fmt::format(
        "A policy called {} already exists. Duplicate names are not allowed.", p.name)));
  }
  p.id = NewIamId(op.dir.random(), "ANPA", 17);
  p.description = description->value_or("");
  p.created = p.updated = op.ctx.now;
  p.default_version = "v1";
  p.next_version = 2;
  p.versions.push_back({"v1", std::move(*doc), op.ctx.now});
  p.tags = std::move(*tags);
  store::Transaction txn;
  op.dir.Put(txn, p);
  if (auto ok = op.dir.Commit(txn); !ok) return ok;
  op.out.Open("Policy");
  WritePolicyFields(op.out, op.dir, p, 0, false);
  if (!p.tags.empty()) WriteTags(op.out, p.tags);
  op.out.Close();
  return {};
}

namespace {

// PolicyArn → authorized, existing policy.
ApiResult<ManagedPolicyRecord> AuthorizedPolicy(Op& op, std::string action) {
  auto arn = RequirePolicyArn(op.q);
  if (!arn) return Fail(arn.error());
  auto p = op.dir.GetPolicy(*arn);
  if (!p) return Fail(p.error());
  ConditionKeys keys = *p ? ResourceTagKeys((*p)->tags) : ConditionKeys{};
  if (auto ok = op.Authorize(std::move(action), *arn, std::move(keys)); !ok) return Fail(ok.error());
  if (!*p) return Fail(NoSuchEntity(fmt::format("Policy {} was not found.", *arn)));
  return std::move(**p);
}

ApiResult<std::string> RequireVersionId(const QueryParams& q) {
  return RequireString(q, rules::kVersionId);
}

}  // namespace

ApiResult<void> GetPolicy(Op& op) {
  auto p = AuthorizedPolicy(op, "iam:GetPolicy");
  if (!p) return Fail(p.error());
  auto attachments = LoadAttachments(op.dir);
  if (!attachments) return Fail(attachments.error());
  op.out.Open("Policy");
  WritePolicyFields(op.out, op.dir, *p, (*attachments)->Count(op.dir.PolicyArn(p->path, p->name)),
                    true);
  op.out.Close();
  return {};
}

ApiResult<void> ListPolicies(Op& op) {
  const std::string* scope = op.q.Get("Scope");
  if (scope && *scope != "All" && *scope != "AWS" && *scope != "Local") {
    return Fail(ConstraintError("scope", *scope, "Member must satisfy enum value set: [All, AWS, Local]"));
  }
  auto only_attached = GetBool(op.q, "OnlyAttached", "onlyAttached");
  if (!only_attached) return Fail(only_attached.error());
  auto prefix = GetString(op.q, rules::kPolicyPathPrefix, false);
  if (!prefix) return Fail(prefix.error());
  const std::string* usage = op.q.Get("PolicyUsageFilter");
  if (usage && *usage != "PermissionsPolicy" && *usage != "PermissionsBoundary") {
    return Fail(ConstraintError("policyUsageFilter", *usage,
                                "Member must satisfy enum value set: [PermissionsPolicy, "
                                "PermissionsBoundary]"));
  }
  if (auto ok = op.Authorize("iam:ListPolicies", "arn:aws:iam::" + op.dir.account() + ":policy/");
      !ok) {
    return ok;
  }
  auto policies = op.dir.ListPolicies();
  if (!policies) return Fail(policies.error());
  auto attachments = LoadAttachments(op.dir);
  if (!attachments) return Fail(attachments.error());
  // elfs has no AWS managed policies, and none is used as a boundary.
  bool none = (scope && *scope == "AWS") || (usage && *usage == "PermissionsBoundary");
  std::erase_if(*policies, [&](const ManagedPolicyRecord& p) {
    return none || !HasPathPrefix(p.path, *prefix) ||
           (only_attached->value_or(false) &&
            (*attachments)->Count(op.dir.PolicyArn(p.path, p.name)) == 0);
  });
  std::vector<std::string> keys;
  for (const auto& p : *policies) keys.push_back(Lower(p.name));
  auto page = Paginate(op.q, keys);
  if (!page) return Fail(page.error());
  op.out.Open("Policies");
  for (size_t i = page->begin; i < page->end; ++i) {
    const auto& p = (*policies)[i];
    op.out.Open("member");
    WritePolicyFields(op.out, op.dir, p, (*attachments)->Count(op.dir.PolicyArn(p.path, p.name)),
                      false);
    op.out.Close();
  }
  op.out.Close();
  WritePageTail(op.out, *page);
  return {};
}

ApiResult<void> DeletePolicy(Op& op) {
  auto p = AuthorizedPolicy(op, "iam:DeletePolicy");
  if (!p) return Fail(p.error());
  auto attachments = LoadAttachments(op.dir);
  if (!attachments) return Fail(attachments.error());
  if ((*attachments)->Count(op.dir.PolicyArn(p->path, p->name)) > 0) {
    return Fail(DeleteConflict("Cannot delete a policy attached to entities."));
  }
  if (p->versions.size() > 1) {
    return Fail(DeleteConflict(
        "This policy has more than one version. Before you delete a policy, you must delete the "
        "policy's versions. The default version is deleted with the policy."));
  }
  store::Transaction txn;
  op.dir.Delete(txn, *p);
  return op.dir.Commit(txn);
}

ApiResult<void> CreatePolicyVersion(Op& op) {
  auto doc = RequireString(op.q, rules::kPolicyDocument);
  if (!doc) return Fail(doc.error());
  auto set_default = GetBool(op.q, "SetAsDefault", "setAsDefault");
  if (!set_default) return Fail(set_default.error());
  if (auto ok = CheckManagedSize(*doc); !ok) return ok;
  if (auto ok = CheckPolicy(*doc, elfs::iam::PolicyType::kIdentity); !ok) return ok;
  auto p = AuthorizedPolicy(op, "iam:CreatePolicyVersion");
  if (!p) return Fail(p.error());
  if (p->versions.size() >= kPolicyVersions) {
    return Fail(LimitExceeded(fmt::format(
        "A managed policy can have up to {} versions. Before you create a new version, you must "
        "delete an existing version.",
        kPolicyVersions)));
  }
  PolicyVersionRecord v{fmt::format("v{}", p->next_version), std::move(*doc), op.ctx.now};
  p->next_version++;
  p->versions.push_back(v);
  if (set_default->value_or(false)) p->default_version = v.version_id;
  p->updated = op.ctx.now;
  store::Transaction txn;
  op.dir.Put(txn, *p);
  if (auto ok = op.dir.Commit(txn); !ok) return ok;
  op.out.Open("PolicyVersion");
  WriteVersionFields(op.out, v, p->default_version == v.version_id, false);
  op.out.Close();
  return {};
}

ApiResult<void> GetPolicyVersion(Op& op) {
  auto version_id = RequireVersionId(op.q);
  if (!version_id) return Fail(version_id.error());
  auto p = AuthorizedPolicy(op, "iam:GetPolicyVersion");
  if (!p) return Fail(p.error());
  for (const auto& v : p->versions) {
    if (v.version_id == *version_id) {
      op.out.Open("PolicyVersion");
      WriteVersionFields(op.out, v, v.version_id == p->default_version, true);
      op.out.Close();
      return {};
    }
  }
  return Fail(NoSuchEntity(fmt::format("Policy {} version {} does not exist or is not attachable.",
                                       op.dir.PolicyArn(p->path, p->name), *version_id)));
}

ApiResult<void> ListPolicyVersions(Op& op) {
  auto p = AuthorizedPolicy(op, "iam:ListPolicyVersions");
  if (!p) return Fail(p.error());
  // Newest first, as IAM lists them; the marker is the position.
  std::vector<PolicyVersionRecord> versions(p->versions.rbegin(), p->versions.rend());
  std::vector<std::string> keys;
  for (size_t i = 0; i < versions.size(); ++i) keys.push_back(fmt::format("{:04}", i));
  auto page = Paginate(op.q, keys);
  if (!page) return Fail(page.error());
  op.out.Open("Versions");
  for (size_t i = page->begin; i < page->end; ++i) {
    op.out.Open("member");
    WriteVersionFields(op.out, versions[i], versions[i].version_id == p->default_version, false);
    op.out.Close();
  }
  op.out.Close();
  WritePageTail(op.out, *page);
  return {};
}

ApiResult<void> DeletePolicyVersion(Op& op) {
  auto version_id = RequireVersionId(op.q);
  if (!version_id) return Fail(version_id.error());
  auto p = AuthorizedPolicy(op, "iam:DeletePolicyVersion");
  if (!p) return Fail(p.error());
  auto it = std::find_if(p->versions.begin(), p->versions.end(),
                         [&](const auto& v) { return v.version_id == *version_id; });
  if (it == p->versions.end()) {
    return Fail(NoSuchEntity(fmt::format("Policy {} version {} does not exist.",
                                         op.dir.PolicyArn(p->path, p->name), *version_id)));
  }
  if (it->version_id == p->default_version) {
    return Fail(DeleteConflict("Cannot delete the default version of a policy."));
  }
  p->versions.erase(it);
  return Save(op.dir, *p);
}

ApiResult<void> SetDefaultPolicyVersion(Op& op) {
  auto version_id = RequireVersionId(op.q);
  if (!version_id) return Fail(version_id.error());
  auto p = AuthorizedPolicy(op, "iam:SetDefaultPolicyVersion");
  if (!p) return Fail(p.error());
  bool found = std::any_of(p->versions.begin(), p->versions.end(),
                           [&](const auto& v) { return v.version_id == *version_id; });
  if (!found) {
    return Fail(NoSuchEntity(fmt::format("Policy {} version {} does not exist.",
                                         op.dir.PolicyArn(p->path, p->name), *version_id)));
  }
  p->default_version = *version_id;
  p->updated = op.ctx.now;
  return Save(op.dir, *p);
}

ApiResult<void> ListEntitiesForPolicy(Op& op) {
  const std::string* filter = op.q.Get("EntityFilter");
  static constexpr std::string_view kFilters[] = {"User", "Role", "Group", "LocalManagedPolicy",
                                                  "AWSManagedPolicy"};
  if (filter && std::find(std::begin(kFilters), std::end(kFilters), *filter) == std::end(kFilters)) {
    return Fail(ConstraintError("entityFilter", *filter,
                                "Member must satisfy enum value set: [User, Role, Group, "
                                "LocalManagedPolicy, AWSManagedPolicy]"));
  }
  auto prefix = GetString(op.q, {"PathPrefix", "pathPrefix", 1, 512, Pattern::kPath}, false);
  if (!prefix) return Fail(prefix.error());
  auto p = AuthorizedPolicy(op, "iam:ListEntitiesForPolicy");
  if (!p) return Fail(p.error());
  auto attachments = LoadAttachments(op.dir);
  if (!attachments) return Fail(attachments.error());
  std::string arn = op.dir.PolicyArn(p->path, p->name);
  auto wanted = [&](std::string_view kind) { return !filter || *filter == kind; };
  // One list of (kind, name) keys so one marker pages across all three.
  struct Row {
    std::string key;
    std::string_view kind;
    std::string name, id;
  };
  std::vector<Row> rows;
  auto add = [&](std::string_view kind, const auto& map, int order) {
    if (!wanted(kind)) return;
    auto it = map.find(arn);
    if (it == map.end()) return;
    for (const auto* e : it->second) {
      if (!HasPathPrefix(e->path, *prefix)) continue;
      rows.push_back({fmt::format("{}/{}", order, Lower(e->name)), kind, e->name, e->id});
    }
  };
  add("Group", (*attachments)->groups, 1);
  add("User", (*attachments)->users, 2);
  add("Role", (*attachments)->roles, 3);
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.key < b.key; });
  std::vector<std::string> keys;
  for (const auto& r : rows) keys.push_back(r.key);
  auto page = Paginate(op.q, keys);
  if (!page) return Fail(page.error());
  for (std::string_view kind : {"Group", "User", "Role"}) {
    op.out.Open(fmt::format("Policy{}s", kind));
    for (size_t i = page->begin; i < page->end; ++i) {
      if (rows[i].kind != kind) continue;
      op.out.Open("member")
          .Leaf(fmt::format("{}Name", kind), rows[i].name)
          .Leaf(fmt::format("{}Id", kind), rows[i].id)
          .Close();
    }
    op.out.Close();
  }
  WritePageTail(op.out, *page);
  return {};
}

}  // namespace elfs::api::iam
