#!/usr/bin/env bash
# scripts/emu.sh - boot a dedupvisor ESP image in an emulator.
#
#   emu.sh run  EMU ESP                    stream the console until power-off (make run)
#   emu.sh boot EMU ESP OUTDIR SECS [CPUS] [MEGS]
#                                          bounded run for tests: console in
#                                          OUTDIR/console.txt, emulator log in OUTDIR/emu.log
#   EMU_BOCHS_RC=FILE EMU_BOCHS_MAGIC=1    Bochs: its debugger runs FILE's commands
#                                          and stops at the magic breakpoint
#                                          (scripts/memdump.sh)
#   EMU_CONSOLE=SCRIPT emu.sh ...          also type on the console: COM1 goes
#                                          through scripts/console_driver.py,
#                                          which runs SCRIPT's steps (WHEN-REGEX
#                                          => COMMAND) and logs what it sent in
#                                          OUTDIR/driver.log
#   EMU_NET=user                           an e1000 NIC on the emulator's user
#                                          network (QEMU's, or Bochs's slirp
#                                          module: 10.0.2.0/24, router
#                                          10.0.2.2), the guest's port 80 (the
#                                          API) forwarded to 127.0.0.1:PORT, a
#                                          free port (EMU_API_PORT=N: that one),
#                                          written to OUTDIR/api.port
#   EMU_CHECK=SCRIPT EMU_CHECK_WHEN=ERE    boot mode, with EMU_NET: once a console
#                                          line matches ERE, runs `bash SCRIPT
#                                          http://127.0.0.1:PORT OUTDIR` (output
#                                          in OUTDIR/check.log, status in
#                                          OUTDIR/check.rc); the run ends when it
#                                          does (or at SECS, which bounds it too)
# EMU: kvm   QEMU+KVM with nested VT-x (-cpu host,+vmx): the real thing
#      bochs Bochs 2.7, cpu corei7_skylake_x: emulated VT-x with EPT
#      qemu  QEMU TCG: fast, but no VT-x (the "VT-x missing" path)
#      auto  kvm when /dev/kvm exists and this CPU has vmx, else bochs
# A run ends when the console shows the power-off line or the loader's
# refusal, or after SECS seconds; the emulator is then killed.  The exit
# status of emulators means little here (Bochs exits 1 on power-off):
# callers judge from the console text.
#
# COM1: without EMU_CONSOLE, Bochs and QEMU write it to console.txt
# themselves (nothing can be typed), except in run mode, where QEMU/KVM put
# it on this terminal (mon:stdio) and Bochs goes through the driver in its
# interactive mode (lines typed here are sent to COM1).  Through the driver,
# the emulator connects to a TCP port on 127.0.0.1 that the driver listens
# on (a free one, so runs side by side never collide), and the driver writes
# console.txt byte for byte as the emulator would.
#
# Without EMU_NET the machine has no NIC at all (-net none): the cases that
# do not ask for one boot as they always did.
set -u
here=$(cd "$(dirname "$0")" && pwd)
script=${EMU_CONSOLE:-}
[ -z "$script" ] || [ -f "$script" ] || { echo "emu: EMU_CONSOLE=$script: no such file" >&2; exit 2; }
net=${EMU_NET:-none} check=${EMU_CHECK:-} check_when=${EMU_CHECK_WHEN:-}
[[ $net =~ ^(none|user)$ ]] || { echo "emu: EMU_NET=$net: not none or user" >&2; exit 2; }
if [ -n "$check" ]; then
	[ -f "$check" ] || { echo "emu: EMU_CHECK=$check: no such file" >&2; exit 2; }
	[ "$net" = user ] && [ -n "$check_when" ] ||
		{ echo "emu: EMU_CHECK needs EMU_NET=user and EMU_CHECK_WHEN" >&2; exit 2; }
	check=$(cd "$(dirname "$check")" && pwd)/$(basename "$check")
fi
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

# The console driver, listening before the emulator starts.
drv_pid='' port=''
if [ -n "$script" ] || { [ "$mode" = run ] && [ "$emu" = bochs ]; }; then
	drv=(python3 "$here/console_driver.py" --port-file "$out/driver.port" --console "$con"
		--log "$out/driver.log")
	[ -n "$script" ] && drv+=(--script "$script")
	# A backstop only: the run's own limit (below) kills it first.
	[ "$secs" -gt 0 ] && drv+=(--timeout $((secs + 60)))
	if [ "$mode" = run ]; then
		"${drv[@]}" --interactive <&0 &
	else
		"${drv[@]}" </dev/null &
	fi
	drv_pid=$!
	for _ in $(seq 100); do
		[ -s "$out/driver.port" ] && break
		kill -0 $drv_pid 2>/dev/null || break
		sleep 0.1
	done
	port=$(cat "$out/driver.port" 2>/dev/null)
	if ! [[ $port =~ ^[0-9]+$ ]]; then
		echo "emu: the console driver did not start (see above)" >&2
		kill $drv_pid 2>/dev/null; wait $drv_pid 2>/dev/null
		exit 2
	fi
fi

