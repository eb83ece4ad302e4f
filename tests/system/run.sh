#!/usr/bin/env bash
# tests/system/run.sh [CASE...] - system tests that boot the real image.
#
# Each case builds (or reuses) an ESP image, boots it in an emulator with a
# time limit (scripts/emu.sh), then checks that the console shows each
# expected line, in order.  A failing case prints its console and the tail
# of the emulator log.  Cases run two at a time (the machine has 2 cores).
# Output ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
B=build
OUT=$B/systest
ESP=$B/esp.img

# name | emulator | time limit (s) | cpus | megs | image | expected lines (regex; ';;' separated;
# each after the previous, except ~RE: anywhere, and !RE: nowhere)
CASES=(
"qemu-boot|qemu|60|2|256|$ESP|dedupvisor loader;;dedupvisor [0-9.]+: hypervisor started;;mem: [0-9]+ MiB usable RAM, [0-9]+ MiB free;;acpi: PM1a_CNT 0x[0-9a-f]+;;VT-x missing: \[CPUID.1:ECX.VMX\];;power: off \(VT-x missing\)"
"bochs-memtest|bochs|300|2|256|$ESP|dedupvisor [0-9.]+: hypervisor started;;mem: [0-9]+ MiB usable;;IA32_FEATURE_CONTROL was unlocked;;EPT accessed/dirty bits +present;;VMX-preemption timer +present;;all required VT-x features present;;VMXON done;;smp: 2 CPUs online;;dedup: engine ready;;~vm beta vcpu 0: on CPU 1;;~vm alpha: round 3 verified 3328 pages, 0 errors;;~vm beta: round 3 verified 3328 pages, 0 errors;;~vm gamma: round 3 verified 3328 pages, 0 errors;;~\\[gamma\\] memtest: done, memory intact;;~summary: vm alpha: halted; rounds 3, errors 0;;!MISMATCH;;!CORRUPTED;;!stopped: ;;dedup: after [0-9]+ more full scans: saved 8763 \\(self 6711, inter 2052\\); recount of identical pages: 8763 \\(self 6711, inter 2052\\): exact;;power: off \\(all VMs finished\\)"
"bochs-hostile|bochs|240|2|256|$OUT/img/hostile.img|loader: dedupvisor.cfg:8: VM refused: vcpus must be 1 to 64;;config: dedupvisor.cfg:8: VM refused: vcpus must be 1 to 64;;config: 7 VMs;;VMXON done;;~vm oob: stopped: read guest-physical 0x201000, outside its 2 MiB of RAM;;~vm vmxon: stopped: triple fault;;~\\[hcall\\] hostile: all bad hypercalls refused;;~vm hcall: stopped: powered off by the guest, exit code 0;;~vm rowrite: stopped: write to read-only guest memory at 0xfffff000;;~vm triple: stopped: triple fault;;~vm mt0: round 2 verified 1664 pages, 0 errors;;~vm mt1: round 2 verified 1664 pages, 0 errors;;~summary: vm mt1: halted; rounds 2, errors 0;;!MISMATCH;;!CORRUPTED;;!containment failed;;~recount of identical pages: .*: exact;;power: off \\(all VMs finished\\)"
"bochs-domains|bochs|240|2|256|$OUT/img/domains.img|VMXON done;;dedup: scanner on CPU 1, vCPUs on the others;;~vm d0a vcpu 0: on CPU 0;;~vm d1a vcpu 0: on CPU 0;;~vm d0a: round 2 verified 1664 pages, 0 errors;;~vm d1a: round 2 verified 1664 pages, 0 errors;;!MISMATCH;;!stopped: ;;dedup: after [0-9]+ more full scans: saved 3865 \\(self 3351, inter 514\\); recount of identical pages: 3865 \\(self 3351, inter 514\\): exact;;power: off"
"bochs-smp|bochs|300|2|256|$OUT/img/smp.img|smp: 2 CPUs online;;~vm duo vcpu 0: on CPU 0;;~vm duo vcpu 1: on CPU 1;;~vm duo vcpu 0: round 2 verified 832 pages, 0 errors;;~vm duo vcpu 1: round 2 verified 832 pages, 0 errors;;~vm solo1: round 2 verified 1664 pages, 0 errors;;~vm solo2: round 2 verified 1664 pages, 0 errors;;~vm solo3: round 2 verified 1664 pages, 0 errors;;!MISMATCH;;!CORRUPTED;;!stopped: ;;~summary: 2 CPUs; INVEPT shootdown IPIs [1-9][0-9]*;;dedup: after [0-9]+ more full scans: saved 30586 \\(self 29044, inter 1542\\); recount of identical pages: 30586 \\(self 29044, inter 1542\\): exact;;power: off"
"bochs-corrupt|bochs|240|1|128|$OUT/img/corrupt.img|VMXON done;;~vm bad: test: flipped one bit of the byte at guest-physical 0x1004d2;;~vm bad: MISMATCH at guest-physical 0x100000 offset 1232: expected [0-9a-f]{8} found [0-9a-f]{8};;~vm bad: round 2 verified 640 pages, 1 errors;;~\\[bad\\] memtest: done, memory CORRUPTED;;~vm good: round 2 verified 640 pages, 0 errors;;~\\[good\\] memtest: done, memory intact;;power: off"
"bochs-oom|bochs|240|1|96|$OUT/img/oom.img|VMXON done;;~vm small: round 2 verified 640 pages, 0 errors;;~\\[small\\] memtest: done, memory intact;;~vm hog: out of memory: waiting for free frames;;~vm hog: stopped: out of memory: no frame freed in a full scan;;!MISMATCH;;!CORRUPTED;;!PANIC;;~recount of identical pages: .*: exact;;power: off \\(all VMs finished\\)"
"bad-config|qemu|60|1|256|$OUT/img/bad-config.img|loader: dedupvisor.cfg:3: 'cpus' needs a number;;loader: nothing was started"
"missing-image|qemu|60|1|256|$OUT/img/missing-image.img|VM 'b' names image 'nope.bin';;loader: nope.bin: file not found;;loader: nothing was started"
"oversized-image|qemu|60|1|256|$OUT/img/oversized-image.img|loader: big.bin: file larger than its VM's RAM;;loader: nothing was started"
"truncated-elf|qemu|60|1|256|$OUT/img/truncated-elf.img|loader: dedupvisor.elf: .*truncated;;loader: nothing was started"
"wrong-arch-elf|qemu|60|1|256|$OUT/img/wrong-arch-elf.img|loader: dedupvisor.elf: not an x86-64 ELF;;loader: nothing was started"
"missing-elf|qemu|60|1|256|$OUT/img/missing-elf.img|loader: dedupvisor.elf: file not found;;loader: nothing was started"
)

