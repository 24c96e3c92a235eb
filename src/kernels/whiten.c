/* whiten.c - the patch moment, a Jacobi eigensolver and the whitening weights
 * (whiten.h). Everything is summed in double and in a fixed order, so a fit is the
 * same on every machine. */
#include <assert.h>
#include <math.h>
#include <string.h>
#include "kernels/whiten.h"

/* Sweeps after which Jacobi has converged for any matrix of this size many times
 * over (it converges quadratically; 10 sweeps are typical at d = 75). */
#define JACOBI_MAX_SWEEPS 100

static double off_diagonal(const double *a, int d)
{
    double s = 0.0;
    for (int i = 0; i < d; i++)
        for (int j = i + 1; j < d; j++)
            s += a[i * d + j] * a[i * d + j];
    return s;
}

/* Rotate rows and columns p and q of a (and rows of v) by the angle that zeroes
 * a[p][q] (Golub and Van Loan, Algorithm 8.4.2). */
static void jacobi_rotate(double *a, double *v, int d, int p, int q)
{
    double apq = a[p * d + q];
    if (apq == 0.0)
        return;
    double tau = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
    double t = (tau >= 0.0 ? 1.0 : -1.0) / (fabs(tau) + sqrt(1.0 + tau * tau));
    double c = 1.0 / sqrt(1.0 + t * t), s = t * c;
    for (int k = 0; k < d; k++) {
        double akp = a[k * d + p], akq = a[k * d + q];
        a[k * d + p] = c * akp - s * akq;
        a[k * d + q] = s * akp + c * akq;
    }
    for (int k = 0; k < d; k++) {
        double apk = a[p * d + k], aqk = a[q * d + k];
        a[p * d + k] = c * apk - s * aqk;
        a[q * d + k] = s * apk + c * aqk;
    }
    for (int k = 0; k < d; k++) {
        double vpk = v[p * d + k], vqk = v[q * d + k];
        v[p * d + k] = c * vpk - s * vqk;
        v[q * d + k] = s * vpk + c * vqk;
    }
}

/* Sort the eigenpairs by descending value (selection sort: d is small). */
static void sort_pairs(double *values, double *vectors, int d)
{
    double row[WHITEN_MAX_DIM];
    for (int i = 0; i < d; i++) {
        int best = i;
        for (int j = i + 1; j < d; j++)
            if (values[j] > values[best])
                best = j;
        if (best == i)
            continue;
        double t = values[i];
        values[i] = values[best];
        values[best] = t;
        memcpy(row, vectors + i * d, (size_t)d * sizeof *row);
        memcpy(vectors + i * d, vectors + best * d, (size_t)d * sizeof *row);
        memcpy(vectors + best * d, row, (size_t)d * sizeof *row);
    }
}

void whiten_eigen(double *a, int d, double *values, double *vectors)
{
    assert(d >= 1 && d <= WHITEN_MAX_DIM);
    for (int i = 0; i < d * d; i++)
        vectors[i] = i % (d + 1) == 0 ? 1.0 : 0.0;
    double scale = 0.0;
    for (int i = 0; i < d * d; i++)
        scale += a[i] * a[i];
    for (int sweep = 0; sweep < JACOBI_MAX_SWEEPS; sweep++) {
        if (off_diagonal(a, d) <= 1e-30 * scale)
            break;
        for (int p = 0; p < d; p++)
            for (int q = p + 1; q < d; q++)
                jacobi_rotate(a, vectors, d, p, q);
    }
    for (int i = 0; i < d; i++)
        values[i] = a[i * d + i];
    sort_pairs(values, vectors, d);
}

/* Add the outer products of the patches of one image into cov (upper triangle). */
static void image_moment(const float *x, int c, int h, int w, int k, double *cov)
{
    int d = c * k * k;
    double p[WHITEN_MAX_DIM];
    for (int y = 0; y + k <= h; y++) {
        for (int xo = 0; xo + k <= w; xo++) {
            for (int ch = 0, i = 0; ch < c; ch++)
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++)
                        p[i++] = x[((size_t)ch * h + y + ky) * w + xo + kx];
            for (int i = 0; i < d; i++)
                for (int j = i; j < d; j++)
                    cov[i * d + j] += p[i] * p[j];
        }
    }
}

void whiten_patch_moment(const float *x, int n, int c, int h, int w, int k,
                         double *cov)
{
    int d = c * k * k;
    assert(d <= WHITEN_MAX_DIM && k <= h && k <= w && n >= 1);
    memset(cov, 0, (size_t)d * d * sizeof *cov);
    for (int i = 0; i < n; i++)
        image_moment(x + (size_t)i * c * h * w, c, h, w, k, cov);
    double count = (double)n * (h - k + 1) * (w - k + 1);
    for (int i = 0; i < d; i++)
        for (int j = i; j < d; j++)
            cov[j * d + i] = cov[i * d + j] /= count;
}

void whiten_fit(const float *x, int n, int c, int h, int w, int k, float *weights)
{
    int d = c * k * k;
    double cov[WHITEN_MAX_DIM * WHITEN_MAX_DIM], vec[WHITEN_MAX_DIM * WHITEN_MAX_DIM];
    double val[WHITEN_MAX_DIM];
    whiten_patch_moment(x, n, c, h, w, k, cov);
    whiten_eigen(cov, d, val, vec);
    for (int o = 0; o < d; o++) {
        double scale = 1.0 / sqrt((val[o] > 0.0 ? val[o] : 0.0) + WHITEN_EPS);
        for (int i = 0; i < d; i++) {
            weights[o * d + i] = (float)(vec[o * d + i] * scale);
            weights[(d + o) * d + i] = -(float)(vec[o * d + i] * scale);
        }
    }
}
