/* interrupt.h - SIGINT and SIGTERM as a flag (C11 <signal.h>, a lock-free
 * <stdatomic.h> int, so any thread may take the signal). The handler only records
 * the signal and restores the default action, so a second one ends the process at
 * once; training polls interrupt_requested between steps, saves its state and
 * returns STATUS_INTERRUPTED; main then re-raises the signal so the shell sees 130
 * or 143 and a loop over runs stops too. Exported prefix: interrupt_. */
#ifndef CIFAR_INTERRUPT_H
#define CIFAR_INTERRUPT_H

#include <stdbool.h>

/* Catch SIGINT and SIGTERM (once each). */
void interrupt_install(void);
/* True once a caught signal arrived. */
bool interrupt_requested(void);
/* The signal caught, 0 if none. */
int interrupt_signal(void);
/* Flush stdio and raise the caught signal with its default action, which ends the
 * process; returns only when no signal was caught or raising failed. */
void interrupt_reraise(void);

#endif
