/* test_util.c - helpers shared by the tests: error ratios, gradient checks, random
 * fills, the reference fixture reader, temporary directories, synthetic CIFAR data
 * and run logs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/platform.h"
#include "base/readfile.h"
#include "dataset/cifar.h"
#include "report/report.h"
#include "test.h"

double test_max_rel_err(const float *a, const float *b, size_t n, double atol,
                        double rtol)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - (double)b[i]) / (atol + rtol * fabs((double)b[i]));
        if (!(e <= worst))   /* also catches NaN */
            worst = isnan(e) ? (double)INFINITY : e;
    }
    return worst;
}

int test_report_ratio(const char *what, double ratio)
{
    if (ratio <= 1.0)
        return 1;
    fprintf(stderr, "  %s: error ratio %.3g (> 1 fails)\n", what, ratio);
    return 0;
}

double test_grad_error(double (*loss)(void *ctx), void *ctx, float *param,
                       const float *grad, size_t n, float step, double atol,
                       double rtol)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        float v = param[i];
        param[i] = v + step;
        float up = param[i];
        double loss_up = loss(ctx);
        param[i] = v - step;
        float down = param[i];
        double loss_down = loss(ctx);
        param[i] = v;
        double numeric = (loss_up - loss_down) / ((double)up - (double)down);
        double e = fabs(numeric - (double)grad[i]) /
                   (atol + rtol * fabs((double)grad[i]));
        if (!(e <= worst))
            worst = isnan(e) ? (double)INFINITY : e;
    }
    return worst;
}

void test_fill_normal(Rng *rng, float *v, size_t n, float offset)
{
    for (size_t i = 0; i < n; i++)
        v[i] = offset + rng_normal(rng);
}

static int read_u32(FILE *f, uint32_t *v)
{
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4)
        return 0;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
         (uint32_t)b[3] << 24;
    return 1;
}

/* Format: records of u32 name_len, name, u32 ndim, u32 dims[ndim], f32 data[]. */
float *test_fixture_read(const char *file, const char *name, size_t *count,
                         int dims[4], int *ndim)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "  cannot open fixture %s\n", file);
        return NULL;
    }
    char rec[256];
    uint32_t len, nd, d[8];
    while (read_u32(f, &len) && len < sizeof rec) {
        if (fread(rec, 1, len, f) != len || !read_u32(f, &nd) || nd > 8)
            break;
        rec[len] = '\0';
        size_t n = 1;
        for (uint32_t i = 0; i < nd; i++) {
            if (!read_u32(f, &d[i]))
                goto fail;
            n *= d[i];
        }
        if (strcmp(rec, name) != 0) {
            if (fseek(f, (long)(n * 4), SEEK_CUR) != 0)
                break;
            continue;
        }
        float *data = malloc(n * sizeof *data + 1);
        if (!data || fread(data, 4, n, f) != n) {
            free(data);
            break;
        }
        fclose(f);
        *count = n;
        if (ndim)
            *ndim = (int)nd;
        for (uint32_t i = 0; dims && i < 4; i++)
            dims[i] = i < nd ? (int)d[i] : 1;
        return data;
    }
fail:
    fclose(f);
    fprintf(stderr, "  record %s not found in %s\n", name, file);
    return NULL;
}

float *test_fixture_get(TestFixture *f, const char *name, size_t want, int dims[4])
{
    size_t n;
    int nd;
    if (f->nrec == TEST_FIXTURE_MAX_RECORDS)
        return NULL;
    float *data = test_fixture_read(f->file, name, &n, dims, &nd);
    if (data && want != 0 && n != want) {
        fprintf(stderr, "  %s: %zu floats, want %zu\n", name, n, want);
        free(data);
        return NULL;
    }
    if (data)
        f->rec[f->nrec++] = data;
    return data;
}

void test_fixture_free(TestFixture *f)
{
    for (int i = 0; i < f->nrec; i++)
        free(f->rec[i]);
    f->nrec = 0;
}

const char *test_tmpdir(void)
{
    static char path[256];
    static unsigned serial;
    const char *base = getenv("TMPDIR");
    /* A name no earlier run left behind: time, CPU clock and a counter. */
    do
        snprintf(path, sizeof path, "%s/cifar-test-%ld-%ld-%u", base ? base : "/tmp",
                 (long)time(NULL), (long)clock(), serial++);
    while (platform_is_dir(path));
    Error err;
    if (platform_mkdirs(path, &err) != STATUS_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        return NULL;
    }
    return path;
}

int test_tmpdir_copy(char *dir, size_t cap)
{
    const char *d = test_tmpdir();
    if (!d || strlen(d) >= cap)
        return 0;
    strcpy(dir, d);
    return 1;
}

void test_path_fresh(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
    remove(out);   /* a leftover from an earlier run in the same temp dir */
}

int test_write_synthetic_cifar(const char *dir, const char *file, int count,
                               uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed, RNG_STREAM_TEST);
    size_t len = (size_t)count * CIFAR_RECORD_BYTES;
    unsigned char *buf = malloc(len);
    CHECK(buf != NULL);
    for (int i = 0; i < count; i++) {
        unsigned char *rec = buf + (size_t)i * CIFAR_RECORD_BYTES;
        int label = (int)rng_below(&rng, CIFAR_CLASSES);
        rec[0] = (unsigned char)label;
        for (int c = 0; c < CIFAR_CHANNELS; c++) {
            /* Class bits pick a dark or bright level per channel, plus a shade. */
            int level = ((label >> c) & 1) ? 190 : 60;
            level += label >= 8 ? 40 : (label & 4 ? -20 : 0);
            for (int p = 0; p < CIFAR_PLANE_BYTES; p++) {
                int v = level + (int)rng_below(&rng, 41) - 20;
                rec[1 + c * CIFAR_PLANE_BYTES + p] = (unsigned char)v;
            }
        }
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    Error err;
    Status st = report_write_atomic(path, buf, len, &err);
    free(buf);
    CHECK(st == STATUS_OK);
    return 0;
}

const char *test_synthetic_cifar_dir(char *dir, size_t cap, int ntrain, int ntest,
                                     uint64_t seed)
{
    if (dir[0])
        return dir;
    if (!test_tmpdir_copy(dir, cap))
        return NULL;
    if (test_write_synthetic_cifar(dir, "data_batch_1.bin", ntrain, seed) ||
        test_write_synthetic_cifar(dir, "test_batch.bin", ntest, seed + 1))
        return NULL;
    return dir;
}

char *test_log_without_seconds(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/log.csv", dir);
    unsigned char *bytes;
    size_t len;
    Error err;
    if (readfile_whole(path, &bytes, &len, &err) != STATUS_OK)
        return NULL;
    char *out = malloc(len + 1);
    size_t n = 0;
    int field = 0;
    for (size_t i = 0; out && i < len; i++) {
        char ch = (char)bytes[i];
        if (ch == '\n')
            field = 0;
        else if (ch == ',')
            field++;
        if ((field != 8 && field != 12) || ch == ',')
            out[n++] = ch;
    }
    if (out)
        out[n] = '\0';
    free(bytes);
    return out;
}
