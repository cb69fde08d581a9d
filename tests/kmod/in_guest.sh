#!/usr/bin/env bash
# Runs inside the QEMU guest (tests/kmod/run.sh): loads roamnat.ko and checks
# translation with real packets between namespaces, the netlink API under
# hostile input, namespace deletion, unload under traffic, and the kernel log.
set -uo pipefail
[ -n "${TRACE:-}" ] && set -x
ROOT=$PWD
CTL=$ROOT/build/roamnat-kmodctl
pass=0 fail=0
ok() { echo "  ok: $*"; pass=$((pass + 1)); }
bad() { echo "  FAIL: $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# Everything here waits for an event, never for a fixed time: the guest
# runs under TCG, at whatever speed the host has left. The bound (20 s) is
# only for a check that fails.
eventually() { local i; for i in $(seq 1 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
check_soon() { local what=$1; shift; if eventually "$@"; then ok "$what"; else bad "$what"; fi; }
listening() { # ns tcp|udp port
	eventually sh -c "ip netns exec $1 ss -ln$(echo "$2" | cut -c1) | grep -q ':$3 '" || bad "nothing listens on $1 $2 port $3"
}
# A monitor that has joined the module's groups (it says so on stderr).
start_monitor() { # file [count]
	ap "$CTL" monitor ${2:-} >"$1" 2>"$1.err" &
	MONITOR=$!
	eventually grep -q monitoring "$1.err" || bad "the monitor did not start: $(cat "$1.err")"
}
ap() { ip netns exec ap "$@"; }
cnt() { ap "$CTL" counters | awk -v k="$1" '$1 == k { print $2 }'; }
cnt_ge() { [ "$(cnt "$1")" -ge "$2" ] 2>/dev/null; } # counter min
# Sends /tmp/tx.bin from the client's SPORT to server port 8, into OUT.
tcp_send() { # sport out
	ip netns exec srv timeout 60 socat -u TCP-LISTEN:8,reuseaddr OPEN:"$2",creat,trunc &
	local srv=$!
	listening srv tcp 8
	ip netns exec cli timeout 60 socat -u OPEN:/tmp/tx.bin TCP:10.201.0.10:8,sourceport="$1"
	wait $srv
}
no_tcp_csum_errors() { ip netns exec srv awk '/^Tcp:/ { n++ } n == 2 && /^Tcp:/ { exit ($NF != 0) }' /proc/net/snmp; }
# A datagram from the client's SPORT to a server on port 7 that answers
# with the source it saw; prints that answer.
udp_echo() { # sport
	ip netns exec srv python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7))
s.settimeout(10)
d, a = s.recvfrom(100)
s.sendto(("%s:%d" % a).encode(), a)' &
	# Python starts slowly under TCG: wait until the port is bound.
	listening srv udp 7
	ip netns exec cli sh -c "echo hi | socat -T 10 - UDP:10.201.0.10:7,sourceport=$1" 2>/dev/null
	wait $! 2>/dev/null
}
# A UDP datagram from the client's SPORT to DST with IP TTL; prints the
# ICMP error the socket got (IP_RECVERR: "icmp TYPE/CODE from ADDR"),
# "answered" or "timeout".
udp_probe() { # sport dst_addr dst_port ttl
	ip netns exec cli python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, int(sys.argv[4]))
s.setsockopt(socket.IPPROTO_IP, 11, 1)  # IP_RECVERR
s.bind(("0.0.0.0", int(sys.argv[1])))
s.connect((sys.argv[2], int(sys.argv[3])))
s.settimeout(5)
s.send(b"probe")
try:
    s.recv(100)
    print("answered")
except socket.timeout:
    print("timeout")
except OSError:
    _, anc, _, _ = s.recvmsg(512, 512, socket.MSG_ERRQUEUE)
    for level, kind, d in anc:
        if level == socket.IPPROTO_IP and kind == 11:  # struct sock_extended_err
            _, _, t, c = struct.unpack("=IBBB", d[:7])
            print("icmp %d/%d from %s" % (t, c, socket.inet_ntoa(d[20:24])))' "$@"
}

