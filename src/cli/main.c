/* main.c - parses the command line, catches SIGINT and SIGTERM, creates the worker
 * pool, runs the command and turns its status into the exit code: 0 ok, 2 usage,
 * 3 diverged, 1 otherwise; after a signal (the run saved, or finished), the signal
 * is raised again so the shell sees 130 or 143. */
#include <stdio.h>
#include <stdlib.h>
#include "base/interrupt.h"
#include "cli/cli.h"

int main(int argc, char **argv)
{
    CliCommand cmd;
    Error err = {STATUS_OK, ""};
    Status st = cli_parse(&cmd, argc, argv, getenv("CIFAR10_DIR"), &err);
    if (st == STATUS_OK) {
        interrupt_install();
        cmd.train.stop = interrupt_requested;
        Pool *pool = NULL;
        st = pool_create(&pool, cmd.threads, &err);
        if (st == STATUS_OK)
            st = cli_execute(&cmd, pool, &err);
        pool_destroy(pool);
    }
    if (st != STATUS_OK)
        fprintf(stderr, "cifar-train: %s\n", err.msg);
    else if (interrupt_signal())
        fprintf(stderr, "cifar-train: interrupted after the run had finished\n");
    interrupt_reraise();
    return status_exit_code(st);
}
