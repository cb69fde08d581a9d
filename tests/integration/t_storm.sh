#!/usr/bin/env bash
# A handoff storm (issue 12): 100 clients, each with a live TCP connection
# that echoes a numbered line every 100 ms, roam all at once, three rounds
# (ap1 -> ap2 -> ap1 -> ap2). Every connection survives every round, its
# bytes complete and in order; the server accepted each connection once
# (none broke and came back under another port); and the coordinator's
# table matches: one record per connection, anchored at ap1, its FAM the
# AP its client is at. How long the echoes paused after each client's link
# was back is reported (the lab moves 100 links at once, and TCP's
# retransmission back-off spans the move), never asserted.
. "$(dirname "$0")/lib.sh"
N=${ROAMNAT_STORM_CLIENTS:-100}
STORM=$ROOT/tests/integration/storm.py
lab up --aps 2 --clients "$N" >/dev/null
lab exec server1 -- python3 "$STORM" serve 6000 "$WORK/stop" >"$WORK/server.json" 2>"$WORK/server.err" &
srv=$!
listening 6000
python3 "$STORM" clients "$ROAMLAB_PREFIX" "$N" "$SERVER:6000" "$WORK/stop" "$WORK/progress" \
	>"$WORK/clients.out" 2>"$WORK/clients.err" &
cli=$!
wait_for 600 grep -q "^connected $N" "$WORK/clients.out" ||
	fail "the $N connections did not all open: $(cat "$WORK/clients.out" "$WORK/clients.err")"

# Every connection echoed within the last second.
all_flowing() {
	[ -s "$WORK/progress" ] && awk -v now="$(date +%s.%N)" '$2 < now - 1 { stale++ } END { exit stale > 0 }' "$WORK/progress"
}
# The coordinator's table: N records, each anchored at ap1, FAM at AP.
table_is() { # ap
	lab ctl connections --json | python3 -c '
import json, sys
d, n, ap = json.load(sys.stdin), int(sys.argv[1]), sys.argv[2]
sys.exit(not (len(d) == n and all(c["ham"] == "ap1" and [f["agent"] for f in c["fams"]][:1] == [ap] for c in d)))' "$N" "$1"
}
wait_for 300 all_flowing || fail "not every connection echoes: $(awk '$2 == 0' "$WORK/progress" | wc -l) closed"
wait_for 300 table_is ap1 || fail "the coordinator's table does not hold $N connections at ap1: $(lab ctl connections | head -5)"
ok "$N connections open at ap1, each echoing every 100 ms"

to=ap1
for round in 1 2 3; do
	to=$([ "$to" = ap1 ] && echo ap2 || echo ap1)
	pids=()
	for i in $(seq 1 "$N"); do
		lab roam "client$i" "$to" >/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || fail "a roam of round $round failed"; done
	wait_for $((600 * SLOW)) all_flowing ||
		fail "round $round: $(awk -v now="$(date +%s.%N)" '$2 < now - 1' "$WORK/progress" | wc -l) of $N connections stopped echoing"
	wait_for 300 table_is "$to" || fail "round $round: the coordinator's table does not have every connection's FAM at $to"
	ok "round $round: all $N clients moved to $to at once; every connection echoes again and the table says so"
done

touch "$WORK/stop"
wait "$cli" || fail "the clients failed: $(cat "$WORK/clients.err")"
wait "$srv" || fail "the echo server failed: $(cat "$WORK/server.err")"
python3 - "$WORK/clients.out" "$WORK/server.json" "$ROAMLAB_DIR/events.log" "$N" "$ROAMLAB_DIR/logs/coordinator.log" \
	<<'PY' || fail "the storm lost something"
import json, sys
res = json.loads(open(sys.argv[1]).read().splitlines()[-1])
srv = json.load(open(sys.argv[2]))
n = int(sys.argv[4])
bad = [r for r in res if r["closed"] or not r["in_order"] or r["sent"] - r["echoed"] > 0]
for r in bad[:5]:
    print("  client%d: sent %d, echoed %d, in order %s, closed %s" % (r["client"], r["sent"], r["echoed"], r["in_order"], r["closed"]))
accepted = srv["accepted"]
if len(accepted) != n or len(set(accepted)) != n:
    print("  the server accepted %d connections from %d peers, not %d" % (len(accepted), len(set(accepted)), n))
    bad.append("server")
# Per client and round: from its link being ready to its first echo after,
# and to the coordinator's record of its new FAM (roamnat's part of it).
ready, left = {}, {}
for line in open(sys.argv[3]):
    t, c, _, _, what = line.split()[:5]
    (ready if what == "ready" else left).setdefault(c, []).append(float(t))
first = min(min(v) for v in left.values())
midnight = first - first % 86400
joins = {}
for line in open(sys.argv[5]):
    w = line.split()
    if len(w) >= 8 and w[2] == "debug:" and w[4:7] == ["is", "FAM", "of"]:
        h, m, sec = w[0].split(":")
        t = midnight + int(h) * 3600 + int(m) * 60 + float(sec)
        t += 86400 if t < first - 43200 else 0
        client = "client%d" % (int(w[8].split(":")[0].split(".")[3]) - 10)
        joins.setdefault(client, []).append(t)
joined = []
for c, lefts in left.items():
    for i, t0 in enumerate(lefts):
        after = [t for t in joins.get(c, []) if t >= t0]
        if after and i < len(ready.get(c, [])):
            joined.append(min(after) - ready[c][i])
joined.sort()
if joined:
    q = lambda p: joined[min(len(joined) - 1, int(p * len(joined)))]
    # Negative: the client's first packet reached the new AP, and its FAM
    # joined, before the lab had finished attaching the link (issue 13).
    print("  new FAM joined, from the link being ready: p50 %.2f s, p90 %.2f s, max %.2f s (%d client-rounds)" % (q(.5), q(.9), joined[-1], len(joined)))
resume = []
for r in res:
    for t in ready.get("client%d" % r["client"], []):
        after = [g[1] for g in r["gaps"] if g[1] >= t]
        if after and any(g[0] <= t for g in r["gaps"] if g[1] == min(after)):
            resume.append(min(after) - t)
resume.sort()
if resume:
    q = lambda p: resume[min(len(resume) - 1, int(p * len(resume)))]
    print("  echo resumed after the link was ready: p50 %.2f s, p90 %.2f s, max %.2f s (%d client-rounds)" % (q(.5), q(.9), resume[-1], len(resume)))
print("  %d echoes in all, none lost or out of order" % sum(r["echoed"] for r in res) if not bad else "  %d connection(s) lost" % len(bad))
sys.exit(1 if bad else 0)
PY
ok "$N connections survived three storms of $N simultaneous roams, every byte echoed in order, each accepted once by the server"
