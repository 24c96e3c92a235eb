/* test_util.c - helpers shared by the tests: error ratios, the reference fixture
 * reader, temporary directories. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "platform.h"
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