# Bad-input images: each breaks one thing and keeps the rest valid.
make_images() {
	local d=$OUT/img t
	mkdir -p "$d"
	t=$(mktemp -d)
	head -c 8192 /dev/urandom >"$t/small.bin"
	head -c $((2 * 1048576 + 4096)) /dev/zero >"$t/big.bin"
	printf 'dedup.run = 1\nvm a ram=1M image=small.bin\ncpus = many\n' >"$t/bad.cfg"
	printf 'vm a ram=1M image=small.bin\nvm b ram=4M image=nope.bin\n' >"$t/missing.cfg"
	printf 'vm a ram=2M image=big.bin\n' >"$t/over.cfg"
	printf 'vm a ram=1M image=small.bin\n' >"$t/ok.cfg"
	head -c 3000 $B/dedupvisor.elf >"$t/trunc.elf"
	cp $B/dedupvisor.elf "$t/arm.elf"
	printf '\xb7\x00' | dd of="$t/arm.elf" bs=1 seek=18 conv=notrunc status=none
	bash scripts/mkesp.sh "$d/bad-config.img" $B/BOOTX64.EFI $B/dedupvisor.elf "$t/bad.cfg" "$t/small.bin"
	bash scripts/mkesp.sh "$d/missing-image.img" $B/BOOTX64.EFI $B/dedupvisor.elf "$t/missing.cfg" "$t/small.bin"
	bash scripts/mkesp.sh "$d/oversized-image.img" $B/BOOTX64.EFI $B/dedupvisor.elf "$t/over.cfg" "$t/big.bin"
	bash scripts/mkesp.sh "$d/truncated-elf.img" $B/BOOTX64.EFI "$t/trunc.elf" "$t/ok.cfg" "$t/small.bin"
	bash scripts/mkesp.sh "$d/wrong-arch-elf.img" $B/BOOTX64.EFI "$t/arm.elf" "$t/ok.cfg" "$t/small.bin"
	# No ELF at all: an image whose \dedupvisor\ lacks it.
	bash scripts/mkesp.sh "$d/missing-elf.img" $B/BOOTX64.EFI $B/dedupvisor.elf "$t/ok.cfg" "$t/small.bin"
	mdel -i "$d/missing-elf.img" ::/dedupvisor/dedupvisor.elf
	# Hostile guests beside memtest guests.
	{
		echo "vm mt0 ram=8M image=memtest.bin seed=1 rounds=2 inter=512 dup=256 zero=512 unique=256 ws=128"
		echo "vm mt1 ram=8M image=memtest.bin seed=2 rounds=2 inter=512 dup=256 zero=512 unique=256 ws=128"
		echo "vm oob ram=2M image=hostile.bin seed=1"
		echo "vm vmxon ram=2M image=hostile.bin seed=2"
		echo "vm hcall ram=2M image=hostile.bin seed=3"
		echo "vm rowrite ram=2M image=hostile.bin seed=4"
		echo "vm triple ram=2M image=hostile.bin seed=5"
		echo "vm greedy ram=2M vcpus=99 image=hostile.bin"
	} >"$t/hostile.cfg"
	bash scripts/mkesp.sh "$d/hostile.img" $B/BOOTX64.EFI $B/dedupvisor.elf "$t/hostile.cfg" \
		$B/guests/memtest.bin $B/guests/hostile.bin
	# Two sharing domains: d0a and d0b may share, d1a shares with nobody.
	# ...with the scanner on a CPU of its own.
	{
		echo "dedup.scanner = 1"
		for v in "d0a 0 1" "d0b 0 2" "d1a 1 3"; do
			set -- $v
			echo "vm $1 ram=8M image=memtest.bin domain=$2 seed=$3 rounds=2 inter=512 dup=256 zero=512 unique=256 ws=128"
		done
	} >"$t/domains.cfg"
	bash scripts/mkesp.sh "$d/domains.img" $B/BOOTX64.EFI $B/dedupvisor.elf "$t/domains.cfg" $B/guests/memtest.bin
	# Frame exhaustion: hog's unique pages need more frames than exist.
	{
		echo "dedup.pages_to_scan = 4000"
		echo "vm small ram=4M image=memtest.bin seed=7 rounds=2 inter=128 dup=128 zero=128 unique=128 ws=128"
		echo "vm hog ram=128M image=memtest.bin seed=8 rounds=1 unique=30000"
	} >"$t/oom.cfg"
	bash scripts/mkesp.sh "$d/oom.img" $B/BOOTX64.EFI $B/dedupvisor.elf "$t/oom.cfg" $B/guests/memtest.bin
	# Four memtest VMs of 32 MiB on 2 CPUs, one of them with 2 vCPUs.
	{
		echo "vm duo ram=32M vcpus=2 image=memtest.bin seed=1 rounds=2 inter=512 dup=256 zero=512 unique=256 ws=128"
		for i in 1 2 3; do
			echo "vm solo$i ram=32M image=memtest.bin seed=$((i + 1)) rounds=2 inter=512 dup=256 zero=512 unique=256 ws=128"
		done
	} >"$t/smp.cfg"
	bash scripts/mkesp.sh "$d/smp.img" $B/BOOTX64.EFI $B/dedupvisor.elf "$t/smp.cfg" $B/guests/memtest.bin
	# The integrity oracle catches one flipped byte (in an inter-VM shared page).
	{
		echo "vm good ram=4M image=memtest.bin seed=5 rounds=2 inter=128 dup=128 zero=128 unique=128 ws=128"
		echo "vm bad ram=4M image=memtest.bin seed=6 rounds=2 inter=128 dup=128 zero=128 unique=128 ws=128 corrupt=1"
	} >"$t/corrupt.cfg"
	bash scripts/mkesp.sh "$d/corrupt.img" $B/BOOTX64.EFI $B/dedupvisor.elf "$t/corrupt.cfg" $B/guests/memtest.bin
	rm -rf "$t"
}

