#!/usr/bin/env bash
# scripts/linuxbench.sh - what a Linux VM costs under dedupvisor, measured
# under Bochs (make bench-linux).
#
# Boots one Linux VM (Debian's kernel, uncompressed, scripts/linux-guest.sh)
# twice, with the idle workload for R1 and then R2 rounds of 2 s (then once
# more, quiet, and twice without a local APIC: below), and reads the
# console as it comes, stamping each line with the wall clock:
#   - wall seconds from the hypervisor's banner to the guest's first kernel
#     line, to its init, and to its power-off;
#   - the hypervisor's summary of the VM: its lifetime, the time in the
#     guest and in the hypervisor for it, interrupts delivered, and TSC
#     ticks from an exit to the delivery of the interrupt it was for (under
#     Bochs the TSC counts emulated instructions);
#   - VM exits by reason per guest-second while Linux boots (run 1, up to
#     its power-off) and while it idles (run 2 minus run 1, over the
#     2*(R2-R1) s of extra idling);
#   - the same for the kernel alone, idle: run quiet (R1 rounds, then
#     linger=2*(R2-R1): one sleep, no process started nor line printed
#     meanwhile) minus run 1;
#   - the kernel's boot, from its start to /init, natively in Bochs and as
#     a dedupvisor guest: the guest's /proc/uptime when its init starts
#     (guests/linux/init prints it).  Natively the same kernel (the bzImage,
#     through its EFI stub, started by OVMF's shell from startup.nsh) and
#     initramfs, with pic-boot's command line (acpi=off: not OVMF's full
#     ACPI) plus tsc_early_khz=50000, against pic-boot: Bochs's
#     TSC counts instructions at its ips (50 M a second) while its CPUID
#     claims 3.5 GHz, which Linux would believe (/work/shared/ENVIRONMENT.md);
#     under dedupvisor the hypervisor reports the rate it measured.  Both
#     clocks are then the TSC at 50 MHz: seconds x 50 M are the emulated
#     instructions of the kernel's boot, the hypervisor's included.
#
# The command line (LINUXBENCH_CMDLINE overrides it) has noapic but not
# acpi=off: the VM gets a local APIC and the MADT (kernel/linux_smp.c), and
# Linux's timer is the APIC's one-shot.  For comparison the idle cost is
# also measured (runs pic-boot and pic-idle) with acpi=off noapic, the PC
# without a local APIC, whose timer is the PIT through the 8259
# (LINUXBENCH_PIC=0 skips them).
# Usage: linuxbench.sh [R1 [R2]]   (default 1 and 11)
set -euo pipefail
cd "$(dirname "$0")/.."
R1=${1:-1} R2=${2:-11}
B=build
OUT=$B/linuxbench
mkdir -p "$OUT"
BASE="console=ttyS0,115200 nokaslr mitigations=off tsc=reliable cryptomgr.notests"
CMDLINE="${LINUXBENCH_CMDLINE:-$BASE noapic}"
PIC_CMDLINE="$BASE acpi=off noapic"

run() { # name rounds [cmdline [words]] -> $OUT/name/{console.txt,stamps.txt}
	local n=$1 r=$2 d=$OUT/$1 cmdline=${3:-$CMDLINE} words=${4:-}
	mkdir -p "$d"
	cat >"$d/dedupvisor.cfg" <<CFG
cpus = 1
dedup.pages_to_scan = 1000
vm tux ram=192M kernel=vmlinux initrd=initrd.cpio.gz cmdline="$cmdline workload=idle rounds=$r$words"
CFG
	bash scripts/mkesp.sh "$d/esp.img" $B/BOOTX64.EFI $B/dedupvisor.elf "$d/dedupvisor.cfg" \
		$B/linux/vmlinux $B/linux/initrd.cpio.gz
	bash scripts/emu.sh boot bochs "$d/esp.img" "$d/run" 600 1 384 &
	local pid=$! seen=0
	: >"$d/stamps.txt"
	# Stamp each new console line with the wall clock as it appears.
	while kill -0 $pid 2>/dev/null; do
		local total
		total=$(wc -l <"$d/run/console.txt" 2>/dev/null || echo 0)
		if [ "$total" -gt "$seen" ]; then
			sed -n "$((seen + 1)),${total}p" "$d/run/console.txt" |
				while IFS= read -r l; do printf '%s %s\n' "$(date +%s.%N)" "$l"; done >>"$d/stamps.txt"
			seen=$total
		fi
		sleep 0.2
	done
	wait $pid || true
}

at() { # stamps pattern -> seconds since the banner
	awk -v re="$2" 'index($0, "hypervisor started") && !t0 { t0 = $1 }
		$0 ~ re && t0 { printf "%.1f", $1 - t0; exit }' "$1"
}

exits() { # console -> "reason count" lines, and the VM's lifetime in ms
	sed -n 's/^summary: exits by reason: //p' "$1" | tr ';' '\n' | head -n1 |
		awk '{ for (i = 1; i < NF; i += 2) print $i, $(i + 1) }'
}

life_ms() { sed -n 's/^summary: vm tux: Linux: lived \([0-9]*\) ms.*/\1/p' "$1"; }

