#!/usr/bin/env bash
# scripts/scancmp.sh - make bench-scan: the product's scanner against
# dedupsim's, in instructions per page, on the same memory (issue 24).
#
# make bench counts dedupsim's instructions under callgrind on a corpus;
# the hypervisor measures TSC ticks, which under Bochs ("clock: sync=none")
# are emulated instructions: the same measure, once both run over the same
# memory.  So:
#   1. a fleet (SCANCMP_VMS Linux VMs of SCANCMP_RAM, default 2 x 128M, one
#      CPU) boots under Bochs with the scanner off (dedup.run = 0), so that
#      only the guests touch memory; once they linger, the console's
#      `measure` takes measurement point 1, which dumps every VM's memory
#      (scripts/memdump.sh, dedup.dump_point = 1), and when it is done
#      `set run 1` starts the scanner over that memory, the guests idle;
#   2. the hypervisor prints the cost of its first two full scans
#      (kernel/sharing.c, "full scan N cost"): ticks per page, the pages
#      hashed and merged, and the ticks inside the machine's calls
#      (sharing_ops.c: EPT A/D test-and-clear, invalidate, lookup, map,
#      unmap, frame alloc and free), hashing at its measured cost a page;
#   3. dedupsim runs under callgrind over the dumped images, one dump per
#      full scan: the same split, from each function's inclusive count;
#   4. the table: both, per page visited, and their ratio.
# Two scans, because with A/D bits the product's first scan only hashes
# what the guests wrote since it was mapped (dirty), and merges what stayed
# clean in the second, while dedupsim's images have their bits clear and
# its first scan does both: scans 1+2 against 1+2 is the same work.
# SCANCMP_REUSE=1 keeps the last dump and console and only redoes 3-4.
# Needs Bochs and valgrind; the Bochs run takes ~5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/scancmp
L=build/linux
n=${SCANCMP_VMS:-2} ram=${SCANCMP_RAM:-128M}
mkdir -p "$B"
con=$B/dump/run/console.txt

if [ "${SCANCMP_REUSE:-0}" != 1 ] || [ ! -s "$con" ]; then
	{
		echo "# scripts/scancmp.sh: the scanner off until the memory is dumped"
		echo "cpus = 1"
		echo "dedup.run = 0"
		echo "dedup.measure_s = 86400"
		for i in $(seq "$n"); do
			case $((i % 2)) in
			1) w="workload=integrity rounds=1 mib=1" ;;
			*) w="workload=copies rounds=1" ;;
			esac
			echo "vm tux$i ram=$ram kernel=vmlinux initrd=initrd.cpio.gz cmdline=\"console=ttyS0,115200" \
				"quiet nokaslr mitigations=off tsc=reliable cryptomgr.notests acpi=off noapic $w" \
				"linger=900\""
		done
	} >"$B/scancmp.cfg"
	{
		echo "# scripts/scancmp.sh: point 1 once every VM lingers; then the scanner"
		for i in $(seq "$((n - 1))"); do echo '\[tux[0-9]+\] dedupvisor-linux: lingering => vms'; done
		echo '\[tux[0-9]+\] dedupvisor-linux: lingering => measure'
		echo '^measure: point 1 done => set run 1'
	} >"$B/console"
	EMU_CONSOLE=$B/console EMU_DONE='^dedup: full scan 2 cost' MEMDUMP_KSM=0 \
		DUMP_SECS=${SCANCMP_SECS:-900} \
		bash scripts/memdump.sh "$B/scancmp.cfg" "$B/dump" build/guests/*.bin \
		"$L/vmlinux" "$L/initrd.cpio.gz"
fi
for s in 1 2; do
	grep -q "^dedup: full scan $s cost:" "$con" ||
		{ echo "scancmp: the hypervisor reported no full scan $s (see $con)" >&2; exit 1; }
done
imgs=()
while read -r name; do imgs+=("$B/dump/$name.raw"); done < <(sed -nE 's/^dump: vm ([^:]+): .*/\1/p' "$con")

echo "scancmp: dedupsim under callgrind over the same images (two full scans)"
rm -rf "$B/callgrind"; mkdir -p "$B/callgrind"
valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
	--callgrind-out-file="$B/callgrind/cg.out" \
	build/tools/dedupsim --json --max-scans 2 "${imgs[@]}" >"$B/dedupsim.json" 2>"$B/callgrind/valgrind.txt"
