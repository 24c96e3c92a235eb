/* bench.c - `cifar-train bench` (see bench.h): the FMA peak, the conv table, the
 * training step and evaluation, peak memory, then the machine-readable last line.
 * Whole calls are timed with platform_seconds; a figure is the median of its timed
 * repetitions after a warm-up. Inputs are random. The training step is train.c's
 * (augmentation, forward, loss, backward, SGD) on a synthetic in-memory batch.
 * Exported prefix: bench_. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/platform.h"
#include "base/rng.h"
#include "cli/bench.h"
#include "dataset/cifar.h"
#include "kernels/conv.h"
#include "kernels/ops.h"
#include "train/optim.h"
#include "train/train.h"

/* The vector width of conv_blocked.c: the widest registers the target has. */
#if defined(__AVX512F__)
#define BENCH_VL 16
#elif defined(__AVX__)
#define BENCH_VL 8
#else
#define BENCH_VL 4
#endif
/* Independent accumulators of the peak loop: at least FMA latency (4 cycles on
 * Zen 4) times FMA issue per cycle, so that no FMA waits for the previous one. */
#define BENCH_ACCS 12
/* Iterations of the peak loop per timing: 12 x 16 x 2 x 2^23 = 3.2 GFLOP with
 * 512-bit vectors, about 28 ms at 116 GFLOP/s: long against the clock's resolution,
 * short against a scheduler's time slice. */
#define BENCH_FMA_ITERS (1L << 23)
/* Chunks of the threaded peak loop per thread: a late-waking worker still gets its
 * share. */
#define BENCH_FMA_CHUNKS 8
/* Timed repetitions (median taken) and warm-up runs. */
#define BENCH_REPS 7
#define BENCH_WARMUP 1
/* The naive conv is two orders of magnitude slower: fewer repetitions on a smaller
 * batch (it is a plain loop nest, so its rate hardly depends on the batch). */
#define BENCH_NAIVE_REPS 3
#define BENCH_NAIVE_BATCH 8
/* Quick mode (for the test suite): one repetition, tiny batches. */
#define BENCH_QUICK_BATCH 4
#define BENCH_QUICK_FMA_ITERS (1L << 12)
/* The training step's settings: any finite ones do, speed does not depend on them. */
#define BENCH_LR 0.01f
#define BENCH_MOMENTUM 0.9f
#define BENCH_SEED 1
/* Room for the distinct conv shapes of two models. */
#define BENCH_MAX_SHAPES (2 * MODEL_MAX_LAYERS)
#define BENCH_MAX_MODELS 2
#define BENCH_LABEL 48

typedef float BenchVec __attribute__((vector_size(BENCH_VL * sizeof(float))));

/* How much to measure: set from the config once. */
typedef struct {
    int reps, warmup, naive_reps, naive_batch, batch;
    long fma_iters;
} Sizes;

static Sizes sizes_of(const BenchConfig *cfg)
{
    Sizes z = {BENCH_REPS, BENCH_WARMUP, BENCH_NAIVE_REPS, BENCH_NAIVE_BATCH,
               cfg->batch, BENCH_FMA_ITERS};
    if (cfg->quick)
        z = (Sizes){1, 0, 1, 1, BENCH_QUICK_BATCH, BENCH_QUICK_FMA_ITERS};
    if (z.batch > cfg->batch)
        z.batch = cfg->batch;
    if (z.naive_batch > z.batch)
        z.naive_batch = z.batch;
    return z;
}

/* --- timing --------------------------------------------------------------------- */

typedef void (*BenchFn)(void *ctx);

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median wall time of reps calls of fn after warmup untimed ones. */
static double median_seconds(BenchFn fn, void *ctx, int warmup, int reps)
{
    double t[BENCH_REPS];
    if (reps > BENCH_REPS)
        reps = BENCH_REPS;
    for (int i = 0; i < warmup; i++)
        fn(ctx);
    for (int i = 0; i < reps; i++) {
        double t0 = platform_seconds();
        fn(ctx);
        t[i] = platform_seconds() - t0;
    }
    qsort(t, (size_t)reps, sizeof t[0], compare_doubles);
    return reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
}

