/* layer.c - the layer table: shape planning, initialisation and the forward and
 * backward passes of each kind, dispatching to the kernels. Elementwise kinds are
 * split into fixed ranges of elements and pooling kinds into samples, so the split
 * depends on the problem, never on the thread count. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "kernels/norm.h"
#include "kernels/ops.h"
#include "kernels/whiten.h"
#include "nn/layer.h"

/* Elements per chunk of an elementwise pass: large enough to amortise a chunk
 * claim, small enough that two workers share the work evenly. */
#define LAYER_RANGE_CHUNK 32768

static Shape4 with_n(Shape4 s, int n)
{
    s.n = n;
    return s;
}

static size_t per_sample(Shape4 s)
{
    return (size_t)s.c * (size_t)s.h * (size_t)s.w;
}

/* --- running a function over ranges or samples on the pool ----------------------- */

typedef struct {
    const Layer *l;
    const LayerCtx *ctx;
    const float *x, *x2;
    float *dx, *dx2;
    size_t total;   /* elements (ranges) or samples */
    void (*fn)(const void *job, size_t first, size_t count);
} Job;

static void range_task(void *arg, size_t chunk, int worker)
{
    (void)worker;
    const Job *job = arg;
    size_t first = chunk * LAYER_RANGE_CHUNK;
    size_t count = job->total - first < LAYER_RANGE_CHUNK ? job->total - first
                                                          : LAYER_RANGE_CHUNK;
    job->fn(job, first, count);
}

static void run_ranges(Job *job)
{
    size_t chunks = (job->total + LAYER_RANGE_CHUNK - 1) / LAYER_RANGE_CHUNK;
    pool_run(job->ctx->pool, chunks, range_task, job);
}

static void sample_task(void *arg, size_t chunk, int worker)
{
    (void)worker;
    const Job *job = arg;
    job->fn(job, chunk, 1);
}

static void run_samples(Job *job)
{
    pool_run(job->ctx->pool, job->total, sample_task, job);
}

static size_t elements(const Layer *l, const LayerCtx *ctx)
{
    return per_sample(l->out_shape) * (size_t)ctx->n;
}

size_t layer_count_params(const Layer *l)
{
    return l->nparams + (layer_ops[l->kind].fit ? l->nstats : 0);
}

/* --- conv ---------------------------------------------------------------------- */

ConvShape layer_conv_shape(const Layer *l, int n)
{
    return (ConvShape){.n = n, .cin = l->in_shape.c, .h = l->in_shape.h,
                       .w = l->in_shape.w, .cout = l->cout, .k = l->k,
                       .pad = l->pad};
}

static size_t conv_scratch(const Layer *l, int nthreads)
{
    ConvShape cs = layer_conv_shape(l, l->in_shape.n);
    return conv2d_scratch_floats(&cs, nthreads);
}

static size_t no_scratch(const Layer *l, int nthreads)
{
    (void)l;
    (void)nthreads;
    return 0;
}

static Status conv_plan(Layer *l, Shape4 in2, Error *err)
{
    (void)in2;
    Shape4 in = l->in_shape;
    int oh = in.h + 2 * l->pad - l->k + 1, ow = in.w + 2 * l->pad - l->k + 1;
    if (l->k < 1 || l->pad < 0 || l->cout < 1 || oh < 1 || ow < 1)
        return error_set(err, STATUS_USAGE,
                         "layer %s: a %dx%d kernel with padding %d does not fit a "
                         "%dx%d input", l->name, l->k, l->k, l->pad, in.h, in.w);
    l->out_shape = (Shape4){in.n, l->cout, oh, ow};
    l->nparams = (size_t)l->cout * (size_t)in.c * (size_t)l->k * (size_t)l->k;
    return STATUS_OK;
}

/* PyTorch's default: kaiming_uniform with a = sqrt(5), i.e. U(-b, b) with
 * b = 1/sqrt(fan_in). */
