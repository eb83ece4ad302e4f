# dedupvisor - top-level build.
#
#   make          deps, newlib (once), BOOTX64.EFI, dedupvisor.elf, build/esp.img
#   make run      boot it: EMU=kvm|bochs|qemu (default: kvm if nested VT-x, else bochs);
#                 console commands (help, stats, vms, set) can be typed
#   make test     host unit tests (plain and ASan+UBSan) and system tests
#   make clean    everything but the cached newlib (make distclean: that too)
#   V=1           show full command lines
#
# Three flag sets: the hypervisor (freestanding, kernel code model, no SSE in
# our code), the UEFI loader (gnu-efi's PIC recipe), the host (tests, tools).
# Objects rebuild when their flag set changes ($(B)/flags/, below).
#
# Layers (docs/architecture.md): boot/ -> kernel/ (the generic core) ->
# arch/x86_64/ and the portable models (dedup/, ept/, devices/, api/);
# control/ (the operator's side) is a client of the core that only kmain
# knows; common/ holds what the loader and the hypervisor both compile.  Each folder is compiled with the
# include roots it may use (INC_<folder>), and `make check-seams` checks the
# rest: the core sees arch/ only through arch/x86_64/include/arch.h, arch/
# sees the core only through kernel/include/upcall.h.

# `make` alone builds the image and the host tools (the lwIP rules come
# first in this file, and make would otherwise take their stamp as its goal).
.DEFAULT_GOAL := all

B       := build
Q       := $(if $(V),,@)
CC      := gcc
LD      := ld
NEWLIB  := $(B)/newlib/install/x86_64-elf

ARCH    := x86_64
# Jailhouse's warning set on top of -Wall -Wextra.
WARN    := -Wall -Wextra -Werror -Wstrict-prototypes -Wtype-limits -Wmissing-declarations \
	-Wmissing-prototypes -Wnested-externs -Wshadow -Wredundant-decls -Wundef -Wdeprecated \
	-Wold-style-definition

# Include roots, per folder of the product: what each layer may see.
INC_include := -Iinclude
INC_common  := -Iinclude -Icommon
INC_dedup   := -Idedup -Itier -Idelta
INC_ept     := -Iept -Icommon
INC_kernel  := -Iinclude -Icommon -Idedup -Iept -Ikernel -Ikernel/include -Iarch/$(ARCH)/include
INC_arch    := -Iinclude -Icommon -Iarch/$(ARCH) -Iarch/$(ARCH)/include -Ikernel/include
INC_boot    := -Iinclude -Icommon -Iboot
# Tests and tools reach any product header by name (they test it).
INC_tests   := -Iinclude -Icommon -Idedup -Itier -Iept -Ikernel -Ikernel/include -Iarch/$(ARCH) \
	-Iarch/$(ARCH)/include -Iboot -Itools -Itests/fake -Itests/unit -Iguests
INC_tools    = $(INC_tests)
inc_for = $(INC_$(firstword $(subst /, ,$(1))))

HV_ABI  := -ffreestanding -fno-pic -mcmodel=kernel -mno-red-zone -fno-stack-protector -fno-common
HV_CFLAGS := -std=gnu11 -O2 -g $(WARN) $(HV_ABI) -mno-sse -mno-mmx -mno-80387 \
	-isystem $(NEWLIB)/include -MMD -MP
# The page hash (dedup/page.c) is built with SSE2 for XXH3's vector path:
# every x86-64 CPU has SSE2, and the hypervisor may use SSE registers
# because each guest's FXSAVE state is saved right after every exit and
# restored right before every entry (arch/x86_64/vcpu.c).  AVX2 is not used:
# XCR0 and the upper vector state are not switched between guests.
# HV_HASH=scalar builds it without (to measure the difference).
HV_SIMD := $(if $(filter scalar,$(HV_HASH)),,-msse -msse2)
# newlib is built with the same ABI; it may use SSE (see arch/x86_64/setup.c).
NEWLIB_CFLAGS := -O2 -g $(HV_ABI)

EFI_CFLAGS := -std=gnu11 -O2 $(WARN) -Wno-unused-parameter \
	-isystem /usr/include/efi -isystem /usr/include/efi/x86_64 -fpic -fshort-wchar -ffreestanding \
	-fno-stack-protector -fno-strict-aliasing -mno-red-zone -maccumulate-outgoing-args \
	-DEFI_FUNCTION_WRAPPER -DGNU_EFI_USE_MS_ABI -MMD -MP

HOST_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -O1 -g $(WARN) -MMD -MP
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# ---- sources ----
# dedup/ and ept/ are plain C11: the same files build into the hypervisor,
# the host tests and the host tools.  tier/ is the engine's compressed
# pool and its lz4 codec (lz4: Debian's source, the section below), delta/
# the patcher and similarity index of its patches (below);
# DEDUP_HOST_SRCS is the engine with them, for host programs.
LZ4_DIR := $(B)/lz4
LZ4_SRC := $(LZ4_DIR)/src/lib
LZ4_C   := $(LZ4_SRC)/lz4.c
DEDUP_SRCS := dedup/page.c dedup/index.c dedup/sharers.c dedup/merge.c dedup/cow.c dedup/same.c \
	dedup/scan.c dedup/vm.c dedup/stats.c dedup/page_view.c dedup/recount.c dedup/account.c \
	dedup/governor.c dedup/tier.c dedup/tier_patch.c dedup/point_walk.c
