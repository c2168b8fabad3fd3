// The network layer at accept time (SPEC §1.1): real VPCs, security groups,
// network ACLs and interfaces made through the EC2 service over an in-memory
// store, then the guard's decision for (mount target, client address, port),
// with the layer and the rule that decided.
#include "net/mount_target_guard.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "ec2_test_util.h"

namespace elfs::net {
namespace {

using api::ec2::IpAddress;
using api::ec2::testing::Ec2Fixture;
using api::ec2::testing::Params;
using api::ec2::testing::Text;

IpAddress Ip(const std::string& s) { return *api::ec2::ParseIp(s); }

class GuardTest : public Ec2Fixture {
 public:
  // The table's cases build their networks through these.
  using Ec2Fixture::AssociationOf;
  using Ec2Fixture::CreateGroup;
  using Ec2Fixture::Ok;

  void SetUp() override {
    vpc_ = DefaultVpc();
    default_sg_ = GroupId(vpc_, "default");
    subnet_a_ = DefaultSubnet('a');  // 127.31.0.0/20
    subnet_b_ = DefaultSubnet('b');  // 127.31.16.0/20
  }

  // The mount target's interface in subnet a (127.31.0.4), as EFS makes it.
  void MountTarget(const std::vector<std::string>& groups = {}) {
    auto eni = svc_->CreateInterface(ctx_, subnet_a_, "127.31.0.4", groups, "mount target");
    ASSERT_TRUE(eni) << eni.error().message;
    mt_eni_ = eni->network_interface_id;
  }
  std::string ClientInterface(const std::string& subnet, const std::string& ip,
                              const std::vector<std::string>& groups) {
    Params p = {{"SubnetId", subnet}, {"PrivateIpAddress", ip}};
    for (size_t i = 0; i < groups.size(); ++i)
      p.push_back({"SecurityGroupId." + std::to_string(i + 1), groups[i]});
    return Text(Ok("CreateNetworkInterface", p), "networkInterfaceId");
  }
  std::string Rule(const std::string& action, const std::string& group, const std::string& peer,
                   int from = 2049, int to = 2049) {
    Params p = {{"GroupId", group},
                {"IpPermissions.1.IpProtocol", "tcp"},
                {"IpPermissions.1.FromPort", std::to_string(from)},
                {"IpPermissions.1.ToPort", std::to_string(to)}};
    if (peer.starts_with("sg-"))
      p.push_back({"IpPermissions.1.Groups.1.GroupId", peer});
    else
      p.push_back({"IpPermissions.1.IpRanges.1.CidrIp", peer});
    return Text(Ok(action, p), "securityGroupRuleId");
  }
  // A new ACL (deny-all until entries are added) associated with `subnet`.
  std::string OwnAcl(const std::string& subnet) {
    std::string acl = Text(Ok("CreateNetworkAcl", {{"VpcId", vpc_}}), "networkAclId");
    Ok("ReplaceNetworkAclAssociation",
       {{"AssociationId", AssociationOf(subnet)}, {"NetworkAclId", acl}});
    return acl;
  }
  void Entry(const std::string& acl, int number, bool egress, const std::string& action,
             const std::string& cidr, int from = -1, int to = -1) {
    Params p = {{"NetworkAclId", acl},
                {"RuleNumber", std::to_string(number)},
                {"Egress", egress ? "true" : "false"},
                {"RuleAction", action},
                {"CidrBlock", cidr}};
    if (from < 0) {
      p.push_back({"Protocol", "-1"});
    } else {
      p.push_back({"Protocol", "6"});
      p.push_back({"PortRange.From", std::to_string(from)});
      p.push_back({"PortRange.To", std::to_string(to)});
    }
    Ok("CreateNetworkAclEntry", p);
  }
  // A client interface 127.31.0.30 in group "clients", which the mount
  // target's default group admits, with its egress rules all revoked.
  std::string ClientWithoutEgress() {
    std::string clients = CreateGroup(vpc_, "clients");
    Rule("AuthorizeSecurityGroupIngress", default_sg_, clients);
    MountTarget();
    ClientInterface(subnet_a_, "127.31.0.30", {clients});
    Ok("RevokeSecurityGroupEgress", {{"GroupId", clients},
                                     {"IpPermissions.1.IpProtocol", "-1"},
                                     {"IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"}});
    return clients;
  }
  // The mount target in a group admitting the whole default VPC, so that
  // only ACLs decide.
  void MountTargetOpenToVpc() {
    std::string nfs = CreateGroup(vpc_, "nfs");
    Rule("AuthorizeSecurityGroupIngress", nfs, "127.31.0.0/16");
    MountTarget({nfs});
  }
  NetworkDecision Decide(const std::string& client, uint16_t port = 40000) {
    return guard_.Check("fsmt-0123456789abcdef0", Ip("127.31.0.4"), Ip(client), port);
  }