/* --- FMA peak ------------------------------------------------------------------- */

/* BENCH_ACCS independent chains acc = acc * a + b (contracted to FMA by
 * -ffp-contract=fast), all in registers. a and b come in as arguments and the sum
 * goes out, so nothing can be folded or dropped. With |a| < 1 the chains converge
 * to b / (1 - a): no overflow, no subnormals. */
static __attribute__((noinline)) float fma_loop(long iters, float a, float b)
{
    BenchVec acc[BENCH_ACCS];
    BenchVec va = (BenchVec){0} + a, vb = (BenchVec){0} + b;
    for (int i = 0; i < BENCH_ACCS; i++)
        acc[i] = (BenchVec){0} + (float)i;
    for (long it = 0; it < iters; it++)
#pragma GCC unroll 16
        for (int i = 0; i < BENCH_ACCS; i++)
            acc[i] = acc[i] * va + vb;
    float sum = 0.0f;
    for (int i = 0; i < BENCH_ACCS; i++)
        for (int l = 0; l < BENCH_VL; l++)
            sum += acc[i][l];
    return sum;
}

static double fma_flops(long iters)
{
    return 2.0 * BENCH_ACCS * BENCH_VL * (double)iters;
}

typedef struct {
    long iters;
    Pool *pool;
    size_t chunks;
    float sums[BENCH_FMA_CHUNKS * 256];
} FmaJob;

static void fma_chunk(void *ctx, size_t chunk, int worker)
{
    (void)worker;
    FmaJob *j = ctx;
    j->sums[chunk] = fma_loop(j->iters, 0.999f, 0.001f);
}

static void fma_run(void *ctx)
{
    FmaJob *j = ctx;
    pool_run(j->pool, j->chunks, fma_chunk, j);
}

/* GFLOP/s of the FMA loop on pool (NULL: one thread). Fails if a sum is not
 * finite (the loop did not compute what it should). */
static Status fma_peak(Pool *pool, const Sizes *z, double *gflops, Error *err)
{
    int threads = pool_threads(pool);
    FmaJob *j = calloc(1, sizeof *j);
    if (!j)
        return error_set(err, STATUS_NOMEM, "out of memory for the FMA benchmark");
    if (threads > 256)
        threads = 256;
    j->pool = pool;
    j->chunks = (size_t)threads * (pool ? BENCH_FMA_CHUNKS : 1);
    j->iters = pool ? z->fma_iters / BENCH_FMA_CHUNKS : z->fma_iters;
    double t = median_seconds(fma_run, j, z->warmup, z->reps);
    bool finite = true;
    for (size_t c = 0; c < j->chunks; c++)
        finite = finite && isfinite(j->sums[c]);
    *gflops = fma_flops(j->iters) * (double)j->chunks / t * 1e-9;
    free(j);
    if (!finite)
        return error_set(err, STATUS_DATA, "the FMA benchmark loop gave a non-finite "
                         "sum");
    return STATUS_OK;
}

/* --- conv shapes ---------------------------------------------------------------- */

typedef struct {
    ConvShape s;            /* n is set when measured */
    char label[BENCH_LABEL];    /* "s8.c5,c6" */
} ShapeRow;

static bool same_conv(const ConvShape *a, const ConvShape *b)
{
    return a->cin == b->cin && a->h == b->h && a->w == b->w && a->cout == b->cout &&
           a->k == b->k && a->pad == b->pad;
}

/* Appends name to a row's label, abbreviating when it runs out of room. */
static void label_add(char *label, const char *model, const char *name, bool first)
{
    size_t len = strlen(label);
    if (len + strlen(name) + 8 >= BENCH_LABEL) {
        if (len + 4 < BENCH_LABEL && (len < 3 || strcmp(label + len - 3, "...") != 0))
            strcat(label, "...");
        return;
    }
    if (first)
        snprintf(label + len, BENCH_LABEL - len, "%s.%s", model, name);
    else
        snprintf(label + len, BENCH_LABEL - len, ",%s", name);
}

