#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# /init of the VM runs' initramfs (runner/cpstorm_lib/vm.py writes it with
# a static busybox, the kernel modules the shares need and /cpstorm.conf).
# It loads the modules, mounts the guest's root (the host's own for x86,
# a Debian userland of the guest's arch otherwise) and the shared build
# directory from 9p at the host's paths, runs the job through
# vm_guest.py inside that root, prints its exit status on the console
# (the host reads it there) and powers the machine off.
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /newroot
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
. /cpstorm.conf

fail() {
	echo "cpstorm-guest: setup failed: $*"
	echo "cpstorm-guest: exit=125"
	poweroff -f
}

for m in $CP_MODULES; do
	insmod "/modules/$m" || fail "insmod $m"
done
opts=trans=virtio,version=9p2000.L,msize=262144,cache=loose
mount_share() {
	tag=${1%%|*}
	rest=${1#*|}
	where=/newroot${rest%|*}
	mkdir -p "$where" 2>/dev/null
	mount -t 9p -o "$opts,${rest##*|}" "$tag" "$where" ||
		fail "mounting the 9p share $tag on ${rest%|*} (does the kernel have CONFIG_9P_FS and CONFIG_NET_9P_VIRTIO?)"
}
# The first share is the root, read-only, under a tmpfs overlay: the
# shares' mount points can be made anywhere, and what a test writes
# outside them stays in the guest's memory.  The others (the build
# directory) go on top of it, after its tmpfs folders, which may hold
# them (/tmp/...).
set -- $CP_SHARES
mkdir -p /lower /upper
mount -t 9p -o "$opts,ro" "${1%%|*}" /lower ||
	fail "mounting the 9p root share (does the kernel have CONFIG_9P_FS and CONFIG_NET_9P_VIRTIO?)"
mount -t tmpfs tmpfs /upper
mkdir -p /upper/data /upper/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work /newroot ||
	fail "overlay on the root share (CONFIG_OVERLAY_FS?)"
shift
mount -t proc proc /newroot/proc || fail "proc"
mount -t sysfs sys /newroot/sys || fail "sysfs"
mount -t devtmpfs dev /newroot/dev || fail "devtmpfs"
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
for d in /tmp /run /var/tmp; do
	mount -t tmpfs tmpfs "/newroot$d" || fail "tmpfs on $d"
done
for share in "$@"; do
	mount_share "$share"
done
# The cases connect to listeners on 127.0.0.1 (accept blockers): the
# loopback interface must be up, as on any booted system.
ip link set lo up || fail "bringing up the loopback interface"
echo "cpstorm-guest: started on $(uname -r) ($(uname -m))"
chroot /newroot /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME="$CP_HOME" LANG=C.UTF-8 TERM=dumb \
	"$CP_PYTHON" -B "$CP_GUEST" "$CP_JOB"
rc=$?
sync
echo "cpstorm-guest: exit=$rc"
poweroff -f
