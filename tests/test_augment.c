/* test_augment.c - the training augmentation of cifar_fill_batch on a hand-made set
 * in memory: the plain normalisation exactly; each crop-and-flip output matched
 * against every candidate offset and flip, exactly one of which must fit; the
 * offsets and flips spread over their whole range in the right proportions; the
 * test-time flip; cutout's square. */
#include <stdlib.h>
#include <string.h>
#include "base/rng.h"
#include "dataset/cifar.h"
#include "test.h"

/* Images in the hand-made set; draws cycle over them. */
#define SET_IMAGES 16
/* Crop padding as training uses it. */
#define PAD 4
#define NOFFSETS (2 * PAD + 1)
/* Draws in the distribution test, in batches of DRAW_BATCH. */
#define DRAWS 4000
#define DRAW_BATCH 100
/* Chi-square bound for the 9 offsets of each axis (8 degrees of freedom: mean 8,
 * standard deviation 4). 40 is 8 standard deviations out, yet an offset fixed at 0
 * gives ~32000 and one never drawn adds ~440. */
#define OFFSET_CHI2_MAX 40.0
/* Flips among DRAWS: binomial with standard deviation sqrt(4000/4) ~= 32; the bound
 * is ~6 of those. */
#define FLIP_DEV_MAX 200
/* Cutout side in the cutout test, and images there. */
#define CUT_SIDE 8
#define CUT_DRAWS 400

/* Pixel byte of image i, channel c, row y, column x: neighbours along a row differ
 * by 1 and along a column by 7, so no shift or mirror of an image reproduces it. */
static unsigned char pixel_value(int i, int c, int y, int x)
{
    return (unsigned char)((x + 7 * y + 50 * c + 13 * i) % 256);
}

/* A set of SET_IMAGES images in memory; labels i % 10. 0, or 1 when out of memory. */
static int make_set(CifarSet *set)
{
    set->count = SET_IMAGES;
    set->labels = malloc(SET_IMAGES);
    set->pixels = malloc((size_t)SET_IMAGES * CIFAR_IMAGE_BYTES);
    CHECK(set->labels && set->pixels);
    for (int i = 0; i < SET_IMAGES; i++) {
        set->labels[i] = (unsigned char)(i % CIFAR_CLASSES);
        unsigned char *p = set->pixels + (size_t)i * CIFAR_IMAGE_BYTES;
        for (int c = 0; c < CIFAR_CHANNELS; c++)
            for (int y = 0; y < CIFAR_SIDE; y++)
                for (int x = 0; x < CIFAR_SIDE; x++)
                    *p++ = pixel_value(i, c, y, x);
    }
    return 0;
}

/* The normalised value of byte v in channel c, as the header defines it. */
static float normalised(int c, int v)
{
    return ((float)v / 255.0f - cifar_mean[c]) / cifar_std[c];
}

/* The output pixel for a crop window at (dy, dx) relative to the image, mirrored
 * first when flip: 0 (the mean colour) outside the image. */
static float expected(int i, int c, int y, int x, int dy, int dx, int flip)
{
    int sy = y + dy, sx = (flip ? CIFAR_SIDE - 1 - x : x) + dx;
    if (sy < 0 || sy >= CIFAR_SIDE || sx < 0 || sx >= CIFAR_SIDE)
        return 0.0f;
    return normalised(c, pixel_value(i, c, sy, sx));
}

/* 1 if out is exactly image i cropped at (dy, dx) and flipped when flip. */
static int matches(const float *out, int i, int dy, int dx, int flip)
{
    for (int c = 0; c < CIFAR_CHANNELS; c++)
        for (int y = 0; y < CIFAR_SIDE; y++)
            for (int x = 0; x < CIFAR_SIDE; x++)
                if (*out++ != expected(i, c, y, x, dy, dx, flip))
                    return 0;
    return 1;
}

/* With no augmentation, every value is (p/255 - mean)/std exactly, and labels and
 * images follow idx. */