ZSTD_DIR := $(B)/zstd
ZSTD_SRC := $(ZSTD_DIR)/src/lib
ZSTD_FILES := common/entropy_common.c common/error_private.c common/fse_decompress.c \
	common/zstd_common.c common/xxhash.c compress/fse_compress.c compress/hist.c \
	compress/huf_compress.c compress/zstd_compress.c compress/zstd_compress_literals.c \
	compress/zstd_compress_sequences.c compress/zstd_compress_superblock.c \
	compress/zstd_double_fast.c compress/zstd_fast.c compress/zstd_lazy.c compress/zstd_ldm.c \
	compress/zstd_opt.c decompress/huf_decompress.c decompress/zstd_ddict.c \
	decompress/zstd_decompress.c decompress/zstd_decompress_block.c
ZSTD_C := $(addprefix $(ZSTD_SRC)/,$(ZSTD_FILES))
TIER_SRCS := tier/zpool.c tier/compress.c tier/zstd_page.c
INC_tier := -Itier -iquote $(LZ4_SRC) -iquote $(ZSTD_SRC)
DELTA_SRCS := delta/patch.c delta/sim.c
DEDUP_HOST_SRCS := $(DEDUP_SRCS) $(TIER_SRCS) $(LZ4_C) $(ZSTD_C) $(DELTA_SRCS)
COMMON_SRCS := common/config.c common/knobs.c common/pt_build.c common/ptwalk.c
ARCH_SRCS := arch/$(ARCH)/entry.S arch/$(ARCH)/isr.S arch/$(ARCH)/setup.c arch/$(ARCH)/trap.c \
	arch/$(ARCH)/uart.c arch/$(ARCH)/uart_tx.c arch/$(ARCH)/power.c arch/$(ARCH)/paging.c \
	arch/$(ARCH)/apic.c arch/$(ARCH)/ioapic.c \
	arch/$(ARCH)/vmx_features.c arch/$(ARCH)/vmx_gate.c arch/$(ARCH)/vmx_controls.c \
	arch/$(ARCH)/vmx_entry.S arch/$(ARCH)/vcpu.c arch/$(ARCH)/vmexit.c arch/$(ARCH)/vmexit_event.c \
	arch/$(ARCH)/exit_decode.c arch/$(ARCH)/smp.c arch/$(ARCH)/shootdown.c arch/$(ARCH)/ap_boot.S \
	arch/$(ARCH)/guest_msr.c arch/$(ARCH)/tsc.c arch/$(ARCH)/cmos.c arch/$(ARCH)/e1000.c \
	arch/$(ARCH)/spec_ctrl.c arch/$(ARCH)/random.c
CORE_SRCS := kernel/main.c kernel/frames.c kernel/lock.c kernel/vm.c kernel/upcall.c \
	kernel/hypercall.c kernel/sched.c kernel/sharing.c kernel/sharing_ops.c kernel/sharing_audit.c \
	kernel/sharing_converge.c \
	kernel/boot_info_check.c kernel/acpi.c kernel/freeze.c \
	kernel/test_support.c kernel/guest_out.c kernel/libc_glue.c kernel/linux_vm.c \
	kernel/fleet.c kernel/vm_console.c kernel/console_out.c kernel/linux_smp.c
# The operator's side (control/): a client of the core that the core never
# calls - the console and its commands, measurement points, memory dumps,
# the network and the API's glue.  kmain hands control.c's hook to the
# scheduler (as it hands ap_work to arch_start_cpus).
CONTROL_SRCS := control/control.c control/console.c control/console_cmd.c control/points.c \
	control/point_run.c control/memdump.c
HV_SRCS := $(ARCH_SRCS) $(CORE_SRCS) $(CONTROL_SRCS) $(COMMON_SRCS) $(DEDUP_SRCS) $(TIER_SRCS) ept/ept.c
EFI_SRCS := boot/loader.c boot/elf_check.c boot/mmap_convert.c $(COMMON_SRCS) \
	arch/$(ARCH)/handoff.S

HV_OBJS   = $(patsubst %,$(B)/hv/%.o,$(HV_SRCS)) $(LWIP_OBJS) $(DASHBOARD_OBJ) $(LZ4_HV_OBJ) $(ZSTD_HV_OBJS)
EFI_OBJS := $(patsubst %,$(B)/efi/%.o,$(EFI_SRCS))

# Host unit tests: test name -> the product sources it links.
UNIT_TESTS := test_config test_frames test_elf_check test_mmap_convert test_boot_info \
	test_vmx_features test_pt_build test_acpi test_dedup_engine test_dedup_collision \
	test_dedup_model test_oracle test_ept test_console_cmd test_exit_decode test_portbus \
	test_governor test_shootdown test_uart_tx test_spec_ctrl test_dedup_ws test_dedup_tier \
	test_dedup_same test_dedup_patch
