/* png.c - PNG encoding with stored deflate blocks: signature, IHDR, one IDAT
 * holding a zlib stream of uncompressed blocks, IEND. Every chunk ends with the
 * CRC-32 of its type and data; the zlib stream ends with the Adler-32 of the raw
 * rows. */
#include <assert.h>
#include <string.h>
#include "report/png.h"

/* A stored deflate block holds at most this many bytes (its LEN is 16 bits). */
#define STORED_MAX 65535u
/* Adler-32's modulus, and the most bytes its sums take before they must be reduced
 * so that s2 cannot overflow 32 bits (zlib's NMAX). */
#define ADLER_MOD 65521u
#define ADLER_NMAX 5552u
/* Chunk length, type and CRC around each chunk's data. */
#define CHUNK_OVERHEAD 12u
#define IHDR_LEN 13u

static const unsigned char SIGNATURE[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
                                           '\n'};

uint32_t png_crc32(uint32_t crc, const unsigned char *p, size_t n)
{
    /* The reflected polynomial 0xedb88320, four bits at a time: CRC of each nibble. */
    static const uint32_t nibble[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c};
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = nibble[crc & 15u] ^ (crc >> 4);
        crc = nibble[crc & 15u] ^ (crc >> 4);
    }
    return ~crc;
}

uint32_t png_adler32(uint32_t adler, const unsigned char *p, size_t n)
{
    uint32_t s1 = adler & 0xffffu, s2 = adler >> 16;
    while (n > 0) {
        size_t run = n < ADLER_NMAX ? n : ADLER_NMAX;
        for (size_t i = 0; i < run; i++) {
            s1 += p[i];
            s2 += s1;
        }
        s1 %= ADLER_MOD;
        s2 %= ADLER_MOD;
        p += run;
        n -= run;
    }
    return (s2 << 16) | s1;
}

static unsigned char *put32(unsigned char *at, uint32_t v)
{
    at[0] = (unsigned char)(v >> 24);
    at[1] = (unsigned char)(v >> 16);
    at[2] = (unsigned char)(v >> 8);
    at[3] = (unsigned char)v;
    return at + 4;
}

/* Bytes of the zlib stream for raw bytes of rows: header, stored blocks (each a
 * 1-byte header and LEN, NLEN), Adler-32. */
static size_t zlib_size(size_t raw)
{
    size_t blocks = raw == 0 ? 1 : (raw + STORED_MAX - 1) / STORED_MAX;
    return 2 + blocks * 5 + raw + 4;
}

/* Length and type of a chunk at at; returns where its data goes. */
static unsigned char *chunk_start(unsigned char *at, size_t len, const char *type)
{
    at = put32(at, (uint32_t)len);
    memcpy(at, type, 4);
    return at + 4;
}

/* The CRC of the chunk whose type starts at type and whose data ends at end. */
static unsigned char *chunk_end(unsigned char *type, unsigned char *end)
{
    return put32(end, png_crc32(0, type, (size_t)(end - type)));
}

/* Row y as the PNG wants it, at out: filter byte 0, then r g b per pixel. */
static void raw_row(unsigned char *out, int w, int h, int y,
                    const unsigned char *planar)
{
    size_t plane = (size_t)w * (size_t)h, row = (size_t)y * (size_t)w;
    out[0] = 0;
    for (size_t x = 0; x < (size_t)w; x++) {
        out[1 + 3 * x] = planar[row + x];
        out[2 + 3 * x] = planar[plane + row + x];
        out[3 + 3 * x] = planar[2 * plane + row + x];
    }
}

/* The zlib stream at at: the raw rows written in place, then framed into blocks by
 * moving each block's bytes up past the headers before it. Returns its end. */
static unsigned char *zlib_stream(unsigned char *at, int w, int h,
                                  const unsigned char *planar)
{
    size_t stride = 1 + 3 * (size_t)w, raw = stride * (size_t)h;
    size_t blocks = (raw + STORED_MAX - 1) / STORED_MAX;
    unsigned char *data = at + 2 + 5 * blocks;   /* where the raw bytes end up last */
    for (int y = 0; y < h; y++)
        raw_row(data + (size_t)y * stride, w, h, y, planar);
    uint32_t adler = png_adler32(1, data, raw);
    at[0] = 0x78;   /* deflate, 32K window */
    at[1] = 0x01;   /* no dictionary, fastest; (0x78 * 256 + 0x01) % 31 == 0 */
    unsigned char *out = at + 2;
    for (size_t b = 0; b < blocks; b++) {
        size_t len = b + 1 < blocks ? STORED_MAX : raw - b * STORED_MAX;
        out[0] = b + 1 == blocks;    /* BFINAL on the last; BTYPE 00, stored */
        out[1] = (unsigned char)len, out[2] = (unsigned char)(len >> 8);
        out[3] = (unsigned char)~len, out[4] = (unsigned char)(~len >> 8);
        /* Block b's bytes sit 5 * (blocks - b - 1) bytes above their place. */
        memmove(out + 5, data + b * STORED_MAX, len);
        out += 5 + len;
    }
    return put32(out, adler);
}

size_t png_encode(unsigned char *out, int w, int h, const unsigned char *planar)
{
    assert(w > 0 && h > 0 && (size_t)w * (size_t)h <= PNG_MAX_PIXELS);
    size_t raw = (1 + 3 * (size_t)w) * (size_t)h, idat = zlib_size(raw);
    size_t total = sizeof SIGNATURE + CHUNK_OVERHEAD + IHDR_LEN + CHUNK_OVERHEAD +
                   idat + CHUNK_OVERHEAD;
    if (!out)
        return total;
    memcpy(out, SIGNATURE, sizeof SIGNATURE);
    unsigned char *at = chunk_start(out + sizeof SIGNATURE, IHDR_LEN, "IHDR");
    at = put32(at, (uint32_t)w);
    at = put32(at, (uint32_t)h);
    /* bit depth 8, colour type 2 (RGB), deflate, filter method 0, no interlace */
    static const unsigned char format[5] = {8, 2, 0, 0, 0};
    memcpy(at, format, sizeof format);
    at = chunk_end(at - 12, at + sizeof format);
    at = chunk_start(at, idat, "IDAT");
    at = chunk_end(at - 4, zlib_stream(at, w, h, planar));
    at = chunk_start(at, 0, "IEND");
    at = chunk_end(at - 4, at);
    assert((size_t)(at - out) == total);
    return total;
}
