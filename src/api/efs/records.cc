#include "api/efs/records.h"

#include <charconv>

namespace elfs::api::efs {
namespace {

// Records are ours, but a store may be damaged or older: any JSON error while
// reading one makes it unreadable (nullopt), never an exception.
template <class F>
auto ParseWith(const std::string& text, F&& read) -> decltype(read(std::declval<const Json&>())) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  try {
    return read(j);
  } catch (const Json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<uint32_t> ParseOctalMode(std::string_view text) {
  uint32_t mode = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty() || mode > 07777) {
    return std::nullopt;
  }
  return mode;
}

Json TagsToJson(const Tags& tags) {
  Json out = Json::array();
  for (const auto& [k, v] : tags) out.push_back({{"Key", k}, {"Value", v}});
  return out;
}

Tags TagsFromJson(const Json& j) {
  Tags out;
  for (const auto& t : j) out.emplace_back(t.at("Key").get<std::string>(), t.at("Value").get<std::string>());
  return out;
}

std::string NameTag(const Tags& tags) {
  for (const auto& [k, v] : tags) {
    if (k == "Name") return v;
  }
  return {};
}

Json FileSystemRecord::ToJson() const {
  Json j = {{"FileSystemId", id},
            {"OwnerId", owner_id},
            {"CreationToken", creation_token},
            {"CreationTime", creation_time},
            {"LifeCycleState", life_cycle_state},
            {"PerformanceMode", performance_mode},
            {"ThroughputMode", throughput_mode},
            {"Encrypted", encrypted},
            {"Tags", TagsToJson(tags)},
            {"BackupStatus", backup_status},
            {"LifecyclePolicies", lifecycle_policies},
            {"MountTargets", mount_targets},
            {"MountTargetVpcId", mount_target_vpc},
            {"AccessPoints", access_points},
            {"LastThroughputChange", last_throughput_change}};
  if (provisioned_mibps) j["ProvisionedThroughputInMibps"] = *provisioned_mibps;
  if (!kms_key_id.empty()) j["KmsKeyId"] = kms_key_id;
  if (!az_name.empty()) j["AvailabilityZoneName"] = az_name;
  if (!az_id.empty()) j["AvailabilityZoneId"] = az_id;
  return j;
}

std::optional<FileSystemRecord> FileSystemRecord::Parse(const std::string& text, uint64_t version) {
  return ParseWith(text, [&](const Json& j) -> std::optional<FileSystemRecord> {
    FileSystemRecord r;
    r.version = version;
    r.id = j.at("FileSystemId").get<std::string>();
    r.owner_id = j.at("OwnerId").get<std::string>();
    r.creation_token = j.at("CreationToken").get<std::string>();
    r.creation_time = j.at("CreationTime").get<int64_t>();
    r.life_cycle_state = j.at("LifeCycleState").get<std::string>();
    r.performance_mode = j.at("PerformanceMode").get<std::string>();
    r.throughput_mode = j.at("ThroughputMode").get<std::string>();
    r.encrypted = j.at("Encrypted").get<bool>();
    r.tags = TagsFromJson(j.at("Tags"));
    r.backup_status = j.at("BackupStatus").get<std::string>();
    r.lifecycle_policies = j.at("LifecyclePolicies");
    r.mount_targets = j.at("MountTargets").get<std::map<std::string, std::string>>();
    r.mount_target_vpc = j.at("MountTargetVpcId").get<std::string>();
    r.access_points = j.at("AccessPoints").get<uint64_t>();
    r.last_throughput_change = j.at("LastThroughputChange").get<int64_t>();
    if (j.contains("ProvisionedThroughputInMibps")) {
      r.provisioned_mibps = j["ProvisionedThroughputInMibps"].get<double>();
    }
    r.kms_key_id = j.value("KmsKeyId", "");
    r.az_name = j.value("AvailabilityZoneName", "");
    r.az_id = j.value("AvailabilityZoneId", "");
    return r;
  });
}

Json MountTargetRecord::ToJson() const {
  Json j = {{"OwnerId", owner_id},
            {"MountTargetId", id},
            {"FileSystemId", file_system_id},
            {"SubnetId", subnet_id},
            {"LifeCycleState", life_cycle_state},
            {"IpAddress", ip_address},
            {"NetworkInterfaceId", network_interface_id},
            {"AvailabilityZoneName", az_name},
            {"VpcId", vpc_id}};
  if (!az_id.empty()) j["AvailabilityZoneId"] = az_id;
  return j;
}

std::optional<MountTargetRecord> MountTargetRecord::Parse(const std::string& text, uint64_t version) {
  return ParseWith(text, [&](const Json& j) -> std::optional<MountTargetRecord> {
    MountTargetRecord r;
    r.version = version;
    r.owner_id = j.at("OwnerId").get<std::string>();
    r.id = j.at("MountTargetId").get<std::string>();
    r.file_system_id = j.at("FileSystemId").get<std::string>();
    r.subnet_id = j.at("SubnetId").get<std::string>();
    r.life_cycle_state = j.at("LifeCycleState").get<std::string>();
    r.ip_address = j.at("IpAddress").get<std::string>();
    r.network_interface_id = j.at("NetworkInterfaceId").get<std::string>();
    r.az_name = j.at("AvailabilityZoneName").get<std::string>();
    r.vpc_id = j.at("VpcId").get<std::string>();
    r.az_id = j.value("AvailabilityZoneId", "");
    return r;
  });
}

Json AccessPointRecord::ToJson() const {
  Json j = {{"ClientToken", client_token},
            {"Tags", TagsToJson(tags)},
            {"AccessPointId", id},
            {"FileSystemId", file_system_id},
            {"OwnerId", owner_id},
            {"LifeCycleState", life_cycle_state}};
  std::string name = NameTag(tags);
  if (!name.empty()) j["Name"] = name;
  if (posix_user) {
    j["PosixUser"] = {{"Uid", posix_user->uid}, {"Gid", posix_user->gid}};
    if (!posix_user->secondary_gids.empty()) {
      j["PosixUser"]["SecondaryGids"] = posix_user->secondary_gids;
    }
  }
  Json root = {{"Path", root_path}};
  if (creation_info) {
    root["CreationInfo"] = {{"OwnerUid", creation_info->owner_uid},
                            {"OwnerGid", creation_info->owner_gid},
                            {"Permissions", permissions_text}};
  }
  j["RootDirectory"] = root;
  return j;
}

std::optional<AccessPointRecord> AccessPointRecord::Parse(const std::string& text, uint64_t version) {
  return ParseWith(text, [&](const Json& j) -> std::optional<AccessPointRecord> {
    AccessPointRecord r;
    r.version = version;
    r.client_token = j.at("ClientToken").get<std::string>();
    r.tags = TagsFromJson(j.at("Tags"));
    r.id = j.at("AccessPointId").get<std::string>();
    r.file_system_id = j.at("FileSystemId").get<std::string>();
    r.owner_id = j.at("OwnerId").get<std::string>();
    r.life_cycle_state = j.at("LifeCycleState").get<std::string>();
    if (j.contains("PosixUser")) {
      const Json& p = j["PosixUser"];
      PosixUser u;
      u.uid = p.at("Uid").get<uint32_t>();
      u.gid = p.at("Gid").get<uint32_t>();
      if (p.contains("SecondaryGids")) u.secondary_gids = p["SecondaryGids"].get<std::vector<uint32_t>>();
      r.posix_user = u;
    }
    const Json& root = j.at("RootDirectory");
    r.root_path = root.at("Path").get<std::string>();
    if (root.contains("CreationInfo")) {
      const Json& c = root["CreationInfo"];
      r.permissions_text = c.at("Permissions").get<std::string>();
      auto mode = ParseOctalMode(r.permissions_text);
      if (!mode) return std::nullopt;
      r.creation_info =
          CreationInfo{c.at("OwnerUid").get<uint32_t>(), c.at("OwnerGid").get<uint32_t>(), *mode};
    }
    return r;
  });
}

}  // namespace elfs::api::efs
