#!/usr/bin/env bash
# scripts/mkesp.sh OUT.img BOOTX64.EFI dedupvisor.elf dedupvisor.cfg [guest images...]
#
# Makes the boot disk: a raw FAT32 "superfloppy" (no partition table) that
# OVMF under QEMU and Bochs and a real UEFI machine (written to a USB stick)
# all boot.  Its size is a multiple of 16*63*512 bytes so that Bochs can
# derive a disk geometry from it.
set -eu
out=$1 efi=$2 elf=$3 cfg=$4; shift 4
for f in "$efi" "$elf" "$cfg" "$@"; do
	[ -f "$f" ] || { echo "mkesp: $f: no such file" >&2; exit 1; }
done
# Room for the files plus 32 MiB, at least 64 MiB (FAT32 needs 65525 clusters).
need=$(( $(cat "$efi" "$elf" "$cfg" "$@" | wc -c) / 1048576 + 32 ))
[ $need -lt 64 ] && need=64
cyl=$(( (need * 1048576 + 516095) / 516096 ))
tmp=$out.tmp
rm -f "$tmp"
truncate -s $(( cyl * 516096 )) "$tmp"
mformat -i "$tmp" -F -h 16 -s 63 -t $cyl -v DEDUPVISOR ::
mmd -i "$tmp" ::/EFI ::/EFI/BOOT ::/dedupvisor
mcopy -i "$tmp" "$efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$tmp" "$elf" ::/dedupvisor/dedupvisor.elf
mcopy -i "$tmp" "$cfg" ::/dedupvisor/dedupvisor.cfg
for g in "$@"; do mcopy -i "$tmp" "$g" "::/dedupvisor/$(basename "$g")"; done
mv "$tmp" "$out"