# The same kernel and initramfs booted by the firmware, no hypervisor.
native() {
	local d=$OUT/native
	mkdir -p "$d"
	rm -f "$d/esp.img"
	dd if=/dev/zero of="$d/esp.img" bs=516096 count=256 2>/dev/null
	mformat -i "$d/esp.img" -F ::
	mcopy -i "$d/esp.img" $B/linux/vmlinuz ::/vmlinuz.efi
	mcopy -i "$d/esp.img" $B/linux/initrd.cpio.gz ::/initrd.img
	printf 'fs0:\r\nvmlinuz.efi initrd=\\initrd.img %s tsc_early_khz=50000 workload=idle rounds=1\r\n' \
		"$PIC_CMDLINE" >"$d/startup.nsh"
	mcopy -i "$d/esp.img" "$d/startup.nsh" ::/startup.nsh
	EMU_DONE='dedupvisor-linux: done' bash scripts/emu.sh boot bochs "$d/esp.img" "$d/run" 900 1 384 || true
}
uptime_at_init() { sed -n 's/.*dedupvisor-linux: init started (uptime \([0-9.]*\) s).*/\1/p' "$1" | head -n1; }

LINGER=$((2 * (R2 - R1)))
run boot "$R1"
run idle "$R2"
run quiet "$R1" "$CMDLINE" " linger=$LINGER"
if [ "${LINUXBENCH_PIC:-1}" != 0 ]; then
	run pic-boot "$R1" "$PIC_CMDLINE"
	run pic-idle "$R2" "$PIC_CMDLINE"
fi
native
for n in boot idle; do
	s=$OUT/$n/stamps.txt
	echo "== run $n (workload=idle rounds=$([ $n = boot ] && echo "$R1" || echo "$R2"))"
	printf 'wall s from the hypervisor banner: first kernel line %s, init %s, power-off %s\n' \
		"$(at "$s" '\[tux\] \[ *0\.0+\] Linux version')" "$(at "$s" 'dedupvisor-linux: init started')" \
		"$(at "$s" 'vm tux: stopped: powered off')"
	grep -E '^summary: vm tux: Linux:|tsc: Detected|clocksource: Switched|APIC: |Keep in PIC' \
		"$OUT/$n/run/console.txt" | sed 's/^/  /'
done
b=$OUT/boot/run/console.txt i=$OUT/idle/run/console.txt
lb=$(life_ms "$b") li=$(life_ms "$i")
echo "== VM exits per guest-second"
echo "  booting (run boot, ${lb} ms of guest life, mostly boot):"
exits "$b" | awk -v ms="$lb" '{ printf "    %-18s %8.1f/s\n", $1, $2 * 1000 / ms }'
idle_exits() { # boot-console idle-console -> exits per second of the difference
	join <(exits "$1" | sort) <(exits "$2" | sort) -a 2 -e 0 -o 0,1.2,2.2 |
		awk -v ms="$(( $(life_ms "$2") - $(life_ms "$1") ))" '{ printf "    %-18s %8.1f/s\n", $1, ($3 - $2) * 1000 / ms }'
}
echo "  idling (run idle minus run boot: $(( (li - lb) )) ms more, all idle):"
idle_exits "$b" "$i"
times() { sed -n 's/^summary: vm tux: Linux: .*in the guest \([0-9]*\) ms, in the hypervisor for it \([0-9]*\) ms.*/\1 \2/p' "$1"; }
cost() { # boot-console idle-console what -> the idle cost line
	local lb li
	lb=$(life_ms "$1") li=$(life_ms "$2")
	echo "$(times "$1") $(times "$2")" | awk -v ms="$((li - lb))" -v what="$3" '{ printf "== an idle Linux VM%s costs %.1f%% of a CPU (guest %.1f%%, hypervisor %.1f%%)\n", \
		what, (($3 - $1) + ($4 - $2)) * 100 / ms, ($3 - $1) * 100 / ms, ($4 - $2) * 100 / ms }'
}
echo "== command line: $CMDLINE"
cost "$b" "$i" ""
# The idle workload runs busybox's sleep (a fork and an exec) and prints a
# line every 2 s; run quiet minus run boot is the kernel alone, idle.
q=$OUT/quiet/run/console.txt
cost "$b" "$q" " with nothing running (run quiet minus run boot: one sleep of $LINGER s)"
echo "  its idle exits per guest-second:"
idle_exits "$b" "$q"
if [ "${LINUXBENCH_PIC:-1}" != 0 ]; then
	pb=$OUT/pic-boot/run/console.txt pi=$OUT/pic-idle/run/console.txt
	cost "$pb" "$pi" " without a local APIC ($PIC_CMDLINE: the PIT through the 8259)"
	echo "  its idle exits per guest-second:"
	idle_exits "$pb" "$pi"
fi
# Natively with acpi=off (OVMF's full ACPI would add its interpreter's
# work), so against the guest booted with the same line (pic-boot).
un=$(uptime_at_init "$OUT/native/run/console.txt")
ug=
[ "${LINUXBENCH_PIC:-1}" = 0 ] || ug=$(uptime_at_init "$OUT/pic-boot/run/console.txt")
if [ -n "$un" ] && [ -n "$ug" ]; then
	awk -v n="$un" -v g="$ug" 'BEGIN { printf "== the kernel from its start to /init: natively %.2f s (%.0f M instructions), as a dedupvisor guest %.2f s (%.0f M): %.2fx\n", n, n * 50, g, g * 50, g / n }'
else
	echo "== the kernel from its start to /init: not measured (native '${un}', guest '${ug}': see $OUT/native/run)"
fi
echo "== the kernel from its start to /init with this command line, as a dedupvisor guest: $(uptime_at_init "$b") s"
