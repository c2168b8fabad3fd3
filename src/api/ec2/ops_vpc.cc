// VPCs, subnets and availability zones.
#include "api/ec2/ec2_state.h"

namespace elfs::api::ec2::internal {
namespace {

constexpr int kMinPrefix = 16;
constexpr int kMaxPrefix = 28;

ApiResult<Cidr> ParseRange(std::string_view text, std::string_view error_code) {
  auto c = ParseCidr(text);
  if (!c || c->v6() || c->prefix < kMinPrefix || c->prefix > kMaxPrefix) {
    return Ec2Fail(std::string(error_code), "The CIDR '" + std::string(text) + "' is invalid.");
  }
  return *c;
}

// Addresses left for interfaces: the range less the five reserved, less
// those in use.
int AvailableAddresses(const Subnet& subnet, const std::vector<NetworkInterface>& enis) {
  int total = static_cast<int>(LastV4(subnet.cidr) - FirstV4(subnet.cidr) + 1) - 5;
  for (const auto& e : enis) {
    if (e.subnet_id == subnet.id) --total;
  }
  return total;
}

}  // namespace

ApiResult<void> CreateVpc(Call& c) {
  auto text = c.Required("CidrBlock");
  if (!text) return Fail(text.error());
  auto ipv6 = c.Bool("AmazonProvidedIpv6CidrBlock");
  if (!ipv6) return Fail(ipv6.error());
  if (ipv6->value_or(false) || c.Param("Ipv6CidrBlock") || c.Param("Ipv4IpamPoolId")) {
    return Ec2Fail("UnsupportedOperation",
                   "elfs VPCs have one IPv4 range: IPv6 ranges and IPAM pools are not offered");
  }
  if (const std::string* t = c.Param("InstanceTenancy"); t && *t != "default" && *t != "dedicated") {
    return InvalidValue("InstanceTenancy", *t);
  }
  auto cidr = ParseRange(*text, "InvalidVpc.Range");
  if (!cidr) return Fail(cidr.error());
  auto tags = ParseTagSpecifications(c.params, "vpc");
  if (!tags) return Fail(tags.error());
  ConditionKeys keys;
  AddRequestTagKeys(*tags, &keys);
  if (auto r = c.Authorize(c.state.Arn("vpc", "*"), keys); !r) return r;
  NewVpc objects = c.state.BuildVpc(*cidr, false, *tags);
  if (auto r = c.state.CreateVpcObjects(objects, {}); !r) return r;
  c.resource = c.state.Arn("vpc", objects.vpc.id);
  WriteVpc(c.out, "vpc", objects.vpc);
  return {};
}

ApiResult<void> DescribeVpcs(Call& c) {
  if (auto r = c.Authorize("*"); !r) return r;
  auto vpcs = Select<Vpc>(c, IdList(c.params, "VpcId"), [](const Vpc& v, std::string_view n) -> Values {
    if (n == "vpc-id") return std::vector{v.id};
    if (n == "cidr" || n == "cidr-block" || n == "cidrBlock" ||
        n == "cidr-block-association.cidr-block") {
      return std::vector{FormatCidr(v.cidr)};
    }
    if (n == "cidr-block-association.association-id") return std::vector{v.cidr_association_id};
    if (n == "cidr-block-association.state") return std::vector<std::string>{"associated"};
    if (n == "is-default" || n == "isDefault") return std::vector<std::string>{BoolText(v.is_default)};
    if (n == "state") return std::vector<std::string>{"available"};
    if (n == "owner-id") return std::vector{v.owner};
    if (n == "dhcp-options-id") return std::vector<std::string>{"default"};
    return std::nullopt;
  });
  if (!vpcs) return Fail(vpcs.error());
  return WritePage(c, "vpcSet", *vpcs, [&](const Vpc& v) { WriteVpc(c.out, "item", v); });
}

ApiResult<void> DeleteVpc(Call& c) {
  auto id = c.Required("VpcId");
  if (!id) return Fail(id.error());
  auto vpc = c.state.Get<Vpc>(*id);
  if (!vpc) return Fail(vpc.error());
  if (auto r = c.Authorize(c.state.Arn("vpc", *id), {}, &vpc->tags); !r) return r;
  auto r = c.state.Mutate(*id, [&](VpcTxn& t) -> ApiResult<void> {
    auto dependency = [&]() {
      return Ec2Fail("DependencyViolation",
                     "The vpc '" + *id + "' has dependencies and cannot be deleted.");
    };
    auto subnets = c.state.List<Subnet>();
    if (!subnets) return Fail(subnets.error());
    for (const auto& s : *subnets) {
      if (s.vpc_id == *id) return dependency();
    }
    auto enis = c.state.List<NetworkInterface>();
    if (!enis) return Fail(enis.error());
    for (const auto& e : *enis) {
      if (e.vpc_id == *id) return dependency();
    }
    auto groups = c.state.List<SecurityGroup>();
    if (!groups) return Fail(groups.error());
    for (const auto& g : *groups) {
      if (g.vpc_id != *id) continue;
      if (!g.is_default) return dependency();
      t.Remove(g);
    }
    auto acls = c.state.List<NetworkAcl>();
    if (!acls) return Fail(acls.error());
    for (const auto& a : *acls) {
      if (a.vpc_id != *id) continue;
      if (!a.is_default) return dependency();
      t.Remove(a);
    }
    t.delete_vpc = true;
    return {};
  });
  if (!r) return r;
  c.out.Leaf("return", "true");
  return {};
}

ApiResult<void> CreateSubnet(Call& c) {
  auto vpc_id = c.Required("VpcId");
  if (!vpc_id) return Fail(vpc_id.error());
  if (c.Param("Ipv6CidrBlock") || c.Param("OutpostArn")) {
    return Ec2Fail("UnsupportedOperation", "elfs subnets have one IPv4 range");
  }
  auto text = c.Required("CidrBlock");
  if (!text) return Fail(text.error());
  auto cidr = ParseRange(*text, "InvalidSubnet.Range");
  if (!cidr) return Fail(cidr.error());
  const std::string* az_name = c.Param("AvailabilityZone");
  const std::string* az_id = c.Param("AvailabilityZoneId");
  if (az_name && az_id) {
    return Ec2Fail("InvalidParameterCombination",
                   "Only one of AvailabilityZone and AvailabilityZoneId may be given");
  }
  const Zone* zone = nullptr;
  if (az_name || az_id) {
    zone = c.state.FindZone(az_name ? *az_name : *az_id);
    if (!zone || (az_name && zone->name != *az_name) || (az_id && zone->id != *az_id)) {
      std::string names;
      for (const auto& z : c.state.zones) names += (names.empty() ? "" : ", ") + z.name;
      return InvalidValue(az_name ? "availabilityZone" : "availabilityZoneId",
                          az_name ? *az_name : *az_id,
                          "Subnets can currently only be created in the following availability "
                          "zones: " + names + ".");
    }
  }
  auto tags = c.AuthorizeCreateIn(*vpc_id, "subnet");
  if (!tags) return Fail(tags.error());
  Subnet subnet;
  subnet.id = c.state.NewId("subnet");
  subnet.vpc_id = *vpc_id;
  subnet.cidr = *cidr;
  subnet.owner = c.state.options.account_id;
  subnet.tags = *tags;
  std::string assoc_id = c.state.NewId("aclassoc");
  auto r = c.state.Mutate(*vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    if (!Covers(t.vpc.cidr, *cidr)) {
      return Ec2Fail("InvalidSubnet.Range", "The CIDR '" + *text + "' is invalid.");
    }
    auto subnets = c.state.List<Subnet>();
    if (!subnets) return Fail(subnets.error());
    size_t in_vpc = 0;
    for (const auto& s : *subnets) {
      if (s.vpc_id != *vpc_id) continue;
      ++in_vpc;
      if (Overlaps(s.cidr, *cidr)) {
        return Ec2Fail("InvalidSubnet.Conflict",
                       "The CIDR '" + *text + "' conflicts with another subnet");
      }
    }
    // Without a zone, spread subnets over the zones.
    const Zone& z = zone ? *zone : c.state.zones[in_vpc % c.state.zones.size()];
    subnet.availability_zone = z.name;
    subnet.availability_zone_id = z.id;
    // Every subnet starts associated with the VPC's default network ACL.
    auto acl = c.state.Get<NetworkAcl>(t.vpc.default_acl_id);
    if (!acl) return Fail(acl.error());
    acl->associations.push_back({assoc_id, subnet.id});
    t.Put(*acl);
    t.Put(subnet);
    return {};
  });
  if (!r) return r;
  c.resource = c.state.Arn("subnet", subnet.id);
  WriteSubnet(c.out, "subnet", c.state, subnet, AvailableAddresses(subnet, {}));
  return {};
}

