#!/usr/bin/env bash
# tests/system/run.sh [CASE...] - system tests that boot the real image.
#
# Each case builds (or reuses) an ESP image, boots it in an emulator with a
# time limit (scripts/emu.sh), then checks that the console shows each
# expected line, in order.  A failing case prints its console and the tail
# of the emulator log.  Cases run two at a time (the machine has 2 cores).
# Output ends with "N passed, N failed".  With CASE names, only those run.
#
# A case is a folder tests/system/cases/NAME/ holding:
#   case            key=value lines: emu=bochs|qemu, secs= (time limit),
#                   cpus=, megs= (the emulated machine), and image=default
#                   (build/esp.img, i.e. config/dedupvisor.cfg) or image=own
#                   (an ESP built here, in build/systest/img/NAME.img, from:);
#                   optional: net=user (an e1000 on QEMU's user network or
#                   Bochs's slirp, the API's port 80 forwarded to a free local
#                   port; default net=none, no NIC) and check_when=ERE (with
#                   check.sh)
#   dedupvisor.cfg  the case's config
#   files           the other files of the ESP's \dedupvisor\ folder, one a
#                   line: each is the one the case's make.sh made, if it made
#                   it, else build/dedupvisor.elf, build/linux/NAME (the Linux
#                   guest's kernel and initrd) or build/guests/NAME.  Without
#                   a dedupvisor.elf line the ESP has no ELF at all.
#   make.sh         optional: `bash make.sh WORK`, run from the repository
#                   root with $B = build, writes the generated bad inputs
#                   (blobs, mangled ELFs) named in files into WORK
#   expect          the expected console lines, extended regexes, one a line
#                   (leading and trailing blanks dropped: a space there is
#                   written [ ]; '#' lines and blank lines ignored):
#                     RE    after the previous plain line's match
#                     ~RE   anywhere
#                     !RE   nowhere
#                   @RECOUNT@ stands for the sharing the case's memtest VMs
#                   converge to, "N \(self S, inter I\)", as
#                   build/tools/recipe_recount computes it from the case's
#                   config (recounted from the recipes, not typed by hand).
#   console         optional: what to type on the hypervisor's console (COM1)
#                   while the case runs, one step a line ('#' lines and blank
#                   lines ignored, leading and trailing blanks dropped):
#                     WHEN-REGEX => COMMAND
#                   in order: once a complete console line shows WHEN-REGEX
#                   (a Python regex; ERE for the usual) after the previous
#                   step's match, COMMAND and a carriage return are sent.
#                   An empty WHEN-REGEX sends at once (the firmware reads
#                   COM1 too: wait for a hypervisor line first, e.g.
#                   "console: type 'help'").  The console's text is
#                   judged as ever by expect; what was sent, and when, and the
#                   steps never reached, are in the case's driver.log,
#                   printed when it fails (scripts/console_driver.py).
#   after.sh        optional: `bash after.sh CONSOLE OUTDIR` once the emulator
#                   has ended (CONSOLE: the console's text, VT100 escapes
#                   and CRs dropped), for what a regex cannot judge (a
#                   statistic over what the guests printed); the case
#                   passes only if it exits 0; its output is after.log,
#                   printed when it fails
#   check.sh        optional, with net=user and check_when=: host-side checks
#                   while the emulator runs.  Once a console line matches
#                   check_when, `bash check.sh http://127.0.0.1:PORT OUTDIR`
#                   runs (curl, python3, promtool against the API); the run
#                   ends when it does, or at secs=, which bounds it too.  The
#                   case passes only if it exits 0; its output (check.log) is
#                   printed when it fails (scripts/emu.sh: EMU_CHECK).
set -u
cd "$(dirname "$0")/../.." || exit 2
B=build
OUT=$B/systest
ESP=$B/esp.img
CASES=${SYSTEM_CASES:-tests/system/cases} # SYSTEM_CASES=tests/system/repro: the known-failing reproductions (README there)
RECOUNT=$B/tools/recipe_recount