/* The configuration bench builds model with (a built-in's name, or MODEL_FILE_NAME
 * for cfg->file's net): the model's own dropout, the fast conv. malloc'd (with a
 * network's text it is 33 KB); NULL when memory runs out. */
static ModelConfig *model_config(const BenchConfig *cfg, const char *model,
                                 NormKind norm, int batch, int threads)
{
    ModelConfig *mc = malloc(sizeof *mc);
    if (!mc)
        return NULL;
    if (cfg->file && strcmp(model, MODEL_FILE_NAME) == 0)
        *mc = *cfg->file;
    else
        *mc = (ModelConfig){.name = model};
    mc->norm = norm;
    mc->groups = cfg->groups;
    mc->dropout = -1.0f;
    mc->batch = batch;
    mc->threads = threads;
    mc->conv = CONV_BLOCKED;
    return mc;
}

/* The distinct conv shapes of a model, appended to rows (a batch-1 build: only the
 * shapes are needed). */
static Status collect_shapes(const BenchConfig *cfg, const char *model,
                             ShapeRow *rows, int *nrows, Error *err)
{
    Model *m = malloc(sizeof *m);
    ModelConfig *mc = model_config(cfg, model, NORM_BN, 1, 1);
    if (!m || !mc) {
        free(m);
        free(mc);
        return error_set(err, STATUS_NOMEM, "out of memory for a model");
    }
    Status st = model_build(m, mc, CIFAR_IMAGE_SHAPE, err);
    free(mc);
    if (st != STATUS_OK) {
        free(m);
        return st;
    }
    int before = *nrows;
    for (int i = 0; i < m->nlayers; i++) {
        const Layer *l = &m->layers[i];
        if (!layer_ops[l->kind].conv)
            continue;
        ConvShape cs = layer_conv_shape(l, 1);
        int r = 0;
        while (r < *nrows && !same_conv(&rows[r].s, &cs))
            r++;
        if (r == *nrows) {
            if (*nrows == BENCH_MAX_SHAPES)
                continue;
            rows[r].s = cs;
            rows[r].label[0] = '\0';
            (*nrows)++;
        }
        /* A shape seen in an earlier model keeps that model's label. */
        if (r >= before)
            label_add(rows[r].label, model, l->name, rows[r].label[0] == '\0');
    }
    model_free(m);
    free(m);
    return STATUS_OK;
}

typedef struct {
    ConvShape s;
    float *x, *w, *y, *dy, *dx, *dw, *scratch;
    Pool *pool;
    bool naive, with_dx;
} ConvRun;

static void conv_fwd(void *ctx)
{
    ConvRun *c = ctx;
    (c->naive ? conv2d_forward_naive : conv2d_forward_blocked)(&c->s, c->y, c->x, c->w,
                                                               c->scratch, c->pool);
}

static void conv_bwd(void *ctx)
{
    ConvRun *c = ctx;
    (c->naive ? conv2d_backward_naive : conv2d_backward_blocked)(
        &c->s, c->with_dx ? c->dx : NULL, false, c->dw, c->dy, c->x, c->w, c->scratch,
        c->pool);
}

/* Seconds of forward, input gradient (backward with dx minus backward without) and
 * weight gradient. */
typedef struct {
    double fwd, dx, dw;
} ConvTimes;

static ConvTimes time_conv(ConvRun *c, int warmup, int reps)
{
    ConvTimes t;
    t.fwd = median_seconds(conv_fwd, c, warmup, reps);
    c->with_dx = false;
    t.dw = median_seconds(conv_bwd, c, warmup, reps);
    c->with_dx = true;
    double both = median_seconds(conv_bwd, c, warmup, reps);
    t.dx = both - t.dw;
    return t;
}

static float *alloc_random(size_t n, Rng *rng)
{
    float *p = aligned_alloc(64, (n + 16) / 16 * 16 * sizeof *p);
    for (size_t i = 0; p && i < n; i++)
        p[i] = 2.0f * rng_uniform(rng) - 1.0f;
    return p;
}

