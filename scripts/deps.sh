#!/bin/sh
# Installs the Debian packages evlog needs, and only those that are missing.
# Works as root (no sudo needed) and as a user with sudo.  Usage:
#   scripts/deps.sh            build and test dependencies
#   scripts/deps.sh fuzz       ... plus clang and its fuzzer runtime
#   scripts/deps.sh docker     podman & co. for make docker-test
#   scripts/deps.sh PKG...     exactly these packages
# With --available first, installs nothing: exits 0 when every package is
# installed or could be (root or sudo, and apt has a candidate), else 1.
set -eu

check=false
if [ "${1:-}" = --available ]; then
	check=true
	shift
fi

base="build-essential cmake pkg-config libnng-dev libleveldb-dev \
libsnappy-dev libcriterion-dev libmbedtls-dev openssl curl jq libjansson-dev \
libsqlite3-dev"

case "${1:-}" in
"") want=$base ;;
fuzz) want="clang libclang-rt-14-dev" ;;
# runc: crun rejects hybrid cgroups; netavark + aardvark-dns: compose
# services find each other by name (netavark needs iptables, undeclared).
docker) want="podman podman-compose runc debootstrap netavark aardvark-dns \
iptables" ;;
*) want=$* ;;
esac

missing=""
for p in $want; do
	# dpkg-query answers "install ok installed" only for a complete install.
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$s" = "install ok installed" ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	$check || echo "deps.sh: need root or sudo to install:$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if $check; then
	command -v apt-get >/dev/null 2>&1 || exit 1
	$sudo apt-get update -q >/dev/null 2>&1 || exit 1
	for p in $missing; do
		c=$(apt-cache policy "$p" 2>/dev/null |
			awk '$1 == "Candidate:" { print $2 }')
		[ -n "$c" ] && [ "$c" != "(none)" ] || exit 1
	done
	exit 0
fi

echo "deps.sh: installing$missing" >&2
# A fresh machine has no package lists yet; refresh them once per run.
$sudo apt-get update -q >&2
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing >&2
