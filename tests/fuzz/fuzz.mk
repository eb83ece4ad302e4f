# tests/fuzz/fuzz.mk - libFuzzer targets for every parser and state machine
# that takes outside input; included by the top-level Makefile, which
# defines B, Q, INC_tests, the $(B)/flags/% rule and $(B)/.deps.
#
#   make fuzz               each target for FUZZ_SECONDS (60) over its corpus
#   make fuzz FUZZ_TARGETS=engine FUZZ_SECONDS=600
#   make fuzz-smoke         each target for FUZZ_SMOKE_SECONDS (3): make test
#   make fuzz-build         just build them
#   make soak               the engine's model test with 10^7 operations
#
# Each target is tests/fuzz/fuzz_NAME.c (its opening comment says what it
# feeds and checks) linked with the product sources in fuzz_NAME_SRCS, all
# built with clang, ASan, UBSan and libFuzzer's coverage into $(B)/fuzz/.
# Seeds (and crash inputs kept as regression tests) are in
# tests/fuzz/corpus/NAME/; what the fuzzer finds goes to $(B)/fuzz/work/NAME,
# crash inputs to $(B)/fuzz/crashes/NAME/, logs to $(B)/fuzz/logs/.

FUZZ_TARGETS ?= config elf boot_info console_cmd acpi engine engine_collide recount linux_boot devices \
	http hypercall delta zpool lapic zstd
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_CC := clang
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -std=gnu11 -g -O1 $(FUZZ_SAN) $(or $(WARN),-Wall -Wextra -Werror) -MMD -MP
FUZZ_INC = $(or $(INC_tests),-Iinclude -Icommon -Idedup -Iept -Ikernel -Ikernel/include \
	-Iarch/x86_64 -Iarch/x86_64/include -Iboot -Itools -Itests/fake -Itests/unit -Iguests \
	-Idevices -Iapi)

fuzz_config_SRCS      := common/config.c common/knobs.c
fuzz_elf_SRCS         := boot/elf_check.c
fuzz_boot_info_SRCS   := kernel/boot_info_check.c kernel/frames.c
fuzz_console_cmd_SRCS := control/console_cmd.c common/knobs.c
fuzz_acpi_SRCS        := kernel/acpi.c
# (the engine with its cold tier: tier/, lz4 and zstd, $(LZ4_C) and
# $(ZSTD_C) from the Makefile, and its patches: delta/)
FUZZ_TIER_SRCS := dedup/tier.c dedup/tier_patch.c dedup/point_walk.c tier/zpool.c tier/compress.c \
	tier/zstd_page.c $(LZ4_C) $(ZSTD_C) delta/patch.c delta/sim.c
fuzz_engine_SRCS      := dedup/page.c dedup/index.c dedup/sharers.c dedup/merge.c dedup/cow.c \
	dedup/same.c dedup/scan.c dedup/vm.c dedup/stats.c dedup/recount.c dedup/account.c $(FUZZ_TIER_SRCS) \
	tests/fake/fake_mem.c
# The engine again with every page hashing alike (tests/fake/collide_hash.c
# for dedup/page.c): every index lookup is a collision, only the full
# compares decide.
fuzz_engine_collide_MAIN := engine
fuzz_engine_collide_SRCS := $(filter-out dedup/page.c,$(fuzz_engine_SRCS)) tests/fake/collide_hash.c
fuzz_recount_SRCS     := dedup/recount.c tools/oracle.c
fuzz_linux_boot_SRCS  := devices/linux_boot.c
# A Linux VM's PC (devices/vplatform.c and the models) driven by a hostile guest.
fuzz_devices_SRCS     := devices/vplatform.c devices/portbus.c devices/pic8259.c \
	devices/pit8254.c devices/uart16550.c devices/rtc_cmos.c
# A vCPU's local APIC (devices/lapic.c): x2APIC MSRs, interrupts, INIT, time.
fuzz_lapic_SRCS       := devices/lapic.c
# The API's request parser over connection streams cut anywhere, and what
# the server does next with each request (router, token, knobs, answer).
fuzz_http_SRCS        := api/http_parse.c api/router.c api/knobs_parse.c api/response.c \
	api/json_write.c
