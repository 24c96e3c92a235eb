/* train.c - the training run: data, model, epochs of SGD, evaluation, the CSV log
 * and the misclassified test images. Everything a step needs is allocated before the
 * first epoch. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/platform.h"
#include "base/readfile.h"
#include "kernels/ops.h"
#include "report/progress.h"
#include "report/report.h"
#include "train/checkpoint.h"
#include "train/runfiles.h"
#include "train/train.h"

/* The defaults are RUNOPTS_LIST's; they were chosen on short runs (data/ablations/,
 * README "Results"): one-cycle to lr 0.2 with Nesterov momentum, weight decay 5e-4 on
 * conv weights and label smoothing 0.1. The origin's recipe is --model s8 --lr 0.01
 * --schedule constant --wd 0 --smoothing 0 --no-nesterov. */
#define TRAIN_DEFAULT(where, kind, field, name, arg, lo, hi, def, help)               \
    TRAIN_DEFAULT_##where(RUNOPTS_SET_##kind(cfg->field, def));
#define TRAIN_DEFAULT_KEEP(set)
#define TRAIN_DEFAULT_FREE(set)
#define TRAIN_DEFAULT_TRAIN(set) set
#define TRAIN_DEFAULT_CLI(set)
#define TRAIN_DEFAULT_ACT(set)

void train_defaults(TrainConfig *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    runopts_defaults(&cfg->opts);
    RUNOPTS_LIST(TRAIN_DEFAULT)
}

typedef struct {
    double loss;      /* summed over images: the objective (label-smoothed) */
    double ce;        /* summed over images: plain cross-entropy, what the model
                       * predicts (training only) */
    size_t correct, correct_flip, count;
    bool flipped;     /* correct_flip was measured */
} Tally;

typedef struct {
    const TrainConfig *cfg;
    Pool *pool;
    Model model;
    CifarSet train, test;
    float *x;               /* [batch][3][32][32] */
    unsigned char *labels;  /* [batch] */
    float *logp;            /* [batch][10] */
    float *probs;           /* [batch][10], flip-averaged probabilities */
    size_t *order;          /* shuffled training indices */
    size_t *test_idx;       /* 0 .. test.count-1 */
    unsigned char *pred;    /* [test.count] after the last evaluation */
    float *conf;            /* [test.count] probability of the prediction */
    Rng shuffle, augment;
    long step, total_steps;
    int epoch;              /* 1-based, the one running */
    CsvLog log;
    /* progress within the running epoch, for checkpoints */
    bool in_epoch;          /* order is shuffled for it */
    size_t next;            /* its next position in order */
    int first_epoch;        /* 1, or the one a resumed run continues */
    Tally resumed;          /* partial tallies of a resumed epoch */
    char *rows;             /* the log's rows so far ('\n'-terminated) */
    size_t rows_len, rows_cap;
    /* a resumed run's checkpoint, until its state is restored */
    Checkpoint ck;
    unsigned char *ck_bytes;
    size_t ck_len;
    /* what the run shows and leaves besides the log (progress.h, runfiles.h) */
    Progress progress;
    RunFiles files;
    RunLock lock;           /* held from before the first write to the end */
    uint64_t run_id;        /* drawn at the start; a resumed run keeps its own */
} Run;

static void *alloc_array(size_t count, size_t size, const char *what, Status *st,
                         Error *err)
{
    size_t bytes;
    void *p = NULL;
    if (*st == STATUS_OK && size_mul(count ? count : 1, size, &bytes))
        p = malloc(bytes);
    if (!p && *st == STATUS_OK)
        *st = error_set(err, STATUS_NOMEM, "out of memory for %s", what);
    return p;
}

static Status load_data(Run *r, Error *err)
{
    const RunOptions *o = &r->cfg->opts;
    Status st = cifar_load_train(&r->train, o->data_dir, o->limit_train, err);
    if (st == STATUS_OK)
        st = cifar_load_test(&r->test, o->data_dir, o->limit_test, err);
    if (st != STATUS_OK)
        return st;
    if ((size_t)o->model.batch > r->train.count)
        return error_set(err, STATUS_USAGE,
                         "--batch %d is larger than the %zu training images",
                         o->model.batch, r->train.count);
    return STATUS_OK;
}

static Status allocate_run(Run *r, Error *err)
{
    size_t batch = (size_t)r->cfg->opts.model.batch, k = MODEL_CLASSES;
    Status st = STATUS_OK;
    r->x = alloc_array(batch * CIFAR_IMAGE_BYTES, sizeof(float), "a batch", &st, err);
    r->labels = alloc_array(batch, 1, "labels", &st, err);
    r->logp = alloc_array(batch * k, sizeof(float), "outputs", &st, err);
    r->probs = alloc_array(batch * k, sizeof(float), "outputs", &st, err);
    r->order = alloc_array(r->train.count, sizeof(size_t), "indices", &st, err);
    r->test_idx = alloc_array(r->test.count, sizeof(size_t), "indices", &st, err);
    r->pred = alloc_array(r->test.count, 1, "predictions", &st, err);
    r->conf = alloc_array(r->test.count, sizeof(float), "predictions", &st, err);
    if (st != STATUS_OK)
        return st;
    for (size_t i = 0; i < r->train.count; i++)
        r->order[i] = i;
    for (size_t i = 0; i < r->test.count; i++)
        r->test_idx[i] = i;
    return STATUS_OK;
}

static void free_run(Run *r)
{
    free(r->x), free(r->labels), free(r->logp), free(r->probs);
    free(r->order), free(r->test_idx), free(r->pred), free(r->conf);
    free(r->rows), free(r->ck_bytes);
    checkpoint_free(&r->ck);
    model_free(&r->model);
    cifar_free(&r->train);
    cifar_free(&r->test);
}

