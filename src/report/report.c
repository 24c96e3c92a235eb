/* report.c - the only module that writes or deletes files: whole files go through a temp file
 * and a rename so a crash or a full disk never leaves a half-written target; the CSV
 * log is appended and flushed one row at a time; the PPM encoder works in memory.
 * Exported prefixes: report_, ppm_, csvlog_. */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/platform.h"
#include "base/readfile.h"
#include "report/report.h"

#define REPORT_PATH_MAX 4096

/* errno as text; C11 only promises errno for some library calls, so 0 is possible. */
static const char *why(int errnum)
{
    return errnum ? strerror(errnum) : "unknown error";
}

/* Write, flush, sync and close f; returns the failing step's name or NULL, with the
 * errno of the failure in *errnum. f is closed in every case. */
static const char *finish_file(FILE *f, const void *data, size_t len, int *errnum)
{
    const char *step = NULL;
    errno = 0;
    if (len > 0 && fwrite(data, 1, len, f) != len)
        step = "write";
    else if (fflush(f) != 0)
        step = "flush";
    else if (!platform_sync(f))
        step = "sync";
    *errnum = errno;
    errno = 0;
    /* A full disk often shows up only here, when the last buffer is written. */
    if (fclose(f) != 0 && !step) {
        step = "close";
        *errnum = errno;
    }
    return step;
}

