/* test_layer.c - a finite-difference gradient check of every layer kind, looped over
 * the layer table (a kind without a test configuration fails), on tiny tensors with
 * loss = sum r_i * y_i for random r; accumulation (backward twice doubles); and a
 * table entry for every kind, with every operation. */
#include <stdlib.h>
#include <string.h>
#include "nn/layer.h"
#include "test.h"

/* Central-difference step: large enough that float32 rounding of the loss (about
 * 1e-7 relative over ~100 terms) stays far below the difference, small enough that
 * the O(h^2) truncation error of the norms stays below the tolerance. */
#define GRAD_STEP 3e-3
/* |numeric - analytic| <= GRAD_ATOL + GRAD_RTOL * |analytic|: float32 forward passes
 * give numeric gradients good to about 1e-3 absolute at this step. */
#define GRAD_ATOL 3e-3
#define GRAD_RTOL 2e-2

typedef struct {
    Layer l;
    float *x, *x2, *dx, *dx2, *r;
    size_t nx, ny;
    float *scratch;
} Case;

/* Configure a small layer of each kind: at most 16 values per norm statistic. */
static int configure(Layer *l, LayerKind kind, Shape4 *in)
{
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->in = LAYER_INPUT;
    l->in2 = LAYER_INPUT;
    snprintf(l->name, sizeof l->name, "%s", layer_ops[kind].name);
    *in = (Shape4){2, 4, 3, 3};
    switch (kind) {
    case LAYER_CONV2D:
        *in = (Shape4){2, 3, 5, 4};
        l->cout = 2, l->k = 3, l->pad = 1;
        return 1;
    case LAYER_BNORM:
        *in = (Shape4){3, 2, 2, 2};   /* 12 values per channel */
        return 1;
    case LAYER_GNORM:
        *in = (Shape4){2, 4, 2, 3};   /* 2 groups: 12 values per statistic */
        l->groups = 2;
        return 1;
    case LAYER_DROPOUT:
        l->p = 0.3f;
        return 1;
    case LAYER_MAXPOOL2:
    case LAYER_AVGPOOL2:
        *in = (Shape4){2, 2, 5, 4};
        return 1;
    case LAYER_WHITEN:
        *in = (Shape4){2, 2, 4, 3};   /* 2x2 patches of 2 channels: 16 outputs */
        l->k = 2, l->pad = 1;
        return 1;
    case LAYER_RELU:
    case LAYER_AVGPOOL:
    case LAYER_ADD:
        return 1;
    default:
        return 0;
    }
}

static float *randoms(size_t n, Rng *rng, float scale)
{
    float *v = malloc(n * sizeof *v + sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i] = scale * rng_normal(rng);
        /* Keep ReLU and max-pool away from their kinks. */
        if (fabsf(v[i]) < 0.05f)
            v[i] += v[i] < 0 ? -0.1f : 0.1f;
    }
    return v;
}

static int setup(Case *c, LayerKind kind, Rng *rng)
{
    Shape4 in;
    memset(c, 0, sizeof *c);
    if (!configure(&c->l, kind, &in)) {
        fprintf(stderr, "  no gradient-check configuration for %s\n",
                layer_ops[kind].name);
        return 1;
    }
    Layer *l = &c->l;
    l->in_shape = in;
    Error err;
    if (layer_ops[kind].plan(l, in, &err) != STATUS_OK) {
        fprintf(stderr, "  plan: %s\n", err.msg);
        return 1;
    }
    c->nx = shape4_count(in);
    c->ny = shape4_count(l->out_shape);
    c->x = randoms(c->nx, rng, 1.0f);
    c->x2 = randoms(c->nx, rng, 1.0f);
    c->dx = calloc(c->nx, sizeof(float));
    c->dx2 = calloc(c->nx, sizeof(float));
    c->r = randoms(c->ny, rng, 1.0f);
    l->param = randoms(l->nparams, rng, 0.5f);
    for (size_t i = 0; kind != LAYER_CONV2D && i < l->nparams / 2; i++)
        l->param[i] += 1.0f;   /* norm scales near 1 */
    l->dparam = calloc(l->nparams + 1, sizeof(float));
    l->saved = calloc(l->nsaved + 1, sizeof(float));
    l->stats = calloc(l->nstats + 1, sizeof(float));
    if (layer_ops[kind].fit)   /* fitted weights: any will do for the gradient */
        test_fill_normal(rng, l->stats, l->nstats, 0.0f);
    l->y = calloc(c->ny, sizeof(float));
    l->dy = calloc(c->ny, sizeof(float));
    c->scratch = calloc(layer_ops[kind].scratch(l, 1) + 1, sizeof(float));
    return 0;
}

