#!/usr/bin/env bash
# scripts/build-newlib.sh - build newlib (the hypervisor's libc) once.
#
# Usage: build-newlib.sh BUILDDIR "CFLAGS"
# Unpacks Debian's newlib-source tarball, configures it out of tree for a
# freestanding x86_64-elf target with the host's binutils/gcc, compiles it
# with the hypervisor's ABI flags and installs into BUILDDIR/newlib/install.
# A stamp file records completion so a project rebuild never rebuilds newlib.
set -eu
B=$1; CFL=$2
TARBALL=/usr/src/newlib/newlib-3.3.0.tar.xz
mkdir -p "$B"; D=$(cd "$B" && pwd)/newlib
[ -f "$D/stamp" ] && exit 0
[ -f "$TARBALL" ] || { echo "newlib: $TARBALL missing (apt-get install newlib-source)" >&2; exit 1; }
rm -rf "$D"; mkdir -p "$D/obj"
start=$(date +%s)
tar -C "$D" -xf "$TARBALL"
src=$(find "$D" -maxdepth 1 -mindepth 1 -type d ! -name obj | head -n1)
cd "$D/obj"
"$src/configure" --target=x86_64-elf --prefix="$D/install" \
	--disable-newlib-supplied-syscalls --disable-multilib --disable-nls \
	--enable-newlib-nano-malloc --disable-newlib-fvwrite-in-streamio \
	CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
	NM_FOR_TARGET=nm RANLIB_FOR_TARGET=ranlib OBJDUMP_FOR_TARGET=objdump \
	READELF_FOR_TARGET=readelf STRIP_FOR_TARGET=strip \
	CFLAGS_FOR_TARGET="$CFL" >"$D/build.log" 2>&1
make -j"$(nproc)" all-target-newlib >>"$D/build.log" 2>&1 || { tail -n 40 "$D/build.log" >&2; exit 1; }
make install-target-newlib >>"$D/build.log" 2>&1 || { tail -n 40 "$D/build.log" >&2; exit 1; }
echo "newlib: built in $(( $(date +%s) - start )) s" | tee "$D/stamp"
