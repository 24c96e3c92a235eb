/* norm.c - batch norm and group norm. Work is split into chunks defined by the
 * problem (a channel for batch norm, a sample's group for group norm, a channel for
 * group norm's dgamma/dbeta) and each chunk reduces in a fixed order (NORM_LANES
 * double partial sums), so results are bitwise independent of the thread count.
 * Statistics are saved as float and both passes normalise with the saved floats.
 * The _fused variants also run the ReLU (and dropout) after a norm and the zeroing
 * of dx inside its passes (NormFusion); the plain ones are those with nothing fused. */
#include <assert.h>
#include <math.h>
#include <stddef.h>
#include "kernels/norm.h"
#include "kernels/ops.h"

/* Long sums run in NORM_LANES independent double partial sums, combined in a fixed
 * order at the end: the order depends only on the length, never on the threads,
 * and the independent chains hide the latency of double adds and vectorise. */
#define NORM_LANES 8
/* Elementwise loops run in blocks of this many floats: GCC's -O2 cost model
 * vectorises only loops whose trip count it knows. */
#define NORM_BLOCK 16
_Static_assert(NORM_BLOCK % NORM_LANES == 0, "a block fills every lane in turn");

/* The per-lane sums a backward needs: of g and of g*xhat over a set. */
typedef struct {
    double g[NORM_LANES];
    double gxhat[NORM_LANES];
} GradSums;

/* Where a backward finds the gradient of the norm's output (grad_block). */
typedef struct {
    const float *dy;
    const float *relu_y;   /* a fused chain's output, NULL when none or relu_x */
    bool relu_x;           /* a fused ReLU whose mask comes from x: */
    float x_scale, x_shift;   /* the plane's affine (fold_affine), for relu_x */
    float scale;
} NormGrad;

static double lanes_total(const double acc[NORM_LANES])
{
    double total = 0.0;
    for (int l = 0; l < NORM_LANES; l++)
        total += acc[l];
    return total;
}

/* acc[lane] += x - k and sq[lane] += (x - k)^2 over len floats. */
static void lanes_add_shifted(double acc[NORM_LANES], double sq[NORM_LANES],
                              const float *x, size_t len, double k)
{
    size_t i = 0;
    for (; i + NORM_LANES <= len; i += NORM_LANES)
        for (size_t l = 0; l < NORM_LANES; l++) {
            double d = (double)x[i + l] - k;
            acc[l] += d;
            sq[l] += d * d;
        }
    for (; i < len; i++) {
        double d = (double)x[i] - k;
        acc[i % NORM_LANES] += d;
        sq[i % NORM_LANES] += d * d;
    }
}

/* Mean and 1/sqrt(biased variance + eps) of n blocks of len floats, stride apart,
 * in one pass in double (the data is read once: norms are memory-bound). The sums
 * are of x - k with k = x[0], the shifted-data algorithm: k lies within the data,
 * so sum((x-k)^2) - sum(x-k)^2/count loses only a few double ulps, far below float
 * precision (a plain sum of squares would cancel when the mean dwarfs the spread).
 * The sum of squared deviations goes to *ssd for the unbiased variance. */
static void moments(const float *x, size_t n, size_t stride, size_t len, float eps,
                    float *mean, float *rstd, double *ssd)
{
    double sum[NORM_LANES] = {0.0}, sq[NORM_LANES] = {0.0};
    double k = (double)x[0];
    for (size_t b = 0; b < n; b++)
        lanes_add_shifted(sum, sq, x + b * stride, len, k);
    double count = (double)(n * len), s = lanes_total(sum);
    double m = k + s / count;
    *ssd = lanes_total(sq) - s * s / count;
    if (*ssd < 0.0)   /* rounding when every value is equal */
        *ssd = 0.0;
    *mean = (float)m;
    *rstd = (float)(1.0 / sqrt(*ssd / count + (double)eps));
}

/* The normalisation of a plane folded into y = x * scale + shift (one FMA): the
 * forward and a backward that finds the ReLU's mask from x (NormGrad.relu_x) both
 * call this, so that they agree bit for bit. */