static void teardown(Case *c)
{
    free(c->x), free(c->x2), free(c->dx), free(c->dx2), free(c->r);
    free(c->l.param), free(c->l.dparam), free(c->l.saved), free(c->l.stats);
    free(c->l.y), free(c->l.dy), free(c->scratch);
}

static LayerCtx context(Case *c, int blocked)
{
    return (LayerCtx){.pool = NULL, .scratch = c->scratch,
                      .conv_forward = blocked ? conv2d_forward_blocked
                                              : conv2d_forward_naive,
                      .conv_backward = blocked ? conv2d_backward_blocked
                                               : conv2d_backward_naive,
                      .training = true, .n = c->l.in_shape.n,
                      .dropout_key = 0x5eedULL};
}

static double loss(Case *c, const LayerCtx *ctx)
{
    layer_ops[c->l.kind].forward(&c->l, c->x, c->x2, ctx);
    double s = 0.0;
    for (size_t i = 0; i < c->ny; i++)
        s += (double)c->r[i] * (double)c->l.y[i];
    return s;
}

/* Compare analytic grad[i] with the central difference of the loss in v[i]. */
static int check_grad(Case *c, const LayerCtx *ctx, float *v, const float *grad,
                      size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        float saved = v[i];
        v[i] = saved + (float)GRAD_STEP;
        double up = loss(c, ctx);
        v[i] = saved - (float)GRAD_STEP;
        double down = loss(c, ctx);
        v[i] = saved;
        double numeric = (up - down) / (2.0 * GRAD_STEP);
        if (!(fabs(numeric - (double)grad[i]) <= GRAD_ATOL + GRAD_RTOL * fabs(numeric))) {
            fprintf(stderr, "  %s %s[%zu]: analytic %.6g, numeric %.6g\n",
                    c->l.name, what, i, (double)grad[i], numeric);
            return 1;
        }
    }
    return 0;
}

static void run_backward(Case *c, const LayerCtx *ctx)
{
    memcpy(c->l.dy, c->r, c->ny * sizeof(float));
    layer_ops[c->l.kind].backward(&c->l, c->dx, c->dx2, c->x, ctx);
}

static int check_kind(LayerKind kind, int blocked)
{
    Rng rng;
    rng_seed(&rng, 42 + (uint64_t)kind, RNG_STREAM_TEST);
    Case c;
    if (setup(&c, kind, &rng))
        return 1;
    LayerCtx ctx = context(&c, blocked);
    loss(&c, &ctx);
    run_backward(&c, &ctx);
    int bad = check_grad(&c, &ctx, c.x, c.dx, c.nx, "dx");
    if (!bad && kind == LAYER_ADD)
        bad = check_grad(&c, &ctx, c.x2, c.dx2, c.nx, "dx2");
    if (!bad)
        bad = check_grad(&c, &ctx, c.l.param, c.l.dparam, c.l.nparams, "dparam");
    teardown(&c);
    return bad;
}

static int test_layer_gradients(void)
{
    int bad = 0;
    for (int k = 0; k < LAYER_KIND_COUNT; k++)
        bad |= check_kind((LayerKind)k, 0);
    bad |= check_kind(LAYER_CONV2D, 1);
    return bad;
}

