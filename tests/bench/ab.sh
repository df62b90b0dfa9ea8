#!/usr/bin/env bash
# ab.sh -- this tree's evlogd against another commit's, in turns, in one
# session: did a change cost speed?
#
#   tests/bench/ab.sh REV [BUILD_DIR]     (BUILD_DIR default build; make first)
#
# Builds REV's evlogd (RelWithDebInfo, in a temporary git worktree), then
# runs AB_ROUNDS (3) rounds; each round starts REV's evlogd, then this
# tree's, each on a fresh data directory, and runs against it the same
# evlog-bench (this tree's): latency at AB_RATE (10,000) records/s for 3 s,
# produce of AB_RECORDS (2,000,000) records of 100 bytes, and consume of
# them.  It prints every run, then the medians and this tree's ratio to
# REV.  Alternating puts both under the same load from whatever else the
# machine is doing; on a shared machine only such ratios mean anything.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: tests/bench/ab.sh REV [BUILD_DIR]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rev=$1
build=${2:-$root/build}
rounds=${AB_ROUNDS:-3}
rate=${AB_RATE:-10000}
records=${AB_RECORDS:-2000000}
bench=$build/tests/evlog-bench
for b in "$build/broker/evlogd" "$bench"; do
	[ -x "$b" ] || { echo "ab.sh: $b is not built (make)" >&2; exit 1; }
done
sh "$root/scripts/deps.sh" jq

tmp=$(mktemp -d "${TMPDIR:-/tmp}/evlog-ab.XXXXXX")
pid=""
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	git -C "$root" worktree remove --force "$tmp/src" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "ab.sh: building evlogd at $rev" >&2
git -C "$root" worktree add -q --detach "$tmp/src" "$rev"
cmake -S "$tmp/src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	>/dev/null
cmake --build "$tmp/build" -j2 --target evlogd >/dev/null

# One run against the evlogd in $1; appends "p50 p99 produce consume"
# to the file $2.
run() {
	local data port url lat pro con
	data=$(mktemp -d "$tmp/data.XXXXXX")
	port=$((20000 + RANDOM % 20000))
	url=tcp://127.0.0.1:$port
	"$1" --data "$data" --listen "$url" --http off 2>/dev/null &
	pid=$!
	for _ in $(seq 100); do
		"$bench" produce -b "$url" --topic warm --records 1 --size 10 \
			-q >/dev/null 2>&1 && break
		sleep 0.05
	done
	lat=$("$bench" latency -b "$url" --topic lat --rate "$rate" \
		--seconds 3 2>/dev/null | tail -1)
	pro=$("$bench" produce -b "$url" --topic p --records "$records" \
		--size 100 2>/dev/null | tail -1)
	con=$("$bench" consume -b "$url" --topic p --records "$records" \
		2>/dev/null | tail -1)
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=""
	rm -rf "$data"
	echo "$(jq .p50_us <<<"$lat") $(jq .p99_us <<<"$lat")" \
		"$(jq .records_per_s <<<"$pro") $(jq .records_per_s <<<"$con")" \
		>>"$2"
	tail -1 "$2"
}

for r in $(seq "$rounds"); do
	echo "round $r, $rev: $(run "$tmp/build/broker/evlogd" "$tmp/a")"
	echo "round $r, this tree: $(run "$build/broker/evlogd" "$tmp/b")"
done

# The median of column $2 of file $1.
median() {
	sort -g -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c }
		END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
printf '\n%-12s %12s %12s %14s %14s\n' "medians" "p50 us" "p99 us" \
	"produce rec/s" "consume rec/s"
for f in a b; do
	name=$rev
	[ "$f" = b ] && name="this tree"
	printf '%-12.12s %12.0f %12.0f %14.0f %14.0f\n' "$name" \
		"$(median "$tmp/$f" 1)" "$(median "$tmp/$f" 2)" \
		"$(median "$tmp/$f" 3)" "$(median "$tmp/$f" 4)"
done
ratio() {
	awk -v a="$(median "$tmp/a" "$1")" -v b="$(median "$tmp/b" "$1")" \
		'BEGIN { printf "%.2f", b / a }'
}
printf '%-12s %12s %12s %14s %14s\n' "this / REV" "$(ratio 1)" \
	"$(ratio 2)" "$(ratio 3)" "$(ratio 4)"
