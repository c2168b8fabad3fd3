// The data plane's view: built from what the API stored, consistent per
// snapshot, refreshed after changes.
#include "api/ec2/network_view.h"

#include <gtest/gtest.h>

#include "ec2_test_util.h"

namespace elfs::api::ec2 {
namespace {

using testing::Ec2Fixture;
using testing::Text;

class NetworkViewTest : public Ec2Fixture {};

IpAddress Ip(const char* s) { return *ParseIp(s); }

TEST_F(NetworkViewTest, AnswersTheAcceptTimeQuestions) {
  NetworkView view(*store_);
  std::string vpc = DefaultVpc();
  std::string def = GroupId(vpc, "default");
  std::string clients = CreateGroup(vpc, "clients");
  std::string subnet_a = DefaultSubnet('a'), subnet_b = DefaultSubnet('b');
  // A mount target in subnet a; a client interface in subnet b.
  auto mt = svc_->CreateInterface(ctx_, subnet_a, "", {}, "mount target");
  ASSERT_TRUE(mt);
  std::string client = Text(Ok("CreateNetworkInterface", {{"SubnetId", subnet_b},
                                                          {"SecurityGroupId.1", clients}}),
                            "networkInterfaceId");
  auto snap = view.Current();
  ASSERT_TRUE(snap);
  const NetworkSnapshot& s = **snap;

  const NetworkInterface* by_ip = s.InterfaceForAddress(Ip("127.31.16.4"));
  ASSERT_NE(by_ip, nullptr);
  EXPECT_EQ(by_ip->id, client);
  EXPECT_EQ(by_ip->groups, std::vector<std::string>{clients});
  EXPECT_EQ(s.InterfaceForAddress(Ip("::ffff:127.31.0.4"))->id, mt->network_interface_id);
  EXPECT_EQ(s.InterfaceForAddress(Ip("127.31.16.5")), nullptr);
  EXPECT_EQ(s.SubnetContaining(Ip("127.31.16.200"))->id, subnet_b);
  EXPECT_EQ(s.SubnetContaining(Ip("127.0.0.1")), nullptr);
  EXPECT_EQ(s.FindSubnet(subnet_a)->availability_zone, "us-east-1a");

  auto groups = s.GroupsOfInterface(mt->network_interface_id);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]->id, def);
  std::vector<SecurityGroupRule> rules = s.RulesOfGroups(mt->security_groups);
  // Default group: a client in "clients" only is not a member of default.
  EXPECT_FALSE(SecurityGroupsAllowInbound(rules, Ip("127.31.16.4"), {clients}, kTcp, 2049));
  EXPECT_TRUE(SecurityGroupsAllowInbound(rules, Ip("127.31.16.4"), {def}, kTcp, 2049));
  // The client's egress (new group: allow all).
  EXPECT_TRUE(SecurityGroupsAllow(s.RulesOfGroups({clients}), Direction::kEgress,
                                  Ip("127.31.0.4"), mt->security_groups, kTcp, 2049));

  const NetworkAcl* acl = s.AclOfSubnet(subnet_a);
  ASSERT_NE(acl, nullptr);
  EXPECT_TRUE(acl->is_default);
  EXPECT_EQ(EvaluateNacl(acl->entries, false, Ip("127.31.16.4"), kTcp, 2049),
            (NaclDecision{true, 100}));
  EXPECT_EQ(s.AclOfSubnet("subnet-0000000000000000a"), nullptr);

  // A rule change: new generation, new snapshot; the old one is unchanged.
  uint64_t gen = view.Generation();
  Ok("AuthorizeSecurityGroupIngress", {{"GroupId", def},
                                       {"IpPermissions.1.IpProtocol", "tcp"},
                                       {"IpPermissions.1.FromPort", "2049"},
                                       {"IpPermissions.1.ToPort", "2049"},
                                       {"IpPermissions.1.Groups.1.GroupId", clients}});
  EXPECT_GT(view.Generation(), gen);
  auto fresh = view.Current();
  ASSERT_TRUE(fresh);
  EXPECT_NE(fresh->get(), snap->get());
  EXPECT_TRUE(SecurityGroupsAllowInbound((*fresh)->RulesOfGroups(mt->security_groups),
                                         Ip("127.31.16.4"), {clients}, kTcp, 2049));
  EXPECT_FALSE(SecurityGroupsAllowInbound(s.RulesOfGroups(mt->security_groups),
                                          Ip("127.31.16.4"), {clients}, kTcp, 2049));
  // Without changes the snapshot is reused.
  EXPECT_EQ(view.Current()->get(), fresh->get());
}

TEST_F(NetworkViewTest, NaclChangesReachTheView) {
  NetworkView view(*store_);
  std::string vpc = DefaultVpc();
  std::string subnet = DefaultSubnet('a');
  std::string acl = Text(Ok("CreateNetworkAcl", {{"VpcId", vpc}}), "networkAclId");
  std::string assoc = AssociationOf(subnet);
  Ok("ReplaceNetworkAclAssociation", {{"AssociationId", assoc}, {"NetworkAclId", acl}});
  auto snap = view.Current();
  ASSERT_TRUE(snap);
  ASSERT_EQ((*snap)->AclOfSubnet(subnet)->id, acl);
  // A new ACL denies everything (only the implicit rule).
  EXPECT_EQ(EvaluateNacl((*snap)->AclOfSubnet(subnet)->entries, false, Ip("127.31.0.9"), kTcp, 2049),
            (NaclDecision{false, std::nullopt}));
  Ok("CreateNetworkAclEntry", {{"NetworkAclId", acl}, {"RuleNumber", "200"}, {"Protocol", "6"},
                               {"RuleAction", "allow"}, {"Egress", "false"},
                               {"CidrBlock", "127.31.0.0/16"}, {"PortRange.From", "2049"},
                               {"PortRange.To", "2049"}});
  Ok("CreateNetworkAclEntry", {{"NetworkAclId", acl}, {"RuleNumber", "100"}, {"Protocol", "-1"},
                               {"RuleAction", "deny"}, {"Egress", "false"},
                               {"CidrBlock", "127.31.0.9/32"}});
  snap = view.Current();
  const auto& entries = (*snap)->AclOfSubnet(subnet)->entries;
  EXPECT_EQ(EvaluateNacl(entries, false, Ip("127.31.0.9"), kTcp, 2049), (NaclDecision{false, 100}));
  EXPECT_EQ(EvaluateNacl(entries, false, Ip("127.31.0.10"), kTcp, 2049), (NaclDecision{true, 200}));
  EXPECT_EQ(EvaluateNacl(entries, true, Ip("127.31.0.10"), kTcp, 40000),
            (NaclDecision{false, std::nullopt}));
}

TEST(NetworkViewLifetime, ViewMayGoBeforeTheStore) {
  auto store = store::NewMemoryStore();
  {
    NetworkView view(*store);
    ASSERT_TRUE(view.Current());
  }
  // The watcher outlives the view harmlessly.
  store::Transaction t;
  t.Put("ec2/vpc", "vpc-1", "{}");
  EXPECT_TRUE(store->Commit(t).ok());
}

}  // namespace
}  // namespace elfs::api::ec2