for s in 1 2; do
	callgrind_annotate --inclusive=yes --threshold=100 "$B/callgrind/cg.out.$s" \
		>"$B/callgrind/annotate.$s" 2>/dev/null
done

# The hypervisor's figures for scan S, as "key value" lines: pages,
# hashed, merges, ticks, then each call's ticks (ad, inv, lookup, map,
# unmap, alloc, free) and hash (ticks a page hashed).
hv() {
	sed -n "s/^dedup: full scan $1 cost: //p" "$con" | head -n1 | awk '{
	  match($0, /^[0-9]+ pages visited, [0-9]+ hashed, [0-9]+ merges/)
	  split(substr($0, 1, RLENGTH), a, /[^0-9]+/); print "pages", a[1]; print "hashed", a[2]; print "merges", a[3]
	  match($0, /steps, [0-9]+ TSC ticks/); split(substr($0, RSTART, RLENGTH), b, " "); print "ticks", b[2]
	  n = split("A/D test-and-clear:ad invalidate:inv lookup:lookup map:map unmap:unmap frame alloc:alloc frame free:free", k, " ")
	  s = $0
	  sub(/^.*\(ticks\/calls\): */, "", s); sub(/;.*$/, "", s)
	  m = split(s, parts, /, */)
	  for (i = 1; i <= m; i++) { x = parts[i]; v = x; sub(/^.* /, "", v); sub(/ [0-9]+\/[0-9]+$/, "", x)
	    split(v, tc, "/"); key = x
	    if (x == "A/D test-and-clear") key = "ad"; else if (x == "invalidate") key = "inv"
	    else if (x == "frame alloc") key = "alloc"; else if (x == "frame free") key = "free"
	    print key, tc[1]; print key "_calls", tc[2] }
	  match($0, /hashing [0-9]+ a page/); split(substr($0, RSTART, RLENGTH), h, " "); print "hash", h[2]
	}'
}
# dedupsim's for scan S: the same keys, from callgrind (hash: page_hash's
# instructions a call; equal and zero too).
ds() {
	local a=$B/callgrind/annotate.$1 j
	j=$(jq -c ".scans[$(($1 - 1))] as \$s | (if $1 > 1 then .scans[$(($1 - 2))] else {pages_scanned: 0, pages_hashed: 0, merges: 0} end) as \$p |
	  [\$s.pages_scanned - \$p.pages_scanned, \$s.pages_hashed - \$p.pages_hashed, \$s.merges - \$p.merges]" "$B/dedupsim.json")
	awk -v j="$j" -v t="$(sed -n 's/^totals: //p' "$B/callgrind/cg.out.$1")" '
	  function fn(l) { l = $0; sub(/ \[.*$/, "", l); sub(/^.*:/, "", l); return l }
	  { gsub(/^ +/, ""); c = $1; gsub(/,/, "", c); f = fn(); if (!(f in ir)) ir[f] = c + 0 }
	  END { gsub(/[][]/, "", j); split(j, w, ",")
	    print "pages", w[1]; print "hashed", w[2]; print "merges", w[3]; print "ticks", t
	    split("ad:op_ad inv:op_invalidate lookup:op_lookup map:op_map unmap:op_unmap alloc:op_frame_alloc free:op_frame_free equal:page_equal zero:page_is_zero hashall:page_hash", k, " ")
	    for (i in k) { split(k[i], kv, ":"); print kv[1], ir[kv[2]] + 0 }
	  }' "$a"
}
get() { awk -v k="$2" '$1 == k {print $2}' <<<"$1"; }

declare -A H D
for s in 1 2; do
	h=$(hv $s) d=$(ds $s)
	for k in pages hashed merges ticks ad inv lookup map unmap alloc free; do
		H[$s.$k]=$(get "$h" $k) D[$s.$k]=$(get "$d" $k)
	done
	H[$s.hashall]=$(( $(get "$h" hash) * ${H[$s.hashed]} ))
	D[$s.hashall]=$(get "$d" hashall) D[$s.equal]=$(get "$d" equal) D[$s.zero]=$(get "$d" zero)
	H[$s.hash]=$(get "$h" hash)
done
for k in pages hashed merges ticks ad inv lookup map unmap alloc free hashall; do
	H[12.$k]=$(( ${H[1.$k]} + ${H[2.$k]} )) D[12.$k]=$(( ${D[1.$k]} + ${D[2.$k]} ))
done
hzero=$(sed -nE 's/^dedup: page hash .*a full compare of equal pages ([0-9]+) \(libc.s memcmp ([0-9]+)\), a zero check of a zero page ([0-9]+).*/\1 \2 \3/p' "$con")

# Per page visited (one decimal), and the ratio hypervisor / dedupsim.
row() { # label hv-ticks hv-pages ds-ticks ds-pages
	awk -v l="$1" -v a="$2" -v p="$3" -v b="$4" -v q="$5" 'BEGIN{
	  x = p ? a / p : 0; y = q ? b / q : 0
	  printf "  %-34s %12.1f %12.1f %8s\n", l, x, y, (y > 0 ? sprintf("%.2fx", x / y) : "-")}'
}
mem=$(awk -v p="${D[1.pages]}" 'BEGIN{printf "%d MiB", p * 4096 / 1048576}')
echo
echo "Scanner instructions per page on the same memory ($n Linux VMs, $mem, dumped at point 1):"
echo "the hypervisor under Bochs (TSC = emulated instructions) and dedupsim under callgrind"
for s in 1 2 12; do
	case $s in 1) t="full scan 1" ;; 2) t="full scan 2" ;; 12) t="full scans 1+2" ;; esac
	printf '%-36s %12s %12s %8s\n' "$t" hypervisor dedupsim ratio
	row "all" "${H[$s.ticks]}" "${H[$s.pages]}" "${D[$s.ticks]}" "${D[$s.pages]}"
	hops=0 dops=0
	for k in ad inv lookup map unmap alloc free; do
		hops=$((hops + H[$s.$k])) dops=$((dops + D[$s.$k]))
	done
	for k in ad inv lookup map unmap alloc free hashall; do
		case $k in ad) l="EPT A/D test-and-clear" ;; inv) l="invalidate (INVEPT)" ;; lookup) l="lookup (EPT walk)" ;;
		map) l="map (merges' remaps)" ;; unmap) l="unmap" ;; alloc) l="frame alloc" ;; free) l="frame free (pool)" ;;
		hashall) l="hashing (XXH3)" ;; esac
		row "$l" "${H[$s.$k]}" "${H[$s.pages]}" "${D[$s.$k]}" "${D[$s.pages]}"
	done
	row "the engine's own (the rest)" "$((H[$s.ticks] - hops - H[$s.hashall]))" "${H[$s.pages]}" \
		"$((D[$s.ticks] - dops - D[$s.hashall]))" "${D[$s.pages]}"
	printf '  %-34s %12s %12s\n' "pages visited, hashed, merges" \
		"${H[$s.pages]},${H[$s.hashed]},${H[$s.merges]}" "${D[$s.pages]},${D[$s.hashed]},${D[$s.merges]}"
