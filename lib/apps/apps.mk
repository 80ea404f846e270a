# SPDX-License-Identifier: MIT
# lib/apps/apps.mk — the security applications use only the public API: built without -Ilib,
# so that including a private header of the layers below fails to compile.
APPS_CFLAGS := $(filter-out -Ilib,$(ALL_CFLAGS))
$(BUILD)/obj/lib/apps/%.o: ALL_CFLAGS := $(APPS_CFLAGS)
$(BUILD)/san/lib/apps/%.o: ALL_CFLAGS := $(APPS_CFLAGS)
