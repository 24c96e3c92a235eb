/* test_ops.c - ReLU, dropout, max-pool, average pool, skip-add and the loss:
 * hand-computed cases, PyTorch float64 reference fixtures, finite-difference
 * gradient checks, accumulation into gradients, and the dropout mask's contract. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/rng.h"
#include "kernels/ops.h"
#include "test.h"

/* Hand cases: exact small numbers, only float rounding of logs and exps. */
#define HAND_TOL 1e-6
/* Float32 against a float64 reference: ~1e-7 relative rounding per operation over
 * a handful of operations; the absolute part covers outputs that are nearly zero. */
#define FIXTURE_RTOL 1e-4
#define FIXTURE_ATOL 1e-6
/* Central differences on float forwards with a double loss. These ops are linear or
 * smooth (inputs are kept KINK_GAP away from kinks and ties), so the error is float
 * rounding divided by 2*step: measured <= 2e-6. GRAD_ATOL = 1e-4 leaves a wide
 * margin yet fails a smoothing spread of s/(k-1) instead of s/k (~8e-4 off). */
#define GRAD_STEP 1e-2f
#define GRAD_ATOL 1e-4
#define GRAD_RTOL 1e-2
/* Smallest gap between an input and a kink (ReLU at 0, max-pool ties): beyond the
 * finite-difference step so no difference crosses it. */
#define KINK_GAP 0.1f

#define CASE_MAX 256
#define DROPOUT_KEY 0x5eedULL
/* Elements in the dropout rate test: the dropped fraction has standard deviation
 * sqrt(p(1-p)/n) ~= 4.5e-4 at p = 0.3; the bound is ~6 of those. */
#define DROPOUT_RATE_N (1u << 20)
#define DROPOUT_RATE_TOL 3e-3

/* One op under test: inputs a and b (b only for add), output y, loss weights r
 * (loss = sum r*y, so dy = r), gradients da and db. The objective runs the forward
 * and returns the loss in double. */
typedef struct OpCase OpCase;
struct OpCase {
    Shape4 s;
    size_t n_in, n_out;
    float a[CASE_MAX], b[CASE_MAX], y[CASE_MAX], r[CASE_MAX];
    float da[CASE_MAX], db[CASE_MAX];
    float p;
    size_t first;
    int k;
    unsigned char labels[CASE_MAX];
    float smoothing;
    double (*objective)(OpCase *oc);
};

static double weighted_sum(const OpCase *oc)
{
    double loss = 0.0;
    for (size_t i = 0; i < oc->n_out; i++)
        loss += (double)oc->r[i] * (double)oc->y[i];
    return loss;
}

static double relu_objective(OpCase *oc)
{
    relu_forward(oc->n_in, oc->y, oc->a);
    return weighted_sum(oc);
}

static double dropout_objective(OpCase *oc)
{
    dropout_forward(oc->n_in, oc->first, oc->y, oc->a, oc->p, DROPOUT_KEY);
    return weighted_sum(oc);
}

static double maxpool_objective(OpCase *oc)
{
    maxpool2_forward(oc->s, oc->y, oc->a);
    return weighted_sum(oc);
}

static double avgpool_objective(OpCase *oc)
{
    avgpool_forward(oc->s, oc->y, oc->a);
    return weighted_sum(oc);
}

static double add_objective(OpCase *oc)
{
    add_forward(oc->n_in, oc->y, oc->a, oc->b);
    return weighted_sum(oc);
}

/* The loss itself is the objective: a holds logits[n][k], y gets logp. */
static double loss_objective(OpCase *oc)
{
    int n = oc->s.n;
    loss_log_softmax(n, oc->k, oc->y, oc->a);
    return loss_nll(n, oc->k, oc->y, oc->labels, oc->smoothing);
}

/* The case's loss, in the form test_grad_error calls. */
static double loss_of_case(void *oc)
{
    return ((OpCase *)oc)->objective(oc);
}

/* Worst |numeric - analytic| / (GRAD_ATOL + GRAD_RTOL * |analytic|) over param[n]. */
static double grad_error(OpCase *oc, float *param, const float *grad, size_t n)
{
    return test_grad_error(loss_of_case, oc, param, grad, n, GRAD_STEP, GRAD_ATOL,
                           GRAD_RTOL);
}