dmesg -C
modprobe nf_defrag_ipv4
insmod "$ROOT/kmod/roamnat.ko" || { echo "FAIL: insmod"; exit 1; }
check "module loaded, API version 1" sh -c "'$CTL' version | grep -qx 'version 1'"

# client (cli) -- cl1 [ap] eth0 -- server (srv)
for n in cli ap srv; do ip netns add $n; ip -n $n link set lo up; done
ip link add eth0 netns cli type veth peer name cl1 netns ap
ip link add eth0 netns srv type veth peer name eth0 netns ap
ip -n cli addr add 10.202.0.11/24 dev eth0
ip -n cli link set eth0 up
ip -n cli route add default via 10.202.0.1
ip -n ap addr add 10.202.0.1/24 dev cl1
ip -n ap addr add 10.201.0.101/24 dev eth0
ip -n ap link set cl1 up
ip -n ap link set eth0 up
ip -n srv addr add 10.201.0.10/24 dev eth0
ip -n srv link set eth0 up
ap sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.cl1.accept_local=1 net.ipv4.conf.cl1.rp_filter=0 \
	net.ipv4.conf.all.rp_filter=0
ap "$CTL" config 40000 59999 0 cl1 || bad "config"

# A connection anchored here (the FAM is the HAM): Fig. 4 entries both ways.
ap "$CTL" add fam_out udp 10.202.0.11:5000 10.201.0.10:7 new-src 10.201.0.101:40000
ap "$CTL" add fam_in udp 10.201.0.10:7 10.201.0.101:40000 new-dst 10.202.0.11:5000
ap "$CTL" add fam_out tcp 10.202.0.11:5001 10.201.0.10:8 new-src 10.201.0.101:40001
ap "$CTL" add fam_in tcp 10.201.0.10:8 10.201.0.101:40001 new-dst 10.202.0.11:5001
check "dump lists the entries" sh -c "ip netns exec ap '$CTL' dump fam_out | grep -c 'new-src' | grep -qx 2"

seen=$(udp_echo 5000)
check "UDP: the server sees the masquerade endpoint ($seen) and its answer reaches the client" \
	test "$seen" = "10.201.0.101:40000"

head -c 2000000 /dev/urandom >/tmp/tx.bin
tcp_send 5001 /tmp/rx.bin
check "TCP: 2000000 bytes intact through both rewrites (checksum offload on)" cmp -s /tmp/tx.bin /tmp/rx.bin
check "no checksum errors at the server" no_tcp_csum_errors
check "counters: packets translated both ways" test "$(cnt fam_out_packets)" -gt 10 -a "$(cnt fam_in_packets)" -gt 10

# The same with every offload off on both links: full checksums, no GSO/GRO.
for dev in "cli eth0" "ap cl1" "ap eth0" "srv eth0"; do
	set -- $dev
	ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 ||
		bad "ethtool -K $2 in $1"
done
ap "$CTL" add fam_out tcp 10.202.0.11:5002 10.201.0.10:8 new-src 10.201.0.101:40002
ap "$CTL" add fam_in tcp 10.201.0.10:8 10.201.0.101:40002 new-dst 10.202.0.11:5002
tcp_send 5002 /tmp/rx2.bin
check "TCP: 2000000 bytes intact with checksum offload, TSO, GSO and GRO off" cmp -s /tmp/tx.bin /tmp/rx2.bin
check "still no checksum errors at the server" no_tcp_csum_errors

# A UDP datagram without checksum (0) must arrive without one, not with a
# wrong one: sent raw from the client, read with its header at the server.
ip netns exec srv python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.settimeout(20)
open("/tmp/udp0.ready", "w").close()
while True:
    d, a = s.recvfrom(2048)
    ihl = (d[0] & 15) * 4
    if d[ihl + 2:ihl + 4] == (7).to_bytes(2, "big"):
        print("%s %d %d" % (a[0], int.from_bytes(d[ihl:ihl + 2], "big"), int.from_bytes(d[ihl + 6:ihl + 8], "big")))
        break' >/tmp/udp0.txt &
