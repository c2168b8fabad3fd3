#!/usr/bin/env python3
"""IAM identities, file system policies and access points on live NFS
connections, end to end (issue 6, scenarios 8-14 and session policies).

A real elfsd set up only through boto3. Clients are what an EFS user runs
without efs-utils: a certificate from elfs-client-cert (the efs-utils
identity: access point, file system, SigV4 Connect signature), Debian's
stunnel4 as the TLS client in front of the mount target, and libnfs
(nfs-ls / nfs-cp / nfs-cat, NFSv4.0) through the tunnel; plain-TCP clients
connect to the mount target directly. Ownership and modes are read from the
file system's directory on the host.

The Linux kernel client through the same layers is tests/e2e/identity/
vm_identity.sh; scenario 15 (seed 002's API example) is
tests/e2e/api/api_suite.py's test_seed_002_one_file_system_only.

Usage: identity_suite.py ELFSD ELFS_CLIENT_CERT [--load N]
"""
import json
import os
import socket
import sqlite3
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
from elfsd_harness import REGION, Elfsd, free_port, nfs_null_ok  # noqa: E402

ELFSD = None
CLIENT_CERT = None
LOAD_TLS_CONNECTIONS = 1000

CLIENT_ACTIONS = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite",
                  "elasticfilesystem:ClientRootAccess"]


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def statement(effect, actions, principal="*", condition=None):
    s = {"Effect": effect, "Principal": {"AWS": principal},
         "Action": [f"elasticfilesystem:{a}" for a in actions], "Resource": "*"}
    if condition:
        s["Condition"] = condition
    return s


def identity_policy(actions, effect="Allow"):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": effect, "Action": [f"elasticfilesystem:{a}" for a in actions], "Resource": "*"}]})


