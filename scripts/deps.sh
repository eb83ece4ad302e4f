#!/usr/bin/env bash
# scripts/deps.sh [bench] - install what dedupvisor needs from Debian's packages.
#
# The Makefile runs this before anything else.  Each needed package is
# checked with dpkg-query; the missing ones are installed with apt-get when
# we are root (CI and fresh machines), otherwise the exact apt-get line is
# printed and the script fails so the build stops with a clear message.
set -eu

# clang builds tests/fuzz/; libclang-rt-14-dev holds its libFuzzer, ASan
# and UBSan runtimes (libclang_rt.fuzzer-x86_64.a ...), which clang's
# packages only recommend, and recommends are not installed here.
# python3 runs scripts/console_driver.py (typing on the console in tests
# and in make run under Bochs) and its test.  prometheus brings promtool,
# which checks the API's /metrics exposition (tests/unit/test_api_writers.c).
# dpkg-dev (dpkg-source) and debian-archive-keyring: scripts/debsrc.sh fetches
# and unpacks Debian's lwIP and lz4 source packages, checked against the signed index.
# xxd embeds the dashboard page (api/dashboard.html) in the image as a C
# array (the Makefile's dashboard_html.c).  chromium (Debian's, run headless)
# loads that page from the hypervisor in the system tests and checks that
# its script filled in the live figures (tests/system/dashboard_check.sh).
PKGS="build-essential gnu-efi newlib-source libcmocka-dev libxxhash-dev
      qemu-system-x86 ovmf bochs bochsbios vgabios mtools dosfstools xz-utils
      clang libclang-rt-14-dev cpio zstd python3 prometheus dpkg-dev debian-archive-keyring
      xxd chromium"
# `deps.sh bench`: also what make bench needs (corpus initramfs, plots,
# instruction counts: valgrind, whose callgrind.h dedupsim uses when present;
# xdelta3, the reference point patchbench compares patch formats with: run
# as a program on the host, never linked into the hypervisor).
[ "${1:-}" = bench ] && PKGS="$PKGS cpio gzip gnuplot-nox jq valgrind xdelta3"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	echo "deps: done"
else
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run: sudo apt-get install -y$missing" >&2
	exit 1
fi
