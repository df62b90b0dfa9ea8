#!/usr/bin/env bash
# docker/test.sh EVLOG -- builds docker/Dockerfile with podman, runs the
# image, and runs docker/compose.yaml with podman-compose.  EVLOG is the
# host-built `evlog` CLI, which talks to the container through its
# published port.  `make docker-test` builds the CLI, installs podman &
# co. (scripts/deps.sh docker) and runs this.
#
# No Docker engine or registry is needed: the base image is made with
# debootstrap when missing (docker/base-image.sh), and podman runs with
# docker/containers.conf (CONTAINERS_CONF), whose settings this kind of
# machine needs.  Exits non-zero on the first failed check; removes the
# containers, volumes, network and build cache it made either way, and
# keeps the images it built (the base, $EVLOG_TEST_IMAGE and
# $EVLOG_TEST_EXAMPLES_IMAGE).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
cli=${1:?usage: docker/test.sh PATH-TO-EVLOG-CLI}
cli=$(realpath "$cli")
[ -x "$cli" ] || { echo "docker-test: no evlog CLI at $cli" >&2; exit 2; }

export CONTAINERS_CONF=$root/docker/containers.conf
image=${EVLOG_TEST_IMAGE:-localhost/evlog:latest}
examples_image=${EVLOG_TEST_EXAMPLES_IMAGE:-localhost/evlog-examples:latest}
base=docker.io/library/debian:bookworm-slim
id=evlog-test-$$                # names of what this run creates
project=evlogtest$$             # the compose project
stop_timeout=40                 # > evlogd's worst-case stop (30 s)
records=200                     # through the published port
orders=100                      # placed by the compose stack's orders
max_added=$((30 * 1000 * 1000)) # runtime stage over its base, bytes

# Rootful podman: the rootless kind needs subuid ranges and more.
[ "$(id -u)" -eq 0 ] || { echo "docker-test: run as root" >&2; exit 2; }
for tool in podman podman-compose debootstrap runc; do
	command -v "$tool" >/dev/null ||
		{ echo "docker-test: $tool missing (scripts/deps.sh docker)" >&2; exit 2; }
done

tmp=$(mktemp -d)
passed=0
failed=0
compose_up=false

say() { echo "docker-test: $*" >&2; }
pass() { passed=$((passed + 1)); say "ok $passed: $* [${SECONDS}s]"; }
fail() {
	failed=1
	say "FAIL: $*"
	exit 1
}
# show FILE: the end of a log, when a step fails.
show() {
	if [ -s "$1" ]; then tail -n "${2:-30}" "$1" | sed 's/^/    /' >&2; fi
}

compose() {
	EVLOG_IMAGE=$image EVLOG_EXAMPLES_IMAGE=$examples_image \
	EVLOG_HOST_PORT='' EVLOG_HOST_HTTP_PORT='' EVLOG_ORDERS=$orders \
		podman-compose -p "$project" -f "$root/docker/compose.yaml" "$@"
}

# Containers of this run: ours by name, the stack's by its label.
our_containers() {
	{
		podman ps -a --format '{{.Names}}' --filter "name=^$id-"
		podman ps -a --format '{{.Names}}' \
			--filter "label=com.docker.compose.project=$project"
	} | sort -u
}

# The image's VOLUME gives every container of it an anonymous volume
# (the stack's clients too), which podman rm and podman-compose down
# leave behind: note them while their containers exist.
vols=""
note_volumes() {
	local c
	for c in $(our_containers); do
		vols="$vols $(podman inspect --format \
		    '{{range .Mounts}}{{.Name}} {{end}}' "$c" 2>/dev/null)"
	done
}

