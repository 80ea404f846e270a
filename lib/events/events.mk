# SPDX-License-Identifier: MIT
# lib/events/events.mk — the events layer uses only the public API (and abi.h): built without
# -Ilib, so that including a private header of the layers below fails to compile.
EVENTS_CFLAGS := $(filter-out -Ilib,$(ALL_CFLAGS))
$(BUILD)/obj/lib/events/%.o: ALL_CFLAGS := $(EVENTS_CFLAGS)
$(BUILD)/san/lib/events/%.o: ALL_CFLAGS := $(EVENTS_CFLAGS)