class Tunnel:
    """stunnel4 as efs-utils runs it: TLS to the mount target with a client
    certificate (or none), the server verified against elfs's CA and name."""

    def __init__(self, work, name, target, ca, check_host, cert=None, key=None):
        self.port = free_port()
        self.log = os.path.join(work, f"{name}.stunnel.log")
        conf = os.path.join(work, f"{name}.stunnel.conf")
        lines = ["foreground = yes", "pid =", "debug = info", f"output = {self.log}", "[efs]",
                 "client = yes", f"accept = 127.0.0.1:{self.port}", f"connect = {target}",
                 f"CAfile = {ca}", "verifyChain = yes", f"checkHost = {check_host}",
                 "sslVersionMin = TLSv1.2"]
        if cert:
            lines += [f"cert = {cert}", f"key = {key}"]
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = subprocess.Popen(["stunnel4", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"stunnel {name} did not start")

    def close(self):
        self.proc.kill()
        self.proc.wait()


class IdentityFixture(unittest.TestCase):
    """An elfsd, user alice (every client action), and helpers; no tests."""

    @classmethod
    def setUpClass(cls):
        cls.d = Elfsd(ELFSD)
        cls.d.start()
        cls.efs, cls.iam, cls.ec2 = cls.d.client("efs"), cls.d.client("iam"), cls.d.client("ec2")
        cls.work = tempfile.mkdtemp(prefix="elfs-identity-")
        cls.payload = os.path.join(cls.work, "payload")
        with open(cls.payload, "w") as f:
            f.write("payload\n")
        cls.subnet = sorted(cls.ec2.describe_subnets()["Subnets"],
                            key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
        # alice: an IAM user whose identity policy grants every client action.
        cls.iam.create_user(UserName="alice")
        cls.iam.put_user_policy(UserName="alice", PolicyName="efs-clients",
                                PolicyDocument=identity_policy(["Client*"]))
        key = cls.iam.create_access_key(UserName="alice")["AccessKey"]
        cls.alice = (key["AccessKeyId"], key["SecretAccessKey"])
        cls.tunnels = []

    @classmethod
    def tearDownClass(cls):
        for t in cls.tunnels:
            t.close()
        cls.d.cleanup()
        subprocess.run(["rm", "-rf", cls.work])

    # --- set-up through the API -------------------------------------------

    def file_system(self, token, fs_policy=None):
        """A file system with a mount target that admits 127.0.0.1 (stunnel's
        and libnfs' source: the network layer is not under test here)."""
        fs = self.efs.create_file_system(CreationToken=token)["FileSystemId"]
        mt = self.efs.create_mount_target(FileSystemId=fs, SubnetId=self.subnet)
        sg = self.efs.describe_mount_target_security_groups(
            MountTargetId=mt["MountTargetId"])["SecurityGroups"][0]
        try:
            self.ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049,
                 "IpRanges": [{"CidrIp": "127.0.0.1/32"}]}])
        except self.ec2.exceptions.ClientError as e:
            if "Duplicate" not in str(e):
                raise
        if fs_policy:
            self.efs.put_file_system_policy(FileSystemId=fs, Policy=fs_policy,
                                            BypassPolicyLockoutSafetyCheck=True)
        deadline = time.time() + 10
        while not nfs_null_ok(mt["IpAddress"], self.d.nfs_port) and time.time() < deadline:
            time.sleep(0.05)
        return fs, f"{mt['IpAddress']}:{self.d.nfs_port}"

    def access_point(self, fs, path, uid=None, gid=None, creation=None):
        kw = {"FileSystemId": fs, "RootDirectory": {"Path": path}}
        if uid is not None:
            kw["PosixUser"] = {"Uid": uid, "Gid": gid}
        if creation:
            kw["RootDirectory"]["CreationInfo"] = {
                "OwnerUid": creation[0], "OwnerGid": creation[1], "Permissions": creation[2]}
        ap = self.efs.create_access_point(**kw)
        return ap["AccessPointId"], ap["AccessPointArn"]

    def fs_dir(self, fs, *rel):
        return os.path.join(self.d.data_dir, "fs", fs, *rel)

    # --- clients ---------------------------------------------------------------

    def cert(self, name, fs, key=None, secret=None, token=None, ap=None):
        """elfs-client-cert's certificate; key None: anonymous (no signature)."""
        cert, pkey = os.path.join(self.work, f"{name}.pem"), os.path.join(self.work, f"{name}.key")
        args = [CLIENT_CERT, "--file-system-id", fs, "--region", REGION, "--cert-out", cert,
                "--key-out", pkey, "--key-type", "ec"]
        env = dict(os.environ)
        if key is None:
            args.append("--anonymous")
        else:
            env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret)
            env.pop("AWS_SESSION_TOKEN", None)
            if token:
                env["AWS_SESSION_TOKEN"] = token
        if ap:
            args += ["--access-point-id", ap]
        subprocess.run(args, env=env, check=True, capture_output=True, timeout=30)
        return cert, pkey

    def tls(self, name, fs, target, certificate=True, **cert_args):
        """A local address that reaches `target` over TLS as efs-utils would,
        with elfs-client-cert's certificate for cert_args (none when
        certificate is False)."""
        cert = self.cert(name, fs, **cert_args) if certificate else (None, None)
        t = Tunnel(self.work, name, target, self.d.ca_bundle(),
                   f"{fs}.efs.{REGION}.amazonaws.com", *cert)
        self.tunnels.append(t)
        return ("127.0.0.1", t.port)

    @staticmethod
    def plain(target):
        ip, port = target.rsplit(":", 1)
        return (ip, int(port))

    @staticmethod
    def url(at, path="/", uid=0, gid=0):
        return f"nfs://{at[0]}{path}?version=4&nfsport={at[1]}&uid={uid}&gid={gid}"

    @classmethod
    def file_url(cls, at, path, uid=0, gid=0):
        # libnfs takes the URL's directory as the export: "//name" names a
        # file in the export "/".
        return cls.url(at, "/" + path if path.count("/") == 1 else path, uid, gid)

    def nfs(self, *args):
        return subprocess.run(list(args), capture_output=True, text=True, timeout=30)

    def ls(self, at, path="/"):
        return self.nfs("nfs-ls", self.url(at, path))

    def put(self, at, path, uid=0, gid=0):
        return self.nfs("nfs-cp", self.payload, self.file_url(at, path, uid, gid))

    def cat(self, at, path):
        return self.nfs("nfs-cat", self.file_url(at, path))

    def assertMounts(self, at, msg=""):
        r = self.ls(at)
        self.assertEqual(r.returncode, 0, f"{msg}: {r.stderr}")

    def assertRefused(self, at, msg=""):
        r = self.ls(at)
        self.assertNotEqual(r.returncode, 0, f"{msg}: mounted\n{r.stdout}")

    def nfs_events(self, name, key=None):
        return [e for e in self.d.audit_lines()
                if e.get("eventSource") == "nfs" and e.get("eventName") == name
                and (key is None or e.get("accessKeyId") == key)]

