// Evaluation tables for security group rules and network ACL entries.
#include "api/ec2/rules.h"

#include <gtest/gtest.h>

namespace elfs::api::ec2 {
namespace {

IpAddress Ip(const char* s) { return *ParseIp(s); }

SecurityGroupRule CidrRule(Direction d, int proto, int from, int to, const char* cidr) {
  SecurityGroupRule r;
  r.rule_id = "sgr-1";
  r.direction = d;
  r.protocol = proto;
  r.from_port = from;
  r.to_port = to;
  r.cidr = *ParseCidr(cidr);
  return r;
}

SecurityGroupRule GroupRule(Direction d, int proto, int from, int to, const char* group) {
  SecurityGroupRule r;
  r.direction = d;
  r.protocol = proto;
  r.from_port = from;
  r.to_port = to;
  r.source_group_id = group;
  return r;
}

constexpr auto kIn = Direction::kIngress;
constexpr auto kOut = Direction::kEgress;

TEST(SecurityGroupRules, Table) {
  struct Case {
    const char* name;
    std::vector<SecurityGroupRule> rules;
    Direction dir;
    const char* peer;
    std::vector<std::string> peer_groups;
    int protocol;
    int port;
    bool allowed;
  } cases[] = {
      {"no rules deny", {}, kIn, "10.0.0.1", {}, kTcp, 2049, false},
      {"nfs from cidr", {CidrRule(kIn, kTcp, 2049, 2049, "10.0.0.0/24")}, kIn, "10.0.0.9", {}, kTcp, 2049, true},
      {"cidr upper edge", {CidrRule(kIn, kTcp, 2049, 2049, "10.0.0.0/24")}, kIn, "10.0.0.255", {}, kTcp, 2049, true},
      {"just outside cidr", {CidrRule(kIn, kTcp, 2049, 2049, "10.0.0.0/24")}, kIn, "10.0.1.0", {}, kTcp, 2049, false},
      {"/32 exact", {CidrRule(kIn, kTcp, 2049, 2049, "10.0.0.9/32")}, kIn, "10.0.0.9", {}, kTcp, 2049, true},
      {"/32 neighbour", {CidrRule(kIn, kTcp, 2049, 2049, "10.0.0.9/32")}, kIn, "10.0.0.10", {}, kTcp, 2049, false},
      {"other port", {CidrRule(kIn, kTcp, 22, 22, "0.0.0.0/0")}, kIn, "10.0.0.9", {}, kTcp, 2049, false},
      {"port range low edge", {CidrRule(kIn, kTcp, 2049, 2050, "0.0.0.0/0")}, kIn, "1.2.3.4", {}, kTcp, 2049, true},
      {"port range high edge", {CidrRule(kIn, kTcp, 2000, 2049, "0.0.0.0/0")}, kIn, "1.2.3.4", {}, kTcp, 2049, true},
      {"port range below", {CidrRule(kIn, kTcp, 2050, 3000, "0.0.0.0/0")}, kIn, "1.2.3.4", {}, kTcp, 2049, false},
      {"all ports", {CidrRule(kIn, kTcp, 0, 65535, "0.0.0.0/0")}, kIn, "1.2.3.4", {}, kTcp, 2049, true},
      {"udp rule, tcp traffic", {CidrRule(kIn, kUdp, 2049, 2049, "0.0.0.0/0")}, kIn, "1.2.3.4", {}, kTcp, 2049, false},
      {"protocol -1 all", {CidrRule(kIn, kAllProtocols, -1, -1, "0.0.0.0/0")}, kIn, "1.2.3.4", {}, kTcp, 2049, true},
      {"egress rule ignored for ingress", {CidrRule(kOut, kAllProtocols, -1, -1, "0.0.0.0/0")}, kIn, "1.2.3.4", {}, kTcp, 2049, false},
      {"egress allowed", {CidrRule(kOut, kTcp, 2049, 2049, "127.31.0.0/16")}, kOut, "127.31.0.4", {}, kTcp, 2049, true},
      {"ipv6 rule, v4 client", {CidrRule(kIn, kTcp, 2049, 2049, "::/0")}, kIn, "10.0.0.1", {}, kTcp, 2049, false},
      {"ipv6 rule, v6 client", {CidrRule(kIn, kTcp, 2049, 2049, "2001:db8::/64")}, kIn, "2001:db8::5", {}, kTcp, 2049, true},
      {"ipv6 rule, other v6", {CidrRule(kIn, kTcp, 2049, 2049, "2001:db8::/64")}, kIn, "2001:db8:0:1::5", {}, kTcp, 2049, false},
      {"v4 rule, mapped client", {CidrRule(kIn, kTcp, 2049, 2049, "10.0.0.0/8")}, kIn, "::ffff:10.1.2.3", {}, kTcp, 2049, true},
      {"source group member", {GroupRule(kIn, kTcp, 2049, 2049, "sg-a")}, kIn, "10.0.0.1", {"sg-b", "sg-a"}, kTcp, 2049, true},
      {"source group non-member", {GroupRule(kIn, kTcp, 2049, 2049, "sg-a")}, kIn, "10.0.0.1", {"sg-b"}, kTcp, 2049, false},
      {"source group, no interface", {GroupRule(kIn, kAllProtocols, -1, -1, "sg-a")}, kIn, "10.0.0.1", {}, kTcp, 2049, false},
      {"second rule matches", {CidrRule(kIn, kTcp, 22, 22, "0.0.0.0/0"), GroupRule(kIn, kTcp, 2049, 2049, "sg-a")}, kIn, "10.0.0.1", {"sg-a"}, kTcp, 2049, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(SecurityGroupsAllow(c.rules, c.dir, Ip(c.peer), c.peer_groups, c.protocol, c.port),
              c.allowed)
        << c.name;
  }
}

TEST(SecurityGroupRules, InboundShorthandAndFirstMatch) {
  std::vector<SecurityGroupRule> rules = {CidrRule(kIn, kTcp, 22, 22, "0.0.0.0/0"),
                                          CidrRule(kIn, kTcp, 2049, 2049, "10.0.0.0/8")};
  rules[1].rule_id = "sgr-nfs";
  EXPECT_TRUE(SecurityGroupsAllowInbound(rules, Ip("10.2.3.4"), {}, kTcp, 2049));
  EXPECT_FALSE(SecurityGroupsAllowInbound(rules, Ip("11.2.3.4"), {}, kTcp, 2049));
  const SecurityGroupRule* r = FirstMatchingRule(rules, kIn, Ip("10.2.3.4"), {}, kTcp, 2049);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule_id, "sgr-nfs");
}

TEST(SecurityGroupRules, IcmpTypes) {
  std::vector<SecurityGroupRule> rules = {CidrRule(kIn, kIcmp, 8, -1, "0.0.0.0/0")};
  EXPECT_TRUE(SecurityGroupsAllow(rules, kIn, Ip("1.1.1.1"), {}, kIcmp, 8));
  EXPECT_FALSE(SecurityGroupsAllow(rules, kIn, Ip("1.1.1.1"), {}, kIcmp, 0));
  rules[0].from_port = -1;
  EXPECT_TRUE(SecurityGroupsAllow(rules, kIn, Ip("1.1.1.1"), {}, kIcmp, 0));
}

NetworkAclEntry Entry(int number, bool egress, int proto, std::optional<int> from,
                      std::optional<int> to, const char* cidr, RuleAction action) {
  NetworkAclEntry e;
  e.rule_number = number;
  e.egress = egress;
  e.protocol = proto;
  e.from_port = from;
  e.to_port = to;
  e.cidr = *ParseCidr(cidr);
  e.action = action;
  return e;
}

constexpr auto kAllow = RuleAction::kAllow;
constexpr auto kDeny = RuleAction::kDeny;

TEST(NetworkAcl, Table) {
  const auto none = std::nullopt;
  std::vector<NetworkAclEntry> default_acl = {
      Entry(100, false, kAllProtocols, none, none, "0.0.0.0/0", kAllow),
      Entry(100, true, kAllProtocols, none, none, "0.0.0.0/0", kAllow)};
  std::vector<NetworkAclEntry> deny_before_allow = {
      Entry(200, false, kTcp, 2049, 2049, "0.0.0.0/0", kAllow),
      Entry(100, false, kTcp, 2049, 2049, "10.0.0.0/24", kDeny)};
  std::vector<NetworkAclEntry> allow_before_deny = {
      Entry(100, false, kTcp, 2049, 2049, "10.0.0.5/32", kAllow),
      Entry(110, false, kAllProtocols, none, none, "10.0.0.0/24", kDeny),
      Entry(120, false, kAllProtocols, none, none, "0.0.0.0/0", kAllow)};
  std::vector<NetworkAclEntry> ephemeral = {
      Entry(100, true, kTcp, 1024, 65535, "0.0.0.0/0", kAllow),
      Entry(100, false, kAllProtocols, none, none, "0.0.0.0/0", kAllow)};
  std::vector<NetworkAclEntry> ephemeral_deny = {
      Entry(50, true, kTcp, 32768, 60999, "10.0.0.0/8", kDeny),
      Entry(100, true, kAllProtocols, none, none, "0.0.0.0/0", kAllow)};
  std::vector<NetworkAclEntry> v6 = {
      Entry(100, false, kAllProtocols, none, none, "::/0", kAllow)};
  struct Case {
    const char* name;
    const std::vector<NetworkAclEntry>* entries;
    bool egress;
    const char* ip;
    int protocol;
    int port;
    NaclDecision want;
  } cases[] = {
      {"default in", &default_acl, false, "1.2.3.4", kTcp, 2049, {true, 100}},
      {"default out", &default_acl, true, "1.2.3.4", kTcp, 40000, {true, 100}},
      {"empty acl implicit deny", nullptr, false, "1.2.3.4", kTcp, 2049, {false, std::nullopt}},
      {"lower deny wins over allow", &deny_before_allow, false, "10.0.0.7", kTcp, 2049, {false, 100}},
      {"deny cidr not matching falls to allow", &deny_before_allow, false, "10.0.1.7", kTcp, 2049, {true, 200}},
      {"port mismatch skips both: implicit deny", &deny_before_allow, false, "10.0.1.7", kTcp, 22, {false, std::nullopt}},
      {"udp does not match tcp entries", &deny_before_allow, false, "10.0.1.7", kUdp, 2049, {false, std::nullopt}},
      {"allow /32 before subnet deny", &allow_before_deny, false, "10.0.0.5", kTcp, 2049, {true, 100}},
      {"neighbour denied", &allow_before_deny, false, "10.0.0.6", kTcp, 2049, {false, 110}},
      {"outside subnet allowed", &allow_before_deny, false, "10.0.1.6", kTcp, 2049, {true, 120}},
      {"egress direction ignores ingress entries", &allow_before_deny, true, "10.0.0.5", kTcp, 2049, {false, std::nullopt}},
      {"ephemeral port out allowed", &ephemeral, true, "10.0.0.5", kTcp, 1024, {true, 100}},
      {"below ephemeral range denied", &ephemeral, true, "10.0.0.5", kTcp, 1023, {false, std::nullopt}},
      {"top of range", &ephemeral, true, "10.0.0.5", kTcp, 65535, {true, 100}},
      {"outbound ephemeral deny", &ephemeral_deny, true, "10.9.9.9", kTcp, 40000, {false, 50}},
      {"outbound ephemeral deny edge", &ephemeral_deny, true, "10.9.9.9", kTcp, 60999, {false, 50}},
      {"outbound past deny range", &ephemeral_deny, true, "10.9.9.9", kTcp, 61000, {true, 100}},
      {"outbound other cidr", &ephemeral_deny, true, "11.0.0.1", kTcp, 40000, {true, 100}},
      {"v4 client, v6-only acl", &v6, false, "10.0.0.1", kTcp, 2049, {false, std::nullopt}},
      {"v6 client, v6 acl", &v6, false, "2001:db8::1", kTcp, 2049, {true, 100}},
  };
  const std::vector<NetworkAclEntry> empty;
  for (const auto& c : cases) {
    EXPECT_EQ(EvaluateNacl(c.entries ? *c.entries : empty, c.egress, Ip(c.ip), c.protocol, c.port),
              c.want)
        << c.name;
  }
}

}  // namespace
}  // namespace elfs::api::ec2