/* Backward twice must double every gradient: = where += was meant shows here. */
static int test_layer_backward_accumulates(void)
{
    for (int k = 0; k < LAYER_KIND_COUNT; k++) {
        Rng rng;
        rng_seed(&rng, 7, RNG_STREAM_TEST);
        Case c;
        CHECK(setup(&c, (LayerKind)k, &rng) == 0);
        LayerCtx ctx = context(&c, 0);
        loss(&c, &ctx);
        run_backward(&c, &ctx);
        float *once = malloc((c.nx + c.l.nparams + 1) * sizeof(float));
        memcpy(once, c.dx, c.nx * sizeof(float));
        memcpy(once + c.nx, c.l.dparam, c.l.nparams * sizeof(float));
        run_backward(&c, &ctx);
        int bad = 0;
        for (size_t i = 0; i < c.nx; i++)
            bad |= fabsf(c.dx[i] - 2.0f * once[i]) > 1e-5f * (1.0f + fabsf(once[i]));
        for (size_t i = 0; i < c.l.nparams; i++)
            bad |= fabsf(c.l.dparam[i] - 2.0f * once[c.nx + i]) >
                   1e-5f * (1.0f + fabsf(once[c.nx + i]));
        if (bad)
            fprintf(stderr, "  %s: backward twice did not double\n", c.l.name);
        free(once);
        teardown(&c);
        CHECK(!bad);
    }
    return 0;
}

/* The check can fail: a gradient off by 10% in one element (five times GRAD_RTOL)
 * must be caught. */
static int test_layer_gradient_check_fails(void)
{
    Rng rng;
    rng_seed(&rng, 3, RNG_STREAM_TEST);
    Case c;
    CHECK(setup(&c, LAYER_GNORM, &rng) == 0);
    LayerCtx ctx = context(&c, 0);
    loss(&c, &ctx);
    run_backward(&c, &ctx);
    size_t worst = 0;
    for (size_t i = 1; i < c.nx; i++)
        if (fabsf(c.dx[i]) > fabsf(c.dx[worst]))
            worst = i;
    c.dx[worst] *= 1.1f;
    fprintf(stderr, "  (a failure report is expected on the next line)\n");
    int bad = check_grad(&c, &ctx, c.x, c.dx, c.nx, "dx");
    teardown(&c);
    CHECK(bad);
    return 0;
}

/* Every kind has every operation: an entry left out of the table (or without one of
 * its functions) would be all zero and crash only when a model uses it. */
static int test_layer_table_complete(void)
{
    for (int k = 0; k < LAYER_KIND_COUNT; k++) {
        const LayerOps *o = &layer_ops[k];
        if (!o->name || !o->plan || !o->init || !o->forward || !o->backward ||
            !o->macs || !o->scratch) {
            fprintf(stderr, "  layer kind %d (%s) lacks an operation\n", k,
                    o->name ? o->name : "no name");
            return 1;
        }
    }
    return 0;
}

static int test_layer_add_rejects_shapes(void)
{
    Layer l;
    memset(&l, 0, sizeof l);
    l.kind = LAYER_ADD;
    l.in_shape = (Shape4){1, 4, 8, 8};
    Error err;
    CHECK(layer_ops[LAYER_ADD].plan(&l, (Shape4){1, 4, 8, 7}, &err) == STATUS_USAGE);
    CHECK(strstr(err.msg, "must match") != NULL);
    l.kind = LAYER_GNORM;
    l.groups = 3;
    CHECK(layer_ops[LAYER_GNORM].plan(&l, l.in_shape, &err) == STATUS_USAGE);
    CHECK(strstr(err.msg, "groups") != NULL);
    return 0;
}

const TestCase layer_tests[] = {
    {"layer_gradients", test_layer_gradients},
    {"layer_backward_accumulates", test_layer_backward_accumulates},
    {"layer_gradient_check_fails", test_layer_gradient_check_fails},
    {"layer_table_complete", test_layer_table_complete},
    {"layer_add_rejects_shapes", test_layer_add_rejects_shapes},
    {NULL, NULL},
};
