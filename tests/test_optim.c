/* test_optim.c - SGD and the learning-rate schedules against values worked out by
 * hand, and the model's parameter layout that gives weight decay to conv weights
 * only. The SGD cases use dyadic numbers (halves, quarters), so every float result
 * is exact and the checks compare with ==. */
#include <stdbool.h>
#include <stddef.h>
#include "dataset/cifar.h"
#include "nn/layer.h"
#include "nn/model.h"
#include "train/optim.h"
#include "test.h"

/* The schedules are computed in double from a few operations: 1e-12 relative is
 * rounding, while every mistake the tests look for moves the value by > 1e-3. */
#define SCHEDULE_RTOL 1e-12
/* Steps in the schedule tests: 400 of warm-up (a quarter), 1200 of decay. */
#define SCHEDULE_TOTAL 1600L
#define SQRT_HALF 0.70710678118654752440  /* cos(pi/4) */

/* --- SGD -------------------------------------------------------------------------- */

/* Three steps of sgd_step with lr 0.25, momentum 0.5, weight decay 0.5, on w = {2, 2}
 * with grad = {1, 1} each step and ndecay = 1: element 0 is decayed, element 1 not.
 * want_w and want_mom are [3][2], the values after each step. */
static int check_sgd_steps(bool nesterov, const float want_w[3][2],
                           const float want_mom[3][2])
{
    SgdConfig c = {.momentum = 0.5f, .weight_decay = 0.5f, .nesterov = nesterov};
    float w[2] = {2.0f, 2.0f}, mom[2] = {0.0f, 0.0f};
    const float grad[2] = {1.0f, 1.0f};
    for (int step = 0; step < 3; step++) {
        sgd_step(&c, 0.25f, w, mom, grad, 2, 1);
        for (int i = 0; i < 2; i++) {
            CHECK_CLOSE(w[i], want_w[step][i], 0.0, 0.0);
            CHECK_CLOSE(mom[i], want_mom[step][i], 0.0, 0.0);
        }
    }
    return 0;
}

/* Plain momentum: g = grad + wd*w (element 0 only), v = 0.5*v + g, w -= 0.25*v.
 *   step 1: e0: g = 1 + 0.5*2 = 2,        v = 2,            w = 2 - 0.5 = 1.5
 *           e1: g = 1,                    v = 1,            w = 2 - 0.25 = 1.75
 *   step 2: e0: g = 1 + 0.5*1.5 = 1.75,   v = 1 + 1.75 = 2.75,
 *               w = 1.5 - 0.6875 = 0.8125
 *           e1: g = 1,                    v = 0.5 + 1 = 1.5, w = 1.75 - 0.375 = 1.375
 *   step 3: e0: g = 1 + 0.5*0.8125 = 1.40625, v = 1.375 + 1.40625 = 2.78125,
 *               w = 0.8125 - 0.6953125 = 0.1171875
 *           e1: g = 1,                    v = 0.75 + 1 = 1.75,
 *               w = 1.375 - 0.4375 = 0.9375 */
static int test_sgd_momentum_hand(void)
{
    const float want_w[3][2] = {{1.5f, 1.75f}, {0.8125f, 1.375f}, {0.1171875f, 0.9375f}};
    const float want_mom[3][2] = {{2.0f, 1.0f}, {2.75f, 1.5f}, {2.78125f, 1.75f}};
    return check_sgd_steps(false, want_w, want_mom);
}

/* Nesterov: the same g and v, but w -= 0.25 * (g + 0.5*v).
 *   step 1: e0: g = 2, v = 2, g + 0.5v = 3,            w = 2 - 0.75 = 1.25
 *           e1: g = 1, v = 1, g + 0.5v = 1.5,          w = 2 - 0.375 = 1.625
 *   step 2: e0: g = 1 + 0.5*1.25 = 1.625, v = 1 + 1.625 = 2.625,
 *               g + 0.5v = 2.9375,                     w = 1.25 - 0.734375 = 0.515625
 *           e1: g = 1, v = 1.5, g + 0.5v = 1.75,       w = 1.625 - 0.4375 = 1.1875
 *   step 3: e0: g = 1 + 0.5*0.515625 = 1.2578125, v = 1.3125 + 1.2578125 = 2.5703125,
 *               g + 0.5v = 2.54296875,                 w = 0.515625 - 0.6357421875
 *                                                        = -0.1201171875
 *           e1: g = 1, v = 1.75, g + 0.5v = 1.875,     w = 1.1875 - 0.46875 = 0.71875 */
static int test_sgd_nesterov_hand(void)
{
    const float want_w[3][2] = {{1.25f, 1.625f}, {0.515625f, 1.1875f},
                                {-0.1201171875f, 0.71875f}};
    const float want_mom[3][2] = {{2.0f, 1.0f}, {2.625f, 1.5f}, {2.5703125f, 1.75f}};
    return check_sgd_steps(true, want_w, want_mom);
}

