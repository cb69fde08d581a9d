#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a
# bounded time. Usage: run.sh [SECONDS_IN_ALL]
set -euo pipefail
cd "$(dirname "$0")/../.."
total=${1:-60}
out=build-fuzz
mkdir -p "$out"
flags="-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
declare -A srcs=(
	[protocol]="tests/fuzz/fuzz_protocol.cpp common/protocol.cpp common/endpoint.cpp common/mac_addr.cpp common/secret.cpp common/filter_rule.cpp -lcrypto"
	[config]="tests/fuzz/fuzz_config.cpp common/config_file.cpp common/endpoint.cpp"
	[packet]="tests/fuzz/fuzz_packet.cpp userd/packet_info.cpp common/endpoint.cpp"
	[hostapd]="tests/fuzz/fuzz_hostapd.cpp userd/hostapd_messages.cpp common/mac_addr.cpp"
	[dhcp]="tests/fuzz/fuzz_dhcp.cpp userd/dhcp_messages.cpp common/mac_addr.cpp"
	[icmp]="tests/fuzz/fuzz_icmp.cpp userd/icmp_translate.cpp common/endpoint.cpp"
	[radius]="tests/fuzz/fuzz_radius.cpp common/radius_packet.cpp coordinator/das_server.cpp common/event_loop.cpp common/log.cpp common/socket_util.cpp common/endpoint.cpp common/mac_addr.cpp -lcrypto"
	[policy]="tests/fuzz/fuzz_policy.cpp common/filter_rule.cpp coordinator/policies.cpp common/config_file.cpp common/endpoint.cpp"
	[state]="tests/fuzz/fuzz_state.cpp coordinator/hard_state.cpp common/endpoint.cpp common/mac_addr.cpp"
)
per=$((total / 9))
[ "$per" -ge 1 ] || per=1
failed=0
for t in protocol config packet hostapd dhcp icmp radius policy state; do
	# shellcheck disable=SC2086
	clang++ $flags ${srcs[$t]} -o "$out/fuzz_$t"
	corpus="$out/corpus-$t"
	mkdir -p "$corpus"
	[ -d "tests/fuzz/corpus/$t" ] && cp -n tests/fuzz/corpus/$t/* "$corpus/" 2>/dev/null || true
	if "$out/fuzz_$t" -max_total_time="$per" -print_final_stats=1 "$corpus" >"$out/fuzz_$t.log" 2>&1; then
		runs=$(grep -m1 "stat::number_of_executed_units" "$out/fuzz_$t.log" | awk '{print $2}')
		echo "fuzz $t: ok, $runs inputs in ${per}s"
	else
		echo "fuzz $t: FAILED (see $out/fuzz_$t.log)"
		tail -30 "$out/fuzz_$t.log"
		failed=1
	fi
done
exit $failed
