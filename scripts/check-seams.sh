#!/usr/bin/env bash
# check-seams.sh - the layers of dedupvisor, checked (make check-seams; the
# hypervisor's link runs the symbol check too).
#
#   boot/ -> kernel/ (the generic core) -> arch/ARCH/ and the portable
#   models (dedup/, tier/, ept/, delta/, devices/, api/, net/); include/ and common/ are
#   shared by all.  control/ (the operator's side: console, measurement
#   points, the network and the API's glue) is a client of the core that
#   the core never calls: only kmain (kernel/main.c) knows it, through
#   control/control.h.  lwIP (build/lwip, Debian's source) is a library of
#   control/'s, like newlib; lz4 (build/lz4) and zstd (build/zstd) are
#   tier/'s.
#
# --sources ARCH -- HV_SRCS... -- EFI_SRCS...
#   Every quoted #include names a bare file found through the folder's own
#   include roots (no "../", no paths), and:
#   - dedup/: its own headers, tier/'s (the compressed pool it drives) and
#     delta/'s (the patcher and similarity index of its patches);
#     tier/: its own, lz4.h and zstd.h; ept/: its own and common/ptwalk.h (the one
#     page-table walker); delta/: its own; devices/ and api/: their own
#     and include/; net/ (lwIP's port, the HTTP server) its own, api/,
#     include/ and lwIP's headers (<lwip/...>); none of them inline
#     assembly; api/ (the HTTP API, built
#     for the host and freestanding with newlib) of the C library only
#     <stdint.h>, <stddef.h>, <stdbool.h>, <string.h> and <stdio.h>;
#   - kernel/: no net/, api/ or control/ header (kernel/main.c: control.h
#     alone); from arch/ only arch.h (arch/ARCH/include/arch.h); from
#     dedup/ only its public headers (dedup.h, dedup_ops.h, recount.h,
#     governor.h);
#   - control/: the core's headers, net/, api/, arch.h, dedup/'s public ones;
#   - arch/ARCH/: from the core only upcall.h (kernel/include/upcall.h);
#   - common/: only include/ and common/; boot/: boot/, include/, common/;
#   - nothing from tools/, tests/ or guests/ is in the hypervisor's or the
#     loader's link line.
# --symbols OBJDIR ARCH -- OBJS...  (the objects the hypervisor links)
#   In the built objects: arch/ calls into the core only functions declared
#   in upcall.h, and nothing of dedup/ or ept/; the core calls into arch/
#   only what arch.h declares, and nothing of control/ (kmain: only the
#   control_* functions control.h declares); dedup/, tier/, ept/, delta/, devices/, api/,
#   net/ and common/ call into none of them; lwIP calls nothing of arch/
#   or the core, and of control/ only its port (sys_now, lwip_port_*:
#   net/lwip_port.h); lz4 and zstd call nothing of them.
# Each violation is printed with its file and line (or symbol); exit 1.
set -u
cd "$(dirname "$0")/.."
bad=0
say() { echo "seams: $*"; bad=1; }

# The functions a seam header declares: its prototypes' names, which carry
# the seam's prefixes (arch_ in arch.h; kmain and core_ in upcall.h), so
# that a parameter or a word in a comment whitelists nothing.
declared() { grep -oE '\b(arch_|core_|kmain|control_)[a-z_0-9]*\(' "$1" | tr -d '(' | sort -u; }

