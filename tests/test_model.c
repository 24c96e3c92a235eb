/* test_model.c - the origin's net (s8) against the independent PyTorch float64
 * implementation in tests/fixtures/s8_{bn,ln,gn}.bin: log-probabilities, loss, every
 * parameter gradient, the weights after two SGD steps and batch norm's running
 * statistics; plus the parameter count and shape errors. */
#include <stdlib.h>
#include <string.h>
#include "dataset/cifar.h"
#include "kernels/ops.h"
#include "nn/model.h"
#include "test.h"
#include "train/optim.h"

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

/* Logits and parameter gradients of one training step of s8 with dropout on random
 * data into logits[2][10] and grads[param_span]; with separate set, every layer that
 * shares its input's buffer gets a buffer of its own first. Returns 0 on success. */
static int step_s8_dropout(bool separate, float *logits, float *grads, size_t span)
{
    enum { N = 2 };
    Model m;
    Error err;
    ModelConfig cfg = {.name = "s8", .norm = NORM_BN, .groups = 4, .dropout = 0.3f,
                       .batch = N, .threads = 1, .conv = CONV_BLOCKED};
    CHECK(model_build(&m, &cfg, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    model_init(&m, 3);
    CHECK(m.param_span == span);
    float *own[MODEL_MAX_LAYERS] = {NULL};
    int shared = 0;
    for (int i = 0; i < m.nlayers; i++) {
        Layer *l = &m.layers[i];
        if (l->in < 0 || l->y != m.layers[l->in].y)
            continue;
        shared++;
        if (separate) {
            own[i] = calloc(shape4_count(l->out_shape), sizeof(float));
            CHECK(own[i] != NULL);
            l->y = own[i];
        }
    }
    CHECK(shared > 0);
    float x[N * 3 * 32 * 32];
    unsigned char labels[N] = {3, 7};
    float logp[N * MODEL_CLASSES];
    Rng rng;
    rng_seed(&rng, 9, RNG_STREAM_TEST);
    test_fill_normal(&rng, x, sizeof x / sizeof x[0], 0.0f);
    const float *out = model_forward(&m, x, N, true, 77, NULL);
    memcpy(logits, out, sizeof(float) * N * MODEL_CLASSES);
    loss_log_softmax(N, MODEL_CLASSES, logp, out);
    model_zero_grad(&m);
    loss_backward(N, MODEL_CLASSES, model_logits_grad(&m, N), logp, labels, 0.0f);
    model_backward(&m, x, N, 77, NULL);
    memcpy(grads, m.grads.base, span * sizeof(float));
    for (int i = 0; i < m.nlayers; i++)
        free(own[i]);
    model_free(&m);
    return 0;
}

/* ReLU and dropout layers that work in their input's buffer (model.c's in_place)
 * give bitwise the results of separate buffers, dropout over ReLU included. */
static int test_model_in_place_layers(void)
{
    Model probe;
    Error err;
    ModelConfig cfg = {.name = "s8", .norm = NORM_BN, .groups = 4, .dropout = 0.3f,
                       .batch = 2, .threads = 1, .conv = CONV_BLOCKED};
    CHECK(model_build(&probe, &cfg, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    size_t span = probe.param_span;
    model_free(&probe);
    float la[2 * MODEL_CLASSES], lb[2 * MODEL_CLASSES];
    float *ga = malloc(span * sizeof(float)), *gb = malloc(span * sizeof(float));
    CHECK(ga && gb);
    int bad = step_s8_dropout(false, la, ga, span) || step_s8_dropout(true, lb, gb, span);
    bad = bad || memcmp(la, lb, sizeof la) != 0 || memcmp(ga, gb, span * sizeof(float));
    free(ga), free(gb);
    CHECK(!bad);
    return 0;
}

const TestCase model_tests[] = {
    {"model_s8_bn", test_model_s8_bn},
    {"model_s8_ln", test_model_s8_ln},
    {"model_s8_gn", test_model_s8_gn},
    {"model_param_counts", test_model_param_counts},
    {"model_bad_config", test_model_bad_config},
    {"model_in_place_layers", test_model_in_place_layers},
    {NULL, NULL},
};
