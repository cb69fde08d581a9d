#!/usr/bin/env bash
# Runs every lab integration test (as root) and prints one closing line.
set -uo pipefail
cd "$(dirname "$0")"
[ "$(id -u)" -eq 0 ] || { echo "integration tests need root (network namespaces)"; exit 1; }
pass=0 fail=0 skip=0 failed=""
# ROUNDS=N runs the selection N times over (chasing a rare failure).
for t in $(for _ in $(seq "${ROUNDS:-1}"); do echo t_*.sh; done); do
	[ -n "${ONLY:-}" ] && [[ $t != *$ONLY* ]] && continue
	if [[ " ${SKIP_SCENARIOS:-} " == *" ${t%.sh} "* ]]; then
		skip=$((skip + 1))
		echo "SKIP $t (SKIP_SCENARIOS)"
		continue
	fi
	start=$(date +%s)
	echo "== $t"
	rc=0
	timeout $((300 * ${ROAMNAT_TEST_SLOWDOWN:-1})) bash "$t" || rc=$?
	if [ $rc -eq 77 ]; then # the scenario does not apply to this data plane
		skip=$((skip + 1))
		echo "SKIP $t"
	elif [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $t ($(( $(date +%s) - start )) s)"
	else
		fail=$((fail + 1))
		failed="$failed $t"
		echo "FAIL $t ($(( $(date +%s) - start )) s)"
	fi
done
# Every lab must have left nothing behind: no namespace, no daemon.
left=$(ip netns list | awk '{print $1}' | grep "^${ROAMLAB_PREFIX:-rt}-" || true)
# ...nor the hosts files of its namespaces (roamlab up writes /etc/netns/NS/).
left="$left$(ls -d /etc/netns/"${ROAMLAB_PREFIX:-rt}"-* 2>/dev/null | tr '\n' ' ' || true)"
if [ -n "$left" ] || pgrep -f "roamlab-${ROAMLAB_PREFIX:-rt}/" >/dev/null || pgrep -f "/tmp/roamnat-test-${ROAMLAB_PREFIX:-rt}\." >/dev/null; then
	echo "FAIL: labs left behind namespaces, /etc/netns files or daemons: $left"
	fail=$((fail + 1))
	failed="$failed (cleanup)"
else
	pass=$((pass + 1))
	echo "PASS every lab was torn down: no namespaces, /etc/netns files or daemons left"
fi
[ -z "$failed" ] || echo "failed:$failed"
echo "integration: $pass passed, $fail failed, $skip skipped (${ROAMLAB_BACKEND:-nftables} back end)"
[ "$fail" -eq 0 ]
