// Network ACLs: entries and subnet associations.
#include <algorithm>

#include "api/ec2/ec2_state.h"

namespace elfs::api::ec2::internal {
namespace {

// The entry a Create/ReplaceNetworkAclEntry request describes.
ApiResult<NetworkAclEntry> ParseEntry(const Call& c) {
  NetworkAclEntry e;
  auto number = c.Int("RuleNumber");
  if (!number) return Fail(number.error());
  if (!*number) return MissingParameter("RuleNumber");
  if (**number < kMinNaclRuleNumber || **number > kMaxNaclRuleNumber) {
    return Ec2Fail("InvalidParameterValue", "Invalid value '" + std::to_string(**number) +
                                                "' for ruleNumber. Must be between 1 and 32766");
  }
  e.rule_number = **number;
  auto egress = c.Bool("Egress");
  if (!egress) return Fail(egress.error());
  if (!*egress) return MissingParameter("Egress");
  e.egress = **egress;
  auto protocol = c.Required("Protocol");
  if (!protocol) return Fail(protocol.error());
  auto p = ParseProtocol(*protocol);
  if (!p) return Fail(p.error());
  e.protocol = *p;
  auto action = c.Required("RuleAction");
  if (!action) return Fail(action.error());
  if (*action == "allow") {
    e.action = RuleAction::kAllow;
  } else if (*action == "deny") {
    e.action = RuleAction::kDeny;
  } else {
    return InvalidValue("RuleAction", *action, "It must be allow or deny.");
  }
  const std::string* v4 = c.Param("CidrBlock");
  const std::string* v6 = c.Param("Ipv6CidrBlock");
  if (v4 && v6) {
    return Ec2Fail("InvalidParameterCombination",
                   "Only one of CidrBlock and Ipv6CidrBlock may be given");
  }
  if (!v4 && !v6) return MissingParameter("CidrBlock or Ipv6CidrBlock");
  auto cidr = ParseCidr(v4 ? *v4 : *v6);
  if (!cidr || cidr->v6() != (v6 != nullptr)) {
    return InvalidValue(v4 ? "cidrBlock" : "ipv6CidrBlock", v4 ? *v4 : *v6);
  }
  e.cidr = *cidr;
  if (HasPorts(e.protocol)) {
    auto from = c.Int("PortRange.From");
    if (!from) return Fail(from.error());
    auto to = c.Int("PortRange.To");
    if (!to) return Fail(to.error());
    if (!*from || !*to) return MissingParameter("portRange");
    if (**from < 0 || **from > 65535 || **to < 0 || **to > 65535 || **from > **to) {
      return Ec2Fail("InvalidParameterValue",
                     "Invalid port range " + std::to_string(**from) + "-" + std::to_string(**to));
    }
    e.from_port = **from;
    e.to_port = **to;
  } else if (e.protocol == kIcmp || e.protocol == kIcmpv6) {
    auto type = c.Int("Icmp.Type");
    if (!type) return Fail(type.error());
    auto code = c.Int("Icmp.Code");
    if (!code) return Fail(code.error());
    if (!*type || !*code) return MissingParameter("icmpTypeCode");
    if (**type < -1 || **type > 255 || **code < -1 || **code > 255) {
      return Ec2Fail("InvalidParameterValue", "Invalid ICMP type or code");
    }
    e.icmp_type = **type;
    e.icmp_code = **code;
  }
  return e;
}

ApiResult<NetworkAcl> AclForChange(Call& c) {
  auto id = c.Required("NetworkAclId");
  if (!id) return Fail(id.error());
  auto acl = c.state.Get<NetworkAcl>(*id);
  if (!acl) return Fail(acl.error());
  ConditionKeys keys{{"ec2:Vpc", {c.state.Arn("vpc", acl->vpc_id)}}};
  if (auto r = c.Authorize(c.state.Arn("network-acl", *id), keys, &acl->tags); !r) {
    return Fail(r.error());
  }
  return acl;
}

enum class EntryChange { kCreate, kReplace, kDelete };

ApiResult<void> ChangeEntry(Call& c, EntryChange change) {
  NetworkAclEntry entry;
  if (change == EntryChange::kDelete) {
    auto number = c.Int("RuleNumber");
    if (!number) return Fail(number.error());
    if (!*number) return MissingParameter("RuleNumber");
    auto egress = c.Bool("Egress");
    if (!egress) return Fail(egress.error());
    if (!*egress) return MissingParameter("Egress");
    entry.rule_number = **number;
    entry.egress = **egress;
  } else {
    auto parsed = ParseEntry(c);
    if (!parsed) return Fail(parsed.error());
    entry = *parsed;
  }
  auto acl0 = AclForChange(c);
  if (!acl0) return Fail(acl0.error());
  auto r = c.state.Mutate(acl0->vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    auto acl = c.state.Get<NetworkAcl>(acl0->id);
    if (!acl) return Fail(acl.error());
    auto it = std::find_if(acl->entries.begin(), acl->entries.end(), [&](const auto& e) {
      return e.rule_number == entry.rule_number && e.egress == entry.egress;
    });
    std::string which = "The network acl entry identified by " + std::to_string(entry.rule_number);
    if (change == EntryChange::kCreate) {
      if (it != acl->entries.end()) {
        return Ec2Fail("NetworkAclEntryAlreadyExists", which + " already exists.");
      }
      acl->entries.push_back(entry);
    } else {
      if (it == acl->entries.end()) {
        return Ec2Fail("InvalidNetworkAclEntry.NotFound", which + " cannot be found");
      }
      if (change == EntryChange::kReplace) {
        *it = entry;
      } else {
        acl->entries.erase(it);
      }
    }
    std::sort(acl->entries.begin(), acl->entries.end(), [](const auto& a, const auto& b) {
      return std::pair(a.egress, a.rule_number) < std::pair(b.egress, b.rule_number);
    });
    t.Put(*acl);
    return {};
  });
  if (!r) return r;
  c.out.Leaf("return", "true");
  return {};
}

}  // namespace

