#!/usr/bin/python3
"""End-to-end: the real AWS CLI and boto3 against a running elfsd.

Usage: api_suite.py ELFSD_BINARY [unittest args]
Everything is set up through the API, as a user would; NFS listeners of
mount targets are checked with an RPC NULL call and a real libnfs client.
"""
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore.exceptions import ClientError

from elfsd_harness import REGION, Elfsd, nfs_null_ok

ELFSD = None


def error_code(ctx):
    return ctx.exception.response["Error"]["Code"]


class ApiTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Elfsd(ELFSD)
        cls.server.start()
        cls.efs = cls.server.client("efs")
        cls.iam = cls.server.client("iam")
        cls.sts = cls.server.client("sts")
        cls.ec2 = cls.server.client("ec2")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def new_fs(self, token, **kw):
        fs = self.efs.create_file_system(CreationToken=token, **kw)
        self.addCleanup(self.delete_fs_quietly, fs["FileSystemId"])
        return fs

    def delete_fs_quietly(self, fs_id):
        try:
            for mt in self.efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]:
                self.efs.delete_mount_target(MountTargetId=mt["MountTargetId"])
            for ap in self.efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]:
                self.efs.delete_access_point(AccessPointId=ap["AccessPointId"])
            self.efs.delete_file_system(FileSystemId=fs_id)
        except ClientError:
            pass

    def allow_this_host(self, vpc_id, ec2=None):
        ec2 = ec2 or self.ec2
        sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]},
                                                   {"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"][0]
        ec2.authorize_security_group_ingress(GroupId=sg["GroupId"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "IpRanges": [{"CidrIp": "127.0.0.1/32"}]}])

    def default_subnets(self):
        subnets = self.ec2.describe_subnets()["Subnets"]
        self.assertGreaterEqual(len(subnets), 3)
        return sorted(subnets, key=lambda s: s["AvailabilityZone"])

    def user_with_key(self, name, policy=None):
        self.iam.create_user(UserName=name)
        if policy is not None:
            self.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]


class FileSystems(ApiTestCase):
    def test_lifecycle_and_idempotency(self):
        fs = self.new_fs("lifecycle-1", Tags=[{"Key": "Name", "Value": "first"}, {"Key": "team", "Value": "a"}])
        fs_id = fs["FileSystemId"]
        self.assertRegex(fs_id, r"^fs-[0-9a-f]{17}$")
        self.assertEqual(fs["Name"], "first")
        self.assertEqual(fs["FileSystemArn"],
                         f"arn:aws:elasticfilesystem:{REGION}:{fs['OwnerId']}:file-system/{fs_id}")
        again = self.efs.create_file_system(CreationToken="lifecycle-1",
                                            Tags=[{"Key": "Name", "Value": "first"}, {"Key": "team", "Value": "a"}])
        self.assertEqual(again["FileSystemId"], fs_id)
        with self.assertRaises(ClientError) as ctx:
            self.efs.create_file_system(CreationToken="lifecycle-1", PerformanceMode="maxIO")
        self.assertEqual(error_code(ctx), "FileSystemAlreadyExists")
        by_token = self.efs.describe_file_systems(CreationToken="lifecycle-1")["FileSystems"]
        self.assertEqual([f["FileSystemId"] for f in by_token], [fs_id])
        described = self.efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]
        self.assertEqual(described["LifeCycleState"], "available")
        self.assertIn("Value", described["SizeInBytes"])
        updated = self.efs.update_file_system(FileSystemId=fs_id, ThroughputMode="elastic")
        self.assertEqual(updated["ThroughputMode"], "elastic")
        self.efs.delete_file_system(FileSystemId=fs_id)
        with self.assertRaises(ClientError) as ctx:
            self.efs.describe_file_systems(FileSystemId=fs_id)
        self.assertEqual(error_code(ctx), "FileSystemNotFound")
        self.assertFalse(os.path.exists(os.path.join(self.server.data_dir, "fs", fs_id)))

    def test_bad_ids_and_inputs(self):
        for bad in ["fs-xyz", "fs-0123", "x" * 200]:
            with self.assertRaises(ClientError) as ctx:
                self.efs.describe_file_systems(FileSystemId=bad)
            self.assertIn(error_code(ctx), ("BadRequest", "ValidationException", "FileSystemNotFound"))
        with self.assertRaises(ClientError) as ctx:
            self.efs.describe_file_systems(FileSystemId="fs-00000000000000000")
        self.assertEqual(error_code(ctx), "FileSystemNotFound")
        with self.assertRaises(ClientError) as ctx:
            self.efs.create_file_system(CreationToken="t-bad", ThroughputMode="provisioned")
        self.assertEqual(error_code(ctx), "BadRequest")

    def test_pagination(self):
        ids = {self.new_fs(f"page-{i}")["FileSystemId"] for i in range(5)}
        seen, marker, pages = set(), None, 0
        while True:
            kw = {"MaxItems": 2}
            if marker:
                kw["Marker"] = marker
            page = self.efs.describe_file_systems(**kw)
            self.assertLessEqual(len(page["FileSystems"]), 2)
            seen |= {f["FileSystemId"] for f in page["FileSystems"]}
            pages += 1
            marker = page.get("NextMarker")
            if not marker:
                break
        self.assertTrue(ids <= seen)
        self.assertGreaterEqual(pages, 3)
        # The paginator the CLI uses walks the same pages.
        listed = set()
        for page in self.efs.get_paginator("describe_file_systems").paginate(PaginationConfig={"PageSize": 2}):
            listed |= {f["FileSystemId"] for f in page["FileSystems"]}
        self.assertEqual(listed, seen)

    def test_size_is_metered(self):
        fs_id = self.new_fs("metered")["FileSystemId"]
        before = self.efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["SizeInBytes"]["Value"]
        with open(os.path.join(self.server.data_dir, "fs", fs_id, "blob"), "wb") as f:
            f.write(os.urandom(3 << 20))
        deadline = time.time() + 15
        while time.time() < deadline:
            after = self.efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["SizeInBytes"]["Value"]
            if after >= before + (3 << 20):
                break
            time.sleep(1)
        self.assertGreaterEqual(after, before + (3 << 20))