# Hostile guests against the hypercall layer over the real core: VMs built
# by vm_create, hypercalls, guest writes through the EPT-violation entry
# (kernel/upcall.c), the scanner and VM stops, on the frame pool and the
# arch seam of tests/fake/fake_arch.c, with a checker of every VM's memory.
fuzz_hypercall_SRCS   := kernel/hypercall.c kernel/vm.c kernel/sharing.c kernel/sharing_ops.c kernel/sharing_audit.c kernel/sharing_converge.c \
	kernel/upcall.c kernel/freeze.c kernel/frames.c kernel/test_support.c kernel/guest_out.c kernel/vm_console.c \
	devices/vplatform.c devices/portbus.c devices/pic8259.c devices/pit8254.c devices/uart16550.c \
	devices/rtc_cmos.c \
	ept/ept.c common/ptwalk.c dedup/page.c dedup/index.c dedup/sharers.c dedup/merge.c dedup/cow.c dedup/scan.c \
	dedup/same.c \
	dedup/vm.c dedup/stats.c dedup/page_view.c dedup/recount.c dedup/account.c dedup/governor.c $(FUZZ_TIER_SRCS) \
	control/point_run.c tests/fake/fake_arch.c common/knobs.c

# Sub-page patches: the decoder over hostile bytes never reads or writes
# outside its reference, patch and 4 KiB frame; the encoder's patches of
# hostile pages decode to them exactly.
fuzz_delta_SRCS       := delta/patch.c

# The compressed tier's pool over the fake machine's frames.
fuzz_zpool_SRCS       := tier/zpool.c tests/fake/fake_mem.c

# The tier's zstd codec: hostile bytes decode into one page or fail, never
# outside it; a page of the input round-trips.
fuzz_zstd_SRCS        := tier/zstd_page.c $(ZSTD_C)

FUZZ_BINS := $(addprefix $(B)/fuzz/fuzz_,$(FUZZ_TARGETS))

# Objects rebuild when the flags change (the top-level $(B)/flags/% rule).
flags_fuzz = $(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_INC)
.SECONDARY: $(B)/flags/fuzz

# lz4's one warning under our set (see the Makefile's lz4 section).
$(B)/fuzz/$(LZ4_C:.c=.o): private FUZZ_CFLAGS += $(LZ4_WARN)
# zstd's build switches (the Makefile's zstd section).
$(B)/fuzz/$(ZSTD_SRC)/%.o: private FUZZ_CFLAGS += $(ZSTD_FLAGS)
$(B)/fuzz/%.o: %.c $(B)/flags/fuzz | $(B)/.deps $(LZ4_DIR)/stamp $(ZSTD_DIR)/stamp
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_INC) -c $< -o $@

# fuzz_NAME: tests/fuzz/fuzz_$(fuzz_NAME_MAIN or NAME).c and fuzz_NAME_SRCS.
define fuzz_rule
$(B)/fuzz/fuzz_$(1): $(B)/fuzz/tests/fuzz/fuzz_$(or $(fuzz_$(1)_MAIN),$(1)).o \
		$$(patsubst %.c,$(B)/fuzz/%.o,$$(fuzz_$(1)_SRCS))
	@$$(if $$(Q),echo "  FUZZLD  $$@")
	$$(Q)$$(FUZZ_CC) $$(FUZZ_SAN) -o $$@ $$^
endef
FUZZ_ALL := config elf boot_info console_cmd acpi engine engine_collide recount linux_boot devices \
	http hypercall delta zpool lapic zstd
$(foreach t,$(FUZZ_ALL),$(eval $(call fuzz_rule,$(t))))

.PHONY: fuzz fuzz-build fuzz-smoke soak
fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(Q)bash tests/fuzz/run.sh fuzz $(FUZZ_SECONDS) $(B) $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_BINS)
	$(Q)bash tests/fuzz/run.sh smoke $(FUZZ_SMOKE_SECONDS) $(B) $(FUZZ_TARGETS)

# The randomized model test (tests/unit/test_dedup_model.c), 10^7 operations
# in each of its two modes; DEDUP_MODEL_SEED=N replays another seed.
soak: $(B)/host/test_dedup_model
	$(Q)DEDUP_MODEL_OPS=10000000 $(B)/host/test_dedup_model

-include $(wildcard $(B)/fuzz/*/*.d $(B)/fuzz/*/*/*.d)
