#!/usr/bin/env bash
# scripts/lwip.sh DIR - Debian bookworm's lwIP source package, unpacked in DIR.
#
# The hypervisor's TCP/IP stack is lwIP as Debian ships its source (upstream
# 2.1.3 with Debian's patches applied), never a copy kept in git.  apt-get
# fetches the source package without root and without touching the system's
# apt state: a private sources list with one deb-src line, and private lists
# and cache under DIR/apt.  apt checks the .dsc, .orig.tar.xz and
# .debian.tar.xz against the hashes of the signed Sources index (InRelease,
# debian-archive-keyring), and dpkg-source unpacks them and applies
# debian/patches.  The version is pinned: a new Debian revision is a
# deliberate change of this line.  The Makefile compiles the core files it
# names from DIR/src/src (LWIP_SRCS) with the hypervisor's flags.
#
# Offline: once DIR/stamp exists nothing is fetched again (make clean keeps
# build/lwip; make distclean removes it).
set -eu
dir=$1
VERSION=2.1.3+dfsg1-2
MIRROR=${LWIP_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

[ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$VERSION" ] && exit 0
command -v dpkg-source >/dev/null || { echo "lwip: dpkg-source missing (Debian's dpkg-dev)" >&2; exit 1; }
[ -f "$KEYRING" ] || { echo "lwip: $KEYRING missing (debian-archive-keyring)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
apt=$dir/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl"
echo "deb-src [signed-by=$KEYRING] $MIRROR bookworm main" >"$apt/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	-o Debug::NoLocking=1 -o "APT::Sandbox::User=$(id -un)" -q)

if ! ls "$apt/dl"/lwip_"$VERSION".dsc >/dev/null 2>&1; then
	echo "  LWIP    fetching Debian's lwip $VERSION source package"
	apt-get "${opts[@]}" update >"$apt/update.log" 2>&1 ||
		{ cat "$apt/update.log" >&2; echo "lwip: apt-get update (private lists) failed" >&2; exit 1; }
	(cd "$apt/dl" && apt-get "${opts[@]}" source --download-only "lwip=$VERSION") \
		>"$apt/source.log" 2>&1 ||
		{ cat "$apt/source.log" >&2; echo "lwip: apt-get source lwip=$VERSION failed" >&2; exit 1; }
fi
rm -rf "$dir/src" "$apt/dl/unpacked"
# The .dsc's own signature is not checked here (no maintainer keyring): its
# hash and the tarballs' were checked by apt against the signed index.
# Unpacked beside the tarballs (dpkg-source copies them next to its target).
(cd "$apt/dl" && dpkg-source --no-check -x "lwip_$VERSION.dsc" unpacked) >"$apt/unpack.log" 2>&1 ||
	{ cat "$apt/unpack.log" >&2; echo "lwip: dpkg-source -x failed" >&2; exit 1; }
mv "$apt/dl/unpacked" "$dir/src"
[ -f "$dir/src/src/core/tcp.c" ] || { echo "lwip: $dir/src/src/core/tcp.c missing after unpacking" >&2; exit 1; }
echo "$VERSION" >"$dir/stamp"
echo "  LWIP    lwip $VERSION unpacked in $dir/src ($(grep -c . "$dir/src/debian/patches/series") Debian patches applied)"
