/* interrupt.c - the signal flag: with the terminal-resize flag in platform.c, the
 * only global mutable state in the tool. It is a lock-free atomic int: C11 lets a
 * handler store to one (7.14.1.1), and unlike a volatile sig_atomic_t it is also
 * safe to read from another thread, which matters
 * because any thread of the worker pool may be the one that takes the signal.
 * platform_catch_once installs the handler for one delivery; only where it cannot
 * (no sigaction) does the handler reset the action itself, with signal(). No
 * printing here: stdio is not async-signal-safe; training says so at its next step.
 * Until training begins (interrupt_defer) there is nothing to save, and the first
 * signal ends the process at once, as a second one does. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include "base/interrupt.h"
#include "base/platform.h"

/* Only a lock-free atomic may be touched by a handler: one behind a lock could be
 * held by the very thread the signal interrupted. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal flag must be lock-free");

static atomic_int caught;
/* Whether a first signal is only recorded (training has begun, so there is state
 * to save) or ends the process at once (nothing to save yet). */
static atomic_int deferring;
/* Whether the handler must restore the default action itself; set before the
 * handlers are installed. */
static atomic_int reset_in_handler;

/* The first signal is recorded. A second one ends the process at once: the same
 * signal through its default action, back since the first; the other kind (Ctrl-C,
 * then a kill) here, by raising it again under its default action (POSIX lets a
 * handler call raise), or with C11's signal() alone, by _Exit with the status a
 * shell gives a process a signal ended (C11 allows only that, abort, quick_exit
 * and signal in a handler). */
static void on_signal(int sig)
{
    bool plain_c = atomic_load(&reset_in_handler);
    if (plain_c)
        signal(sig, SIG_DFL);
    if (atomic_load(&deferring) && atomic_exchange(&caught, sig) == 0)
        return;
    if (plain_c)
        _Exit(128 + sig);
    raise(sig);
}

void interrupt_install(void)
{
    atomic_store(&reset_in_handler, 0);
    if (!platform_catch_once(SIGINT, on_signal) ||
        !platform_catch_once(SIGTERM, on_signal)) {
        atomic_store(&reset_in_handler, 1);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
}

void interrupt_defer(void)
{
    atomic_store(&deferring, 1);
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
