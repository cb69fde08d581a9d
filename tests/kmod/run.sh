#!/usr/bin/env bash
# The kernel module's tests: build roamnat.ko against Debian's kernel headers
# and, each in a QEMU guest booted with that kernel, run the module's own
# checks (tests/kmod/in_guest.sh) and the lab integration scenarios with
# roamd on the module (tests/kmod/lab_in_guest.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
KVER=$(tests/kmod/kver.sh)
export KVER
make -s -C kmod KVER="$KVER" >/dev/null
[ -x build/roamnat-kmodctl ] || { echo "kmod: build/roamnat-kmodctl missing (make build)"; exit 1; }
echo "kmod: roamnat.ko built for $KVER; testing it in a QEMU guest (TCG)"
status=0
for script in ${KMOD_SUITES:-in_guest lab_in_guest}; do
	results=$(mktemp -d /tmp/roamnat-kmod.XXXXXX)
	start=$(date +%s)
	echo "kmod: == $script"
	rc=0
	# A bound only a hung guest reaches: the lab suite (24 scenarios in the
	# guest) took 20 to 35 minutes under TCG from one run to the next on
	# the same kind of machine, more where the cores are busy with other work.
	GUEST_TIMEOUT=${GUEST_TIMEOUT:-3000} tests/kmod/guest.sh "tests/kmod/$script.sh" "$results" || rc=$?
	echo "kmod: $script: $([ $rc -eq 0 ] && echo passed || echo "FAILED ($rc)") in $(( $(date +%s) - start )) s"
	if [ $rc -eq 0 ]; then rm -rf "$results"; else echo "kmod: guest logs in $results"; status=1; fi
done
exit $status
