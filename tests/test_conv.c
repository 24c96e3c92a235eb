/* test_conv.c - tests of the conv module: hand-computed cases and PyTorch fixtures
 * for the naive oracle, a finite-difference gradient check, and the blocked path
 * against the naive one on awkward shapes with one and two threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/pool.h"
#include "base/rng.h"
#include "kernels/conv.h"
#include "test.h"

/* The fixtures hold float32 results of PyTorch's conv; sums of at most 45 products of
 * O(1) values differ by summation order only, a few float32 ulps of values up to ~20. */
#define FIXTURE_ATOL 1e-4
#define FIXTURE_RTOL 1e-4
/* Conv is linear in x and in w, so central differences carry no truncation error at
 * any step; a large step shrinks the float32 rounding of y (about 1e-7 relative)
 * divided by 2 * FD_STEP. Measured error stays below 1e-5; 1e-4 still catches a
 * gradient off by 0.1%. */
#define FD_STEP 0.5f
#define FD_ATOL 1e-4
#define FD_RTOL 1e-4
/* Blocked and naive sum the same products in different orders. A sum of T products
 * of N(0,1) values has rounding error below about T * 2^-24 * |largest partial sum|;
 * BLOCKED_ATOL_PER_TERM * T bounds that for partial sums up to ~20. */
#define BLOCKED_ATOL_PER_TERM 1e-6
#define BLOCKED_RTOL 1e-5
/* The naive kernel adds term by term into a gradient that already holds the first
 * call's result, so its rounding differs slightly from 2x (about one ulp per term
 * added, for at most a few hundred terms); the blocked one adds one finished sum per
 * element, which doubles exactly and is compared bit for bit. */
#define NAIVE_TWICE_RTOL 1e-5
#define NAIVE_TWICE_ATOL 1e-4
/* Threads used by the parallel runs: the machine's two cores. */
#define TEST_THREADS 2
/* Floats past the scratch the blocked path asked for; they must stay untouched. */
#define GUARD_FLOATS 64
#define GUARD_VALUE 12345.0f

static size_t count_x(const ConvShape *s)
{
    return (size_t)s->n * (size_t)s->cin * (size_t)s->h * (size_t)s->w;
}

static size_t count_y(const ConvShape *s)
{
    return (size_t)s->n * (size_t)s->cout * (size_t)conv_out_h(s) * (size_t)conv_out_w(s);
}

static size_t count_w(const ConvShape *s)
{
    return (size_t)s->cout * (size_t)s->cin * (size_t)s->k * (size_t)s->k;
}

