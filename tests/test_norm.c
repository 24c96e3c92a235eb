/* test_norm.c - batch norm and group norm (layer norm = one group): hand-computed
 * cases, PyTorch float64 reference fixtures, finite-difference gradient checks,
 * accumulation into gradients, and bitwise independence from the thread count. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/rng.h"
#include "kernels/norm.h"
#include "kernels/ops.h"
#include "test.h"

/* Hand cases use variances >= 1 and outputs <= 5 in size, so eps = 1e-5 moves
 * them by at most 5e-6 * 5 = 2.5e-5; 1e-4 absolute covers that and rounding. */
#define TEST_EPS 1e-5f
#define HAND_TOL 1e-4
#define TEST_MOMENTUM 0.1f
/* The fixtures were made with these (PyTorch defaults). */
#define FIXTURE_EPS 1e-5f
#define FIXTURE_MOMENTUM 0.1f
/* Float32 against a float64 reference: inputs are rounded to float and sums of up
 * to ~100 terms are formed in float, giving ~1e-6 relative error; 1e-4 leaves
 * margin, and the absolute part covers outputs that are nearly zero. */
#define FIXTURE_RTOL 1e-4
#define FIXTURE_ATOL 1e-5
/* Central differences on float forwards with a double loss: the loss (<= 64 terms
 * of size ~1) carries ~1e-6 rounding noise, divided by 2*step = 0.02 gives ~5e-5,
 * and the h^2 truncation term is ~1e-5 (measured worst: 4e-5). A wrong count in the
 * mean (15 for 16) or a 5% error in one term of dx fails by more than 10x. */
#define GRAD_STEP 1e-2f
#define GRAD_ATOL 1e-3
#define GRAD_RTOL 1e-2

/* Capacity of a test case: tiny tensors for gradient checks, a larger one for the
 * thread test. */
#define CASE_MAX 2048
#define CASE_MAX_C 16
#define CASE_MAX_STATS 64

typedef enum { NORM_BATCH, NORM_GROUP } NormType;

/* One normalisation problem: inputs, the loss weights r (loss = sum r*y, so dy = r),
 * outputs, saved statistics and gradients. */
typedef struct {
    NormType kind;
    Shape4 s;
    int groups;
    float x[CASE_MAX], y[CASE_MAX], r[CASE_MAX], dx[CASE_MAX];
    float gamma[CASE_MAX_C], beta[CASE_MAX_C], dgamma[CASE_MAX_C], dbeta[CASE_MAX_C];
    float run_mean[CASE_MAX_C], run_var[CASE_MAX_C];
    float mean[CASE_MAX_STATS], rstd[CASE_MAX_STATS];
} NormCase;

static size_t count(Shape4 s)
{
    return shape4_count(s);
}

/* Random inputs and weights; running statistics start at mean 0, variance 1. */
static void case_init(NormCase *nc, NormType kind, Shape4 s, int groups, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed, RNG_STREAM_TEST);
    memset(nc, 0, sizeof *nc);
    nc->kind = kind;
    nc->s = s;
    nc->groups = groups;
    test_fill_normal(&rng, nc->x, count(s), 0.5f);
    test_fill_normal(&rng, nc->r, count(s), 0.0f);
    test_fill_normal(&rng, nc->gamma, (size_t)s.c, 1.0f);
    test_fill_normal(&rng, nc->beta, (size_t)s.c, 0.0f);
    for (int c = 0; c < s.c; c++)
        nc->run_var[c] = 1.0f;
}

static void case_forward(NormCase *nc, Pool *pool)
{
    if (nc->kind == NORM_BATCH)
        bnorm_forward_train(nc->s, nc->y, nc->mean, nc->rstd, nc->run_mean, nc->run_var,
                            nc->x, nc->gamma, nc->beta, TEST_EPS, TEST_MOMENTUM, pool);
    else
        gnorm_forward(nc->s, nc->groups, nc->y, nc->mean, nc->rstd, nc->x, nc->gamma,
                      nc->beta, TEST_EPS, pool);
}

