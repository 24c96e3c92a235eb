/* progress.h - what a run shows on a terminal while it trains: one status line on
 * stderr (epoch, batch n/total, a bar where there is room, running loss and accuracy,
 * the run's and the epoch's ETA, images/s, elapsed time) redrawn in place with a
 * carriage return, at most every PROGRESS_REDRAW seconds, fitted to the terminal's
 * width (asked once, and again after a resize), and erased before the epoch's
 * summary line is printed. Elsewhere (a file, a pipe, CI) nothing: the summary lines
 * on stdout say it all, and a pipe of both streams gets each epoch once. Times and
 * widths are passed in, so the text can be tested. Exported prefixes: progress_,
 * PROGRESS_. */
#ifndef CIFAR_PROGRESS_H
#define CIFAR_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Seconds between redraws of the terminal line: often enough to look alive, rare
 * enough to cost nothing. */
#define PROGRESS_REDRAW 0.25
/* Terminal columns when neither the terminal nor $COLUMNS tells. */
#define PROGRESS_COLUMNS 80

typedef struct {
    double loss;        /* summed over images */
    size_t correct, count;
} ProgressTally;

typedef struct {
    FILE *out;          /* NULL: silent (--quiet) */
    bool tty;           /* out is a terminal; elsewhere nothing is drawn */
    int width;          /* the terminal's columns */
    int epochs;         /* planned */
    long batches;       /* per epoch */
    int first_epoch;    /* the first epoch this process ran; 0 before any */
    long first_batch;   /* batches of first_epoch done before this process */
    double start, epoch_start, last_draw;
    double rate;        /* training images per second in the current epoch */
    int drawn;          /* characters of the terminal line now shown */
} Progress;

/* Start at time now (seconds). Nothing is ever written unless out is a terminal
 * (tty); then its width is asked and resizes are watched (platform.h). */
void progress_init(Progress *p, FILE *out, bool tty, int epochs, long batches,
                   double now);
/* Batch number batch (1-based) of epoch is done; t covers the epoch so far. Called
 * after every batch: the first call is for the first batch this process ran (past
 * ones of a resumed run do not count in its pace). Redraws the terminal line when
 * due. */
void progress_batch(Progress *p, int epoch, long batch, ProgressTally t, double now);
/* The epoch's training and evaluation are done: erase the terminal line (epoch and
 * t are not used). */
void progress_epoch_end(Progress *p, int epoch, ProgressTally t, double now);
/* Erase the terminal line if one is shown (before an error message). */
void progress_clear(Progress *p);
/* The status line for batch of epoch into buf (no \r, no newline), at most cols
 * characters (and cap - 1): fields are dropped from the right until the rest fits,
 * and a bar of the epoch's batches takes the room left, if enough. */
void progress_format(char *buf, size_t cap, const Progress *p, int epoch, long batch,
                     ProgressTally t, double now, int cols);
/* seconds as "42s", "3m07s" or "1h02m" into buf (cap bytes), rounded to the nearest
 * second; negative or non-finite seconds show as "0s". Also used by compare. */
void progress_duration(char *buf, size_t cap, double seconds);

#endif
