#!/usr/bin/env bash
# TLS like amazon-efs-utils, end to end (TESTING.md §6): a real elfsd, a file
# system and a mount target made with the AWS CLI, an IAM user's access key,
# a client certificate from elfs-client-cert, and Debian's stunnel4 as the
# TLS client (client = yes, cert/key, CAfile = elfs's CA, verifyChain,
# checkHost) in front of libnfs' nfs-ls. Checks that the signed identity
# mounts, that a bad signature, an unknown key and a certificate for another
# file system are refused by the server (and logged with the reason), that
# stunnel refuses a server name the certificate does not carry, and that
# plain RPC still works on the same port.
#
# Usage: tls_suite.sh ELFSD_BINARY ELFS_CLIENT_CERT_BINARY
set -euo pipefail
elfsd=$1
client_cert=$2
for tool in stunnel4 nfs-ls aws openssl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/deps.sh test)"; exit 1; }
done
work=$(mktemp -d)
pid=
tunnels=()
cleanup() {
  for t in "${tunnels[@]}"; do kill "$t" 2>/dev/null || true; done
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
region=us-east-1
nfs_port=$(free_port)
"$elfsd" --data-dir "$work/data" --listen "127.0.0.1:$(free_port)" --api-listen 127.0.0.1:0 --api-tls \
  --nfs-port "$nfs_port" --region "$region" --log-level debug >"$work/elfsd.log" 2>&1 &
pid=$!
api=
for _ in $(seq 200); do
  api=$(grep -so 'API at https://127.0.0.1:[0-9]*' "$work/elfsd.log" | head -1 | sed 's/API at //') || true
  [ -n "$api" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/elfsd.log"; exit 1; }
  sleep 0.1
done
[ -n "$api" ] || { echo "elfsd did not start"; cat "$work/elfsd.log"; exit 1; }

creds=$work/data/secrets/root-credentials
root_key=$(sed -n 's/^aws_access_key_id *= *//p' "$creds")
root_secret=$(sed -n 's/^aws_secret_access_key *= *//p' "$creds")
awsc() {
  AWS_ACCESS_KEY_ID=$root_key AWS_SECRET_ACCESS_KEY=$root_secret AWS_DEFAULT_REGION=$region \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= AWS_MAX_ATTEMPTS=1 \
    aws --endpoint-url "$api" --ca-bundle "$work/data/ca.pem" --output text "$@"
}

fs=$(awsc efs create-file-system --creation-token tls-suite --query FileSystemId)
subnet=$(awsc ec2 describe-subnets --query 'Subnets[0].SubnetId')
ip=$(awsc efs create-mount-target --file-system-id "$fs" --subnet-id "$subnet" --query IpAddress)
# The clients here connect from 127.0.0.1, outside the VPC: let the mount
# target's (default) security group admit it (the network layer is not what
# this suite tests).
sg=$(awsc efs describe-mount-target-security-groups --mount-target-id \
  "$(awsc efs describe-mount-targets --file-system-id "$fs" --query 'MountTargets[0].MountTargetId')" \
  --query 'SecurityGroups[0]')
awsc ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 2049 \
  --cidr 127.0.0.1/32 >/dev/null
awsc iam create-user --user-name tls-user >/dev/null
read -r user_key user_secret < <(awsc iam create-access-key --user-name tls-user \
  --query 'AccessKey.[AccessKeyId,SecretAccessKey]')
echo "file system $fs, mount target $ip:$nfs_port, user key $user_key"
for _ in $(seq 100); do
  grep -q "listening on $ip:$nfs_port" "$work/elfsd.log" && break
  sleep 0.1
done

url() { echo "nfs://127.0.0.1/?version=4&nfsport=$1"; }
host=$fs.efs.$region.amazonaws.com

# tunnel NAME CERT KEY CHECKHOST: starts stunnel in front of the mount target
# (CERT "-": no client certificate);
# its local port is left in $port.
tunnel() {
  local name=$1 cert=$2 key=$3 check=$4
  port=$(free_port)
  cat >"$work/$name.conf" <<CONF
foreground = yes
pid =
debug = info
output = $work/$name.stunnel.log
[efs]
client = yes
accept = 127.0.0.1:$port
connect = $ip:$nfs_port
$( [ "$cert" = - ] || printf 'cert = %s\nkey = %s' "$cert" "$key")
CAfile = $work/data/ca.pem
verifyChain = yes
checkHost = $check
sslVersionMin = TLSv1.2
CONF
  stunnel4 "$work/$name.conf" >"$work/$name.stunnel.err" 2>&1 &
  tunnels+=($!)
  for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2).close()" \
      2>/dev/null && break
    sleep 0.1
  done
  grep -q "Configuration successful" "$work/$name.stunnel.log" || {
    echo "stunnel $name did not start"; cat "$work/$name.stunnel.err"; exit 1; }
}

passed=0 failed=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then passed=$((passed + 1)); echo "PASS $name"
  else failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/  /' "$work/out"; fi
}
ls_ok() { timeout 20 nfs-ls "$(url "$1")"; }
ls_fails() { ! timeout 20 nfs-ls "$(url "$1")"; }
logged() { grep -q "$1" "$work/elfsd.log"; }