  MountTargetGuard guard_{*store_};
  std::string vpc_, default_sg_, subnet_a_, subnet_b_, mt_eni_;
};

// Expected outcome of one named case.
struct Expect {
  bool allowed;
  NetworkLayer layer;
  std::string rule;  // exact, or "" to skip
};

void Check(const NetworkDecision& d, const Expect& e, const std::string& what) {
  EXPECT_EQ(d.allowed, e.allowed) << what << ": " << d.reason;
  EXPECT_EQ(LayerName(d.layer), LayerName(e.layer)) << what << ": " << d.reason;
  if (!e.rule.empty()) {
    EXPECT_EQ(d.rule, e.rule) << what << ": " << d.reason;
  }
  EXPECT_FALSE(d.reason.empty()) << what;
  ASSERT_FALSE(d.checks.empty()) << what;
  // The decision's check is the last that ran when refused.
  if (!e.allowed) {
    EXPECT_EQ(d.checks.back().layer, d.layer) << what;
    EXPECT_FALSE(d.checks.back().allowed) << what;
  }
}

struct Case {
  std::string name;
  // Builds the network, returns the checks to make: client ip, port, expectation.
  std::function<std::vector<std::tuple<std::string, uint16_t, Expect>>(GuardTest&)> run;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class GuardCases : public GuardTest, public ::testing::WithParamInterface<Case> {};

std::vector<Case> Cases() {
  using L = NetworkLayer;
  return {
      {"DefaultGroupAdmitsItsMembersOnly",
       [](GuardTest& t) {
         t.MountTarget();
         t.ClientInterface(t.subnet_a_, "127.31.0.20", {t.default_sg_});
         t.ClientInterface(t.subnet_a_, "127.31.0.21", {t.CreateGroup(t.vpc_, "other")});
         return std::vector<std::tuple<std::string, uint16_t, Expect>>{
             {"127.31.0.20", 40000, {true, L::kMountTargetSecurityGroups, ""}},
             // An interface in another group, an unregistered address of the
             // VPC, an address outside every VPC.
             {"127.31.0.21", 40000, {false, L::kMountTargetSecurityGroups, ""}},
             {"127.31.0.99", 40000, {false, L::kMountTargetSecurityGroups, ""}},
             {"127.0.0.1", 40000, {false, L::kMountTargetSecurityGroups, ""}},
             {"10.1.2.3", 40000, {false, L::kMountTargetSecurityGroups, ""}},
         };
       }},
      {"CidrRule",
       [](GuardTest& t) {
         std::string nfs = t.CreateGroup(t.vpc_, "nfs");
         std::string rule = t.Rule("AuthorizeSecurityGroupIngress", nfs, "127.31.16.0/20");
         t.MountTarget({nfs});
         return std::vector<std::tuple<std::string, uint16_t, Expect>>{
             {"127.31.16.50", 40000, {true, L::kMountTargetSecurityGroups, rule}},
             {"127.31.32.5", 40000, {false, L::kMountTargetSecurityGroups, ""}},
         };
       }},
      {"CidrRuleForOtherPortDoesNotAdmit",
       [](GuardTest& t) {
         std::string nfs = t.CreateGroup(t.vpc_, "nfs");
         t.Rule("AuthorizeSecurityGroupIngress", nfs, "0.0.0.0/0", 2050, 3000);
         t.Rule("AuthorizeSecurityGroupIngress", nfs, "0.0.0.0/0", 1, 2048);
         t.MountTarget({nfs});
         return std::vector<std::tuple<std::string, uint16_t, Expect>>{
             {"127.31.16.50", 40000, {false, L::kMountTargetSecurityGroups, ""}},
         };
       }},
      {"SourceGroupRuleWithClientInterface",
       [](GuardTest& t) {
         std::string nfs = t.CreateGroup(t.vpc_, "nfs");
         std::string clients = t.CreateGroup(t.vpc_, "clients");
         std::string rule = t.Rule("AuthorizeSecurityGroupIngress", nfs, clients);
         t.MountTarget({nfs});
         t.ClientInterface(t.subnet_b_, "127.31.16.10", {t.default_sg_, clients});
         t.ClientInterface(t.subnet_b_, "127.31.16.11", {t.default_sg_});
         return std::vector<std::tuple<std::string, uint16_t, Expect>>{
             {"127.31.16.10", 40000, {true, L::kMountTargetSecurityGroups, rule}},
             {"127.31.16.11", 40000, {false, L::kMountTargetSecurityGroups, ""}},
             // Same subnet, no interface: no membership.
             {"127.31.16.12", 40000, {false, L::kMountTargetSecurityGroups, ""}},
         };
       }},
      {"ClientEgressWithout2049",
       [](GuardTest& t) {
         std::string clients = t.ClientWithoutEgress();
         t.Rule("AuthorizeSecurityGroupEgress", clients, "0.0.0.0/0", 443, 443);
         return std::vector<std::tuple<std::string, uint16_t, Expect>>{
             {"127.31.0.30", 40000, {false, L::kClientSecurityGroups, ""}},
         };
       }},
      {"ClientEgressToMountTargetGroup",
       [](GuardTest& t) {
         std::string clients = t.ClientWithoutEgress();
         // Egress to the mount target's group (a destination group rule).
         t.Rule("AuthorizeSecurityGroupEgress", clients, t.default_sg_);
         return std::vector<std::tuple<std::string, uint16_t, Expect>>{
             {"127.31.0.30", 40000, {true, L::kMountTargetSecurityGroups, ""}},
         };
       }},
      {"FiveGroupsOnOneMountTarget",
       [](GuardTest& t) {
         std::vector<std::string> groups;
         for (int i = 1; i <= 5; ++i) groups.push_back(t.CreateGroup(t.vpc_, "g" + std::to_string(i)));
         for (int i = 0; i < 4; ++i)
           t.Rule("AuthorizeSecurityGroupIngress", groups[i], "10." + std::to_string(i) + ".0.0/16");
         std::string fifth = t.Rule("AuthorizeSecurityGroupIngress", groups[4], "127.31.32.0/20");
         t.MountTarget(groups);
         return std::vector<std::tuple<std::string, uint16_t, Expect>>{
             {"127.31.32.7", 40000, {true, L::kMountTargetSecurityGroups, fifth}},
             {"127.31.16.7", 40000, {false, L::kMountTargetSecurityGroups, ""}},
         };
       }},
      {"NaclDenyBeforeAllow",
       [](GuardTest& t) {
         t.MountTargetOpenToVpc();
         std::string acl = t.OwnAcl(t.subnet_a_);
         t.Entry(acl, 90, false, "deny", "127.31.0.66/32", 2049, 2049);
         t.Entry(acl, 100, false, "allow", "0.0.0.0/0");
         t.Entry(acl, 100, true, "allow", "0.0.0.0/0");
         // A deny numbered after the allow never decides.
         t.Entry(acl, 110, false, "deny", "127.31.0.67/32");
         return std::vector<std::tuple<std::string, uint16_t, Expect>>{
             {"127.31.0.66", 40000, {false, L::kMountTargetNaclInbound, acl + " rule 90"}},
             {"127.31.0.67", 40000, {true, L::kMountTargetSecurityGroups, ""}},
         };
       }},
      {"NaclOutboundEphemeralDeny",
       [](GuardTest& t) {
         t.MountTargetOpenToVpc();
         std::string acl = t.OwnAcl(t.subnet_a_);
         t.Entry(acl, 100, false, "allow", "0.0.0.0/0");
         t.Entry(acl, 50, true, "deny", "0.0.0.0/0", 1024, 65535);
         t.Entry(acl, 100, true, "allow", "0.0.0.0/0");
         return std::vector<std::tuple<std::string, uint16_t, Expect>>{
             {"127.31.0.40", 40000, {false, L::kMountTargetNaclOutbound, acl + " rule 50"}},
             {"127.31.0.40", 800, {true, L::kMountTargetSecurityGroups, ""}},
         };
       }},
      {"NewAclWithoutEntriesDeniesImplicitly",
       [](GuardTest& t) {
         t.MountTargetOpenToVpc();
         std::string acl = t.OwnAcl(t.subnet_a_);
         return std::vector<std::tuple<std::string, uint16_t, Expect>>{
             {"127.31.0.40", 40000, {false, L::kMountTargetNaclInbound, acl + " rule *"}},
         };
       }},
      {"ClientInAnotherSubnet",
       [](GuardTest& t) {
         t.MountTargetOpenToVpc();
         std::string acl = t.OwnAcl(t.subnet_b_);
         // Rule 10 would deny the way out, but rule 5 comes first.
         t.Entry(acl, 10, true, "deny", "127.31.0.4/32", 2049, 2049);
         t.Entry(acl, 5, true, "allow", "0.0.0.0/0", 2049, 2049);
         t.Entry(acl, 100, false, "allow", "0.0.0.0/0", 0, 9999);
         // Subnet c keeps the default ACL; subnet a's default ACL allows all.
         return std::vector<std::tuple<std::string, uint16_t, Expect>>{
             // Outbound allowed by rule 5; the reply to port 40000 has no
             // inbound rule in the client's subnet.
             {"127.31.16.9", 40000, {false, L::kClientNaclInbound, acl + " rule *"}},
             {"127.31.16.9", 9000, {true, L::kMountTargetSecurityGroups, ""}},
             {"127.31.32.9", 40000, {true, L::kMountTargetSecurityGroups, ""}},
         };
       }},
      {"ClientSubnetOutboundDeny",
       [](GuardTest& t) {
         t.MountTargetOpenToVpc();
         std::string acl = t.OwnAcl(t.subnet_b_);
         t.Entry(acl, 10, true, "deny", "127.31.0.0/20", 2049, 2049);
         t.Entry(acl, 100, true, "allow", "0.0.0.0/0");
         t.Entry(acl, 100, false, "allow", "0.0.0.0/0");
         return std::vector<std::tuple<std::string, uint16_t, Expect>>{
             {"127.31.16.9", 40000, {false, L::kClientNaclOutbound, acl + " rule 10"}},
         };
       }},
  };
}

TEST_P(GuardCases, Decides) {
  auto checks = GetParam().run(*this);
  for (const auto& [client, port, expect] : checks)
    Check(Decide(client, port), expect, GetParam().name + " " + client + ":" + std::to_string(port));
}

INSTANTIATE_TEST_SUITE_P(Table, GuardCases, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST_F(GuardTest, PrivilegedSourcePortTag) {
  MountTarget();
  ClientInterface(subnet_a_, "127.31.0.20", {default_sg_});
  EXPECT_TRUE(Decide("127.31.0.20", 40000).allowed);
  uint64_t gen = guard_.Generation();
  auto tag = [&](const std::string& value) {
    Ok("CreateTags", {{"ResourceId.1", mt_eni_},
                      {"Tag.1.Key", kRequirePrivilegedSourcePortTag},
                      {"Tag.1.Value", value}});
  };
  tag("true");
  EXPECT_GT(guard_.Generation(), gen);
  Check(Decide("127.31.0.20", 40000), {false, NetworkLayer::kPrivilegedSourcePort, ""}, "40000");
  Check(Decide("127.31.0.20", 1024), {false, NetworkLayer::kPrivilegedSourcePort, ""}, "1024");
  EXPECT_TRUE(Decide("127.31.0.20", 1023).allowed);
  EXPECT_TRUE(Decide("127.31.0.20", 700).allowed);
  // The other layers still apply to privileged ports.
  Check(Decide("127.0.0.1", 700), {false, NetworkLayer::kMountTargetSecurityGroups, ""}, "outside");
  // Any value but "true" (any case) leaves the rule off.
  tag("TRUE");
  EXPECT_FALSE(Decide("127.31.0.20", 40000).allowed);
  tag("yes");
  EXPECT_TRUE(Decide("127.31.0.20", 40000).allowed);
  tag("true");
  Ok("DeleteTags", {{"ResourceId.1", mt_eni_}, {"Tag.1.Key", kRequirePrivilegedSourcePortTag}});
  EXPECT_TRUE(Decide("127.31.0.20", 40000).allowed);
}

TEST_F(GuardTest, RuleChangesApplyAtOnce) {
  std::string nfs = CreateGroup(vpc_, "nfs");
  MountTarget({nfs});
  EXPECT_FALSE(Decide("127.31.16.9").allowed);
  uint64_t gen = guard_.Generation();
  std::string rule = Rule("AuthorizeSecurityGroupIngress", nfs, "127.31.16.9/32");
  EXPECT_GT(guard_.Generation(), gen);
  Check(Decide("127.31.16.9"), {true, NetworkLayer::kMountTargetSecurityGroups, rule}, "added");
  Ok("RevokeSecurityGroupIngress", {{"GroupId", nfs}, {"SecurityGroupRuleId.1", rule}});
  EXPECT_FALSE(Decide("127.31.16.9").allowed);
  // ModifyMountTargetSecurityGroups is EFS setting the interface's groups.
  std::string open = CreateGroup(vpc_, "open");
  std::string r2 = Rule("AuthorizeSecurityGroupIngress", open, "0.0.0.0/0");
  ASSERT_TRUE(svc_->SetInterfaceGroups(mt_eni_, {nfs, open}));
  Check(Decide("127.0.0.1"), {true, NetworkLayer::kMountTargetSecurityGroups, r2}, "modified");
}

TEST_F(GuardTest, MissingMountTargetInterfaceRefuses) {
  Check(Decide("127.31.0.20"), {false, NetworkLayer::kMountTarget, ""}, "no interface");
}

TEST_F(GuardTest, ChecksFollowThePacket) {
  MountTarget();
  ClientInterface(subnet_b_, "127.31.16.20", {default_sg_});
  NetworkDecision d = Decide("127.31.16.20", 40000);
  ASSERT_TRUE(d.allowed) << d.reason;
  std::vector<std::string> layers;
  for (const auto& c : d.checks) layers.push_back(std::string(LayerName(c.layer)));
  EXPECT_EQ(layers, (std::vector<std::string>{
                        "client-security-groups", "client-nacl-outbound",
                        "mount-target-nacl-inbound", "mount-target-security-groups",
                        "mount-target-nacl-outbound", "client-nacl-inbound"}));
  EXPECT_EQ(d.checks[1].rule.substr(d.checks[1].rule.size() - 9), " rule 100");
  EXPECT_FALSE(d.client_interface.empty());
  EXPECT_EQ(d.client_subnet, subnet_b_);
}

// The accept-time cost (docs/network.md): five groups with rules, a custom
// ACL on each side, a client interface; decisions from a cached snapshot.
TEST_F(GuardTest, DecisionCost) {
  std::vector<std::string> groups;
  for (int i = 0; i < 5; ++i) {
    groups.push_back(CreateGroup(vpc_, "g" + std::to_string(i)));
    for (int r = 0; r < 10; ++r)
      Rule("AuthorizeSecurityGroupIngress", groups.back(),
           "10." + std::to_string(i) + "." + std::to_string(r) + ".0/24");
  }
  Rule("AuthorizeSecurityGroupIngress", groups.back(), groups[0]);
  MountTarget(groups);
  ClientInterface(subnet_b_, "127.31.16.20", {groups[0]});
  for (const std::string& subnet : {subnet_a_, subnet_b_}) {
    std::string acl = OwnAcl(subnet);
    for (int n = 1; n <= 20; ++n) Entry(acl, n, false, "deny", "10.9." + std::to_string(n) + ".0/24");
    Entry(acl, 100, false, "allow", "0.0.0.0/0");
    Entry(acl, 100, true, "allow", "0.0.0.0/0");
  }
  ASSERT_TRUE(Decide("127.31.16.20").allowed) << Decide("127.31.16.20").reason;
  ASSERT_FALSE(Decide("127.31.16.21").allowed);
  constexpr int kRounds = 20000;
  auto start = std::chrono::steady_clock::now();
  int allowed = 0;
  for (int i = 0; i < kRounds; ++i)
    allowed += Decide(i % 2 ? "127.31.16.20" : "127.31.16.21", static_cast<uint16_t>(30000 + i % 1000))
                   .allowed;
  double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                  .count() / kRounds;
  EXPECT_EQ(allowed, kRounds / 2);
  std::printf("guard decision: %.2f us (5 groups x 11 rules, 22-entry ACLs on both subnets)\n", us);
  // Generous: a decision must stay far below a TCP handshake's cost.
  EXPECT_LT(us, 500.0);
}

}  // namespace
}  // namespace elfs::net
