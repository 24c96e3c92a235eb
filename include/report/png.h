/* png.h - an 8-bit RGB PNG encoder that needs no library: the image data goes into
 * stored (uncompressed) deflate blocks, so the encoder is a few loops plus CRC-32
 * and Adler-32. Files are about the size of a PPM, and browsers, GitHub and image
 * viewers open them. Works in memory, as ppm_encode does:
 *     size_t len = png_encode(NULL, w, h, planar);   (size the buffer)
 *     png_encode(buf, w, h, planar);                 (fill it)
 * Exported prefix: png_. */
#ifndef CIFAR_PNG_H
#define CIFAR_PNG_H

#include <stddef.h>
#include <stdint.h>

/* Largest pixel count png_encode takes: the file stays far below the 2^31-byte
 * limit of one PNG chunk. */
#define PNG_MAX_PIXELS (256u * 1024u * 1024u / 3u)

/* CRC-32 (ISO 3309, as PNG and zlib use it) of n bytes at p, continuing from crc
 * (start with 0). */
uint32_t png_crc32(uint32_t crc, const unsigned char *p, size_t n);
/* Adler-32 (zlib's checksum) of n bytes at p, continuing from adler (start with 1). */
uint32_t png_adler32(uint32_t adler, const unsigned char *p, size_t n);

/* PNG (8-bit RGB, no interlace, filter 0 on every row) of a w x h image from planar
 * rgb[3][h][w] bytes, the layout of a Canvas. Returns the encoded size; writes it
 * to out when out is not NULL. 0 < w, 0 < h and w * h <= PNG_MAX_PIXELS. */
size_t png_encode(unsigned char *out, int w, int h, const unsigned char *planar);

#endif