static int test_augment_none_exact(void)
{
    CifarSet set;
    CHECK(make_set(&set) == 0);
    const size_t idx[3] = {5, 0, 11};
    static float x[3 * CIFAR_IMAGE_BYTES];
    unsigned char labels[3];
    cifar_fill_batch(&set, idx, 3, x, labels, NULL, NULL, 0);
    int ok = 1;
    for (int b = 0; b < 3; b++) {
        ok &= labels[b] == idx[b] % CIFAR_CLASSES;
        ok &= matches(x + (size_t)b * CIFAR_IMAGE_BYTES, (int)idx[b], 0, 0, 0);
    }
    cifar_free(&set);
    CHECK(ok);
    return 0;
}

/* Counts per offset and flip over many draws. */
typedef struct {
    long off_y[NOFFSETS], off_x[NOFFSETS], flips[2];
} DrawCounts;

/* Finds the one candidate (dy, dx, flip) that out matches and counts it; 0, or 1
 * when none or several match. */
static int count_draw(DrawCounts *dc, const float *out, int i)
{
    int found = 0, fy = 0, fx = 0, ff = 0;
    for (int dy = -PAD; dy <= PAD; dy++)
        for (int dx = -PAD; dx <= PAD; dx++)
            for (int flip = 0; flip < 2; flip++)
                if (matches(out, i, dy, dx, flip)) {
                    found++;
                    fy = dy, fx = dx, ff = flip;
                }
    if (found != 1) {
        fprintf(stderr, "  image %d matches %d candidate crops\n", i, found);
        return 1;
    }
    dc->off_y[fy + PAD]++;
    dc->off_x[fx + PAD]++;
    dc->flips[ff]++;
    return 0;
}

/* Pearson's chi-square of counts against equal shares of total. */
static double chi_square(const long *counts, int n, long total)
{
    double want = (double)total / n, sum = 0.0;
    for (int k = 0; k < n; k++)
        sum += ((double)counts[k] - want) * ((double)counts[k] - want) / want;
    return sum;
}

/* DRAWS images through crop and flip, each identified exactly. */
static int draw_many(DrawCounts *dc, const CifarSet *set)
{
    static float x[DRAW_BATCH * CIFAR_IMAGE_BYTES];
    size_t idx[DRAW_BATCH];
    unsigned char labels[DRAW_BATCH];
    CifarAugment aug = {.crop_pad = PAD, .flip = true};
    Rng rng;
    rng_seed(&rng, 2024, RNG_STREAM_AUGMENT);
    for (int done = 0; done < DRAWS; done += DRAW_BATCH) {
        for (int b = 0; b < DRAW_BATCH; b++)
            idx[b] = (size_t)(done + b) % SET_IMAGES;
        cifar_fill_batch(set, idx, DRAW_BATCH, x, labels, &aug, &rng, 0);
        for (int b = 0; b < DRAW_BATCH; b++)
            CHECK(count_draw(dc, x + (size_t)b * CIFAR_IMAGE_BYTES, (int)idx[b]) == 0);
    }
    return 0;
}

/* Every offset in [-PAD, PAD] occurs on both axes in about equal numbers, and about
 * half the images are flipped. */
static int test_augment_crop_flip_spread(void)
{
    CifarSet set;
    CHECK(make_set(&set) == 0);
    DrawCounts dc;
    memset(&dc, 0, sizeof dc);
    int rc = draw_many(&dc, &set);
    cifar_free(&set);
    CHECK(rc == 0);
    for (int k = 0; k < NOFFSETS; k++)
        CHECK(dc.off_y[k] > 0 && dc.off_x[k] > 0);
    double chi_y = chi_square(dc.off_y, NOFFSETS, DRAWS);
    double chi_x = chi_square(dc.off_x, NOFFSETS, DRAWS);
    CHECK_CLOSE(chi_y, 0.0, OFFSET_CHI2_MAX, 0.0);
    CHECK_CLOSE(chi_x, 0.0, OFFSET_CHI2_MAX, 0.0);
    CHECK(labs(dc.flips[1] - DRAWS / 2) <= FLIP_DEV_MAX);
    return 0;
}

