/* ppm.c - decoding PPM images (P6 and P3, maxval 255) and resizing them to 32x32 by
 * area averaging, in exact integer arithmetic. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/platform.h"
#include "base/readfile.h"
#include "dataset/cifar.h"
#include "dataset/ppm.h"

typedef struct {
    const unsigned char *p, *end;
    const char *name;
    Error *err;
} Cursor;

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skip whitespace and, in the header, comments from '#' to the end of the line. */
static void skip_space(Cursor *c, bool comments)
{
    while (c->p < c->end && (is_space(*c->p) || (comments && *c->p == '#'))) {
        if (*c->p == '#')
            while (c->p < c->end && *c->p != '\n')
                c->p++;
        else
            c->p++;
    }
}

/* A decimal number of at most max, preceded by whitespace (and comments). */
static Status read_number(Cursor *c, bool comments, const char *what, long max,
                          long *out)
{
    skip_space(c, comments);
    if (c->p == c->end || *c->p < '0' || *c->p > '9')
        return error_set(c->err, STATUS_DATA, "%s: %s missing or not a number "
                         "(not a valid PPM)", c->name, what);
    long v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        v = v * 10 + (*c->p++ - '0');
        if (v > max)
            return error_set(c->err, STATUS_DATA, "%s: %s is larger than %ld", c->name,
                             what, max);
    }
    if (c->p < c->end && !is_space(*c->p) && !(comments && *c->p == '#'))
        return error_set(c->err, STATUS_DATA, "%s: %s is not a number", c->name, what);
    *out = v;
    return STATUS_OK;
}

typedef struct {
    bool plain;     /* P3 */
    long w, h;
} Header;

static Status read_header(Cursor *c, Header *hd)
{
    if (c->end - c->p < 2 || c->p[0] != 'P' || (c->p[1] != '6' && c->p[1] != '3'))
        return error_set(c->err, STATUS_DATA, "%s is not a PPM image (it does not start "
                         "with P6 or P3)", c->name);
    hd->plain = c->p[1] == '3';
    c->p += 2;
    long maxval;
    Status st = read_number(c, true, "width", PPM_MAX_SIDE, &hd->w);
    if (st == STATUS_OK)
        st = read_number(c, true, "height", PPM_MAX_SIDE, &hd->h);
    if (st == STATUS_OK)
        st = read_number(c, true, "maxval", 65535, &maxval);
    if (st != STATUS_OK)
        return st;
    if (hd->w == 0 || hd->h == 0)
        return error_set(c->err, STATUS_DATA, "%s: the image is %ldx%ld (empty)",
                         c->name, hd->w, hd->h);
    if (maxval != 255)
        return error_set(c->err, STATUS_DATA, "%s: maxval is %ld; only 255 (8 bits "
                         "per sample) is supported", c->name, maxval);
    /* P6: exactly one whitespace byte separates the header from the pixels. */
    if (c->p == c->end)
        return error_set(c->err, STATUS_DATA, "%s: truncated after the header", c->name);
    if (!is_space(*c->p))
        return error_set(c->err, STATUS_DATA, "%s: no whitespace between maxval and the "
                         "pixels", c->name);
    c->p++;
    return STATUS_OK;
}

static Status truncated(const Cursor *c, size_t got, size_t want)
{
    return error_set(c->err, STATUS_DATA, "%s: truncated pixel data (%zu of %zu "
                     "samples)", c->name, got, want);
}

