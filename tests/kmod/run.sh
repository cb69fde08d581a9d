#!/usr/bin/env bash
# The kernel module's tests: build roamnat.ko against Debian's kernel headers
# and run tests/kmod/in_guest.sh inside a QEMU guest booted with that kernel.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# The newest kernel that has both an image to boot and headers to build with.
KVER=${KVER:-$(for v in $(ls /lib/modules | sort -rV); do
	[ -f "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v/build" ] && { echo "$v"; break; }; done)}
[ -n "$KVER" ] || { echo "kmod: no kernel image with headers (install linux-image-amd64 linux-headers-amd64)"; exit 1; }
export KVER
make -s -C kmod KVER="$KVER" >/dev/null
[ -x build/roamnat-kmodctl ] || { echo "kmod: build/roamnat-kmodctl missing (make build)"; exit 1; }
echo "kmod: roamnat.ko built for $KVER; testing it in a QEMU guest (TCG)"
results=$(mktemp -d /tmp/roamnat-kmod.XXXXXX)
status=0
GUEST_TIMEOUT=${GUEST_TIMEOUT:-300} tests/kmod/guest.sh tests/kmod/in_guest.sh "$results" || status=$?
[ $status -eq 0 ] || echo "kmod: guest logs in $results"
[ $status -ne 0 ] || rm -rf "$results"
exit $status
