/* test_png.c - the PNG encoder: its checksums against published check values, and
 * its files decoded back by a reader written here from the PNG and zlib specs (a
 * bitwise CRC, a plain Adler-32): chunk CRCs, IHDR, the zlib header and stored
 * blocks (LEN and NLEN, BFINAL on the last only), the Adler-32, and every pixel of
 * an asymmetric image, small and big enough for several blocks. */
#include <stdlib.h>
#include <string.h>
#include "report/png.h"
#include "test.h"

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* CRC-32 bit by bit, as the PNG specification's appendix computes it. */
static uint32_t crc_bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static uint32_t adler_plain(const unsigned char *p, size_t n)
{
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return b << 16 | a;
}

static int test_png_checksums(void)
{
    const unsigned char *check = (const unsigned char *)"123456789";
    CHECK(png_crc32(0, check, 9) == 0xcbf43926u);   /* the CRC-32 check value */
    CHECK(png_crc32(png_crc32(0, check, 4), check + 4, 5) == 0xcbf43926u);
    CHECK(png_adler32(1, (const unsigned char *)"Wikipedia", 9) == 0x11e60398u);
    /* Long runs of 0xff: the sums must be reduced before they overflow. */
    size_t n = 100000;
    unsigned char *ff = malloc(n);
    CHECK(ff != NULL);
    memset(ff, 0xff, n);
    CHECK(png_adler32(1, ff, n) == adler_plain(ff, n));
    CHECK(png_crc32(0, ff, n) == crc_bitwise(ff, n));
    free(ff);
    return 0;
}

/* The zlib stream z[len] into raw[cap]; returns the raw length, or -1 if anything
 * is not as this encoder must write it. */
static long inflate_stored(const unsigned char *z, size_t len, unsigned char *raw,
                           size_t cap)
{
    if (len < 6 || (z[0] & 15) != 8 || (z[0] * 256 + z[1]) % 31 != 0 || (z[1] & 32))
        return -1;
    size_t at = 2, used = 0;
    for (int final = 0; !final;) {
        if (at + 5 > len || (z[at] & 6) != 0)   /* BTYPE must be 00, stored */
            return -1;
        final = z[at] & 1;
        size_t n = z[at + 1] | (size_t)z[at + 2] << 8;
        size_t inverse = z[at + 3] | (size_t)z[at + 4] << 8;
        if ((n ^ inverse) != 0xffff || at + 5 + n > len || used + n > cap)
            return -1;
        if (!final && n != 65535)   /* the encoder fills every block but the last */
            return -1;
        memcpy(raw + used, z + at + 5, n);
        used += n;
        at += 5 + n;
    }
    if (at + 4 != len || get32(z + at) != adler_plain(raw, used))
        return -1;
    return (long)used;
}

/* Decode png[len] (as png_encode writes it) and compare with planar[3][h][w]. */
static int check_decodes(const unsigned char *png, size_t len, int w, int h,
                         const unsigned char *planar)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', 13, 10, 26, 10};
    CHECK(len > 8 && memcmp(png, sig, 8) == 0);
    size_t at = 8, zlen = 0, stride = 1 + 3 * (size_t)w;
    unsigned char *z = malloc(len), *raw = malloc(stride * (size_t)h + 1);
    CHECK(z && raw);
    int chunk = 0;
    while (at + 12 <= len) {
        size_t n = get32(png + at);
        CHECK(at + 12 + n <= len);
        const unsigned char *type = png + at + 4, *data = type + 4;
        CHECK(get32(data + n) == crc_bitwise(type, n + 4));
        if (chunk == 0) {   /* IHDR first: size, 8-bit RGB, no interlace */
            static const unsigned char format[5] = {8, 2, 0, 0, 0};
            CHECK(memcmp(type, "IHDR", 4) == 0 && n == 13);
            CHECK(get32(data) == (uint32_t)w && get32(data + 4) == (uint32_t)h);
            CHECK(memcmp(data + 8, format, 5) == 0);
        } else if (memcmp(type, "IDAT", 4) == 0) {
            memcpy(z + zlen, data, n);
            zlen += n;
        } else {
            CHECK(memcmp(type, "IEND", 4) == 0 && n == 0 && at + 12 == len);
        }
        at += 12 + n;
        chunk++;
    }
    CHECK(at == len && memcmp(png + len - 12, "\0\0\0\0IEND\xae\x42\x60\x82", 12) == 0);
    CHECK(inflate_stored(z, zlen, raw, stride * (size_t)h + 1) ==
          (long)(stride * (size_t)h));
    size_t plane = (size_t)w * (size_t)h;
    for (size_t y = 0; y < (size_t)h; y++) {
        const unsigned char *row = raw + y * stride;
        CHECK(row[0] == 0);
        for (size_t x = 0; x < (size_t)w; x++)
            for (size_t c = 0; c < 3; c++)
                CHECK(row[1 + 3 * x + c] == planar[c * plane + y * (size_t)w + x]);
    }
    free(z);
    free(raw);
    return 0;
}

/* An image where every pixel and channel differs from its mirror images and
 * neighbours, encoded and decoded back. */
static int round_trip(int w, int h)
{
    size_t plane = (size_t)w * (size_t)h;
    unsigned char *planar = malloc(3 * plane);
    CHECK(planar != NULL);
    for (size_t i = 0; i < 3 * plane; i++)
        planar[i] = (unsigned char)(i * 7 + i / plane * 50 + i / (size_t)w);
    size_t len = png_encode(NULL, w, h, planar);
    unsigned char *png = malloc(len + 1);
    CHECK(png != NULL);
    png[len] = 0x5a;   /* a guard byte: the encoder writes len bytes, not more */
    CHECK(png_encode(png, w, h, planar) == len && png[len] == 0x5a);
    CHECK(check_decodes(png, len, w, h, planar) == 0);
    free(png);
    free(planar);
    return 0;
}

static int test_png_round_trip(void)
{
    CHECK(round_trip(1, 1) == 0);
    CHECK(round_trip(3, 2) == 0);
    CHECK(round_trip(50, 434) == 0);    /* 151 * 434 = 65534 raw bytes: one block */
    CHECK(round_trip(150, 150) == 0);   /* 67650 raw bytes: two blocks */
    CHECK(round_trip(400, 170) == 0);   /* three blocks */
    return 0;
}

/* The bytes of a 2x1 image (a red and a blue pixel), field by field from the
 * specification; the three checksums as Python's zlib computes them. */
static int test_png_golden_2x1(void)
{
    const unsigned char planar[6] = {255, 0, 0, 0, 0, 255};
    static const unsigned char want[] = {
        0x89, 'P', 'N', 'G', 13, 10, 26, 10,
        0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 2, 0, 0, 0, 1, 8, 2, 0, 0, 0,
        0x7b, 0x40, 0xe8, 0xdd,
        0, 0, 0, 18, 'I', 'D', 'A', 'T', 0x78, 0x01, 0x01, 7, 0, 0xf8, 0xff,
        0, 255, 0, 0, 0, 0, 255, 0x07, 0x00, 0x01, 0xff,
        0x55, 0x36, 0xba, 0xc7,
        0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    unsigned char got[sizeof want];
    CHECK(png_encode(NULL, 2, 1, planar) == sizeof want);
    CHECK(png_encode(got, 2, 1, planar) == sizeof want);
    CHECK(memcmp(got, want, sizeof want) == 0);
    return 0;
}

const TestCase png_tests[] = {
    {"png_checksums", test_png_checksums},
    {"png_round_trip", test_png_round_trip},
    {"png_golden_2x1", test_png_golden_2x1},
    {NULL, NULL},
};
