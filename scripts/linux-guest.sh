#!/usr/bin/env bash
# scripts/linux-guest.sh [OUT [CACHE [PKG]]] - build the files a Linux guest VM needs.
#
# Uses Debian bookworm's own kernel and busybox-static, downloaded as .debs
# with `apt-get download` and unpacked (never installed), so it runs as root
# (CI) or as a normal user.  Writes, into OUT (default build/linux):
#   vmlinuz          the kernel bzImage exactly as Debian ships it
#   vmlinux          the uncompressed kernel ELF, extracted from that bzImage
#                    as the kernel's scripts/extract-vmlinux does (find the
#                    XZ magic FD 37 7A 58 5A 00 (6.12: ZSTD, 28 B5 2F FD),
#                    decompress from there); the kernel is not rebuilt or
#                    modified
#   initrd.cpio.gz   busybox-static initramfs: /bin/busybox, /bin/sh,
#                    guests/linux/init as /init, and /bin/sidechan, the
#                    side-channel probe (guests/linux/sidechan.c, compiled
#                    here with the host's gcc, static against glibc)
#   kernel-release   the kernel's `uname -r`, e.g. 6.1.0-56-amd64
#
# CACHE (default build/linux/cache) keeps the downloaded .debs and which
# package the meta-package resolved to; once there, they are reused without
# apt (offline, and the same kernel every time).  Delete CACHE to pick up a
# newer kernel.
#
# PKG (or env LINUX_PKG; default linux-image-amd64) names the kernel package:
# a meta-package (followed to the linux-image-X.Y.Z-N-amd64 it depends on) or
# a concrete one.  Bookworm-security also carries Linux 6.12, e.g.
#   scripts/linux-guest.sh build/linux-6.12 build/linux/cache linux-image-6.12-amd64
#
# Reproducible: the same .debs, init and compiler give a byte-identical initramfs
# (sorted entries, mtime SOURCE_DATE_EPOCH (default fixed below), uid/gid 0,
# `cpio --reproducible -H newc`, `gzip -n -9`), and vmlinux is a pure
# function of vmlinuz.
#
# Host tools (Debian packages): cc (gcc; libc6-dev gives libc.a for -static),
# apt-get, apt-cache (apt), dpkg-deb (dpkg),
# tar (tar), xz (xz-utils), cpio (cpio), gzip (gzip), od/tail (coreutils);
# zstd (zstd) for 6.12 kernels; readelf (binutils) double-checks vmlinux
# when present.
#
# Boot it, e.g. under QEMU:
#   qemu-system-x86_64 -machine pc,accel=tcg -cpu max -m 256 \
#     -kernel build/linux/vmlinuz -initrd build/linux/initrd.cpio.gz \
#     -append "console=ttyS0,115200 quiet panic=-1 workload=integrity rounds=2 mib=8" \
#     -display none -no-reboot -net none -serial stdio -monitor none
# Workloads and console markers: see guests/linux/init.
set -euo pipefail

OUT=${1:-build/linux}
CACHE=${2:-build/linux/cache}
PKG=${3:-${LINUX_PKG:-linux-image-amd64}}
EPOCH=${SOURCE_DATE_EPOCH:-1704067200} # 2024-01-01 00:00:00 UTC
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
INIT=$SRC/guests/linux/init
SIDECHAN=$SRC/guests/linux/sidechan.c

say() { echo "linux-guest: $*"; }
die() {
	echo "linux-guest: error: $*" >&2
	exit 1
}

for t in "${CC:-cc}":gcc apt-get:apt apt-cache:apt dpkg-deb:dpkg tar:tar xz:xz-utils cpio:cpio gzip:gzip; do
	command -v "${t%%:*}" >/dev/null ||
		die "${t%%:*} not found; install it with: apt-get install ${t#*:}"