class MountTargets(ApiTestCase):
    def test_listener_follows_the_mount_target(self):
        fs_id = self.new_fs("mt-1")["FileSystemId"]
        subnets = self.default_subnets()
        mt = self.efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnets[0]["SubnetId"])
        ip = mt["IpAddress"]
        self.assertTrue(ip.startswith("127."))
        self.assertEqual(mt["AvailabilityZoneName"], subnets[0]["AvailabilityZone"])
        # This host's clients connect from 127.0.0.1, outside every VPC: the
        # default security group admits only its members (docs/network.md).
        self.allow_this_host(mt["VpcId"])
        self.assertTrue(nfs_null_ok(ip, self.server.nfs_port), "no NFS at the mount target")
        # A real client: libnfs lists and writes through the mount target.
        url = f"nfs://{ip}/?version=4&nfsport={self.server.nfs_port}"
        with open(os.path.join(self.server.data_dir, "fs", fs_id, "hello"), "w") as f:
            f.write("hi")
        ls = subprocess.run(["nfs-ls", url], capture_output=True, text=True, timeout=30)
        self.assertIn("hello", ls.stdout, ls.stderr)

        with self.assertRaises(ClientError) as ctx:
            self.efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnets[0]["SubnetId"])
        self.assertEqual(error_code(ctx), "MountTargetConflict")
        with self.assertRaises(ClientError) as ctx:
            self.efs.delete_file_system(FileSystemId=fs_id)
        self.assertEqual(error_code(ctx), "FileSystemInUse")

        groups = self.efs.describe_mount_target_security_groups(MountTargetId=mt["MountTargetId"])["SecurityGroups"]
        default_sg = self.ec2.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": ["default"]},
                     {"Name": "vpc-id", "Values": [mt["VpcId"]]}])["SecurityGroups"][0]["GroupId"]
        self.assertEqual(groups, [default_sg])
        sg = self.ec2.create_security_group(GroupName="mt-sg", Description="d", VpcId=mt["VpcId"])["GroupId"]
        self.efs.modify_mount_target_security_groups(MountTargetId=mt["MountTargetId"], SecurityGroups=[sg])
        self.assertEqual(self.efs.describe_mount_target_security_groups(
            MountTargetId=mt["MountTargetId"])["SecurityGroups"], [sg])
        with self.assertRaises(ClientError) as ctx:
            self.efs.modify_mount_target_security_groups(MountTargetId=mt["MountTargetId"],
                                                         SecurityGroups=["sg-00000000000000000"])
        self.assertEqual(error_code(ctx), "SecurityGroupNotFound")

        second = self.efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnets[1]["SubnetId"],
                                              IpAddress=subnets[1]["CidrBlock"].split("/")[0][:-1] + "9")
        self.assertTrue(nfs_null_ok(second["IpAddress"], self.server.nfs_port))
        listed = self.efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]
        self.assertEqual(len(listed), 2)
        self.efs.delete_mount_target(MountTargetId=mt["MountTargetId"])
        self.assertFalse(nfs_null_ok(ip, self.server.nfs_port), "listener still up after delete")
        self.assertTrue(nfs_null_ok(second["IpAddress"], self.server.nfs_port))
        self.efs.delete_mount_target(MountTargetId=second["MountTargetId"])
        self.ec2.delete_security_group(GroupId=sg)

    def test_explain_answers_layer_by_layer(self):
        fs = self.new_fs("explain-1")
        subnet = self.default_subnets()[2]
        mt = self.efs.create_mount_target(FileSystemId=fs["FileSystemId"], SubnetId=subnet["SubnetId"])

        def explain(*args):
            p = subprocess.run([ELFSD, "--data-dir", self.server.data_dir, "explain",
                                "--mount-target", mt["MountTargetId"]] + list(args),
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
            return json.loads(p.stdout)

        # Outside every VPC: the network layer refuses, naming the groups.
        j = explain("--source-ip", "10.1.2.3")
        self.assertFalse(j["network"]["allowed"])
        self.assertEqual(j["answer"], {"mount": False, "write": False, "write_as_root": False})
        # A member of the default group, no file system policy: everything.
        eni = self.ec2.create_network_interface(SubnetId=subnet["SubnetId"])["NetworkInterface"]
        j = explain("--source-ip", eni["PrivateIpAddress"])
        self.assertTrue(j["network"]["allowed"], j["network"])
        self.assertEqual(j["answer"], {"mount": True, "write": True, "write_as_root": True})
        # A mount-only policy: read-only, and the statement that allowed is named.
        self.efs.put_file_system_policy(FileSystemId=fs["FileSystemId"], Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Sid": "MountOnly", "Effect": "Allow",
                                                    "Principal": {"AWS": "*"},
                                                    "Action": "elasticfilesystem:ClientMount",
                                                    "Resource": fs["FileSystemArn"]}]}))
        j = explain("--source-ip", eni["PrivateIpAddress"])
        self.assertEqual(j["answer"], {"mount": True, "write": False, "write_as_root": False})
        self.assertEqual(j["client"]["actions"]["ClientMount"]["matched"][0]["sid"], "MountOnly")
        self.ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])

    def test_errors(self):
        fs_id = self.new_fs("mt-errors")["FileSystemId"]
        with self.assertRaises(ClientError) as ctx:
            self.efs.create_mount_target(FileSystemId=fs_id, SubnetId="subnet-00000000000000000")
        self.assertEqual(error_code(ctx), "SubnetNotFound")
        subnet = self.default_subnets()[0]
        with self.assertRaises(ClientError) as ctx:
            self.efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnet["SubnetId"], IpAddress="10.9.9.9")
        self.assertEqual(error_code(ctx), "BadRequest")
        with self.assertRaises(ClientError) as ctx:
            self.efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnet["SubnetId"],
                                         SecurityGroups=[f"sg-{i:017x}" for i in range(6)])
        self.assertEqual(error_code(ctx), "SecurityGroupLimitExceeded")
        self.assertEqual(self.efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"], [])


class AccessPointsPoliciesTags(ApiTestCase):
    def test_access_points(self):
        fs_id = self.new_fs("ap-1")["FileSystemId"]
        ap = self.efs.create_access_point(
            ClientToken="ap-token-1", FileSystemId=fs_id,
            PosixUser={"Uid": 1000, "Gid": 1000, "SecondaryGids": [5, 6]},
            RootDirectory={"Path": "/app", "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "755"}},
            Tags=[{"Key": "Name", "Value": "app"}])
        self.assertRegex(ap["AccessPointId"], r"^fsap-[0-9a-f]{17}$")
        self.assertEqual(ap["RootDirectory"]["Path"], "/app")
        same = self.efs.create_access_point(
            ClientToken="ap-token-1", FileSystemId=fs_id,
            PosixUser={"Uid": 1000, "Gid": 1000, "SecondaryGids": [5, 6]},
            RootDirectory={"Path": "/app", "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "755"}},
            Tags=[{"Key": "Name", "Value": "app"}])
        self.assertEqual(same["AccessPointId"], ap["AccessPointId"])
        with self.assertRaises(ClientError) as ctx:
            self.efs.create_access_point(FileSystemId=fs_id, RootDirectory={
                "Path": "/x", "CreationInfo": {"OwnerUid": 1, "OwnerGid": 1, "Permissions": "999"}})
        self.assertEqual(error_code(ctx), "ValidationException")
        listed = self.efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]
        self.assertEqual([a["AccessPointId"] for a in listed], [ap["AccessPointId"]])
        self.efs.delete_access_point(AccessPointId=ap["AccessPointId"])
        with self.assertRaises(ClientError) as ctx:
            self.efs.describe_access_points(AccessPointId=ap["AccessPointId"])
        self.assertEqual(error_code(ctx), "AccessPointNotFound")

    def test_file_system_policy(self):
        fs = self.new_fs("policy-1")
        fs_id, arn = fs["FileSystemId"], fs["FileSystemArn"]
        with self.assertRaises(ClientError) as ctx:
            self.efs.describe_file_system_policy(FileSystemId=fs_id)
        self.assertEqual(error_code(ctx), "PolicyNotFound")
        with self.assertRaises(ClientError) as ctx:
            self.efs.put_file_system_policy(FileSystemId=fs_id, Policy='{"Statement": [{"Effect": "Maybe"}]}')
        self.assertEqual(error_code(ctx), "InvalidPolicyException")
        read_only = {"Version": "2012-10-17", "Statement": [{
            "Sid": "ReadOnly", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["elasticfilesystem:ClientMount"], "Resource": arn}]}
        # Root of the account keeps full access, so no lockout here.
        self.efs.put_file_system_policy(FileSystemId=fs_id, Policy=json.dumps(read_only))
        got = json.loads(self.efs.describe_file_system_policy(FileSystemId=fs_id)["Policy"])
        self.assertEqual(got["Statement"][0]["Sid"], "ReadOnly")
        self.efs.delete_file_system_policy(FileSystemId=fs_id)
        with self.assertRaises(ClientError) as ctx:
            self.efs.describe_file_system_policy(FileSystemId=fs_id)
        self.assertEqual(error_code(ctx), "PolicyNotFound")

    def test_lockout_check(self):
        fs = self.new_fs("lockout-1")
        deny_all = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:*", "Resource": fs["FileSystemArn"]}]}
        with self.assertRaises(ClientError) as ctx:
            self.efs.put_file_system_policy(FileSystemId=fs["FileSystemId"], Policy=json.dumps(deny_all))
        self.assertEqual(error_code(ctx), "InvalidPolicyException")
        self.efs.put_file_system_policy(FileSystemId=fs["FileSystemId"], Policy=json.dumps(deny_all),
                                        BypassPolicyLockoutSafetyCheck=True)
        # Now even the account root is locked out of this file system.
        with self.assertRaises(ClientError) as ctx:
            self.efs.delete_file_system_policy(FileSystemId=fs["FileSystemId"])
        self.assertIn(error_code(ctx), ("AccessDeniedException", "AccessDenied"))

    def test_tags(self):
        fs = self.new_fs("tags-1")
        fs_id = fs["FileSystemId"]
        self.efs.tag_resource(ResourceId=fs_id, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        tags = self.efs.list_tags_for_resource(ResourceId=fs_id)["Tags"]
        self.assertEqual({t["Key"]: t["Value"] for t in tags}, {"a": "1", "b": "2"})
        self.efs.untag_resource(ResourceId=fs_id, TagKeys=["a", "b"])
        self.assertEqual(self.efs.list_tags_for_resource(ResourceId=fs_id)["Tags"], [])
        self.efs.create_tags(FileSystemId=fs_id, Tags=[{"Key": "old", "Value": "api"}])
        self.assertEqual(self.efs.describe_tags(FileSystemId=fs_id)["Tags"], [{"Key": "old", "Value": "api"}])
        self.efs.delete_tags(FileSystemId=fs_id, TagKeys=["old"])
        self.assertEqual(self.efs.describe_tags(FileSystemId=fs_id)["Tags"], [])
        # An ARN in the path: signed double-encoded, as botocore sends it.
        self.efs.tag_resource(ResourceId=fs["FileSystemArn"], Tags=[{"Key": "arn", "Value": "yes"}])
        self.assertEqual(self.efs.list_tags_for_resource(ResourceId=fs["FileSystemArn"])["Tags"],
                         [{"Key": "arn", "Value": "yes"}])

    def test_settings(self):
        fs_id = self.new_fs("settings-1")["FileSystemId"]
        self.efs.put_lifecycle_configuration(FileSystemId=fs_id, LifecyclePolicies=[{"TransitionToIA": "AFTER_30_DAYS"}])
        self.assertEqual(self.efs.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"],
                         [{"TransitionToIA": "AFTER_30_DAYS"}])
        self.efs.put_backup_policy(FileSystemId=fs_id, BackupPolicy={"Status": "ENABLED"})
        self.assertIn(self.efs.describe_backup_policy(FileSystemId=fs_id)["BackupPolicy"]["Status"],
                      ("ENABLED", "ENABLING"))
        self.efs.put_account_preferences(ResourceIdType="LONG_ID")
        self.assertEqual(self.efs.describe_account_preferences()["ResourceIdPreference"]["ResourceIdType"], "LONG_ID")


class IamAndSts(ApiTestCase):
    def test_users_keys_and_permissions(self):
        key, secret = self.user_with_key("alice")
        alice_efs = self.server.client("efs", key, secret)
        with self.assertRaises(ClientError) as ctx:
            alice_efs.describe_file_systems()
        self.assertIn(error_code(ctx), ("AccessDeniedException", "AccessDenied"))
        self.assertIn("user/alice", ctx.exception.response["Error"]["Message"])
        self.iam.put_user_policy(UserName="alice", PolicyName="describe", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "elasticfilesystem:Describe*", "Resource": "*"}]}))
        alice_efs.describe_file_systems()
        who = self.server.client("sts", key, secret).get_caller_identity()
        self.assertTrue(who["Arn"].endswith(":user/alice"))
        keys = self.iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
        self.assertEqual([k["AccessKeyId"] for k in keys], [key])
        self.assertNotIn(secret, json.dumps(keys, default=str))
        self.iam.update_access_key(UserName="alice", AccessKeyId=key, Status="Inactive")
        with self.assertRaises(ClientError) as ctx:
            alice_efs.describe_file_systems()
        self.assertEqual(error_code(ctx), "UnrecognizedClientException")
        with self.assertRaises(ClientError) as ctx:
            self.iam.delete_user(UserName="alice")
        self.assertEqual(error_code(ctx), "DeleteConflict")
        self.iam.delete_access_key(UserName="alice", AccessKeyId=key)
        self.iam.delete_user_policy(UserName="alice", PolicyName="describe")
        self.iam.delete_user(UserName="alice")
        with self.assertRaises(ClientError) as ctx:
            self.iam.get_user(UserName="alice")
        self.assertEqual(error_code(ctx), "NoSuchEntity")

    def test_groups_and_managed_policies(self):
        key, secret = self.user_with_key("gina")
        self.iam.create_group(GroupName="readers")
        self.iam.add_user_to_group(GroupName="readers", UserName="gina")
        arn = self.iam.create_policy(PolicyName="EfsRead", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "elasticfilesystem:DescribeFileSystems", "Resource": "*"}]}))["Policy"]["Arn"]
        self.iam.attach_group_policy(GroupName="readers", PolicyArn=arn)
        self.server.client("efs", key, secret).describe_file_systems()
        self.iam.create_policy_version(PolicyArn=arn, SetAsDefault=True, PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "elasticfilesystem:*", "Resource": "*"}]}))
        with self.assertRaises(ClientError):
            self.server.client("efs", key, secret).describe_file_systems()
        versions = self.iam.list_policy_versions(PolicyArn=arn)["Versions"]
        self.assertEqual(len(versions), 2)
        with self.assertRaises(ClientError) as ctx:
            self.iam.delete_policy(PolicyArn=arn)
        self.assertEqual(error_code(ctx), "DeleteConflict")

    def test_assume_role(self):
        key, secret = self.user_with_key("rob", policy={
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
        account = self.sts.get_caller_identity()["Account"]
        role = self.iam.create_role(RoleName="efs-admin", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"AWS": f"arn:aws:iam::{account}:user/rob"}}]}))["Role"]
        self.iam.put_role_policy(RoleName="efs-admin", PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "elasticfilesystem:*", "Resource": "*"}]}))
        creds = self.server.client("sts", key, secret).assume_role(
            RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=900)["Credentials"]
        self.assertTrue(creds["AccessKeyId"].startswith("ASIA"))
        session_sts = self.server.client("sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        self.assertEqual(session_sts.get_caller_identity()["Arn"],
                         f"arn:aws:sts::{account}:assumed-role/efs-admin/s1")
        session_efs = self.server.client("efs", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        session_efs.describe_file_systems()
        # Without the session token the temporary key is refused.
        with self.assertRaises(ClientError):
            self.server.client("efs", creds["AccessKeyId"], creds["SecretAccessKey"]).describe_file_systems()
        # The trust policy names rob only.
        other_key, other_secret = self.user_with_key("mallory", policy={
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
        with self.assertRaises(ClientError) as ctx:
            self.server.client("sts", other_key, other_secret).assume_role(RoleArn=role["Arn"], RoleSessionName="xx")
        self.assertEqual(error_code(ctx), "AccessDenied")

    def test_simulate_principal_policy(self):
        self.iam.create_user(UserName="sim")
        self.iam.put_user_policy(UserName="sim", PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Sid": "Mount", "Effect": "Allow",
                                                    "Action": "elasticfilesystem:ClientMount", "Resource": "*"}]}))
        arn = self.iam.get_user(UserName="sim")["User"]["Arn"]
        results = self.iam.simulate_principal_policy(
            PolicySourceArn=arn, ActionNames=["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"])["EvaluationResults"]
        decisions = {r["EvalActionName"]: r["EvalDecision"] for r in results}
        self.assertEqual(decisions, {"elasticfilesystem:ClientMount": "allowed",
                                     "elasticfilesystem:ClientWrite": "implicitDeny"})
        mount = [r for r in results if r["EvalActionName"] == "elasticfilesystem:ClientMount"][0]
        self.assertEqual(mount["MatchedStatements"][0]["SourcePolicyId"], "p")