# Drops leading and trailing blanks.
trim() {
	local s=$1
	s=${s#"${s%%[![:space:]]*}"}
	printf '%s' "${s%"${s##*[![:space:]]}"}"
}

# The meaningful lines of a file: no '#' lines, no blank lines, trimmed.
lines_of() {
	local l
	while IFS= read -r l || [ -n "$l" ]; do
		l=$(trim "$l")
		[ -z "$l" ] || [ "${l:0:1}" = "#" ] || printf '%s\n' "$l"
	done <"$1"
}

# read_case NAME: sets emu, secs, cpus, megs, image, net and check_when from
# its case file.
read_case() {
	local f=$CASES/$1/case l key val
	emu='' secs='' cpus='' megs='' image='' net=none check_when=''
	while IFS= read -r l; do
		l=$(trim "${l%%#*}")
		key=${l%%=*} val=${l#*=}
		case $key in
		emu) [[ $val =~ ^(bochs|qemu|kvm)$ ]] || { echo "system: $f: emu=$val: not bochs, qemu or kvm"; return 1; } ;;
		secs|cpus|megs) [[ $val =~ ^[1-9][0-9]*$ ]] || { echo "system: $f: $key=$val: not a number"; return 1; } ;;
		image) [[ $val =~ ^(default|own)$ ]] || { echo "system: $f: image=$val: not default or own"; return 1; } ;;
		net) [[ $val =~ ^(none|user)$ ]] || { echo "system: $f: net=$val: not none or user"; return 1; } ;;
		check_when) [ -n "$val" ] || { echo "system: $f: check_when= is empty"; return 1; } ;;
		*) echo "system: $f: unknown line '$l' (emu=, secs=, cpus=, megs=, image=, net=, check_when=)"; return 1 ;;
		esac
		printf -v "$key" '%s' "$val"
	done < <(lines_of "$f")
	for key in emu secs cpus megs image; do
		[ -n "${!key}" ] || { echo "system: $f: no $key="; return 1; }
	done
	if [ -f "$CASES/$1/check.sh" ]; then
		[ "$net" = user ] && [ -n "$check_when" ] ||
			{ echo "system: $f: a check.sh needs net=user and check_when="; return 1; }
	elif [ -n "$check_when" ]; then
		echo "system: $f: check_when= without a check.sh"; return 1
	fi
}