static Status read_samples(Cursor *c, const Header *hd, unsigned char *rgb)
{
    size_t want = (size_t)hd->w * (size_t)hd->h * 3;
    if (!hd->plain) {
        size_t have = (size_t)(c->end - c->p);
        if (have < want)
            return truncated(c, have, want);
        memcpy(rgb, c->p, want);
        c->p += want;
    }
    for (size_t i = 0; hd->plain && i < want; i++) {
        long v;
        skip_space(c, false);
        if (c->p == c->end)
            return truncated(c, i, want);
        if (read_number(c, false, "a sample", 255, &v) != STATUS_OK)
            return error_set(c->err, STATUS_DATA, "%s: sample %zu is not a number in "
                             "0..255", c->name, i + 1);
        rgb[i] = (unsigned char)v;
    }
    skip_space(c, false);
    if (c->p != c->end)
        return error_set(c->err, STATUS_DATA, "%s: %zu unexpected bytes after the pixel "
                         "data", c->name, (size_t)(c->end - c->p));
    return STATUS_OK;
}

/* The overlap of source pixel s, [32s, 32s+32), with output pixel o's span
 * [o*n, (o+1)*n), all in units of 1/32 source pixel (n source pixels to 32). */
static uint64_t overlap(long s, int o, long n)
{
    long lo = 32 * s > o * n ? 32 * s : o * n;
    long hi = 32 * s + 32 < (o + 1) * n ? 32 * s + 32 : (o + 1) * n;
    return hi > lo ? (uint64_t)(hi - lo) : 0;
}

/* One output pixel of channel ch: the overlap-weighted mean of the source pixels
 * under it. The weights of a row (column) sum to h (w), so of the area to w*h. */
static unsigned char area_mean(const unsigned char *rgb, int w, int h, int oy, int ox,
                               int ch)
{
    uint64_t sum = 0, area = (uint64_t)w * (uint64_t)h;
    for (long sy = (long)oy * h / 32; sy < h && 32 * sy < (long)(oy + 1) * h; sy++) {
        uint64_t wy = overlap(sy, oy, h);
        for (long sx = (long)ox * w / 32; sx < w && 32 * sx < (long)(ox + 1) * w; sx++)
            sum += wy * overlap(sx, ox, w) * rgb[((size_t)sy * (size_t)w + (size_t)sx) * 3
                                                 + (size_t)ch];
    }
    return (unsigned char)((sum + area / 2) / area);
}

void ppm_resize(const unsigned char *rgb, int w, int h, unsigned char *planar)
{
    for (int ch = 0; ch < CIFAR_CHANNELS; ch++)
        for (int oy = 0; oy < CIFAR_SIDE; oy++)
            for (int ox = 0; ox < CIFAR_SIDE; ox++)
                planar[ch * CIFAR_PLANE_BYTES + oy * CIFAR_SIDE + ox] =
                    area_mean(rgb, w, h, oy, ox, ch);
}

Status ppm_decode(const unsigned char *bytes, size_t len, const char *name,
                  unsigned char *planar, Error *err)
{
    Cursor c = {bytes, bytes + len, name, err};
    Header hd;
    Status st = read_header(&c, &hd);
    if (st != STATUS_OK)
        return st;
    /* A P6 image cannot be larger than its file; a P3 one takes 2 bytes a sample. */
    size_t samples = (size_t)hd.w * (size_t)hd.h * 3;
    if (samples > len)
        return truncated(&c, hd.plain ? 0 : (size_t)(c.end - c.p), samples);
    unsigned char *rgb = malloc(samples);
    if (!rgb)
        return error_set(err, STATUS_NOMEM, "out of memory for %s", name);
    st = read_samples(&c, &hd, rgb);
    if (st == STATUS_OK)
        ppm_resize(rgb, (int)hd.w, (int)hd.h, planar);
    free(rgb);
    return st;
}

Status ppm_read_file(const char *path, unsigned char *planar, Error *err)
{
    if (platform_is_dir(path))
        return error_set(err, STATUS_IO, "%s is a directory, not an image", path);
    unsigned char *bytes;
    size_t len;
    Status st = readfile_whole_max(path, PPM_MAX_BYTES, &bytes, &len, err);
    if (st != STATUS_OK)
        return st;
    st = ppm_decode(bytes, len, path, planar, err);
    free(bytes);
    return st;
}