static int all_equal(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* ---- hand-computed cases ------------------------------------------------------- */

static int test_conv_out_size(void)
{
    ConvShape s = {1, 1, 7, 5, 1, 3, 1};
    CHECK(conv_out_h(&s) == 7 && conv_out_w(&s) == 5);
    s.pad = 0;
    CHECK(conv_out_h(&s) == 5 && conv_out_w(&s) == 3);
    s.k = 1;
    s.pad = 2;
    CHECK(conv_out_h(&s) == 11 && conv_out_w(&s) == 9);
    return 0;
}

/* x = 1..9 in a 3x3 plane; an asymmetric kernel so that a flipped or transposed
 * kernel gives different numbers: y = x[-1][-1] + 2 x[-1][0] - x[+1][+1]. */
static const float hand_x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const float hand_w[9] = {1, 2, 0, 0, 0, 0, 0, 0, -1};

static int test_conv_naive_hand_pad0(void)
{
    ConvShape s = {1, 1, 3, 3, 1, 3, 0};
    float y = 0.0f;
    conv2d_forward_naive(&s, &y, hand_x, hand_w, NULL, NULL);
    CHECK(y == 1.0f + 4.0f - 9.0f);
    /* With dy = 2 the single output saw every input once: dw = 2 x, dx = 2 w. */
    float dy = 2.0f, dx[9] = {0}, dw[9] = {0};
    conv2d_backward_naive(&s, dx, false, dw, &dy, hand_x, hand_w, NULL, NULL);
    for (int i = 0; i < 9; i++) {
        CHECK(dw[i] == 2.0f * hand_x[i]);
        CHECK(dx[i] == 2.0f * hand_w[i]);
    }
    return 0;
}

static int test_conv_naive_hand_pad1(void)
{
    ConvShape s = {1, 1, 3, 3, 1, 3, 1};
    static const float want[9] = {-5, -6, 0, -6, -4, 8, 8, 14, 17};
    float y[9];
    conv2d_forward_naive(&s, y, hand_x, hand_w, NULL, NULL);
    for (int i = 0; i < 9; i++)
        CHECK(y[i] == want[i]);
    /* dy = 1 at the centre only: dx is the kernel around the centre, dw the input. */
    float dy[9] = {0, 0, 0, 0, 1, 0, 0, 0, 0}, dx[9] = {0}, dw[9] = {0};
    conv2d_backward_naive(&s, dx, false, dw, dy, hand_x, hand_w, NULL, NULL);
    for (int i = 0; i < 9; i++) {
        CHECK(dx[i] == hand_w[i]);
        CHECK(dw[i] == hand_x[i]);
    }
    return 0;
}

/* Two input channels, two output channels, 1x1: a matrix product per pixel. */
static int test_conv_naive_hand_channels(void)
{
    ConvShape s = {1, 2, 1, 2, 2, 1, 0};
    const float x[4] = {1, 2, 3, 4};             /* x[c][px] */
    const float w[4] = {1, 10, -1, 2};           /* w[co][ci] */
    const float want[4] = {31, 42, 5, 6};        /* y[co][px] */
    float y[4];
    conv2d_forward_naive(&s, y, x, w, NULL, NULL);
    for (int i = 0; i < 4; i++)
        CHECK(y[i] == want[i]);
    /* dx may be NULL; dw[co][ci] = sum over pixels of dy[co] * x[ci]. */
    const float dy[4] = {1, 0, 0, 1};
    float dw[4] = {0};
    conv2d_backward_naive(&s, NULL, false, dw, dy, x, w, NULL, NULL);
    CHECK(dw[0] == 1.0f && dw[1] == 3.0f && dw[2] == 2.0f && dw[3] == 4.0f);
    return 0;
}

/* ---- PyTorch fixtures ---------------------------------------------------------- */

typedef struct {
    float *x, *w, *y, *dy, *dx, *dw;
    ConvShape s;
} Fixture;

static void fixture_free(Fixture *f)
{
    free(f->x), free(f->w), free(f->y), free(f->dy), free(f->dx), free(f->dw);
}

static int fixture_load(Fixture *f, const char *file, int pad)
{
    size_t count, ny = 0;
    int xd[4], wd[4];
    memset(f, 0, sizeof *f);
    f->x = test_fixture_read(file, "x", &count, xd, NULL);
    f->w = test_fixture_read(file, "w", &count, wd, NULL);
    f->y = test_fixture_read(file, "y", &ny, NULL, NULL);
    f->dy = test_fixture_read(file, "dy", &count, NULL, NULL);
    f->dx = test_fixture_read(file, "dx", &count, NULL, NULL);
    f->dw = test_fixture_read(file, "dw", &count, NULL, NULL);
    f->s = (ConvShape){xd[0], xd[1], xd[2], xd[3], wd[0], wd[2], pad};
    return f->x && f->w && f->y && f->dy && f->dx && f->dw && wd[1] == xd[1] &&
           wd[2] == wd[3] && ny == count_y(&f->s);
}

static int check_fixture(const Fixture *f, Conv2dForward forward, Conv2dBackward backward,
                         float *y, float *dx, float *dw, float *scratch)
{
    const ConvShape *s = &f->s;
    forward(s, y, f->x, f->w, scratch, NULL);
    CHECK(test_max_rel_err(y, f->y, count_y(s), FIXTURE_ATOL, FIXTURE_RTOL) <= 1.0);
    memset(dx, 0, count_x(s) * sizeof *dx);
    memset(dw, 0, count_w(s) * sizeof *dw);
    backward(s, dx, false, dw, f->dy, f->x, f->w, scratch, NULL);
    CHECK(test_max_rel_err(dx, f->dx, count_x(s), FIXTURE_ATOL, FIXTURE_RTOL) <= 1.0);
    CHECK(test_max_rel_err(dw, f->dw, count_w(s), FIXTURE_ATOL, FIXTURE_RTOL) <= 1.0);
    return 0;
}

/* Both implementations against one fixture file. */
static int fixture_test(const char *file, int pad)
{
    Fixture f;
    int ok = fixture_load(&f, file, pad);
    float *y = NULL, *dx = NULL, *dw = NULL, *scratch = NULL;
    int fail = 1;
    if (ok) {
        y = malloc(count_y(&f.s) * sizeof *y);
        dx = malloc(count_x(&f.s) * sizeof *dx);
        dw = malloc(count_w(&f.s) * sizeof *dw);
        scratch = malloc(conv2d_scratch_floats(&f.s, 1) * sizeof *scratch);
    }
    if (y && dx && dw && scratch)
        fail = check_fixture(&f, conv2d_forward_naive, conv2d_backward_naive, y, dx, dw,
                             scratch) ||
               check_fixture(&f, conv2d_forward_blocked, conv2d_backward_blocked, y, dx,
                             dw, scratch);
    else
        fprintf(stderr, "  fixture %s unreadable or inconsistent\n", file);
    free(y), free(dx), free(dw), free(scratch);
    fixture_free(&f);
    return fail;
}

static int test_conv_fixture_3x3_pad1(void)
{
    return fixture_test(TEST_FIXTURE("conv3x3_pad1.bin"), 1);
}

static int test_conv_fixture_3x3_pad2(void)
{
    return fixture_test(TEST_FIXTURE("conv3x3_pad2.bin"), 2);
}

static int test_conv_fixture_1x1(void)
{
    return fixture_test(TEST_FIXTURE("conv1x1.bin"), 0);
}

/* ---- finite differences -------------------------------------------------------- */

/* loss = sum of r_i * y_i in double: random r, so that every output counts with its
 * own weight (a plain sum would hide errors that cancel across outputs). */
static double weighted_loss(const ConvShape *s, const float *x, const float *w,
                            const float *r, float *y)
{
    conv2d_forward_naive(s, y, x, w, NULL, NULL);
    double loss = 0.0;
    for (size_t i = 0; i < count_y(s); i++)
        loss += (double)r[i] * (double)y[i];
    return loss;
}

/* Central difference of the loss in every element of p (x or w); compares with grad. */
static int check_central(const ConvShape *s, float *p, size_t np, const float *grad,
                         float *x, float *w, const float *r, float *y)
{
    for (size_t i = 0; i < np; i++) {
        float keep = p[i];
        p[i] = keep + FD_STEP;
        double up = weighted_loss(s, x, w, r, y);
        p[i] = keep - FD_STEP;
        double down = weighted_loss(s, x, w, r, y);
        p[i] = keep;
        double numeric = (up - down) / (2.0 * (double)FD_STEP);
        CHECK_CLOSE(grad[i], numeric, FD_ATOL, FD_RTOL);
    }
    return 0;
}

static int test_conv_naive_gradcheck(void)
{
    ConvShape s = {2, 3, 5, 4, 2, 3, 1};
    size_t nx = count_x(&s), nw = count_w(&s), ny = count_y(&s);
    float *buf = malloc((2 * nx + 2 * nw + 2 * ny) * sizeof *buf);
    CHECK(buf != NULL);
    float *x = buf, *dx = x + nx, *w = dx + nx, *dw = w + nw, *r = dw + nw, *y = r + ny;
    Rng rng;
    rng_seed(&rng, 7, RNG_STREAM_TEST);
    test_fill_normal(&rng, x, nx, 0.0f);
    test_fill_normal(&rng, w, nw, 0.0f);
    test_fill_normal(&rng, r, ny, 0.0f);
    memset(dx, 0, nx * sizeof *dx);
    memset(dw, 0, nw * sizeof *dw);
    /* dL/dy = r. */
    conv2d_backward_naive(&s, dx, false, dw, r, x, w, NULL, NULL);
    int fail = check_central(&s, x, nx, dx, x, w, r, y) ||
               check_central(&s, w, nw, dw, x, w, r, y);
    free(buf);
    return fail;
}

/* ---- blocked against naive ----------------------------------------------------- */

/* Every buffer one shape needs, in one allocation. */
typedef struct {
    ConvShape s;
    size_t nx, nw, ny, nscratch;
    float *x, *w, *dy, *dx0, *dw0;     /* inputs and the gradients' starting values */
    float *y_ref, *dx_ref, *dw_ref;    /* naive results */
    float *y, *dx, *dw;                /* blocked, one thread */
    float *y2, *dx2, *dw2;             /* blocked, two threads */
    float *scratch;
    float *block;
} Case;

static int case_alloc(Case *c, const ConvShape *s, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->s = *s;
    c->nx = count_x(s), c->nw = count_w(s), c->ny = count_y(s);
    size_t s1 = conv2d_scratch_floats(s, 1), s2 = conv2d_scratch_floats(s, TEST_THREADS);
    c->nscratch = s1 > s2 ? s1 : s2;
    size_t total = 4 * c->ny + 5 * c->nx + 5 * c->nw + c->nscratch + GUARD_FLOATS;
    c->block = malloc(total * sizeof(float));
    if (!c->block)
        return 0;
    float *p = c->block;
    float **slots[] = {&c->y_ref, &c->y, &c->y2, &c->dy};
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++, p += c->ny)
        *slots[i] = p;
    float **xs[] = {&c->x, &c->dx0, &c->dx_ref, &c->dx, &c->dx2};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++, p += c->nx)
        *xs[i] = p;
    float **ws[] = {&c->w, &c->dw0, &c->dw_ref, &c->dw, &c->dw2};
    for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++, p += c->nw)
        *ws[i] = p;
    c->scratch = p;
    for (size_t i = 0; i < GUARD_FLOATS; i++)
        c->scratch[c->nscratch + i] = GUARD_VALUE;
    Rng rng;
    rng_seed(&rng, seed, RNG_STREAM_TEST);
    test_fill_normal(&rng, c->x, c->nx, 0.0f);
    test_fill_normal(&rng, c->w, c->nw, 0.0f);
    test_fill_normal(&rng, c->dy, c->ny, 0.0f);
    test_fill_normal(&rng, c->dx0, c->nx, 0.0f);
    test_fill_normal(&rng, c->dw0, c->nw, 0.0f);
    return 1;
}