class IdentitySuite(IdentityFixture):
    # --- scenario 8 --------------------------------------------------------------

    def test_8_file_system_policy_deny_beats_identity_allow(self):
        fs, target = self.file_system("s8", policy(
            statement("Allow", ["ClientMount"]),
            statement("Deny", ["ClientWrite"], principal=self.iam.get_user(UserName="alice")["User"]["Arn"])))
        alice = self.tls("s8-alice", fs, target, key=self.alice[0], secret=self.alice[1])
        self.assertMounts(alice, "alice")
        r = self.put(alice, "/denied")
        self.assertNotEqual(r.returncode, 0, "the file system policy's Deny did not win")
        self.assertFalse(os.path.exists(self.fs_dir(fs, "denied")))
        # The decision names the Deny statement of the file system policy.
        d = [e for e in self.nfs_events("ClientAuthorization", self.alice[0])
             if e["resource"] == fs][-1]["details"]
        self.assertTrue(d["mount"] and not d["write"], d)
        write = d["actions"]["ClientWrite"]
        self.assertEqual(write["decision"], "explicitDeny")
        self.assertIn({"policy": f"file-system-policy:{fs}", "effect": "Deny"},
                      [{"policy": m["policy"], "effect": m["effect"]} for m in write["matched"]])
        # Without the Deny, alice's identity policy lets her write.
        self.efs.put_file_system_policy(FileSystemId=fs, BypassPolicyLockoutSafetyCheck=True,
                                        Policy=policy(statement("Allow", ["ClientMount"])))
        r = self.put(alice, "/allowed")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(self.fs_dir(fs, "allowed")))

    # --- scenario 9 --------------------------------------------------------------

    def test_9_prevent_anonymous_access(self):
        preset = policy(statement("Allow", ["ClientMount", "ClientWrite", "ClientRootAccess"],
                                  condition={"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"},
                                             "Null": {"aws:PrincipalArn": "false"}}))
        fs, target = self.file_system("s9", preset)
        self.assertRefused(self.plain(target), "anonymous plain TCP")
        self.assertRefused(self.tls("s9-nocert", fs, target, certificate=False), "anonymous TLS, no certificate")
        good = self.tls("s9-alice", fs, target, key=self.alice[0], secret=self.alice[1])
        self.assertMounts(good, "alice's signed certificate")
        self.assertEqual(self.put(good, "/by-alice").returncode, 0)

        bad_sig = self.tls("s9-badsig", fs, target, key=self.alice[0], secret="not-the-secret")
        unknown = self.tls("s9-unknown", fs, target, key="AKIAUNKNOWNKEY000001", secret="x" * 40)
        other_fs = self.tls("s9-otherfs", "fs-0123456789abcdef0", target,
                            key=self.alice[0], secret=self.alice[1])
        for at, why in ((bad_sig, "bad signature"), (unknown, "unknown key"),
                        (other_fs, "certificate for another file system")):
            self.assertRefused(at, why)
        log = open(self.d.log_path).read()
        for reason in ("SignatureDoesNotMatch", "InvalidClientTokenId", "WrongFileSystem"):
            self.assertIn(reason, log)

        # A disabled key: refused from the change on; enabled again, it mounts.
        self.iam.update_access_key(UserName="alice", AccessKeyId=self.alice[0], Status="Inactive")
        try:
            self.assertRefused(good, "disabled key")
        finally:
            self.iam.update_access_key(UserName="alice", AccessKeyId=self.alice[0], Status="Active")
        self.assertMounts(good, "key enabled again")

    # --- session credentials: session policy, expiry (scenario 9) ----------------

    def test_9b_assumed_role_session_policy_and_expiry(self):
        fs, target = self.file_system("s9b")
        alice_arn = self.iam.get_user(UserName="alice")["User"]["Arn"]
        account = alice_arn.split(":")[4]
        self.iam.create_role(RoleName="writer", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"AWS": alice_arn}}]}))
        self.iam.put_role_policy(RoleName="writer", PolicyName="clients",
                                 PolicyDocument=identity_policy(["Client*"]))
        # A file system policy that allows authenticated principals only, so
        # the session's own permissions decide.
        self.efs.put_file_system_policy(FileSystemId=fs, BypassPolicyLockoutSafetyCheck=True, Policy=policy(
            statement("Deny", ["ClientMount", "ClientWrite", "ClientRootAccess"],
                      condition={"Null": {"aws:PrincipalArn": "true"}})))
        sts = self.d.client("sts", *self.alice)
        full = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/writer",
                               RoleSessionName="full")["Credentials"]
        limited = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/writer", RoleSessionName="ro",
                                  Policy=identity_policy(["ClientMount"]))["Credentials"]
        at_full = self.tls("s9b-full", fs, target, key=full["AccessKeyId"],
                           secret=full["SecretAccessKey"], token=full["SessionToken"])
        at_ro = self.tls("s9b-ro", fs, target, key=limited["AccessKeyId"],
                         secret=limited["SecretAccessKey"], token=limited["SessionToken"])
        self.assertEqual(self.put(at_full, "/by-session").returncode, 0)
        # The session policy limits the role's permissions on NFS as in the API.
        self.assertMounts(at_ro, "session with ClientMount only")
        self.assertNotEqual(self.put(at_ro, "/by-limited-session").returncode, 0)
        self.assertFalse(os.path.exists(self.fs_dir(fs, "by-limited-session")))
        d = [e for e in self.nfs_events("ClientAuthorization", limited["AccessKeyId"])][-1]["details"]
        self.assertEqual(d["actions"]["ClientWrite"]["basis"], "the session policy does not allow it")

        # Expiry: AssumeRole's shortest session is 15 minutes, so the test
        # moves the session's end into the past in the store while elfsd is
        # stopped (the check itself is the server's).
        self.d.stop()
        db = sqlite3.connect(os.path.join(self.d.data_dir, "state", "elfs.db"))
        with db:
            (value,) = db.execute("SELECT value FROM records WHERE kind='iam/session' AND id=?",
                                  (full["AccessKeyId"],)).fetchone()
            rec = json.loads(value)
            rec["expires"] = int(time.time()) - 60
            db.execute("UPDATE records SET value=? WHERE kind='iam/session' AND id=?",
                       (json.dumps(rec), full["AccessKeyId"]))
        db.close()
        self.d.start()
        deadline = time.time() + 10
        while not nfs_null_ok(*self.plain(target)) and time.time() < deadline:
            time.sleep(0.05)
        self.assertRefused(at_full, "expired session")
        self.assertIn("ExpiredToken", open(self.d.log_path).read())

    # --- scenario 10 -------------------------------------------------------------

    def test_10_enforce_in_transit_encryption(self):
        fs, target = self.file_system("s10", policy(
            statement("Allow", ["ClientMount", "ClientWrite", "ClientRootAccess"]),
            statement("Deny", ["ClientMount", "ClientWrite", "ClientRootAccess"],
                      condition={"Bool": {"aws:SecureTransport": "false"}})))
        self.assertRefused(self.plain(target), "plain TCP")
        at = self.tls("s10-tls", fs, target)  # anonymous certificate
        self.assertMounts(at, "TLS")
        self.assertEqual(self.put(at, "/over-tls").returncode, 0)

    # --- scenarios 11, 12, 14: access points -----------------------------------

    def test_11_access_point_posix_user_and_created_root(self):
        fs, target = self.file_system("s11")
        with open(self.fs_dir(fs, "outside"), "w") as f:
            f.write("secret\n")
        ap, _ = self.access_point(fs, "/app", 1000, 1000, creation=(1000, 1000, "755"))
        at = self.tls("s11-ap", fs, target, key=self.alice[0], secret=self.alice[1], ap=ap)
        r = self.put(at, "/written-by-root")  # as uid 0
        self.assertEqual(r.returncode, 0, r.stderr)
        st = os.stat(self.fs_dir(fs, "app"))
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777), (1000, 1000, 0o755))
        st = os.stat(self.fs_dir(fs, "app", "written-by-root"))
        self.assertEqual((st.st_uid, st.st_gid), (1000, 1000))
        # The client's / is /app: nothing outside can be listed, named or read.
        listing = self.ls(at)
        self.assertIn("written-by-root", listing.stdout)
        self.assertNotIn("outside", listing.stdout)
        for path in ("/../outside", "/outside", "/../../outside"):
            r = self.cat(at, path)
            self.assertNotIn("secret", r.stdout, path)
        r = self.ls(at, "/..")
        self.assertNotIn("outside", r.stdout)

    def test_12_access_point_root_without_creation_info(self):
        fs, target = self.file_system("s12")
        missing, _ = self.access_point(fs, "/missing", 1000, 1000)
        self.assertRefused(self.tls("s12-missing", fs, target, ap=missing),
                           "access point root missing, no CreationInfo")
        self.assertFalse(os.path.exists(self.fs_dir(fs, "missing")))
        os.mkdir(self.fs_dir(fs, "present"))
        os.chown(self.fs_dir(fs, "present"), 1234, 1234)
        os.chmod(self.fs_dir(fs, "present"), 0o750)
        present, _ = self.access_point(fs, "/present", 1234, 1234)
        at = self.tls("s12-present", fs, target, ap=present)
        self.assertMounts(at, "access point root present")
        self.assertEqual(self.put(at, "/file").returncode, 0)
        st = os.stat(self.fs_dir(fs, "present"))
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777), (1234, 1234, 0o750))

    def test_14_access_point_uid_0_without_root_access_is_squashed(self):
        fs, target = self.file_system("s14", policy(statement("Allow", ["ClientMount", "ClientWrite"])))
        ap, _ = self.access_point(fs, "/root-ap", 0, 0, creation=(0, 0, "777"))
        at = self.tls("s14-ap", fs, target, ap=ap)
        self.assertEqual(self.put(at, "/as-zero", uid=1000, gid=1000).returncode, 0)
        st = os.stat(self.fs_dir(fs, "root-ap", "as-zero"))
        self.assertEqual((st.st_uid, st.st_gid), (65534, 65534))
        # With ClientRootAccess the same access point writes as 0:0.
        self.efs.put_file_system_policy(FileSystemId=fs, BypassPolicyLockoutSafetyCheck=True, Policy=policy(
            statement("Allow", ["ClientMount", "ClientWrite", "ClientRootAccess"])))
        self.assertEqual(self.put(at, "/as-root", uid=1000, gid=1000).returncode, 0)
        st = os.stat(self.fs_dir(fs, "root-ap", "as-root"))
        self.assertEqual((st.st_uid, st.st_gid), (0, 0))

    # --- scenario 13 -------------------------------------------------------------

    def test_13_access_point_arn_conditions(self):
        """Seed 001: three services share one file system, each through its own
        access point; training jobs read the /noPII data set read-only; nothing
        mounts without an access point."""
        fs, target = self.file_system("s13")
        aps = {}
        uids = {"svc-a": 2001, "svc-b": 2002, "svc-c": 2003}
        for name, uid in uids.items():
            aps[name] = self.access_point(fs, f"/{name}", uid, uid, creation=(uid, uid, "750"))
        aps["training"] = self.access_point(fs, "/noPII", 3000, 3000, creation=(3000, 3000, "755"))
        rw_arns = [aps[n][1] for n in ("svc-a", "svc-b", "svc-c")]
        self.efs.put_file_system_policy(FileSystemId=fs, BypassPolicyLockoutSafetyCheck=True, Policy=policy(
            statement("Allow", ["ClientMount", "ClientWrite"],
                      condition={"StringEquals": {"elasticfilesystem:AccessPointArn": rw_arns}}),
            statement("Allow", ["ClientMount"],
                      condition={"StringEquals": {"elasticfilesystem:AccessPointArn": aps["training"][1]}})))
        at = {n: self.tls(f"s13-{n}", fs, target, ap=aps[n][0]) for n in aps}
        for n in ("svc-a", "svc-b", "svc-c"):
            r = self.put(at[n], "/data")
            self.assertEqual(r.returncode, 0, f"{n}: {r.stderr}")
            self.assertEqual(os.stat(self.fs_dir(fs, n, "data")).st_uid, uids[n])
        self.assertMounts(at["training"], "training")  # creates /noPII
        with open(self.fs_dir(fs, "noPII", "dataset"), "w") as f:
            f.write("rows\n")
        r = self.cat(at["training"], "/dataset")
        self.assertEqual(r.stdout, "rows\n", r.stderr)
        self.assertNotEqual(self.put(at["training"], "/written").returncode, 0)
        self.assertFalse(os.path.exists(self.fs_dir(fs, "noPII", "written")))
        # No access point: no statement allows the mount, over TLS or plain.
        self.assertRefused(self.tls("s13-none", fs, target, certificate=False), "TLS without an access point")
        self.assertRefused(self.plain(target), "plain TCP without an access point")