ApiResult<void> DescribeSubnets(Call& c) {
  if (auto r = c.Authorize("*"); !r) return r;
  auto subnets = Select<Subnet>(c, IdList(c.params, "SubnetId"), [](const Subnet& s, std::string_view n) -> Values {
    if (n == "subnet-id") return std::vector{s.id};
    if (n == "vpc-id") return std::vector{s.vpc_id};
    if (n == "availability-zone" || n == "availabilityZone") return std::vector{s.availability_zone};
    if (n == "availability-zone-id" || n == "availabilityZoneId") {
      return std::vector{s.availability_zone_id};
    }
    if (n == "cidr" || n == "cidr-block" || n == "cidrBlock") return std::vector{FormatCidr(s.cidr)};
    if (n == "default-for-az" || n == "defaultForAz") {
      return std::vector<std::string>{BoolText(s.default_for_az)};
    }
    if (n == "state") return std::vector<std::string>{"available"};
    if (n == "owner-id") return std::vector{s.owner};
    return std::nullopt;
  });
  if (!subnets) return Fail(subnets.error());
  auto enis = c.state.List<NetworkInterface>();
  if (!enis) return Fail(enis.error());
  return WritePage(c, "subnetSet", *subnets, [&](const Subnet& s) {
    WriteSubnet(c.out, "item", c.state, s, AvailableAddresses(s, *enis));
  });
}

