#!/usr/bin/env bash
# scripts/apilatency.sh [N] - how fast the API answers while guests compute
# (issue 24): a figure, not a test.
#
# Boots the hypervisor under Bochs (two emulated CPUs, its e1000 on slirp,
# port 80 forwarded; scripts/emu.sh) with two memtest VMs of 16 MiB that
# compute for the whole run, one on each CPU (alpha shares the boot CPU,
# which serves the network, with its vCPU).  Once both verify rounds:
# APILAT_QUIET seconds without requests (default 20), then N sequential
# GET /api/stats (default 1000), each on a connection of its own as curl
# makes them, then N on one keep-alive connection, then N/5 on a
# connection each, paced at 10 a second (a light load); printed: the
# requests a second and the latency's p50, p90, p99 and worst, in wall
# milliseconds and, scaled by the hypervisor's seconds (/api/history's
# newest_s) over the wall seconds of the run, in emulated ones (Bochs's TSC,
# ips=50000000: an estimate, to about a second over the run).  The VMs'
# rounds verified in each phase are printed too, a second: the API must not
# buy its speed from them.  Then the VMs are stopped through the API and
# the hypervisor's summary says how often the NIC's interrupt made a guest
# exit and how often the network was answered mid-slice.  APILAT_GUEST=linux:
# one CPU and one Linux VM (make linux-guest) running its integrity
# workload, which runs with interrupts enabled (memtest guests run with
# them disabled, and under Bochs 2.7 such guests do not exit for an
# interrupt: the quanta of arch/x86_64/vcpu.c bound the wait instead).
# Bochs wall time: the machine's other load moves it.
set -eu
cd "$(dirname "$0")/.."
n=${1:-${APILAT_N:-1000}} quiet=${APILAT_QUIET:-20} guest=${APILAT_GUEST:-memtest}
[[ $guest =~ ^(memtest|linux)$ ]] || { echo "apilatency: APILAT_GUEST=$guest: memtest or linux" >&2; exit 2; }
B=build out=$B/apilatency
cfg=$out/dedupvisor.cfg img=$out/esp.img
[ -f $B/dedupvisor.elf ] && [ -f $B/BOOTX64.EFI ] && [ -f $B/guests/memtest.bin ] ||
	{ echo "apilatency: build first (make)" >&2; exit 2; }
rm -rf "$out"; mkdir -p "$out"
cat >"$cfg" <<CFG
net.ip = 10.0.2.15
net.gw = 10.0.2.2
api.token = apilatency-bench-token
api.linger_s = 0
dedup.pages_to_scan = 1000
dedup.sleep_ms = 20
CFG
if [ "$guest" = linux ]; then
	# One CPU: the Linux VM and the network share it.  Linux runs its
	# workload with interrupts enabled: the NIC's interrupt makes it exit.
	[ -f $B/linux/vmlinux ] || { echo "apilatency: make linux-guest first" >&2; exit 2; }
	cpus=1 megs=384 when='integrity round 1 errors' count='tux=integrity round '
	echo "cpus = 1" >>"$cfg"
	echo 'vm tux ram=192M kernel=vmlinux initrd=initrd.cpio.gz cmdline="console=ttyS0,115200 nokaslr mitigations=off tsc=reliable cryptomgr.notests acpi=off noapic workload=integrity rounds=100000 mib=8"' >>"$cfg"
	files=($B/linux/vmlinux $B/linux/initrd.cpio.gz)
else
	cpus=2 megs=256 when='vm beta: round 2 verified' count='alpha=vm alpha: round ;beta=vm beta: round '
	for v in "alpha 1" "beta 2"; do
		set -- $v
		echo "vm $1 ram=16M image=memtest.bin seed=$2 rounds=5000 inter=1024 dup=512 zero=1024 unique=512 ws=256" >>"$cfg"
	done
	files=($B/guests/memtest.bin)
fi
bash scripts/mkesp.sh "$img" $B/BOOTX64.EFI $B/dedupvisor.elf "$cfg" "${files[@]}" >/dev/null
cat >"$out/client.sh" <<'CLIENT'
#!/usr/bin/env bash
# The client: run by scripts/emu.sh once alpha verified a round.
set -eu
url=$1 out=$2
python3 - "${url#http://}" "$out" "$APILAT_N" "$APILAT_QUIET" "$APILAT_COUNT" <<'PY'
import http.client, json, sys, time
host, port = sys.argv[1].split(":")
port, out, n, quiet = int(port), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
count = [c.split("=", 1) for c in sys.argv[5].split(";")]  # name=what its rounds print
def rounds():
    txt = open(f"{out}/console.txt", errors="replace").read()
    return [txt.count(what) for _, what in count]
