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
  static constexpr std::string_view kElement = "User";
  static constexpr std::string_view kListElement = "Users";
  static auto List(IamDirectory& d) { return d.ListUsers(); }
  static void Write(XmlWriter& w, IamDirectory& d, const UserRecord& r, bool details) {
    WriteUserFields(w, d, r, details);
  }
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
  static constexpr std::string_view kElement = "Group";
  static constexpr std::string_view kListElement = "Groups";
  static auto List(IamDirectory& d) { return d.ListGroups(); }
  static void Write(XmlWriter& w, IamDirectory& d, const GroupRecord& r, bool) {
    WriteGroupFields(w, d, r);
  }
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
  static constexpr std::string_view kElement = "Role";
  static constexpr std::string_view kListElement = "Roles";
  static auto List(IamDirectory& d) { return d.ListRoles(); }
  static void Write(XmlWriter& w, IamDirectory& d, const RoleRecord& r, bool details) {
    WriteRoleFields(w, d, r, details);
  }
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

// Writes `records[page]` as <ListElement><member>...</member>...</ListElement>
// followed by IsTruncated/Marker; the records are sorted by lowercased name.
template <class R>
ApiResult<void> WriteEntityPage(Op& op, const std::vector<R>& records) {
  using E = Entity<R>;
  std::vector<std::string> keys;
  for (const auto& r : records) keys.push_back(Lower(r.name));
  auto page = Paginate(op.q, keys);
  if (!page) return Fail(page.error());
  op.out.Open(E::kListElement);
  for (size_t i = page->begin; i < page->end; ++i) {
    op.out.Open("member");
    E::Write(op.out, op.dir, records[i], false);
    op.out.Close();
  }
  op.out.Close();
  WritePageTail(op.out, *page);
  return {};
}

// ListUsers, ListGroups, ListRoles: PathPrefix, Marker, MaxItems.
template <class R>
ApiResult<void> ListEntities(Op& op) {
  using E = Entity<R>;
  auto prefix = GetString(op.q, rules::kPathPrefix, false);
  if (!prefix) return Fail(prefix.error());
  if (auto ok = op.Authorize(fmt::format("iam:List{}s", E::kAction),
                             fmt::format("arn:aws:iam::{}:{}/", op.dir.account(), E::kNoun));
      !ok) {
    return ok;
  }
  auto records = E::List(op.dir);
  if (!records) return Fail(records.error());
  std::erase_if(*records, [&](const R& r) { return !HasPathPrefix(r.path, *prefix); });
  return WriteEntityPage(op, *records);
}

// GetGroup's group part, GetRole, GetUser by name.
template <class R>
ApiResult<R> GetAndWriteEntity(Op& op) {
  using E = Entity<R>;
  auto name = RequireString(op.q, E::kRule);
  if (!name) return Fail(name.error());
  auto rec = AuthorizedEntity<R>(op, fmt::format("iam:Get{}", E::kAction), *name);
  if (!rec) return Fail(rec.error());
  op.out.Open(E::kElement);
  E::Write(op.out, op.dir, *rec, true);
  op.out.Close();
  return rec;
}

// Writes one changed record.
template <class R>
ApiResult<void> Save(IamDirectory& dir, const R& rec) {
  store::Transaction txn;
  dir.Put(txn, rec);
  return dir.Commit(txn);
}

// TagUser / TagRole, UntagUser / UntagRole, ListUserTags / ListRoleTags.
template <class R>
ApiResult<void> TagEntity(Op& op) {
  using E = Entity<R>;
  auto name = RequireString(op.q, E::kRule);
  if (!name) return Fail(name.error());
  auto tags = ParseTags(op.q, true);
  if (!tags) return Fail(tags.error());
  ConditionKeys keys;
  AddRequestTagKeys(keys, *tags);
  auto rec = AuthorizedEntity<R>(op, fmt::format("iam:Tag{}", E::kAction), *name, std::move(keys));
  if (!rec) return Fail(rec.error());
  if (auto ok = MergeTags(rec->tags, *tags); !ok) return ok;
  return Save(op.dir, *rec);
}

template <class R>
ApiResult<void> UntagEntity(Op& op) {
  using E = Entity<R>;
  auto name = RequireString(op.q, E::kRule);
  if (!name) return Fail(name.error());
  auto tag_keys = ParseTagKeys(op.q);
  if (!tag_keys) return Fail(tag_keys.error());
  auto rec = AuthorizedEntity<R>(op, fmt::format("iam:Untag{}", E::kAction), *name,
                                 {{"aws:TagKeys", *tag_keys}});
  if (!rec) return Fail(rec.error());
  RemoveTags(rec->tags, *tag_keys);
  return Save(op.dir, *rec);
}

template <class R>
ApiResult<void> ListEntityTags(Op& op) {
  using E = Entity<R>;
  auto name = RequireString(op.q, E::kRule);
  if (!name) return Fail(name.error());
  auto rec = AuthorizedEntity<R>(op, fmt::format("iam:List{}Tags", E::kAction), *name);
  if (!rec) return Fail(rec.error());
  return WriteTagPage(op, rec->tags);
}

}  // namespace elfs::api::iam
