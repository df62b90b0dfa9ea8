#!/bin/sh
# Installs the Debian packages evlog needs, and only those that are missing.
# Works as root (no sudo needed) and as a user with sudo.  Usage:
#   scripts/deps.sh            build and test dependencies
#   scripts/deps.sh fuzz       ... plus clang and its fuzzer runtime
#   scripts/deps.sh PKG...     exactly these packages
set -eu

base="build-essential cmake pkg-config libnng-dev libleveldb-dev \
libsnappy-dev libcriterion-dev libmbedtls-dev openssl curl jq libjansson-dev \
libsqlite3-dev"

case "${1:-}" in
"") want=$base ;;
fuzz) want="clang libclang-rt-14-dev" ;;
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
	echo "deps.sh: need root or sudo to install:$missing" >&2
	exit 1
fi

echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once per run.
$sudo apt-get update -q >&2
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing >&2
