#!/usr/bin/env bash
# With FAM push off, the HAM learns the new FAM on demand (Fig. 7 725,
# Fig. 12): inbound packets are held while it asks, then released.
. "$(dirname "$0")/lib.sh"
lab up --aps 2 --clients 1 --no-push >/dev/null
# The upload's ACKs are the server -> client traffic the HAM has to hold.
start_transfer up 5003 300k
start_udp 6000 500
flowing 5003 50000 "before the roam"
flowing 6000 250 "before the roam"
lab roam client1 ap2 >/dev/null
flowing 5003 100000 "after the roam, with the HAM asking for the FAM"
flowing 6000 250 "after the roam"
finish_udp 6000
finish_transfer 5003
queries=$(counter ap1 fam_queries)
[ "$queries" -gt 0 ] || fail "the HAM never asked for the FAM (fam_queries $queries)"
[ "$(coord_counter fam_updates_pushed)" = "" ] || fail "new FAMs were pushed with push off (fam_updates_pushed $(coord_counter fam_updates_pushed))"
outside=$(json_get 'd["lost_outside"]' <<<"$JUDGED")
[ "$outside" -eq 0 ] || fail "$outside datagrams lost outside the link move: $JUDGED"
ok "push off: the HAM asked $queries time(s) (Fig. 12), the TCP transfer completed ($TRANSFERRED bytes), $(json_get 'd["lost"]' <<<"$JUDGED") datagrams lost, all while the link moved ($(json_get 'd["link_move_ms"][0]' <<<"$JUDGED") ms)"
