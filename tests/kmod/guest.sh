#!/usr/bin/env bash
# Runs a script inside a QEMU guest booted with Debian's kernel, so that the
# kernel module can be loaded (this machine's own kernel cannot load modules).
#
#   guest.sh SCRIPT [RESULTS_DIR]
#
# The guest sees the host's root file system read-only over 9p, under a
# tmpfs overlay, so every program installed here runs there unchanged.
# RESULTS_DIR (writable, shared) receives the script's output and exit status.
# Exit status: the script's, or 124 when the guest timed out.
set -euo pipefail
SCRIPT=$(readlink -f "$1")
RESULTS=$(readlink -f "${2:-$(mktemp -d /tmp/roamnat-guest.XXXXXX)}")
KVER=${KVER:-$(ls /lib/modules | sort -V | tail -1)}
TIMEOUT=${GUEST_TIMEOUT:-600}
MEM=${GUEST_MEM:-2G}
[ -f "/boot/vmlinuz-$KVER" ] || { echo "guest.sh: /boot/vmlinuz-$KVER missing (install linux-image-amd64)"; exit 2; }
mkdir -p "$RESULTS"
rm -f "$RESULTS/status" "$RESULTS/output.log"
WORK=$(mktemp -d /tmp/roamnat-initrd.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# A busybox initramfs holding the modules needed to reach the host's root.
mkdir -p "$WORK"/{bin,sbin,proc,sys,dev,mnt/host,mnt/upper,mnt/root,mnt/results,modules}
cp /bin/busybox "$WORK/bin/busybox"
M=/lib/modules/$KVER/kernel
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
	drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci net/9p/9pnet net/9p/9pnet_virtio \
	fs/netfs/netfs fs/fscache/fscache fs/9p/9p fs/overlayfs/overlay; do
	src=$(ls "$M/$m.ko"* | head -1)
	case $src in
	*.xz) xz -dc "$src" >"$WORK/modules/$(basename "$m").ko" ;;
	*.zst) zstd -qdc "$src" >"$WORK/modules/$(basename "$m").ko" ;;
	*) cp "$src" "$WORK/modules/" ;;
	esac
done
cat >"$WORK/sbin/modprobe" <<'MP'
#!/bin/busybox sh
# The kernel runs its module loader in the initramfs root: load from the host's.
exec /bin/busybox chroot /mnt/root /sbin/modprobe "$@"
MP
cat >"$WORK/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# What udev would add: bash's process substitution needs /dev/fd.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p overlay; do
	insmod /modules/$m.ko || echo "guest: insmod $m failed"
done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /mnt/host
mount -t tmpfs tmpfs /mnt/upper
mkdir -p /mnt/upper/u /mnt/upper/w
mount -t overlay overlay -o lowerdir=/mnt/host,upperdir=/mnt/upper/u,workdir=/mnt/upper/w /mnt/root
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /mnt/root/mnt
for d in proc sys dev; do mount --move /$d /mnt/root/$d; done
mount -t tmpfs tmpfs /mnt/root/run
# The labs write /etc/netns here; the host's own labs (tests run there at
# the same time) create and remove it in the overlay's lower layer, which
# overlayfs does not follow: the guest gets a directory of its own.
mkdir -p /mnt/root/etc/netns 2>/dev/null
mount -t tmpfs tmpfs /mnt/root/etc/netns
echo /sbin/modprobe > /mnt/root/proc/sys/kernel/modprobe
echo "guest: running the test script"
chroot /mnt/root /bin/sh -c '. /mnt/guest.env
if cd "$GUEST_CWD"; then /bin/bash /mnt/guest-script.sh > /mnt/output.log 2>&1; echo $? > /mnt/status
else echo "guest: $GUEST_CWD is not visible in the guest" > /mnt/output.log; echo 1 > /mnt/status; fi'
echo "guest: done with status $(cat /mnt/root/mnt/status)"
sync
poweroff -f
INIT
chmod +x "$WORK/init" "$WORK/sbin/modprobe"
(cd "$WORK" && find . | cpio -o -H newc --quiet | gzip -1) >"$RESULTS/initrd.gz"
cp "$SCRIPT" "$RESULTS/guest-script.sh"
printf 'export GUEST_CWD=%q KVER=%q PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' "$PWD" "$KVER" \
	>"$RESULTS/guest.env"
# Test selection, tracing and the benchmark's knobs pass through
# (ONLY=t_tcp_roam, ROUNDS=3, TRACE=1, BENCH_ROUNDS=5).
for v in ONLY ROUNDS TRACE BENCH_SECONDS BENCH_ROUNDS BENCH_INTERLEAVED_ROUNDS; do
	[ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}" >>"$RESULTS/guest.env"
done

set +e
timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -m "$MEM" -smp 2 -nographic -no-reboot \
	-kernel "/boot/vmlinuz-$KVER" -initrd "$RESULTS/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on \
	-virtfs local,path="$RESULTS",mount_tag=results,security_model=none \
	>"$RESULTS/console.log" 2>&1
rc=$?
set -e
[ -f "$RESULTS/output.log" ] && cat "$RESULTS/output.log"
if [ $rc -eq 124 ]; then
	echo "guest.sh: the guest did not finish within ${TIMEOUT}s (console: $RESULTS/console.log)"
	exit 124
fi
if [ ! -f "$RESULTS/status" ]; then
	echo "guest.sh: the guest left no status (console: $RESULTS/console.log)"
	tail -20 "$RESULTS/console.log"
	exit 1
fi
exit "$(cat "$RESULTS/status")"
