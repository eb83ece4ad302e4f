#!/usr/bin/env bash
# scripts/fleetbench.sh - make bench-fleet: the papers' fleet experiments,
# repeated on dedupvisor under Bochs (issue 11).
#
# Each run boots Linux VMs one after another - one at boot, the others with
# start=late, so each joins at the next measurement point (control/points.c).
# The points are typed on the console (scripts/console_driver.py) when the
# newest VM has idled two rounds (4 s) after its boot; after the last
# point the VMs are stopped.  The figures the points print: frames backing
# the fleet, saved pages and their self/inter-VM split (Barker et al.), PSS
# per VM, what each added VM cost the converged fleet (Agarwal's thesis,
# ch. 6), full scans to converge, and each point checked against the exact
# recount.
# Runs (two at a time, as Bochs is single-threaded):
#   base    four VMs of Debian's 6.1 kernel, idle
#   free    the same with init_on_free=1: Linux zeroes what it frees, and
#           the zero-frame path takes those pages back
#   kernels 6.1, 6.12, 6.1, 6.12: how much inter-VM sharing drops when the
#           kernels differ (the thesis's section 6.7)
# and what an added idle VM costs with each way of saving memory (issues 20
# and 21), each point once the newest VM has idled POINT_ROUND rounds
# (default 90: 180 s, past dedup.cold_s = COLD_S, default 30, and the time
# the tier takes to compress or patch a VM's cold pages under Bochs):
#   share, tier, patch          nokaslr, the vmlinux entered at its PVH note:
#                               sharing only; with the cold tier (lz4, and
#                               zstd for pages idle dedup.zstd_s = ZSTD_S,
#                               default 90, or lz4 cannot fit; ZSTD_S=0:
#                               lz4 alone); with the tier and patches
#                               (dedup.patch)
#   kshare, ktier, kpatch       the same booted as Debian ships it: the
#                               bzImage (vmlinuz), which unpacks itself and
#                               places the kernel at random (KASLR on),
#                               ~50 s more a boot under Bochs
#   integ, integ-tier           what the tier costs a busy guest: the
#                               integrity workload (12 rounds over 8 MiB of
#                               files, each round rewriting a quarter and
#                               checking all) beside an idle VM, its time
#                               ("integrity time S s", the guest's clock)
#                               with sharing only, then with the tier and
#                               patches (dedup.cold_s = 10, dedup.zstd_s = 30)
# Results: build/fleetbench/RUN/run/console.txt and the table printed here
# (also build/fleetbench/summary.txt).  Usage: fleetbench.sh [RUN...];
# fleetbench.sh --report [RUN...] prints the table again from the consoles.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build
OUT=$B/fleetbench
NVMS=${FLEET_VMS:-4}
runs=("$@")
ALL_RUNS=(base free kernels share tier patch kshare ktier kpatch integ integ-tier)
[ ${#runs[@]} -gt 0 ] || runs=("${ALL_RUNS[@]}")
COLD_S=${COLD_S:-30}
ZSTD_S=${ZSTD_S:-90}
POINT_ROUND=${POINT_ROUND:-90}
K="console=ttyS0,115200 quiet nokaslr mitigations=off tsc=reliable cryptomgr.notests acpi=off noapic"

kaslr() { case $1 in k*) [ "$1" != kernels ] ;; *) false ;; esac; }
# The issue 20/21 runs use one emulated CPU: their guests idle most of the
# time, and Bochs skips a lone CPU's idle time (with two it does not:
# /work/shared/ENVIRONMENT.md), which keeps a run within its time limit on
# a loaded machine.
cpus_of() { case $1 in base | free | kernels) echo 2 ;; *) echo 1 ;; esac; }