static void fold_affine(float gamma, float beta, float mean, float rstd, float *scale,
                        float *shift)
{
    *scale = gamma * rstd;
    *shift = beta - mean * *scale;
}

/* y = x * scale + shift over len floats: the normalisation folded into one FMA;
 * with relu, then max(y, 0) exactly as relu_forward computes it (a NaN passes).
 * Each block goes through a local copy, so y may equal x and the compiler needs no
 * aliasing check to vectorise (GCC's -O2 cost model would refuse one). */
static void affine(float *y, const float *x, size_t len, float scale, float shift,
                   bool relu)
{
    size_t i = 0;
    for (; i + NORM_BLOCK <= len; i += NORM_BLOCK) {
        float v[NORM_BLOCK];
        for (size_t l = 0; l < NORM_BLOCK; l++)
            v[l] = x[i + l] * scale + shift;
        if (relu)
            for (size_t l = 0; l < NORM_BLOCK; l++)
                v[l] = v[l] < 0.0f ? 0.0f : v[l];
        for (size_t l = 0; l < NORM_BLOCK; l++)
            y[i + l] = v[l];
    }
    for (; i < len; i++) {
        float v = x[i] * scale + shift;
        y[i] = relu && v < 0.0f ? 0.0f : v;
    }
}

/* One plane of the forward at index first in the tensor: y = affine, then the fused
 * dropout (if any) from the plane just written. */
static void norm_plane(float *y, const float *x, size_t len, float scale, float shift,
                       const NormFusion *f, size_t first)
{
    affine(y + first, x + first, len, scale, shift, f->relu);
    if (f->drop_p > 0.0f)
        dropout_forward(len, first, f->drop_y + first, y + first, f->drop_p,
                        f->drop_key);
}

/* The gradient arriving at the norm's output at dy[i]: dy itself, or through a
 * fused ReLU (and dropout): 0 where the chain's output is not positive, else
 * dy * scale. The + 0.0f makes it bit for bit what the separate passes give, each
 * adding into a zeroed gradient (-0 becomes +0). */
static inline __attribute__((always_inline)) float grad_at(const NormGrad *d,
                                                          size_t i, float x)
{
    if (d->relu_x)
        return x * d->x_scale + d->x_shift > 0.0f ? d->dy[i] * d->scale + 0.0f : 0.0f;
    if (!d->relu_y)
        return d->dy[i];
    return d->relu_y[i] > 0.0f ? d->dy[i] * d->scale + 0.0f : 0.0f;
}

/* g[l] = grad_at(d, off + l, x[l]) for a block of NORM_BLOCK, in loops that
 * vectorise (dy is loaded unconditionally, so the select needs no branch). */
static inline __attribute__((always_inline)) void
grad_block(float *restrict g, const NormGrad *d, size_t off, const float *restrict x)
{
    const float *restrict dy = d->dy + off;
    for (size_t l = 0; l < NORM_BLOCK; l++)
        g[l] = dy[l];
    if (d->relu_x) {
        float xs = d->x_scale, xb = d->x_shift, scale = d->scale;
        for (size_t l = 0; l < NORM_BLOCK; l++)
            g[l] = x[l] * xs + xb > 0.0f ? g[l] * scale + 0.0f : 0.0f;
        return;
    }
    if (!d->relu_y)
        return;
    const float *restrict ry = d->relu_y + off;
    float scale = d->scale;
    for (size_t l = 0; l < NORM_BLOCK; l++)
        g[l] = ry[l] > 0.0f ? g[l] * scale + 0.0f : 0.0f;
}

/* Nothing fused: what the plain passes use. */
static const NormFusion plain = {.relu = false, .relu_y = NULL, .scale = 1.0f};

/* The gradient's source; for relu_x, the caller sets x_scale and x_shift per plane
 * (grad_for_plane). */
static NormGrad norm_grad(const float *dy, const NormFusion *f)
{
    bool relu_x = f->relu && !f->relu_y;
    return (NormGrad){dy, f->relu_y, relu_x, 0.0f, 0.0f, f->scale};
}