/* Fisher-Yates with the run's shuffle stream. */
static void shuffle(size_t *v, size_t n, Rng *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_below(rng, (uint32_t)i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

double train_step(Model *m, Pool *pool, const TrainBatch *b, float smoothing,
                  const SgdConfig *sgd, float lr, float *logp)
{
    const float *logits = model_forward(m, b->x, b->n, true, b->key, pool);
    loss_log_softmax(b->n, MODEL_CLASSES, logp, logits);
    double loss = loss_nll(b->n, MODEL_CLASSES, logp, b->labels, smoothing);
    if (!isfinite(loss))
        return loss;
    model_zero_grad(m);
    loss_backward(b->n, MODEL_CLASSES, model_logits_grad(m, b->n), logp, b->labels,
                  smoothing);
    model_backward(m, b->x, b->n, b->key, pool);
    sgd_step(sgd, lr, m->params.base, m->moms.base, m->grads.base, m->param_span,
             m->ndecay);
    return loss;
}

static Status train_batch(Run *r, size_t start, int n, Tally *t, Error *err)
{
    const RunOptions *o = &r->cfg->opts;
    CifarAugment aug = o->augment;
    aug.key = o->seed ^ RNG_STREAM_FLIP;
    aug.epoch = r->epoch - 1;
    cifar_fill_batch(&r->train, r->order + start, n, r->x, r->labels, &aug,
                     &r->augment, 0);
    TrainBatch b = {r->x, r->labels, n,
                    rng_hash(o->seed ^ RNG_STREAM_DROPOUT, (uint64_t)r->step)};
    float lr = (float)schedule_lr(o->schedule, o->lr, r->step, r->total_steps);
    double loss = train_step(&r->model, r->pool, &b, o->label_smoothing, &o->sgd, lr,
                             r->logp);
    if (!isfinite(loss))
        return error_set(err, STATUS_DIVERGED,
                         "the loss became %s at step %ld (epoch %d): the learning "
                         "rate (--lr %g) is probably too high",
                         isnan(loss) ? "NaN" : "infinite", r->step + 1, r->epoch,
                         o->lr);
    for (int i = 0; i < n; i++) {
        const float *logp = r->logp + i * MODEL_CLASSES;
        t->correct += loss_argmax(logp, MODEL_CLASSES) == r->labels[i];
        t->ce -= (double)logp[r->labels[i]];
    }
    t->loss += loss * n;
    t->count += (size_t)n;
    r->step++;
    return STATUS_OK;
}

static bool all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return false;
    return true;
}

/* All parameters finite: a checkpoint never keeps weights that diverged. */
static bool params_finite(const Model *m)
{
    return all_finite(m->params.base, m->param_span);
}

/* All running statistics finite: with them the test loss would be NaN. */
static bool stats_finite(const Model *m)
{
    for (int i = 0; i < m->nlayers; i++)
        if (!all_finite(m->layers[i].stats, m->layers[i].nstats))
            return false;
    return true;
}

/* After an epoch's evaluation: every loss, weight and running statistic finite,
 * else the run stops as diverged before the epoch is logged or saved. */
static Status check_finite(const Run *r, const Tally *tr, const Tally *te, Error *err)
{
    const char *what = NULL;
    double loss = 0.0;
    if (!isfinite(tr->loss))
        what = "the training loss", loss = tr->loss;
    else if (!params_finite(&r->model))
        what = "the weights";
    else if (!stats_finite(&r->model))
        what = "the running statistics";
    else if (!isfinite(te->loss))
        what = "the test loss", loss = te->loss;
    if (!what)
        return STATUS_OK;
    return error_set(err, STATUS_DIVERGED, "%s became %s (epoch %d): the learning "
                     "rate (--lr %g) is probably too high; the log and checkpoint keep "
                     "the epochs before", what, isinf(loss) ? "infinite" : "NaN",
                     r->epoch, r->cfg->opts.lr);
}

static void checkpoint_path(char *buf, size_t size, const char *dir)
{
    snprintf(buf, size, "%s/" CHECKPOINT_FILE, dir);
}

/* The run's options and state now, pointing into r (nothing allocated). */
static void checkpoint_of(const Run *r, const Tally *t, Checkpoint *c)
{
    const TrainConfig *cfg = r->cfg;
    memset(c, 0, sizeof *c);
    c->opts = cfg->opts;
    c->run_id = r->run_id;
    c->epochs_done = r->in_epoch ? r->epoch - 1 : r->epoch;
    c->in_epoch = r->in_epoch;
    if (r->in_epoch) {
        c->next = r->next;
        c->tally_loss = t->loss;
        c->tally_ce = t->ce;
        c->tally_correct = t->correct;
        c->tally_count = t->count;
    }
    c->step = r->step;
    c->shuffle = r->shuffle;
    c->augment_rng = r->augment;
    c->train_count = r->train.count;
    c->order = r->order;
    c->log = r->rows;
    c->log_len = r->rows_len;
}

/* Replace out_dir/checkpoint.bin atomically with the state now; t holds the running
 * epoch's partial tallies (used when r->in_epoch). Weights that are no longer finite
 * are never saved: the last good checkpoint stays. */
static Status save_checkpoint(const Run *r, const Tally *t, Error *err)
{
    const TrainConfig *cfg = r->cfg;
    if (!params_finite(&r->model))
        return error_set(err, STATUS_DIVERGED,
                         "the weights became NaN or infinite by step %ld (epoch %d): "
                         "the learning rate (--lr %g) is probably too high; the last "
                         "checkpoint is kept", r->step, r->epoch, cfg->opts.lr);
    Checkpoint c;
    checkpoint_of(r, t, &c);
    size_t len = checkpoint_encode(NULL, 0, &c, &r->model);
    unsigned char *buf = len ? malloc(len) : NULL;
    if (!buf)
        return error_set(err, STATUS_NOMEM, "out of memory for the checkpoint");
    size_t written = checkpoint_encode(buf, len, &c, &r->model);
    assert(written == len);
    (void)written;
    char path[TRAIN_PATH_MAX + 32];
    checkpoint_path(path, sizeof path, cfg->out_dir);
    Status st = report_write_atomic(path, buf, len, err);
    free(buf);
    return st;
}

/* s as one shell word into buf: as it is when it holds only safe characters, else
 * in single quotes (each ' as '\''), so that the resume hint can be pasted. */
static void shell_quote(char *buf, size_t cap, const char *s)
{
    if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789_-./+,:=@%") == strlen(s)) {
        snprintf(buf, cap, "%s", s);
        return;
    }
    size_t used = 0;
    buf[used++] = '\'';
    for (; *s && used + 5 < cap; s++) {
        if (*s == '\'') {
            memcpy(buf + used, "'\\''", 4);
            used += 4;
        } else {
            buf[used++] = *s;
        }
    }
    buf[used++] = '\'';
    buf[used] = '\0';
}