/* Accumulates into dx, dgamma, dbeta with dy = r. */
static void case_backward(NormCase *nc, Pool *pool)
{
    if (nc->kind == NORM_BATCH)
        bnorm_backward(nc->s, nc->dx, nc->dgamma, nc->dbeta, nc->r, nc->x, nc->mean,
                       nc->rstd, nc->gamma, pool);
    else
        gnorm_backward(nc->s, nc->groups, nc->dx, nc->dgamma, nc->dbeta, nc->r, nc->x,
                       nc->mean, nc->rstd, nc->gamma, pool);
}

static void case_zero_grads(NormCase *nc)
{
    memset(nc->dx, 0, sizeof nc->dx);
    memset(nc->dgamma, 0, sizeof nc->dgamma);
    memset(nc->dbeta, 0, sizeof nc->dbeta);
}

/* loss = sum r_i * y_i in double. */
static double case_loss(NormCase *nc)
{
    case_forward(nc, NULL);
    double loss = 0.0;
    for (size_t i = 0; i < count(nc->s); i++)
        loss += (double)nc->r[i] * (double)nc->y[i];
    return loss;
}

/* The case's loss, in the form test_grad_error calls. */
static double loss_of_case(void *nc)
{
    return case_loss(nc);
}

/* Worst |numeric - analytic| / (GRAD_ATOL + GRAD_RTOL * |analytic|) over param[n]. */
static double grad_error(NormCase *nc, float *param, const float *grad, size_t n)
{
    return test_grad_error(loss_of_case, nc, param, grad, n, GRAD_STEP, GRAD_ATOL,
                           GRAD_RTOL);
}

/* Forward, then one backward from zero gradients; copies the gradients out to
 * dx[CASE_MAX], dgamma[CASE_MAX_C] and dbeta[CASE_MAX_C]. */
static void first_backward(NormCase *nc, float *dx, float *dgamma, float *dbeta)
{
    case_forward(nc, NULL);
    case_zero_grads(nc);
    case_backward(nc, NULL);
    memcpy(dx, nc->dx, sizeof nc->dx);
    memcpy(dgamma, nc->dgamma, sizeof nc->dgamma);
    memcpy(dbeta, nc->dbeta, sizeof nc->dbeta);
}

/* Gradient check of x, gamma and beta for one case. */
static int check_gradients(NormCase *nc)
{
    float dx[CASE_MAX], dgamma[CASE_MAX_C], dbeta[CASE_MAX_C];
    first_backward(nc, dx, dgamma, dbeta);
    size_t c = (size_t)nc->s.c;
    CHECK(test_report_ratio("dx", grad_error(nc, nc->x, dx, count(nc->s))));
    CHECK(test_report_ratio("dgamma", grad_error(nc, nc->gamma, dgamma, c)));
    CHECK(test_report_ratio("dbeta", grad_error(nc, nc->beta, dbeta, c)));
    return 0;
}

static int close_arrays(const char *what, const float *got, const float *want, size_t n,
                        double atol, double rtol)
{
    return test_report_ratio(what, test_max_rel_err(got, want, n, atol, rtol));
}

/* --- hand-computed cases --------------------------------------------------------- */

/* Channel 0 holds {1, 3, 1, 3}: mean 2, variance 1 (unbiased 4/3). Channel 1 holds
 * {0, 0, 4, 4}: mean 2, variance 4 (unbiased 16/3). */