rawsrv=$!
eventually test -f /tmp/udp0.ready || bad "the raw receiver did not start"
ip netns exec cli python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
payload = b"no checksum"
hdr = (5000).to_bytes(2, "big") + (7).to_bytes(2, "big") + (8 + len(payload)).to_bytes(2, "big") + b"\0\0"
s.sendto(hdr + payload, ("10.201.0.10", 0))'
wait $rawsrv
check "UDP with checksum 0: translated ($(cat /tmp/udp0.txt)), checksum still 0" \
	test "$(cat /tmp/udp0.txt)" = "10.201.0.101 40000 0"

before=$(cnt drop_unknown)
ip netns exec srv sh -c 'for i in 1 2 3; do echo x | socat -u - UDP:10.201.0.101:45000; done'
check_soon "spoofed packets to the port range are dropped and counted" cnt_ge drop_unknown $((before + 3))
before=$(cnt misses)
ip netns exec cli sh -c 'echo x | socat -u - UDP:10.201.0.10:9,sourceport=5999' 2>/dev/null
check_soon "a packet without an entry is a miss (queued for roamd)" cnt_ge misses $((before + 1))
start_monitor /tmp/miss.txt 1
ip netns exec cli sh -c 'echo x | socat -u - UDP:10.201.0.10:9,sourceport=5998' 2>/dev/null
check_soon "the miss is shown on the misses group" grep -q "^miss fam_out udp 10.202.0.11:5998 -> 10.201.0.10:9" /tmp/miss.txt
kill $MONITOR 2>/dev/null

ap "$CTL" del fam_out udp 10.202.0.11:5000 10.201.0.10:7
check "deleted entry is gone" sh -c "! ip netns exec ap '$CTL' dump fam_out | grep -q '10.202.0.11:5000 '"
check "a table without its key attributes is refused" sh -c "! ip netns exec ap '$CTL' add fam_in udp 10.201.0.10:7 10.201.0.101:40000 2>/dev/null"
# Events: FIN of a translated TCP connection, then idle entries.
start_monitor /tmp/events.txt
ap "$CTL" add fam_out tcp 10.202.0.11:5003 10.201.0.10:8 new-src 10.201.0.101:40003 ifindex 1
ap "$CTL" add fam_in tcp 10.201.0.10:8 10.201.0.101:40003 new-dst 10.202.0.11:5003
head -c 20000 /dev/urandom >/tmp/small.bin
ip netns exec srv timeout 60 socat -u TCP-LISTEN:8,reuseaddr OPEN:/dev/null &
listening srv tcp 8
ip netns exec cli timeout 60 socat -u OPEN:/tmp/small.bin TCP:10.201.0.10:8,sourceport=5003
check_soon "a FIN from the client is reported (fam_out)" grep -q "^fin fam_out tcp 10.202.0.11:5003 -> 10.201.0.10:8 new-src 10.201.0.101:40003 ifindex 1" /tmp/events.txt
check_soon "a FIN from the server is reported (fam_in)" grep -q "^fin fam_in tcp 10.201.0.10:8 -> 10.201.0.101:40003" /tmp/events.txt
ap "$CTL" config 40000 59999 0 idle 2 3 cl1
idle_reports() { grep -c '^idle fam_in udp 10.201.0.10:7 -> 10.201.0.101:40000 ' /tmp/events.txt; }
idle_reported() { [ "$(idle_reports)" -ge 1 ]; }
check_soon "an entry idle past the UDP timeout (2 s) is reported" idle_reported
# Once: a second report could only come after another idle period.
sleep 3
check "entries idle past the UDP timeout are reported once each ($(idle_reports))" test "$(idle_reports)" -eq 1
kill $MONITOR
check "the events were counted, none lost" test "$(cnt events)" -ge 3 -a "$(cnt events_lost)" -eq 0
ap "$CTL" config 40000 59999 0 cl1

