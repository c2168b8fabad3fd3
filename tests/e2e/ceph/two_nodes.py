"""Two elfs nodes on one Ceph cluster, end to end (issue 8, cluster mode).

Node A (--node-az use1-az1) and node B (--node-az use1-az2) share the
service state in a RADOS pool (--store rados) and serve file systems from
one CephFS (--backend ceph). Everything is set up through node A's API
(boto3): a security group open to 127.0.0.1 on port 2049, a file system, and
a mount target in each zone; node B learns of its zone's mount target by
RADOS watch/notify and listens on it. Then, with libnfs (nfs-cp, nfs-ls,
nfs-cat; NFSv4.0, anonymous) and this suite's own NFSv4.0 COMPOUNDs for
RENAME and REMOVE:

  - bytes written through A's mount target are read back through B's;
  - a rename through A and a remove through B are seen on the other node;
  - a file system policy put through A (ClientMount only) makes writes
    through B fail, and deleting it makes them work again;
  - revoking the security group rule through A closes B's live connection
    and refuses new ones on B;
  - B stops cleanly on SIGTERM and, restarted, serves its zone's mount
    target again from the shared state;
  - B killed (SIGKILL) and restarted resets its dead Ceph client's MDS
    session (libcephfs session reclaim) instead of leaving it to time out,
    and A then reads, removes and writes again the file B's dead client had
    written;
  - a file handle given out by one node is resolved by the other (one
    handle key and one export number for the cluster, both in the pool):
    LOOKUP + GETFH through A's mount target, then PUTFH of those bytes +
    GETATTR through B's gives the same file (size, fileid), and the other
    way round, also with the handle of the export root.

Effects on the other node are awaited by polling with a generous bound (a
minute), never asserted against a time. Needs the cluster of
tests/unit/backend/run_ceph_tests.sh (ELFS_CEPH_CONF).

Usage: run_ceph_tests.sh /usr/bin/python3 two_nodes.py ELFSD
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "security"))
from elfsd_harness import Elfsd  # noqa: E402
from network_suite import _read_reply, _record  # noqa: E402

ELFSD = None
BOUND = 60.0  # seconds: how long an effect may take before the test gives up


def eventually(predicate, what):
    deadline = time.time() + BOUND
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    if not predicate():
        raise AssertionError(f"not within {BOUND:.0f} s: {what}")


# --- a minimal NFSv4.0 client for what libnfs-utils cannot do -------------

def _opaque(data):
    return struct.pack(">I", len(data)) + data + b"\0" * ((4 - len(data) % 4) % 4)


def _call(xid, proc, args=b""):
    # AUTH_SYS: stamp 0, machine "elfs", uid 0, gid 0, no groups.
    cred = struct.pack(">I", 0) + _opaque(b"elfs") + struct.pack(">III", 0, 0, 0)
    head = struct.pack(">IIIIII", xid, 0, 2, 100003, 4, proc)
    return head + struct.pack(">I", 1) + _opaque(cred) + struct.pack(">II", 0, 0) + args


class Connection:
    """One TCP connection to a mount target, from 127.0.0.1."""

    def __init__(self, ip, port):
        self.sock = socket.create_connection((ip, port), timeout=10)
        self.xid = 1

    def close(self):
        self.sock.close()

    def null(self):
        """True when answered; False when the server closed the connection."""
        self.xid += 1
        try:
            self.sock.sendall(_record(_call(self.xid, 0)))
            body = _read_reply(self.sock)
        except OSError:
            return False
        return body is not None and struct.unpack(">I", body[:4])[0] == self.xid

    def compound(self, ops):
        """The COMPOUND's nfsstat4 (0: NFS4_OK)."""
        return self.compound_reply(ops)[0]

    def compound_reply(self, ops):
        """(nfsstat4, the results after resarray's count) of a COMPOUND."""
        self.xid += 1
        args = _opaque(b"") + struct.pack(">II", 0, len(ops)) + b"".join(ops)
        self.sock.sendall(_record(_call(self.xid, 1, args)))
        body = _read_reply(self.sock)
        if body is None:
            raise AssertionError("the server closed the connection")
        _xid, _mtype, reply_stat, _flavor, vlen = struct.unpack(">IIIII", body[:20])
        off = 20 + ((vlen + 3) & ~3)
        accept_stat, status = struct.unpack(">II", body[off:off + 8])
        if reply_stat != 0 or accept_stat != 0:
            raise AssertionError(f"RPC not accepted: {body[:32].hex()}")
        off += 8
        taglen = struct.unpack(">I", body[off:off + 4])[0]
        off += 4 + ((taglen + 3) & ~3) + 4  # the tag, then resarray's count
        return status, body[off:]

    # Operations at the export root (RFC 7530 section 16: PUTROOTFH 24,
    # SAVEFH 32, REMOVE 28, RENAME 29).
    def rename(self, old, new):
        putroot, savefh = struct.pack(">I", 24), struct.pack(">I", 32)
        return self.compound([putroot, savefh, putroot,
                              struct.pack(">I", 29) + _opaque(old.encode()) + _opaque(new.encode())])

    def remove(self, name):
        return self.compound([struct.pack(">I", 24), struct.pack(">I", 28) + _opaque(name.encode())])

    # File handles (RFC 7530 section 16: GETATTR 9, GETFH 10, LOOKUP 15,
    # PUTFH 22).
    def handle_of(self, name):
        """The file handle of `name` at the export root (PUTROOTFH, LOOKUP, GETFH)."""
        status, res = self.compound_reply([struct.pack(">I", 24),
                                           struct.pack(">I", 15) + _opaque(name.encode()),
                                           struct.pack(">I", 10)])
        if status != 0:
            raise AssertionError(f"LOOKUP {name}: nfsstat4 {status}")
        # PUTROOTFH (op, status), LOOKUP (op, status), GETFH (op, status, nfs_fh4).
        op, st, n = struct.unpack(">III", res[16:28])
        assert (op, st) == (10, 0), (op, st)
        return res[28:28 + n]

    def size_and_fileid(self, fh):
        """(nfsstat4, (size, fileid) or None) of PUTFH fh + GETATTR {size, fileid}."""
        want = struct.pack(">II", 1, (1 << 4) | (1 << 20))  # bitmap4: size (4), fileid (20)
        status, res = self.compound_reply([struct.pack(">I", 22) + _opaque(fh),
                                           struct.pack(">I", 9) + want])
        if status != 0:
            return status, None
        # PUTFH (op, status), GETATTR (op, status, bitmap4, attrlist4).
        words = struct.unpack(">I", res[16:20])[0]
        bitmap = struct.unpack(f">{words}I", res[20:20 + 4 * words])
        assert bitmap[0] == (1 << 4) | (1 << 20), bitmap
        off = 20 + 4 * words + 4  # past attrlist4's length
        return 0, struct.unpack(">QQ", res[off:off + 16])