test_config_SRCS       := common/config.c common/knobs.c
test_frames_SRCS       := kernel/frames.c
test_elf_check_SRCS    := boot/elf_check.c
test_mmap_convert_SRCS := boot/mmap_convert.c
test_boot_info_SRCS    := kernel/boot_info_check.c
test_vmx_features_SRCS := arch/x86_64/vmx_features.c
test_pt_build_SRCS     := common/pt_build.c common/ptwalk.c
test_acpi_SRCS         := kernel/acpi.c
test_dedup_engine_SRCS := $(DEDUP_HOST_SRCS) tests/fake/fake_mem.c
test_dedup_collision_SRCS := $(filter-out dedup/page.c,$(DEDUP_HOST_SRCS)) tests/fake/collide_hash.c \
	tests/fake/fake_mem.c
test_dedup_model_SRCS := $(DEDUP_HOST_SRCS) tests/fake/fake_mem.c
test_dedup_ws_SRCS := $(DEDUP_HOST_SRCS) tests/fake/fake_mem.c
test_dedup_tier_SRCS := $(DEDUP_HOST_SRCS) tests/fake/fake_mem.c
test_dedup_same_SRCS := $(DEDUP_HOST_SRCS) tests/fake/fake_mem.c
test_dedup_patch_SRCS := $(DEDUP_HOST_SRCS) tests/fake/fake_mem.c
UNIT_TESTS += test_point_walk
test_point_walk_SRCS := $(DEDUP_HOST_SRCS) tests/fake/fake_mem.c
test_oracle_SRCS := tools/oracle.c dedup/recount.c
UNIT_TESTS += test_recount_step
test_recount_step_SRCS := dedup/recount.c
EPT_SRCS := ept/ept.c common/ptwalk.c
test_ept_SRCS := $(EPT_SRCS)
test_console_cmd_SRCS := control/console_cmd.c common/knobs.c
UNIT_TESTS += test_knobs
test_knobs_SRCS := common/knobs.c common/config.c control/console_cmd.c api/knobs_parse.c
test_exit_decode_SRCS := arch/x86_64/exit_decode.c
test_governor_SRCS := dedup/governor.c
test_shootdown_SRCS := arch/x86_64/shootdown.c
test_uart_tx_SRCS := arch/x86_64/uart_tx.c tests/fake/timed_uart.c
test_spec_ctrl_SRCS := arch/x86_64/spec_ctrl.c
UNIT_TESTS += test_vm_console test_console_out
test_vm_console_SRCS := kernel/vm_console.c
test_console_out_SRCS := kernel/console_out.c

# ---- device models (devices/) ----
# Plain C11 models of the PC devices a Linux guest needs; no hardware access.
# Built into the hypervisor and host-tested like dedup/ and ept/.
DEVICE_SRCS := devices/pic8259.c devices/pit8254.c devices/uart16550.c devices/rtc_cmos.c \
	devices/vplatform.c devices/portbus.c devices/lapic.c devices/acpi_tables.c
UNIT_TESTS += test_pic8259 test_pit8254 test_uart16550 test_rtc_cmos test_lapic test_acpi_tables
test_pic8259_SRCS := devices/pic8259.c
test_pit8254_SRCS := devices/pit8254.c
test_uart16550_SRCS := devices/uart16550.c
test_rtc_cmos_SRCS := devices/rtc_cmos.c
test_lapic_SRCS := devices/lapic.c
test_acpi_tables_SRCS := devices/acpi_tables.c kernel/acpi.c
INC_tests += -Idevices

# The Linux loader's plan (which kernel file, where its pieces go, boot_params
# or PVH start_info), and the device models, into the hypervisor.
HV_SRCS += devices/linux_boot.c $(DEVICE_SRCS)
INC_kernel += -Idevices
INC_devices := -Iinclude -Idevices
INC_tests += -Idevices
UNIT_TESTS += test_linux_boot test_vplatform
test_linux_boot_SRCS := devices/linux_boot.c
test_vplatform_SRCS := $(DEVICE_SRCS)
test_portbus_SRCS := $(DEVICE_SRCS)

# ---- the HTTP API's portable core (api/) ----
# Issue 12's request parser, router and token check, JSON and Prometheus
# writers, knob parser and response heads: plain C11 over fixed buffers
# (docs/api.md).  Built into the hypervisor (unused until the NIC and lwIP
# come) and host-tested like devices/.
API_SRCS := api/http_parse.c api/router.c api/json_write.c api/prom_write.c api/knobs_parse.c \
	api/response.c api/history.c api/conn_pool.c api/auth_throttle.c
INC_api := -Iinclude -Iapi
INC_tests += -Iapi
HV_SRCS += $(API_SRCS)
UNIT_TESTS += test_http_parse test_api_router test_api_writers test_knobs_parse test_history \
	test_conn_pool test_auth_throttle
test_http_parse_SRCS := api/http_parse.c
test_api_router_SRCS := api/router.c api/http_parse.c
test_api_writers_SRCS := api/json_write.c api/prom_write.c api/response.c
test_knobs_parse_SRCS := api/knobs_parse.c
test_history_SRCS := api/history.c api/json_write.c api/http_parse.c
test_conn_pool_SRCS := api/conn_pool.c
test_auth_throttle_SRCS := api/auth_throttle.c

