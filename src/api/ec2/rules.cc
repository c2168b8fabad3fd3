#include "api/ec2/rules.h"

#include <algorithm>

namespace elfs::api::ec2 {
namespace {

bool ProtocolMatches(int rule_protocol, int protocol) {
  return rule_protocol == kAllProtocols || rule_protocol == protocol;
}

}  // namespace

bool RuleMatches(const SecurityGroupRule& rule, const IpAddress& peer_ip,
                 const std::vector<std::string>& peer_groups, int protocol, int port) {
  if (!ProtocolMatches(rule.protocol, protocol)) return false;
  if (HasPorts(rule.protocol)) {
    if (port < rule.from_port || port > rule.to_port) return false;
  } else if (rule.protocol == kIcmp || rule.protocol == kIcmpv6) {
    // from_port is the ICMP type; -1 admits every type.
    if (rule.from_port != -1 && rule.from_port != port) return false;
  }
  if (rule.cidr) return Contains(*rule.cidr, peer_ip);
  if (!rule.source_group_id.empty()) {
    return std::find(peer_groups.begin(), peer_groups.end(), rule.source_group_id) !=
           peer_groups.end();
  }
  return false;  // a rule without a peer admits nobody
}

const SecurityGroupRule* FirstMatchingRule(const std::vector<SecurityGroupRule>& rules,
                                           Direction direction, const IpAddress& peer_ip,
                                           const std::vector<std::string>& peer_groups,
                                           int protocol, int port) {
  for (const auto& r : rules) {
    if (r.direction == direction && RuleMatches(r, peer_ip, peer_groups, protocol, port)) {
      return &r;
    }
  }
  return nullptr;
}

bool SecurityGroupsAllow(const std::vector<SecurityGroupRule>& rules, Direction direction,
                         const IpAddress& peer_ip, const std::vector<std::string>& peer_groups,
                         int protocol, int port) {
  return FirstMatchingRule(rules, direction, peer_ip, peer_groups, protocol, port) != nullptr;
}

NaclDecision EvaluateNacl(const std::vector<NetworkAclEntry>& entries, bool egress,
                          const IpAddress& ip, int protocol, int port) {
  std::vector<const NetworkAclEntry*> ordered;
  for (const auto& e : entries) {
    if (e.egress == egress) ordered.push_back(&e);
  }
  std::sort(ordered.begin(), ordered.end(),
            [](auto* a, auto* b) { return a->rule_number < b->rule_number; });
  for (const NetworkAclEntry* e : ordered) {
    if (!ProtocolMatches(e->protocol, protocol)) continue;
    if (HasPorts(e->protocol) && e->from_port && e->to_port &&
        (port < *e->from_port || port > *e->to_port)) {
      continue;
    }
    if ((e->protocol == kIcmp || e->protocol == kIcmpv6) && e->icmp_type &&
        *e->icmp_type != -1 && *e->icmp_type != port) {
      continue;
    }
    if (!Contains(e->cidr, ip)) continue;
    return {e->action == RuleAction::kAllow, e->rule_number};
  }
  return {false, std::nullopt};
}

}  // namespace elfs::api::ec2
