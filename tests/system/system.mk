# tests/system/system.mk - what the system tests need, included by the
# top-level Makefile (which defines B, Q, CC, TOOL_CFLAGS, GUEST_BINS and the
# pattern rule $(B)/tools/%.o: %.c).
#
# recipe_recount: the sharing a config's memtest VMs converge to, by the
# engine's exact recount (tools/recipe_recount.c); tests/system/run.sh puts
# it in place of an expect file's @RECOUNT@.

# memtest_recipe.h is the guest's own page-content code, in guests/.
# private: not inherited by the prerequisites, so $(B)/flags/tool stays the
# same for every tool object (else it would flip, rebuilding them all).
$(B)/tools/tools/recipe_recount.o: private TOOL_CFLAGS += -Iguests
$(B)/tools/recipe_recount: $(B)/tools/tools/recipe_recount.o $(B)/tools/dedup/recount.o \
		$(B)/tools/common/config.o $(B)/tools/common/knobs.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

# Everything tests/system/run.sh reads from the build: the default ESP, what
# it builds the cases' own ESPs from, the guests, and recipe_recount.
# (Recursive: GUEST_BINS may be defined after this file is included.)
SYSTEM_TEST_DEPS = $(B)/esp.img $(B)/BOOTX64.EFI $(B)/dedupvisor.elf $(GUEST_BINS) \
	$(B)/tools/recipe_recount $(B)/linux/stamp

# recipe_recount against the hypervisor's measured figures, and its errors
# (a host-only test: make it a prerequisite of tool-test).
.PHONY: recipe-recount-test
recipe-recount-test: $(B)/tools/recipe_recount $(B)/guests/memtest.bin
	$(Q)bash tests/tools/test_recipe_recount.sh $(B)/tools/recipe_recount $(B)/guests
