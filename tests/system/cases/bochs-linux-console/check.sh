#!/usr/bin/env bash
# check.sh URL OUTDIR - a Linux VM's console through the API (Bochs, its
# e1000 on slirp), once the console file's attach has ended: what the
# attach typed and read is in GET /api/vms/tux/console; typing needs the
# token (401 without, 404 for no such VM); a line typed with it is
# answered (the answer computed by the guest, read back through GET); the
# dashboard in headless Chromium shows it; `exit` typed last powers the VM
# off, and the run ends at the hypervisor's power-off.
set -eu
url=$1 out=$2
auth="Authorization: Bearer bochs-linux-console-token"
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok   $*"; }
status() { curl -sS -m 20 -o "$out/last.body" -w '%{http_code}' "$@"; }
con() { sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g' "$out/console.txt"; }

for _ in $(seq 100); do
	curl -fsS -m 2 -o /dev/null "$url/api/vms" 2>/dev/null && break
	sleep 0.2
done
curl -fsS -m 20 -D "$out/console.head" "$url/api/vms/tux/console" >"$out/console0.raw" ||
	fail "GET /api/vms/tux/console"
tr -d '\r' <"$out/console.head" | grep -qix 'Content-Type: text/plain; charset=utf-8' ||
	fail "GET console: not text/plain; charset=utf-8"
tr -d '\r' <"$out/console0.raw" >"$out/console0.txt"
for want in '^hello-42$' '^file-7$' '^model name' 'shell on ttyS0'; do
	grep -qE "$want" "$out/console0.txt" || fail "GET console lacks /$want/"
done
ok "GET /api/vms/tux/console: $(stat -c %s "$out/console0.raw") bytes, the attach's answers in it"

code=$(status -X POST --data-binary $'echo x\r' "$url/api/vms/tux/console")
[ "$code" = 401 ] || fail "POST console without the token: $code, not 401"
code=$(status -X POST -H "$auth" --data-binary $'echo x\r' "$url/api/vms/nosuch/console")
[ "$code" = 404 ] || fail "POST console of no such VM: $code, not 404"
ok "POST console: 401 without the token, 404 for no such VM"

code=$(status -X POST -H "$auth" --data-binary $'echo api-$((5*5))\r' "$url/api/vms/tux/console")
[ "$code" = 202 ] || fail "POST console with the token: $code $(cat "$out/last.body")"
grep -q '"typed":18' "$out/last.body" || fail "POST console answered $(cat "$out/last.body")"
for _ in $(seq 300); do
	curl -fsS -m 20 "$url/api/vms/tux/console" | tr -d '\r' >"$out/console1.txt" || true
	grep -qx 'api-25' "$out/console1.txt" && break
	sleep 1
done
grep -qx 'api-25' "$out/console1.txt" || fail "the guest's answer api-25 never came in GET console"
ok "POST console with the token: typed, and the guest's answer read back"

bash tests/system/dashboard_check.sh "$url" "$out" 1 tux=api-25 || fail "the dashboard"

code=$(status -X POST -H "$auth" --data-binary $'exit\r' "$url/api/vms/tux/console")
[ "$code" = 202 ] || fail "POST exit: $code $(cat "$out/last.body")"
for _ in $(seq 600); do
	con | grep -q '^power: off' && break
	sleep 1
done
con | grep -q '^power: off' || fail "no power-off after exit"
ok "exit typed through the API: the VM powered off, then the hypervisor"
