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
WORK=$(mktemp -d "/tmp/roamnat-test-$ROAMLAB_PREFIX.XXXXXX")
SERVER=10.201.0.10
CLIENT=10.202.0.11

lab() { "$ROOT/lab/roamlab" "$@"; }

# Starts a daemon in a lab node, in the background, its pid in WORK/NAME.pid.
start_in() { # node name command...
	local node=$1 name=$2; shift 2
	lab exec "$node" -- sh -c 'echo $$ >"$0"; exec "$@"' "$WORK/$name.pid" "$@" >"$WORK/$name.log" 2>&1 &
	wait_for 50 test -s "$WORK/$name.pid"
}
stop_in() { # name
	local pid
	pid=$(cat "$WORK/$1.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	wait_for 50 sh -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
	rm -f "$WORK/$1.pid"
}

cleanup() {
	local rc=$?
	jobs -p | xargs -r kill 2>/dev/null || true
	# Daemons a test started inside a namespace (hostapd, wpa_supplicant)
	# record their pid in WORK/NAME.pid: a job's pid is only the shell's.
	for f in "$WORK"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -d "$ROAMLAB_DIR/logs" ]; then
		echo "--- daemon logs (last lines) ---"
		for f in "$ROAMLAB_DIR"/logs/*.log; do if [ -f "$f" ]; then echo "== $f"; tail -n 25 "$f"; fi; done
	fi
	lab down >/dev/null 2>&1 || true
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }

# roamlab up --wifi ARGS, or skip (exit 77) where mac80211_hwsim cannot
# load: this host; the scenario runs in the QEMU guest.
wifi_lab_up() {
	if ! lab up --wifi "$@" >"$WORK/up.log" 2>&1; then
		grep -q 'mac80211_hwsim' "$WORK/up.log" && { echo "SKIP: $(cat "$WORK/up.log")"; exit 77; }
		fail "roamlab up --wifi $*: $(cat "$WORK/up.log")"
	fi
}
ok() { echo "  ok: $*"; }

# ---- Wi-Fi lab helpers (roamlab up --wifi [--eap]) ----
user_of() { # mac: "USER AP METHOD" of the coordinator's binding
	lab ctl users --json | json_get "' '.join([u['user'], u['ap'], u['method']]) if (u := next((u for u in d if u['mac'] == '$1'), None)) else ''"
}
bound_as() { [[ $(user_of "$1") == $2 ]]; } # mac pattern
# Inner authentications FreeRADIUS accepted, or refused, for a user.
logins() { grep -c "Login $1.*\[$2\] (from client lab-aps port 0 via TLS tunnel)" "$ROAMLAB_DIR/logs/radius.log" || true; } # OK|incorrect user
wpa() { local c=$1; shift; lab exec "$c" -- wpa_cli -p "$ROAMLAB_DIR/wpa/$c" -i wlan0 "$@"; }
wpa_state() { wpa "$1" status | sed -n 's/^wpa_state=//p'; }
sum_counter() { local n=0 v a; for a in ap1 ap2; do v=$(counter "$a" "$1"); n=$((n + ${v:-0})); done; echo "$n"; } # over ap1 and ap2

# Value of one counter of an agent (roamctl --agent).
counter() { lab agentctl "$1" counters | awk -v k="$2" '$1 == k { print $2 }'; }
coord_counter() { lab ctl counters | awk -v k="$1" '$1 == k { print $2 }'; }
# yes or no: whether the coordinator has a session with the agent.
agent_connected() { # agent
	lab ctl agents --json | python3 -c 'import json, sys
print("yes" if any(a["agent"] == sys.argv[1] and a["connected"] for a in json.load(sys.stdin)) else "no")' "$1"
}
is_connected() { [ "$(agent_connected "$1")" = yes ]; }
# True once an agent's counter has reached MIN (for wait_for).
at_least() { [ "$(counter "$1" "$2")" -ge "$3" ] 2>/dev/null; } # ap counter min

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
	lab exec "$1" -- tcpdump -i eth0 -nn -U -w "$2" "$3" >/dev/null 2>"$2.log" &
	CAPTURE_PID=$!
	# tcpdump says so once its filter is in place: from then on nothing is missed.
	wait_for 100 grep -q "listening on" "$2.log" || fail "tcpdump did not start in $1: $(cat "$2.log")"
}

stop_capture() { kill "$CAPTURE_PID" 2>/dev/null || true; wait "$CAPTURE_PID" 2>/dev/null || true; }

# Distinct source endpoints of the packets in a capture that match a filter.
sources() { # file filter
	tcpdump -r "$1" -nn "$2" 2>/dev/null | awk '$2 == "IP" { print $3 }' | sort -u
}

# The capture's packets matching filter came from one source, masq when
# given (address:port); sets SOURCE to it.
one_source() { # file filter [masq]
	SOURCE=$(sources "$1" "$2")
	[ -n "$SOURCE" ] || fail "the server captured no packet matching '$2'"
	[ "$(echo "$SOURCE" | wc -l)" -eq 1 ] || fail "server saw several sources for '$2': $SOURCE"
	[ -z "${3:-}" ] || [ "$SOURCE" = "${3%:*}.${3##*:}" ] || fail "server saw $SOURCE, not the masquerade $3"
}

# Evaluates a Python expression over 'd', the JSON document on stdin; on
# input it cannot use it says what it got, not a traceback.
json_get() { # expression
	python3 -c '
import json, sys
expr, text = sys.argv[1], sys.stdin.read()
try:
    d = json.loads(text)
    print(eval(expr))
except Exception as e:
    sys.exit("FAIL: %s: %s: %s; the input was: %s" % (expr, type(e).__name__, e, text[:800].strip() or "(nothing)"))' "$1"
}

FLOW=$ROOT/tests/integration/flow.py

# Waits (bounded) until something listens on server1:PORT.
listening() { # port [tcp|udp]
	local flag=$([ "${2:-tcp}" = udp ] && echo -lun || echo -ltn)
	wait_for 100 lab exec server1 -- sh -c "ss $flag | grep -q ':$1 '" || fail "nothing listens on server1:$1/${2:-tcp}"
}

declare -A FLOW_SENDER FLOW_RECEIVER

# A TCP transfer between client1 and server1:PORT (up: the client sends;
# down: the server sends) of random bytes paced at RATE bytes/s. It lasts
# until finish_transfer, so every check made while it runs sees traffic,
# however slow the machine.
start_transfer() { # up|down port rate [client]
	local port=$2 f=$WORK/tcp$2 client=${4:-client1}
	local send="python3 $FLOW tcp-send --rate $(( ${3%k} * 1000 / SLOW )) --until $f.stop"
	local recv="python3 $FLOW tcp-recv --progress $WORK/$2.progress"
	if [ "$1" = up ]; then
		lab exec server1 -- $recv --listen "$port" >"$f.rx" 2>"$f.rx.err" &
		FLOW_RECEIVER[$port]=$!
		listening "$port"
		lab exec "$client" -- $send --connect "$SERVER:$port" >"$f.tx" 2>"$f.tx.err" &
		FLOW_SENDER[$port]=$!
	else
		lab exec server1 -- $send --listen "$port" >"$f.tx" 2>"$f.tx.err" &
		FLOW_SENDER[$port]=$!
		listening "$port"
		lab exec "$client" -- $recv --connect "$SERVER:$port" >"$f.rx" 2>"$f.rx.err" &
		FLOW_RECEIVER[$port]=$!
	fi
}

# What the receiving end of the flow on PORT has so far: bytes (TCP) or
# datagrams (UDP).
received() { cat "$WORK/$1.progress" 2>/dev/null || echo 0; }
received_at_least() { [ "$(received "$1")" -ge "$2" ]; } # port bytes

# Waits (bounded) until AMOUNT more arrive on PORT: the flow makes headway
# (after a roam, a restart, ...). WHAT says when, for the message.
flowing() { # port amount what
	local want=$(( $(received "$1") + $2 ))
	wait_for 300 received_at_least "$1" "$want" ||
		fail "the flow on port $1 made no headway $3: $(received "$1") received, expected $want within $((30 * SLOW)) s"
}

# Stops the transfer on PORT and fails unless every byte sent arrived
# intact; TRANSFERRED is then the byte count.
finish_transfer() { # port
	local f=$WORK/tcp$1 sent rcvd
	touch "$f.stop"
	wait "${FLOW_SENDER[$1]}" || fail "the sending side of the transfer on port $1 failed: $(cat "$f.tx.err")"
	wait "${FLOW_RECEIVER[$1]}" || fail "the receiving side of the transfer on port $1 failed: $(cat "$f.rx.err")"
	sent=$(json_get '"%d %s" % (d["bytes"], d["sha256"])' <"$f.tx")
	rcvd=$(json_get '"%d %s" % (d["bytes"], d["sha256"])' <"$f.rx")
	[ "$sent" = "$rcvd" ] || fail "port $1: sent ${sent% *} bytes (sha256 ${sent#* }), received ${rcvd% *} (sha256 ${rcvd#* })"
	TRANSFERRED=${sent% *}
	TRANSFER_SHA=${sent#* }
}

# A stream of 100-byte sequence-numbered datagrams (SIZE bytes: above 1472
# each travels in IP fragments), client1 -> server1:PORT at RATE/s, until
# finish_udp. It returns once the stream flows steadily:
# its set-up (the first datagrams wait for the coordinator, Fig. 11, and
# leave in a burst) is over, and judging starts there (flow.py judge --from).
# The receiver counts a datagram of another size or with other bytes than
# its sender's as malformed.
start_udp() { # port rate [size]
	local f=$WORK/udp$1 size=--size=${3:-100}
	lab exec server1 -- python3 "$FLOW" udp-recv --listen "$1" --until "$f.stop" --log "$f.rx.log" \
		--progress "$WORK/$1.progress" "$size" >/dev/null 2>"$f.rx.err" &
	FLOW_RECEIVER[udp$1]=$!
	listening "$1" udp
	lab exec client1 -- python3 "$FLOW" udp-send "$SERVER:$1" --rate "$2" --until "$f.stop" --log "$f.tx.log" \
		"$size" >/dev/null 2>"$f.tx.err" &
	FLOW_SENDER[udp$1]=$!
	flowing "$1" 1 "(the stream's first datagram)"
	flowing "$1" $(( $2 / 5 )) "(the stream after its set-up)"
	date +%s.%N >"$f.from"
}

# The same stream the other way, server1:PORT -> client1, a download: the
# client asks for it once and sends nothing after, so only the station event
# of a roam can tell the new AP about it.
start_udp_down() { # port rate [size]
	local f=$WORK/udp$1 size=--size=${3:-100}
	lab exec server1 -- python3 "$FLOW" udp-send --listen "$1" --rate "$2" --until "$f.stop" --log "$f.tx.log" \
		"$size" >/dev/null 2>"$f.tx.err" &
	FLOW_SENDER[udp$1]=$!
	listening "$1" udp
	lab exec client1 -- python3 "$FLOW" udp-recv --connect "$SERVER:$1" --until "$f.stop" --log "$f.rx.log" \
		--progress "$WORK/$1.progress" "$size" >/dev/null 2>"$f.rx.err" &
	FLOW_RECEIVER[udp$1]=$!
	flowing "$1" 1 "(the download's first datagram)"
	flowing "$1" $(( $2 / 5 )) "(the download after its set-up)"
	date +%s.%N >"$f.from"
}

# Stops the stream and judges its losses against the lab's link moves
# (flow.py judge): JUDGED is the verdict's JSON, to read with json_get.
finish_udp() { # port
	local f=$WORK/udp$1
	touch "$f.stop"
	wait "${FLOW_SENDER[udp$1]}" || fail "the UDP sender failed: $(cat "$f.tx.err")"
	wait "${FLOW_RECEIVER[udp$1]}" || fail "the UDP receiver failed: $(cat "$f.rx.err")"
	JUDGED=$(python3 "$FLOW" judge --sent "$f.tx.log" --received "$f.rx.log" --events "$ROAMLAB_DIR/events.log" \
		--from "$(cat "$f.from")") ||
		fail "could not judge the UDP stream's losses"
	echo "  udp stream: $JUDGED" | cut -c1-400
	[ "$(json_get 'd["lost_outside"]' <<<"$JUDGED")" -eq 0 ] || loss_report
}

# Where datagrams can vanish besides roamnat: the endpoints' socket buffers,
# the links' queues, the APs' data-plane drop counters. Printed when a stream
# lost a datagram outside a link move, for the failure to explain itself.
loss_report() {
	local n
	echo "--- loss report ---"
	for n in client1 server1 ap1 ap2 ap3 ap4; do
		lab exec "$n" -- true 2>/dev/null || continue
		echo "$n: $(lab exec "$n" -- nstat -az 2>/dev/null |
			awk '/^Udp(InErrors|RcvbufErrors|SndbufErrors|NoPorts) |^Ip(OutDiscards|InDiscards|OutNoRoutes) / { printf "%s=%s ", $1, $2 }')"
		echo "$n: links $(lab exec "$n" -- sh -c 'for d in /sys/class/net/*; do
			printf "%s rx_dropped=%s tx_dropped=%s; " "${d##*/}" "$(cat "$d/statistics/rx_dropped")" "$(cat "$d/statistics/tx_dropped")"
			done' 2>/dev/null)"
		echo "$n: qdiscs $(lab exec "$n" -- tc -s qdisc 2>/dev/null |
			awk '/^qdisc/ { q = $2 " on " $5 } /dropped/ { match($0, /dropped [0-9]+/); printf "%s %s; ", q, substr($0, RSTART, RLENGTH) }')"
		case $n in ap*)
			echo "$n: roamd's non-zero drop, hold and miss counters: $(lab agentctl "$n" counters 2>/dev/null | awk '/drop|held|expired|miss/ && $2 != 0 { printf "%s=%s ", $1, $2 }')"
		esac
	done
}