# A 3,000-byte UDP datagram: fragmented by the client, reassembled by
# nf_defrag_ipv4 before the lookup, translated, fragmented again on the way.
ap "$CTL" add fam_out udp 10.202.0.11:5000 10.201.0.10:7 new-src 10.201.0.101:40000
ip netns exec srv python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7))
s.settimeout(20)
d, a = s.recvfrom(65535)
s.sendto(("%s:%d %d" % (a[0], a[1], len(d))).encode(), a)' &
listening srv udp 7
seen=$(ip netns exec cli sh -c 'head -c 3000 /dev/urandom | socat -T 10 - UDP:10.201.0.10:7,sourceport=5000' 2>/dev/null)
check "a 3000-byte UDP datagram is translated whole, its checksum valid ($seen)" test "$seen" = "10.201.0.101:40000 3000"
ip -n srv route add 10.202.0.0/24 via 10.201.0.101
# ICMP echo is a flow keyed by its identifier (RFC 5508): 4242 leaves as 40042.
ap "$CTL" add fam_out icmp 10.202.0.11:4242 10.201.0.10:0 new-src 10.201.0.101:40042
ap "$CTL" add fam_in icmp 10.201.0.10:0 10.201.0.101:40042 new-dst 10.202.0.11:4242
before=$(cnt fam_in_packets)
check "a 3000-byte ping through the AP, fragmented: translated whole (identifier 4242 as 40042)" \
	ip netns exec cli ping -q -c 2 -W 3 -s 3000 -e 4242 10.201.0.10
check "the echo replies came back through FAM_IN" cnt_ge fam_in_packets $((before + 2))
check "an echo request without an entry is a miss, not passed untranslated" \
	sh -c "! ip netns exec cli ping -q -c 1 -W 2 -e 4343 10.201.0.10 >/dev/null"
before=$(cnt drop_unknown)
ip netns exec srv python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
def csum(b):
    t = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
for ident in (40043, 45000):
    m = bytes([0, 0, 0, 0]) + ident.to_bytes(2, "big") + b"\0\1" + b"x" * 8
    m = m[:2] + csum(m).to_bytes(2, "big") + m[4:]
    s.sendto(m, ("10.201.0.101", 0))'
check_soon "echo replies to identifiers in the port range without an entry are dropped and counted" \
	cnt_ge drop_unknown $((before + 2))
check "an echo request to the AP itself still passes" ip netns exec srv ping -q -c 1 -W 2 10.201.0.101

# ICMP errors about a translated connection reach the right socket: the
# pair of entries for the client's SPORT -> DST:DPORT (masquerade port
# MPORT), a probe with TTL, the error the socket got and the module's count.
icmp_case() { # what sport dst dport mport ttl expected
	ap "$CTL" add fam_out udp "10.202.0.11:$2" "$3:$4" new-src "10.201.0.101:$5"
	ap "$CTL" add fam_in udp "$3:$4" "10.201.0.101:$5" new-dst "10.202.0.11:$2"
	local before answer
	before=$(cnt icmp_packets)
	answer=$(udp_probe "$2" "$3" "$4" "$6")
	check "$1 reaches the client's socket ($answer)" test "$answer" = "$7"
	check "$1 was translated and counted" test "$(cnt icmp_packets)" -gt "$before"
}
icmp_case "port unreachable from the server" 5004 10.201.0.10 9 40004 64 "icmp 3/3 from 10.201.0.10"

# Time exceeded from a router beyond the AP: the server namespace routes
# 10.204.0.0/24 on, so a datagram sent with TTL 2 dies there and the router
# answers the masquerade address; the client's socket must get the error
# with its own endpoints in the quote, as traceroute needs.
ip -n srv link add far type dummy
ip -n srv addr add 10.204.0.1/24 dev far
ip -n srv link set far up
ip netns exec srv sysctl -qw net.ipv4.ip_forward=1
ap ip route add 10.204.0.0/24 via 10.201.0.10
icmp_case "time exceeded from a router beyond the AP" 5008 10.204.0.10 33434 40008 2 "icmp 11/0 from 10.201.0.10"
# The same with TTL 1: the AP itself is the hop that expires it; the module
# leaves a dying packet untranslated, so the error quotes what the client sent.
before=$(cnt fam_out_packets)
answer=$(udp_probe 5008 10.204.0.10 33434 1)
check "time exceeded from the AP itself reaches the client's socket ($answer)" \
	test "$answer" = "icmp 11/0 from 10.202.0.1"
