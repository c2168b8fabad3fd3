// The EFS management API (`elasticfilesystem`, REST-JSON, API version
// 2015-02-01) as the AWS CLI and boto3 speak it: file systems, mount targets,
// mount target security groups, access points, file system policies, tags,
// lifecycle and backup policies, account preferences. docs/api.md
// (## elasticfilesystem) lists every operation and each decision where elfs
// differs from EFS.
//
// Every request goes: route (method + path, segments percent-decoded) → parse
// the JSON body and query → validate as the botocore model says → read the
// objects involved → ask the Authorizer (action elasticfilesystem:<Op>,
// resource ARN, condition keys) → commit one store transaction with
// compare-and-swap → tell the DataPlane / NetworkDirectory → answer.
//
// State lives in the Store only (kinds "efs/..."), as JSON documents; this
// class keeps no cache, so several instances (or a restarted daemon) over the
// same store agree. Idempotency (CreationToken, ClientToken) and limits are
// enforced by compare-and-swap in the same transaction as the object, so
// concurrent identical requests create one object.
//
// Thread safety: thread-safe. Handle() and the accessors may be called from
// any number of threads; the Store, NetworkDirectory, DataPlane and Random
// passed in must be thread-safe and outlive the service.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/common/directory.h"
#include "api/common/service.h"
#include "common/random.h"
#include "store/store.h"

namespace elfs::api::efs {

using Tags = std::vector<std::pair<std::string, std::string>>;  // in the order given

struct AvailabilityZone {
  std::string name;  // "us-east-1a"
  std::string id;    // "use1-az1"
};

struct EfsConfig {
  std::string account_id;  // 12 digits
  std::string region;      // "us-east-1"

  // PutFileSystemPolicy's validation: nullopt when the document is a valid
  // policy, else the reason (answered as InvalidPolicyException). Unset:
  // a JSON object with a "Statement" member is accepted.
  std::function<std::optional<std::string>(std::string_view policy_json)> policy_validator;
  // The lockout safety check, skipped when BypassPolicyLockoutSafetyCheck is
  // true: nullopt when the caller could still change the policy after this
  // one is in force, else the reason (InvalidPolicyException). Unset: accept.
  std::function<std::optional<std::string>(const CallContext& ctx, std::string_view fs_arn,
                                           std::string_view policy_json)>
      policy_lockout_check;

  // The AZs One Zone file systems may name. Empty: any "<region><letter>"
  // is accepted and AvailabilityZoneId is left out.
  std::vector<AvailabilityZone> availability_zones;

  // EFS's quotas.
  size_t max_file_systems = 1000;                 // per account
  size_t max_access_points_per_file_system = 1000;
  size_t max_tags = 50;                           // per resource
  double max_provisioned_throughput_mibps = 3414; // ThroughputLimitExceeded above
  // A decrease of provisioned throughput or a throughput mode change is
  // allowed once per this period (EFS: 24 hours; TooManyRequests).
  std::chrono::seconds throughput_change_interval = std::chrono::hours(24);
};

// Read-only views for the data plane and the gateway.
struct PosixUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> secondary_gids;
};

struct CreationInfo {
  uint32_t owner_uid = 0;
  uint32_t owner_gid = 0;
  uint32_t permissions = 0;  // mode bits, parsed from the octal string
};

struct FileSystemInfo {
  std::string file_system_id;
  std::string arn;
  std::string owner_id;
  std::string creation_token;
  std::string life_cycle_state;  // "available", "deleting"
  std::string name;              // the Name tag, or empty
  std::string performance_mode;
  std::string throughput_mode;
  bool encrypted = false;
  std::string availability_zone_name;  // One Zone; empty for Regional
  int64_t creation_time = 0;           // epoch seconds
  Tags tags;
};

struct AccessPointInfo {
  std::string access_point_id;
  std::string arn;
  std::string file_system_id;
  std::string owner_id;
  std::string name;
  std::string life_cycle_state;
  std::optional<PosixUser> posix_user;
  std::string root_path = "/";
  std::optional<CreationInfo> creation_info;
  Tags tags;
};

struct MountTargetInfo {
  std::string mount_target_id;
  std::string file_system_id;
  std::string subnet_id;
  std::string vpc_id;
  std::string ip_address;
  std::string network_interface_id;
  std::string availability_zone_name;
  std::string availability_zone_id;
  std::string owner_id;
  std::string life_cycle_state;
};

class EfsService final : public Service {
 public:
  EfsService(store::Store& store, NetworkDirectory& network, DataPlane& data_plane, Random& random,
             EfsConfig config);
  ~EfsService() override;

  std::string_view SigningName() const override { return "elasticfilesystem"; }
  Outcome Handle(const CallContext& ctx, const http::Request& req, Authorizer& authz) override;

  // Accessors. Ids may be given as ids or ARNs of this account and region.
  std::optional<FileSystemInfo> FindFileSystem(std::string_view fs_id) const;
  bool FileSystemExists(std::string_view fs_id) const { return FindFileSystem(fs_id).has_value(); }
  // The file system policy as stored, or nullopt when none is set (the
  // default policy is in force) or the file system does not exist.
  std::optional<std::string> FileSystemPolicy(std::string_view fs_id) const;
  std::optional<AccessPointInfo> FindAccessPoint(std::string_view ap_id) const;
  // Every mount target, ordered by id (the daemon re-opens listeners from
  // it). Fails only when the store does.
  Result<std::vector<MountTargetInfo>> ListMountTargets() const;

  // For the daemon's embedded default: the file system created with
  // `creation_token`, creating it (with `id` if given, else a new one, and
  // a Name tag) on first call. Not an API call: nothing is authorized or
  // audited; quotas and idempotency hold as for CreateFileSystem.
  Result<FileSystemInfo> EnsureFileSystem(std::string_view creation_token, std::string_view id,
                                          std::string_view name);

  // "arn:aws:elasticfilesystem:<region>:<account>:file-system/<id>"
  std::string FileSystemArn(std::string_view fs_id) const;
  std::string AccessPointArn(std::string_view ap_id) const;

  class Impl;  // the handlers (impl.h); public only so their helpers can name it

 private:
  std::unique_ptr<Impl> impl_;  // a pimpl keeps the handlers' helpers out of this header
};

}  // namespace elfs::api::efs
