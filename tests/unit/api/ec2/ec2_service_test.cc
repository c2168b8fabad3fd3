#include "api/ec2/ec2_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "api/ec2/model.h"
#include "ec2_test_util.h"

namespace elfs::api::ec2 {
namespace {

using testing::All;

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}
using testing::Ec2Fixture;
using testing::Text;

class Ec2Test : public Ec2Fixture {};

// ---------------------------------------------------------------- protocol

TEST_F(Ec2Test, ResponsesAreEc2QueryXml) {
  std::string body = Ok("DescribeVpcs");
  EXPECT_NE(body.find("<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                      "<requestId>req-0001</requestId><vpcSet><item><vpcId>vpc-"),
            std::string::npos)
      << body;
  Outcome o = Do("DescribeVpcs");
  EXPECT_EQ(o.response.headers,
            (std::vector<std::pair<std::string, std::string>>{{"Content-Type", "text/xml;charset=UTF-8"}}));
  EXPECT_EQ(o.action, "DescribeVpcs");
}

TEST_F(Ec2Test, ErrorsAreEc2ErrorXml) {
  Outcome o = Do("DeleteVpc", {{"VpcId", "vpc-0123456789abcdef0"}});
  EXPECT_EQ(o.response.status, 400);
  EXPECT_EQ(o.response.body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
            "<Code>InvalidVpcID.NotFound</Code><Message>The vpc ID &apos;vpc-0123456789abcdef0&apos; "
            "does not exist</Message></Error></Errors><RequestID>req-0001</RequestID></Response>");
  EXPECT_EQ(o.error_code, "InvalidVpcID.NotFound");
}

TEST_F(Ec2Test, UnknownMissingAndMalformedRequests) {
  EXPECT_EQ(Err("RunInstances"), "InvalidAction");
  http::Request req;
  req.method = "POST";
  req.body = "Version=2016-11-15";
  EXPECT_EQ(svc_->Handle(ctx_, req, authz_).error_code, "MissingAction");
  req.body = "Action=DescribeVpcs&Bad=%zz";
  EXPECT_EQ(svc_->Handle(ctx_, req, authz_).error_code, "MalformedQueryString");
  // GET with the query string works too.
  req.method = "GET";
  req.target = "/?Action=DescribeAvailabilityZones&Version=2016-11-15";
  req.body.clear();
  EXPECT_EQ(svc_->Handle(ctx_, req, authz_).response.status, 200);
  EXPECT_EQ(Err("DeleteVpc"), "MissingParameter");
  EXPECT_EQ(Err("DeleteVpc", {{"VpcId", "subnet-123"}}), "InvalidVpcID.Malformed");
  EXPECT_EQ(Err("DescribeVpcs", {{"MaxResults", "abc"}}), "InvalidParameterValue");
}

// ------------------------------------------------------------ default VPC

TEST_F(Ec2Test, DefaultVpcAsAwsMakesIt) {
  std::string vpcs = Ok("DescribeVpcs");
  EXPECT_EQ(All(vpcs, "vpcId").size(), 1u);
  EXPECT_EQ(Text(vpcs, "cidrBlock"), "127.31.0.0/16");
  EXPECT_EQ(Text(vpcs, "isDefault"), "true");
  EXPECT_EQ(Text(vpcs, "state"), "available");
  EXPECT_EQ(Text(vpcs, "ownerId"), "123456789012");
  std::string vpc = Text(vpcs, "vpcId");

  std::string subnets = Ok("DescribeSubnets");
  EXPECT_EQ(Sorted(All(subnets, "cidrBlock")),
            (std::vector<std::string>{"127.31.0.0/20", "127.31.16.0/20", "127.31.32.0/20"}));
  std::vector<std::string> zones = All(subnets, "availabilityZone");
  std::sort(zones.begin(), zones.end());
  EXPECT_EQ(zones, (std::vector<std::string>{"us-east-1a", "us-east-1b", "us-east-1c"}));
  std::vector<std::string> zone_ids = All(subnets, "availabilityZoneId");
  std::sort(zone_ids.begin(), zone_ids.end());
  EXPECT_EQ(zone_ids, (std::vector<std::string>{"use1-az1", "use1-az2", "use1-az3"}));
  for (const auto& d : All(subnets, "defaultForAz")) EXPECT_EQ(d, "true");
  // 4096 addresses less the five AWS reserves.
  for (const auto& n : All(subnets, "availableIpAddressCount")) EXPECT_EQ(n, "4091");
  for (const auto& v : All(subnets, "vpcId")) EXPECT_EQ(v, vpc);

  // The default security group: all inbound from itself, all outbound.
  std::string groups = Ok("DescribeSecurityGroups", {{"Filter.1.Name", "vpc-id"},
                                                     {"Filter.1.Value.1", vpc}});
  EXPECT_EQ(All(groups, "groupName"), std::vector<std::string>{"default"});
  std::string sg = Text(groups, "groupId");
  std::string in = Text(groups, "ipPermissions"), out = Text(groups, "ipPermissionsEgress");
  EXPECT_EQ(in, "<item><ipProtocol>-1</ipProtocol><groups><item><userId>123456789012</userId>"
                "<groupId>" + sg + "</groupId></item></groups><ipRanges></ipRanges>"
                "<ipv6Ranges></ipv6Ranges><prefixListIds></prefixListIds></item>");
  EXPECT_EQ(out, "<item><ipProtocol>-1</ipProtocol><groups></groups><ipRanges><item>"
                 "<cidrIp>0.0.0.0/0</cidrIp></item></ipRanges><ipv6Ranges></ipv6Ranges>"
                 "<prefixListIds></prefixListIds></item>");

  // The default network ACL: rule 100 allows all both ways, then "*" deny;
  // associated with every default subnet.
  std::string acls = Ok("DescribeNetworkAcls");
  EXPECT_EQ(Text(acls, "default"), "true");
  EXPECT_EQ(All(acls, "ruleNumber"), (std::vector<std::string>{"100", "32767", "100", "32767"}));
  EXPECT_EQ(All(acls, "ruleAction"), (std::vector<std::string>{"allow", "deny", "allow", "deny"}));
  EXPECT_EQ(All(acls, "egress"), (std::vector<std::string>{"true", "true", "false", "false"}));
  EXPECT_EQ(All(acls, "protocol"), (std::vector<std::string>{"-1", "-1", "-1", "-1"}));
  EXPECT_EQ(All(acls, "networkAclAssociationId").size(), 3u);
  std::vector<std::string> assoc_subnets = All(acls, "subnetId");
  std::vector<std::string> subnet_ids = All(subnets, "subnetId");
  std::sort(assoc_subnets.begin(), assoc_subnets.end());
  std::sort(subnet_ids.begin(), subnet_ids.end());
  EXPECT_EQ(assoc_subnets, subnet_ids);
}

TEST_F(Ec2Test, DefaultVpcIsCreatedOnceUnderConcurrency) {
  // Two services (two hosts) on one store, many threads.
  Ec2Service other(*store_, random_, Ec2Options{});
  std::vector<std::string> ids(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = (i % 2 ? other : *svc_).EnsureDefaultVpc();
      ids[i] = r ? *r : "error";
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(Count(kVpcKind), 1u);
  EXPECT_EQ(Count(kSubnetKind), 3u);
  EXPECT_EQ(Count(kGroupKind), 1u);
  EXPECT_EQ(Count(kAclKind), 1u);
}

TEST_F(Ec2Test, DeletedDefaultVpcStaysDeleted) {
  std::string vpc = DefaultVpc();
  for (char az : {'a', 'b', 'c'}) Ok("DeleteSubnet", {{"SubnetId", DefaultSubnet(az)}});
  Ok("DeleteVpc", {{"VpcId", vpc}});
  EXPECT_EQ(All(Ok("DescribeVpcs"), "vpcId").size(), 0u);
  EXPECT_EQ(Count(kGroupKind), 0u);
  EXPECT_EQ(Count(kAclKind), 0u);
  // Without a default VPC, default-VPC conveniences say so.
  EXPECT_EQ(Err("CreateSecurityGroup", {{"GroupName", "g"}, {"GroupDescription", "d"}}),
            "VPCIdNotSpecified");
}

class ConfiguredDefaultVpc : public Ec2Fixture {
 protected:
  ConfiguredDefaultVpc()
      : Ec2Fixture(Ec2Options{"210987654321", "eu-west-2", "192.168.7.0/24", 3}) {}
};

TEST_F(ConfiguredDefaultVpc, RangeAndRegionAreConfigurable) {
  std::string subnets = Ok("DescribeSubnets");
  // A /24 is split in quarters (three zones need two bits).
  EXPECT_EQ(Sorted(All(subnets, "cidrBlock")),
            (std::vector<std::string>{"192.168.7.0/26", "192.168.7.128/26", "192.168.7.64/26"}));
  std::vector<std::string> ids = All(subnets, "availabilityZoneId");
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"euw2-az1", "euw2-az2", "euw2-az3"}));
  EXPECT_EQ(Text(Ok("DescribeVpcs"), "ownerId"), "210987654321");
  std::string zones = Ok("DescribeAvailabilityZones");
  EXPECT_EQ(All(zones, "zoneName"),
            (std::vector<std::string>{"eu-west-2a", "eu-west-2b", "eu-west-2c"}));
  EXPECT_EQ(Text(zones, "regionName"), "eu-west-2");
  EXPECT_EQ(Text(zones, "zoneState"), "available");
}

