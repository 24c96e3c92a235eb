/* main.c - parses the command line, creates the worker pool, runs the command and
 * turns its status into the exit code: 0 ok, 2 usage, 3 diverged, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"

int main(int argc, char **argv)
{
    CliCommand cmd;
    Error err = {STATUS_OK, ""};
    Status st = cli_parse(&cmd, argc, argv, getenv("CIFAR10_DIR"), &err);
    if (st == STATUS_OK) {
        Pool *pool = NULL;
        st = pool_create(&pool, cmd.threads, &err);
        if (st == STATUS_OK)
            st = cli_execute(&cmd, pool, &err);
        pool_destroy(pool);
    }
    if (st != STATUS_OK)
        fprintf(stderr, "cifar-train: %s\n", err.msg);
    return status_exit_code(st);
}
