#!/usr/bin/env python3
"""The Linux kernel NFS client on two elfs nodes of one Ceph cluster (issue 8).

The two nodes, the security group, the file system and its two mount targets
(use1-az1 on node A, use1-az2 on node B) come from two_nodes.py's fixture.
The e2e qemu VM (tests/e2e/vm/build-vm.sh) boots three times, one role each,
with vm_workload.sh overlaid on its initramfs; it reaches a mount target
(127.31.x.y) through a plain-TCP relay on 127.0.0.1 (identity/vm_identity.py's
Relay), since qemu's user network reaches only the host's loopback:

  1. "write" through A: a 1 MiB random file, a small file and a file in a
     directory, then sync;
  2. "read" through B (another boot: a new client, nothing cached): the same
     checksums; then a rename, a remove and a new file (sync);
  3. "check" through A again: the rename and the remove are seen, B's file
     has B's bytes.

The host also reads the bytes of step 1 with libnfs through B. Assertions
are on the "E2E SUM" / "E2E RESULT" lines each VM prints on its console.
The VM's own boot limit is generous (10 minutes); nothing is timed.

Usage: run_ceph_tests.sh /usr/bin/python3 vm_two_nodes.py ELFSD
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "identity"))
import two_nodes  # noqa: E402
from vm_identity import Relay, VmIdentity  # noqa: E402

VM_CACHE = os.environ.get("ELFS_E2E_VM_CACHE", "/var/tmp/elfs-e2e-vm")


class VmTwoNodes(two_nodes.TwoNodes):
    @classmethod
    def setUpClass(cls):
        subprocess.run([os.path.join(HERE, "..", "vm", "build-vm.sh")], check=True,
                       env=dict(os.environ, ELFS_E2E_VM_CACHE=VM_CACHE))
        super().setUpClass()
        cls.initrd_path = cls.make_initrd()

    @classmethod
    def make_initrd(cls):
        """The cached initramfs followed by an archive holding our workload as
        /bin/workload.sh (the kernel unpacks concatenated archives in order)."""
        root = tempfile.mkdtemp(prefix="overlay-", dir=cls.work)
        os.makedirs(os.path.join(root, "bin"))
        target = os.path.join(root, "bin", "workload.sh")
        with open(os.path.join(HERE, "vm_workload.sh"), "rb") as src:
            data = src.read()
        with open(target, "wb") as dst:
            dst.write(data)
        os.chmod(target, 0o755)
        cpio = subprocess.run("find . | cpio -o -H newc -R 0:0 --quiet | gzip -1", shell=True,
                              cwd=root, check=True, capture_output=True).stdout
        out = os.path.join(cls.work, "initrd-two-nodes.gz")
        with open(os.path.join(VM_CACHE, "initrd.gz"), "rb") as base, open(out, "wb") as f:
            f.write(base.read() + cpio)
        return out

    # KVM when the VM cache's probe found it works, else emulation.
    accel = VmIdentity.accel

    def boot(self, role, ip):
        """Boots the VM in `role` against the mount target at ip; returns
        ({name: md5 or "missing"}, result line) from its console."""
        relay = Relay(f"{ip}:{self.port}")
        try:
            console = os.path.join(self.work, f"console-{role}.log")
            cmdline = (f"console=ttyS0 panic=-1 quiet nfs.nfs4_unique_id=two-nodes-{role} "
                       f"e2e_port={relay.port} e2e_role={role} e2e_vers=4.1")
            with open(console, "wb") as out:
                subprocess.run(["qemu-system-x86_64", "-m", "512", "-smp", "1", "-nographic",
                                "-no-reboot", "-nodefaults", "-serial", "stdio",
                                "-kernel", os.path.join(VM_CACHE, "vmlinuz"),
                                "-initrd", self.initrd_path, "-netdev", "user,id=n0",
                                "-device", "virtio-net-pci,netdev=n0,romfile="] + self.accel() +
                               ["-append", cmdline], stdin=subprocess.DEVNULL, stdout=out,
                               stderr=subprocess.STDOUT, timeout=600)
        finally:
            relay.close()
        with open(console, errors="replace") as f:
            text = f.read().replace("\r", "")
        print(f"\n[{role}]\n" + "\n".join(l for l in text.splitlines() if l.startswith("E2E ")),
              file=sys.stderr)
        self.assertIn("E2E DONE", text, text[-3000:])
        sums = dict(re.findall(r"^E2E SUM (\S+) (\S+)$", text, re.M))
        results = re.findall(rf"^E2E RESULT {role} (.*)$", text, re.M)
        self.assertTrue(results and all(r.startswith("PASS") for r in results), results)
        return sums

    def test_kernel_clients_write_on_a_and_read_on_b(self):
        wrote = self.boot("write", self.ip_a)
        for name in ("big", "small", "dir/inner"):
            self.assertNotEqual(wrote.get(name, "missing"), "missing", name)
        # The host reads the same bytes through B as well (libnfs).
        small = self.read(self.ip_b, "small")
        self.assertEqual(small, b"small through A\n")

        read = self.boot("read", self.ip_b)
        for name in ("big", "small", "dir/inner"):
            self.assertEqual(read.get(name), wrote[name], f"{name} through B")

        check = self.boot("check", self.ip_a)
        self.assertEqual(check.get("big"), "missing", "renamed away through B")
        self.assertEqual(check.get("big-renamed"), wrote["big"])
        self.assertEqual(check.get("small"), "missing", "removed through B")
        self.assertEqual(check.get("dir/inner"), wrote["dir/inner"])
        self.assertEqual(check.get("dir/from-b"), read["dir/from-b"])
        self.assertNotEqual(read["dir/from-b"], "missing")


if __name__ == "__main__":
    two_nodes.ELFSD = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2, defaultTest="VmTwoNodes.test_kernel_clients_write_on_a_and_read_on_b")
