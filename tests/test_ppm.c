/* test_ppm.c - the PPM reader: a 32x32 P6 and P3 (with header comments) come back
 * as the planar image, byte for byte; resizing averages areas, checked by hand on
 * small cases and against a floating-point reference on awkward sizes, up and down;
 * every malformed header, a truncated pixel block, maxval other than 255, a 0x0
 * image, trailing garbage and a directory fail with a message naming the file and
 * leave the output untouched. */
#include <stdlib.h>
#include <string.h>
#include "base/strbuf.h"
#include "dataset/cifar.h"
#include "dataset/ppm.h"
#include "report/report.h"
#include "test.h"

/* An asymmetric interleaved w x h RGB image: every sample differs from its mirror
 * images and its neighbours in the other channels. */
static void pattern(unsigned char *rgb, int w, int h)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                rgb[(y * w + x) * 3 + c] = (unsigned char)((x * 7 + y * 13 + c * 71 +
                                                           x * y) % 256);
}

/* P6 or P3 text of an interleaved image (with a comment in the P3 header). */
static unsigned char *encode(const unsigned char *rgb, int w, int h, bool plain,
                             size_t *len)
{
    StrBuf b;
    strbuf_init(&b);
    if (plain) {
        strbuf_printf(&b, "P3\n# a comment\n%d %d\n# another\n255\n", w, h);
        for (int i = 0; i < w * h * 3; i++)
            strbuf_printf(&b, "%d%s", rgb[i], i % 12 == 11 ? "\n" : " ");
    } else {
        strbuf_printf(&b, "P6\n%d %d\n255\n", w, h);
        strbuf_append(&b, (const char *)rgb, (size_t)(w * h * 3));
    }
    *len = b.len;
    return (unsigned char *)b.data;
}

static int test_ppm_same_size_round_trip(void)
{
    unsigned char rgb[CIFAR_IMAGE_BYTES], want[CIFAR_IMAGE_BYTES], got[CIFAR_IMAGE_BYTES];
    pattern(rgb, 32, 32);
    for (int p = 0; p < CIFAR_PLANE_BYTES; p++)
        for (int c = 0; c < 3; c++)
            want[c * CIFAR_PLANE_BYTES + p] = rgb[p * 3 + c];
    for (int plain = 0; plain <= 1; plain++) {
        size_t len;
        unsigned char *bytes = encode(rgb, 32, 32, plain, &len);
        Error err;
        CHECK(bytes && ppm_decode(bytes, len, "x.ppm", got, &err) == STATUS_OK);
        CHECK(memcmp(got, want, sizeof want) == 0);
        free(bytes);
    }
    /* report.c's encoder writes what this reads. */
    unsigned char file[64 + CIFAR_IMAGE_BYTES];
    size_t n = ppm_encode(file, 32, 32, want);
    Error err;
    CHECK(ppm_decode(file, n, "enc.ppm", got, &err) == STATUS_OK);
    CHECK(memcmp(got, want, sizeof want) == 0);
    return 0;
}

/* Halving averages 2x2 blocks; a 3-wide image stretched has output column 10
 * covering [30/32, 33/32) of a source pixel: 2/3 of column 0 and 1/3 of column 1. */
static int test_ppm_resize_by_hand(void)
{
    unsigned char rgb[64 * 64 * 3], out[CIFAR_IMAGE_BYTES];
    pattern(rgb, 64, 64);
    ppm_resize(rgb, 64, 64, out);
    for (int c = 0; c < 3; c++)
        for (int oy = 0; oy < 32; oy += 7)
            for (int ox = 0; ox < 32; ox += 5) {
                int sum = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                        sum += rgb[((2 * oy + dy) * 64 + 2 * ox + dx) * 3 + c];
                CHECK(out[c * CIFAR_PLANE_BYTES + oy * 32 + ox] == (sum + 2) / 4);
            }
    unsigned char small[3 * 1 * 3] = {30, 0, 0, 90, 0, 0, 200, 0, 0};
    ppm_resize(small, 3, 1, out);
    CHECK(out[0] == 30 && out[10] == 50 && out[31] == 200);   /* (2*30 + 90)/3 */
    CHECK(out[5 * 32 + 10] == 50);                              /* every row alike */
    return 0;
}

/* The mean of the area output pixel (ox, oy) covers, in floating point. */
static double reference(const unsigned char *rgb, int w, int h, int ox, int oy, int c)
{
    double x0 = ox * w / 32.0, x1 = (ox + 1) * w / 32.0;
    double y0 = oy * h / 32.0, y1 = (oy + 1) * h / 32.0, sum = 0.0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double wx = fmin(x1, x + 1.0) - fmax(x0, x), wy = fmin(y1, y + 1.0) - fmax(y0, y);
            if (wx > 0 && wy > 0)
                sum += wx * wy * rgb[(y * w + x) * 3 + c];
        }
    return sum / ((x1 - x0) * (y1 - y0));
}

