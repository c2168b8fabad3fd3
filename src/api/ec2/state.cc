#include <charconv>
#include <algorithm>
#include <set>

#include "api/common/ids.h"
#include "api/ec2/ec2_state.h"

namespace elfs::api::ec2::internal {
namespace {

struct KindErrors {
  std::string_view prefix;
  std::string_view malformed;
  std::string_view not_found;
  std::string_view noun;  // "The <noun> '<id>' does not exist"
};

template <class T> KindErrors ErrorsOf();
template <> KindErrors ErrorsOf<Vpc>() {
  return {"vpc", "InvalidVpcID.Malformed", "InvalidVpcID.NotFound", "vpc ID"};
}
template <> KindErrors ErrorsOf<Subnet>() {
  return {"subnet", "InvalidSubnetID.Malformed", "InvalidSubnetID.NotFound", "subnet ID"};
}
template <> KindErrors ErrorsOf<SecurityGroup>() {
  return {"sg", "InvalidGroupId.Malformed", "InvalidGroup.NotFound", "security group"};
}
template <> KindErrors ErrorsOf<NetworkAcl>() {
  return {"acl", "InvalidNetworkAclID.Malformed", "InvalidNetworkAclID.NotFound",
          "network ACL ID"};
}
template <> KindErrors ErrorsOf<NetworkInterface>() {
  return {"eni", "InvalidNetworkInterfaceID.Malformed", "InvalidNetworkInterfaceID.NotFound",
          "networkInterface ID"};
}

constexpr int kMaxAttempts = 32;
constexpr size_t kMaxGroupsPerInterface = 5;

std::vector<Zone> MakeZones(const Ec2Options& o) {
  std::vector<Zone> zones;
  std::string prefix = AzIdPrefix(o.region);
  for (int i = 0; i < o.availability_zones; ++i) {
    zones.push_back({o.region + static_cast<char>('a' + i), prefix + "-az" + std::to_string(i + 1)});
  }
  return zones;
}

bool IsConflict(const ApiError& e) { return e.http_status == 503; }

}  // namespace

State::State(store::Store& store, Random& random, Ec2Options options)
    : store(store), random(random), options(std::move(options)), zones(MakeZones(this->options)) {}

std::string State::NewId(std::string_view prefix) const { return NewResourceId(random, prefix); }

std::string State::Arn(std::string_view type, std::string_view id) const {
  return "arn:aws:ec2:" + options.region + ":" + options.account_id + ":" + std::string(type) +
         "/" + std::string(id);
}

template <class T>
ApiResult<std::optional<Versioned<T>>> State::Load(std::string_view id) const {
  auto rec = store.Get(KindOf<T>(), id);
  if (!rec) return Fail(FromStatus(rec.error()));
  if (!*rec) return std::optional<Versioned<T>>();
  auto v = Decode<T>((*rec)->value);
  if (!v) return Fail(FromStatus(v.error()));
  return std::optional<Versioned<T>>(Versioned<T>{std::move(*v), (*rec)->version});
}

template <class T>
ApiResult<std::vector<T>> State::List() const {
  auto recs = store.List(KindOf<T>());
  if (!recs) return Fail(FromStatus(recs.error()));
  std::vector<T> out;
  out.reserve(recs->size());
  for (const auto& r : *recs) {
    auto v = Decode<T>(r.value);
    if (!v) return Fail(FromStatus(v.error()));
    out.push_back(std::move(*v));
  }
  return out;
}

template <class T>
ApiResult<T> State::Get(std::string_view id) const {
  KindErrors e = ErrorsOf<T>();
  if (!WellFormedId(id, e.prefix)) {
    return Ec2Fail(std::string(e.malformed), "Invalid id: \"" + std::string(id) +
                                                 "\" (expecting \"" + std::string(e.prefix) +
                                                 "-...\")");
  }
  auto v = Load<T>(id);
  if (!v) return Fail(v.error());
  if (!*v) {
    return Ec2Fail(std::string(e.not_found),
                   "The " + std::string(e.noun) + " '" + std::string(id) + "' does not exist");
  }
  return std::move((*v)->value);
}

#define ELFS_EC2_INSTANTIATE(T)                                                      \
  template ApiResult<std::optional<Versioned<T>>> State::Load<T>(std::string_view) const; \
  template ApiResult<std::vector<T>> State::List<T>() const;                         \
  template ApiResult<T> State::Get<T>(std::string_view) const;
ELFS_EC2_INSTANTIATE(Vpc)
ELFS_EC2_INSTANTIATE(Subnet)
ELFS_EC2_INSTANTIATE(SecurityGroup)
ELFS_EC2_INSTANTIATE(NetworkAcl)
ELFS_EC2_INSTANTIATE(NetworkInterface)
#undef ELFS_EC2_INSTANTIATE

ApiResult<void> State::Mutate(std::string_view vpc_id,
                              const std::function<ApiResult<void>(VpcTxn&)>& fn) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto loaded = Load<Vpc>(vpc_id);
    if (!loaded) return Fail(loaded.error());
    if (!*loaded) {
      return Ec2Fail("InvalidVpcID.NotFound",
                     "The vpc ID '" + std::string(vpc_id) + "' does not exist");
    }
    VpcTxn t{(*loaded)->value, false, {}};
    uint64_t version = (*loaded)->version;
    if (auto r = fn(t); !r) return r;
    if (t.delete_vpc) {
      t.txn.Delete(std::string(kVpcKind), std::string(vpc_id), version);
    } else {
      t.txn.Put(std::string(kVpcKind), std::string(vpc_id), Encode(t.vpc), version);
    }
    Status s = store.Commit(t.txn);
    if (s.ok()) return {};
    if (s.code() != Errc::kConflict) return Fail(FromStatus(s));
  }
  return Fail(FromStatus(Status(Errc::kConflict, "too many concurrent changes")));
}

