/* ops.c - ReLU, dropout, 2x2 max-pool, global average pool, skip-add and the
 * label-smoothed log-softmax loss. Elementwise loops are kept free of calls and
 * branches so the compiler vectorises them; the loss works in double. */
#include <assert.h>
#include <math.h>
#include "ops.h"
#include "rng.h"

/* 2^32: the dropout threshold is p scaled to the top 32 bits of the hash. */
#define DROPOUT_HASH_RANGE 4294967296.0
/* Elements per block of the mask loops: GCC's -O2 cost model vectorises only loops
 * with a trip count it knows (no remainder loop), so the loops run in blocks of this
 * many and finish the rest one by one. 64 measured fastest of 8..64. */
#define DROPOUT_BLOCK 64
/* The other elementwise loops run in blocks of this many floats for the same reason
 * (one 512-bit vector); without them GCC -O2 left ReLU scalar, with a branch per
 * element that the random signs of activations mispredict. */
#define OPS_BLOCK 16

/* Each block goes through a local copy, so y may equal x (in place) and the compiler
 * needs no aliasing check to vectorise. */
void relu_forward(size_t n, float *y, const float *x)
{
    size_t i = 0;
    for (; i + OPS_BLOCK <= n; i += OPS_BLOCK) {
        float v[OPS_BLOCK];
        for (size_t l = 0; l < OPS_BLOCK; l++)
            v[l] = x[i + l];
        for (size_t l = 0; l < OPS_BLOCK; l++)
            y[i + l] = v[l] < 0.0f ? 0.0f : v[l];   /* a NaN passes through */
    }
    for (; i < n; i++)
        y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

void relu_backward(size_t n, float *restrict dx, const float *restrict dy,
                   const float *restrict y)
{
    size_t i = 0;
    for (; i + OPS_BLOCK <= n; i += OPS_BLOCK) {
        /* dy loaded unconditionally, so the select needs no branch */
        float g[OPS_BLOCK];
        for (size_t l = 0; l < OPS_BLOCK; l++)
            g[l] = dy[i + l];
        for (size_t l = 0; l < OPS_BLOCK; l++)
            dx[i + l] += y[i + l] > 0.0f ? g[l] : 0.0f;
    }
    for (; i < n; i++)
        dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
}

/* --- dropout --------------------------------------------------------------------- */

/* An element is kept when the top 32 bits of its hash are >= threshold, which
 * happens with probability 1 - threshold / 2^32 ~= 1 - p. */
static uint32_t drop_threshold(float p)
{
    assert(p >= 0.0f && p < 1.0f);
    return (uint32_t)((double)p * DROPOUT_HASH_RANGE);
}

int dropout_keep(uint64_t key, size_t index, float p)
{
    return (uint32_t)(rng_hash(key, (uint64_t)index) >> 32) >= drop_threshold(p);
}

/* scale for a kept element, 0 for a dropped one. Multiplying by it (rather than
 * branching) keeps the loops vectorisable; a dropped inf or NaN gives NaN, as
 * PyTorch's x * mask does. */
static inline float mask_factor(uint64_t key, size_t index, uint32_t threshold,
                                float scale)
{
    uint32_t h = (uint32_t)(rng_hash(key, (uint64_t)index) >> 32);
    return h >= threshold ? scale : 0.0f;
}

/* Each block goes through a local copy, so y may equal x, as in relu_forward. */
void dropout_forward(size_t n, size_t first, float *y, const float *x, float p,
                     uint64_t key)
{
    uint32_t threshold = drop_threshold(p);
    float scale = 1.0f / (1.0f - p);
    size_t i = 0;
    for (; i + DROPOUT_BLOCK <= n; i += DROPOUT_BLOCK) {
        float v[DROPOUT_BLOCK];
        for (size_t l = 0; l < DROPOUT_BLOCK; l++)
            v[l] = x[i + l];
        for (size_t l = 0; l < DROPOUT_BLOCK; l++)
            y[i + l] = v[l] * mask_factor(key, first + i + l, threshold, scale);
    }
    for (; i < n; i++)
        y[i] = x[i] * mask_factor(key, first + i, threshold, scale);
}

void dropout_backward(size_t n, size_t first, float *restrict dx,
                      const float *restrict dy, float p, uint64_t key)
{
    uint32_t threshold = drop_threshold(p);
    float scale = 1.0f / (1.0f - p);
    size_t i = 0;
    for (; i + DROPOUT_BLOCK <= n; i += DROPOUT_BLOCK)
        for (size_t j = i; j < i + DROPOUT_BLOCK; j++)
            dx[j] += dy[j] * mask_factor(key, first + j, threshold, scale);
    for (; i < n; i++)
        dx[i] += dy[i] * mask_factor(key, first + i, threshold, scale);
}

/* --- pooling --------------------------------------------------------------------- */

void maxpool2_forward(Shape4 xs, float *y, const float *x)
{
    assert(xs.h >= 2 && xs.w >= 2);
    size_t h = (size_t)xs.h, w = (size_t)xs.w, oh = h / 2, ow = w / 2;
    size_t planes = (size_t)xs.n * (size_t)xs.c;
    for (size_t p = 0; p < planes; p++) {
        const float *xp = x + p * h * w;
        float *yp = y + p * oh * ow;
        for (size_t i = 0; i < oh; i++)
            for (size_t j = 0; j < ow; j++) {
                const float *top = xp + 2 * i * w + 2 * j, *bottom = top + w;
                float m = top[0];
                m = top[1] > m ? top[1] : m;
                m = bottom[0] > m ? bottom[0] : m;
                m = bottom[1] > m ? bottom[1] : m;
                yp[i * ow + j] = m;
            }
    }
}

/* Offset within the window (0, 1, w, w + 1) of the first element equal to the
 * maximum in row-major order; the first element if none is (a NaN maximum). */
static size_t first_max(const float *top, size_t w, float m)
{
    if (top[0] == m)
        return 0;
    if (top[1] == m)
        return 1;
    if (top[w] == m)
        return w;
    if (top[w + 1] == m)
        return w + 1;
    return 0;
}

void maxpool2_backward(Shape4 xs, float *dx, const float *dy, const float *x,
                       const float *y)
{
    assert(xs.h >= 2 && xs.w >= 2);
    size_t h = (size_t)xs.h, w = (size_t)xs.w, oh = h / 2, ow = w / 2;
    size_t planes = (size_t)xs.n * (size_t)xs.c;
    for (size_t p = 0; p < planes; p++) {
        const float *xp = x + p * h * w;
        float *dxp = dx + p * h * w;
        for (size_t i = 0; i < oh; i++)
            for (size_t j = 0; j < ow; j++) {
                size_t corner = 2 * i * w + 2 * j, o = (p * oh + i) * ow + j;
                dxp[corner + first_max(xp + corner, w, y[o])] += dy[o];
            }
    }
}

void avgpool_forward(Shape4 xs, float *y, const float *x)
{
    size_t hw = (size_t)xs.h * (size_t)xs.w;
    size_t planes = (size_t)xs.n * (size_t)xs.c;
    assert(hw > 0);
    for (size_t p = 0; p < planes; p++) {
        double sum = 0.0;
        for (size_t i = 0; i < hw; i++)
            sum += (double)x[p * hw + i];
        y[p] = (float)(sum / (double)hw);
    }
}

void avgpool_backward(Shape4 xs, float *dx, const float *dy)
{
    size_t hw = (size_t)xs.h * (size_t)xs.w;
    size_t planes = (size_t)xs.n * (size_t)xs.c;
    assert(hw > 0);
    for (size_t p = 0; p < planes; p++) {
        float g = dy[p] / (float)hw;
        for (size_t i = 0; i < hw; i++)
            dx[p * hw + i] += g;
    }
}

/* --- skip-add -------------------------------------------------------------------- */

void add_forward(size_t n, float *restrict y, const float *restrict a,
                 const float *restrict b)
{
    size_t i = 0;
    for (; i + OPS_BLOCK <= n; i += OPS_BLOCK)
        for (size_t l = i; l < i + OPS_BLOCK; l++)
            y[l] = a[l] + b[l];
    for (; i < n; i++)
        y[i] = a[i] + b[i];
}

void add_backward(size_t n, float *restrict da, float *restrict db,
                  const float *restrict dy)
{
    size_t i = 0;
    for (; i + OPS_BLOCK <= n; i += OPS_BLOCK)
        for (size_t l = i; l < i + OPS_BLOCK; l++) {
            da[l] += dy[l];
            db[l] += dy[l];
        }
    for (; i < n; i++) {
        da[i] += dy[i];
        db[i] += dy[i];
    }
}

/* --- loss ------------------------------------------------------------------------ */

void loss_log_softmax(int n, int k, float *logp, const float *logits)
{
    assert(n > 0 && k > 0);
    for (int r = 0; r < n; r++) {
        const float *z = logits + (size_t)r * (size_t)k;
        float *out = logp + (size_t)r * (size_t)k;
        /* Subtracting the row maximum keeps every exp in (0, 1]. */
        float zmax = z[0];
        for (int j = 1; j < k; j++)
            zmax = z[j] > zmax ? z[j] : zmax;
        double sum = 0.0;
        for (int j = 0; j < k; j++)
            sum += exp((double)z[j] - (double)zmax);
        double logsumexp = (double)zmax + log(sum);
        for (int j = 0; j < k; j++)
            out[j] = (float)((double)z[j] - logsumexp);
    }
}

double loss_nll(int n, int k, const float *logp, const unsigned char *labels,
                float smoothing)
{
    assert(n > 0 && k > 0);
    double on_label = 1.0 - (double)smoothing, spread = (double)smoothing / (double)k;
    double total = 0.0;
    for (int r = 0; r < n; r++) {
        const float *lp = logp + (size_t)r * (size_t)k;
        assert(labels[r] < k);
        double row_sum = 0.0;
        for (int j = 0; j < k; j++)
            row_sum += (double)lp[j];
        total -= on_label * (double)lp[labels[r]] + spread * row_sum;
    }
    return total / (double)n;
}

void loss_backward(int n, int k, float *dlogits, const float *logp,
                   const unsigned char *labels, float smoothing)
{
    assert(n > 0 && k > 0);
    double on_label = 1.0 - (double)smoothing, spread = (double)smoothing / (double)k;
    for (int r = 0; r < n; r++) {
        const float *lp = logp + (size_t)r * (size_t)k;
        float *d = dlogits + (size_t)r * (size_t)k;
        assert(labels[r] < k);
        for (int j = 0; j < k; j++) {
            double target = spread + (j == labels[r] ? on_label : 0.0);
            d[j] += (float)((exp((double)lp[j]) - target) / (double)n);
        }
    }
}
