#!/usr/bin/env bash
# tests/fuzz/run.sh MODE SECONDS BUILD TARGET... - run libFuzzer targets.
#
#   MODE fuzz   each target for SECONDS over its corpus in BUILD/fuzz/work/NAME
#               (kept between runs), reading the seeds in tests/fuzz/corpus/NAME
#               (never written: libFuzzer writes new inputs to the first
#               directory only)
#   MODE smoke  the same over a fresh BUILD/fuzz/smoke/NAME: the seeds (and
#               the regression inputs among them) and SECONDS of mutation
#
# Prints per target the executions, the coverage (cov: edges, ft: features,
# from libFuzzer's last status line) and the path of any crash input, then
# "fuzz: N passed, N failed"; exits 1 if any target failed.  Each target's
# whole output is in BUILD/fuzz/logs/NAME.log.
set -u

mode=$1 secs=$2 b=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
mkdir -p "$b/fuzz/logs"

for t in "$@"; do
	bin=$b/fuzz/fuzz_$t
	seeds=$here/corpus/$t
	log=$b/fuzz/logs/$t.log
	crashes=$b/fuzz/crashes/$t
	if [ "$mode" = smoke ]; then
		work=$b/fuzz/smoke/$t
		rm -rf "$work"
	else
		work=$b/fuzz/work/$t
	fi
	mkdir -p "$work" "$crashes" "$seeds"
	# The engine's and the hypercall layer's states lie deep in long
	# operation streams: no slow growth of the input length for them.
	case $t in
	engine* | hypercall) extra="-len_control=0 -max_len=2048" ;;
	*) extra="" ;;
	esac
	# Per-input limit 25 s (a hang is a failure); the leak check stays on.
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=25 -print_final_stats=1 $extra \
		-artifact_prefix="$crashes/" "$work" "$seeds" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
	corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1)
	crash=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
	line=$(printf 'fuzz_%-12s %10s execs  %-20s %s' "$t" "${execs:-?}" "${cov:-cov: ?}" "$corp")
	if [ "$rc" = 0 ] && [ -z "$crash" ]; then
		echo "$line  ok"
		pass=$((pass + 1))
	else
		echo "$line  FAILED (exit $rc)"
		# What failed, and where: the check and its message, or the
		# sanitizer's report and its first stack frame in our C files.
		if grep -q 'CHECK failed' "$log"; then
			grep -m1 -A1 'CHECK failed' "$log" | sed 's/^ */    /'
		else
			grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$log" |
				sed 's/^ */    /'
			grep -E '^ +#[0-9]+ .* in [A-Za-z_][A-Za-z_0-9]* [^ ]*\.c:[0-9]+' "$log" |
				grep -v -m1 -E 'nptl|sysdeps|csu/|compiler-rt' |
				sed 's/^ *#[0-9]* 0x[0-9a-f]* in /    at /'
		fi
		[ -n "$crash" ] && echo "    input: $crash (replay: $bin $crash)"
		echo "    log:   $log"
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
