# SPDX-License-Identifier: MIT
# tests/unit/unit.mk — the events unit tests link the fake hypervisor, tests/unit/fakehyp.c.
FAKEHYP_TESTS := test_events test_events_conv test_events_cpu
FAKEHYP_SRCS  := tests/unit/fakehyp.c tests/unit/fakehyp.h

$(FAKEHYP_TESTS:%=$(BUILD)/tests/unit/%): $(BUILD)/tests/unit/%: tests/unit/%.c $(FAKEHYP_SRCS) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/unit/fakehyp.c $(LIBA) $(PKG_LIBS) -lcmocka -lm

$(FAKEHYP_TESTS:%=$(BUILD)/tests/unit-san/%): $(BUILD)/tests/unit-san/%: tests/unit/%.c $(FAKEHYP_SRCS) $(LIBSAN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $< tests/unit/fakehyp.c $(LIBSAN) $(PKG_LIBS) -lcmocka -lm
