#!/usr/bin/env bash
# elfs-client-cert as a user runs it: credentials from the environment, key
# written 0600, the four efs-utils extensions present (checked by openssl),
# a usable key/certificate pair, and clear failures for bad input.
# Usage: client_cert_smoke.sh ELFS_CLIENT_CERT_BINARY
set -euo pipefail
tool=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
AWS_ACCESS_KEY_ID=AKIASMOKETEST0000001 AWS_SECRET_ACCESS_KEY=smoke-secret AWS_SESSION_TOKEN=tok \
  "$tool" --file-system-id fs-0123abcd --region eu-west-3 \
  --access-point-id fsap-0123456789abcdef0 --key-type ec >out.txt
grep -q "AKIASMOKETEST0000001" out.txt
[ "$(stat -c %a client.key)" = 600 ] || { echo "key mode $(stat -c %a client.key)"; exit 1; }
text=$(openssl x509 -in client.pem -noout -text)
for oid in 1.3.6.1.4.1.4843.7.1 1.3.6.1.4.1.4843.7.2 1.3.6.1.4.1.4843.7.3 1.3.6.1.4.1.4843.7.4; do
  grep -q "$oid" <<<"$text" || { echo "missing $oid"; exit 1; }
done
grep -q "fsap-0123456789abcdef0" <<<"$text"
grep -q "fs-0123abcd" <<<"$text"
# The key matches the certificate.
[ "$(openssl x509 -in client.pem -noout -pubkey)" = "$(openssl pkey -in client.key -pubout)" ]
# Anonymous: no 7.2.
"$tool" --file-system-id fs-0123abcd --region eu-west-3 --anonymous --key-type ec \
  --cert-out anon.pem --key-out anon.key >/dev/null
! openssl x509 -in anon.pem -noout -text | grep -q 1.3.6.1.4.1.4843.7.2
# Failures: no credentials (2), a malformed file system id (1).
rc=0; env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$tool" --file-system-id fs-0123abcd \
  --region eu-west-3 --cert-out x.pem --key-out x.key 2>/dev/null || rc=$?
[ "$rc" = 2 ] || { echo "no credentials: exit $rc"; exit 1; }
rc=0; "$tool" --file-system-id nope --region eu-west-3 --anonymous 2>/dev/null || rc=$?
[ "$rc" = 1 ] || { echo "bad fs id: exit $rc"; exit 1; }
echo "elfs-client-cert smoke: ok"
