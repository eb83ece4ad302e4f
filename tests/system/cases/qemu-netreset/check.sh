#!/usr/bin/env bash
# check.sh URL OUTDIR - the network stack's recovery from an lwIP
# assertion (control/net.c), from the host.  The config injects one after
# the third answer: a keep-alive connection gets its three answers, then
# is lost with lwIP's state (a reset or an end); the console says the
# assertion, with its file and line, and the reset; new connections are
# served as before, the token routes too.  Before issue 23 the assertion
# powered the machine off.
set -eu
url=$1 out=$2
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok   $*"; }
con() { sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g' "$out/console.txt"; }

python3 - "${url#http://}" <<'PY' || fail "the connection before the reset"
import socket, sys, time
host, port = sys.argv[1].split(":")
for _ in range(100):
    try:
        s = socket.create_connection((host, int(port)), timeout=10)
        break
    except OSError:
        time.sleep(0.2)
def answer(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise EOFError(buf)
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(rest) < n:
        rest += s.recv(4096)
    return head
for i in range(3):
    s.sendall(b"GET /api/stats HTTP/1.1\r\nHost: a\r\n\r\n")
    assert answer(s).startswith(b"HTTP/1.1 200"), i
print("ok   three answers on one keep-alive connection")
time.sleep(2)
try:
    s.sendall(b"GET /api/stats HTTP/1.1\r\nHost: a\r\n\r\n")
    h = answer(s)
    sys.exit(f"the connection outlived lwIP's reset: {h[:40]!r}")
except (EOFError, ConnectionResetError, BrokenPipeError):
    print("ok   that connection was lost with lwIP's state")
PY
for _ in $(seq 50); do
	con | grep -q '^net: lwIP reset (1 so far)' && break
	sleep 0.2
done
con | grep -q '^lwip: assertion failed: pbuf_free: p->ref > 0 (.*pbuf.c:[0-9]*); 1 so far' ||
	fail "the console does not say the assertion with its file and line"
con | grep -q '^net: lwIP reset (1 so far)' || fail "the console does not say the reset"
ok "the console: $(con | grep '^lwip: assertion failed')"
for path in /api/stats /metrics /api/vms; do
	curl -fsS -m 10 -o /dev/null "$url$path" || fail "GET $path after the reset"
done
[ "$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer qemu-netreset-token' \
	-d '{}' "$url/api/knobs")" = 503 ] || fail "the token route after the reset: not 503 (no engine)"
ok "after the reset: /api/stats, /metrics, /api/vms served; the token route answers (503, no engine)"
curl -fsS -m 10 "$url/metrics" | grep -q '^dedupvisor_cow_breaks_total 0$' || fail "/metrics after the reset"
ok "the hypervisor runs on: no power-off"
