#include "net/mount_target_guard.h"

#include <algorithm>
#include <cctype>

namespace elfs::net {

namespace ec2 = api::ec2;

std::string_view LayerName(NetworkLayer layer) {
  switch (layer) {
    case NetworkLayer::kMountTarget: return "mount-target";
    case NetworkLayer::kClientSecurityGroups: return "client-security-groups";
    case NetworkLayer::kClientNaclOutbound: return "client-nacl-outbound";
    case NetworkLayer::kMountTargetNaclInbound: return "mount-target-nacl-inbound";
    case NetworkLayer::kMountTargetSecurityGroups: return "mount-target-security-groups";
    case NetworkLayer::kPrivilegedSourcePort: return "privileged-source-port";
    case NetworkLayer::kMountTargetNaclOutbound: return "mount-target-nacl-outbound";
    case NetworkLayer::kClientNaclInbound: return "client-nacl-inbound";
    case NetworkLayer::kError: return "error";
  }
  return "unknown";
}

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string NaclRule(const ec2::NetworkAcl& acl, const ec2::NaclDecision& d) {
  return acl.id + " rule " + (d.rule_number ? std::to_string(*d.rule_number) : std::string("*"));
}

// The first rule of `groups` (in their order, rules in creation order) that
// admits the traffic; no copy of the rules (this runs on every accept).
const ec2::SecurityGroupRule* FirstRuleOfGroups(const ec2::NetworkSnapshot& net,
                                                const std::vector<std::string>& groups,
                                                ec2::Direction direction,
                                                const ec2::IpAddress& peer_ip,
                                                const std::vector<std::string>& peer_groups) {
  for (const auto& id : groups) {
    const ec2::SecurityGroup* sg = net.Group(id);
    if (!sg) continue;
    if (const ec2::SecurityGroupRule* r =
            ec2::FirstMatchingRule(sg->rules, direction, peer_ip, peer_groups, ec2::kTcp, kNfsPort))
      return r;
  }
  return nullptr;
}

// Builds the decision as the checks run; the first refusal ends it. Reasons
// are only formatted for a refusal.
class Trace {
 public:
  explicit Trace(NetworkDecision& d) : d_(d) {}

  // Records a check; returns false (and fills the decision) when it refused.
  template <class Why>
  bool Step(NetworkLayer layer, bool allowed, std::string rule, const Why& why_denied) {
    d_.checks.push_back({layer, allowed, rule});
    if (allowed) return true;
    d_.allowed = false;
    d_.layer = layer;
    d_.rule = std::move(rule);
    d_.reason = why_denied();
    return false;
  }
  template <class What>
  bool Nacl(NetworkLayer layer, const ec2::NetworkAcl& acl, bool egress, const ec2::IpAddress& peer,
            int port, const What& what) {
    ec2::NaclDecision nd = ec2::EvaluateNacl(acl.entries, egress, peer, ec2::kTcp, port);
    std::string rule = NaclRule(acl, nd);
    return Step(layer, nd.allowed, rule, [&] {
      return "network ACL " + rule + (nd.rule_number ? " denies " : " (no rule allows) denies ") +
             what();
    });
  }

 private:
  NetworkDecision& d_;
};

}  // namespace

