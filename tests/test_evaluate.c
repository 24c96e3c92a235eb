/* test_evaluate.c - eval gives exactly what the run logged: a tiny run trained on
 * synthetic data, loaded back from its checkpoint (train_load_model) and scored
 * again, must reproduce the last log row's test_acc, test_loss and test_acc_flip to
 * the printed digit; a run stopped inside an epoch, a missing checkpoint and a
 * corrupt one are refused naming the file. */
#include <stdlib.h>
#include <string.h>
#include "base/readfile.h"
#include "report/report.h"
#include "test.h"
#include "train/evaluate.h"
#include "train/train.h"

#define SYN_TRAIN 300
#define SYN_TEST 150

static const char *synthetic_dir(void)
{
    static char dir[256];
    return test_synthetic_cifar_dir(dir, sizeof dir, SYN_TRAIN, SYN_TEST, 5);
}

/* A short run: few enough epochs to keep errors on the test set (so accuracy and
 * flip-averaged accuracy can differ), batch 32 with a partial last batch. */
static void config(TrainConfig *cfg, const char *data, const char *out, NormKind norm)
{
    train_defaults(cfg);
    cfg->opts.model.name = "tiny";
    cfg->opts.model.norm = norm;
    cfg->opts.model.groups = 2;
    cfg->opts.model.batch = 32;
    cfg->opts.model.threads = 1;
    cfg->opts.epochs = 2;
    cfg->opts.lr = 0.02;
    cfg->opts.limit_train = SYN_TRAIN;
    cfg->quiet = true;
    cfg->force = true;
    snprintf(cfg->opts.data_dir, sizeof cfg->opts.data_dir, "%s", data);
    snprintf(cfg->out_dir, sizeof cfg->out_dir, "%s", out);
}

/* Field col (0-based) of the last row of dir/log.csv into buf. */
static int last_field(const char *dir, int col, char *buf, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/log.csv", dir);
    unsigned char *text;
    size_t len;
    Error err;
    CHECK(readfile_whole(path, &text, &len, &err) == STATUS_OK && len > 1);
    char *line = (char *)text + len - 1;   /* the final newline */
    while (line > (char *)text && line[-1] != '\n')
        line--;
    for (int i = 0; i < col && line; i++)
        line = strchr(line, ',') ? strchr(line, ',') + 1 : NULL;
    CHECK(line != NULL);
    size_t n = strcspn(line, ",\n");
    CHECK(n < cap);
    memcpy(buf, line, n);
    buf[n] = '\0';
    free(text);
    return 0;
}

static int eval_matches_log(NormKind norm, const char *name)
{
    const char *data = synthetic_dir();
    char out[512];
    CHECK(data && test_tmpdir_copy(out, sizeof out));
    strcat(out, name);
    TrainConfig cfg;
    config(&cfg, data, out, norm);
    Error err;
    CHECK(train_run(&cfg, NULL, &err) == STATUS_OK);
    Model m;
    RunOptions opts;
    CHECK(train_load_model(out, 1, &m, &opts, &err) == STATUS_OK);
    CHECK(opts.model.norm == norm && m.in_shape.n == 32);
    CifarSet set = {0};
    CHECK(cifar_load_test(&set, data, 0, &err) == STATUS_OK);
    EvalResult r;
    unsigned char *pred = malloc(set.count);
    CHECK(pred && evaluate_set(&m, NULL, &set, true, NULL, pred, &r, &err) == STATUS_OK);
    char got[3][32], want[3][32];
    snprintf(got[0], sizeof got[0], "%.2f", evaluate_percent(r.correct, r.count));
    snprintf(got[1], sizeof got[1], "%.6f", r.loss);
    snprintf(got[2], sizeof got[2], "%.2f", evaluate_percent(r.correct_flip, r.count));
    CHECK(last_field(out, 7, want[0], 32) == 0 && last_field(out, 6, want[1], 32) == 0 &&
          last_field(out, 10, want[2], 32) == 0);
    for (int i = 0; i < 3; i++)
        if (strcmp(got[i], want[i]) != 0)
            fprintf(stderr, "  %s: eval %s, log %s\n", name, got[i], want[i]);
    CHECK(!strcmp(got[0], want[0]) && !strcmp(got[1], want[1]) &&
          !strcmp(got[2], want[2]));
    CHECK(r.count == SYN_TEST);
    size_t correct = 0;
    for (size_t i = 0; i < set.count; i++)
        correct += pred[i] == set.labels[i];
    CHECK(correct == r.correct);
    free(pred);
    cifar_free(&set);
    model_free(&m);
    return 0;
}

static int test_evaluate_matches_log_bn(void)
{
    return eval_matches_log(NORM_BN, "/bn");
}

static int test_evaluate_matches_log_gn(void)
{
    return eval_matches_log(NORM_GN, "/gn");
}

/* Flip averaging, recomputed here: a random untrained model on colour ramps (far
 * from mirror-symmetric, so the mirrored image often gets another class),
 * probabilities averaged in double. */
