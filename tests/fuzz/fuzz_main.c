/* SPDX-License-Identifier: MIT */
/* fuzz_main.c — random-input driver for fuzz targets when libFuzzer is unavailable; prints TAP. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    unsigned seconds =
        getenv("ARMVMI_FUZZ_SECONDS") ? (unsigned)atoi(getenv("ARMVMI_FUZZ_SECONDS")) : 10;
    uint64_t seed =
        getenv("ORACLE_SEED") ? strtoull(getenv("ORACLE_SEED"), NULL, 0) : (uint64_t)time(NULL);
    printf("1..1\n# random-memory fuzzing for %u s, seed %llu\n", seconds,
           (unsigned long long)seed);
    fflush(stdout);
    static uint8_t buf[1 << 16];
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1, runs = 0;
    time_t end = time(NULL) + seconds;
    while (time(NULL) < end) {
        for (int k = 0; k < 1000; k++, runs++) {
            size_t n = 96 + (size_t)(x % (sizeof(buf) - 96));
            for (size_t i = 0; i < n; i += 8) {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                uint64_t v = x * 0x2545f4914f6cdd1dull;
                /* sparse memory: mostly zero, some valid-looking descriptors */
                if ((v & 3) == 0)
                    v = 0;
                for (int b = 0; b < 8 && i + b < n; b++)
                    buf[i + b] = (uint8_t)(v >> (8 * b));
            }
            LLVMFuzzerTestOneInput(buf, n);
        }
    }
    printf("ok 1 - %llu random inputs without a crash or a broken invariant\n",
           (unsigned long long)runs);
    return 0;
}
