# make.sh WORK: the 6.12 kernel under its own name beside 6.1's files.
cp "$B/linux-6.12/vmlinux" "$1/vmlinux-6.12"