class TlsLoad(unittest.TestCase):
    """Connection setup with every layer on: thousands of TLS handshakes with
    IAM certificates, mixed allowed and refused, bounded in time."""

    def test_tls_connection_setup(self):
        server = Elfsd(ELFSD)
        self.addCleanup(server.cleanup)
        server.start()
        iam, efs, ec2 = server.client("iam"), server.client("efs"), server.client("ec2")
        iam.create_user(UserName="load")
        iam.put_user_policy(UserName="load", PolicyName="p", PolicyDocument=identity_policy(["Client*"]))
        key = iam.create_access_key(UserName="load")["AccessKey"]
        fs = efs.create_file_system(CreationToken="load")["FileSystemId"]
        efs.put_file_system_policy(FileSystemId=fs, BypassPolicyLockoutSafetyCheck=True, Policy=policy(
            statement("Allow", ["ClientMount"], condition={"Null": {"aws:PrincipalArn": "false"}})))
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        subnet = sorted(ec2.describe_subnets()["Subnets"], key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
        sg = ec2.create_security_group(GroupName="load", Description="load", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "IpRanges": [{"CidrIp": "127.31.16.0/21"}]}])
        ip = efs.create_mount_target(FileSystemId=fs, SubnetId=subnet, SecurityGroups=[sg])["IpAddress"]
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection((ip, server.nfs_port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        work = tempfile.mkdtemp(prefix="elfs-tls-load-")
        self.addCleanup(subprocess.run, ["rm", "-rf", work])

        def make_cert(name, secret):
            cert, pkey = os.path.join(work, name + ".pem"), os.path.join(work, name + ".key")
            env = dict(os.environ, AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=secret)
            subprocess.run([CLIENT_CERT, "--file-system-id", fs, "--region", REGION, "--key-type", "ec",
                            "--cert-out", cert, "--key-out", pkey], env=env, check=True, capture_output=True)
            ctx = ssl.create_default_context(cafile=server.ca_bundle())
            ctx.check_hostname = False
            ctx.load_cert_chain(cert, pkey)
            return ctx
        good, bad = make_cert("good", key["SecretAccessKey"]), make_cert("bad", "wrong-secret")
        null_call = struct.pack(">IIIIIIIIII", 7, 0, 2, 100003, 4, 0, 0, 0, 0, 0)
        record = struct.pack(">I", 0x80000000 | len(null_call)) + null_call

        def connect(src, ctx):
            """'answered', 'closed' (after the handshake), or 'refused' (before it)."""
            raw = socket.socket()
            raw.settimeout(10)
            raw.bind((src, 0))
            raw.connect((ip, server.nfs_port))
            try:
                s = ctx.wrap_socket(raw, server_hostname=f"{fs}.efs.{REGION}.amazonaws.com")
            except (ssl.SSLError, ConnectionResetError, OSError):
                raw.close()
                return "refused"
            try:
                s.sendall(record)
                return "answered" if len(s.recv(4)) == 4 else "closed"
            except (ssl.SSLError, ConnectionResetError, BrokenPipeError, OSError):
                return "closed"
            finally:
                s.close()

        def server_cpu():
            """elfsd's user+system CPU seconds so far."""
            with open(f"/proc/{server.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        n = LOAD_TLS_CONNECTIONS
        # A quarter each: allowed source + good certificate (mounts), allowed
        # source + bad signature, refused source + good certificate, plain
        # TCP from an allowed source (the baseline).
        counts = {"answered": 0, "closed": 0, "refused": 0}
        cpu0 = server_cpu()
        start = time.perf_counter()
        for i in range(n // 4):
            allowed_src = f"127.31.{16 + i % 8}.{1 + (i // 8) % 250}"
            refused_src = f"127.31.{24 + i % 8}.{1 + (i // 8) % 250}"
            counts[connect(allowed_src, good)] += 1
            counts[connect(allowed_src, bad)] += 1
            counts[connect(refused_src, good)] += 1
        tls_s = time.perf_counter() - start
        tls_cpu = server_cpu() - cpu0
        cpu0 = server_cpu()
        start = time.perf_counter()
        for i in range(n // 4):
            c = socket.create_connection((ip, server.nfs_port), 10,
                                         source_address=(f"127.31.{16 + i % 8}.{1 + (i // 8) % 250}", 0))
            c.sendall(record)
            self.assertEqual(len(c.recv(4)), 4)
            c.close()
        plain_s = time.perf_counter() - start
        plain_cpu = server_cpu() - cpu0
        self.assertEqual(counts, {"answered": n // 4, "closed": n // 4, "refused": n // 4})
        self.assertLess(tls_s + plain_s, 300, "connection setup unbounded")
        report = {"tls_connections": 3 * (n // 4), "plain_connections": n // 4,
                  "tls_per_connect_ms": round(tls_s / (3 * (n // 4)) * 1e3, 2),
                  "plain_per_connect_ms": round(plain_s / (n // 4) * 1e3, 3),
                  "server_cpu_per_tls_connect_ms": round(tls_cpu / (3 * (n // 4)) * 1e3, 3),
                  "server_cpu_per_plain_connect_ms": round(plain_cpu / (n // 4) * 1e3, 3)}
        print("\nTLS LOAD " + json.dumps(report), file=sys.stderr)


if __name__ == "__main__":
    ELFSD = os.path.abspath(sys.argv.pop(1))
    CLIENT_CERT = os.path.abspath(sys.argv.pop(1))
    if len(sys.argv) > 2 and sys.argv[1] == "--load":
        LOAD_TLS_CONNECTIONS = int(sys.argv[2])
        del sys.argv[1:3]
    unittest.main(verbosity=2)
