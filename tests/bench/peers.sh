#!/usr/bin/env bash
# peers.sh -- evlog beside the brokers users would pick instead, on this
# machine, in one run: Redis Streams (AOF everysec and always) and NATS
# JetStream (file storage, server defaults), with the same workload:
#   produce PEERS_RECORDS records of PEERS_SIZE random bytes (5,000,000 of
#   100 B by default), read them all back, then a latency run at
#   PEERS_RATE records/s (10,000) for PEERS_SECONDS (10).
# Durability classes are compared like with like: evlogd --fsync always
# with acks fsync against Redis appendfsync always; evlogd --fsync interval
# (1 s) with acks written against Redis everysec and JetStream's default
# (which does not fsync on acknowledgement).
#
#   tests/bench/peers.sh [BUILD_DIR]        (default build; run make first)
#
# Installs redis-server, nats-server, libhiredis-dev and libnats-dev with
# apt-get when missing (scripts/deps.sh), builds the small peer clients
# (tests/bench/peers/*.c) into a temporary directory, starts every server
# on loopback with its data under that directory, and prints one table:
# records/s, MB/s, p50/p99 latency, disk bytes per record (the data
# directory after the produce run), the broker's peak RSS, and evlog's
# ratio to each peer.  Each server's JSON lines are kept in the temporary
# directory's results/ (PEERS_KEEP=1 keeps it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
records=${PEERS_RECORDS:-5000000}
size=${PEERS_SIZE:-100}
rate=${PEERS_RATE:-10000}
seconds=${PEERS_SECONDS:-10}
evlogd=$build/broker/evlogd
bench=$build/tests/evlog-bench
for b in "$evlogd" "$bench"; do
	[ -x "$b" ] || { echo "peers.sh: $b is not built (make)" >&2; exit 1; }
done

sh "$root/scripts/deps.sh" redis-server nats-server libhiredis-dev \
	libnats-dev jq
# The packaged redis-server service is not ours to run: we start our own.

tmp=$(mktemp -d "${TMPDIR:-/tmp}/evlog-peers.XXXXXX")
mkdir -p "$tmp/bin" "$tmp/results"
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [ "${PEERS_KEEP:-0}" = 1 ]; then
		echo "peers.sh: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT INT TERM

cc -O2 -Wall -Wextra -o "$tmp/bin/redis_bench" "$here/peers/redis_bench.c" \
	-lhiredis -lpthread
cc -O2 -Wall -Wextra -o "$tmp/bin/nats_bench" "$here/peers/nats_bench.c" \
	$(pkg-config --cflags --libs libnats) -lpthread

# A loopback TCP port nobody listens on.
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

