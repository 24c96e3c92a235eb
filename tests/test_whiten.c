/* test_whiten.c - patch whitening: the Jacobi eigensolver against the definition
 * (A v = lambda v, orthonormal, descending), the patch moment against a direct sum,
 * and fitted weights that turn the patches they were fitted to into coordinates of
 * unit variance, with their negations beside them. */
#include <stdlib.h>
#include <string.h>
#include "kernels/whiten.h"
#include "test.h"

#define EIG_DIM 12

/* A random symmetric matrix with a spread of eigenvalues: B^T B plus a diagonal. */
static void random_symmetric(Rng *rng, double *a, int d)
{
    double b[EIG_DIM * EIG_DIM];
    for (int i = 0; i < d * d; i++)
        b[i] = rng_normal(rng);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = i == j ? 0.1 * i : 0.0;
            for (int k = 0; k < d; k++)
                s += b[k * d + i] * b[k * d + j];
            a[i * d + j] = s;
        }
}

static int test_whiten_eigen(void)
{
    Rng rng;
    rng_seed(&rng, 11, RNG_STREAM_TEST);
    double a[EIG_DIM * EIG_DIM], work[EIG_DIM * EIG_DIM], vec[EIG_DIM * EIG_DIM];
    double val[EIG_DIM];
    random_symmetric(&rng, a, EIG_DIM);
    memcpy(work, a, sizeof a);
    whiten_eigen(work, EIG_DIM, val, vec);
    for (int e = 0; e < EIG_DIM; e++) {
        if (e > 0)
            CHECK(val[e] <= val[e - 1]);
        for (int i = 0; i < EIG_DIM; i++) {
            double av = 0.0;
            for (int j = 0; j < EIG_DIM; j++)
                av += a[i * EIG_DIM + j] * vec[e * EIG_DIM + j];
            CHECK_CLOSE(av, val[e] * vec[e * EIG_DIM + i], 1e-9 * val[0], 0.0);
        }
        for (int f = 0; f < EIG_DIM; f++) {
            double dot = 0.0;
            for (int j = 0; j < EIG_DIM; j++)
                dot += vec[e * EIG_DIM + j] * vec[f * EIG_DIM + j];
            CHECK_CLOSE(dot, e == f ? 1.0 : 0.0, 1e-12, 0.0);
        }
    }
    return 0;
}

/* Images whose neighbouring pixels and channels are correlated, as in photographs:
 * each pixel a smoothed noise field plus a shared per-image shift. */
static float *correlated_images(Rng *rng, int n, int c, int h, int w)
{
    size_t plane = (size_t)h * w, count = (size_t)n * c * plane;
    float *x = malloc(count * sizeof *x);
    for (int i = 0; i < n; i++) {
        float shift = rng_normal(rng);
        float *base = malloc(plane * sizeof *base);
        for (size_t p = 0; p < plane; p++)
            base[p] = rng_normal(rng);
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int xo = 0; xo < w; xo++) {
                    float right = base[y * w + (xo + 1) % w];
                    x[((size_t)i * c + ch) * plane + y * w + xo] =
                        base[y * w + xo] + 0.7f * right + shift +
                        0.3f * rng_normal(rng);
                }
        free(base);
    }
    return x;
}

/* The moment of 2x2 patches against the sum written out for one entry pair. */
static int test_whiten_patch_moment(void)
{
    enum { N = 3, C = 2, H = 4, W = 5, K = 2, D = C * K * K };
    Rng rng;
    rng_seed(&rng, 12, RNG_STREAM_TEST);
    float *x = correlated_images(&rng, N, C, H, W);
    double cov[D * D];
    whiten_patch_moment(x, N, C, H, W, K, cov);
    /* entry (ch 0, dy 0, dx 1) x (ch 1, dy 1, dx 0): indices 1 and 6 */
    double want = 0.0;
    for (int i = 0; i < N; i++)
        for (int y = 0; y + K <= H; y++)
            for (int xo = 0; xo + K <= W; xo++)
                want += (double)x[((i * C + 0) * H + y) * W + xo + 1] *
                        (double)x[((i * C + 1) * H + y + 1) * W + xo];
    want /= N * (H - K + 1) * (W - K + 1);
    free(x);
    CHECK_CLOSE(cov[1 * D + 6], want, 1e-12, 1e-12);
    CHECK(cov[6 * D + 1] == cov[1 * D + 6]);
    return 0;
}

/* Fitted weights applied to the patches they were fitted to: outputs d' < d have
 * second moment lambda / (lambda + eps), near 1 where lambda >> eps, and are
 * uncorrelated; outputs d + d' are their negations. */
static int test_whiten_fit_whitens(void)
{
    enum { N = 40, C = 3, H = 8, W = 8, K = 2, D = C * K * K };
    Rng rng;
    rng_seed(&rng, 13, RNG_STREAM_TEST);
    float *x = correlated_images(&rng, N, C, H, W);
    float wts[2 * D * D];
    whiten_fit(x, N, C, H, W, K, wts);
    double cov[D * D], m[D * D] = {0}, val[D], vec[D * D];
    whiten_patch_moment(x, N, C, H, W, K, cov);
    whiten_eigen(cov, D, val, vec);
    whiten_patch_moment(x, N, C, H, W, K, cov);
    /* m = W cov W^T over the first half of the outputs */
    for (int a = 0; a < D; a++)
        for (int b = 0; b < D; b++)
            for (int i = 0; i < D; i++)
                for (int j = 0; j < D; j++)
                    m[a * D + b] += (double)wts[a * D + i] * cov[i * D + j] *
                                    (double)wts[b * D + j];
    free(x);
    for (int a = 0; a < D; a++) {
        CHECK_CLOSE(m[a * D + a], val[a] / (val[a] + WHITEN_EPS), 1e-4, 0.0);
        CHECK(val[a] > 50.0 * WHITEN_EPS);   /* so the diagonal is near 1 */
        for (int b = 0; b < D; b++)
            if (b != a)
                CHECK_CLOSE(m[a * D + b], 0.0, 1e-4, 0.0);
        for (int i = 0; i < D; i++)
            CHECK(wts[(D + a) * D + i] == -wts[a * D + i]);
    }
    return 0;
}

const TestCase whiten_tests[] = {
    {"whiten_eigen", test_whiten_eigen},
    {"whiten_patch_moment", test_whiten_patch_moment},
    {"whiten_fit_whitens", test_whiten_fit_whitens},
    {NULL, NULL},
};
