#include "api/iam/iam_directory.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "api/common/ids.h"

namespace elfs::api::iam {
namespace {

using nlohmann::json;

int64_t ToEpoch(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
TimePoint FromEpoch(int64_t s) { return TimePoint(std::chrono::seconds(s)); }

json TagsToJson(const std::vector<Tag>& tags) {
  json a = json::array();
  for (const auto& t : tags) a.push_back({{"k", t.key}, {"v", t.value}});
  return a;
}
std::vector<Tag> TagsFromJson(const json& a) {
  std::vector<Tag> out;
  if (!a.is_array()) return out;
  for (const auto& t : a) out.push_back({t.value("k", ""), t.value("v", "")});
  return out;
}

InlinePolicies InlineFromJson(const json& j) {
  InlinePolicies out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}
std::vector<std::string> StringsFromJson(const json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& s : j) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

// The fields users, groups and roles share.
template <class R>
json EncodeEntity(const R& r) {
  return {{"name", r.name},     {"path", r.path},
          {"id", r.id},         {"created", ToEpoch(r.created)},
          {"inline", r.inline_policies}, {"attached", r.attached}};
}
template <class R>
R DecodeEntity(const json& j) {
  R r;
  r.name = j.value("name", "");
  r.path = j.value("path", "/");
  r.id = j.value("id", "");
  r.created = FromEpoch(j.value("created", int64_t{0}));
  r.inline_policies = InlineFromJson(j.value("inline", json::object()));
  r.attached = StringsFromJson(j.value("attached", json::array()));
  return r;
}

json Encode(const UserRecord& r) {
  json j = EncodeEntity(r);
  j["tags"] = TagsToJson(r.tags);
  j["groups"] = r.groups;
  return j;
}
UserRecord DecodeUser(const json& j) {
  auto r = DecodeEntity<UserRecord>(j);
  r.tags = TagsFromJson(j.value("tags", json::array()));
  r.groups = StringsFromJson(j.value("groups", json::array()));
  return r;
}

json Encode(const GroupRecord& r) { return EncodeEntity(r); }
GroupRecord DecodeGroup(const json& j) { return DecodeEntity<GroupRecord>(j); }

json Encode(const RoleRecord& r) {
  json j = EncodeEntity(r);
  j["trust"] = r.trust_policy;
  j["description"] = r.description;
  j["max_session"] = r.max_session_duration;
  j["tags"] = TagsToJson(r.tags);
  return j;
}
RoleRecord DecodeRole(const json& j) {
  auto r = DecodeEntity<RoleRecord>(j);
  r.trust_policy = j.value("trust", "");
  r.description = j.value("description", "");
  r.max_session_duration = j.value("max_session", 3600);
  r.tags = TagsFromJson(j.value("tags", json::array()));
  return r;
}

json Encode(const ManagedPolicyRecord& r) {
  json versions = json::array();
  for (const auto& v : r.versions) {
    versions.push_back({{"id", v.version_id}, {"doc", v.document}, {"created", ToEpoch(v.created)}});
  }
  return {{"name", r.name},
          {"path", r.path},
          {"id", r.id},
          {"description", r.description},
          {"created", ToEpoch(r.created)},
          {"updated", ToEpoch(r.updated)},
          {"default", r.default_version},
          {"next", r.next_version},
          {"versions", versions},
          {"tags", TagsToJson(r.tags)}};
}
ManagedPolicyRecord DecodePolicy(const json& j) {
  ManagedPolicyRecord r;
  r.name = j.value("name", "");
  r.path = j.value("path", "/");
  r.id = j.value("id", "");
  r.description = j.value("description", "");
  r.created = FromEpoch(j.value("created", int64_t{0}));
  r.updated = FromEpoch(j.value("updated", int64_t{0}));
  r.default_version = j.value("default", "");
  r.next_version = j.value("next", 1);
  for (const auto& v : j.value("versions", json::array())) {
    r.versions.push_back(
        {v.value("id", ""), v.value("doc", ""), FromEpoch(v.value("created", int64_t{0}))});
  }
  r.tags = TagsFromJson(j.value("tags", json::array()));
  return r;
}

json Encode(const AccessKeyRecord& r) {
  return {{"user", r.user},     {"user_name", r.user_name}, {"secret", r.secret},
          {"active", r.active}, {"created", ToEpoch(r.created)}};
}
AccessKeyRecord DecodeAccessKey(std::string_view id, const json& j) {
  AccessKeyRecord r;
  r.access_key_id = id;
  r.user = j.value("user", "");
  r.user_name = j.value("user_name", "");
  r.secret = j.value("secret", "");
  r.active = j.value("active", true);
  r.created = FromEpoch(j.value("created", int64_t{0}));
  return r;
}

int KindNumber(Principal::Kind k) { return static_cast<int>(k); }

json Encode(const SessionRecord& r) {
  return {{"secret", r.secret},
          {"token", r.token},
          {"expires", ToEpoch(r.expires)},
          {"kind", KindNumber(r.kind)},
          {"role", r.role},
          {"role_name", r.role_name},
          {"role_path", r.role_path},
          {"role_id", r.role_id},
          {"session_name", r.session_name},
          {"user", r.user},
          {"session_policy", r.session_policy},
          {"tags", TagsToJson(r.session_tags)}};
}
SessionRecord DecodeSession(std::string_view id, const json& j) {
  SessionRecord r;
  r.access_key_id = id;
  r.secret = j.value("secret", "");
  r.token = j.value("token", "");
  r.expires = FromEpoch(j.value("expires", int64_t{0}));
  int kind = j.value("kind", KindNumber(Principal::Kind::kAssumedRole));
  if (kind < 0 || kind > KindNumber(Principal::Kind::kAssumedRole)) kind = 0;
  r.kind = static_cast<Principal::Kind>(kind);
  r.role = j.value("role", "");
  r.role_name = j.value("role_name", "");
  r.role_path = j.value("role_path", "/");
  r.role_id = j.value("role_id", "");
  r.session_name = j.value("session_name", "");
  r.user = j.value("user", "");
  r.session_policy = j.value("session_policy", "");
  r.session_tags = TagsFromJson(j.value("tags", json::array()));
  return r;
}

// Parses a stored value; a corrupt record is a 500, logged without content.
ApiResult<json> ParseStored(const store::Record& rec) {
  json j = json::parse(rec.value, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    spdlog::error("iam: corrupt record {}/{}", rec.kind, rec.id);
    return Fail(500, "ServiceFailure", "internal error");
  }
  return j;
}

template <class T, class Decode>
ApiResult<std::optional<T>> GetTyped(store::Store& store, std::string_view kind,
                                     std::string_view id, Decode decode) {
  auto rec = store.Get(kind, id);
  if (!rec) return Fail(FromStatus(rec.error()));
  if (!*rec) return std::optional<T>();
  auto j = ParseStored(**rec);
  if (!j) return Fail(j.error());
  T t = decode((*rec)->id, *j);
  t.version = (*rec)->version;
  return std::optional<T>(std::move(t));
}

template <class T, class Decode>
ApiResult<std::vector<T>> ListTyped(store::Store& store, std::string_view kind, Decode decode) {
  auto recs = store.List(kind);
  if (!recs) return Fail(FromStatus(recs.error()));
  std::vector<T> out;
  out.reserve(recs->size());
  for (const auto& rec : *recs) {
    auto j = ParseStored(rec);
    if (!j) return Fail(j.error());
    T t = decode(rec.id, *j);
    t.version = rec.version;
    out.push_back(std::move(t));
  }
  return out;
}

auto ByName(UserRecord (*f)(const json&)) {
  return [f](std::string_view, const json& j) { return f(j); };
}

}  // namespace

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

IamDirectory::IamDirectory(store::Store& store, std::string account_id, Random& random)
    : store_(store), account_(std::move(account_id)), random_(random) {}

std::string IamDirectory::UserArn(std::string_view path, std::string_view name) const {
  return "arn:aws:iam::" + account_ + ":user" + std::string(path) + std::string(name);
}
std::string IamDirectory::GroupArn(std::string_view path, std::string_view name) const {
  return "arn:aws:iam::" + account_ + ":group" + std::string(path) + std::string(name);
}
std::string IamDirectory::RoleArn(std::string_view path, std::string_view name) const {
  return "arn:aws:iam::" + account_ + ":role" + std::string(path) + std::string(name);
}
std::string IamDirectory::PolicyArn(std::string_view path, std::string_view name) const {
  return "arn:aws:iam::" + account_ + ":policy" + std::string(path) + std::string(name);
}
std::string IamDirectory::RootArn() const { return "arn:aws:iam::" + account_ + ":root"; }

std::optional<std::string> IamDirectory::PolicyKeyFromArn(std::string_view arn) const {
  std::string prefix = "arn:aws:iam::" + account_ + ":policy/";
  if (arn.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view rest = arn.substr(prefix.size() - 1);  // "/path/name"
  auto slash = rest.rfind('/');
  std::string_view name = rest.substr(slash + 1);
  if (name.empty()) return std::nullopt;
  return Lower(name);
}

ApiResult<std::optional<UserRecord>> IamDirectory::GetUser(std::string_view name) {
  return GetTyped<UserRecord>(store_, kUserKind, Lower(name), ByName(DecodeUser));
}
ApiResult<std::optional<GroupRecord>> IamDirectory::GetGroup(std::string_view name) {
  return GetTyped<GroupRecord>(store_, kGroupKind, Lower(name),
                               [](std::string_view, const json& j) { return DecodeGroup(j); });
}
ApiResult<std::optional<RoleRecord>> IamDirectory::GetRole(std::string_view name) {
  return GetTyped<RoleRecord>(store_, kRoleKind, Lower(name),
                              [](std::string_view, const json& j) { return DecodeRole(j); });
}
ApiResult<std::optional<ManagedPolicyRecord>> IamDirectory::GetPolicy(std::string_view arn) {
  auto key = PolicyKeyFromArn(arn);
  if (!key) return std::optional<ManagedPolicyRecord>();
  auto p = GetTyped<ManagedPolicyRecord>(
      store_, kPolicyKind, *key, [](std::string_view, const json& j) { return DecodePolicy(j); });
  if (!p || !*p) return p;
  // The name matched; the path must too.
  if (PolicyArn((*p)->path, (*p)->name) != arn) return std::optional<ManagedPolicyRecord>();
  return p;
}
ApiResult<std::optional<AccessKeyRecord>> IamDirectory::GetAccessKey(std::string_view id) {
  return GetTyped<AccessKeyRecord>(store_, kAccessKeyKind, id, DecodeAccessKey);
}
ApiResult<std::optional<SessionRecord>> IamDirectory::GetSession(std::string_view id) {
  return GetTyped<SessionRecord>(store_, kSessionKind, id, DecodeSession);
}
ApiResult<std::vector<UserRecord>> IamDirectory::ListUsers() {
  return ListTyped<UserRecord>(store_, kUserKind, ByName(DecodeUser));
}
ApiResult<std::vector<GroupRecord>> IamDirectory::ListGroups() {
  return ListTyped<GroupRecord>(store_, kGroupKind,
                                [](std::string_view, const json& j) { return DecodeGroup(j); });
}
ApiResult<std::vector<RoleRecord>> IamDirectory::ListRoles() {
  return ListTyped<RoleRecord>(store_, kRoleKind,
                               [](std::string_view, const json& j) { return DecodeRole(j); });
}
ApiResult<std::vector<ManagedPolicyRecord>> IamDirectory::ListPolicies() {
  return ListTyped<ManagedPolicyRecord>(
      store_, kPolicyKind, [](std::string_view, const json& j) { return DecodePolicy(j); });
}
ApiResult<std::vector<AccessKeyRecord>> IamDirectory::ListAccessKeys() {
  return ListTyped<AccessKeyRecord>(store_, kAccessKeyKind, DecodeAccessKey);
}
ApiResult<std::vector<SessionRecord>> IamDirectory::ListSessions() {
  return ListTyped<SessionRecord>(store_, kSessionKind, DecodeSession);
}

void IamDirectory::Put(store::Transaction& txn, const UserRecord& r) {
  txn.Put(std::string(kUserKind), Lower(r.name), Encode(r).dump(), r.version);
}
void IamDirectory::Put(store::Transaction& txn, const GroupRecord& r) {
  txn.Put(std::string(kGroupKind), Lower(r.name), Encode(r).dump(), r.version);
}
void IamDirectory::Put(store::Transaction& txn, const RoleRecord& r) {
  txn.Put(std::string(kRoleKind), Lower(r.name), Encode(r).dump(), r.version);
}
void IamDirectory::Put(store::Transaction& txn, const ManagedPolicyRecord& r) {
  txn.Put(std::string(kPolicyKind), Lower(r.name), Encode(r).dump(), r.version);
}
void IamDirectory::Put(store::Transaction& txn, const AccessKeyRecord& r) {
  txn.Put(std::string(kAccessKeyKind), r.access_key_id, Encode(r).dump(), r.version);
}
void IamDirectory::Put(store::Transaction& txn, const SessionRecord& r) {
  txn.Put(std::string(kSessionKind), r.access_key_id, Encode(r).dump(), r.version);
}
void IamDirectory::Delete(store::Transaction& txn, const UserRecord& r) {
  txn.Delete(std::string(kUserKind), Lower(r.name), r.version);
}
void IamDirectory::Delete(store::Transaction& txn, const GroupRecord& r) {
  txn.Delete(std::string(kGroupKind), Lower(r.name), r.version);
}
void IamDirectory::Delete(store::Transaction& txn, const RoleRecord& r) {
  txn.Delete(std::string(kRoleKind), Lower(r.name), r.version);
}
void IamDirectory::Delete(store::Transaction& txn, const ManagedPolicyRecord& r) {
  txn.Delete(std::string(kPolicyKind), Lower(r.name), r.version);
}
void IamDirectory::Delete(store::Transaction& txn, const AccessKeyRecord& r) {
  txn.Delete(std::string(kAccessKeyKind), r.access_key_id, r.version);
}
void IamDirectory::Delete(store::Transaction& txn, const SessionRecord& r) {
  txn.Delete(std::string(kSessionKind), r.access_key_id, r.version);
}

ApiResult<void> IamDirectory::Commit(const store::Transaction& txn) {
  Status s = store_.Commit(txn);
  if (s.ok()) return {};
  if (s.code() == Errc::kConflict) {
    return Fail(409, "ConcurrentModification",
                "The request was rejected because multiple requests to change this object were "
                "submitted simultaneously. Wait a few minutes and submit your request again.");
  }
  spdlog::error("iam: store commit failed: {}", s.ToString());
  return Fail(FromStatus(s));
}

Result<std::optional<RootCredentials>> IamDirectory::EnsureAccount() {
  std::lock_guard lock(write_mu_);
  auto existing = store_.Get(kAccountKind, account_);
  if (!existing) return Err(existing.error());
  if (*existing) return std::optional<RootCredentials>();
  AccessKeyRecord key;
  key.access_key_id = NewIamId(random_, "AKIA", 16);
  key.secret = NewSecretKey(random_);
  key.created = std::chrono::system_clock::now();
  store::Transaction txn;
  json account = {{"root_key", key.access_key_id}, {"created", ToEpoch(key.created)}};
  txn.Put(std::string(kAccountKind), account_, account.dump(), store::kMustNotExist);
  Put(txn, key);
  ELFS_RETURN_IF_ERROR_R(store_.Commit(txn));
  return std::optional<RootCredentials>(RootCredentials{key.access_key_id, key.secret});
}

std::optional<Principal> IamDirectory::PrincipalForKey(const AccessKeyRecord& key) {
  Principal p;
  p.account = account_;
  p.access_key_id = key.access_key_id;
  if (key.user.empty()) {
    p.kind = Principal::Kind::kRoot;
    p.arn = RootArn();
    p.user_id = account_;
    return p;
  }
  auto user = GetUser(key.user);
  if (!user || !*user) return std::nullopt;
  p.kind = Principal::Kind::kUser;
  p.arn = UserArn((*user)->path, (*user)->name);
  p.user_id = (*user)->id;
  p.name = (*user)->name;
  for (const auto& t : (*user)->tags) p.tags[t.key] = t.value;
  return p;
}

std::optional<AccessKey> IamDirectory::FindAccessKey(std::string_view access_key_id) {
  if (access_key_id.substr(0, 4) == "ASIA") {
    auto s = GetSession(access_key_id);
    if (!s || !*s) return std::nullopt;
    const SessionRecord& rec = **s;
    AccessKey key;
    key.access_key_id = rec.access_key_id;
    key.secret = rec.secret;
    key.session_token = rec.token;
    key.expires = rec.expires;
    key.session_policy = rec.session_policy;
    Principal& p = key.principal;
    p.account = account_;
    p.access_key_id = rec.access_key_id;
    if (rec.kind == Principal::Kind::kAssumedRole) {
      p.kind = Principal::Kind::kAssumedRole;
      p.arn = "arn:aws:sts::" + account_ + ":assumed-role/" + rec.role_name + "/" + rec.session_name;
      p.user_id = rec.role_id + ":" + rec.session_name;
      p.name = rec.role_name;
      p.role_arn = RoleArn(rec.role_path, rec.role_name);
      p.session_name = rec.session_name;
      // Principal tags of a session: the role's tags, overridden by session tags.
      if (auto role = GetRole(rec.role); role && *role && (*role)->id == rec.role_id) {
        for (const auto& t : (*role)->tags) p.tags[t.key] = t.value;
      }
      for (const auto& t : rec.session_tags) p.tags[t.key] = t.value;
    } else {
      // GetSessionToken: the session acts as the user (or root) that made it.
      AccessKeyRecord as_key;
      as_key.access_key_id = rec.access_key_id;
      as_key.user = rec.user;
      auto as = PrincipalForKey(as_key);
      if (!as) return std::nullopt;
      p = std::move(*as);
    }
    return key;
  }
  auto rec = GetAccessKey(access_key_id);
  if (!rec || !*rec) return std::nullopt;
  auto principal = PrincipalForKey(**rec);
  if (!principal) return std::nullopt;
  AccessKey key;
  key.access_key_id = (*rec)->access_key_id;
  key.secret = (*rec)->secret;
  key.active = (*rec)->active;
  key.principal = std::move(*principal);
  return key;
}

namespace {

void AddInline(std::vector<SourcedPolicy>& out, std::string_view type, std::string_view owner,
               const InlinePolicies& policies) {
  for (const auto& [name, doc] : policies) {
    out.push_back({std::string(type) + "/" + std::string(owner) + ":inline/" + name, name,
                   std::string(type), doc});
  }
}

// Managed policies contribute their default version.
void AddAttached(IamDirectory& dir, std::vector<SourcedPolicy>& out,
                        const std::vector<std::string>& arns) {
  for (const auto& arn : arns) {
    auto p = dir.GetPolicy(arn);
    if (!p || !*p) continue;
    for (const auto& v : (*p)->versions) {
      if (v.version_id == (*p)->default_version) {
        out.push_back({arn + " (" + v.version_id + ")", (*p)->name, "user-managed", v.document});
      }
    }
  }
}

}  // namespace

std::vector<SourcedPolicy> IamDirectory::PoliciesOfGroup(const GroupRecord& group) {
  std::vector<SourcedPolicy> out;
  AddInline(out, "group", group.name, group.inline_policies);
  AddAttached(*this, out, group.attached);
  return out;
}

std::vector<SourcedPolicy> IamDirectory::PoliciesOfUser(const UserRecord& user) {
  std::vector<SourcedPolicy> out;
  AddInline(out, "user", user.name, user.inline_policies);
  AddAttached(*this, out, user.attached);
  for (const auto& g : user.groups) {
    auto group = GetGroup(g);
    if (!group || !*group) continue;
    auto more = PoliciesOfGroup(**group);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

std::vector<SourcedPolicy> IamDirectory::PoliciesOfRole(const RoleRecord& role) {
  std::vector<SourcedPolicy> out;
  AddInline(out, "role", role.name, role.inline_policies);
  AddAttached(*this, out, role.attached);
  return out;
}

std::vector<PolicyDocument> IamDirectory::IdentityPolicies(const Principal& principal) {
  std::vector<SourcedPolicy> sourced;
  if (principal.kind == Principal::Kind::kUser) {
    auto user = GetUser(principal.name);
    // A user deleted and created again under the same name is another user.
    if (user && *user && (*user)->id == principal.user_id) sourced = PoliciesOfUser(**user);
  } else if (principal.kind == Principal::Kind::kAssumedRole) {
    auto role = GetRole(principal.name);
    std::string role_id = principal.user_id.substr(0, principal.user_id.find(':'));
    if (role && *role && (*role)->id == role_id) sourced = PoliciesOfRole(**role);
  }
  std::vector<PolicyDocument> out;
  out.reserve(sourced.size());
  for (auto& s : sourced) out.push_back({std::move(s.label), std::move(s.document)});
  return out;
}

std::optional<std::string> IamDirectory::SessionPolicy(const Principal& principal) {
  if (principal.kind != Principal::Kind::kAssumedRole || principal.access_key_id.empty()) {
    return std::nullopt;
  }
  auto s = GetSession(principal.access_key_id);
  if (!s || !*s || (*s)->session_policy.empty()) return std::nullopt;
  return (*s)->session_policy;
}

}  // namespace elfs::api::iam