# ---- the network: lwIP (Debian's source) and our port (net/) ----
# lwIP is Debian bookworm's `lwip` source package, fetched and unpacked by
# scripts/debsrc.sh into $(B)/lwip (outside git, kept by make clean), and its
# core compiled here with the hypervisor's flags and full warning set (it
# needs no relaxation): IPv4, ARP, ICMP, UDP, TCP, Ethernet, DHCP; no DNS,
# IPv6, sockets or netconn (net/lwipopts.h says why).  net/ holds our
# lwipopts.h, lwIP's arch/cc.h and what lwIP needs of a port (lwip_port.h):
# plain C, no hardware.  The glue that drives lwIP (the operator's side: the
# netif over arch_nic_*, sys_now from the TSC) is control/net.c.
LWIP_DIR := $(B)/lwip
LWIP_SRC := $(LWIP_DIR)/src/src
LWIP_FILES := core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
	core/netif.c core/pbuf.c core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
	core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c core/ipv4/dhcp.c \
	netif/ethernet.c
LWIP_OBJS := $(patsubst %,$(B)/hv/lwip/%.o,$(LWIP_FILES))
INC_lwip := -Inet -I$(LWIP_SRC)/include
INC_net := -Iinclude -Inet -Iapi -I$(LWIP_SRC)/include
# The core never sees the network's or the API's headers, nor control/'s
# (but kmain, which hands control/'s hook to the scheduler: control.h).
INC_control = $(INC_kernel) -Icontrol -Inet -Iapi -I$(LWIP_SRC)/include
$(B)/hv/kernel/main.c.o: private INC_kernel += -Icontrol
INC_tests += -Icontrol
NET_SRCS := net/http_server.c control/net.c control/api_serve.c control/api_vm.c \
	control/api_history.c control/api_account.c control/api_console.c
HV_SRCS += $(NET_SRCS)

# ---- lz4 (Debian's source), the compressed tier's codec ----
# Debian bookworm's `lz4` source package (1.9.4 with Debian's patches),
# fetched and checked by scripts/debsrc.sh into $(B)/lz4 like lwIP.  Only
# lib/lz4.c is used: the block format, LZ4_compress_fast_extState with a
# state the caller owns (no 16 KiB on the stack, no malloc) and
# LZ4_decompress_safe, which never writes past the buffer it is given
# whatever the input.  Why lz4 and not our own: it is the codec zram, zswap
# and ESX-class tiers use, fuzzed for a decade, and at ~1 us to decompress
# a page it keeps a fault on a compressed page near a COW break's cost.
# In the hypervisor it is built LZ4_FREESTANDING (no libc calls but the
# three below, mapped to the compiler's builtins, which newlib provides).
# Its one warning under our set is a definition without a prototype.
LZ4_VERSION := 1.9.4-1
LZ4_WARN := -Wno-missing-prototypes -Wno-missing-declarations
LZ4_HV_FLAGS := -DLZ4_FREESTANDING=1 -DLZ4_memcpy=__builtin_memcpy -DLZ4_memset=__builtin_memset \
	-DLZ4_memmove=__builtin_memmove $(LZ4_WARN)
LZ4_HV_OBJ := $(B)/hv/lz4/lz4.c.o
# -iquote: lz4.h by its quoted name; lz4's bundled xxhash.h must not shadow
# the system's <xxhash.h> (dedup/page.c).
INC_tests += -iquote $(LZ4_SRC) -iquote $(ZSTD_SRC)
$(LZ4_DIR)/stamp: scripts/debsrc.sh
	$(Q)bash scripts/debsrc.sh lz4 $(LZ4_VERSION) $(LZ4_DIR) lib/lz4.c
$(LZ4_C) $(LZ4_SRC)/lz4.h: $(LZ4_DIR)/stamp ;
.PRECIOUS: $(LZ4_C) $(LZ4_SRC)/lz4.h
$(LZ4_HV_OBJ): $(LZ4_C) $(B)/newlib/stamp $(B)/flags/hv
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      lz4/lz4.c")
	$(Q)$(CC) $(HV_CFLAGS) $(LZ4_HV_FLAGS) -c $< -o $@
$(B)/host/$(LZ4_C:.c=.o) $(B)/host-san/$(LZ4_C:.c=.o) $(B)/tools/$(LZ4_C:.c=.o): \
	private HOST_CFLAGS += $(LZ4_WARN)
$(B)/tools/$(LZ4_C:.c=.o): private TOOL_CFLAGS += $(LZ4_WARN)
UNIT_TESTS += test_lz4_page test_zpool
test_lz4_page_SRCS := $(LZ4_C)
test_zpool_SRCS := tier/zpool.c tier/compress.c $(LZ4_C) tests/fake/fake_mem.c

# ---- zstd (Debian's source), the compressed tier's second codec ----
# Debian bookworm's `libzstd` source package (1.5.4 with Debian's
# patches), fetched and checked by scripts/debsrc.sh into $(B)/zstd like
# lz4.  Pages idle much longer than dedup.cold_s (dedup.zstd_s), and cold
# pages lz4 cannot fit in 2 KiB, are kept in zstd's format instead
# (dedup/tier.c).  Why zstd and not our own: it is what zram recompresses
# with since Linux 6.2 and what the kernel ships, fuzzed continuously; on
# the corpus of idle Debian VMs at level 1 it takes about half lz4's
# bytes, and fits under 2 KiB some of the pages lz4 cannot, for ~3x lz4's
# compression time and ~4x its decompression (docs/tier.md).  Only the
# compressor and decompressor of lib/ (no multithreading, no legacy
# formats, no dictionary builder), the x86 assembly off (portable C, the
# same in every build), BMI2 not probed (no cpuid in a portable file),
# error strings stripped, its xxhash under zstd's own names (ours is
# Debian's libxxhash).  Both contexts live in static workspaces
# (tier/zstd_page.c): zstd's malloc paths are linked (newlib) but never
# called.  It compiles clean under our warnings.
ZSTD_VERSION := 1.5.4+dfsg2-5
ZSTD_FLAGS := -DZSTD_DISABLE_ASM -DDYNAMIC_BMI2=0 -DZSTD_STRIP_ERROR_STRINGS -DZSTD_TRACE=0 \
	-DZSTD_LEGACY_SUPPORT=0 -DXXH_NAMESPACE=ZSTD_ -DDEBUGLEVEL=0
