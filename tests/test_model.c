/* test_model.c - the origin's net (s8) against the independent PyTorch float64
 * implementation in tests/fixtures/s8_{bn,ln,gn}.bin: log-probabilities, loss, every
 * parameter gradient, the weights after two SGD steps and batch norm's running
 * statistics; plus the parameter count and shape errors; every built-in model with
 * dropout the same bit for bit with and without fusion and shared buffers; and a
 * finite-difference check of the whole of tiny with dropout. */
#include <stdlib.h>
#include <string.h>
#include "dataset/cifar.h"
#include "kernels/ops.h"
#include "nn/model.h"
#include "test.h"
#include "train/optim.h"
#include "train/train.h"

/* The reference is float64 rounded to float32; our float32 sums over up to ~10^5
 * terms per gradient entry (batch 4 x 36x36 maps) lose a few ulps each, so gradients
 * compare relative to the tensor's largest value. */
#define S8_OUT_RTOL 1e-4
#define S8_GRAD_REL 2e-3
/* After two steps the weights differ from the start by ~lr*grad: compare at 1e-5. */
#define S8_AFTER_ATOL 2e-6

static float max_abs(const float *v, size_t n)
{
    float m = 0.0f;
    for (size_t i = 0; i < n; i++)
        m = fabsf(v[i]) > m ? fabsf(v[i]) : m;
    return m;
}

/* Pointer to the parameter tensor named like PyTorch's state dict ("c5.0.weight",
 * "c5.1.bias"), and its length. */
static float *find_param(Model *m, float *base_of_arena, const char *name, size_t *n)
{
    char layer[16];
    int part = 0;
    const char *dot = strchr(name, '.');
    snprintf(layer, sizeof layer, "%.*s", (int)(dot - name), name);
    if (strncmp(dot, ".1.", 3) == 0) {
        strcat(layer, ".norm");
        part = strstr(dot, "bias") ? 2 : 1;
    }
    for (int i = 0; i < m->nlayers; i++) {
        Layer *l = &m->layers[i];
        if (strcmp(l->name, layer) != 0 || l->nparams == 0)
            continue;
        float *p = base_of_arena + (l->param - m->params.base);
        *n = part ? l->nparams / 2 : l->nparams;
        return part == 2 ? p + *n : p;
    }
    return NULL;
}

static const char *const s8_params[] = {
    "c1.0.weight", "c1.1.weight", "c1.1.bias", "c2.0.weight", "c2.1.weight",
    "c2.1.bias", "c3.0.weight", "c3.1.weight", "c3.1.bias", "c4.0.weight",
    "c4.1.weight", "c4.1.bias", "c5.0.weight", "c5.1.weight", "c5.1.bias",
    "c6.0.weight", "c6.1.weight", "c6.1.bias", "c7.0.weight", "c7.1.weight",
    "c7.1.bias", "c8.0.weight", "c8.1.weight", "c8.1.bias", "c9.0.weight",
    "c9.1.weight", "c9.1.bias", "c10.0.weight", "c10.1.weight", "c10.1.bias",
    "c11.weight", NULL};

static int load_params(Model *m, const char *file)
{
    for (int i = 0; s8_params[i]; i++) {
        char rec[64];
        size_t n, want;
        snprintf(rec, sizeof rec, "param.%s", s8_params[i]);
        float *v = test_fixture_read(file, rec, &n, NULL, NULL);
        float *p = find_param(m, m->params.base, s8_params[i], &want);
        CHECK(v && p && n == want);
        memcpy(p, v, n * sizeof(float));
        free(v);
    }
    return 0;
}

static int compare_params(Model *m, float *arena, const char *file,
                          const char *prefix, double atol, double rel)
{
    for (int i = 0; s8_params[i]; i++) {
        char rec[64];
        size_t n, want;
        snprintf(rec, sizeof rec, "%s%s", prefix, s8_params[i]);
        float *ref = test_fixture_read(file, rec, &n, NULL, NULL);
        float *got = find_param(m, arena, s8_params[i], &want);
        CHECK(ref && got && n == want);
        double err = test_max_rel_err(got, ref, n, atol + rel * (double)max_abs(ref, n), 0.0);
        free(ref);
        CHECK(test_report_ratio(rec, err));
    }
    return 0;
}

