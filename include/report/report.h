/* report.h - every file the tool writes goes through here (atomic whole-file writes:
 * temp file in the same directory, flush, sync, rename; the per-epoch CSV log); the
 * image encoders work in memory so tests can check their bytes; files a run replaces
 * are deleted here too. Exported prefixes: report_, ppm_, csvlog_. */
#ifndef CIFAR_REPORT_H
#define CIFAR_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "base/status.h"

/* Write len bytes to path atomically: path.tmp, fflush, sync, fclose, rename. On any
 * failure path is untouched and the temp file removed. */
Status report_write_atomic(const char *path, const void *data, size_t len,
                           Error *err);

/* Delete the file path. Fails with STATUS_IO, "cannot remove PATH: REASON", when it cannot
 * (a missing file too: callers that allow one check first or ignore the status). */
Status report_remove(const char *path, Error *err);

/* A run directory's lock: a file created only if none is there (C11 fopen "wx"),
 * holding "pid N" and "started TIME" lines. */
#define REPORT_LOCK_FILE "lock"
typedef struct {
    char path[4096];
    bool held;
} RunLock;

/* Take dir's lock, writing started (a time) into it. A lock whose process is gone
 * (platform_process_alive) is stale: it is removed and taken over, and its pid
 * returned in *stale_pid for a notice (0 otherwise). Fails with STATUS_IO naming the
 * holder's pid and start when a live process holds it, or when the lock file holds
 * no pid (being written, or not ours), or cannot be created. */
Status report_lock(RunLock *lk, const char *dir, const char *started,
                   long *stale_pid, Error *err);
/* Remove the lock if lk holds it. */
void report_unlock(RunLock *lk);

/* Binary PPM (P6) of a w x h image from planar rgb[3][h][w] bytes. Returns the
 * encoded size; writes it to out when out is not NULL (call once with NULL to
 * size the buffer). */
size_t ppm_encode(unsigned char *out, int w, int h, const unsigned char *planar);

/* The log: one header line, then one complete row per epoch, flushed each time. */
typedef struct {
    FILE *f;
    char path[4096];
} CsvLog;

/* Open path for appending; write header when the file is new or empty. */
Status csvlog_open(CsvLog *log, const char *path, const char *header, Error *err);
/* Append one line (a trailing newline is added) and flush. */
Status csvlog_append(CsvLog *log, const char *line, Error *err);
Status csvlog_close(CsvLog *log, Error *err);

#endif