static void conv_init(Layer *l, Rng *rng)
{
    float bound = 1.0f / sqrtf((float)(l->in_shape.c * l->k * l->k));
    for (size_t i = 0; i < l->nparams; i++)
        l->param[i] = (2.0f * rng_uniform(rng) - 1.0f) * bound;
}

static void conv_forward(Layer *l, const float *x, const float *x2,
                         const LayerCtx *ctx)
{
    (void)x2;
    ConvShape cs = layer_conv_shape(l, ctx->n);
    ctx->conv_forward(&cs, l->y, x, l->param, ctx->scratch, ctx->pool);
}

static void conv_backward(Layer *l, float *dx, float *dx2, const float *x,
                          const LayerCtx *ctx)
{
    (void)dx2;
    ConvShape cs = layer_conv_shape(l, ctx->n);
    ctx->conv_backward(&cs, dx, ctx->zero_dx, l->dparam, l->dy, x, l->param,
                       ctx->scratch, ctx->pool);
}

static double conv_macs(const Layer *l)
{
    return (double)l->nparams * (double)l->out_shape.h * (double)l->out_shape.w;
}

static double no_macs(const Layer *l)
{
    (void)l;
    return 0.0;
}

/* --- whiten: a conv whose weights (its statistics) are fitted, never trained --- */

static size_t whiten_weights(const Layer *l)
{
    return (size_t)l->cout * (size_t)l->in_shape.c * (size_t)l->k * (size_t)l->k;
}

static Status whiten_plan(Layer *l, Shape4 in2, Error *err)
{
    Shape4 in = l->in_shape;
    if (l->in != LAYER_INPUT)
        return error_set(err, STATUS_USAGE, "layer %s: whiten must read the network's "
                         "input (it is fitted to the images)", l->name);
    if (in.c * l->k * l->k > WHITEN_MAX_DIM)
        return error_set(err, STATUS_USAGE, "layer %s: a %dx%d whitening of %d "
                         "channels has %d dimensions, over the %d it takes", l->name,
                         l->k, l->k, in.c, in.c * l->k * l->k, WHITEN_MAX_DIM);
    l->cout = 2 * in.c * l->k * l->k;
    Status st = conv_plan(l, in2, err);
    l->nstats = l->nparams;
    l->nparams = 0;
    return st;
}

/* Until fitted, weights as a conv's: a model that is never fitted (a test's) still
 * passes something through. */
static void whiten_init(Layer *l, Rng *rng)
{
    float bound = 1.0f / sqrtf((float)(l->in_shape.c * l->k * l->k));
    for (size_t i = 0; i < l->nstats; i++)
        l->stats[i] = (2.0f * rng_uniform(rng) - 1.0f) * bound;
}

static void whiten_fit_layer(Layer *l, const float *x, int n)
{
    Shape4 s = l->in_shape;
    whiten_fit(x, n, s.c, s.h, s.w, l->k, l->stats);
}

/* The dropped weight gradient's floats at the head of the scratch, rounded up to
 * 64 bytes so that the conv's scratch after it keeps its alignment. */
static size_t whiten_dw_floats(const Layer *l)
{
    return (whiten_weights(l) + 15) / 16 * 16;
}

static size_t whiten_scratch(const Layer *l, int nthreads)
{
    return whiten_dw_floats(l) + conv_scratch(l, nthreads);
}

static void whiten_forward(Layer *l, const float *x, const float *x2,
                           const LayerCtx *ctx)
{
    (void)x2;
    ConvShape cs = layer_conv_shape(l, ctx->n);
    ctx->conv_forward(&cs, l->y, x, l->stats, ctx->scratch, ctx->pool);
}

/* Only dx, when asked for (a model never asks: the layer reads its input); the
 * weights' gradient goes to scratch and is dropped. */
