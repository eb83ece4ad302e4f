#!/usr/bin/env bash
# check.sh URL OUTDIR - the API while VMs run (Bochs: VT-x emulated, its
# e1000 on slirp), from the host.  tests/system/run.sh runs it once the
# console shows the first memtest round; the console driver types `stats`
# when the API changes a knob (the case's console file), so that the two
# can be compared at one quiet moment.
#
# In order: the token on POST /api/knobs (401 without, the knob set with
# it, and the console shows it; the console's `knobs` and /api/knobs agree
# on every knob, and a knob set on the console is what /api/knobs shows
# next: one knob table, issue 26); both VMs paused through the API, the
# engine left to converge on their still memory, then /api/stats against
# the console's `stats`; each VM's memory image over HTTP, through dedupsim,
# against /api/stats (saved, self, inter) and /api/vms (per VM: zero,
# self-sharing, private, shared, PSS, recounted here from the images);
# tools/dvctl (its dump equal to the image read before, byte for byte: the
# VM has not run since); /metrics through promtool; then the VMs resumed,
# a burst of bad and concurrent requests while they run, and the dashboard
# in headless Chromium (tests/system/dashboard_check.sh, its screenshot in
# OUTDIR).  The run ends when the console shows the power-off, after the
# API's linger: expect checks that every memtest round verified its memory
# with 0 errors and that the final recount was exact.  The rate lines are
# Bochs wall time: relative only.
set -eu
url=$1 out=$2
token=bochs-api-test-token
auth="Authorization: Bearer $token"
dedupsim=build/tools/dedupsim
hp=${url#http://}
dvctl() { python3 tools/dvctl "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok   $*"; }
get() { curl -fsS -m 20 "$@"; }
status() { curl -sS -m 20 -o "$out/last.body" -D "$out/last.head" -w '%{http_code}' "$@"; }
con() { sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g' "$out/console.txt"; }
[ -x "$dedupsim" ] || fail "$dedupsim not built (make all)"

for _ in $(seq 100); do
	curl -fsS -m 2 -o /dev/null "$url/api/stats" 2>/dev/null && break
	sleep 0.2
done
get "$url/api/vms" >"$out/vms0.json" || fail "GET /api/vms"
python3 - "$out/vms0.json" <<'EOF' || fail "/api/vms while running"
import json, sys
v = {r["name"]: r for r in json.load(open(sys.argv[1]))}
assert sorted(v) == ["alpha", "beta"], v
for r in v.values():
    assert r["state"] == "running" and r["ram_bytes"] == 16 << 20 and r["exits"] > 0, r
    assert set(r["pages"]) == {"private", "shared", "zero", "compressed", "patched", "self_sharing"}, r
    # no cold tier here (dedup.pool_max unset): nothing compressed or patched
    assert r["pages"]["compressed"] == 0 and r["compressed_bytes"] == 0, r
    assert r["pages"]["patched"] == 0 and r["patch_bytes"] == 0, r
EOF
ok "GET /api/vms: alpha and beta running, their pages accounted"

# Knobs: the token, and the console sees the change.
[ "$(status -X POST -d '{"pages_to_scan": 2000}' "$url/api/knobs")" = 401 ] ||
	fail "POST /api/knobs without the token: not 401"
[ "$(status -X POST -H "$auth" -d '{"pages_to_scan": 0}' "$url/api/knobs")" = 400 ] ||
	fail "pages_to_scan 0: not 400"
ok "POST /api/knobs: 401 without the token, 400 out of range ($(cat "$out/last.body"))"

# Pause both; the pause returns once their vCPUs are out of the guest.
for vm in alpha beta; do
	[ "$(status -X POST "$url/api/vms/$vm/pause")" = 401 ] || fail "pause $vm without the token: not 401"
	[ "$(status -X POST -H "$auth" "$url/api/vms/$vm/pause")" = 200 ] || fail "pause $vm: $(cat "$out/last.body")"
	grep -q '"paused":true' "$out/last.body" || fail "pause $vm: $(cat "$out/last.body")"
done
[ "$(status -X POST -H "$auth" "$url/api/vms/nosuch/pause")" = 404 ] || fail "pause nosuch: not 404"
get "$url/api/vms" >"$out/vms1.json"
python3 -c 'import json,sys; assert all(r["state"] == "paused" for r in json.load(open(sys.argv[1])))' \
	"$out/vms1.json" || fail "not paused: $(cat "$out/vms1.json")"
ok "POST /api/vms/NAME/pause: both paused (401 without the token, 404 for no such VM)"

# Converged: nothing volatile, and two more full scans without a change.
python3 - "$url" <<'EOF' || fail "the engine did not converge on paused VMs"
import json, sys, time, urllib.request
url = sys.argv[1]
last, since, t = None, None, time.time()
while time.time() - t < 120:
    s = json.load(urllib.request.urlopen(url + "/api/stats", timeout=20))
    key = (s["frames_saved"], s["self_sharing"], s["inter_sharing"], s["ksm_zero_pages"], s["pages_volatile"])
    if key != last:
        last, since = key, s["full_scans"]
    elif s["pages_volatile"] == 0 and s["full_scans"] >= since + 2:
        sys.exit(0)
    time.sleep(0.5)
sys.exit(1)
EOF
ok "the engine converged on the paused VMs"

# Now the knob: the console's `stats` follows it (console file).
nstats=$(con | grep -c '^dedup: stats:' || true)
[ "$(status -X POST -H "$auth" -d '{"pages_to_scan": 2000}' "$url/api/knobs")" = 200 ] ||
	fail "POST /api/knobs with the token: $(cat "$out/last.body")"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["pages_to_scan"]["value"] == 2000' \
	"$out/last.body" || fail "the knob's answer: $(cat "$out/last.body")"
for _ in $(seq 150); do
	[ "$(con | grep -c '^dedup: stats:' || true)" -gt "$nstats" ] && con | grep -q '^  pages_tracked' && break
	sleep 0.2
done
get "$url/api/stats" >"$out/stats.json"
con | grep -q '^api: set pages_to_scan 2000$' || fail "the console does not show the knob"
con | grep '^dedup: stats:' | tail -1 >"$out/console-stats.txt"
con | grep '^  pages_tracked' | tail -1 >>"$out/console-stats.txt"
python3 - "$out/stats.json" "$out/console-stats.txt" <<'EOF' || fail "/api/stats and the console's stats differ"
import json, re, sys
api = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
pairs = dict(re.findall(r"([a-z_]+) (-?\d+)", text))
m = re.search(r"saved (\d+) \(self (\d+), inter (\d+)\)", text)
pairs.update(frames_saved=m[1], self_sharing=m[2], inter_sharing=m[3], merge_races=pairs["races"],
             cow_reuses=pairs["reuses"], pages_volatile=pairs["volatile"], metadata_bytes=pairs["metadata"])
# Counters that a quiet engine no longer moves (scan counters still do).
same = ["pages_shared", "pages_sharing", "ksm_zero_pages", "frames_saved", "self_sharing",
        "inter_sharing", "cow_breaks", "cow_reuses", "pages_volatile", "merges", "merge_races",
        "pages_tracked", "pages_unshared", "hash_collisions", "cow_enomem", "metadata_bytes",
        "general_profit"]
bad = [(k, api[k], pairs[k]) for k in same if int(pairs[k]) != api[k]]
assert not bad, bad
assert int(pairs["full_scans"]) <= api["full_scans"], (pairs["full_scans"], api["full_scans"])
print(f"     {len(same)} counters equal: saved {api['frames_saved']} (self {api['self_sharing']}, "
      f"inter {api['inter_sharing']}), zero {api['ksm_zero_pages']}")
EOF
ok "POST /api/knobs set pages_to_scan 2000 (the console shows it); /api/stats agrees with the console's stats"

# The same knobs on both front-ends: the console's `knobs` (typed after the
# stats) against /api/knobs, knob by knob (value, range, in force); then the
# console's `set scan_target_s 15`, which the API must show in force, with
# pages_to_scan no longer in force (the governor sizes the steps again).
knobs_agree() { # $1: the console's knob lines; $2: /api/knobs
	python3 - "$1" "$2" <<'EOF'
import json, re, sys
api = json.load(open(sys.argv[2]))
con = {}
for l in open(sys.argv[1]):
    m = re.match(r"^  knob (\w+) +(\d+) \((\d+)\.\.(\d+)\)( not in force)?$", l.rstrip("\n"))
    assert m, l
    con[m[1]] = (int(m[2]), int(m[3]), int(m[4]), not m[5])
assert sorted(con) == sorted(api), (sorted(con), sorted(api))
for k, (v, lo, hi, force) in con.items():
    a = api[k]
    assert int(a["value"]) == v and a["in_force"] == force, (k, con[k], a)
    assert "min" not in a or (a["min"], a["max"]) == (lo, hi), (k, con[k], a)
print(f"     {len(con)} knobs equal on the console and in /api/knobs")
EOF
}
for _ in $(seq 150); do con | grep -q '^  knob pages_to_scan' && break; sleep 0.2; done
get "$url/api/knobs" >"$out/knobs1.json" || fail "GET /api/knobs"
con | grep '^  knob ' | tail -n "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$out/knobs1.json")" \
	>"$out/console-knobs.txt"
knobs_agree "$out/console-knobs.txt" "$out/knobs1.json" || fail "the console's knobs and /api/knobs differ"
python3 -c 'import json,sys; k=json.load(open(sys.argv[1])); assert k["pages_to_scan"]["in_force"] and not k["scan_target_s"]["in_force"], k' \
	"$out/knobs1.json" || fail "pages_to_scan set through the API is not in force: $(cat "$out/knobs1.json")"
# Read: the console may go on (its console file waits for this line).
[ "$(status -X POST -H "$auth" -d '{"sleep_ms": 20}' "$url/api/knobs")" = 200 ] || fail "POST sleep_ms 20"
for _ in $(seq 150); do con | grep -q '^console: set scan_target_s 15$' && break; sleep 0.2; done
get "$url/api/knobs" >"$out/knobs2.json" || fail "GET /api/knobs"
python3 - "$out/knobs2.json" <<'EOF' || fail "the console's set scan_target_s 15 is not what /api/knobs shows: $(cat "$out/knobs2.json")"
import json, sys
k = json.load(open(sys.argv[1]))
assert k["scan_target_s"]["value"] == 15 and k["scan_target_s"]["in_force"], k
assert k["pages_to_scan"]["value"] == 2000 and not k["pages_to_scan"]["in_force"], k
EOF
ok "the console's knobs equal /api/knobs (pages_to_scan 2000 in force after the API's set); the console's set scan_target_s 15 is in force in /api/knobs"

# The memory images, at this point (both paused: the images are of one moment).
[ "$(status "$url/api/vms/alpha/memory")" = 401 ] || fail "memory without the token: not 401"
[ "$(status -H "$auth" "$url/api/vms/nosuch/memory")" = 404 ] || fail "memory of nosuch: not 404"
curl -sS -m 20 -I -H "$auth" "$url/api/vms/alpha/memory" >"$out/memory.head" || fail "HEAD memory"
grep -qi '^Content-Length: 16777216' "$out/memory.head" || fail "HEAD memory: $(cat "$out/memory.head")"
# PSS is walked at most once a second (control/api_account.c): wait for a
# walk that began after this point, so that it counted the paused,
# converged memory.  Walks run one after the other, and a new one shows as
# a smaller age: the second such drop is of a walk that began after the
# first drop's walk ended, which was after this point.
python3 - "$url" "$out/vms2.json" <<'EOF' || fail "no PSS walk after the VMs were paused"
import json, sys, time, urllib.request
url, path = sys.argv[1:]
def age(vms):
    return max(r["pss_age_ms"] for r in vms) if all("pss_bytes" in r for r in vms) else None
get = lambda: json.load(urllib.request.urlopen(url + "/api/vms", timeout=20))
prev, drops, t = age(get()), 0, time.time()
while time.time() - t < 120:
    vms = get()
    a = age(vms)
    if a is not None and (prev is None or a < prev):
        drops += 1
        if drops == 2:
            json.dump(vms, open(path, "w"))
            sys.exit(0)
    prev = a
    time.sleep(0.2)
sys.exit(1)
EOF
for vm in alpha beta; do
	t0=$(date +%s.%N)
	curl -fsS -m 300 -H "$auth" -D "$out/$vm.head" -o "$out/$vm.raw" "$url/api/vms/$vm/memory" ||
		fail "GET /api/vms/$vm/memory"
	t1=$(date +%s.%N)
	grep -qi '^Content-Type: application/octet-stream' "$out/$vm.head" || fail "$vm image: Content-Type"
	[ "$(stat -c %s "$out/$vm.raw")" = 16777216 ] || fail "$vm image: $(stat -c %s "$out/$vm.raw") bytes"
	echo "rate memory $vm: 16 MiB in $(python3 -c "print(f'{$t1 - $t0:.1f}')") s"
done
get "$url/api/stats" >"$out/stats2.json"
"$dedupsim" --json "$out/alpha.raw" "$out/beta.raw" >"$out/dedupsim.json" 2>"$out/dedupsim.err" ||
	fail "dedupsim: $(cat "$out/dedupsim.err")"
python3 - "$out" <<'EOF' || fail "the images' recount differs from the hypervisor's figures"
import collections, hashlib, json, sys
out = sys.argv[1]
api = json.load(open(f"{out}/stats2.json"))
vms = {r["name"]: r for r in json.load(open(f"{out}/vms2.json"))}
sim = json.load(open(f"{out}/dedupsim.json"))
# The fleet: dedupsim's oracle against the engine.
for k_api, k_sim in (("frames_saved", "sharable"), ("self_sharing", "self_sharing"),
                     ("inter_sharing", "inter_sharing"), ("ksm_zero_pages", "pages_zero")):
    assert api[k_api] == sim[k_sim], (k_api, api[k_api], sim[k_sim])
# Per VM: zero pages and self-sharing (dedupsim), private, shared and PSS
# (recounted here: a page whose content is found n times in the fleet adds
# 2^20 / n, floored, to its VM's PSS in 2^20-ths of a page; once alone, it is private).
ONE, PAGE = 1 << 20, 4096
pages = {n: [hashlib.blake2b(p, digest_size=16).digest() for p in
             (lambda b: [b[i:i + PAGE] for i in range(0, len(b), PAGE)])(open(f"{out}/{n}.raw", "rb").read())]
         for n in ("alpha", "beta")}
count = collections.Counter(h for hs in pages.values() for h in hs)
zero = hashlib.blake2b(bytes(PAGE), digest_size=16).digest()
for v in sim["vms"]:
    n = v["name"].rsplit("/", 1)[-1].removesuffix(".raw")
    r = vms[n]
    assert r["pages"]["zero"] == v["zero"], (n, r["pages"], v)
    assert r["pages"]["self_sharing"] == v["self_sharing"], (n, r["pages"], v)
    private = sum(1 for h in pages[n] if h != zero and count[h] == 1)
    pss = sum(ONE // count[h] for h in pages[n])
    pss_bytes = pss // ONE * PAGE + pss % ONE * PAGE // ONE
    assert r["pages"]["private"] == private, (n, r["pages"]["private"], private)
    assert r["pages"]["shared"] == len(pages[n]) - private - v["zero"], (n, r["pages"])
    assert r["pss_bytes"] == pss_bytes, (n, r["pss_bytes"], pss_bytes)
    print(f"     {n}: zero {v['zero']}, self-sharing {v['self_sharing']}, private {private}, PSS {pss_bytes} bytes")
print(f"     fleet: saved {sim['sharable']} (self {sim['self_sharing']}, inter {sim['inter_sharing']})")
EOF
ok "GET /api/vms/NAME/memory: both images (16 MiB each); dedupsim and a recount of them equal /api/stats and /api/vms"

# tools/dvctl against the paused VMs: its dump is byte for byte the image
# read above (the VM has not run since), and its tables show the pause.
dvctl "$hp" vms >"$out/dvctl.vms" || fail "dvctl vms"
[ "$(grep -c ' paused ' "$out/dvctl.vms")" = 2 ] || fail "dvctl vms: $(cat "$out/dvctl.vms")"
rc=0; DVCTL_TOKEN='' dvctl "$hp" dump alpha "$out/alpha.dvctl.raw" 2>"$out/dvctl.err" || rc=$?
[ $rc = 1 ] && [ ! -e "$out/alpha.dvctl.raw" ] || fail "dvctl dump without the token: exit $rc"
DVCTL_TOKEN=$token dvctl "$hp" dump alpha "$out/alpha.dvctl.raw" >"$out/dvctl.dump" 2>&1 ||
	fail "dvctl dump alpha: $(cat "$out/dvctl.dump")"
cmp -s "$out/alpha.raw" "$out/alpha.dvctl.raw" || fail "dvctl's image of alpha differs from curl's"
ok "dvctl vms shows both paused; dvctl dump alpha equals the image read before, byte for byte"

# /metrics, by Prometheus's own checker.
get -D "$out/metrics.head" "$url/metrics" >"$out/metrics.txt" || fail "GET /metrics"
promtool check metrics <"$out/metrics.txt" >"$out/promtool.log" 2>&1 || fail "promtool: $(cat "$out/promtool.log")"
grep -q '^dedupvisor_vm_pss_bytes{vm="alpha"}' "$out/metrics.txt" || fail "/metrics: no per-VM PSS"
ok "GET /metrics: promtool check metrics passes, with per-VM series"

# Resume; then a burst of bad and concurrent requests while they run.
[ "$(status -X POST -H "$auth" "$url/api/vms/alpha/resume")" = 200 ] || fail "resume alpha"
grep -q '"paused":false' "$out/last.body" || fail "resume alpha: $(cat "$out/last.body")"
DVCTL_TOKEN=$token dvctl "$hp" resume beta >"$out/dvctl.resume" 2>&1 ||
	fail "dvctl resume beta: $(cat "$out/dvctl.resume")"
get "$url/api/vms" >"$out/vms3.json"
python3 -c 'import json,sys; assert all(r["state"] != "paused" for r in json.load(open(sys.argv[1])))' \
	"$out/vms3.json" || fail "still paused: $(cat "$out/vms3.json")"
ok "POST /api/vms/NAME/resume (curl, then dvctl): both run again"

python3 - "${url#http://}" <<'EOF' || fail "the burst"
import socket, sys, threading, time
host, port = sys.argv[1].split(":")
port = int(port)
# Each bad one in turn with a good one; the last never ends (the idle
# timeout closes it: 10 s of emulated time, more of Bochs's wall time).
bad = [b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", b"GET /api/stats HTTP/1.1\r\nHost: " + b"x" * 8000 + b"\r\n\r\n",
       b"POST /api/knobs HTTP/1.1\r\nHost: a\r\nContent-Length: 99999\r\n\r\n", b"\x00\xff" * 100 + b"\r\n\r\n",
       b"GET /api/vms/alpha/memory HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x\r\n\r\n",
       b"POST /api/vms/alpha/stop HTTP/1.1\r\nHost: a\r\n\r\n", b"GET /metrics HTTP/1.1\r\nHost: a\r\n"]
res = []
def one(i):
    try:
        s = socket.create_connection((host, port), timeout=120)
        s.sendall(bad[i // 2 % len(bad)] if i % 2 else
                  b"GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        d = b""
        while True:
            x = s.recv(65536)
            if not x:
                break
            d += x
        res.append(d[:12].decode("latin-1") or "closed")
        s.close()
    except (ConnectionResetError, BrokenPipeError):
        res.append("reset")
    except socket.timeout:
        res.append("timeout")
t = time.time()
ts = [threading.Thread(target=one, args=(i,)) for i in range(2 * len(bad))]
[x.start() for x in ts]
[x.join() for x in ts]
assert "timeout" not in res, res
assert sum(r.startswith("HTTP/1.1 200") for r in res) >= 4, res
assert sum(r.startswith("HTTP/1.1 4") for r in res) >= 4, res
assert not any(r.startswith("HTTP/1.1 202") for r in res), res  # no stop without the token
print(f"     {len(res)} requests in {time.time() - t:.1f} s: " +
      ", ".join(f"{r.strip()} x{res.count(r)}" for r in sorted(set(res))))
EOF
get "$url/api/vms" >"$out/vms4.json"
python3 -c 'import json,sys; assert any(r["state"] == "running" for r in json.load(open(sys.argv[1])))' \
	"$out/vms4.json" || fail "the VMs had finished before the burst ended: it proves nothing"
ok "a burst of 14 bad and good requests while the VMs run: each answered or closed, none hung"

# The dashboard in headless Chromium while the VMs run: two VM rows.
bash tests/system/dashboard_check.sh "$url" "$out" 2 || fail "the dashboard (above)"
# Rates (Bochs wall time, relative): keep-alive GETs on one connection.
python3 - "${url#http://}" <<'EOF'
import http.client, sys, time
host, port = sys.argv[1].split(":")
for path in ("/api/stats", "/metrics"):
    c = http.client.HTTPConnection(host, int(port), timeout=20)
    n, t = 0, time.time()
    while time.time() - t < 3:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        assert r.status == 200
        n += 1
    print(f"rate {path}: {n / (time.time() - t):.0f} requests/s (keep-alive, Bochs wall time)")
    c.close()
EOF

# The run ends at the power-off, after the VMs' last rounds.
for _ in $(seq 1500); do
	con | grep -q '^power: off' && break
	sleep 0.2
done
con | grep -q '^power: off' || fail "no power-off within 300 s of the checks"
ok "the VMs ran to their end"
