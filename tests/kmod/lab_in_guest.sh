#!/usr/bin/env bash
# Runs inside the QEMU guest (tests/kmod/run.sh): the lab integration
# scenarios of tests/integration with roamd on roamnat.ko (backend = kmod),
# the real roamcoord, clients and servers; then the kernel log scan.
set -uo pipefail
ROOT=$PWD
modprobe nf_defrag_ipv4
insmod "$ROOT/kmod/roamnat.ko" || { echo "FAIL: insmod roamnat.ko"; exit 1; }
dmesg -C
export ROAMLAB_BACKEND=kmod ROAMLAB_PREFIX=rk ROAMLAB_DIR=/run/roamlab-rk ROAMNAT_TEST_SLOWDOWN=4
# t_storm's 100 client namespaces take TCG over ten minutes to build before
# a roam starts; 16 clients (about 4 minutes) still move all at once, three
# rounds, through roamnat.ko's tables. The 100-client storm runs on the
# host's nftables back end.
export ROAMNAT_STORM_CLIENTS=16
bash "$ROOT/tests/integration/run.sh"
status=$?
if dmesg | grep -E "WARNING|BUG|Oops|KASAN|UBSAN|refcount_t|list_del corruption" >/tmp/bad.log; then
	echo "FAIL: the kernel log has warnings: $(head -3 /tmp/bad.log)"
	status=1
else
	echo "PASS no WARN/BUG/Oops in the kernel log after the lab scenarios"
fi
rmmod roamnat || { echo "FAIL: rmmod roamnat after the lab scenarios"; status=1; }
exit $status