static OpCase *case_new(Shape4 s, size_t n_in, size_t n_out,
                        double (*objective)(OpCase *), uint64_t seed)
{
    static OpCase oc;
    Rng rng;
    rng_seed(&rng, seed, RNG_STREAM_TEST);
    memset(&oc, 0, sizeof oc);
    oc.s = s;
    oc.n_in = n_in;
    oc.n_out = n_out;
    oc.objective = objective;
    test_fill_normal(&rng, oc.a, n_in, 0.0f);
    test_fill_normal(&rng, oc.b, n_in, 0.0f);
    test_fill_normal(&rng, oc.r, n_out, 0.0f);
    return &oc;
}

/* Values at least KINK_GAP away from zero, of either sign. */
static void push_from_zero(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = v[i] < 0.0f ? v[i] - KINK_GAP : v[i] + KINK_GAP;
}

/* Distinct values KINK_GAP apart in a shuffled order, so no pooling window has a
 * near tie. */
static void fill_distinct(float *v, size_t n, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed, RNG_STREAM_TEST);
    for (size_t i = 0; i < n; i++)
        v[i] = KINK_GAP * (float)i - KINK_GAP * (float)n / 2.0f;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rng_below(&rng, (uint32_t)(i + 1));
        float t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* --- hand-computed cases --------------------------------------------------------- */

static int test_relu_hand(void)
{
    const float x[] = {-1, 0, 2, -0.5f}, dy[] = {1, 2, 3, 4};
    float y[4], dx[] = {10, 10, 10, 10};
    relu_forward(4, y, x);
    const float want_y[] = {0, 0, 2, 0}, want_dx[] = {10, 10, 13, 10};
    for (int i = 0; i < 4; i++)
        CHECK(y[i] == want_y[i]);
    relu_backward(4, dx, dy, y);
    for (int i = 0; i < 4; i++)
        CHECK(dx[i] == want_dx[i]);
    return 0;
}

static int test_add_hand(void)
{
    const float a[] = {1, -2, 3}, b[] = {0.5f, 2, -4}, dy[] = {1, 2, 3};
    float y[3], da[] = {1, 1, 1}, db[] = {0, 0, 0};
    add_forward(3, y, a, b);
    CHECK(y[0] == 1.5f && y[1] == 0.0f && y[2] == -1.0f);
    add_backward(3, da, db, dy);
    CHECK(da[0] == 2 && da[1] == 3 && da[2] == 4);
    CHECK(db[0] == 1 && db[1] == 2 && db[2] == 3);
    return 0;
}

/* A 3x5 plane: the last row and column (all 9s, larger than anything else) are
 * dropped. Window 0 is {1, 5 / 5, 0}: a tie, routed to the first 5 (row 0).
 * Window 1 is {2, 3 / 7, 7}: a tie on the second row, routed to its first 7. */
static int test_maxpool_odd_and_ties(void)
{
    Shape4 s = {1, 1, 3, 5};
    const float x[] = {1, 5, 2, 3, 9,
                       5, 0, 7, 7, 9,
                       9, 9, 9, 9, 9};
    const float dy[] = {1, 2};
    float y[2], dx[15] = {0};
    maxpool2_forward(s, y, x);
    CHECK(y[0] == 5.0f && y[1] == 7.0f);
    maxpool2_backward(s, dx, dy, x, y);
    for (int i = 0; i < 15; i++) {
        float want = i == 1 ? 1.0f : i == 7 ? 2.0f : 0.0f;
        CHECK(dx[i] == want);
    }
    return 0;
}

/* Rows wide enough for the vectorised path (8 windows at a time) and its scalar
 * remainder, with values from {0, 1, 2} so that ties are everywhere, and a NaN
 * window: each dy goes exactly where the first-maximum rule sends it. */
static int test_maxpool_ties_wide(void)
{
    enum { H = 4, W = 38, OW = W / 2 };
    Shape4 s = {1, 2, H, W};
    float x[2 * H * W], y[2 * (H / 2) * OW], dy[2 * (H / 2) * OW];
    float dx[2 * H * W] = {0}, want[2 * H * W] = {0};
    Rng rng;
    rng_seed(&rng, 4, RNG_STREAM_TEST);
    for (int i = 0; i < 2 * H * W; i++)
        x[i] = (float)rng_below(&rng, 3);
    x[2 * W + 20] = NAN;   /* window (1, 10) of plane 0 has a NaN maximum */
    for (int i = 0; i < 2 * (H / 2) * OW; i++)
        dy[i] = (float)(i + 1);
    maxpool2_forward(s, y, x);
    maxpool2_backward(s, dx, dy, x, y);
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < H / 2; i++)
            for (int j = 0; j < OW; j++) {
                int o = (p * (H / 2) + i) * OW + j, corner = (p * H + 2 * i) * W + 2 * j;
                const int at[4] = {corner, corner + 1, corner + W, corner + W + 1};
                int k = 0;
                while (k < 4 && !(x[at[k]] == y[o]))
                    k++;
                want[at[k < 4 ? k : 0]] += dy[o];
            }
    CHECK(memcmp(dx, want, sizeof dx) == 0);
    return 0;
}