/* Momentum 0, with or without Nesterov, is plain SGD with weight decay: w -= lr*g.
 * lr 0.25, wd 0.5, w = {2, 2}, grad = {1, 1}, ndecay = 1:
 *   step 1: e0: g = 1 + 1 = 2,       w = 2 - 0.5 = 1.5;     e1: g = 1, w = 1.75
 *   step 2: e0: g = 1 + 0.75 = 1.75, w = 1.5 - 0.4375 = 1.0625; e1: w = 1.5 */
static int test_sgd_momentum_zero(void)
{
    for (int nesterov = 0; nesterov < 2; nesterov++) {
        SgdConfig c = {.momentum = 0.0f, .weight_decay = 0.5f, .nesterov = nesterov};
        float w[2] = {2.0f, 2.0f}, mom[2] = {0.0f, 0.0f};
        const float grad[2] = {1.0f, 1.0f};
        sgd_step(&c, 0.25f, w, mom, grad, 2, 1);
        CHECK(w[0] == 1.5f && w[1] == 1.75f);
        sgd_step(&c, 0.25f, w, mom, grad, 2, 1);
        CHECK(w[0] == 1.0625f && w[1] == 1.5f);
    }
    return 0;
}

/* With zero gradients only decay moves a weight: the first ndecay floats (conv
 * weights) shrink by lr*wd*w = 0.25*0.5*w = w/8, the rest (norm parameters) stay
 * exactly as they were, momentum included. */
static int test_sgd_decay_prefix_only(void)
{
    enum { N = 7, NDECAY = 3 };
    SgdConfig c = {.momentum = 0.5f, .weight_decay = 0.5f, .nesterov = true};
    float w[N] = {8, -16, 4, 8, -16, 4, 2}, mom[N] = {0};
    const float grad[N] = {0};
    sgd_step(&c, 0.25f, w, mom, grad, N, NDECAY);
    /* Nesterov, first step: g = wd*w = w/2, v = g, w -= 0.25*(g + 0.5*g) = 3w/16. */
    const float want_w[N] = {6.5f, -13, 3.25f, 8, -16, 4, 2};
    const float want_mom[N] = {4, -8, 2, 0, 0, 0, 0};
    for (int i = 0; i < N; i++) {
        CHECK_CLOSE(w[i], want_w[i], 0.0, 0.0);
        CHECK_CLOSE(mom[i], want_mom[i], 0.0, 0.0);
    }
    return 0;
}

/* --- schedules ------------------------------------------------------------------ */

/* schedule_lr(kind, base, step, SCHEDULE_TOTAL) close to want. */
static int lr_is(ScheduleKind kind, double base, long step, double want)
{
    double got = schedule_lr(kind, base, step, SCHEDULE_TOTAL);
    if (fabs(got - want) <= SCHEDULE_RTOL * fabs(want))
        return 1;
    fprintf(stderr, "  %s at step %ld of %ld: lr %.12g, want %.12g\n",
            schedule_names[kind], step, SCHEDULE_TOTAL, got, want);
    return 0;
}

static int test_schedule_constant(void)
{
    CHECK(lr_is(SCHEDULE_CONSTANT, 0.4, 0, 0.4));
    CHECK(lr_is(SCHEDULE_CONSTANT, 0.4, 800, 0.4));
    CHECK(lr_is(SCHEDULE_CONSTANT, 0.4, SCHEDULE_TOTAL - 1, 0.4));
    return 0;
}

/* x0.1 from step 800 (50% of 1600) and x0.01 from step 1200 (75%). */
static int test_schedule_step(void)
{
    CHECK(lr_is(SCHEDULE_STEP, 0.4, 0, 0.4));
    CHECK(lr_is(SCHEDULE_STEP, 0.4, 799, 0.4));
    CHECK(lr_is(SCHEDULE_STEP, 0.4, 800, 0.04));
    CHECK(lr_is(SCHEDULE_STEP, 0.4, 1199, 0.04));
    CHECK(lr_is(SCHEDULE_STEP, 0.4, 1200, 0.004));
    CHECK(lr_is(SCHEDULE_STEP, 0.4, SCHEDULE_TOTAL - 1, 0.004));
    return 0;
}

/* One-cycle with base 1 over 1600 steps: linear from 0.1 at step 0 to 1 at step 400,
 * then end + (1 - end) * (1 + cos(pi*u))/2 with end = 0.001 and u = (step - 400)/1200. */