/* One problem's buffers for batch n; the scratch fits a pool of threads. */
static Status conv_alloc(ConvRun *c, const ConvShape *s, int n, int threads, Rng *rng,
                         Error *err)
{
    memset(c, 0, sizeof *c);
    c->s = *s;
    c->s.n = n;
    size_t in = (size_t)n * (size_t)s->cin * (size_t)s->h * (size_t)s->w;
    size_t out = (size_t)n * (size_t)s->cout * (size_t)conv_out_h(s) *
                 (size_t)conv_out_w(s);
    size_t nw = (size_t)s->cout * (size_t)s->cin * (size_t)s->k * (size_t)s->k;
    c->x = alloc_random(in, rng);
    c->dx = alloc_random(in, rng);
    c->y = alloc_random(out, rng);
    c->dy = alloc_random(out, rng);
    c->w = alloc_random(nw, rng);
    c->dw = alloc_random(nw, rng);
    c->scratch = alloc_random(conv2d_scratch_floats(&c->s, threads), rng);
    if (!c->x || !c->dx || !c->y || !c->dy || !c->w || !c->dw || !c->scratch)
        return error_set(err, STATUS_NOMEM, "out of memory for a conv benchmark");
    return STATUS_OK;
}

static void conv_free(ConvRun *c)
{
    free(c->x), free(c->dx), free(c->y), free(c->dy), free(c->w), free(c->dw);
    free(c->scratch);
}

/* Floating-point operations of one pass (each of forward, dx, dw): a multiply and
 * an add per weight per output pixel per sample. */
static double conv_flops(const ConvShape *s)
{
    return 2.0 * (double)s->n * (double)s->cout * (double)s->cin * (double)s->k *
           (double)s->k * (double)conv_out_h(s) * (double)conv_out_w(s);
}

/* "  52.1 45%": GFLOP/s and % of one core's peak, or "-" when the time is too
 * small to mean anything (dx measured as a difference). */
static void print_rate(FILE *out, double flops, double seconds, double peak)
{
    if (!(seconds > 0.0)) {
        fprintf(out, " %6s %4s", "-", "");
        return;
    }
    double g = flops / seconds * 1e-9;
    fprintf(out, " %6.1f %3.0f%%", g, 100.0 * g / peak);
}

static Status bench_convs(const BenchConfig *cfg, const char *const *models,
                          int nmodels, const Sizes *z, Pool *pool, double peak1,
                          FILE *out, Error *err)
{
    ShapeRow *rows = malloc(BENCH_MAX_SHAPES * sizeof *rows);
    if (!rows)
        return error_set(err, STATUS_NOMEM, "out of memory for the conv shapes");
    int nrows = 0, threads = pool_threads(pool);
    Status st = STATUS_OK;
    for (int i = 0; i < nmodels && st == STATUS_OK; i++)
        st = collect_shapes(cfg, models[i], rows, &nrows, err);
    if (st != STATUS_OK) {
        free(rows);
        return st;
    }
    fprintf(out, "\nconv2d: GFLOP/s and %% of one core's peak with 1 thread; naive at "
            "batch %d (median of %d; its backward computes dx and dw in one loop "
            "nest),\nblocked at batch %d (median of %d; dx = backward with dx minus "
            "backward without);\nlast column: blocked forward+backward with %d "
            "threads vs 1\n", z->naive_batch, z->naive_reps, z->batch, z->reps,
            threads);
    fprintf(out, "%-22s %-18s|%12s%12s |%12s%12s%12s | %s\n", "layers",
            "cin>cout k pad hw", "naive fwd", "dx+dw", "blocked fwd", "dx", "dw",
            "threads");
    Rng rng;
    rng_seed(&rng, BENCH_SEED, RNG_STREAM_TEST);
    for (int r = 0; r < nrows && st == STATUS_OK; r++) {
        const ConvShape *s = &rows[r].s;
        char geom[32];
        snprintf(geom, sizeof geom, "%d>%d %dx%d %d %dx%d", s->cin, s->cout, s->k, s->k,
                 s->pad, s->h, s->w);
        fprintf(out, "%-22s %-18s|", rows[r].label, geom);
        ConvRun c;
        st = conv_alloc(&c, s, z->naive_batch, 1, &rng, err);
        if (st == STATUS_OK) {
            c.naive = true;
            c.with_dx = true;
            double f = conv_flops(&c.s);
            print_rate(out, f, median_seconds(conv_fwd, &c, 0, z->naive_reps), peak1);
            print_rate(out, 2.0 * f, median_seconds(conv_bwd, &c, 0, z->naive_reps),
                       peak1);
            fprintf(out, " |");
        }
        conv_free(&c);
        if (st == STATUS_OK)
            st = conv_alloc(&c, s, z->batch, threads, &rng, err);
        if (st == STATUS_OK) {
            ConvTimes t = time_conv(&c, z->warmup, z->reps);
            double f = conv_flops(&c.s);
            print_rate(out, f, t.fwd, peak1);
            print_rate(out, f, t.dx, peak1);
            print_rate(out, f, t.dw, peak1);
            double one = t.fwd + t.dw + t.dx;
            c.pool = pool;
            double many = median_seconds(conv_fwd, &c, z->warmup, z->reps) +
                          median_seconds(conv_bwd, &c, z->warmup, z->reps);
            fprintf(out, " | %.2fx\n", one / many);
        }
        conv_free(&c);
        fflush(out);
    }
    free(rows);
    return st;
}

