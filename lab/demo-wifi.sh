#!/usr/bin/env bash
# make demo-wifi: lab/demo.sh --wifi in the QEMU guest of tests/kmod (this
# host's kernel cannot load mac80211_hwsim), with roamd on roamnat.ko. The
# guest emulates its CPU (TCG): booting and building the lab take about two
# minutes, the timeline about one more. Its output is shown as it comes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "make demo-wifi needs root (QEMU, namespaces in the guest)"; exit 1; }
KVER=$(tests/kmod/kver.sh)
export KVER
make -s -C kmod KVER="$KVER" >/dev/null
results=$(mktemp -d /tmp/roamnat-demo-wifi.XXXXXX)
guest_script=$results/demo-in-guest.sh
cat >"$guest_script" <<'GUEST'
modprobe nf_defrag_ipv4
insmod kmod/roamnat.ko || { echo "demo-wifi: insmod roamnat.ko failed"; exit 1; }
ROAMLAB_BACKEND=kmod lab/demo.sh --wifi
GUEST
echo "demo-wifi: booting the QEMU guest (TCG; about 3 minutes in all)"
GUEST_TIMEOUT=900 tests/kmod/guest.sh "$guest_script" "$results/guest" >"$results/guest.out" 2>&1 &
guest=$!
# Follow the guest's output file while it runs (guest.sh prints it again at the end).
shown=0
while kill -0 $guest 2>/dev/null; do
	if [ -f "$results/guest/output.log" ]; then
		n=$(wc -l <"$results/guest/output.log")
		[ "$n" -gt "$shown" ] && sed -n "$((shown + 1)),${n}p" "$results/guest/output.log" && shown=$n
	fi
	sleep 1
done
rc=0
wait $guest || rc=$?
[ -f "$results/guest/output.log" ] && sed -n "$((shown + 1)),\$p" "$results/guest/output.log"
[ $rc -eq 0 ] || { echo "demo-wifi: the guest failed ($rc); see $results"; tail -5 "$results/guest.out"; exit $rc; }
rm -rf "$results"