class ResourceLevelPolicies(ApiTestCase):
    def test_seed_002_one_file_system_only(self):
        """A user may describe every file system but change the security groups of only one."""
        fs_a = self.new_fs("seed-a")
        fs_b = self.new_fs("seed-b")
        subnet = self.default_subnets()[0]["SubnetId"]
        mt_a = self.efs.create_mount_target(FileSystemId=fs_a["FileSystemId"], SubnetId=subnet)
        mt_b = self.efs.create_mount_target(FileSystemId=fs_b["FileSystemId"], SubnetId=subnet)
        key, secret = self.user_with_key("sgadmin", policy={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["elasticfilesystem:Describe*"], "Resource": "*"},
            {"Effect": "Allow", "Action": "elasticfilesystem:ModifyMountTargetSecurityGroups",
             "Resource": fs_a["FileSystemArn"]}]})
        efs = self.server.client("efs", key, secret)
        self.assertGreaterEqual(len(efs.describe_file_systems()["FileSystems"]), 2)
        sg = self.ec2.create_security_group(GroupName="seed-sg", Description="d", VpcId=mt_a["VpcId"])["GroupId"]
        efs.modify_mount_target_security_groups(MountTargetId=mt_a["MountTargetId"], SecurityGroups=[sg])
        with self.assertRaises(ClientError) as ctx:
            efs.modify_mount_target_security_groups(MountTargetId=mt_b["MountTargetId"], SecurityGroups=[sg])
        self.assertIn(error_code(ctx), ("AccessDeniedException", "AccessDenied"))
        # Nothing changed on fs-B.
        self.assertNotIn(sg, self.efs.describe_mount_target_security_groups(MountTargetId=mt_b["MountTargetId"])["SecurityGroups"])

    def test_tag_conditions(self):
        fs_team = self.new_fs("tag-team", Tags=[{"Key": "team", "Value": "blue"}])
        fs_other = self.new_fs("tag-other", Tags=[{"Key": "team", "Value": "red"}])
        key, secret = self.user_with_key("blue", policy={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "elasticfilesystem:DescribeFileSystems", "Resource": "*"},
            {"Effect": "Allow", "Action": "elasticfilesystem:UpdateFileSystem", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}}]})
        efs = self.server.client("efs", key, secret)
        efs.update_file_system(FileSystemId=fs_team["FileSystemId"], ThroughputMode="elastic")
        with self.assertRaises(ClientError):
            efs.update_file_system(FileSystemId=fs_other["FileSystemId"], ThroughputMode="elastic")


