/* SPDX-License-Identifier: MIT */
/*
 * mapguard.c — surviving a mapped file that shrinks under us.
 *
 * Dumps and RAM files are mapped, not read. If another process truncates one while it is open,
 * touching a page past the new end raises SIGBUS, which would kill the program using the
 * library. The guard registers the library's file mappings; a SIGBUS inside one of them is
 * answered by putting a zero page over the faulting page (so the interrupted copy completes)
 * and marking the mapping broken, and the read or write that touched it then fails with
 * ARMVMI_EIO. A SIGBUS anywhere else goes to the handler that was installed before ours, or
 * gets the default action.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "drivers/driver.h"

#define GUARD_SLOTS 64

struct guard_slot {
    _Atomic uintptr_t start; /* 0: slot free */
    _Atomic uintptr_t end;
    atomic_int writable; /* the mapping's protection, kept for the zero page */
    atomic_int broken;
};

static struct guard_slot slots[GUARD_SLOTS];
static struct sigaction previous;
static atomic_flag installing = ATOMIC_FLAG_INIT;
static long page_size;
atomic_int armvmi_mapguard_faults;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    uintptr_t a = (uintptr_t)si->si_addr;
    /* BUS_ADRERR: the page is past the end of its file (an alignment fault is not ours). */
    for (unsigned i = 0; si->si_code == BUS_ADRERR && i < GUARD_SLOTS; i++) {
        uintptr_t s = atomic_load(&slots[i].start);
        if (s && a >= s && a < atomic_load(&slots[i].end)) {
            void *page = (void *)(a & ~(uintptr_t)(page_size - 1));
            int prot = PROT_READ | (atomic_load(&slots[i].writable) ? PROT_WRITE : 0);
            if (mmap(page, (size_t)page_size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
                     0) == MAP_FAILED)
                break; /* cannot repair: fall through to the default action */
            atomic_store(&slots[i].broken, 1);
            atomic_fetch_add(&armvmi_mapguard_faults, 1);
            return;
        }
    }
    /* Not ours. */
    if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
        previous.sa_sigaction(sig, si, uc);
        return;
    }
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
        return;
    }
    /* Default action: restore it; returning re-runs the faulting access, which then kills. */
    signal(SIGBUS, SIG_DFL);
}

/*
 * Install the handler, or again if the program has put its own in place since (that one is
 * then chained to). Called on every guarded open: one sigaction query.
 */
static void install(void)
{
    while (atomic_flag_test_and_set(&installing))
        ;
    struct sigaction cur;
    if (sigaction(SIGBUS, NULL, &cur) == 0 &&
        !((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sigbus)) {
        page_size = sysconf(_SC_PAGESIZE);
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_sigbus;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        previous = cur;
        sigaction(SIGBUS, &sa, NULL);
    }
    atomic_flag_clear(&installing);
}

int armvmi_mapguard_add(void *base, size_t len, bool writable)
{
    if (!base || !len)
        return 0;
    install();
    for (unsigned i = 0; i < GUARD_SLOTS; i++) {
        uintptr_t none = 0;
        /* Claim the slot with a placeholder start, then publish the range. */
        if (atomic_compare_exchange_strong(&slots[i].start, &none, (uintptr_t)-1)) {
            atomic_store(&slots[i].broken, 0);
            atomic_store(&slots[i].writable, writable);
            atomic_store(&slots[i].end, (uintptr_t)base + len);
            atomic_store(&slots[i].start, (uintptr_t)base);
            return (int)i + 1;
        }
    }
    return 0; /* table full: this mapping is simply not guarded */
}

void armvmi_mapguard_remove(int guard)
{
    if (guard < 1 || guard > GUARD_SLOTS)
        return;
    atomic_store(&slots[guard - 1].end, 0);
    atomic_store(&slots[guard - 1].start, 0);
}

bool armvmi_mapguard_broken(int guard)
{
    return guard >= 1 && guard <= GUARD_SLOTS && atomic_load(&slots[guard - 1].broken);
}