config() { # run -> its dedupvisor.cfg on stdout
	local run=$1 extra="" i kern start k=$K
	[ "$run" = free ] && extra=" init_on_free=1"
	kaslr "$run" && k=${K/ nokaslr/}
	echo "cpus = $(cpus_of "$run")"
	case $run in
	integ-tier) echo "dedup.pool_max = 256M"; echo "dedup.cold_s = 10"; echo "dedup.zstd_s = 30"
		echo "dedup.patch = 1" ;;
	*tier | *patch) echo "dedup.pool_max = 256M"; echo "dedup.cold_s = $COLD_S"
		echo "dedup.zstd_s = $ZSTD_S" ;;
	esac
	case $run in *patch) echo "dedup.patch = 1" ;; esac
	case $run in integ*)
		echo "vm tux1 ram=128M kernel=vmlinux initrd=initrd.cpio.gz cmdline=\"$k workload=integrity rounds=12 mib=8 linger=600\""
		echo "vm tux2 ram=128M kernel=vmlinux initrd=initrd.cpio.gz cmdline=\"$k workload=idle rounds=100000\""
		return ;;
	esac
	for ((i = 1; i <= NVMS; i++)); do
		kern=vmlinux
		[ "$run" = kernels ] && [ $((i % 2)) = 0 ] && kern=vmlinux-6.12
		kaslr "$run" && kern=vmlinuz
		start=""
		[ $i -gt 1 ] && start=" start=late"
		echo "vm tux$i ram=128M kernel=$kern initrd=initrd.cpio.gz$start cmdline=\"$k$extra workload=idle rounds=100000\""
	done
}

script() { # the console steps: a point once the newest VM idles, then stop all
	local i round=2
	case $1 in integ*)
		echo '^\[tux1\] dedupvisor-linux: integrity time => measure'
		echo '^measure: point 1 done => stop tux1'
		echo '^vm tux1: stopped => stop tux2'
		return ;;
	esac
	case $1 in base | free | kernels) ;; *) round=$POINT_ROUND ;; esac
	for ((i = 1; i <= NVMS; i++)); do
		echo "^\\[tux$i\\] dedupvisor-linux: idle round $round\$ => measure"
	done
	echo "^measure: point $NVMS done => stop tux1"
	for ((i = 2; i <= NVMS; i++)); do
		echo "^vm tux$((i - 1)): stopped => stop tux$i"
	done
}

