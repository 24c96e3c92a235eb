/* interrupt.c - the signal flag. The only global mutable state in the tool, and the
 * one use of volatile: a handler may do no more than store to a volatile
 * sig_atomic_t and call signal() for its own signal (C11 7.14.1.1). No printing
 * here: stdio is not async-signal-safe; training says so at its next step. */
#include <signal.h>
#include <stdio.h>
#include "interrupt.h"

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    signal(sig, SIG_DFL);   /* a second signal ends the process at once */
    caught = sig;
}

void interrupt_install(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
}

bool interrupt_requested(void)
{
    return caught != 0;
}

int interrupt_signal(void)
{
    return (int)caught;
}

void interrupt_reraise(void)
{
    int sig = (int)caught;
    if (sig == 0)
        return;
    fflush(stdout);
    fflush(stderr);
    signal(sig, SIG_DFL);
    raise(sig);
}
