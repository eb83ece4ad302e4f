# dedupvisor - top-level build.
#
#   make          deps, newlib (once), BOOTX64.EFI, dedupvisor.elf, build/esp.img
#   make run      boot it: EMU=kvm|bochs|qemu (default: kvm if nested VT-x, else bochs)
#   make test     host unit tests (plain and ASan+UBSan) and system tests
#   make clean    everything but the cached newlib (make distclean: that too)
#   V=1           show full command lines
#
# Three flag sets: the hypervisor (freestanding, kernel code model, no SSE in
# our code), the UEFI loader (gnu-efi's PIC recipe), the host (tests, tools).

B       := build
Q       := $(if $(V),,@)
CC      := gcc
LD      := ld
NEWLIB  := $(B)/newlib/install/x86_64-elf

WARN    := -Wall -Wextra -Werror
HV_ABI  := -ffreestanding -fno-pic -mcmodel=kernel -mno-red-zone -fno-stack-protector -fno-common
HV_CFLAGS := -std=gnu11 -O2 -g $(WARN) $(HV_ABI) -mno-sse -mno-mmx -mno-80387 \
	-Iinclude -isystem $(NEWLIB)/include -MMD -MP
# newlib is built with the same ABI; it may use SSE (see kmain's fpu_init).
NEWLIB_CFLAGS := -O2 -g $(HV_ABI)

EFI_CFLAGS := -std=gnu11 -O2 $(WARN) -Wno-unused-parameter -Iinclude \
	-I/usr/include/efi -I/usr/include/efi/x86_64 -fpic -fshort-wchar -ffreestanding \
	-fno-stack-protector -fno-strict-aliasing -mno-red-zone -maccumulate-outgoing-args \
	-DEFI_FUNCTION_WRAPPER -DGNU_EFI_USE_MS_ABI -MMD -MP

HOST_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -O1 -g $(WARN) -Iinclude -MMD -MP
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# ---- sources ----
# dedup/ and ept/ are plain C11: the same files build into the hypervisor,
# the host tests and the host tools.
DEDUP_SRCS := dedup/page.c dedup/index.c dedup/sharers.c dedup/merge.c dedup/cow.c \
	dedup/scan.c dedup/vm.c dedup/stats.c
HV_SRCS := arch/x86_64/entry.S arch/x86_64/isr.S arch/x86_64/trap.c arch/x86_64/uart.c \
	arch/x86_64/pt_build.c arch/x86_64/paging.c arch/x86_64/vmx_features.c \
	arch/x86_64/vmx_gate.c arch/x86_64/vmx_controls.c arch/x86_64/vmx_entry.S \
	arch/x86_64/vcpu.c arch/x86_64/vmexit.c arch/x86_64/exit_decode.c arch/x86_64/dedup_ops.c \
	arch/x86_64/smp.c arch/x86_64/ap_boot.S \
	kernel/main.c kernel/config.c kernel/frames.c kernel/vm.c kernel/hypercall.c kernel/sched.c \
	kernel/sharing.c kernel/console.c kernel/console_cmd.c tools/oracle.c \
	kernel/boot_info_check.c kernel/acpi.c kernel/power.c kernel/libc_glue.c \
	$(DEDUP_SRCS) ept/ept.c
EFI_SRCS := boot/loader.c boot/elf_check.c boot/mmap_convert.c kernel/config.c \
	arch/x86_64/pt_build.c arch/x86_64/handoff.S

HV_OBJS  := $(patsubst %,$(B)/hv/%.o,$(HV_SRCS))
EFI_OBJS := $(patsubst %,$(B)/efi/%.o,$(EFI_SRCS))

# Host unit tests: test name -> the product sources it links.
UNIT_TESTS := test_config test_frames test_elf_check test_mmap_convert test_boot_info \
	test_vmx_features test_pt_build test_acpi test_dedup_engine test_dedup_collision \
	test_dedup_model test_oracle test_ept test_console_cmd test_exit_decode