ApiResult<void> CreateNetworkAcl(Call& c) {
  auto vpc_id = c.Required("VpcId");
  if (!vpc_id) return Fail(vpc_id.error());
  auto tags = c.AuthorizeCreateIn(*vpc_id, "network-acl");
  if (!tags) return Fail(tags.error());
  NetworkAcl acl;
  acl.id = c.state.NewId("acl");
  acl.vpc_id = *vpc_id;
  acl.owner = c.state.options.account_id;
  acl.tags = *tags;  // no entries: only the implicit deny until rules are added
  auto r = c.state.Mutate(*vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    t.Put(acl);
    return {};
  });
  if (!r) return r;
  c.resource = c.state.Arn("network-acl", acl.id);
  WriteAcl(c.out, "networkAcl", acl);
  return {};
}

ApiResult<void> DescribeNetworkAcls(Call& c) {
  if (auto r = c.Authorize("*"); !r) return r;
  auto acls = Select<NetworkAcl>(c, IdList(c.params, "NetworkAclId"), [](const NetworkAcl& a, std::string_view n) -> Values {
    if (n == "network-acl-id") return std::vector{a.id};
    if (n == "vpc-id") return std::vector{a.vpc_id};
    if (n == "default") return std::vector<std::string>{BoolText(a.is_default)};
    if (n == "owner-id") return std::vector{a.owner};
    std::vector<std::string> out;
    if (n == "association.subnet-id") {
      for (const auto& as : a.associations) out.push_back(as.subnet_id);
      return out;
    }
    if (n == "association.association-id") {
      for (const auto& as : a.associations) out.push_back(as.id);
      return out;
    }
    if (n == "association.network-acl-id") return std::vector{a.id};
    if (n == "entry.rule-number") {
      for (const auto& e : a.entries) out.push_back(std::to_string(e.rule_number));
      return out;
    }
    if (n == "entry.cidr") {
      for (const auto& e : a.entries) out.push_back(FormatCidr(e.cidr));
      return out;
    }
    return std::nullopt;
  });
  if (!acls) return Fail(acls.error());
  return WritePage(c, "networkAclSet", *acls, [&](const NetworkAcl& a) { WriteAcl(c.out, "item", a); });
}

ApiResult<void> DeleteNetworkAcl(Call& c) {
  auto acl0 = AclForChange(c);
  if (!acl0) return Fail(acl0.error());
  if (acl0->is_default) {
    return Ec2Fail("InvalidParameterValue",
                   "cannot delete default network ACL " + acl0->id);
  }
  auto r = c.state.Mutate(acl0->vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    auto acl = c.state.Get<NetworkAcl>(acl0->id);
    if (!acl) return Fail(acl.error());
    if (!acl->associations.empty()) {
      return Ec2Fail("DependencyViolation", "The network ACL '" + acl->id +
                                                "' has dependencies and cannot be deleted.");
    }
    t.Remove(*acl);
    return {};
  });
  if (!r) return r;
  c.out.Leaf("return", "true");
  return {};
}

ApiResult<void> CreateNetworkAclEntry(Call& c) { return ChangeEntry(c, EntryChange::kCreate); }
ApiResult<void> ReplaceNetworkAclEntry(Call& c) { return ChangeEntry(c, EntryChange::kReplace); }
ApiResult<void> DeleteNetworkAclEntry(Call& c) { return ChangeEntry(c, EntryChange::kDelete); }

ApiResult<void> ReplaceNetworkAclAssociation(Call& c) {
  auto assoc_id = c.Required("AssociationId");
  if (!assoc_id) return Fail(assoc_id.error());
  auto target0 = AclForChange(c);
  if (!target0) return Fail(target0.error());
  std::string new_id = c.state.NewId("aclassoc");
  auto r = c.state.Mutate(target0->vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    auto acls = c.state.List<NetworkAcl>();
    if (!acls) return Fail(acls.error());
    NetworkAcl* from = nullptr;
    NetworkAcl* to = nullptr;
    std::string subnet_id;
    for (auto& a : *acls) {
      if (a.id == target0->id) to = &a;
      for (const auto& as : a.associations) {
        if (as.id == *assoc_id) {
          from = &a;
          subnet_id = as.subnet_id;
        }
      }
    }
    if (!from) {
      return Ec2Fail("InvalidAssociationID.NotFound",
                     "The association ID '" + *assoc_id + "' does not exist");
    }
    if (!to) {
      return Ec2Fail("InvalidNetworkAclID.NotFound",
                     "The network ACL ID '" + target0->id + "' does not exist");
    }
    if (from->vpc_id != to->vpc_id) {
      return Ec2Fail("InvalidParameterValue", "Network ACL " + to->id + " and association " +
                                                  *assoc_id + " belong to different VPCs");
    }
    std::erase_if(from->associations, [&](const auto& as) { return as.id == *assoc_id; });
    to->associations.push_back({new_id, subnet_id});
    t.Put(*from);
    if (from != to) t.Put(*to);
    return {};
  });
  if (!r) return r;
  c.out.Leaf("newAssociationId", new_id);
  return {};
}

}  // namespace elfs::api::ec2::internal