/* The test-time flip mirrors every image exactly, augmentation off. */
static int test_augment_flip_all(void)
{
    CifarSet set;
    CHECK(make_set(&set) == 0);
    size_t idx[SET_IMAGES];
    for (int i = 0; i < SET_IMAGES; i++)
        idx[i] = (size_t)(SET_IMAGES - 1 - i);
    static float x[SET_IMAGES * CIFAR_IMAGE_BYTES];
    unsigned char labels[SET_IMAGES];
    cifar_fill_batch(&set, idx, SET_IMAGES, x, labels, NULL, NULL, 1);
    int ok = 1;
    for (int b = 0; b < SET_IMAGES; b++)
        ok &= matches(x + (size_t)b * CIFAR_IMAGE_BYTES, (int)idx[b], 0, 0, 1);
    cifar_free(&set);
    CHECK(ok);
    return 0;
}

/* The zeroed pixels of one plane: their count and bounding box [y0, y1) x [x0, x1). */
typedef struct {
    int count, y0, y1, x0, x1;
} ZeroBox;

/* Finds the zeros of a plane of image i (no crop or flip) and checks every other
 * pixel is the plain one; 0, or 1 if a pixel is neither. */
static int find_zeros(ZeroBox *z, const float *plane, int i, int c)
{
    *z = (ZeroBox){0, CIFAR_SIDE, 0, CIFAR_SIDE, 0};
    for (int y = 0; y < CIFAR_SIDE; y++)
        for (int x = 0; x < CIFAR_SIDE; x++) {
            float v = plane[y * CIFAR_SIDE + x];
            if (v != 0.0f) {
                CHECK(v == expected(i, c, y, x, 0, 0, 0));
                continue;
            }
            z->count++;
            z->y0 = y < z->y0 ? y : z->y0;
            z->y1 = y + 1 > z->y1 ? y + 1 : z->y1;
            z->x0 = x < z->x0 ? x : z->x0;
            z->x1 = x + 1 > z->x1 ? x + 1 : z->x1;
        }
    return 0;
}

/* The square's drawn centre on one axis from its clipped extent [lo, hi): the
 * square starts at centre - side/2, clipped to the image. */
static int cut_centre(int lo, int hi)
{
    int start = lo > 0 ? lo : hi - CUT_SIDE;
    return start + CUT_SIDE / 2;
}

/* One cutout image: the same solid box of zeros in every channel, side CUT_SIDE
 * wherever it is not clipped by an edge; counts its centre and whether it fit
 * whole. */
static int check_cut_image(const float *out, int i, long centre_y[], long centre_x[],
                           int *whole)
{
    ZeroBox z[CIFAR_CHANNELS];
    for (int c = 0; c < CIFAR_CHANNELS; c++) {
        CHECK(find_zeros(&z[c], out + c * CIFAR_PLANE_BYTES, i, c) == 0);
        CHECK(z[c].count == (z[c].y1 - z[c].y0) * (z[c].x1 - z[c].x0));
        CHECK(memcmp(&z[c], &z[0], sizeof z[0]) == 0);
    }
    int h = z[0].y1 - z[0].y0, w = z[0].x1 - z[0].x0;
    CHECK(h > 0 && w > 0 && h <= CUT_SIDE && w <= CUT_SIDE);
    CHECK(h == CUT_SIDE || z[0].y0 == 0 || z[0].y1 == CIFAR_SIDE);
    CHECK(w == CUT_SIDE || z[0].x0 == 0 || z[0].x1 == CIFAR_SIDE);
    int cy = cut_centre(z[0].y0, z[0].y1), cx = cut_centre(z[0].x0, z[0].x1);
    CHECK(cy >= 0 && cy < CIFAR_SIDE && cx >= 0 && cx < CIFAR_SIDE);
    centre_y[cy]++;
    centre_x[cx]++;
    *whole += z[0].count == CUT_SIDE * CUT_SIDE;
    return 0;
}

/* Cutout alone: each image is the plain one with one square of zeros (0 is the
 * mean colour in normalised space); a square that fits whole zeroes CUT_SIDE^2
 * pixels per channel; the centre takes every position on both axes. */