/* cfg->stop asked to stop before the next step: save the state there. */
static Status interrupt(Run *r, const Tally *t, Error *err)
{
    const TrainConfig *cfg = r->cfg;
    if (!cfg->quiet) {
        progress_clear(&r->progress);
        fprintf(stderr, "cifar-train: interrupted; saving a checkpoint (interrupt "
                "again to quit at once)\n");
        fflush(stderr);
    }
    Status st = save_checkpoint(r, t, err);
    if (st != STATUS_OK)
        return st;
    char quoted[2 * TRAIN_PATH_MAX];
    shell_quote(quoted, sizeof quoted, cfg->out_dir);
    return error_set(err, STATUS_INTERRUPTED, "interrupted in epoch %d after step %ld; "
                     "the run is saved: continue it with: cifar-train --resume %s",
                     r->epoch, r->step, quoted);
}

/* The live progress line after a batch: epoch, batch, running loss and accuracy. */
static void show_progress(Run *r, const Tally *t)
{
    size_t batch = (size_t)r->cfg->opts.model.batch;
    progress_batch(&r->progress, r->epoch, (long)((r->next + batch - 1) / batch),
                   (ProgressTally){t->loss, t->correct, t->count}, platform_seconds());
}

/* The rest of the running epoch from r->next, shuffling first when it starts. Stops
 * before a step when cfg->stop says so, with a checkpoint of the state there. */
static Status train_epoch(Run *r, Tally *t, Error *err)
{
    int batch = r->cfg->opts.model.batch;
    if (!r->in_epoch) {
        shuffle(r->order, r->train.count, &r->shuffle);
        r->in_epoch = true;
        r->next = 0;
    }
    while (r->next < r->train.count) {
        if (r->cfg->stop && r->cfg->stop())
            return interrupt(r, t, err);
        size_t left = r->train.count - r->next;
        int n = left < (size_t)batch ? (int)left : batch;
        Status st = train_batch(r, r->next, n, t, err);
        if (st != STATUS_OK)
            return st;
        r->next += (size_t)n;
        show_progress(r, t);
    }
    r->in_epoch = false;
    r->next = 0;
    return STATUS_OK;
}

/* probs[i] = exp(logp[i]) for n rows, averaged with what is there when add. */
static void to_probs(float *probs, const float *logp, int n, int add)
{
    for (int i = 0; i < n * MODEL_CLASSES; i++) {
        float p = expf(logp[i]);
        probs[i] = add ? 0.5f * (probs[i] + p) : p;
    }
}

static void eval_batch(Run *r, size_t start, int n, Tally *t)
{
    Model *m = &r->model;
    const size_t *idx = r->test_idx + start;
    for (int flip = 0; flip <= (t->flipped ? 1 : 0); flip++) {
        cifar_fill_batch(&r->test, idx, n, r->x, r->labels, NULL, NULL, flip);
        const float *logits = model_forward(m, r->x, n, false, 0, r->pool);
        loss_log_softmax(n, MODEL_CLASSES, r->logp, logits);
        to_probs(r->probs, r->logp, n, flip);
        if (flip)
            continue;
        t->loss += loss_nll(n, MODEL_CLASSES, r->logp, r->labels, 0.0f) * n;
        for (int i = 0; i < n; i++) {
            int p = loss_argmax(r->logp + i * MODEL_CLASSES, MODEL_CLASSES);
            t->correct += p == r->labels[i];
            r->pred[start + (size_t)i] = (unsigned char)p;
            r->conf[start + (size_t)i] = expf(r->logp[i * MODEL_CLASSES + p]);
        }
    }
    for (int i = 0; t->flipped && i < n; i++)
        t->correct_flip += loss_argmax(r->probs + i * MODEL_CLASSES, MODEL_CLASSES) ==
                           r->labels[i];
    t->count += (size_t)n;
}

/* Test accuracy, and with flip averaging when t->flipped is set. */
static void evaluate(Run *r, Tally *t)
{
    int batch = r->cfg->opts.model.batch;
    for (size_t start = 0; start < r->test.count; start += (size_t)batch) {
        size_t left = r->test.count - start;
        eval_batch(r, start, left < (size_t)batch ? (int)left : batch, t);
    }
}