static int test_avgpool_hand(void)
{
    Shape4 s = {1, 2, 1, 2};
    const float x[] = {1, 3, -2, 6}, dy[] = {2, -4};
    float y[2], dx[4] = {0};
    avgpool_forward(s, y, x);
    CHECK(y[0] == 2.0f && y[1] == 2.0f);
    avgpool_backward(s, dx, dy);
    CHECK(dx[0] == 1.0f && dx[1] == 1.0f && dx[2] == -2.0f && dx[3] == -2.0f);
    return 0;
}

/* Two classes with softmax {1/4, 3/4}, label 0, smoothing 0.5: the target is
 * {0.75, 0.25}. */
static int test_loss_smoothing_hand(void)
{
    const float logits[] = {0.0f, logf(3.0f)};
    const unsigned char labels[] = {0};
    const float smoothing = 0.5f;
    float logp[2], d[2] = {0, 0};
    loss_log_softmax(1, 2, logp, logits);
    CHECK_CLOSE(logp[0], log(0.25), HAND_TOL, 0.0);
    CHECK_CLOSE(logp[1], log(0.75), HAND_TOL, 0.0);
    double loss = loss_nll(1, 2, logp, labels, smoothing);
    CHECK_CLOSE(loss, -(0.75 * log(0.25) + 0.25 * log(0.75)), HAND_TOL, 0.0);
    CHECK_CLOSE(loss_nll(1, 2, logp, labels, 0.0f), -log(0.25), HAND_TOL, 0.0);
    loss_backward(1, 2, d, logp, labels, smoothing);
    CHECK_CLOSE(d[0], 0.25 - 0.75, HAND_TOL, 0.0);
    CHECK_CLOSE(d[1], 0.75 - 0.25, HAND_TOL, 0.0);
    return 0;
}

/* Two rows of three classes, smoothing 0.3, as PyTorch's label_smoothing defines it:
 * loss = mean over rows of (1 - s) * (-logp[label]) + s/K * sum_k (-logp[k]), that is
 * the cross-entropy with target (1 - s) + s/K = 0.8 on the label and s/K = 0.1
 * elsewhere. Row 0: logits {0, ln 2, ln 5}, softmax {1/8, 2/8, 5/8}, label 2.
 * Row 1: logits {ln 3, ln 3, ln 2}, softmax {3/8, 3/8, 2/8}, label 0.
 * dlogits = (softmax - target) / 2:
 *   row 0: {1/8 - 0.1, 2/8 - 0.1, 5/8 - 0.8} / 2 = {0.0125, 0.075, -0.0875}
 *   row 1: {3/8 - 0.8, 3/8 - 0.1, 2/8 - 0.1} / 2 = {-0.2125, 0.1375, 0.075} */
static int test_loss_smoothing_batch_hand(void)
{
    const float logits[] = {0.0f, logf(2.0f), logf(5.0f), logf(3.0f), logf(3.0f),
                            logf(2.0f)};
    const unsigned char labels[] = {2, 0};
    float logp[6], d[6] = {0};
    loss_log_softmax(2, 3, logp, logits);
    double row0 = -(0.1 * log(1.0 / 8) + 0.1 * log(2.0 / 8) + 0.8 * log(5.0 / 8));
    double row1 = -(0.8 * log(3.0 / 8) + 0.1 * log(3.0 / 8) + 0.1 * log(2.0 / 8));
    CHECK_CLOSE(loss_nll(2, 3, logp, labels, 0.3f), (row0 + row1) / 2, HAND_TOL, 0.0);
    loss_backward(2, 3, d, logp, labels, 0.3f);
    const double want_d[6] = {0.0125, 0.075, -0.0875, -0.2125, 0.1375, 0.075};
    for (int i = 0; i < 6; i++)
        CHECK_CLOSE(d[i], want_d[i], HAND_TOL, 0.0);
    return 0;
}