ZSTD_HV_OBJS := $(patsubst $(ZSTD_SRC)/%.c,$(B)/hv/zstd/%.c.o,$(ZSTD_C))
$(ZSTD_DIR)/stamp: scripts/debsrc.sh
	$(Q)bash scripts/debsrc.sh libzstd $(ZSTD_VERSION) $(ZSTD_DIR) lib/zstd.h
$(ZSTD_C) $(ZSTD_SRC)/zstd.h: $(ZSTD_DIR)/stamp ;
.PRECIOUS: $(ZSTD_C) $(ZSTD_SRC)/zstd.h
$(ZSTD_HV_OBJS): $(B)/hv/zstd/%.c.o: $(ZSTD_SRC)/%.c $(B)/newlib/stamp $(B)/flags/hv
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      zstd/$*.c")
	$(Q)$(CC) $(HV_CFLAGS) $(ZSTD_FLAGS) -c $< -o $@
$(B)/host/$(ZSTD_SRC)/%.o $(B)/host-san/$(ZSTD_SRC)/%.o: private HOST_CFLAGS += $(ZSTD_FLAGS)
$(B)/tools/$(ZSTD_SRC)/%.o: private TOOL_CFLAGS += $(ZSTD_FLAGS)
UNIT_TESTS += test_zstd_page
test_zstd_page_SRCS := tier/zstd_page.c tier/compress.c $(ZSTD_C) $(LZ4_C)

# ---- sub-page patching (delta/), issue 21 ----
# The similarity index and the patcher (delta/delta.h): plain C11 like
# dedup/, its own headers and the C library's (xxHash for keys and
# checksums).  Built into the hypervisor, where the engine's cold tier
# keeps patches with it (dedup/tier_patch.c), and with SSE2 for XXH3 as
# dedup/page.c is; host-tested and fuzzed (fuzz_delta, fuzz_engine).
# tools/patchbench measures what chose its design (docs/patching.md).
# (DELTA_SRCS is defined with the engine's sources, above.)
INC_delta := -Idelta
INC_tests += -Idelta
HV_SRCS += $(DELTA_SRCS)
$(B)/hv/delta/patch.c.o $(B)/hv/delta/sim.c.o: private HV_CFLAGS += $(HV_SIMD)
UNIT_TESTS += test_delta_patch test_delta_sim
test_delta_patch_SRCS := $(DELTA_SRCS)
test_delta_sim_SRCS := $(DELTA_SRCS)
PATCHBENCH_SRCS := tools/patchbench.c tools/patchsim.c tools/xorlz4.c $(DELTA_SRCS) $(LZ4_C)
$(B)/tools/patchbench: $(patsubst %.c,$(B)/tools/%.o,$(PATCHBENCH_SRCS))
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

# The dashboard (GET /, api/dashboard.html) embedded as a C array: xxd -i
# (Debian's xxd; scripts/deps.sh) writes `unsigned char dashboard_html[]`
# and `unsigned int dashboard_html_len`, made const here (read-only data).
# A C file rather than `ld -r -b binary`: it compiles with the hypervisor's
# flags like any other, its names are ours rather than derived from a path,
# and the length is a value, not the difference of two linker symbols.
DASHBOARD_OBJ := $(B)/hv/generated/dashboard_html.c.o
$(B)/generated/dashboard_html.c: api/dashboard.html | $(B)/.deps
	@mkdir -p $(dir $@)
	$(Q)(echo '/* generated from api/dashboard.html by xxd -i (Makefile): do not edit */'; \
	  echo '#include "dashboard.h"'; \
	  cd api && xxd -i dashboard.html | sed 's/^unsigned/const unsigned/') >$@.tmp && mv $@.tmp $@
$(DASHBOARD_OBJ): $(B)/generated/dashboard_html.c api/dashboard.h $(B)/newlib/stamp $(B)/flags/hv
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HV_CFLAGS) $(INC_api) -c $< -o $@

LWIP_VERSION := 2.1.3+dfsg1-2
$(LWIP_DIR)/stamp: scripts/debsrc.sh
	$(Q)bash scripts/debsrc.sh lwip $(LWIP_VERSION) $(LWIP_DIR) src/core/tcp.c
$(LWIP_SRC)/%.c: $(LWIP_DIR)/stamp ;
# Made by a pattern rule, lwIP's sources would be intermediate files, which
# make deletes after a build that created them: keep them.
.PRECIOUS: $(LWIP_SRC)/%.c
$(B)/hv/lwip/%.c.o: $(LWIP_SRC)/%.c $(B)/newlib/stamp $(B)/flags/hv
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      lwip/$*.c")
	$(Q)$(CC) $(HV_CFLAGS) $(INC_lwip) -c $< -o $@