test_config_SRCS       := kernel/config.c
test_frames_SRCS       := kernel/frames.c
test_elf_check_SRCS    := boot/elf_check.c
test_mmap_convert_SRCS := boot/mmap_convert.c
test_boot_info_SRCS    := kernel/boot_info_check.c
test_vmx_features_SRCS := arch/x86_64/vmx_features.c
test_pt_build_SRCS     := arch/x86_64/pt_build.c
test_acpi_SRCS         := kernel/acpi.c
test_dedup_engine_SRCS := $(DEDUP_SRCS) tests/fake/fake_mem.c
test_dedup_collision_SRCS := $(filter-out dedup/page.c,$(DEDUP_SRCS)) tests/fake/collide_hash.c \
	tests/fake/fake_mem.c
test_dedup_model_SRCS := $(DEDUP_SRCS) tests/fake/fake_mem.c
test_oracle_SRCS := tools/oracle.c
EPT_SRCS := ept/ept.c
test_ept_SRCS := $(EPT_SRCS)
test_console_cmd_SRCS := kernel/console_cmd.c
test_exit_decode_SRCS := arch/x86_64/exit_decode.c

ESP_FILES = $(B)/BOOTX64.EFI $(B)/dedupvisor.elf config/dedupvisor.cfg $(GUEST_BINS)

.PHONY: all deps run test unit-test tool-test system-test check-seams bench clean distclean
all: $(B)/esp.img $(B)/tools/dedupsim $(B)/tools/ksmbench $(B)/tools/pagebench

deps: $(B)/.deps
$(B)/.deps: scripts/deps.sh
	$(Q)mkdir -p $(B) && bash scripts/deps.sh && touch $@

$(B)/newlib/stamp: | $(B)/.deps
	@echo "  NEWLIB  (once; ~2 min)"
	$(Q)bash scripts/build-newlib.sh $(B) "$(NEWLIB_CFLAGS)"

# ---- hypervisor ----
$(B)/hv/%.c.o: %.c $(B)/newlib/stamp
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HV_CFLAGS) -c $< -o $@
$(B)/hv/%.S.o: %.S $(B)/generated/asm-offsets.h | $(B)/.deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HV_CFLAGS) -I$(B)/generated -c $< -o $@

# Structure offsets for assembly, generated from C (asm-offsets.c).
$(B)/generated/asm-offsets.h: arch/x86_64/asm-offsets.c arch/x86_64/guest_regs.h $(B)/newlib/stamp
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HV_CFLAGS) -S -o $(B)/generated/asm-offsets.s $<
	$(Q)(echo "/* generated from arch/x86_64/asm-offsets.c: do not edit */"; \
	  sed -n 's/.*->\([A-Za-z_0-9]*\) \$$\{0,1\}\([0-9]*\).*/#define \1 \2/p' $(B)/generated/asm-offsets.s) >$@

# ---- guests (32-bit, flat binaries loaded at their entry) ----
GUEST_CFLAGS := -m32 -std=gnu11 -O2 $(WARN) -ffreestanding -fno-pic -fno-stack-protector \
	-fno-builtin -mno-sse -mno-mmx -mpreferred-stack-boundary=2 -Iinclude
GUESTS := memtest hostile cowbench
$(B)/guests/%.o: guests/%.c guests/guest.h include/guest_abi.h | $(B)/.deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GUEST   $<")
	$(Q)$(CC) $(GUEST_CFLAGS) -c $< -o $@
$(B)/guests/%.bin: $(B)/guests/%.o guests/guest.ld
	$(Q)ld -m elf_i386 -T guests/guest.ld -o $@ $<
GUEST_BINS := $(addprefix $(B)/guests/,$(addsuffix .bin,$(GUESTS)))

$(B)/dedupvisor.elf: $(HV_OBJS) linker.ld $(B)/newlib/stamp
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) -nostdlib -static -z noexecstack -z max-page-size=4096 -T linker.ld \
		-o $@ $(HV_OBJS) -L$(NEWLIB)/lib -lc

