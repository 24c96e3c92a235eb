/* status.h - status codes and the error record that carries a message upward.
 * Functions that can fail on user or environment input return a Status and fill an
 * Error naming the file, record or option at fault. Only main turns a Status into an
 * exit code. Exported prefix: error_, STATUS_. */
#ifndef CIFAR_STATUS_H
#define CIFAR_STATUS_H

typedef enum {
    STATUS_OK = 0,
    STATUS_USAGE,       /* bad option or value: exit 2 */
    STATUS_IO,          /* a file could not be opened, read or written */
    STATUS_DATA,        /* a file was read but its content is invalid */
    STATUS_NOMEM,       /* an allocation failed or a size overflowed */
    STATUS_DIVERGED,    /* the loss became NaN or infinite */
    STATUS_INTERRUPTED  /* SIGINT or SIGTERM stopped the run */
} Status;

#define ERROR_MSG_MAX 512

typedef struct {
    Status code;
    char msg[ERROR_MSG_MAX];
} Error;

/* Record a printf-style message in err (which may be NULL) and return code. */
Status error_set(Error *err, Status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Exit status for a code: 0 ok, 2 usage, 3 diverged, 130/143 are raised by
 * signals and never returned, 1 anything else. */
int status_exit_code(Status code);

#endif
