#!/usr/bin/env bash
# after.sh CONSOLE OUTDIR - the side channel from Linux user space in a
# same-behaviour domain, scored as bochs-sidechan-same's is
# (tests/system/sidechan_score.py).  Asserted: |J| < 0.2 and a KS distance
# < 0.2 for spy's write probe and its read probe: indistinguishable from
# chance.
set -eu
python3 "$(dirname "$0")/../../sidechan_score.py" "$1" spy:write=chance spy:read=chance
echo "the channel is closed to a Linux process in a same-behaviour domain: neither probe tells held pages apart"