TEST(Ec2Options, Validation) {
  EXPECT_TRUE(ValidateOptions(Ec2Options{}).ok());
  Ec2Options o;
  o.default_vpc_cidr = "127.31.0.1/16";
  EXPECT_FALSE(ValidateOptions(o).ok());
  o.default_vpc_cidr = "10.0.0.0/8";
  EXPECT_FALSE(ValidateOptions(o).ok());
  o.default_vpc_cidr = "10.0.0.0/27";  // no /28 per zone
  EXPECT_FALSE(ValidateOptions(o).ok());
  o = {};
  o.region = "moon";
  EXPECT_FALSE(ValidateOptions(o).ok());
  o = {};
  o.account_id = "12";
  EXPECT_FALSE(ValidateOptions(o).ok());
  o = {};
  o.availability_zones = 0;
  EXPECT_FALSE(ValidateOptions(o).ok());
}

TEST(Ec2Options, AvailabilityZoneIdPrefixes) {
  struct {
    const char* region;
    const char* prefix;
  } cases[] = {{"us-east-1", "use1"},       {"us-west-2", "usw2"},   {"eu-west-1", "euw1"},
               {"eu-central-1", "euc1"},    {"ap-southeast-2", "apse2"},
               {"ap-northeast-1", "apne1"}, {"sa-east-1", "sae1"},   {"bad", ""},
               {"us-up-1", ""}};
  for (const auto& c : cases) EXPECT_EQ(AzIdPrefix(c.region), c.prefix) << c.region;
}

// --------------------------------------------------------------- VPCs

TEST_F(Ec2Test, CreateVpcMakesItsDefaultGroupAndAcl) {
  std::string body = Ok("CreateVpc", {{"CidrBlock", "10.0.0.0/16"}});
  std::string vpc = Text(body, "vpcId");
  EXPECT_EQ(Text(body, "isDefault"), "false");
  EXPECT_EQ(Text(body, "cidrBlock"), "10.0.0.0/16");
  EXPECT_FALSE(GroupId(vpc, "default").empty());
  std::string acls = Ok("DescribeNetworkAcls", {{"Filter.1.Name", "vpc-id"}, {"Filter.1.Value.1", vpc}});
  EXPECT_EQ(Text(acls, "default"), "true");
  EXPECT_EQ(All(acls, "ruleNumber").size(), 4u);
  EXPECT_EQ(Ok("DescribeVpcs", {{"VpcId.1", vpc}}).find(vpc) != std::string::npos, true);
}

TEST_F(Ec2Test, CreateVpcErrors) {
  EXPECT_EQ(Err("CreateVpc"), "MissingParameter");
  EXPECT_EQ(Err("CreateVpc", {{"CidrBlock", "10.0.0.0/15"}}), "InvalidVpc.Range");
  EXPECT_EQ(Err("CreateVpc", {{"CidrBlock", "10.0.0.0/29"}}), "InvalidVpc.Range");
  EXPECT_EQ(Err("CreateVpc", {{"CidrBlock", "10.0.0.1/16"}}), "InvalidVpc.Range");
  EXPECT_EQ(Err("CreateVpc", {{"CidrBlock", "banana"}}), "InvalidVpc.Range");
  // VPC ranges share one host's address space: no overlap (docs/network.md).
  EXPECT_EQ(Err("CreateVpc", {{"CidrBlock", "127.31.16.0/20"}}), "InvalidVpc.Range");
  EXPECT_EQ(Err("CreateVpc", {{"CidrBlock", "10.0.0.0/16"}, {"AmazonProvidedIpv6CidrBlock", "true"}}),
            "UnsupportedOperation");
  EXPECT_EQ(Count(kVpcKind), 1u);
}

TEST_F(Ec2Test, DeleteVpcWaitsForItsDependencies) {
  std::string vpc = CreateVpc("10.1.0.0/16");
  std::string subnet = CreateSubnet(vpc, "10.1.0.0/24");
  EXPECT_EQ(Err("DeleteVpc", {{"VpcId", vpc}}), "DependencyViolation");
  Ok("DeleteSubnet", {{"SubnetId", subnet}});
  std::string sg = CreateGroup(vpc, "web");
  EXPECT_EQ(Err("DeleteVpc", {{"VpcId", vpc}}), "DependencyViolation");
  Ok("DeleteSecurityGroup", {{"GroupId", sg}});
  std::string acl = Text(Ok("CreateNetworkAcl", {{"VpcId", vpc}}), "networkAclId");
  EXPECT_EQ(Err("DeleteVpc", {{"VpcId", vpc}}), "DependencyViolation");
  Ok("DeleteNetworkAcl", {{"NetworkAclId", acl}});
  EXPECT_EQ(Text(Ok("DeleteVpc", {{"VpcId", vpc}}), "return"), "true");
  EXPECT_EQ(Err("DescribeVpcs", {{"VpcId.1", vpc}}), "InvalidVpcID.NotFound");
  EXPECT_EQ(Count(kGroupKind), 1u);  // the default VPC's
  EXPECT_EQ(Count(kAclKind), 1u);
  // The range is free again.
  CreateVpc("10.1.0.0/16");
}

// ------------------------------------------------------------ subnets

TEST_F(Ec2Test, CreateSubnetChecksRangeAndZone) {
  std::string vpc = CreateVpc("10.2.0.0/16");
  std::string body = Ok("CreateSubnet", {{"VpcId", vpc},
                                         {"CidrBlock", "10.2.1.0/24"},
                                         {"AvailabilityZone", "us-east-1b"}});
  EXPECT_EQ(Text(body, "availabilityZone"), "us-east-1b");
  EXPECT_EQ(Text(body, "availabilityZoneId"), "use1-az2");
  EXPECT_EQ(Text(body, "availableIpAddressCount"), "251");
  EXPECT_EQ(Text(body, "defaultForAz"), "false");
  std::string subnet = Text(body, "subnetId");
  EXPECT_EQ(Text(body, "subnetArn"), "arn:aws:ec2:us-east-1:123456789012:subnet/" + subnet);
  EXPECT_EQ(Err("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.3.0.0/24"}}), "InvalidSubnet.Range");
  EXPECT_EQ(Err("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.2.0.0/15"}}), "InvalidSubnet.Range");
  EXPECT_EQ(Err("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.2.0.0/29"}}), "InvalidSubnet.Range");
  EXPECT_EQ(Err("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.2.0.0/16"}}), "InvalidSubnet.Conflict");
  EXPECT_EQ(Err("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.2.1.128/25"}}), "InvalidSubnet.Conflict");
  EXPECT_EQ(Err("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.2.2.0/24"}, {"AvailabilityZone", "us-east-1z"}}),
            "InvalidParameterValue");
  EXPECT_EQ(Err("CreateSubnet", {{"VpcId", "vpc-0000000000000000a"}, {"CidrBlock", "10.2.2.0/24"}}),
            "InvalidVpcID.NotFound");
  EXPECT_EQ(Err("CreateSubnet", {{"VpcId", vpc}}), "MissingParameter");
  // By zone id, adjacent to the first.
  body = Ok("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.2.2.0/24"}, {"AvailabilityZoneId", "use1-az3"}});
  EXPECT_EQ(Text(body, "availabilityZone"), "us-east-1c");
  // It starts associated with the VPC's default ACL.
  std::string acls = Ok("DescribeNetworkAcls", {{"Filter.1.Name", "association.subnet-id"},
                                                {"Filter.1.Value.1", subnet}});
  EXPECT_EQ(Text(acls, "default"), "true");
  EXPECT_EQ(Text(acls, "vpcId"), vpc);
}