static int test_bnorm_train_hand(void)
{
    Shape4 s = {2, 2, 1, 2};
    const float x[] = {1, 3, 0, 0, 1, 3, 4, 4};
    const float gamma[] = {2, -1}, beta[] = {0.5f, 1};
    float y[8], mean[2], rstd[2], run_mean[] = {0, 0}, run_var[] = {1, 1};
    bnorm_forward_train(s, y, mean, rstd, run_mean, run_var, x, gamma, beta, TEST_EPS,
                        TEST_MOMENTUM, NULL);
    const float want_y[] = {-1.5f, 2.5f, 2, 2, -1.5f, 2.5f, 0, 0};
    for (int i = 0; i < 8; i++)
        CHECK_CLOSE(y[i], want_y[i], HAND_TOL, 0.0);
    CHECK_CLOSE(mean[0], 2.0, HAND_TOL, 0.0);
    CHECK_CLOSE(mean[1], 2.0, HAND_TOL, 0.0);
    CHECK_CLOSE(rstd[0], 1.0, HAND_TOL, 0.0);
    CHECK_CLOSE(rstd[1], 0.5, HAND_TOL, 0.0);
    /* run = 0.9 * run + 0.1 * batch, with the unbiased variance. */
    CHECK_CLOSE(run_mean[0], 0.2, HAND_TOL, 0.0);
    CHECK_CLOSE(run_mean[1], 0.2, HAND_TOL, 0.0);
    CHECK_CLOSE(run_var[0], 0.9 + 0.1 * 4.0 / 3.0, HAND_TOL, 0.0);
    CHECK_CLOSE(run_var[1], 0.9 + 0.1 * 16.0 / 3.0, HAND_TOL, 0.0);
    return 0;
}

/* Evaluation must use the running statistics, not the batch's. */
static int test_bnorm_eval_hand(void)
{
    Shape4 s = {1, 2, 1, 2};
    const float x[] = {1, 3, 0, 4};
    const float gamma[] = {2, -1}, beta[] = {0.5f, 1};
    const float run_mean[] = {1, -1}, run_var[] = {4, 1};
    float y[4];
    bnorm_forward_eval(s, y, x, gamma, beta, run_mean, run_var, TEST_EPS, NULL);
    const float want_y[] = {0.5f, 2.5f, 0, -4};
    for (int i = 0; i < 4; i++)
        CHECK_CLOSE(y[i], want_y[i], HAND_TOL, 0.0);
    return 0;
}

/* Sample 0 holds {1, 3, 1, 3}: mean 2, variance 1; sample 1 holds {0, 0, 4, 4}:
 * mean 2, variance 4; gamma and beta stay per channel. */
static int test_layernorm_hand(void)
{
    Shape4 s = {2, 2, 1, 2};
    const float x[] = {1, 3, 1, 3, 0, 0, 4, 4};
    const float gamma[] = {2, -1}, beta[] = {0.5f, 1};
    float y[8], mean[2], rstd[2];
    gnorm_forward(s, 1, y, mean, rstd, x, gamma, beta, TEST_EPS, NULL);
    const float want_y[] = {-1.5f, 2.5f, 2, 0, -1.5f, -1.5f, 0, 0};
    for (int i = 0; i < 8; i++)
        CHECK_CLOSE(y[i], want_y[i], HAND_TOL, 0.0);
    CHECK_CLOSE(mean[0], 2.0, HAND_TOL, 0.0);
    CHECK_CLOSE(mean[1], 2.0, HAND_TOL, 0.0);
    CHECK_CLOSE(rstd[0], 1.0, HAND_TOL, 0.0);
    CHECK_CLOSE(rstd[1], 0.5, HAND_TOL, 0.0);
    return 0;
}

/* Two groups of two channels: {1, 3} (mean 2, variance 1) and {0, 4} (mean 2,
 * variance 4); one group over all four would have variance 2.5. */
static int test_groupnorm_hand(void)
{
    Shape4 s = {1, 4, 1, 1};
    const float x[] = {1, 3, 0, 4};
    const float gamma[] = {1, 2, 3, 4}, beta[] = {0, 0, 0, 1};
    float y[4], mean[2], rstd[2];
    gnorm_forward(s, 2, y, mean, rstd, x, gamma, beta, TEST_EPS, NULL);
    const float want_y[] = {-1, 2, -3, 5};
    for (int i = 0; i < 4; i++)
        CHECK_CLOSE(y[i], want_y[i], HAND_TOL, 0.0);
    CHECK_CLOSE(rstd[0], 1.0, HAND_TOL, 0.0);
    CHECK_CLOSE(rstd[1], 0.5, HAND_TOL, 0.0);
    return 0;
}

/* --- running statistics over several steps --------------------------------------- */

