#!/usr/bin/env bash
# docker/base-image.sh -- make debian:bookworm-slim without a registry.
#
# The Dockerfile starts FROM debian:bookworm-slim.  Where no registry is
# reachable (our machines), this builds a stand-in from Debian's own
# packages: debootstrap's minbase variant, trimmed the way the official
# -slim image is (no docs but copyright files, no man pages, no locales,
# no apt lists or caches), imported into podman as
# localhost/debian:bookworm-slim and tagged
# docker.io/library/debian:bookworm-slim, which is the name FROM resolves
# to.  Does nothing when that image is already present.
#
# The mirror is the one this machine's apt uses for bookworm (deb822
# .sources files or one-line sources.list), so the image gets its
# packages from where the host gets its own.  Run as root, with
# CONTAINERS_CONF set as docker/test.sh sets it.
#
#   docker/base-image.sh [--force]
set -euo pipefail

suite=bookworm
name=docker.io/library/debian:bookworm-slim
local_name=localhost/debian:bookworm-slim

log() { echo "base-image: $*" >&2; }

if [ "${1:-}" != --force ] && podman image exists "$name"; then
	log "$name is present"
	exit 0
fi

# apt_uri SUITE: the first enabled "deb" URI this machine's apt uses for
# SUITE, or nothing.
apt_uri() {
	local want=$1 f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		# deb [options] URI SUITE COMPONENT...
		awk -v want="$want" '
			$1 != "deb" { next }
			{ i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } }
			$(i + 1) == want { print $i; exit }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		# deb822 stanzas, separated by blank lines.
		awk -v want="$want" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && enabled != "no" &&
				    (" " suites " ") ~ (" " want " ") && uris != "") {
					split(uris, u, " "); print u[1]; found = 1
				}
				types = suites = uris = ""; enabled = "yes"
			}
			BEGIN { enabled = "yes" }
			/^[ \t]*$/ { flush(); if (found) exit; next }
			/^#/ { next }
			{
				key = tolower($1); sub(/:$/, "", key)
				val = $0; sub(/^[^:]*:[ \t]*/, "", val)
				if (key == "types") types = val
				else if (key == "suites") suites = val
				else if (key == "uris") uris = val
				else if (key == "enabled") enabled = tolower(val)
			}
			END { if (!found) flush() }' "$f"
	done | head -n 1
}

mirror=$(apt_uri "$suite")
mirror=${mirror:-http://deb.debian.org/debian}
security=$(apt_uri "$suite-security")

work=$(mktemp -d /var/tmp/evlog-base.XXXXXX)
rootfs=$work/rootfs
cleanup() {
	# debootstrap unmounts what it mounted, even on failure; make sure,
	# and never let rm cross into a mounted file system.
	local m
	for m in $(awk -v r="$rootfs" 'index($2, r) == 1 { print $2 }' \
	    /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT

log "debootstrap --variant=minbase $suite from $mirror (a few minutes)"
if ! debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" \
    >"$work/debootstrap.log" 2>&1; then
	tail -n 20 "$work/debootstrap.log" >&2
	log "debootstrap failed"
	exit 1
fi

log "trimming to -slim"
(
	cd "$rootfs"
	rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin \
		var/lib/apt/lists/* var/log/apt/* var/log/dpkg.log \
		var/log/bootstrap.log usr/share/man/* usr/share/info/* \
		usr/share/locale/* usr/share/groff/* usr/share/lintian/*
	find usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
	find usr/share/doc -mindepth 1 -type d -empty -delete
	# podman mounts its own; the build host's must not leak in.
	: >etc/resolv.conf
	rm -f etc/hostname

	# What the official image does, so that packages installed later
	# stay slim and apt leaves no caches in image layers.
	cat >etc/dpkg/dpkg.cfg.d/docker <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
	cat >etc/apt/apt.conf.d/docker-clean <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
	echo 'Acquire::Languages "none";' >etc/apt/apt.conf.d/docker-no-languages
	echo 'APT::AutoRemove::SuggestsImportant "false";' \
		>etc/apt/apt.conf.d/docker-autoremove-suggests

	rm -f etc/apt/sources.list
	{
		printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\n' \
			"$mirror" "$suite" "$suite"
		printf 'Components: main\n'
		printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		if [ -n "$security" ]; then
			printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\n' \
				"$security" "$suite"
			printf 'Components: main\n'
			printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		fi
	} >etc/apt/sources.list.d/debian.sources
)

log "importing as $local_name"
tar --numeric-owner -C "$rootfs" -c . |
	podman import \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD ["bash"]' \
		- "$local_name" >/dev/null
podman tag "$local_name" "$name"
log "$name: $(podman image inspect --format '{{.Size}}' "$name") bytes"