/* --- training step and evaluation ----------------------------------------------- */

typedef struct {
    Model m;
    CifarSet set;           /* batch random images */
    size_t *order;          /* 0 .. batch-1 */
    float *x;               /* [batch][3][32][32] */
    unsigned char *labels;
    float *logp;            /* [batch][10] */
    CifarAugment augment;
    Rng rng;
    SgdConfig sgd;
    Pool *pool;
    int n;
    long step;
    double loss;            /* of the last step: must stay finite */
} TrainRun;

/* train.c's step: augment and normalise a batch, then train_step. */
static void train_step_once(void *ctx)
{
    TrainRun *t = ctx;
    cifar_fill_batch(&t->set, t->order, t->n, t->x, t->labels, &t->augment, &t->rng, 0);
    TrainBatch b = {t->x, t->labels, t->n,
                    rng_hash(BENCH_SEED ^ RNG_STREAM_DROPOUT, (uint64_t)t->step)};
    t->loss = train_step(&t->m, t->pool, &b, 0.0f, &t->sgd, BENCH_LR, t->logp);
    t->step++;
}

/* train.c's evaluation of one batch: normalise, forward, log-softmax. */
static void eval_step(void *ctx)
{
    TrainRun *t = ctx;
    cifar_fill_batch(&t->set, t->order, t->n, t->x, t->labels, NULL, NULL, 0);
    const float *logits = model_forward(&t->m, t->x, t->n, false, 0, t->pool);
    loss_log_softmax(t->n, MODEL_CLASSES, t->logp, logits);
}

static void train_free(TrainRun *t)
{
    model_free(&t->m);
    cifar_free(&t->set);
    free(t->order), free(t->x), free(t->labels), free(t->logp);
}

static Status train_alloc(TrainRun *t, const ModelConfig *mc, Error *err)
{
    memset(t, 0, sizeof *t);
    size_t n = (size_t)mc->batch;
    t->n = mc->batch;
    t->augment = (CifarAugment){.crop_pad = 4, .flip = true, .cutout = 0};
    t->sgd = (SgdConfig){.momentum = BENCH_MOMENTUM, .weight_decay = 0.0f,
                         .nesterov = false};
    rng_seed(&t->rng, BENCH_SEED, RNG_STREAM_AUGMENT);
    Status st = model_build(&t->m, mc, CIFAR_IMAGE_SHAPE, err);
    if (st != STATUS_OK)
        return st;
    model_init(&t->m, BENCH_SEED);
    t->set.count = n;
    t->set.labels = malloc(n);
    t->set.pixels = malloc(n * CIFAR_IMAGE_BYTES);
    t->order = malloc(n * sizeof *t->order);
    t->x = malloc(n * CIFAR_IMAGE_BYTES * sizeof *t->x);
    t->labels = malloc(n);
    t->logp = malloc(n * MODEL_CLASSES * sizeof *t->logp);
    if (!t->set.labels || !t->set.pixels || !t->order || !t->x || !t->labels ||
        !t->logp) {
        train_free(t);
        return error_set(err, STATUS_NOMEM, "out of memory for a training batch");
    }
    Rng data;
    rng_seed(&data, BENCH_SEED, RNG_STREAM_TEST);
    for (size_t i = 0; i < n; i++) {
        t->order[i] = i;
        t->set.labels[i] = (unsigned char)rng_below(&data, CIFAR_CLASSES);
    }
    for (size_t i = 0; i < n * CIFAR_IMAGE_BYTES; i++)
        t->set.pixels[i] = (unsigned char)rng_below(&data, 256);
    return STATUS_OK;
}