# The API's port on this side of QEMU's user network.
api_port='' nic=(-net none)
if [ "$net" = user ]; then
	# make run: 8080 when it is free, so the dashboard's address is the
	# same each time; tests: any free port, so runs side by side never collide.
	api_port=${EMU_API_PORT:-$(python3 -c '
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", 8080 if sys.argv[1] == "run" else 0))
except OSError:
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' "$mode")}
	echo "$api_port" >"$out/api.port"
	# shellcheck disable=SC2054 # commas inside QEMU's options
	nic=(-netdev user,id=n0,hostfwd=tcp:127.0.0.1:"$api_port"-:80 -device e1000,netdev=n0)
	[ "$mode" = run ] && echo "emu: the API and its dashboard (net.ip in the config, port 80):" \
		"http://127.0.0.1:$api_port/"
fi

case $emu in
qemu|kvm)
	cp /usr/share/OVMF/OVMF_VARS.fd "$out/vars.fd"
	serial=(-serial file:"$con")
	# shellcheck disable=SC2054 # commas inside QEMU's option, not elements
	[ -n "$port" ] && serial=(-chardev socket,id=com1,host=127.0.0.1,port="$port" -serial chardev:com1)
	accel="-machine pc,accel=tcg -cpu max"
	[ $emu = kvm ] && accel="-machine pc,accel=kvm -cpu host,+vmx"
	# shellcheck disable=SC2086
	set -- qemu-system-x86_64 $accel -smp "$cpus" -m "$megs" -display none -no-reboot \
		-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd \
		-drive if=pflash,format=raw,file="$out/vars.fd" \
		-drive file="$esp",format=raw,if=ide,snapshot=on \
		"${serial[@]}" -monitor none "${nic[@]}" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04
	;;
bochs)
	cp --sparse=always "$esp" "$out/esp.img"
	com1="mode=file, dev=$con"
	[ -n "$port" ] && com1="mode=socket-client, dev=127.0.0.1:$port"
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
magic_break: enabled=${EMU_BOCHS_MAGIC:-0}
com1: enabled=1, $com1
log: $log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
clock: sync=none, time0=local
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
EOR
	# Bochs's e1000 on its slirp module, whose config file takes QEMU's
	# hostfwd syntax (the file must begin with its "# slirp config" line);
	# the guest address is slirp's first DHCP address, 10.0.2.15, as
	# QEMU's is (set net.ip = 10.0.2.15).
	if [ "$net" = user ]; then
		printf '# slirp config\nhostfwd = tcp:127.0.0.1:%s-10.0.2.15:80\n' "$api_port" >"$out/slirp.conf"
		echo "e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=slirp, script=$out/slirp.conf" \
			>>"$out/bochsrc"
	fi
	printf 'continue\nquit\n' >"$out/cont.txt"
	set -- bochs-bin -q -f "$out/bochsrc" -rc "${EMU_BOCHS_RC:-$out/cont.txt}"
	;;
*) echo "emu: unknown emulator '$emu' (kvm, bochs, qemu)" >&2; exit 2 ;;
esac

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# make run with QEMU: the serial console on this terminal, so that console
# commands (stats, vms, set ...) can be typed; Ctrl-A X quits.
if [ "$mode" = run ] && [ "$emu" != bochs ] && [ -z "$drv_pid" ]; then
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
[ "$mode" = run ] && echo "emu: console on this terminal (through the console driver):" \
	"type 'help' and Enter for commands; Ctrl-C quits"
# OVMF writes VT100 escapes to serial; strip them when matching.
# EMU_DONE: another line that ends the run (a guest booted without the
# hypervisor, which powers nothing off: scripts/linuxbench.sh).
done_re="power: off|loader: nothing was started${EMU_DONE:+|$EMU_DONE}"
banner= check_pid=
while kill -0 $pid 2>/dev/null; do
	if [ -z "$banner" ] && grep -q 'hypervisor started' "$con"; then
		t=$(( $(ms) - start )); banner="$((t / 1000)).$(( (t % 1000) / 100 ))"
	fi
	if sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' "$con" | grep -qE "$done_re"; then
		sleep 0.5; break
	fi
	# The host-side check: started once its console line shows, bounded
	# by what is left of the time limit; its end ends the run.
	if [ -n "$check" ] && [ -z "$check_pid" ] &&
	   sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' "$con" | grep -qE "$check_when"; then
		left=$(( secs > 0 ? secs - ($(ms) - start) / 1000 : 600 ))
		echo "emu: check $check started after $(( ($(ms) - start) / 1000 )) s" >>"$log"
		( timeout -k 2 $(( left > 1 ? left : 1 )) bash "$check" "http://127.0.0.1:$api_port" "$out" \
			>"$out/check.log" 2>&1 </dev/null; echo $? >"$out/check.rc" ) &
		check_pid=$!
	fi
	if [ -n "$check_pid" ] && ! kill -0 "$check_pid" 2>/dev/null; then
		echo "emu: check finished (status $(cat "$out/check.rc" 2>/dev/null))" >>"$log"; break
	fi
	if [ "$secs" -gt 0 ] && [ $(( $(ms) - start )) -gt $(( secs * 1000 )) ]; then
		echo "emu: time limit of $secs s reached" >>"$log"; break
	fi
	sleep 0.1
done
t=$(( $(ms) - start ))
kill $pid 2>/dev/null; wait $pid 2>/dev/null
# A check still running (the time limit came first) ends within its own
# timeout, or now: the emulator it talked to is gone.
if [ -n "$check_pid" ]; then
	wait "$check_pid" 2>/dev/null
elif [ -n "$check" ]; then
	echo "emu: the check never started: no console line matched /$check_when/" >"$out/check.log"
	echo 1 >"$out/check.rc"
fi
# The driver sees the connection close and ends; all it received is then in
# console.txt.
if [ -n "$drv_pid" ]; then
	for _ in $(seq 50); do kill -0 $drv_pid 2>/dev/null || break; sleep 0.1; done
	kill $drv_pid 2>/dev/null; wait $drv_pid 2>/dev/null
fi
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