TEST_F(Ec2Test, DescribeSubnetsFilters) {
  std::string vpc = CreateVpc("10.4.0.0/16");
  std::string s1 = CreateSubnet(vpc, "10.4.0.0/24");
  std::string s2 = CreateSubnet(vpc, "10.4.1.0/24");
  auto ids = [&](testing::Params p) { return All(Ok("DescribeSubnets", p), "subnetId"); };
  EXPECT_EQ(ids({{"Filter.1.Name", "vpc-id"}, {"Filter.1.Value.1", vpc}}).size(), 2u);
  EXPECT_EQ(ids({{"SubnetId.1", s2}}), std::vector<std::string>{s2});
  EXPECT_EQ(ids({{"Filter.1.Name", "subnet-id"}, {"Filter.1.Value.1", s1}}), std::vector<std::string>{s1});
  EXPECT_EQ(ids({{"Filter.1.Name", "cidr-block"}, {"Filter.1.Value.1", "10.4.1.*"}}), std::vector<std::string>{s2});
  // Values of one filter OR, filters AND.
  EXPECT_EQ(ids({{"Filter.1.Name", "vpc-id"}, {"Filter.1.Value.1", vpc},
                 {"Filter.2.Name", "availability-zone"}, {"Filter.2.Value.1", "us-east-1a"},
                 {"Filter.2.Value.2", "us-east-1b"}}).size(), 2u);
  EXPECT_EQ(ids({{"Filter.1.Name", "availability-zone"}, {"Filter.1.Value.1", "us-east-1a"}}).size(), 2u);
  EXPECT_EQ(Err("DescribeSubnets", {{"Filter.1.Name", "no-such-filter"}, {"Filter.1.Value.1", "x"}}),
            "InvalidParameterValue");
  EXPECT_EQ(Err("DescribeSubnets", {{"SubnetId.1", "subnet-00000000000000000"}}), "InvalidSubnetID.NotFound");
}

TEST_F(Ec2Test, DeleteSubnetWaitsForInterfaces) {
  std::string subnet = DefaultSubnet();
  std::string eni = Text(Ok("CreateNetworkInterface", {{"SubnetId", subnet}}), "networkInterfaceId");
  EXPECT_EQ(Err("DeleteSubnet", {{"SubnetId", subnet}}), "DependencyViolation");
  Ok("DeleteNetworkInterface", {{"NetworkInterfaceId", eni}});
  Ok("DeleteSubnet", {{"SubnetId", subnet}});
  EXPECT_EQ(All(Ok("DescribeNetworkAcls"), "networkAclAssociationId").size(), 2u);
  EXPECT_EQ(Err("DeleteSubnet", {{"SubnetId", subnet}}), "InvalidSubnetID.NotFound");
}

// ------------------------------------------------------- security groups

TEST_F(Ec2Test, CreateSecurityGroup) {
  std::string vpc = DefaultVpc();
  std::string body = Ok("CreateSecurityGroup", {{"GroupName", "nfs-clients"},
                                                {"GroupDescription", "NFS clients"},
                                                {"TagSpecification.1.ResourceType", "security-group"},
                                                {"TagSpecification.1.Tag.1.Key", "team"},
                                                {"TagSpecification.1.Tag.1.Value", "storage"}});
  std::string sg = Text(body, "groupId");
  EXPECT_TRUE(sg.starts_with("sg-") && sg.size() == 20) << sg;
  EXPECT_EQ(Text(body, "key"), "team");
  std::string groups = Ok("DescribeSecurityGroups", {{"GroupId.1", sg}});
  EXPECT_EQ(Text(groups, "vpcId"), vpc);  // the default VPC when none is named
  EXPECT_EQ(Text(groups, "groupDescription"), "NFS clients");
  EXPECT_EQ(Text(groups, "ipPermissions"), "");
  EXPECT_NE(Text(groups, "ipPermissionsEgress").find("<cidrIp>0.0.0.0/0</cidrIp>"), std::string::npos);
  EXPECT_EQ(Text(groups, "value"), "storage");
  // By name in the default VPC.
  EXPECT_EQ(Text(Ok("DescribeSecurityGroups", {{"GroupName.1", "nfs-clients"}}), "groupId"), sg);
  EXPECT_EQ(Err("DescribeSecurityGroups", {{"GroupName.1", "nope"}}), "InvalidGroup.NotFound");

  EXPECT_EQ(Err("CreateSecurityGroup", {{"GroupName", "nfs-clients"}, {"GroupDescription", "x"}}),
            "InvalidGroup.Duplicate");
  EXPECT_EQ(Err("CreateSecurityGroup", {{"GroupName", "default"}, {"GroupDescription", "x"}}),
            "InvalidGroup.Reserved");
  EXPECT_EQ(Err("CreateSecurityGroup", {{"GroupName", "sg-123"}, {"GroupDescription", "x"}}),
            "InvalidParameterValue");
  EXPECT_EQ(Err("CreateSecurityGroup", {{"GroupName", "caf\xc3\xa9"}, {"GroupDescription", "x"}}),
            "InvalidParameterValue");
  EXPECT_EQ(Err("CreateSecurityGroup", {{"GroupName", "x"}}), "MissingParameter");
  EXPECT_EQ(Err("CreateSecurityGroup", {{"GroupName", "x"}, {"GroupDescription", "d"},
                                        {"VpcId", "vpc-0000000000000000f"}}),
            "InvalidVpcID.NotFound");
  // The same name is fine in another VPC.
  CreateGroup(CreateVpc("10.5.0.0/16"), "nfs-clients");
}

TEST_F(Ec2Test, DeleteSecurityGroupRules) {
  std::string vpc = DefaultVpc();
  std::string def = GroupId(vpc, "default");
  EXPECT_EQ(Err("DeleteSecurityGroup", {{"GroupId", def}}), "CannotDelete");
  std::string a = CreateGroup(vpc, "a"), b = CreateGroup(vpc, "b");
  // b's rule names a as a source: a cannot go.
  Ok("AuthorizeSecurityGroupIngress", {{"GroupId", b},
                                       {"IpPermissions.1.IpProtocol", "tcp"},
                                       {"IpPermissions.1.FromPort", "2049"},
                                       {"IpPermissions.1.ToPort", "2049"},
                                       {"IpPermissions.1.Groups.1.GroupId", a}});
  EXPECT_EQ(Err("DeleteSecurityGroup", {{"GroupId", a}}), "DependencyViolation");
  // An interface in b: b cannot go.
  std::string eni = Text(Ok("CreateNetworkInterface", {{"SubnetId", DefaultSubnet()},
                                                       {"SecurityGroupId.1", b}}),
                         "networkInterfaceId");
  EXPECT_EQ(Err("DeleteSecurityGroup", {{"GroupId", b}}), "DependencyViolation");
  Ok("DeleteNetworkInterface", {{"NetworkInterfaceId", eni}});
  Ok("DeleteSecurityGroup", {{"GroupId", b}});
  Ok("DeleteSecurityGroup", {{"GroupName", "a"}});
  EXPECT_EQ(Err("DeleteSecurityGroup", {{"GroupId", a}}), "InvalidGroup.NotFound");
  EXPECT_EQ(Err("DeleteSecurityGroup", {{"GroupId", "bogus"}}), "InvalidGroupId.Malformed");
}

