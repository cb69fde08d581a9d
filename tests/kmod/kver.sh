#!/usr/bin/env bash
# Prints the newest kernel version that has both an image to boot in QEMU
# and headers to build roamnat.ko against (or $KVER when set).
set -euo pipefail
if [ -n "${KVER:-}" ]; then echo "$KVER"; exit 0; fi
for v in $(ls /lib/modules | sort -rV); do
	[ -f "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v/build" ] && { echo "$v"; exit 0; }
done
echo "kmod: no kernel image with headers (install linux-image-amd64 linux-headers-amd64)" >&2
exit 1
