// The network layer of the EFS security model (SPEC §1.1) as the data plane
// asks it at accept time: may a TCP connection from (client address, client
// port) reach the NFS port of this mount target? The answer names the layer
// and the rule that decided, for the audit log and for explanations.
//
// The checks follow the packet: the client's security groups (egress), the
// client subnet's network ACL (outbound), the mount target subnet's ACL
// (inbound), the mount target's security groups (ingress), the optional
// privileged-source-port rule, then the reply: the mount target subnet's ACL
// (outbound, to the client's port) and the client subnet's ACL (inbound).
// The first check that refuses decides; ACLs are stateless (both
// directions), security groups stateful (the opening direction only).
//
// The per mount target "privileged source ports only" flag (EFS has no such
// setting) is a tag on the mount target's network interface,
// elfs:RequirePrivilegedSourcePort=true, set with ec2 create-tags like any
// tag, so the AWS CLI and IAM (ec2:CreateTags) govern it (docs/network.md).
//
// Thread safety: EvaluateMountTargetAccess is pure; MountTargetGuard is
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/ec2/network_view.h"
#include "common/status.h"
#include "store/store.h"

namespace elfs::net {

// EFS's NFS port: security group and ACL rules are written for it even when
// elfsd listens on another port (--nfs-port maps the port, not the model).
inline constexpr int kNfsPort = 2049;
inline constexpr const char* kRequirePrivilegedSourcePortTag = "elfs:RequirePrivilegedSourcePort";

// Where a check sits on the path of the connection.
enum class NetworkLayer {
  kMountTarget,               // the mount target's own interface or subnet is missing
  kClientSecurityGroups,      // the client interface's groups, egress to the mount target
  kClientNaclOutbound,        // the client subnet's ACL, outbound to port 2049
  kMountTargetNaclInbound,    // the mount target subnet's ACL, inbound to port 2049
  kMountTargetSecurityGroups, // the mount target's groups, ingress on port 2049
  kPrivilegedSourcePort,      // the mount target requires a client port < 1024
  kMountTargetNaclOutbound,   // the mount target subnet's ACL, outbound to the client's port
  kClientNaclInbound,         // the client subnet's ACL, inbound from port 2049
  kError,                     // the network state could not be read: refused
};
// "mount-target", "client-security-groups", "client-nacl-outbound", ...
std::string_view LayerName(NetworkLayer layer);

// One check that ran: which layer, whether it let the connection through,
// and the rule that decided ("sgr-…", "acl-… rule 100", "acl-… rule *" for
// the implicit deny, "" when no single rule decides).
struct NetworkCheck {
  NetworkLayer layer;
  bool allowed = false;
  std::string rule;
};

struct NetworkDecision {
  bool allowed = false;
  // The deciding check: the one that refused, or, when allowed, the mount
  // target security group rule that admitted the connection.
  NetworkLayer layer = NetworkLayer::kError;
  std::string rule;
  std::string reason;                // one sentence for logs and people
  std::vector<NetworkCheck> checks;  // every check that ran, in order
  std::string client_interface;      // the client's interface id, if registered
  std::string client_subnet;         // the subnet containing the client, if any
};

// The mount target as the network sees it: its interface carries its
// address, subnet and security groups.
struct MountTargetEndpoint {
  std::string mount_target_id;
  std::string network_interface_id;
};

// The decision for one connection against one snapshot. Pure.
NetworkDecision EvaluateMountTargetAccess(const api::ec2::NetworkSnapshot& net,
                                          const MountTargetEndpoint& mt,
                                          const api::ec2::IpAddress& client_ip,
                                          uint16_t client_port);

// Whether an interface's tags turn the privileged-source-port rule on
// (value "true", any case).
bool RequiresPrivilegedSourcePort(const api::ec2::NetworkInterface& mount_target_interface);

class MountTargetGuard {
 public:
  // Watches `store`'s ec2 records. REQUIRES: store outlives the guard.
  explicit MountTargetGuard(store::Store& store);

  // The decision from the current network snapshot. `mount_target_ip` finds
  // the mount target's interface when its id is not known (the interface
  // with that address); a store failure refuses (layer kError).
  NetworkDecision Check(std::string_view mount_target_id,
                        const api::ec2::IpAddress& mount_target_ip,
                        const api::ec2::IpAddress& client_ip, uint16_t client_port);

  // Moves whenever a decision may have changed (an ec2 record was written).
  // Cheap.
  uint64_t Generation() const { return view_.Generation(); }

 private:
  api::ec2::NetworkView view_;
};

}  // namespace elfs::net
