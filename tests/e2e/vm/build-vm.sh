#!/usr/bin/env bash
# Build (or re-use) the tiny VM that runs the Linux kernel NFS client for the e2e suite.
#
# Output, in the cache dir ($ELFS_E2E_VM_CACHE, default /var/tmp/elfs-e2e-vm):
#   vmlinuz      the kernel of Debian's current linux-image-*-cloud-amd64 package
#   initrd.gz    busybox + the NFS/virtio modules + init.sh + workload.sh
#   vm.env       KERNEL_VERSION=... (for logs)
#
# Why this shape: this machine's own kernel has no NFS client, but Debian's kernel package does,
# and a busybox initramfs boots it in seconds. Only Debian packages are downloaded (apt-get);
# nothing is committed: the kernel and the image live in the cache dir only.
#
# Idempotent: the kernel is fetched once and kept (ELFS_E2E_VM_REFRESH=1 fetches the current one
# again); the initramfs is rebuilt only when one of its inputs changed (a hash stamp), so editing
# workload.sh is picked up by the next run automatically. Concurrent runs serialize on a lock.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${ELFS_E2E_VM_CACHE:-/var/tmp/elfs-e2e-vm}
REFRESH=${ELFS_E2E_VM_REFRESH:-0}

# Modules to load, in this order (TESTING.md §1; the package has no modules.dep). Each module's
# own "depends=" list is also read from the .ko and its dependencies are put first, so a newer
# kernel that splits or merges modules still gets a loadable order. Modules that a kernel build
# has built in (modules.builtin) or no longer has are skipped; the required ones must exist.
MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover
         net_failover virtio_net dns_resolver netfs fscache sunrpc grace lockd nfs nfsv4)
REQUIRED_MODULES=(virtio_pci virtio_net sunrpc nfs nfsv4)

log() { echo "build-vm: $*" >&2; }
die() { echo "build-vm: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, mknod for /dev/console)"
mkdir -p "$CACHE"

# One builder at a time: other engineers (or a parallel ctest) may share the cache dir.
exec 9>"$CACHE/.lock"
flock -w 1800 9 || die "timed out waiting for $CACHE/.lock"

# ---------------------------------------------------------------------------------------------
# 1. Host tools (qemu to boot, busybox-static for the userland, cpio to pack the initramfs).
#    apt-get update only when apt cannot find what we need (a fresh machine has no lists).
# ---------------------------------------------------------------------------------------------
APT_UPDATED=0
apt_update_once() {
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    APT_UPDATED=1
  fi
}

is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

ensure_packages() {
  local missing=() p
  for p in "$@"; do is_installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q "${missing[@]}" >&2; then
    apt_update_once
    apt-get install -y -q "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
  fi
}

ensure_packages qemu-system-x86 busybox-static cpio
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "busybox-static did not provide $BUSYBOX"

# ---------------------------------------------------------------------------------------------
# 2. Kernel + the modules we need, extracted from the Debian package into $CACHE/kernel.
# ---------------------------------------------------------------------------------------------
KDIR=$CACHE/kernel

# Print the name of the linux-image-<ver>-cloud-amd64 package the metapackage points at.
current_kernel_pkg() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/{print $2; exit}'
}

# Find a module file by name; module names use '_' but file names may use '-'.
find_module_file() {
  local root=$1 name=$2 pat
  pat=$(echo "$name" | sed 's/[-_]/[-_]/g')
  find "$root" -type f \( -name "$pat.ko" -o -name "$pat.ko.xz" -o -name "$pat.ko.zst" \
       -o -name "$pat.ko.gz" \) -print -quit
}

# Write an uncompressed copy of a module (busybox insmod may not read compressed ones).
copy_module_plain() {
  local src=$1 dst=$2
  case "$src" in
    *.ko.xz)  xz -dc "$src" >"$dst" ;;
    *.ko.zst) zstd -qdc "$src" >"$dst" ;;
    *.ko.gz)  gzip -dc "$src" >"$dst" ;;
    *)        cp "$src" "$dst" ;;
  esac
}

# The comma-separated depends= of a plain .ko, from its NUL-separated .modinfo strings.
module_depends() {
  tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | tr ',' ' '
}