/* Three training batches of shape {2, 2, 1, 2}. Channel 0 holds {1, 3, 1, 3}, then
 * {0, 0, 4, 4}, then {2, 2, 2, 6}: means 2, 2, 3; sums of squared deviations 4, 16,
 * 12, so unbiased variances 4/3, 16/3, 4. Channel 1 is 10 - 2 * channel 0: means 6,
 * 6, 4; unbiased variances 4 times as large: 16/3, 64/3, 16. */
static const float running_batches[3][8] = {
    {1, 3, 8, 4, 1, 3, 8, 4},
    {0, 0, 10, 10, 4, 4, 2, 2},
    {2, 2, 6, 6, 2, 6, 6, -2},
};

/* run = 0.9 * run + 0.1 * batch from mean 0, variance 1:
 *   channel 0 mean: 0.2, then 0.18 + 0.2 = 0.38, then 0.342 + 0.3 = 0.642
 *   channel 0 var:  0.9 + 0.4/3 = 1.0333..., then 0.93 + 1.6/3 = 1.4633...,
 *                   then 1.317 + 0.4 = 1.717
 *   channel 1 mean: 0.6, then 0.54 + 0.6 = 1.14, then 1.026 + 0.4 = 1.426
 *   channel 1 var:  0.9 + 1.6/3 = 1.4333..., then 1.29 + 6.4/3 = 3.4233...,
 *                   then 3.081 + 1.6 = 4.681 */
static const double want_run_mean[3][2] = {{0.2, 0.6}, {0.38, 1.14}, {0.642, 1.426}};
static const double want_run_var[3][2] = {{0.9 + 0.4 / 3.0, 0.9 + 1.6 / 3.0},
                                          {0.93 + 1.6 / 3.0, 1.29 + 6.4 / 3.0},
                                          {1.717, 4.681}};

/* The three training steps through the plain or the fused forward (with a ReLU),
 * checking the running statistics after each. */
static int run_three_steps(bool fused, float run_mean[2], float run_var[2])
{
    Shape4 s = {2, 2, 1, 2};
    const float gamma[] = {2, -1}, beta[] = {0.5f, 1};
    const NormFusion relu = {.relu = true, .scale = 1.0f};
    float y[8], mean[2], rstd[2];
    run_mean[0] = run_mean[1] = 0.0f;
    run_var[0] = run_var[1] = 1.0f;
    for (int step = 0; step < 3; step++) {
        const float *x = running_batches[step];
        if (fused)
            bnorm_forward_train_fused(s, y, mean, rstd, run_mean, run_var, x, gamma,
                                      beta, TEST_EPS, TEST_MOMENTUM, &relu, NULL);
        else
            bnorm_forward_train(s, y, mean, rstd, run_mean, run_var, x, gamma, beta,
                                TEST_EPS, TEST_MOMENTUM, NULL);
        for (int c = 0; c < 2; c++) {
            CHECK_CLOSE(run_mean[c], want_run_mean[step][c], HAND_TOL, 0.0);
            CHECK_CLOSE(run_var[c], want_run_var[step][c], HAND_TOL, 0.0);
        }
    }
    return 0;
}

/* The running statistics follow the exponential average with the unbiased batch
 * variance over several steps, the same bits through the fused forward. */
static int test_bnorm_running_steps(void)
{
    float plain_mean[2], plain_var[2], fused_mean[2], fused_var[2];
    CHECK(run_three_steps(false, plain_mean, plain_var) == 0);
    CHECK(run_three_steps(true, fused_mean, fused_var) == 0);
    CHECK(memcmp(plain_mean, fused_mean, sizeof plain_mean) == 0);
    CHECK(memcmp(plain_var, fused_var, sizeof plain_var) == 0);
    return 0;
}

/* Evaluation after those steps normalises with the running statistics:
 * y = gamma * (x - run_mean) / sqrt(run_var + eps) + beta. */