# A ping that runs until stop_ping: client1 -> TARGET (a node's name: the
# lab's hosts files), five a second, with ping's further ARGS (-s 3000).
start_ping() { # target [args...]
	local target=$1; shift
	start_in client1 ping ping -n -i 0.2 -W 2 "$@" "$target"
}
stop_ping() { stop_in ping; }
# Echo replies the ping has had so far.
pings() { grep -c ' bytes from .*icmp_seq=' "$WORK/ping.log" 2>/dev/null || true; }
pings_at_least() { [ "$(pings)" -ge "$1" ]; }
# Waits (bounded) until AMOUNT more replies arrive: the ping goes on (after a
# roam). A reply or two lost while the link moves is the move's.
pinging() { # amount what
	local want=$(( $(pings) + $1 ))
	wait_for 200 pings_at_least "$want" ||
		fail "ping made no headway $2: $(pings) replies, expected $want within $((20 * SLOW)) s; its output: $(tail -n 5 "$WORK/ping.log" | tr '\n' '|')"
}

# Every ICMP message a node receives, from a raw socket (flow.py icmp-sniff
# with its options, e.g. --type 8), until stop_sniff, which leaves its JSON
# summary in SNIFFED. It returns once the socket is open.
start_sniff() { # node [options...]
	local node=$1; shift
	rm -f "$WORK/sniff.stop" "$WORK/sniff.progress"
	lab exec "$node" -- python3 "$FLOW" icmp-sniff --until "$WORK/sniff.stop" --progress "$WORK/sniff.progress" "$@" \
		>"$WORK/sniff.json" 2>"$WORK/sniff.err" &
	SNIFF_PID=$!
	wait_for 100 test -f "$WORK/sniff.progress" || fail "icmp-sniff did not start in $node: $(cat "$WORK/sniff.err")"
}
stop_sniff() {
	touch "$WORK/sniff.stop"
	wait "$SNIFF_PID" || fail "icmp-sniff failed: $(cat "$WORK/sniff.err")"
	SNIFFED=$(cat "$WORK/sniff.json")
}