static int guard_intact(const Case *c)
{
    for (size_t i = 0; i < GUARD_FLOATS; i++)
        if (c->scratch[c->nscratch + i] != GUARD_VALUE)
            return 0;
    return 1;
}

/* Forward, then backward from the random starting gradients (so that += is tested). */
static void run_blocked(Case *c, Pool *pool, float *y, float *dx, float *dw)
{
    conv2d_forward_blocked(&c->s, y, c->x, c->w, c->scratch, pool);
    memcpy(dx, c->dx0, c->nx * sizeof *dx);
    memcpy(dw, c->dw0, c->nw * sizeof *dw);
    conv2d_backward_blocked(&c->s, dx, false, dw, c->dy, c->x, c->w, c->scratch, pool);
}

static int compare_case(Case *c, Pool *pool2)
{
    const ConvShape *s = &c->s;
    conv2d_forward_naive(s, c->y_ref, c->x, c->w, NULL, NULL);
    memcpy(c->dx_ref, c->dx0, c->nx * sizeof(float));
    memcpy(c->dw_ref, c->dw0, c->nw * sizeof(float));
    conv2d_backward_naive(s, c->dx_ref, false, c->dw_ref, c->dy, c->x, c->w, NULL, NULL);
    run_blocked(c, NULL, c->y, c->dx, c->dw);
    run_blocked(c, pool2, c->y2, c->dx2, c->dw2);
    /* Terms per sum: taps for y and dx, taps' worth of outputs per weight for dw. */
    double ty = (double)s->cin * s->k * s->k, tx = (double)s->cout * s->k * s->k;
    double tw = (double)s->n * conv_out_h(s) * conv_out_w(s);
    CHECK(test_max_rel_err(c->y, c->y_ref, c->ny, BLOCKED_ATOL_PER_TERM * ty,
                           BLOCKED_RTOL) <= 1.0);
    CHECK(test_max_rel_err(c->dx, c->dx_ref, c->nx, BLOCKED_ATOL_PER_TERM * tx,
                           BLOCKED_RTOL) <= 1.0);
    CHECK(test_max_rel_err(c->dw, c->dw_ref, c->nw, BLOCKED_ATOL_PER_TERM * tw,
                           BLOCKED_RTOL) <= 1.0);
    CHECK(all_equal(c->y, c->y2, c->ny));
    CHECK(all_equal(c->dx, c->dx2, c->nx));
    CHECK(all_equal(c->dw, c->dw2, c->nw));
    CHECK(guard_intact(c));
    return 0;
}

