# SPDX-License-Identifier: MIT
# lib/os/os.mk — the OS layers use only the public API: built without -Ilib, so that including
# a private header of the layers below fails to compile.
OS_CFLAGS := $(filter-out -Ilib,$(ALL_CFLAGS))
$(BUILD)/obj/lib/os/%.o: ALL_CFLAGS := $(OS_CFLAGS)
$(BUILD)/san/lib/os/%.o: ALL_CFLAGS := $(OS_CFLAGS)