NetworkDecision EvaluateMountTargetAccess(const ec2::NetworkSnapshot& net,
                                          const MountTargetEndpoint& mt,
                                          const ec2::IpAddress& client_ip, uint16_t client_port) {
  NetworkDecision d;
  Trace t(d);
  auto client = [&] { return ec2::FormatIp(client_ip) + ":" + std::to_string(client_port); };

  const ec2::NetworkInterface* mt_if = net.Interface(mt.network_interface_id);
  const ec2::NetworkAcl* mt_acl = mt_if ? net.AclOfSubnet(mt_if->subnet_id) : nullptr;
  if (!mt_if || !mt_acl) {
    t.Step(NetworkLayer::kMountTarget, false, "", [&] {
      return "mount target " + mt.mount_target_id + " has no network interface or subnet " +
             "(being deleted?)";
    });
    return d;
  }
  auto mt_addr = [&] { return ec2::FormatIp(mt_if->private_ip) + ":" + std::to_string(kNfsPort); };

  // Who the client is: its registered interface (groups) and its subnet.
  const ec2::NetworkInterface* client_if = net.InterfaceForAddress(client_ip);
  const ec2::Subnet* client_subnet = net.SubnetContaining(client_ip);
  static const std::vector<std::string> kNoGroups;
  const std::vector<std::string>& client_groups = client_if ? client_if->groups : kNoGroups;
  if (client_if) d.client_interface = client_if->id;
  if (client_subnet) d.client_subnet = client_subnet->id;
  const ec2::NetworkAcl* client_acl =
      client_subnet && client_subnet->id != mt_if->subnet_id ? net.AclOfSubnet(client_subnet->id)
                                                             : nullptr;

  // 1. The client's security groups must let it open TCP 2049 to the mount
  //    target (only when the client is a registered interface).
  if (client_if) {
    const ec2::SecurityGroupRule* r = FirstRuleOfGroups(
        net, client_groups, ec2::Direction::kEgress, mt_if->private_ip, mt_if->groups);
    if (!t.Step(NetworkLayer::kClientSecurityGroups, r != nullptr, r ? r->rule_id : "", [&] {
          return "no outbound rule of the client's groups " + Join(client_groups) +
                 " (interface " + client_if->id + ") allows TCP to " + mt_addr();
        }))
      return d;
  }
  // 2. The client subnet's ACL, outbound to 2049 (a client in the mount
  //    target's own subnet meets only that subnet's ACL).
  if (client_acl &&
      !t.Nacl(NetworkLayer::kClientNaclOutbound, *client_acl, true, mt_if->private_ip, kNfsPort,
              [&] { return "outbound TCP from " + client() + " to " + mt_addr(); }))
    return d;
  // 3. The mount target subnet's ACL, inbound to 2049.
  if (!t.Nacl(NetworkLayer::kMountTargetNaclInbound, *mt_acl, false, client_ip, kNfsPort,
              [&] { return "inbound TCP from " + client() + " to " + mt_addr(); }))
    return d;
  // 4. The mount target's security groups, ingress TCP 2049 from the client
  //    (by CIDR, or by the client interface's membership of a source group).
  const ec2::SecurityGroupRule* admit = FirstRuleOfGroups(
      net, mt_if->groups, ec2::Direction::kIngress, client_ip, client_groups);
  if (!t.Step(NetworkLayer::kMountTargetSecurityGroups, admit != nullptr,
              admit ? admit->rule_id : "", [&] {
                return "no inbound rule of the mount target's groups " + Join(mt_if->groups) +
                       " allows TCP " + std::to_string(kNfsPort) + " from " + client() +
                       (client_if ? " (interface " + client_if->id + " in " +
                                        Join(client_groups) + ")"
                                  : " (no registered interface)");
              }))
    return d;
  // 5. The seed's iptables rule, server side.
  if (RequiresPrivilegedSourcePort(*mt_if) &&
      !t.Step(NetworkLayer::kPrivilegedSourcePort, client_port < 1024, "", [&] {
        return "mount target " + mt.mount_target_id +
               " accepts privileged source ports (< 1024) only; the client used " +
               std::to_string(client_port);
      }))
    return d;
  // 6. The reply: ACLs are stateless, so the mount target subnet's ACL must
  //    let TCP out to the client's (ephemeral) port, and the client
  //    subnet's ACL let it in.
  if (!t.Nacl(NetworkLayer::kMountTargetNaclOutbound, *mt_acl, true, client_ip, client_port,
              [&] { return "outbound TCP from " + mt_addr() + " to " + client(); }))
    return d;
  if (client_acl &&
      !t.Nacl(NetworkLayer::kClientNaclInbound, *client_acl, false, mt_if->private_ip, client_port,
              [&] { return "inbound TCP from " + mt_addr() + " to " + client(); }))
    return d;

  d.allowed = true;
  d.layer = NetworkLayer::kMountTargetSecurityGroups;
  d.rule = admit->rule_id;
  d.reason = "security group " + admit->group_id + " rule " + admit->rule_id + " admits " +
             client() + " to " + mt_addr();
  return d;
}

bool RequiresPrivilegedSourcePort(const ec2::NetworkInterface& mount_target_interface) {
  auto it = mount_target_interface.tags.find(kRequirePrivilegedSourcePortTag);
  if (it == mount_target_interface.tags.end()) return false;
  std::string v = it->second;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return v == "true";
}

MountTargetGuard::MountTargetGuard(store::Store& store) : view_(store) {}

NetworkDecision MountTargetGuard::Check(std::string_view mount_target_id,
                                        const ec2::IpAddress& mount_target_ip,
                                        const ec2::IpAddress& client_ip, uint16_t client_port) {
  auto fail = [&](const Status& e) {
    NetworkDecision d;
    d.layer = NetworkLayer::kError;
    d.reason = "network state unreadable: " + e.message();
    d.checks.push_back({NetworkLayer::kError, false, ""});
    return d;
  };
  auto snap = view_.Current();
  if (!snap) return fail(snap.error());
  const ec2::NetworkInterface* mt_if = (*snap)->InterfaceForAddress(mount_target_ip);
  MountTargetEndpoint mt{std::string(mount_target_id), mt_if ? mt_if->id : std::string()};
  return EvaluateMountTargetAccess(**snap, mt, client_ip, client_port);
}

}  // namespace elfs::net