cleanup() {
	local rc=$? c v
	set +e
	if [ "$rc" -ne 0 ]; then
		failed=1
		for c in $(our_containers); do
			say "log of $c:"
			podman logs "$c" >"$tmp/c.log" 2>&1
			show "$tmp/c.log" 15
		done
	fi
	note_volumes
	if $compose_up; then
		compose down -v -t "$stop_timeout" >"$tmp/down.log" 2>&1
	fi
	for c in $(our_containers); do
		podman rm -f -t "$stop_timeout" "$c" >/dev/null 2>&1
	done
	for v in $vols "$id-data" "$id-restored"; do
		podman volume rm -f "$v" >/dev/null 2>&1
	done
	podman network rm -f "${project}_default" >/dev/null 2>&1
	# The build stage (compilers, -dev packages: ~600 MB).
	podman image prune -f --filter "label=io.evlog.stage=build" \
		>/dev/null 2>&1
	rm -rf "$tmp"
	say "$passed passed, $failed failed"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_healthy CONTAINER: podman healthcheck run until it passes (podman
# schedules health checks with systemd timers, and there is no systemd
# here, so nothing runs them by itself), for at most 30 s.
wait_healthy() {
	local end=$((SECONDS + 30))
	until podman healthcheck run "$1" >"$tmp/health.log" 2>&1; do
		if [ "$SECONDS" -ge "$end" ]; then
			show "$tmp/health.log"
			podman logs "$1" >"$tmp/c.log" 2>&1
			show "$tmp/c.log"
			fail "$1 not healthy after 30 s"
		fi
		sleep 0.5
	done
}

# The records as the host CLI sees them through the published port.
tail_all() {
	"$cli" -b "tcp://$1" --timeout 10000 tail orders --from beginning \
		--count "$records" --format '%k=%s\n' | sort
}

# ---- 1. base image ------------------------------------------------------
docker/base-image.sh || fail "cannot make $base"
base_size=$(podman image inspect --format '{{.Size}}' "$base")
pass "base image $base ($base_size bytes)"

# ---- 2. build -------------------------------------------------------------
# --format docker: the OCI format has no HEALTHCHECK.
say "building $image (a few minutes)"
if ! podman build --format docker -f docker/Dockerfile -t "$image" . \
    >"$tmp/build.log" 2>&1; then
	show "$tmp/build.log" 40
	fail "podman build"
fi
size=$(podman image inspect --format '{{.Size}}' "$image")
added=$((size - base_size))
hc=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$image")
case $hc in
*evlog-healthcheck*) ;;
*) fail "image has no HEALTHCHECK ($hc)" ;;
esac
[ "$added" -lt "$max_added" ] ||
	fail "image adds $added bytes to its base (limit $max_added)"
pass "image $image: $size bytes, $added over the base; HEALTHCHECK kept"

# The examples image: the broker image plus examples/ (for compose).
say "building $examples_image"
if ! podman build --format docker --target examples -f docker/Dockerfile \
    -t "$examples_image" . >"$tmp/build.log" 2>&1; then
	show "$tmp/build.log" 40
	fail "podman build --target examples"
fi
for prog in orders shipping evl-bank evl-projector sqlite3; do
	podman run --rm --no-healthcheck "$examples_image" sh -c \
	    "command -v $prog >/dev/null && ! ldd \$(command -v $prog) |
	     grep 'not found'" >"$tmp/ldd.log" 2>&1 ||
		{ show "$tmp/ldd.log"; fail "$examples_image: $prog missing or unlinked"; }
done
esize=$(podman image inspect --format '{{.Size}}' "$examples_image")
pass "image $examples_image: $esize bytes, $((esize - size)) over $image"

# ---- 3. run, produce and tail from the host ------------------------------
# run_broker NAME [VOLUME]: the image, ports published on free ports.
run_broker() {
	podman run -d --name "$1" -p 127.0.0.1::7470 -p 127.0.0.1::7471 \
		-v "${2:-$id-data}:/var/lib/evlog" --stop-timeout "$stop_timeout" \
		"$image" >"$tmp/run.log" 2>&1 ||
		{ show "$tmp/run.log"; fail "podman run $1"; }
	wait_healthy "$1"
}
run_broker "$id-a"
uid=$(podman exec "$id-a" id -u)
[ "$uid" != 0 ] || fail "evlogd runs as root"
# The check must be able to fail: ask a port nothing listens on.
if podman exec -e EVLOG_HTTP=127.0.0.1:1 "$id-a" evlog-healthcheck \
    >/dev/null 2>&1; then
	fail "evlog-healthcheck passes with no broker behind it"
fi
pass "healthy by podman healthcheck run, as uid $uid"

# The image runs because it sets EVLOG_INSECURE=1: without it, protected
# mode refuses the 0.0.0.0 listeners (docs/SECURITY.md) and says why.
rc=0
podman run --rm --no-healthcheck -e EVLOG_INSECURE=0 "$image" \
	>"$tmp/protected.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q 'protected mode: refusing to listen on tcp://0.0.0.0:7470' \
	"$tmp/protected.log" ||
	{ show "$tmp/protected.log"; fail "EVLOG_INSECURE=0 did not refuse to start (exit $rc)"; }
