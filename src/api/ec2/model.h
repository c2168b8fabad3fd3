// The EC2 objects elfs keeps, as stored in the state store (JSON documents):
//   ec2/vpc               Vpc               id vpc-...
//   ec2/subnet            Subnet            id subnet-...
//   ec2/security-group    SecurityGroup     id sg-... (with its rules)
//   ec2/network-acl       NetworkAcl        id acl-... (entries, associations)
//   ec2/network-interface NetworkInterface  id eni-...
//   ec2/default-vpc       the default VPC's id, id = account (written once)
//   ec2/lock              "vpcs": bumped by every VPC creation or deletion
//
// Every change to the objects of one VPC also rewrites the VPC record with a
// compare-and-swap on its version, so changes within a VPC are serialized
// (subnet overlap, address allocation, references between groups) on one host
// or in a cluster sharing the store. VPC creation and deletion CAS the
// "vpcs" lock the same way (VPC ranges must not overlap; see docs/network.md).
//
// Thread safety: plain values; the codecs are pure.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/ec2/cidr.h"
#include "api/ec2/rules.h"
#include "common/status.h"

namespace elfs::api::ec2 {

inline constexpr std::string_view kVpcKind = "ec2/vpc";
inline constexpr std::string_view kSubnetKind = "ec2/subnet";
inline constexpr std::string_view kGroupKind = "ec2/security-group";
inline constexpr std::string_view kAclKind = "ec2/network-acl";
inline constexpr std::string_view kInterfaceKind = "ec2/network-interface";
inline constexpr std::string_view kDefaultVpcKind = "ec2/default-vpc";
inline constexpr std::string_view kLockKind = "ec2/lock";
inline constexpr std::string_view kVpcsLock = "vpcs";

using Tags = std::map<std::string, std::string>;

struct Vpc {
  std::string id;
  Cidr cidr;
  std::string owner;
  bool is_default = false;
  std::string cidr_association_id;  // "vpc-cidr-assoc-..."
  std::string default_group_id;
  std::string default_acl_id;
  Tags tags;
};

struct Subnet {
  std::string id;
  std::string vpc_id;
  Cidr cidr;
  std::string availability_zone;     // "us-east-1a"
  std::string availability_zone_id;  // "use1-az1"
  std::string owner;
  bool default_for_az = false;
  Tags tags;
};

struct SecurityGroup {
  std::string id;
  std::string name;
  std::string description;
  std::string vpc_id;
  std::string owner;
  bool is_default = false;  // the VPC's "default" group: cannot be deleted
  std::vector<SecurityGroupRule> rules;  // both directions, in creation order
  Tags tags;
};

struct NetworkAclAssociation {
  std::string id;  // "aclassoc-..."
  std::string subnet_id;
};

struct NetworkAcl {
  std::string id;
  std::string vpc_id;
  std::string owner;
  bool is_default = false;
  std::vector<NetworkAclEntry> entries;  // explicit entries, sorted by (egress, rule number)
  std::vector<NetworkAclAssociation> associations;
  Tags tags;
};

struct NetworkInterface {
  std::string id;
  std::string subnet_id;
  std::string vpc_id;
  std::string availability_zone;
  IpAddress private_ip;
  std::vector<std::string> groups;
  std::string description;
  std::string owner;
  std::string interface_type = "interface";  // "efs" for mount targets
  bool requester_managed = false;            // created by a service (EFS), not by the user
  std::string mac_address;
  Tags tags;
};

// JSON codecs. Decode<T> fails (Errc::kInternal) on a document that is not
// what Encode writes; defined for the five record types above.
std::string Encode(const Vpc& v);
std::string Encode(const SecurityGroup& v);
std::string Encode(const Subnet& v);
std::string Encode(const NetworkAcl& v);
std::string Encode(const NetworkInterface& v);
template <class T>
Result<T> Decode(std::string_view json);
template <> Result<Vpc> Decode<Vpc>(std::string_view json);
template <> Result<Subnet> Decode<Subnet>(std::string_view json);
template <> Result<SecurityGroup> Decode<SecurityGroup>(std::string_view json);
template <> Result<NetworkAcl> Decode<NetworkAcl>(std::string_view json);
template <> Result<NetworkInterface> Decode<NetworkInterface>(std::string_view json);

}  // namespace elfs::api::ec2
