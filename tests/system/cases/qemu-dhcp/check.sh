#!/usr/bin/env bash
# check.sh URL OUTDIR - the API at the address a DHCP server gave: it
# answers through the forward to 10.0.2.15, and the console said that
# address (tests/system/run.sh runs this at the lease's console line).
set -eu
url=$1 out=$2
fail() { echo "FAIL: $*"; exit 1; }
for _ in $(seq 50); do
	curl -fsS -m 2 -o /dev/null "$url/api/stats" 2>/dev/null && break
	sleep 0.2
done
curl -fsS -m 5 "$url/api/stats" >"$out/stats.json" || fail "GET /api/stats"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["frames_saved"] == 0' "$out/stats.json" ||
	fail "/api/stats: $(cat "$out/stats.json")"
code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -X POST -d '{"run": true}' "$url/api/knobs")
[ "$code" = 401 ] || fail "POST /api/knobs without the token: $code"
echo "ok   the API answers at the leased address (GET /api/stats, and 401 without the token)"