/* d for a plane of channel c normalised with mean and rstd. */
static NormGrad grad_for_plane(const NormGrad *d, const NormFusion *f,
                               const float *gamma, size_t c, float mean, float rstd)
{
    NormGrad p = *d;
    if (p.relu_x)
        fold_affine(gamma[c], f->beta[c], mean, rstd, &p.x_scale, &p.x_shift);
    return p;
}

/* --- batch norm ------------------------------------------------------------------ */

typedef struct {
    Shape4 s;
    float *y, *mean, *rstd, *run_mean, *run_var;
    const float *x, *gamma, *beta;
    float eps, momentum;
    const NormFusion *f;
} BnForward;

static void bn_forward_channel(void *ctx, size_t c, int worker)
{
    (void)worker;
    const BnForward *a = ctx;
    size_t hw = (size_t)a->s.h * (size_t)a->s.w;
    size_t stride = (size_t)a->s.c * hw;
    size_t n = (size_t)a->s.n;
    double ssd;
    moments(a->x + c * hw, n, stride, hw, a->eps, &a->mean[c], &a->rstd[c], &ssd);
    /* PyTorch's running variance is unbiased; a single value has none, so keep
     * the biased one (zero) rather than divide by zero. */
    size_t count = n * hw;
    double unbiased = count > 1 ? ssd / (double)(count - 1) : 0.0;
    double m = (double)a->momentum;
    a->run_mean[c] = (float)((1.0 - m) * (double)a->run_mean[c] + m * (double)a->mean[c]);
    a->run_var[c] = (float)((1.0 - m) * (double)a->run_var[c] + m * unbiased);
    float scale, shift;
    fold_affine(a->gamma[c], a->beta[c], a->mean[c], a->rstd[c], &scale, &shift);
    for (size_t b = 0; b < n; b++) {
        size_t off = b * stride + c * hw;
        norm_plane(a->y, a->x, hw, scale, shift, a->f, off);
    }
}

void bnorm_forward_train_fused(Shape4 s, float *y, float *mean, float *rstd,
                               float *run_mean, float *run_var, const float *x,
                               const float *gamma, const float *beta, float eps,
                               float momentum, const NormFusion *f, Pool *pool)
{
    assert(s.n > 0 && s.c > 0 && s.h > 0 && s.w > 0 && eps > 0.0f);
    BnForward a = {s,     y,    mean, rstd,     run_mean, run_var, x,
                   gamma, beta, eps,  momentum, f};
    pool_run(pool, (size_t)s.c, bn_forward_channel, &a);
}

void bnorm_forward_train(Shape4 s, float *y, float *mean, float *rstd,
                         float *run_mean, float *run_var, const float *x,
                         const float *gamma, const float *beta, float eps,
                         float momentum, Pool *pool)
{
    bnorm_forward_train_fused(s, y, mean, rstd, run_mean, run_var, x, gamma, beta, eps,
                              momentum, &plain, pool);
}

typedef struct {
    Shape4 s;
    float *y;
    const float *x, *gamma, *beta, *run_mean, *run_var;
    float eps;
    bool relu;
} BnEval;

/* One chunk per (sample, channel) plane: evaluation has no reduction. */
static void bn_eval_plane(void *ctx, size_t plane, int worker)
{
    (void)worker;
    const BnEval *a = ctx;
    size_t c = plane % (size_t)a->s.c;
    size_t hw = (size_t)a->s.h * (size_t)a->s.w;
    float rstd = (float)(1.0 / sqrt((double)a->run_var[c] + (double)a->eps));
    float scale = a->gamma[c] * rstd;
    float shift = a->beta[c] - a->run_mean[c] * scale;
    affine(a->y + plane * hw, a->x + plane * hw, hw, scale, shift, a->relu);
}