static int build_s8(Model *m, NormKind norm, ConvImpl conv)
{
    ModelConfig cfg = {.name = "s8", .norm = norm, .groups = 4, .dropout = 0.0f,
                       .batch = 4, .threads = 1, .conv = conv};
    Error err;
    Status st = model_build(m, &cfg, CIFAR_IMAGE_SHAPE, &err);
    if (st != STATUS_OK)
        fprintf(stderr, "  %s\n", err.msg);
    CHECK(st == STATUS_OK);
    model_init(m, 1);
    return 0;
}

/* One training step as the trainer does it, without the SGD update. */
static double forward_backward(Model *m, const float *x, const unsigned char *labels,
                               float *logp)
{
    const float *logits = model_forward(m, x, 4, true, 0, NULL);
    loss_log_softmax(4, MODEL_CLASSES, logp, logits);
    double loss = loss_nll(4, MODEL_CLASSES, logp, labels, 0.0f);
    model_zero_grad(m);
    loss_backward(4, MODEL_CLASSES, model_logits_grad(m, 4), logp, labels, 0.0f);
    model_backward(m, x, 4, 0, NULL);
    return loss;
}

static int check_running_stats(Model *m, const char *file)
{
    for (int i = 0; i < m->nlayers; i++) {
        Layer *l = &m->layers[i];
        if (l->kind != LAYER_BNORM)
            continue;
        char rec[64], base[16];
        snprintf(base, sizeof base, "%.*s", (int)(strchr(l->name, '.') - l->name),
                 l->name);
        size_t c = (size_t)l->in_shape.c, n;
        for (int which = 0; which < 2; which++) {
            snprintf(rec, sizeof rec, "after2.%s.1.%s", base,
                     which ? "running_var" : "running_mean");
            float *ref = test_fixture_read(file, rec, &n, NULL, NULL);
            CHECK(ref && n == c);
            double err = test_max_rel_err(l->stats + which * c, ref, c, 1e-5, 1e-4);
            free(ref);
            CHECK(err <= 1.0);
        }
    }
    return 0;
}

static int check_s8(NormKind norm, const char *file, ConvImpl conv)
{
    Model m;
    size_t n;
    CHECK(build_s8(&m, norm, conv) == 0);
    CHECK(load_params(&m, file) == 0);
    float *x = test_fixture_read(file, "x", &n, NULL, NULL);
    float *lab = test_fixture_read(file, "labels", &n, NULL, NULL);
    float *ref_logp = test_fixture_read(file, "logprobs", &n, NULL, NULL);
    float *ref_loss = test_fixture_read(file, "loss", &n, NULL, NULL);
    CHECK(x && lab && ref_logp && ref_loss);
    unsigned char labels[4];
    for (int i = 0; i < 4; i++)
        labels[i] = (unsigned char)lab[i];
    float logp[4 * MODEL_CLASSES];
    double loss = forward_backward(&m, x, labels, logp);
    CHECK_CLOSE(loss, ref_loss[0], 1e-6, S8_OUT_RTOL);
    CHECK(test_max_rel_err(logp, ref_logp, 40, 1e-5, S8_OUT_RTOL) <= 1.0);
    CHECK(compare_params(&m, m.grads.base, file, "grad.", 1e-7, S8_GRAD_REL) == 0);
    /* Two SGD steps on the same batch, as the reference took them. */
    SgdConfig sgd = {.momentum = 0.9f, .weight_decay = 0.0f, .nesterov = false};
    model_init(&m, 1);
    CHECK(load_params(&m, file) == 0);
    for (int step = 0; step < 2; step++) {
        forward_backward(&m, x, labels, logp);
        sgd_step(&sgd, 0.01f, m.params.base, m.moms.base, m.grads.base, m.param_span,
                 m.ndecay);
    }
    CHECK(compare_params(&m, m.params.base, file, "after2.", S8_AFTER_ATOL, 0.0) == 0);
    if (norm == NORM_BN)
        CHECK(check_running_stats(&m, file) == 0);
    free(x), free(lab), free(ref_logp), free(ref_loss);
    model_free(&m);
    return 0;
}

static int test_model_s8_bn(void)
{
    CHECK(check_s8(NORM_BN, TEST_FIXTURE("s8_bn.bin"), CONV_NAIVE) == 0);
    return check_s8(NORM_BN, TEST_FIXTURE("s8_bn.bin"), CONV_BLOCKED);
}

