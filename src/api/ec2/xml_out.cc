// How EC2 objects look in responses: element names are the model's
// locationNames (lowerCamel), lists are <item> elements, booleans
// "true"/"false", as botocore's EC2 parser reads them.
#include <map>
#include <tuple>

#include "api/ec2/ec2_state.h"

namespace elfs::api::ec2::internal {
namespace {

void IntLeaf(XmlWriter& x, std::string_view name, int v) { x.Leaf(name, std::to_string(v)); }

std::string PrivateDnsName(const IpAddress& ip, std::string_view region) {
  std::string name = "ip-" + FormatIp(ip);
  for (char& c : name) {
    if (c == '.') c = '-';
  }
  return name + (region == "us-east-1" ? ".ec2.internal" : "." + std::string(region) + ".compute.internal");
}

}  // namespace

void WriteTags(XmlWriter& x, const Tags& tags, std::string_view element) {
  if (tags.empty()) return;
  x.Open(element);
  for (const auto& [k, v] : tags) {
    x.Open("item").Leaf("key", k).Leaf("value", v).Close();
  }
  x.Close();
}

void WriteVpc(XmlWriter& x, std::string_view element, const Vpc& v) {
  x.Open(element);
  x.Leaf("vpcId", v.id).Leaf("ownerId", v.owner).Leaf("state", "available");
  x.Leaf("cidrBlock", FormatCidr(v.cidr));
  x.Open("cidrBlockAssociationSet").Open("item");
  x.Leaf("cidrBlock", FormatCidr(v.cidr)).Leaf("associationId", v.cidr_association_id);
  x.Open("cidrBlockState").Leaf("state", "associated").Close();
  x.Close().Close();
  x.Leaf("dhcpOptionsId", "default").Leaf("instanceTenancy", "default");
  x.Leaf("isDefault", BoolText(v.is_default));
  WriteTags(x, v.tags);
  x.Close();
}

void WriteSubnet(XmlWriter& x, std::string_view element, const State& s, const Subnet& v,
                 int available_addresses) {
  x.Open(element);
  x.Leaf("subnetId", v.id).Leaf("subnetArn", s.Arn("subnet", v.id)).Leaf("state", "available");
  x.Leaf("vpcId", v.vpc_id).Leaf("ownerId", v.owner).Leaf("cidrBlock", FormatCidr(v.cidr));
  IntLeaf(x, "availableIpAddressCount", available_addresses);
  x.Leaf("availabilityZone", v.availability_zone);
  x.Leaf("availabilityZoneId", v.availability_zone_id);
  x.Leaf("defaultForAz", BoolText(v.default_for_az));
  x.Leaf("mapPublicIpOnLaunch", "false").Leaf("mapCustomerOwnedIpOnLaunch", "false");
  x.Leaf("assignIpv6AddressOnCreation", "false").Leaf("enableDns64", "false");
  x.Leaf("ipv6Native", "false");
  x.Open("privateDnsNameOptionsOnLaunch").Leaf("hostnameType", "ip-name");
  x.Leaf("enableResourceNameDnsARecord", "false");
  x.Leaf("enableResourceNameDnsAAAARecord", "false").Close();
  WriteTags(x, v.tags);
  x.Close();
}

void WriteIpPermissions(XmlWriter& x, std::string_view element,
                        const std::vector<SecurityGroupRule>& rules) {
  // Group by (protocol, ports), keeping the order in which each first appears.
  using Key = std::tuple<int, int, int>;
  std::vector<Key> order;
  std::map<Key, std::vector<const SecurityGroupRule*>> by_key;
  for (const auto& r : rules) {
    Key k{r.protocol, r.from_port, r.to_port};
    if (!by_key.count(k)) order.push_back(k);
    by_key[k].push_back(&r);
  }
  x.Open(element);
  for (const Key& k : order) {
    const auto& members = by_key[k];
    const SecurityGroupRule& first = *members.front();
    x.Open("item").Leaf("ipProtocol", ProtocolName(first.protocol));
    // EC2 leaves the ports out of "all traffic" and port-less protocols.
    if (first.protocol != kAllProtocols &&
        (HasPorts(first.protocol) || first.protocol == kIcmp || first.protocol == kIcmpv6)) {
      IntLeaf(x, "fromPort", first.from_port);
      IntLeaf(x, "toPort", first.to_port);
    }
    x.Open("groups");
    for (auto* r : members) {
      if (r->source_group_id.empty()) continue;
      x.Open("item").Leaf("userId", r->source_group_owner).Leaf("groupId", r->source_group_id);
      if (!r->description.empty()) x.Leaf("description", r->description);
      x.Close();
    }
    x.Close().Open("ipRanges");
    for (auto* r : members) {
      if (!r->cidr || r->cidr->v6()) continue;
      x.Open("item").Leaf("cidrIp", FormatCidr(*r->cidr));
      if (!r->description.empty()) x.Leaf("description", r->description);
      x.Close();
    }
    x.Close().Open("ipv6Ranges");
    for (auto* r : members) {
      if (!r->cidr || !r->cidr->v6()) continue;
      x.Open("item").Leaf("cidrIpv6", FormatCidr(*r->cidr));
      if (!r->description.empty()) x.Leaf("description", r->description);
      x.Close();
    }
    x.Close().Open("prefixListIds").Close();
    x.Close();
  }
  x.Close();
}

void WriteGroup(XmlWriter& x, const SecurityGroup& g) {
  x.Open("item");
  x.Leaf("ownerId", g.owner).Leaf("groupId", g.id).Leaf("groupName", g.name);
  x.Leaf("groupDescription", g.description).Leaf("vpcId", g.vpc_id);
  std::vector<SecurityGroupRule> in, out;
  for (const auto& r : g.rules) (r.direction == Direction::kIngress ? in : out).push_back(r);
  WriteIpPermissions(x, "ipPermissions", in);
  WriteIpPermissions(x, "ipPermissionsEgress", out);
  WriteTags(x, g.tags);
  x.Close();
}

void WriteRule(XmlWriter& x, const SecurityGroupRule& r, std::string_view group_owner,
               const Tags& tags) {
  x.Open("item");
  x.Leaf("securityGroupRuleId", r.rule_id).Leaf("groupId", r.group_id);
  x.Leaf("groupOwnerId", group_owner);
  x.Leaf("isEgress", BoolText(r.direction == Direction::kEgress));
  x.Leaf("ipProtocol", ProtocolName(r.protocol));
  IntLeaf(x, "fromPort", r.from_port);
  IntLeaf(x, "toPort", r.to_port);
  if (r.cidr) x.Leaf(r.cidr->v6() ? "cidrIpv6" : "cidrIpv4", FormatCidr(*r.cidr));
  if (!r.source_group_id.empty()) {
    x.Open("referencedGroupInfo").Leaf("groupId", r.source_group_id);
    x.Leaf("userId", r.source_group_owner).Close();
  }
  if (!r.description.empty()) x.Leaf("description", r.description);
  WriteTags(x, tags);
  x.Close();
}

void WriteAcl(XmlWriter& x, std::string_view element, const NetworkAcl& a) {
  x.Open(element);
  x.Leaf("networkAclId", a.id).Leaf("vpcId", a.vpc_id).Leaf("default", BoolText(a.is_default));
  x.Open("entrySet");
  auto entry = [&](const NetworkAclEntry& e) {
    x.Open("item");
    IntLeaf(x, "ruleNumber", e.rule_number);
    x.Leaf("protocol", std::to_string(e.protocol));
    x.Leaf("ruleAction", e.action == RuleAction::kAllow ? "allow" : "deny");
    x.Leaf("egress", BoolText(e.egress));
    x.Leaf(e.cidr.v6() ? "ipv6CidrBlock" : "cidrBlock", FormatCidr(e.cidr));
    if (e.icmp_type || e.icmp_code) {
      x.Open("icmpTypeCode");
      IntLeaf(x, "code", e.icmp_code.value_or(-1));
      IntLeaf(x, "type", e.icmp_type.value_or(-1));
      x.Close();
    }
    if (e.from_port && e.to_port) {
      x.Open("portRange");
      IntLeaf(x, "from", *e.from_port);
      IntLeaf(x, "to", *e.to_port);
      x.Close();
    }
    x.Close();
  };
  for (bool egress : {true, false}) {
    for (const auto& e : a.entries) {
      if (e.egress == egress) entry(e);
    }
    // The implicit final deny, shown as EC2 shows it.
    NetworkAclEntry deny;
    deny.rule_number = kImplicitDenyRuleNumber;
    deny.egress = egress;
    deny.cidr = *ParseCidr("0.0.0.0/0");
    deny.action = RuleAction::kDeny;
    entry(deny);
  }
  x.Close();
  x.Open("associationSet");
  for (const auto& as : a.associations) {
    x.Open("item").Leaf("networkAclAssociationId", as.id).Leaf("networkAclId", a.id);
    x.Leaf("subnetId", as.subnet_id).Close();
  }
  x.Close();
  WriteTags(x, a.tags);
  x.Leaf("ownerId", a.owner);
  x.Close();
}

void WriteInterface(XmlWriter& x, std::string_view element, const NetworkInterface& eni,
                    const std::vector<SecurityGroup>& groups) {
  std::string region = eni.availability_zone.empty()
                           ? std::string()
                           : eni.availability_zone.substr(0, eni.availability_zone.size() - 1);
  std::string ip = FormatIp(eni.private_ip), dns = PrivateDnsName(eni.private_ip, region);
  x.Open(element);
  x.Leaf("networkInterfaceId", eni.id).Leaf("subnetId", eni.subnet_id).Leaf("vpcId", eni.vpc_id);
  x.Leaf("availabilityZone", eni.availability_zone).Leaf("description", eni.description);
  x.Leaf("ownerId", eni.owner);
  if (eni.requester_managed) x.Leaf("requesterId", eni.interface_type);
  x.Leaf("requesterManaged", BoolText(eni.requester_managed));
  x.Leaf("status", eni.requester_managed ? "in-use" : "available");
  x.Leaf("macAddress", eni.mac_address).Leaf("privateIpAddress", ip);
  x.Leaf("privateDnsName", dns).Leaf("sourceDestCheck", "true");
  x.Open("groupSet");
  for (const auto& id : eni.groups) {
    x.Open("item").Leaf("groupId", id);
    for (const auto& g : groups) {
      if (g.id == id) x.Leaf("groupName", g.name);
    }
    x.Close();
  }
  x.Close();
  x.Open("privateIpAddressesSet").Open("item");
  x.Leaf("privateIpAddress", ip).Leaf("privateDnsName", dns).Leaf("primary", "true");
  x.Close().Close();
  x.Open("ipv6AddressesSet").Close();
  x.Leaf("interfaceType", eni.interface_type);
  WriteTags(x, eni.tags);
  x.Close();
}

}  // namespace elfs::api::ec2::internal
