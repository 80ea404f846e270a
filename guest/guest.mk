# SPDX-License-Identifier: MIT
# Guest test programs: every guest/*.c, cross-compiled static for the arm64 guest's initramfs.
GUEST_CC    := $(CROSS64)gcc
GUEST_SRCS  := $(sort $(wildcard guest/*.c))
GUEST_BINS  := $(GUEST_SRCS:guest/%.c=$(BUILD)/guest/%)
ifneq ($(shell command -v $(GUEST_CC) 2>/dev/null),)
ALL_TARGETS += $(GUEST_BINS)
INSTALL_LIBEXEC += $(BUILD)/guest
endif

$(BUILD)/guest/%: guest/%.c $(wildcard guest/*.h)
	@mkdir -p $(dir $@)
	$(GUEST_CC) -static -O2 -Wall -Wextra -Werror -o $@ $<