static void whiten_backward(Layer *l, float *dx, float *dx2, const float *x,
                            const LayerCtx *ctx)
{
    (void)dx2;
    if (!dx)
        return;
    ConvShape cs = layer_conv_shape(l, ctx->n);
    float *dw = ctx->scratch;
    memset(dw, 0, whiten_weights(l) * sizeof *dw);
    ctx->conv_backward(&cs, dx, ctx->zero_dx, dw, l->dy, x, l->stats,
                       ctx->scratch + whiten_dw_floats(l), ctx->pool);
}

static double whiten_macs(const Layer *l)
{
    return (double)l->nstats * (double)l->out_shape.h * (double)l->out_shape.w;
}

/* --- norms --------------------------------------------------------------------- */

static Status bnorm_plan(Layer *l, Shape4 in2, Error *err)
{
    (void)in2;
    (void)err;
    l->out_shape = l->in_shape;
    l->nparams = 2 * (size_t)l->in_shape.c;
    l->nsaved = 2 * (size_t)l->in_shape.c;
    l->nstats = 2 * (size_t)l->in_shape.c;
    return STATUS_OK;
}

static Status gnorm_plan(Layer *l, Shape4 in2, Error *err)
{
    (void)in2;
    int c = l->in_shape.c;
    if (l->groups < 1 || c % l->groups != 0)
        return error_set(err, STATUS_USAGE,
                         "layer %s: %d channels cannot be split into %d groups "
                         "(--groups must divide every norm layer's channels)",
                         l->name, c, l->groups);
    l->out_shape = l->in_shape;
    l->nparams = 2 * (size_t)c;
    l->nsaved = 2 * (size_t)l->in_shape.n * (size_t)l->groups;
    return STATUS_OK;
}

/* Scale 1, shift 0; running mean 0, running variance 1. */
static void norm_init(Layer *l, Rng *rng)
{
    (void)rng;
    size_t c = (size_t)l->in_shape.c;
    for (size_t i = 0; i < c; i++) {
        l->param[i] = 1.0f;
        l->param[c + i] = 0.0f;
    }
    for (size_t i = 0; i < l->nstats / 2; i++) {
        l->stats[i] = 0.0f;
        l->stats[c + i] = 1.0f;
    }
}

/* Where a norm's forward writes: its own output, or with a ReLU fused after it, the
 * ReLU's. */
static float *norm_out(const Layer *l, const LayerCtx *ctx)
{
    return ctx->fusion.relu ? ctx->relu_out : l->y;
}

/* The gradient a norm's backward starts from: its own, or with a ReLU fused after
 * it, the one at the end of the ReLU's chain. */
static const float *grad_in(const Layer *l, const LayerCtx *ctx)
{
    return ctx->fusion.relu ? ctx->relu_dy : l->dy;
}

static void bnorm_fwd(Layer *l, const float *x, const float *x2, const LayerCtx *ctx)
{
    (void)x2;
    Shape4 s = with_n(l->in_shape, ctx->n);
    size_t c = (size_t)s.c;
    if (ctx->training)
        bnorm_forward_train_fused(s, norm_out(l, ctx), l->saved, l->saved + c,
                                  l->stats, l->stats + c, x, l->param, l->param + c,
                                  LAYER_NORM_EPS, LAYER_BN_MOMENTUM, &ctx->fusion,
                                  ctx->pool);
    else
        bnorm_forward_eval_fused(s, norm_out(l, ctx), x, l->param, l->param + c,
                                 l->stats, l->stats + c, LAYER_NORM_EPS, &ctx->fusion,
                                 ctx->pool);
}

static void bnorm_bwd(Layer *l, float *dx, float *dx2, const float *x,
                      const LayerCtx *ctx)
{
    (void)dx2;
    assert(ctx->training);
    Shape4 s = with_n(l->in_shape, ctx->n);
    size_t c = (size_t)s.c;
    NormFusion f = ctx->fusion;
    f.zero_dx = ctx->zero_dx;
    f.beta = l->param + c;
    bnorm_backward_fused(s, dx, l->dparam, l->dparam + c, grad_in(l, ctx), x,
                         l->saved, l->saved + c, l->param, &f, ctx->pool);
}

