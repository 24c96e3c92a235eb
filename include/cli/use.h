/* use.h - the commands that use a trained run: eval (score it on the test set or
 * any CIFAR-format file), predict (classify PPM images or CIFAR records) and export
 * (the network as ONNX). Each parses its own arguments (everything after the
 * command word) and loads the run's final model through train_load_model.
 * Exported prefixes: use_, USE_. */
#ifndef CIFAR_USE_H
#define CIFAR_USE_H

#include <stdbool.h>
#include <stddef.h>
#include "base/pool.h"
#include "base/status.h"

typedef enum { USE_EVAL, USE_PREDICT, USE_EXPORT } UseAction;

/* Classes predict lists per image unless --top says otherwise. */
#define USE_DEFAULT_TOP 3

typedef struct {
    UseAction action;
    const char *dir;            /* the run directory */
    /* eval */
    const char *data;           /* --data D, NULL: the run's data directory */
    const char *file;           /* --file X.bin instead of the test set */
    size_t limit_test;          /* --limit-test N, 0: all */
    bool tta;                   /* --tta: flip-averaged accuracy too */
    const char *out;            /* --out DIR: confusion.csv, classes.csv */
    const char *logits;         /* --logits FILE: float32 [n][10] little-endian */
    /* predict */
    const char *const *images;  /* pointing into argv */
    int nimages;
    bool csv;                   /* --csv: one row per image, every probability */
    int top;                    /* --top K */
    /* export */
    const char *onnx;           /* --onnx FILE */
    int threads;                /* --threads N, 0: not given */
    bool help;
} UseOptions;

/* Parse args[0..n) (after the command word) for action. STATUS_USAGE naming the
 * option or argument at fault: an unknown option, a missing or bad value, no run
 * directory, predict without images, export without --onnx, an option of another
 * command. */
Status use_parse(UseOptions *o, UseAction action, const char *const *args, int n,
                 Error *err);

/* Run the command with pool's workers. Bad input (no finished model, an unreadable
 * or invalid file) fails with a message naming the file and writes nothing; predict
 * answers every readable image first and then fails naming how many were not. */
Status use_main(const UseOptions *o, Pool *pool, Error *err);

/* The options of one command, for its --help. */
void use_print_options(UseAction action);

#endif