sources() {
	local arch=$1; shift
	[ "${1:-}" = -- ] && shift
	local hv=() efi=() in_efi=0 a
	for a in "$@"; do
		[ "$a" = -- ] && { in_efi=1; continue; }
		if [ $in_efi = 1 ]; then efi+=("$a"); else hv+=("$a"); fi
	done
	local A=arch/$arch
	# folder -> allowed include folders ("@arch.h" / "@upcall.h": that one file)
	declare -A roots=(
		[dedup]="dedup tier delta" [tier]="tier @build/lz4/src/lib/lz4.h @build/zstd/src/lib/zstd.h" [ept]="ept @common/ptwalk.h" [delta]="delta"
		[devices]="devices include" [api]="api include"
		[net]="net include api"
		[common]="include common"
		[include]="include"
		[boot]="boot include common"
		[kernel]="kernel kernel/include include common ept devices @dedup/dedup.h @dedup/dedup_ops.h @dedup/recount.h @dedup/governor.h @$A/include/arch.h"
		[arch]="$A $A/include include common @kernel/include/upcall.h"
		[control]="control kernel kernel/include include common ept devices net api @dedup/dedup.h @dedup/dedup_ops.h @dedup/recount.h @dedup/governor.h @$A/include/arch.h"
	)
	local f top line inc dirs d ok where
	while IFS= read -r f; do
		top=${f%%/*}
		dirs=${roots[$top]:-}
		[ -n "$dirs" ] || continue
		# kmain puts the system together: it alone of the core knows control/.
		[ "$f" = kernel/main.c ] && dirs="$dirs @control/control.h"
		while IFS=: read -r line inc; do
			# The quoted name, by parameter expansion (here and below: a
			# process per line made this check take a minute on a loaded
			# machine).
			inc=${inc#*\"}
			inc=${inc%%\"*}
			case $inc in
			*/*) say "$f:$line: #include \"$inc\": a path; include by name through the include roots"; continue ;;
			esac
			ok=0
			for d in $dirs; do
				if [ "${d#@}" != "$d" ]; then
					[ "${d##*/}" = "$inc" ] && ok=1
				elif [ -f "$d/$inc" ]; then
					ok=1
				fi
			done
			[ $ok = 1 ] && continue
			where=$(cd . && ls {kernel,kernel/include,control,$A,$A/include,dedup,tier,ept,delta,devices,api,net,common,include,boot,tools,tests/fake}/"$inc" 2>/dev/null | head -n1)
			if [ -n "$where" ]; then
				say "$f:$line: #include \"$inc\": $top/ may not include $where"
			elif [ "${f%.S}" = "$f" ] || [ "$inc" != asm-offsets.h ]; then
				say "$f:$line: #include \"$inc\": not found in $top/'s include roots ($dirs)"
			fi
		done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
	done < <({ git ls-files 'dedup/*.[ch]' 'tier/*.[ch]' 'ept/*.[ch]' 'delta/*.[ch]' 'devices/*.[ch]' 'api/*.[ch]' 'net/*.[ch]' \
		'common/*.[ch]' 'include/*.h' 'boot/*.[chS]' 'kernel/*.[ch]' 'kernel/include/*.h' 'control/*.[ch]' \
		"$A/*.[chS]" "$A/include/*.h" 2>/dev/null
		ls dedup/*.[ch] tier/*.[ch] ept/*.[ch] delta/*.[ch] devices/*.[ch] api/*.[ch] net/*.[ch] net/arch/*.h common/*.[ch] \
		include/*.h boot/*.[chS] \
		kernel/*.[ch] kernel/include/*.h control/*.[ch] $A/*.[chS] $A/include/*.h 2>/dev/null; } | sort -u)
	local asm
	asm=$(grep -nE '__asm__|\basm *\(|volatile *\(' dedup/*.[ch] tier/*.[ch] ept/*.[ch] delta/*.[ch] devices/*.[ch] api/*.[ch] \
		net/*.[ch] net/arch/*.h common/*.[ch] 2>/dev/null)
	[ -z "$asm" ] || say "inline assembly in a portable folder:"$'\n'"$asm"
	# api/ builds for the host and freestanding: the C library's common core only.
	local sys
	sys=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' api/*.[ch] 2>/dev/null |
		grep -vE '<(stdint|stddef|stdbool|string|stdio)\.h>')
	[ -z "$sys" ] || say "api/ includes a system header beyond stdint, stddef, stdbool, string, stdio:"$'\n'"$sys"
	for a in "${hv[@]}"; do
		case $a in tools/*|tests/*|guests/*) say "hypervisor link line has $a (test or tool code)";; esac
	done
	for a in "${efi[@]}"; do
		case $a in tools/*|tests/*|guests/*) say "loader link line has $a (test or tool code)";; esac
	done
	[ $bad = 0 ] && echo "seams: the layers hold (includes of ${#hv[@]} hypervisor and ${#efi[@]} loader sources checked)"
}

symbols() {
	local obj=$1 arch=$2 A=arch/$2
	shift 2
	[ "${1:-}" = -- ] && shift
	local t; t=$(mktemp -d)
	# Only what the link uses: a stale object of a removed source is no layer.
	local o arch_o=() core_o=() ctl_o=() port_o=() lwip_o=() lib_o=()
	for o in "$@"; do
		case $o in
		"$obj"/$A/*) arch_o+=("$o") ;;
		"$obj"/kernel/*) core_o+=("$o") ;;
		"$obj"/control/*) ctl_o+=("$o") ;;
		"$obj"/dedup/*|"$obj"/tier/*|"$obj"/ept/*|"$obj"/delta/*|"$obj"/devices/*|"$obj"/api/*|"$obj"/net/*|"$obj"/common/*) port_o+=("$o") ;;
		"$obj"/lwip/*) lwip_o+=("$o") ;;
		"$obj"/lz4/* | "$obj"/zstd/*) lib_o+=("$o") ;;
		esac
	done
	defs() { nm --defined-only -g "$@" 2>/dev/null | awk 'NF==3{print $3}' | sort -u; }
	undef() { nm -u "$1" | awk '{print $2}' | sort -u; }
	defs "${arch_o[@]}" >"$t/arch"
	defs "${core_o[@]}" >"$t/core"
	defs "${ctl_o[@]}" >"$t/control"
	printf '%s\n' "${port_o[@]}" | grep -vE "^$obj/common/" | xargs -r nm --defined-only -g 2>/dev/null \
		| awk 'NF==3{print $3}' | sort -u >"$t/portable"
	declared kernel/include/upcall.h >"$t/upcalls"
	declared $A/include/arch.h >"$t/archapi"
	declared control/control.h >"$t/controlapi"
	local s
	for o in "${arch_o[@]}"; do
		for s in $(undef "$o" | comm -12 - "$t/core" | comm -23 - "$t/upcalls"); do
			say "${o#"$obj"/}: calls the core's $s, which upcall.h does not declare"
		done
		for s in $(undef "$o" | comm -12 - "$t/portable"); do
			say "${o#"$obj"/}: calls $s of dedup/ or ept/ (the core's to call)"
		done
	done
	for o in "${core_o[@]}" "${ctl_o[@]}"; do
		for s in $(undef "$o" | comm -12 - "$t/arch" | comm -23 - "$t/archapi"); do
			say "${o#"$obj"/}: calls arch/'s $s, which arch.h does not declare"
		done
	done
	# The core never calls control/; kmain only what control.h declares.
	for o in "${core_o[@]}"; do
		for s in $(undef "$o" | comm -12 - "$t/control"); do
			if [ "${o#"$obj"/}" = kernel/main.c.o ] && grep -qx "$s" "$t/controlapi"; then
				continue
			fi
			say "${o#"$obj"/}: calls control/'s $s (the core never calls the operator's side)"
		done
	done
	for o in "${port_o[@]}"; do
		for s in $(undef "$o" | cat - "$t/arch" "$t/core" "$t/control" | sort | uniq -d); do
			say "${o#"$obj"/}: a portable object calls $s of arch/, the core or control/"
		done
	done
	# lwIP: into control/ only its port's functions, into arch/ and the core nothing.
	for o in "${lwip_o[@]}"; do
		for s in $(undef "$o" | cat - "$t/arch" "$t/core" "$t/control" | sort | uniq -d |
			   grep -vxE 'sys_now|lwip_port_[a-z_0-9]+'); do
			say "${o#"$obj"/}: lwIP calls $s of arch/, the core or control/ (its port is sys_now, lwip_port_*)"
		done
	done
	# lz4 and zstd (tier/'s codecs): nothing of arch/ or the core.
	for o in "${lib_o[@]}"; do
		for s in $(undef "$o" | cat - "$t/arch" "$t/core" | sort | uniq -d); do
			say "${o#"$obj"/}: a codec (lz4, zstd) calls $s of arch/ or the core"
		done
	done
	rm -rf "$t"
	[ $bad = 0 ] && echo "seams: calls between the layers go through arch.h and upcall.h only"
}

case ${1:-} in
--sources) shift; sources "$@" ;;
--symbols) shift; symbols "$@" ;;
*) echo "usage: $0 --sources ARCH -- HV_SRCS -- EFI_SRCS | --symbols OBJDIR ARCH" >&2; exit 2 ;;
esac
exit $bad