TEST_F(Ec2Test, AuthorizeAndRevokeIngress) {
  std::string vpc = DefaultVpc();
  std::string sg = CreateGroup(vpc, "mt"), clients = CreateGroup(vpc, "clients");
  testing::Params perms = {{"GroupId", sg},
                           {"IpPermissions.1.IpProtocol", "tcp"},
                           {"IpPermissions.1.FromPort", "2049"},
                           {"IpPermissions.1.ToPort", "2049"},
                           {"IpPermissions.1.IpRanges.1.CidrIp", "127.31.0.0/20"},
                           {"IpPermissions.1.IpRanges.1.Description", "subnet a"},
                           {"IpPermissions.1.Ipv6Ranges.1.CidrIpv6", "2001:db8::/64"},
                           {"IpPermissions.1.Groups.1.GroupId", clients},
                           {"IpPermissions.2.IpProtocol", "icmp"},
                           {"IpPermissions.2.FromPort", "8"},
                           {"IpPermissions.2.ToPort", "-1"},
                           {"IpPermissions.2.IpRanges.1.CidrIp", "0.0.0.0/0"}};
  std::string body = Ok("AuthorizeSecurityGroupIngress", perms);
  EXPECT_EQ(Text(body, "return"), "true");
  std::vector<std::string> rule_ids = All(body, "securityGroupRuleId");
  ASSERT_EQ(rule_ids.size(), 4u);
  for (const auto& id : rule_ids) EXPECT_TRUE(id.starts_with("sgr-") && id.size() == 21) << id;
  EXPECT_EQ(All(body, "isEgress"), (std::vector<std::string>(4, "false")));
  EXPECT_EQ(Text(body, "cidrIpv4"), "127.31.0.0/20");
  EXPECT_EQ(Text(body, "cidrIpv6"), "2001:db8::/64");
  EXPECT_EQ(Text(Text(body, "referencedGroupInfo"), "groupId"), clients);

  // Described as two IpPermissions: tcp 2049 with three peers, icmp.
  std::string groups = Ok("DescribeSecurityGroups", {{"GroupId.1", sg}});
  std::string in = Text(groups, "ipPermissions");
  EXPECT_EQ(All(in, "ipProtocol"), (std::vector<std::string>{"tcp", "icmp"}));
  EXPECT_EQ(All(in, "fromPort"), (std::vector<std::string>{"2049", "8"}));
  EXPECT_EQ(All(in, "toPort"), (std::vector<std::string>{"2049", "-1"}));
  EXPECT_EQ(All(in, "cidrIp"), (std::vector<std::string>{"127.31.0.0/20", "0.0.0.0/0"}));
  EXPECT_EQ(Text(in, "description"), "subnet a");
  EXPECT_EQ(All(in, "cidrIpv6"), std::vector<std::string>{"2001:db8::/64"});

  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress", perms), "InvalidPermission.Duplicate");
  // The same rule twice in one request is a duplicate too; nothing is added.
  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress",
                {{"GroupId", sg},
                 {"IpPermissions.1.IpProtocol", "tcp"}, {"IpPermissions.1.FromPort", "22"},
                 {"IpPermissions.1.ToPort", "22"}, {"IpPermissions.1.IpRanges.1.CidrIp", "10.0.0.0/8"},
                 {"IpPermissions.1.IpRanges.2.CidrIp", "10.0.0.0/8"}}),
            "InvalidPermission.Duplicate");
  EXPECT_EQ(All(Ok("DescribeSecurityGroupRules", {{"Filter.1.Name", "group-id"}, {"Filter.1.Value.1", sg}}),
                "securityGroupRuleId").size(),
            5u);  // four ingress + the default egress

  // Revoke the CIDR rule (description does not matter), then by rule id.
  Ok("RevokeSecurityGroupIngress", {{"GroupId", sg},
                                    {"IpPermissions.1.IpProtocol", "tcp"},
                                    {"IpPermissions.1.FromPort", "2049"},
                                    {"IpPermissions.1.ToPort", "2049"},
                                    {"IpPermissions.1.IpRanges.1.CidrIp", "127.31.0.0/20"}});
  Ok("RevokeSecurityGroupIngress", {{"GroupId", sg}, {"SecurityGroupRuleId.1", rule_ids[3]}});
  EXPECT_EQ(Err("RevokeSecurityGroupIngress", {{"GroupId", sg}, {"SecurityGroupRuleId.1", rule_ids[3]}}),
            "InvalidSecurityGroupRuleId.NotFound");
  EXPECT_EQ(Err("RevokeSecurityGroupIngress", {{"GroupId", sg},
                                               {"IpPermissions.1.IpProtocol", "tcp"},
                                               {"IpPermissions.1.FromPort", "2049"},
                                               {"IpPermissions.1.ToPort", "2049"},
                                               {"IpPermissions.1.IpRanges.1.CidrIp", "127.31.0.0/20"}}),
            "InvalidPermission.NotFound");
  // One known, one unknown: the known goes, the unknown is reported.
  body = Ok("RevokeSecurityGroupIngress", {{"GroupId", sg},
                                           {"IpPermissions.1.IpProtocol", "tcp"},
                                           {"IpPermissions.1.FromPort", "2049"},
                                           {"IpPermissions.1.ToPort", "2049"},
                                           {"IpPermissions.1.IpRanges.1.CidrIp", "10.9.0.0/16"},
                                           {"IpPermissions.1.Groups.1.GroupId", clients}});
  EXPECT_EQ(Text(Text(body, "unknownIpPermissionSet"), "cidrIp"), "10.9.0.0/16");
  in = Text(Ok("DescribeSecurityGroups", {{"GroupId.1", sg}}), "ipPermissions");
  EXPECT_EQ(All(in, "cidrIpv6"), std::vector<std::string>{"2001:db8::/64"});
  EXPECT_EQ(All(in, "groupId"), std::vector<std::string>{});
}

TEST_F(Ec2Test, PermissionValidation) {
  std::string vpc = DefaultVpc();
  std::string sg = CreateGroup(vpc, "v");
  auto perm = [&](std::string proto, std::string from, std::string to, std::string cidr) {
    testing::Params p = {{"GroupId", sg}, {"IpPermissions.1.IpProtocol", proto}};
    if (!from.empty()) p.push_back({"IpPermissions.1.FromPort", from});
    if (!to.empty()) p.push_back({"IpPermissions.1.ToPort", to});
    if (!cidr.empty()) p.push_back({"IpPermissions.1.IpRanges.1.CidrIp", cidr});
    return p;
  };
  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress", perm("tcp", "", "", "10.0.0.0/8")), "InvalidParameterValue");
  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress", perm("tcp", "10", "5", "10.0.0.0/8")), "InvalidParameterValue");
  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress", perm("tcp", "0", "65536", "10.0.0.0/8")), "InvalidParameterValue");
  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress", perm("gre", "", "", "10.0.0.0/8")), "InvalidParameterValue");
  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress", perm("256", "", "", "10.0.0.0/8")), "InvalidParameterValue");
  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress", perm("tcp", "1", "2", "10.0.0.1/8")), "InvalidParameterValue");
  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress", perm("tcp", "1", "2", "")), "MissingParameter");
  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress", {{"GroupId", sg}}), "MissingParameter");
  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress",
                {{"GroupId", sg}, {"IpPermissions.1.IpProtocol", "-1"},
                 {"IpPermissions.1.Groups.1.GroupId", "sg-00000000000000000"}}),
            "InvalidGroup.NotFound");
  std::string other = GroupId(CreateVpc("10.6.0.0/16"), "default");
  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress",
                {{"GroupId", sg}, {"IpPermissions.1.IpProtocol", "-1"},
                 {"IpPermissions.1.Groups.1.GroupId", other}}),
            "InvalidGroup.NotFound");
  // Protocol numbers are accepted; 6 is tcp; -1 takes no ports.
  std::string body = Ok("AuthorizeSecurityGroupIngress", perm("6", "111", "111", "10.0.0.0/8"));
  EXPECT_EQ(Text(body, "ipProtocol"), "tcp");
  body = Ok("AuthorizeSecurityGroupIngress", perm("-1", "5", "6", "10.0.0.0/8"));
  EXPECT_EQ(Text(body, "fromPort"), "-1");
}

