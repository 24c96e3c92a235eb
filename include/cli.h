/* cli.h - the command line: GNU-style long options (--epochs 20, --epochs=20) into
 * a TrainConfig, the subcommand, and running it. Parsing never exits; main creates
 * the worker pool between cli_parse and cli_execute and decides the exit status.
 * Exported prefixes: cli_, CLI_. */
#ifndef CIFAR_CLI_H
#define CIFAR_CLI_H

#include "pool.h"
#include "status.h"
#include "train.h"

typedef enum {
    CLI_TRAIN,
    CLI_HELP,
    CLI_VERSION
} CliAction;

#define CLI_VERSION_STRING "cifar-train 0.1.0"

typedef struct {
    CliAction action;
    TrainConfig train;
    int threads;
} CliCommand;

/* Parse argv. Unknown options and bad values fail with STATUS_USAGE and a one-line
 * message naming the option and value. Repeated options: the last one wins. env_data
 * is the CIFAR10_DIR environment variable or NULL. */
Status cli_parse(CliCommand *cmd, int argc, char **argv, const char *env_data,
                 Error *err);
/* Run a parsed command; pool has cmd->threads workers. */
Status cli_execute(const CliCommand *cmd, Pool *pool, Error *err);

#endif
