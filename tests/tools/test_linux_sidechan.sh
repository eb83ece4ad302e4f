#!/usr/bin/env bash
# tests/tools/test_linux_sidechan.sh TOOL - the Linux guest's side-channel
# program (guests/linux/sidechan.c) on the host, without a hypervisor.
#
# TOOL is build/tools/sidechan.  `sidechan selftest MODE` is victim and
# attacker in one process, with a user-space stand-in for the scanner
# (mprotect and a SIGSEGV handler that copies: a COW break); its lines
# carry the "[victim] "/"[spy] " prefixes the hypervisor's console gives
# VMs, so the side-channel cases' scorer (tests/system/sidechan_score.py)
# reads them as it reads a system case's console.  Asserted:
#   - the output's shape: 512 trials each way in lines of 64 bits and of
#     16 times, thresholds, "attacker: done";
#   - open: the write probe J >= 0.9 and the read probe at chance (the
#     scorer's |J| < 0.2 and KS distance < 0.2), and the scorer refuses
#     "chance" for that write probe (the check can fail);
#   - same (every attacker page faults, twin or not) and none (nothing
#     merged): both probes at chance;
#   - bad arguments: exit status 2.
set -u
[ $# -eq 1 ] || { echo "usage: $0 TOOL" >&2; exit 2; }
TOOL=$(realpath -- "$1")
cd "$(dirname "$0")/../.." || exit 2
SCORE=tests/system/sidechan_score.py
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok()  { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# count FILE ERE: the number of lines matching.
count() { grep -cE "$2" "$1"; }

for mode in open same none; do
	out=$T/$mode.txt
	if ! "$TOOL" selftest "$mode" >"$out" 2>"$T/$mode.err"; then
		bad "$mode runs" "exit status $?: $(cat "$T/$mode.err")"
		continue
	fi
	shape=
	[ "$(count "$out" '^\[victim\] victim: holds [0-9]+-[0-9]+ [01]{64}$')" = 8 ] || shape+=" holds"
	for p in read write; do
		[ "$(count "$out" "^\[spy\] attacker: shared\($p\) [0-9]+-[0-9]+ [01]{64}$")" = 8 ] ||
			shape+=" shared($p)"
		[ "$(count "$out" "^\[spy\] attacker: times\($p\) [0-9]+( [0-9]+){16}$")" = 32 ] ||
			shape+=" times($p)"
		[ "$(count "$out" "^\[spy\] attacker: $p probe: own pages [0-9]+ ticks, merged pairs [0-9]+ ticks, threshold [0-9]+$")" = 1 ] ||
			shape+=" $p-threshold"
	done
	[ "$(tail -n1 "$out")" = "[spy] attacker: done" ] || shape+=" done"
	if [ -n "$shape" ]; then
		bad "$mode output" "wrong or missing lines:$shape"
	else
		ok "$mode output: 8 lines of secret, 8 of verdicts and 32 of times per probe"
	fi
	case $mode in
	open) want="spy:write=open spy:read=chance" ;;
	*) want="spy:write=chance spy:read=chance" ;;
	esac
	if python3 "$SCORE" "$out" $want >"$T/$mode.score" 2>&1; then
		ok "$mode scored: $want ($(grep -o 'write probe: accuracy *[0-9.]*%' "$T/$mode.score"))"
	else
		bad "$mode scored" "$(cat "$T/$mode.score")"
	fi
done

# The check can fail: the open channel's write probe is no chance.
if python3 "$SCORE" "$T/open.txt" spy:write=chance >"$T/neg.score" 2>&1; then
	bad "open is not chance" "the scorer took the open write probe for chance: $(cat "$T/neg.score")"
else
	ok "open is not chance (the scorer refuses it)"
fi

# Bad arguments.
for args in "" "attack trials=0" "attack trials=2000" "victim wait=x" "selftest half" "probe"; do
	# shellcheck disable=SC2086 # words
	"$TOOL" $args >/dev/null 2>&1
	rc=$?
	if [ $rc = 2 ]; then ok "refuses '$args'"; else bad "refuses '$args'" "exit status $rc, want 2"; fi
done

echo "test_linux_sidechan: $pass passed, $fail failed"
[ "$fail" = 0 ]