pass "EVLOG_INSECURE=0: protected mode refuses the image's listeners (exit $rc)"

addr=$(podman port "$id-a" 7470/tcp)
for i in $(seq 1 "$records"); do
	echo "customer-$((i % 13))=order-$i"
done | sort >"$tmp/want"
"$cli" -b "tcp://$addr" --timeout 10000 topics create orders \
	--partitions 3 2>"$tmp/cli.log" || { show "$tmp/cli.log"; fail "create"; }
sed 's/=/:/' "$tmp/want" | "$cli" -b "tcp://$addr" --timeout 10000 \
	produce orders --key-separator : 2>"$tmp/cli.log" ||
	{ show "$tmp/cli.log"; fail "produce through $addr"; }
tail_all "$addr" >"$tmp/got" 2>"$tmp/cli.log" ||
	{ show "$tmp/cli.log"; fail "tail through $addr"; }
cmp -s "$tmp/want" "$tmp/got" ||
	{ diff "$tmp/want" "$tmp/got" | head >&2; fail "tail after produce"; }
pass "$records records produced and tailed through $addr"

# ---- 4. SIGTERM, restart, and a new container on the volume --------------
t0=$SECONDS
podman stop -t "$stop_timeout" "$id-a" >/dev/null 2>"$tmp/stop.log" ||
	{ show "$tmp/stop.log"; fail "podman stop"; }
code=$(podman inspect --format '{{.State.ExitCode}}' "$id-a")
[ "$code" = 0 ] || fail "evlogd exited $code on SIGTERM (137: killed)"
pass "SIGTERM: evlogd exited 0 in $((SECONDS - t0)) s"

podman start "$id-a" >/dev/null 2>"$tmp/run.log" ||
	{ show "$tmp/run.log"; fail "podman start"; }
wait_healthy "$id-a"
addr=$(podman port "$id-a" 7470/tcp)
tail_all "$addr" >"$tmp/got" 2>"$tmp/cli.log" ||
	{ show "$tmp/cli.log"; fail "tail after restart"; }
cmp -s "$tmp/want" "$tmp/got" || fail "records changed across a restart"
pass "records still there after a restart"

# A restarted container keeps its own layer; a new one has only the volume.
podman stop -t "$stop_timeout" "$id-a" >/dev/null 2>&1
podman rm "$id-a" >/dev/null 2>&1
run_broker "$id-b"
addr=$(podman port "$id-b" 7470/tcp)
tail_all "$addr" >"$tmp/got" 2>"$tmp/cli.log" ||
	{ show "$tmp/cli.log"; fail "tail from a new container"; }
cmp -s "$tmp/want" "$tmp/got" || fail "records not in the volume"
podman healthcheck run "$id-b" >/dev/null 2>&1 ||
	fail "podman healthcheck run $id-b"
pass "records in volume $id-data, read by a new container"

# docker/README.md's backup and restore: broker stopped, tar streamed
# out of a throwaway container as the image's user, into a new volume.
podman stop -t "$stop_timeout" "$id-b" >/dev/null 2>&1
podman run --rm --no-healthcheck -v "$id-data:/var/lib/evlog:ro" "$image" \
	tar -C /var/lib/evlog -czf - . >"$tmp/backup.tgz" 2>"$tmp/tar.log" ||
	{ show "$tmp/tar.log"; fail "backup of $id-data"; }
podman volume create "$id-restored" >/dev/null
podman run --rm -i --no-healthcheck -v "$id-restored:/var/lib/evlog" \
	"$image" tar -C /var/lib/evlog -xzf - <"$tmp/backup.tgz" \
	2>"$tmp/tar.log" || { show "$tmp/tar.log"; fail "restore"; }
run_broker "$id-c" "$id-restored"
addr=$(podman port "$id-c" 7470/tcp)
tail_all "$addr" >"$tmp/got" 2>"$tmp/cli.log" ||
	{ show "$tmp/cli.log"; fail "tail from the restored volume"; }
cmp -s "$tmp/want" "$tmp/got" || fail "restored volume lacks records"
pass "backup of the stopped volume restored into $id-restored"
podman stop -t "$stop_timeout" "$id-c" >/dev/null 2>&1

