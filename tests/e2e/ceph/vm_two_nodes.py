#!/usr/bin/env python3
"""The Linux kernel NFS client on two elfs nodes of one Ceph cluster (issue 8).

The two nodes, the security group, the file system and its two mount targets
(use1-az1 on node A, use1-az2 on node B) come from two_nodes.py's fixture.
The e2e qemu VM (tests/e2e/vm/build-vm.sh), with vm_workload.sh overlaid on
its initramfs, reaches a mount target (127.31.x.y) through a plain-TCP relay
on 127.0.0.1 (identity/vm_identity.py's Relay), since qemu's user network
reaches only the host's loopback.

Two VMs at once, each mounted (NFSv4.1) through one node all along, driven
step by step through their consoles ("live"): a file written and synced
through A has the same checksum through B; B rewrites it and A's next open
sees the new bytes although A had the old ones cached (close-to-open); a
rename and a mkdir through A, a remove and an rmdir through B are seen on
the other (names are awaited: the kernel keeps a directory's cached entries
for its attribute cache time, acdirmin 30 s here).

Then one VM booted three times, one role each:

  1. "write" through A: a 1 MiB random file, a small file and a file in a
     directory, then sync;
  2. "read" through B (another boot: a new client, nothing cached): the same
     checksums; then a rename, a remove and a new file (sync);
  3. "check" through A again: the rename and the remove are seen, B's file
     has B's bytes.

The host also reads the bytes of step 1 with libnfs through B. Assertions
are on the "E2E SUM" / "E2E RESULT" lines each VM prints on its console.
Bounds are generous (5 minutes for a boot or a command, 10 for a whole
boot); nothing is timed. About a minute in all without KVM.

Usage: run_ceph_tests.sh /usr/bin/python3 vm_two_nodes.py ELFSD
"""
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "identity"))
import two_nodes  # noqa: E402
from vm_identity import Relay, VmIdentity  # noqa: E402

VM_CACHE = os.environ.get("ELFS_E2E_VM_CACHE", "/var/tmp/elfs-e2e-vm")
BOUND = 300.0  # seconds a VM may take to boot and mount, or to answer a command