static int test_bnorm_eval_after_steps(void)
{
    Shape4 s = {1, 2, 1, 2};
    const float x[] = {1, 3, 0, 4};
    const float gamma[] = {2, -1}, beta[] = {0.5f, 1};
    float run_mean[2], run_var[2], y[4];
    CHECK(run_three_steps(false, run_mean, run_var) == 0);
    bnorm_forward_eval(s, y, x, gamma, beta, run_mean, run_var, TEST_EPS, NULL);
    for (int i = 0; i < 4; i++) {
        int c = i / 2;
        double want = (double)gamma[c] * ((double)x[i] - want_run_mean[2][c]) /
                          sqrt(want_run_var[2][c] + (double)TEST_EPS) +
                      (double)beta[c];
        CHECK_CLOSE(y[i], want, HAND_TOL, 0.0);
    }
    return 0;
}

/* --- reference fixtures ---------------------------------------------------------- */

static int check_bnorm_train(TestFixture *f)
{
    int d[4];
    float *x = test_fixture_get(f, "x", 0, d);
    CHECK(x != NULL);
    Shape4 s = {d[0], d[1], d[2], d[3]};
    size_t n = count(s), c = (size_t)s.c;
    CHECK(n <= CASE_MAX && c <= CASE_MAX_C);
    float *gamma = test_fixture_get(f, "gamma", c, NULL);
    float *beta = test_fixture_get(f, "beta", c, NULL);
    float *want_y = test_fixture_get(f, "y", n, NULL);
    float *dy = test_fixture_get(f, "dy", n, NULL);
    float *want_dx = test_fixture_get(f, "dx", n, NULL);
    float *want_dgamma = test_fixture_get(f, "dgamma", c, NULL);
    float *want_dbeta = test_fixture_get(f, "dbeta", c, NULL);
    float *want_rm = test_fixture_get(f, "running_mean", c, NULL);
    float *want_rv = test_fixture_get(f, "running_var", c, NULL);
    CHECK(gamma && beta && want_y && dy && want_dx && want_dgamma && want_dbeta &&
          want_rm && want_rv);
    float y[CASE_MAX], dx[CASE_MAX] = {0}, mean[CASE_MAX_C], rstd[CASE_MAX_C];
    float run_mean[CASE_MAX_C] = {0}, run_var[CASE_MAX_C], dgamma[CASE_MAX_C] = {0};
    float dbeta[CASE_MAX_C] = {0};
    for (size_t i = 0; i < c; i++)
        run_var[i] = 1.0f;
    bnorm_forward_train(s, y, mean, rstd, run_mean, run_var, x, gamma, beta, FIXTURE_EPS,
                        FIXTURE_MOMENTUM, NULL);
    bnorm_backward(s, dx, dgamma, dbeta, dy, x, mean, rstd, gamma, NULL);
    CHECK(close_arrays("y", y, want_y, n, FIXTURE_ATOL, FIXTURE_RTOL));
    CHECK(close_arrays("running_mean", run_mean, want_rm, c, FIXTURE_ATOL, FIXTURE_RTOL));
    CHECK(close_arrays("running_var", run_var, want_rv, c, FIXTURE_ATOL, FIXTURE_RTOL));
    CHECK(close_arrays("dx", dx, want_dx, n, FIXTURE_ATOL, FIXTURE_RTOL));
    CHECK(close_arrays("dgamma", dgamma, want_dgamma, c, FIXTURE_ATOL, FIXTURE_RTOL));
    CHECK(close_arrays("dbeta", dbeta, want_dbeta, c, FIXTURE_ATOL, FIXTURE_RTOL));
    return 0;
}

static int check_bnorm_eval(TestFixture *f)
{
    int d[4];
    float *x = test_fixture_get(f, "x", 0, d);
    CHECK(x != NULL);
    Shape4 s = {d[0], d[1], d[2], d[3]};
    size_t n = count(s), c = (size_t)s.c;
    CHECK(n <= CASE_MAX);
    float *gamma = test_fixture_get(f, "gamma", c, NULL);
    float *beta = test_fixture_get(f, "beta", c, NULL);
    float *run_mean = test_fixture_get(f, "running_mean", c, NULL);
    float *run_var = test_fixture_get(f, "running_var", c, NULL);
    float *want_y = test_fixture_get(f, "y", n, NULL);
    CHECK(gamma && beta && run_mean && run_var && want_y);
    float y[CASE_MAX];
    bnorm_forward_eval(s, y, x, gamma, beta, run_mean, run_var, FIXTURE_EPS, NULL);
    CHECK(close_arrays("y", y, want_y, n, FIXTURE_ATOL, FIXTURE_RTOL));
    return 0;
}

