/* SPDX-License-Identifier: MIT */
/* A test-and-set spinlock for the hypervisor's shared state (LSE atomics, -march=armv8.1-a). */
#ifndef HYP_SPINLOCK_H
#define HYP_SPINLOCK_H

#include <hyp/types.h>

typedef struct {
    volatile u32 v;
} spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
    while (__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->v, __ATOMIC_RELAXED))
            ;
}

static inline bool spin_trylock(spinlock_t *l)
{
    return !__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

#endif