static int check_shape_case(const ConvShape *s, uint64_t seed, Pool *pool2)
{
    Case c;
    int fail = 1;
    if (case_alloc(&c, s, seed))
        fail = compare_case(&c, pool2);
    if (fail)
        fprintf(stderr, "  shape n=%d cin=%d h=%d w=%d cout=%d k=%d pad=%d\n", s->n,
                s->cin, s->h, s->w, s->cout, s->k, s->pad);
    free(c.block);
    return fail;
}

/* Awkward shapes on purpose: channel counts that are not multiples of any tile,
 * odd and unequal sides, outputs of one pixel, pad larger than k - 1 (the input
 * gradient then crops), an even kernel, and 1x1 convs whose planes are whole
 * vectors (32 and 48 pixels: the path without padded copies), with channel counts
 * that let it write its outputs directly (12 = 8 + 4, 8, 16) and that do not. */
static const ConvShape awkward_shapes[] = {
    {1, 3, 7, 5, 5, 3, 1},   {3, 5, 9, 11, 10, 3, 2},  {3, 12, 6, 6, 17, 1, 0},
    {1, 17, 5, 7, 12, 5, 2}, {3, 33, 4, 4, 3, 3, 0},   {3, 10, 8, 3, 33, 5, 1},
    {3, 5, 3, 4, 12, 1, 1},  {1, 3, 5, 5, 5, 2, 1},    {3, 32, 6, 5, 32, 3, 1},
    {1, 1, 1, 1, 1, 1, 0},   {3, 4, 2, 3, 6, 3, 3},    {9, 6, 5, 5, 7, 3, 1},
    {3, 12, 4, 8, 17, 1, 0}, {2, 33, 8, 6, 10, 1, 0}, {3, 5, 4, 8, 12, 1, 0},
    {2, 16, 8, 4, 8, 1, 0},
};