void bnorm_forward_eval_fused(Shape4 s, float *y, const float *x, const float *gamma,
                              const float *beta, const float *run_mean,
                              const float *run_var, float eps, const NormFusion *f,
                              Pool *pool)
{
    assert(s.n > 0 && s.c > 0 && s.h > 0 && s.w > 0 && eps > 0.0f);
    assert(f->drop_p == 0.0f);   /* evaluation never drops */
    BnEval a = {s, y, x, gamma, beta, run_mean, run_var, eps, f->relu};
    pool_run(pool, (size_t)s.n * (size_t)s.c, bn_eval_plane, &a);
}

void bnorm_forward_eval(Shape4 s, float *y, const float *x, const float *gamma,
                        const float *beta, const float *run_mean,
                        const float *run_var, float eps, Pool *pool)
{
    bnorm_forward_eval_fused(s, y, x, gamma, beta, run_mean, run_var, eps, &plain, pool);
}

typedef struct {
    Shape4 s;
    float *dx, *dgamma, *dbeta;
    NormGrad d;
    const NormFusion *f;
    const float *x, *mean, *rstd, *gamma;
} BnBackward;

/* Adds g and g*xhat over len values to the lanes, xhat = (x - mean) * rstd, g the
 * gradient at dy + off (grad_block). Element i always goes to lane i % NORM_LANES,
 * in order. */
static void add_grad_sums(GradSums *acc, const NormGrad *d, size_t off, const float *x,
                          size_t len, float mean, float rstd)
{
    size_t i = 0;
    float g[NORM_BLOCK];
    for (; i + NORM_BLOCK <= len; i += NORM_BLOCK) {
        grad_block(g, d, off + i, x + i);
        for (size_t h = 0; h < NORM_BLOCK; h += NORM_LANES)
            for (size_t l = 0; l < NORM_LANES; l++) {
                float xhat = (x[i + h + l] - mean) * rstd;
                acc->g[l] += (double)g[h + l];
                acc->gxhat[l] += (double)(g[h + l] * xhat);
            }
    }
    for (; i < len; i++) {
        float xhat = (x[i] - mean) * rstd, gi = grad_at(d, off + i, x[i]);
        acc->g[i % NORM_LANES] += (double)gi;
        acc->gxhat[i % NORM_LANES] += (double)(gi * xhat);
    }
}

/* dx += rstd * (gamma*g - g_mean - xhat * gxhat_mean), the gradient through the
 * normalisation, where g is the gradient at dy + off (grad_block) and g_mean and
 * gxhat_mean are the means of gamma*g and gamma*g*xhat over the statistic's set.
 * With zero (NormFusion.zero_dx), dx = 0.0f + the same: bit for bit adding into a
 * zeroed dx, without reading it. dx must not overlap dy or x: restrict lets the
 * loop vectorise without an aliasing check. */
static void add_dx(float *restrict dx, const NormGrad *d, size_t off, const float *x,
                   size_t len, float mean, float rstd, float gamma, float g_mean,
                   float gxhat_mean, bool zero)
{
    size_t i = 0;
    float g[NORM_BLOCK];
    for (; i + NORM_BLOCK <= len; i += NORM_BLOCK) {
        grad_block(g, d, off + i, x + i);
        if (zero)
            for (size_t l = 0; l < NORM_BLOCK; l++) {
                float xhat = (x[i + l] - mean) * rstd;
                dx[i + l] = 0.0f + rstd * (gamma * g[l] - g_mean - xhat * gxhat_mean);
            }
        else
            for (size_t l = 0; l < NORM_BLOCK; l++) {
                float xhat = (x[i + l] - mean) * rstd;
                dx[i + l] += rstd * (gamma * g[l] - g_mean - xhat * gxhat_mean);
            }
    }
    for (; i < len; i++) {
        float xhat = (x[i] - mean) * rstd;
        float base = zero ? 0.0f : dx[i];
        dx[i] = base + rstd * (gamma * grad_at(d, off + i, x[i]) - g_mean -
                               xhat * gxhat_mean);
    }
}