/* mean[N][G] then rstd[N][G], laid out for the planned batch size. */
static void gnorm_fwd(Layer *l, const float *x, const float *x2, const LayerCtx *ctx)
{
    (void)x2;
    Shape4 s = with_n(l->in_shape, ctx->n);
    size_t c = (size_t)s.c, ng = (size_t)l->in_shape.n * (size_t)l->groups;
    gnorm_forward_fused(s, l->groups, norm_out(l, ctx), l->saved, l->saved + ng, x,
                        l->param, l->param + c, LAYER_NORM_EPS, &ctx->fusion,
                        ctx->pool);
}

static void gnorm_bwd(Layer *l, float *dx, float *dx2, const float *x,
                      const LayerCtx *ctx)
{
    (void)dx2;
    Shape4 s = with_n(l->in_shape, ctx->n);
    size_t c = (size_t)s.c, ng = (size_t)l->in_shape.n * (size_t)l->groups;
    NormFusion f = ctx->fusion;
    f.zero_dx = ctx->zero_dx;
    f.beta = l->param + c;
    gnorm_backward_fused(s, l->groups, dx, l->dparam, l->dparam + c, grad_in(l, ctx),
                         x, l->saved, l->saved + ng, l->param, &f, ctx->pool);
}

/* --- elementwise: relu, dropout, add ------------------------------------------- */

static Status same_plan(Layer *l, Shape4 in2, Error *err)
{
    (void)in2;
    (void)err;
    l->out_shape = l->in_shape;
    return STATUS_OK;
}

static void no_init(Layer *l, Rng *rng)
{
    (void)l;
    (void)rng;
}

static void relu_fwd_range(const void *arg, size_t first, size_t count)
{
    const Job *j = arg;
    relu_forward(count, j->l->y + first, j->x + first);
}

static void relu_bwd_range(const void *arg, size_t first, size_t count)
{
    const Job *j = arg;
    relu_backward(count, j->dx + first, j->l->dy + first, j->l->y + first);
}

static void relu_fwd(Layer *l, const float *x, const float *x2, const LayerCtx *ctx)
{
    (void)x2;
    Job job = {.l = l, .ctx = ctx, .x = x, .total = elements(l, ctx),
               .fn = relu_fwd_range};
    run_ranges(&job);
}

static void relu_bwd(Layer *l, float *dx, float *dx2, const float *x,
                     const LayerCtx *ctx)
{
    (void)dx2;
    (void)x;
    Job job = {.l = l, .ctx = ctx, .dx = dx, .total = elements(l, ctx),
               .fn = relu_bwd_range};
    run_ranges(&job);
}

static Status dropout_plan(Layer *l, Shape4 in2, Error *err)
{
    if (!(l->p >= 0.0f && l->p < 1.0f))
        return error_set(err, STATUS_USAGE, "layer %s: dropout %g is not in [0, 1)",
                         l->name, (double)l->p);
    return same_plan(l, in2, err);
}

static void dropout_fwd_range(const void *arg, size_t first, size_t count)
{
    const Job *j = arg;
    dropout_forward(count, first, j->l->y + first, j->x + first, j->l->p,
                    j->ctx->dropout_key);
}

static void dropout_bwd_range(const void *arg, size_t first, size_t count)
{
    const Job *j = arg;
    dropout_backward(count, first, j->dx + first, j->l->dy + first, j->l->p,
                     j->ctx->dropout_key);
}

/* Evaluation: the identity (dropout_fwd does nothing when the layer works in
 * place). */
static void copy_range(const void *arg, size_t first, size_t count)
{
    const Job *j = arg;
    memcpy(j->l->y + first, j->x + first, count * sizeof(float));
}