done
[ -f "$INIT" ] || die "$INIT missing"
[ -f "$SIDECHAN" ] || die "$SIDECHAN missing"
case $EPOCH in '' | *[!0-9]*) die "SOURCE_DATE_EPOCH=$EPOCH is not a number" ;; esac

mkdir -p "$OUT" "$CACHE"
OUT=$(cd "$OUT" && pwd)
CACHE=$(cd "$CACHE" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/linux-guest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The concrete package behind $1, following meta-packages; remembered in
# the cache so later runs need no apt lists and keep the same kernel.
resolve() {
	local p=$1 dep
	if [ -f "$CACHE/$p.resolved" ]; then
		cat "$CACHE/$p.resolved"
		return
	fi
	while :; do
		apt-cache show "$p" >/dev/null 2>&1 ||
			die "package $p is not in the apt lists; run 'apt-get update' (as root) and retry"
		dep=$(apt-cache depends "$p" 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
		[ -n "$dep" ] || break
		p=$dep
	done
	echo "$p" >"$CACHE/$1.resolved"
	echo "$p"
}

# The cached .deb of package $1, downloaded first if missing.
deb() {
	local p=$1 f dl
	local -a opts=(-q)
	for f in "$CACHE/${p}"_*.deb; do
		[ -f "$f" ] && { echo "$f"; return; }
	done
	say "downloading $p" >&2
	# As root, apt drops to user _apt for downloading, which cannot write
	# into the private $tmp; download as root instead.
	[ "$(id -u)" != 0 ] || opts+=(-o APT::Sandbox::User=root)
	dl=$tmp/download
	rm -rf "$dl"
	mkdir "$dl"
	if ! (cd "$dl" && apt-get "${opts[@]}" download "$p") >"$tmp/apt.log" 2>&1; then
		rm -rf "$dl"
		die "'apt-get download $p' failed ($(grep -m1 '^E:' "$tmp/apt.log" || tail -n1 "$tmp/apt.log")); check network access, run 'apt-get update' (as root) and retry"
	fi
	for f in "$dl/${p}"_*.deb; do
		[ -f "$f" ] || die "'apt-get download $p' gave no ${p}_*.deb"
		# (copy, then rename: an interrupted run leaves no partial .deb)
		mv "$f" "$CACHE/.${f##*/}.part"
		mv "$CACHE/.${f##*/}.part" "$CACHE/${f##*/}"
		echo "$CACHE/${f##*/}"
	done
	rm -rf "$dl"
}

# 1. The kernel and busybox, unpacked (just the files needed) into $tmp.
kpkg=$(resolve "$PKG")
[ "$kpkg" = "$PKG" ] || say "$PKG -> $kpkg"
kdeb=$(deb "$kpkg")
bdeb=$(deb busybox-static)
say "unpacking ${kdeb##*/} and ${bdeb##*/}"
mkdir -p "$tmp/x"
dpkg-deb --fsys-tarfile "$kdeb" | tar -xf - -C "$tmp/x" --wildcards './boot/vmlinuz-*'
dpkg-deb --fsys-tarfile "$bdeb" | tar -xf - -C "$tmp/x" ./bin/busybox
set -- "$tmp"/x/boot/vmlinuz-*
if [ $# != 1 ] || [ ! -f "$1" ]; then
	die "expected one /boot/vmlinuz-* in ${kdeb##*/}, found: $*"
fi
release=${1##*/vmlinuz-}
cp "$1" "$tmp/vmlinuz"
echo "$release" >"$tmp/kernel-release"

# 2. vmlinux, by the method of the kernel's scripts/extract-vmlinux: find
# each offset where a compressor's magic occurs (its tr/grep trick), and
# decompress from there; the first result that is a whole x86-64 ELF is the
# kernel.  Debian's 6.1 uses XZ; its 6.12 uses ZSTD.
is_elf() { # the ELF magic, and the section headers (at its end) all there
	local shoff shentsize shnum
	[ "$(wc -c <"$1")" -ge 64 ] || return 1
	[ "$(od -An -tx1 -N5 "$1" | tr -d ' \n')" = 7f454c4602 ] || return 1
	shoff=$(od -An -tu8 -j40 -N8 "$1" | tr -d ' ')
	shentsize=$(od -An -tu2 -j58 -N2 "$1" | tr -d ' ')
	shnum=$(od -An -tu2 -j60 -N2 "$1" | tr -d ' ')
	[ "$((shoff + shentsize * shnum))" -le "$(wc -c <"$1")" ] || return 1
	if command -v readelf >/dev/null; then
		readelf -h "$1" >"$tmp/elf.txt" 2>/dev/null &&
			grep -q 'Machine: *Advanced Micro Devices X86-64' "$tmp/elf.txt"
	fi
}
try_decompress() { # magic (as tr escapes) placeholder name command...
	local magic=$1 ph=$2 name=$3 pos
	shift 3
	for pos in $(LC_ALL=C tr "$magic\n$ph" "\n$ph=" <"$tmp/vmlinuz" |
		LC_ALL=C grep -abo "^$ph" | cut -d: -f1); do
		command -v "$1" >/dev/null ||
			die "vmlinuz is $name-compressed but $1 is missing; install it with: apt-get install $1"
		# A decompressor may complain about what follows the stream, and
		# tail gets SIGPIPE: the ELF check below decides.
		{ tail -c +"$pos" "$tmp/vmlinuz" || :; } | { "$@" >"$tmp/vmlinux" 2>/dev/null || :; }
		if is_elf "$tmp/vmlinux"; then
			say "vmlinux: $name stream at offset $((pos - 1)) of vmlinuz, $(wc -c <"$tmp/vmlinux") bytes"
			return 0
		fi
	done
	return 1
}
try_decompress '\3757zXZ\000' abcde XZ xz -dc --single-stream ||
	try_decompress '(\265/\375' xxx ZSTD zstd -dcq ||
	die "no XZ- or ZSTD-compressed x86-64 ELF kernel found in ${kdeb##*/}'s vmlinuz"
grep -aq "Linux version $release " "$tmp/vmlinux" ||
	die "vmlinux has no 'Linux version $release' banner"

# 3. The initramfs, byte for byte the same on every run.
root=$tmp/root
mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin "$root"/proc "$root"/sys "$root"/dev "$root"/tmp
cp "$tmp/x/bin/busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$INIT" "$root/init"
# The side-channel probe, static (the initramfs has no libc) and stripped;
# the same compiler gives the same bytes (ld's build ID hashes the output).
"${CC:-cc}" -static -s -std=gnu11 -O2 -Wall -Wextra -Werror -I"$SRC/guests" -I"$SRC/include" \
	-o "$root/bin/sidechan" "$SIDECHAN" ||
	die "compiling $SIDECHAN failed (static: glibc's libc.a is in libc6-dev)"
chmod 0755 "$root/bin/busybox" "$root/bin/sidechan" "$root/init"
find "$root" -type d -exec chmod 0755 {} +
chmod 1777 "$root/tmp"
find "$root" -exec touch -h -d "@$EPOCH" {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet --reproducible -o -H newc -R 0:0) | gzip -n -9 >"$tmp/initrd.cpio.gz"
# gzip header: no FNAME flag (byte 3), MTIME 0 (bytes 4-7).
[ "$(head -c 8 "$tmp/initrd.cpio.gz" | od -An -tx1 | tr -d ' \n')" = 1f8b080000000000 ] ||
	die "initrd.cpio.gz has a gzip name or time in its header"

for f in vmlinuz vmlinux initrd.cpio.gz kernel-release; do
	mv -f "$tmp/$f" "$OUT/$f"
done
say "kernel $release (${kdeb##*/}), busybox ${bdeb##*/}"
(cd "$OUT" && sha256sum vmlinuz vmlinux initrd.cpio.gz kernel-release) | sed 's/^/linux-guest: /'
say "done: $OUT"