/* exp(1000) overflows float and double: only the max-shifted form stays finite. */
static int test_loss_large_logits(void)
{
    const float logits[] = {1000.0f, 0.0f, -1000.0f};
    const unsigned char labels[] = {1};
    float logp[3], d[3] = {0, 0, 0};
    loss_log_softmax(1, 3, logp, logits);
    CHECK_CLOSE(logp[0], 0.0, HAND_TOL, 0.0);
    CHECK_CLOSE(logp[1], -1000.0, HAND_TOL, 0.0);
    CHECK(isfinite(logp[2]));
    double loss = loss_nll(1, 3, logp, labels, 0.0f);
    CHECK_CLOSE(loss, 1000.0, HAND_TOL, 0.0);
    loss_backward(1, 3, d, logp, labels, 0.0f);
    CHECK_CLOSE(d[0], 1.0, HAND_TOL, 0.0);
    CHECK_CLOSE(d[1], -1.0, HAND_TOL, 0.0);
    CHECK_CLOSE(d[2], 0.0, HAND_TOL, 0.0);
    return 0;
}

/* --- reference fixtures ---------------------------------------------------------- */

static int close_arrays(const char *what, const float *got, const float *want, size_t n)
{
    return test_report_ratio(what,
                             test_max_rel_err(got, want, n, FIXTURE_ATOL, FIXTURE_RTOL));
}

/* Max-pool or average pool: x, y, dy, dx. */
static int check_pool(TestFixture *f, int is_max)
{
    int d[4];
    float *x = test_fixture_get(f, "x", 0, d);
    CHECK(x != NULL);
    Shape4 s = {d[0], d[1], d[2], d[3]};
    size_t n = shape4_count(s);
    size_t planes = (size_t)s.n * (size_t)s.c;
    size_t n_out = is_max ? planes * (size_t)(s.h / 2) * (size_t)(s.w / 2) : planes;
    CHECK(n <= CASE_MAX);
    float *want_y = test_fixture_get(f, "y", n_out, NULL);
    float *dy = test_fixture_get(f, "dy", n_out, NULL);
    float *want_dx = test_fixture_get(f, "dx", n, NULL);
    CHECK(want_y && dy && want_dx);
    float y[CASE_MAX], dx[CASE_MAX] = {0};
    if (is_max) {
        maxpool2_forward(s, y, x);
        maxpool2_backward(s, dx, dy, x, y);
    } else {
        avgpool_forward(s, y, x);
        avgpool_backward(s, dx, dy);
    }
    CHECK(close_arrays("y", y, want_y, n_out));
    CHECK(close_arrays("dx", dx, want_dx, n));
    return 0;
}

static int check_loss(TestFixture *f)
{
    int d[4];
    float *logits = test_fixture_get(f, "logits", 0, d);
    CHECK(logits != NULL);
    int n = d[0], k = d[1];
    size_t nk = (size_t)n * (size_t)k;
    CHECK(nk <= CASE_MAX);
    float *label_values = test_fixture_get(f, "labels", (size_t)n, NULL);
    float *want_loss = test_fixture_get(f, "loss", 1, NULL);
    float *want_d = test_fixture_get(f, "dlogits", nk, NULL);
    CHECK(label_values && want_loss && want_d);
    unsigned char labels[CASE_MAX];
    for (int i = 0; i < n; i++)
        labels[i] = (unsigned char)label_values[i];
    float logp[CASE_MAX], dlogits[CASE_MAX] = {0};
    loss_log_softmax(n, k, logp, logits);
    double loss = loss_nll(n, k, logp, labels, 0.0f);
    loss_backward(n, k, dlogits, logp, labels, 0.0f);
    CHECK_CLOSE(loss, want_loss[0], FIXTURE_ATOL, FIXTURE_RTOL);
    CHECK(close_arrays("dlogits", dlogits, want_d, nk));
    return 0;
}

/* The reference batch with smoothing s: the loss against (1 - s) * nll + s/K *
 * sum_k -logp_k and dlogits against (softmax - target) / n, both formed here in
 * double from the logits. */