NewVpc State::BuildVpc(const Cidr& cidr, bool is_default, const Tags& tags) const {
  NewVpc n;
  n.vpc.id = NewId("vpc");
  n.vpc.cidr = cidr;
  n.vpc.owner = options.account_id;
  n.vpc.is_default = is_default;
  n.vpc.cidr_association_id = NewId("vpc-cidr-assoc");
  n.vpc.tags = tags;

  // The default security group, as AWS makes it: inbound everything from its
  // own members, outbound everything to anywhere (IPv4; IPv6 only for VPCs
  // with an IPv6 range, which elfs does not offer).
  SecurityGroup& g = n.group;
  g.id = NewId("sg");
  g.name = "default";
  g.description = "default VPC security group";
  g.vpc_id = n.vpc.id;
  g.owner = options.account_id;
  g.is_default = true;
  SecurityGroupRule in;
  in.rule_id = NewId("sgr");
  in.group_id = g.id;
  in.direction = Direction::kIngress;
  in.source_group_id = g.id;
  in.source_group_owner = options.account_id;
  SecurityGroupRule out;
  out.rule_id = NewId("sgr");
  out.group_id = g.id;
  out.direction = Direction::kEgress;
  out.cidr = *ParseCidr("0.0.0.0/0");
  g.rules = {in, out};
  n.vpc.default_group_id = g.id;

  // The default network ACL: rule 100 allows everything both ways (the
  // implicit "*" deny follows it).
  NetworkAcl& a = n.acl;
  a.id = NewId("acl");
  a.vpc_id = n.vpc.id;
  a.owner = options.account_id;
  a.is_default = true;
  for (bool egress : {false, true}) {
    NetworkAclEntry e;
    e.rule_number = 100;
    e.egress = egress;
    e.cidr = *ParseCidr("0.0.0.0/0");
    a.entries.push_back(e);
  }
  n.vpc.default_acl_id = a.id;

  if (is_default) {
    // One subnet per zone: the first blocks of the range, each a /20 (AWS's
    // size) or smaller when the range is small.
    int bits = 0;
    while ((1 << bits) < static_cast<int>(zones.size())) ++bits;
    int prefix = std::max(20, cidr.prefix + bits);
    uint32_t step = prefix == 32 ? 1u : (1u << (32 - prefix));
    for (size_t i = 0; i < zones.size(); ++i) {
      Subnet s;
      s.id = NewId("subnet");
      s.vpc_id = n.vpc.id;
      s.cidr = Cidr{FromV4(FirstV4(cidr) + static_cast<uint32_t>(i) * step), prefix};
      s.availability_zone = zones[i].name;
      s.availability_zone_id = zones[i].id;
      s.owner = options.account_id;
      s.default_for_az = true;
      a.associations.push_back({NewId("aclassoc"), s.id});
      n.subnets.push_back(std::move(s));
    }
  }
  return n;
}