TEST_F(Ec2Test, OlderFlatFormAndEgress) {
  std::string vpc = DefaultVpc();
  std::string sg = CreateGroup(vpc, "flat"), peer = CreateGroup(vpc, "peer");
  Ok("AuthorizeSecurityGroupIngress", {{"GroupName", "flat"}, {"IpProtocol", "tcp"},
                                       {"FromPort", "2049"}, {"ToPort", "2049"},
                                       {"CidrIp", "10.0.0.0/8"}});
  Ok("AuthorizeSecurityGroupIngress", {{"GroupId", sg}, {"SourceSecurityGroupName", "peer"}});
  std::string in = Text(Ok("DescribeSecurityGroups", {{"GroupId.1", sg}}), "ipPermissions");
  EXPECT_NE(in.find("<cidrIp>10.0.0.0/8</cidrIp>"), std::string::npos);
  EXPECT_NE(in.find("<groupId>" + peer + "</groupId>"), std::string::npos);
  EXPECT_EQ(Err("AuthorizeSecurityGroupIngress", {{"GroupId", sg}, {"CidrIp", "10.0.0.0/8"},
                                                  {"IpProtocol", "tcp"}, {"FromPort", "1"}, {"ToPort", "1"},
                                                  {"IpPermissions.1.IpProtocol", "-1"}}),
            "InvalidParameterCombination");

  // Egress: drop the default allow-all, allow only NFS to the default subnets.
  Ok("RevokeSecurityGroupEgress", {{"GroupId", sg}, {"IpPermissions.1.IpProtocol", "-1"},
                                   {"IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"}});
  Ok("AuthorizeSecurityGroupEgress", {{"GroupId", sg}, {"IpPermissions.1.IpProtocol", "tcp"},
                                      {"IpPermissions.1.FromPort", "2049"},
                                      {"IpPermissions.1.ToPort", "2049"},
                                      {"IpPermissions.1.IpRanges.1.CidrIp", "127.31.0.0/16"}});
  std::string out = Text(Ok("DescribeSecurityGroups", {{"GroupId.1", sg}}), "ipPermissionsEgress");
  EXPECT_EQ(All(out, "cidrIp"), std::vector<std::string>{"127.31.0.0/16"});
  EXPECT_EQ(Err("RevokeSecurityGroupEgress", {{"GroupId", sg}, {"IpPermissions.1.IpProtocol", "-1"},
                                              {"IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"}}),
            "InvalidPermission.NotFound");
  // Egress needs the id.
  EXPECT_EQ(Err("AuthorizeSecurityGroupEgress", {{"GroupName", "flat"}, {"IpPermissions.1.IpProtocol", "-1"},
                                                 {"IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"}}),
            "MissingParameter");
}

TEST_F(Ec2Test, PaginationOfSecurityGroups) {
  std::string vpc = DefaultVpc();
  for (int i = 0; i < 6; ++i) CreateGroup(vpc, "g" + std::to_string(i));
  std::string first = Ok("DescribeSecurityGroups", {{"MaxResults", "5"}});
  EXPECT_EQ(All(first, "groupName").size(), 5u);
  std::string token = Text(first, "nextToken");
  ASSERT_FALSE(token.empty());
  std::string second = Ok("DescribeSecurityGroups", {{"MaxResults", "5"}, {"NextToken", token}});
  EXPECT_EQ(All(second, "groupName").size(), 2u);
  EXPECT_EQ(Text(second, "nextToken"), "");
  EXPECT_EQ(Err("DescribeSecurityGroups", {{"MaxResults", "4"}}), "InvalidParameterValue");
  EXPECT_EQ(Err("DescribeSecurityGroups", {{"NextToken", "zz"}}), "InvalidNextToken");
}

// ------------------------------------------------------------ network ACLs

TEST_F(Ec2Test, NetworkAclEntries) {
  std::string vpc = DefaultVpc();
  std::string body = Ok("CreateNetworkAcl", {{"VpcId", vpc}});
  std::string acl = Text(body, "networkAclId");
  EXPECT_EQ(Text(body, "default"), "false");
  EXPECT_EQ(All(body, "ruleNumber"), (std::vector<std::string>{"32767", "32767"}));
  testing::Params entry = {{"NetworkAclId", acl}, {"RuleNumber", "90"}, {"Protocol", "6"},
                           {"RuleAction", "deny"}, {"Egress", "false"},
                           {"CidrBlock", "127.31.0.0/24"}, {"PortRange.From", "2049"},
                           {"PortRange.To", "2049"}};
  Ok("CreateNetworkAclEntry", entry);
  EXPECT_EQ(Err("CreateNetworkAclEntry", entry), "NetworkAclEntryAlreadyExists");
  // The same number in the other direction is another entry.
  entry[4].second = "true";
  Ok("CreateNetworkAclEntry", entry);
  Ok("CreateNetworkAclEntry", {{"NetworkAclId", acl}, {"RuleNumber", "100"}, {"Protocol", "-1"},
                               {"RuleAction", "allow"}, {"Egress", "false"},
                               {"Ipv6CidrBlock", "::/0"}});
  std::string acls = Ok("DescribeNetworkAcls", {{"NetworkAclId.1", acl}});
  EXPECT_EQ(All(acls, "ruleNumber"), (std::vector<std::string>{"90", "32767", "90", "100", "32767"}));
  EXPECT_EQ(Text(acls, "portRange"), "<from>2049</from><to>2049</to>");
  EXPECT_EQ(Text(acls, "ipv6CidrBlock"), "::/0");

  testing::Params replace = {{"NetworkAclId", acl}, {"RuleNumber", "90"}, {"Protocol", "-1"},
                             {"RuleAction", "allow"}, {"Egress", "false"}, {"CidrBlock", "0.0.0.0/0"}};
  Ok("ReplaceNetworkAclEntry", replace);
  acls = Ok("DescribeNetworkAcls", {{"NetworkAclId.1", acl}});
  EXPECT_EQ(All(acls, "ruleAction"), (std::vector<std::string>{"deny", "deny", "allow", "allow", "deny"}));
  replace[1].second = "91";
  EXPECT_EQ(Err("ReplaceNetworkAclEntry", replace), "InvalidNetworkAclEntry.NotFound");
  Ok("DeleteNetworkAclEntry", {{"NetworkAclId", acl}, {"RuleNumber", "90"}, {"Egress", "true"}});
  EXPECT_EQ(Err("DeleteNetworkAclEntry", {{"NetworkAclId", acl}, {"RuleNumber", "90"}, {"Egress", "true"}}),
            "InvalidNetworkAclEntry.NotFound");

  auto bad = [&](std::string key, std::string value) {
    testing::Params p = {{"NetworkAclId", acl}, {"RuleNumber", "120"}, {"Protocol", "6"},
                         {"RuleAction", "allow"}, {"Egress", "false"}, {"CidrBlock", "0.0.0.0/0"},
                         {"PortRange.From", "1"}, {"PortRange.To", "2"}};
    for (auto& [k, v] : p) {
      if (k == key) v = value;
    }
    if (value.empty()) std::erase_if(p, [&](const auto& kv) { return kv.first == key; });
    return Err("CreateNetworkAclEntry", p);
  };
  EXPECT_EQ(bad("RuleNumber", "0"), "InvalidParameterValue");
  EXPECT_EQ(bad("RuleNumber", "32767"), "InvalidParameterValue");
  EXPECT_EQ(bad("RuleAction", "maybe"), "InvalidParameterValue");
  EXPECT_EQ(bad("Protocol", "xyz"), "InvalidParameterValue");
  EXPECT_EQ(bad("CidrBlock", "10.0.0.0/33"), "InvalidParameterValue");
  EXPECT_EQ(bad("CidrBlock", ""), "MissingParameter");
  EXPECT_EQ(bad("PortRange.To", ""), "MissingParameter");
  EXPECT_EQ(bad("PortRange.To", "70000"), "InvalidParameterValue");
  EXPECT_EQ(bad("Egress", "sideways"), "InvalidParameterValue");
  EXPECT_EQ(bad("NetworkAclId", "acl-00000000000000000"), "InvalidNetworkAclID.NotFound");
}

