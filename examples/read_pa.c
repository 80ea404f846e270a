/* SPDX-License-Identifier: MIT */
/* read_pa.c — the smallest libarmvmi program: open a target, print 16 bytes of guest RAM. */
/* Build: cc read_pa.c $(pkg-config --cflags --libs armvmi) -o read_pa
 * Run:   ./read_pa VM-NAME|DUMP|raw:FILE@BASE 0x40000000 */
#include <armvmi/armvmi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TARGET PHYS-ADDR\n", argv[0]);
        return 2;
    }
    armvmi_t *h;
    if (armvmi_open(&h, argv[1])) {
        fprintf(stderr, "%s\n", armvmi_errmsg());
        return 1;
    }
    unsigned char buf[16];
    int rc = armvmi_read_pa(h, strtoull(argv[2], NULL, 0), buf, sizeof(buf));
    if (rc)
        fprintf(stderr, "%s\n", armvmi_errmsg());
    else
        for (size_t i = 0; i < sizeof(buf); i++)
            printf("%02x%s", buf[i], i + 1 < sizeof(buf) ? " " : "\n");
    armvmi_close(h);
    return rc ? 1 : 0;
}
