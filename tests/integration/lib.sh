# Shared helpers for the lab integration tests. Each test builds its own lab
# (namespaces with private addresses), sends traffic only inside it, bounds
# every wait and tears everything down on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export ROAMLAB_PREFIX=${ROAMLAB_PREFIX:-rt}
export ROAMLAB_DIR=${ROAMLAB_DIR:-/run/roamlab-$ROAMLAB_PREFIX}
export ROAMNAT_BIN=${ROAMNAT_BIN:-$ROOT/build}
export ROAMLAB_LOG_LEVEL=${ROAMLAB_LOG_LEVEL:-debug}
# The data plane under test: nftables here; kmod in the QEMU guest
# (tests/kmod/lab_in_guest.sh), where roamnat.ko is loaded.
export ROAMLAB_BACKEND=${ROAMLAB_BACKEND:-nftables}
# Under QEMU's TCG everything runs several times slower: transfers are
# paced slower by this factor (so they still span the roams) and waits are
# longer. Only pacing and patience change, never what is checked.
SLOW=${ROAMNAT_TEST_SLOWDOWN:-1}
WORK=$(mktemp -d /tmp/roamnat-test.XXXXXX)
SERVER=10.201.0.10
CLIENT=10.202.0.11

lab() { "$ROOT/lab/roamlab" "$@"; }

cleanup() {
	local rc=$?
	jobs -p | xargs -r kill 2>/dev/null || true
	if [ $rc -ne 0 ] && [ -d "$ROAMLAB_DIR/logs" ]; then
		echo "--- daemon logs (last lines) ---"
		for f in "$ROAMLAB_DIR"/logs/*.log; do echo "== $f"; tail -n 25 "$f"; done
	fi
	lab down >/dev/null 2>&1 || true
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "  ok: $*"; }

# Value of one counter of an agent (roamctl --agent).
counter() { lab agentctl "$1" counters | awk -v k="$2" '$1 == k { print $2 }'; }
coord_counter() { lab ctl counters | awk -v k="$1" '$1 == k { print $2 }'; }

# Translation entries an AP's data plane holds (nftables map elements, or
# roamnat.ko table entries), outside the idle bookkeeping.
dp_entries() { # node
	if [ "$ROAMLAB_BACKEND" = kmod ]; then
		for t in fam_out fam_in ham ham_rev; do lab exec "$1" -- "$ROAMNAT_BIN/roamnat-kmodctl" dump $t; done | wc -l
	else
		lab exec "$1" -- nft list table ip roamnat |
			awk '/^\t(map|set) / { name = $2 } /elements/ && name != "seen" { n++ } END { print n + 0 }'
	fi
}

# The kernel's count of packets that arrived with a bad checksum in a node.
csum_errors() { # node Tcp|Udp
	lab exec "$1" -- cat /proc/net/snmp | awk -v p="$2:" '
		$1 == p && !hdr { for (i = 1; i <= NF; i++) if ($i == "InCsumErrors") col = i; hdr = 1; next }
		$1 == p && hdr { print $col }'
}

# A pv rate (e.g. 800k) paced for this machine.
rate() { echo "$(( ${1%k} / SLOW ))k"; }

# Waits (bounded) until a command succeeds.
wait_for() { # tries command...
	local tries=$(($1 * SLOW)); shift
	while [ "$tries" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

start_capture() { # node file filter
	lab exec "$1" -- tcpdump -i eth0 -nn -U -w "$2" "$3" >/dev/null 2>&1 &
	CAPTURE_PID=$!
	sleep 1
}

stop_capture() { kill "$CAPTURE_PID" 2>/dev/null || true; wait "$CAPTURE_PID" 2>/dev/null || true; }

# Distinct source endpoints of the packets in a capture that match a filter.
sources() { # file filter
	tcpdump -r "$1" -nn "$2" 2>/dev/null | awk '$2 == "IP" { print $3 }' | sort -u
}

json_get() { # python expression over 'd'
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

make_payload() { head -c "$2" /dev/urandom >"$1"; }

# A TCP upload of $WORK/tx.bin from client1 to server1:PORT at RATE (pv -L),
# received into $WORK/rx.bin; finish_upload fails unless every byte arrived.
start_upload() { # port rate
	lab exec server1 -- socat -u TCP-LISTEN:"$1",reuseaddr OPEN:"$WORK/rx.bin",creat,trunc &
	UPLOAD_SERVER=$!
	wait_for 30 lab exec server1 -- sh -c "ss -ltn | grep -q :$1"
	(pv -q -L "$(rate "$2")" "$WORK/tx.bin" | lab exec client1 -- socat -u - TCP:$SERVER:"$1") &
	UPLOAD_CLIENT=$!
}

finish_upload() {
	wait "$UPLOAD_CLIENT" || fail "the client's side of the transfer failed (reset?)"
	wait "$UPLOAD_SERVER" || fail "the server's side of the transfer failed"
	cmp -s "$WORK/tx.bin" "$WORK/rx.bin" || fail "received bytes differ from sent bytes"
}

# A TCP download of $WORK/tx.bin from server1:PORT to client1 at RATE,
# received into $WORK/rx.bin; finish_download fails unless every byte arrived.
start_download() { # port rate
	(pv -q -L "$(rate "$2")" "$WORK/tx.bin" | lab exec server1 -- socat -u - TCP-LISTEN:"$1",reuseaddr) &
	DOWNLOAD_SERVER=$!
	wait_for 30 lab exec server1 -- sh -c "ss -ltn | grep -q :$1"
	lab exec client1 -- socat -u TCP:$SERVER:"$1" OPEN:"$WORK/rx.bin",creat,trunc &
	DOWNLOAD_CLIENT=$!
}

finish_download() {
	wait "$DOWNLOAD_SERVER" || fail "the server's side of the download failed"
	wait "$DOWNLOAD_CLIENT" || fail "the client's side of the download failed (reset?)"
	cmp -s "$WORK/tx.bin" "$WORK/rx.bin" || fail "received bytes differ from sent bytes"
}