check "a datagram that dies at the AP is not translated" test "$(cnt fam_out_packets)" -eq "$before"

# An error for a HAM entry whose FAM is not known yet waits like a data
# packet (queued for roamd, shown on the misses group) instead of passing
# untranslated to a socket that does not exist here.
ap "$CTL" add ham udp 10.201.0.10:9 10.201.0.101:40010 orig 10.202.0.11:5010
start_monitor /tmp/icmp-miss.txt 1
before=$(cnt misses)
ip netns exec srv python3 -c '
import socket, struct
def csum(b):
    b += bytes(len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
quote = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 36, 1, 0, 64, 17, 0,
                    socket.inet_aton("10.201.0.101"), socket.inet_aton("10.201.0.10"))
quote += struct.pack("!HHHH", 40010, 9, 16, 0)
icmp = struct.pack("!BBHI", 3, 3, 0, 0) + quote
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(icmp, ("10.201.0.101", 0))'
check_soon "an ICMP error for a HAM entry without its FAM is a miss (queued for roamd)" cnt_ge misses $((before + 1))
check "exactly one miss ($(( $(cnt misses) - before )))" test "$(cnt misses)" -eq $((before + 1))
check_soon "and is shown on the misses group" \
	grep -q "^miss ham udp 10.201.0.10:9 -> 10.201.0.101:40010" /tmp/icmp-miss.txt
kill $MONITOR 2>/dev/null

# Path MTU: the AP's client link shrinks to 1400; its own "fragmentation
# needed" quotes the translated packet (server -> client) and is rewritten
# to quote server -> masquerade, so the server's socket lowers its MSS.
# Without that the download would stall (offloads are still off).
ap "$CTL" add fam_out tcp 10.202.0.11:5005 10.201.0.10:8 new-src 10.201.0.101:40005
ap "$CTL" add fam_in tcp 10.201.0.10:8 10.201.0.101:40005 new-dst 10.202.0.11:5005
ip -n ap link set cl1 mtu 1400
before=$(cnt icmp_packets)
ip netns exec srv timeout 60 socat -u OPEN:/tmp/tx.bin TCP-LISTEN:8,reuseaddr &
listening srv tcp 8
ip netns exec cli timeout 60 socat -u TCP:10.201.0.10:8,sourceport=5005 OPEN:/tmp/rx3.bin,creat,trunc
check "download through a smaller client link: 2000000 bytes intact (PMTU discovery worked)" cmp -s /tmp/tx.bin /tmp/rx3.bin
check "fragmentation-needed from the AP was translated" test "$(cnt icmp_packets)" -gt "$before"
ip -n ap link set cl1 mtu 1500

# The other way: the AP's path to the server shrinks to 1280 (the server
# advertised a segment size for 1400 after the test above). The AP has
# written the masquerade source when the packet does not fit, so its
# "fragmentation needed" quotes masquerade -> server and is addressed to the
# AP itself; it is translated on its way out (FAM_IN) to the client, whose
# TCP lowers its segment size.
ap "$CTL" add fam_out tcp 10.202.0.11:5009 10.201.0.10:8 new-src 10.201.0.101:40009
ap "$CTL" add fam_in tcp 10.201.0.10:8 10.201.0.101:40009 new-dst 10.202.0.11:5009
ap ip route add 10.201.0.10/32 dev eth0 mtu lock 1280
before=$(cnt icmp_packets)
tcp_send 5009 /tmp/rx5.bin
check "upload through a smaller path to the server: 2000000 bytes intact (PMTU discovery worked)" cmp -s /tmp/tx.bin /tmp/rx5.bin
check "the AP's own fragmentation-needed was translated to the client" test "$(cnt icmp_packets)" -gt "$before"
ap ip route del 10.201.0.10/32