# Waits up to 15 s for a command to succeed.
wait_for() {
	local i=0
	while [ $i -lt 150 ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "peers.sh: server did not come up ($*)" >&2
	return 1
}

stop_server() {
	# The peak resident set of the whole run, before it goes.
	local hwm
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	echo "$hwm" >"$tmp/results/$1.rss_kb"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=""
}

# last_json FILE: the JSON line of a run's output.
last_json() { tail -n 1 "$1"; }

disk() { du -sb "$1" | cut -f1 >"$tmp/results/$2.disk"; }

step() { echo "peers.sh: $*" >&2; }

# ---- evlog ---------------------------------------------------------
# evlog_run NAME FSYNC ACKS WHAT: WHAT is "all" (produce, consume,
# latency) or "produce".
evlog_run() {
	local name=$1 fsync=$2 acks=$3 what=$4 dir=$tmp/$1 url
	mkdir -p "$dir"
	"$evlogd" --data "$dir/data" --listen tcp://127.0.0.1:0 --http off \
		--fsync "$fsync" 2>"$dir/evlogd.err" &
	pid=$!
	wait_for grep -qs '^evlogd: listening on ' "$dir/evlogd.err"
	url=$(sed -n 's/^evlogd: listening on //p' "$dir/evlogd.err" | head -n 1)
	step "$name: produce $records x $size B (acks $acks)"
	"$bench" produce -b "$url" --topic bench --records "$records" \
		--size "$size" --acks "$acks" -q >"$tmp/results/$name.produce"
	disk "$dir/data" "$name"
	if [ "$what" = all ]; then
		step "$name: consume"
		"$bench" consume -b "$url" --topic bench --records "$records" \
			-q >"$tmp/results/$name.consume"
		step "$name: latency at $rate/s for $seconds s"
		"$bench" latency -b "$url" --topic lat --rate "$rate" \
			--seconds "$seconds" --size "$size" --acks "$acks" -q \
			>"$tmp/results/$name.latency"
	fi
	stop_server "$name"
}

# ---- redis ---------------------------------------------------------
redis_run() {
	local name=$1 fsync=$2 what=$3 dir=$tmp/$1 port
	mkdir -p "$dir"
	port=$(free_port)
	redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
		--appendonly yes --appendfsync "$fsync" --save '' \
		--protected-mode no --daemonize no --logfile "$dir/redis.log" &
	pid=$!
	wait_for redis-cli -p "$port" ping
	step "$name: produce $records x $size B (pipelined XADD)"
	"$tmp/bin/redis_bench" produce --port "$port" --records "$records" \
		--size "$size" >"$tmp/results/$name.produce"
	disk "$dir/appendonlydir" "$name"
	if [ "$what" = all ]; then
		step "$name: consume (XREAD COUNT 1000)"
		"$tmp/bin/redis_bench" consume --port "$port" \
			--records "$records" >"$tmp/results/$name.consume"
		step "$name: latency at $rate/s for $seconds s"
		"$tmp/bin/redis_bench" latency --port "$port" --rate "$rate" \
			--seconds "$seconds" --size "$size" \
			>"$tmp/results/$name.latency"
	fi
	stop_server "$name"
}

# ---- nats ----------------------------------------------------------
nats_run() {
	local name=$1 dir=$tmp/$1 port u
	mkdir -p "$dir"
	port=$(free_port)
	nats-server -js -sd "$dir/js" -a 127.0.0.1 -p "$port" \
		>"$dir/nats.log" 2>&1 &
	pid=$!
	u=nats://127.0.0.1:$port
	wait_for grep -qs 'Server is ready' "$dir/nats.log"
	step "$name: produce $records x $size B (async publish)"
	"$tmp/bin/nats_bench" produce --url "$u" --records "$records" \
		--size "$size" >"$tmp/results/$name.produce"
	disk "$dir/js" "$name"
	step "$name: consume (pull, fetch 1000)"
	"$tmp/bin/nats_bench" consume --url "$u" --records "$records" \
		>"$tmp/results/$name.consume"
	step "$name: latency at $rate/s for $seconds s"
	"$tmp/bin/nats_bench" latency --url "$u" --rate "$rate" \
		--seconds "$seconds" --size "$size" >"$tmp/results/$name.latency"
	stop_server "$name"
}

evlog_run evlog-interval interval written all
redis_run redis-everysec everysec all
nats_run nats-js
evlog_run evlog-always always fsync produce
redis_run redis-always always produce

# ---- the table -----------------------------------------------------
# field NAME PHASE KEY: a number from a result, or "-".
field() {
	local f=$tmp/results/$1.$2
	if [ -s "$f" ]; then
		last_json "$f" | jq -r ".$3 // \"-\""
	else
		echo -
	fi
}
fmt() { # fmt VALUE PRINTF-FORMAT
	if [ "$1" = - ] || [ "$1" = null ]; then echo -; else
		# shellcheck disable=SC2059
		printf "$2" "$1"
	fi
}

echo
echo "evlog beside its peers: $records records of $size B, latency at" \
	"$rate records/s for $seconds s; $(nproc) CPUs; $(date -u +%F)"
printf '%-30s %12s %8s %12s %8s %9s %9s %9s %9s\n' system "produce/s" \
	"MB/s" "consume/s" "MB/s" "p50 us" "p99 us" "disk B/r" "RSS MB"
row() { # row NAME LABEL
	local n=$1 d r
	d=$(cat "$tmp/results/$n.disk")
	r=$(cat "$tmp/results/$n.rss_kb")
	printf '%-30s %12s %8s %12s %8s %9s %9s %9s %9s\n' "$2" \
		"$(fmt "$(field "$n" produce records_per_s)" %.0f)" \
		"$(fmt "$(field "$n" produce mb_per_s)" %.1f)" \
		"$(fmt "$(field "$n" consume records_per_s)" %.0f)" \
		"$(fmt "$(field "$n" consume mb_per_s)" %.1f)" \
		"$(fmt "$(field "$n" latency p50_us)" %.0f)" \
		"$(fmt "$(field "$n" latency p99_us)" %.0f)" \
		"$(awk -v d="$d" -v n="$records" 'BEGIN { printf "%.1f", d / n }')" \
		"$(awk -v r="$r" 'BEGIN { printf "%.1f", r / 1024 }')"
}
row evlog-interval "evlog interval, acks written"
row redis-everysec "redis AOF everysec"
row nats-js "nats JetStream file"
row evlog-always "evlog always, acks fsync"
row redis-always "redis AOF always"

ratio() { # ratio LABEL A-NAME B-NAME PHASE KEY [invert]
	local a b
	a=$(field "$2" "$4" "$5")
	b=$(field "$3" "$4" "$5")
	if [ "$a" = - ] || [ "$b" = - ]; then return; fi
	if [ "${6:-}" = invert ]; then
		awk -v a="$a" -v b="$b" -v l="$1" \
			'BEGIN { printf "  %-44s %6.2fx\n", l, b / a }'
	else
		awk -v a="$a" -v b="$b" -v l="$1" \
			'BEGIN { printf "  %-44s %6.2fx\n", l, a / b }'
	fi
}
echo
echo "evlog's ratio to each peer (same run; > 1 means evlog is ahead):"
ratio "produce vs redis everysec" evlog-interval redis-everysec produce \
	records_per_s
ratio "produce, fsync vs redis always" evlog-always redis-always \
	produce records_per_s
ratio "produce vs nats JetStream" evlog-interval nats-js produce \
	records_per_s
ratio "consume vs redis XREAD" evlog-interval redis-everysec consume \
	records_per_s
ratio "consume vs nats pull" evlog-interval nats-js consume records_per_s
ratio "latency p99 vs redis (theirs / ours)" evlog-interval \
	redis-everysec latency p99_us invert
ratio "latency p99 vs nats (theirs / ours)" evlog-interval nats-js \
	latency p99_us invert
echo
echo "(raw bytes per record: $((size + 16)) = value + 16; the machine is" \
	"shared, so compare within one run.)"
