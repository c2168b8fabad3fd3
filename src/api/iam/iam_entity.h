// What users, groups and roles have in common for the handlers: how to load
// one, its ARN, tags and quotas, and "authorize, then require existence".
// Internal to elfs_api_iam.
//
// Thread safety: stateless.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "api/iam/iam_ops.h"
#include "api/iam/iam_service.h"

namespace elfs::api::iam {

template <class R>
struct Entity;

template <>
struct Entity<UserRecord> {
  static constexpr std::string_view kNoun = "user";
  static constexpr std::string_view kAction = "User";  // iam:PutUserPolicy ...
  static constexpr std::string_view kNameElement = "UserName";
  static constexpr StringRule kRule = rules::kExistingUserName;
  static constexpr size_t kInlineChars = kUserInlinePolicyChars;
  static constexpr std::string_view kAttachQuota = "PoliciesPerUser";
  static auto Get(IamDirectory& d, std::string_view name) { return d.GetUser(name); }
  static std::string Arn(IamDirectory& d, std::string_view path, std::string_view name) {
    return d.UserArn(path, name);
  }
  static const std::vector<Tag>* Tags(const UserRecord& r) { return &r.tags; }
};

template <>
struct Entity<GroupRecord> {
  static constexpr std::string_view kNoun = "group";
  static constexpr std::string_view kAction = "Group";
  static constexpr std::string_view kNameElement = "GroupName";
  static constexpr StringRule kRule = rules::kGroupName;
  static constexpr size_t kInlineChars = kGroupInlinePolicyChars;
  static constexpr std::string_view kAttachQuota = "PoliciesPerGroup";
  static auto Get(IamDirectory& d, std::string_view name) { return d.GetGroup(name); }
  static std::string Arn(IamDirectory& d, std::string_view path, std::string_view name) {
    return d.GroupArn(path, name);
  }
  static const std::vector<Tag>* Tags(const GroupRecord&) { return nullptr; }
};

template <>
struct Entity<RoleRecord> {
  static constexpr std::string_view kNoun = "role";
  static constexpr std::string_view kAction = "Role";
  static constexpr std::string_view kNameElement = "RoleName";
  static constexpr StringRule kRule = rules::kRoleName;
  static constexpr size_t kInlineChars = kRoleInlinePolicyChars;
  static constexpr std::string_view kAttachQuota = "PoliciesPerRole";
  static auto Get(IamDirectory& d, std::string_view name) { return d.GetRole(name); }
  static std::string Arn(IamDirectory& d, std::string_view path, std::string_view name) {
    return d.RoleArn(path, name);
  }
  static const std::vector<Tag>* Tags(const RoleRecord& r) { return &r.tags; }
};

// Loads the entity, authorizes `action` on its ARN (with aws:ResourceTag/...
// of a tagged entity, plus `extra`), then answers NoSuchEntity if it does not
// exist. A missing entity's ARN uses path "/": AWS also authorizes before it
// reveals whether the entity exists.
template <class R>
ApiResult<R> AuthorizedEntity(Op& op, std::string_view action, std::string_view name,
                              ConditionKeys extra = {}) {
  using E = Entity<R>;
  auto rec = E::Get(op.dir, name);
  if (!rec) return Fail(rec.error());
  ConditionKeys keys;
  if (*rec) {
    if (const auto* tags = E::Tags(**rec)) keys = ResourceTagKeys(*tags);
  }
  keys.merge(extra);
  std::string arn = *rec ? E::Arn(op.dir, (*rec)->path, (*rec)->name) : E::Arn(op.dir, "/", name);
  if (auto ok = op.Authorize(std::string(action), arn, std::move(keys)); !ok) {
    return Fail(ok.error());
  }
  if (!*rec) {
    return Fail(NoSuchEntity(fmt::format("The {} with name {} cannot be found.", E::kNoun, name)));
  }
  return std::move(**rec);
}

}  // namespace elfs::api::iam
