"""The network layer of the EFS security model end to end (issue 6, scenarios 1-4).

A real elfsd; VPC objects, security groups, network ACLs, interfaces, file
systems and mount targets made only through boto3 (ec2 and efs). Clients are
this suite's own ONC RPC client: it binds a distinct loopback source address
(127.31.x.y, inside the default VPC 127.31.0.0/16, or 127.0.0.1 outside every
VPC) and, for privileged ports, a source port below 1024 (the suite runs as
root), then sends a NULL call and a COMPOUND(PUTROOTFH, GETATTR). A refused
connection is closed by the server before any reply.

The privileged-source-port option is the tag elfs:RequirePrivilegedSourcePort
on the mount target's network interface (ec2 create-tags), as
docs/network.md describes.

Usage: network_suite.py ELFSD [--load N]
"""
import json
import os
import socket
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
from elfsd_harness import Elfsd  # noqa: E402

ELFSD = None
LOAD_CONNECTIONS = 3000


# --- the project's own minimal NFSv4 client -------------------------------

def _record(body):
    return struct.pack(">I", 0x80000000 | len(body)) + body


def _call_header(xid, proc, auth_sys=False):
    head = struct.pack(">IIIIII", xid, 0, 2, 100003, 4, proc)
    if auth_sys:
        # AUTH_SYS: stamp, machine name "net", uid 0, gid 0, no groups.
        cred = struct.pack(">II", 0, 3) + b"net\0" + struct.pack(">III", 0, 0, 0)
        head += struct.pack(">II", 1, len(cred)) + cred
    else:
        head += struct.pack(">II", 0, 0)
    return head + struct.pack(">II", 0, 0)  # verifier AUTH_NONE


def _read_reply(sock):
    """The body of one reply record, or None when the server closed first."""
    def read(n):
        out = b""
        while len(out) < n:
            try:
                chunk = sock.recv(n - len(out))
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            out += chunk
        return out
    head = read(4)
    if head is None:
        return None
    return read(struct.unpack(">I", head)[0] & 0x7FFFFFFF)