# build_image NAME IMG: the ESP of an image=own case (see the top).
build_image() {
	local d=$CASES/$1 img=$2 work f src elf='' guests=() rc=0
	[ -f "$d/files" ] || { echo "system: $d: image=own needs a files list (dedupvisor.elf and guests)"; return 1; }
	[ -f "$d/dedupvisor.cfg" ] || { echo "system: $d: image=own needs a dedupvisor.cfg"; return 1; }
	work=$(mktemp -d)
	if [ -f "$d/make.sh" ]; then
		B=$B bash -e "$d/make.sh" "$work" || { echo "system: $d/make.sh failed"; rm -rf "$work"; return 1; }
	fi
	while read -r f; do
		if [[ $f == */* ]]; then echo "system: $d/files: '$f': a file name, not a path"; rc=1; break; fi
		if [ -f "$work/$f" ]; then src=$work/$f
		elif [ "$f" = dedupvisor.elf ]; then src=$B/dedupvisor.elf
		elif [ -f "$B/linux/$f" ]; then src=$B/linux/$f
		else src=$B/guests/$f
		fi
		[ -f "$src" ] || { echo "system: $d/files: $f: no $src (made by make.sh, or built)"; rc=1; break; }
		if [ "$f" = dedupvisor.elf ]; then elf=$src; else guests+=("$src"); fi
	done < <(lines_of "$d/files")
	if [ $rc = 0 ]; then
		bash scripts/mkesp.sh "$img" $B/BOOTX64.EFI "${elf:-$B/dedupvisor.elf}" "$d/dedupvisor.cfg" \
			"${guests[@]}" || rc=1
		# No dedupvisor.elf in files: an ESP whose \dedupvisor\ lacks it.
		if [ $rc = 0 ] && [ -z "$elf" ]; then
			mdel -i "$img" ::/dedupvisor/dedupvisor.elf || rc=1
		fi
	fi
	rm -rf "$work"
	return $rc
}

# prepare NAME: its image, and in $OUT/prep/ what run_case needs: NAME.run
# (emulator, limits, image, network), NAME.expect (the expect file's lines
# with @RECOUNT@ filled in), NAME.console (its console script, if any) and
# NAME.when (its check's console line, if any).
prepare() {
	local name=$1 emu secs cpus megs image net check_when img cfg fig l
	read_case "$name" || return 1
	if [ "$image" = default ]; then
		img=$ESP cfg=config/dedupvisor.cfg
	else
		img=$OUT/img/$name.img cfg=$CASES/$name/dedupvisor.cfg
		build_image "$name" "$img" || return 1
	fi
	if grep -q '@RECOUNT@' "$CASES/$name/expect"; then
		[ -x "$RECOUNT" ] || { echo "system: $RECOUNT missing: run make first"; return 1; }
		fig=$("$RECOUNT" "$cfg" $B/guests) || { echo "system: $name: $RECOUNT $cfg $B/guests failed"; return 1; }
		[[ $fig =~ ^saved\ [0-9]+\ \(self\ [0-9]+,\ inter\ [0-9]+\)$ ]] ||
			{ echo "system: $name: unexpected recipe_recount output '$fig'"; return 1; }
		fig=$(sed 's/^saved //; s/[][\.*^$()+?{}|]/\\&/g' <<<"$fig")
	fi
	if [ -f "$CASES/$name/console" ]; then
		python3 scripts/console_driver.py --check "$CASES/$name/console" || return 1
		cp "$CASES/$name/console" "$OUT/prep/$name.console"
	fi
	[ -n "$check_when" ] && printf '%s\n' "$check_when" >"$OUT/prep/$name.when"
	printf '%s %s %s %s %s %s\n' "$emu" "$secs" "$cpus" "$megs" "$net" "$img" >"$OUT/prep/$name.run"
	while IFS= read -r l; do
		printf '%s\n' "${l//@RECOUNT@/"${fig-}"}"
	done < <(lines_of "$CASES/$name/expect") >"$OUT/prep/$name.expect"
}

run_case() {
	local name=$1 emu secs cpus megs net img
	read -r emu secs cpus megs net img <"$OUT/prep/$name.run"
	local dir=$OUT/$name con
	local script= check= when=
	[ -f "$OUT/prep/$name.console" ] && script=$OUT/prep/$name.console
	if [ -f "$OUT/prep/$name.when" ]; then
		check=$CASES/$name/check.sh when=$(cat "$OUT/prep/$name.when")
	fi
	EMU_CONSOLE=$script EMU_NET=$net EMU_CHECK=$check EMU_CHECK_WHEN=$when \
		bash scripts/emu.sh boot "$emu" "$img" "$dir" "$secs" "$cpus" "$megs"
	con=$dir/console.txt
	# Each expected line must appear after the previous one.
	local rest ok=1 re line=0 n
	rest=$(cat "$con")
	while IFS= read -r re; do
		case $re in
		"~"*) grep -qE -- "${re#\~}" "$con" || { echo "FAIL $name: console lacks /${re#\~}/"; ok=0; break; }
		      continue ;;
		"!"*) if grep -qE -- "${re#!}" "$con"; then
			echo "FAIL $name: console shows /${re#!}/: $(grep -E -m1 -- "${re#!}" "$con")"; ok=0; break
		      fi
		      continue ;;
		esac
		n=$(grep -nE -m1 -- "$re" <<<"$rest" | cut -d: -f1)
		if [ -z "$n" ]; then
			echo "FAIL $name: console lacks /$re/ (after line $line)"; ok=0; break
		fi
		line=$((line + n)); rest=$(tail -n +$((n + 1)) <<<"$rest")
	done <"$OUT/prep/$name.expect"
	if [ $ok = 1 ] && [ -n "$check" ] && [ "$(cat "$dir/check.rc" 2>/dev/null)" != 0 ]; then
		echo "FAIL $name: check.sh exited $(cat "$dir/check.rc" 2>/dev/null || echo '(no status)')"
		ok=0
	fi
	if [ $ok = 1 ] && [ -f "$CASES/$name/after.sh" ]; then
		sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g' "$con" >"$dir/console.clean.txt"
		if ! bash "$CASES/$name/after.sh" "$dir/console.clean.txt" "$dir" >"$dir/after.log" 2>&1; then
			echo "FAIL $name: after.sh failed"; ok=0
		fi
	fi
	if [ $ok = 1 ]; then
		echo "PASS $name ($(tail -n1 "$dir/emu.log" | sed 's/^emu: //')$([ -n "$check" ] &&
			echo "; check: $(tail -n1 "$dir/check.log")")$([ -f "$dir/after.log" ] &&
			echo "; after: $(tail -n1 "$dir/after.log")"))"
	else
		echo "---- $name console ($con) ----"; cat "$con"
		echo "---- $name emulator log (tail) ----"; tail -n 25 "$dir/emu.log"
		if [ -f "$dir/check.log" ]; then
			echo "---- $name check.sh output ($dir/check.log) ----"; cat "$dir/check.log"
		fi
		if [ -f "$dir/after.log" ]; then
			echo "---- $name after.sh output ($dir/after.log) ----"; cat "$dir/after.log"
		fi
		if [ -f "$dir/driver.log" ]; then
			echo "---- $name console driver log ($dir/driver.log) ----"; cat "$dir/driver.log"
		fi
		echo "----"
		return 1
	fi
}

all=()
for c in "$CASES"/*/; do
	c=${c%/}
	[ -f "$c/case" ] || { echo "system: $c: a case folder without its case file" >&2; exit 2; }
	all+=("${c##*/}")
done
sel=("${all[@]}")
if [ $# -gt 0 ]; then
	sel=()
	for w in "$@"; do
		[ -f "$CASES/$w/case" ] || { echo "system: no case '$w' (cases: ${all[*]})" >&2; exit 2; }
		sel+=("$w")
	done
fi
[ -f "$ESP" ] || { echo "system: $ESP missing: run make first" >&2; exit 2; }
rm -rf "$OUT/prep"
mkdir -p "$OUT/prep" "$OUT/img"
make_images() {
	local c
	for c in "${sel[@]}"; do prepare "$c" || return 1; done
}
make_images >"$OUT/make_images.log" 2>&1 || { cat "$OUT/make_images.log"; exit 1; }
export -f run_case
export OUT CASES
# Two at a time; Bochs cases first, the longest bound (secs=) first among
# them, so that the long ones overlap the short ones instead of ending last.
results=$(for c in "${sel[@]}"; do read -r emu secs _ <"$OUT/prep/$c.run"; echo "$emu $secs $c"; done |
	sort -k1,1 -k2,2nr -k3,3 | cut -d' ' -f3 |
	tr '\n' '\0' | xargs -0 -P 2 -I{} bash -c 'run_case "$1"' _ {})
echo "$results"
pass=$(grep -c '^PASS ' <<<"$results")
fail=$(grep -c '^FAIL ' <<<"$results")
echo "system: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -eq ${#sel[@]} ]
