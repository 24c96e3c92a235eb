/* test_train.c - end to end on a synthetic dataset of easily separated classes
 * (each class a distinct colour plus noise): a few epochs must drive the loss down
 * and the accuracy up; the same seed must give the same log, whatever the thread
 * count; the run directory gets its misclassified images and index; each epoch
 * trains in a fresh order drawn from the seed. */
#include <stdlib.h>
#include <string.h>
#include "base/readfile.h"
#include "kernels/whiten.h"
#include "report/report.h"
#include "report/runlog.h"
#include "test.h"
#include "train/checkpoint.h"
#include "train/train.h"

#define SYN_TRAIN 400
#define SYN_TEST 200
/* Colour classes are learnt almost perfectly; 80% leaves room for noise yet fails
 * if training does nothing (chance is 10%). */
#define SYN_MIN_ACC 80.0

static const char *synthetic_dir(void)
{
    static char dir[256];
    return test_synthetic_cifar_dir(dir, sizeof dir, SYN_TRAIN, SYN_TEST, 1);
}

static void config(TrainConfig *cfg, const char *data, const char *out)
{
    train_defaults(cfg);
    cfg->opts.model.name = "tiny";
    cfg->opts.model.batch = 32;
    cfg->opts.epochs = 6;
    cfg->opts.lr = 0.05;
    cfg->opts.schedule = SCHEDULE_ONECYCLE;
    cfg->opts.tta = true;
    cfg->opts.limit_train = SYN_TRAIN;
    cfg->quiet = true;
    snprintf(cfg->opts.data_dir, sizeof cfg->opts.data_dir, "%s", data);
    snprintf(cfg->out_dir, sizeof cfg->out_dir, "%s", out);
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    int n = 0, ch;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

static int run(TrainConfig *cfg, int threads)
{
    Pool *pool;
    Error err;
    CHECK(pool_create(&pool, threads, &err) == STATUS_OK);
    cfg->opts.model.threads = threads;
    Status st = train_run(cfg, pool, &err);
    pool_destroy(pool);
    if (st != STATUS_OK)
        fprintf(stderr, "  %s\n", err.msg);
    CHECK(st == STATUS_OK);
    return 0;
}

static int test_train_learns(void)
{
    const char *data = synthetic_dir();
    CHECK(data != NULL);
    char out[512];
    snprintf(out, sizeof out, "%s/run1", data);
    TrainConfig cfg;
    config(&cfg, data, out);
    CHECK(run(&cfg, 1) == 0);
    char path[600];
    snprintf(path, sizeof path, "%s/log.csv", out);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    char line[1024];
    double first_loss = 0, loss = 0, acc = 0, test_loss, flip_acc = 0;
    int epoch = 0, rows = 0;
    CHECK(fgets(line, sizeof line, f) && strncmp(line, TRAIN_CSV_HEADER, 20) == 0);
    while (fgets(line, sizeof line, f)) {
        CHECK(sscanf(line, "%d,bn,1,%*g,%lf,%*g,%lf,%lf,%*g,tiny,%lf", &epoch, &loss,
                     &test_loss, &acc, &flip_acc) == 5);
        if (++rows == 1)
            first_loss = loss;
        CHECK(epoch == rows);
    }
    fclose(f);
    CHECK(rows == cfg.opts.epochs);
    CHECK(loss < 0.5 * first_loss);
    CHECK(acc >= SYN_MIN_ACC && flip_acc >= SYN_MIN_ACC);
    snprintf(path, sizeof path, "%s/misclassified/index.csv", out);
    int wrong = count_lines(path) - 1;
    CHECK(wrong >= 0);
    CHECK(fabs(100.0 * (1.0 - wrong / (double)SYN_TEST) - acc) < 0.01);
    return 0;
}

/* train_ce is the plain cross-entropy of the training batches: without label
 * smoothing it is the objective itself (train_loss), up to how each is summed. */
static int test_train_logs_plain_ce(void)
{
    const char *data = synthetic_dir();
    CHECK(data != NULL);
    char out[512], path[600];
    snprintf(out, sizeof out, "%s/plain-ce", data);
    TrainConfig cfg;
    config(&cfg, data, out);
    cfg.opts.epochs = 2;
    cfg.opts.label_smoothing = 0.0f;
    CHECK(run(&cfg, 1) == 0);
    snprintf(path, sizeof path, "%s/log.csv", out);
    unsigned char *text;
    size_t len;
    Error err;
    CHECK(readfile_whole(path, &text, &len, &err) == STATUS_OK);
    RunLog log;
    Status st = runlog_parse(&log, (const char *)text, path, &err);
    free(text);
    CHECK(st == STATUS_OK);
    int ok = log.n == 2;
    for (int i = 0; ok && i < log.n; i++)
        ok = fabs(log.rows[i].train_ce - log.rows[i].train_loss) <=
             1e-5 * log.rows[i].train_loss;
    runlog_free(&log);
    CHECK(ok);
    return 0;
}

/* Same seed and flags: the same log (less seconds), with 1 thread and with 2. */
static int test_train_reproducible(void)
{
    const char *data = synthetic_dir();
    CHECK(data != NULL);
    char out[3][512];
    TrainConfig cfg;
    for (int i = 0; i < 3; i++) {
        snprintf(out[i], sizeof out[i], "%s/repro%d", data, i);
        config(&cfg, data, out[i]);
        cfg.opts.epochs = 2;
        CHECK(run(&cfg, i == 2 ? 2 : 1) == 0);
    }
    char *a = test_log_without_seconds(out[0]), *b = test_log_without_seconds(out[1]),
         *c = test_log_without_seconds(out[2]);
    CHECK(a && b && c);
    int same = strcmp(a, b) == 0, same_threads = strcmp(a, c) == 0;
    free(a), free(b), free(c);
    CHECK(same);
    CHECK(same_threads);
    return 0;
}

/* A directory with a log is not overwritten without --force. */
static int test_train_keeps_existing_log(void)
{
    const char *data = synthetic_dir();
    CHECK(data != NULL);
    char out[512];
    snprintf(out, sizeof out, "%s/keep", data);
    TrainConfig cfg;
    config(&cfg, data, out);
    cfg.opts.epochs = 1;
    CHECK(run(&cfg, 1) == 0);
    Error err;
    CHECK(train_run(&cfg, NULL, &err) == STATUS_USAGE);
    CHECK(strstr(err.msg, "--force") != NULL);
    cfg.force = true;
    CHECK(run(&cfg, 1) == 0);
    char path[600];
    snprintf(path, sizeof path, "%s/log.csv", out);
    CHECK(count_lines(path) == 2);
    return 0;
}

static int test_train_rejects_big_batch(void)
{
    const char *data = synthetic_dir();
    CHECK(data != NULL);
    char out[512];
    snprintf(out, sizeof out, "%s/bigbatch", data);
    TrainConfig cfg;
    config(&cfg, data, out);
    cfg.opts.model.batch = SYN_TRAIN + 1;
    Error err;
    CHECK(train_run(&cfg, NULL, &err) == STATUS_USAGE);
    CHECK(strstr(err.msg, "--batch") != NULL);
    return 0;
}

/* Stop hook: stops at the stop_at-th poll (1-based), before that step. */
static long polls, stop_at;

static bool stop_hook(void)
{
    return ++polls >= stop_at;
}

/* Runs cfg until the poll-th step, then reads the order the running epoch was
 * shuffled into from the checkpoint the stop left: order[SYN_TRAIN]. */
static int order_at(TrainConfig *cfg, long poll, size_t *order)
{
    char path[TRAIN_PATH_MAX + 32];
    cfg->stop = stop_hook;
    polls = 0, stop_at = poll;
    Pool *pool;
    Error err;
    CHECK(pool_create(&pool, 1, &err) == STATUS_OK);
    Status st = train_run(cfg, pool, &err);
    pool_destroy(pool);
    CHECK(st == STATUS_INTERRUPTED);
    snprintf(path, sizeof path, "%s/" CHECKPOINT_FILE, cfg->out_dir);
    unsigned char *bytes = NULL;
    size_t len = 0;
    Checkpoint c;
    CHECK(checkpoint_read_file(path, &bytes, &len, &err) == STATUS_OK);
    st = checkpoint_decode(&c, bytes, len, path, &err);
    free(bytes);
    CHECK(st == STATUS_OK);
    int ok = c.in_epoch && c.next == 0 && c.train_count == SYN_TRAIN;
    if (ok)
        memcpy(order, c.order, SYN_TRAIN * sizeof *order);
    checkpoint_free(&c);
    CHECK(ok);
    return 0;
}

/* Whether the permutation p of SYN_TRAIN indices is the identity. */
static int is_identity(const size_t *p)
{
    for (size_t i = 0; i < SYN_TRAIN; i++)
        if (p[i] != i)
            return 0;
    return 1;
}

/* Each epoch shuffles the order it starts from with a fresh draw of the seed's
 * stream: epoch 1's order is no identity, epoch 2's is epoch 1's shuffled again by
 * another permutation than epoch 1 drew (not the same draw repeated), and another
 * seed gives another order. */
static int test_train_shuffles_each_epoch(void)
{
    const char *data = synthetic_dir();
    CHECK(data != NULL);
    static size_t first[SYN_TRAIN], second[SYN_TRAIN], other[SYN_TRAIN];
    static size_t at[SYN_TRAIN], draw[SYN_TRAIN];
    char out[3][512];
    for (int i = 0; i < 3; i++)
        snprintf(out[i], sizeof out[i], "%s/order%d", data, i);
    TrainConfig cfg;
    long steps = (SYN_TRAIN + 31) / 32;
    config(&cfg, data, out[0]);
    CHECK(cfg.opts.model.batch == 32);
    CHECK(order_at(&cfg, 1, first) == 0);
    config(&cfg, data, out[1]);
    CHECK(order_at(&cfg, steps + 1, second) == 0);   /* the first step of epoch 2 */
    config(&cfg, data, out[2]);
    cfg.opts.seed = 2;
    CHECK(order_at(&cfg, 1, other) == 0);
    CHECK(!is_identity(first));
    /* second[i] = first[draw[i]]: the permutation epoch 2 drew */
    for (size_t i = 0; i < SYN_TRAIN; i++)
        at[first[i]] = i;
    for (size_t i = 0; i < SYN_TRAIN; i++)
        draw[i] = at[second[i]];
    CHECK(!is_identity(draw));
    CHECK(memcmp(draw, first, sizeof first) != 0);
    CHECK(memcmp(other, first, sizeof first) != 0);
    return 0;
}

/* A whiten layer's weights are fitted to the first training images, unaugmented,
 * before the first step, and training leaves them as fitted. */
static int test_train_whiten_fitted_and_frozen(void)
{
    const char *data = synthetic_dir();
    CHECK(data != NULL);
    char out[300];
    snprintf(out, sizeof out, "%s/whiten-run", data);
    TrainConfig cfg;
    config(&cfg, data, out);
    cfg.opts.epochs = 2;
    cfg.opts.model.name = MODEL_FILE_NAME;
    snprintf(cfg.opts.model.text, sizeof cfg.opts.model.text, "%s",
             "w: whiten 2\n   relu\nc1: conv 8 3 pad=1\n   norm\n   relu\n"
             "gap: gap\nhead: classifier\n");
    CHECK(run(&cfg, 1) == 0);
    Model m;
    RunOptions o;
    Error err;
    CHECK(train_load_model(out, 1, &m, &o, &err) == STATUS_OK);
    CifarSet set = {0};
    CHECK(cifar_load_train(&set, data, SYN_TRAIN, &err) == STATUS_OK);
    int n = (int)set.count;
    size_t *idx = malloc((size_t)n * sizeof *idx);
    float *x = malloc((size_t)n * CIFAR_IMAGE_BYTES * sizeof *x);
    unsigned char *labels = malloc((size_t)n);
    for (int i = 0; i < n; i++)
        idx[i] = (size_t)i;
    cifar_fill_batch(&set, idx, n, x, labels, NULL, NULL, 0);
    float want[24 * 12];
    whiten_fit(x, n, 3, 32, 32, 2, want);
    const Layer *w = &m.layers[0];
    int same = w->kind == LAYER_WHITEN && w->nstats == 24 * 12 &&
               memcmp(w->stats, want, sizeof want) == 0;
    free(idx), free(x), free(labels);
    cifar_free(&set);
    model_free(&m);
    CHECK(same);
    return 0;
}

const TestCase train_tests[] = {
    {"train_whiten_fitted_and_frozen", test_train_whiten_fitted_and_frozen},
    {"train_learns", test_train_learns},
    {"train_reproducible", test_train_reproducible},
    {"train_logs_plain_ce", test_train_logs_plain_ce},
    {"train_keeps_existing_log", test_train_keeps_existing_log},
    {"train_rejects_big_batch", test_train_rejects_big_batch},
    {"train_shuffles_each_epoch", test_train_shuffles_each_epoch},
    {NULL, NULL},
};