/* Extra shapes drawn from a seeded stream, so every run tests the same ones. */
enum { RANDOM_SHAPES = 8 };

static ConvShape random_shape(Rng *rng)
{
    static const int channels[] = {3, 5, 10, 12, 17, 33};
    static const int kernels[] = {1, 3, 5};
    ConvShape s;
    s.n = rng_below(rng, 2) ? 3 : 1;
    s.cin = channels[rng_below(rng, 6)];
    s.cout = channels[rng_below(rng, 6)];
    s.k = kernels[rng_below(rng, 3)];
    s.pad = (int)rng_below(rng, 3);
    /* Odd sides from 1 to 11, grown until the output has at least one pixel. */
    s.h = 1 + 2 * (int)rng_below(rng, 6);
    s.w = 1 + 2 * (int)rng_below(rng, 6);
    while (conv_out_h(&s) < 1)
        s.h += 2;
    while (conv_out_w(&s) < 1)
        s.w += 2;
    return s;
}

static int test_conv_blocked_matches_naive(void)
{
    Pool *pool2;
    Error err;
    CHECK(pool_create(&pool2, TEST_THREADS, &err) == STATUS_OK);
    int fail = 0;
    size_t nfixed = sizeof awkward_shapes / sizeof awkward_shapes[0];
    for (size_t i = 0; i < nfixed && !fail; i++)
        fail = check_shape_case(&awkward_shapes[i], 100 + i, pool2);
    Rng rng;
    rng_seed(&rng, 11, RNG_STREAM_TEST);
    for (int i = 0; i < RANDOM_SHAPES && !fail; i++) {
        ConvShape s = random_shape(&rng);
        fail = check_shape_case(&s, 200 + (uint64_t)i, pool2);
    }
    pool_destroy(pool2);
    return fail;
}

/* Bitwise equal when rtol is 0, else within rtol (and NAIVE_TWICE_ATOL near 0). */
static int close_or_equal(const float *a, const float *b, size_t n, double rtol)
{
    if (rtol == 0.0)
        return all_equal(a, b, n);
    return test_max_rel_err(a, b, n, NAIVE_TWICE_ATOL, rtol) <= 1.0;
}

/* Two backward calls from zero give exactly twice one call (x + x is exact), and
 * dx = NULL leaves dw unchanged: catches "=" where "+=" was meant. With zero_dx, dx
 * is overwritten whatever it held (NaN here) with what one call from zero gives. */