class Ec2Network(ApiTestCase):
    def test_default_vpc_and_security_groups(self):
        vpcs = self.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        self.assertEqual(len(vpcs), 1)
        vpc = vpcs[0]["VpcId"]
        sg = self.ec2.create_security_group(GroupName="nfs-clients", Description="clients", VpcId=vpc)["GroupId"]
        self.ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "IpRanges": [{"CidrIp": "127.31.0.0/20"}]}])
        with self.assertRaises(ClientError) as ctx:
            self.ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
                "IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "IpRanges": [{"CidrIp": "127.31.0.0/20"}]}])
        self.assertEqual(error_code(ctx), "InvalidPermission.Duplicate")
        got = self.ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]
        self.assertEqual(got["IpPermissions"][0]["FromPort"], 2049)
        self.ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "IpRanges": [{"CidrIp": "127.31.0.0/20"}]}])
        self.assertEqual(self.ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissions"], [])
        self.ec2.delete_security_group(GroupId=sg)
        with self.assertRaises(ClientError) as ctx:
            self.ec2.describe_security_groups(GroupIds=[sg])
        self.assertEqual(error_code(ctx), "InvalidGroup.NotFound")

    def test_vpc_subnet_nacl_eni(self):
        vpc = self.ec2.create_vpc(CidrBlock="127.40.0.0/16")["Vpc"]["VpcId"]
        subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="127.40.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
        with self.assertRaises(ClientError) as ctx:
            self.ec2.create_subnet(VpcId=vpc, CidrBlock="127.40.1.128/25", AvailabilityZone=f"{REGION}a")
        self.assertEqual(error_code(ctx), "InvalidSubnet.Conflict")
        acl = self.ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        self.ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="deny",
                                          Egress=False, CidrBlock="127.40.1.5/32", PortRange={"From": 2049, "To": 2049})
        self.ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=200, Protocol="-1", RuleAction="allow",
                                          Egress=False, CidrBlock="0.0.0.0/0")
        with self.assertRaises(ClientError) as ctx:
            self.ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=200, Protocol="-1", RuleAction="allow",
                                              Egress=False, CidrBlock="0.0.0.0/0")
        self.assertEqual(error_code(ctx), "NetworkAclEntryAlreadyExists")
        entries = self.ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Entries"]
        self.assertIn(100, [e["RuleNumber"] for e in entries])
        assoc = [a for a in self.ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"][0]["Associations"]
                 if a["SubnetId"] == subnet][0]["NetworkAclAssociationId"]
        self.ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)
        eni = self.ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="127.40.1.5", Description="client")["NetworkInterface"]
        self.assertEqual(eni["PrivateIpAddress"], "127.40.1.5")
        with self.assertRaises(ClientError) as ctx:
            self.ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="127.40.1.5")
        self.assertEqual(error_code(ctx), "InvalidIPAddress.InUse")
        found = self.ec2.describe_network_interfaces(
            Filters=[{"Name": "addresses.private-ip-address", "Values": ["127.40.1.5"]}])["NetworkInterfaces"]
        self.assertEqual([e["NetworkInterfaceId"] for e in found], [eni["NetworkInterfaceId"]])
        with self.assertRaises(ClientError) as ctx:
            self.ec2.delete_subnet(SubnetId=subnet)
        self.assertEqual(error_code(ctx), "DependencyViolation")
        self.ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])