static int test_augment_cutout(void)
{
    CifarSet set;
    CHECK(make_set(&set) == 0);
    static float x[CUT_DRAWS * CIFAR_IMAGE_BYTES];
    size_t idx[CUT_DRAWS];
    unsigned char labels[CUT_DRAWS];
    for (int b = 0; b < CUT_DRAWS; b++)
        idx[b] = (size_t)b % SET_IMAGES;
    CifarAugment aug = {.cutout = CUT_SIDE};
    Rng rng;
    rng_seed(&rng, 77, RNG_STREAM_AUGMENT);
    cifar_fill_batch(&set, idx, CUT_DRAWS, x, labels, &aug, &rng, 0);
    cifar_free(&set);
    long centre_y[CIFAR_SIDE] = {0}, centre_x[CIFAR_SIDE] = {0};
    int whole = 0;
    for (int b = 0; b < CUT_DRAWS; b++)
        CHECK(check_cut_image(x + (size_t)b * CIFAR_IMAGE_BYTES, (int)idx[b], centre_y,
                              centre_x, &whole) == 0);
    for (int k = 0; k < CIFAR_SIDE; k++)
        CHECK(centre_y[k] > 0 && centre_x[k] > 0);
    /* A square fits whole for 25 of the 32 centres on each axis: ~61% of draws. */
    CHECK(whole > CUT_DRAWS / 3);
    return 0;
}

/* Alternating flips: each image mirrored in every other epoch, about half of them
 * in the first, which ones set by the key; the crop draws those of random flips. */
static int test_augment_alternate(void)
{
    CifarSet set;
    CHECK(make_set(&set) == 0);
    size_t idx[SET_IMAGES];
    for (int i = 0; i < SET_IMAGES; i++)
        idx[i] = (size_t)i;
    static float x[SET_IMAGES * CIFAR_IMAGE_BYTES], y[SET_IMAGES * CIFAR_IMAGE_BYTES];
    unsigned char labels[SET_IMAGES];
    CifarAugment aug = {.flip = true, .alternate = true, .key = 99};
    int first[SET_IMAGES], flipped = 0, other_key = 0;
    Rng rng;
    rng_seed(&rng, 5, RNG_STREAM_AUGMENT);
    for (int epoch = 0; epoch < 3; epoch++) {
        aug.epoch = epoch;
        cifar_fill_batch(&set, idx, SET_IMAGES, x, labels, &aug, &rng, 0);
        for (int i = 0; i < SET_IMAGES; i++) {
            const float *img = x + (size_t)i * CIFAR_IMAGE_BYTES;
            int f = matches(img, i, 0, 0, 1);
            CHECK(f || matches(img, i, 0, 0, 0));
            if (epoch == 0)
                first[i] = f, flipped += f;
            else
                CHECK(f == (first[i] ^ (epoch & 1)));
        }
    }
    aug.key = 100, aug.epoch = 0;
    cifar_fill_batch(&set, idx, SET_IMAGES, y, labels, &aug, &rng, 0);
    for (int i = 0; i < SET_IMAGES; i++)
        other_key += matches(y + (size_t)i * CIFAR_IMAGE_BYTES, i, 0, 0, 1) != first[i];
    /* --no-flip wins over --alt-flip: nothing mirrored in any epoch. */
    aug.flip = false;
    for (int epoch = 0; epoch < 2; epoch++) {
        aug.epoch = epoch;
        cifar_fill_batch(&set, idx, SET_IMAGES, y, labels, &aug, &rng, 0);
        for (int i = 0; i < SET_IMAGES; i++)
            CHECK(matches(y + (size_t)i * CIFAR_IMAGE_BYTES, i, 0, 0, 0));
    }
    cifar_free(&set);
    CHECK(flipped >= SET_IMAGES / 4 && flipped <= 3 * SET_IMAGES / 4);
    CHECK(other_key > 0);
    return 0;
}

const TestCase augment_tests[] = {
    {"augment_alternate", test_augment_alternate},
    {"augment_none_exact", test_augment_none_exact},
    {"augment_crop_flip_spread", test_augment_crop_flip_spread},
    {"augment_flip_all", test_augment_flip_all},
    {"augment_cutout", test_augment_cutout},
    {NULL, NULL},
};
