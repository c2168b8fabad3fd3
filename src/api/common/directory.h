// What the services need from each other, as narrow interfaces, so each
// service is a library of its own and the gateway/daemon wires them:
//   CredentialDirectory  implemented by api/iam, used by the gateway (SigV4,
//                        identity policies) and the data plane (TLS identities);
//   NetworkDirectory     implemented by api/ec2, used by api/efs (mount
//                        targets are network interfaces in a subnet);
//   DataPlane            implemented by the daemon, used by api/efs (storage,
//                        metering, live mount target listeners).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/common/error.h"
#include "api/common/principal.h"
#include "common/status.h"

namespace elfs::api {

struct AccessKey {
  std::string access_key_id;
  std::string secret;  // never logged
  bool active = true;
  // Session credentials (AssumeRole): the token the request must carry in
  // X-Amz-Security-Token, and when they stop working.
  std::string session_token;
  std::optional<std::chrono::system_clock::time_point> expires;
  std::string session_policy;  // AssumeRole's Policy: limits the session; "" when none
  Principal principal;  // whom the key authenticates
};

// An identity-based policy document that applies to a principal.
struct PolicyDocument {
  std::string source;  // where it comes from: "user/alice:inline/AllowEfs", "arn:aws:iam::1:policy/P (v2)"
  std::string json;
};

class CredentialDirectory {
 public:
  virtual ~CredentialDirectory() = default;
  virtual std::optional<AccessKey> FindAccessKey(std::string_view access_key_id) = 0;
  // Policies of the user and its groups; of the role for an assumed role;
  // nothing for root or anonymous.
  virtual std::vector<PolicyDocument> IdentityPolicies(const Principal& principal) = 0;
};

struct SubnetInfo {
  std::string subnet_id;
  std::string vpc_id;
  std::string availability_zone;     // "us-east-1a"
  std::string availability_zone_id;  // "use1-az1"
  std::string cidr;                  // "127.1.0.0/20"
  std::string owner_id;              // account
};

struct NetworkInterfaceInfo {
  std::string network_interface_id;  // "eni-" + 17 hex
  std::string subnet_id;
  std::string vpc_id;
  std::string availability_zone;
  std::string private_ip;
  std::vector<std::string> security_groups;
  std::string description;
  std::string owner_id;
};

class NetworkDirectory {
 public:
  virtual ~NetworkDirectory() = default;
  virtual std::optional<SubnetInfo> FindSubnet(std::string_view subnet_id) = 0;
  virtual std::optional<NetworkInterfaceInfo> FindInterface(std::string_view eni_id) = 0;
  // Creates an interface in the subnet. ip empty: the lowest free address of
  // the subnet (AWS reserves the first four and the last). groups empty: the
  // VPC's default security group. Errors use EC2's codes
  // (InvalidSubnetID.NotFound, InvalidGroup.NotFound, InvalidParameterValue
  // for an address outside the subnet, InvalidIPAddress.InUse,
  // InsufficientFreeAddressesInSubnet); callers map them to their own.
  virtual ApiResult<NetworkInterfaceInfo> CreateInterface(const CallContext& ctx,
                                                          std::string_view subnet_id,
                                                          std::string_view ip,
                                                          const std::vector<std::string>& groups,
                                                          std::string_view description) = 0;
  virtual ApiResult<void> DeleteInterface(std::string_view eni_id) = 0;
  // Replaces the groups (all must exist in the interface's VPC).
  virtual ApiResult<void> SetInterfaceGroups(std::string_view eni_id,
                                             const std::vector<std::string>& groups) = 0;
};

class DataPlane {
 public:
  virtual ~DataPlane() = default;
  virtual Status CreateStorage(std::string_view fs_id) = 0;
  virtual Status DeleteStorage(std::string_view fs_id) = 0;
  // Bytes of data the file system holds now (metered, not estimated).
  virtual uint64_t MeteredSize(std::string_view fs_id) = 0;
  // Serve NFS for fs_id at ip:2049 (or the configured NFS port).
  virtual Status OpenMountTarget(std::string_view mount_target_id, std::string_view fs_id,
                                 std::string_view ip) = 0;
  // Stop listening and close the connections of that mount target.
  virtual void CloseMountTarget(std::string_view mount_target_id) = 0;
};

}  // namespace elfs::api
