#!/bin/sh
# PID 1 of the e2e VM (busybox sh). Brings up the bare minimum — proc/sys/dev, the virtio and
# NFS modules, the qemu user-network address — then hands over to workload.sh, and always powers
# the VM off at the end so qemu exits (the host side treats a VM that never exits as a timeout).
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
# tmpfs for reference copies of test data; up to 60% of the VM's RAM.
mount -t tmpfs -o size=60%,mode=1777 tmp /tmp
echo "E2E BOOT kernel=$(uname -r)"

for m in $(cat /lib/modules/order); do
  insmod "/lib/modules/$m.ko" || echo "E2E BOOT insmod $m failed"
done

# qemu's user network: the guest is 10.0.2.15 and the host's loopback is reached as 10.0.2.2.
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
hostname e2e-vm

# Probe boot (run_vm_suite.sh checks that an accelerator really works): stop here.
case " $(cat /proc/cmdline) " in
  *" e2e_probe=1 "*) echo "E2E PROBE OK"; poweroff -f ;;
esac

/bin/sh /bin/workload.sh
echo "E2E INIT workload exited with $?"
sync
poweroff -f