Status report_write_atomic(const char *path, const void *data, size_t len,
                           Error *err)
{
    char tmp[REPORT_PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return error_set(err, STATUS_USAGE, "output path too long: %.100s...", path);
    errno = 0;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return error_set(err, STATUS_IO, "cannot create %s: %s", tmp, why(errno));
    int errnum = 0;
    const char *step = finish_file(f, data, len, &errnum);
    if (!step) {
        errno = 0;
        if (rename(tmp, path) != 0) {
            step = "rename temp file to";
            errnum = errno;
        }
    }
    if (step) {
        remove(tmp);
        return error_set(err, STATUS_IO, "cannot %s %s: %s", step, path, why(errnum));
    }
    return STATUS_OK;
}

Status report_remove(const char *path, Error *err)
{
    errno = 0;
    if (remove(path) != 0)
        return error_set(err, STATUS_IO, "cannot remove %s: %s", path, why(errno));
    return STATUS_OK;
}

/* Create path only if nothing is there (C11 "wx"), holding text, synced. *exists
 * tells a lock held by someone from a failure to create one. */
static Status create_lock(const char *path, const char *text, bool *exists,
                          Error *err)
{
    errno = 0;
    FILE *f = fopen(path, "wx");
    *exists = !f && (errno == EEXIST || platform_kind(path) != NULL);
    if (!f)
        return error_set(err, STATUS_IO, "cannot create %s: %s", path, why(errno));
    int errnum = 0;
    const char *step = finish_file(f, text, strlen(text), &errnum);
    if (step) {
        remove(path);
        return error_set(err, STATUS_IO, "cannot %s %s: %s", step, path, why(errnum));
    }
    return STATUS_OK;
}

/* The holder's pid from a lock's text ("pid N\n..."), 0 if there is none (a lock
 * still being written, or not one of ours). */
static long lock_pid(const char *text)
{
    long pid = 0;
    return sscanf(text, "pid %ld", &pid) == 1 && pid > 0 ? pid : 0;
}

/* The lock's text, NULL if it is gone. A lock just created may not hold its pid
 * yet (fopen "wx" creates it empty, and its creator may be descheduled before it
 * writes): read again for up to two seconds before taking it as one without a pid. */
static char *read_lock(const char *path)
{
    double give_up = platform_seconds() + 2.0;
    for (;;) {
        unsigned char *text;
        size_t len;
        Error ignored;
        if (readfile_whole_max(path, 1024, &text, &len, &ignored) != STATUS_OK)
            return NULL;
        if (lock_pid((const char *)text) > 0 || platform_seconds() > give_up)
            return (char *)text;
        free(text);
    }
}

/* The error for a lock held by a live process (or one that cannot be read). */
static Status lock_held(const char *dir, const char *path, const char *text,
                        long pid, Error *err)
{
    const char *started = strstr(text, "started ");
    int len = started ? (int)strcspn(started + 8, "\n") : 0;
    if (pid <= 0)
        return error_set(err, STATUS_IO, "%s is in use: its lock file %s holds no "
                         "process id (not a lock of this tool?); if no run uses the "
                         "directory, remove it", dir, path);
    return error_set(err, STATUS_IO, "%s is in use by process %ld (started %.*s; lock "
                     "file %s)", dir, pid, len, started ? started + 8 : "", path);
}

Status report_lock(RunLock *lk, const char *dir, const char *started,
                   long *stale_pid, Error *err)
{
    char text[128];
    *stale_pid = 0;
    lk->held = false;
    int n = snprintf(lk->path, sizeof lk->path, "%s/" REPORT_LOCK_FILE, dir);
    if (n < 0 || (size_t)n >= sizeof lk->path)
        return error_set(err, STATUS_USAGE, "output path too long: %.100s...", dir);
    snprintf(text, sizeof text, "pid %ld\nstarted %s\n", platform_pid(), started);
    for (int attempt = 0; attempt < 2; attempt++) {
        bool exists;
        Status st = create_lock(lk->path, text, &exists, err);
        if (st == STATUS_OK || !exists) {
            lk->held = st == STATUS_OK;
            return st;
        }
        char *held = read_lock(lk->path);
        if (!held)
            continue;   /* gone meanwhile: its holder ended; try again */
        long pid = lock_pid(held);
        /* Our own pid in a lock we did not take: an earlier process (a container
         * restarts its pids) that ended without removing it. */
        if (pid <= 0 || (pid != platform_pid() && platform_process_alive(pid))) {
            st = lock_held(dir, lk->path, held, pid, err);
            free(held);
            return st;
        }
        free(held);
        *stale_pid = pid;
        if ((st = report_remove(lk->path, err)) != STATUS_OK)
            return st;
    }
    return error_set(err, STATUS_IO, "%s is in use: another process took its lock %s "
                     "first", dir, lk->path);
}

void report_unlock(RunLock *lk)
{
    if (lk->held)
        remove(lk->path);   /* left behind, it is stale and taken over next time */
    lk->held = false;
}

size_t ppm_encode(unsigned char *out, int w, int h, const unsigned char *planar)
{
    assert(w > 0 && h > 0);
    char header[64];
    int header_len = snprintf(header, sizeof header, "P6\n%d %d\n255\n", w, h);
    assert(header_len > 0 && (size_t)header_len < sizeof header);
    size_t plane = (size_t)w * (size_t)h;
    size_t total = (size_t)header_len + 3 * plane;
    if (!out)
        return total;
    memcpy(out, header, (size_t)header_len);
    /* out: [h][w][rgb] after the header; planar: [rgb][h][w]. */
    unsigned char *rgb = out + header_len;
    for (size_t i = 0; i < plane; i++) {
        rgb[3 * i + 0] = planar[i];
        rgb[3 * i + 1] = planar[plane + i];
        rgb[3 * i + 2] = planar[2 * plane + i];
    }
    return total;
}

static Status write_line(CsvLog *log, const char *line, Error *err)
{
    errno = 0;
    if (fputs(line, log->f) < 0 || fputc('\n', log->f) == EOF || fflush(log->f) != 0)
        return error_set(err, STATUS_IO, "cannot write %s: %s", log->path, why(errno));
    return STATUS_OK;
}

/* True in *empty when the stream opened with "a+b" holds no bytes. Reads the first
 * byte, then repositions to the end as C requires between reading and writing. */
static Status probe_empty(CsvLog *log, bool *empty, Error *err)
{
    errno = 0;
    rewind(log->f);
    int c = fgetc(log->f);
    if (c == EOF && ferror(log->f))
        return error_set(err, STATUS_IO, "cannot read %s: %s", log->path, why(errno));
    *empty = c == EOF;
    if (fseek(log->f, 0, SEEK_END) != 0)
        return error_set(err, STATUS_IO, "cannot seek in %s: %s", log->path,
                         why(errno));
    return STATUS_OK;
}

Status csvlog_open(CsvLog *log, const char *path, const char *header, Error *err)
{
    log->f = NULL;
    size_t len = strlen(path);
    if (len >= sizeof log->path)
        return error_set(err, STATUS_USAGE, "log path too long: %.100s...", path);
    memcpy(log->path, path, len + 1);
    errno = 0;
    /* Append mode: a resumed run adds rows to the existing log. */
    log->f = fopen(path, "a+b");
    if (!log->f)
        return error_set(err, STATUS_IO, "cannot open %s: %s", path, why(errno));
    bool empty = false;
    Status st = probe_empty(log, &empty, err);
    if (st == STATUS_OK && empty)
        st = write_line(log, header, err);
    if (st != STATUS_OK) {
        fclose(log->f);   /* already failing; the first error is the one to report */
        log->f = NULL;
    }
    return st;
}

Status csvlog_append(CsvLog *log, const char *line, Error *err)
{
    assert(log->f);
    return write_line(log, line, err);
}

Status csvlog_close(CsvLog *log, Error *err)
{
    if (!log->f)
        return STATUS_OK;
    errno = 0;
    int rc = fclose(log->f);
    log->f = NULL;
    if (rc != 0)
        return error_set(err, STATUS_IO, "cannot close %s: %s", log->path, why(errno));
    return STATUS_OK;
}