static int test_ppm_resize_matches_reference(void)
{
    static const int sizes[][2] = {{1, 1}, {5, 3}, {33, 31}, {47, 70}, {100, 17}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        unsigned char *rgb = malloc((size_t)(w * h * 3)), out[CIFAR_IMAGE_BYTES];
        CHECK(rgb != NULL);
        pattern(rgb, w, h);
        ppm_resize(rgb, w, h, out);
        for (int c = 0; c < 3; c++)
            for (int oy = 0; oy < 32; oy++)
                for (int ox = 0; ox < 32; ox++) {
                    double want = reference(rgb, w, h, ox, oy, c);
                    /* rounded to nearest: within half a step (ties either way) */
                    CHECK_CLOSE(out[c * CIFAR_PLANE_BYTES + oy * 32 + ox], want,
                                0.5 + 1e-9, 0.0);
                }
        free(rgb);
    }
    return 0;
}

static int test_ppm_rejects_bad_files(void)
{
    static const struct {
        const char *text;
        size_t len;         /* 0: strlen */
        const char *says;   /* part of the message */
    } bad[] = {
        {"", 0, "not a PPM"},
        {"P5\n1 1\n255\nx", 0, "not a PPM"},
        {"P6\n0 0\n255\n", 0, "0x0"},
        {"P6\n2 0\n255\n", 0, "2x0"},
        {"P6\n1 1\n65535\n\1\2\3\4\5\6", 0, "maxval is 65535"},
        {"P6\n1 1\n15\n\1\2\3", 0, "maxval is 15"},
        {"P6\n2 1\n255\n\1\2\3\4\5", 0, "truncated"},
        {"P6\n1 1\n255", 0, "truncated"},
        {"P6\n1 1\n255\n\1\2\3junk", 0, "unexpected bytes"},
        {"P6\n1 1\n255#\n\1\2\3", 0, "no whitespace between maxval"},
        {"P6\nx 1\n255\n\1\2\3", 0, "width"},
        {"P6\n1\n", 0, "height"},
        {"P6\n1 1\n255x\1\2\3", 0, "maxval is not a number"},
        {"P6\n99999 1\n255\n", 0, "width is larger"},
        {"P3\n1 1\n255\n1 2", 0, "truncated"},
        {"P3\n1 1\n255\n1 2 256", 0, "not a number in 0..255"},
        {"P3\n1 1\n255\n1 2 x", 0, "not a number in 0..255"},
        {"P3\n1 1\n255\n1 2 3 4", 0, "unexpected bytes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char out[CIFAR_IMAGE_BYTES];
        memset(out, 0xA5, sizeof out);
        size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
        Error err = {STATUS_OK, ""};
        Status st = ppm_decode((const unsigned char *)bad[i].text, len, "bad.ppm", out,
                               &err);
        if (st != STATUS_DATA || !strstr(err.msg, "bad.ppm") ||
            !strstr(err.msg, bad[i].says))
            fprintf(stderr, "  case %zu: status %d, '%s', want '%s'\n", i, (int)st,
                    err.msg, bad[i].says);
        CHECK(st == STATUS_DATA && strstr(err.msg, "bad.ppm") &&
              strstr(err.msg, bad[i].says));
        for (size_t k = 0; k < sizeof out; k++)
            CHECK(out[k] == 0xA5);
    }
    return 0;
}

static int test_ppm_read_file_refuses_directory(void)
{
    const char *dir = test_tmpdir();
    CHECK(dir != NULL);
    unsigned char out[CIFAR_IMAGE_BYTES];
    Error err;
    CHECK(ppm_read_file(dir, out, &err) == STATUS_IO);
    CHECK(strstr(err.msg, dir) && strstr(err.msg, "directory"));
    char path[512];
    test_path_fresh(path, sizeof path, dir, "missing.ppm");
    CHECK(ppm_read_file(path, out, &err) == STATUS_IO && strstr(err.msg, path));
    return 0;
}

const TestCase ppm_tests[] = {
    {"ppm_same_size_round_trip", test_ppm_same_size_round_trip},
    {"ppm_resize_by_hand", test_ppm_resize_by_hand},
    {"ppm_resize_matches_reference", test_ppm_resize_matches_reference},
    {"ppm_rejects_bad_files", test_ppm_rejects_bad_files},
    {"ppm_read_file_refuses_directory", test_ppm_read_file_refuses_directory},
    {NULL, NULL},
};
