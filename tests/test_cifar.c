/* test_cifar.c - tests of the cifar module on tiny hand-made batch files in a temp
 * directory: parsing, validation messages, limits across files, and the normalised,
 * augmented batches of cifar_fill_batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/platform.h"
#include "dataset/cifar.h"
#include "test.h"

/* Normalised values are one float division and subtraction away from the double
 * reference: a few float ulps at magnitudes up to ~2.1. */
#define NORM_TOL 1e-6

/* A pixel pattern that differs per record and per position, never 0 or 255 only. */
static unsigned char pattern(int record, size_t j)
{
    return (unsigned char)((j * 7u + (size_t)record * 31u + (j >> 5) * 3u) & 255u);
}

/* count records with labels labels[i] and pixels pattern(first + i, .) into buf. */
static void make_records(unsigned char *buf, int count, const unsigned char *labels,
                         int first)
{
    for (int i = 0; i < count; i++) {
        unsigned char *rec = buf + (size_t)i * CIFAR_RECORD_BYTES;
        rec[0] = labels[i];
        for (size_t j = 0; j < CIFAR_IMAGE_BYTES; j++)
            rec[1 + j] = pattern(first + i, j);
    }
}

static int write_file(const char *path, const unsigned char *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(bytes, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* Write count records (labels labels[], pixels from record number first) to
 * dir/name. */
static int write_batch(const char *dir, const char *name, int count,
                       const unsigned char *labels, int first)
{
    char path[512];
    test_path_fresh(path, sizeof path, dir, name);
    unsigned char *buf = malloc((size_t)count * CIFAR_RECORD_BYTES);
    if (!buf)
        return 0;
    make_records(buf, count, labels, first);
    int ok = write_file(path, buf, (size_t)count * CIFAR_RECORD_BYTES);
    free(buf);
    return ok;
}

static int pixels_match(const CifarSet *set, size_t at, int record)
{
    const unsigned char *p = set->pixels + at * CIFAR_IMAGE_BYTES;
    for (size_t j = 0; j < CIFAR_IMAGE_BYTES; j++)
        if (p[j] != pattern(record, j))
            return 0;
    return 1;
}

static int test_read_three_records(void)
{
    char dir[256], path[512];
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    const unsigned char labels[3] = {6, 9, 0};
    CHECK(write_batch(dir, "three.bin", 3, labels, 0));
    snprintf(path, sizeof path, "%s/three.bin", dir);
    CifarSet set = {0};
    Error err;
    CHECK(cifar_read_file(&set, path, 0, &err) == STATUS_OK);
    CHECK(set.count == 3);
    for (int i = 0; i < 3; i++) {
        CHECK(set.labels[i] == labels[i]);
        CHECK(pixels_match(&set, (size_t)i, i));
    }
    cifar_free(&set);
    CHECK(set.count == 0 && set.labels == NULL && set.pixels == NULL);
    return 0;
}

static int test_parse_limit_appends(void)
{
    unsigned char buf[3 * CIFAR_RECORD_BYTES];
    const unsigned char labels[3] = {1, 2, 3};
    make_records(buf, 3, labels, 10);
    CifarSet set = {0};
    Error err;
    CHECK(cifar_parse(&set, buf, sizeof buf, "mem", 2, &err) == STATUS_OK);
    CHECK(set.count == 2);
    /* Already at the limit: nothing more is appended. */
    CHECK(cifar_parse(&set, buf, sizeof buf, "mem", 2, &err) == STATUS_OK);
    CHECK(set.count == 2);
    CHECK(cifar_parse(&set, buf, sizeof buf, "mem", 0, &err) == STATUS_OK);
    CHECK(set.count == 5);
    CHECK(set.labels[1] == 2 && set.labels[2] == 1 && set.labels[4] == 3);
    CHECK(pixels_match(&set, 4, 12));
    cifar_free(&set);
    return 0;
}

static int test_load_train_limit_across_files(void)
{
    char dir[256];
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    const unsigned char first[3] = {0, 1, 2}, second[3] = {3, 4, 5};
    CHECK(write_batch(dir, "data_batch_1.bin", 3, first, 0));
    CHECK(write_batch(dir, "data_batch_2.bin", 3, second, 3));
    char missing[512];
    test_path_fresh(missing, sizeof missing, dir, "data_batch_3.bin");
    CifarSet set = {0};
    Error err;
    /* data_batch_3.bin does not exist, so this passes only if loading stops early. */
    CHECK(cifar_load_train(&set, dir, 4, &err) == STATUS_OK);
    CHECK(set.count == 4);
    for (int i = 0; i < 4; i++) {
        CHECK(set.labels[i] == i);
        CHECK(pixels_match(&set, (size_t)i, i));
    }
    cifar_free(&set);
    /* Without a limit the missing third file fails the load and leaves set empty. */
    CHECK(cifar_load_train(&set, dir, 0, &err) == STATUS_IO);
    CHECK(set.count == 0);
    CHECK(strstr(err.msg, "data_batch_3.bin") != NULL);
    CHECK(strstr(err.msg, "scripts/fetch-data") != NULL);
    cifar_free(&set);
    return 0;
}

/* Parse len bytes of three records (label 2 each) as a file called name. */
static Status parse_sized(size_t len, const char *name, Error *err)
{
    static unsigned char buf[3 * CIFAR_RECORD_BYTES];
    const unsigned char labels[3] = {2, 2, 2};
    make_records(buf, 3, labels, 0);
    CifarSet set = {0};
    Status st = cifar_parse(&set, buf, len, name, 0, err);
    cifar_free(&set);
    return st;
}

static int test_truncated_file(void)
{
    char dir[256], path[512];
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    test_path_fresh(path, sizeof path, dir, "short.bin");
    /* Two records with the second one cut 100 bytes short. */
    const unsigned char labels[2] = {1, 1};
    unsigned char buf[2 * CIFAR_RECORD_BYTES];
    make_records(buf, 2, labels, 0);
    CHECK(write_file(path, buf, sizeof buf - 100));
    CifarSet set = {0};
    Error err;
    CHECK(cifar_read_file(&set, path, 0, &err) == STATUS_DATA);
    CHECK(set.count == 0 && set.labels == NULL);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(strstr(err.msg, "6046 bytes") != NULL);
    CHECK(strstr(err.msg, "1 whole record") != NULL);
    return 0;
}

/* A file of more records than one read piece (1024): a limit that ends past the
 * first piece keeps every record in order, and a bad label in the second piece is
 * named by its index in the file, with the set left as it was. */
static int test_file_in_pieces(void)
{
    enum { COUNT = 2100, LIMIT = 1500, BAD = 2050 };
    char dir[256], path[512];
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    unsigned char *labels = malloc(COUNT);
    CHECK(labels != NULL);
    for (int i = 0; i < COUNT; i++)
        labels[i] = (unsigned char)(i % CIFAR_CLASSES);
    CHECK(write_batch(dir, "big.bin", COUNT, labels, 0));
    labels[BAD] = 12;
    CHECK(write_batch(dir, "badlate.bin", COUNT, labels, 0));
    free(labels);
    CifarSet set = {0};
    Error err;
    snprintf(path, sizeof path, "%s/big.bin", dir);
    int fail = cifar_read_file(&set, path, LIMIT, &err) != STATUS_OK || set.count != LIMIT;
    for (int i = 0; i < LIMIT && !fail; i += 97)
        fail = set.labels[i] != i % CIFAR_CLASSES || !pixels_match(&set, (size_t)i, i);
    fail = fail || set.labels[LIMIT - 1] != (LIMIT - 1) % CIFAR_CLASSES ||
           !pixels_match(&set, LIMIT - 1, LIMIT - 1);
    snprintf(path, sizeof path, "%s/badlate.bin", dir);
    fail = fail || cifar_read_file(&set, path, 0, &err) != STATUS_DATA ||
           set.count != LIMIT || strstr(err.msg, "record 2050 ") == NULL;
    cifar_free(&set);
    CHECK(!fail);
    return 0;
}

static int test_size_not_multiple(void)
{
    Error err;
    CHECK(parse_sized(2 * CIFAR_RECORD_BYTES + 1, "odd.bin", &err) == STATUS_DATA);
    CHECK(strstr(err.msg, "odd.bin") != NULL);
    CHECK(strstr(err.msg, "6147 bytes") != NULL);
    CHECK(strstr(err.msg, "2 whole records") != NULL);
    CHECK(parse_sized(3 * CIFAR_RECORD_BYTES, "whole.bin", &err) == STATUS_OK);
    return 0;
}

static int test_empty_file(void)
{
    char dir[256], path[512];
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    test_path_fresh(path, sizeof path, dir, "empty.bin");
    CHECK(write_file(path, (const unsigned char *)"", 0));
    CifarSet set = {0};
    Error err;
    CHECK(cifar_read_file(&set, path, 0, &err) == STATUS_DATA);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(strstr(err.msg, "empty") != NULL);
    return 0;
}

static int test_bad_label_leaves_set_unchanged(void)
{
    unsigned char good[CIFAR_RECORD_BYTES], bad[3 * CIFAR_RECORD_BYTES];
    const unsigned char good_label[1] = {7}, bad_labels[3] = {1, 2, 10};
    make_records(good, 1, good_label, 5);
    make_records(bad, 3, bad_labels, 0);
    CifarSet set = {0};
    Error err;
    CHECK(cifar_parse(&set, good, sizeof good, "good.bin", 0, &err) == STATUS_OK);
    CHECK(cifar_parse(&set, bad, sizeof bad, "bad.bin", 0, &err) == STATUS_DATA);
    CHECK(strstr(err.msg, "bad.bin") != NULL);
    CHECK(strstr(err.msg, "record 2 (0-based)") != NULL);
    CHECK(strstr(err.msg, "label 10") != NULL);
    CHECK(set.count == 1 && set.labels[0] == 7 && pixels_match(&set, 0, 5));
    cifar_free(&set);
    return 0;
}

static int test_missing_file_and_dir(void)
{
    char dir[256], path[512];
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    test_path_fresh(path, sizeof path, dir, "nothing.bin");
    CifarSet set = {0};
    Error err;
    CHECK(cifar_read_file(&set, path, 0, &err) == STATUS_IO);
    CHECK(strstr(err.msg, path) != NULL);
    /* The directory exists but holds no test_batch.bin. */
    CHECK(cifar_load_test(&set, dir, 0, &err) == STATUS_IO);
    CHECK(strstr(err.msg, "test_batch.bin") != NULL);
    char nodir[512];
    snprintf(nodir, sizeof nodir, "%s/no-such-dir", dir);
    CHECK(cifar_load_train(&set, nodir, 0, &err) == STATUS_IO);
    CHECK(strstr(err.msg, nodir) != NULL);
    CHECK(strstr(err.msg, "not found") != NULL);
    CHECK(strstr(err.msg, "CIFAR10_DIR") != NULL);
    CHECK(cifar_load_test(&set, nodir, 0, &err) == STATUS_IO);
    CHECK(set.count == 0);
    return 0;
}

static int test_directory_instead_of_file(void)
{
    char dir[256], path[512];
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    Error err;
    CHECK(platform_mkdirs(path, &err) == STATUS_OK);
    CifarSet set = {0};
    CHECK(cifar_load_test(&set, dir, 0, &err) == STATUS_IO);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(strstr(err.msg, "not a regular file") != NULL);
    CHECK(set.count == 0);
    return 0;
}

/* A set of n records built in memory: record i has label i % 10, pattern(i, .). */
static int make_set(CifarSet *set, int n)
{
    unsigned char *buf = malloc((size_t)n * CIFAR_RECORD_BYTES);
    unsigned char labels[16];
    if (!buf || n > 16) {
        free(buf);
        return 0;
    }
    for (int i = 0; i < n; i++)
        labels[i] = (unsigned char)(i % CIFAR_CLASSES);
    make_records(buf, n, labels, 0);
    set->count = 0;
    set->labels = set->pixels = NULL;
    Error err;
    Status st = cifar_parse(set, buf, (size_t)n * CIFAR_RECORD_BYTES, "mem", 0, &err);
    free(buf);
    return st == STATUS_OK;
}

static int test_fill_plain_normalises(void)
{
    CifarSet set;
    CHECK(make_set(&set, 4));
    size_t idx[2] = {3, 1};
    float x[2 * CIFAR_IMAGE_BYTES];
    unsigned char labels[2];
    cifar_fill_batch(&set, idx, 2, x, labels, NULL, NULL, 0);
    CHECK(labels[0] == 3 && labels[1] == 1);
    /* Every value of image 0 against the formula in double. */
    for (int c = 0; c < CIFAR_CHANNELS; c++)
        for (size_t j = 0; j < CIFAR_PLANE_BYTES; j++) {
            size_t k = (size_t)c * CIFAR_PLANE_BYTES + j;
            double want = ((double)pattern(3, k) / 255.0 - (double)cifar_mean[c]) /
                          (double)cifar_std[c];
            CHECK_CLOSE(x[k], want, NORM_TOL, NORM_TOL);
        }
    /* One known pixel by hand: image 1, green, y 2, x 5: j = 1024 + 69 = 1093,
     * pattern = (1093*7 + 31 + 34*3) mod 256 = 7784 mod 256 = 104. */
    CHECK(pattern(1, 1093) == 104);
    CHECK_CLOSE(x[CIFAR_IMAGE_BYTES + 1093], (104.0 / 255.0 - 0.4822) / 0.2435,
                NORM_TOL, NORM_TOL);
    cifar_free(&set);
    return 0;
}

static int test_fill_flip_all_mirrors(void)
{
    CifarSet set;
    CHECK(make_set(&set, 2));
    size_t idx[2] = {0, 1};
    static float plain[2 * CIFAR_IMAGE_BYTES], flipped[2 * CIFAR_IMAGE_BYTES];
    unsigned char labels[2];
    cifar_fill_batch(&set, idx, 2, plain, labels, NULL, NULL, 0);
    cifar_fill_batch(&set, idx, 2, flipped, labels, NULL, NULL, 1);
    for (int r = 0; r < 2 * CIFAR_CHANNELS * CIFAR_SIDE; r++)
        for (int col = 0; col < CIFAR_SIDE; col++)
            CHECK(flipped[r * CIFAR_SIDE + col] ==
                  plain[r * CIFAR_SIDE + CIFAR_SIDE - 1 - col]);
    cifar_free(&set);
    return 0;
}

/* Does image out equal plain shifted by (dy, dx), with 0 where the source falls
 * outside the image? */
static int is_shift(const float *out, const float *plain, int dy, int dx)
{
    for (int c = 0; c < CIFAR_CHANNELS; c++)
        for (int y = 0; y < CIFAR_SIDE; y++)
            for (int x = 0; x < CIFAR_SIDE; x++) {
                int sy = y + dy, sx = x + dx;
                int inside = sy >= 0 && sy < CIFAR_SIDE && sx >= 0 && sx < CIFAR_SIDE;
                float want = inside ? plain[(c * CIFAR_SIDE + sy) * CIFAR_SIDE + sx]
                                    : 0.0f;
                if (out[(c * CIFAR_SIDE + y) * CIFAR_SIDE + x] != want)
                    return 0;
            }
    return 1;
}

#define CROP_IMAGES 8
#define CROP_PAD 4

static int test_fill_crop_shifts_content(void)
{
    CifarSet set;
    CHECK(make_set(&set, CROP_IMAGES));
    size_t idx[CROP_IMAGES];
    for (int i = 0; i < CROP_IMAGES; i++)
        idx[i] = (size_t)i;
    static float plain[CROP_IMAGES * CIFAR_IMAGE_BYTES];
    static float crop[CROP_IMAGES * CIFAR_IMAGE_BYTES];
    static float again[CROP_IMAGES * CIFAR_IMAGE_BYTES];
    unsigned char labels[CROP_IMAGES];
    cifar_fill_batch(&set, idx, CROP_IMAGES, plain, labels, NULL, NULL, 0);
    CifarAugment aug = {.crop_pad = CROP_PAD};
    Rng rng;
    rng_seed(&rng, 42, RNG_STREAM_AUGMENT);
    cifar_fill_batch(&set, idx, CROP_IMAGES, crop, labels, &aug, &rng, 0);
    /* Each image is the plain one shifted by exactly one offset within the pad. */
    int shifted = 0;
    for (int i = 0; i < CROP_IMAGES; i++) {
        const float *out = crop + (size_t)i * CIFAR_IMAGE_BYTES;
        const float *ref = plain + (size_t)i * CIFAR_IMAGE_BYTES;
        int matches = 0;
        for (int dy = -CROP_PAD; dy <= CROP_PAD; dy++)
            for (int dx = -CROP_PAD; dx <= CROP_PAD; dx++)
                if (is_shift(out, ref, dy, dx)) {
                    matches++;
                    shifted += dy != 0 || dx != 0;
                }
        CHECK(matches == 1);
    }
    CHECK(shifted > 0);
    /* The same seed reproduces the batch. */
    rng_seed(&rng, 42, RNG_STREAM_AUGMENT);
    cifar_fill_batch(&set, idx, CROP_IMAGES, again, labels, &aug, &rng, 0);
    CHECK(memcmp(crop, again, sizeof crop) == 0);
    cifar_free(&set);
    return 0;
}

#define CUT_IMAGES 16
#define CUT_SIDE 8

/* Bounding box of the pixels of channel 0 that cutout zeroed (out 0, plain not). */
static int cut_box(const float *out, const float *plain, int box[4])
{
    box[0] = box[1] = CIFAR_SIDE;
    box[2] = box[3] = -1;
    int any = 0;
    for (int y = 0; y < CIFAR_SIDE; y++)
        for (int x = 0; x < CIFAR_SIDE; x++)
            if (out[y * CIFAR_SIDE + x] == 0.0f && plain[y * CIFAR_SIDE + x] != 0.0f) {
                any = 1;
                box[0] = y < box[0] ? y : box[0];
                box[1] = x < box[1] ? x : box[1];
                box[2] = y > box[2] ? y : box[2];
                box[3] = x > box[3] ? x : box[3];
            }
    return any;
}

static int test_fill_cutout_zeroes_square(void)
{
    CifarSet set;
    CHECK(make_set(&set, CUT_IMAGES));
    size_t idx[CUT_IMAGES];
    for (int i = 0; i < CUT_IMAGES; i++)
        idx[i] = (size_t)i;
    static float plain[CUT_IMAGES * CIFAR_IMAGE_BYTES];
    static float cut[CUT_IMAGES * CIFAR_IMAGE_BYTES];
    unsigned char labels[CUT_IMAGES];
    cifar_fill_batch(&set, idx, CUT_IMAGES, plain, labels, NULL, NULL, 0);
    CifarAugment aug = {.cutout = CUT_SIDE};
    Rng rng;
    rng_seed(&rng, 7, RNG_STREAM_AUGMENT);
    cifar_fill_batch(&set, idx, CUT_IMAGES, cut, labels, &aug, &rng, 0);
    int full_squares = 0;
    for (int i = 0; i < CUT_IMAGES; i++) {
        const float *out = cut + (size_t)i * CIFAR_IMAGE_BYTES;
        const float *ref = plain + (size_t)i * CIFAR_IMAGE_BYTES;
        int box[4];
        CHECK(cut_box(out, ref, box));
        int h = box[2] - box[0] + 1, w = box[3] - box[1] + 1;
        CHECK(h <= CUT_SIDE && w <= CUT_SIDE);
        /* A clipped square touches the border on the side it was clipped. */
        CHECK(h == CUT_SIDE || box[0] == 0 || box[2] == CIFAR_SIDE - 1);
        CHECK(w == CUT_SIDE || box[1] == 0 || box[3] == CIFAR_SIDE - 1);
        full_squares += h == CUT_SIDE && w == CUT_SIDE;
        for (int k = 0; k < CIFAR_IMAGE_BYTES; k++) {
            int y = k / CIFAR_SIDE % CIFAR_SIDE, x = k % CIFAR_SIDE;
            int in = y >= box[0] && y <= box[2] && x >= box[1] && x <= box[3];
            CHECK(out[k] == (in ? 0.0f : ref[k]));
        }
    }
    CHECK(full_squares > 0);
    cifar_free(&set);
    return 0;
}

const TestCase cifar_tests[] = {
    {"cifar_read_three_records", test_read_three_records},
    {"cifar_parse_limit_appends", test_parse_limit_appends},
    {"cifar_load_train_limit_across_files", test_load_train_limit_across_files},
    {"cifar_truncated_file", test_truncated_file},
    {"cifar_file_in_pieces", test_file_in_pieces},
    {"cifar_size_not_multiple", test_size_not_multiple},
    {"cifar_empty_file", test_empty_file},
    {"cifar_bad_label_leaves_set_unchanged", test_bad_label_leaves_set_unchanged},
    {"cifar_missing_file_and_dir", test_missing_file_and_dir},
    {"cifar_directory_instead_of_file", test_directory_instead_of_file},
    {"cifar_fill_plain_normalises", test_fill_plain_normalises},
    {"cifar_fill_flip_all_mirrors", test_fill_flip_all_mirrors},
    {"cifar_fill_crop_shifts_content", test_fill_crop_shifts_content},
    {"cifar_fill_cutout_zeroes_square", test_fill_cutout_zeroes_square},
    {NULL, NULL},
};
