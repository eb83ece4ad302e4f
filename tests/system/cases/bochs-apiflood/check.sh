#!/usr/bin/env bash
# check.sh URL OUTDIR - issue 23, finding 2, from outside, as a client
# without the token would: can pipelined requests stall the VMs?
#
# In order: the API's first answers (the config resets the network stack
# after the second: the VMs must not notice); 30 quiet seconds; 30 seconds
# of eight connections pipelining HEAD /metrics and HEAD /api/vms as fast
# as the server takes them (reconnecting when reset: one address holds 6
# of the 8 slots); then a plain GET /api/stats, timed (tried every half
# second: under the emulator's user network the host is one address, and
# a connection is refused while that address's six flood connections
# finish the answers they were sending).  Printed: each VM's memtest
# rounds verified in each phase (the console's "round N verified" lines)
# and the hypervisor lock's longest hold in each phase (/api/history's
# lock_us, a sample a second).  Asserted: both VMs verify rounds during
# the flood, at least a third of the quiet rate; the GET answers within
# 10 s of the flood's end; the flood's longest hold is at most twice the
# quiet phase's and 10 ms of emulated time (the quiet one is the scanner's
# step, tens of ms at this config's fixed rate; the flood must add nothing
# like it).  Then both VMs are stopped through the API and the run ends at
# the power-off.  Before the
# fix (each request walked every page of every VM under the lock, and one
# poll answered every pipelined request) the VMs verified 0 rounds during
# the flood and the GET was not answered a minute later.  Bochs wall time:
# the rounds are relative figures, which is why the bound is a ratio.
set -eu
url=$1 out=$2
token=bochs-apiflood-test-token
auth="Authorization: Bearer $token"
cfg=$(dirname "$0")/dedupvisor.cfg
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok   $*"; }
con() { sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g' "$out/console.txt"; }
rounds() { con | grep -c "^vm $1: round [0-9]* verified" || true; }
# now_s: the hypervisor's second (the history's newest sample).
now_s() {
	curl -fsS -m 30 "$url/api/history?seconds=1" 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["newest_s"])' 2>/dev/null || echo 0
}
# lock_max FROM TO: the lock's longest hold (us) in the history's seconds FROM < s <= TO.
lock_max() {
	curl -fsS -m 30 "$url/api/history" | python3 -c '
import json, sys
h, lo, hi = json.load(sys.stdin), int(sys.argv[1]), int(sys.argv[2])
t0 = h["newest_s"] - h["count"] + 1
print(max([v for i, v in enumerate(h["lock_us"]) if lo < t0 + i <= hi] or [0]) if "lock_us" in h else -1)' "$1" "$2"
}

for _ in $(seq 150); do
	curl -fsS -m 5 -o /dev/null "$url/api/stats" 2>/dev/null && break
	sleep 0.2
done
if grep -q '^test.lwip_assert' "$cfg"; then
	# The second answer was the last of that stack: wait for its reset,
	# then the API serves again.
	curl -fsS -m 10 -o /dev/null "$url/api/stats" 2>/dev/null || true
	for _ in $(seq 150); do
		con | grep -q '^net: lwIP reset (1 so far)' && break
		sleep 0.2
	done
	con | grep -q '^net: lwIP reset (1 so far)' || fail "no lwIP reset after the second answer"
	for _ in $(seq 100); do
		curl -fsS -m 5 -o /dev/null "$url/api/stats" 2>/dev/null && break
		sleep 0.2
	done
	curl -fsS -m 10 -o /dev/null "$url/api/stats" || fail "the API does not serve after the reset"
	ok "an lwIP assertion reset the network stack; the API serves again"
fi

# Quiet.
a0=$(rounds alpha) b0=$(rounds beta) s0=$(now_s)
sleep 30
a1=$(rounds alpha) b1=$(rounds beta) s1=$(now_s)
qa=$((a1 - a0)) qb=$((b1 - b0))
echo "     quiet 30 s: alpha verified $qa rounds, beta $qb"
[ $((qa + qb)) -ge 2 ] || fail "the VMs made no progress even while quiet ($qa, $qb): the check proves nothing"

