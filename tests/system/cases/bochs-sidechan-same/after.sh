#!/usr/bin/env bash
# after.sh CONSOLE OUTDIR - the side channel in a same-behaviour domain,
# scored as bochs-sidechan's is (tests/system/sidechan_score.py: Youden's J
# of the spy's verdicts against the victim's secret, >= 200 trials each
# way).  Asserted: |J| < 0.2 for the spy's write probe and its read probe,
# beyond 4.5 standard deviations of an attacker that knows nothing:
# indistinguishable from chance.
set -eu
python3 "$(dirname "$0")/../../sidechan_score.py" "$1" spy:write=chance spy:read=chance
echo "the channel is closed in a same-behaviour domain: neither probe tells held pages apart"