fetch_kernel() {
  local pkg tmp deb mroot kver builtin
  pkg=$(current_kernel_pkg)
  if [ -z "$pkg" ]; then apt_update_once; pkg=$(current_kernel_pkg); fi
  [ -n "$pkg" ] || die "apt-cache cannot resolve linux-image-cloud-amd64"
  log "downloading $pkg"
  tmp=$(mktemp -d "$CACHE/tmp.kernel.XXXXXX")
  # _apt must be able to write there, or apt-get download complains about its sandbox.
  chmod 0755 "$tmp"; chown _apt "$tmp" 2>/dev/null || true
  if ! (cd "$tmp" && apt-get download -q "$pkg" >&2); then
    apt_update_once
    (cd "$tmp" && apt-get download -q "$pkg" >&2) || die "apt-get download $pkg failed"
  fi
  deb=$(find "$tmp" -maxdepth 1 -name '*.deb' -print -quit)
  [ -n "$deb" ] || die "apt-get download left no .deb"
  dpkg -x "$deb" "$tmp/x"
  mroot=""
  for d in "$tmp"/x/lib/modules/* "$tmp"/x/usr/lib/modules/*; do
    [ -d "$d" ] && { mroot=$d; break; }
  done
  [ -n "$mroot" ] || die "no lib/modules in $deb"
  kver=$(basename "$mroot")
  builtin=" $(sed -n 's#.*/\([^/]*\)\.ko$#\1#p' "$mroot/modules.builtin" 2>/dev/null |
             tr '-' '_' | tr '\n' ' ') "

  mkdir -p "$tmp/out/modules"
  cp "$tmp"/x/boot/vmlinuz-"$kver" "$tmp/out/vmlinuz"

  # Depth-first: a module's dependencies are emitted before the module itself.
  local -A seen=()
  local order=()
  visit() {
    local m=${1//-/_} f plain dep
    [ -n "${seen[$m]:-}" ] && return 0
    seen[$m]=1
    f=$(find_module_file "$mroot/kernel" "$m")
    if [ -z "$f" ]; then
      case "$builtin" in *" $m "*) log "module $m is built in"; return 0 ;; esac
      case " ${REQUIRED_MODULES[*]} " in *" $m "*) die "kernel $kver has no module $m" ;; esac
      log "module $m not in kernel $kver (skipped)"
      return 0
    fi
    plain=$tmp/out/modules/$m.ko
    copy_module_plain "$f" "$plain"
    for dep in $(module_depends "$plain"); do visit "$dep"; done
    order+=("$m")
  }
  local m
  for m in "${MODULES[@]}"; do visit "$m"; done
  printf '%s\n' "${order[@]}" >"$tmp/out/modules/order"
  echo "KERNEL_VERSION=$kver" >"$tmp/out/vm.env"
  echo "KERNEL_PACKAGE=$pkg" >>"$tmp/out/vm.env"

  rm -rf "$KDIR"
  mv "$tmp/out" "$KDIR"
  rm -rf "$tmp"
  log "kernel $kver ready: ${order[*]}"
}

if [ "$REFRESH" = 1 ] || [ ! -s "$KDIR/vmlinuz" ] || [ ! -s "$KDIR/modules/order" ]; then
  fetch_kernel
else
  log "re-using cached kernel ($(sed -n 's/^KERNEL_VERSION=//p' "$KDIR/vm.env"))"
fi

# ---------------------------------------------------------------------------------------------
# 3. Initramfs: rebuilt when busybox, the kernel, init.sh, workload.sh, lockhelper.c or this
#    script changed.
# ---------------------------------------------------------------------------------------------
stamp=$(cat "$BUSYBOX" "$KDIR/vm.env" "$KDIR/modules/order" "$HERE/init.sh" "$HERE/workload.sh" \
            "$HERE/lockhelper.c" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
# (vm.env is in the stamp, so a re-fetched kernel also refreshes the copy of vmlinuz below.)
if [ -s "$CACHE/initrd.gz" ] && [ -s "$CACHE/vmlinuz" ] &&
   [ "$(cat "$CACHE/initrd.stamp" 2>/dev/null)" = "$stamp" ]; then
  log "re-using cached initramfs"
else
  log "building initramfs"
  root=$(mktemp -d "$CACHE/tmp.initrd.XXXXXX")
  chmod 0755 "$root"   # mktemp made it 0700: the VM's / must be searchable by uid 1000
  mkdir -p "$root"/{bin,dev,etc,proc,sys,tmp,mnt,verify,root,lib/modules}
  cp "$BUSYBOX" "$root/bin/busybox"
  # One symlink per applet, so scripts can call ls, dd, md5sum ... directly.
  for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  ln -s bin "$root/sbin"
  # The kernel opens /dev/console for init before devtmpfs is mounted.
  mknod -m 600 "$root/dev/console" c 5 1
  mknod -m 666 "$root/dev/null" c 1 3
  # Users for the unprivileged checks: e2e (1000) is also in group "shared" (1002);
  # e2e2 (1001) is not. busybox su, run by root, needs no password.
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
e2e:x:1000:1000:e2e:/tmp:/bin/sh
e2e2:x:1001:1001:e2e2:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
e2e:x:1000:
e2e2:x:1001:
shared:x:1002:e2e
nogroup:x:65534:
EOF
  cat >"$root/etc/shadow" <<'EOF'
root:*:19000:0:99999:7:::
e2e:*:19000:0:99999:7:::
e2e2:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
EOF
  chmod 0600 "$root/etc/shadow"
  cp "$KDIR"/modules/*.ko "$KDIR/modules/order" "$root/lib/modules/"
  install -m 0755 "$HERE/init.sh" "$root/init"
  install -m 0755 "$HERE/workload.sh" "$root/bin/workload.sh"
  # fcntl and flock locks for the two-client lock scenarios (busybox has neither).
  command -v gcc >/dev/null || ensure_packages gcc libc6-dev
  gcc -static -O2 -o "$root/bin/lockhelper" "$HERE/lockhelper.c" || die "building lockhelper failed"
  (cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$CACHE/initrd.gz.tmp"
  mv "$CACHE/initrd.gz.tmp" "$CACHE/initrd.gz"
  rm -rf "$root"
  cp "$KDIR/vmlinuz" "$CACHE/vmlinuz.tmp" && mv "$CACHE/vmlinuz.tmp" "$CACHE/vmlinuz"
  cp "$KDIR/vm.env" "$CACHE/vm.env"
  echo "$stamp" >"$CACHE/initrd.stamp"
fi

log "VM ready in $CACHE ($(sed -n 's/^KERNEL_VERSION=//p' "$CACHE/vm.env"))"
