#!/usr/bin/env bash
# scripts/samebench.sh - make bench-same: what the same-behaviour mode
# (dedup/same.c, docs/security.md) costs a Linux fleet under Bochs, against
# the normal mode (issue 22).
#
# One run per mode, the same fleet: three VMs of Debian's 6.1 kernel, 128
# MiB each, in one sharing domain (mode=same for the same run): tux1 runs
# the integrity workload (files written, rewritten and verified, 4 rounds
# of 4 MiB) and powers off - its life is the workload's time, boot
# included; tux2 and tux3 idle (workload=idle: a line every 2 s) for 180 s.
# The scanner is governed (a full scan every 10 s).  `stats` is typed on
# the console at tux2's idle rounds 40 and 70 (60 s of guest time apart,
# the fleet idle by then): the saving while running, and the faults the
# engine handled in between (same: copies on a read and on a write;
# normal: COW breaks and reuses), per second.  At round 72 a measurement
# point (`measure`: the vCPUs paused, the engine converged, its saving
# checked against the exact recount), and `stats` again at round 88: the
# faults since the point (in the same-behaviour mode a paused fleet is all
# idle, so the point fuses every page, and the VMs then fault back what
# they touch).
# Results: build/samebench/MODE/run/console.txt, and the table printed here
# (also build/samebench/summary.txt).  Usage: samebench.sh [MODE...];
# samebench.sh --report [MODE...] prints the table again.  The runs go one
# after the other (each is one Bochs, single-threaded).
set -euo pipefail
cd "$(dirname "$0")/.."
B=build
OUT=$B/samebench
modes=("$@")
K="console=ttyS0,115200 quiet nokaslr mitigations=off tsc=reliable cryptomgr.notests acpi=off noapic"

config() { # mode -> its dedupvisor.cfg on stdout
	local m="" i
	[ "$1" = same ] && m=" mode=same"
	echo "cpus = 1"
	echo "vm tux1 ram=128M kernel=vmlinux initrd=initrd.cpio.gz$m cmdline=\"$K workload=integrity rounds=4 mib=4\""
	for i in 2 3; do
		echo "vm tux$i ram=128M kernel=vmlinux initrd=initrd.cpio.gz$m cmdline=\"$K workload=idle rounds=90\""
	done
}

run_one() { # mode
	local d=$OUT/$1
	rm -rf "$d"; mkdir -p "$d/files"
	config "$1" >"$d/dedupvisor.cfg"
	printf '%s\n' '^\[tux2\] dedupvisor-linux: idle round 40$ => stats' \
		'^\[tux2\] dedupvisor-linux: idle round 70$ => stats' \
		'^\[tux2\] dedupvisor-linux: idle round 72$ => measure' \
		'^\[tux2\] dedupvisor-linux: idle round 88$ => stats' >"$d/console"
	cp $B/linux/vmlinux $B/linux/initrd.cpio.gz "$d/files/"
	bash scripts/mkesp.sh "$d/esp.img" $B/BOOTX64.EFI $B/dedupvisor.elf "$d/dedupvisor.cfg" "$d"/files/*
	rm -rf "$d/files"
	local t0=$SECONDS
	EMU_CONSOLE=$d/console bash scripts/emu.sh boot bochs "$d/esp.img" "$d/run" \
		"${SAME_SECS:-2400}" 1 512 >/dev/null || true
	echo "$((SECONDS - t0))" >"$d/wall_s"
}

report() { # mode
	local d=$OUT/$1 con=$OUT/$1/run/console.txt
	echo "== $1 ($(cat "$d/wall_s") s of Bochs wall time; $con)"
	sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g' "$con" | awk -v mode="$1" '
	/^vm tux[23]: stopped/ { done = 1 } # what follows ends the run: no typed stats
	/^dedup: stats: full_scans/ && !done {
		n++
		match($0, /saved [0-9]+ \(self [0-9]+, inter [0-9]+\)/); sv[n] = substr($0, RSTART, RLENGTH)
		match($0, /cow_breaks [0-9]+ reuses [0-9]+/); split(substr($0, RSTART, RLENGTH), c, " ")
		f[n] = c[2] + c[4]
	}
	/^dedup: stats: same-behaviour:/ && !done {
		match($0, /[0-9]+ copied on a read, [0-9]+ on a write/); split(substr($0, RSTART, RLENGTH), c, " ")
		rd[n] = c[1]; wr[n] = c[5]; f[n] += c[1] + c[5]
		match($0, /\([0-9]+ TSC ticks a copy\)/); tk[n] = substr($0, RSTART + 1, RLENGTH - 2)
		match($0, /[0-9]+ pages fused \([0-9]+ without/); split(substr($0, RSTART, RLENGTH), z, " ")
		fz[n] = z[1] " fused (" substr(z[4], 2) " without a twin)"
	}
	/^measure: converged after/ { sub(/^measure: /, ""); conv = $0 }
	/^measure: recount of identical pages/ { sub(/^measure: /, ""); rec = $0 }
	/^summary: vm tux1: Linux: lived/ { match($0, /lived [0-9]+ ms; in the guest [0-9]+ ms, in the hypervisor for it [0-9]+ ms/); life = substr($0, RSTART, RLENGTH) }
	function what(a, b) { return mode == "same" ? sprintf(" (%d copies on a read, %d on a write)", rd[b] - rd[a], wr[b] - wr[a]) : " (COW breaks and reuses)" }
	END {
		for (i = 1; i <= n; i++)
			printf "stats %d (tux2 idle round %d): %s%s\n", i, i == 1 ? 40 : i == 2 ? 70 : 88, sv[i],
			       mode == "same" ? "; " fz[i] ", " tk[i] : ""
		if (n >= 2)
			printf "faults handled from round 40 to 70 (60 s, the fleet idle): %d, %.2f a second%s\n",
			       f[2] - f[1], (f[2] - f[1]) / 60.0, what(1, 2)
		printf "measurement point at round 72: %s; %s\n", conv, rec
		if (n >= 3)
			printf "faults handled from round 70 to 88 (the point between): %d%s\n", f[3] - f[2], what(2, 3)
		printf "integrity VM (tux1): %s (boot and workload)\n", life
	}'
	grep -E '^summary: vm tux[0-9]+: (Linux|powered|halted|stopped)|^\[tux1\] dedupvisor-linux: integrity total' \
		<(sed 's/\r//g' "$con") | sed 's/^/  /' || true
	grep -cE 'Kernel panic|MISMATCH' "$con" | sed 's/^/  panics or mismatches: /' || true
}

if [ "${1:-}" = --report ]; then
	shift
	[ $# -gt 0 ] || set -- normal same
	for m in "$@"; do report "$m"; done
	exit 0
fi
[ ${#modes[@]} -gt 0 ] || modes=(normal same)
mkdir -p "$OUT"
for m in "${modes[@]}"; do
	case $m in normal|same) ;; *) echo "samebench: unknown mode '$m'" >&2; exit 2 ;; esac
	run_one "$m"
done
for m in "${modes[@]}"; do report "$m"; done | tee "$OUT/summary.txt"
