/* test_checkpoint.c - the checkpoint format in memory (round trip, golden CRC, every
 * way a file can be wrong), resume end to end on synthetic data (stopped after an
 * epoch, stopped mid-epoch, extended with --epochs: bitwise the uninterrupted run),
 * refusals that leave the run directory untouched, divergence keeping the last good
 * checkpoint, and the replay of the fuzzers' corpora. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "report/report.h"
#include "test.h"
#include "train/checkpoint.h"
#include "train/train.h"

#define SYN_TRAIN 200
#define SYN_TEST 100
#define SYN_BATCH 32
/* ceil(SYN_TRAIN / SYN_BATCH) */
#define SYN_STEPS_PER_EPOCH 7

/* --- helpers ------------------------------------------------------------------------ */

static unsigned char *read_all(const char *path, size_t *len)
{
    unsigned char *bytes = NULL;
    Error err;
    if (checkpoint_read_file(path, &bytes, len, &err) != STATUS_OK)
        return NULL;
    return bytes;
}

static const char *synthetic_dir(void)
{
    static char dir[256];
    return test_synthetic_cifar_dir(dir, sizeof dir, SYN_TRAIN, SYN_TEST, 11);
}

static void config(TrainConfig *cfg, const char *name)
{
    const char *data = synthetic_dir();
    train_defaults(cfg);
    cfg->opts.model.name = "tiny";
    cfg->opts.model.batch = SYN_BATCH;
    cfg->opts.epochs = 4;
    cfg->opts.lr = 0.05;
    cfg->opts.schedule = SCHEDULE_ONECYCLE;
    cfg->opts.tta = true;
    cfg->opts.augment.cutout = 8;
    cfg->opts.limit_train = SYN_TRAIN;
    cfg->quiet = true;
    snprintf(cfg->opts.data_dir, sizeof cfg->opts.data_dir, "%s", data ? data : "");
    snprintf(cfg->out_dir, sizeof cfg->out_dir, "%s/%s", data ? data : "", name);
}

/* Stop hook: stops at the stop_at-th poll (1-based; 0 never). */
static long polls, stop_at;

static bool stop_hook(void)
{
    return stop_at > 0 && ++polls >= stop_at;
}

static Status run_with(TrainConfig *cfg, int threads, Error *err)
{
    Pool *pool = NULL;
    Status st = pool_create(&pool, threads, err);
    cfg->opts.model.threads = threads;
    if (st == STATUS_OK)
        st = train_run(cfg, pool, err);
    pool_destroy(pool);
    return st;
}

static int run_ok(TrainConfig *cfg, int threads)
{
    Error err;
    Status st = run_with(cfg, threads, &err);
    if (st != STATUS_OK)
        fprintf(stderr, "  %s\n", err.msg);
    CHECK(st == STATUS_OK);
    return 0;
}

/* Whether two run directories end with the same log (less seconds) and the same
 * tensors, bit for bit. */
static int same_runs(const char *a, const char *b)
{
    char *la = test_log_without_seconds(a), *lb = test_log_without_seconds(b);
    CHECK(la && lb);
    int same_log = strcmp(la, lb) == 0;
    if (!same_log)
        fprintf(stderr, "  logs differ:\n%s---\n%s", la, lb);
    free(la), free(lb);
    CHECK(same_log);
    char pa[600], pb[600];
    snprintf(pa, sizeof pa, "%s/" CHECKPOINT_FILE, a);
    snprintf(pb, sizeof pb, "%s/" CHECKPOINT_FILE, b);
    size_t na, nb;
    unsigned char *ba = read_all(pa, &na), *bb = read_all(pb, &nb);
    CHECK(ba && bb);
    Checkpoint ca, cb;
    Error err;
    CHECK(checkpoint_decode(&ca, ba, na, pa, &err) == STATUS_OK);
    CHECK(checkpoint_decode(&cb, bb, nb, pb, &err) == STATUS_OK);
    int same = na - ca.tensors_at == nb - cb.tensors_at &&
               memcmp(ba + ca.tensors_at, bb + cb.tensors_at, na - ca.tensors_at - 4) == 0 &&
               ca.step == cb.step && ca.epochs_done == cb.epochs_done &&
               ca.shuffle.state == cb.shuffle.state &&
               ca.augment_rng.state == cb.augment_rng.state &&
               memcmp(ca.order, cb.order, ca.train_count * sizeof *ca.order) == 0;
    checkpoint_free(&ca), checkpoint_free(&cb);
    free(ba), free(bb);
    CHECK(same);
    return 0;
}