static void dropout_fwd(Layer *l, const float *x, const float *x2,
                        const LayerCtx *ctx)
{
    (void)x2;
    if (!ctx->training && l->y == x)
        return;
    Job job = {.l = l, .ctx = ctx, .x = x, .total = elements(l, ctx),
               .fn = ctx->training ? dropout_fwd_range : copy_range};
    run_ranges(&job);
}

static void dropout_bwd(Layer *l, float *dx, float *dx2, const float *x,
                        const LayerCtx *ctx)
{
    (void)dx2;
    (void)x;
    assert(ctx->training);
    Job job = {.l = l, .ctx = ctx, .dx = dx, .total = elements(l, ctx),
               .fn = dropout_bwd_range};
    run_ranges(&job);
}

static Status add_plan(Layer *l, Shape4 in2, Error *err)
{
    if (!shape4_equal(l->in_shape, in2))
        return error_set(err, STATUS_USAGE,
                         "layer %s: skip-add of %dx%dx%d and %dx%dx%d (shapes must "
                         "match)", l->name, l->in_shape.c, l->in_shape.h,
                         l->in_shape.w, in2.c, in2.h, in2.w);
    return same_plan(l, in2, err);
}

static void add_fwd_range(const void *arg, size_t first, size_t count)
{
    const Job *j = arg;
    add_forward(count, j->l->y + first, j->x + first, j->x2 + first);
}

/* Zeroes dst[first .. first + count) when ctx asks (LayerOps.zeroes_dx). */
static void zero_part(float *dst, bool zero, size_t first, size_t count)
{
    if (zero)
        memset(dst + first, 0, count * sizeof *dst);
}

static void add_bwd_range(const void *arg, size_t first, size_t count)
{
    const Job *j = arg;
    zero_part(j->dx, j->ctx->zero_dx, first, count);
    zero_part(j->dx2, j->ctx->zero_dx2, first, count);
    add_backward(count, j->dx + first, j->dx2 + first, j->l->dy + first);
}

static void add_fwd(Layer *l, const float *x, const float *x2, const LayerCtx *ctx)
{
    Job job = {.l = l, .ctx = ctx, .x = x, .x2 = x2, .total = elements(l, ctx),
               .fn = add_fwd_range};
    run_ranges(&job);
}

static void add_bwd(Layer *l, float *dx, float *dx2, const float *x,
                    const LayerCtx *ctx)
{
    (void)x;
    Job job = {.l = l, .ctx = ctx, .dx = dx, .dx2 = dx2, .total = elements(l, ctx),
               .fn = add_bwd_range};
    run_ranges(&job);
}

/* --- pooling ------------------------------------------------------------------- */

static Status maxpool_plan(Layer *l, Shape4 in2, Error *err)
{
    (void)in2;
    Shape4 in = l->in_shape;
    if (in.h < 2 || in.w < 2)
        return error_set(err, STATUS_USAGE, "layer %s: cannot max-pool a %dx%d map",
                         l->name, in.h, in.w);
    l->out_shape = (Shape4){in.n, in.c, in.h / 2, in.w / 2};
    return STATUS_OK;
}

static void maxpool_fwd_sample(const void *arg, size_t i, size_t count)
{
    const Job *j = arg;
    Shape4 xs = with_n(j->l->in_shape, (int)count);
    maxpool2_forward(xs, j->l->y + i * per_sample(j->l->out_shape),
                     j->x + i * per_sample(xs));
}

static void maxpool_bwd_sample(const void *arg, size_t i, size_t count)
{
    const Job *j = arg;
    Shape4 xs = with_n(j->l->in_shape, (int)count);
    size_t xo = i * per_sample(xs), yo = i * per_sample(j->l->out_shape);
    zero_part(j->dx, j->ctx->zero_dx, xo, per_sample(xs));
    maxpool2_backward(xs, j->dx + xo, j->l->dy + yo, j->x + xo, j->l->y + yo);
}