done
read -r heq hmc hz <<<"${hzero:-0 0 0}"
echo "A page's functions (instructions a call): hash ${H[1.hash]} in the hypervisor (boot-time, 16 pages),"
echo "  full compare of equal pages $heq (newlib's memcmp $hmc), zero check of a zero page $hz; in dedupsim's first scan"
echo "  page_equal $(awk -v e="${D[1.equal]}" -v m="${D[1.merges]}" 'BEGIN{print (m ? int(e / m) : "-")}') per merge," \
	"page_is_zero in all ${D[1.zero]}, page_hash $(awk -v a="${D[1.hashall]}" -v h="${D[1.hashed]}" 'BEGIN{print (h ? int(a / h) : "-")}') a page hashed"
awk -v a="${H[12.ticks]}" -v p="${H[12.pages]}" -v b="${D[12.ticks]}" -v q="${D[12.pages]}" \
    -v c="${H[1.ticks]}" -v r="${H[1.pages]}" -v d="${D[1.ticks]}" -v s="${D[1.pages]}" 'BEGIN{
  x = a / p; y = b / q; printf "Scans 1+2, hypervisor vs dedupsim: %.0f vs %.0f instructions a page: %.2fx (target <= 1.5x: %s)\n", x, y, x / y, (x / y <= 1.5 ? "met" : "MISSED")
  printf "First full scan alone: %.0f vs %.0f: %.2fx\n", c / r, d / s, (c / r) / (d / s)}' |
	tee "$B/summary.txt"
