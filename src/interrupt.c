/* interrupt.c - the signal flag. The only global mutable state in the tool. It is a
 * lock-free atomic int: C11 lets a handler store to one (7.14.1.1), and unlike a
 * volatile sig_atomic_t it is also safe to read from another thread, which matters
 * because any thread of the worker pool may be the one that takes the signal.
 * Besides that store the handler only calls signal() for its own signal. No printing
 * here: stdio is not async-signal-safe; training says so at its next step. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include "interrupt.h"

/* Only a lock-free atomic may be touched by a handler: one behind a lock could be
 * held by the very thread the signal interrupted. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal flag must be lock-free");

static atomic_int caught;

static void on_signal(int sig)
{
    signal(sig, SIG_DFL);   /* a second signal ends the process at once */
    atomic_store(&caught, sig);
}

void interrupt_install(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
}

bool interrupt_requested(void)
{
    return atomic_load(&caught) != 0;
}

int interrupt_signal(void)
{
    return atomic_load(&caught);
}

void interrupt_reraise(void)
{
    int sig = atomic_load(&caught);
    if (sig == 0)
        return;
    fflush(stdout);
    fflush(stderr);
    signal(sig, SIG_DFL);
    raise(sig);
}