/* --- the format in memory ------------------------------------------------------------ */

static int test_checkpoint_crc32(void)
{
    /* The standard check value of CRC-32/ISO-HDLC. */
    CHECK(checkpoint_crc32("123456789", 9) == 0xCBF43926u);
    CHECK(checkpoint_crc32("", 0) == 0u);
    return 0;
}

/* A tiny gn model with recognisable tensors and a checkpoint describing it. */
typedef struct {
    Model m;
    Checkpoint c;
    size_t order[5];
    unsigned char *bytes;
    size_t len;
} Sample;

static int make_sample(Sample *s, NormKind norm)
{
    memset(s, 0, sizeof *s);
    ModelConfig mc = {.name = "tiny", .norm = norm, .groups = 4, .dropout = -1.0f,
                      .batch = 2, .threads = 1, .conv = CONV_BLOCKED};
    Error err;
    CHECK(model_build(&s->m, &mc, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    model_init(&s->m, 7);
    /* Momentum inside the layers only: the arena's alignment gaps stay zero. */
    for (int l = 0; l < s->m.nlayers; l++) {
        if (s->m.layers[l].nparams == 0)   /* param is NULL */
            continue;
        float *mom = s->m.moms.base + (s->m.layers[l].param - s->m.params.base);
        for (size_t i = 0; i < s->m.layers[l].nparams; i++)
            mom[i] = (float)i * 0.25f - 3.0f;
    }
    for (size_t i = 0; i < s->m.nstats; i++)
        s->m.stats.base[i] = 1.0f + (float)i;
    Checkpoint *c = &s->c;
    RunOptions *o = &c->opts;
    o->model = mc;
    o->epochs = 3, o->lr = 0.125, o->sgd.momentum = 0.9f, o->schedule = SCHEDULE_STEP;
    o->augment = (CifarAugment){.crop_pad = 4, .flip = true, .alternate = true};
    o->seed = 42;
    snprintf(o->data_dir, sizeof o->data_dir, "some/data");
    c->run_id = 0x0123456789abcdefu;
    c->epochs_done = 1, c->in_epoch = true, c->next = 2, c->step = 4;
    c->tally_loss = 4.5, c->tally_ce = 3.25, c->tally_correct = 1, c->tally_count = 2;
    rng_seed(&c->shuffle, 42, RNG_STREAM_SHUFFLE);
    rng_seed(&c->augment_rng, 42, RNG_STREAM_AUGMENT);
    size_t order[5] = {3, 0, 4, 1, 2};
    memcpy(s->order, order, sizeof order);
    c->train_count = 5, c->order = s->order;
    c->log = "1,gn,42,0.1,2.3,10.00,2.3,10.00,0.1,tiny,\n";
    c->log_len = strlen(c->log);
    s->len = checkpoint_encode(NULL, 0, c, &s->m);
    CHECK(s->len > 0);
    s->bytes = malloc(s->len);
    CHECK(s->bytes && checkpoint_encode(s->bytes, s->len, c, &s->m) == s->len);
    return 0;
}

static void free_sample(Sample *s)
{
    model_free(&s->m);
    free(s->bytes);
}

static int test_checkpoint_round_trip(void)
{
    Sample s;
    CHECK(make_sample(&s, NORM_BN) == 0);
    CHECK(checkpoint_encode(s.bytes, s.len - 1, &s.c, &s.m) == 0);   /* too small */
    Checkpoint d;
    Error err;
    CHECK(checkpoint_decode(&d, s.bytes, s.len, "ck", &err) == STATUS_OK);
    CHECK(strcmp(d.opts.model.name, "tiny") == 0 && d.opts.model.norm == NORM_BN);
    CHECK(d.opts.lr == 0.125 && d.opts.model.threads == 0);   /* threads: not stored */
    CHECK(d.opts.schedule == SCHEDULE_STEP && d.opts.augment.flip && d.opts.seed == 42);
    CHECK(strcmp(d.opts.data_dir, "some/data") == 0);
    CHECK(d.epochs_done == 1 && d.in_epoch && d.run_id == 0x0123456789abcdefu);
    CHECK(d.next == 2 && d.step == 4 && d.tally_loss == 4.5 && d.tally_count == 2);
    CHECK(d.tally_ce == 3.25);
    CHECK(d.shuffle.state == s.c.shuffle.state && d.augment_rng.inc == s.c.augment_rng.inc);
    CHECK(d.train_count == 5 && memcmp(d.order, s.order, sizeof s.order) == 0);
    CHECK(d.log_len == s.c.log_len && strcmp(d.log, s.c.log) == 0);
    /* Into a fresh model of another batch size: the same tensors bit for bit. */
    Model m2;
    ModelConfig mc = {.name = "tiny", .norm = NORM_BN, .groups = 4, .dropout = -1.0f,
                      .batch = 5, .threads = 2, .conv = CONV_BLOCKED};
    CHECK(model_build(&m2, &mc, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    CHECK(checkpoint_restore(&d, s.bytes, s.len, &m2, "ck", &err) == STATUS_OK);
    size_t span = s.m.param_span * sizeof(float);
    CHECK(memcmp(m2.params.base, s.m.params.base, span) == 0);
    CHECK(memcmp(m2.moms.base, s.m.moms.base, span) == 0);
    CHECK(memcmp(m2.stats.base, s.m.stats.base, s.m.nstats * sizeof(float)) == 0);
    /* Encoding what was decoded gives the same bytes. */
    unsigned char *again = malloc(s.len);
    CHECK(again && checkpoint_encode(again, s.len, &d, &m2) == s.len);
    CHECK(memcmp(again, s.bytes, s.len) == 0);
    free(again);
    checkpoint_free(&d);
    model_free(&m2);
    free_sample(&s);
    return 0;
}

/* Recompute the length field and the CRC after editing bytes. */
static void reseal(unsigned char *b, size_t len)
{
    for (int i = 0; i < 8; i++)
        b[12 + i] = (unsigned char)((uint64_t)len >> (8 * i));
    uint32_t crc = checkpoint_crc32(b, len - 4);
    for (int i = 0; i < 4; i++)
        b[len - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
}

static int expect_refused(const unsigned char *b, size_t len, const char *want)
{
    Checkpoint d;
    Error err = {STATUS_OK, ""};
    Status st = checkpoint_decode(&d, b, len, "ck", &err);
    if (st != STATUS_DATA || !strstr(err.msg, want))
        fprintf(stderr, "  len %zu: status %d '%s', want '%s'\n", len, (int)st, err.msg,
                want);
    CHECK(st == STATUS_DATA && strstr(err.msg, want));
    CHECK(d.order == NULL && d.log == NULL);
    return 0;
}

static int test_checkpoint_refuses_bad_bytes(void)
{
    Sample s;
    CHECK(make_sample(&s, NORM_GN) == 0);
    unsigned char *b = malloc(s.len + 1);
    CHECK(b != NULL);
    /* Every short prefix, and a sample of longer ones. */
    for (size_t len = 0; len < s.len; len += len < 64 ? 1 : 97) {
        memcpy(b, s.bytes, len);
        CHECK(expect_refused(b, len, "truncated") == 0);
    }
    memcpy(b, s.bytes, s.len);
    b[s.len] = 0;
    CHECK(expect_refused(b, s.len + 1, "header says") == 0);
    /* A flipped bit anywhere after the header is caught by the CRC. */
    for (size_t i = 20; i < s.len; i += 131) {
        memcpy(b, s.bytes, s.len);
        b[i] ^= 0x10;
        CHECK(expect_refused(b, s.len, "CRC") == 0);
    }
    memcpy(b, s.bytes, s.len);
    b[0] = 'X';
    CHECK(expect_refused(b, s.len, "not a cifar-train checkpoint") == 0);
    memcpy(b, s.bytes, s.len);
    b[8] = 2;   /* the layout before the checkpoint kept the network's text */
    char want[64];
    snprintf(want, sizeof want, "format version 2; this build reads version %u",
             CHECKPOINT_VERSION);
    CHECK(expect_refused(b, s.len, want) == 0);
    /* Valid CRC but bad contents: a model this build lacks, a broken order. */
    memcpy(b, s.bytes, s.len);
    b[30] = 'X';   /* first letter of the model name, after the two empty network
                    * lengths, the norm and its length */
    reseal(b, s.len);
    CHECK(expect_refused(b, s.len, "model 'Xiny'") == 0);
    Checkpoint bad = s.c;
    size_t dup[5] = {3, 0, 4, 1, 1};
    bad.order = dup;
    CHECK(checkpoint_encode(b, s.len, &bad, &s.m) == s.len);
    CHECK(expect_refused(b, s.len, "not a permutation") == 0);
    bad = s.c;
    bad.step = 5;
    CHECK(checkpoint_encode(b, s.len, &bad, &s.m) == s.len);
    CHECK(expect_refused(b, s.len, "step count") == 0);
    bad = s.c;
    bad.opts.lr = -1.0;
    CHECK(checkpoint_encode(b, s.len, &bad, &s.m) == s.len);
    CHECK(expect_refused(b, s.len, "out of range") == 0);
    free(b);
    free_sample(&s);
    return 0;
}

/* A gn checkpoint does not go into a bn model, and the model is left alone. */
static int test_checkpoint_refuses_other_model(void)
{
    Sample gn, bn;
    CHECK(make_sample(&gn, NORM_GN) == 0 && make_sample(&bn, NORM_BN) == 0);
    Checkpoint d;
    Error err;
    CHECK(checkpoint_decode(&d, gn.bytes, gn.len, "ck", &err) == STATUS_OK);
    float before = bn.m.params.base[0];
    CHECK(checkpoint_restore(&d, gn.bytes, gn.len, &bn.m, "ck", &err) == STATUS_DATA);
    CHECK(strstr(err.msg, "another model or norm") != NULL);
    CHECK(strstr(err.msg, "is missing, the model's is ") || strstr(err.msg, "] ("));
    CHECK(bn.m.params.base[0] == before);
    checkpoint_free(&d);
    free_sample(&gn), free_sample(&bn);
    return 0;
}

/* --- resume end to end ---------------------------------------------------------------- */

/* Stopped before the poll-th step, then resumed: the same end as one run of 4 epochs.
 * poll 2 * steps + 1 stops right after epoch 2; others stop mid-epoch. */
static int resume_matches(const char *name, long poll, int threads,
                          void (*tweak)(TrainConfig *))
{
    TrainConfig whole, part, resumed;
    char whole_name[64];
    snprintf(whole_name, sizeof whole_name, "%s-whole", name);
    config(&whole, whole_name);
    if (tweak)
        tweak(&whole);
    CHECK(run_ok(&whole, 1) == 0);
    config(&part, name);
    if (tweak)
        tweak(&part);
    part.stop = stop_hook;
    polls = 0, stop_at = poll;
    Error err;
    Status st = run_with(&part, threads, &err);
    stop_at = 0;
    CHECK(st == STATUS_INTERRUPTED && strstr(err.msg, "--resume") != NULL);
    CHECK(train_resume_config(part.out_dir, &resumed, &err) == STATUS_OK);
    resumed.quiet = true;
    CHECK(run_ok(&resumed, threads) == 0);
    return same_runs(whole.out_dir, part.out_dir);
}

static int test_checkpoint_resume_after_epoch(void)
{
    return resume_matches("resume-epoch", 2 * SYN_STEPS_PER_EPOCH + 1, 1, NULL);
}

static int test_checkpoint_resume_mid_epoch(void)
{
    return resume_matches("resume-mid", SYN_STEPS_PER_EPOCH + 3, 2, NULL);
}

/* A net with a whiten layer, flipped every other epoch. */
static void whiten_alternate(TrainConfig *cfg)
{
    static const char text[] = "w: whiten 2 pad=1\n   relu\n"
                               "c1: conv 8 3 pad=1\n   norm\n   relu\n"
                               "pool: maxpool\n"
                               "c2: conv 16 3 pad=1\n   norm\n   relu\n"
                               "gap: gap\nhead: classifier\n";
    cfg->opts.model.name = MODEL_FILE_NAME;
    snprintf(cfg->opts.model.text, sizeof cfg->opts.model.text, "%s", text);
    snprintf(cfg->opts.model.source, sizeof cfg->opts.model.source, "whiten.net");
    cfg->opts.augment.alternate = true;
}

/* The fitted weights come back from the checkpoint (a resumed run does not fit
 * again), and the flips of the epochs after it are those of the whole run. */
static int test_checkpoint_resume_whiten_alternate(void)
{
    return resume_matches("resume-whiten", 2 * SYN_STEPS_PER_EPOCH + 3, 1,
                          whiten_alternate);
}

/* --epochs 2, then resumed with --epochs 4 (constant schedule): as one 4-epoch run. */
static int test_checkpoint_resume_extends(void)
{
    TrainConfig whole, part, resumed;
    config(&whole, "extend-whole");
    whole.opts.schedule = SCHEDULE_CONSTANT;
    CHECK(run_ok(&whole, 1) == 0);
    config(&part, "extend");
    part.opts.schedule = SCHEDULE_CONSTANT;
    part.opts.epochs = 2;
    CHECK(run_ok(&part, 1) == 0);
    Error err;
    CHECK(train_resume_config(part.out_dir, &resumed, &err) == STATUS_OK);
    CHECK(resumed.opts.epochs == 2);
    resumed.quiet = true;
    /* Finished: resuming with fewer epochs is refused; with as many, it redoes
     * only the end (no row, no step: the same run after it). */
    resumed.opts.epochs = 1;
    CHECK(run_with(&resumed, 1, &err) == STATUS_USAGE && strstr(err.msg, "finished"));
    resumed.opts.epochs = 2;
    CHECK(run_ok(&resumed, 1) == 0);
    resumed.opts.epochs = 4;
    CHECK(run_ok(&resumed, 1) == 0);
    return same_runs(whole.out_dir, part.out_dir);
}

/* A refused resume changes nothing in the run directory. */
static int test_checkpoint_resume_refusals(void)
{
    TrainConfig cfg, again;
    config(&cfg, "refuse");
    cfg.opts.epochs = 1;
    CHECK(run_ok(&cfg, 1) == 0);
    char log[TRAIN_PATH_MAX + 16], ck[TRAIN_PATH_MAX + 32];
    snprintf(log, sizeof log, "%s/log.csv", cfg.out_dir);
    snprintf(ck, sizeof ck, "%s/" CHECKPOINT_FILE, cfg.out_dir);
    size_t log_len, ck_len;
    unsigned char *log0 = read_all(log, &log_len), *ck0 = read_all(ck, &ck_len);
    CHECK(log0 && ck0);
    Error err;
    CHECK(train_resume_config(cfg.out_dir, &again, &err) == STATUS_OK);
    again.opts.epochs = 3;
    again.opts.model.norm = NORM_GN;   /* as --norm gn on the command line */
    CHECK(run_with(&again, 1, &err) == STATUS_USAGE && strstr(err.msg, "--norm"));
    again.opts.model.norm = NORM_BN;
    again.opts.lr = 0.5;
    CHECK(run_with(&again, 1, &err) == STATUS_USAGE && strstr(err.msg, "--lr"));
    again.opts.lr = cfg.opts.lr;
    again.opts.limit_train = SYN_TRAIN / 2;
    CHECK(run_with(&again, 1, &err) == STATUS_USAGE && strstr(err.msg, "limit-train"));
    /* Truncated and corrupt checkpoints. */
    CHECK(report_write_atomic(ck, ck0, ck_len / 2, &err) == STATUS_OK);
    CHECK(train_resume_config(cfg.out_dir, &again, &err) == STATUS_DATA);
    CHECK(strstr(err.msg, "truncated") != NULL);
    unsigned char *bad = malloc(ck_len);
    CHECK(bad != NULL);
    memcpy(bad, ck0, ck_len);
    bad[ck_len / 2] ^= 1;
    CHECK(report_write_atomic(ck, bad, ck_len, &err) == STATUS_OK);
    free(bad);
    again.opts.limit_train = cfg.opts.limit_train;
    CHECK(run_with(&again, 1, &err) == STATUS_DATA && strstr(err.msg, "corrupt"));
    size_t len;
    unsigned char *log1 = read_all(log, &len);
    CHECK(log1 && len == log_len && memcmp(log1, log0, len) == 0);
    free(log1);
    /* No checkpoint at all. */
    CHECK(remove(ck) == 0);
    CHECK(train_resume_config(cfg.out_dir, &again, &err) == STATUS_IO);
    CHECK(strstr(err.msg, CHECKPOINT_FILE) != NULL);
    free(log0), free(ck0);
    return 0;
}

/* A resumed run whose --data gives a training set of another size is refused before
 * anything is written: the saved order is a permutation of the old set's indices. */
static int test_checkpoint_resume_other_dataset(void)
{
    /* All five batch files, SYN_TRAIN / 2 images in all: under the run's limit. */
    char small[256], name[32];
    CHECK(test_tmpdir_copy(small, sizeof small));
    for (int i = 1; i <= CIFAR_TRAIN_FILES; i++) {
        snprintf(name, sizeof name, "data_batch_%d.bin", i);
        CHECK(test_write_synthetic_cifar(small, name, SYN_TRAIN / 10, (uint64_t)i) == 0);
    }
    CHECK(test_write_synthetic_cifar(small, "test_batch.bin", SYN_TEST, 9) == 0);
    TrainConfig cfg, again;
    config(&cfg, "other-data");
    cfg.opts.epochs = 1;
    CHECK(run_ok(&cfg, 1) == 0);
    char log[TRAIN_PATH_MAX + 16];
    snprintf(log, sizeof log, "%s/log.csv", cfg.out_dir);
    size_t log_len, len;
    unsigned char *log0 = read_all(log, &log_len);
    Error err;
    CHECK(log0 && train_resume_config(cfg.out_dir, &again, &err) == STATUS_OK);
    again.opts.epochs = 2;
    again.quiet = true;
    snprintf(again.opts.data_dir, sizeof again.opts.data_dir, "%s", small);
    Status st = run_with(&again, 1, &err);
    if (st != STATUS_USAGE)
        fprintf(stderr, "  status %d: %s\n", (int)st, err.msg);
    CHECK(st == STATUS_USAGE && strstr(err.msg, "trained on 200 images"));
    CHECK(strstr(err.msg, "gives 100") != NULL);
    unsigned char *log1 = read_all(log, &len);
    CHECK(log1 && len == log_len && memcmp(log1, log0, len) == 0);
    free(log0), free(log1);
    return 0;
}

/* The checkpoint at ck decoded into c and restored into a model m built from its
 * options; the caller frees *bytes, c and m. */
static int load_checkpoint(const char *ck, unsigned char **bytes, Checkpoint *c,
                           Model *m)
{
    size_t len;
    Error err;
    *bytes = read_all(ck, &len);
    CHECK(*bytes && checkpoint_decode(c, *bytes, len, ck, &err) == STATUS_OK);
    ModelConfig mc = c->opts.model;
    mc.threads = 1;   /* not stored: any count gives the same tensors */
    CHECK(model_build(m, &mc, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    CHECK(checkpoint_restore(c, *bytes, len, m, ck, &err) == STATUS_OK);
    return 0;
}

/* c with m's tensors written over the checkpoint at ck. */
static int save_checkpoint(const char *ck, const Checkpoint *c, const Model *m)
{
    size_t n = checkpoint_encode(NULL, 0, c, m);
    unsigned char *bytes = malloc(n);
    Error err;
    int ok = bytes && checkpoint_encode(bytes, n, c, m) == n &&
             report_write_atomic(ck, bytes, n, &err) == STATUS_OK;
    free(bytes);
    CHECK(ok);
    return 0;
}

/* A run that diverges keeps the checkpoint of its last good epoch. The good run's
 * checkpoint gets a learning rate that must diverge within a few epochs, then is
 * resumed; the checkpoint left is that of the epoch before the loss went bad. */
static int test_checkpoint_divergence_keeps_last(void)
{
    TrainConfig cfg, again;
    config(&cfg, "diverge");
    cfg.opts.epochs = 1;
    cfg.opts.schedule = SCHEDULE_CONSTANT;
    CHECK(run_ok(&cfg, 1) == 0);
    char ck[TRAIN_PATH_MAX + 32];
    snprintf(ck, sizeof ck, "%s/" CHECKPOINT_FILE, cfg.out_dir);
    unsigned char *bytes;
    Checkpoint c;
    Model m;
    Error err;
    CHECK(load_checkpoint(ck, &bytes, &c, &m) == 0);
    c.opts.lr = 100.0;   /* far past what any net here survives */
    CHECK(save_checkpoint(ck, &c, &m) == 0);
    CHECK(train_resume_config(cfg.out_dir, &again, &err) == STATUS_OK);
    again.opts.epochs = 4;
    again.quiet = true;
    Status st = run_with(&again, 1, &err);
    if (st != STATUS_DIVERGED)
        fprintf(stderr, "  status %d: %s\n", (int)st, err.msg);
    const char *at = strstr(err.msg, "(epoch ");
    int bad_epoch = 0;
    CHECK(st == STATUS_DIVERGED && at && strstr(err.msg, "--lr"));
    CHECK(sscanf(at, "(epoch %d)", &bad_epoch) == 1 && bad_epoch >= 2);
    /* The checkpoint is the end of the epoch before, with finite weights. */
    checkpoint_free(&c);
    size_t after_len;
    unsigned char *after = read_all(ck, &after_len);
    CHECK(after && checkpoint_decode(&c, after, after_len, ck, &err) == STATUS_OK);
    CHECK(c.epochs_done == bad_epoch - 1 && !c.in_epoch);
    CHECK(checkpoint_restore(&c, after, after_len, &m, ck, &err) == STATUS_OK);
    for (size_t i = 0; i < m.param_span; i++)
        CHECK(isfinite(m.params.base[i]));
    free(after), free(bytes);
    checkpoint_free(&c);
    model_free(&m);
    return 0;
}

/* --- fuzz corpora ---------------------------------------------------------------------- */

int fuzz_cifar_parse(const unsigned char *data, size_t len);
int fuzz_checkpoint_decode(const unsigned char *data, size_t len);
int fuzz_cli_parse(const unsigned char *data, size_t len);
int fuzz_ppm_parse(const unsigned char *data, size_t len);
int fuzz_netfile_parse(const unsigned char *data, size_t len);

/* Every file in tests/fuzz/corpus.list ("target path" per line) through its target:
 * seeds and crash reproducers alike must run cleanly (ASan in make sanitize). */
/* The checkpoint seeds of the fuzz corpus decode with this build: a format bump
 * must carry them along, or the fuzzer starts from files it refuses at once. */
static int test_checkpoint_seeds_current(void)
{
    static const char *const seeds[] = {"tests/fuzz/seeds/checkpoint_decode/tiny_bn",
                                        "tests/fuzz/seeds/checkpoint_decode/tiny_gn_mid"};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        unsigned char *bytes;
        size_t len;
        Error err;
        Checkpoint c;
        CHECK(checkpoint_read_file(seeds[i], &bytes, &len, &err) == STATUS_OK);
        Status st = checkpoint_decode(&c, bytes, len, seeds[i], &err);
        free(bytes);
        if (st != STATUS_OK)
            fprintf(stderr, "  %s\n", err.msg);
        CHECK(st == STATUS_OK);
        bool mid = c.in_epoch;
        checkpoint_free(&c);
        CHECK(mid == (i == 1));
    }
    return 0;
}

static int test_fuzz_corpus_replay(void)
{
    FILE *list = fopen("tests/fuzz/corpus.list", "r");
    CHECK(list != NULL);
    char line[512], target[64], path[400];
    int files = 0;
    while (fgets(line, sizeof line, list)) {
        if (line[0] == '#' || sscanf(line, "%63s %399s", target, path) != 2)
            continue;
        size_t len = 0;
        unsigned char *bytes = NULL;
        Error err;
        Status st = checkpoint_read_file(path, &bytes, &len, &err);
        if (st != STATUS_OK)
            fprintf(stderr, "  %s\n", err.msg);
        CHECK(st == STATUS_OK);
        int rc = strcmp(target, "cifar_parse") == 0        ? fuzz_cifar_parse(bytes, len)
                 : strcmp(target, "checkpoint_decode") == 0 ? fuzz_checkpoint_decode(bytes, len)
                 : strcmp(target, "cli_parse") == 0         ? fuzz_cli_parse(bytes, len)
                 : strcmp(target, "ppm_parse") == 0         ? fuzz_ppm_parse(bytes, len)
                 : strcmp(target, "netfile_parse") == 0     ? fuzz_netfile_parse(bytes, len)
                                                            : -1;
        free(bytes);
        if (rc != 0)
            fprintf(stderr, "  %s %s: %d\n", target, path, rc);
        CHECK(rc == 0);
        files++;
    }
    fclose(list);
    CHECK(files >= 3);
    return 0;
}

/* A checkpoint with a NaN running statistic: training (batch statistics) stays
 * finite but the test loss would not; the run stops as diverged at the epoch's end
 * and logs no row for it. */
static int test_checkpoint_nan_statistics_diverge(void)
{
    TrainConfig cfg, again;
    config(&cfg, "nanstats");
    cfg.opts.epochs = 1;
    CHECK(run_ok(&cfg, 1) == 0);
    char ck[TRAIN_PATH_MAX + 32];
    snprintf(ck, sizeof ck, "%s/" CHECKPOINT_FILE, cfg.out_dir);
    unsigned char *bytes;
    Checkpoint c;
    Model m;
    Error err;
    CHECK(load_checkpoint(ck, &bytes, &c, &m) == 0);
    CHECK(m.nstats > 0);
    m.stats.base[m.nstats - 1] = NAN;   /* a variance: the last layer's */
    CHECK(save_checkpoint(ck, &c, &m) == 0);
    CHECK(train_resume_config(cfg.out_dir, &again, &err) == STATUS_OK);
    again.opts.epochs = 2;
    again.quiet = true;
    Status st = run_with(&again, 1, &err);
    if (st != STATUS_DIVERGED)
        fprintf(stderr, "  status %d: %s\n", (int)st, err.msg);
    CHECK(st == STATUS_DIVERGED && strstr(err.msg, "running statistics became NaN"));
    char *log = test_log_without_seconds(cfg.out_dir);
    CHECK(log && strstr(log, "\n2,") == NULL && strstr(log, "nan") == NULL);
    free(log), free(bytes);
    checkpoint_free(&c);
    model_free(&m);
    return 0;
}

/* A checkpoint copied from another run directory is refused by its run id, and
 * nothing changes: the directory's log stays its own. */
static int test_checkpoint_other_run_refused(void)
{
    TrainConfig a, b, again;
    config(&a, "run-a");
    config(&b, "run-b");
    a.opts.epochs = b.opts.epochs = 1;
    b.opts.model.norm = NORM_GN;
    CHECK(run_ok(&a, 1) == 0 && run_ok(&b, 1) == 0);
    char cka[TRAIN_PATH_MAX + 32], ckb[TRAIN_PATH_MAX + 32];
    snprintf(cka, sizeof cka, "%s/" CHECKPOINT_FILE, a.out_dir);
    snprintf(ckb, sizeof ckb, "%s/" CHECKPOINT_FILE, b.out_dir);
    size_t len;
    unsigned char *bytes = read_all(cka, &len);
    Error err;
    CHECK(bytes && report_write_atomic(ckb, bytes, len, &err) == STATUS_OK);
    char *log0 = test_log_without_seconds(b.out_dir);
    CHECK(train_resume_config(b.out_dir, &again, &err) == STATUS_OK);
    again.opts.epochs = 2;
    again.quiet = true;
    Status st = run_with(&again, 1, &err);
    CHECK(st == STATUS_DATA && strstr(err.msg, "another run directory"));
    char *log1 = test_log_without_seconds(b.out_dir);
    CHECK(log0 && log1 && strcmp(log0, log1) == 0 && strstr(log1, ",gn,"));
    free(log0), free(log1), free(bytes);
    return 0;
}

const TestCase checkpoint_tests[] = {
    {"checkpoint_crc32", test_checkpoint_crc32},
    {"checkpoint_round_trip", test_checkpoint_round_trip},
    {"checkpoint_refuses_bad_bytes", test_checkpoint_refuses_bad_bytes},
    {"checkpoint_refuses_other_model", test_checkpoint_refuses_other_model},
    {"checkpoint_resume_after_epoch", test_checkpoint_resume_after_epoch},
    {"checkpoint_resume_mid_epoch", test_checkpoint_resume_mid_epoch},
    {"checkpoint_resume_whiten_alternate", test_checkpoint_resume_whiten_alternate},
    {"checkpoint_resume_extends", test_checkpoint_resume_extends},
    {"checkpoint_resume_refusals", test_checkpoint_resume_refusals},
    {"checkpoint_resume_other_dataset", test_checkpoint_resume_other_dataset},
    {"checkpoint_divergence_keeps_last", test_checkpoint_divergence_keeps_last},
    {"checkpoint_nan_statistics_diverge", test_checkpoint_nan_statistics_diverge},
    {"checkpoint_other_run_refused", test_checkpoint_other_run_refused},
    {"fuzz_corpus_replay", test_fuzz_corpus_replay},
    {"checkpoint_seeds_current", test_checkpoint_seeds_current},
    {NULL, NULL},
};
