/* ops.c - ReLU, dropout, 2x2 max-pool, global average pool, skip-add and the
 * label-smoothed log-softmax loss. Elementwise loops are kept free of calls and
 * branches so the compiler vectorises them; the loss works in double. */
#include <assert.h>
#include <math.h>
#include <string.h>
#include "base/rng.h"
#include "kernels/ops.h"

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

/* scale for a kept element, 0 for a dropped one. Multiplying by it (rather than
 * branching) keeps the loops vectorisable; a dropped inf or NaN gives NaN, as
 * PyTorch's x * mask does. */
static inline float mask_factor(uint64_t key, size_t index, uint32_t threshold,
                                float scale)
{
    uint32_t h = (uint32_t)(rng_hash(key, (uint64_t)index) >> 32);
    return h >= threshold ? scale : 0.0f;
}

int dropout_keep(uint64_t key, size_t index, float p)
{
    return mask_factor(key, index, drop_threshold(p), 1.0f) != 0.0f;
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

/* Routes g[count] (one output row) into the two input rows under it: dy goes to the
 * first element of each window equal to its maximum m in row-major order, or to
 * the first element if none is (a NaN maximum). The others get + 0.0f, which
 * changes no value but -0.0f, and a gradient that starts at +0.0f and only
 * accumulates never is -0.0f. Selects instead of branches, which the random
 * winners mispredicted. */
static void route_row(size_t count, float *restrict dtop,
                             float *restrict dbottom, const float *restrict top,
                             const float *restrict bottom, const float *restrict m,
                             const float *restrict g)
{
    for (size_t j = 0; j < count; j++) {
        float a = top[2 * j], b = top[2 * j + 1], c = bottom[2 * j];
        float d = bottom[2 * j + 1], mj = m[j], gj = g[j];
        int e0 = a == mj, e1 = b == mj, e2 = c == mj, e3 = d == mj;
        dtop[2 * j] += (e0 | !(e1 | e2 | e3)) ? gj : 0.0f;
        dtop[2 * j + 1] += (e1 & !e0) ? gj : 0.0f;
        dbottom[2 * j] += (e2 & !(e0 | e1)) ? gj : 0.0f;
        dbottom[2 * j + 1] += (e3 & !(e0 | e1 | e2)) ? gj : 0.0f;
    }
}

/* route_row for OPS_WINDOWS windows with GCC/Clang vector extensions (as in
 * conv_blocked.c): the rows are split into even and odd columns, compared and
 * selected lane by lane, and interleaved back. The same selections bit for bit;
 * 9% of r6's step with the scalar loop, which GCC -O2 does not vectorise. The
 * vectors are no wider than the target's registers (GCC -Wpsabi), as in
 * conv_blocked.c. */
/* Lane selections for __builtin_shufflevector, which GCC (12 on) and Clang share. */
#if defined(__AVX__)
#define OPS_WINDOWS 8
#define WIN_EVEN 0, 2, 4, 6, 8, 10, 12, 14
#define WIN_ODD 1, 3, 5, 7, 9, 11, 13, 15
#define WIN_LO 0, 8, 1, 9, 2, 10, 3, 11
#define WIN_HI 4, 12, 5, 13, 6, 14, 7, 15
#else
#define OPS_WINDOWS 4
#define WIN_EVEN 0, 2, 4, 6
#define WIN_ODD 1, 3, 5, 7
#define WIN_LO 0, 4, 1, 5
#define WIN_HI 2, 6, 3, 7
#endif
typedef float WinVec __attribute__((vector_size(OPS_WINDOWS * sizeof(float))));
typedef int WinMask __attribute__((vector_size(OPS_WINDOWS * sizeof(int))));

static WinVec win_load(const float *p)
{
    WinVec v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* dst[0 .. 2 * OPS_WINDOWS) += the interleaving of even and odd. */
static void win_add_interleaved(float *dst, WinVec even, WinVec odd)
{
    WinVec a = win_load(dst) + __builtin_shufflevector(even, odd, WIN_LO);
    WinVec b = win_load(dst + OPS_WINDOWS) + __builtin_shufflevector(even, odd, WIN_HI);
    memcpy(dst, &a, sizeof a);
    memcpy(dst + OPS_WINDOWS, &b, sizeof b);
}

/* g where the mask is set, +0.0f elsewhere. */
static WinVec win_select(WinMask mask, WinVec g)
{
    WinMask bits;
    memcpy(&bits, &g, sizeof bits);
    bits &= mask;
    WinVec v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static void route_windows(float *restrict dtop, float *restrict dbottom,
                          const float *restrict top, const float *restrict bottom,
                          const float *restrict m, const float *restrict g)
{
    WinVec t0 = win_load(top), t1 = win_load(top + OPS_WINDOWS);
    WinVec b0 = win_load(bottom), b1 = win_load(bottom + OPS_WINDOWS);
    WinVec mv = win_load(m), gv = win_load(g);
    WinMask e0 = __builtin_shufflevector(t0, t1, WIN_EVEN) == mv;
    WinMask e1 = __builtin_shufflevector(t0, t1, WIN_ODD) == mv;
    WinMask e2 = __builtin_shufflevector(b0, b1, WIN_EVEN) == mv;
    WinMask e3 = __builtin_shufflevector(b0, b1, WIN_ODD) == mv;
    win_add_interleaved(dtop, win_select(e0 | ~(e1 | e2 | e3), gv),
                        win_select(e1 & ~e0, gv));
    win_add_interleaved(dbottom, win_select(e2 & ~(e0 | e1), gv),
                        win_select(e3 & ~(e0 | e1 | e2), gv));
}

void maxpool2_backward(Shape4 xs, float *dx, const float *dy, const float *x,
                       const float *y)
{
    assert(xs.h >= 2 && xs.w >= 2);
    size_t h = (size_t)xs.h, w = (size_t)xs.w, oh = h / 2, ow = w / 2;
    size_t planes = (size_t)xs.n * (size_t)xs.c;
    for (size_t p = 0; p < planes; p++)
        for (size_t i = 0; i < oh; i++) {
            size_t in = (p * h + 2 * i) * w, out = (p * oh + i) * ow, j = 0;
            for (; j + OPS_WINDOWS <= ow; j += OPS_WINDOWS)
                route_windows(dx + in + 2 * j, dx + in + w + 2 * j, x + in + 2 * j,
                              x + in + w + 2 * j, y + out + j, dy + out + j);
            route_row(ow - j, dx + in + 2 * j, dx + in + w + 2 * j, x + in + 2 * j,
                      x + in + w + 2 * j, y + out + j, dy + out + j);
        }
}

/* Each output is the mean of its 2x2 window, (a + b + c + d) * 0.25f, summed in
 * row-major order. */
void avgpool2_forward(Shape4 xs, float *y, const float *x)
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
                yp[i * ow + j] = (top[0] + top[1] + bottom[0] + bottom[1]) * 0.25f;
            }
    }
}

void avgpool2_backward(Shape4 xs, float *dx, const float *dy)
{
    assert(xs.h >= 2 && xs.w >= 2);
    size_t h = (size_t)xs.h, w = (size_t)xs.w, oh = h / 2, ow = w / 2;
    size_t planes = (size_t)xs.n * (size_t)xs.c;
    for (size_t p = 0; p < planes; p++) {
        float *dxp = dx + p * h * w;
        const float *dyp = dy + p * oh * ow;
        for (size_t i = 0; i < oh; i++)
            for (size_t j = 0; j < ow; j++) {
                float g = dyp[i * ow + j] * 0.25f;
                float *top = dxp + 2 * i * w + 2 * j, *bottom = top + w;
                top[0] += g;
                top[1] += g;
                bottom[0] += g;
                bottom[1] += g;
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

int loss_argmax(const float *v, int k)
{
    int best = 0;
    for (int i = 1; i < k; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}
