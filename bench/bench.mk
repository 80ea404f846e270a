# SPDX-License-Identifier: MIT
# Benchmarks: built with everything so they do not rot; run by hand (bench/*.sh), never by tests.
BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
ALL_TARGETS += $(BENCH_BINS)

$(BUILD)/bench/%: bench/%.c bench/bench_util.h $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(PKG_LIBS) -lm
