// CreateFileSystem, DescribeFileSystems, UpdateFileSystem, DeleteFileSystem.
#include <algorithm>

#include <fmt/format.h>

#include "api/common/ids.h"
#include "api/efs/impl.h"

namespace elfs::api::efs {
namespace {

using Impl = EfsService::Impl;

int64_t Seconds(const CallContext& ctx) { return static_cast<int64_t>(EpochSeconds(ctx.now)); }

// EFS answers KmsKeyId as a key or alias ARN whatever form was given.
std::string KmsKeyArn(const std::string& given, const EfsConfig& cfg) {
  if (given.empty()) {
    return fmt::format("arn:aws:kms:{}:{}:alias/aws/elasticfilesystem", cfg.region, cfg.account_id);
  }
  if (given.starts_with("arn:")) return given;
  if (given.starts_with("alias/")) {
    return fmt::format("arn:aws:kms:{}:{}:{}", cfg.region, cfg.account_id, given);
  }
  return fmt::format("arn:aws:kms:{}:{}:key/{}", cfg.region, cfg.account_id, given);
}

// The AZ id for a One Zone name, or UnsupportedAvailabilityZone.
R<std::string> AzIdOf(const std::string& name, const EfsConfig& cfg) {
  if (!cfg.availability_zones.empty()) {
    for (const auto& az : cfg.availability_zones) {
      if (az.name == name) return az.id;
    }
  } else if (name.size() == cfg.region.size() + 1 && name.starts_with(cfg.region) &&
             name.back() >= 'a' && name.back() <= 'z') {
    return std::string();
  }
  return Error("UnsupportedAvailabilityZone",
               fmt::format("Availability Zone '{}' is not supported in {}.", name, cfg.region));
}

// Throughput settings shared by create and update.
R<void> CheckThroughput(const std::string& mode, const std::optional<double>& mibps,
                        const std::string& performance_mode, const EfsConfig& cfg) {
  if (mode == "provisioned" && !mibps) {
    return BadRequest("ProvisionedThroughputInMibps is required when ThroughputMode is provisioned.");
  }
  if (mode != "provisioned" && mibps) {
    return BadRequest("ProvisionedThroughputInMibps can be set only when ThroughputMode is provisioned.");
  }
  if (mibps && *mibps > cfg.max_provisioned_throughput_mibps) {
    return Error("ThroughputLimitExceeded",
                 fmt::format("Provisioned throughput {} MiB/s is above the limit of {} MiB/s.",
                             *mibps, cfg.max_provisioned_throughput_mibps));
  }
  if (mode == "elastic" && performance_mode == "maxIO") {
    return BadRequest("Elastic throughput is not supported with the maxIO performance mode.");
  }
  return {};
}

}  // namespace

R<Impl::Answer> Impl::CreateFileSystem(Call& c) {
  Obj o{c.body, ""};
  EFS_TRY(token, Required(GetString(o, "CreationToken", TokenLikeShape(64)), o, "CreationToken"));
  EFS_TRY(perf, GetString(o, "PerformanceMode", PerformanceModeShape()));
  EFS_TRY(encrypted, GetBool(o, "Encrypted"));
  EFS_TRY(kms, GetString(o, "KmsKeyId", KmsKeyIdShape()));
  EFS_TRY(mode, GetString(o, "ThroughputMode", ThroughputModeShape()));
  EFS_TRY(mibps, GetDouble(o, "ProvisionedThroughputInMibps", 1.0));
  EFS_TRY(az, GetString(o, "AvailabilityZoneName", AvailabilityZoneNameShape()));
  EFS_TRY(backup, GetBool(o, "Backup"));
  EFS_TRY(tags_opt, GetTags(o, "Tags"));
  Tags tags = tags_opt.value_or(Tags{});
  EFS_CHECK(CheckTagCount(tags));

  FileSystemRecord fs;
  fs.owner_id = config_.account_id;
  fs.creation_token = token;
  fs.creation_time = Seconds(c.ctx);
  fs.performance_mode = perf.value_or("generalPurpose");
  fs.throughput_mode = mode.value_or("bursting");
  fs.provisioned_mibps = mibps;
  fs.encrypted = encrypted.value_or(false);
  if (kms && !fs.encrypted) {
    return BadRequest("KmsKeyId can be given only for an encrypted file system (Encrypted: true).");
  }
  if (fs.encrypted) fs.kms_key_id = KmsKeyArn(kms.value_or(""), config_);
  EFS_CHECK(CheckThroughput(fs.throughput_mode, fs.provisioned_mibps, fs.performance_mode, config_));
  if (az) {
    if (fs.performance_mode == "maxIO") {
      return BadRequest("One Zone file systems support only the generalPurpose performance mode.");
    }
    EFS_TRY(az_id, AzIdOf(*az, config_));
    fs.az_name = *az;
    fs.az_id = az_id;
  }
  // Automatic backups: EFS turns them on by default for One Zone only when
  // created through the API.
  fs.backup_status = backup.value_or(!fs.az_name.empty()) ? "ENABLED" : "DISABLED";
  fs.tags = tags;

  // What makes two requests with the same token "the same request".
  Json fingerprint = {{"PerformanceMode", fs.performance_mode}, {"ThroughputMode", fs.throughput_mode},
                      {"Encrypted", fs.encrypted},              {"KmsKeyId", fs.kms_key_id},
                      {"AvailabilityZoneName", fs.az_name},     {"Backup", backup ? Json(*backup) : Json()},
                      {"Tags", TagsToJson(tags)},               {"Mibps", mibps ? Json(*mibps) : Json()}};

  fs.id = NewId("fs");
  std::string arn = FsArn(fs.id);
  c.resource = arn;
  ConditionKeys keys;
  AddRequestTags(keys, tags);
  keys["elasticfilesystem:Encrypted"] = {fs.encrypted ? "true" : "false"};
  EFS_CHECK(Authorize(c, arn, keys));
  EFS_CHECK(AuthorizeCreateTags(c, arn, tags));

  // An earlier request with this token: the same one is answered with its file
  // system, another one with FileSystemAlreadyExists.
  auto existing = [&]() -> R<std::optional<Answer>> {
    auto rec = store_.Get(kCreationTokenKind, token);
    if (!rec) return StoreFailure(rec.error());
    if (!*rec) return std::optional<Answer>();
    Json t = Json::parse((*rec)->value, nullptr, false);
    std::string id = t.is_object() ? t.value("FileSystemId", "") : "";
    if (t.is_object() && t.value("Request", Json()) == fingerprint) {
      EFS_TRY(old, LoadFs(id));
      c.resource = FsArn(old.id);
      return std::optional<Answer>(Answer{201, DescribeFs(old, c.ctx)});
    }
    EfsError e{409, "FileSystemAlreadyExists",
               fmt::format("File system '{}' already exists with creation token '{}'", id, token),
               {{"FileSystemId", id}}};
    return tl::unexpected<EfsError>(std::move(e));
  };
  {
    EFS_TRY(earlier, existing());
    if (earlier) return *earlier;
  }

  bool committed = false;
  Status created = data_plane_.CreateStorage(fs.id);
  if (!created.ok()) return Error("InternalServerError", "could not create the file system's storage");
  auto answer = Retrying([&]() -> R<Answer> {
    EFS_TRY(earlier, existing());
    if (earlier) return *earlier;
    store::Transaction txn;
    EFS_CHECK(AddNewFileSystem(txn, fs, fingerprint));
    EFS_CHECK(Commit(txn));
    committed = true;
    c.resource = arn;
    return Answer{201, DescribeFs(fs, c.ctx)};
  });
  // Anything but our own creation leaves the new storage unused.
  if (!committed) {
    Status dropped = data_plane_.DeleteStorage(fs.id);
    (void)dropped;  // nothing refers to it; a leftover directory holds no data
  }
  return answer;
}

R<void> Impl::AddNewFileSystem(store::Transaction& txn, const FileSystemRecord& fs,
                               const Json& request) const {
  auto quota = store_.Get(kQuotaKind, "file-systems");
  if (!quota) return StoreFailure(quota.error());
  uint64_t count = 0;
  std::optional<uint64_t> quota_version = store::kMustNotExist;
  if (*quota) {
    Json q = Json::parse((*quota)->value, nullptr, false);
    count = q.is_object() ? q.value("Count", uint64_t{0}) : 0;
    quota_version = (*quota)->version;
  }
  if (count >= config_.max_file_systems) {
    return Error("FileSystemLimitExceeded",
                 fmt::format("The account has reached its limit of {} file systems.",
                             config_.max_file_systems));
  }
  txn.Put(kCreationTokenKind, fs.creation_token,
          Dump({{"FileSystemId", fs.id}, {"Request", request}}), store::kMustNotExist);
  txn.Put(kQuotaKind, "file-systems", Dump({{"Count", count + 1}}), quota_version);
  txn.Put(kFileSystemKind, fs.id, Dump(fs.ToJson()), store::kMustNotExist);
  return {};
}

R<Impl::Answer> Impl::DescribeFileSystems(Call& c) {
  EFS_TRY(max_items, QueryInt(c, "MaxItems"));
  EFS_TRY(marker, QueryString(c, "Marker", TokenLikeShape(128)));
  EFS_TRY(token, QueryString(c, "CreationToken", TokenLikeShape(64)));
  std::optional<std::string> fs_id;
  bool by_id = false;
  if (const std::string* v = c.query.Get("FileSystemId")) {
    EFS_TRY(id, FsIdFrom("fileSystemId", *v));
    fs_id = id;
    by_id = true;
  }
  if (by_id && token) return BadRequest("Specify either FileSystemId or CreationToken, not both.");

  std::vector<FileSystemRecord> found;
  if (by_id) {
    EFS_TRY(fs, LoadFs(fs_id));
    c.resource = FsArn(fs.id);
    ConditionKeys keys;
    AddResourceTags(keys, fs.tags);
    EFS_CHECK(Authorize(c, c.resource, keys));
    found.push_back(std::move(fs));
  } else {
    EFS_CHECK(Authorize(c, "*", {}));
    EFS_TRY(all, ListFs());
    for (auto& fs : all) {
      if (!token || fs.creation_token == *token) found.push_back(std::move(fs));
    }
  }
  std::vector<std::string> ids;
  for (const auto& fs : found) ids.push_back(fs.id);
  PageBounds page = Page(ids, marker, max_items, 100);
  Json list = Json::array();
  for (size_t i = page.begin; i < page.end; ++i) list.push_back(DescribeFs(found[i], c.ctx));
  Json out = {{"FileSystems", list}};
  if (marker) out["Marker"] = *marker;
  if (page.next) out["NextMarker"] = *page.next;
  return Answer{200, out};
}

R<Impl::Answer> Impl::UpdateFileSystem(Call& c) {
  Obj o{c.body, ""};
  EFS_TRY(mode, GetString(o, "ThroughputMode", ThroughputModeShape()));
  EFS_TRY(mibps, GetDouble(o, "ProvisionedThroughputInMibps", 1.0));
  EFS_TRY(first, LoadFsParam(c, "fileSystemId", c.params[0]));
  ConditionKeys keys;
  AddResourceTags(keys, first.tags);
  EFS_CHECK(Authorize(c, c.resource, keys));
  if (!mode && !mibps) {
    return BadRequest("Specify ThroughputMode, ProvisionedThroughputInMibps or both.");
  }
  int64_t now = Seconds(c.ctx);
  return Retrying([&]() -> R<Answer> {
    EFS_TRY(fs, LoadFs(first.id));
    if (fs.life_cycle_state != "available") {
      return Error("IncorrectFileSystemLifeCycleState",
                   fmt::format("File system '{}' is {}.", fs.id, fs.life_cycle_state));
    }
    std::string new_mode = mode.value_or(fs.throughput_mode);
    std::optional<double> new_mibps = mibps;
    if (!new_mibps && new_mode == "provisioned" && fs.throughput_mode == "provisioned") {
      new_mibps = fs.provisioned_mibps;
    }
    EFS_CHECK(CheckThroughput(new_mode, new_mibps, fs.performance_mode, config_));
    // EFS allows a throughput mode change or a decrease of provisioned
    // throughput once per interval; increases at any time.
    bool mode_change = new_mode != fs.throughput_mode;
    bool decrease = new_mibps && fs.provisioned_mibps && *new_mibps < *fs.provisioned_mibps;
    if (mode_change || decrease) {
      if (fs.last_throughput_change != 0 &&
          now < fs.last_throughput_change + config_.throughput_change_interval.count()) {
        return Error("TooManyRequests",
                     fmt::format("File system '{}': the throughput mode or a provisioned throughput "
                                 "decrease can be changed once every {} seconds.",
                                 fs.id, config_.throughput_change_interval.count()));
      }
      fs.last_throughput_change = now;
    }
    fs.throughput_mode = new_mode;
    fs.provisioned_mibps = new_mibps;
    store::Transaction txn;
    txn.Put(kFileSystemKind, fs.id, Dump(fs.ToJson()), fs.version);
    EFS_CHECK(Commit(txn));
    return Answer{202, DescribeFs(fs, c.ctx)};
  });
}

R<Impl::Answer> Impl::DeleteFileSystem(Call& c) {
  EFS_TRY(first, LoadFsParam(c, "fileSystemId", c.params[0]));
  ConditionKeys keys;
  AddResourceTags(keys, first.tags);
  EFS_CHECK(Authorize(c, c.resource, keys));

  // 1. Mark it deleting, so no mount target or access point can be added.
  EFS_CHECK(Retrying([&]() -> R<Answer> {
    EFS_TRY(fs, LoadFs(first.id));
    if (!fs.mount_targets.empty()) {
      return Error("FileSystemInUse",
                   fmt::format("File system '{}' has mount targets; delete them first.", fs.id));
    }
    if (fs.life_cycle_state == "deleting") return Answer{};
    fs.life_cycle_state = "deleting";
    store::Transaction txn;
    txn.Put(kFileSystemKind, fs.id, Dump(fs.ToJson()), fs.version);
    EFS_CHECK(Commit(txn));
    return Answer{};
  }));

  // 2. Drop the data; on failure the file system is available again.
  Status dropped = data_plane_.DeleteStorage(first.id);
  if (!dropped.ok()) {
    auto restored = Retrying([&]() -> R<Answer> {
      EFS_TRY(fs, LoadFs(first.id));
      fs.life_cycle_state = "available";
      store::Transaction txn;
      txn.Put(kFileSystemKind, fs.id, Dump(fs.ToJson()), fs.version);
      EFS_CHECK(Commit(txn));
      return Answer{};
    });
    (void)restored;
    return Error("InternalServerError", "could not delete the file system's storage; retry");
  }

  // 3. Remove it with its policy, token, access points, and give back quota.
  return Retrying([&]() -> R<Answer> {
    EFS_TRY(fs, LoadFs(first.id));
    EFS_TRY(aps, ListAp());
    auto quota = store_.Get(kQuotaKind, "file-systems");
    if (!quota) return StoreFailure(quota.error());
    store::Transaction txn;
    txn.Delete(kFileSystemKind, fs.id, fs.version);
    txn.Delete(kPolicyKind, fs.id);
    txn.Delete(kCreationTokenKind, fs.creation_token);
    for (const auto& ap : aps) {
      if (ap.file_system_id != fs.id) continue;
      txn.Delete(kAccessPointKind, ap.id, ap.version);
      txn.Delete(kClientTokenKind, ap.client_token);
    }
    if (*quota) {
      Json q = Json::parse((*quota)->value, nullptr, false);
      uint64_t count = q.is_object() ? q.value("Count", uint64_t{0}) : 0;
      txn.Put(kQuotaKind, "file-systems", Dump({{"Count", count > 0 ? count - 1 : 0}}),
              (*quota)->version);
    }
    EFS_CHECK(Commit(txn));
    return Answer{204, std::nullopt};
  });
}

}  // namespace elfs::api::efs
