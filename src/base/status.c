/* status.c - recording error messages; mapping codes to exit statuses. */
#include <stdarg.h>
#include <stdio.h>
#include "base/status.h"

Status error_set(Error *err, Status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int status_exit_code(Status code)
{
    switch (code) {
    case STATUS_OK:
        return 0;
    case STATUS_USAGE:
        return 2;
    case STATUS_DIVERGED:
        return 3;
    default:
        return 1;
    }
}
