#!/usr/bin/env bash
# scripts/bench.sh - make bench: dedupvisor's engine vs Linux KSM on real VM memory.
#
# 1. the corpus (tools/mkcorpus.sh: four Linux guests' RAM, cached);
# 2. the primary figure, which does not vary run to run: instructions per
#    scanned page, counted by callgrind over the engine's calls alone
#    (dedupsim's client requests), for the first full scan and for a full
#    scan of converged, unchanging memory (the steady state);
# 3. CPU-seconds, which do vary on shared cores (preemption, cache and
#    memory contention; dedupsim reports faults and context switches per
#    scan): BENCH_RUNS (default 5) runs of dedupsim and of ksmbench (KSM at
#    10,000 pages / 0 ms, use_zero_pages=1) interleaved, reported as median
#    [min-max], for the first full scan, to 99% of the final savings, and a
#    steady-state full scan;
# 4. once each: dedupsim without A/D bits, KSM without use_zero_pages and at
#    its default rate (100 pages / 20 ms; BENCH_KSM_DEFAULT=0 skips this
#    ~3-minute run): savings and scans, which do not vary;
# 5. the targets met or missed;
# 6. sub-page patching (issue 21, docs/patching.md): the savings by
#    mechanism (zero, identical, patched) on the corpus and on the same
#    four VMs booted with `nokaslr` (a second corpus, build/corpus-nokaslr),
#    beside Difference Engine's breakdown; patchbench's similarity keys and
#    formats (xdelta3 on BENCH_XDELTA pairs, default 1000; 0 skips) and the
#    instructions per encode and decode (callgrind);
# 7. the hypervisor's own costs under Bochs (BENCH_BOCHS=0 skips);
# 8. the cold tier on the converged corpus (dedupsim --tier, every page
#    treated as cold): savings by mechanism, lz4's ratio and size classes,
#    and its costs per page in CPU and in callgrind's instructions.
# Results land in build/bench/ (JSON, text, callgrind dumps, savings.png).
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/bench
R=${BENCH_RUNS:-5}
mkdir -p "$B"
rm -f "$B"/dedup-ad.*.json "$B"/ksm-fast-zero.*.json
bash tools/mkcorpus.sh
imgs=(build/corpus/*.raw)

echo "bench: the engine's page functions (dedup/page.c) on this CPU"
build/tools/pagebench | tee "$B/pagebench.txt"

# ---- 2. instructions ----
insn_first="" insn_steady=""
if command -v valgrind >/dev/null; then
	echo "bench: callgrind over dedupsim (the engine's calls only; ~1 minute)"
	rm -rf "$B/callgrind"; mkdir -p "$B/callgrind"
	valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
		--callgrind-out-file="$B/callgrind/cg.out" \
		build/tools/dedupsim --json --steady-scans 2 --tier "${imgs[@]}" >"$B/dedup-callgrind.json" \
		2>"$B/callgrind/valgrind.txt"
	total() { sed -n 's/^totals: //p' "$B/callgrind/cg.out.$1" 2>/dev/null; }
	# The dumps named NAME (their trigger), in order.
	dumps() { grep -l "^desc: Trigger: Client Request: $1\$" "$B"/callgrind/cg.out.* 2>/dev/null |
		sed 's/.*\.//' | sort -n; }
	pages=$(jq .pages_total "$B/dedup-callgrind.json")
	# One dump per full scan: the first is scan 1, the last a steady one.
	first=$(dumps "dedupsim: one full scan" | head -n1)
	last=$(dumps "dedupsim: one full scan" | tail -n1)
	if [ -n "$first" ] && [ -n "$last" ] && [ "$last" -ge 3 ]; then
		insn_first=$(awk -v t="$(total "$first")" -v p="$pages" 'BEGIN{printf "%.0f", t/p}')
		insn_steady=$(awk -v t="$(total "$last")" -v p="$pages" 'BEGIN{printf "%.1f", t/p}')
		# The cold tier's: per page compressed, decompressed, faulted.
		per() { # dump-name jq-count
			local f; f=$(dumps "$1" | head -n1)
			[ -n "$f" ] && awk -v t="$(total "$f")" -v n="$(jq "$2" "$B/dedup-callgrind.json")" \
				'BEGIN{if (n > 0) printf "%.0f", t/n; else printf "-"}'
		}
		insn_tier="lz4 compress $(per "tier: lz4 compress" .tier.candidates), decompress $(per "tier: lz4 decompress" .tier.fit); the engine's pass $(per "tier: engine pass" .tier.compressed) per page compressed, a fault-in $(per "tier: engine fault-in" .tier.faulted); zstd compress $(per "tier: zstd compress" .tier.candidates), decompress $(per "tier: zstd decompress" .tier.zstd.fit), a fault-in with zstd on $(per "tier: engine zstd fault-in" .tier.zstd.faulted)"
	else
		echo "bench: no per-scan callgrind dumps (dedupsim built without valgrind/callgrind.h?)"
	fi
else
	echo "bench: valgrind missing: no instruction counts (apt-get install valgrind)"
fi

# ---- 3. CPU-seconds, interleaved ----
ksm_ok=1
if pgrep -f qemu-system- >/dev/null; then
	echo "bench: warning: a QEMU is running; if it marks its RAM mergeable, KSM's counters include it"
fi
run_ksm() { # file args...
	local out=$1; shift
	local rc=0
	build/tools/ksmbench "$@" "${imgs[@]}" >"$out" || rc=$?
	if [ $rc = 3 ]; then ksm_ok=0; echo "bench: KSM unavailable: $(jq -r .why "$out")"; fi
	[ $rc = 0 ] || [ $rc = 3 ] || { echo "bench: ksmbench failed ($rc)"; ksm_ok=0; }
}
echo "bench: $R runs of dedupsim and of KSM 10000/0ms use_zero_pages=1, interleaved"
for r in $(seq "$R"); do
	build/tools/dedupsim --json --steady-scans 3 "${imgs[@]}" >"$B/dedup-ad.$r.json"
	jq -r --arg r "$r" '.scans[0].window as $w | "  run \($r): dedupsim first scan \($w.cpu_seconds) CPU-s (user \($w.user_seconds), sys \($w.sys_seconds); \($w.minor_faults) minor faults, \($w.voluntary_switches)+\($w.involuntary_switches) context switches)"' "$B/dedup-ad.$r.json"
	if [ $ksm_ok = 1 ]; then
		run_ksm "$B/ksm-fast-zero.$r.json" --pages-to-scan 10000 --sleep-ms 0 --use-zero-pages 1 --timeout 120
		[ $ksm_ok = 1 ] && jq -r --arg r "$r" '"  run \($r): ksmd to 99% \(.reach[2].cpu_seconds) CPU-s, a steady full scan \(.steady_cpu_seconds_per_scan)"' "$B/ksm-fast-zero.$r.json"
	fi
done
cp "$B/dedup-ad.1.json" "$B/dedup-ad.json"

# ---- 4. once each ----
echo "bench: dedupsim without A/D bits; the text report and plot"
build/tools/dedupsim --no-ad --json "${imgs[@]}" >"$B/dedup-noad.json"
build/tools/dedupsim --granularity --tier --plot "$B/savings.png" "${imgs[@]}" >"$B/dedupsim.txt"
cat "$B/dedupsim.txt"
if [ $ksm_ok = 1 ]; then
	echo "bench: KSM 10000/0ms use_zero_pages=0"
	run_ksm "$B/ksm-fast.json" --pages-to-scan 10000 --sleep-ms 0 --use-zero-pages 0 --timeout 120
fi
if [ $ksm_ok = 1 ] && [ "${BENCH_KSM_DEFAULT:-1}" != 0 ]; then
	echo "bench: KSM 100/20ms (its default rate)"
	run_ksm "$B/ksm-default.json" --pages-to-scan 100 --sleep-ms 20 --use-zero-pages 1 --timeout 400
fi
have_ksm() { [ -s "$1" ] && jq -e .available "$1" >/dev/null 2>&1; }

# ---- tables ----
oracle=$(jq .sharable "$B/dedup-ad.json")
pages=$(jq .pages_total "$B/dedup-ad.json")
echo
echo "Savings on ${#imgs[@]} Linux VM images ($pages pages); oracle: $oracle sharable pages"
printf '%-34s %9s %17s %9s\n' "" "of oracle" "scans 50/90/99%" "meta B/pg"
row_dedup() { # label file
	jq -r --arg l "$1" '. as $d | ($d.scans[-1]) as $f |
	  [$l, ($f.fraction_of_oracle*100), ($d.reach|map(.full_scans)|map(tostring)|join("/")),
	   ($f.metadata_bytes/$d.pages_total)] | @tsv' "$2" |
	awk -F'\t' '{printf "%-34s %8.3f%% %17s %9.2f\n", $1, $2, $3, $4}'
}
row_ksm() { # label file
	have_ksm "$2" || return 0
	jq -r --arg l "$1" --argjson o "$oracle" '. as $k |
	  [$l, ($k.saved/$o*100), ($k.reach|map(.full_scans)|map(tostring)|join("/")),
	   $k.metadata_bytes_per_page] | @tsv' "$2" |
	awk -F'\t' '{printf "%-34s %8.3f%% %17s %9.2f\n", $1, $2, $3, $4}'
}
row_dedup "dedupvisor, EPT A/D bits" "$B/dedup-ad.json"
row_dedup "dedupvisor, no A/D (KSM's rule)" "$B/dedup-noad.json"
row_ksm "KSM 10000/0ms use_zero_pages=1" "$B/ksm-fast-zero.1.json"
row_ksm "KSM 10000/0ms use_zero_pages=0" "$B/ksm-fast.json"
row_ksm "KSM 100/20ms (default) zero=1" "$B/ksm-default.json"

echo
if [ -n "$insn_first" ]; then
	echo "Instructions per scanned page (callgrind, the engine's calls with the host fake's ops; exact"
	echo "and repeatable): first full scan $insn_first, a full scan of converged memory $insn_steady"
else
	echo "Instructions per scanned page: not counted (see above)"
fi

# median [min-max] of a jq path over files
stat3() { # jq-path files...
	local p=$1; shift
	jq -s -r "[.[] | $p | select(. != null and . >= 0)] | sort |
	  if length == 0 then \"-\" else
	  (if length % 2 == 1 then .[length/2|floor] else (.[length/2-1] + .[length/2]) / 2 end) as \$m |
	  \"\(\$m) \(.[0]) \(.[-1]) \(length)\" end" "$@"
}
fmt3() { # "median min max n" -> "m [min-max]"
	awk -v s="$1" 'BEGIN{n=split(s,a," "); if (n<4) {print "-"; exit}
	  printf "%.4f [%.4f-%.4f]", a[1], a[2], a[3]}'
}
d_first=$(stat3 '.scans[0].window.cpu_seconds' "$B"/dedup-ad.*.json)
d_reach=$(stat3 '.reach[2].cpu_seconds' "$B"/dedup-ad.*.json)
d_steady=$(stat3 '([.steady[].cpu_seconds] | add / length)' "$B"/dedup-ad.*.json)
k_first="-" k_reach="-" k_steady="-"
kf=("$B"/ksm-fast-zero.*.json)
if have_ksm "${kf[0]}"; then
	k_first=$(stat3 '.first_scan_cpu_seconds' "${kf[@]}")
	k_reach=$(stat3 '.reach[2].cpu_seconds' "${kf[@]}")
	k_steady=$(stat3 '.steady_cpu_seconds_per_scan' "${kf[@]}")
fi
echo
echo "CPU-seconds, median [min-max] of $R runs, dedupvisor and ksmd interleaved:"
printf '%-32s %-26s %-26s %-26s\n' "" "first full scan" "to 99% of final savings" "a converged full scan"
printf '%-32s %-26s %-26s %-26s\n' "dedupvisor, EPT A/D bits" "$(fmt3 "$d_first")" "$(fmt3 "$d_reach")" "$(fmt3 "$d_steady")"
if [ "$k_reach" != "-" ]; then
	printf '%-32s %-26s %-26s %-26s\n' "KSM 10000/0ms use_zero_pages=1" "$(fmt3 "$k_first")" "$(fmt3 "$k_reach")" "$(fmt3 "$k_steady")"
	echo "(KSM's first full scan merges nothing: a page must look unchanged on two visits; its CPU"
	echo " is ksmd's, from /proc/PID/schedstat; a converged scan: the mean of 3 after the last change)"
	have_ksm "$B/ksm-fast.json" && jq -r '"Once: KSM 10000/0ms use_zero_pages=0: \(.reach[2].cpu_seconds) CPU-s to 99%, a converged scan \(.steady_cpu_seconds_per_scan)"' "$B/ksm-fast.json"
	have_ksm "$B/ksm-default.json" && jq -r '"Once: KSM 100/20ms (its default rate): \(.reach[2].cpu_seconds) CPU-s to 99%, after \(.reach[2].seconds) s of wall time"' "$B/ksm-default.json"
else
	echo "KSM: unavailable here; dedupvisor's figures only"
fi

echo
echo "Targets:"
frac=$(jq '.scans[-1].fraction_of_oracle*100' "$B/dedup-ad.json")
one=$(jq '.scans[0].fraction_of_oracle*100' "$B/dedup-ad.json")
meta=$(jq '.scans[-1].metadata_bytes/.pages_total' "$B/dedup-ad.json")
awk -v f="$frac" 'BEGIN{printf "  >= 99.5%% of the oracle at convergence:  %.3f%%  %s\n", f, (f>=99.5?"met":"MISSED")}'
awk -v f="$one" 'BEGIN{printf "  >= 99%% after one full scan:            %.3f%%  %s\n", f, (f>=99?"met":"MISSED")}'
awk -v f="$meta" 'BEGIN{printf "  <= 16 bytes of metadata per page:       %.2f  %s\n", f, (f<=16?"met":"MISSED")}'
if [ "$k_reach" != "-" ]; then
	awk -v a="${d_reach%% *}" -v b="${k_reach%% *}" 'BEGIN{r=b/a; printf "  CPU to 99%% of final savings, medians:   %.4f vs ksmd %.4f: %.1fx less  (a fifth: %s; a tenth: %s)\n", a, b, r, (r>=5?"met":"MISSED"), (r>=10?"met":"MISSED")}'
	awk -v a="${d_steady%% *}" -v b="${k_steady%% *}" 'BEGIN{r=b/a; printf "  a converged full scan, medians:         %.4f vs ksmd %.4f: %.0fx less  (a tenth: %s)\n", a, b, r, (r>=10?"met":"MISSED")}'
else
	echo "  ksmd comparison: KSM unavailable here"
fi
echo "(plot: $B/savings.png)"

echo
echo "The cold tier on the converged corpus (dedupsim --tier: every page treated as cold; the table above):"
if [ -s "$B/dedup-callgrind.json" ] && jq -e .tier "$B/dedup-callgrind.json" >/dev/null 2>&1; then
	jq -r '.tier | "  saved by sharing \(.shared_saved) pages (zero pages \(.zero_saved)), by compression \(.compressed - .pool_frames) more: \(.compressed) pages in \(.pool_frames) frames; \(.rejected) did not fit 2 KiB",
	  "  lz4 \(4096 * .fit / .fit_bytes * 100 | round / 100):1 on the pages that fit, \(4096 * .candidates / .lz4_bytes * 100 | round / 100):1 on all private pages; the pool \(.compressed / .pool_frames * 100 | round / 100):1",
	  "  frames in use \(.frames_shared) -> \(.frames_tiered) (\((100 - 100 * .frames_tiered / .frames_shared) * 10 | round / 10)% fewer)",
	  "  with zstd too (dedup.zstd_s): \(.zstd.compressed) pages compressed (\(.zstd.pages_zstd) in zstd: \(.zstd.direct) lz4 could not fit, \(.zstd.recompressed) remade smaller) in \(.zstd.pool_frames) frames; frames in use \(.frames_shared) -> \(.zstd.frames) (\((100 - 100 * .zstd.frames / .frames_shared) * 10 | round / 10)% fewer)",
	  "  zstd \(4096 * .zstd.fit / .zstd.fit_bytes * 100 | round / 100):1 on the pages it fits (\(.zstd.fit) of \(.candidates); lz4 \(.fit))"' \
		"$B/dedup-callgrind.json"
fi
[ -n "${insn_tier:-}" ] && echo "  instructions per page (callgrind): $insn_tier"

# ---- 6. sub-page patching ----
bash tools/mkcorpus.sh build/corpus-nokaslr nokaslr
echo
echo "Sub-page patching (docs/patching.md): savings by mechanism"
for c in corpus corpus-nokaslr; do
	case $c in corpus) what="KASLR on, as Debian ships" ;; *) what="booted with nokaslr" ;; esac
	echo "-- build/$c: four VMs, $what"
	build/tools/dedupsim --mechanisms --max-scans 2 build/$c/*.raw | sed -n '/^savings by mechanism/,$p' |
		tee "$B/mechanisms-$c.txt"
done
build/tools/patchbench --xdelta "${BENCH_XDELTA:-1000}" "${imgs[@]}" | tee "$B/patchbench.txt"
if command -v valgrind >/dev/null; then
	# One run, every instruction collected; each function's inclusive
	# count divided by its calls (patchbench prints them; in --cost-only
	# one greedy run: a key computation and a lookup per frame left).
	echo "bench: callgrind over patchbench --cost-only (a few minutes)"
	mkdir -p "$B/callgrind"
	valgrind --tool=callgrind --callgrind-out-file="$B/callgrind/patch.out" \
		build/tools/patchbench --cost-only "${imgs[@]}" >"$B/patch-cost.txt" 2>"$B/patch-cost.valgrind"
	callgrind_annotate --inclusive=yes --threshold=100 "$B/callgrind/patch.out" >"$B/patch-cost.annotate" 2>/dev/null
	# The first (largest) line naming the function: its callees in other
	# objects (libc's memcpy) included.
	ir() { sed -n "s/^ *\([0-9,]*\) ([ 0-9.]*%)  [^ ]*:$1\( .*\)\{0,1\}\$/\1/p" "$B/patch-cost.annotate" |
		head -n1 | tr -d ,; }
	n_e=$(sed -n 's/.*delta_encode \([0-9]*\), delta_decode \([0-9]*\).*/\1/p' "$B/patch-cost.txt")
	n_d=$(sed -n 's/.*delta_encode \([0-9]*\), delta_decode \([0-9]*\).*/\2/p' "$B/patch-cost.txt")
	n_f=$(sed -n 's/.*frames left \([0-9]*\).*/\1/p' "$B/patch-cost.txt")
	awk -v e="$(ir delta_encode)" -v ne="$n_e" -v d="$(ir delta_decode)" -v nd="$n_d" \
	    -v k="$(ir delta_sim_keys)" -v l="$(ir delta_sim_lookup_keys)" -v i="$(ir delta_sim_insert_keys)" \
	    -v nf="$n_f" 'BEGIN{
	  if (!ne || !nd || !nf || e == "" || d == "") { print "Instructions: callgrind gave no counts (see '"$B"'/patch-cost.*)"; exit }
	  printf "Instructions (callgrind): %.0f per delta_encode (%d calls: every attempt, fitting or not),", e/ne, ne
	  printf " %.0f per delta_decode (%d calls);\n", d/nd, nd
	  printf "  similarity keys, lookup and insert: %.0f per frame left (%d frames)\n", (k+l+i)/nf, nf}'
fi

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
