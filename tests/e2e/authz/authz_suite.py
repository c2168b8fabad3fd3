#!/usr/bin/env python3
"""Client authorization end to end (issue 6, scenarios 5-7 and policy
changes on live mounts): a real elfsd set up only through boto3, and libnfs
(nfs-ls / nfs-cp, NFSv4.0 over plain TCP, i.e. an anonymous client with
aws:SecureTransport=false) as the client. Ownership is read from the file
system's directory on the host.

Usage: authz_suite.py ELFSD_BINARY
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
from elfsd_harness import Elfsd  # noqa: E402

ELFSD = None


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions):
    return {"Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": [f"elasticfilesystem:{a}" for a in actions], "Resource": "*",
            "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}}


class AuthzSuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Elfsd(ELFSD)
        cls.d.start()
        with open(cls.d.log_path) as f:
            m = re.search(r"serving file system (fs-[0-9a-f]+) at 127\.0\.0\.1:(\d+)", f.read())
        assert m, "no 'serving file system' line in the log"
        cls.fs_id, cls.port = m.group(1), int(m.group(2))
        cls.fs_dir = os.path.join(cls.d.data_dir, "fs", cls.fs_id)
        cls.efs = cls.d.client("efs")
        cls.work = tempfile.mkdtemp(prefix="elfs-authz-")
        cls.payload = os.path.join(cls.work, "payload")
        with open(cls.payload, "w") as f:
            f.write("payload\n")
        # Directories made on the host: 0777 and 0755 owned by 1000:1000.
        for name, mode in (("open", 0o777), ("closed", 0o755)):
            p = os.path.join(cls.fs_dir, name)
            os.makedirs(p, exist_ok=True)
            os.chown(p, 1000, 1000)
            os.chmod(p, mode)
        with open(os.path.join(cls.fs_dir, "readme"), "w") as f:
            f.write("hello\n")

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        subprocess.run(["rm", "-rf", cls.work])

    def setUp(self):
        self.set_policy(None)

    def set_policy(self, doc):
        if doc is None:
            self.efs.delete_file_system_policy(FileSystemId=self.fs_id)
        else:
            self.efs.put_file_system_policy(FileSystemId=self.fs_id, Policy=doc,
                                            BypassPolicyLockoutSafetyCheck=True)

    def url(self, path, uid=0, gid=0):
        return f"nfs://127.0.0.1{path}?version=4&nfsport={self.port}&uid={uid}&gid={gid}"

    def run_nfs(self, *args):
        return subprocess.run(list(args), capture_output=True, text=True, timeout=30)

    def put(self, path, uid=0, gid=0):
        return self.run_nfs("nfs-cp", self.payload, self.url(path, uid, gid))

    def owner(self, rel):
        st = os.stat(os.path.join(self.fs_dir, rel))
        return st.st_uid, st.st_gid

    def test_5_no_policy_anonymous_full_access_root_included(self):
        r = self.put("/open/by-root-5")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.owner("open/by-root-5"), (0, 0))
        r = self.put("/closed/by-root-5")  # root may write anywhere
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_6_mount_only_reads_work_writes_fail(self):
        self.set_policy(policy(allow("ClientMount")))
        r = self.run_nfs("nfs-ls", self.url("/"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("readme", r.stdout)
        r = self.put("/open/denied-6")
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(self.fs_dir, "open", "denied-6")))

    def test_7_no_root_access_squashes(self):
        self.set_policy(policy(allow("ClientMount", "ClientWrite")))
        r = self.put("/open/squashed-7")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.owner("open/squashed-7"), (65534, 65534))
        r = self.put("/closed/squashed-7")
        self.assertNotEqual(r.returncode, 0)
        r = self.put("/closed/user-7", uid=1000, gid=1000)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.owner("closed/user-7"), (1000, 1000))

    def test_no_client_mount_refuses_the_mount(self):
        self.set_policy(policy(allow("ClientWrite", "ClientRootAccess")))
        r = self.run_nfs("nfs-ls", self.url("/"))
        self.assertNotEqual(r.returncode, 0)
        # The refusal is in the audit log, naming the layer and the action.
        refusals = [e for e in self.d.audit_lines()
                    if e.get("eventSource", e.get("event_source")) == "nfs"
                    and "ClientMount" in json.dumps(e) and "deny" in json.dumps(e)]
        self.assertTrue(refusals, "no nfs ClientAuthorization deny event in the audit log")

    def test_enforce_in_transit_encryption_refuses_plain_tcp(self):
        # Client actions only: the API itself is called over plain HTTP here.
        deny = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:Client*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        self.set_policy(policy(allow("ClientMount", "ClientWrite"), deny))
        r = self.run_nfs("nfs-ls", self.url("/"))
        self.assertNotEqual(r.returncode, 0)

    def test_policy_changes_reach_new_mounts_at_once(self):
        self.set_policy(policy(allow("ClientMount")))
        self.assertNotEqual(self.put("/open/later").returncode, 0)
        self.set_policy(None)
        deadline = time.time() + 5
        while time.time() < deadline and self.put("/open/later").returncode != 0:
            time.sleep(0.2)
        self.assertEqual(self.owner("open/later"), (0, 0))


if __name__ == "__main__":
    ELFSD = sys.argv.pop(1)
    unittest.main(verbosity=2)
