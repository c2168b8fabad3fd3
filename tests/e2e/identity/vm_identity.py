#!/usr/bin/env python3
"""The Linux kernel NFS client (the e2e qemu VM) through every layer of the
security model: elfsd set up only through boto3, plain TCP and TLS (stunnel
with elfs-client-cert certificates, as efs-utils would run it) from the VM,
IAM identities, file system policies, access points and root squash. The
VM's workload is vm_workload.sh, overlaid on the initramfs that
tests/e2e/vm/build-vm.sh builds; this harness asserts on the lines it prints.

Usage: vm_identity.py ELFSD ELFS_CLIENT_CERT
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import identity_suite as suite  # noqa: E402
from identity_suite import policy, statement  # noqa: E402

VM_CACHE = os.environ.get("ELFS_E2E_VM_CACHE", "/var/tmp/elfs-e2e-vm")
DOORS = ["anon", "iam", "ap", "ro", "squash"]


class Relay:
    """A plain-TCP door: 127.0.0.1:port -> target, so the VM (which reaches
    only the host's loopback through qemu) can dial a mount target."""

    def __init__(self, target):
        ip, port = target.rsplit(":", 1)
        self.target = (ip, int(port))
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, 5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    @staticmethod
    def pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.sock.close()


class VmIdentity(suite.IdentityFixture):
    @classmethod
    def setUpClass(cls):
        subprocess.run([os.path.join(HERE, "..", "vm", "build-vm.sh")], check=True,
                       env=dict(os.environ, ELFS_E2E_VM_CACHE=VM_CACHE))
        super().setUpClass()

    def initrd(self):
        """The VM's initramfs with this suite's workload in place of the default one."""
        root = tempfile.mkdtemp(prefix="overlay-", dir=self.work)
        os.makedirs(os.path.join(root, "bin"))
        with open(os.path.join(HERE, "vm_workload.sh"), "rb") as src, \
                open(os.path.join(root, "bin", "workload.sh"), "wb") as dst:
            dst.write(src.read())
        os.chmod(os.path.join(root, "bin", "workload.sh"), 0o755)
        overlay = os.path.join(self.work, "overlay.cpio.gz")
        subprocess.run(f"cd {root} && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1 > {overlay}",
                       shell=True, check=True)
        out = os.path.join(self.work, "initrd.gz")
        with open(out, "wb") as f:
            for part in (os.path.join(VM_CACHE, "initrd.gz"), overlay):
                with open(part, "rb") as p:
                    f.write(p.read())  # the kernel unpacks concatenated archives in order
        return out

    def accel(self):
        try:
            with open(os.path.join(VM_CACHE, "kvm-probe")) as f:
                if f.read().splitlines()[1] == "yes":
                    return ["-machine", "accel=kvm", "-cpu", "host"]
        except (OSError, IndexError):
            pass
        return ["-machine", "accel=tcg", "-cpu", "max"]

    def test_kernel_client_through_every_layer(self):
        alice_arn = self.iam.get_user(UserName="alice")["User"]["Arn"]
        # fs P: authenticated principals only; one access point read-only.
        fs, target = self.file_system("vm-p")
        with open(self.fs_dir(fs, "outside"), "w") as f:
            f.write("secret\n")
        ap, _ = self.access_point(fs, "/app", 1000, 1000, creation=(1000, 1000, "755"))
        ro, ro_arn = self.access_point(fs, "/noPII", 3000, 3000, creation=(3000, 3000, "755"))
        self.efs.put_file_system_policy(FileSystemId=fs, BypassPolicyLockoutSafetyCheck=True, Policy=policy(
            statement("Allow", ["ClientMount", "ClientWrite", "ClientRootAccess"],
                      condition={"Null": {"aws:PrincipalArn": "false"}}),
            statement("Deny", ["ClientWrite"], principal=alice_arn,
                      condition={"StringEquals": {"elasticfilesystem:AccessPointArn": ro_arn}})))
        # fs Q: anonymous may mount and write, without root access.
        fs_q, target_q = self.file_system("vm-q", policy(statement("Allow", ["ClientMount", "ClientWrite"])))
        os.makedirs(self.fs_dir(fs_q, "open"))
        os.chmod(self.fs_dir(fs_q, "open"), 0o777)

        relays = [Relay(target), Relay(target_q)]
        self.addCleanup(lambda: [r.close() for r in relays])
        key = {"key": self.alice[0], "secret": self.alice[1]}
        ports = {
            "anon": relays[0].port,
            "iam": self.tls("vm-iam", fs, target, **key)[1],
            "ap": self.tls("vm-ap", fs, target, ap=ap, **key)[1],
            "ro": self.tls("vm-ro", fs, target, ap=ro, **key)[1],
            "squash": relays[1].port,
        }
        # The read-only data set exists before the VM reads it.
        self.assertMounts(("127.0.0.1", ports["ro"]), "read-only access point")
        with open(self.fs_dir(fs, "noPII", "dataset"), "w") as f:
            f.write("rows\n")

        cmdline = "console=ttyS0 panic=-1 quiet nfs.nfs4_unique_id=identity " + \
            " ".join(f"e2e_{d}={p}" for d, p in ports.items())
        console = os.path.join(self.work, "console.log")
        with open(console, "wb") as out:
            subprocess.run(["qemu-system-x86_64", "-m", "512", "-smp", "1", "-nographic", "-no-reboot",
                            "-nodefaults", "-serial", "stdio", "-kernel", os.path.join(VM_CACHE, "vmlinuz"),
                            "-initrd", self.initrd(), "-netdev", "user,id=n0",
                            "-device", "virtio-net-pci,netdev=n0,romfile="] + self.accel() +
                           ["-append", cmdline], stdin=subprocess.DEVNULL, stdout=out,
                           stderr=subprocess.STDOUT, timeout=600)
        with open(console, errors="replace") as f:
            text = f.read().replace("\r", "")
        results = dict(re.findall(r"E2E RESULT (\w+) (PASS|FAIL .*)", text))
        print("\n" + "\n".join(line for line in text.splitlines() if "E2E RESULT" in line), file=sys.stderr)
        self.assertIn("E2E DONE", text, text[-3000:])
        for door in DOORS:
            self.assertEqual(results.get(door, "missing")[:4], "PASS", f"{door}: {results.get(door)}")
        # What the VM wrote, seen on the server.
        st = os.stat(self.fs_dir(fs, "app", "by-root"))
        self.assertEqual((st.st_uid, st.st_gid), (1000, 1000))
        st = os.stat(self.fs_dir(fs_q, "open", "by-root"))
        self.assertEqual((st.st_uid, st.st_gid), (65534, 65534))
        self.assertFalse(os.path.exists(self.fs_dir(fs, "noPII", "new")))


if __name__ == "__main__":
    suite.ELFSD = os.path.abspath(sys.argv.pop(1))
    suite.CLIENT_CERT = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2, defaultTest="VmIdentity")
