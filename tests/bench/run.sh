#!/bin/sh
# make bench: the evlog part of the benchmarks, short enough to run often.
#   tests/bench/run.sh BUILD_DIR
# Starts evlogd on an ephemeral loopback port with its data in a temporary
# directory, runs evlog-bench latency, produce (acks written, then
# fsync) and consume against it, stops it, then runs evl-storage-bench
# briefly.
# BENCH_RECORDS (default 1000000) sets the produce/consume size and
# BENCH_SECONDS (default 3) the latency run.  The peers comparison is
# tests/bench/peers.sh (it installs servers); neither is part of make test.
set -eu

build=${1:-build}
records=${BENCH_RECORDS:-1000000}
seconds=${BENCH_SECONDS:-3}
evlogd=$build/broker/evlogd
bench=$build/tests/evlog-bench
sbench=$build/tests/evl-storage-bench
for b in "$evlogd" "$bench" "$sbench" "$build/tests/evl-nng-rtt"; do
	[ -x "$b" ] || { echo "run.sh: $b is not built" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/evlog-bench.XXXXXX")
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Waits (up to 15 s) for evlogd to print its listening URL into $1.
url_of() {
	i=0
	while [ $i -lt 150 ]; do
		u=$(sed -n 's/^evlogd: listening on //p' "$1" 2>/dev/null | head -n 1)
		if [ -n "$u" ]; then echo "$u"; return 0; fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "run.sh: evlogd did not start:" >&2
	cat "$1" >&2
	return 1
}

"$evlogd" --data "$tmp/data" --listen tcp://127.0.0.1:0 --http off \
	--fsync interval 2>"$tmp/evlogd.err" &
pid=$!
url=$(url_of "$tmp/evlogd.err")
echo "== evlogd at $url (--fsync interval), $records records of 100 B"

run() {
	echo
	echo "\$ evlog-bench $*"
	"$bench" "$@" -b "$url" -q
}
# Latency first, on the fresh broker: right after millions of records
# the latency run can measure LevelDB compacting them on one of the two
# CPUs (p99 22-45 ms in some runs after 3M records, docs/PERFORMANCE.md)
# rather than the path.
run latency --topic bench-lat --rate 10000 --seconds "$seconds"
run produce --topic bench --records "$records" --size 100
run produce --topic bench-fsync --records "$records" --size 100 \
	--acks fsync
run produce --topic bench16 --topics 16 --records "$records" --size 100
run consume --topic bench --records "$records"
echo
echo "disk: $(du -sb "$tmp/data" | cut -f1) bytes for" \
	"$((3 * records + 10000 * seconds)) records"
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=""

echo
echo "== the NNG round trip under the latency (no evlog code)"
"$build/tests/evl-nng-rtt" 5000

echo
echo "== evl-storage-bench (short)"
"$sbench" --dir "$tmp" --records 200000 --repeat 1 --no-layout
