#!/usr/bin/env bash
# scripts/bench.sh - make bench: dedupvisor's engine vs Linux KSM on real VM memory.
#
# 1. the corpus (tools/mkcorpus.sh: four Linux guests' RAM, cached);
# 2. dedupsim over it, with and without EPT A/D bits;
# 3. ksmbench over the same images: KSM at 10,000 pages / 0 ms with and
#    without use_zero_pages, and at its default rate (100 pages / 20 ms;
#    BENCH_KSM_DEFAULT=0 skips this ~3-minute run);
# 4. one table, and the targets met or missed.
# Results land in build/bench/ (JSON, text, savings.png).
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/bench
mkdir -p "$B"
bash tools/mkcorpus.sh
imgs=(build/corpus/*.raw)

echo "bench: the engine's page functions (dedup/page.c) on this CPU"
build/tools/pagebench | tee "$B/pagebench.txt"
echo "bench: dedupsim (engine over the host fake), ${#imgs[@]} images"
build/tools/dedupsim --json "${imgs[@]}" >"$B/dedup-ad.json"
build/tools/dedupsim --no-ad --json "${imgs[@]}" >"$B/dedup-noad.json"
build/tools/dedupsim --granularity --plot "$B/savings.png" "${imgs[@]}" >"$B/dedupsim.txt"
cat "$B/dedupsim.txt"

ksm_ok=1
if pgrep -f qemu-system- >/dev/null; then
	echo "bench: warning: a QEMU is running; if it marks its RAM mergeable, KSM's counters include it"
fi
run_ksm() { # name args...
	local name=$1; shift
	echo "bench: KSM $*"
	local rc=0
	build/tools/ksmbench "$@" "${imgs[@]}" >"$B/$name.json" || rc=$?
	if [ $rc = 3 ]; then ksm_ok=0; echo "bench: KSM unavailable: $(jq -r .why "$B/$name.json")"; fi
	[ $rc = 0 ] || [ $rc = 3 ] || { echo "bench: ksmbench failed ($rc)"; ksm_ok=0; }
}
run_ksm ksm-fast-zero --pages-to-scan 10000 --sleep-ms 0 --use-zero-pages 1 --timeout 120
[ $ksm_ok = 1 ] && run_ksm ksm-fast --pages-to-scan 10000 --sleep-ms 0 --use-zero-pages 0 --timeout 120
[ $ksm_ok = 1 ] && [ "${BENCH_KSM_DEFAULT:-1}" != 0 ] &&
	run_ksm ksm-default --pages-to-scan 100 --sleep-ms 20 --use-zero-pages 1 --timeout 400

oracle=$(jq .sharable "$B/dedup-ad.json")
pages=$(jq .pages_total "$B/dedup-ad.json")
echo
echo "Savings and cost to converge on ${#imgs[@]} Linux VM images ($pages pages); oracle: $oracle sharable pages"
printf '%-34s %9s %17s %26s %12s %8s\n' "" "of oracle" "scans 50/90/99%" "CPU-s to 50/90/99%" "pages/CPU-s" "meta B/pg"
row_dedup() { # label file
	jq -r --arg l "$1" '. as $d | ($d.scans[-1]) as $f |
	  [$l, ($f.fraction_of_oracle*100), ($d.reach|map(.full_scans)|map(tostring)|join("/")),
	   ($d.reach|map(.cpu_seconds)|map(.*1000|round/1000|tostring)|join("/")),
	   ($f.pages_scanned/$f.cpu_seconds|round), ($f.metadata_bytes/$d.pages_total)] | @tsv' "$2" |
	awk -F'\t' '{printf "%-34s %8.3f%% %17s %26s %12d %8.2f\n", $1, $2, $3, $4, $5, $6}'
}
row_ksm() { # label file
	[ -s "$2" ] && jq -e .available "$2" >/dev/null || return 0
	jq -r --arg l "$1" --argjson o "$oracle" '. as $k |
	  [$l, ($k.saved/$o*100), ($k.reach|map(.full_scans)|map(tostring)|join("/")),
	   ($k.reach|map(.cpu_seconds)|map(tostring)|join("/")), $k.pages_per_cpu_second,
	   $k.metadata_bytes_per_page] | @tsv' "$2" |
	awk -F'\t' '{printf "%-34s %8.3f%% %17s %26s %12d %8.2f\n", $1, $2, $3, $4, $5, $6}'
}
row_dedup "dedupvisor, EPT A/D bits" "$B/dedup-ad.json"
row_dedup "dedupvisor, no A/D (KSM's rule)" "$B/dedup-noad.json"
row_ksm "KSM 10000/0ms use_zero_pages=1" "$B/ksm-fast-zero.json"
row_ksm "KSM 10000/0ms use_zero_pages=0" "$B/ksm-fast.json"
row_ksm "KSM 100/20ms (default) zero=1" "$B/ksm-default.json"
echo "(pages/CPU-s: all pages visited until convergence was seen, over the CPU they took; with"
echo " A/D bits a clean page is not read again, so later scans are cheap. KSM's full scans count"
echo " completed passes; its CPU is ksmd's; its counters' cross-check against MemFree is in"
echo " build/bench/ksm-*.json as memfree_gain_pages)"

echo
echo "Targets:"
frac=$(jq '.scans[-1].fraction_of_oracle*100' "$B/dedup-ad.json")
one=$(jq '.scans[0].fraction_of_oracle*100' "$B/dedup-ad.json")
meta=$(jq '.scans[-1].metadata_bytes/.pages_total' "$B/dedup-ad.json")
ours=$(jq '.scans[-1].pages_scanned/.scans[-1].cpu_seconds' "$B/dedup-ad.json")
awk -v f="$frac" 'BEGIN{printf "  >= 99.5%% of the oracle at convergence:  %.3f%%  %s\n", f, (f>=99.5?"met":"MISSED")}'
awk -v f="$one" 'BEGIN{printf "  >= 99%% after one full scan:            %.3f%%  %s\n", f, (f>=99?"met":"MISSED")}'
awk -v f="$meta" 'BEGIN{printf "  <= 16 bytes of metadata per page:       %.2f  %s\n", f, (f<=16?"met":"MISSED")}'
if [ -s "$B/ksm-fast-zero.json" ] && jq -e .available "$B/ksm-fast-zero.json" >/dev/null; then
	theirs=$(jq .pages_per_cpu_second "$B/ksm-fast-zero.json")
	ourcpu=$(jq '.reach[2].cpu_seconds' "$B/dedup-ad.json")
	theircpu=$(jq '.reach[2].cpu_seconds' "$B/ksm-fast-zero.json")
	awk -v a="$ours" -v b="$theirs" 'BEGIN{printf "  >= 10x ksmd'"'"'s pages per CPU-second:    %.1fx  %s\n", a/b, (a/b>=10?"met":"MISSED")}'
	first=$(jq '.scans[0].pages_scanned/.scans[0].cpu_seconds' "$B/dedup-ad.json")
	awk -v a="$first" -v b="$theirs" 'BEGIN{printf "     (first scan alone, which reads every page: %.1fx)\n", a/b}'
	awk -v a="$ourcpu" -v b="$theircpu" 'BEGIN{printf "  CPU-seconds to 99%% of final savings:    %.3f vs ksmd %.2f (%.1fx less)\n", a, b, b/a}'
else
	echo "  ksmd comparison: KSM unavailable here"
fi
echo "(plot: $B/savings.png)"

# The hypervisor's own costs, under Bochs (whose TSC counts emulated
# instructions with "clock: sync=none"): guests/cowbench.c times them.
if [ "${BENCH_BOCHS:-1}" != 0 ]; then
	echo
	echo "Hypervisor costs under Bochs (instructions, guest + hypervisor, 1 CPU):"
	printf 'dedup.pages_to_scan = 2000\nvm cowbench ram=4M image=cowbench.bin\n' >"$B/cowbench.cfg"
	bash scripts/mkesp.sh "$B/cowbench.img" build/BOOTX64.EFI build/dedupvisor.elf "$B/cowbench.cfg" \
		build/guests/cowbench.bin
	bash scripts/emu.sh boot bochs "$B/cowbench.img" "$B/cowbench" 180 1 128
	grep -E '^\[cowbench\] cowbench: .*ticks' "$B/cowbench/console.txt" | sed 's/^\[cowbench\] cowbench: /  /; s/ ticks/ instructions/' ||
		echo "  (cowbench did not report: see $B/cowbench/console.txt)"
fi
