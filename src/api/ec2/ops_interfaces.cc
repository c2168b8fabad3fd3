// Network interfaces: a client's address and its security groups.
#include <algorithm>

#include "api/ec2/ec2_state.h"

namespace elfs::api::ec2::internal {
namespace {

constexpr size_t kMaxDescription = 255;

ApiResult<NetworkInterface> InterfaceForChange(Call& c) {
  auto id = c.Required("NetworkInterfaceId");
  if (!id) return Fail(id.error());
  auto eni = c.state.Get<NetworkInterface>(*id);
  if (!eni) return Fail(eni.error());
  ConditionKeys keys{{"ec2:Vpc", {c.state.Arn("vpc", eni->vpc_id)}},
                     {"ec2:Subnet", {c.state.Arn("subnet", eni->subnet_id)}}};
  if (auto r = c.Authorize(c.state.Arn("network-interface", *id), keys, &eni->tags); !r) {
    return Fail(r.error());
  }
  return eni;
}

}  // namespace

ApiResult<void> CreateNetworkInterface(Call& c) {
  State::InterfaceSpec spec;
  auto subnet_id = c.Required("SubnetId");
  if (!subnet_id) return Fail(subnet_id.error());
  spec.subnet_id = *subnet_id;
  for (const char* unsupported :
       {"Ipv6AddressCount", "SecondaryPrivateIpAddressCount", "Ipv4PrefixCount", "Ipv6PrefixCount"}) {
    auto n = c.Int(unsupported);
    if (!n) return Fail(n.error());
    if (n->value_or(0) != 0) {
      return Ec2Fail("UnsupportedOperation",
                     std::string(unsupported) + ": elfs interfaces have exactly one IPv4 address");
    }
  }
  if (const std::string* ip = c.Param("PrivateIpAddress")) spec.ip = *ip;
  auto extra = c.params.Rows("PrivateIpAddresses", {"PrivateIpAddress", "Primary"});
  if (extra.size() > 1 || (extra.size() == 1 && !spec.ip.empty() && extra[0][0] != spec.ip)) {
    return Ec2Fail("UnsupportedOperation", "elfs interfaces have exactly one IPv4 address");
  }
  if (extra.size() == 1) spec.ip = extra[0][0];
  if (const std::string* type = c.Param("InterfaceType"); type && !type->empty()) {
    return InvalidValue("InterfaceType", *type, "elfs creates standard interfaces only.");
  }
  spec.groups = IdList(c.params, "SecurityGroupId");
  if (const std::string* d = c.Param("Description")) {
    if (d->size() > kMaxDescription) return InvalidValue("Description", *d, "Too long.");
    spec.description = *d;
  }
  auto tags = ParseTagSpecifications(c.params, "network-interface");
  if (!tags) return Fail(tags.error());
  spec.tags = *tags;
  auto subnet = c.state.Get<Subnet>(spec.subnet_id);
  if (!subnet) return Fail(subnet.error());
  ConditionKeys keys{{"ec2:Vpc", {c.state.Arn("vpc", subnet->vpc_id)}},
                     {"ec2:Subnet", {c.state.Arn("subnet", subnet->id)}}};
  AddRequestTagKeys(*tags, &keys);
  if (auto r = c.Authorize(c.state.Arn("subnet", subnet->id), keys, &subnet->tags); !r) return r;
  auto eni = c.state.CreateInterface(spec, c.state.options.account_id);
  if (!eni) return Fail(eni.error());
  c.resource = c.state.Arn("network-interface", eni->id);
  auto groups = c.state.List<SecurityGroup>();
  if (!groups) return Fail(groups.error());
  WriteInterface(c.out, "networkInterface", *eni, *groups);
  return {};
}

ApiResult<void> DescribeNetworkInterfaces(Call& c) {
  if (auto r = c.Authorize("*"); !r) return r;
  auto groups = c.state.List<SecurityGroup>();
  if (!groups) return Fail(groups.error());
  auto enis = Select<NetworkInterface>(c, IdList(c.params, "NetworkInterfaceId"), [&](const NetworkInterface& e, std::string_view n) -> Values {
    if (n == "network-interface-id") return std::vector{e.id};
    if (n == "subnet-id") return std::vector{e.subnet_id};
    if (n == "vpc-id") return std::vector{e.vpc_id};
    if (n == "availability-zone") return std::vector{e.availability_zone};
    if (n == "group-id") return e.groups;
    if (n == "group-name") {
      std::vector<std::string> names;
      for (const auto& g : *groups) {
        if (std::find(e.groups.begin(), e.groups.end(), g.id) != e.groups.end()) {
          names.push_back(g.name);
        }
      }
      return names;
    }
    if (n == "addresses.private-ip-address" || n == "private-ip-address") {
      return std::vector{FormatIp(e.private_ip)};
    }
    if (n == "addresses.primary") return std::vector<std::string>{"true"};
    if (n == "description") return std::vector{e.description};
    if (n == "interface-type") return std::vector{e.interface_type};
    if (n == "requester-managed") return std::vector<std::string>{BoolText(e.requester_managed)};
    if (n == "status") return std::vector<std::string>{e.requester_managed ? "in-use" : "available"};
    if (n == "owner-id") return std::vector{e.owner};
    if (n == "mac-address") return std::vector{e.mac_address};
    return std::nullopt;
  });
  if (!enis) return Fail(enis.error());
  return WritePage(c, "networkInterfaceSet", *enis, [&](const NetworkInterface& e) {
    WriteInterface(c.out, "item", e, *groups);
  });
}

ApiResult<void> DeleteNetworkInterface(Call& c) {
  auto eni = InterfaceForChange(c);
  if (!eni) return Fail(eni.error());
  if (auto r = c.state.DeleteInterface(eni->id, /*from_api=*/true); !r) return r;
  c.out.Leaf("return", "true");
  return {};
}

ApiResult<void> ModifyNetworkInterfaceAttribute(Call& c) {
  std::vector<std::string> groups = IdList(c.params, "SecurityGroupId");
  const std::string* description = c.Param("Description.Value");
  int attributes = (groups.empty() ? 0 : 1) + (description ? 1 : 0) +
                   (c.Param("SourceDestCheck.Value") ? 1 : 0) +
                   (c.params.Indices("Attachment").empty() && !c.Param("Attachment.AttachmentId") ? 0 : 1);
  if (attributes == 0) return MissingParameter("SecurityGroupId or Description");
  if (attributes > 1) {
    return Ec2Fail("InvalidParameterCombination", "Fields for multiple attribute types specified");
  }
  if (!description && groups.empty()) {
    return Ec2Fail("UnsupportedOperation",
                   "elfs interfaces support changing their security groups and description only");
  }
  auto eni0 = InterfaceForChange(c);
  if (!eni0) return Fail(eni0.error());
  if (!groups.empty()) {
    if (auto r = c.state.SetInterfaceGroups(eni0->id, groups, /*from_api=*/true); !r) return r;
  } else {
    if (description->size() > kMaxDescription) {
      return InvalidValue("Description", *description, "Too long.");
    }
    auto r = c.state.Mutate(eni0->vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
      auto eni = c.state.Get<NetworkInterface>(eni0->id);
      if (!eni) return Fail(eni.error());
      eni->description = *description;
      t.Put(*eni);
      return {};
    });
    if (!r) return r;
  }
  c.out.Leaf("return", "true");
  return {};
}

}  // namespace elfs::api::ec2::internal