/* Multiply-adds per training image: forward, weight gradient, and input gradient
 * of every conv but one reading the network's input. */
static double train_macs(const Model *m)
{
    double total = 0.0;
    for (int i = 0; i < m->nlayers; i++) {
        const Layer *l = &m->layers[i];
        double macs = layer_ops[l->kind].macs(l);
        total += macs * (l->in == LAYER_INPUT ? 2.0 : 3.0);
    }
    return total;
}

/* Images/s of training and evaluation at 1 and N threads. */
typedef struct {
    double train1, trainn, eval1, evaln;
} TrainRates;

static Status bench_model(const char *model, NormKind norm, const BenchConfig *cfg,
                          const Sizes *z, Pool *pool, double peakn, TrainRates *rates,
                          FILE *out, Error *err)
{
    TrainRun *t = malloc(sizeof *t);
    int threads = pool_threads(pool);
    ModelConfig *mc = model_config(cfg, model, norm, z->batch, threads);
    if (!t || !mc) {
        free(t);
        free(mc);
        return error_set(err, STATUS_NOMEM, "out of memory for a model");
    }
    Status st = train_alloc(t, mc, err);
    free(mc);
    if (st != STATUS_OK) {
        free(t);
        return st;
    }
    double n = (double)z->batch;
    t->pool = NULL;
    rates->train1 = n / median_seconds(train_step_once, t, z->warmup, z->reps);
    rates->eval1 = n / median_seconds(eval_step, t, z->warmup, z->reps);
    if (threads > 1) {
        t->pool = pool;
        rates->trainn = n / median_seconds(train_step_once, t, z->warmup, z->reps);
        rates->evaln = n / median_seconds(eval_step, t, z->warmup, z->reps);
    } else {
        rates->trainn = rates->train1;
        rates->evaln = rates->eval1;
    }
    double gflops = rates->trainn * 2.0 * train_macs(&t->m) * 1e-9;
    fprintf(out, "%-6s %-4s %9.1f %9.1f %6.2fx %7.1f %4.0f%% %9.1f %9.1f %8.1f\n",
            model, model_norm_names[norm], rates->train1, rates->trainn,
            rates->trainn / rates->train1, gflops, 100.0 * gflops / peakn,
            rates->eval1, rates->evaln,
            (double)model_activation_floats(&t->m) * sizeof(float) / 1e6);
    fflush(out);
    if (!isfinite(t->loss))
        st = error_set(err, STATUS_DATA, "bench: the %s %s training step gave a "
                       "non-finite loss", model, model_norm_names[norm]);
    train_free(t);
    free(t);
    return st;
}

/* --- the whole bench ------------------------------------------------------------ */

/* Builds every selected model with every selected norm at batch 1, so that settings
 * that do not fit fail before minutes of measuring. */
static Status check_models(const BenchConfig *cfg, const char *const *models,
                           int nmodels, const NormKind *norms, int nnorms, Error *err)
{
    Model *m = malloc(sizeof *m);
    if (!m)
        return error_set(err, STATUS_NOMEM, "out of memory for a model");
    Status st = STATUS_OK;
    for (int i = 0; i < nmodels && st == STATUS_OK; i++)
        for (int k = 0; k < nnorms && st == STATUS_OK; k++) {
            ModelConfig *mc = model_config(cfg, models[i], norms[k], 1, 1);
            st = mc ? model_build(m, mc, CIFAR_IMAGE_SHAPE, err)
                    : error_set(err, STATUS_NOMEM, "out of memory for a model");
            free(mc);
            if (st == STATUS_OK)
                model_free(m);
        }
    free(m);
    return st;
}

