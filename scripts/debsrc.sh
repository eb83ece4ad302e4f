#!/usr/bin/env bash
# scripts/debsrc.sh PACKAGE VERSION DIR PROBE - one of Debian bookworm's
# source packages, unpacked in DIR/src.
#
# What the hypervisor takes from others' sources (lwIP for its network, lz4
# for the compressed tier) comes as Debian ships the source, never a copy
# kept in git.  apt-get fetches the source package without root and without
# touching the system's apt state: a private sources list with one deb-src
# line, and private lists and cache under DIR/apt.  apt checks the .dsc and
# its tarballs against the hashes of the signed Sources index (InRelease,
# debian-archive-keyring), and dpkg-source unpacks them and applies
# debian/patches.  The version is pinned by the caller (the Makefile): a new
# Debian revision is a deliberate change of that line.  PROBE, a path under
# DIR/src, must exist after unpacking (the files the Makefile compiles).
#
# Offline: once DIR/stamp holds VERSION nothing is fetched again (make clean
# keeps DIR; make distclean removes it).
set -eu
pkg=$1 VERSION=$2 dir=$3 probe=$4
MIRROR=${DEBSRC_MIRROR:-${LWIP_MIRROR:-http://deb.debian.org/debian}}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
tag=$(printf '%-7s' "$(echo "$pkg" | tr '[:lower:]' '[:upper:]')")

[ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$VERSION" ] && exit 0
command -v dpkg-source >/dev/null || { echo "$pkg: dpkg-source missing (Debian's dpkg-dev)" >&2; exit 1; }
[ -f "$KEYRING" ] || { echo "$pkg: $KEYRING missing (debian-archive-keyring)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
apt=$dir/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl"
echo "deb-src [signed-by=$KEYRING] $MIRROR bookworm main" >"$apt/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	-o Debug::NoLocking=1 -o "APT::Sandbox::User=$(id -un)" -q)

if ! ls "$apt/dl/${pkg}_$VERSION.dsc" >/dev/null 2>&1; then
	echo "  $tag fetching Debian's $pkg $VERSION source package"
	apt-get "${opts[@]}" update >"$apt/update.log" 2>&1 ||
		{ cat "$apt/update.log" >&2; echo "$pkg: apt-get update (private lists) failed" >&2; exit 1; }
	(cd "$apt/dl" && apt-get "${opts[@]}" source --download-only "$pkg=$VERSION") \
		>"$apt/source.log" 2>&1 ||
		{ cat "$apt/source.log" >&2; echo "$pkg: apt-get source $pkg=$VERSION failed" >&2; exit 1; }
fi
rm -rf "$dir/src" "$apt/dl/unpacked"
# The .dsc's own signature is not checked here (no maintainer keyring): its
# hash and the tarballs' were checked by apt against the signed index.
# Unpacked beside the tarballs (dpkg-source copies them next to its target).
(cd "$apt/dl" && dpkg-source --no-check -x "${pkg}_$VERSION.dsc" unpacked) >"$apt/unpack.log" 2>&1 ||
	{ cat "$apt/unpack.log" >&2; echo "$pkg: dpkg-source -x failed" >&2; exit 1; }
mv "$apt/dl/unpacked" "$dir/src"
[ -f "$dir/src/$probe" ] || { echo "$pkg: $dir/src/$probe missing after unpacking" >&2; exit 1; }
echo "$VERSION" >"$dir/stamp"
npatch=0
[ -f "$dir/src/debian/patches/series" ] && npatch=$(grep -c . "$dir/src/debian/patches/series")
echo "  $tag $pkg $VERSION unpacked in $dir/src ($npatch Debian patches applied)"