static void bn_backward_channel(void *ctx, size_t c, int worker)
{
    (void)worker;
    const BnBackward *a = ctx;
    size_t hw = (size_t)a->s.h * (size_t)a->s.w;
    size_t stride = (size_t)a->s.c * hw;
    size_t n = (size_t)a->s.n;
    float mean = a->mean[c], rstd = a->rstd[c];
    NormGrad d = grad_for_plane(&a->d, a->f, a->gamma, c, mean, rstd);
    GradSums sums = {{0.0}, {0.0}};
    for (size_t b = 0; b < n; b++) {
        size_t off = b * stride + c * hw;
        add_grad_sums(&sums, &d, off, a->x + off, hw, mean, rstd);
    }
    double g = lanes_total(sums.g), gxhat = lanes_total(sums.gxhat);
    a->dbeta[c] += (float)g;
    a->dgamma[c] += (float)gxhat;
    double count = (double)(n * hw), gamma = (double)a->gamma[c];
    float g_mean = (float)(gamma * g / count);
    float gxhat_mean = (float)(gamma * gxhat / count);
    for (size_t b = 0; b < n; b++) {
        size_t off = b * stride + c * hw;
        add_dx(a->dx + off, &d, off, a->x + off, hw, mean, rstd, a->gamma[c], g_mean,
               gxhat_mean, a->f->zero_dx);
    }
}

void bnorm_backward_fused(Shape4 s, float *dx, float *dgamma, float *dbeta,
                          const float *dy, const float *x, const float *mean,
                          const float *rstd, const float *gamma, const NormFusion *f,
                          Pool *pool)
{
    assert(s.n > 0 && s.c > 0 && s.h > 0 && s.w > 0);
    BnBackward a = {s, dx, dgamma, dbeta, norm_grad(dy, f), f, x, mean, rstd, gamma};
    pool_run(pool, (size_t)s.c, bn_backward_channel, &a);
}

void bnorm_backward(Shape4 s, float *dx, float *dgamma, float *dbeta, const float *dy,
                    const float *x, const float *mean, const float *rstd,
                    const float *gamma, Pool *pool)
{
    bnorm_backward_fused(s, dx, dgamma, dbeta, dy, x, mean, rstd, gamma, &plain, pool);
}

/* --- group norm ------------------------------------------------------------------ */

typedef struct {
    Shape4 s;
    int groups;
    float *y, *mean, *rstd;
    const float *x, *gamma, *beta;
    float eps;
    const NormFusion *f;
} GnForward;

/* Chunk = sample * groups + group; its channels are contiguous in NCHW. */
static void gn_forward_group(void *ctx, size_t chunk, int worker)
{
    (void)worker;
    const GnForward *a = ctx;
    size_t hw = (size_t)a->s.h * (size_t)a->s.w;
    size_t cpg = (size_t)(a->s.c / a->groups);
    size_t c0 = (chunk % (size_t)a->groups) * cpg;
    size_t base = chunk * cpg * hw;
    double ssd;
    moments(a->x + base, 1, 0, cpg * hw, a->eps, &a->mean[chunk], &a->rstd[chunk], &ssd);
    float mean = a->mean[chunk], rstd = a->rstd[chunk];
    for (size_t j = 0; j < cpg; j++) {
        float scale, shift;
        fold_affine(a->gamma[c0 + j], a->beta[c0 + j], mean, rstd, &scale, &shift);
        size_t off = base + j * hw;
        norm_plane(a->y, a->x, hw, scale, shift, a->f, off);
    }
}

void gnorm_forward_fused(Shape4 s, int groups, float *y, float *mean, float *rstd,
                         const float *x, const float *gamma, const float *beta,
                         float eps, const NormFusion *f, Pool *pool)
{
    assert(s.n > 0 && s.c > 0 && s.h > 0 && s.w > 0 && eps > 0.0f);
    assert(groups > 0 && s.c % groups == 0);
    GnForward a = {s, groups, y, mean, rstd, x, gamma, beta, eps, f};
    pool_run(pool, (size_t)s.n * (size_t)groups, gn_forward_group, &a);
}

void gnorm_forward(Shape4 s, int groups, float *y, float *mean, float *rstd,
                   const float *x, const float *gamma, const float *beta, float eps,
                   Pool *pool)
{
    gnorm_forward_fused(s, groups, y, mean, rstd, x, gamma, beta, eps, &plain, pool);
}