static int test_evaluate_flip_average(void)
{
    enum { N = 200, BATCH = 16 };
    ModelConfig mc = {.name = "tiny", .norm = NORM_GN, .groups = 2, .dropout = -1.0f,
                      .batch = BATCH, .threads = 1, .conv = CONV_NAIVE};
    Model m;
    Error err;
    CHECK(model_build(&m, &mc, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    model_init(&m, 9);
    unsigned char labels[N], *pixels = malloc((size_t)N * CIFAR_IMAGE_BYTES);
    float *x = malloc((size_t)CIFAR_IMAGE_BYTES * sizeof(float));
    CHECK(pixels && x);
    Rng rng;
    rng_seed(&rng, 4, RNG_STREAM_TEST);
    /* Left-to-right ramps of random colour and slope: the mirror reverses them. */
    for (size_t p = 0; p < (size_t)N * CIFAR_CHANNELS; p++) {
        int base = (int)rng_below(&rng, 128), slope = (int)rng_below(&rng, 4);
        for (int k = 0; k < CIFAR_PLANE_BYTES; k++)
            pixels[p * CIFAR_PLANE_BYTES + (size_t)k] =
                (unsigned char)(base + slope * (k % CIFAR_SIDE) + (int)rng_below(&rng, 8));
    }
    memset(labels, 0, sizeof labels);
    CifarSet set = {.count = N, .labels = labels, .pixels = pixels};
    size_t correct = 0, changed_plain = 0, changed_mirrored = 0;
    for (size_t i = 0; i < N; i++) {
        double avg[CIFAR_CLASSES] = {0};
        int plain = 0, best = 0, mirrored = 0;
        for (int flip = 0; flip <= 1; flip++) {
            unsigned char label;
            float probs[CIFAR_CLASSES];
            cifar_fill_batch(&set, &i, 1, x, &label, NULL, NULL, flip);
            evaluate_softmax(model_forward(&m, x, 1, false, 0, NULL), probs);
            for (int k = 0; k < CIFAR_CLASSES; k++) {
                avg[k] += 0.5 * (double)probs[k];
                plain = flip || probs[k] <= probs[plain] ? plain : k;
                mirrored = !flip || probs[k] <= probs[mirrored] ? mirrored : k;
            }
        }
        for (int k = 1; k < CIFAR_CLASSES; k++)
            best = avg[k] > avg[best] ? k : best;
        /* Labelled with the flip-averaged class: every image counts as right with
         * flip averaging, and those the plain or the mirrored image alone gets
         * wrong show that both passes count. */
        labels[i] = (unsigned char)best;
        correct += plain == best;
        changed_plain += best != plain;
        changed_mirrored += best != mirrored;
    }
    EvalResult r;
    CHECK(evaluate_set(&m, NULL, &set, true, NULL, NULL, &r, &err) == STATUS_OK);
    CHECK(changed_plain > 0 && changed_mirrored > 0);   /* what this test is about */
    CHECK(r.count == N && r.correct == correct && r.correct_flip == N);
    CHECK(evaluate_set(&m, NULL, &set, false, NULL, NULL, &r, &err) == STATUS_OK);
    CHECK(r.correct == correct && !r.flip);
    free(pixels), free(x);
    model_free(&m);
    return 0;
}

static int stop_calls;
static bool stop_in_epoch_2(void)
{
    return ++stop_calls == 13;   /* 10 steps an epoch: inside the second */
}

static int test_load_model_refuses_unfinished(void)
{
    const char *data = synthetic_dir();
    char out[512], path[600];
    CHECK(data && test_tmpdir_copy(out, sizeof out));
    Error err;
    Model m;
    RunOptions opts;
    /* no checkpoint at all */
    CHECK(train_load_model(out, 1, &m, &opts, &err) == STATUS_IO);
    CHECK(strstr(err.msg, out) && strstr(err.msg, "checkpoint.bin"));
    /* stopped inside the first epoch */
    TrainConfig cfg;
    config(&cfg, data, out, NORM_BN);
    stop_calls = 0;
    cfg.stop = stop_in_epoch_2;
    CHECK(train_run(&cfg, NULL, &err) == STATUS_INTERRUPTED);
    CHECK(train_load_model(out, 1, &m, &opts, &err) == STATUS_DATA);
    CHECK(strstr(err.msg, out) && strstr(err.msg, "no finished model") &&
          strstr(err.msg, "inside epoch 2"));
    /* not a checkpoint */
    snprintf(path, sizeof path, "%s/checkpoint.bin", out);
    CHECK(report_write_atomic(path, "not a checkpoint", 16, &err) == STATUS_OK);
    CHECK(train_load_model(out, 1, &m, &opts, &err) == STATUS_DATA);
    CHECK(strstr(err.msg, path) != NULL);
    return 0;
}

const TestCase evaluate_tests[] = {
    {"evaluate_matches_log_bn", test_evaluate_matches_log_bn},
    {"evaluate_matches_log_gn", test_evaluate_matches_log_gn},
    {"evaluate_flip_average", test_evaluate_flip_average},
    {"load_model_refuses_unfinished", test_load_model_refuses_unfinished},
    {NULL, NULL},
};
