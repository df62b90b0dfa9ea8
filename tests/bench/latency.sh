#!/usr/bin/env bash
# latency.sh -- evlog's end-to-end latency beside Redis Streams', in turns,
# in one session: the latency part of peers.sh, repeated, with medians.
#
#   tests/bench/latency.sh [BUILD_DIR]      (default build; run make first)
#
# Starts evlogd (--fsync interval, acks written) and redis-server (AOF
# everysec) on loopback, each once, then runs LAT_RUNS (5) rounds of
# evlog-bench latency and redis_bench latency, one after the other, at
# LAT_RATE (10,000) records/s for LAT_SECONDS (5) each, and prints every
# run and the median p50/p99/p99.9 of each system.  Alternating puts the
# two under the same load from whatever else the machine is doing, which
# on a shared machine moves these figures several-fold within minutes.
#
# LAT_PRIO runs the servers and the clients under a command prefix, e.g.
# LAT_PRIO="chrt -f 10" (real-time scheduling, needs root): it shows how
# much of the latency is waiting for a CPU behind other processes
# (docs/PERFORMANCE.md, "Latency").  Installs redis-server,
# libhiredis-dev and jq with apt-get when missing (scripts/deps.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
runs=${LAT_RUNS:-5}
rate=${LAT_RATE:-10000}
seconds=${LAT_SECONDS:-5}
prio=${LAT_PRIO:-}
evlogd=$build/broker/evlogd
bench=$build/tests/evlog-bench
for b in "$evlogd" "$bench"; do
	[ -x "$b" ] || { echo "latency.sh: $b is not built (make)" >&2; exit 1; }
done
sh "$root/scripts/deps.sh" redis-server libhiredis-dev jq

tmp=$(mktemp -d "${TMPDIR:-/tmp}/evlog-latency.XXXXXX")
epid=""
rpid=""
cleanup() {
	for p in $epid $rpid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cc -O2 -Wall -Wextra -o "$tmp/redis_bench" "$here/peers/redis_bench.c" \
	-lhiredis -lpthread

# Waits up to 15 s for a command to succeed.
wait_for() {
	local i=0
	while [ $i -lt 150 ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "latency.sh: server did not come up ($*)" >&2
	return 1
}

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

# shellcheck disable=SC2086 # $prio is a command prefix, split on purpose
$prio "$evlogd" --data "$tmp/evlog" --listen tcp://127.0.0.1:0 --http off \
	--fsync interval 2>"$tmp/evlogd.err" &
epid=$!
wait_for grep -qs '^evlogd: listening on ' "$tmp/evlogd.err"
url=$(sed -n 's/^evlogd: listening on //p' "$tmp/evlogd.err" | head -n 1)

port=$(free_port)
mkdir -p "$tmp/redis"
# shellcheck disable=SC2086
$prio redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp/redis" \
	--appendonly yes --appendfsync everysec --save '' \
	--protected-mode no --daemonize no --logfile "$tmp/redis/log" &
rpid=$!
wait_for redis-cli -p "$port" ping

echo "latency at $rate records/s for $seconds s, $runs rounds" \
	"${prio:+(under $prio)}"
printf "%-6s %-6s %10s %10s %10s\n" round system p50_us p99_us p999_us
for i in $(seq "$runs"); do
	# shellcheck disable=SC2086
	$prio "$bench" latency -b "$url" --topic "lat$i" --rate "$rate" \
		--seconds "$seconds" -q | tail -n 1 >"$tmp/evlog.$i"
	# shellcheck disable=SC2086
	$prio "$tmp/redis_bench" latency --port "$port" --rate "$rate" \
		--seconds "$seconds" | tail -n 1 >"$tmp/redis.$i"
	for s in evlog redis; do
		jq -r --arg r "$i" --arg s "$s" \
			'"\($r)\t\($s)\t\(.p50_us)\t\(.p99_us)\t\(.p999_us)"' \
			"$tmp/$s.$i" |
			awk -F'\t' '{ printf "%-6s %-6s %10.0f %10.0f %10.0f\n",
				$1, $2, $3, $4, $5 }'
	done
done

# median SYSTEM KEY
median() {
	cat "$tmp/$1".* | jq -r ".$2" | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR % 2) print v[(NR + 1) / 2];
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo "medians:"
for s in evlog redis; do
	printf "%-6s %-6s %10.0f %10.0f %10.0f\n" "-" "$s" \
		"$(median "$s" p50_us)" "$(median "$s" p99_us)" \
		"$(median "$s" p999_us)"
done