TEST_F(Ec2Test, NetworkAclAssociationsAndDeletion) {
  std::string vpc = DefaultVpc();
  std::string def_acl = Text(Ok("DescribeNetworkAcls", {{"Filter.1.Name", "default"},
                                                        {"Filter.1.Value.1", "true"}}),
                             "networkAclId");
  EXPECT_EQ(Err("DeleteNetworkAcl", {{"NetworkAclId", def_acl}}), "InvalidParameterValue");
  std::string acl = Text(Ok("CreateNetworkAcl", {{"VpcId", vpc}}), "networkAclId");
  std::string subnet = DefaultSubnet('b');
  std::string old_assoc = AssociationOf(subnet);
  ASSERT_FALSE(old_assoc.empty());
  std::string body = Ok("ReplaceNetworkAclAssociation", {{"AssociationId", old_assoc}, {"NetworkAclId", acl}});
  std::string new_assoc = Text(body, "newAssociationId");
  EXPECT_TRUE(new_assoc.starts_with("aclassoc-"));
  EXPECT_NE(new_assoc, old_assoc);
  std::string acls = Ok("DescribeNetworkAcls", {{"NetworkAclId.1", acl}});
  EXPECT_EQ(Text(acls, "subnetId"), subnet);
  EXPECT_EQ(Text(acls, "networkAclAssociationId"), new_assoc);
  EXPECT_EQ(Err("ReplaceNetworkAclAssociation", {{"AssociationId", old_assoc}, {"NetworkAclId", acl}}),
            "InvalidAssociationID.NotFound");
  EXPECT_EQ(Err("DeleteNetworkAcl", {{"NetworkAclId", acl}}), "DependencyViolation");
  // Back to the default, then the ACL can go.
  Ok("ReplaceNetworkAclAssociation", {{"AssociationId", new_assoc}, {"NetworkAclId", def_acl}});
  Ok("DeleteNetworkAcl", {{"NetworkAclId", acl}});
  EXPECT_EQ(All(Ok("DescribeNetworkAcls"), "networkAclAssociationId").size(), 3u);
  // An ACL of another VPC cannot take the subnet.
  std::string other_acl = Text(Ok("CreateNetworkAcl", {{"VpcId", CreateVpc("10.7.0.0/16")}}), "networkAclId");
  acls = Ok("DescribeNetworkAcls", {{"NetworkAclId.1", def_acl}});
  EXPECT_EQ(Err("ReplaceNetworkAclAssociation", {{"AssociationId", Text(acls, "networkAclAssociationId")},
                                                 {"NetworkAclId", other_acl}}),
            "InvalidParameterValue");
}

// -------------------------------------------------------- network interfaces

TEST_F(Ec2Test, InterfaceAddressAllocation) {
  std::string subnet = DefaultSubnet('a');  // 127.31.0.0/20
  auto create = [&](testing::Params p) {
    p.insert(p.begin(), {"SubnetId", subnet});
    return Do("CreateNetworkInterface", p);
  };
  // The first four addresses are reserved: the lowest free is .4.
  Outcome o = create({});
  ASSERT_EQ(o.response.status, 200) << o.response.body;
  EXPECT_EQ(Text(o.response.body, "privateIpAddress"), "127.31.0.4");
  EXPECT_EQ(Text(o.response.body, "status"), "available");
  EXPECT_EQ(Text(o.response.body, "interfaceType"), "interface");
  std::string first = Text(o.response.body, "networkInterfaceId");
  EXPECT_EQ(Text(create({}).response.body, "privateIpAddress"), "127.31.0.5");
  EXPECT_EQ(Text(create({{"PrivateIpAddress", "127.31.9.9"}}).response.body, "privateIpAddress"), "127.31.9.9");
  EXPECT_EQ(create({{"PrivateIpAddress", "127.31.9.9"}}).error_code, "InvalidIPAddress.InUse");
  EXPECT_EQ(create({{"PrivateIpAddress", "127.31.16.9"}}).error_code, "InvalidParameterValue");
  EXPECT_EQ(create({{"PrivateIpAddress", "127.31.0.3"}}).error_code, "InvalidParameterValue");
  EXPECT_EQ(create({{"PrivateIpAddress", "127.31.0.0"}}).error_code, "InvalidParameterValue");
  EXPECT_EQ(create({{"PrivateIpAddress", "127.31.15.255"}}).error_code, "InvalidParameterValue");
  EXPECT_EQ(create({{"PrivateIpAddress", "127.31.15.254"}}).response.status, 200);
  EXPECT_EQ(create({{"PrivateIpAddress", "not-an-ip"}}).error_code, "InvalidParameterValue");
  // A freed address is reused.
  Ok("DeleteNetworkInterface", {{"NetworkInterfaceId", first}});
  EXPECT_EQ(Text(create({}).response.body, "privateIpAddress"), "127.31.0.4");
  EXPECT_EQ(Text(Ok("DescribeSubnets", {{"SubnetId.1", subnet}}), "availableIpAddressCount"), "4087");
}

TEST_F(Ec2Test, SmallSubnetRunsOutOfAddresses) {
  std::string vpc = CreateVpc("10.8.0.0/16");
  std::string subnet = CreateSubnet(vpc, "10.8.0.16/28");
  // 16 addresses, 5 reserved: .20 to .30.
  std::vector<std::string> ips;
  for (int i = 0; i < 11; ++i) {
    ips.push_back(Text(Ok("CreateNetworkInterface", {{"SubnetId", subnet}}), "privateIpAddress"));
  }
  EXPECT_EQ(ips.front(), "10.8.0.20");
  EXPECT_EQ(ips.back(), "10.8.0.30");
  EXPECT_EQ(Err("CreateNetworkInterface", {{"SubnetId", subnet}}), "InsufficientFreeAddressesInSubnet");
  EXPECT_EQ(Text(Ok("DescribeSubnets", {{"SubnetId.1", subnet}}), "availableIpAddressCount"), "0");
}

TEST_F(Ec2Test, InterfaceGroups) {
  std::string vpc = DefaultVpc();
  std::string def = GroupId(vpc, "default");
  std::string a = CreateGroup(vpc, "a"), b = CreateGroup(vpc, "b");
  std::string subnet = DefaultSubnet();
  std::string body = Ok("CreateNetworkInterface", {{"SubnetId", subnet}, {"Description", "client 1"}});
  std::string eni = Text(body, "networkInterfaceId");
  EXPECT_EQ(All(Text(body, "groupSet"), "groupId"), std::vector<std::string>{def});
  EXPECT_EQ(Text(Text(body, "groupSet"), "groupName"), "default");
  EXPECT_EQ(Text(body, "description"), "client 1");
  Ok("ModifyNetworkInterfaceAttribute", {{"NetworkInterfaceId", eni}, {"SecurityGroupId.1", a},
                                         {"SecurityGroupId.2", b}});
  std::string described = Ok("DescribeNetworkInterfaces", {{"NetworkInterfaceId.1", eni}});
  EXPECT_EQ(All(Text(described, "groupSet"), "groupId"), (std::vector<std::string>{a, b}));
  Ok("ModifyNetworkInterfaceAttribute", {{"NetworkInterfaceId", eni}, {"Description.Value", "renamed"}});
  EXPECT_EQ(Text(Ok("DescribeNetworkInterfaces", {{"NetworkInterfaceId.1", eni}}), "description"), "renamed");
  EXPECT_EQ(Err("ModifyNetworkInterfaceAttribute", {{"NetworkInterfaceId", eni}, {"SecurityGroupId.1", a},
                                                    {"Description.Value", "x"}}),
            "InvalidParameterCombination");
  EXPECT_EQ(Err("ModifyNetworkInterfaceAttribute", {{"NetworkInterfaceId", eni},
                                                    {"SecurityGroupId.1", "sg-0000000000000000a"}}),
            "InvalidGroup.NotFound");
  std::string foreign = GroupId(CreateVpc("10.10.0.0/16"), "default");
  EXPECT_EQ(Err("CreateNetworkInterface", {{"SubnetId", subnet}, {"SecurityGroupId.1", foreign}}),
            "InvalidParameterValue");
  testing::Params six = {{"SubnetId", subnet}};
  for (int i = 0; i < 6; ++i) {
    six.push_back({"SecurityGroupId." + std::to_string(i + 1), CreateGroup(vpc, "x" + std::to_string(i))});
  }
  EXPECT_EQ(Err("CreateNetworkInterface", six), "SecurityGroupsPerInterfaceLimitExceeded");
  EXPECT_EQ(Err("CreateNetworkInterface", {{"SubnetId", "subnet-0000000000000000a"}}), "InvalidSubnetID.NotFound");
  EXPECT_EQ(Err("CreateNetworkInterface", {{"SubnetId", subnet}, {"SecondaryPrivateIpAddressCount", "2"}}),
            "UnsupportedOperation");
}