typedef struct {
    Shape4 s;
    int groups;
    float *dx, *dgamma, *dbeta;
    NormGrad d;
    const NormFusion *f;
    const float *x, *mean, *rstd, *gamma;
} GnBackward;

/* dx for one (sample, group): the gradient of xhat is gamma[c] * dy, so the sums
 * are taken channel by channel and weighted by gamma[c]. */
static void gn_backward_group(void *ctx, size_t chunk, int worker)
{
    (void)worker;
    const GnBackward *a = ctx;
    size_t hw = (size_t)a->s.h * (size_t)a->s.w;
    size_t cpg = (size_t)(a->s.c / a->groups);
    size_t c0 = (chunk % (size_t)a->groups) * cpg;
    size_t base = chunk * cpg * hw;
    float mean = a->mean[chunk], rstd = a->rstd[chunk];
    double g = 0.0, gxhat = 0.0;
    for (size_t j = 0; j < cpg; j++) {
        GradSums ch = {{0.0}, {0.0}};
        size_t off = base + j * hw;
        NormGrad d = grad_for_plane(&a->d, a->f, a->gamma, c0 + j, mean, rstd);
        add_grad_sums(&ch, &d, off, a->x + off, hw, mean, rstd);
        g += (double)a->gamma[c0 + j] * lanes_total(ch.g);
        gxhat += (double)a->gamma[c0 + j] * lanes_total(ch.gxhat);
    }
    double count = (double)(cpg * hw);
    float g_mean = (float)(g / count), gxhat_mean = (float)(gxhat / count);
    for (size_t j = 0; j < cpg; j++) {
        size_t off = base + j * hw;
        NormGrad d = grad_for_plane(&a->d, a->f, a->gamma, c0 + j, mean, rstd);
        add_dx(a->dx + off, &d, off, a->x + off, hw, mean, rstd, a->gamma[c0 + j],
               g_mean, gxhat_mean, a->f->zero_dx);
    }
}

/* dgamma and dbeta for one channel, summed over the samples in order. */
static void gn_backward_channel(void *ctx, size_t c, int worker)
{
    (void)worker;
    const GnBackward *a = ctx;
    size_t hw = (size_t)a->s.h * (size_t)a->s.w;
    size_t g = c / (size_t)(a->s.c / a->groups);
    GradSums sums = {{0.0}, {0.0}};
    for (size_t b = 0; b < (size_t)a->s.n; b++) {
        size_t off = (b * (size_t)a->s.c + c) * hw;
        size_t stat = b * (size_t)a->groups + g;
        float mean = a->mean[stat], rstd = a->rstd[stat];
        NormGrad d = grad_for_plane(&a->d, a->f, a->gamma, c, mean, rstd);
        add_grad_sums(&sums, &d, off, a->x + off, hw, mean, rstd);
    }
    a->dbeta[c] += (float)lanes_total(sums.g);
    a->dgamma[c] += (float)lanes_total(sums.gxhat);
}

void gnorm_backward_fused(Shape4 s, int groups, float *dx, float *dgamma,
                          float *dbeta, const float *dy, const float *x,
                          const float *mean, const float *rstd, const float *gamma,
                          const NormFusion *f, Pool *pool)
{
    assert(s.n > 0 && s.c > 0 && s.h > 0 && s.w > 0);
    assert(groups > 0 && s.c % groups == 0);
    GnBackward a = {s, groups, dx, dgamma, dbeta, norm_grad(dy, f), f, x, mean, rstd,
                    gamma};
    pool_run(pool, (size_t)s.n * (size_t)groups, gn_backward_group, &a);
    pool_run(pool, (size_t)s.c, gn_backward_channel, &a);
}

void gnorm_backward(Shape4 s, int groups, float *dx, float *dgamma, float *dbeta,
                    const float *dy, const float *x, const float *mean,
                    const float *rstd, const float *gamma, Pool *pool)
{
    gnorm_backward_fused(s, groups, dx, dgamma, dbeta, dy, x, mean, rstd, gamma, &plain,
                         pool);
}