ApiResult<void> State::CreateVpcObjects(const NewVpc& objects, const store::Transaction& extra) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto lock = store.Get(kLockKind, kVpcsLock);
    if (!lock) return Fail(FromStatus(lock.error()));
    uint64_t version = *lock ? (*lock)->version : store::kMustNotExist;
    auto vpcs = List<Vpc>();
    if (!vpcs) return Fail(vpcs.error());
    for (const Vpc& other : *vpcs) {
      // One host serves every VPC's addresses, so an address must name one
      // interface: ranges of different VPCs may not overlap (docs/network.md).
      if (Overlaps(other.cidr, objects.vpc.cidr)) {
        return Ec2Fail("InvalidVpc.Range",
                       "The CIDR '" + FormatCidr(objects.vpc.cidr) + "' overlaps " + other.id +
                           " (" + FormatCidr(other.cidr) +
                           "); elfs serves all VPCs from one address space, so VPC ranges "
                           "must be disjoint");
      }
    }
    store::Transaction txn = extra;
    txn.Put(std::string(kVpcKind), objects.vpc.id, Encode(objects.vpc), store::kMustNotExist);
    txn.Put(std::string(kGroupKind), objects.group.id, Encode(objects.group));
    txn.Put(std::string(kAclKind), objects.acl.id, Encode(objects.acl));
    for (const Subnet& s : objects.subnets) txn.Put(std::string(kSubnetKind), s.id, Encode(s));
    txn.Put(std::string(kLockKind), std::string(kVpcsLock), "{}", version);
    Status s = store.Commit(txn);
    if (s.ok()) return {};
    if (s.code() != Errc::kConflict) return Fail(FromStatus(s));
    // A marker in `extra` that now exists also conflicts: the caller checks.
    if (!extra.empty()) return Fail(FromStatus(s));
  }
  return Fail(FromStatus(Status(Errc::kConflict, "too many concurrent changes")));
}

ApiResult<std::string> State::EnsureDefaultVpc() {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto marker = store.Get(kDefaultVpcKind, options.account_id);
    if (!marker) return Fail(FromStatus(marker.error()));
    if (*marker) {
      default_vpc_known_.store(true, std::memory_order_release);
      return (*marker)->value;
    }
    NewVpc objects = BuildVpc(*ParseCidr(options.default_vpc_cidr), true, {});
    store::Transaction marker_txn;
    marker_txn.Put(std::string(kDefaultVpcKind), options.account_id, objects.vpc.id,
                   store::kMustNotExist);
    auto r = CreateVpcObjects(objects, marker_txn);
    if (r) return objects.vpc.id;
    // Another thread or host may have created it meanwhile: then its range
    // overlaps ours, or its marker conflicts. Look again before failing.
    auto now = store.Get(kDefaultVpcKind, options.account_id);
    if (now && *now) continue;
    if (!IsConflict(r.error())) return Fail(r.error());
  }
  return Fail(FromStatus(Status(Errc::kConflict, "too many concurrent changes")));
}

ApiResult<Vpc> State::DefaultVpc() {
  auto id = EnsureDefaultVpc();
  if (!id) return Fail(id.error());
  auto v = Load<Vpc>(*id);
  if (!v) return Fail(v.error());
  if (!*v) return Ec2Fail("VPCIdNotSpecified", "No default VPC for this user");
  return std::move((*v)->value);
}

const Zone* State::FindZone(std::string_view name_or_id) const {
  for (const Zone& z : zones) {
    if (z.name == name_or_id || z.id == name_or_id) return &z;
  }
  return nullptr;
}

