#!/usr/bin/env bash
# after.sh CONSOLE OUTDIR - the side channel, scored (tests/system/
# sidechan_score.py: Youden's J of each attacker's verdicts against the
# victim's secret, >= 200 trials each way).  Asserted: spy's write probe
# J >= 0.9 (the channel is open within a sharing domain); spy's read probe
# and both of outsider's probes |J| < 0.2 (reads leak nothing here; domains
# close the channel).
set -eu
python3 "$(dirname "$0")/../../sidechan_score.py" "$1" spy:write=open spy:read=chance \
	outsider:write=chance outsider:read=chance
echo "the channel is open within a sharing domain (write probe) and closed across domains and to reads"
