#!/usr/bin/env bash
# wrong-arch-elf/make.sh WORK - the generated inputs named in ./files (see run.sh).
# small.bin: a guest image for VM a (never run: the loader stops first).
head -c 8192 /dev/urandom >"$1/small.bin"
# dedupvisor.elf: the real one with e_machine (offset 18) = 0xb7, AArch64.
cp "$B/dedupvisor.elf" "$1/dedupvisor.elf"
printf '\xb7\x00' | dd of="$1/dedupvisor.elf" bs=1 seek=18 conv=notrunc status=none