static int check_gnorm(TestFixture *f, int groups)
{
    int d[4];
    float *x = test_fixture_get(f, "x", 0, d);
    CHECK(x != NULL);
    Shape4 s = {d[0], d[1], d[2], d[3]};
    size_t n = count(s), c = (size_t)s.c;
    CHECK(n <= CASE_MAX && c <= CASE_MAX_C && (size_t)(s.n * groups) <= CASE_MAX_STATS);
    float *gamma = test_fixture_get(f, "gamma", c, NULL);
    float *beta = test_fixture_get(f, "beta", c, NULL);
    float *want_y = test_fixture_get(f, "y", n, NULL);
    float *dy = test_fixture_get(f, "dy", n, NULL);
    float *want_dx = test_fixture_get(f, "dx", n, NULL);
    float *want_dgamma = test_fixture_get(f, "dgamma", c, NULL);
    float *want_dbeta = test_fixture_get(f, "dbeta", c, NULL);
    CHECK(gamma && beta && want_y && dy && want_dx && want_dgamma && want_dbeta);
    float y[CASE_MAX], dx[CASE_MAX] = {0}, mean[CASE_MAX_STATS], rstd[CASE_MAX_STATS];
    float dgamma[CASE_MAX_C] = {0}, dbeta[CASE_MAX_C] = {0};
    gnorm_forward(s, groups, y, mean, rstd, x, gamma, beta, FIXTURE_EPS, NULL);
    gnorm_backward(s, groups, dx, dgamma, dbeta, dy, x, mean, rstd, gamma, NULL);
    CHECK(close_arrays("y", y, want_y, n, FIXTURE_ATOL, FIXTURE_RTOL));
    CHECK(close_arrays("dx", dx, want_dx, n, FIXTURE_ATOL, FIXTURE_RTOL));
    CHECK(close_arrays("dgamma", dgamma, want_dgamma, c, FIXTURE_ATOL, FIXTURE_RTOL));
    CHECK(close_arrays("dbeta", dbeta, want_dbeta, c, FIXTURE_ATOL, FIXTURE_RTOL));
    return 0;
}

static int test_bnorm_train_fixture(void)
{
    TestFixture f = {TEST_FIXTURE("batchnorm_train.bin"), {NULL}, 0};
    int rc = check_bnorm_train(&f);
    test_fixture_free(&f);
    return rc;
}

static int test_bnorm_eval_fixture(void)
{
    TestFixture f = {TEST_FIXTURE("batchnorm_eval.bin"), {NULL}, 0};
    int rc = check_bnorm_eval(&f);
    test_fixture_free(&f);
    return rc;
}

static int test_groupnorm_fixture(void)
{
    TestFixture f = {TEST_FIXTURE("groupnorm_g2.bin"), {NULL}, 0};
    int rc = check_gnorm(&f, 2);
    test_fixture_free(&f);
    return rc;
}

static int test_layernorm_fixture(void)
{
    TestFixture f = {TEST_FIXTURE("layernorm.bin"), {NULL}, 0};
    int rc = check_gnorm(&f, 1);
    test_fixture_free(&f);
    return rc;
}

/* --- gradient checks ------------------------------------------------------------- */

/* 4 samples x 2x2 pixels: 16 elements per channel statistic. */
static int test_bnorm_gradcheck(void)
{
    NormCase nc;
    case_init(&nc, NORM_BATCH, (Shape4){4, 3, 2, 2}, 0, 11);
    return check_gradients(&nc);
}

/* One group of 2 channels x 2x3 pixels: 12 elements per sample statistic. */
static int test_layernorm_gradcheck(void)
{
    NormCase nc;
    case_init(&nc, NORM_GROUP, (Shape4){2, 2, 2, 3}, 1, 12);
    return check_gradients(&nc);
}