# The flood: eight connections, each writing pipelined HEADs as fast as
# the socket takes them and reading what comes back.
python3 - "${url#http://}" "$out/flood.txt" <<'EOF'
import socket, struct, sys, threading, time
host, port = sys.argv[1].split(":")
port = int(port)
reqs = (b"HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n" + b"HEAD /api/vms HTTP/1.1\r\nHost: a\r\n\r\n") * 64
stop = threading.Event()
count = {"answers": 0, "resets": 0, "connects": 0}
lock = threading.Lock()
def flood():
    s = None
    while not stop.is_set():
        try:
            if s is None:
                s = socket.create_connection((host, port), timeout=5)
                s.setblocking(False)
                with lock:
                    count["connects"] += 1
            try:
                s.send(reqs)
            except BlockingIOError:
                pass
            try:
                d = s.recv(1 << 16)
                if not d:
                    raise ConnectionResetError
                with lock:
                    count["answers"] += d.count(b"HTTP/1.1 ")
            except BlockingIOError:
                time.sleep(0.01)
        except OSError:
            with lock:
                count["resets"] += 1
            s = None
            time.sleep(0.1)
    if s:
        # The flood stops: a reset, not a FIN after every request still in
        # this host's socket buffer (megabytes of them), which the server
        # would go on answering, as TCP asks, long after we stopped.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
ts = [threading.Thread(target=flood) for _ in range(8)]
[t.start() for t in ts]
time.sleep(30)
stop.set()
[t.join() for t in ts]
open(sys.argv[2], "w").write(f"{count['answers']} answers on {count['connects']} connections "
                             f"({count['resets']} reset or refused)\n")
EOF
a2=$(rounds alpha) b2=$(rounds beta)
t0=$(date +%s.%N) tries=0 end=$(($(date +%s) + 60))
until curl -fsS -m 10 -o "$out/stats-after.json" "$url/api/stats" 2>/dev/null; do
	tries=$((tries + 1))
	[ "$(date +%s)" -lt $end ] || fail "GET /api/stats after the flood: no answer in 60 s ($tries tries)"
	sleep 0.5
done
dt=$(python3 -c "print(f'{$(date +%s.%N) - $t0:.2f}')")
s2=$(now_s)
l1=$(lock_max "$s0" "$s1") l2=$(lock_max "$s1" "$s2")
fa=$((a2 - a1)) fb=$((b2 - b1))
echo "     flood 30 s: $(cat "$out/flood.txt"); alpha verified $fa rounds, beta $fb"
echo "     the lock's longest hold: quiet $l1 us, flood $l2 us (hypervisor seconds $s0-$s1, $s1-$s2)"
echo "     GET /api/stats after the flood: answered in $dt s ($tries refused first)"
[ "$fa" -ge 1 ] && [ "$fb" -ge 1 ] || fail "a VM verified no round during the flood (alpha $fa, beta $fb)"
[ $((3 * (fa + fb))) -ge $((qa + qb)) ] ||
	fail "the flood slowed the VMs more than threefold: $((fa + fb)) rounds against $((qa + qb)) quiet"
ok "the VMs kept verifying during the flood: $((fa + fb)) rounds against $((qa + qb)) in as long quiet"
python3 -c "import sys; sys.exit(not $dt <= 10)" || fail "the GET after the flood took $dt s"
ok "a plain GET after the flood answered in $dt s"
bound=$((2 * l1 + 10000))
[ "$l1" -ge 0 ] && [ "$l2" -le "$bound" ] ||
	fail "the flood's longest hold of the lock, $l2 us, exceeds twice the quiet one's and 10 ms, $bound us"
ok "the flood's longest hold of the lock is within twice the quiet one's and 10 ms: $l2 <= $bound us"

# The end: both VMs stopped through the API, then the power-off.
for vm in alpha beta; do
	[ "$(curl -sS -m 30 -o /dev/null -w '%{http_code}' -X POST -H "$auth" "$url/api/vms/$vm/stop")" = 202 ] ||
		fail "stop $vm"
done
for _ in $(seq 1500); do
	con | grep -q '^power: off' && break
	sleep 0.2
done
con | grep -q '^power: off' || fail "no power-off within 300 s of the stop"
ok "both VMs stopped through the API; powered off"
