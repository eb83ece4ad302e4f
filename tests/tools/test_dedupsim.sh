#!/usr/bin/env bash
# tests/tools/test_dedupsim.sh SIM - dedupsim's input errors and its answer on
# synthetic images whose ideal sharing is known exactly.
set -u
SIM=$1
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok()  { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# expect_error NAME FRAGMENT ARGS...: exit status 2 and FRAGMENT on stderr.
expect_error() {
	local name=$1 frag=$2; shift 2
	local err rc=0
	err=$("$SIM" "$@" 2>&1 >/dev/null) || rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "$frag" <<<"$err"; then ok "$name"; else bad "$name" "rc=$rc: $err"; fi
}

# Page k of a synthetic image: 4 KiB of byte k (k=0: zeros).
mkimg() { # file k...
	local f=$1; shift; : >"$f"
	for k in "$@"; do head -c 4096 /dev/zero | tr '\0' "\\$(printf '%03o' "$k")" >>"$f"; done
}

expect_error missing-file "nope.raw: cannot open" "$T/nope.raw"
: >"$T/empty.raw"
expect_error empty-image "empty image" "$T/empty.raw"
head -c 5000 /dev/zero >"$T/odd.raw"
expect_error size-not-pages "not a multiple of 4 KiB" "$T/odd.raw"
expect_error no-images "no images given"
expect_error bad-option "usage" --frobnicate

# Known answer: a = [1 1 0 2], b = [1 3 0], c = [0 0]: 9 pages, 4 zero,
# 4 distinct, sharable 5 (2 without zero), self 1+0+1, inter 3.
mkimg "$T/a.raw" 1 1 0 2; mkimg "$T/b.raw" 1 3 0; mkimg "$T/c.raw" 0 0
for mode in "" "--no-ad"; do
	out=$("$SIM" --json $mode "$T/a.raw" "$T/b.raw" "$T/c.raw" 2>&1) || { bad "json$mode" "exit $?"; continue; }
	want='"pages_total": 9|"pages_zero": 4|"pages_unique": 4|"sharable": 5|"sharable_nonzero": 2|"self_sharing": 2|"inter_sharing": 3'
	miss=""
	IFS='|' read -ra keys <<<"$want"
	for k in "${keys[@]}"; do grep -qF "$k" <<<"$out" || miss="$miss [$k]"; done
	grep -q '"name": "c.raw", "pages": 2, "zero": 2, "self_sharing": 1' <<<"$out" || miss="$miss [vm c]"
	# The engine's last full scan reaches the oracle exactly.
	last=$(grep '"frames_saved"' <<<"$out" | tail -n1)
	grep -q '"frames_saved": 5, "self": 2, "inter": 3' <<<"$last" || miss="$miss [engine: $last]"
	if [ -z "$miss" ]; then ok "known-answer${mode:+ $mode}"; else bad "known-answer$mode" "$miss"; fi
done
echo "dedupsim: $pass passed, $fail failed"
[ $fail -eq 0 ]
