#!/usr/bin/env bash
# scaling.sh -- the scaling table of docs/PERFORMANCE.md: produce records/s
# (acks written, evlogd --fsync interval) against producers (1, 2, 4, 8),
# partitions (1, 8, 64) and record size (16 B, 100 B, 1 KiB, 64 KiB).
#
#   tests/bench/scaling.sh [BUILD_DIR]     (SCALING_RUNS=3 runs per row)
#
# Every run gets a fresh evlogd and data directory on loopback; each row
# is the median of SCALING_RUNS runs (the machine is shared: medians, and
# rows compared with each other, not with another day's).  Prints a
# Markdown table.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
runs=${SCALING_RUNS:-3}
evlogd=$build/broker/evlogd
bench=$build/tests/evlog-bench
for b in "$evlogd" "$bench"; do
	[ -x "$b" ] || { echo "scaling.sh: $b is not built (make)" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/evlog-scaling.XXXXXX")
pid=""
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# once ARGS...: one produce run against a fresh broker; prints its JSON.
once() {
	local d=$tmp/run url i=0
	rm -rf "$d"
	mkdir -p "$d"
	"$evlogd" --data "$d/data" --listen tcp://127.0.0.1:0 --http off \
		--fsync interval 2>"$d/err" &
	pid=$!
	until grep -qs '^evlogd: listening on ' "$d/err"; do
		i=$((i + 1))
		[ $i -lt 300 ] || { cat "$d/err" >&2; exit 1; }
		sleep 0.05
	done
	url=$(sed -n 's/^evlogd: listening on //p' "$d/err" | head -n 1)
	"$bench" produce -b "$url" --topic s "$@" -q | tail -n 1
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=""
}

# row LABEL ARGS...: the median run's records/s and MB/s.
row() {
	local label=$1 r
	shift
	r=$(for _ in $(seq "$runs"); do once "$@"; done |
		jq -s -r 'sort_by(.records_per_s) | .[(length - 1) / 2 | floor] |
			"\(.records_per_s | floor) | \(.mb_per_s * 10 | round / 10)"')
	printf '| %s | `%s` | %s |\n' "$label" "$*" "$r"
}

echo "| case | evlog-bench produce ... | records/s | MB/s |"
echo "|---|---|---:|---:|"
for k in 1 2 4 8; do
	row "$k producer(s)" --records 2000000 --size 100 --producers "$k"
done
for p in 1 8 64; do
	row "$p partition(s)" --records 2000000 --size 100 --partitions "$p"
done
row "16 B records" --records 4000000 --size 16
row "100 B records" --records 2000000 --size 100
row "1 KiB records" --records 400000 --size 1024
row "64 KiB records" --records 4000 --size 65536
row "16 topics" --records 2000000 --size 100 --topics 16
row "acks fsync" --records 2000000 --size 100 --acks fsync
