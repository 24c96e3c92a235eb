/* readfile.h - reading files: whole into memory, or piece by piece for large ones.
 * Writing goes through report.h only. Exported prefix: readfile_. */
#ifndef CIFAR_READFILE_H
#define CIFAR_READFILE_H

#include <stddef.h>
#include "base/status.h"

/* Read the whole regular file path into *data, a malloc'd buffer the caller frees,
 * with its size in *len; (*data)[*len] is an extra NUL, so text can be used as a
 * string. On failure *data is NULL, nothing is leaked, and err names path:
 * STATUS_IO if it cannot be opened, is not a regular file (a directory), or a read
 * or close fails; STATUS_NOMEM if memory runs out or the size overflows size_t. */
Status readfile_whole(const char *path, unsigned char **data, size_t *len,
                        Error *err);

/* As readfile_whole, but a file of more than max bytes fails with STATUS_DATA
 * ("path is larger than max bytes") as soon as a read (of at most 64 KB) passes max,
 * not after reading the whole. */
Status readfile_whole_max(const char *path, size_t max, unsigned char **data,
                            size_t *len, Error *err);

/* Called with each piece of a file in order: len bytes at bytes. A status other than
 * STATUS_OK stops the reading and is returned. */
typedef Status (*ReadPieceFn)(void *ctx, const unsigned char *bytes, size_t len,
                                Error *err);

/* Read the regular file path in pieces of piece bytes (the last may be shorter, and
 * an empty file gives none), handing each to fn, with the total in *total: a large
 * file needs only a piece of memory. Fails as readfile_whole does, or with fn's
 * status. */
Status readfile_pieces(const char *path, size_t piece, ReadPieceFn fn, void *ctx,
                          size_t *total, Error *err);

#endif