static void maxpool_fwd(Layer *l, const float *x, const float *x2,
                        const LayerCtx *ctx)
{
    (void)x2;
    Job job = {.l = l, .ctx = ctx, .x = x, .total = (size_t)ctx->n,
               .fn = maxpool_fwd_sample};
    run_samples(&job);
}

static void maxpool_bwd(Layer *l, float *dx, float *dx2, const float *x,
                        const LayerCtx *ctx)
{
    (void)dx2;
    Job job = {.l = l, .ctx = ctx, .x = x, .dx = dx, .total = (size_t)ctx->n,
               .fn = maxpool_bwd_sample};
    run_samples(&job);
}

static Status avgpool2_plan(Layer *l, Shape4 in2, Error *err)
{
    (void)in2;
    Shape4 in = l->in_shape;
    if (in.h < 2 || in.w < 2)
        return error_set(err, STATUS_USAGE, "layer %s: cannot average-pool a %dx%d "
                         "map", l->name, in.h, in.w);
    l->out_shape = (Shape4){in.n, in.c, in.h / 2, in.w / 2};
    return STATUS_OK;
}

static void avgpool2_fwd_sample(const void *arg, size_t i, size_t count)
{
    const Job *j = arg;
    Shape4 xs = with_n(j->l->in_shape, (int)count);
    avgpool2_forward(xs, j->l->y + i * per_sample(j->l->out_shape),
                     j->x + i * per_sample(xs));
}

/* The whole sample is zeroed when asked, with the odd last row or column that no
 * window covers. */
static void avgpool2_bwd_sample(const void *arg, size_t i, size_t count)
{
    const Job *j = arg;
    Shape4 xs = with_n(j->l->in_shape, (int)count);
    size_t at = i * per_sample(xs);
    zero_part(j->dx, j->ctx->zero_dx, at, per_sample(xs));
    avgpool2_backward(xs, j->dx + at, j->l->dy + i * per_sample(j->l->out_shape));
}

static void avgpool2_fwd(Layer *l, const float *x, const float *x2,
                         const LayerCtx *ctx)
{
    (void)x2;
    Job job = {.l = l, .ctx = ctx, .x = x, .total = (size_t)ctx->n,
               .fn = avgpool2_fwd_sample};
    run_samples(&job);
}

static void avgpool2_bwd(Layer *l, float *dx, float *dx2, const float *x,
                         const LayerCtx *ctx)
{
    (void)dx2;
    (void)x;
    Job job = {.l = l, .ctx = ctx, .dx = dx, .total = (size_t)ctx->n,
               .fn = avgpool2_bwd_sample};
    run_samples(&job);
}

static Status avgpool_plan(Layer *l, Shape4 in2, Error *err)
{
    (void)in2;
    (void)err;
    l->out_shape = (Shape4){l->in_shape.n, l->in_shape.c, 1, 1};
    return STATUS_OK;
}

static void avgpool_fwd_sample(const void *arg, size_t i, size_t count)
{
    const Job *j = arg;
    Shape4 xs = with_n(j->l->in_shape, (int)count);
    avgpool_forward(xs, j->l->y + i * per_sample(j->l->out_shape),
                    j->x + i * per_sample(xs));
}

static void avgpool_bwd_sample(const void *arg, size_t i, size_t count)
{
    const Job *j = arg;
    Shape4 xs = with_n(j->l->in_shape, (int)count);
    zero_part(j->dx, j->ctx->zero_dx, i * per_sample(xs), per_sample(xs));
    avgpool_backward(xs, j->dx + i * per_sample(xs),
                     j->l->dy + i * per_sample(j->l->out_shape));
}

static void avgpool_fwd(Layer *l, const float *x, const float *x2,
                        const LayerCtx *ctx)
{
    (void)x2;
    Job job = {.l = l, .ctx = ctx, .x = x, .total = (size_t)ctx->n,
               .fn = avgpool_fwd_sample};
    run_samples(&job);
}