ESP_FILES = $(B)/BOOTX64.EFI $(B)/dedupvisor.elf config/dedupvisor.cfg $(GUEST_BINS)

.PHONY: all deps run run-linux linux-guest bench-linux bench-fleet bench-same bench-scan bench-api memdump test unit-test tool-test system-test check-seams bench \
	clean distclean
all: $(B)/esp.img $(B)/tools/dedupsim $(B)/tools/ksmbench $(B)/tools/pagebench $(B)/tools/patchbench \
	$(B)/tools/apibench

# System tests' needs (recipe_recount: a recipe's sharing by the engine's recount).
include tests/system/system.mk
# libFuzzer targets: make fuzz [FUZZ_SECONDS=N], fuzz-smoke (in make test), soak.
include tests/fuzz/fuzz.mk

deps: $(B)/.deps
$(B)/.deps: scripts/deps.sh
	$(Q)mkdir -p $(B) && bash scripts/deps.sh && touch $@

$(B)/newlib/stamp: | $(B)/.deps
	@echo "  NEWLIB  (once; ~2 min)"
	$(Q)bash scripts/build-newlib.sh $(B) "$(NEWLIB_CFLAGS)"

# ---- flag sets: a set's file changes only when the set does, and every
# object built with it depends on it, so changed flags rebuild them ----
FLAG_SETS := hv efi host tool guest
flags_hv = $(HV_CFLAGS) $(INC_kernel) $(INC_control) $(INC_arch) $(INC_common) $(INC_dedup) $(INC_ept) $(HV_SIMD) \
	$(INC_lwip) $(INC_net) $(INC_delta) $(INC_tier)
flags_efi = $(EFI_CFLAGS) $(INC_boot)
flags_host = $(HOST_CFLAGS) $(SAN_FLAGS) $(INC_tests)
flags_tool = $(TOOL_CFLAGS) $(INC_tools)
flags_guest = $(GUEST_CFLAGS)
$(B)/flags/%: FORCE
	@mkdir -p $(dir $@)
	@echo '$(flags_$*)' | cmp -s - $@ || echo '$(flags_$*)' >$@
.PHONY: FORCE
FORCE:
.SECONDARY: $(addprefix $(B)/flags/,$(FLAG_SETS))

# ---- hypervisor ----
$(B)/hv/%.c.o: %.c $(B)/newlib/stamp $(B)/flags/hv | $(LWIP_DIR)/stamp $(LZ4_DIR)/stamp $(ZSTD_DIR)/stamp
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HV_CFLAGS) $(call inc_for,$<) -c $< -o $@
$(B)/hv/dedup/page.c.o: private HV_CFLAGS += $(HV_SIMD)
# The exact recount (a measurement point's check) hashes every page too.
$(B)/hv/dedup/recount.c.o: private HV_CFLAGS += $(HV_SIMD)
$(B)/hv/%.S.o: %.S $(B)/generated/asm-offsets.h $(B)/flags/hv | $(B)/.deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HV_CFLAGS) $(call inc_for,$<) -I$(B)/generated -c $< -o $@

# Structure offsets for assembly, generated from C (asm-offsets.c).
$(B)/generated/asm-offsets.h: arch/$(ARCH)/asm-offsets.c arch/$(ARCH)/include/arch.h \
		$(B)/newlib/stamp $(B)/flags/hv
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HV_CFLAGS) $(INC_arch) -S -o $(B)/generated/asm-offsets.s $<
	$(Q)(echo "/* generated from arch/x86_64/asm-offsets.c: do not edit */"; \
	  sed -n 's/.*->\([A-Za-z_0-9]*\) \$$\{0,1\}\([0-9]*\).*/#define \1 \2/p' $(B)/generated/asm-offsets.s) >$@

# ---- guests (32-bit, flat binaries loaded at their entry) ----
GUEST_CFLAGS := -m32 -std=gnu11 -O2 $(WARN) -ffreestanding -fno-pic -fno-stack-protector \
	-fno-builtin -mno-sse -mno-mmx -mpreferred-stack-boundary=2 -Iinclude
GUESTS := memtest hostile cowbench victim attacker coldfill
$(B)/guests/%.o: guests/%.c guests/guest.h guests/memtest_recipe.h guests/sidechan.h include/guest_abi.h \
		$(B)/flags/guest | $(B)/.deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GUEST   $<")
	$(Q)$(CC) $(GUEST_CFLAGS) -c $< -o $@
$(B)/guests/%.bin: $(B)/guests/%.o guests/guest.ld
	$(Q)ld -m elf_i386 -T guests/guest.ld -o $@ $<
GUEST_BINS := $(addprefix $(B)/guests/,$(addsuffix .bin,$(GUESTS)))
.SECONDARY: $(GUEST_BINS:.bin=.o) # kept: else every make rebuilds them