namespace {

// Resolves and checks the groups of an interface of `vpc`.
ApiResult<std::vector<std::string>> CheckGroups(const State& s, const Vpc& vpc,
                                                std::vector<std::string> groups,
                                                std::string_view subnet_id) {
  if (groups.empty()) groups.push_back(vpc.default_group_id);
  std::vector<std::string> unique;
  for (auto& g : groups) {
    if (std::find(unique.begin(), unique.end(), g) == unique.end()) unique.push_back(g);
  }
  if (unique.size() > kMaxGroupsPerInterface) {
    return Ec2Fail("SecurityGroupsPerInterfaceLimitExceeded",
                   "You have exceeded the maximum number of security groups allowed per network "
                   "interface (5)");
  }
  for (const auto& g : unique) {
    auto sg = s.Get<SecurityGroup>(g);
    if (!sg) return Fail(sg.error());
    if (sg->vpc_id != vpc.id) {
      return Ec2Fail("InvalidParameterValue", "Security group " + g + " and subnet " +
                                                   std::string(subnet_id) +
                                                   " belong to different networks.");
    }
  }
  return unique;
}

std::string NewMac(Random& random) {
  std::string mac = "02";
  for (int i = 0; i < 5; ++i) mac += ":" + RandomHex(random, 2);
  return mac;
}

}  // namespace

ApiResult<NetworkInterface> State::CreateInterface(const InterfaceSpec& spec,
                                                   std::string_view owner) {
  auto subnet0 = Get<Subnet>(spec.subnet_id);
  if (!subnet0) return Fail(subnet0.error());
  std::optional<IpAddress> wanted;
  if (!spec.ip.empty()) {
    auto ip = ParseIp(spec.ip);
    if (!ip || ip->v6) {
      return Ec2Fail("InvalidParameterValue",
                     "Invalid value '" + spec.ip + "' for privateIpAddress: not an IPv4 address");
    }
    wanted = *ip;
  }
  NetworkInterface eni;
  eni.id = NewId("eni");
  eni.description = spec.description;
  eni.owner = std::string(owner);
  eni.interface_type = spec.interface_type;
  eni.requester_managed = spec.requester_managed;
  eni.mac_address = NewMac(random);
  eni.tags = spec.tags;
  auto r = Mutate(subnet0->vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    auto subnet = Get<Subnet>(spec.subnet_id);  // it may have gone meanwhile
    if (!subnet) return Fail(subnet.error());
    auto groups = CheckGroups(*this, t.vpc, spec.groups, spec.subnet_id);
    if (!groups) return Fail(groups.error());
    auto all = List<NetworkInterface>();
    if (!all) return Fail(all.error());
    std::set<uint32_t> used;
    for (const auto& other : *all) {
      if (other.subnet_id == subnet->id && !other.private_ip.v6) used.insert(V4(other.private_ip));
    }
    // AWS reserves the network address, the next three (router, DNS,
    // future use) and the last address of every subnet.
    uint32_t first = FirstV4(subnet->cidr) + 4, last = LastV4(subnet->cidr) - 1;
    uint32_t chosen = 0;
    if (wanted) {
      if (!Contains(subnet->cidr, *wanted)) {
        return Ec2Fail("InvalidParameterValue",
                       "Address " + spec.ip + " does not fall within the subnet's address range");
      }
      uint32_t v = V4(*wanted);
      if (v < first || v > last) {
        return Ec2Fail("InvalidParameterValue",
                       "Address " + spec.ip + " is reserved: the first four addresses and the "
                       "last address of a subnet cannot be assigned");
      }
      if (used.count(v)) {
        return Ec2Fail("InvalidIPAddress.InUse", "Address " + spec.ip + " is in use.");
      }
      chosen = v;
    } else {
      bool found = false;
      for (uint64_t v = first; v <= last; ++v) {
        if (!used.count(static_cast<uint32_t>(v))) {
          chosen = static_cast<uint32_t>(v);
          found = true;
          break;
        }
      }
      if (!found) {
        return Ec2Fail("InsufficientFreeAddressesInSubnet",
                       "There are not enough free addresses in subnet '" + subnet->id +
                           "' to satisfy the requested number of instances.");
      }
    }
    eni.subnet_id = subnet->id;
    eni.vpc_id = subnet->vpc_id;
    eni.availability_zone = subnet->availability_zone;
    eni.private_ip = FromV4(chosen);
    eni.groups = std::move(*groups);
    t.Put(eni);
    return {};
  });
  if (!r) return Fail(r.error());
  return eni;
}

