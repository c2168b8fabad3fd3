#!/usr/bin/env bash
# Brings up a throw-away, one-host Ceph cluster for elfs's tests: one monitor,
# one manager, one OSD on memstore (objects in RAM: fast, nothing on disk), one
# MDS and a CephFS named "cephfs". Debian 12's Ceph 16.2 (scripts/deps.sh test).
#
# Everything lives under $ELFS_CEPH_DIR: configuration, keys, daemon data,
# pid files, admin sockets and logs. Nothing in /etc/ceph, no systemd, every
# daemon bound to 127.0.0.1 on ports from $ELFS_CEPH_PORT (monitor msgr2 on
# the port itself, msgr1 on +1, the other daemons in +10..+99), so several
# clusters can run side by side with different directories and ports.
# Run as root. Stop it with scripts/ceph/down.sh (same environment).
#
#   ELFS_CEPH_DIR    where the cluster lives (default /var/tmp/elfs-ceph); wiped first
#   ELFS_CEPH_PORT   first port (default 16789)
#   ELFS_CEPH_WAIT   seconds to wait for the MDS to be active (default 120)
#
# On success it prints the ceph.conf path; clients use it with client id
# "admin" (the keyring is named in the conf). Caveats, measured here:
# memstore keeps objects only in the OSD's memory (4 GiB at most), so the
# cluster does not survive an OSD restart; a libcephfs client that exits
# without unmounting makes the MDS wait for its session to time out (60 s)
# before others may take its caps.
set -euo pipefail

dir=${ELFS_CEPH_DIR:-/var/tmp/elfs-ceph}
port=${ELFS_CEPH_PORT:-16789}
wait_s=${ELFS_CEPH_WAIT:-120}
addr=127.0.0.1
start=$(date +%s%N)
say() { printf '[ceph up %5.1fs] %s\n' "$(( ($(date +%s%N) - start) / 1000000 ))e-3" "$*"; }
fail() { echo "ceph up: $*" >&2; exit 1; }

for tool in ceph ceph-mon ceph-mgr ceph-osd ceph-mds ceph-authtool monmaptool uuidgen rados; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/deps.sh test"
done
for pidfile in "$dir"/run/*.pid; do
  [ -e "$pidfile" ] && fail "$dir has a running cluster ($pidfile): run scripts/ceph/down.sh first"
done
rm -rf "$dir"
mkdir -p "$dir"/run "$dir"/log
conf=$dir/ceph.conf
export CEPH_CONF=$conf
fsid=$(uuidgen)
mon_addr="[v2:$addr:$port,v1:$addr:$((port + 1))]"

# Settings: one of everything, replicas of one, small memory, quiet health.
cat >"$conf" <<CONF
[global]
fsid = $fsid
mon_host = $mon_addr
public_addr = $addr
cluster_addr = $addr
ms_bind_port_min = $((port + 10))
ms_bind_port_max = $((port + 99))
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
keyring = $dir/\$name.keyring
run_dir = $dir/run
pid_file = $dir/run/\$name.pid
admin_socket = $dir/run/\$name.asok
log_file = $dir/log/\$name.log
crash_dir = $dir/log
log_to_stderr = false
err_to_stderr = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
auth_allow_insecure_global_id_reclaim = false
mon_warn_on_insecure_global_id_reclaim_allowed = false
mon_data_avail_warn = 1
mon_data_avail_crit = 0
[client]
# test processes all use client.admin: one socket and log per process
admin_socket = $dir/run/\$name.\$pid.asok
log_file = $dir/log/client.\$pid.log
[mon]
mon_data = $dir/mon.\$id
# commit maps quickly: each "ceph" command otherwise waits about a second
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
[mgr]
mgr_data = $dir/mgr.\$id
[osd]
osd_data = $dir/osd.\$id
osd_objectstore = memstore
memstore_device_bytes = 4294967296
osd_memory_target = 939524096
osd_op_num_shards = 1
osd_op_num_threads_per_shard = 2
osd_class_update_on_start = false
[mds]
mds_data = $dir/mds.\$id
CONF

# Keys: the monitors' own and the administrator's (client.admin).
ceph-authtool --create-keyring "$dir/client.admin.keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool --create-keyring "$dir/mon.a.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$dir/mon.a.keyring" --import-keyring "$dir/client.admin.keyring" >/dev/null

monmaptool --create --fsid "$fsid" --addv a "$mon_addr" "$dir/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.a.keyring" 2>>"$dir/log/mkfs.log"
ceph-mon -i a
ceph --connect-timeout 30 mon stat >/dev/null
say "monitor up at $mon_addr"

osd_uuid=$(uuidgen)
osd_key=$(ceph-authtool --gen-print-key)
osd_id=$(printf '{"cephx_secret": "%s"}' "$osd_key" | ceph osd new "$osd_uuid" -i -)
mkdir -p "$dir/osd.$osd_id"
ceph-authtool --create-keyring "$dir/osd.$osd_id.keyring" -n "osd.$osd_id" --add-key "$osd_key" >/dev/null
ceph-osd -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$dir/log/mkfs.log" 2>&1
ceph-osd -i "$osd_id"
say "osd.$osd_id up (memstore)"

# The manager answers statfs (pool usage) and health; CephFS works without
# it, but StatFs would report nothing.
mkdir -p "$dir/mgr.x"
ceph auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' \
  -o "$dir/mgr.x.keyring"
ceph-mgr -i x
say "mgr.x started"

ceph osd pool create cephfs_metadata 8 8 >>"$dir/log/setup.log" 2>&1
ceph osd pool create cephfs_data 8 8 >>"$dir/log/setup.log" 2>&1
ceph fs new cephfs cephfs_metadata cephfs_data >>"$dir/log/setup.log" 2>&1
ceph fs set cephfs standby_count_wanted 0
mkdir -p "$dir/mds.a"
ceph auth get-or-create mds.a mon 'allow profile mds' osd 'allow rwx' mds 'allow' \
  mgr 'allow profile mds' -o "$dir/mds.a.keyring"
ceph-mds -i a >>"$dir/log/setup.log" 2>&1
say "mds.a started"

# Ready when the MDS is active (it has written its journal into the metadata
# pool, so that pool works) and an object can be written to the data pool.
deadline=$(( $(date +%s) + wait_s ))
until ceph fs dump -f json 2>/dev/null | grep -q '"state": *"up:active"' &&
      timeout 10 rados -p cephfs_data put elfs-up-probe "$conf" 2>/dev/null; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    ceph -s >&2 || true
    fail "the MDS is not active after ${wait_s}s (logs in $dir/log)"
  fi
  sleep 0.5
done
rados -p cephfs_data rm elfs-up-probe
say "ready: CephFS 'cephfs' served by mds.a"
echo "$conf"