class LiveVm:
    """A VM in the "live" role: mounted, running the commands written to its
    console (qemu's serial port on our stdin/stdout)."""

    def __init__(self, name, argv, log_path):
        self.name = name
        self.lines = []
        self.cv = threading.Condition()
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self.pump, daemon=True)
        self.reader.start()

    def pump(self):
        for raw in self.proc.stdout:
            self.log.write(raw)
            self.log.flush()
            with self.cv:
                self.lines.append(raw.decode(errors="replace").rstrip("\r\n"))
                self.cv.notify_all()
        with self.cv:
            self.lines.append(None)  # qemu exited
            self.cv.notify_all()

    def wait_line(self, start, prefixes):
        """(index, line) of the first line from `start` on that begins with
        one of prefixes; AssertionError when qemu exits or BOUND passes."""
        deadline = time.time() + BOUND
        with self.cv:
            i = start
            while True:
                while i < len(self.lines):
                    line = self.lines[i]
                    if line is None:
                        raise AssertionError("the VM stopped: " + " | ".join(
                            l for l in self.lines[-20:] if l))
                    if line.startswith(prefixes):
                        return i, line
                    i += 1
                if time.time() > deadline:
                    raise AssertionError(f"no {prefixes} within {BOUND:.0f} s")
                self.cv.wait(1.0)

    def ready(self):
        _, line = self.wait_line(0, ("E2E READY", "E2E RESULT"))
        if not line.startswith("E2E READY"):
            raise AssertionError(line)

    def run(self, cmd):
        """(exit status, output on one line) of a shell command in the VM."""
        with self.cv:
            start = len(self.lines)
        self.proc.stdin.write(cmd.encode() + b"\n")
        self.proc.stdin.flush()
        i, out = self.wait_line(start, ("E2E OUT",))
        _, end = self.wait_line(i + 1, ("E2E END",))
        got = int(end.split()[2]), out[len("E2E OUT "):].strip()
        print(f"[{self.name}] {cmd} -> {got}", file=sys.stderr)
        return got

    def quit(self):
        """Unmounts and powers off; the lines of the VM's results."""
        try:
            self.proc.stdin.write(b"quit\n")
            self.proc.stdin.flush()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=BOUND)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.close()
        with self.cv:
            return [l for l in self.lines if l and l.startswith("E2E RESULT")]

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(BOUND)  # qemu gone: its output ends, the reader sees the end
        for f in (self.proc.stdin, self.proc.stdout, self.log):
            try:
                f.close()
            except OSError:
                pass


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

    def qemu(self, role, relay_port, nfs_id):
        cmdline = (f"console=ttyS0 panic=-1 quiet nfs.nfs4_unique_id={nfs_id} "
                   f"e2e_port={relay_port} e2e_role={role} e2e_vers=4.1")
        return ["qemu-system-x86_64", "-m", "512", "-smp", "1", "-nographic", "-no-reboot",
                "-nodefaults", "-serial", "stdio", "-kernel", os.path.join(VM_CACHE, "vmlinuz"),
                "-initrd", self.initrd_path, "-netdev", "user,id=n0",
                "-device", "virtio-net-pci,netdev=n0,romfile="] + self.accel() + ["-append", cmdline]

    def boot(self, role, ip):
        """Boots the VM in `role` against the mount target at ip; returns
        ({name: md5 or "missing"}, result line) from its console."""
        relay = Relay(f"{ip}:{self.port}")
        try:
            console = os.path.join(self.work, f"console-{role}.log")
            with open(console, "wb") as out:
                subprocess.run(self.qemu(role, relay.port, f"two-nodes-{role}"),
                               stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                               timeout=600)
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

    def eventually(self, vm, cmd, want, what):
        """Runs cmd in vm until its (status, output) is `want` (bounded)."""
        deadline = time.time() + BOUND
        got = vm.run(cmd)
        while got != want and time.time() < deadline:
            time.sleep(1)
            got = vm.run(cmd)
        self.assertEqual(got, want, what)

    def test_kernel_clients_live_on_both_nodes(self):
        relays = [Relay(f"{self.ip_a}:{self.port}"), Relay(f"{self.ip_b}:{self.port}")]
        vms = [LiveVm(n, self.qemu("live", r.port, f"two-nodes-live-{n}"),
                      os.path.join(self.work, f"console-live-{n}.log"))
               for r, n in zip(relays, "ab")]
        try:
            on_a, on_b = vms
            on_a.ready()
            on_b.ready()
            # Written and synced through A, read through B (both mounted
            # all along, each with its own caches).
            self.assertEqual(on_a.run("dd if=/dev/urandom of=/mnt/live bs=64k count=8 2>/dev/null && "
                                      "sync")[0], 0)
            rc, sum_a = on_a.run("md5sum /mnt/live | cut -d' ' -f1")
            self.assertEqual(rc, 0)
            self.assertEqual(on_b.run("md5sum /mnt/live | cut -d' ' -f1"), (0, sum_a))
            # Close-to-open: B rewrites the file and closes it; A, which has
            # the old bytes cached, sees the new ones on its next open.
            self.assertEqual(on_b.run("echo rewritten-through-b >/mnt/live")[0], 0)
            self.assertEqual(on_a.run("cat /mnt/live"), (0, "rewritten-through-b"))
            # A rename and a directory made through A are seen through B, and
            # a remove through B through A (names: within the attribute
            # cache's time, acdirmax 60 s, so awaited).
            self.assertEqual(on_a.run("mv /mnt/live /mnt/live-moved && mkdir /mnt/live-dir")[0], 0)
            self.eventually(on_b, "cat /mnt/live-moved", (0, "rewritten-through-b"), "rename on B")
            self.eventually(on_b, "test -d /mnt/live-dir && test ! -e /mnt/live && echo ok", (0, "ok"),
                            "mkdir and the old name on B")
            self.assertEqual(on_b.run("rm /mnt/live-moved && rmdir /mnt/live-dir")[0], 0)
            self.eventually(on_a, "test ! -e /mnt/live-moved && test ! -e /mnt/live-dir && echo ok",
                            (0, "ok"), "remove on A")
            for vm in vms:
                results = vm.quit()
                self.assertTrue(results and all(" PASS" in r for r in results), results)
        finally:
            for vm in vms:
                vm.close()
            for r in relays:
                r.close()

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
    unittest.main(verbosity=2, defaultTest=["VmTwoNodes.test_kernel_clients_live_on_both_nodes",
                                            "VmTwoNodes.test_kernel_clients_write_on_a_and_read_on_b"])