def answers(ip, port):
    """True when a new connection to ip:port gets its NULL call answered."""
    try:
        conn = Connection(ip, port)
    except OSError:
        return False
    try:
        return conn.null()
    finally:
        conn.close()


def closed_by_server(conn):
    """True once the server has closed `conn` (polls without blocking long)."""
    conn.sock.settimeout(0.2)
    try:
        return conn.sock.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


# --- the suite -------------------------------------------------------------

class TwoNodes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        conf = os.environ["ELFS_CEPH_CONF"]
        pool = f"elfs-e2e-{os.getpid()}"
        common = ["--backend", "ceph", "--ceph-conf", conf, "--ceph-client-id", "admin",
                  "--store", "rados", "--rados-pool", pool, "--grace-seconds", "0"]
        cls.a = Elfsd(ELFSD, extra_args=common + ["--node-az", "use1-az1"])
        cls.b = Elfsd(ELFSD, extra_args=common + ["--node-az", "use1-az2"])
        cls.b.nfs_port = cls.a.nfs_port  # mount targets on one port, as EFS's 2049
        cls.port = cls.a.nfs_port
        cls.a.start()
        cls.b.start()
        cls.work = tempfile.mkdtemp(prefix="elfs-two-nodes-")
        cls.ec2 = cls.a.client("ec2")
        cls.efs = cls.a.client("efs")
        subnets = {s["AvailabilityZoneId"]: s for s in cls.ec2.describe_subnets(
            Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]}
        vpc = subnets["use1-az1"]["VpcId"]
        cls.sg = cls.ec2.create_security_group(GroupName="nfs-from-localhost", Description="libnfs",
                                               VpcId=vpc)["GroupId"]
        cls.rule = {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049,
                    "IpRanges": [{"CidrIp": "127.0.0.1/32"}]}
        cls.ec2.authorize_security_group_ingress(GroupId=cls.sg, IpPermissions=[cls.rule])
        cls.fs = cls.efs.create_file_system(CreationToken="two-nodes")["FileSystemId"]
        cls.mt = {}
        for zone in ("use1-az1", "use1-az2"):
            mt = cls.efs.create_mount_target(FileSystemId=cls.fs, SubnetId=subnets[zone]["SubnetId"],
                                             SecurityGroups=[cls.sg])
            cls.mt[zone] = (mt["MountTargetId"], mt["IpAddress"])
        cls.ip_a = cls.mt["use1-az1"][1]
        cls.ip_b = cls.mt["use1-az2"][1]

    @classmethod
    def tearDownClass(cls):
        cls.b.cleanup()
        cls.a.cleanup()
        subprocess.run(["rm", "-rf", cls.work])

    def url(self, ip, name):
        return f"nfs://{ip}//{name}?version=4&nfsport={self.port}"

    def nfs(self, *args):
        return subprocess.run(list(args), capture_output=True, timeout=60)

    def write(self, ip, name, data):
        src = os.path.join(self.work, "src-" + name)
        with open(src, "wb") as f:
            f.write(data)
        return self.nfs("nfs-cp", src, self.url(ip, name))

    def read(self, ip, name):
        """The bytes of `name` through the mount target at ip, or None."""
        r = self.nfs("nfs-cat", self.url(ip, name))
        return r.stdout if r.returncode == 0 else None

    def names(self, ip):
        r = self.nfs("nfs-ls", self.url(ip, ""))
        self.assertEqual(r.returncode, 0, r.stderr)
        return {line.split()[-1] for line in r.stdout.decode().splitlines() if line.split()}

    def log_tail(self, node):
        with open(node.log_path, "rb") as f:
            return b"\n--- " + node.log_path.encode() + b"\n" + b"\n".join(f.read().splitlines()[-15:])

    def node_serves(self, node, mt_id):
        with open(node.log_path) as f:
            return f"serving mount target {mt_id}" in f.read()

    def test_1_each_node_serves_its_zone(self):
        # B learned of its mount target from A's commit; A does not serve it.
        eventually(lambda: self.node_serves(self.b, self.mt["use1-az2"][0]), "B serves its zone")
        self.assertFalse(self.node_serves(self.b, self.mt["use1-az1"][0]))
        with open(self.a.log_path) as f:
            self.assertIn(f"mount target {self.mt['use1-az2'][0]} at {self.ip_b} is in zone use1-az2",
                          f.read())
        eventually(lambda: answers(self.ip_b, self.port), "B answers on its mount target")
        self.assertTrue(answers(self.ip_a, self.port))
        # B's API answers from the shared state, with A's credentials.
        fss = self.b.client("efs", *self.a.root_credentials()).describe_file_systems(FileSystemId=self.fs)["FileSystems"]
        self.assertEqual(fss[0]["NumberOfMountTargets"], 2)

    def test_2_bytes_written_on_a_are_read_on_b(self):
        eventually(lambda: answers(self.ip_b, self.port), "B answers on its mount target")
        # nfs-cp (libnfs 5.0, NFSv4.0) fails to write files of 8 KiB and more
        # to elfsd on any backend (tests/e2e/libnfs_test.sh writes 3000 bytes
        # too); larger reads work.
        data = os.urandom(3000)
        r = self.write(self.ip_a, "data", data)
        self.assertEqual(r.returncode, 0, r.stderr + self.log_tail(self.a))
        self.assertEqual(self.read(self.ip_b, "data"), data)

    def test_3_rename_and_remove_seen_on_the_other_node(self):
        eventually(lambda: answers(self.ip_b, self.port), "B answers on its mount target")
        r = self.write(self.ip_a, "before", b"renamed\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("before", self.names(self.ip_b))
        conn_a = Connection(self.ip_a, self.port)
        self.assertEqual(conn_a.rename("before", "after"), 0)
        conn_a.close()
        names = self.names(self.ip_b)
        self.assertIn("after", names)
        self.assertNotIn("before", names)
        self.assertEqual(self.read(self.ip_b, "after"), b"renamed\n")
        self.assertIsNone(self.read(self.ip_b, "before"))
        conn_b = Connection(self.ip_b, self.port)
        self.assertEqual(conn_b.remove("after"), 0)
        conn_b.close()
        self.assertNotIn("after", self.names(self.ip_a))
        self.assertIsNone(self.read(self.ip_a, "after"))

    def test_4_policy_put_on_a_acts_on_b(self):
        eventually(lambda: answers(self.ip_b, self.port), "B answers on its mount target")
        self.assertEqual(self.write(self.ip_b, "policy-0", b"x").returncode, 0)
        mount_only = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["elasticfilesystem:ClientMount"],
            "Resource": "*"}]}
        self.efs.put_file_system_policy(FileSystemId=self.fs, Policy=json.dumps(mount_only),
                                        BypassPolicyLockoutSafetyCheck=True)
        try:
            n = [0]

            def write_refused():
                n[0] += 1
                return self.write(self.ip_b, f"policy-{n[0]}", b"x").returncode != 0
            eventually(write_refused, "a write through B refused after the policy put through A")
            self.assertIn("policy-0", self.names(self.ip_b))  # mounting still works
        finally:
            self.efs.delete_file_system_policy(FileSystemId=self.fs)
        eventually(lambda: self.write(self.ip_b, "policy-back", b"y").returncode == 0,
                   "writes through B work again after the policy is deleted through A")

    def test_5_security_group_change_on_a_acts_on_b(self):
        eventually(lambda: answers(self.ip_b, self.port), "B answers on its mount target")
        live = Connection(self.ip_b, self.port)
        self.assertTrue(live.null())
        self.ec2.revoke_security_group_ingress(GroupId=self.sg, IpPermissions=[self.rule])
        try:
            eventually(lambda: closed_by_server(live), "B closes the live connection")

            eventually(lambda: not answers(self.ip_b, self.port), "B refuses a new connection")
        finally:
            live.close()
            self.ec2.authorize_security_group_ingress(GroupId=self.sg, IpPermissions=[self.rule])
        eventually(lambda: answers(self.ip_b, self.port), "B accepts again")

    def test_6_a_restarted_node_serves_its_zone_from_the_shared_state(self):
        eventually(lambda: answers(self.ip_b, self.port), "B answers on its mount target")
        r = self.write(self.ip_b, "before-restart", b"kept\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.b.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.b.proc.wait(30), 0, self.log_tail(self.b))
        self.b.proc = None
        self.b.start()
        eventually(lambda: answers(self.ip_b, self.port), "the restarted B answers on its mount target")
        self.assertEqual(self.read(self.ip_b, "before-restart"), b"kept\n")
        self.assertEqual(self.read(self.ip_a, "before-restart"), b"kept\n")


    def ceph_sessions(self, client_uuid):
        """Ids of the MDS sessions whose client is named client_uuid."""
        r = subprocess.run(["ceph", "--conf", os.environ["ELFS_CEPH_CONF"], "--format", "json",
                            "tell", "mds.*", "session", "ls"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return sorted(s["id"] for s in json.loads(r.stdout)
                      if s.get("client_metadata", {}).get("uuid") == client_uuid)

    def test_7_a_killed_node_reclaims_its_ceph_sessions_on_restart(self):
        eventually(lambda: answers(self.ip_b, self.port), "B answers on its mount target")
        r = self.write(self.ip_b, "held-by-b", b"b\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.b.data_dir, "state", "ceph-node-id"), "rb") as f:
            client = f"elfs-{f.read().hex()}/{self.fs}"
        before = self.ceph_sessions(client)
        self.assertEqual(len(before), 1, before)
        self.b.proc.kill()  # no unmount: the MDS keeps B's session until it times out...
        self.b.proc.wait()
        self.b.proc = None
        self.b.start()  # ...unless the restarted B reclaims it
        eventually(lambda: answers(self.ip_b, self.port), "the restarted B answers on its mount target")
        after = self.ceph_sessions(client)
        self.assertEqual(len(after), 1, after)
        self.assertNotEqual(after, before)
        # A reads, removes and writes again the file B's dead client had
        # written (nfs-cp does not overwrite): nothing waits for that client.
        self.assertIsNotNone(self.read(self.ip_a, "held-by-b"))
        conn = Connection(self.ip_a, self.port)
        self.assertEqual(conn.remove("held-by-b"), 0)
        conn.close()
        r = self.write(self.ip_a, "held-by-b", b"a\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read(self.ip_b, "held-by-b"), b"a\n")

    def test_8_a_handle_from_one_node_is_resolved_by_the_other(self):
        # Runs after B's restarts (tests 6 and 7): the restarted B read the
        # cluster's handle key and export number from the pool again.
        eventually(lambda: answers(self.ip_b, self.port), "B answers on its mount target")
        data = os.urandom(1234)
        r = self.write(self.ip_a, "by-handle", data)
        self.assertEqual(r.returncode, 0, r.stderr)
        a, b = Connection(self.ip_a, self.port), Connection(self.ip_b, self.port)
        try:
            fh_a = a.handle_of("by-handle")
            status, on_a = a.size_and_fileid(fh_a)
            self.assertEqual(status, 0)
            self.assertEqual(on_a[0], len(data))
            status, on_b = b.size_and_fileid(fh_a)
            self.assertEqual(status, 0, "B refused a handle A gave out")
            self.assertEqual(on_b, on_a)
            # And the other way round: B's handle of the same file is the
            # same bytes and resolves on A; so does B's root handle.
            fh_b = b.handle_of("by-handle")
            self.assertEqual(fh_b, fh_a)
            self.assertEqual(a.size_and_fileid(fh_b)[0], 0)
            status, res = b.compound_reply([struct.pack(">I", 24), struct.pack(">I", 10)])
            self.assertEqual(status, 0)
            # PUTROOTFH (op, status), GETFH (op, status, nfs_fh4).
            root_b = res[20:20 + struct.unpack(">I", res[16:20])[0]]
            self.assertEqual(a.size_and_fileid(root_b)[0], 0)
            # A handle of a removed file is stale on both nodes, not resolved.
            self.assertEqual(a.remove("by-handle"), 0)
            self.assertEqual(a.size_and_fileid(fh_a)[0], 70)  # NFS4ERR_STALE
            eventually(lambda: b.size_and_fileid(fh_a)[0] == 70, "the removed file's handle is stale on B")
        finally:
            a.close()
            b.close()


if __name__ == "__main__":
    ELFSD = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