def hv_seconds():
    c = http.client.HTTPConnection(host, port, timeout=60)
    c.request("GET", "/api/history?seconds=1")
    s = json.load(c.getresponse())["newest_s"]
    c.close()
    return s, time.time()
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]
for _ in range(100):  # the API is up
    try:
        hv_seconds()
        break
    except OSError:
        time.sleep(0.2)
s0, w0 = hv_seconds()
r0, t = rounds(), time.time()
time.sleep(quiet)
r1 = rounds()
res = [("quiet", time.time() - t, [b - a for a, b in zip(r0, r1)], None)]
for mode in ("a connection each", "keep-alive", "paced"):
    lat, c = [], None
    ra, t0 = rounds(), time.time()
    for i in range(n if mode != "paced" else n // 5):
        if mode == "paced":  # a connection each, 10 a second (a dashboard's load)
            time.sleep(max(0, t0 + i * 0.1 - time.time()))
        t = time.time()
        if c is None:
            c = http.client.HTTPConnection(host, port, timeout=60)
        c.request("GET", "/api/stats", headers={"Connection": "close"} if mode != "keep-alive" else {})
        r = c.getresponse()
        r.read()
        assert r.status == 200, r.status
        if mode != "keep-alive":
            c.close()
            c = None
        lat.append((time.time() - t) * 1000)
    if c:
        c.close()
    rb = rounds()
    res.append((mode, time.time() - t0, [b - a for a, b in zip(ra, rb)], lat))
s1, w1 = hv_seconds()
k = (s1 - s0) / (w1 - w0)  # emulated seconds per wall second, over the whole run
print(f"apilatency: Bochs's emulated time ran at {k:.2f} s a wall second ({s1 - s0} hypervisor s in "
      f"{w1 - w0:.1f} wall s; /api/history's seconds: +-1 s)")
for mode, wall, rs, lat in res:
    vms = ", ".join(f"{name} {r}" for (name, _), r in zip(count, rs)) + f" ({sum(rs) / wall:.2f} a second)"
    line = f"apilatency: {mode}: {wall:.1f} s, VM rounds verified: {vms}"
    if lat:
        line = f"apilatency: {len(lat)} sequential GET /api/stats, {mode}: {len(lat) / wall:.1f} requests/s (wall); " \
               f"VM rounds verified meanwhile: {vms}"
    print(line)
    if lat:
        print("apilatency:   latency ms, wall:          p50 %7.1f  p90 %7.1f  p99 %7.1f  max %7.1f" %
              (pct(lat, 50), pct(lat, 90), pct(lat, 99), max(lat)))
        print("apilatency:   latency ms, emulated (est): p50 %7.1f  p90 %7.1f  p99 %7.1f  max %7.1f" %
              (pct(lat, 50) * k, pct(lat, 90) * k, pct(lat, 99) * k, max(lat) * k))
    sys.stdout.flush()
# The end: the VMs stopped through the API, for the hypervisor's summary.
for name, _ in count:
    c = http.client.HTTPConnection(host, port, timeout=60)
    c.request("POST", f"/api/vms/{name}/stop", headers={"Authorization": "Bearer apilatency-bench-token"})
    c.getresponse().read()
    c.close()
t = time.time()
while time.time() - t < 300 and "power: off" not in open(f"{out}/console.txt", errors="replace").read():
    time.sleep(0.5)
PY
CLIENT
echo "apilatency: Bochs, $cpus CPUs, $([ $guest = linux ] && echo 'a Linux VM' || echo 'two memtest VMs') computing; ${quiet} s quiet, then $n requests each way"
APILAT_N=$n APILAT_QUIET=$quiet APILAT_COUNT=$count EMU_NET=user EMU_CHECK=$out/client.sh EMU_CHECK_WHEN=$when \
	bash scripts/emu.sh boot bochs "$img" "$out/run" 1200 $cpus $megs >"$out/emu.out" 2>&1 || true
if [ "$(cat "$out/run/check.rc" 2>/dev/null)" != 0 ]; then
	echo "apilatency: the client failed (status $(cat "$out/run/check.rc" 2>/dev/null || echo none)):" >&2
	cat "$out/run/check.log" >&2 2>/dev/null; tail -n 20 "$out/run/console.txt" >&2
	exit 1
fi
cat "$out/run/check.log"
sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g' "$out/run/console.txt" |
	grep -a '^nic: its interrupt\|^summary: nic:\|mid-slice\|^summary: net: [0-9]' || true