/* Two groups of 2 channels x 2x2 pixels: 8 elements per statistic. */
static int test_groupnorm_gradcheck(void)
{
    NormCase nc;
    case_init(&nc, NORM_GROUP, (Shape4){2, 4, 2, 2}, 2, 13);
    return check_gradients(&nc);
}

/* --- accumulation ---------------------------------------------------------------- */

/* A second backward must add the same amount again: twice the first result. */
static int check_backward_doubles(NormCase *nc)
{
    float dx[CASE_MAX], dgamma[CASE_MAX_C], dbeta[CASE_MAX_C];
    first_backward(nc, dx, dgamma, dbeta);
    case_backward(nc, NULL);
    for (size_t i = 0; i < count(nc->s); i++)
        CHECK(nc->dx[i] == 2.0f * dx[i] && dx[i] != 0.0f);
    for (int c = 0; c < nc->s.c; c++)
        CHECK(nc->dgamma[c] == 2.0f * dgamma[c] && nc->dbeta[c] == 2.0f * dbeta[c]);
    return 0;
}

static int test_bnorm_backward_accumulates(void)
{
    NormCase nc;
    case_init(&nc, NORM_BATCH, (Shape4){2, 3, 2, 2}, 0, 21);
    return check_backward_doubles(&nc);
}

static int test_gnorm_backward_accumulates(void)
{
    NormCase nc;
    case_init(&nc, NORM_GROUP, (Shape4){2, 4, 2, 2}, 2, 22);
    return check_backward_doubles(&nc);
}

/* --- thread independence --------------------------------------------------------- */

static int same_bits(const NormCase *a, const NormCase *b)
{
    return memcmp(a->y, b->y, sizeof a->y) == 0 && memcmp(a->dx, b->dx, sizeof a->dx) == 0 &&
           memcmp(a->mean, b->mean, sizeof a->mean) == 0 &&
           memcmp(a->rstd, b->rstd, sizeof a->rstd) == 0 &&
           memcmp(a->dgamma, b->dgamma, sizeof a->dgamma) == 0 &&
           memcmp(a->dbeta, b->dbeta, sizeof a->dbeta) == 0 &&
           memcmp(a->run_mean, b->run_mean, sizeof a->run_mean) == 0 &&
           memcmp(a->run_var, b->run_var, sizeof a->run_var) == 0;
}

/* Forward and backward with no pool, a 1-thread pool and a 2-thread pool. */
static int check_thread_independence(NormType kind, int groups)
{
    static NormCase runs[3];
    Shape4 s = {8, 6, 5, 7};
    Pool *pools[3] = {NULL, NULL, NULL};
    Error err;
    CHECK(pool_create(&pools[1], 1, &err) == STATUS_OK);
    if (pool_create(&pools[2], 2, &err) != STATUS_OK) {
        pool_destroy(pools[1]);
        CHECK(!"pool_create(2)");
    }
    for (int i = 0; i < 3; i++) {
        case_init(&runs[i], kind, s, groups, 31);
        case_forward(&runs[i], pools[i]);
        case_backward(&runs[i], pools[i]);
    }
    pool_destroy(pools[1]);
    pool_destroy(pools[2]);
    CHECK(same_bits(&runs[0], &runs[1]));
    CHECK(same_bits(&runs[0], &runs[2]));
    return 0;
}

static int test_bnorm_threads_bitwise(void)
{
    return check_thread_independence(NORM_BATCH, 0);
}

static int test_gnorm_threads_bitwise(void)
{
    return check_thread_independence(NORM_GROUP, 3);
}

/* --- a fused ReLU's backward ----------------------------------------------------- */

/* Fused forward with a ReLU (y is the ReLU's output), then a fused backward from dy
 * = r into zeroed gradients, the ReLU's mask read from relu_y or found from x. */