# The link also checks the seams at the symbol level (scripts/check-seams.sh).
$(B)/dedupvisor.elf: $(HV_OBJS) linker.ld $(B)/newlib/stamp scripts/check-seams.sh
	@$(if $(Q),echo "  LD      $@")
	$(Q)bash scripts/check-seams.sh --symbols $(B)/hv $(ARCH) -- $(HV_OBJS)
	$(Q)$(LD) -nostdlib -static -z noexecstack -z max-page-size=4096 -T linker.ld \
		-o $@ $(HV_OBJS) -L$(NEWLIB)/lib -lc

# ---- UEFI loader ----
$(B)/efi/%.c.o: %.c $(B)/flags/efi | $(B)/.deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  EFICC   $<")
	$(Q)$(CC) $(EFI_CFLAGS) $(INC_boot) -c $< -o $@
$(B)/efi/%.S.o: %.S $(B)/flags/efi | $(B)/.deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(EFI_CFLAGS) $(INC_boot) -c $< -o $@

$(B)/BOOTX64.so: $(EFI_OBJS)
	$(Q)$(LD) -nostdlib -znocombreloc -z noexecstack --no-undefined -shared -Bsymbolic \
		-T /usr/lib/elf_x86_64_efi.lds /usr/lib/crt0-efi-x86_64.o $(EFI_OBJS) \
		-o $@ -L/usr/lib -lefi -lgnuefi
$(B)/BOOTX64.EFI: $(B)/BOOTX64.so
	@$(if $(Q),echo "  EFI     $@")
	$(Q)objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

# ---- boot disk ----
$(B)/esp.img: $(ESP_FILES) scripts/mkesp.sh
	@$(if $(Q),echo "  ESP     $@")
	$(Q)bash scripts/mkesp.sh $@ $(B)/BOOTX64.EFI $(B)/dedupvisor.elf config/dedupvisor.cfg $(GUEST_BINS)

# ---- Linux guests ----
# Debian's stock kernel (bzImage and the vmlinux extracted from it) and a
# reproducible busybox initramfs, fetched as .debs and built by
# scripts/linux-guest.sh (cached in build/linux/cache: kept by make clean).
LINUX_DIR := $(B)/linux
# A second kernel version (6.12, from bookworm-security) goes to $(B)/linux-6.12:
# the system tests boot both (nothing may be tuned to one build).
$(LINUX_DIR)/stamp: scripts/linux-guest.sh guests/linux/init guests/linux/sidechan.c \
		guests/memtest_recipe.h include/guest_abi.h
	$(Q)bash scripts/linux-guest.sh $(LINUX_DIR) $(LINUX_DIR)/cache
	$(Q)bash scripts/linux-guest.sh $(B)/linux-6.12 $(LINUX_DIR)/cache linux-image-6.12-amd64
	$(Q)touch $@
linux-guest: $(LINUX_DIR)/stamp

# make run-linux: two Linux VMs and a memtest VM (config/linux.cfg).
$(B)/esp-linux.img: $(ESP_FILES) $(LINUX_DIR)/stamp config/linux.cfg scripts/mkesp.sh
	@$(if $(Q),echo "  ESP     $@")
	$(Q)bash scripts/mkesp.sh $@ $(B)/BOOTX64.EFI $(B)/dedupvisor.elf config/linux.cfg $(GUEST_BINS) \
		$(LINUX_DIR)/vmlinux $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd.cpio.gz
# make bench-linux: what a Linux VM costs under Bochs (scripts/linuxbench.sh).
bench-linux: $(B)/esp.img $(LINUX_DIR)/stamp
	$(Q)bash scripts/linuxbench.sh

# make bench-api: how fast the API answers while two memtest VMs compute,
# under Bochs: requests a second, latency percentiles (scripts/apilatency.sh;
# issue 24).
bench-api: $(B)/esp.img
	$(Q)bash scripts/apilatency.sh
# make bench-fleet: Linux VMs joining one by one, with and without
# init_on_free=1, and two kernel versions mixed (scripts/fleetbench.sh).
bench-fleet: $(B)/esp.img $(LINUX_DIR)/stamp
	$(Q)bash scripts/fleetbench.sh
# make bench-same: a Linux fleet in the same-behaviour mode against the
# normal mode - saving, faults while idle, the integrity workload's time
# (scripts/samebench.sh; issue 22).
bench-same: $(B)/esp.img $(LINUX_DIR)/stamp
	$(Q)bash scripts/samebench.sh
# make memdump CONFIG=FILE: every VM's memory at a measurement point, for
# dedupsim and KSM (scripts/memdump.sh; default config/linux.cfg).
memdump: $(B)/esp.img $(LINUX_DIR)/stamp $(B)/tools/dedupsim
	$(Q)bash scripts/memdump.sh $(if $(filter-out linux,$(CONFIG)),$(CONFIG),config/linux.cfg) \
		$(B)/memdump $(GUEST_BINS) \
		$(LINUX_DIR)/vmlinux $(LINUX_DIR)/initrd.cpio.gz

# make bench-scan: the hypervisor's scanner against dedupsim's, instructions
# per page on the same dumped memory (scripts/scancmp.sh; issue 24).
bench-scan: $(B)/esp.img $(LINUX_DIR)/stamp $(B)/tools/dedupsim
	$(Q)bash scripts/scancmp.sh

run-linux: $(B)/esp-linux.img
	$(Q)EMU_NET=$(or $(NET),user) bash scripts/emu.sh run $(or $(EMU),auto) $(B)/esp-linux.img build/run 0 2 512

