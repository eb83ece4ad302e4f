#!/usr/bin/env bash
# tests/tools/test_recipe_recount.sh TOOL GUESTDIR - recipe_recount against
# the hypervisor, and its refusal of what it cannot model.
#
# TOOL is build/tools/recipe_recount, GUESTDIR holds memtest.bin
# (build/guests).  The system tests trust recipe_recount's figures in place
# of hand-typed ones; this checks that its model of memory gives what the
# real hypervisor measured.
set -u
[ $# -eq 2 ] || { echo "usage: $0 TOOL GUESTDIR" >&2; exit 2; }
TOOL=$(realpath -- "$1") GUESTS=$(realpath -- "$2")
cd "$(dirname "$0")/../.." || exit 2
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok()  { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# These figures are measurements, not derivations: the hypervisor's own
# "dedup: after ... scans: saved N (self S, inter I); recount ...: exact"
# line under Bochs (tests/system/cases/bochs-memtest, -domains, -smp) with
# these configs.  They are typed here only, as a cross-check of the model;
# the system tests take theirs from the tool.
expect_figures() { # NAME CONFIG WANTED
	local out rc=0
	out=$("$TOOL" "$2" "$GUESTS" 2>&1) || rc=$?
	if [ $rc -ne 0 ]; then
		bad "$1" "exit $rc: $out"
	elif [ "$out" != "$3" ]; then
		bad "$1" "$2 gives '$out', the hypervisor measured '$3'"
	else
		ok "$1"
	fi
}
expect_figures default config/dedupvisor.cfg "saved 8763 (self 6711, inter 2052)"
expect_figures domains tests/system/cases/bochs-domains/dedupvisor.cfg "saved 3865 (self 3351, inter 514)"
expect_figures smp tests/system/cases/bochs-smp/dedupvisor.cfg "saved 30586 (self 29044, inter 1542)"

# expect_error NAME FRAGMENT ARGS...: exit status 2, FRAGMENT in the message.
expect_error() {
	local name=$1 frag=$2; shift 2
	local err rc=0
	err=$("$TOOL" "$@" 2>&1 >/dev/null) || rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "$frag" <<<"$err"; then ok "$name"; else bad "$name" "rc=$rc: $err"; fi
}
printf 'vm mt ram=8M image=memtest.bin seed=1 inter=16\nvm h ram=2M image=hostile.bin seed=1\n' >"$T/hostile.cfg"
expect_error not-memtest "$T/hostile.cfg:2: vm h: image hostile.bin is not memtest.bin" "$T/hostile.cfg" "$GUESTS"
printf 'vm bare ram=8M image=memtest.bin\n' >"$T/bare.cfg"
expect_error no-recipe "$T/bare.cfg:1: vm bare: no recipe" "$T/bare.cfg" "$GUESTS"
printf 'cpus = many\n' >"$T/bad.cfg"
expect_error bad-config "$T/bad.cfg:1:" "$T/bad.cfg" "$GUESTS"
expect_error missing-config "$T/nope.cfg" "$T/nope.cfg" "$GUESTS"
expect_error missing-image "$T/memtest.bin" config/dedupvisor.cfg "$T"
expect_error usage "usage" config/dedupvisor.cfg

echo "recipe_recount: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
