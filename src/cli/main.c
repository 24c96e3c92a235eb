/* main.c - parses the command line, catches SIGINT and SIGTERM, ignores SIGPIPE,
 * creates the worker pool, runs the command and turns its status into the exit code:
 * 0 ok, 2 usage, 3 diverged, 1 otherwise (also when standard output could not be
 * written: a closed pipe or a full disk); after a signal (the run saved, or
 * finished), the signal is raised again so the shell sees 130 or 143. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/interrupt.h"
#include "base/platform.h"
#include "cli/cli.h"

/* A failed write to stdout (| head that has quit, > /dev/full) stops no run: the
 * run's files are what matters and are complete; it is reported at the end. */
static Status check_stdout(Status st, Error *err)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return st;
    int errnum = errno;
    if (st != STATUS_OK)
        return st;
    return error_set(err, STATUS_IO, "cannot write to standard output: %s",
                     errnum ? strerror(errnum) : "write error");
}

int main(int argc, char **argv)
{
    CliCommand cmd;
    Error err = {STATUS_OK, ""};
    platform_ignore_sigpipe();
    Status st = cli_parse(&cmd, argc, argv, getenv("CIFAR10_DIR"), &err);
    if (st == STATUS_OK) {
        interrupt_install();
        cmd.train.stop = interrupt_requested;
        cmd.train.steps_begin = interrupt_defer;
        Pool *pool = NULL;
        st = pool_create(&pool, cmd.threads, &err);
        if (st == STATUS_OK)
            st = cli_execute(&cmd, pool, &err);
        pool_destroy(pool);
    }
    st = check_stdout(st, &err);
    if (st != STATUS_OK)
        fprintf(stderr, "cifar-train: %s\n", err.msg);
    else if (interrupt_signal())
        fprintf(stderr, "cifar-train: interrupted after the run had finished\n");
    interrupt_reraise();
    return status_exit_code(st);
}