run_one() { # run
	local d=$OUT/$1
	rm -rf "$d"; mkdir -p "$d/files"
	config "$1" >"$d/dedupvisor.cfg"
	script "$1" >"$d/console"
	cp $B/linux/vmlinux $B/linux/initrd.cpio.gz "$d/files/"
	[ "$1" = kernels ] && cp $B/linux-6.12/vmlinux "$d/files/vmlinux-6.12"
	kaslr "$1" && cp $B/linux/vmlinuz "$d/files/"
	bash scripts/mkesp.sh "$d/esp.img" $B/BOOTX64.EFI $B/dedupvisor.elf "$d/dedupvisor.cfg" \
		"$d"/files/*
	rm -rf "$d/files"
	local t0=$SECONDS
	EMU_CONSOLE=$d/console bash scripts/emu.sh boot bochs "$d/esp.img" "$d/run" \
		"${FLEET_SECS:-2400}" "$(cpus_of "$1")" 896 >/dev/null || true
	echo "$((SECONDS - t0))" >"$d/wall_s"
}

report() { # run
	local d=$OUT/$1 con=$OUT/$1/run/console.txt
	echo "== $1 ($(cat "$d/wall_s") s of Bochs wall time; $con)"
	awk '
	/^measure: point [0-9]+ \(/ { p = $3 }
	/^measure: converged after/ { scans[p] = $4 }
	/^measure: fleet:/ {
		match($0, /[0-9]+ VMs, [0-9]+ pages on [0-9]+ frames/); split(substr($0, RSTART, RLENGTH), a, " ")
		vms[p] = a[1]; frames[p] = a[6]
		match($0, /saved [0-9]+ \(self [0-9]+, inter [0-9]+\)/); sv[p] = substr($0, RSTART, RLENGTH)
		match($0, /[0-9]+ zero-mapped/); z[p] = substr($0, RSTART, RLENGTH)
	}
	/^measure: recount of identical pages/ { ok[p] = $NF }
	/^measure: the engine at T:/ {
		match($0, /on [0-9]+ frames/); live[p] = substr($0, RSTART + 3, RLENGTH - 10)
		match($0, /[0-9-]+ pages still to merge/); tomerge[p] = substr($0, RSTART, RLENGTH)
	}
	/^measure: joined since: vm/ { sub(/^measure: joined since: /, ""); join[p] = $0 }
	/^measure: since point/ { if (match($0, /(grew|shrank) by [0-9]+ frames/)) grew[p] = substr($0, RSTART, RLENGTH) }
	/^measure: vm tux[0-9]+: domain/ {
		match($0, /PSS [0-9.]+ pages/); pss[p] = pss[p] " " $3 substr($0, RSTART + 3, RLENGTH - 9)
	}
	END {
		for (i = 1; i in vms; i++) {
			printf "point %d: %d VMs on %d frames (%.1f MiB), %s, %s; %s full scans to converge; recount %s\n",
			       i, vms[i], frames[i], frames[i] / 256, sv[i], z[i], scans[i], ok[i]
			printf "         PSS (pages):%s\n", pss[i]
			if (i in grew) printf "         since the last point the fleet %s; %s\n", grew[i], join[i]
			if (i in live) {
				printf "         the live engine at T (the tier and patches included): %d frames (%.1f MiB), %s", live[i], live[i] / 256, tomerge[i]
				if ((i - 1) in live) printf "; %+d frames since the last point", live[i] - live[i - 1]
				printf "\n"
			}
		}
	}' "$con"
	grep -E '^summary: (vm tux[0-9]+: Linux|scanner)' "$con" | sed 's/^/  /' || true
	grep -E '^dedup: (measure|converged): full_scans' "$con" | tail -n1 | sed 's/^/  /' || true
	# The tier's lines of the last point (compression ratio, patches,
	# faults while the guests ran, costs under Bochs).
	grep -E '^measure: (cold tier|patches|cost PSS|since point [0-9]+, )' "$con" | tail -n4 | sed 's/^/  /' || true
	grep -E '^dedup: measure: (patches|cold tier cost|zstd|zstd cost):' "$con" | tail -n4 | sed 's/^/  /' || true
	grep -E '^\[tux1\] dedupvisor-linux: integrity (total errors|time)' "$con" | sed 's/^/  /' || true
	# grep -c prints 0 and fails when nothing matches: under set -e that
	# ended the whole report after its first run's clean count.
	{ grep -cE 'Kernel panic|MISMATCH|SOME DAMAGED|DOES NOT ADD UP' "$con" || true; } |
		sed 's/^/  panics or mismatches: /'
}

# What an added VM cost, run by run: the fleet's growth from each point to
# the next (the newcomer's frames, and whatever the others did meanwhile),
# and the fleet at the last point - ideally at T (sharing alone), and as
# the live engine held it (with the tier and patches, where the run has
# them).
compare() {
	local r con
	echo "== what an added idle VM costs (the fleet's growth per point, frames; 1 MiB = 256)"
	for r in "$@"; do
		con=$OUT/$r/run/console.txt
		[ -f "$con" ] || continue
		awk -v run="$r" '
		function line(what, fr, n,   s, t, i, d) {
			s = ""; t = 0
			for (i = 2; i <= n; i++) { d = fr[i] - fr[i - 1]; s = s sprintf(" %d", d); t += d }
			printf "%-10s %-7s first VM %d frames (%.1f MiB); each added:%s; mean %.0f frames (%.1f MiB); %d VMs on %d frames (%.1f MiB)\n",
			       run, what, fr[1], fr[1] / 256, s, (n > 1 ? t / (n - 1) : 0), (n > 1 ? t / (n - 1) / 256 : 0), n, fr[n], fr[n] / 256
		}
		/^measure: fleet:/ { match($0, /on [0-9]+ frames/); n++; fr[n] = substr($0, RSTART + 3, RLENGTH - 10) }
		/^measure: the engine at T:/ { match($0, /on [0-9]+ frames/); m++; lv[m] = substr($0, RSTART + 3, RLENGTH - 10) }
		END {
			if (n < 1) { printf "%-10s no point\n", run; exit }
			line("ideal", fr, n)
			if (m == n) line("live", lv, m)
		}' "$con"
	done
}

if [ "${1:-}" = --report ]; then # the table again, from runs already made
	shift
	[ $# -gt 0 ] || set -- "${ALL_RUNS[@]}"
	for r in "$@"; do [ -d "$OUT/$r" ] && report "$r"; done
	compare "$@"
	exit 0
fi
[ -f $B/linux-6.12/vmlinux ] || { echo "fleetbench: no $B/linux-6.12/vmlinux (make linux-guest)" >&2; exit 1; }
mkdir -p "$OUT"
pids=()
for r in "${runs[@]}"; do
	case " ${ALL_RUNS[*]} " in *" $r "*) ;; *) echo "fleetbench: unknown run '$r'" >&2; exit 2 ;; esac
	run_one "$r" &
	pids+=($!)
	if [ ${#pids[@]} = 2 ]; then wait "${pids[0]}"; pids=("${pids[1]}"); fi
done
wait
{ for r in "${runs[@]}"; do report "$r"; done; compare "${runs[@]}"; } | tee "$OUT/summary.txt"