static double percent(size_t part, size_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Keep a log row for the checkpoints, which restore the log on resume. */
static Status keep_row(Run *r, const char *line, Error *err)
{
    size_t n = strlen(line);
    if (r->rows_len + n + 2 > r->rows_cap) {
        size_t cap = 2 * (r->rows_len + n + 2);
        char *grown = realloc(r->rows, cap);
        if (!grown)
            return error_set(err, STATUS_NOMEM, "out of memory for the log");
        r->rows = grown;
        r->rows_cap = cap;
    }
    memcpy(r->rows + r->rows_len, line, n);
    r->rows_len += n;
    r->rows[r->rows_len++] = '\n';
    r->rows[r->rows_len] = '\0';
    return STATUS_OK;
}

static Status log_epoch(Run *r, int epoch, const Tally *tr, const Tally *te,
                        double seconds, Error *err)
{
    const RunOptions *o = &r->cfg->opts;
    char flip[32] = "";
    if (te->flipped)
        snprintf(flip, sizeof flip, "%.2f", percent(te->correct_flip, te->count));
    double lr = schedule_lr(o->schedule, o->lr, r->step - 1, r->total_steps);
    char line[512];
    snprintf(line, sizeof line,
             "%d,%s,%llu,%.6g,%.6f,%.2f,%.6f,%.2f,%.1f,%s,%s,%.6f,%016llx", epoch,
             model_norm_names[o->model.norm], (unsigned long long)o->seed, lr,
             tr->loss / (double)tr->count, percent(tr->correct, tr->count),
             te->loss / (double)te->count, percent(te->correct, te->count), seconds,
             o->model.name, flip, tr->ce / (double)tr->count,
             (unsigned long long)r->run_id);
    if (!r->cfg->quiet) {
        printf("epoch %2d/%d  lr %.5f  train loss %.4f acc %6.2f%%  test loss %.4f "
               "acc %6.2f%%%s%s%s  %.1fs\n", epoch, o->epochs, lr,
               tr->loss / (double)tr->count, percent(tr->correct, tr->count),
               te->loss / (double)te->count, percent(te->correct, te->count),
               te->flipped ? " (flip " : "", flip, te->flipped ? "%)" : "", seconds);
        fflush(stdout);
    }
    Status st = keep_row(r, line, err);
    return st == STATUS_OK ? csvlog_append(&r->log, line, err) : st;
}

/* File name of misclassified test image i. */
static void misclassified_name(char *buf, size_t size, const char *dir, size_t i,
                               int truth, int pred)
{
    snprintf(buf, size, "%s/%05zu_%s_as_%s.ppm", dir, i, cifar_class_names[truth],
             cifar_class_names[pred]);
}

static int class_index(const char *name)
{
    for (int c = 0; c < CIFAR_CLASSES; c++)
        if (strcmp(name, cifar_class_names[c]) == 0)
            return c;
    return -1;
}

/* Remove the image of one line of index.csv, if it is one; others are left alone. */
static void remove_line(const char *dir, const char *line)
{
    char path[TRAIN_PATH_MAX + 64], truth[16], pred[16];
    size_t i;
    if (sscanf(line, "%zu,%15[a-z],%15[a-z]", &i, truth, pred) != 3)
        return;
    int t = class_index(truth), p = class_index(pred);
    if (t < 0 || p < 0)
        return;
    misclassified_name(path, sizeof path, dir, i, t, p);
    Error ignored;   /* an image already gone is no loss */
    (void)report_remove(path, &ignored);
}

/* Remove the images an earlier run listed in dir/index.csv, so a run started over
 * with --force leaves no stale pictures. Files it cannot parse are left alone. */
static void remove_listed(const char *dir)
{
    char path[TRAIN_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/index.csv", dir);
    unsigned char *text;
    size_t len;
    Error ignored;   /* no index: nothing to remove */
    if (readfile_whole(path, &text, &len, &ignored) != STATUS_OK)
        return;
    char *line = (char *)text;
    while (*line) {
        char *end = strchr(line, '\n');
        if (end)
            *end++ = '\0';
        else
            end = line + strlen(line);
        remove_line(dir, line);
        line = end;
    }
    free(text);
}

/* The index text (index,true,predicted,confidence) in a malloc'd buffer. */
static char *misclassified_index(const Run *r, size_t *len)
{
    size_t cap = 64 + r->test.count * 48, used;
    char *text = malloc(cap);
    if (!text)
        return NULL;
    used = (size_t)snprintf(text, cap, "index,true,predicted,confidence\n");
    for (size_t i = 0; i < r->test.count; i++)
        if (r->pred[i] != r->test.labels[i])
            used += (size_t)snprintf(text + used, cap - used, "%zu,%s,%s,%.4f\n", i,
                                     cifar_class_names[r->test.labels[i]],
                                     cifar_class_names[r->pred[i]],
                                     (double)r->conf[i]);
    *len = used;
    return text;
}

/* misclassified/index.csv, written first so that an interrupted run's images are
 * still found by the next cleanup, then NNNNN_true_as_pred.ppm for every wrong
 * test image with its original pixels. */
static Status write_misclassified(const Run *r, Error *err)
{
    char dir[TRAIN_PATH_MAX + 32], path[TRAIN_PATH_MAX + 64];
    snprintf(dir, sizeof dir, "%s/misclassified", r->cfg->out_dir);
    Status st = platform_mkdirs(dir, err);
    if (st != STATUS_OK)
        return st;
    remove_listed(dir);
    size_t len;
    char *text = misclassified_index(r, &len);
    if (!text)
        return error_set(err, STATUS_NOMEM, "out of memory for the misclassified index");
    snprintf(path, sizeof path, "%s/index.csv", dir);
    st = report_write_atomic(path, text, len, err);
    free(text);
    unsigned char ppm[64 + CIFAR_IMAGE_BYTES];
    for (size_t i = 0; i < r->test.count && st == STATUS_OK; i++) {
        if (r->pred[i] == r->test.labels[i])
            continue;
        size_t n = ppm_encode(ppm, CIFAR_SIDE, CIFAR_SIDE,
                              r->test.pixels + i * CIFAR_IMAGE_BYTES);
        misclassified_name(path, sizeof path, dir, i, r->test.labels[i], r->pred[i]);
        st = report_write_atomic(path, ppm, n, err);
    }
    return st;
}

/* A resumed run's log: the header and the checkpoint's rows, replacing log.csv
 * atomically (so rows logged after the checkpoint, by a run killed in between, go). */
static Status restore_log(const Run *r, const char *path, Error *err)
{
    size_t header = strlen(TRAIN_CSV_HEADER), len = header + 1 + r->rows_len;
    char *text = malloc(len + 1);
    if (!text)
        return error_set(err, STATUS_NOMEM, "out of memory for the log");
    memcpy(text, TRAIN_CSV_HEADER "\n", header + 1);
    memcpy(text + header + 1, r->rows, r->rows_len);
    Status st = report_write_atomic(path, text, len, err);
    free(text);
    return st;
}

static Status open_log(Run *r, Error *err)
{
    const TrainConfig *cfg = r->cfg;
    char path[TRAIN_PATH_MAX + 32];
    Status st = platform_mkdirs(cfg->out_dir, err);
    if (st != STATUS_OK)
        return st;
    snprintf(path, sizeof path, "%s/log.csv", cfg->out_dir);
    if (cfg->resume) {
        st = restore_log(r, path, err);
        return st == STATUS_OK ? csvlog_open(&r->log, path, TRAIN_CSV_HEADER, err) : st;
    }
    if (platform_is_file(path)) {
        if (!cfg->force)
            return error_set(err, STATUS_USAGE,
                             "%s already exists: pass --force to start over, or "
                             "--out DIR for a new run", path);
        if ((st = report_remove(path, err)) != STATUS_OK)
            return st;
        /* The old run's checkpoint goes too: it would not match the new log. */
        checkpoint_path(path, sizeof path, cfg->out_dir);
        if (platform_is_file(path) && (st = report_remove(path, err)) != STATUS_OK)
            return st;
        snprintf(path, sizeof path, "%s/log.csv", cfg->out_dir);
    }
    return csvlog_open(&r->log, path, TRAIN_CSV_HEADER, err);
}

/* Read and decode dir/checkpoint.bin; on success c and *bytes (len bytes, which
 * checkpoint_restore needs) belong to the caller; on failure nothing is kept. */
static Status read_run_checkpoint(const char *dir, Checkpoint *c, unsigned char **bytes,
                                  size_t *len, Error *err)
{
    char path[TRAIN_PATH_MAX + 32];
    if (strlen(dir) >= TRAIN_PATH_MAX)
        return error_set(err, STATUS_USAGE, "run directory name too long: %.100s...",
                         dir);
    checkpoint_path(path, sizeof path, dir);
    Status st = checkpoint_read_file(path, bytes, len, err);
    if (st == STATUS_OK && (st = checkpoint_decode(c, *bytes, *len, path, err)) !=
                               STATUS_OK) {
        free(*bytes);
        *bytes = NULL;
    }
    return st;
}

/* An option that a resumed run cannot change. */
static Status differs(const char *option, const char *dir, const Checkpoint *c,
                      Error *err)
{
    return error_set(err, STATUS_USAGE, "--%s differs from the run in %s (model %s, "
                     "norm %s): a resumed run keeps its options; only --epochs, --data, "
                     "--threads and --quiet may change", option, dir,
                     model_label(&c->opts.model), model_norm_names[c->opts.model.norm]);
}

/* cfg must be the checkpoint's run, apart from what a resumed run may change. */
static Status check_resume_options(const TrainConfig *cfg, const Checkpoint *c,
                                   Error *err)
{
    const char *option = runopts_differing(&cfg->opts, &c->opts);
    if (!option && cfg->force)
        option = "force";
    if (option)
        return differs(option, cfg->out_dir, c, err);
    /* Equal: the run trained to its end; resuming it redoes only the end. */
    if (cfg->opts.epochs < c->epochs_done ||
        (cfg->opts.epochs == c->epochs_done && c->in_epoch))
        return error_set(err, STATUS_USAGE, "the run in %s has finished %d epoch%s%s: "
                         "pass --epochs N with N > %d to train it further%s",
                         cfg->out_dir, c->epochs_done, c->epochs_done == 1 ? "" : "s",
                         c->in_epoch ? " and begun the next" : "", c->epochs_done,
                         c->in_epoch ? "" : ", or no --epochs to redo its end");
    return STATUS_OK;
}

/* True if text's first line ends with tail. */
static bool ends_header(const char *text, const char *tail)
{
    const char *nl = strchr(text, '\n');
    size_t n = strlen(tail);
    return nl && (size_t)(nl - text) >= n && memcmp(nl - n, tail, n) == 0;
}

/* The run id in a file of the run directory: after "run_id: " in run.txt, or as
 * the last field of log.csv's first row. 0 when the file or the id is not there. */
static uint64_t stored_run_id(const char *dir, const char *name)
{
    char path[TRAIN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unsigned char *bytes;
    size_t len;
    Error ignored;   /* no file: nothing to compare with */
    if (readfile_whole_max(path, (size_t)1 << 26, &bytes, &len, &ignored) != STATUS_OK)
        return 0;
    const char *text = (const char *)bytes, *at = NULL;
    if (strcmp(name, "run.txt") == 0) {
        at = strstr(text, "\nrun_id: ");
        at = at ? at + 9 : NULL;
    } else if (ends_header(text, ",run_id")) {
        const char *row = strchr(text, '\n') + 1, *end = strchr(row, '\n');
        for (const char *p = row; end && p < end; p++)
            if (*p == ',')
                at = p + 1;
    }
    unsigned long long id = 0;
    if (!at || sscanf(at, "%16llx", &id) != 1)
        id = 0;
    free(bytes);
    return id;
}

/* The checkpoint must be the run directory's own: a checkpoint copied in from
 * another run would continue that run here and replace this one's log. */
static Status check_run_id(const TrainConfig *cfg, const Checkpoint *c, Error *err)
{
    static const char *const files[] = {"run.txt", "log.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        uint64_t id = stored_run_id(cfg->out_dir, files[i]);
        if (id != 0 && id != c->run_id)
            return error_set(err, STATUS_DATA, "%s/" CHECKPOINT_FILE " is of run "
                             "%016llx, but %s/%s is of run %016llx: a checkpoint "
                             "copied from another run directory? (copy whole "
                             "directories)", cfg->out_dir,
                             (unsigned long long)c->run_id, cfg->out_dir, files[i],
                             (unsigned long long)id);
    }
    return STATUS_OK;
}

/* Read and check a resumed run's checkpoint; its tensors are restored later, into
 * the model built from the same options. */
static Status load_checkpoint(Run *r, Error *err)
{
    Status st = read_run_checkpoint(r->cfg->out_dir, &r->ck, &r->ck_bytes, &r->ck_len,
                                    err);
    if (st == STATUS_OK)
        st = check_resume_options(r->cfg, &r->ck, err);
    if (st == STATUS_OK)
        st = check_run_id(r->cfg, &r->ck, err);
    return st;
}

/* Continue where the checkpoint stopped: tensors, order, RNG streams, step, the
 * partial epoch and the log rows. */
static Status restore_run(Run *r, Error *err)
{
    Checkpoint *c = &r->ck;
    char path[TRAIN_PATH_MAX + 32];
    checkpoint_path(path, sizeof path, r->cfg->out_dir);
    if (r->train.count != c->train_count)
        return error_set(err, STATUS_USAGE, "%s was trained on %zu images, but %s gives "
                         "%zu (another dataset or --limit-train?)", path,
                         c->train_count, r->cfg->opts.data_dir, r->train.count);
    Status st = checkpoint_restore(c, r->ck_bytes, r->ck_len, &r->model, path, err);
    if (st != STATUS_OK)
        return st;
    memcpy(r->order, c->order, c->train_count * sizeof *r->order);
    r->shuffle = c->shuffle;
    r->augment = c->augment_rng;
    r->step = (long)c->step;
    r->run_id = c->run_id;
    r->first_epoch = c->epochs_done + 1;
    r->in_epoch = c->in_epoch;
    r->next = (size_t)c->next;
    r->resumed = (Tally){.loss = c->tally_loss, .ce = c->tally_ce,
                         .correct = (size_t)c->tally_correct,
                         .count = (size_t)c->tally_count};
    r->rows = c->log;   /* taken over: the run's rows continue from these */
    r->rows_len = c->log_len;
    r->rows_cap = c->log_len + 1;
    c->log = NULL;
    free(r->ck_bytes);
    r->ck_bytes = NULL;
    checkpoint_free(c);
    return STATUS_OK;
}

/* The progress display, run.txt and summary.txt (progress.h, runfiles.h). */
static Status start_outputs(Run *r, Error *err)
{
    const TrainConfig *cfg = r->cfg;
    size_t batch = (size_t)cfg->opts.model.batch;
    progress_init(&r->progress, cfg->quiet ? NULL : stderr, platform_isatty(stderr),
                  cfg->opts.epochs, (long)((r->train.count + batch - 1) / batch),
                  platform_seconds());
    r->files = (RunFiles){.opts = &cfg->opts, .out_dir = cfg->out_dir,
                          .force = cfg->force, .quiet = cfg->quiet,
                          .version = TRAIN_VERSION, .run_id = r->run_id,
                          .model = &r->model,
                          .threads = pool_threads(r->pool),
                          .first_epoch = r->first_epoch,
                          .train_count = r->train.count, .test_count = r->test.count};
    Status st = runfiles_start(&r->files, err);
    if (st == STATUS_OK && !cfg->quiet)
        printf("activation memory %.1f MiB at batch %d; layer table in %s/summary.txt\n",
               (double)model_activation_floats(&r->model) * sizeof(float) / 1048576.0,
               cfg->opts.model.batch, cfg->out_dir);
    fflush(stdout);   /* before the progress line on stderr, which is unbuffered */
    return st;
}

/* A new run's id: from the clock, the process id and where the stack and this
 * module's data are (address-space randomisation), hashed; never from the seed, so
 * no random stream of the training changes. */
static uint64_t new_run_id(void)
{
    static int here;
    int local = 0;
    struct timespec ts = {0, 0};
    (void)timespec_get(&ts, TIME_UTC);
    uint64_t key = (uint64_t)ts.tv_sec * 1000000007u + (uint64_t)ts.tv_nsec;
    uint64_t place = (uint64_t)(uintptr_t)&here ^ ((uint64_t)(uintptr_t)&local << 17);
    uint64_t id = rng_hash(key ^ (uint64_t)platform_pid() << 40,
                           place ^ (uint64_t)clock());
    return id ? id : 1;   /* 0 stands for "no id" in stored_run_id */
}

/* Every file the run writes is out_dir plus at most this (the longest being
 * misclassified/NNNNN_automobile_as_automobile.ppm.tmp), checked before the run
 * starts rather than found at its end. */
#define TRAIN_LONGEST_NAME 64

static Status check_out_dir(const TrainConfig *cfg, Error *err)
{
    size_t len = strlen(cfg->out_dir);
    if (len + TRAIN_LONGEST_NAME >= TRAIN_PATH_MAX)
        return error_set(err, STATUS_USAGE, "--out is %zu characters long; a run "
                         "directory may have at most %d, so that every file's path "
                         "fits", len, TRAIN_PATH_MAX - TRAIN_LONGEST_NAME - 1);
    return STATUS_OK;
}

/* Take the run directory's lock (made first when new), before anything in it is
 * read or written; a stale one is taken over with a notice. */
static Status lock_run(Run *r, Error *err)
{
    char started[32];
    long stale;
    Status st = platform_mkdirs(r->cfg->out_dir, err);
    runfiles_now(started, sizeof started);
    if (st == STATUS_OK)
        st = report_lock(&r->lock, r->cfg->out_dir, started, &stale, err);
    if (st == STATUS_OK && stale) {
        fprintf(stderr, "cifar-train: note: took over the lock of %s from process %ld, "
                "which has ended\n", r->cfg->out_dir, stale);
        fflush(stderr);
    }
    return st;
}

/* A batch file of another size than CIFAR-10's is taken, with a word (cifar.h). */
static void warn_odd(const Run *r)
{
    const char *odd = r->train.odd[0] ? r->train.odd : r->test.odd;
    if (*odd && !r->cfg->quiet) {
        fprintf(stderr, "cifar-train: warning: %s\n", odd);
        fflush(stderr);
    }
}

/* A new run refuses a directory that holds one, before it prints anything. */
static Status check_dir_free(const TrainConfig *cfg, Error *err)
{
    char path[TRAIN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/log.csv", cfg->out_dir);
    if (cfg->resume || cfg->force || !platform_is_file(path))
        return STATUS_OK;
    return error_set(err, STATUS_USAGE, "%s already holds a run (%s): pass --resume %s "
                     "to continue it, --force to start over, or --out DIR for a new "
                     "run", cfg->out_dir, path, cfg->out_dir);
}

/* Training images a whiten layer is fitted to: the first ones of the set, not
 * augmented. */
#define TRAIN_FIT_IMAGES 5000

/* Fit the model's whiten layers, if any, to the start of the training set. */
static Status fit_model(Run *r, Error *err)
{
    if (!model_needs_fit(&r->model))
        return STATUS_OK;
    int n = r->train.count < TRAIN_FIT_IMAGES ? (int)r->train.count : TRAIN_FIT_IMAGES;
    float *x = malloc((size_t)n * CIFAR_IMAGE_BYTES * sizeof *x);
    size_t *idx = malloc((size_t)n * sizeof *idx);
    unsigned char *labels = malloc((size_t)n);
    Status st = STATUS_OK;
    if (!x || !idx || !labels) {
        st = error_set(err, STATUS_NOMEM, "out of memory for the %d images whiten is "
                       "fitted to", n);
    } else {
        for (int i = 0; i < n; i++)
            idx[i] = (size_t)i;
        cifar_fill_batch(&r->train, idx, n, x, labels, NULL, NULL, 0);
        model_fit(&r->model, x, n);
    }
    free(x);
    free(idx);
    free(labels);
    return st;
}

static Status setup(Run *r, Error *err)
{
    const TrainConfig *cfg = r->cfg;
    if (cfg->opts.epochs < 1)
        return error_set(err, STATUS_USAGE, "--epochs %d must be at least 1",
                         cfg->opts.epochs);
    Status st = check_out_dir(cfg, err);
    /* An existing directory is locked before anything in it is looked at; a new
     * one is made, and locked, only once the options and data are found good. */
    if (st == STATUS_OK && (cfg->resume || platform_is_dir(cfg->out_dir)))
        st = lock_run(r, err);
    if (st == STATUS_OK)
        st = check_dir_free(cfg, err);
    if (st == STATUS_OK && cfg->resume)
        st = load_checkpoint(r, err);
    if (st == STATUS_OK)
        st = model_build(&r->model, &cfg->opts.model, CIFAR_IMAGE_SHAPE, err);
    if (st == STATUS_OK)
        st = load_data(r, err);
    if (st == STATUS_OK)
        st = allocate_run(r, err);
    if (st == STATUS_OK && !r->lock.held)
        st = lock_run(r, err);
    if (st != STATUS_OK)
        return st;
    r->run_id = new_run_id();
    model_init(&r->model, cfg->opts.seed);
    if (!cfg->resume && (st = fit_model(r, err)) != STATUS_OK)
        return st;
    rng_seed(&r->shuffle, cfg->opts.seed, RNG_STREAM_SHUFFLE);
    rng_seed(&r->augment, cfg->opts.seed, RNG_STREAM_AUGMENT);
    r->first_epoch = 1;
    if (cfg->resume && (st = restore_run(r, err)) != STATUS_OK)
        return st;
    long per_epoch = (long)((r->train.count + (size_t)cfg->opts.model.batch - 1) /
                            (size_t)cfg->opts.model.batch);
    r->total_steps = per_epoch * cfg->opts.epochs;
    if (!cfg->quiet && cfg->resume && r->first_epoch > cfg->opts.epochs)
        printf("finishing %s: %d epoch%s trained; writing its end again\n",
               cfg->out_dir, cfg->opts.epochs, cfg->opts.epochs == 1 ? "" : "s");
    else if (!cfg->quiet && cfg->resume)
        printf("resuming %s at epoch %d of %d\n", cfg->out_dir, r->first_epoch,
               cfg->opts.epochs);
    if (!cfg->quiet) {
        printf("model %s, norm %s, %zu parameters, %.2f M multiply-adds per image; "
               "%zu training and %zu test images; %d thread%s\n",
               cfg->opts.model.name, model_norm_names[cfg->opts.model.norm],
               r->model.nparams,
               model_macs(&r->model) / 1e6, r->train.count, r->test.count,
               pool_threads(r->pool), pool_threads(r->pool) == 1 ? "" : "s");
        fflush(stdout);
    }
    st = open_log(r, err);
    if (st == STATUS_OK)
        st = start_outputs(r, err);
    if (st == STATUS_OK)
        warn_odd(r);
    return st;
}

/* After the epochs (st says how they went): the end's files, or run.txt saying
 * why the run stopped; the log closed. */
static Status end_run(Run *r, Status st, Error *err)
{
    /* A run resumed at its end trained no epoch: its predictions come from the
     * checkpoint's weights, evaluated again, and its end is written anew. */
    if (st == STATUS_OK && r->first_epoch > r->cfg->opts.epochs) {
        Tally te = {.flipped = false};
        evaluate(r, &te);
    }
    if (st == STATUS_OK)
        st = write_misclassified(r, err);
    if (st == STATUS_OK)
        st = runfiles_finish(&r->files, &r->test, r->pred, r->conf, err);
    progress_clear(&r->progress);
    if ((st == STATUS_INTERRUPTED || st == STATUS_DIVERGED) && r->files.out_dir) {
        Error ignored;   /* the stop's own message is the one to give */
        (void)runfiles_stopped(&r->files, st == STATUS_INTERRUPTED ? "interrupted"
                                                                   : "diverged",
                               &ignored);
    }
    if (r->log.f) {
        Error close_err;
        Status cs = csvlog_close(&r->log, &close_err);
        if (st == STATUS_OK && cs != STATUS_OK)
            st = error_set(err, cs, "%s", close_err.msg);
    }
    return st;
}

Status train_run(const TrainConfig *cfg, Pool *pool, Error *err)
{
    Run r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.pool = pool;
    Status st = setup(&r, err);
    int epochs = cfg->opts.epochs;
    if (st == STATUS_OK && r.first_epoch <= epochs && cfg->steps_begin)
        cfg->steps_begin();
    for (int epoch = r.first_epoch; epoch <= epochs && st == STATUS_OK; epoch++) {
        double t0 = platform_seconds();
        Tally tr = r.resumed;
        /* Flip averaging costs a second test pass: every epoch with --tta, else
         * only after the last epoch, where it gives the run's headline figure. */
        Tally te = {.flipped = cfg->opts.tta || epoch == epochs};
        r.resumed = (Tally){0};
        r.epoch = epoch;
        st = train_epoch(&r, &tr, err);
        if (st == STATUS_OK) {
            evaluate(&r, &te);
            st = check_finite(&r, &tr, &te, err);
        }
        if (st == STATUS_OK) {
            progress_epoch_end(&r.progress, epoch,
                               (ProgressTally){tr.loss, tr.correct, tr.count},
                               platform_seconds());
            st = log_epoch(&r, epoch, &tr, &te, platform_seconds() - t0, err);
        }
        if (st == STATUS_OK)
            st = runfiles_epoch(&r.files, err);
        if (st == STATUS_OK)
            st = save_checkpoint(&r, &tr, err);
    }
    /* The training images are not needed past the last step: their 154 MB go back
     * before the end's outputs take memory of their own, so that the end of a run
     * is not its peak. */
    cifar_free(&r.train);
    st = end_run(&r, st, err);
    report_unlock(&r.lock);
    free_run(&r);
    return st;
}

/* Whether a run started in dir: it writes log.csv and run.txt before any step. */
static bool started_here(const char *dir)
{
    char path[TRAIN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/log.csv", dir);
    if (platform_kind(path))
        return true;
    snprintf(path, sizeof path, "%s/run.txt", dir);
    return platform_kind(path) != NULL;
}

Status train_resume_config(const char *dir, TrainConfig *cfg, Error *err)
{
    char path[TRAIN_PATH_MAX + 32];
    if (strlen(dir) >= TRAIN_PATH_MAX)
        return error_set(err, STATUS_USAGE, "run directory name too long: %.100s...",
                         dir);
    checkpoint_path(path, sizeof path, dir);
    if (!platform_kind(path) && started_here(dir))
        return error_set(err, STATUS_IO, "%s has no " CHECKPOINT_FILE ": its run stopped "
                         "before the first was saved (at the end of the first epoch, or "
                         "at an interrupt); start it over with --force --out %s", dir,
                         dir);
    unsigned char *bytes = NULL;
    size_t len = 0;
    Checkpoint c;
    Status st = read_run_checkpoint(dir, &c, &bytes, &len, err);
    free(bytes);
    if (st != STATUS_OK)
        return st;
    train_defaults(cfg);
    int threads = cfg->opts.model.threads;
    cfg->opts = c.opts;
    cfg->opts.model.threads = threads;   /* not stored: not part of the run */
    snprintf(cfg->out_dir, sizeof cfg->out_dir, "%s", dir);
    cfg->resume = true;
    checkpoint_free(&c);
    return STATUS_OK;
}

/* A checkpoint saved inside an epoch holds weights that no log row measured. */
static Status check_finished(const Checkpoint *c, const char *dir, Error *err)
{
    if (c->in_epoch)
        return error_set(err, STATUS_DATA, "%s/" CHECKPOINT_FILE " holds no finished "
                         "model: the run stopped inside epoch %d (continue it with  "
                         "cifar-train --resume %s)", dir, c->epochs_done + 1, dir);
    return STATUS_OK;
}

Status train_load_model(const char *dir, int threads, Model *m, RunOptions *opts,
                        Error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    Checkpoint c;
    Status st = read_run_checkpoint(dir, &c, &bytes, &len, err);
    if (st != STATUS_OK)
        return st;
    char path[TRAIN_PATH_MAX + 32];
    checkpoint_path(path, sizeof path, dir);
    c.opts.model.threads = threads;
    st = check_finished(&c, dir, err);
    if (st == STATUS_OK)
        st = model_build(m, &c.opts.model, CIFAR_IMAGE_SHAPE, err);
    if (st == STATUS_OK && (st = checkpoint_restore(&c, bytes, len, m, path, err)) !=
                               STATUS_OK)
        model_free(m);
    if (st == STATUS_OK)
        *opts = c.opts;
    free(bytes);
    checkpoint_free(&c);
    return st;
}
