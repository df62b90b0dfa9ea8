#!/bin/sh
# Runs every libFuzzer target for SECONDS each, starting from the
# committed seeds (tests/fuzz/corpus/TARGET/) and keeping what it finds
# in BUILD_DIR/fuzz-corpus/TARGET/ across runs.  Exits non-zero if any
# target crashes; the crashing input is left in BUILD_DIR/fuzz-crashes/.
#   sh tests/fuzz/run.sh BUILD_DIR SECONDS
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_DIR SECONDS" >&2
	exit 2
fi
build=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
targets="fuzz_frame fuzz_batch fuzz_responses fuzz_scram"
failed=""

mkdir -p "$build/fuzz-crashes"
for t in $targets; do
	bin="$build/tests/fuzz/$t"
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin not built" >&2
		exit 1
	fi
	corpus="$build/fuzz-corpus/$t"
	mkdir -p "$corpus"
	cp "$here/corpus/$t"/* "$corpus/" 2>/dev/null || true
	log="$build/fuzz-$t.log"
	echo "== $t: ${seconds}s"
	# -rss_limit_mb: decoders allocate nothing, so a leak shows fast.
	if "$bin" -max_total_time="$seconds" -print_final_stats=1 \
		-rss_limit_mb=1024 -artifact_prefix="$build/fuzz-crashes/$t-" \
		"$corpus" >"$log" 2>&1; then
		grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log"
		grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1
	else
		echo "run.sh: $t FAILED, see $log" >&2
		tail -n 40 "$log" >&2
		failed="$failed $t"
	fi
done

if [ -n "$failed" ]; then
	echo "run.sh: crashed:$failed" >&2
	exit 1
fi
echo "run.sh: all fuzz targets ran ${seconds}s without a crash"
