/* runfiles.h - the files a training run leaves next to log.csv, built in memory and
 * written through report_write_atomic: run.txt (every option, the environment, and
 * at the end the results), summary.txt (the model table), curves.svg (loss and
 * accuracy per epoch, redrawn after every epoch from log.csv, so it also covers
 * resumed runs), and at the end confusion.csv, classes.csv, confusion.png and
 * misclassified.png and .ppm.
 * Part of the training layer: train.c calls it with what the files need to know.
 * Exported prefix: runfiles_. */
#ifndef CIFAR_RUNFILES_H
#define CIFAR_RUNFILES_H

#include "base/status.h"
#include "base/strbuf.h"
#include "dataset/cifar.h"
#include "nn/model.h"
#include "report/runlog.h"
#include "train/runopts.h"

/* The caller sets everything but start_time and t0, and keeps what it points to. */
typedef struct {
    const RunOptions *opts;
    /* the run's TRAIN options (runopts.h), one field each, by the same names */
    const char *out_dir;    /* the run directory, where every file goes */
    bool force;
    bool quiet;             /* also: no summary on stdout at the end */
    const char *version;    /* the tool's, for run.txt */
    uint64_t run_id;        /* the run's id (train.c), for run.txt */
    const Model *model;
    int threads;
    int first_epoch;        /* the first this process trains (> 1 when resumed) */
    size_t train_count, test_count;
    char start_time[32];    /* UTC, ISO 8601, or "unknown" */
    double t0;              /* platform_seconds() at the start */
} RunFiles;

/* Note the start and write summary.txt and run.txt (status: running). */
Status runfiles_start(RunFiles *rf, Error *err);
/* Redraw curves.svg from log.csv after an epoch. */
Status runfiles_epoch(const RunFiles *rf, Error *err);
/* After the last epoch: confusion.csv, classes.csv, confusion.png and
 * misclassified.png and .ppm from the test set, the final predictions
 * pred[test->count] and their probabilities conf[test->count]; curves.svg; run.txt
 * with status finished and the results; then, unless --quiet, a short summary on
 * stdout. */
Status runfiles_finish(const RunFiles *rf, const CifarSet *test,
                       const unsigned char *pred, const float *conf, Error *err);

/* After an interrupt or a divergence: run.txt again, with status (a word). */
Status runfiles_stopped(const RunFiles *rf, const char *status, Error *err);
/* The time now, UTC, ISO 8601, or "unknown", into buf. */
void runfiles_now(char *buf, size_t cap);

/* run.txt text; log is NULL while running, else the finished run's log and its
 * wall time in seconds. */
void runfiles_info(StrBuf *out, const RunFiles *rf, const RunLog *log, double wall);
/* The same with status for a run that has not finished ("running", "interrupted"). */
void runfiles_info_status(StrBuf *out, const RunFiles *rf, const char *status);
/* curves.svg text for a log. */
void runfiles_curves(StrBuf *out, const RunLog *log, const char *title);

#endif