# ---- host tools: the same dedup/ sources, host flags, optimized ----
TOOL_CFLAGS := -std=gnu11 -O2 -g $(WARN) -MMD -MP
# dedupsim marks the engine's calls for callgrind (make bench's instruction
# counts) when valgrind's header is there; in the flags, so that installing
# it (deps.sh bench) rebuilds dedupsim.
TOOL_CFLAGS += -DDEDUPSIM_CALLGRIND=$(if $(wildcard /usr/include/valgrind/callgrind.h),1,0)
$(B)/tools/%.o: %.c $(B)/flags/tool | $(B)/.deps $(LZ4_DIR)/stamp $(ZSTD_DIR)/stamp
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(TOOL_CFLAGS) $(INC_tools) -c $< -o $@
DEDUPSIM_SRCS := tools/dedupsim.c tools/oracle.c tools/cost.c tools/tiersim.c $(DEDUP_HOST_SRCS) \
	tests/fake/fake_mem.c tools/mechanisms.c tools/patchsim.c
$(B)/tools/dedupsim: $(patsubst %.c,$(B)/tools/%.o,$(DEDUPSIM_SRCS))
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

$(B)/tools/ksmbench: $(B)/tools/tools/ksmbench.o
	$(Q)$(CC) -o $@ $^
$(B)/tools/pagebench: $(B)/tools/tools/pagebench.o $(B)/tools/dedup/page.o
	$(Q)$(CC) -o $@ $^
# apibench: what the API's per-VM figures cost (tools/apibench.c).
APIBENCH_SRCS := tools/apibench.c $(DEDUP_HOST_SRCS) tests/fake/fake_mem.c
$(B)/tools/apibench: $(patsubst %.c,$(B)/tools/%.o,$(APIBENCH_SRCS))
	$(Q)$(CC) -o $@ $^

# sidechan: the Linux guest's side-channel program (guests/linux/sidechan.c),
# built static as scripts/linux-guest.sh builds it for the initramfs; here
# for its host selftest (tool-test).
$(B)/tools/guests/linux/sidechan.o: private TOOL_CFLAGS += -Iguests
$(B)/tools/sidechan: $(B)/tools/guests/linux/sidechan.o
	$(Q)$(CC) -static -o $@ $^

bench:
	$(Q)bash scripts/deps.sh bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash scripts/bench.sh

# ---- host tests ----
$(B)/host/%.o: %.c $(B)/flags/host | $(B)/.deps $(LZ4_DIR)/stamp $(ZSTD_DIR)/stamp
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) $(INC_tests) -c $< -o $@
$(B)/host-san/%.o: %.c $(B)/flags/host | $(B)/.deps $(LZ4_DIR)/stamp $(ZSTD_DIR)/stamp
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) $(INC_tests) $(SAN_FLAGS) -c $< -o $@

define unit_rule
$(B)/host/$(1): $(B)/host/tests/unit/$(1).o $$(patsubst %.c,$(B)/host/%.o,$$($(1)_SRCS))
	$$(Q)$$(CC) -o $$@ $$^ -lcmocka
$(B)/host-san/$(1): $(B)/host-san/tests/unit/$(1).o $$(patsubst %.c,$(B)/host-san/%.o,$$($(1)_SRCS))
	$$(Q)$$(CC) $(SAN_FLAGS) -o $$@ $$^ -lcmocka
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

UNIT_BINS := $(addprefix $(B)/host/,$(UNIT_TESTS)) $(addprefix $(B)/host-san/,$(UNIT_TESTS))

# The layers, checked in the sources (scripts/check-seams.sh says what).
check-seams:
	$(Q)bash scripts/check-seams.sh --sources $(ARCH) -- $(HV_SRCS) -- $(EFI_SRCS)

unit-test: $(UNIT_BINS) check-seams
	$(Q)bash tests/run-unit.sh $(UNIT_BINS)

tool-test: $(B)/tools/dedupsim $(B)/tools/sidechan recipe-recount-test
	$(Q)bash tests/tools/test_dedupsim.sh $(B)/tools/dedupsim
	$(Q)bash tests/tools/test_linux_sidechan.sh $(B)/tools/sidechan
	$(Q)python3 tests/tools/test_console_driver.py
	$(Q)python3 tests/tools/test_dvctl.py

system-test: $(SYSTEM_TEST_DEPS)
	$(Q)bash tests/system/run.sh

test: unit-test tool-test fuzz-smoke system-test

# make run CONFIG=linux: the Linux fleet of config/linux.cfg (make run-linux).
ifeq ($(CONFIG),linux)
run: run-linux
else
run: $(B)/esp.img
	$(Q)EMU_NET=$(or $(NET),user) bash scripts/emu.sh run $(or $(EMU),auto) $(B)/esp.img
endif

clean:
	rm -rf $(B)/hv $(B)/efi $(B)/host $(B)/host-san $(B)/tools $(B)/guests $(B)/generated $(B)/*.elf $(B)/*.EFI $(B)/*.so $(B)/fuzz \
		$(B)/*.img $(B)/systest $(B)/run
distclean:
	rm -rf $(B)

-include $(shell find $(B)/hv $(B)/efi $(B)/host $(B)/host-san $(B)/tools -name '*.d' 2>/dev/null)