run_case() {
	local IFS='|' name emu secs cpus megs img expect
	read -r name emu secs cpus megs img expect <<<"$1"
	local dir=$OUT/$name con
	bash scripts/emu.sh boot "$emu" "$img" "$dir" "$secs" "$cpus" "$megs"
	con=$dir/console.txt
	# Each expected line must appear after the previous one.
	local rest ok=1 re line=0 n
	rest=$(cat "$con")
	while [ -n "$expect" ]; do
		re=${expect%%;;*}
		[ "$expect" = "$re" ] && expect= || expect=${expect#*;;}
		case $re in
		"~"*) grep -qE -- "${re#\~}" "$con" || { echo "FAIL $name: console lacks /${re#\~}/"; ok=0; break; }
		      continue ;;
		"!"*) if grep -qE -- "${re#!}" "$con"; then
			echo "FAIL $name: console shows /${re#!}/: $(grep -E -m1 -- "${re#!}" "$con")"; ok=0; break
		      fi
		      continue ;;
		esac
		n=$(grep -nE -m1 -- "$re" <<<"$rest" | cut -d: -f1)
		if [ -z "$n" ]; then
			echo "FAIL $name: console lacks /$re/ (after line $line)"; ok=0; break
		fi
		line=$((line + n)); rest=$(tail -n +$((n + 1)) <<<"$rest")
	done
	if [ $ok = 1 ]; then
		echo "PASS $name ($(tail -n1 "$dir/emu.log" | sed 's/^emu: //'))"
	else
		echo "---- $name console ($con) ----"; cat "$con"
		echo "---- $name emulator log (tail) ----"; tail -n 25 "$dir/emu.log"
		echo "----"
		return 1
	fi
}

[ -f "$ESP" ] || { echo "system: $ESP missing: run make first" >&2; exit 2; }
mkdir -p "$OUT"
make_images >"$OUT/make_images.log" 2>&1 || { cat "$OUT/make_images.log"; exit 1; }
export -f run_case
export OUT
sel=("${CASES[@]}")
if [ $# -gt 0 ]; then
	sel=()
	for c in "${CASES[@]}"; do for w in "$@"; do [ "${c%%|*}" = "$w" ] && sel+=("$c"); done; done
fi
# Two at a time; Bochs cases first so the long ones overlap the short ones.
results=$(printf '%s\n' "${sel[@]}" | sort -t'|' -k2,2 | tr '\n' '\0' |
	xargs -0 -P 2 -I{} bash -c 'run_case "$1"' _ {})
echo "$results"
pass=$(grep -c '^PASS ' <<<"$results")
fail=$(grep -c '^FAIL ' <<<"$results")
echo "system: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -eq ${#sel[@]} ]
