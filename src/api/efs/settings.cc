// Settings of a file system and of the account: file system policy,
// lifecycle configuration, backup policy, account preferences, and the
// replication operations (elfs has one region and does not replicate; see
// docs/api.md).
#include <fmt/format.h>

#include "api/efs/impl.h"

namespace elfs::api::efs {
namespace {

using Impl = EfsService::Impl;

// Until the IAM engine is wired in (EfsConfig::policy_validator): a policy
// is a JSON object with a Statement.
std::optional<std::string> MinimalPolicyCheck(std::string_view policy) {
  Json j = Json::parse(policy, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return "The policy is not valid JSON.";
  if (!j.is_object()) return "The policy must be a JSON object.";
  auto it = j.find("Statement");
  if (it == j.end() || !(it->is_object() || (it->is_array() && !it->empty()))) {
    return "The policy must contain a Statement.";
  }
  return std::nullopt;
}

R<void> MustBeAvailable(const FileSystemRecord& fs) {
  if (fs.life_cycle_state != "available") {
    return Error("IncorrectFileSystemLifeCycleState",
                 fmt::format("File system '{}' is {}.", fs.id, fs.life_cycle_state));
  }
  return {};
}

Json PreferenceJson(const std::string& type) {
  return {{"ResourceIdType", type}, {"Resources", {"FILE_SYSTEM", "MOUNT_TARGET"}}};
}

}  // namespace

// A file system named by the path, authorized with its tags: the start of
// every per-file-system settings operation.
#define EFS_LOAD_AUTHORIZED_FS(fs)                              \
  EFS_TRY(fs, LoadFsParam(c, "fileSystemId", c.params[0]));     \
  do {                                                          \
    ConditionKeys keys_;                                        \
    AddResourceTags(keys_, fs.tags);                            \
    EFS_CHECK(Authorize(c, c.resource, keys_));                 \
  } while (0)

R<Impl::Answer> Impl::PutFileSystemPolicy(Call& c) {
  Obj o{c.body, ""};
  EFS_TRY(policy, Required(GetString(o, "Policy", PolicyShape()), o, "Policy"));
  EFS_TRY(bypass, GetBool(o, "BypassPolicyLockoutSafetyCheck"));
  EFS_LOAD_AUTHORIZED_FS(first);
  EFS_CHECK(MustBeAvailable(first));
  auto invalid = config_.policy_validator ? config_.policy_validator(policy) : MinimalPolicyCheck(policy);
  if (invalid) return Error("InvalidPolicyException", *invalid);
  if (!bypass.value_or(false) && config_.policy_lockout_check) {
    if (auto locked = config_.policy_lockout_check(c.ctx, c.resource, policy)) {
      return Error("InvalidPolicyException", *locked);
    }
  }
  return Retrying([&]() -> R<Answer> {
    EFS_TRY(fs, LoadFs(first.id));
    EFS_CHECK(MustBeAvailable(fs));
    store::Transaction txn;
    // Rewriting the file system at its version makes the commit fail if it
    // was deleted meanwhile.
    txn.Put(kFileSystemKind, fs.id, Dump(fs.ToJson()), fs.version);
    txn.Put(kPolicyKind, fs.id, Dump({{"Policy", policy}}));
    EFS_CHECK(Commit(txn));
    return Answer{200, Json{{"FileSystemId", fs.id}, {"Policy", policy}}};
  });
}

R<Impl::Answer> Impl::DescribeFileSystemPolicy(Call& c) {
  EFS_LOAD_AUTHORIZED_FS(fs);
  auto rec = store_.Get(kPolicyKind, fs.id);
  if (!rec) return StoreFailure(rec.error());
  Json stored = *rec ? Json::parse((*rec)->value, nullptr, false) : Json();
  if (!stored.is_object() || !stored.contains("Policy")) {
    return Error("PolicyNotFound",
                 fmt::format("File system '{}' has no policy; the default policy is in effect.", fs.id));
  }
  return Answer{200, Json{{"FileSystemId", fs.id}, {"Policy", stored["Policy"]}}};
}

R<Impl::Answer> Impl::DeleteFileSystemPolicy(Call& c) {
  EFS_LOAD_AUTHORIZED_FS(fs);
  EFS_CHECK(MustBeAvailable(fs));
  store::Transaction txn;
  txn.Delete(kPolicyKind, fs.id);
  EFS_CHECK(Commit(txn));
  return Answer{200, std::nullopt};
}

R<Impl::Answer> Impl::PutLifecycleConfiguration(Call& c) {
  Obj o{c.body, ""};
  EFS_TRY(list, GetArray(o, "LifecyclePolicies", 0, 2));
  if (!list) return MissingMember("lifecyclePolicies");
  Json policies = Json::array();
  bool to_ia = false, to_primary = false;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& e = (*list)[i];
    std::string where = fmt::format("lifecyclePolicies.{}.member", i + 1);
    if (!e.is_object()) return BadRequest(fmt::format("'{}' must be an object", where));
    Obj p{e, where};
    EFS_TRY(ia, GetString(p, "TransitionToIA", TransitionToIAShape()));
    EFS_TRY(primary, GetString(p, "TransitionToPrimaryStorageClass", TransitionToPrimaryShape()));
    // EFS: each policy object names exactly one transition, each kind once.
    if (ia.has_value() == primary.has_value()) {
      return BadRequest("Each LifecyclePolicy must have exactly one of TransitionToIA or "
                        "TransitionToPrimaryStorageClass.");
    }
    if ((ia && to_ia) || (primary && to_primary)) {
      return BadRequest("A transition kind can appear only once in LifecyclePolicies.");
    }
    to_ia |= ia.has_value();
    to_primary |= primary.has_value();
    policies.push_back(ia ? Json{{"TransitionToIA", *ia}}
                          : Json{{"TransitionToPrimaryStorageClass", *primary}});
  }
  EFS_LOAD_AUTHORIZED_FS(first);
  return Retrying([&]() -> R<Answer> {
    EFS_TRY(fs, LoadFs(first.id));
    EFS_CHECK(MustBeAvailable(fs));
    fs.lifecycle_policies = policies;
    store::Transaction txn;
    txn.Put(kFileSystemKind, fs.id, Dump(fs.ToJson()), fs.version);
    EFS_CHECK(Commit(txn));
    return Answer{200, Json{{"LifecyclePolicies", policies}}};
  });
}

R<Impl::Answer> Impl::DescribeLifecycleConfiguration(Call& c) {
  EFS_LOAD_AUTHORIZED_FS(fs);
  return Answer{200, Json{{"LifecyclePolicies", fs.lifecycle_policies}}};
}

R<Impl::Answer> Impl::PutBackupPolicy(Call& c) {
  Obj o{c.body, ""};
  EFS_TRY(policy_json, GetObject(o, "BackupPolicy"));
  if (!policy_json) return MissingMember("backupPolicy");
  Obj p{*policy_json, "backupPolicy"};
  EFS_TRY(status, Required(GetString(p, "Status", BackupStatusShape()), p, "Status"));
  if (status != "ENABLED" && status != "DISABLED") {
    return Invalid("backupPolicy.status", status,
                   "Member must be ENABLED or DISABLED (ENABLING and DISABLING are states)");
  }
  EFS_LOAD_AUTHORIZED_FS(first);
  return Retrying([&]() -> R<Answer> {
    EFS_TRY(fs, LoadFs(first.id));
    EFS_CHECK(MustBeAvailable(fs));
    fs.backup_status = status;
    store::Transaction txn;
    txn.Put(kFileSystemKind, fs.id, Dump(fs.ToJson()), fs.version);
    EFS_CHECK(Commit(txn));
    return Answer{200, Json{{"BackupPolicy", {{"Status", status}}}}};
  });
}

R<Impl::Answer> Impl::DescribeBackupPolicy(Call& c) {
  EFS_LOAD_AUTHORIZED_FS(fs);
  return Answer{200, Json{{"BackupPolicy", {{"Status", fs.backup_status}}}}};
}

R<Impl::Answer> Impl::PutAccountPreferences(Call& c) {
  Obj o{c.body, ""};
  EFS_TRY(type, Required(GetString(o, "ResourceIdType", ResourceIdTypeShape()), o, "ResourceIdType"));
  EFS_CHECK(Authorize(c, "*", {}));
  store::Transaction txn;
  txn.Put(kPreferencesKind, config_.account_id, Dump({{"ResourceIdType", type}}));
  EFS_CHECK(Commit(txn));
  return Answer{200, Json{{"ResourceIdPreference", PreferenceJson(type)}}};
}

R<Impl::Answer> Impl::DescribeAccountPreferences(Call& c) {
  // The CLI sends these in a JSON body of a GET.
  Obj o{c.body, ""};
  EFS_TRY(token, GetString(o, "NextToken", TokenLikeShape(128)));
  EFS_TRY(max, GetLong(o, "MaxResults", 1, INT32_MAX));
  (void)token;  // validated only: the answer is one preference, a single page
  (void)max;
  EFS_CHECK(Authorize(c, "*", {}));
  auto rec = store_.Get(kPreferencesKind, config_.account_id);
  if (!rec) return StoreFailure(rec.error());
  std::string type = "LONG_ID";
  if (*rec) {
    Json j = Json::parse((*rec)->value, nullptr, false);
    if (j.is_object()) type = j.value("ResourceIdType", type);
  }
  return Answer{200, Json{{"ResourceIdPreference", PreferenceJson(type)}}};
}

R<Impl::Answer> Impl::CreateReplicationConfiguration(Call& c) {
  Obj o{c.body, ""};
  EFS_TRY(list, GetArray(o, "Destinations", 0, SIZE_MAX));
  if (!list) return MissingMember("destinations");
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& e = (*list)[i];
    std::string where = fmt::format("destinations.{}.member", i + 1);
    if (!e.is_object()) return BadRequest(fmt::format("'{}' must be an object", where));
    Obj d{e, where};
    EFS_TRY(region, GetString(d, "Region", RegionNameShape()));
    EFS_TRY(az, GetString(d, "AvailabilityZoneName", AvailabilityZoneNameShape()));
    EFS_TRY(kms, GetString(d, "KmsKeyId", KmsKeyIdShape()));
    (void)region;  // validated only: nothing is replicated
    (void)az;
    (void)kms;
  }
  EFS_LOAD_AUTHORIZED_FS(fs);
  EFS_CHECK(MustBeAvailable(fs));
  return Error("ValidationException",
               "Replication is not available: this elfs deployment serves one region.");
}

R<Impl::Answer> Impl::DescribeReplicationConfigurations(Call& c) {
  EFS_TRY(max_results, QueryInt(c, "MaxResults"));
  EFS_TRY(next_token, QueryString(c, "NextToken", TokenLikeShape(128)));
  (void)max_results;  // validated only: the list is always empty
  (void)next_token;
  if (const std::string* v = c.query.Get("FileSystemId")) {
    EFS_TRY(fs, LoadFsParam(c, "fileSystemId", *v));
    ConditionKeys keys;
    AddResourceTags(keys, fs.tags);
    EFS_CHECK(Authorize(c, c.resource, keys));
    return Error("ReplicationNotFound",
                 fmt::format("No replication configuration found for file system '{}'.", fs.id));
  }
  EFS_CHECK(Authorize(c, "*", {}));
  return Answer{200, Json{{"Replications", Json::array()}}};
}

R<Impl::Answer> Impl::DeleteReplicationConfiguration(Call& c) {
  EFS_LOAD_AUTHORIZED_FS(fs);
  return Error("ReplicationNotFound",
               fmt::format("No replication configuration found for file system '{}'.", fs.id));
}

#undef EFS_LOAD_AUTHORIZED_FS

}  // namespace elfs::api::efs
