/* ppm.h - reading images a user wants classified: PPM, binary (P6) or plain (P3),
 * of any size, with maxval 255, resized to 32x32 by area averaging into the planar
 * layout of a CIFAR record (report.h writes PPM; this reads it). Every header field
 * is checked. Exported prefixes: ppm_, PPM_. */
#ifndef CIFAR_PPM_H
#define CIFAR_PPM_H

#include <stddef.h>
#include "base/status.h"

/* Larger images are refused, before any arithmetic on their size. */
#define PPM_MAX_SIDE 16384
/* Larger files are refused before reading (a plain P3 of PPM_MAX_SIDE squared would
 * be bigger; such an image is not worth classifying at 32x32 anyway). */
#define PPM_MAX_BYTES ((size_t)256 << 20)

/* Decode the PPM in bytes[len] (name is used in messages) into planar[3][32][32]
 * (CIFAR_IMAGE_BYTES), resized by area averaging: each output pixel is the mean of
 * the source area it covers, partial pixels weighted by their overlap, rounded to
 * the nearest byte. Fails with STATUS_DATA naming the file and what is wrong: not a
 * PPM, a bad or missing header field, a 0 or too large side, maxval other than 255,
 * a sample above it, truncated pixel data, or bytes after it other than
 * whitespace; planar is then unchanged. */
Status ppm_decode(const unsigned char *bytes, size_t len, const char *name,
                  unsigned char *planar, Error *err);

/* Resize an interleaved RGB w x h image to planar[3][32][32] by area averaging. */
void ppm_resize(const unsigned char *rgb, int w, int h, unsigned char *planar);

/* Read and decode the file path (a directory or other non-regular file fails with
 * STATUS_IO naming it, a file over PPM_MAX_BYTES with STATUS_DATA). */
Status ppm_read_file(const char *path, unsigned char *planar, Error *err);

#endif
