#!/usr/bin/env bash
# dashboard_check.sh URL OUTDIR [MIN_VMS [VM=TEXT]] - the dashboard (GET /) as a
# browser shows it: headless Chromium loads it from the hypervisor at URL
# (http://HOST:PORT) and the page's script must have filled in the live
# figures.  Writes OUTDIR/dashboard.png (1280x900), the DOM it judged
# (dashboard.dom.html) and Chromium's log.  One "ok" line per check; the
# first failure prints "FAIL: ..." and exits 1.
#
# Used by tests/system/cases/qemu-api/check.sh (no VT-x: no VM, every figure
# 0) and reusable with VMs running: MIN_VMS (default 0) is the fewest VM
# rows the page must show; VM=TEXT: VM's console on the page
# (pre[data-console=VM]) must show TEXT.
#
# What "filled in" means (api/dashboard.html's test hooks): body has
# data-loaded="1" (a complete read of the four endpoints) after at least
# two reads (data-polls: it keeps polling); every counter of /api/stats is
# on the page as [data-stat=NAME] with data-value, which must equal what
# curl reads before and after Chromium ran when the counter did not change
# meanwhile, and lie between the two reads for the counters that only grow;
# each VM of /api/vms is a row tr[data-vm=NAME]; the savings chart holds
# the history's samples (data-samples >= 1); the knobs form has the knobs.
set -eu
url=${1:?usage: dashboard_check.sh URL OUTDIR [MIN_VMS]}
out=${2:?usage: dashboard_check.sh URL OUTDIR [MIN_VMS]}
min_vms=${3:-0}
console_want=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
page_src=$here/../../api/dashboard.html
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok   $*"; }
mkdir -p "$out"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/deps.sh installs it)"
prof=$(mktemp -d)
trap 'rm -rf "$prof"' EXIT

# The page itself: what the hypervisor serves is the file in the tree, as
# HTML, not cached, and it loads nothing from anywhere else.
curl -fsS -m 10 -D "$out/dashboard.head" "$url/" >"$out/dashboard.served.html" || fail "GET /"
tr -d '\r' <"$out/dashboard.head" >"$out/dashboard.head.txt"
grep -q '^HTTP/1.1 200' "$out/dashboard.head.txt" || fail "GET /: $(head -n1 "$out/dashboard.head.txt")"
grep -qix 'Content-Type: text/html; charset=utf-8' "$out/dashboard.head.txt" ||
	fail "GET /: Content-Type is not text/html; charset=utf-8"
grep -qix 'Cache-Control: no-store' "$out/dashboard.head.txt" || fail "GET /: no Cache-Control: no-store"
size=$(stat -c %s "$out/dashboard.served.html")
grep -qix "Content-Length: $size" "$out/dashboard.head.txt" || fail "GET /: Content-Length is not $size"
if [ -f "$page_src" ]; then
	cmp -s "$page_src" "$out/dashboard.served.html" || fail "GET / differs from api/dashboard.html"
fi
if grep -nEi '(src|href|action)[[:space:]]*=[[:space:]]*["'\'']?[a-z]*:?//|@import|url\(' \
	"$out/dashboard.served.html"; then
	fail "the page refers to something outside itself (above)"
fi
curl -sS -m 10 -I "$url/" | tr -d '\r' >"$out/dashboard.head2.txt" || fail "HEAD /"
grep -q '^HTTP/1.1 200' "$out/dashboard.head2.txt" &&
	grep -qix "Content-Length: $size" "$out/dashboard.head2.txt" || fail "HEAD /: not 200 with Content-Length $size"
ok "GET /: the page of api/dashboard.html ($size bytes), text/html; charset=utf-8, no-store, self-contained; HEAD too"

chrome() {
	timeout 120 chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
		--disable-extensions --disable-background-networking --disable-component-update \
		--disable-sync --hide-scrollbars --user-data-dir="$prof" "$@"
}

# The DOM after ~4 s of the page's time, between two reads of /api/stats.
curl -fsS -m 10 "$url/api/stats" >"$out/dash.stats0.json" || fail "GET /api/stats"
curl -fsS -m 10 "$url/api/vms" >"$out/dash.vms0.json" || fail "GET /api/vms"
chrome --virtual-time-budget=4000 --dump-dom "$url/" >"$out/dashboard.dom.html" 2>"$out/chromium.log" ||
	fail "chromium --dump-dom exited $? (see $out/chromium.log)"
curl -fsS -m 10 "$url/api/stats" >"$out/dash.stats1.json" || fail "GET /api/stats"
curl -fsS -m 10 "$url/api/vms" >"$out/dash.vms1.json" || fail "GET /api/vms"

python3 - "$out" "$min_vms" "$console_want" <<'EOF' || fail "the page's live figures (above)"
import json, sys
from html.parser import HTMLParser

