#!/usr/bin/env bash
# scripts/emu.sh - boot a dedupvisor ESP image in an emulator.
#
#   emu.sh run  EMU ESP                    stream the console until power-off (make run)
#   emu.sh boot EMU ESP OUTDIR SECS [CPUS] [MEGS]
#                                          bounded run for tests: console in
#                                          OUTDIR/console.txt, emulator log in OUTDIR/emu.log
# EMU: kvm   QEMU+KVM with nested VT-x (-cpu host,+vmx): the real thing
#      bochs Bochs 2.7, cpu corei7_skylake_x: emulated VT-x with EPT
#      qemu  QEMU TCG: fast, but no VT-x (the "VT-x missing" path)
#      auto  kvm when /dev/kvm exists and this CPU has vmx, else bochs
# A run ends when the console shows the power-off line or the loader's
# refusal, or after SECS seconds; the emulator is then killed.  The exit
# status of emulators means little here (Bochs exits 1 on power-off):
# callers judge from the console text.
set -u
mode=$1 emu=$2 esp=$3
out=${4:-build/run} secs=${5:-0} cpus=${6:-2} megs=${7:-256}
[ -f "$esp" ] || { echo "emu: $esp: no such image (run make first)" >&2; exit 2; }
if [ "$emu" = auto ]; then
	if [ -r /dev/kvm ] && grep -qw vmx /proc/cpuinfo; then emu=kvm; else emu=bochs; fi
	echo "emu: using $emu$( [ $emu = bochs ] && echo ' (no nested VT-x here; Bochs emulates VT-x with EPT)')"
fi
rm -rf "$out"; mkdir -p "$out"
out=$(cd "$out" && pwd)
con=$out/console.txt log=$out/emu.log
: >"$con"

case $emu in
qemu|kvm)
	cp /usr/share/OVMF/OVMF_VARS.fd "$out/vars.fd"
	accel="-machine pc,accel=tcg -cpu max"
	[ $emu = kvm ] && accel="-machine pc,accel=kvm -cpu host,+vmx"
	# shellcheck disable=SC2086
	set -- qemu-system-x86_64 $accel -smp "$cpus" -m "$megs" -display none -no-reboot \
		-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd \
		-drive if=pflash,format=raw,file="$out/vars.fd" \
		-drive file="$esp",format=raw,if=ide,snapshot=on \
		-serial file:"$con" -monitor none -net none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04
	;;
bochs)
	cp --sparse=always "$esp" "$out/esp.img"
	cat >"$out/bochsrc" <<EOR
megs: $megs
cpu: model=corei7_skylake_x, count=$cpus, ips=50000000, reset_on_triple_fault=0
romimage: file=/usr/share/ovmf/OVMF.fd
vgaromimage: file=/usr/share/vgabios/vgabios.bin
vga: extension=vbe
pci: enabled=1, chipset=i440fx
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=disk, path=$out/esp.img, mode=flat
boot: disk
display_library: rfb, options="timeout=0"
port_e9_hack: enabled=1
com1: enabled=1, mode=file, dev=$con
log: $log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
clock: sync=none, time0=local
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
EOR
	printf 'continue\nquit\n' >"$out/cont.txt"
	set -- bochs-bin -q -f "$out/bochsrc" -rc "$out/cont.txt"
	;;
*) echo "emu: unknown emulator '$emu' (kvm, bochs, qemu)" >&2; exit 2 ;;
esac

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# make run with QEMU: the serial console on this terminal, so that console
# commands (stats, vms, set ...) can be typed; Ctrl-A X quits.
if [ "$mode" = run ] && [ "$emu" != bochs ]; then
	args=() skip=0
	for a in "$@"; do
		if [ $skip = 1 ]; then skip=0; continue; fi
		case $a in
		file:*console.txt) args+=(mon:stdio) ;;
		-monitor) skip=1 ;; # the monitor shares stdio (mon:)
		*) args+=("$a") ;;
		esac
	done
	echo "emu: console on this terminal; type 'help' for commands, Ctrl-A X to quit"
	exec "${args[@]}"
fi
start=$(ms)
"$@" </dev/null >>"$log" 2>&1 &
pid=$!
[ "$mode" = run ] && { tail -n +1 -f "$con" --pid=$pid & }
# OVMF writes VT100 escapes to serial; strip them when matching.
done_re='power: off|loader: nothing was started'
banner=
while kill -0 $pid 2>/dev/null; do
	if [ -z "$banner" ] && grep -q 'hypervisor started' "$con"; then
		t=$(( $(ms) - start )); banner="$((t / 1000)).$(( (t % 1000) / 100 ))"
	fi
	if sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' "$con" | grep -qE "$done_re"; then
		sleep 0.5; break
	fi
	if [ "$secs" -gt 0 ] && [ $(( $(ms) - start )) -gt $(( secs * 1000 )) ]; then
		echo "emu: time limit of $secs s reached" >>"$log"; break
	fi
	sleep 0.1
done
t=$(( $(ms) - start ))
kill $pid 2>/dev/null; wait $pid 2>/dev/null
# Only now: Bochs writes its log through its own file offset while it runs.
if [ -n "$banner" ]; then
	echo "emu: hypervisor banner after $banner s" >>"$log"
elif grep -q 'hypervisor started' "$con"; then
	# Seen only at the end (it powered off between polls, or the emulator
	# wrote the console late): an upper bound.
	echo "emu: hypervisor banner after <= $((t / 1000)).$(( (t % 1000) / 100 )) s" >>"$log"
fi
echo "emu: $emu ran $((t / 1000)).$(( (t % 1000) / 100 )) s" >>"$log"
sed -i 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g' "$con"
[ "$mode" = run ] && sleep 0.3
exit 0
