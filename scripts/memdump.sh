#!/usr/bin/env bash
# scripts/memdump.sh CONFIG OUTDIR FILE... - the guest-physical memory of
# every VM of a dedupvisor run, as the engine saw it at one measurement
# point, in raw images for dedupsim and Linux KSM (make bench's tools).
#
# The debug path of control/memdump.c: CONFIG (with dedup.measure_s, so
# that points happen) gets "dedup.dump_point = POINT" (DUMP_POINT, default
# 1) and boots under Bochs with its magic breakpoint on and a debugger
# script that, at each breakpoint, writes the hypervisor's 1 MiB dump
# window (found by name in the ELF) to the next numbered chunk file.  The
# console says which chunks are which VM's; they are joined into
# OUTDIR/NAME.raw.  FILE...: the guest files the config names (vmlinux,
# initrd.cpio.gz, memtest.bin, ...).  Then dedupsim runs its oracle and the
# engine over the images (OUTDIR/dedupsim.txt, .json), and Linux KSM
# (MEMDUMP_KSM=0 skips it).  The environment reaches scripts/emu.sh: with
# EMU_CONSOLE a script types on the console (scripts/scancmp.sh: `measure`,
# then the scanner on), with EMU_DONE another line ends the run.
# Needs Bochs (VT-x emulated); takes as long as the run up to the point.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { echo "usage: $0 CONFIG OUTDIR FILE..." >&2; exit 2; }
cfg=$1 out=$2; shift 2
B=build
point=${DUMP_POINT:-1}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/chunk.* "$out"/*.raw
grep -Eq '^[[:space:]]*dedup\.measure_s[[:space:]]*=[[:space:]]*[1-9]' "$cfg" ||
	{ echo "memdump: $cfg sets no dedup.measure_s: no measurement point would come" >&2; exit 2; }
{ grep -v '^[[:space:]]*dedup\.dump_point' "$cfg"; echo "dedup.dump_point = $point"; } >"$out/dump.cfg"

# The window's address, and an upper bound of chunks: all the RAM configured.
win=$(nm "$B/dedupvisor.elf" | awk '$3 == "dump_window" {print "0x" $1}')
[ -n "$win" ] || { echo "memdump: no dump_window in $B/dedupvisor.elf" >&2; exit 1; }
mib=0
while read -r ram; do
	case $ram in
	*G) mib=$((mib + ${ram%G} * 1024)) ;; *M) mib=$((mib + ${ram%M})) ;;
	*K) mib=$((mib + (${ram%K} + 1023) / 1024)) ;; *) mib=$((mib + ram / 1048576 + 1)) ;;
	esac
done < <(grep -oE '^[[:space:]]*vm .* ram=[0-9]+[KMG]?' "$out/dump.cfg" | sed 's/.*ram=//')
{
	echo continue
	for ((i = 0; i < mib; i++)); do
		echo "writemem \"$out/chunk.$i\" $win 1048576"
		echo continue
	done
	echo quit
} >"$out/debugger.rc"

bash scripts/mkesp.sh "$out/esp.img" "$B/BOOTX64.EFI" "$B/dedupvisor.elf" "$out/dump.cfg" "$@"
megs=$((mib + 256))
echo "memdump: booting under Bochs; the dump comes at measurement point $point"
EMU_BOCHS_RC=$out/debugger.rc EMU_BOCHS_MAGIC=1 \
	bash scripts/emu.sh boot bochs "$out/esp.img" "$out/run" "${DUMP_SECS:-3600}" 2 "$megs" || true
con=$out/run/console.txt
grep -q '^dump: done' "$con" || { echo "memdump: the run never finished its dump (see $con)" >&2; exit 1; }

imgs=()
while read -r name bytes a b; do
	: >"$out/$name.raw"
	for ((i = a; i <= b; i++)); do
		[ -f "$out/chunk.$i" ] || { echo "memdump: chunk $i missing" >&2; exit 1; }
		cat "$out/chunk.$i" >>"$out/$name.raw"
	done
	truncate -s "$bytes" "$out/$name.raw"
	[ "$(stat -c %s "$out/$name.raw")" = "$bytes" ] || { echo "memdump: $name: short image" >&2; exit 1; }
	imgs+=("$out/$name.raw")
	echo "memdump: $out/$name.raw ($((bytes >> 20)) MiB)"
done < <(sed -nE 's/^dump: vm ([^:]+): ([0-9]+) bytes in chunks ([0-9]+)-([0-9]+)\r?$/\1 \2 \3 \4/p' "$con")
rm -f "$out"/chunk.*
[ ${#imgs[@]} -gt 0 ] || { echo "memdump: no VM was dumped" >&2; exit 1; }
grep -E '^measure: ' "$con" | tee "$out/measure.txt" | grep -E 'recount|fleet:' || true
"$B/tools/dedupsim" --json "${imgs[@]}" >"$out/dedupsim.json"
"$B/tools/dedupsim" "${imgs[@]}" | tee "$out/dedupsim.txt"
# Linux KSM on the same images (root and /sys/kernel/mm/ksm; else it says why).
if [ -x "$B/tools/ksmbench" ] && [ "${MEMDUMP_KSM:-1}" != 0 ]; then
	rc=0
	"$B/tools/ksmbench" --pages-to-scan 10000 --sleep-ms 0 --use-zero-pages 1 --timeout 120 \
		"${imgs[@]}" >"$out/ksm.json" || rc=$?
	if [ $rc = 0 ]; then
		jq -r '"memdump: KSM saved \(.saved) pages in \(.full_scans) full scans, \(.cpu_seconds) CPU-s"' \
			"$out/ksm.json" 2>/dev/null || cat "$out/ksm.json"
	else
		echo "memdump: KSM not run (ksmbench exit $rc): $(jq -r .why "$out/ksm.json" 2>/dev/null)"
	fi
fi