out, min_vms, console_want = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s0 = json.load(open(f"{out}/dash.stats0.json"))
s1 = json.load(open(f"{out}/dash.stats1.json"))
vms = {v["name"] for f in ("dash.vms0.json", "dash.vms1.json") for v in json.load(open(f"{out}/{f}"))}
# The counters that only grow (the rest are gauges).
growing = {"full_scans", "pages_scanned", "pages_hashed", "merges", "merge_races",
           "hash_collisions", "cow_breaks", "cow_reuses", "cow_enomem"}

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.body, self.stats, self.vm_rows, self.knobs, self.chart = {}, {}, [], [], None
        self.consoles, self.in_console = {}, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "pre" and "data-console" in a:
            self.in_console = a["data-console"]
            self.consoles[self.in_console] = ""
        if tag == "body":
            self.body = a
        if "data-stat" in a:
            self.stats.setdefault(a["data-stat"], []).append(a.get("data-value"))
        if tag == "tr" and "data-vm" in a:
            self.vm_rows.append(a["data-vm"])
        if "data-knob" in a:
            self.knobs.append(a["data-knob"])
        if tag == "svg" and a.get("id") == "chart":
            self.chart = a
    def handle_endtag(self, tag):
        if tag == "pre":
            self.in_console = None
    def handle_data(self, data):
        if self.in_console:
            self.consoles[self.in_console] += data

d = Dom()
d.feed(open(f"{out}/dashboard.dom.html", encoding="utf-8").read())
bad = []
if d.body.get("data-loaded") != "1":
    bad.append(f"body data-loaded={d.body.get('data-loaded')!r} (error: {d.body.get('data-error')!r}):"
               " the script never completed a read")
polls = int(d.body.get("data-polls", "0"))
if polls < 2:
    bad.append(f"data-polls={polls}: the page read the API {polls} times, not again every second")
if "data-error" in d.body:
    bad.append(f"the page shows an error: {d.body['data-error']}")
for k in s0:
    vals = d.stats.get(k)
    if not vals:
        bad.append(f"{k}: not on the page")
        continue
    for v in vals:
        if v is None or not v.lstrip("-").isdigit():
            bad.append(f"{k}: data-value {v!r}: not filled in by the script")
            continue
        v = int(v)
        lo, hi = min(s0[k], s1[k]), max(s0[k], s1[k])
        if s0[k] == s1[k] and v != s0[k]:
            bad.append(f"{k}: the page shows {v}, the API said {s0[k]} before and after")
        elif k in growing and not lo <= v <= hi:
            bad.append(f"{k}: the page shows {v}, outside the API's {lo}..{hi}")
changed = sorted(k for k in s0 if s0[k] != s1[k] and k not in growing)
if len(d.vm_rows) < min_vms:
    bad.append(f"{len(d.vm_rows)} VM rows, expected at least {min_vms}")
for name in d.vm_rows:
    if name not in vms:
        bad.append(f"a row for VM {name!r}, which /api/vms does not list")
if not d.chart or int(d.chart.get("data-samples", "0")) < 1:
    bad.append(f"the savings chart has no samples ({d.chart})")
if console_want:
    vm, text = console_want.split("=", 1)
    if text not in d.consoles.get(vm, ""):
        bad.append(f"VM {vm}'s console on the page lacks {text!r}: {d.consoles.get(vm)!r}")
for k in ("pages_to_scan", "sleep_ms", "run"):
    if k not in d.knobs:
        bad.append(f"the knobs form lacks {k} (has {d.knobs})")
if bad:
    print("\n".join(bad))
    sys.exit(1)
print(f"ok   dashboard in Chromium: filled in by its script after {polls} reads; "
      f"{len(s0)} counters equal to /api/stats"
      + (f" (gauges that moved meanwhile, not compared: {', '.join(changed)})" if changed else "")
      + f"; {len(d.vm_rows)} VM rows; chart of {d.chart['data-samples']} samples; "
      f"{len(d.knobs)} knobs"
      + (f"; {console_want.split('=')[0]}'s console shows {console_want.split('=', 1)[1]!r}"
         if console_want else ""))
EOF

# The screenshot, for a person to look at (and checked to be one).
rm -f "$out/dashboard.png"
chrome --virtual-time-budget=3000 --window-size=1280,900 --screenshot="$out/dashboard.png" "$url/" \
	>>"$out/chromium.log" 2>&1 || fail "chromium --screenshot exited $? (see $out/chromium.log)"
python3 - "$out/dashboard.png" <<'EOF' || fail "$out/dashboard.png is not a 1280x900 PNG"
import struct, sys
b = open(sys.argv[1], "rb").read(32)
assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR", b[:16]
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (1280, 900), (w, h)
EOF
ok "screenshot: $out/dashboard.png (1280x900)"