static int test_model_s8_ln(void)
{
    CHECK(check_s8(NORM_LN, TEST_FIXTURE("s8_ln.bin"), CONV_NAIVE) == 0);
    return check_s8(NORM_LN, TEST_FIXTURE("s8_ln.bin"), CONV_BLOCKED);
}

static int test_model_s8_gn(void)
{
    CHECK(check_s8(NORM_GN, TEST_FIXTURE("s8_gn.bin"), CONV_NAIVE) == 0);
    return check_s8(NORM_GN, TEST_FIXTURE("s8_gn.bin"), CONV_BLOCKED);
}

/* 49,136 with batch norm, as the origin printed; ln and gn have the same. */
static int test_model_param_counts(void)
{
    for (int norm = 0; norm < NORM_KIND_COUNT; norm++) {
        Model m;
        CHECK(build_s8(&m, (NormKind)norm, CONV_NAIVE) == 0);
        CHECK(m.nparams == 49136);
        model_free(&m);
    }
    const char *name;
    for (size_t i = 0; (name = model_name(i, NULL)) != NULL; i++) {
        Model m;
        ModelConfig cfg = {.name = name, .norm = NORM_GN, .groups = 4,
                           .dropout = -1.0f, .batch = 2, .threads = 2,
                           .conv = CONV_BLOCKED};
        Error err;
        CHECK(model_build(&m, &cfg, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
        CHECK(m.nparams < 50000);
        model_free(&m);
    }
    return 0;
}

static int test_model_bad_config(void)
{
    Model m;
    Error err;
    ModelConfig cfg = {.name = "s8", .norm = NORM_GN, .groups = 5, .dropout = -1.0f,
                       .batch = 2, .threads = 1, .conv = CONV_NAIVE};
    CHECK(model_build(&m, &cfg, CIFAR_IMAGE_SHAPE, &err) == STATUS_USAGE);
    CHECK(strstr(err.msg, "c1.norm") && strstr(err.msg, "5 groups"));
    cfg.name = "nonesuch";
    CHECK(model_build(&m, &cfg, CIFAR_IMAGE_SHAPE, &err) == STATUS_USAGE);
    CHECK(strstr(err.msg, "nonesuch") != NULL);
    return 0;
}

/* --- fused against plain passes, shared against separate buffers --------------- */

enum { VAR_N = 2, VAR_STEPS = 3 };

/* What a few training steps leave behind, for comparing two builds bit for bit. */
typedef struct {
    double loss[VAR_STEPS];
    float *params, *stats;
    size_t span, nstats;
    float logits[VAR_N * MODEL_CLASSES];   /* evaluation forward after the steps */
} VarResult;

static void var_free(VarResult *r)
{
    free(r->params), free(r->stats);
}

/* Whether the switches took: with no_fuse nothing is fused; with no_shared_grads no
 * two layers share an output or gradient buffer. Otherwise some chain with a
 * dropout is fused (or the comparison would prove nothing). */
static int check_plan(const Model *m, bool no_fuse, bool no_shared)
{
    int fused_dropouts = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const Layer *l = &m->layers[i];
        CHECK(!no_fuse || m->fused_into[i] < 0);
        fused_dropouts += m->chain_end[i] != i && l->p == 0.0f &&
                          m->layers[m->chain_end[i]].p > 0.0f;
        for (int j = 0; j < i && no_shared; j++) {
            CHECK(l->y != m->layers[j].y);
            CHECK(!l->dy || l->dy != m->layers[j].dy);
        }
    }
    CHECK(no_fuse || fused_dropouts > 0);
    return 0;
}

/* Build model name with the switches, take VAR_STEPS SGD steps with dropout on the
 * same random batch and evaluate it; the results go to *r. */
static int run_variant(const char *name, NormKind norm, bool no_fuse, bool no_shared,
                       VarResult *r)
{
    Model m;
    Error err;
    ModelConfig cfg = {.name = name, .norm = norm, .groups = 4, .dropout = 0.2f,
                       .batch = VAR_N, .threads = 1, .conv = CONV_BLOCKED,
                       .no_fuse = no_fuse, .no_shared_grads = no_shared};
    CHECK(model_build(&m, &cfg, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    model_init(&m, 5);
    CHECK(check_plan(&m, no_fuse, no_shared) == 0);
    float x[VAR_N * 3 * 32 * 32], logp[VAR_N * MODEL_CLASSES];
    unsigned char labels[VAR_N] = {1, 8};
    Rng rng;
    rng_seed(&rng, 11, RNG_STREAM_TEST);
    test_fill_normal(&rng, x, sizeof x / sizeof x[0], 0.0f);
    SgdConfig sgd = {.momentum = 0.9f, .weight_decay = 5e-4f, .nesterov = true};
    for (int step = 0; step < VAR_STEPS; step++) {
        TrainBatch b = {x, labels, VAR_N, 100 + (uint64_t)step};
        r->loss[step] = train_step(&m, NULL, &b, 0.1f, &sgd, 0.05f, logp);
    }
    memcpy(r->logits, model_forward(&m, x, VAR_N, false, 0, NULL), sizeof r->logits);
    r->span = m.param_span, r->nstats = m.nstats;
    r->params = malloc(r->span * sizeof(float));
    r->stats = malloc(r->nstats * sizeof(float) + 1);
    if (r->params && r->stats) {
        memcpy(r->params, m.params.base, r->span * sizeof(float));
        memcpy(r->stats, m.stats.base, r->nstats * sizeof(float));
    }
    model_free(&m);
    CHECK(r->params && r->stats);
    return 0;
}

static int same_results(const VarResult *a, const VarResult *b)
{
    CHECK(memcmp(a->loss, b->loss, sizeof a->loss) == 0);
    CHECK(memcmp(a->logits, b->logits, sizeof a->logits) == 0);
    CHECK(a->span == b->span && a->nstats == b->nstats);
    CHECK(memcmp(a->params, b->params, a->span * sizeof(float)) == 0);
    CHECK(memcmp(a->stats, b->stats, a->nstats * sizeof(float)) == 0);
    return 0;
}

/* Every built-in model with dropout, batch norm (its running statistics included)
 * and group norm: the default build (ReLU and dropout fused into the norm's passes,
 * buffers shared) against no_fuse, no_shared_grads and both. The arithmetic is the
 * same in all four, so losses, weights, statistics and evaluation logits after
 * three SGD steps must agree bit for bit. */
static int test_model_variants_agree(void)
{
    static const NormKind norms[] = {NORM_BN, NORM_GN};
    const char *name;
    for (size_t i = 0; (name = model_name(i, NULL)) != NULL; i++) {
        for (size_t k = 0; k < sizeof norms / sizeof norms[0]; k++) {
            NormKind norm = norms[k];
            VarResult base, other;
            CHECK(run_variant(name, norm, false, false, &base) == 0);
            for (int v = 1; v < 4; v++) {
                memset(&other, 0, sizeof other);
                int bad = run_variant(name, norm, v & 1, v & 2, &other) ||
                          same_results(&base, &other);
                var_free(&other);
                if (bad)
                    fprintf(stderr, "  %s %s no_fuse %d no_shared_grads %d differs\n",
                            name, model_norm_names[norm], v & 1, (v & 2) != 0);
                CHECK(!bad);
            }
            var_free(&base);
        }
    }
    return 0;
}

/* --- the whole model against finite differences --------------------------------- */

/* Central-difference step in a parameter. The loss below is O(1), so float32
 * logits leave it about 1e-6 of rounding, 1e-3 of the difference; a larger step
 * lets more ReLU and max-pool inputs cross zero inside the interval. */
#define MODEL_GRAD_STEP 1e-3f
/* |numeric - analytic| <= atol + rtol * |analytic|: loose enough for the rounding
 * and O(step^2) curvature, four times tighter than the 20% by which a gradient
 * through a dropout without its 1/(1-p) misses at p = 0.2. */
#define MODEL_GRAD_ATOL 1e-3
#define MODEL_GRAD_RTOL 5e-2
/* Parameters checked per layer, chosen at random. */
#define MODEL_GRAD_PER_LAYER 64
/* A parameter whose interval holds a kink (a ReLU input crossing zero, a max-pool
 * tie) gets a numeric gradient that is no gradient at all: even far from kinks
 * (test_far_from_kinks) one in 16 of a small layer's parameters may fail for that
 * reason, while a wrong gradient fails most of them (half or more with the
 * dropout's 1/(1-p) left out). So at most one in MODEL_GRAD_KINKS may fail. */
#define MODEL_GRAD_KINKS 8

/* Image sides for the check. The norm kernels work in blocks of 16 floats and
 * finish a plane one by one: at 30 (then 15 and 7 after pooling) the blocks do
 * most of the work, at 5 (then 2 and 1) the remainders; the odd sides also make
 * max-pool drop a row and a column. */
static const int grad_sides[] = {30, 5};
#define GRAD_SIDE 30   /* the largest */

typedef struct {
    Model m;
    float x[VAR_N * 3 * GRAD_SIDE * GRAD_SIDE];
    float r[VAR_N * MODEL_CLASSES];
} GradCase;

/* sum r_i * logit_i over the batch, in training mode with a fixed dropout key, so
 * that every forward uses the same masks. */
static double logits_loss(void *arg)
{
    GradCase *g = arg;
    const float *logits = model_forward(&g->m, g->x, VAR_N, true, 42, NULL);
    double s = 0.0;
    for (int i = 0; i < VAR_N * MODEL_CLASSES; i++)
        s += (double)g->r[i] * (double)logits[i];
    return s;
}


/* Whether the sampled parameters of every layer but a few (kinks) have the
 * numeric gradient of the loss; rng picks them. */
static int check_layers(GradCase *g, Rng *rng)
{
    int bad = 0;
    for (int i = 0; i < g->m.nlayers; i++) {
        Layer *l = &g->m.layers[i];
        int checked = 0, failed = 0;
        for (; checked < MODEL_GRAD_PER_LAYER && (size_t)checked < l->nparams;
             checked++) {
            size_t j = (size_t)(rng_uniform(rng) * (float)l->nparams) % l->nparams;
            failed += !(test_grad_error(logits_loss, g, l->param + j, l->dparam + j,
                                        1, MODEL_GRAD_STEP, MODEL_GRAD_ATOL,
                                        MODEL_GRAD_RTOL) <= 1.0);
        }
        if (failed * MODEL_GRAD_KINKS > checked) {
            fprintf(stderr, "  %dx%d images, %s: %d of %d parameters off\n",
                    g->m.in_shape.h, g->m.in_shape.w, l->name, failed, checked);
            bad = 1;
        }
    }
    return bad;
}

/* tiny with group norm and dropout, fused (the default), on images of side: every
 * layer's parameters, a random sample of them, against central differences of the
 * loss. The network's input gets no gradient (model_backward gives none), so none
 * is checked. */
static int gradient_check(int side)
{
    static GradCase g;
    Error err;
    ModelConfig cfg = {.name = "tiny", .norm = NORM_GN, .groups = 4, .dropout = 0.2f,
                       .batch = VAR_N, .threads = 1, .conv = CONV_BLOCKED};
    Shape4 image = {1, 3, side, side};
    CHECK(model_build(&g.m, &cfg, image, &err) == STATUS_OK);
    CHECK(check_plan(&g.m, false, false) == 0);
    model_init(&g.m, 8);
    Rng rng;
    rng_seed(&rng, 12, RNG_STREAM_TEST);
    test_fill_normal(&rng, g.x, (size_t)VAR_N * 3 * (size_t)(side * side), 0.0f);
    test_fill_normal(&rng, g.r, sizeof g.r / sizeof g.r[0], 0.0f);
    test_far_from_kinks(&g.m, &rng);
    logits_loss(&g);
    model_zero_grad(&g.m);
    memcpy(model_logits_grad(&g.m, VAR_N), g.r, sizeof g.r);
    model_backward(&g.m, g.x, VAR_N, 42, NULL);
    int bad = check_layers(&g, &rng);
    model_free(&g.m);
    CHECK(!bad);
    return 0;
}

static int test_model_gradient_check(void)
{
    for (size_t i = 0; i < sizeof grad_sides / sizeof grad_sides[0]; i++)
        CHECK(gradient_check(grad_sides[i]) == 0);
    return 0;
}

const TestCase model_tests[] = {
    {"model_s8_bn", test_model_s8_bn},
    {"model_s8_ln", test_model_s8_ln},
    {"model_s8_gn", test_model_s8_gn},
    {"model_param_counts", test_model_param_counts},
    {"model_bad_config", test_model_bad_config},
    {"model_variants_agree", test_model_variants_agree},
    {"model_gradient_check", test_model_gradient_check},
    {NULL, NULL},
};