ApiResult<void> DeleteSubnet(Call& c) {
  auto id = c.Required("SubnetId");
  if (!id) return Fail(id.error());
  auto subnet = c.state.Get<Subnet>(*id);
  if (!subnet) return Fail(subnet.error());
  ConditionKeys keys{{"ec2:Vpc", {c.state.Arn("vpc", subnet->vpc_id)}}};
  if (auto r = c.Authorize(c.state.Arn("subnet", *id), keys, &subnet->tags); !r) return r;
  auto r = c.state.Mutate(subnet->vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    auto current = c.state.Get<Subnet>(*id);
    if (!current) return Fail(current.error());
    auto enis = c.state.List<NetworkInterface>();
    if (!enis) return Fail(enis.error());
    for (const auto& e : *enis) {
      if (e.subnet_id == *id) {
        return Ec2Fail("DependencyViolation",
                       "The subnet '" + *id + "' has dependencies and cannot be deleted.");
      }
    }
    auto acls = c.state.List<NetworkAcl>();
    if (!acls) return Fail(acls.error());
    for (auto& a : *acls) {
      size_t before = a.associations.size();
      std::erase_if(a.associations, [&](const auto& as) { return as.subnet_id == *id; });
      if (a.associations.size() != before) t.Put(a);
    }
    t.Remove(*current);
    return {};
  });
  if (!r) return r;
  c.out.Leaf("return", "true");
  return {};
}

ApiResult<void> DescribeAvailabilityZones(Call& c) {
  if (auto r = c.Authorize("*"); !r) return r;
  auto filters = ParseFilters(c.params);
  if (!filters) return Fail(filters.error());
  auto names = IdList(c.params, "ZoneName");
  auto ids = IdList(c.params, "ZoneId");
  for (const auto& n : names) {
    if (!c.state.FindZone(n) || c.state.FindZone(n)->name != n) {
      return InvalidValue("ZoneName", n);
    }
  }
  for (const auto& n : ids) {
    if (!c.state.FindZone(n) || c.state.FindZone(n)->id != n) return InvalidValue("ZoneId", n);
  }
  const std::string& region = c.state.options.region;
  c.out.Open("availabilityZoneInfo");
  for (const Zone& z : c.state.zones) {
    bool named = names.empty() && ids.empty();
    for (const auto& n : names) named = named || n == z.name;
    for (const auto& n : ids) named = named || n == z.id;
    if (!named) continue;
    auto m = MatchFilters(
        *filters,
        [&](std::string_view n) -> Values {
          if (n == "zone-name") return std::vector{z.name};
          if (n == "zone-id") return std::vector{z.id};
          if (n == "region-name") return std::vector{region};
          if (n == "state") return std::vector<std::string>{"available"};
          if (n == "zone-type") return std::vector<std::string>{"availability-zone"};
          if (n == "group-name" || n == "network-border-group") return std::vector{region};
          if (n == "opt-in-status") return std::vector<std::string>{"opt-in-not-required"};
          return std::nullopt;
        },
        {});
    if (!m) return Fail(m.error());
    if (!*m) continue;
    c.out.Open("item");
    c.out.Leaf("zoneName", z.name).Leaf("zoneState", "available").Leaf("regionName", region);
    c.out.Leaf("zoneId", z.id).Leaf("groupName", region).Leaf("networkBorderGroup", region);
    c.out.Leaf("optInStatus", "opt-in-not-required").Leaf("zoneType", "availability-zone");
    c.out.Open("messageSet").Close();
    c.out.Close();
  }
  c.out.Close();
  return {};
}

}  // namespace elfs::api::ec2::internal