static int check_loss_smoothed(TestFixture *f, float s)
{
    int d[4];
    float *logits = test_fixture_get(f, "logits", 0, d);
    CHECK(logits != NULL);
    int n = d[0], k = d[1];
    CHECK((size_t)n * (size_t)k <= CASE_MAX);
    float *label_values = test_fixture_get(f, "labels", (size_t)n, NULL);
    CHECK(label_values != NULL);
    unsigned char labels[CASE_MAX];
    float logp[CASE_MAX], dlogits[CASE_MAX] = {0}, want_d[CASE_MAX];
    double want_loss = 0.0;
    for (int i = 0; i < n; i++) {
        const float *row = logits + i * k;
        labels[i] = (unsigned char)label_values[i];
        double mx = row[0], sum = 0.0;
        for (int j = 1; j < k; j++)
            mx = fmax(mx, (double)row[j]);
        for (int j = 0; j < k; j++)
            sum += exp((double)row[j] - mx);
        for (int j = 0; j < k; j++) {
            double lp = (double)row[j] - mx - log(sum);
            double target = (double)s / k + (j == labels[i] ? 1.0 - (double)s : 0.0);
            want_loss -= target * lp / n;
            want_d[i * k + j] = (float)((exp(lp) - target) / n);
        }
    }
    loss_log_softmax(n, k, logp, logits);
    CHECK_CLOSE(loss_nll(n, k, logp, labels, s), want_loss, FIXTURE_ATOL, FIXTURE_RTOL);
    loss_backward(n, k, dlogits, logp, labels, s);
    CHECK(close_arrays("dlogits", dlogits, want_d, (size_t)n * (size_t)k));
    return 0;
}

static int test_loss_smoothing_fixture(void)
{
    TestFixture f = {TEST_FIXTURE("logsoftmax_nll.bin"), {NULL}, 0};
    int rc = check_loss_smoothed(&f, 0.1f);
    test_fixture_free(&f);
    return rc;
}

static int test_maxpool_fixture(void)
{
    TestFixture f = {TEST_FIXTURE("maxpool2.bin"), {NULL}, 0};
    int rc = check_pool(&f, 1);
    test_fixture_free(&f);
    return rc;
}

static int test_avgpool_fixture(void)
{
    TestFixture f = {TEST_FIXTURE("avgpool_global.bin"), {NULL}, 0};
    int rc = check_pool(&f, 0);
    test_fixture_free(&f);
    return rc;
}

static int test_loss_fixture(void)
{
    TestFixture f = {TEST_FIXTURE("logsoftmax_nll.bin"), {NULL}, 0};
    int rc = check_loss(&f);
    test_fixture_free(&f);
    return rc;
}

/* --- gradient checks ------------------------------------------------------------- */

static int test_relu_gradcheck(void)
{
    OpCase *oc = case_new((Shape4){1, 1, 1, 32}, 32, 32, relu_objective, 41);
    push_from_zero(oc->a, oc->n_in);
    relu_forward(oc->n_in, oc->y, oc->a);
    relu_backward(oc->n_in, oc->da, oc->r, oc->y);
    float grad[CASE_MAX];
    memcpy(grad, oc->da, sizeof grad);
    CHECK(test_report_ratio("dx", grad_error(oc, oc->a, grad, oc->n_in)));
    return 0;
}

/* A nonzero first: the mask is taken at the absolute indices. */
static int test_dropout_gradcheck(void)
{
    OpCase *oc = case_new((Shape4){1, 1, 1, 48}, 48, 48, dropout_objective, 42);
    oc->p = 0.5f;
    oc->first = 1000;
    dropout_backward(oc->n_in, oc->first, oc->da, oc->r, oc->p, DROPOUT_KEY);
    float grad[CASE_MAX];
    memcpy(grad, oc->da, sizeof grad);
    CHECK(test_report_ratio("dx", grad_error(oc, oc->a, grad, oc->n_in)));
    return 0;
}

/* Odd height and width, so the dropped row and column must get zero gradient. */
static int test_maxpool_gradcheck(void)
{
    Shape4 s = {2, 2, 5, 3};
    OpCase *oc = case_new(s, shape4_count(s), 2 * 2 * 2 * 1, maxpool_objective, 43);
    fill_distinct(oc->a, oc->n_in, 43);
    maxpool2_forward(s, oc->y, oc->a);
    maxpool2_backward(s, oc->da, oc->r, oc->a, oc->y);
    float grad[CASE_MAX];
    memcpy(grad, oc->da, sizeof grad);
    CHECK(test_report_ratio("dx", grad_error(oc, oc->a, grad, oc->n_in)));
    return 0;
}