ApiResult<void> State::SetInterfaceGroups(std::string_view eni_id, std::vector<std::string> groups,
                                          bool from_api) {
  auto eni0 = Get<NetworkInterface>(eni_id);
  if (!eni0) return Fail(eni0.error());
  if (groups.empty()) {
    return Ec2Fail("InvalidParameterValue", "A network interface needs at least one security group");
  }
  if (from_api && eni0->requester_managed) {
    return Ec2Fail("OperationNotPermitted",
                   "Network interface " + eni0->id + " is managed by " + eni0->interface_type +
                       "; change its security groups through that service "
                       "(ModifyMountTargetSecurityGroups)");
  }
  return Mutate(eni0->vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    auto eni = Get<NetworkInterface>(eni_id);
    if (!eni) return Fail(eni.error());
    auto checked = CheckGroups(*this, t.vpc, groups, eni->subnet_id);
    if (!checked) return Fail(checked.error());
    eni->groups = std::move(*checked);
    t.Put(*eni);
    return {};
  });
}

ApiResult<void> State::DeleteInterface(std::string_view eni_id, bool from_api) {
  auto eni0 = Get<NetworkInterface>(eni_id);
  if (!eni0) return Fail(eni0.error());
  if (from_api && eni0->requester_managed) {
    return Ec2Fail("InvalidNetworkInterface.InUse",
                   "Network interface " + eni0->id + " is in use by " + eni0->interface_type +
                       " (a mount target) and cannot be deleted; delete the mount target");
  }
  return Mutate(eni0->vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    auto eni = Get<NetworkInterface>(eni_id);
    if (!eni) return Fail(eni.error());
    t.Remove(*eni);
    return {};
  });
}

ApiResult<std::string> Call::Required(std::string_view name) const {
  const std::string* v = params.Get(name);
  if (!v || v->empty()) return MissingParameter(name);
  return *v;
}

ApiResult<std::optional<int>> Call::Int(std::string_view name) const {
  const std::string* v = params.Get(name);
  if (!v) return std::optional<int>();
  int n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (v->empty() || ec != std::errc() || p != v->data() + v->size()) {
    return InvalidValue(name, *v, "Expected an integer.");
  }
  return std::optional<int>(n);
}

ApiResult<std::optional<bool>> Call::Bool(std::string_view name) const {
  const std::string* v = params.Get(name);
  if (!v) return std::optional<bool>();
  std::string l = *v;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (l == "true") return std::optional<bool>(true);
  if (l == "false") return std::optional<bool>(false);
  return InvalidValue(name, *v, "Expected true or false.");
}

ApiResult<Tags> Call::AuthorizeCreateIn(const std::string& vpc_id,
                                        std::string_view resource_type) {
  auto tags = ParseTagSpecifications(params, resource_type);
  if (!tags) return Fail(tags.error());
  auto vpc = state.Get<Vpc>(vpc_id);
  if (!vpc) return Fail(vpc.error());
  ConditionKeys keys{{"ec2:Vpc", {state.Arn("vpc", vpc_id)}}};
  AddRequestTagKeys(*tags, &keys);
  if (auto r = Authorize(state.Arn("vpc", vpc_id), keys, &vpc->tags); !r) return Fail(r.error());
  return tags;
}

ApiResult<void> Call::Authorize(std::string arn, ConditionKeys keys, const Tags* tags) {
  if (tags) {
    for (const auto& [k, v] : *tags) {
      keys["aws:ResourceTag/" + k] = {v};
      keys["ec2:ResourceTag/" + k] = {v};
    }
  }
  if (resource.empty()) resource = arn;
  auto r = authz.Authorize(ctx, AuthzRequest{"ec2:" + action, std::move(arn), std::move(keys)});
  if (!r) {
    if (r.error().http_status == 403) {
      return Fail(403, "UnauthorizedOperation",
                  "You are not authorized to perform this operation. " + r.error().message);
    }
    return Fail(r.error());
  }
  auto dry = Bool("DryRun");
  if (!dry) return Fail(dry.error());
  if (dry->value_or(false)) {
    return Fail(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
  }
  return {};
}

}  // namespace elfs::api::ec2::internal
