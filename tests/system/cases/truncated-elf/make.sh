#!/usr/bin/env bash
# truncated-elf/make.sh WORK - the generated inputs named in ./files (see run.sh).
# small.bin: a guest image for VM a (never run: the loader stops first).
head -c 8192 /dev/urandom >"$1/small.bin"
# dedupvisor.elf: the first 3000 bytes of the real one (the rest missing).
head -c 3000 "$B/dedupvisor.elf" >"$1/dedupvisor.elf"
