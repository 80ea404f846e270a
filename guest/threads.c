/* SPDX-License-Identifier: MIT */
/* threads.c — guest program: a process of N extra threads that sleep S seconds (for ps). */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_THREADS 64

static void *sleeper(void *arg)
{
    sleep((unsigned)(unsigned long)arg);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3;
    unsigned long s = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
    if (n < 0 || n > MAX_THREADS)
        return 2;
    pthread_t t[MAX_THREADS];
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, sleeper, (void *)s))
            return 1;
    sleep((unsigned)s);
    return 0;
}