class Client:
    """One TCP connection from (src_ip, src_port) to a mount target."""

    def __init__(self, src_ip, dst_ip, dst_port, src_port=0, timeout=5.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.settimeout(timeout)
        self.sock.bind((src_ip, src_port))
        self.sock.connect((dst_ip, dst_port))
        self.xid = 100

    def close(self):
        self.sock.close()

    def null(self):
        """True when the NULL call is answered; False when the connection was closed."""
        self.xid += 1
        try:
            self.sock.sendall(_record(_call_header(self.xid, 0)))
        except (BrokenPipeError, ConnectionResetError):
            return False
        body = _read_reply(self.sock)
        if body is None:
            return False
        xid, mtype, stat = struct.unpack(">III", body[:12])
        return xid == self.xid and mtype == 1 and stat == 0

    def getattr_root(self):
        """NFS4 status of COMPOUND(PUTROOTFH, GETATTR(type)), or None when closed."""
        self.xid += 1
        args = struct.pack(">I", 0)                       # tag ""
        args += struct.pack(">II", 0, 2)                  # minorversion 0, 2 ops
        args += struct.pack(">I", 24)                     # PUTROOTFH
        args += struct.pack(">III", 9, 1, 1 << 1)         # GETATTR {type}
        try:
            self.sock.sendall(_record(_call_header(self.xid, 1, auth_sys=True) + args))
        except (BrokenPipeError, ConnectionResetError):
            return None
        body = _read_reply(self.sock)
        if body is None:
            return None
        xid, mtype, reply_stat, _flavor, vlen = struct.unpack(">IIIII", body[:20])
        off = 20 + ((vlen + 3) & ~3)
        accept_stat, status = struct.unpack(">II", body[off:off + 8])
        if xid != self.xid or mtype != 1 or reply_stat != 0 or accept_stat != 0:
            raise AssertionError(f"RPC reply not accepted: {body[:32].hex()}")
        return status

    def closed_by_server(self, within=5.0):
        """Waits for the server to close this connection; True if it did."""
        self.sock.settimeout(within)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def attempt(src_ip, dst_ip, port, src_port=0):
    """'mounted' (NULL and COMPOUND answered, NFS4_OK), or 'refused' (closed with no reply)."""
    c = Client(src_ip, dst_ip, port, src_port)
    try:
        if not c.null():
            return "refused"
        status = c.getattr_root()
        if status is None:
            return "refused after NULL"
        return "mounted" if status == 0 else f"nfs status {status}"
    finally:
        c.close()


# --- the suite -------------------------------------------------------------

class NetworkLayer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Elfsd(ELFSD)
        cls.server.start()
        cls.ec2 = cls.server.client("ec2")
        cls.efs = cls.server.client("efs")
        cls.port = cls.server.nfs_port
        subnets = sorted(cls.ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"],
                         key=lambda s: s["AvailabilityZone"])
        cls.subnet_a, cls.subnet_b, cls.subnet_c = (s["SubnetId"] for s in subnets[:3])
        cls.vpc = subnets[0]["VpcId"]
        cls.default_sg = cls.ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [cls.vpc]},
                     {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    # helpers

    def mount_target(self, token, subnet=None, ip=None, groups=None):
        fs = self.efs.create_file_system(CreationToken=token)["FileSystemId"]
        kw = {"FileSystemId": fs, "SubnetId": subnet or self.subnet_a}
        if ip:
            kw["IpAddress"] = ip
        if groups:
            kw["SecurityGroups"] = groups
        mt = self.efs.create_mount_target(**kw)
        return mt["MountTargetId"], mt["IpAddress"]

    def group(self, name, ingress_from=None):
        sg = self.ec2.create_security_group(GroupName=name, Description=name, VpcId=self.vpc)["GroupId"]
        if ingress_from:
            self.allow(sg, ingress_from)
        return sg

    def allow(self, sg, peer, port=2049, egress=False):
        perm = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
        if peer.startswith("sg-"):
            perm["UserIdGroupPairs"] = [{"GroupId": peer}]
        else:
            perm["IpRanges"] = [{"CidrIp": peer}]
        call = self.ec2.authorize_security_group_egress if egress else self.ec2.authorize_security_group_ingress
        return call(GroupId=sg, IpPermissions=[perm])["SecurityGroupRules"][0]["SecurityGroupRuleId"]

    def eni(self, subnet, ip, groups):
        return self.ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress=ip,
                                                 Groups=groups)["NetworkInterface"]["NetworkInterfaceId"]

    def network_events(self, source_ip, event="Accept"):
        return [e for e in self.server.audit_lines()
                if e.get("eventSource") == "nfs" and e.get("eventName") == event
                and e.get("sourceIPAddress") == source_ip]

    def assertMounts(self, src, mt_ip, src_port=0):
        self.assertEqual(attempt(src, mt_ip, self.port, src_port), "mounted", f"{src} -> {mt_ip}")

    def assertRefused(self, src, mt_ip, src_port=0):
        self.assertEqual(attempt(src, mt_ip, self.port, src_port), "refused", f"{src} -> {mt_ip}")

    # scenario 1

    def test_1_default_group_and_acl(self):
        mt, ip = self.mount_target("net-default")
        self.eni(self.subnet_a, "127.31.0.50", [self.default_sg])
        self.assertMounts("127.31.0.50", ip)
        # Outside every VPC (127.0.0.1), an unregistered address of the VPC,
        # and an interface not in the default group: refused before any RPC.
        self.assertRefused("127.0.0.1", ip)
        self.assertRefused("127.31.0.51", ip)
        other = self.group("s1-other")
        self.eni(self.subnet_b, "127.31.16.51", [other])
        self.assertRefused("127.31.16.51", ip)
        # Each decision is in the audit log with its layer and rule.
        refused = self.network_events("127.0.0.1")[-1]
        self.assertEqual((refused["decision"], refused["errorCode"], refused["resource"]), ("deny", "NetworkDenied", mt))
        self.assertEqual(refused["details"]["check"], "mount-target-security-groups")
        allowed = self.network_events("127.31.0.50")[-1]
        self.assertEqual(allowed["decision"], "allow")
        self.assertTrue(allowed["details"]["rule"].startswith("sgr-"), allowed)

    # scenario 2

    def test_2a_cidr_and_source_group_rules(self):
        cidr_sg = self.group("s2-cidr", "127.31.16.0/24")
        clients = self.group("s2-clients")
        src_sg = self.group("s2-src", clients)
        mt, ip = self.mount_target("net-rules", groups=[cidr_sg, src_sg])
        self.assertMounts("127.31.16.20", ip)           # by CIDR, no interface needed
        self.assertRefused("127.31.17.20", ip)          # outside the CIDR
        self.eni(self.subnet_c, "127.31.32.30", [clients])
        self.eni(self.subnet_c, "127.31.32.31", [self.default_sg])
        self.assertMounts("127.31.32.30", ip)           # by source group membership
        self.assertRefused("127.31.32.31", ip)

    def test_2b_client_egress_without_2049(self):
        clients = self.group("s2-egress")
        mt, ip = self.mount_target("net-egress", groups=[self.group("s2-egress-mt", clients)])
        self.eni(self.subnet_b, "127.31.16.60", [clients])
        self.assertMounts("127.31.16.60", ip)
        self.ec2.revoke_security_group_egress(GroupId=clients, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        self.allow(clients, "0.0.0.0/0", port=443, egress=True)
        self.assertRefused("127.31.16.60", ip)
        self.allow(clients, "127.31.0.0/16", port=2049, egress=True)
        self.assertMounts("127.31.16.60", ip)

    def test_2c_five_groups(self):
        groups = [self.group(f"s2-five-{i}", f"10.{i}.0.0/16") for i in range(4)]
        groups.append(self.group("s2-five-4", "127.31.32.70/32"))
        mt, ip = self.mount_target("net-five", groups=groups)
        self.assertEqual(len(self.efs.describe_mount_target_security_groups(MountTargetId=mt)["SecurityGroups"]), 5)
        self.assertMounts("127.31.32.70", ip)
        self.assertRefused("127.31.32.71", ip)

    def test_2d_changes_close_live_connections(self):
        sg = self.group("s2-live")
        rule = self.allow(sg, "127.31.16.80/32")
        mt, ip = self.mount_target("net-live", groups=[sg])
        live = Client("127.31.16.80", ip, self.port)
        self.addCleanup(live.close)
        self.assertTrue(live.null())
        self.assertEqual(live.getattr_root(), 0)
        # Revoking the rule closes the live connection and refuses new ones.
        self.ec2.revoke_security_group_ingress(GroupId=sg, SecurityGroupRuleIds=[rule])
        self.assertRefused("127.31.16.80", ip)
        self.assertTrue(live.closed_by_server(), "live connection survived the revoke")
        self.assertTrue(self.network_events("127.31.16.80", "Disconnect"))

        # ModifyMountTargetSecurityGroups: a connection allowed by the old
        # group is closed when the new groups do not allow it.
        self.allow(sg, "127.31.16.81/32")
        other = self.group("s2-live-other", "127.31.16.82/32")
        live2 = Client("127.31.16.81", ip, self.port)
        self.addCleanup(live2.close)
        live3 = Client("127.31.16.82", ip, self.port)
        self.addCleanup(live3.close)
        self.assertTrue(live2.null())
        self.assertFalse(live3.null())   # not allowed yet: closed at accept
        self.efs.modify_mount_target_security_groups(MountTargetId=mt, SecurityGroups=[other])
        self.assertTrue(live2.closed_by_server(), "live connection survived ModifyMountTargetSecurityGroups")
        self.assertRefused("127.31.16.81", ip)
        self.assertMounts("127.31.16.82", ip)
        # A connection the change still allows stays open.
        keep = Client("127.31.16.82", ip, self.port)
        self.addCleanup(keep.close)
        self.assertTrue(keep.null())
        self.allow(other, "127.31.16.83/32")
        self.assertFalse(keep.closed_by_server(within=1.5))
        self.assertTrue(keep.null())

    # scenario 3

    def acl_for(self, subnet):
        acl = self.ec2.create_network_acl(VpcId=self.vpc)["NetworkAcl"]["NetworkAclId"]
        assoc = [a for a in self.ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"][0]["Associations"]
            if a["SubnetId"] == subnet][0]["NetworkAclAssociationId"]
        new_assoc = self.ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)["NewAssociationId"]
        default_acl = self.ec2.describe_network_acls(
            Filters=[{"Name": "vpc-id", "Values": [self.vpc]}, {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]["NetworkAclId"]
        self.addCleanup(lambda: self.ec2.replace_network_acl_association(AssociationId=new_assoc, NetworkAclId=default_acl))
        return acl

    def entry(self, acl, number, egress, action, cidr, ports=None):
        kw = dict(NetworkAclId=acl, RuleNumber=number, Egress=egress, RuleAction=action, CidrBlock=cidr,
                  Protocol="6" if ports else "-1")
        if ports:
            kw["PortRange"] = {"From": ports[0], "To": ports[1]}
        self.ec2.create_network_acl_entry(**kw)

    def test_3_nacl_order_and_stateless_reply(self):
        # The mount target alone in subnet c's upper half, open to the VPC by
        # its group, so that only the ACL decides.
        mt, ip = self.mount_target("net-acl", subnet=self.subnet_c, ip="127.31.40.4",
                                   groups=[self.group("s3-open", "127.31.0.0/16")])
        self.assertMounts("127.31.16.90", ip)
        acl = self.acl_for(self.subnet_c)
        self.assertRefused("127.31.16.90", ip)        # a new ACL denies everything
        self.entry(acl, 90, False, "deny", "127.31.16.90/32", (2049, 2049))
        self.entry(acl, 100, False, "allow", "0.0.0.0/0")
        self.entry(acl, 100, True, "allow", "0.0.0.0/0")
        self.assertRefused("127.31.16.90", ip)        # deny 90 before allow 100
        self.assertMounts("127.31.16.91", ip)
        # Stateless: an outbound deny of the ephemeral ports (to one client)
        # refuses its connections from ephemeral ports, not from port 900.
        self.entry(acl, 50, True, "deny", "127.31.16.92/32", (1024, 65535))
        self.assertRefused("127.31.16.92", ip)
        self.assertMounts("127.31.16.92", ip, src_port=900)
        denied = [e["details"] for e in self.network_events("127.31.16.92") if e["decision"] == "deny"][-1]
        self.assertEqual((denied["check"], denied["rule"]), ("mount-target-nacl-outbound", f"{acl} rule 50"))
        # The client's own subnet ACL counts too (client in subnet b).
        client_acl = self.acl_for(self.subnet_b)
        self.entry(client_acl, 100, True, "allow", "0.0.0.0/0")
        self.assertRefused("127.31.16.91", ip)        # no inbound entry for the reply
        self.entry(client_acl, 100, False, "allow", "0.0.0.0/0")
        self.assertMounts("127.31.16.91", ip)

    def test_3b_real_client(self):
        # libnfs's nfs-ls cannot choose its source address: it connects from
        # 127.0.0.1, outside every VPC, so a CIDR rule for that one address
        # decides whether this real client mounts.
        sg = self.group("s3b-host")
        mt, ip = self.mount_target("net-libnfs", groups=[sg])
        fs = self.efs.describe_mount_targets(MountTargetId=mt)["MountTargets"][0]["FileSystemId"]
        with open(os.path.join(self.server.data_dir, "fs", fs, "visible"), "w") as f:
            f.write("x")
        url = f"nfs://{ip}/?version=4&nfsport={self.port}"
        ls = subprocess.run(["nfs-ls", url], capture_output=True, text=True, timeout=30)
        self.assertNotIn("visible", ls.stdout)
        self.assertNotEqual(ls.returncode, 0)
        rule = self.allow(sg, "127.0.0.1/32")
        ls = subprocess.run(["nfs-ls", url], capture_output=True, text=True, timeout=30)
        self.assertIn("visible", ls.stdout, ls.stderr)
        self.ec2.revoke_security_group_ingress(GroupId=sg, SecurityGroupRuleIds=[rule])
        ls = subprocess.run(["nfs-ls", url], capture_output=True, text=True, timeout=30)
        self.assertNotIn("visible", ls.stdout)

    # scenario 4

    def test_4_privileged_source_ports(self):
        mt, ip = self.mount_target("net-priv", subnet=self.subnet_b, ip="127.31.20.4",
                                   groups=[self.group("s4-open", "127.31.0.0/16")])
        self.assertMounts("127.31.16.100", ip)
        live = Client("127.31.16.100", ip, self.port)
        self.addCleanup(live.close)
        self.assertTrue(live.null())
        eni = self.efs.describe_mount_targets(MountTargetId=mt)["MountTargets"][0]["NetworkInterfaceId"]
        tag = [{"Key": "elfs:RequirePrivilegedSourcePort", "Value": "true"}]
        self.ec2.create_tags(Resources=[eni], Tags=tag)
        # A live connection from an unprivileged port is closed, new ones refused.
        self.assertTrue(live.closed_by_server(), "live connection survived the tag")
        self.assertRefused("127.31.16.100", ip)
        self.assertRefused("127.31.16.100", ip, src_port=1024)
        self.assertMounts("127.31.16.100", ip, src_port=1023)
        self.assertMounts("127.31.16.101", ip, src_port=700)
        # The other layers still apply to privileged ports.
        self.assertRefused("127.0.0.1", ip, src_port=701)
        denied = [e["details"] for e in self.network_events("127.31.16.100") if e["decision"] == "deny"][-1]
        self.assertEqual(denied["check"], "privileged-source-port")
        self.ec2.delete_tags(Resources=[eni], Tags=tag)
        self.assertMounts("127.31.16.100", ip)


class Load(unittest.TestCase):
    """Thousands of connects, mixed allowed and refused sources, bounded in time."""

    def test_load(self):
        server = Elfsd(ELFSD)
        self.addCleanup(server.cleanup)
        server.start()
        ec2, efs = server.client("ec2"), server.client("efs")
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        subnet = sorted(ec2.describe_subnets()["Subnets"], key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
        sg = ec2.create_security_group(GroupName="load", Description="load", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "IpRanges": [{"CidrIp": "127.31.16.0/21"}]}])
        fs = efs.create_file_system(CreationToken="load")["FileSystemId"]
        ip = efs.create_mount_target(FileSystemId=fs, SubnetId=subnet, SecurityGroups=[sg])["IpAddress"]
        # The static listener (no rules) is the baseline for the same work.
        static = open(server.log_path).read().split("serving file system ")[1].split(" at ")[1].split()[0]
        static_ip, static_port = static.rsplit(":", 1)

        def run(dst_ip, dst_port, sources):
            outcome = {"answered": 0, "closed": 0}
            start = time.perf_counter()
            for src in sources:
                c = Client(src, dst_ip, dst_port)
                outcome["answered" if c.null() else "closed"] += 1
                c.close()
            return time.perf_counter() - start, outcome

        n = LOAD_CONNECTIONS
        # Allowed: 127.31.16.0-127.31.23.255; refused: 127.31.24.x-127.31.31.x.
        mixed = [f"127.31.{16 + (i % 16)}.{1 + (i // 16) % 250}" for i in range(n)]
        expected_allowed = sum(1 for s in mixed if int(s.split(".")[2]) < 24)
        base_t, base = run(static_ip, int(static_port), mixed)
        mt_t, got = run(ip, server.nfs_port, mixed)
        self.assertEqual(base["answered"], n)
        self.assertEqual(got["answered"], expected_allowed)
        self.assertEqual(got["closed"], n - expected_allowed)
        self.assertLess(mt_t, 120, "connection setup unbounded")
        report = {"connections": n, "allowed": expected_allowed, "refused": n - expected_allowed,
                  "static_listener_s": round(base_t, 3), "mount_target_s": round(mt_t, 3),
                  "static_per_connect_us": round(base_t / n * 1e6, 1),
                  "mount_target_per_connect_us": round(mt_t / n * 1e6, 1)}
        print("\nLOAD " + json.dumps(report), file=sys.stderr)
        audits = sum(1 for e in server.audit_lines() if e.get("eventName") == "Accept")
        self.assertGreaterEqual(audits, n)


if __name__ == "__main__":
    ELFSD = os.path.abspath(sys.argv.pop(1))
    if len(sys.argv) > 2 and sys.argv[1] == "--load":
        LOAD_CONNECTIONS = int(sys.argv[2])
        del sys.argv[1:3]
    unittest.main(verbosity=2)