static int check_twice(Case *c, Conv2dBackward backward, double rtol)
{
    const ConvShape *s = &c->s;
    memset(c->dx, 0, c->nx * sizeof(float));
    memset(c->dw, 0, c->nw * sizeof(float));
    backward(s, c->dx, false, c->dw, c->dy, c->x, c->w, c->scratch, NULL);
    for (size_t i = 0; i < c->nx; i++)
        c->dx2[i] = NAN;
    memset(c->dw2, 0, c->nw * sizeof(float));
    backward(s, c->dx2, true, c->dw2, c->dy, c->x, c->w, c->scratch, NULL);
    CHECK(all_equal(c->dx2, c->dx, c->nx));
    memset(c->dx2, 0, c->nx * sizeof(float));
    memset(c->dw2, 0, c->nw * sizeof(float));
    backward(s, c->dx2, false, c->dw2, c->dy, c->x, c->w, c->scratch, NULL);
    backward(s, c->dx2, false, c->dw2, c->dy, c->x, c->w, c->scratch, NULL);
    for (size_t i = 0; i < c->nx; i++)
        c->dx[i] *= 2.0f;
    for (size_t i = 0; i < c->nw; i++)
        c->dw[i] *= 2.0f;
    CHECK(close_or_equal(c->dx2, c->dx, c->nx, rtol));
    CHECK(close_or_equal(c->dw2, c->dw, c->nw, rtol));
    /* dx = NULL: the same dw, bit for bit. */
    memset(c->dw2, 0, c->nw * sizeof(float));
    backward(s, NULL, false, c->dw2, c->dy, c->x, c->w, c->scratch, NULL);
    for (size_t i = 0; i < c->nw; i++)
        c->dw2[i] *= 2.0f;
    CHECK(all_equal(c->dw2, c->dw, c->nw));
    return 0;
}


/* Rows narrower than a vector, rows of whole vectors and a remainder (37), and a
 * 1x1 conv on planes of whole vectors (written without copies). */
static int test_conv_backward_accumulates(void)
{
    static const ConvShape shapes[] = {
        {3, 5, 7, 6, 10, 3, 1}, {2, 3, 5, 37, 4, 3, 1}, {2, 12, 4, 8, 10, 1, 0}};
    int fail = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0] && !fail; i++) {
        Case c;
        fail = 1;
        if (case_alloc(&c, &shapes[i], 300 + i))
            fail = check_twice(&c, conv2d_backward_naive, NAIVE_TWICE_RTOL) ||
                   check_twice(&c, conv2d_backward_blocked, 0.0);
        free(c.block);
    }
    return fail;
}

/* Many samples so that there are many chunks: dw must not depend on which thread
 * ran which chunk, run after run. */
static int test_conv_blocked_thread_invariant(void)
{
    ConvShape s = {13, 12, 9, 9, 16, 3, 1};
    Pool *pool2;
    Error err;
    CHECK(pool_create(&pool2, TEST_THREADS, &err) == STATUS_OK);
    Case c;
    int fail = 1;
    if (case_alloc(&c, &s, 400)) {
        fail = 0;
        run_blocked(&c, NULL, c.y, c.dx, c.dw);
        for (int rep = 0; rep < 3 && !fail; rep++) {
            run_blocked(&c, pool2, c.y2, c.dx2, c.dw2);
            fail = !all_equal(c.y, c.y2, c.ny) || !all_equal(c.dx, c.dx2, c.nx) ||
                   !all_equal(c.dw, c.dw2, c.nw);
        }
    }
    free(c.block);
    pool_destroy(pool2);
    CHECK(!fail);
    return 0;
}

const TestCase conv_tests[] = {
    {"conv_out_size", test_conv_out_size},
    {"conv_naive_hand_pad0", test_conv_naive_hand_pad0},
    {"conv_naive_hand_pad1", test_conv_naive_hand_pad1},
    {"conv_naive_hand_channels", test_conv_naive_hand_channels},
    {"conv_fixture_3x3_pad1", test_conv_fixture_3x3_pad1},
    {"conv_fixture_3x3_pad2", test_conv_fixture_3x3_pad2},
    {"conv_fixture_1x1", test_conv_fixture_1x1},
    {"conv_naive_gradcheck", test_conv_naive_gradcheck},
    {"conv_blocked_matches_naive", test_conv_blocked_matches_naive},
    {"conv_backward_accumulates", test_conv_backward_accumulates},
    {"conv_blocked_thread_invariant", test_conv_blocked_thread_invariant},
    {NULL, NULL},
};
