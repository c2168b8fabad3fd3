// IAM users, groups and access keys, and the helpers every IAM handler uses.
#include <algorithm>

#include <fmt/format.h>

#include "api/common/ids.h"
#include "api/iam/iam_entity.h"

namespace elfs::api::iam {

ApiError NoSuchEntity(std::string m) { return {404, "NoSuchEntity", std::move(m)}; }
ApiError EntityAlreadyExists(std::string m) { return {409, "EntityAlreadyExists", std::move(m)}; }
ApiError DeleteConflict(std::string m) { return {409, "DeleteConflict", std::move(m)}; }
ApiError LimitExceeded(std::string m) { return {409, "LimitExceeded", std::move(m)}; }
ApiError InvalidInput(std::string m) { return {400, "InvalidInput", std::move(m)}; }

ApiResult<Page> Paginate(const QueryParams& q, const std::vector<std::string>& keys) {
  auto marker = GetString(q, rules::kMarker, false);
  if (!marker) return Fail(marker.error());
  auto max_items = GetInt(q, "MaxItems", "maxItems", 1, 1000);
  if (!max_items) return Fail(max_items.error());
  size_t limit = static_cast<size_t>(max_items->value_or(100));
  Page page;
  if (*marker) {
    page.begin = static_cast<size_t>(std::lower_bound(keys.begin(), keys.end(), **marker) -
                                     keys.begin());
  }
  page.end = std::min(keys.size(), page.begin + limit);
  page.truncated = page.end < keys.size();
  if (page.truncated) page.next_marker = keys[page.end];
  return page;
}

void WritePageTail(XmlWriter& w, const Page& page) {
  WriteBool(w, "IsTruncated", page.truncated);
  if (page.truncated) w.Leaf("Marker", page.next_marker);
}

ApiResult<std::vector<Tag>> ParseTags(const QueryParams& q, bool required) {
  auto indices = q.Indices("Tags.member");
  if (indices.empty() && required) {
    return Fail(ValidationError(
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: "
        "Member must not be null"));
  }
  if (indices.size() > kTagsPerEntity) {
    return Fail(ConstraintError("tags", fmt::format("{} tags", indices.size()),
                                "Member must have length less than or equal to 50"));
  }
  std::vector<Tag> tags;
  for (int n : indices) {
    std::string prefix = fmt::format("Tags.member.{}.", n);
    const std::string* key = q.Get(prefix + "Key");
    const std::string* value = q.Get(prefix + "Value");
    std::string member = fmt::format("tags.{}.member.key", n);
    if (!key) {
      return Fail(ValidationError(fmt::format(
          "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member "
          "must not be null",
          member)));
    }
    auto klen = CodePoints(*key);
    if (!klen || *klen < 1 || *klen > 128 || !Matches(Pattern::kTagKey, *key)) {
      return Fail(ConstraintError(member, *key,
                                  fmt::format("Member must satisfy regular expression pattern: {} "
                                              "and have length between 1 and 128",
                                              PatternText(Pattern::kTagKey))));
    }
    std::string v = value ? *value : std::string();
    auto vlen = CodePoints(v);
    if (!vlen || *vlen > 256 || !Matches(Pattern::kTagValue, v)) {
      return Fail(ConstraintError(fmt::format("tags.{}.member.value", n), v,
                                  fmt::format("Member must satisfy regular expression pattern: {} "
                                              "and have length less than or equal to 256",
                                              PatternText(Pattern::kTagValue))));
    }
    if (Lower(*key).rfind("aws:", 0) == 0) {
      return Fail(InvalidInput("User tag keys cannot start with the reserved prefix 'aws:'."));
    }
    for (const auto& t : tags) {
      if (Lower(t.key) == Lower(*key)) {
        return Fail(InvalidInput(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."));
      }
    }
    tags.push_back({*key, v});
  }
  return tags;
}

ApiResult<std::vector<std::string>> ParseTagKeys(const QueryParams& q) {
  auto keys = q.List("TagKeys.member");
  if (keys.empty()) {
    return Fail(ValidationError(
        "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: "
        "Member must not be null"));
  }
  if (keys.size() > kTagsPerEntity) {
    return Fail(ConstraintError("tagKeys", fmt::format("{} keys", keys.size()),
                                "Member must have length less than or equal to 50"));
  }
  for (const auto& k : keys) {
    auto len = CodePoints(k);
    if (!len || *len < 1 || *len > 128 || !Matches(Pattern::kTagKey, k)) {
      return Fail(ConstraintError("tagKeys", k,
                                  fmt::format("Member must satisfy regular expression pattern: {}",
                                              PatternText(Pattern::kTagKey))));
    }
  }
  return keys;
}

void AddRequestTagKeys(ConditionKeys& keys, const std::vector<Tag>& tags) {
  if (tags.empty()) return;
  auto& tag_keys = keys["aws:TagKeys"];
  for (const auto& t : tags) {
    keys["aws:RequestTag/" + t.key] = {t.value};
    tag_keys.push_back(t.key);
  }
}

ConditionKeys ResourceTagKeys(const std::vector<Tag>& tags) {
  ConditionKeys keys;
  for (const auto& t : tags) keys["aws:ResourceTag/" + t.key] = {t.value};
  return keys;
}

ApiResult<void> MergeTags(std::vector<Tag>& tags, const std::vector<Tag>& add) {
  std::vector<Tag> merged = tags;
  for (const auto& a : add) {
    auto it = std::find_if(merged.begin(), merged.end(),
                           [&](const Tag& t) { return Lower(t.key) == Lower(a.key); });
    if (it != merged.end()) {
      it->value = a.value;
    } else {
      merged.push_back(a);
    }
  }
  if (merged.size() > kTagsPerEntity) {
    return Fail(LimitExceeded("The number of tags has reached the maximum limit."));
  }
  tags = std::move(merged);
  return {};
}

void RemoveTags(std::vector<Tag>& tags, const std::vector<std::string>& keys) {
  std::erase_if(tags, [&](const Tag& t) {
    return std::any_of(keys.begin(), keys.end(),
                       [&](const std::string& k) { return Lower(k) == Lower(t.key); });
  });
}

ApiResult<void> WriteTagPage(Op& op, const std::vector<Tag>& tags) {
  std::vector<Tag> sorted = tags;
  std::sort(sorted.begin(), sorted.end(), [](const Tag& a, const Tag& b) { return a.key < b.key; });
  std::vector<std::string> keys;
  for (const auto& t : sorted) keys.push_back(t.key);
  auto page = Paginate(op.q, keys);
  if (!page) return Fail(page.error());
  WriteTags(op.out, std::vector<Tag>(sorted.begin() + static_cast<long>(page->begin),
                                     sorted.begin() + static_cast<long>(page->end)));
  WritePageTail(op.out, *page);
  return {};
}

bool HasPathPrefix(std::string_view path, const std::optional<std::string>& prefix) {
  return !prefix || path.substr(0, prefix->size()) == *prefix;
}

ApiResult<std::optional<UserRecord>> CallerUser(Op& op) {
  const Principal& p = op.ctx.principal;
  if (p.kind == Principal::Kind::kRoot) return std::optional<UserRecord>();
  if (p.kind != Principal::Kind::kUser) {
    return Fail(ValidationError("Must specify userName when calling with non-User credentials"));
  }
  auto user = op.dir.GetUser(p.name);
  if (!user) return Fail(user.error());
  if (!*user || (*user)->id != p.user_id) {
    return Fail(NoSuchEntity(fmt::format("The user with name {} cannot be found.", p.name)));
  }
  return user;
}

void WriteUserFields(XmlWriter& w, IamDirectory& d, const UserRecord& u, bool with_tags) {
  w.Leaf("Path", u.path)
      .Leaf("UserName", u.name)
      .Leaf("UserId", u.id)
      .Leaf("Arn", d.UserArn(u.path, u.name))
      .Leaf("CreateDate", FormatIso8601(u.created));
  if (with_tags && !u.tags.empty()) WriteTags(w, u.tags);
}

void WriteGroupFields(XmlWriter& w, IamDirectory& d, const GroupRecord& g) {
  w.Leaf("Path", g.path)
      .Leaf("GroupName", g.name)
      .Leaf("GroupId", g.id)
      .Leaf("Arn", d.GroupArn(g.path, g.name))
      .Leaf("CreateDate", FormatIso8601(g.created));
}

namespace {

ApiError NoSuchUser(std::string_view name) {
  return NoSuchEntity(fmt::format("The user with name {} cannot be found.", name));
}

ApiResult<UserRecord> AuthorizedUser(Op& op, std::string_view action, std::string_view name,
                                     ConditionKeys extra = {}) {
  return AuthorizedEntity<UserRecord>(op, action, name, std::move(extra));
}
ApiResult<GroupRecord> AuthorizedGroup(Op& op, std::string_view action, std::string_view name) {
  return AuthorizedEntity<GroupRecord>(op, action, name);
}

// UserName if given, else the caller (root: nullopt = the account's own keys).
ApiResult<std::optional<UserRecord>> UserParamOrCaller(Op& op, std::string_view action) {
  auto name = GetString(op.q, rules::kExistingUserName, false);
  if (!name) return Fail(name.error());
  if (*name) {
    auto user = AuthorizedUser(op, action, **name);
    if (!user) return Fail(user.error());
    return std::optional<UserRecord>(std::move(*user));
  }
  auto caller = CallerUser(op);
  if (!caller) return Fail(caller.error());
  std::string arn = *caller ? op.dir.UserArn((*caller)->path, (*caller)->name) : op.dir.RootArn();
  if (auto ok = op.Authorize(std::string(action), arn); !ok) return Fail(ok.error());
  return caller;
}

}  // namespace

// ---- users -----------------------------------------------------------------

ApiResult<void> CreateUser(Op& op) {
  auto name = RequireString(op.q, rules::kUserName);
  if (!name) return Fail(name.error());
  auto path = GetString(op.q, rules::kPath, false);
  if (!path) return Fail(path.error());
  auto boundary = GetString(op.q, {"PermissionsBoundary", "permissionsBoundary", 20, 2048}, false);
  if (!boundary) return Fail(boundary.error());
  auto tags = ParseTags(op.q, false);
  if (!tags) return Fail(tags.error());
  if (*boundary) {
    // elfs does not evaluate permissions boundaries; refusing is better than
    // silently granting more than the caller asked for.
    return Fail(InvalidInput("Permissions boundaries are not supported by this service."));
  }
  UserRecord u;
  u.name = *name;
  u.path = path->value_or("/");
  ConditionKeys keys;
  AddRequestTagKeys(keys, *tags);
  if (auto ok = op.Authorize("iam:CreateUser", op.dir.UserArn(u.path, u.name), std::move(keys));
      !ok) {
    return Fail(ok.error());
  }
  auto existing = op.dir.GetUser(u.name);
  if (!existing) return Fail(existing.error());
  if (*existing) {
    return Fail(EntityAlreadyExists(fmt::format("User with name {} already exists.", u.name)));
  }
  u.id = NewIamId(op.dir.random(), "AIDA", 17);
  u.created = op.ctx.now;
  u.tags = std::move(*tags);
  store::Transaction txn;
  op.dir.Put(txn, u);
  if (auto ok = op.dir.Commit(txn); !ok) return ok;
  op.out.Open("User");
  WriteUserFields(op.out, op.dir, u, true);
  op.out.Close();
  return {};
}

ApiResult<void> GetUser(Op& op) {
  auto name = GetString(op.q, rules::kExistingUserName, false);
  if (!name) return Fail(name.error());
  if (!*name) {
    auto caller = CallerUser(op);
    if (!caller) return Fail(caller.error());
    if (!*caller) {
      // The account root: no name or path, as IAM answers it.
      if (auto ok = op.Authorize("iam:GetUser", op.dir.RootArn()); !ok) return ok;
      op.out.Open("User")
          .Leaf("UserId", op.dir.account())
          .Leaf("Arn", op.dir.RootArn())
          .Close();
      return {};
    }
    if (auto ok = op.Authorize("iam:GetUser", op.dir.UserArn((*caller)->path, (*caller)->name),
                               ResourceTagKeys((*caller)->tags));
        !ok) {
      return ok;
    }
    op.out.Open("User");
    WriteUserFields(op.out, op.dir, **caller, true);
    op.out.Close();
    return {};
  }
  auto user = AuthorizedUser(op, "iam:GetUser", **name);
  if (!user) return Fail(user.error());
  op.out.Open("User");
  WriteUserFields(op.out, op.dir, *user, true);
  op.out.Close();
  return {};
}

ApiResult<void> ListUsers(Op& op) { return ListEntities<UserRecord>(op); }

ApiResult<void> UpdateUser(Op& op) {
  auto name = RequireString(op.q, rules::kExistingUserName);
  if (!name) return Fail(name.error());
  auto new_path = GetString(op.q, {"NewPath", "newPath", 1, 512, Pattern::kPath}, false);
  if (!new_path) return Fail(new_path.error());
  auto new_name = GetString(op.q, {"NewUserName", "newUserName", 1, 64, Pattern::kName}, false);
  if (!new_name) return Fail(new_name.error());
  auto user = AuthorizedUser(op, "iam:UpdateUser", *name);
  if (!user) return Fail(user.error());
  UserRecord updated = *user;
  if (*new_path) updated.path = **new_path;
  store::Transaction txn;
  if (*new_name && Lower(**new_name) != Lower(user->name)) {
    auto clash = op.dir.GetUser(**new_name);
    if (!clash) return Fail(clash.error());
    if (*clash) {
      return Fail(EntityAlreadyExists(fmt::format("User with name {} already exists.", **new_name)));
    }
    // The record moves to its new key; its access keys follow the name.
    op.dir.Delete(txn, *user);
    updated.name = **new_name;
    updated.version = 0;
    auto keys = op.dir.ListAccessKeys();
    if (!keys) return Fail(keys.error());
    for (auto& k : *keys) {
      if (k.user == Lower(user->name)) {
        k.user = Lower(updated.name);
        k.user_name = updated.name;
        op.dir.Put(txn, k);
      }
    }
  } else if (*new_name) {
    updated.name = **new_name;  // a change of case only
  }
  op.dir.Put(txn, updated);
  return op.dir.Commit(txn);
}

ApiResult<void> DeleteUser(Op& op) {
  auto name = RequireString(op.q, rules::kExistingUserName);
  if (!name) return Fail(name.error());
  auto user = AuthorizedUser(op, "iam:DeleteUser", *name);
  if (!user) return Fail(user.error());
  auto keys = op.dir.ListAccessKeys();
  if (!keys) return Fail(keys.error());
  for (const auto& k : *keys) {
    if (k.user == Lower(user->name)) {
      return Fail(DeleteConflict("Cannot delete entity, must delete access keys first."));
    }
  }
  if (!user->inline_policies.empty()) {
    return Fail(DeleteConflict("Cannot delete entity, must delete policies first."));
  }
  if (!user->attached.empty()) {
    return Fail(DeleteConflict("Cannot delete entity, must detach all policies first."));
  }
  if (!user->groups.empty()) {
    return Fail(DeleteConflict("Cannot delete entity, must remove users from group first."));
  }
  store::Transaction txn;
  op.dir.Delete(txn, *user);
  return op.dir.Commit(txn);
}

ApiResult<void> TagUser(Op& op) { return TagEntity<UserRecord>(op); }
ApiResult<void> UntagUser(Op& op) { return UntagEntity<UserRecord>(op); }
ApiResult<void> ListUserTags(Op& op) { return ListEntityTags<UserRecord>(op); }

// ---- groups ----------------------------------------------------------------

ApiResult<void> CreateGroup(Op& op) {
  auto name = RequireString(op.q, rules::kGroupName);
  if (!name) return Fail(name.error());
  auto path = GetString(op.q, rules::kPath, false);
  if (!path) return Fail(path.error());
  GroupRecord g;
  g.name = *name;
  g.path = path->value_or("/");
  if (auto ok = op.Authorize("iam:CreateGroup", op.dir.GroupArn(g.path, g.name)); !ok) return ok;
  auto existing = op.dir.GetGroup(g.name);
  if (!existing) return Fail(existing.error());
  if (*existing) {
    return Fail(EntityAlreadyExists(fmt::format("Group with name {} already exists.", g.name)));
  }
  g.id = NewIamId(op.dir.random(), "AGPA", 17);
  g.created = op.ctx.now;
  store::Transaction txn;
  op.dir.Put(txn, g);
  if (auto ok = op.dir.Commit(txn); !ok) return ok;
  op.out.Open("Group");
  WriteGroupFields(op.out, op.dir, g);
  op.out.Close();
  return {};
}

namespace {

ApiResult<std::vector<UserRecord>> MembersOf(IamDirectory& dir, const GroupRecord& g) {
  auto users = dir.ListUsers();
  if (!users) return Fail(users.error());
  std::erase_if(*users, [&](const UserRecord& u) {
    return std::find(u.groups.begin(), u.groups.end(), Lower(g.name)) == u.groups.end();
  });
  return users;
}

}  // namespace

ApiResult<void> GetGroup(Op& op) {
  auto group = GetAndWriteEntity<GroupRecord>(op);
  if (!group) return Fail(group.error());
  auto members = MembersOf(op.dir, *group);
  if (!members) return Fail(members.error());
  return WriteEntityPage(op, *members);
}

ApiResult<void> ListGroups(Op& op) { return ListEntities<GroupRecord>(op); }

ApiResult<void> UpdateGroup(Op& op) {
  auto name = RequireString(op.q, rules::kGroupName);
  if (!name) return Fail(name.error());
  auto new_path = GetString(op.q, {"NewPath", "newPath", 1, 512, Pattern::kPath}, false);
  if (!new_path) return Fail(new_path.error());
  auto new_name = GetString(op.q, {"NewGroupName", "newGroupName", 1, 128, Pattern::kName}, false);
  if (!new_name) return Fail(new_name.error());
  auto group = AuthorizedGroup(op, "iam:UpdateGroup", *name);
  if (!group) return Fail(group.error());
  GroupRecord updated = *group;
  if (*new_path) updated.path = **new_path;
  store::Transaction txn;
  if (*new_name && Lower(**new_name) != Lower(group->name)) {
    auto clash = op.dir.GetGroup(**new_name);
    if (!clash) return Fail(clash.error());
    if (*clash) {
      return Fail(
          EntityAlreadyExists(fmt::format("Group with name {} already exists.", **new_name)));
    }
    auto members = MembersOf(op.dir, *group);
    if (!members) return Fail(members.error());
    for (auto& u : *members) {
      std::replace(u.groups.begin(), u.groups.end(), Lower(group->name), Lower(**new_name));
      op.dir.Put(txn, u);
    }
    op.dir.Delete(txn, *group);
    updated.version = 0;
  }
  if (*new_name) updated.name = **new_name;
  op.dir.Put(txn, updated);
  return op.dir.Commit(txn);
}

ApiResult<void> DeleteGroup(Op& op) {
  auto name = RequireString(op.q, rules::kGroupName);
  if (!name) return Fail(name.error());
  auto group = AuthorizedGroup(op, "iam:DeleteGroup", *name);
  if (!group) return Fail(group.error());
  auto members = MembersOf(op.dir, *group);
  if (!members) return Fail(members.error());
  if (!members->empty()) {
    return Fail(DeleteConflict("Cannot delete entity, must remove users from group first."));
  }
  if (!group->inline_policies.empty()) {
    return Fail(DeleteConflict("Cannot delete entity, must delete policies first."));
  }
  if (!group->attached.empty()) {
    return Fail(DeleteConflict("Cannot delete entity, must detach all policies first."));
  }
  store::Transaction txn;
  op.dir.Delete(txn, *group);
  return op.dir.Commit(txn);
}

ApiResult<void> AddUserToGroup(Op& op) {
  auto group_name = RequireString(op.q, rules::kGroupName);
  if (!group_name) return Fail(group_name.error());
  auto user_name = RequireString(op.q, rules::kExistingUserName);
  if (!user_name) return Fail(user_name.error());
  auto group = AuthorizedGroup(op, "iam:AddUserToGroup", *group_name);
  if (!group) return Fail(group.error());
  auto user = op.dir.GetUser(*user_name);
  if (!user) return Fail(user.error());
  if (!*user) return Fail(NoSuchUser(*user_name));
  auto& groups = (*user)->groups;
  if (std::find(groups.begin(), groups.end(), Lower(group->name)) != groups.end()) return {};
  if (groups.size() >= kGroupsPerUser) {
    return Fail(LimitExceeded(
        fmt::format("Cannot exceed quota for GroupsPerUser: {}", kGroupsPerUser)));
  }
  groups.push_back(Lower(group->name));
  store::Transaction txn;
  op.dir.Put(txn, **user);
  // The group must still exist when the membership is written.
  op.dir.Put(txn, *group);
  return op.dir.Commit(txn);
}

ApiResult<void> RemoveUserFromGroup(Op& op) {
  auto group_name = RequireString(op.q, rules::kGroupName);
  if (!group_name) return Fail(group_name.error());
  auto user_name = RequireString(op.q, rules::kExistingUserName);
  if (!user_name) return Fail(user_name.error());
  auto group = AuthorizedGroup(op, "iam:RemoveUserFromGroup", *group_name);
  if (!group) return Fail(group.error());
  auto user = op.dir.GetUser(*user_name);
  if (!user) return Fail(user.error());
  if (!*user) return Fail(NoSuchUser(*user_name));
  auto& groups = (*user)->groups;
  auto it = std::find(groups.begin(), groups.end(), Lower(group->name));
  if (it == groups.end()) {
    return Fail(NoSuchEntity(fmt::format("User {} is not in group {}.", (*user)->name,
                                         group->name)));
  }
  groups.erase(it);
  return Save(op.dir, **user);
}

ApiResult<void> ListGroupsForUser(Op& op) {
  auto name = RequireString(op.q, rules::kExistingUserName);
  if (!name) return Fail(name.error());
  auto user = AuthorizedUser(op, "iam:ListGroupsForUser", *name);
  if (!user) return Fail(user.error());
  std::vector<GroupRecord> groups;
  for (const auto& g : user->groups) {
    auto group = op.dir.GetGroup(g);
    if (!group) return Fail(group.error());
    if (*group) groups.push_back(std::move(**group));
  }
  std::sort(groups.begin(), groups.end(),
            [](const GroupRecord& a, const GroupRecord& b) { return Lower(a.name) < Lower(b.name); });
  return WriteEntityPage(op, groups);
}

// ---- access keys -----------------------------------------------------------

namespace {

ApiResult<std::vector<AccessKeyRecord>> KeysOf(IamDirectory& dir, std::string_view user_key) {
  auto keys = dir.ListAccessKeys();
  if (!keys) return Fail(keys.error());
  std::erase_if(*keys, [&](const AccessKeyRecord& k) { return k.user != user_key; });
  return keys;
}

// The key named by AccessKeyId, owned by the user of UserName (or the caller).
ApiResult<AccessKeyRecord> OwnedKey(Op& op, std::string_view action) {
  auto id = RequireString(op.q, rules::kAccessKeyId);
  if (!id) return Fail(id.error());
  auto owner = UserParamOrCaller(op, action);
  if (!owner) return Fail(owner.error());
  std::string user_key = *owner ? Lower((*owner)->name) : std::string();
  auto key = op.dir.GetAccessKey(*id);
  if (!key) return Fail(key.error());
  if (!*key || (*key)->user != user_key) {
    return Fail(NoSuchEntity(fmt::format("The Access Key with id {} cannot be found", *id)));
  }
  return std::move(**key);
}

}  // namespace

ApiResult<void> CreateAccessKey(Op& op) {
  auto owner = UserParamOrCaller(op, "iam:CreateAccessKey");
  if (!owner) return Fail(owner.error());
  std::string user_key = *owner ? Lower((*owner)->name) : std::string();
  auto existing = KeysOf(op.dir, user_key);
  if (!existing) return Fail(existing.error());
  if (existing->size() >= kAccessKeysPerUser) {
    return Fail(LimitExceeded(
        fmt::format("Cannot exceed quota for AccessKeysPerUser: {}", kAccessKeysPerUser)));
  }
  AccessKeyRecord key;
  key.access_key_id = NewIamId(op.dir.random(), "AKIA", 16);
  key.secret = NewSecretKey(op.dir.random());
  key.user = user_key;
  key.user_name = *owner ? (*owner)->name : std::string();
  key.created = op.ctx.now;
  store::Transaction txn;
  op.dir.Put(txn, key);
  // Ties the key to the user record's version: a concurrent DeleteUser loses.
  if (*owner) op.dir.Put(txn, **owner);
  if (auto ok = op.dir.Commit(txn); !ok) return ok;
  // The only response that ever carries the secret.
  op.out.Open("AccessKey");
  if (*owner) op.out.Leaf("UserName", key.user_name);
  op.out.Leaf("AccessKeyId", key.access_key_id)
      .Leaf("Status", "Active")
      .Leaf("SecretAccessKey", key.secret)
      .Leaf("CreateDate", FormatIso8601(key.created))
      .Close();
  return {};
}

ApiResult<void> ListAccessKeys(Op& op) {
  auto owner = UserParamOrCaller(op, "iam:ListAccessKeys");
  if (!owner) return Fail(owner.error());
  auto keys = KeysOf(op.dir, *owner ? Lower((*owner)->name) : std::string());
  if (!keys) return Fail(keys.error());
  std::vector<std::string> ids;
  for (const auto& k : *keys) ids.push_back(k.access_key_id);
  auto page = Paginate(op.q, ids);
  if (!page) return Fail(page.error());
  op.out.Open("AccessKeyMetadata");
  for (size_t i = page->begin; i < page->end; ++i) {
    const auto& k = (*keys)[i];
    op.out.Open("member");
    if (*owner) op.out.Leaf("UserName", k.user_name);
    op.out.Leaf("AccessKeyId", k.access_key_id)
        .Leaf("Status", k.active ? "Active" : "Inactive")
        .Leaf("CreateDate", FormatIso8601(k.created))
        .Close();
  }
  op.out.Close();
  WritePageTail(op.out, *page);
  return {};
}

ApiResult<void> UpdateAccessKey(Op& op) {
  const std::string* status = op.q.Get("Status");
  if (!status) {
    return Fail(ValidationError(
        "1 validation error detected: Value null at 'status' failed to satisfy constraint: "
        "Member must not be null"));
  }
  if (*status != "Active" && *status != "Inactive") {
    return Fail(ConstraintError("status", *status,
                                "Member must satisfy enum value set: [Active, Inactive]"));
  }
  auto key = OwnedKey(op, "iam:UpdateAccessKey");
  if (!key) return Fail(key.error());
  key->active = *status == "Active";
  return Save(op.dir, *key);
}

ApiResult<void> DeleteAccessKey(Op& op) {
  auto key = OwnedKey(op, "iam:DeleteAccessKey");
  if (!key) return Fail(key.error());
  store::Transaction txn;
  op.dir.Delete(txn, *key);
  return op.dir.Commit(txn);
}

}  // namespace elfs::api::iam
