/* report.h - file I/O: every file the tool writes goes through here (atomic
 * whole-file writes: temp file in the same directory, flush, sync, rename; the
 * per-epoch CSV log), as do whole-file reads; the image encoders work in memory so
 * tests can check their bytes. Exported prefixes: report_, ppm_, csvlog_. */
#ifndef CIFAR_REPORT_H
#define CIFAR_REPORT_H

#include <stddef.h>
#include <stdio.h>
#include "status.h"

/* Write len bytes to path atomically: path.tmp, fflush, sync, fclose, rename. On any
 * failure path is untouched and the temp file removed. */
Status report_write_atomic(const char *path, const void *data, size_t len,
                           Error *err);

/* Read the whole regular file path into *data, a malloc'd buffer the caller frees,
 * with its size in *len; (*data)[*len] is an extra NUL, so text can be used as a
 * string. On failure *data is NULL, nothing is leaked, and err names path:
 * STATUS_IO if it cannot be opened, is not a regular file (a directory), or a read
 * or close fails; STATUS_NOMEM if memory runs out or the size overflows size_t. */
Status report_read_file(const char *path, unsigned char **data, size_t *len,
                        Error *err);

/* As report_read_file, but a file of more than max bytes fails with STATUS_DATA
 * ("path is larger than max bytes") as soon as a read (of at most 64 KB) passes max,
 * not after reading the whole. */
Status report_read_file_max(const char *path, size_t max, unsigned char **data,
                            size_t *len, Error *err);

/* Called with each piece of a file in order: len bytes at bytes. A status other than
 * STATUS_OK stops the reading and is returned. */
typedef Status (*ReportPieceFn)(void *ctx, const unsigned char *bytes, size_t len,
                                Error *err);

/* Read the regular file path in pieces of piece bytes (the last may be shorter, and
 * an empty file gives none), handing each to fn, with the total in *total: a large
 * file needs only a piece of memory. Fails as report_read_file does, or with fn's
 * status. */
Status report_read_pieces(const char *path, size_t piece, ReportPieceFn fn, void *ctx,
                          size_t *total, Error *err);

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
