#!/usr/bin/env bash
# after.sh CONSOLE OUTDIR - the side channel from Linux user space, scored
# as bochs-sidechan's is (tests/system/sidechan_score.py: Youden's J of
# spy's verdicts against the victim's secret, >= 200 trials each way).
# Asserted: the write probe J >= 0.9 (the channel is open to an
# unprivileged Linux process in the victim's sharing domain); the read
# probe |J| < 0.2 (reads leak nothing).
set -eu
python3 "$(dirname "$0")/../../sidechan_score.py" "$1" spy:write=open spy:read=chance
echo "the channel is open to a Linux process within a sharing domain (write probe), closed to reads"
