// Security groups and their rules.
#include <algorithm>
#include <cctype>

#include "api/ec2/ec2_state.h"

namespace elfs::api::ec2::internal {
namespace {

constexpr size_t kMaxName = 255;
constexpr size_t kMaxRulesPerDirection = 60;

// EC2's character set for VPC group names and descriptions.
bool AllowedText(std::string_view s) {
  static constexpr std::string_view kPunct = " ._-:/()#,@[]+=&;{}!$*";
  for (unsigned char ch : s) {
    if (!std::isalnum(ch) && kPunct.find(static_cast<char>(ch)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// The group a request names: GroupId, or GroupName in the default VPC.
ApiResult<SecurityGroup> NamedGroup(Call& c, bool allow_name) {
  if (const std::string* id = c.Param("GroupId"); id && !id->empty()) {
    return c.state.Get<SecurityGroup>(*id);
  }
  const std::string* name = c.Param("GroupName");
  if (!allow_name || !name || name->empty()) return MissingParameter("GroupId");
  auto vpc = c.state.DefaultVpc();
  if (!vpc) return Fail(vpc.error());
  auto groups = c.state.List<SecurityGroup>();
  if (!groups) return Fail(groups.error());
  for (auto& g : *groups) {
    if (g.vpc_id == vpc->id && g.name == *name) return std::move(g);
  }
  return Ec2Fail("InvalidGroup.NotFound", "The security group '" + *name +
                                               "' does not exist in default VPC '" + vpc->id + "'");
}

std::string Describe(const SecurityGroupRule& r) {
  std::string peer = r.cidr ? FormatCidr(*r.cidr) : r.source_group_id;
  std::string proto = r.protocol == kAllProtocols ? "ALL" : ProtocolName(r.protocol);
  std::transform(proto.begin(), proto.end(), proto.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  return "peer: " + peer + ", " + proto + ", from port: " + std::to_string(r.from_port) +
         ", to port: " + std::to_string(r.to_port) + ", ALLOW";
}

struct Protocol {
  int number;
  int from;
  int to;
};

// Protocol and ports of one permission, normalized as EC2 stores them.
ApiResult<Protocol> ParsePorts(const Call& c, std::string_view proto_name,
                               std::string_view from_name, std::string_view to_name,
                               bool protocol_required) {
  const std::string* text = c.Param(proto_name);
  if (!text || text->empty()) {
    if (protocol_required) return MissingParameter(proto_name);
  }
  int number = kAllProtocols;
  if (text && !text->empty()) {
    auto p = ParseProtocol(*text);
    if (!p) return Fail(p.error());
    number = *p;
  }
  auto from = c.Int(from_name);
  if (!from) return Fail(from.error());
  auto to = c.Int(to_name);
  if (!to) return Fail(to.error());
  if (HasPorts(number)) {
    if (!*from || !*to) {
      return Ec2Fail("InvalidParameterValue",
                     "Invalid value 'Must specify both from and to ports with TCP/UDP.' for "
                     "portRange");
    }
    if (**from < 0 || **from > 65535 || **to < 0 || **to > 65535 || **from > **to) {
      return Ec2Fail("InvalidParameterValue",
                     "Invalid port range " + std::to_string(**from) + "-" + std::to_string(**to) +
                         ": ports must be 0 to 65535 with from <= to");
    }
    return Protocol{number, **from, **to};
  }
  if (number == kIcmp || number == kIcmpv6) {
    int type = from->value_or(-1), code = to->value_or(-1);
    if (type < -1 || type > 255 || code < -1 || code > 255) {
      return Ec2Fail("InvalidParameterValue", "Invalid ICMP type or code");
    }
    return Protocol{number, type, code};
  }
  return Protocol{number, -1, -1};
}

ApiResult<std::string> CheckDescription(const std::string& d) {
  if (d.size() > kMaxName || !AllowedText(d)) {
    return InvalidValue("Description", d, "Descriptions are up to 255 characters of a-z, A-Z, "
                                          "0-9, spaces and ._-:/()#,@[]+=&;{}!$*");
  }
  return d;
}

// The peer group of a rule, by id or by name, in the rule's group's VPC.
ApiResult<SecurityGroup> PeerGroup(Call& c, const SecurityGroup& owner, const std::string& id,
                                   const std::string& name) {
  if (!id.empty()) {
    auto g = c.state.Get<SecurityGroup>(id);
    if (!g) return Fail(g.error());
    if (g->vpc_id != owner.vpc_id) {
      return Ec2Fail("InvalidGroup.NotFound", "You have specified two resources that belong to "
                                              "different networks: " + owner.id + " and " + id);
    }
    return g;
  }
  auto groups = c.state.List<SecurityGroup>();
  if (!groups) return Fail(groups.error());
  for (auto& g : *groups) {
    if (g.vpc_id == owner.vpc_id && g.name == name) return std::move(g);
  }
  return Ec2Fail("InvalidGroup.NotFound", "The security group '" + name +
                                               "' does not exist in VPC '" + owner.vpc_id + "'");
}

// The rules a request names, in IpPermissions.N form or the older flat form.
ApiResult<std::vector<SecurityGroupRule>> ParsePermissions(Call& c, const SecurityGroup& g,
                                                           Direction d) {
  std::vector<SecurityGroupRule> rules;
  auto base = [&](const Protocol& p) {
    SecurityGroupRule r;
    r.group_id = g.id;
    r.direction = d;
    r.protocol = p.number;
    r.from_port = p.from;
    r.to_port = p.to;
    return r;
  };
  std::vector<int> indices = c.params.Indices("IpPermissions");
  bool flat = c.Param("CidrIp") || c.Param("SourceSecurityGroupName") || c.Param("IpProtocol");
  if (!indices.empty() && flat) {
    return Ec2Fail("InvalidParameterCombination",
                   "The parameter 'ipPermissions' may not be used in combination with "
                   "'cidrIp', 'ipProtocol' or 'sourceSecurityGroupName'");
  }
  if (flat) {
    const std::string* cidr = c.Param("CidrIp");
    const std::string* source = c.Param("SourceSecurityGroupName");
    if (cidr && source) {
      return Ec2Fail("InvalidParameterCombination",
                     "CidrIp and SourceSecurityGroupName may not be used together");
    }
    auto p = ParsePorts(c, "IpProtocol", "FromPort", "ToPort", /*protocol_required=*/!source);
    if (!p) return Fail(p.error());
    SecurityGroupRule r = base(*p);
    if (cidr) {
      auto parsed = ParseCidr(*cidr);
      if (!parsed || parsed->v6()) {
        return Ec2Fail("InvalidParameterValue", "CIDR block " + *cidr + " is malformed");
      }
      r.cidr = *parsed;
    } else if (source) {
      auto peer = PeerGroup(c, g, "", *source);
      if (!peer) return Fail(peer.error());
      r.source_group_id = peer->id;
      r.source_group_owner = peer->owner;
    } else {
      return MissingParameter("CidrIp");
    }
    rules.push_back(std::move(r));
    return rules;
  }
  if (indices.empty()) return MissingParameter("IpPermissions");
  for (int n : indices) {
    std::string pre = "IpPermissions." + std::to_string(n);
    auto p = ParsePorts(c, pre + ".IpProtocol", pre + ".FromPort", pre + ".ToPort", true);
    if (!p) return Fail(p.error());
    if (!c.params.Indices(pre + ".PrefixListIds").empty()) {
      return Ec2Fail("UnsupportedOperation", "elfs has no managed prefix lists");
    }
    size_t before = rules.size();
    for (bool v6 : {false, true}) {
      auto rows = v6 ? c.params.Rows(pre + ".Ipv6Ranges", {"CidrIpv6", "Description"})
                     : c.params.Rows(pre + ".IpRanges", {"CidrIp", "Description"});
      for (const auto& row : rows) {
        auto parsed = ParseCidr(row[0]);
        if (!parsed || parsed->v6() != v6) {
          return Ec2Fail("InvalidParameterValue", "CIDR block " + row[0] + " is malformed");
        }
        auto desc = CheckDescription(row[1]);
        if (!desc) return Fail(desc.error());
        SecurityGroupRule r = base(*p);
        r.cidr = *parsed;
        r.description = *desc;
        rules.push_back(std::move(r));
      }
    }
    for (const auto& row :
         c.params.Rows(pre + ".Groups", {"GroupId", "GroupName", "UserId", "Description"})) {
      if (row[0].empty() && row[1].empty()) return MissingParameter(pre + ".Groups.N.GroupId");
      auto peer = PeerGroup(c, g, row[0], row[1]);
      if (!peer) return Fail(peer.error());
      auto desc = CheckDescription(row[3]);
      if (!desc) return Fail(desc.error());
      SecurityGroupRule r = base(*p);
      r.source_group_id = peer->id;
      r.source_group_owner = peer->owner;
      r.description = *desc;
      rules.push_back(std::move(r));
    }
    if (rules.size() == before) {
      return MissingParameter(pre + ".IpRanges, Ipv6Ranges or Groups");
    }
  }
  return rules;
}

ApiResult<void> AddRules(Call& c, Direction d) {
  auto g0 = NamedGroup(c, d == Direction::kIngress);
  if (!g0) return Fail(g0.error());
  ConditionKeys keys{{"ec2:Vpc", {c.state.Arn("vpc", g0->vpc_id)}}};
  if (auto r = c.Authorize(c.state.Arn("security-group", g0->id), keys, &g0->tags); !r) return r;
  std::vector<SecurityGroupRule> added;
  auto r = c.state.Mutate(g0->vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    added.clear();
    auto g = c.state.Get<SecurityGroup>(g0->id);
    if (!g) return Fail(g.error());
    auto rules = ParsePermissions(c, *g, d);
    if (!rules) return Fail(rules.error());
    for (auto& rule : *rules) {
      for (const auto& existing : g->rules) {
        if (existing.SameAs(rule)) {
          return Ec2Fail("InvalidPermission.Duplicate",
                         "the specified rule \"" + Describe(rule) + "\" already exists");
        }
      }
      rule.rule_id = c.state.NewId("sgr");
      g->rules.push_back(rule);
      added.push_back(rule);
    }
    size_t count = std::count_if(g->rules.begin(), g->rules.end(),
                                 [&](const auto& x) { return x.direction == d; });
    if (count > kMaxRulesPerDirection) {
      return Ec2Fail("RulesPerSecurityGroupLimitExceeded",
                     "The maximum number of rules per security group has been reached.");
    }
    t.Put(*g);
    return {};
  });
  if (!r) return r;
  c.out.Leaf("return", "true");
  c.out.Open("securityGroupRuleSet");
  for (const auto& rule : added) WriteRule(c.out, rule, g0->owner, {});
  c.out.Close();
  return {};
}

ApiResult<void> RemoveRules(Call& c, Direction d) {
  auto g0 = NamedGroup(c, d == Direction::kIngress);
  if (!g0) return Fail(g0.error());
  ConditionKeys keys{{"ec2:Vpc", {c.state.Arn("vpc", g0->vpc_id)}}};
  if (auto r = c.Authorize(c.state.Arn("security-group", g0->id), keys, &g0->tags); !r) return r;
  std::vector<std::string> ids = IdList(c.params, "SecurityGroupRuleId");
  std::vector<SecurityGroupRule> unknown;
  auto r = c.state.Mutate(g0->vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    unknown.clear();
    auto g = c.state.Get<SecurityGroup>(g0->id);
    if (!g) return Fail(g.error());
    size_t removed = 0;
    for (const auto& id : ids) {
      auto it = std::find_if(g->rules.begin(), g->rules.end(), [&](const auto& x) {
        return x.rule_id == id && x.direction == d;
      });
      if (it == g->rules.end()) {
        return Ec2Fail("InvalidSecurityGroupRuleId.NotFound",
                       "The security group rule ID '" + id + "' does not exist");
      }
      g->rules.erase(it);
      ++removed;
    }
    if (ids.empty() || !c.params.Indices("IpPermissions").empty() || c.Param("CidrIp") ||
        c.Param("SourceSecurityGroupName") || c.Param("IpProtocol")) {
      auto rules = ParsePermissions(c, *g, d);
      if (!rules) return Fail(rules.error());
      for (const auto& rule : *rules) {
        auto it = std::find_if(g->rules.begin(), g->rules.end(),
                               [&](const auto& x) { return x.SameAs(rule); });
        if (it == g->rules.end()) {
          unknown.push_back(rule);
        } else {
          g->rules.erase(it);
          ++removed;
        }
      }
    }
    if (removed == 0) {
      return Ec2Fail("InvalidPermission.NotFound",
                     "The specified rule does not exist in this security group.");
    }
    t.Put(*g);
    return {};
  });
  if (!r) return r;
  c.out.Leaf("return", "true");
  if (!unknown.empty()) WriteIpPermissions(c.out, "unknownIpPermissionSet", unknown);
  return {};
}

}  // namespace

ApiResult<void> CreateSecurityGroup(Call& c) {
  auto name = c.Required("GroupName");
  if (!name) return Fail(name.error());
  auto description = c.Required("GroupDescription");
  if (!description) return Fail(description.error());
  if (name->size() > kMaxName || !AllowedText(*name)) {
    return InvalidValue("GroupName", *name, "Names are up to 255 characters of a-z, A-Z, 0-9, "
                                            "spaces and ._-:/()#,@[]+=&;{}!$*");
  }
  if (name->starts_with("sg-")) {
    return InvalidValue("GroupName", *name, "Group names may not be in the format sg-*.");
  }
  if (*name == "default") {
    return Ec2Fail("InvalidGroup.Reserved", "The security group 'default' is reserved");
  }
  if (auto d = CheckDescription(*description); !d) return Fail(d.error());
  std::string vpc_id;
  if (const std::string* v = c.Param("VpcId"); v && !v->empty()) {
    vpc_id = *v;
  } else {
    auto vpc = c.state.DefaultVpc();
    if (!vpc) return Fail(vpc.error());
    vpc_id = vpc->id;
  }
  auto tags = c.AuthorizeCreateIn(vpc_id, "security-group");
  if (!tags) return Fail(tags.error());
  SecurityGroup g;
  g.id = c.state.NewId("sg");
  g.name = *name;
  g.description = *description;
  g.vpc_id = vpc_id;
  g.owner = c.state.options.account_id;
  g.tags = *tags;
  // A new group may send anything anywhere until its egress rules change.
  SecurityGroupRule out;
  out.rule_id = c.state.NewId("sgr");
  out.group_id = g.id;
  out.direction = Direction::kEgress;
  out.cidr = *ParseCidr("0.0.0.0/0");
  g.rules.push_back(out);
  auto r = c.state.Mutate(vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    auto groups = c.state.List<SecurityGroup>();
    if (!groups) return Fail(groups.error());
    for (const auto& other : *groups) {
      if (other.vpc_id == vpc_id && other.name == *name) {
        return Ec2Fail("InvalidGroup.Duplicate", "The security group '" + *name +
                                                     "' already exists for VPC '" + vpc_id + "'");
      }
    }
    t.Put(g);
    return {};
  });
  if (!r) return r;
  c.resource = c.state.Arn("security-group", g.id);
  c.out.Leaf("return", "true").Leaf("groupId", g.id);
  WriteTags(c.out, g.tags);
  return {};
}

ApiResult<void> DescribeSecurityGroups(Call& c) {
  if (auto r = c.Authorize("*"); !r) return r;
  std::vector<std::string> ids = IdList(c.params, "GroupId");
  std::vector<std::string> names = IdList(c.params, "GroupName");
  if (!names.empty()) {
    auto vpc = c.state.DefaultVpc();
    if (!vpc) return Fail(vpc.error());
    auto groups = c.state.List<SecurityGroup>();
    if (!groups) return Fail(groups.error());
    for (const auto& n : names) {
      auto it = std::find_if(groups->begin(), groups->end(), [&](const auto& g) {
        return g.vpc_id == vpc->id && g.name == n;
      });
      if (it == groups->end()) {
        return Ec2Fail("InvalidGroup.NotFound", "The security group '" + n +
                                                     "' does not exist in default VPC '" +
                                                     vpc->id + "'");
      }
      ids.push_back(it->id);
    }
  }
  auto rule_values = [](const SecurityGroup& g, Direction d, bool groups) {
    std::vector<std::string> out;
    for (const auto& r : g.rules) {
      if (r.direction != d) continue;
      if (groups && !r.source_group_id.empty()) out.push_back(r.source_group_id);
      if (!groups && r.cidr) out.push_back(FormatCidr(*r.cidr));
    }
    return out;
  };
  auto groups = Select<SecurityGroup>(c, ids, [&](const SecurityGroup& g, std::string_view n) -> Values {
    if (n == "group-id") return std::vector{g.id};
    if (n == "group-name") return std::vector{g.name};
    if (n == "vpc-id") return std::vector{g.vpc_id};
    if (n == "description") return std::vector{g.description};
    if (n == "owner-id") return std::vector{g.owner};
    if (n == "ip-permission.cidr") return rule_values(g, Direction::kIngress, false);
    if (n == "ip-permission.group-id") return rule_values(g, Direction::kIngress, true);
    if (n == "egress.ip-permission.cidr") return rule_values(g, Direction::kEgress, false);
    if (n == "egress.ip-permission.group-id") return rule_values(g, Direction::kEgress, true);
    return std::nullopt;
  });
  if (!groups) return Fail(groups.error());
  return WritePage(c, "securityGroupInfo", *groups, [&](const SecurityGroup& g) { WriteGroup(c.out, g); });
}

ApiResult<void> DeleteSecurityGroup(Call& c) {
  auto g0 = NamedGroup(c, true);
  if (!g0) return Fail(g0.error());
  ConditionKeys keys{{"ec2:Vpc", {c.state.Arn("vpc", g0->vpc_id)}}};
  if (auto r = c.Authorize(c.state.Arn("security-group", g0->id), keys, &g0->tags); !r) return r;
  if (g0->is_default) {
    return Ec2Fail("CannotDelete", "the specified group: \"" + g0->id +
                                       "\" name: \"default\" cannot be deleted by a user");
  }
  auto r = c.state.Mutate(g0->vpc_id, [&](VpcTxn& t) -> ApiResult<void> {
    auto g = c.state.Get<SecurityGroup>(g0->id);
    if (!g) return Fail(g.error());
    auto dependent = [&]() {
      return Ec2Fail("DependencyViolation", "resource " + g->id + " has a dependent object");
    };
    auto enis = c.state.List<NetworkInterface>();
    if (!enis) return Fail(enis.error());
    for (const auto& e : *enis) {
      if (std::find(e.groups.begin(), e.groups.end(), g->id) != e.groups.end()) return dependent();
    }
    auto groups = c.state.List<SecurityGroup>();
    if (!groups) return Fail(groups.error());
    for (const auto& other : *groups) {
      if (other.id == g->id) continue;
      for (const auto& rule : other.rules) {
        if (rule.source_group_id == g->id) return dependent();
      }
    }
    t.Remove(*g);
    return {};
  });
  if (!r) return r;
  c.out.Leaf("return", "true").Leaf("groupId", g0->id);
  return {};
}

ApiResult<void> AuthorizeSecurityGroupIngress(Call& c) { return AddRules(c, Direction::kIngress); }
ApiResult<void> AuthorizeSecurityGroupEgress(Call& c) { return AddRules(c, Direction::kEgress); }
ApiResult<void> RevokeSecurityGroupIngress(Call& c) { return RemoveRules(c, Direction::kIngress); }
ApiResult<void> RevokeSecurityGroupEgress(Call& c) { return RemoveRules(c, Direction::kEgress); }

ApiResult<void> DescribeSecurityGroupRules(Call& c) {
  if (auto r = c.Authorize("*"); !r) return r;
  auto filters = ParseFilters(c.params);
  if (!filters) return Fail(filters.error());
  auto groups = c.state.List<SecurityGroup>();
  if (!groups) return Fail(groups.error());
  std::vector<std::string> ids = IdList(c.params, "SecurityGroupRuleId");
  std::vector<std::pair<const SecurityGroup*, const SecurityGroupRule*>> rules;
  for (const auto& g : *groups) {
    for (const auto& r : g.rules) {
      if (!ids.empty() && std::find(ids.begin(), ids.end(), r.rule_id) == ids.end()) continue;
      auto m = MatchFilters(
          *filters,
          [&](std::string_view n) -> Values {
            if (n == "group-id") return std::vector{g.id};
            if (n == "security-group-rule-id") return std::vector{r.rule_id};
            return std::nullopt;
          },
          {});
      if (!m) return Fail(m.error());
      if (*m) rules.emplace_back(&g, &r);
    }
  }
  for (const auto& id : ids) {
    bool found = false;
    for (const auto& g : *groups) {
      for (const auto& r : g.rules) found = found || r.rule_id == id;
    }
    if (!found) {
      return Ec2Fail("InvalidSecurityGroupRuleId.NotFound",
                     "The security group rule ID '" + id + "' does not exist");
    }
  }
  return WritePage(c, "securityGroupRuleSet", rules, [&](const auto& gr) {
    WriteRule(c.out, *gr.second, gr.first->owner, {});
  });
}

}  // namespace elfs::api::ec2::internal
