/* cli.h - the command line: GNU-style long options (--epochs 20, --epochs=20) into
 * a TrainConfig, the subcommand, and running it. Parsing never exits; main creates
 * the worker pool between cli_parse and cli_execute and decides the exit status.
 * Exported prefixes: cli_, CLI_. */
#ifndef CIFAR_CLI_H
#define CIFAR_CLI_H

#include "base/pool.h"
#include "base/status.h"
#include "cli/use.h"
#include "train/train.h"

typedef enum {
    CLI_TRAIN,
    CLI_HELP,
    CLI_VERSION,
    CLI_COMPARE,    /* cifar-train compare DIR... [--svg FILE] */
    CLI_SUMMARY,    /* cifar-train summary [training options]: the model table */
    CLI_BENCH,      /* cifar-train bench [options]: the speed of this machine */
    CLI_MODEL,      /* cifar-train model NAME: a built-in net's text */
    CLI_EVAL,       /* cifar-train eval DIR ...: use.h */
    CLI_PREDICT,    /* cifar-train predict DIR IMAGE...: use.h */
    CLI_EXPORT      /* cifar-train export DIR --onnx FILE: use.h */
} CliAction;

#define CLI_VERSION_STRING TRAIN_VERSION
/* At least the number of options in cli.c's table. */
#define CLI_MAX_OPTIONS 64

typedef struct {
    CliAction action;
    CliAction help_topic;           /* --help: the command whose help to show */
    TrainConfig train;
    int threads;
    bool no_fuse;                   /* --no-fuse: like threads, not part of the run */
    size_t max_params;              /* --max-params: likewise */
    char resume[TRAIN_PATH_MAX];    /* --resume DIR, or empty */
    bool given[CLI_MAX_OPTIONS];    /* which options the command line set */
    const char *const *compare_dirs;    /* compare: its arguments (directories and
                                         * options), pointing into argv */
    int ncompare;
    bool bench_quick;                   /* bench: --quick */
    const char *model_text;             /* model: the built-in's text */
    UseOptions use;                     /* eval, predict, export: their options */
} CliCommand;

/* Parse argv. Unknown options and bad values fail with STATUS_USAGE and a one-line
 * message naming the option and value. Repeated options: the last one wins. env_data
 * is the CIFAR10_DIR environment variable or NULL. */
Status cli_parse(CliCommand *cmd, int argc, char **argv, const char *env_data,
                 Error *err);
/* Run a parsed command; pool has cmd->threads workers. With --resume, the options
 * come from the run's checkpoint, overridden by those the command line gave; the run
 * then refuses any that would change it (all but --epochs, --data, --threads and
 * --quiet). */
Status cli_execute(const CliCommand *cmd, Pool *pool, Error *err);

#endif
