#!/usr/bin/env python3
"""Parses every response of botocore_samples with botocore's EC2 parser and
the service model, and checks what the AWS CLI / boto3 would see."""
import json
import subprocess
import sys

from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.parsers import create_parser

model = ServiceModel(Loader().load_service_model("ec2", "service-2", "2016-11-15"))
parser = create_parser("ec2")
lines = subprocess.run([sys.argv[1]], capture_output=True, text=True, check=True).stdout

results = {}
for line in lines.splitlines():
    rec = json.loads(line)
    op = model.operation_model(rec["op"])
    parsed = parser.parse(
        {"status_code": rec["status"], "headers": {}, "body": rec["body"].encode()},
        op.output_shape)
    assert parsed["ResponseMetadata"]["RequestId"] == "req-botocore", (rec["op"], parsed)
    results.setdefault(rec["op"], []).append((rec["status"], parsed))


def one(op, index=0):
    status, parsed = results[op][index]
    assert status == 200, (op, parsed)
    return parsed


zones = one("DescribeAvailabilityZones")["AvailabilityZones"]
assert [z["ZoneName"] for z in zones] == ["us-east-1a", "us-east-1b", "us-east-1c"], zones
assert zones[0]["ZoneId"] == "use1-az1" and zones[0]["State"] == "available"

vpc = one("CreateVpc")["Vpc"]
assert vpc["CidrBlock"] == "10.20.0.0/16" and vpc["IsDefault"] is False, vpc
assert vpc["Tags"] == [{"Key": "Name", "Value": "lab"}], vpc
assert vpc["CidrBlockAssociationSet"][0]["CidrBlockState"]["State"] == "associated"
vpcs = one("DescribeVpcs")["Vpcs"]
assert sorted(v["IsDefault"] for v in vpcs) == [False, True], vpcs
assert "127.31.0.0/16" in [v["CidrBlock"] for v in vpcs]

subnet = one("CreateSubnet")["Subnet"]
assert subnet["AvailabilityZone"] == "us-east-1b" and subnet["AvailableIpAddressCount"] == 251
assert subnet["SubnetArn"].endswith(":subnet/" + subnet["SubnetId"])
subnets = one("DescribeSubnets")["Subnets"]
assert [s["SubnetId"] for s in subnets] == [subnet["SubnetId"]]
assert subnets[0]["DefaultForAz"] is False and subnets[0]["MapPublicIpOnLaunch"] is False

group_id = one("CreateSecurityGroup")["GroupId"]
assert group_id.startswith("sg-")
auth = one("AuthorizeSecurityGroupIngress")
assert auth["Return"] is True and len(auth["SecurityGroupRules"]) == 2, auth
rule = [r for r in auth["SecurityGroupRules"] if "CidrIpv4" in r][0]
assert rule["FromPort"] == 2049 and rule["IpProtocol"] == "tcp" and rule["IsEgress"] is False
groups = one("DescribeSecurityGroups")["SecurityGroups"]
perm = groups[0]["IpPermissions"][0]
assert perm["FromPort"] == 2049 and perm["ToPort"] == 2049, perm
assert perm["IpRanges"] == [{"CidrIp": "10.20.0.0/16", "Description": "vpc"}], perm
assert len(perm["UserIdGroupPairs"]) == 1 and perm["UserIdGroupPairs"][0]["GroupId"].startswith("sg-")
egress = groups[0]["IpPermissionsEgress"][0]
assert egress["IpProtocol"] == "-1" and egress["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}], egress
assert "FromPort" not in egress
rules = one("DescribeSecurityGroupRules")["SecurityGroupRules"]
assert len(rules) == 3 and all(r["SecurityGroupRuleId"].startswith("sgr-") for r in rules)
revoked = one("RevokeSecurityGroupIngress")
assert revoked["Return"] is True
assert revoked["UnknownIpPermissions"][0]["IpRanges"] == [{"CidrIp": "10.99.0.0/16"}], revoked

acl = one("CreateNetworkAcl")["NetworkAcl"]
assert acl["IsDefault"] is False
assert [e["RuleNumber"] for e in acl["Entries"]] == [32767, 32767], acl
assert one("CreateNetworkAclEntry") is not None
default_acl = one("DescribeNetworkAcls", 0)["NetworkAcls"][0]
assert default_acl["IsDefault"] is True
assert default_acl["Entries"][0]["RuleAction"] == "allow" and default_acl["Entries"][0]["Egress"] is True
assert one("ReplaceNetworkAclAssociation")["NewAssociationId"].startswith("aclassoc-")
custom = one("DescribeNetworkAcls", 1)["NetworkAcls"][0]
entry = [e for e in custom["Entries"] if e["RuleNumber"] == 100][0]
assert entry["PortRange"] == {"From": 2049, "To": 2049} and entry["Protocol"] == "6", entry
assert entry["Egress"] is False and entry["CidrBlock"] == "10.20.0.0/16"
assert custom["Associations"][0]["SubnetId"] == subnet["SubnetId"], custom

eni = one("CreateNetworkInterface")["NetworkInterface"]
assert eni["PrivateIpAddress"] == "10.20.1.4" and eni["Groups"][0]["GroupId"] == group_id, eni
assert eni["PrivateIpAddresses"][0]["Primary"] is True and eni["InterfaceType"] == "interface"
enis = one("DescribeNetworkInterfaces")["NetworkInterfaces"]
assert [e["NetworkInterfaceId"] for e in enis] == [eni["NetworkInterfaceId"]]
assert enis[0]["RequesterManaged"] is False and enis[0]["Status"] == "available"
tags = one("DescribeTags")["Tags"]
assert tags == [{"Key": "Name", "ResourceId": vpc["VpcId"], "ResourceType": "vpc", "Value": "lab"}], tags

status, parsed = results["DeleteVpc"][0]
assert status == 400 and parsed["Error"]["Code"] == "DependencyViolation", parsed
assert one("DeleteNetworkInterface") is not None
print("botocore parsed %d responses" % sum(len(v) for v in results.values()))