# ---- 5. the compose stack ------------------------------------------------
# Host ports left empty: podman picks free ones, so a broker already on
# 7470 (make run) does not get in the way.
say "compose up (project $project)"
compose_up=true
compose up -d >"$tmp/up.log" 2>&1 ||
	{ show "$tmp/up.log"; fail "podman-compose up"; }
service() {
	podman ps -a --format '{{.Names}}' \
		--filter "label=com.docker.compose.project=$project" \
		--filter "label=com.docker.compose.service=$1" | head -n 1
}
broker=$(service evlogd)
ordersc=$(service orders)
ship1=$(service shipping-1)
ship2=$(service shipping-2)
bank=$(service bank)
projector=$(service projector)
clients="$ordersc $ship1 $ship2 $bank $projector"
if [ -z "$broker" ] || [ "$(echo $clients | wc -w)" -ne 5 ]; then
	show "$tmp/up.log"
	fail "compose services missing"
fi
# podman-compose's exit codes say little: read the services' own.  The
# shipping instances exit 20 s after the last order (--idle-exit).
for c in $clients; do
	code=$(timeout 240 podman wait "$c" 2>/dev/null) ||
		fail "$c did not finish in 240 s"
	[ "$code" = 0 ] || fail "$c exited $code"
done
for c in $clients; do
	podman logs "$c" >"$tmp/$c.log" 2>&1
done

# pub/sub: every order shipped exactly once across the two instances,
# and both of them shipped some (they shared the partitions).
grep -q "^orders: placed $orders orders$" "$tmp/$ordersc.log" ||
	{ show "$tmp/$ordersc.log"; fail "$ordersc did not place $orders orders"; }
seq 1 "$orders" | sed 's/^/order-/' | sort >"$tmp/want"
for c in $ship1 $ship2; do
	sed -n 's/^shipping-[12] shipped \(order-[0-9]*\) .*/\1/p' \
		"$tmp/$c.log" >"$tmp/$c.shipped"
	[ -s "$tmp/$c.shipped" ] ||
		{ show "$tmp/$c.log"; fail "$c shipped nothing"; }
done
sort "$tmp/$ship1.shipped" "$tmp/$ship2.shipped" >"$tmp/got"
cmp -s "$tmp/want" "$tmp/got" || {
	diff "$tmp/want" "$tmp/got" | head >&2
	fail "the orders were not shipped exactly once"
}
pass "compose: $ordersc placed $orders orders; $ship1 shipped" \
	"$(wc -l <"$tmp/$ship1.shipped"), $ship2 $(wc -l <"$tmp/$ship2.shipped")," \
	"each order once"

# event sourcing and the projection: the bank's balances as evl-bank
# rebuilds them, and the read model's (with its event counts), which a
# second projector run leaves alone.
printf 'bank: %s\n' 'acct-1 75' 'acct-2 50' 'acct-7 6' >"$tmp/want"
grep '^bank: acct-[0-9]* ' "$tmp/$bank.log" >"$tmp/got"
cmp -s "$tmp/want" "$tmp/got" ||
	{ show "$tmp/$bank.log"; fail "$bank: wrong balances"; }
printf 'projector: %s\n' 'acct-1 75 5' 'acct-2 50 2' 'acct-7 6 144' \
	>"$tmp/want"
grep '^projector: acct-' "$tmp/$projector.log" >"$tmp/got"
cmp -s "$tmp/want" "$tmp/got" ||
	{ show "$tmp/$projector.log"; fail "$projector: wrong read model"; }
grep '^evl-projector: [0-9]* events applied$' "$tmp/$projector.log" |
	awk '{ print $2 }' | tr '\n' ' ' >"$tmp/got"
[ "$(cat "$tmp/got")" = "151 0 " ] ||
	{ show "$tmp/$projector.log"; fail "$projector applied $(cat "$tmp/got")events, not 151 then 0"; }
wait_healthy "$broker"
pass "compose: $bank's balances and $projector's read model agree (151 events, applied once)"

note_volumes
compose down -v -t "$stop_timeout" >"$tmp/down.log" 2>&1 ||
	{ show "$tmp/down.log"; fail "podman-compose down"; }
compose_up=false
[ -z "$(podman ps -a -q --filter "label=com.docker.compose.project=$project")" ] ||
	fail "compose down left containers"
pass "compose down"