static void fused_relu_step(NormCase *nc, const float *relu_y)
{
    NormFusion f = {.relu = true, .scale = 1.0f};
    if (nc->kind == NORM_BATCH)
        bnorm_forward_train_fused(nc->s, nc->y, nc->mean, nc->rstd, nc->run_mean,
                                  nc->run_var, nc->x, nc->gamma, nc->beta, TEST_EPS,
                                  TEST_MOMENTUM, &f, NULL);
    else
        gnorm_forward_fused(nc->s, nc->groups, nc->y, nc->mean, nc->rstd, nc->x,
                            nc->gamma, nc->beta, TEST_EPS, &f, NULL);
    f.relu_y = relu_y ? nc->y : NULL;
    f.beta = nc->beta;
    f.zero_dx = true;
    case_zero_grads(nc);
    for (size_t i = 0; i < count(nc->s); i++)
        nc->dx[i] = 1.0f;   /* zero_dx: overwritten */
    if (nc->kind == NORM_BATCH)
        bnorm_backward_fused(nc->s, nc->dx, nc->dgamma, nc->dbeta, nc->r, nc->x,
                             nc->mean, nc->rstd, nc->gamma, &f, NULL);
    else
        gnorm_backward_fused(nc->s, nc->groups, nc->dx, nc->dgamma, nc->dbeta, nc->r,
                             nc->x, nc->mean, nc->rstd, nc->gamma, &f, NULL);
}

/* The separate passes: plain forward, ReLU, ReLU backward into a zeroed gradient,
 * plain backward. */
static void separate_relu_step(NormCase *nc)
{
    static float relu_dy[CASE_MAX];
    size_t n = count(nc->s);
    case_forward(nc, NULL);
    relu_forward(n, nc->y, nc->y);
    memset(relu_dy, 0, sizeof relu_dy);
    relu_backward(n, relu_dy, nc->r, nc->y);
    memcpy(nc->r, relu_dy, n * sizeof *nc->r);
    case_zero_grads(nc);
    case_backward(nc, NULL);
}

/* Both sources of the fused ReLU's mask give bit for bit the separate passes. */
static int check_fused_relu(NormType kind, int groups)
{
    static NormCase from_y, from_x, separate;
    Shape4 s = {8, 6, 5, 7};   /* planes of 35: whole blocks and a tail */
    case_init(&from_y, kind, s, groups, 41);
    case_init(&from_x, kind, s, groups, 41);
    case_init(&separate, kind, s, groups, 41);
    fused_relu_step(&from_y, from_y.y);
    fused_relu_step(&from_x, NULL);
    separate_relu_step(&separate);
    CHECK(same_bits(&from_y, &separate));
    CHECK(same_bits(&from_x, &separate));
    return 0;
}

static int test_bnorm_fused_relu(void)
{
    return check_fused_relu(NORM_BATCH, 0);
}

static int test_gnorm_fused_relu(void)
{
    return check_fused_relu(NORM_GROUP, 3);
}

const TestCase norm_tests[] = {
    {"bnorm_train_hand", test_bnorm_train_hand},
    {"bnorm_eval_hand", test_bnorm_eval_hand},
    {"bnorm_running_steps", test_bnorm_running_steps},
    {"bnorm_eval_after_steps", test_bnorm_eval_after_steps},
    {"layernorm_hand", test_layernorm_hand},
    {"groupnorm_hand", test_groupnorm_hand},
    {"bnorm_train_fixture", test_bnorm_train_fixture},
    {"bnorm_eval_fixture", test_bnorm_eval_fixture},
    {"groupnorm_fixture", test_groupnorm_fixture},
    {"layernorm_fixture", test_layernorm_fixture},
    {"bnorm_gradcheck", test_bnorm_gradcheck},
    {"layernorm_gradcheck", test_layernorm_gradcheck},
    {"groupnorm_gradcheck", test_groupnorm_gradcheck},
    {"bnorm_backward_accumulates", test_bnorm_backward_accumulates},
    {"gnorm_backward_accumulates", test_gnorm_backward_accumulates},
    {"bnorm_threads_bitwise", test_bnorm_threads_bitwise},
    {"gnorm_threads_bitwise", test_gnorm_threads_bitwise},
    {"bnorm_fused_relu", test_bnorm_fused_relu},
    {"gnorm_fused_relu", test_gnorm_fused_relu},
    {NULL, NULL},
};
