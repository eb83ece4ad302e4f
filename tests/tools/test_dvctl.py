#!/usr/bin/env python3
"""tests/tools/test_dvctl.py - tools/dvctl against a fake API server (a
thread here), no hypervisor needed: tables and --json, the token sent only
from DVCTL_TOKEN and only on the routes that need it, the server's error
status and reason printed with exit 1, a refused connection exit 3, usage
errors exit 2, watch's COUNT, and dump streaming a body longer than any
buffer to FILE, checked against Content-Length (a short stream fails and
leaves no FILE).  The real server is exercised by
tests/system/cases/qemu-api/check.sh.  Exits 1 on the first failure.
"""
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

DVCTL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/dvctl")
TOKEN = "t0ken"
MEMORY = bytes((i * 7 + (i >> 12)) & 255 for i in range(3 * 65536 + 123))
STATS = {"pages_shared": 3, "frames_saved": 1234567, "general_profit": -4096}
HISTORY = {"interval_s": 1, "capacity": 300, "count": 2, "newest_s": 41,
           "saved": [1, 2], "self": [0, 1], "inter": [1, 1], "zero": [0, 0],
           "cow_breaks": [5, 0], "pages_scanned": [100, 200]}
KNOBS = {"run": {"value": True, "in_force": True},
         "scan_target_s": {"value": 10, "min": 1, "max": 86400, "in_force": True},
         "pages_to_scan": {"value": 100, "min": 1, "max": 16384, "in_force": False}}
seen = []


def fail(msg):
    print(f"FAIL test_dvctl: {msg}")
    sys.exit(1)


