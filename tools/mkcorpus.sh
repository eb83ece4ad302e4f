#!/usr/bin/env bash
# tools/mkcorpus.sh [DIR [KERNEL_ARGS]] - make the real-memory corpus for dedupsim and make bench.
#
# Boots four Linux guests under QEMU (TCG: no KVM needed) from Debian's own
# kernel (linux-image-amd64, unpacked locally, not installed) and a busybox-
# static initramfs whose init runs one workload, waits for it to settle,
# then says READY; the guest's RAM, kept in a shared file (raw guest-
# physical memory, 256 MiB each), is then copied and QEMU stopped.
# Workloads: idle (x2: identical VMs), files (copies of one binary in
# tmpfs: self-sharing), random (24 MiB of /dev/urandom: unique pages).
# The images are cached in DIR (default build/corpus, outside git); an
# existing complete corpus is kept.
#
# KASLR: Debian's kernel randomizes its physical and virtual placement at
# every boot (CONFIG_RANDOMIZE_BASE=y, on unless `nokaslr`), so the default
# corpus is four VMs booted as shipped.  KERNEL_ARGS are added to each
# guest's command line: `tools/mkcorpus.sh build/corpus-nokaslr nokaslr`
# makes the same four VMs with KASLR off (make bench measures both: how
# much identical sharing KASLR costs, and how much sub-page patching wins
# back, docs/patching.md).  DIR/cmdline records the arguments used.
set -euo pipefail
DIR=${1:-build/corpus}
EXTRA=${2:-}
MEM=256
VMS="idle0:idle idle1:idle files:files random:random"
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
if [ -f "$DIR/done" ]; then echo "corpus: cached in $DIR"; exit 0; fi
command -v qemu-system-x86_64 >/dev/null || { echo "corpus: qemu-system-x86 missing" >&2; exit 1; }

# 1. Kernel and busybox, downloaded as .debs and unpacked (no root needed).
pkgs=$DIR/pkgs; mkdir -p "$pkgs"
if [ ! -f "$pkgs/vmlinuz" ]; then
	kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: \(linux-image-[0-9].*\)/\1/p' | head -n1)
	[ -n "$kpkg" ] || { echo "corpus: cannot resolve linux-image-amd64 (apt-get update?)" >&2; exit 1; }
	echo "corpus: downloading $kpkg and busybox-static"
	(cd "$pkgs" && apt-get download -q "$kpkg" busybox-static >/dev/null)
	mkdir -p "$pkgs/x"
	for d in "$pkgs"/*.deb; do dpkg-deb -x "$d" "$pkgs/x"; done
	cp "$(ls "$pkgs"/x/boot/vmlinuz-* | head -n1)" "$pkgs/vmlinuz"
	cp "$pkgs/x/bin/busybox" "$pkgs/busybox"
	rm -rf "$pkgs/x" "$pkgs"/*.deb
fi

# 2. The initramfs: busybox and an init that runs workload=NAME.
root=$DIR/initramfs; rm -rf "$root"; mkdir -p "$root"/{bin,proc,sys,tmp,dev}
cp "$pkgs/busybox" "$root/bin/busybox"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t tmpfs tmp /tmp
mount -t devtmpfs dev /dev 2>/dev/null
w=$(sed -n 's/.*workload=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "corpus guest: workload $w"
case $w in
files)  i=0; while [ $i -lt 40 ]; do cp /bin/busybox /tmp/bb$i; i=$((i+1)); done ;;
random) dd if=/dev/urandom of=/tmp/rand bs=1M count=24 2>/dev/null ;;
esac
sync; sleep 3
echo DEDUPVISOR-CORPUS-READY
while :; do sleep 3600; done
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$DIR/initrd.gz"

# 3. Boot each guest with its RAM in a shared file: that file is the guest's
# raw guest-physical memory, as pmemsave would write it (except the legacy
# VGA/ROM hole at 640 KiB-1 MiB, which holds RAM contents here).  Once the
# guest says READY, QEMU is stopped and the file kept.
boot() { # name workload
	local n=$1 w=$2 d=$DIR/run-$1 t=0
	rm -rf "$d"; mkdir -p "$d"; rm -f "$DIR/$n.raw" "$DIR/$n.tmp"
	qemu-system-x86_64 -machine pc,accel=tcg,memory-backend=ram0 -cpu max -m $MEM -smp 1 \
		-object memory-backend-file,id=ram0,size=${MEM}M,mem-path="$DIR/$n.tmp",share=on \
		-kernel "$pkgs/vmlinuz" -initrd "$DIR/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1 workload=$w${EXTRA:+ $EXTRA}" \
		-display none -no-reboot -net none -serial file:"$d/console.txt" \
		-monitor none >"$d/qemu.log" 2>&1 &
	local pid=$!
	until grep -q DEDUPVISOR-CORPUS-READY "$d/console.txt" 2>/dev/null; do
		sleep 1; t=$((t + 1))
		if [ $t -gt 300 ] || ! kill -0 $pid 2>/dev/null; then
			echo "corpus: $n did not become ready; console:" >&2; tail -n 20 "$d/console.txt" >&2
			kill $pid 2>/dev/null; return 1
		fi
	done
	kill -STOP $pid; sync
	cp --sparse=never "$DIR/$n.tmp" "$DIR/$n.raw"
	kill -KILL $pid; wait $pid 2>/dev/null || true
	rm -f "$DIR/$n.tmp"
	echo "corpus: $n ($w) ready after ${t}s: $DIR/$n.raw"
}
pids=""
for v in $VMS; do boot "${v%%:*}" "${v#*:}" & pids="$pids $!"; done
for p in $pids; do wait $p; done
for v in $VMS; do [ -f "$DIR/${v%%:*}.raw" ] || { echo "corpus: incomplete" >&2; exit 1; }; done
echo "${EXTRA}" >"$DIR/cmdline"
touch "$DIR/done"
ls -la "$DIR"/*.raw