static int test_schedule_onecycle(void)
{
    const double base = 1.0, end = 0.001;
    CHECK(lr_is(SCHEDULE_ONECYCLE, base, 0, 0.1));
    /* a quarter into the warm-up: 0.1 + 0.9 * 0.25 = 0.325 */
    CHECK(lr_is(SCHEDULE_ONECYCLE, base, 100, 0.325));
    /* half way: 0.1 + 0.9 * 0.5 = 0.55 */
    CHECK(lr_is(SCHEDULE_ONECYCLE, base, 200, 0.55));
    CHECK(lr_is(SCHEDULE_ONECYCLE, base, 400, base));
    /* u = 0.25: (1 + cos(pi/4))/2 = 0.853553...; a linear decay would give 0.75 */
    CHECK(lr_is(SCHEDULE_ONECYCLE, base, 700, end + (base - end) * (1 + SQRT_HALF) / 2));
    /* u = 0.5: cos = 0, the midpoint (base + end)/2 = 0.5005 */
    CHECK(lr_is(SCHEDULE_ONECYCLE, base, 1000, (base + end) / 2));
    /* u = 0.75: (1 - cos(pi/4))/2 = 0.146447... */
    CHECK(lr_is(SCHEDULE_ONECYCLE, base, 1300, end + (base - end) * (1 - SQRT_HALF) / 2));
    CHECK(lr_is(SCHEDULE_ONECYCLE, base, SCHEDULE_TOTAL, end));
    /* The last step taken is just above the end: u = 1199/1200, and
     * (1 + cos(pi*u))/2 = sin^2(pi/2400) ~= 1.7e-6. */
    double s = sin(3.14159265358979323846 / 2400.0);
    CHECK(lr_is(SCHEDULE_ONECYCLE, base, SCHEDULE_TOTAL - 1, end + (base - end) * s * s));
    return 0;
}

/* The peak scales every one-cycle value: base 0.4 is 0.4 times base 1. */
static int test_schedule_onecycle_scales(void)
{
    for (long step = 0; step <= SCHEDULE_TOTAL; step += 100)
        CHECK(lr_is(SCHEDULE_ONECYCLE, 0.4, step,
                    0.4 * schedule_lr(SCHEDULE_ONECYCLE, 1.0, step, SCHEDULE_TOTAL)));
    return 0;
}

/* --- which parameters decay ------------------------------------------------------ */

/* Floats a layer's parameters take in the arena: nparams rounded up to the
 * alignment. */
static size_t arena_floats(size_t n)
{
    return (n + ARENA_ALIGN_FLOATS - 1) / ARENA_ALIGN_FLOATS * ARENA_ALIGN_FLOATS;
}

/* Conv weights lie in [base, base + ndecay) and fill it (up to alignment gaps);
 * every norm's gamma and beta lie at or after base + ndecay. */
static int check_decay_layout(const Model *m)
{
    const float *base = m->params.base, *decay_end = base + m->ndecay;
    size_t conv_floats = 0, conv_params = 0;
    int nnorm = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const Layer *l = &m->layers[i];
        if (l->kind == LAYER_CONV2D) {
            CHECK(l->param >= base && l->param + l->nparams <= decay_end);
            conv_floats += arena_floats(l->nparams);
            conv_params += l->nparams;
        } else if (l->kind == LAYER_BNORM || l->kind == LAYER_GNORM) {
            CHECK(l->nparams > 0 && l->param >= decay_end);
            nnorm++;
        } else {
            CHECK(l->nparams == 0);
        }
    }
    CHECK(nnorm > 0 && conv_params > 0);
    CHECK(m->ndecay == conv_floats);
    return 0;
}

/* Every model, with batch norm and with group norm. */
static int test_model_decay_layout(void)
{
    const NormKind norms[] = {NORM_BN, NORM_GN};
    const char *name;
    for (size_t i = 0; (name = model_name(i, NULL)) != NULL; i++) {
        for (size_t k = 0; k < sizeof norms / sizeof norms[0]; k++) {
            ModelConfig cfg = {.name = name, .norm = norms[k], .groups = 4,
                               .dropout = -1.0f, .batch = 1, .threads = 1,
                               .conv = CONV_NAIVE};
            Model m;
            Error err;
            CHECK(model_build(&m, &cfg, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
            int rc = check_decay_layout(&m);
            model_free(&m);
            if (rc != 0) {
                fprintf(stderr, "  model %s, norm %s\n", name,
                        model_norm_names[norms[k]]);
                return rc;
            }
        }
    }
    return 0;
}

const TestCase optim_tests[] = {
    {"sgd_momentum_hand", test_sgd_momentum_hand},
    {"sgd_nesterov_hand", test_sgd_nesterov_hand},
    {"sgd_momentum_zero", test_sgd_momentum_zero},
    {"sgd_decay_prefix_only", test_sgd_decay_prefix_only},
    {"schedule_constant", test_schedule_constant},
    {"schedule_step", test_schedule_step},
    {"schedule_onecycle", test_schedule_onecycle},
    {"schedule_onecycle_scales", test_schedule_onecycle_scales},
    {"model_decay_layout", test_model_decay_layout},
    {NULL, NULL},
};
