/* interrupt.h - SIGINT and SIGTERM as a flag (a lock-free <stdatomic.h> int, so any
 * thread may take the signal). The handler is installed for one delivery
 * (platform_catch_once: POSIX sigaction, or C11 signal() where there is none) and
 * only records the signal (once interrupt_defer was called; before, it ends the
 * process at once), so a second one of either kind ends the process at once,
 * and a write the first one interrupts is restarted rather than failed. Training polls
 * interrupt_requested between steps, saves its state and returns
 * STATUS_INTERRUPTED; main then re-raises the signal so the shell sees 130 or 143 and
 * a loop over runs stops too. Exported prefix: interrupt_. */
#ifndef CIFAR_INTERRUPT_H
#define CIFAR_INTERRUPT_H

#include <stdbool.h>

/* Catch SIGINT and SIGTERM (once each). */
void interrupt_install(void);
/* From now on a first signal is only recorded (before: it ends the process at
 * once, the way a second one does). Training calls it before its first step. */
void interrupt_defer(void);
/* True once a caught signal arrived. */
bool interrupt_requested(void);
/* The signal caught, 0 if none. */
int interrupt_signal(void);
/* Flush stdio and raise the caught signal with its default action, which ends the
 * process; returns only when no signal was caught or raising failed. */
void interrupt_reraise(void);

#endif
