#!/usr/bin/env bash
# oversized-image/make.sh WORK - the generated inputs named in ./files (see run.sh).
# big.bin: 4 KiB more than its VM's 2 MiB of RAM.
head -c $((2 * 1048576 + 4096)) /dev/zero >"$1/big.bin"
