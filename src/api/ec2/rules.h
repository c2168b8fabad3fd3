// Security group rules and network ACL entries as values, and the pure
// functions that evaluate them for one connection. The EC2 service stores
// these; the data plane (issue 6) takes them from a NetworkSnapshot
// (network_view.h) and composes the checks at accept time:
//
//   mount target SGs:  SecurityGroupsAllow(rules of the mount target's groups,
//                      kIngress, client ip, client's groups, kTcp, 2049)
//   client SG egress:  SecurityGroupsAllow(rules of the client's groups,
//                      kEgress, mount target ip, mount target's groups, kTcp, 2049)
//   NACLs (stateless): EvaluateNacl(entries of the mount target's subnet ACL,
//                      /*egress=*/false, client ip, kTcp, 2049) and
//                      EvaluateNacl(same, /*egress=*/true, client ip, kTcp,
//                      client port); for a client in another subnet also its
//                      subnet's ACL: egress to (mt ip, 2049), ingress from
//                      (mt ip, client port).
//
// Security groups are stateful in AWS: a reply to an allowed connection is
// always allowed, so only the direction that opens the connection is checked.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/ec2/cidr.h"

namespace elfs::api::ec2 {

// IANA protocol numbers; kAllProtocols is EC2's "-1".
inline constexpr int kAllProtocols = -1;
inline constexpr int kIcmp = 1;
inline constexpr int kTcp = 6;
inline constexpr int kUdp = 17;
inline constexpr int kIcmpv6 = 58;

// Ports matter only for TCP and UDP; for ICMP the "port" is the ICMP type
// (and the rule's to_port the code, which is not evaluated: the data plane
// sees TCP only).
inline bool HasPorts(int protocol) { return protocol == kTcp || protocol == kUdp; }

enum class Direction { kIngress, kEgress };

struct SecurityGroupRule {
  std::string rule_id;   // "sgr-" + 17 hex
  std::string group_id;  // the group this rule belongs to
  Direction direction = Direction::kIngress;
  int protocol = kAllProtocols;
  // TCP/UDP: the port range (inclusive). ICMP: type and code, -1 for all.
  // Other protocols: -1, -1 (no ports).
  int from_port = -1;
  int to_port = -1;
  // The peer: exactly one of a CIDR (IPv4 or IPv6) or a security group whose
  // members (network interfaces) are the peers.
  std::optional<Cidr> cidr;
  std::string source_group_id;
  std::string source_group_owner;  // account of the referenced group
  std::string description;

  // Same rule in EC2's sense (duplicates, revoke): everything but the id and
  // the description.
  bool SameAs(const SecurityGroupRule& o) const {
    return direction == o.direction && protocol == o.protocol && from_port == o.from_port &&
           to_port == o.to_port && cidr == o.cidr && source_group_id == o.source_group_id;
  }
};

// Does `rule` (of either direction) admit traffic of `protocol` to/from
// `port` whose peer is `peer_ip`, a member of `peer_groups`? Direction is not
// checked here.
bool RuleMatches(const SecurityGroupRule& rule, const IpAddress& peer_ip,
                 const std::vector<std::string>& peer_groups, int protocol, int port);

// Some rule of `direction` among `rules` (the union of all groups of one
// interface) admits the traffic. The peer is the other side: the client for
// ingress at the mount target, the mount target for the client's egress.
// No rule: denied (security groups have only allow rules).
bool SecurityGroupsAllow(const std::vector<SecurityGroupRule>& rules, Direction direction,
                         const IpAddress& peer_ip, const std::vector<std::string>& peer_groups,
                         int protocol, int port);
inline bool SecurityGroupsAllowInbound(const std::vector<SecurityGroupRule>& rules,
                                       const IpAddress& client_ip,
                                       const std::vector<std::string>& client_groups,
                                       int protocol, int port) {
  return SecurityGroupsAllow(rules, Direction::kIngress, client_ip, client_groups, protocol, port);
}

// The first rule of the group's rules that admits the traffic, or nullptr:
// for explanations and the audit log.
const SecurityGroupRule* FirstMatchingRule(const std::vector<SecurityGroupRule>& rules,
                                           Direction direction, const IpAddress& peer_ip,
                                           const std::vector<std::string>& peer_groups,
                                           int protocol, int port);

enum class RuleAction { kAllow, kDeny };

// Rule numbers users may use; 32767 is the implicit final "*" deny that
// DescribeNetworkAcls shows and nobody can change.
inline constexpr int kMinNaclRuleNumber = 1;
inline constexpr int kMaxNaclRuleNumber = 32766;
inline constexpr int kImplicitDenyRuleNumber = 32767;

struct NetworkAclEntry {
  int rule_number = 100;
  bool egress = false;
  int protocol = kAllProtocols;
  // TCP/UDP: the port range (inclusive); nullopt when the protocol has none.
  std::optional<int> from_port;
  std::optional<int> to_port;
  // ICMP type and code (-1: all); kept for DescribeNetworkAcls.
  std::optional<int> icmp_type;
  std::optional<int> icmp_code;
  Cidr cidr;  // CidrBlock or Ipv6CidrBlock
  RuleAction action = RuleAction::kAllow;
};

struct NaclDecision {
  bool allowed = false;
  // The entry that decided; nullopt: no entry matched, the implicit "*" deny.
  std::optional<int> rule_number;
  friend bool operator==(const NaclDecision&, const NaclDecision&) = default;
};

// Network ACLs are stateless and ordered: among the entries of `egress`'s
// direction, lowest rule number first, the first entry whose protocol, port
// range and CIDR match decides; none matching is a deny. `ip` is the remote
// side (the source for ingress, the destination for egress) and `port` the
// destination port of the packet.
NaclDecision EvaluateNacl(const std::vector<NetworkAclEntry>& entries, bool egress,
                          const IpAddress& ip, int protocol, int port);

}  // namespace elfs::api::ec2
