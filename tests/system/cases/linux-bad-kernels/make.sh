# make.sh WORK: the bad kernels, from Debian's (build/linux/, scripts/linux-guest.sh).
w=$1
printf 'this is a text file, not a kernel\n%.0s' $(seq 100) >"$w/text.bin"
head -c 1000000 "$B/linux/vmlinuz" >"$w/trunc.bin"          # cut short
cp "$B/linux/vmlinuz" "$w/old.bin"                          # boot protocol 2.03
printf '\003\002' | dd of="$w/old.bin" bs=1 seek=$((0x206)) conv=notrunc status=none
head -c $((20 << 20)) /dev/zero >"$w/big.bin"               # a 20 MiB initrd
