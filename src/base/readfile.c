/* readfile.c - reading whole files into memory, or in pieces, in one place: every
 * read checks that the path is a regular file and reports read and close errors with
 * the path. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/platform.h"
#include "base/readfile.h"

/* Bytes per read of a whole-file read, and its first buffer, doubled as the file
 * turns out longer. */
#define READFILE_PIECE ((size_t)1 << 16)

/* errno as text; C11 only promises errno for some library calls, so 0 is possible. */
static const char *why(int errnum)
{
    return errnum ? strerror(errnum) : "unknown error";
}

/* Opens the regular file path for reading into *f. Anything else (a directory, a
 * FIFO, a device) is refused before it is opened, so that none can block. */
static Status open_to_read(const char *path, FILE **f, Error *err)
{
    const char *kind;
    errno = 0;
    *f = platform_open_read(path, &kind);
    if (!*f && kind)
        return error_set(err, STATUS_IO, "%s is not a regular file (it is a %s)", path,
                         kind);
    if (!*f)
        return error_set(err, STATUS_IO, "cannot open %s: %s", path, why(errno));
    return STATUS_OK;
}

/* Ends reading f: a read error (if st is still OK) or a close error becomes the
 * status. */
static Status close_read(FILE *f, const char *path, Status st, Error *err)
{
    if (st == STATUS_OK && ferror(f))
        st = error_set(err, STATUS_IO, "cannot read %s: %s", path, why(errno));
    errno = 0;
    if (fclose(f) != 0 && st == STATUS_OK)
        st = error_set(err, STATUS_IO, "cannot close %s: %s", path, why(errno));
    return st;
}

Status readfile_pieces(const char *path, size_t piece, ReadPieceFn fn, void *ctx,
                          size_t *total, Error *err)
{
    assert(piece > 0);
    *total = 0;
    FILE *f;
    Status st = open_to_read(path, &f, err);
    if (st != STATUS_OK)
        return st;
    unsigned char *buf = malloc(piece);
    if (!buf)
        st = error_set(err, STATUS_NOMEM, "%s: out of memory", path);
    errno = 0;
    while (st == STATUS_OK) {
        size_t got = fread(buf, 1, piece, f);
        if (got > 0) {
            *total += got;
            st = fn(ctx, buf, got, err);
        }
        if (got < piece)
            break;
    }
    free(buf);
    return close_read(f, path, st, err);
}

/* A whole file gathering piece by piece (readfile_pieces), with room for a NUL. */
typedef struct {
    const char *path;
    size_t max;
    unsigned char *buf;
    size_t len, cap;
} Whole;

static Status whole_append(void *ctx, const unsigned char *bytes, size_t n, Error *err)
{
    Whole *w = ctx;
    if (n > w->max - w->len)
        return error_set(err, STATUS_DATA, "%s is larger than %zu bytes", w->path,
                         w->max);
    if (w->len + n >= SIZE_MAX)
        return error_set(err, STATUS_NOMEM, "%s: too large to hold in memory", w->path);
    size_t need = w->len + n + 1, cap = w->cap ? w->cap : READFILE_PIECE;
    while (cap < need)
        cap = cap <= SIZE_MAX / 2 ? 2 * cap : need;
    if (cap != w->cap) {
        unsigned char *grown = realloc(w->buf, cap);
        if (!grown)
            return error_set(err, STATUS_NOMEM, "%s: out of memory (file too large)",
                             w->path);
        w->buf = grown, w->cap = cap;
    }
    memcpy(w->buf + w->len, bytes, n);
    w->len += n;
    return STATUS_OK;
}

Status readfile_whole_max(const char *path, size_t max, unsigned char **data,
                            size_t *len, Error *err)
{
    *data = NULL;
    *len = 0;
    Whole w = {path, max, NULL, 0, 0};
    size_t total;
    Status st = readfile_pieces(path, READFILE_PIECE, whole_append, &w, &total,
                                   err);
    if (st == STATUS_OK && !w.buf && !(w.buf = malloc(1)))
        st = error_set(err, STATUS_NOMEM, "%s: out of memory", path);
    if (st != STATUS_OK) {
        free(w.buf);
        return st;
    }
    w.buf[w.len] = '\0';
    *data = w.buf;
    *len = w.len;
    return STATUS_OK;
}

Status readfile_whole(const char *path, unsigned char **data, size_t *len,
                        Error *err)
{
    return readfile_whole_max(path, SIZE_MAX, data, len, err);
}
