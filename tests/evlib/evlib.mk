# SPDX-License-Identifier: MIT
# tests/evlib/evlib.mk — the test monitor built only on the public events API (events.h), for
# tests/integration/53-trace-mem.t (conversions) and 54-hyp-events-stress.t (sequence checks).
EVLIB := $(BUILD)/tests/evlib
ALL_TARGETS += $(EVLIB)
$(EVLIB): tests/evlib/evlib.c include/armvmi/events.h include/armvmi/armvmi.h $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Ilib,$(ALL_CFLAGS)) -o $@ tests/evlib/evlib.c $(LIBA) $(PKG_LIBS) -lm