class Authentication(ApiTestCase):
    def raw(self, service, method, path, body=b"", headers=None, key=None, secret=None,
            when=None, tamper=None):
        """A request signed by botocore itself, optionally at another time or tampered after signing."""
        if key is None:
            key, secret = self.server.root_credentials()
        url = self.server.endpoint + path
        req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=headers or {})
        signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), service, REGION)
        if when is None:
            signer.add_auth(req)
        else:
            with mock.patch("botocore.auth.datetime") as dt:
                dt.datetime.utcnow.return_value = when
                signer.add_auth(req)
        prepared = req.prepare()
        data = prepared.body if isinstance(prepared.body, bytes) else (prepared.body or "").encode()
        if tamper:
            data = tamper(data)
        r = urllib.request.Request(prepared.url, data=data if method != "GET" else None,
                                   headers=dict(prepared.headers), method=method)
        try:
            with urllib.request.urlopen(r, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def create_fs_raw(self, token, **kw):
        body = json.dumps({"CreationToken": token}).encode()
        return self.raw("elasticfilesystem", "POST", "/2015-02-01/file-systems", body,
                        {"Content-Type": "application/json"}, **kw)

    def assert_not_created(self, token):
        self.assertEqual(self.efs.describe_file_systems(CreationToken=token)["FileSystems"], [])

    def test_good_signature_works(self):
        status, headers, body = self.create_fs_raw("auth-good")
        self.assertEqual(status, 201, body)
        self.delete_fs_quietly(json.loads(body)["FileSystemId"])

    def test_wrong_secret(self):
        key, _ = self.server.root_credentials()
        status, headers, _ = self.create_fs_raw("auth-wrong", key=key, secret="x" * 40)
        self.assertEqual((status, headers.get("x-amzn-ErrorType")), (403, "InvalidSignatureException"))
        self.assert_not_created("auth-wrong")

    def test_unknown_key(self):
        status, headers, _ = self.create_fs_raw("auth-unknown", key="AKIAAAAAAAAAAAAAAAAA", secret="x" * 40)
        self.assertEqual((status, headers.get("x-amzn-ErrorType")), (403, "UnrecognizedClientException"))
        self.assert_not_created("auth-unknown")

    def test_expired_signature(self):
        old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
        status, headers, body = self.create_fs_raw("auth-old", when=old)
        self.assertEqual(status, 403, body)
        self.assertEqual(headers.get("x-amzn-ErrorType"), "InvalidSignatureException")
        self.assert_not_created("auth-old")

    def test_tampered_body(self):
        status, headers, _ = self.create_fs_raw("auth-tamper", tamper=lambda b: b.replace(b"auth-tamper", b"auth-tampex"))
        self.assertEqual(status, 403)
        self.assert_not_created("auth-tamper")
        self.assert_not_created("auth-tampex")

    def test_query_api_errors_are_xml(self):
        body = b"Action=CreateUser&Version=2010-05-08&UserName=eve"
        key, _ = self.server.root_credentials()
        status, headers, data = self.raw("iam", "POST", "/", body,
                                         {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                                         key=key, secret="y" * 40)
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", data)
        with self.assertRaises(ClientError):
            self.iam.get_user(UserName="eve")

    def test_no_sign_request(self):
        code, out, err = self.server.cli("efs", "describe-file-systems", "--no-sign-request", check=False)
        self.assertNotEqual(code, 0)
        self.assertIn("MissingAuthenticationToken", err)

    def test_audit_log_records_allow_and_deny(self):
        status, _, body = self.create_fs_raw("audit-allow")
        self.assertEqual(status, 201)
        self.delete_fs_quietly(json.loads(body)["FileSystemId"])
        self.create_fs_raw("audit-deny", key="AKIAAAAAAAAAAAAAAAAB", secret="z" * 40)
        lines = self.server.audit_lines()
        denied = [l for l in lines if l.get("errorCode") == "UnrecognizedClientException"]
        self.assertTrue(denied)
        self.assertEqual(denied[-1]["decision"], "deny")
        allowed = [l for l in lines if l.get("eventName") == "CreateFileSystem" and l["decision"] == "allow"]
        self.assertTrue(allowed)
        self.assertTrue(allowed[-1]["principal"].endswith(":root"))
        raw = open(os.path.join(self.server.data_dir, "logs", "audit.jsonl")).read()
        self.assertNotIn(self.server.root_credentials()[1], raw)


class Cli(ApiTestCase):
    def test_aws_cli_end_to_end(self):
        _, out, _ = self.server.cli("efs", "create-file-system", "--creation-token", "cli-1",
                                    "--tags", "Key=Name,Value=from-cli")
        fs = json.loads(out)
        self.addCleanup(self.delete_fs_quietly, fs["FileSystemId"])
        _, out, _ = self.server.cli("efs", "describe-file-systems", "--file-system-id", fs["FileSystemId"])
        self.assertEqual(json.loads(out)["FileSystems"][0]["Name"], "from-cli")
        _, out, _ = self.server.cli("iam", "create-user", "--user-name", "cli-user")
        self.assertEqual(json.loads(out)["User"]["UserName"], "cli-user")
        _, out, _ = self.server.cli("sts", "get-caller-identity")
        self.assertTrue(json.loads(out)["Arn"].endswith(":root"))
        _, out, _ = self.server.cli("ec2", "describe-subnets")
        self.assertGreaterEqual(len(json.loads(out)["Subnets"]), 3)
        # The policy simulator through the CLI, as an administrator would ask it.
        self.server.cli("iam", "put-user-policy", "--user-name", "cli-user", "--policy-name", "mount",
                        "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [{
                            "Sid": "MountOnly", "Effect": "Allow", "Action": "elasticfilesystem:ClientMount",
                            "Resource": fs["FileSystemArn"]}]}))
        _, out, _ = self.server.cli("iam", "get-user", "--user-name", "cli-user")
        user_arn = json.loads(out)["User"]["Arn"]
        _, out, _ = self.server.cli("iam", "simulate-principal-policy", "--policy-source-arn", user_arn,
                                    "--action-names", "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite",
                                    "--resource-arns", fs["FileSystemArn"])
        results = {r["EvalActionName"]: r for r in json.loads(out)["EvaluationResults"]}
        self.assertEqual(results["elasticfilesystem:ClientMount"]["EvalDecision"], "allowed")
        self.assertEqual(results["elasticfilesystem:ClientWrite"]["EvalDecision"], "implicitDeny")
        self.assertEqual(results["elasticfilesystem:ClientMount"]["MatchedStatements"][0]["SourcePolicyId"], "mount")
        # The lockout check through the CLI.
        deny_all = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:*", "Resource": fs["FileSystemArn"]}]})
        code, _, err = self.server.cli("efs", "put-file-system-policy", "--file-system-id", fs["FileSystemId"],
                                       "--policy", deny_all, check=False)
        self.assertNotEqual(code, 0)
        self.assertIn("InvalidPolicyException", err)
        code, _, err = self.server.cli("efs", "describe-file-systems", "--file-system-id", "fs-nothere", check=False)
        self.assertNotEqual(code, 0)
        self.assertIn("ValidationException", err)