class Fake(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, body, ctype="application/json", length=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, err, reason):
        self.answer(status, {"status": status, "error": err, "reason": reason})

    def handle_one(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        seen.append((method, self.path, self.headers.get("Authorization"), body))
        auth = self.headers.get("Authorization")
        needs = method == "POST" or self.path.endswith("/memory")
        if needs and auth is None:
            return self.error(401, "Unauthorized", "this resource needs Authorization: Bearer TOKEN")
        if needs and auth != "Bearer " + TOKEN:
            return self.error(401, "Unauthorized", "the token is wrong")
        p = self.path
        if p == "/api/stats":
            return self.answer(200, STATS)
        if p == "/api/vms":
            return self.answer(200, [{"name": "alpha", "state": "running", "ram_bytes": 16 << 20,
                                      "exits": 12, "pages": {"private": 10, "shared": 20, "zero": 30,
                                                             "compressed": 0, "patched": 512},
                                      "pss_bytes": 81920, "pss_cost_bytes": 70656}])
        if p.startswith("/api/history"):
            return self.answer(200, HISTORY)
        if p == "/api/knobs":
            return self.answer(200, KNOBS)
        if p == "/api/vms/alpha/stop":
            return self.answer(202, {"stopped": True})
        if p == "/api/vms/alpha/memory":
            return self.answer(200, MEMORY, "application/octet-stream")
        if p == "/api/vms/short/memory":
            # Promises more than it sends, then closes.
            self.answer(200, MEMORY[:70000], "application/octet-stream", length=len(MEMORY))
            self.close_connection = True
            return None
        if p == "/api/vms/beta/memory":
            return self.error(501, "Not Implemented", "not served yet")
        return self.error(404, "Not Found", "no such VM")

    def do_GET(self):
        self.handle_one("GET")

    def do_POST(self):
        self.handle_one("POST")


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
srv.handle_error = lambda request, address: None  # the cut dump's reset: expected
threading.Thread(target=srv.serve_forever, daemon=True).start()
HOST = f"127.0.0.1:{srv.server_address[1]}"


def run(*args, token=None):
    env = dict(os.environ)
    env.pop("DVCTL_TOKEN", None)
    if token is not None:
        env["DVCTL_TOKEN"] = token
    seen.clear()
    p = subprocess.run([sys.executable, DVCTL, *args], capture_output=True, text=True, env=env,
                       timeout=30)
    return p.returncode, p.stdout, p.stderr


def expect(args, rc, out=None, err=None, token=None):
    got_rc, o, e = run(*args, token=token)
    if got_rc != rc:
        fail(f"dvctl {' '.join(args)}: exit {got_rc}, not {rc}\nstdout: {o}\nstderr: {e}")
    for want, text, what in ((out, o, "stdout"), (err, e, "stderr")):
        for w in want or []:
            if w not in text:
                fail(f"dvctl {' '.join(args)}: {what} lacks {w!r}:\n{text}")
    return o, e


# Tables and --json.
expect([HOST, "stats"], 0, ["frames_saved", "1,234,567", "-4,096"])
o, _ = expect(["--json", HOST, "stats"], 0, token=TOKEN)
if json.loads(o) != STATS:
    fail(f"--json stats: {o!r}")
if seen[0][2] is not None:
    fail("stats sent the token (only the routes that need it get it)")
expect([HOST, "vms"], 0, ["alpha", "running", "16.0 MiB", "0.1 MiB", "80.0 KiB", "patched", "2.0 MiB",
                          "cost", "69.0 KiB"])
expect([HOST, "history", "2"], 0, ["time_s", "scanned/s", "40", "41", "200"])
if seen[0][1] != "/api/history?seconds=2":
    fail(f"history asked {seen[0][1]}")
expect([HOST, "knobs"], 0, ["pages_to_scan", "1..16384", "true/false", "not in force"])
o, _ = expect([HOST, "watch", "0.05", "-n", "3"], 0)
if o.count("\n") != 2 or " 41 " not in " " + o.splitlines()[1] + " ":
    # one header line, then one line: the same newest second is printed once
    fail(f"watch -n 3: {o!r}")
o, _ = expect(["--json", HOST, "watch", "0.05", "-n", "2"], 0)
lines = [json.loads(x) for x in o.splitlines()]
if len(lines) != 2 or lines[0] != {"newest_s": 41, "saved": 2, "self": 1, "inter": 1, "zero": 0,
                                   "cow_breaks": 0, "pages_scanned": 200}:
    fail(f"--json watch: {o!r}")

# The token: none, wrong, right.
expect([HOST, "set", "pages_to_scan", "500"], 1, err=["401 Unauthorized: this resource needs "
                                                      "Authorization", "set DVCTL_TOKEN"])
expect([HOST, "set", "pages_to_scan", "500"], 1, err=["401 Unauthorized: the token is wrong"],
       token="nope")
expect([HOST, "set", "pages_to_scan", "500"], 0, ["pages_to_scan"], token=TOKEN)
if seen[0][:3] != ("POST", "/api/knobs", "Bearer " + TOKEN) or \
        json.loads(seen[0][3]) != {"pages_to_scan": 500}:
    fail(f"set sent {seen[0]}")
expect([HOST, "set", "run", "false"], 0, token=TOKEN)
if json.loads(seen[0][3]) != {"run": False}:
    fail(f"set run false sent {seen[0][3]!r}")
expect([HOST, "set", "run", "maybe"], 2, err=["whole number, true or false"], token=TOKEN)
expect([HOST, "stop", "alpha"], 0, ["alpha: stop: stopped True"], token=TOKEN)
expect([HOST, "pause", "nosuch"], 1, err=["404 Not Found: no such VM"], token=TOKEN)

# dump: whole, cut short, not served.
with tempfile.TemporaryDirectory() as d:
    f = os.path.join(d, "alpha.img")
    expect([HOST, "dump", "alpha", f], 0, [f"{len(MEMORY)} bytes"], token=TOKEN)
    if open(f, "rb").read() != MEMORY:
        fail("dump: the file differs from what was served")
    g = os.path.join(d, "short.img")
    expect([HOST, "dump", "short", g], 1, err=[f"received 70000 bytes of Content-Length {len(MEMORY)}"],
           token=TOKEN)
    if os.listdir(d) != ["alpha.img"]:
        fail(f"a failed dump left {os.listdir(d)}")
    expect([HOST, "dump", "beta", g], 1, err=["501 Not Implemented: not served yet"], token=TOKEN)
    expect([HOST, "dump", "alpha", os.path.join(d, "no", "such", "dir")], 1, err=["No such file"],
           token=TOKEN)

# Nobody there; bad arguments.
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
expect([f"127.0.0.1:{port}", "stats"], 3, err=["cannot reach http://127.0.0.1:"])
expect(["127.0.0.1:notaport", "stats"], 2, err=["expected HOST or HOST:PORT"])
expect([HOST, "frobnicate"], 2)
expect([HOST, "history", "0"], 2)
expect([f"http://{HOST}/", "stats"], 0, ["frames_saved"])
srv.shutdown()
print("test_dvctl: all passed")
