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
# Host only, to keep the suite well inside GUEST_TIMEOUT on a slow machine
# (measured: the same scenarios 1.4-1.9 times slower from one run to the
# next): t_storm (100 client namespaces take TCG over ten minutes to build,
# 16 took 4 to 7; what roamnat.ko does in a storm, entries installed and
# moved, every roam here does) and t_liveness (sessions between roamd and
# the coordinator; roamnat.ko forwarding while roamd is stopped or killed is
# t_stalled_agent's and t_restarts'), and t_ham_failover (on roamnat.ko by
# hand on 2026-12-07: every functional check passed, the takeover's entries
# and the /32 served by the module, but under TCG its client dropped
# datagrams in its own socket buffer, UdpRcvbufErrors, which the test
# counts as loss; t_tcp_roam and t_restarts run --movable in the guest).
export SKIP_SCENARIOS="t_storm t_liveness t_ham_failover"
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