# ---- UEFI loader ----
$(B)/efi/%.c.o: %.c | $(B)/.deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  EFICC   $<")
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@
$(B)/efi/%.S.o: %.S | $(B)/.deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@

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

# ---- host tools: the same dedup/ sources, host flags, optimized ----
TOOL_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iinclude -MMD -MP
$(B)/tools/%.o: %.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(TOOL_CFLAGS) -c $< -o $@
DEDUPSIM_SRCS := tools/dedupsim.c tools/oracle.c $(DEDUP_SRCS) tests/fake/fake_mem.c
$(B)/tools/dedupsim: $(patsubst %.c,$(B)/tools/%.o,$(DEDUPSIM_SRCS))
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

$(B)/tools/ksmbench: $(B)/tools/tools/ksmbench.o
	$(Q)$(CC) -o $@ $^
$(B)/tools/pagebench: $(B)/tools/tools/pagebench.o $(B)/tools/dedup/page.o
	$(Q)$(CC) -o $@ $^

bench: all
	$(Q)bash scripts/deps.sh bench
	$(Q)bash scripts/bench.sh

# ---- host tests ----
$(B)/host/%.o: %.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@
$(B)/host-san/%.o: %.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -c $< -o $@

define unit_rule
$(B)/host/$(1): $(B)/host/tests/unit/$(1).o $$(patsubst %.c,$(B)/host/%.o,$$($(1)_SRCS))
	$$(Q)$$(CC) -o $$@ $$^ -lcmocka
$(B)/host-san/$(1): $(B)/host-san/tests/unit/$(1).o $$(patsubst %.c,$(B)/host-san/%.o,$$($(1)_SRCS))
	$$(Q)$$(CC) $(SAN_FLAGS) -o $$@ $$^ -lcmocka
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

UNIT_BINS := $(addprefix $(B)/host/,$(UNIT_TESTS)) $(addprefix $(B)/host-san/,$(UNIT_TESTS))

# dedup/ and ept/ reach the machine only through their ops headers.
check-seams:
	$(Q)bad=$$(grep -nE '#include *"[^"]*(arch|kernel|boot)/' dedup/*.[ch] $$(ls ept/*.[ch] 2>/dev/null) || true); \
	if [ -n "$$bad" ]; then echo "seams: dedup/ or ept/ includes arch/, kernel/ or boot/:"; echo "$$bad"; exit 1; fi; \
	bad=$$(grep -nE '__asm__|asm *\(|volatile *\(' dedup/*.[ch] $$(ls ept/*.[ch] 2>/dev/null) || true); \
	if [ -n "$$bad" ]; then echo "seams: inline assembly in dedup/ or ept/:"; echo "$$bad"; exit 1; fi; \
	echo "seams: dedup/ and ept/ are plain C behind their ops"

unit-test: $(UNIT_BINS) check-seams
	$(Q)bash tests/run-unit.sh $(UNIT_BINS)

tool-test: $(B)/tools/dedupsim
	$(Q)bash tests/tools/test_dedupsim.sh $(B)/tools/dedupsim

system-test: $(B)/esp.img
	$(Q)bash tests/system/run.sh

test: unit-test tool-test system-test

run: $(B)/esp.img
	$(Q)bash scripts/emu.sh run $(or $(EMU),auto) $(B)/esp.img

clean:
	rm -rf $(B)/hv $(B)/efi $(B)/host $(B)/host-san $(B)/tools $(B)/guests $(B)/generated $(B)/*.elf $(B)/*.EFI $(B)/*.so \
		$(B)/*.img $(B)/systest $(B)/run
distclean:
	rm -rf $(B)

-include $(shell find $(B)/hv $(B)/efi $(B)/host $(B)/host-san $(B)/tools -name '*.d' 2>/dev/null)