TEST_F(Ec2Test, DescribeNetworkInterfacesFilters) {
  std::string vpc = DefaultVpc();
  std::string g = CreateGroup(vpc, "g");
  std::string e1 = Text(Ok("CreateNetworkInterface", {{"SubnetId", DefaultSubnet('a')}, {"SecurityGroupId.1", g}}),
                        "networkInterfaceId");
  std::string e2 = Text(Ok("CreateNetworkInterface", {{"SubnetId", DefaultSubnet('b')},
                                                      {"PrivateIpAddress", "127.31.16.77"}}),
                        "networkInterfaceId");
  auto ids = [&](std::string name, std::string value) {
    return All(Ok("DescribeNetworkInterfaces", {{"Filter.1.Name", name}, {"Filter.1.Value.1", value}}),
               "networkInterfaceId");
  };
  EXPECT_EQ(ids("addresses.private-ip-address", "127.31.16.77"), std::vector<std::string>{e2});
  EXPECT_EQ(ids("private-ip-address", "127.31.0.4"), std::vector<std::string>{e1});
  EXPECT_EQ(ids("subnet-id", DefaultSubnet('b')), std::vector<std::string>{e2});
  EXPECT_EQ(ids("group-id", g), std::vector<std::string>{e1});
  EXPECT_EQ(ids("network-interface-id", e1), std::vector<std::string>{e1});
  EXPECT_EQ(ids("vpc-id", vpc).size(), 2u);
  EXPECT_EQ(Err("DescribeNetworkInterfaces", {{"NetworkInterfaceId.1", "eni-0000000000000000a"}}),
            "InvalidNetworkInterfaceID.NotFound");
  EXPECT_EQ(Err("DeleteNetworkInterface", {{"NetworkInterfaceId", "eni-0000000000000000a"}}),
            "InvalidNetworkInterfaceID.NotFound");
}

// -------------------------------------------------------- NetworkDirectory

TEST_F(Ec2Test, DirectoryForEfs) {
  std::string subnet = DefaultSubnet('c');
  auto info = svc_->FindSubnet(subnet);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->cidr, "127.31.32.0/20");
  EXPECT_EQ(info->availability_zone, "us-east-1c");
  EXPECT_EQ(info->availability_zone_id, "use1-az3");
  EXPECT_EQ(info->vpc_id, DefaultVpc());
  EXPECT_EQ(info->owner_id, "123456789012");
  EXPECT_FALSE(svc_->FindSubnet("subnet-0000000000000000a"));
  EXPECT_FALSE(svc_->FindSubnet("garbage"));

  auto eni = svc_->CreateInterface(ctx_, subnet, "", {}, "mount target fsmt-1");
  ASSERT_TRUE(eni) << eni.error().code;
  EXPECT_EQ(eni->private_ip, "127.31.32.4");
  EXPECT_EQ(eni->security_groups, std::vector<std::string>{GroupId(DefaultVpc(), "default")});
  EXPECT_EQ(eni->availability_zone, "us-east-1c");
  std::string described = Ok("DescribeNetworkInterfaces", {{"NetworkInterfaceId.1", eni->network_interface_id}});
  EXPECT_EQ(Text(described, "interfaceType"), "efs");
  EXPECT_EQ(Text(described, "requesterManaged"), "true");
  EXPECT_EQ(Text(described, "status"), "in-use");
  // The user cannot delete it or change its groups through EC2.
  EXPECT_EQ(Err("DeleteNetworkInterface", {{"NetworkInterfaceId", eni->network_interface_id}}),
            "InvalidNetworkInterface.InUse");
  std::string g = CreateGroup(DefaultVpc(), "mt");
  EXPECT_EQ(Err("ModifyNetworkInterfaceAttribute", {{"NetworkInterfaceId", eni->network_interface_id},
                                                    {"SecurityGroupId.1", g}}),
            "OperationNotPermitted");
  // EFS can.
  ASSERT_TRUE(svc_->SetInterfaceGroups(eni->network_interface_id, {g, g}));
  EXPECT_EQ(svc_->FindInterface(eni->network_interface_id)->security_groups, std::vector<std::string>{g});
  EXPECT_EQ(svc_->SetInterfaceGroups(eni->network_interface_id, {}).error().code, "InvalidParameterValue");
  EXPECT_EQ(svc_->SetInterfaceGroups(eni->network_interface_id, {"sg-0000000000000000a"}).error().code,
            "InvalidGroup.NotFound");
  // Explicit address: in use, outside, reserved.
  EXPECT_EQ(svc_->CreateInterface(ctx_, subnet, "127.31.32.4", {}, "").error().code, "InvalidIPAddress.InUse");
  EXPECT_EQ(svc_->CreateInterface(ctx_, subnet, "127.31.0.9", {}, "").error().code, "InvalidParameterValue");
  EXPECT_EQ(svc_->CreateInterface(ctx_, subnet, "127.31.32.1", {}, "").error().code, "InvalidParameterValue");
  EXPECT_EQ(svc_->CreateInterface(ctx_, "subnet-0000000000000000a", "", {}, "").error().code,
            "InvalidSubnetID.NotFound");
  EXPECT_EQ(svc_->CreateInterface(ctx_, subnet, "", {"sg-0000000000000000a"}, "").error().code,
            "InvalidGroup.NotFound");
  ASSERT_TRUE(svc_->DeleteInterface(eni->network_interface_id));
  EXPECT_FALSE(svc_->FindInterface(eni->network_interface_id));
  EXPECT_EQ(svc_->DeleteInterface(eni->network_interface_id).error().code,
            "InvalidNetworkInterfaceID.NotFound");
}

TEST_F(Ec2Test, ConcurrentInterfacesGetDistinctAddresses) {
  std::string subnet = DefaultSubnet();
  std::vector<std::string> ips(16);
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      auto e = svc_->CreateInterface(ctx_, subnet, "", {}, "");
      ips[i] = e ? e->private_ip : e.error().code;
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> unique(ips.begin(), ips.end());
  EXPECT_EQ(unique.size(), 16u);
  EXPECT_TRUE(unique.count("127.31.0.4"));
  EXPECT_TRUE(unique.count("127.31.0.19"));
}

// ---------------------------------------------------------- authorization

TEST_F(Ec2Test, EveryOperationIsAuthorized) {
  std::string vpc = DefaultVpc();
  authz_.asked.clear();
  std::string sg = CreateGroup(vpc, "authz");
  ASSERT_EQ(authz_.asked.size(), 1u);
  EXPECT_EQ(authz_.asked[0].action, "ec2:CreateSecurityGroup");
  EXPECT_EQ(authz_.asked[0].resource, "arn:aws:ec2:us-east-1:123456789012:vpc/" + vpc);
  EXPECT_EQ(authz_.asked[0].context.at("ec2:Vpc"),
            std::vector<std::string>{"arn:aws:ec2:us-east-1:123456789012:vpc/" + vpc});
  authz_.asked.clear();
  Ok("CreateTags", {{"ResourceId.1", sg}, {"Tag.1.Key", "env"}, {"Tag.1.Value", "prod"}});
  ASSERT_EQ(authz_.asked.size(), 1u);
  EXPECT_EQ(authz_.asked[0].resource, "arn:aws:ec2:us-east-1:123456789012:security-group/" + sg);
  EXPECT_EQ(authz_.asked[0].context.at("aws:RequestTag/env"), std::vector<std::string>{"prod"});
  EXPECT_EQ(authz_.asked[0].context.at("aws:TagKeys"), std::vector<std::string>{"env"});
  authz_.asked.clear();
  Ok("AuthorizeSecurityGroupIngress", {{"GroupId", sg}, {"IpPermissions.1.IpProtocol", "-1"},
                                       {"IpPermissions.1.IpRanges.1.CidrIp", "10.0.0.0/8"}});
  ASSERT_EQ(authz_.asked.size(), 1u);
  EXPECT_EQ(authz_.asked[0].action, "ec2:AuthorizeSecurityGroupIngress");
  EXPECT_EQ(authz_.asked[0].context.at("aws:ResourceTag/env"), std::vector<std::string>{"prod"});
  authz_.asked.clear();
  Ok("DescribeNetworkAcls");
  ASSERT_EQ(authz_.asked.size(), 1u);
  EXPECT_EQ(authz_.asked[0].action, "ec2:DescribeNetworkAcls");
  EXPECT_EQ(authz_.asked[0].resource, "*");
}