static void avgpool_bwd(Layer *l, float *dx, float *dx2, const float *x,
                        const LayerCtx *ctx)
{
    (void)dx2;
    (void)x;
    Job job = {.l = l, .ctx = ctx, .dx = dx, .total = (size_t)ctx->n,
               .fn = avgpool_bwd_sample};
    run_samples(&job);
}

/* Sized by its entries, so that the assert below catches a missing last kind; a
 * test finds any entry left without a function (model tests catch a wrong flag). */
const LayerOps layer_ops[] = {
    [LAYER_CONV2D] = {.name = "conv2d", .plan = conv_plan, .init = conv_init,
                      .forward = conv_forward, .backward = conv_backward,
                      .macs = conv_macs, .scratch = conv_scratch, .decay = true,
                      .conv = true, .zeroes_dx = true, .input_grad_optional = true},
    [LAYER_BNORM] = {.name = "batchnorm", .plan = bnorm_plan, .init = norm_init,
                     .forward = bnorm_fwd, .backward = bnorm_bwd, .macs = no_macs,
                     .scratch = no_scratch, .zeroes_dx = true,
                     .fuse = LAYER_FUSE_NORM},
    [LAYER_GNORM] = {.name = "groupnorm", .plan = gnorm_plan, .init = norm_init,
                     .forward = gnorm_fwd, .backward = gnorm_bwd, .macs = no_macs,
                     .scratch = no_scratch, .zeroes_dx = true,
                     .fuse = LAYER_FUSE_NORM},
    [LAYER_RELU] = {.name = "relu", .plan = same_plan, .init = no_init,
                    .forward = relu_fwd, .backward = relu_bwd, .macs = no_macs,
                    .scratch = no_scratch, .elementwise_in_place = true,
                    .backward_reads_y = true, .backward_reads_y_positive = true,
                    .fuse = LAYER_FUSE_RELU},
    [LAYER_DROPOUT] = {.name = "dropout", .plan = dropout_plan, .init = no_init,
                       .forward = dropout_fwd, .backward = dropout_bwd,
                       .macs = no_macs, .scratch = no_scratch,
                       .elementwise_in_place = true, .keeps_positive = true,
                       .fuse = LAYER_FUSE_DROPOUT},
    [LAYER_MAXPOOL2] = {.name = "maxpool2", .plan = maxpool_plan, .init = no_init,
                        .forward = maxpool_fwd, .backward = maxpool_bwd,
                        .macs = no_macs, .scratch = no_scratch, .zeroes_dx = true,
                        .backward_reads_y = true},
    [LAYER_AVGPOOL] = {.name = "avgpool", .plan = avgpool_plan, .init = no_init,
                       .forward = avgpool_fwd, .backward = avgpool_bwd,
                       .macs = no_macs, .scratch = no_scratch, .zeroes_dx = true},
    [LAYER_ADD] = {.name = "add", .plan = add_plan, .init = no_init,
                   .forward = add_fwd, .backward = add_bwd, .macs = no_macs,
                   .scratch = no_scratch, .two_inputs = true, .zeroes_dx = true},
    [LAYER_AVGPOOL2] = {.name = "avgpool2", .plan = avgpool2_plan, .init = no_init,
                        .forward = avgpool2_fwd, .backward = avgpool2_bwd,
                        .macs = no_macs, .scratch = no_scratch, .zeroes_dx = true},
    [LAYER_WHITEN] = {.name = "whiten", .plan = whiten_plan, .init = whiten_init,
                      .forward = whiten_forward, .backward = whiten_backward,
                      .macs = whiten_macs, .scratch = whiten_scratch,
                      .fit = whiten_fit_layer, .zeroes_dx = true,
                      .input_grad_optional = true},
};
_Static_assert(sizeof layer_ops / sizeof layer_ops[0] == LAYER_KIND_COUNT,
               "layer_ops needs an entry for every LayerKind");