cert() {  # cert NAME KEYID SECRET FS
  "$client_cert" --file-system-id "$4" --region "$region" --access-key-id "$2" \
    --secret-access-key "$3" --cert-out "$work/$1.pem" --key-out "$work/$1.key" >/dev/null
}
cert good "$user_key" "$user_secret" "$fs"
cert badsig "$user_key" "not-the-secret" "$fs"
cert unknown AKIAUNKNOWNKEY000001 "whatever" "$fs"
cert otherfs "$user_key" "$user_secret" fs-0123456789abcdef0

tunnel good "$work/good.pem" "$work/good.key" "$host"; good=$port
check signed_identity_mounts ls_ok "$good"
check server_verified_signature logged "signature verified"
check tls13_negotiated grep -q "TLSv1.3" "$work/good.stunnel.log"

# efs-utils' proxy binds each new connection to a partition before NFS:
# program 400123 v1 proc 2 must answer READY with a 64-byte partition id.
bind_ready() {
  python3 - "$1" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
args = struct.pack(">I", 16) + bytes(range(16)) + struct.pack(">I", 8) + bytes(8)
call = struct.pack(">IIIIIIIIII", 7, 0, 2, 400123, 1, 2, 0, 0, 0, 0) + args
s.sendall(struct.pack(">I", 0x80000000 | len(call)) + call)
n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0] & 0x7FFFFFFF
body = s.recv(n, socket.MSG_WAITALL)
xid, mtype, stat, _, _, accept, kind = struct.unpack(">IIIIIII", body[:28])
assert (xid, mtype, stat, accept, kind) == (7, 1, 0, 0, 3), body[:28]
assert len(body) == 28 + 64 + 16, len(body)
PY
}
check bind_client_to_partition_ready bind_ready "$good"

tunnel anon - - "$host"; anon=$port
check anonymous_tls_mounts ls_ok "$anon"
check anonymous_tls_logged logged "no client certificate: anonymous"

tunnel badsig "$work/badsig.pem" "$work/badsig.key" "$host"; badsig=$port
check bad_signature_refused ls_fails "$badsig"
check bad_signature_logged logged "SignatureDoesNotMatch"

tunnel unknown "$work/unknown.pem" "$work/unknown.key" "$host"; unknown=$port
check unknown_key_refused ls_fails "$unknown"
check unknown_key_logged logged "InvalidClientTokenId"

tunnel otherfs "$work/otherfs.pem" "$work/otherfs.key" "$host"; otherfs=$port
check other_file_system_refused ls_fails "$otherfs"
check other_file_system_logged logged "WrongFileSystem"

tunnel wildcard "$work/good.pem" "$work/good.key" "anything.efs.$region.amazonaws.com"; wildcard=$port
check wildcard_name_accepted ls_ok "$wildcard"
tunnel wrongname "$work/good.pem" "$work/good.key" "fs-1.efs.eu-west-1.example.com"; wrongname=$port
check server_name_checked_by_client ls_fails "$wrongname"

plain_direct() { timeout 20 nfs-ls "nfs://$ip/?version=4&nfsport=$nfs_port"; }
check plain_rpc_to_mount_target plain_direct

kill -0 "$pid" || { echo "elfsd died"; failed=$((failed + 1)); }
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
