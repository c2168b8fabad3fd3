// Prints one JSON line per EC2 call of a scenario ({"op", "status", "body"})
// so that botocore_shapes.py can parse every response with botocore's own
// EC2 parser and the 2016-11-15 model, as the AWS CLI and boto3 would.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "ec2_test_util.h"

namespace elfs::api::ec2::testing {
namespace {

class Samples : public Ec2Fixture {
 public:
  void TestBody() override {}
  std::string Emit(const std::string& op, Params params = {}) {
    Outcome o = Do(op, std::move(params));
    nlohmann::json line = {{"op", op}, {"status", o.response.status}, {"body", o.response.body}};
    std::printf("%s\n", line.dump().c_str());
    return o.response.body;
  }
  void Run() {
    ctx_.request_id = "req-botocore";
    Emit("DescribeAvailabilityZones");
    std::string vpc = Text(Emit("CreateVpc", {{"CidrBlock", "10.20.0.0/16"},
                                              {"TagSpecification.1.ResourceType", "vpc"},
                                              {"TagSpecification.1.Tag.1.Key", "Name"},
                                              {"TagSpecification.1.Tag.1.Value", "lab"}}),
                           "vpcId");
    Emit("DescribeVpcs");
    std::string subnet = Text(Emit("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.20.1.0/24"},
                                                    {"AvailabilityZone", "us-east-1b"}}),
                              "subnetId");
    Emit("DescribeSubnets", {{"Filter.1.Name", "vpc-id"}, {"Filter.1.Value.1", vpc}});
    std::string sg = Text(Emit("CreateSecurityGroup", {{"VpcId", vpc}, {"GroupName", "mt"},
                                                       {"GroupDescription", "mount targets"}}),
                          "groupId");
    std::string def = GroupId(vpc, "default");
    Emit("AuthorizeSecurityGroupIngress", {{"GroupId", sg},
                                           {"IpPermissions.1.IpProtocol", "tcp"},
                                           {"IpPermissions.1.FromPort", "2049"},
                                           {"IpPermissions.1.ToPort", "2049"},
                                           {"IpPermissions.1.IpRanges.1.CidrIp", "10.20.0.0/16"},
                                           {"IpPermissions.1.IpRanges.1.Description", "vpc"},
                                           {"IpPermissions.1.Groups.1.GroupId", def}});
    Emit("DescribeSecurityGroups", {{"GroupId.1", sg}});
    Emit("DescribeSecurityGroupRules", {{"Filter.1.Name", "group-id"}, {"Filter.1.Value.1", sg}});
    Emit("RevokeSecurityGroupIngress", {{"GroupId", sg},
                                        {"IpPermissions.1.IpProtocol", "tcp"},
                                        {"IpPermissions.1.FromPort", "2049"},
                                        {"IpPermissions.1.ToPort", "2049"},
                                        {"IpPermissions.1.IpRanges.1.CidrIp", "10.20.0.0/16"},
                                        {"IpPermissions.1.IpRanges.2.CidrIp", "10.99.0.0/16"}});
    std::string acl = Text(Emit("CreateNetworkAcl", {{"VpcId", vpc}}), "networkAclId");
    Emit("CreateNetworkAclEntry", {{"NetworkAclId", acl}, {"RuleNumber", "100"}, {"Protocol", "6"},
                                   {"RuleAction", "allow"}, {"Egress", "false"},
                                   {"CidrBlock", "10.20.0.0/16"}, {"PortRange.From", "2049"},
                                   {"PortRange.To", "2049"}});
    std::string acls = Emit("DescribeNetworkAcls", {{"Filter.1.Name", "association.subnet-id"},
                                                    {"Filter.1.Value.1", subnet}});
    Emit("ReplaceNetworkAclAssociation", {{"AssociationId", Text(acls, "networkAclAssociationId")},
                                          {"NetworkAclId", acl}});
    Emit("DescribeNetworkAcls", {{"NetworkAclId.1", acl}});
    std::string eni = Text(Emit("CreateNetworkInterface", {{"SubnetId", subnet},
                                                           {"SecurityGroupId.1", sg},
                                                           {"Description", "client"}}),
                           "networkInterfaceId");
    Emit("DescribeNetworkInterfaces", {{"Filter.1.Name", "addresses.private-ip-address"},
                                       {"Filter.1.Value.1", "10.20.1.4"}});
    Emit("ModifyNetworkInterfaceAttribute", {{"NetworkInterfaceId", eni}, {"SecurityGroupId.1", def}});
    Emit("DescribeTags");
    Emit("DeleteVpc", {{"VpcId", vpc}});
    Emit("DeleteNetworkInterface", {{"NetworkInterfaceId", eni}});
  }
};

}  // namespace
}  // namespace elfs::api::ec2::testing

int main() {
  elfs::api::ec2::testing::Samples samples;
  samples.Run();
  return 0;
}
