#!/usr/bin/env bash
# tests/run-unit.sh BIN... - run host unit test binaries; summarize; fail if any failed.
set -u
pass=0 fail=0 failed=""
for t in "$@"; do
	if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $t"; fi
done
[ -n "$failed" ] && echo "unit: failed:$failed"
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