# With conntrack active on the AP (a firewall's ct rules), translated packets
# are marked untracked, so conntrack never records a half-rewritten flow.
modprobe nf_conntrack
ap nft -f - <<'NFT'
table ip fw {
	chain forward_check {
		type filter hook forward priority 0;
		ct state untracked counter accept
		ct state invalid counter drop
	}
}
NFT
ap "$CTL" add fam_out tcp 10.202.0.11:5006 10.201.0.10:8 new-src 10.201.0.101:40006
ap "$CTL" add fam_in tcp 10.201.0.10:8 10.201.0.101:40006 new-dst 10.202.0.11:5006
tcp_send 5006 /tmp/rx4.bin
check "with conntrack loaded: 2000000 bytes intact" cmp -s /tmp/tx.bin /tmp/rx4.bin
untracked=$(ap nft list chain ip fw forward_check | awk '/untracked/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
check "translated packets bypass conntrack (forwarded as untracked: ${untracked:-0})" test "${untracked:-0}" -gt 1000
ap nft delete table ip fw

fuzz=$(ap "$CTL" fuzz 5000)
echo "$fuzz"
refused=$(echo "$fuzz" | awk '{ print $5 }')
check "the module refused most of them with an error ($refused of 5000)" test "${refused:-0}" -gt 2500
check "the module survives 5000 random and truncated netlink messages" sh -c "'$CTL' version >/dev/null"

# RESET: the namespace forwards as if never served (no hooks: the client's
# own address reaches the server, the port range is not guarded); config
# hooks the module in again. The fuzzer may have sent RESET or SET_CONFIG
# too, so this starts from a known configuration.
ap "$CTL" config 40000 59999 0 cl1
ap "$CTL" add fam_out udp 10.202.0.11:5011 10.201.0.10:7 new-src 10.201.0.101:40011
ap "$CTL" add fam_out icmp 10.202.0.11:4242 10.201.0.10:0 new-src 10.201.0.101:40042
ap "$CTL" add fam_in icmp 10.201.0.10:0 10.201.0.101:40042 new-dst 10.202.0.11:4242
# Debian's kernel cannot list hooks (no nfnetlink_hook), but the module's
# hooks bring nf_defrag_ipv4 with them: fragments forwarded by the AP are
# reassembled there only while it is hooked.
ap_ip_stat() { # the AP's Ip: counter NAME from /proc/net/snmp
	ap awk -v k="$1" '$1 == "Ip:" && !h { for (i = 1; i <= NF; i++) if ($i == k) c = i; h = 1; next }
		$1 == "Ip:" { print $c }' /proc/net/snmp
}
reassembled_by_ping() {
	local r0
	r0=$(ap_ip_stat ReasmReqds)
	ip netns exec cli ping -q -c 2 -W 3 -s 3000 -e 4242 10.201.0.10 >/dev/null || { echo "ping failed"; return; }
	echo $(( $(ap_ip_stat ReasmReqds) - r0 ))
}
n=$(reassembled_by_ping)
check "configured: the AP reassembles the fragments it forwards ($n)" test "$n" -gt 0
check "reset" ap "$CTL" reset
n=$(reassembled_by_ping)
check "after reset: the module's hooks are gone (fragments forwarded as they are: $n reassembled)" test "$n" = 0
check "after reset: no configuration" sh -c "! ip netns exec ap '$CTL' get-config 2>/dev/null"
check "after reset: no entries" test -z "$(ap "$CTL" dump fam_out)"
before=$(cnt drop_unknown)
seen=$(udp_echo 5011)
check "after reset: the server sees the client itself ($seen)" test "$seen" = 10.202.0.11:5011
ip netns exec srv sh -c 'echo x | socat -u - UDP:10.201.0.101:45000'
check "after reset: nothing is dropped or counted" test "$(cnt drop_unknown)" -eq "$before"
ap "$CTL" config 40000 59999 0 cl1
ap "$CTL" add fam_out udp 10.202.0.11:5012 10.201.0.10:7 new-src 10.201.0.101:40012
ap "$CTL" add fam_in udp 10.201.0.10:7 10.201.0.101:40012 new-dst 10.202.0.11:5012
seen=$(udp_echo 5012)
check "configured again: translated both ways ($seen)" test "$seen" = 10.201.0.101:40012

# Fig. 14 1465: per-user filtering. The client's UDP flow to port 7 (5012)
# passes only under a policy that permits it; the check is on both hooks:
# outbound before translation (PREROUTING), inbound after it (FORWARD).
check "filtering deny" ap "$CTL" filtering deny
unknown=$(cnt policy_unknown)
seen=$(udp_echo 5012)
check "filtering, the client has no policy: nothing passes (${seen:-no answer})" test -z "$seen"
check "  and the drop is counted as policy_unknown" cnt_ge policy_unknown $((unknown + 1))
check "filtering, no policy: the client still reaches the AP itself" ip netns exec cli ping -c 1 -W 5 -q 10.202.0.1
check "a client under a policy not installed is refused" sh -c "! ip netns exec ap '$CTL' client 10.202.0.11 1 2>/dev/null"
check "a rule the language refuses is not sent" sh -c "ip netns exec ap '$CTL' policy 1 deny 'permit out ip from any to any' 2>&1 | grep -q \"rule 'permit out\""
rules=$(for i in $(seq 1 129); do printf "'permit in udp from any to 10.9.%d.0/24 9' " "$i"; done)
check "a policy of 129 rules is refused by the module (at most 128)" sh -c "ip netns exec ap '$CTL' policy 1 deny $rules 2>&1 | grep -q 'more than 128 rules'"
ap "$CTL" policy 1 deny 'deny in udp from any to 10.201.0.10 8' 'permit in udp from any to 10.201.0.0/24 1-7,9' ||
	bad "installing policy 1"
ap "$CTL" client 10.202.0.11 1 || bad "giving the client policy 1"
check "get-config shows one policy and one client" sh -c "ip netns exec ap '$CTL' get-config | grep -q 'filtering deny policies 1 clients 1 '"
check "policies 1 reads back what was installed" sh -c "ip netns exec ap '$CTL' policies 1 | tr '\n' '|' | grep -qxF 'policy 1 default deny rules 2|  deny in udp from any to 10.201.0.10 8|  permit in udp from any to 10.201.0.0/24 1-7,9|'"
check "clients: 10.202.0.11 is under policy 1" sh -c "ip netns exec ap '$CTL' clients | grep -qxF '10.202.0.11 policy 1'"
check "a policy not installed cannot be read" sh -c "! ip netns exec ap '$CTL' policies 99 2>/dev/null"
seen=$(udp_echo 5012)
check "under a policy permitting udp to port 7: translated both ways ($seen)" test "$seen" = 10.201.0.101:40012
denied=$(cnt policy_denied)
ap "$CTL" policy 1 permit 'deny in udp from any to 10.201.0.10 7'
seen=$(udp_echo 5012)
check "policy 1 replaced by one denying port 7: the client's datagram is dropped (${seen:-no answer})" test -z "$seen"
check "  and counted as policy_denied" cnt_ge policy_denied $((denied + 1))
# Inbound on its own: the server sends from port 7 to the masquerade
# endpoint; FAM_IN rewrites it for the client and FORWARD drops it there.
denied=$(cnt policy_denied) fam_in=$(cnt fam_in_packets)
ip netns exec srv sh -c 'echo x | socat -u - UDP:10.201.0.101:40012,sourceport=7'
inbound_dropped() { [ "$(cnt policy_denied)" -gt "$denied" ] && [ "$(cnt fam_in_packets)" -gt "$fam_in" ]; }
check_soon "inbound: translated for the client (fam_in) and dropped by its policy" inbound_dropped
ap "$CTL" unclient 10.202.0.11
check "get-config: no client after unclient" sh -c "ip netns exec ap '$CTL' get-config | grep -q 'policies 1 clients 0 '"
# filtering hold: what has no policy waits in the policy queue (miss queue
# + 4) for roamd; nobody reads it here, and without a reader nothing passes.
check "filtering hold" ap "$CTL" filtering hold
check "get-config: filtering hold, policy queue 4" sh -c "ip netns exec ap '$CTL' get-config | grep 'policy_queue 4 ' | grep -q 'filtering hold '"
held=$(cnt policy_held) unknown=$(cnt policy_unknown)
seen=$(udp_echo 5012)
check "filtering hold, no policy, no reader: nothing passes (${seen:-no answer})" test -z "$seen"
check "  and the packet was queued (policy_held), not dropped as unknown" sh -c "[ $(cnt policy_held) -gt $held ] && [ $(cnt policy_unknown) -eq $unknown ]"
ap "$CTL" filtering off
seen=$(udp_echo 5012)
check "filtering off: translated without a policy ($seen)" test "$seen" = 10.201.0.101:40012
# The largest policy (128 rules of 16 port ranges, about 13 KiB) is one
# dump message; it reads back rule for rule.
ports=$(seq -s, 1 2 31)
seq 1 128 | sed "s|.*|permit in tcp from any to 10.9.&.0/24 $ports|" >/tmp/rules.txt
tr '\n' '\0' </tmp/rules.txt | xargs -0 ip netns exec ap "$CTL" policy 2 deny || bad "installing a policy of 128 rules"
ap "$CTL" policies >/tmp/policies.txt
check "policies: both, the largest read back rule for rule" sh -c "[ \$(grep -c '^policy ' /tmp/policies.txt) -eq 2 ] && sed -n '/^policy 2 default deny rules 128\$/,\$p' /tmp/policies.txt | tail -n +2 | sed 's/^  //' | cmp -s - /tmp/rules.txt"
ap "$CTL" flush-policies
check "flush-policies: none left" sh -c "ip netns exec ap '$CTL' get-config | grep -q 'policies 0 clients 0 '"
check "flush-policies: nothing to dump" sh -c "[ -z \"\$(ip netns exec ap '$CTL' policies)\" ] && [ -z \"\$(ip netns exec ap '$CTL' clients)\" ]"

# Namespace deletion with live entries, and unload under traffic.
ip netns add gone
ip netns exec gone "$CTL" config 40000 40010 0 lo
ip netns exec gone "$CTL" add fam_in tcp 1.2.3.4:5 127.0.0.1:40001 new-dst 127.0.0.1:1
ip netns del gone
ap "$CTL" add fam_out tcp 10.202.0.11:5007 10.201.0.10:8 new-src 10.201.0.101:40007
ap "$CTL" add fam_in tcp 10.201.0.10:8 10.201.0.101:40007 new-dst 10.202.0.11:5007
ip netns exec srv timeout 60 socat -u TCP-LISTEN:8,reuseaddr OPEN:/dev/null &
unload_srv=$!
listening srv tcp 8
ip netns exec cli sh -c 'timeout 60 socat -u /dev/zero TCP:10.201.0.10:8,sourceport=5007' 2>/dev/null &
unload_cli=$!
p0=$(cnt fam_out_packets)
check_soon "traffic is flowing through the module before the unload" cnt_ge fam_out_packets $((p0 + 100))
check "unload with live entries and traffic" rmmod roamnat
# The flow goes on hitting the namespace without the module for a moment.
sleep 1
for n in cli srv; do ip netns pids $n | xargs -r kill 2>/dev/null; done
wait $unload_cli $unload_srv 2>/dev/null
for n in cli ap srv; do ip netns del $n; done

if dmesg | grep -E "WARNING|BUG|Oops|KASAN|UBSAN|refcount_t|list_del corruption" >/tmp/bad.log; then
	bad "the kernel log has warnings: $(head -3 /tmp/bad.log)"
else
	ok "no WARN/BUG/Oops in the kernel log"
fi
echo "kmod: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
