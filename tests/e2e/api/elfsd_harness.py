"""Starts and stops a real elfsd for the API end-to-end suites.

The daemon runs with a fresh data directory, an ephemeral API port, and
mount targets on a port of their own, so suites never collide with another
elfsd on the machine. Credentials come from the 0600 file elfsd writes on
first start, exactly as a user would find them.
"""
import configparser
import os
import signal
import socket
import subprocess
import tempfile
import time

import boto3
import botocore.config

REGION = "us-east-1"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Elfsd:
    def __init__(self, binary, data_dir=None, extra_args=(), tls=False):
        self.binary = binary
        self.owned_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="elfs-api-")
        self.nfs_port = free_port()
        self.tls = tls
        self.extra_args = list(extra_args) + (["--api-tls"] if tls else [])
        self.proc = None
        self.api_port = None
        self.log_path = os.path.join(self.data_dir, "elfsd.log")

    def start(self):
        offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--data-dir", self.data_dir,
             "--listen", f"127.0.0.1:{free_port()}",
             "--api-listen", "127.0.0.1:0" if self.api_port is None else f"127.0.0.1:{self.api_port}",
             "--nfs-port", str(self.nfs_port), "--region", REGION] + self.extra_args,
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                text = f.read().decode(errors="replace")
            scheme = "https" if self.tls else "http"
            marker = f"API at {scheme}://127.0.0.1:"
            if marker in text:
                self.api_port = int(text.rsplit(marker, 1)[1].split(",")[0])
                self.endpoint = f"{scheme}://127.0.0.1:{self.api_port}"
                return
            if self.proc.poll() is not None:
                raise RuntimeError("elfsd exited:\n" + text)
            time.sleep(0.05)
        raise RuntimeError("elfsd did not start")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self, sig=signal.SIGTERM):
        self.stop(sig)
        self.start()

    def root_credentials(self):
        path = os.path.join(self.data_dir, "secrets", "root-credentials")
        cp = configparser.ConfigParser()
        cp.read(path)
        return cp["elfs"]["aws_access_key_id"], cp["elfs"]["aws_secret_access_key"]

    def client(self, service, key=None, secret=None, token=None):
        if key is None:
            key, secret = self.root_credentials()
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
            verify=self.ca_bundle() if self.tls else None,
            config=botocore.config.Config(retries={"max_attempts": 1}))

    def cli(self, *args, key=None, secret=None, token=None, check=True):
        """Runs the real `aws` CLI; returns (exit code, stdout, stderr)."""
        if key is None:
            key, secret = self.root_credentials()
        env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
                   AWS_DEFAULT_REGION=REGION, AWS_MAX_ATTEMPTS="1", AWS_PAGER="",
                   AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        env.pop("AWS_SESSION_TOKEN", None)
        if token:
            env["AWS_SESSION_TOKEN"] = token
        tls = ["--ca-bundle", self.ca_bundle()] if self.tls else []
        p = subprocess.run(["aws", "--endpoint-url", self.endpoint, "--output", "json"] + tls + list(args),
                           env=env, capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({p.returncode}): {p.stderr}")
        return p.returncode, p.stdout, p.stderr

    def ca_bundle(self):
        """elfs's CA certificate: what a client trusts for --api-tls."""
        return os.path.join(self.data_dir, "ca.pem")

    def audit_lines(self):
        import json
        path = os.path.join(self.data_dir, "logs", "audit.jsonl")
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def cleanup(self):
        self.stop(signal.SIGKILL)
        if self.owned_dir:
            subprocess.run(["rm", "-rf", self.data_dir])


def nfs_null_ok(ip, port, timeout=2.0):
    """True if an NFSv4 NULL call to ip:port gets an accepted reply."""
    import struct
    try:
        with socket.create_connection((ip, port), timeout=timeout) as s:
            call = struct.pack(">IIIIII", 0x1234, 0, 2, 100003, 4, 0) + struct.pack(">IIII", 0, 0, 0, 0)
            s.sendall(struct.pack(">I", 0x80000000 | len(call)) + call)
            head = s.recv(4)
            if len(head) < 4:
                return False
            n = struct.unpack(">I", head)[0] & 0x7FFFFFFF
            body = b""
            while len(body) < n:
                chunk = s.recv(n - len(body))
                if not chunk:
                    return False
                body += chunk
            xid, mtype, reply_stat = struct.unpack(">III", body[:12])
            accept_stat = struct.unpack(">I", body[20:24])[0]
            return xid == 0x1234 and mtype == 1 and reply_stat == 0 and accept_stat == 0
    except OSError:
        return False