static int test_avgpool_gradcheck(void)
{
    Shape4 s = {2, 3, 3, 2};
    OpCase *oc = case_new(s, shape4_count(s), 2 * 3, avgpool_objective, 44);
    avgpool_backward(s, oc->da, oc->r);
    float grad[CASE_MAX];
    memcpy(grad, oc->da, sizeof grad);
    CHECK(test_report_ratio("dx", grad_error(oc, oc->a, grad, oc->n_in)));
    return 0;
}

static int test_add_gradcheck(void)
{
    OpCase *oc = case_new((Shape4){1, 1, 1, 24}, 24, 24, add_objective, 45);
    add_backward(oc->n_in, oc->da, oc->db, oc->r);
    float grad_a[CASE_MAX], grad_b[CASE_MAX];
    memcpy(grad_a, oc->da, sizeof grad_a);
    memcpy(grad_b, oc->db, sizeof grad_b);
    CHECK(test_report_ratio("da", grad_error(oc, oc->a, grad_a, oc->n_in)));
    CHECK(test_report_ratio("db", grad_error(oc, oc->b, grad_b, oc->n_in)));
    return 0;
}

/* 4 rows of 6 classes with labels drawn at random, logits spread by 2. */
static int check_loss_gradient(float smoothing, uint64_t seed)
{
    int n = 4, k = 6;
    size_t nk = (size_t)(n * k);
    OpCase *oc = case_new((Shape4){n, k, 1, 1}, nk, nk, loss_objective, seed);
    Rng rng;
    rng_seed(&rng, seed + 1, RNG_STREAM_TEST);
    oc->k = k;
    oc->smoothing = smoothing;
    for (int i = 0; i < n; i++)
        oc->labels[i] = (unsigned char)rng_below(&rng, (uint32_t)k);
    for (size_t i = 0; i < nk; i++)
        oc->a[i] *= 2.0f;
    loss_objective(oc);
    loss_backward(n, k, oc->da, oc->y, oc->labels, smoothing);
    float grad[CASE_MAX];
    memcpy(grad, oc->da, sizeof grad);
    CHECK(test_report_ratio("dlogits", grad_error(oc, oc->a, grad, nk)));
    return 0;
}

static int test_loss_gradcheck(void)
{
    return check_loss_gradient(0.0f, 46);
}

static int test_loss_smoothing_gradcheck(void)
{
    return check_loss_gradient(0.1f, 47);
}

/* --- accumulation ---------------------------------------------------------------- */

/* twice[i] must be exactly 2 * once[i], and once must not be all zero. */
static int doubled(const float *once, const float *twice, size_t n)
{
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        if (twice[i] != 2.0f * once[i])
            return 0;
        nonzero |= once[i] != 0.0f;
    }
    return nonzero;
}

/* Runs backward once into zeroed gradients, copies them, runs it again. */
#define TWICE(grad, n, backward_call)                   \
    do {                                                \
        float once_[CASE_MAX];                          \
        memset(grad, 0, sizeof(float) * (n));           \
        backward_call;                                  \
        memcpy(once_, grad, sizeof(float) * (n));       \
        backward_call;                                  \
        CHECK(doubled(once_, grad, n));                 \
    } while (0)

static int test_ops_backward_accumulates(void)
{
    Shape4 s = {2, 2, 4, 4};
    size_t n = shape4_count(s);
    OpCase *oc = case_new(s, n, n, relu_objective, 51);
    float *x = oc->a, *dy = oc->r, *y = oc->y, *dx = oc->da;
    const unsigned char *labels = oc->labels;
    relu_forward(n, y, x);
    TWICE(dx, n, relu_backward(n, dx, dy, y));
    TWICE(dx, n, dropout_backward(n, 0, dx, dy, 0.5f, DROPOUT_KEY));
    maxpool2_forward(s, y, x);
    TWICE(dx, n, maxpool2_backward(s, dx, dy, x, y));
    TWICE(dx, n, avgpool_backward(s, dx, dy));
    TWICE(dx, n, add_backward(n, dx, oc->db, dy));
    TWICE(oc->db, n, add_backward(n, dx, oc->db, dy));
    loss_log_softmax(4, 8, y, x);
    TWICE(dx, (size_t)32, loss_backward(4, 8, dx, y, labels, 0.1f));
    return 0;
}

