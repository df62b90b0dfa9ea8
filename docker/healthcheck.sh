#!/bin/bash
# evlog-healthcheck: exits 0 when evlogd's GET /healthz answers 200.
#
# The runtime image has no curl (it would add more than evlogd itself);
# bash's /dev/tcp is enough for one request on loopback.  The address is
# the one evlogd serves HTTP on (EVLOG_HTTP, HOST:PORT), with a wildcard
# host asked on loopback.  "off" means no HTTP endpoint: nothing to ask,
# so the check fails rather than lie.
set -u

addr=${EVLOG_HTTP:-127.0.0.1:7471}
if [ "$addr" = off ]; then
	echo "evlog-healthcheck: EVLOG_HTTP=off, no /healthz to ask" >&2
	exit 1
fi
port=${addr##*:}
host=${addr%:*}
case $host in
0.0.0.0 | "") host=127.0.0.1 ;;
"[::]") host=::1 ;;
"["*"]") host=${host#[}; host=${host%]} ;;
esac

# A loopback connect is answered at once; read -t bounds a broker that
# accepts but never answers (HEALTHCHECK --timeout is the outer bound).
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' \
	"$host" >&3 || exit 1
status=
IFS= read -r -t 3 status <&3
status=${status%$'\r'}
case $status in
"HTTP/1."?" 200 "*)
	echo "healthy: $status"
	;;
*)
	echo "unhealthy: ${status:-no answer}" >&2
	exit 1
	;;
esac
