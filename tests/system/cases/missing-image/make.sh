#!/usr/bin/env bash
# missing-image/make.sh WORK - the generated inputs named in ./files (see run.sh).
# small.bin: a guest image for VM a (never run: the loader stops first).
head -c 8192 /dev/urandom >"$1/small.bin"