class Https(unittest.TestCase):
    def test_api_over_tls_with_elfs_ca(self):
        server = Elfsd(ELFSD, tls=True)
        self.addCleanup(server.cleanup)
        server.start()
        self.assertTrue(server.endpoint.startswith("https://"))
        fs = server.client("efs").create_file_system(CreationToken="tls-1")
        self.assertRegex(fs["FileSystemId"], r"^fs-[0-9a-f]{17}$")
        _, out, _ = server.cli("sts", "get-caller-identity")
        self.assertTrue(json.loads(out)["Arn"].endswith(":root"))
        # Over TLS the caller is on a secure transport: a policy can require it.
        iam = server.client("iam")
        iam.create_user(UserName="tls-only")
        iam.put_user_policy(UserName="tls-only", PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "elasticfilesystem:DescribeFileSystems", "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}))
        k = iam.create_access_key(UserName="tls-only")["AccessKey"]
        names = [f["FileSystemId"] for f in server.client("efs", k["AccessKeyId"], k["SecretAccessKey"])
                 .describe_file_systems()["FileSystems"]]
        self.assertIn(fs["FileSystemId"], names)
        # Plain HTTP to the TLS port gets no answer.
        with self.assertRaises(Exception):
            urllib.request.urlopen(f"http://127.0.0.1:{server.api_port}/", timeout=5).read()
        with open(os.path.join(server.data_dir, "secrets", "ca.key")) as f:
            self.assertIn("PRIVATE KEY", f.read())
        self.assertEqual(os.stat(os.path.join(server.data_dir, "secrets", "ca.key")).st_mode & 0o777, 0o600)


class Restart(unittest.TestCase):
    def test_state_survives_kill_9(self):
        server = Elfsd(ELFSD)
        self.addCleanup(server.cleanup)
        server.start()
        efs, iam = server.client("efs"), server.client("iam")
        fs = efs.create_file_system(CreationToken="durable")["FileSystemId"]
        subnet = sorted(server.client("ec2").describe_subnets()["Subnets"], key=lambda s: s["AvailabilityZone"])[0]
        mt = efs.create_mount_target(FileSystemId=fs, SubnetId=subnet["SubnetId"])
        ApiTestCase.allow_this_host(None, mt["VpcId"], server.client("ec2"))
        iam.create_user(UserName="durable")
        key = iam.create_access_key(UserName="durable")["AccessKey"]
        before = efs.describe_file_systems()["FileSystems"]
        server.restart(signal.SIGKILL)
        efs, iam = server.client("efs"), server.client("iam")
        after = efs.describe_file_systems()["FileSystems"]
        strip = lambda l: [{k: v for k, v in f.items() if k != "SizeInBytes"} for f in l]
        self.assertEqual(strip(after), strip(before))
        self.assertEqual(iam.get_user(UserName="durable")["User"]["UserName"], "durable")
        self.assertEqual(server.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()["Arn"].split(":")[-1],
                         "user/durable")
        self.assertTrue(nfs_null_ok(mt["IpAddress"], server.nfs_port), "mount target not re-opened")


if __name__ == "__main__":
    ELFSD = sys.argv.pop(1)
    unittest.main(verbosity=2)