/* --- dropout mask ---------------------------------------------------------------- */

static int test_dropout_rate(void)
{
    static float ones[DROPOUT_RATE_N], y[DROPOUT_RATE_N];
    const float p = 0.3f;
    for (size_t i = 0; i < DROPOUT_RATE_N; i++)
        ones[i] = 1.0f;
    dropout_forward(DROPOUT_RATE_N, 0, y, ones, p, DROPOUT_KEY);
    size_t dropped = 0;
    for (size_t i = 0; i < DROPOUT_RATE_N; i++) {
        dropped += y[i] == 0.0f;
        CHECK(y[i] == 0.0f || y[i] == 1.0f / (1.0f - p));
    }
    CHECK_CLOSE((double)dropped / DROPOUT_RATE_N, p, DROPOUT_RATE_TOL, 0.0);
    return 0;
}

/* Forward and backward both follow dropout_keep at the absolute index, whatever
 * the chunking; another key gives another mask. */
static int test_dropout_mask_matches_keep(void)
{
    enum { N = 200, FIRST = 12345, SPLIT = 77 };
    const float p = 0.4f, scale = 1.0f / (1.0f - p);
    float x[N], y[N], y_chunked[N], dx[N] = {0};
    for (int i = 0; i < N; i++)
        x[i] = (float)(i + 1);
    dropout_forward(N, FIRST, y, x, p, DROPOUT_KEY);
    dropout_backward(N, FIRST, dx, x, p, DROPOUT_KEY);
    dropout_forward(SPLIT, FIRST, y_chunked, x, p, DROPOUT_KEY);
    dropout_forward(N - SPLIT, FIRST + SPLIT, y_chunked + SPLIT, x + SPLIT, p,
                    DROPOUT_KEY);
    int differs = 0;
    for (int i = 0; i < N; i++) {
        float want = dropout_keep(DROPOUT_KEY, FIRST + i, p) ? x[i] * scale : 0.0f;
        CHECK(y[i] == want && dx[i] == want && y_chunked[i] == want);
        differs |= dropout_keep(DROPOUT_KEY + 1, FIRST + i, p) !=
                   dropout_keep(DROPOUT_KEY, FIRST + i, p);
    }
    CHECK(differs);
    return 0;
}

static int test_dropout_p0_identity(void)
{
    enum { N = 100 };
    float x[N], y[N], dx[N] = {0};
    Rng rng;
    rng_seed(&rng, 52, RNG_STREAM_TEST);
    test_fill_normal(&rng, x, N, 0.0f);
    dropout_forward(N, 0, y, x, 0.0f, DROPOUT_KEY);
    dropout_backward(N, 0, dx, x, 0.0f, DROPOUT_KEY);
    CHECK(memcmp(x, y, sizeof x) == 0);
    CHECK(memcmp(x, dx, sizeof x) == 0);
    return 0;
}

const TestCase ops_tests[] = {
    {"relu_hand", test_relu_hand},
    {"add_hand", test_add_hand},
    {"maxpool_odd_and_ties", test_maxpool_odd_and_ties},
    {"maxpool_ties_wide", test_maxpool_ties_wide},
    {"avgpool_hand", test_avgpool_hand},
    {"loss_smoothing_hand", test_loss_smoothing_hand},
    {"loss_smoothing_batch_hand", test_loss_smoothing_batch_hand},
    {"loss_large_logits", test_loss_large_logits},
    {"maxpool_fixture", test_maxpool_fixture},
    {"avgpool_fixture", test_avgpool_fixture},
    {"loss_fixture", test_loss_fixture},
    {"loss_smoothing_fixture", test_loss_smoothing_fixture},
    {"relu_gradcheck", test_relu_gradcheck},
    {"dropout_gradcheck", test_dropout_gradcheck},
    {"maxpool_gradcheck", test_maxpool_gradcheck},
    {"avgpool_gradcheck", test_avgpool_gradcheck},
    {"add_gradcheck", test_add_gradcheck},
    {"loss_gradcheck", test_loss_gradcheck},
    {"loss_smoothing_gradcheck", test_loss_smoothing_gradcheck},
    {"ops_backward_accumulates", test_ops_backward_accumulates},
    {"dropout_rate", test_dropout_rate},
    {"dropout_mask_matches_keep", test_dropout_mask_matches_keep},
    {"dropout_p0_identity", test_dropout_p0_identity},
    {NULL, NULL},
};
