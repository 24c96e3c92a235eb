/* bench.h - `cifar-train bench`: how fast this build is on this machine. It measures
 * the FP32 FMA peak of one core and of the pool (a register-resident FMA loop), each
 * distinct conv shape of the models (naive and blocked, forward, input gradient and
 * weight gradient, GFLOP/s and % of one core's peak), the whole training step and
 * evaluation in images/s with 1 and N threads for each norm, and peak resident
 * memory. Every figure is the median of several timed repetitions after a warm-up.
 * The last line printed is machine-readable (BENCH_LAST_LINE). Exported prefixes:
 * bench_, BENCH_. */
#ifndef CIFAR_BENCH_H
#define CIFAR_BENCH_H

#include <stdbool.h>
#include <stdio.h>
#include "base/pool.h"
#include "base/status.h"
#include "nn/model.h"

/* The format of the last line: training and evaluation images/s of s8 with bn
 * (when --model and --norm leave them out: of the first model and norm measured)
 * with the pool's N threads. */
#define BENCH_LAST_LINE "train_img_per_s=%.1f eval_img_per_s=%.1f threads=%d\n"

/* Norm value meaning "bn, ln and gn in turn". */
#define BENCH_ALL_NORMS (-1)

typedef struct {
    const char *model;  /* a model_name(), MODEL_FILE_NAME, or NULL: the default
                         * model and s8 */
    const ModelConfig *file;    /* for MODEL_FILE_NAME: the network file's text */
    int norm;           /* a NormKind, or BENCH_ALL_NORMS */
    int groups;         /* for gn */
    int batch;          /* images per training step and per conv problem */
    bool quick;         /* tiny sizes and one repetition: checks the output's form
                         * in a second, measures nothing worth reading */
} BenchConfig;

/* Measure everything cfg selects with pool (its thread count is N; 1 thread runs
 * without it) and print the tables, then BENCH_LAST_LINE, on out. Fails with
 * STATUS_USAGE for a model or norm settings that cannot be built, STATUS_NOMEM when
 * memory runs out, STATUS_DATA if a timed loop produced a non-finite value. */
Status bench_run(const BenchConfig *cfg, Pool *pool, FILE *out, Error *err);

#endif
