// The EFS objects as the store keeps them: one JSON document per object under
// the kinds below, each read with its store version so that a change can be
// committed with compare-and-swap.
//
//   efs/file-system        fs-…    the file system, its settings, its mount
//                                  target AZs/VPC and access point count
//   efs/file-system-policy fs-…    {"Policy": "<as given>"}
//   efs/mount-target       fsmt-…  the mount target
//   efs/access-point       fsap-…  the access point
//   efs/creation-token     <token> {"FileSystemId", "Request"}  (idempotency)
//   efs/client-token       <token> {"AccessPointId", "Request"} (idempotency)
//   efs/quota              file-systems {"Count"}               (account limit)
//   efs/account-preferences <account> {"ResourceIdType"}
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/efs/efs_service.h"
#include "api/efs/model.h"

namespace elfs::api::efs {

inline constexpr const char* kFileSystemKind = "efs/file-system";
inline constexpr const char* kPolicyKind = "efs/file-system-policy";
inline constexpr const char* kMountTargetKind = "efs/mount-target";
inline constexpr const char* kAccessPointKind = "efs/access-point";
inline constexpr const char* kCreationTokenKind = "efs/creation-token";
inline constexpr const char* kClientTokenKind = "efs/client-token";
inline constexpr const char* kQuotaKind = "efs/quota";
inline constexpr const char* kPreferencesKind = "efs/account-preferences";

struct FileSystemRecord {
  uint64_t version = 0;  // the store's, not serialized
  std::string id;
  std::string owner_id;
  std::string creation_token;
  int64_t creation_time = 0;
  std::string life_cycle_state = "available";
  std::string performance_mode = "generalPurpose";
  std::string throughput_mode = "bursting";
  std::optional<double> provisioned_mibps;
  bool encrypted = false;
  std::string kms_key_id;
  std::string az_name;  // One Zone
  std::string az_id;
  Tags tags;
  std::string backup_status = "DISABLED";
  Json lifecycle_policies = Json::array();
  // Mount targets: AZ name → mount target id, all in mount_target_vpc.
  std::map<std::string, std::string> mount_targets;
  std::string mount_target_vpc;
  uint64_t access_points = 0;
  int64_t last_throughput_change = 0;  // epoch seconds; 0: never

  Json ToJson() const;
  static std::optional<FileSystemRecord> Parse(const std::string& text, uint64_t version);
};

struct MountTargetRecord {
  uint64_t version = 0;
  std::string id;
  std::string file_system_id;
  std::string owner_id;
  std::string subnet_id;
  std::string vpc_id;
  std::string ip_address;
  std::string network_interface_id;
  std::string az_name;
  std::string az_id;
  std::string life_cycle_state = "available";

  Json ToJson() const;  // also the MountTargetDescription
  static std::optional<MountTargetRecord> Parse(const std::string& text, uint64_t version);
};

struct AccessPointRecord {
  uint64_t version = 0;
  std::string id;
  std::string file_system_id;
  std::string owner_id;
  std::string client_token;
  std::optional<PosixUser> posix_user;
  std::string root_path = "/";
  std::optional<CreationInfo> creation_info;
  std::string permissions_text;  // CreationInfo.Permissions as given ("0755")
  Tags tags;
  std::string life_cycle_state = "available";

  Json ToJson() const;
  static std::optional<AccessPointRecord> Parse(const std::string& text, uint64_t version);
};

// Tags as the model's list of {Key, Value}, and back.
Json TagsToJson(const Tags& tags);
Tags TagsFromJson(const Json& j);
// "0755" → 0755; nullopt unless 1–4 octal digits.
std::optional<uint32_t> ParseOctalMode(std::string_view text);
// The value of the "Name" tag, or "".
std::string NameTag(const Tags& tags);

}  // namespace elfs::api::efs