TEST_F(Ec2Test, DeniedCallsChangeNothing) {
  std::string vpc = DefaultVpc();
  authz_.deny_action = "ec2:CreateSecurityGroup";
  Outcome o = Do("CreateSecurityGroup", {{"GroupName", "x"}, {"GroupDescription", "d"}});
  EXPECT_EQ(o.response.status, 403);
  EXPECT_EQ(o.error_code, "UnauthorizedOperation");
  EXPECT_NE(Text(o.response.body, "Message").find("You are not authorized to perform this operation."),
            std::string::npos);
  EXPECT_EQ(Count(kGroupKind), 1u);
  authz_.deny_action = "ec2:DeleteSubnet";
  EXPECT_EQ(Err("DeleteSubnet", {{"SubnetId", DefaultSubnet()}}, 403), "UnauthorizedOperation");
  EXPECT_EQ(Count(kSubnetKind), 3u);
}

TEST_F(Ec2Test, DryRunChecksPermissionOnly) {
  DefaultVpc();
  EXPECT_EQ(Err("CreateVpc", {{"CidrBlock", "10.11.0.0/16"}, {"DryRun", "true"}}, 412), "DryRunOperation");
  EXPECT_EQ(Count(kVpcKind), 1u);
  authz_.deny_action = "ec2:CreateVpc";
  EXPECT_EQ(Err("CreateVpc", {{"CidrBlock", "10.11.0.0/16"}, {"DryRun", "true"}}, 403), "UnauthorizedOperation");
}

// ------------------------------------------------------------------ tags

TEST_F(Ec2Test, Tags) {
  std::string body = Ok("CreateVpc", {{"CidrBlock", "10.12.0.0/16"},
                                      {"TagSpecification.1.ResourceType", "vpc"},
                                      {"TagSpecification.1.Tag.1.Key", "Name"},
                                      {"TagSpecification.1.Tag.1.Value", "lab"}});
  std::string vpc = Text(body, "vpcId");
  EXPECT_EQ(Text(Text(body, "tagSet"), "value"), "lab");
  EXPECT_EQ(All(Ok("DescribeVpcs", {{"Filter.1.Name", "tag:Name"}, {"Filter.1.Value.1", "lab"}}), "vpcId"),
            std::vector<std::string>{vpc});
  std::string subnet = CreateSubnet(vpc, "10.12.0.0/24");
  Ok("CreateTags", {{"ResourceId.1", vpc}, {"ResourceId.2", subnet}, {"Tag.1.Key", "env"}, {"Tag.1.Value", "dev"}});
  std::string tags = Ok("DescribeTags", {{"Filter.1.Name", "key"}, {"Filter.1.Value.1", "env"}});
  std::vector<std::string> ids = All(tags, "resourceId");
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> want{vpc, subnet};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ids, want);
  std::vector<std::string> types = All(tags, "resourceType");
  std::sort(types.begin(), types.end());
  EXPECT_EQ(types, (std::vector<std::string>{"subnet", "vpc"}));
  // A value that does not match keeps the tag; the key alone removes it.
  Ok("DeleteTags", {{"ResourceId.1", vpc}, {"Tag.1.Key", "env"}, {"Tag.1.Value", "prod"}});
  EXPECT_EQ(All(Ok("DescribeTags", {{"Filter.1.Name", "resource-id"}, {"Filter.1.Value.1", vpc}}), "key").size(), 2u);
  Ok("DeleteTags", {{"ResourceId.1", vpc}, {"Tag.1.Key", "env"}});
  EXPECT_EQ(All(Ok("DescribeTags", {{"Filter.1.Name", "resource-id"}, {"Filter.1.Value.1", vpc}}), "key"),
            std::vector<std::string>{"Name"});
  EXPECT_EQ(Err("CreateTags", {{"ResourceId.1", vpc}, {"Tag.1.Key", "aws:x"}, {"Tag.1.Value", "v"}}),
            "InvalidParameterValue");
  EXPECT_EQ(Err("CreateTags", {{"ResourceId.1", "i-123"}, {"Tag.1.Key", "k"}, {"Tag.1.Value", "v"}}), "InvalidID");
  EXPECT_EQ(Err("CreateTags", {{"ResourceId.1", "vpc-0000000000000000a"}, {"Tag.1.Key", "k"}, {"Tag.1.Value", "v"}}),
            "InvalidVpcID.NotFound");
  EXPECT_EQ(Err("CreateVpc", {{"CidrBlock", "10.13.0.0/16"}, {"TagSpecification.1.ResourceType", "subnet"},
                              {"TagSpecification.1.Tag.1.Key", "k"}}),
            "InvalidParameterValue");
}

TEST_F(Ec2Test, HostileInputGetsErrorsNotCrashes) {
  const char* actions[] = {"CreateVpc", "DescribeVpcs", "DeleteVpc", "CreateSubnet", "DescribeSubnets",
                           "DeleteSubnet", "DescribeAvailabilityZones", "CreateSecurityGroup",
                           "DescribeSecurityGroups", "DeleteSecurityGroup",
                           "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
                           "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress",
                           "DescribeSecurityGroupRules", "CreateNetworkAcl", "DescribeNetworkAcls",
                           "DeleteNetworkAcl", "CreateNetworkAclEntry", "ReplaceNetworkAclEntry",
                           "DeleteNetworkAclEntry", "ReplaceNetworkAclAssociation",
                           "CreateNetworkInterface", "DescribeNetworkInterfaces",
                           "DeleteNetworkInterface", "ModifyNetworkInterfaceAttribute", "CreateTags",
                           "DeleteTags", "DescribeTags"};
  std::string sg = CreateGroup(DefaultVpc(), "h");
  std::vector<testing::Params> inputs = {
      {},
      {{"VpcId", ""}, {"SubnetId", "subnet-"}, {"GroupId", "sg-XYZ"}, {"NetworkAclId", "acl"}},
      {{"CidrBlock", "999.0.0.0/16"}, {"RuleNumber", "99999999999999999999"}, {"Egress", ""}},
      {{"GroupId", sg}, {"IpPermissions.2147483647.IpProtocol", "tcp"},
       {"IpPermissions.2147483647.FromPort", "-5"}, {"IpPermissions.2147483647.ToPort", "x"}},
      {{"GroupId", sg}, {"IpPermissions.1.IpProtocol", "tcp"}, {"IpPermissions.1.FromPort", "1"},
       {"IpPermissions.1.ToPort", "1"}, {"IpPermissions.1.IpRanges.1.CidrIp", "::/0"}},
      {{"Filter.1.Value.1", "x"}, {"Filter.0.Name", "vpc-id"}, {"MaxResults", "-1"}},
      {{"Filter.1.Name", "vpc-id"}, {"NextToken", "18446744073709551616"}},
      {{"ResourceId.1", "vpc-"}, {"Tag.1.Key", std::string(200, 'k')}},
      {{"SubnetId", "subnet-0"}, {"PrivateIpAddress", "::1"}, {"SecurityGroupId.1", ""}},
      {{"NetworkInterfaceId", "eni-0"}, {"SecurityGroupId.1", "sg-0"}, {"Attachment.AttachmentId", "a"}},
      {{"TagSpecification.1.ResourceType", "vpc"}, {"TagSpecification.1.Tag.1.Key", ""},
       {"CidrBlock", "10.99.0.0/16"}},
  };
  for (const char* action : actions) {
    for (const auto& input : inputs) {
      Outcome o = Do(action, input);
      if (o.response.status == 200) continue;  // some inputs are valid for some actions
      EXPECT_GE(o.response.status, 400) << action;
      EXPECT_LT(o.response.status, 500) << action << ": " << o.response.body;
      EXPECT_FALSE(o.error_code.empty()) << action;
    }
  }
}

TEST_F(Ec2Test, StateSurvivesANewServiceOnTheSameStore) {
  std::string vpc = DefaultVpc();
  std::string sg = CreateGroup(vpc, "persist");
  Ok("AuthorizeSecurityGroupIngress", {{"GroupId", sg}, {"IpPermissions.1.IpProtocol", "tcp"},
                                       {"IpPermissions.1.FromPort", "2049"}, {"IpPermissions.1.ToPort", "2049"},
                                       {"IpPermissions.1.IpRanges.1.CidrIp", "10.0.0.0/8"}});
  std::string before = Ok("DescribeSecurityGroups", {{"GroupId.1", sg}});
  svc_ = std::make_unique<Ec2Service>(*store_, random_, Ec2Options{});
  EXPECT_EQ(Ok("DescribeSecurityGroups", {{"GroupId.1", sg}}), before);
  EXPECT_EQ(DefaultVpc(), vpc);
}

}  // namespace
}  // namespace elfs::api::ec2
