/* progress.h - what a run shows while it trains. On a terminal: one status line
 * (epoch, batch n/total, images/s, running loss and accuracy, elapsed and ETA)
 * redrawn in place with a carriage return, at most every PROGRESS_REDRAW seconds,
 * and erased before the epoch's summary line is printed. Elsewhere (a file, CI): one
 * plain line per epoch, no carriage returns. Times are passed in, so the text can be
 * tested. Exported prefixes: progress_, PROGRESS_. */
#ifndef CIFAR_PROGRESS_H
#define CIFAR_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Seconds between redraws of the terminal line: often enough to look alive, rare
 * enough to cost nothing. */
#define PROGRESS_REDRAW 0.25

typedef struct {
    double loss;        /* summed over images */
    size_t correct, count;
} ProgressTally;

typedef struct {
    FILE *out;          /* NULL: silent (--quiet) */
    bool tty;           /* redraw in place */
    int epochs;         /* planned */
    long batches;       /* per epoch */
    int first_epoch;    /* the first epoch this process ran; 0 before any */
    double start, epoch_start, last_draw;
    double rate;        /* training images per second in the current epoch */
    int drawn;          /* characters of the terminal line now shown */
} Progress;

/* Start at time now (seconds). out NULL: nothing is ever written. */
void progress_init(Progress *p, FILE *out, bool tty, int epochs, long batches,
                   double now);
/* Batch number batch (1-based) of epoch is done; t covers the epoch so far.
 * Redraws the terminal line when due; silent on other outputs. */
void progress_batch(Progress *p, int epoch, long batch, ProgressTally t, double now);
/* The epoch's training and evaluation are done: erase the terminal line, or print
 * the plain line. */
void progress_epoch_end(Progress *p, int epoch, ProgressTally t, double now);
/* Erase the terminal line if one is shown (before an error message). */
void progress_clear(Progress *p);
/* The status line for batch of epoch into buf (no \r, no newline). */
void progress_format(char *buf, size_t cap, const Progress *p, int epoch, long batch,
                     ProgressTally t, double now);
/* seconds as "42s", "3m07s" or "1h02m" into buf (cap bytes), rounded to the nearest
 * second; negative or non-finite seconds show as "0s". Also used by compare. */
void progress_duration(char *buf, size_t cap, double seconds);

#endif