Status bench_run(const BenchConfig *cfg, Pool *pool, FILE *out, Error *err)
{
    Sizes z = sizes_of(cfg);
    int threads = pool_threads(pool);
    const char *models[BENCH_MAX_MODELS];
    int nmodels = 0;
    if (cfg->model)
        models[nmodels++] = cfg->model;
    else if (cfg->quick)
        models[nmodels++] = "tiny";
    else {
        models[nmodels++] = model_name(0, NULL);
        if (strcmp(models[0], "s8") != 0)
            models[nmodels++] = "s8";
    }
    NormKind norms[NORM_KIND_COUNT];
    int nnorms = 0;
    for (int k = 0; k < NORM_KIND_COUNT; k++)
        if (cfg->norm == BENCH_ALL_NORMS || cfg->norm == k)
            norms[nnorms++] = (NormKind)k;
    Status st = check_models(cfg, models, nmodels, norms, nnorms, err);
    if (st != STATUS_OK)
        return st;

    fprintf(out, "cifar-train bench%s: %d thread%s, batch %d, %d-float vectors\n",
            cfg->quick ? " (quick: tiny sizes, figures not meaningful)" : "", threads,
            threads == 1 ? "" : "s", z.batch, BENCH_VL);
    double peak1, peakn;
    st = fma_peak(NULL, &z, &peak1, err);
    if (st == STATUS_OK && threads > 1)
        st = fma_peak(pool, &z, &peakn, err);
    else
        peakn = peak1;
    if (st != STATUS_OK)
        return st;
    /* A quick run's loop is too short to reach the machine's peak: no such claim. */
    fprintf(out, "FP32 FMA %s: %.1f GFLOP/s per core, %.1f with %d thread%s\n",
            cfg->quick ? "loop (quick: a check, not the machine's peak)"
                       : "peak (register-resident loop)",
            peak1, peakn, threads, threads == 1 ? "" : "s");
    fflush(out);

    st = bench_convs(cfg, models, nmodels, &z, pool, peak1, out, err);
    if (st != STATUS_OK)
        return st;

    fprintf(out, "\ntraining step at batch %d (augment, forward, loss, backward, SGD) "
            "and evaluation, images/s;\nGFLOP/s counts the convs' multiply-adds of "
            "training with %d threads, %% of the %d-thread peak\n", z.batch, threads,
            threads);
    fprintf(out, "%-6s %-4s %9s %9s %7s %7s %5s %9s %9s %8s\n", "model", "norm",
            "train 1", "train N", "scale", "GFLOP/s", "peak", "eval 1", "eval N",
            "acts MB");
    /* The last line reports s8 with bn (the figure the issue tracker and scripts
     * compare against PyTorch's) when they are measured, else the first measured. */
    int hi = 0, hk = 0;
    for (int i = 0; i < nmodels; i++)
        hi = strcmp(models[i], "s8") == 0 ? i : hi;
    for (int k = 0; k < nnorms; k++)
        hk = norms[k] == NORM_BN ? k : hk;
    TrainRates headline = {0.0, 0.0, 0.0, 0.0};
    for (int i = 0; i < nmodels && st == STATUS_OK; i++)
        for (int k = 0; k < nnorms && st == STATUS_OK; k++) {
            TrainRates r = {0.0, 0.0, 0.0, 0.0};
            st = bench_model(models[i], norms[k], cfg, &z, pool, peakn, &r, out, err);
            if (i == hi && k == hk)
                headline = r;
        }
    if (st != STATUS_OK)
        return st;
    size_t rss = platform_peak_rss();
    if (rss)
        fprintf(out, "\npeak resident memory of this process: %.1f MB\n",
                (double)rss / 1e6);
    else
        fprintf(out, "\npeak resident memory: not reported on this platform\n");
    fprintf(out, BENCH_LAST_LINE, headline.trainn, headline.evaln, threads);
    fflush(out);
    return STATUS_OK;
}
