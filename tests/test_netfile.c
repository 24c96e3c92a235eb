/* test_netfile.c - the network language: the built-ins' parameter counts against
 * PyTorch's, a bad net's every kind of error with its line, the layers a text makes,
 * the checkpoint keeping a file's text, and randomly generated valid nets (depth,
 * widths, skips, projections, pools, dropouts) run fused against plain passes and
 * against finite differences. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "train/checkpoint.h"
#include "train/train.h"
#include "test.h"

/* A config for the net in text (a file's), at batch n. */
static ModelConfig *file_config(const char *text, NormKind norm, int n)
{
    ModelConfig *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    *c = (ModelConfig){.name = MODEL_FILE_NAME, .norm = norm, .groups = 2,
                       .dropout = -1.0f, .batch = n, .threads = 1,
                       .conv = CONV_BLOCKED};
    snprintf(c->source, sizeof c->source, "net.txt");
    snprintf(c->text, sizeof c->text, "%s", text);
    return c;
}

/* The parameter count of a text under norm, or 0 if it does not build. */
static size_t count_params(const char *text, NormKind norm)
{
    ModelConfig *c = file_config(text, norm, 2);
    size_t n = 0;
    Error err;
    if (!c || model_check(c, CIFAR_IMAGE_SHAPE, &n, &err) != STATUS_OK)
        n = 0;
    free(c);
    return n;
}

/* PyTorch's counts of the origin's nets (torchsummary): r6 49,648 and s8 49,136
 * with batch norm; r6's is the same with any norm. */
static int test_netfile_pytorch_counts(void)
{
    CHECK(count_params(model_text("r6"), NORM_BN) == 49648);
    CHECK(count_params(model_text("s8"), NORM_BN) == 49136);
    for (int norm = 0; norm < NORM_KIND_COUNT; norm++)
        CHECK(count_params(model_text("r6"), (NormKind)norm) == 49648);
    /* conv 3->4 3x3 (108), norm (8), conv 4->10 1x1 (40) */
    CHECK(count_params("a: conv 4 3 pad=1\nnorm\ngap\nclassifier\n", NORM_BN) == 156);
    return 0;
}

/* A built-in by name and its text from a file make the same layers. */
static int test_netfile_builtin_equals_text(void)
{
    const char *name;
    for (size_t i = 0; (name = model_name(i, NULL)) != NULL; i++) {
        ModelConfig *by_text = file_config(model_text(name), NORM_GN, 2);
        ModelConfig *by_name = file_config("", NORM_GN, 2);
        CHECK(by_text && by_name);
        by_name->name = name;
        by_text->dropout = by_name->dropout = 0.1f;
        static Model a, b;
        Error err;
        CHECK(model_build(&a, by_text, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
        CHECK(model_build(&b, by_name, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
        CHECK(a.nlayers == b.nlayers && a.nparams == b.nparams);
        for (int k = 0; k < a.nlayers; k++)
            CHECK(a.layers[k].kind == b.layers[k].kind &&
                  strcmp(a.layers[k].name, b.layers[k].name) == 0 &&
                  a.layers[k].in == b.layers[k].in && a.layers[k].in2 == b.layers[k].in2);
        model_free(&a), model_free(&b);
        free(by_text), free(by_name);
    }
    return 0;
}

/* tiny's layers, as the builder that came before the language made them: the order
 * fixes initialisation and dropout keys, so a seed's results. */
static int test_netfile_tiny_layers(void)
{
    static const char *const want =
        "c1 conv2d -1; c1.norm groupnorm 0; c1 relu 1; c1 dropout 2; pool1 maxpool2 3; "
        "c2 conv2d 4; c2.norm groupnorm 5; c2 relu 6; c2 dropout 7; pool2 maxpool2 8; "
        "c3 conv2d 9; c3.norm groupnorm 10; c3 relu 11; c3 dropout 12; c3 add 13+9; "
        "gap avgpool 14; c4 conv2d 15; ";
    ModelConfig *c = file_config(model_text("tiny"), NORM_LN, 1);
    CHECK(c != NULL);
    c->dropout = 0.1f;
    static Model m;
    Error err;
    CHECK(model_build(&m, c, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    char got[1024] = "";
    for (int i = 0; i < m.nlayers; i++) {
        const Layer *l = &m.layers[i];
        size_t len = strlen(got);
        if (l->kind == LAYER_ADD)
            snprintf(got + len, sizeof got - len, "%s %s %d+%d; ", l->name,
                     layer_ops[l->kind].name, l->in, l->in2);
        else
            snprintf(got + len, sizeof got - len, "%s %s %d; ", l->name,
                     layer_ops[l->kind].name, l->in);
    }
    if (strcmp(got, want) != 0)
        fprintf(stderr, "  got  %s\n  want %s\n", got, want);
    CHECK(strcmp(got, want) == 0);
    /* without dropout, no dropout layers; the add reads the ReLU */
    c->dropout = -1.0f;
    model_free(&m);
    CHECK(model_build(&m, c, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    CHECK(m.nlayers == 14 && m.layers[11].kind == LAYER_ADD && m.layers[11].in == 10);
    model_free(&m);
    free(c);
    return 0;
}

/* --- errors --------------------------------------------------------------------- */

typedef struct {
    const char *text;
    const char *want;   /* in the message, with the line */
} BadNet;

#define HEAD "a: conv 4 3 pad=1\n"
#define TAIL "gap\nclassifier\n"

static const BadNet bad_nets[] = {
    {HEAD "softmax\n" TAIL, "net.txt:2: unknown layer 'softmax'"},
    {HEAD "b: conv x 3\n" TAIL, "net.txt:2: conv channels 'x' is not a whole number"},
    {HEAD "b: conv 4\n" TAIL, "net.txt:2: conv needs more numbers"},
    {HEAD "b: conv 0 3\n" TAIL, "net.txt:2: conv channels 0 is out of range"},
    {HEAD "b: conv 4 3 pad=-1\n" TAIL, "net.txt:2: conv padding '-1'"},
    {HEAD "b: conv 4 3 bias\n" TAIL, "net.txt:2: conv bias is not supported"},
    {HEAD "dropout 1\n" TAIL, "net.txt:2: dropout '1' is not a number in [0, 1)"},
    {HEAD "norm xn\n" TAIL, "net.txt:2: norm 'xn' is not bn, ln or gn"},
    {HEAD "b: conv 8 3 pad=1\nadd a\n" TAIL,
     "net.txt:3: layer b: skip-add of 8x32x32 and 4x32x32"},
    {HEAD "add nowhere\n" TAIL, "net.txt:2: no output named 'nowhere'"},
    {HEAD "a: relu\n" TAIL, "net.txt:2: label 'a' is already used on line 1"},
    {HEAD "b: conv 4 15\nc: conv 4 15\nd: conv 4 15\n" TAIL,
     "net.txt:4: layer d: a 15x15 kernel with padding 0 does not fit a 4x4 input"},
    {"a: conv 3 3 pad=1\nnorm\n" TAIL, "net.txt:2: layer a.norm: 3 channels cannot "
                                       "be split into 2 groups"},
    {HEAD "gap\n", "net.txt:2: the net ends without a classifier"},
    {HEAD "classifier\n", "net.txt:2: the classifier's output is 10x32x32"},
    {HEAD TAIL "relu\n", "net.txt:4: a layer after the classifier (line 3)"},
    {HEAD "relu b\n" TAIL, "net.txt:2: relu needs fewer words"},
    {HEAD "relu pad=1\n" TAIL, "net.txt:2: 'pad=1' is not an option of relu"},
    {HEAD "relu from=a from=\n" TAIL, "net.txt:2: 'from=' is not an option"},
    {"default dropout 0.1\ndefault dropout 0.2\n" HEAD TAIL,
     "net.txt:2: a second default dropout (the first is on line 1)"},
    {"", "net.txt: no layers"},
    {"# nothing\n", "net.txt: no layers"},
    {"1a: relu\n" TAIL, "net.txt:1: bad label '1a'"},
    {"input: relu\n" TAIL, "net.txt:1: 'input' names the network's input"},
    {"a: add a\n" TAIL, "net.txt:1: no output named 'a'"},
    {HEAD "w: whiten 2\n" TAIL, "net.txt:2: layer w: whiten must read the network's "
                                 "input"},
    {"w: whiten 6\n" TAIL, "net.txt:1: layer w: a 6x6 whitening of 3 channels has "
                           "108 dimensions, over the 75 it takes"},
    {"w: whiten 2 pad=-1\n" TAIL, "net.txt:1: whiten padding '-1'"},
    {"w: whiten\n" TAIL, "net.txt:1: whiten needs more numbers"},
};

/* Every bad net fails with STATUS_USAGE and a message naming the file, the line and
 * what is wrong; and no check refuses the good net they are made from. */
static int test_netfile_errors(void)
{
    CHECK(count_params(HEAD TAIL, NORM_GN) > 0);
    for (size_t i = 0; i < sizeof bad_nets / sizeof bad_nets[0]; i++) {
        ModelConfig *c = file_config(bad_nets[i].text, NORM_GN, 2);
        CHECK(c != NULL);
        Error err = {STATUS_OK, ""};
        Status st = model_check(c, CIFAR_IMAGE_SHAPE, NULL, &err);
        if (st != STATUS_USAGE || !strstr(err.msg, bad_nets[i].want))
            fprintf(stderr, "  net %zu: status %d '%s', want '%s'\n", i, (int)st,
                    err.msg, bad_nets[i].want);
        CHECK(st == STATUS_USAGE && strstr(err.msg, bad_nets[i].want));
        free(c);
    }
    return 0;
}

/* More layers than a model holds, a NUL byte, and a budget. */
static int test_netfile_limits(void)
{
    static char text[MODEL_TEXT_MAX];
    size_t len = 0;
    for (int i = 0; i < NETFILE_MAX_LAYERS; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "relu\n");
    snprintf(text + len, sizeof text - len, "classifier\n");
    NetFile net;
    Error err;
    CHECK(netfile_parse(&net, text, strlen(text), "big", &err) == STATUS_USAGE);
    CHECK(strstr(err.msg, "big:97: more than 96 layers") != NULL);
    CHECK(netfile_parse(&net, text + 5, strlen(text + 5), "big", &err) == STATUS_OK);
    CHECK(net.nlayers == NETFILE_MAX_LAYERS);
    CHECK(netfile_parse(&net, "relu\n\0\nclassifier\n", 18, "nul", &err) ==
          STATUS_USAGE);
    CHECK(strstr(err.msg, "nul:2: a NUL byte") != NULL);
    ModelConfig *c = file_config(model_text("r6"), NORM_BN, 2);
    CHECK(c != NULL);
    c->max_params = 49648;
    CHECK(model_check(c, CIFAR_IMAGE_SHAPE, NULL, &err) == STATUS_OK);
    c->max_params = 49647;
    CHECK(model_check(c, CIFAR_IMAGE_SHAPE, NULL, &err) == STATUS_USAGE);
    CHECK(strstr(err.msg, "49648 parameters, over the budget of 49647") != NULL);
    /* whiten's fitted weights count: 2x2 patches of 3 channels, 24 outputs */
    snprintf(c->text, sizeof c->text, "w: whiten 2\n" TAIL);
    size_t np = 0;
    CHECK(model_check(c, CIFAR_IMAGE_SHAPE, &np, &err) == STATUS_OK);
    CHECK(np == 24 * 12 + 10 * 24);
    free(c);
    return 0;
}

/* Names, from=, norm overrides, a projection shortcut and default dropout. */
static int test_netfile_language(void)
{
    static const char text[] =
        "default dropout 0.25   # the bare dropout's p\n"
        "a:    conv 4 3 pad=1\n"
        "      norm ln\n"
        "      relu\n"
        "      dropout\n"
        "p:    avgpool\n"
        "b:    conv 6 3 pad=1\n"
        "      norm gn groups=3\n"
        "      dropout 0.5\n"
        "proj: conv 6 1 from=p  # a projection shortcut\n"
        "      norm bn\n"
        "s:    add b proj\n"
        "g:    gap from=s\n"
        "      classifier\n";
    NetFile net;
    Error err;
    CHECK(netfile_parse(&net, text, strlen(text), "t", &err) == STATUS_OK);
    CHECK(net.nlayers == 13 && net.dropout == 0.25f);
    CHECK(net.layers[1].norm == NET_NORM_LN && net.layers[6].groups == 3);
    CHECK(net.layers[8].in == 4 && net.layers[10].in == 7 && net.layers[10].in2 == 9);
    CHECK(strcmp(net.layers[9].name, "proj.norm") == 0);
    ModelConfig *c = file_config(text, NORM_BN, 2);
    CHECK(c != NULL);
    static Model m;
    CHECK(model_build(&m, c, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    CHECK(m.layers[1].kind == LAYER_GNORM && m.layers[1].groups == 1);
    CHECK(m.layers[6].kind == LAYER_GNORM && m.layers[6].groups == 3);
    CHECK(m.layers[9].kind == LAYER_BNORM && m.layers[3].p == 0.25f);
    CHECK(m.layers[4].kind == LAYER_AVGPOOL2 && m.layers[4].out_shape.h == 16);
    CHECK(m.nparams == 108 + 8 + 216 + 12 + 24 + 12 + 60);
    model_free(&m);
    free(c);
    return 0;
}

/* A checkpoint of a net from a file keeps its text and path; a resumed run needs
 * no file. A built-in name with a text, or a file's name without, is corrupt. */
static int test_netfile_checkpoint_text(void)
{
    static const char text[] = "a: conv 2 3\nnorm\nrelu\ngap\nclassifier\n";
    static Checkpoint c, d;
    static Model m;
    static size_t order[4] = {2, 0, 3, 1};
    static char log[1] = "";
    memset(&c, 0, sizeof c);
    runopts_defaults(&c.opts);
    c.train_count = 4, c.order = order, c.log = log;
    snprintf(c.opts.data_dir, sizeof c.opts.data_dir, "data");
    rng_seed(&c.shuffle, 1, RNG_STREAM_SHUFFLE);
    rng_seed(&c.augment_rng, 1, RNG_STREAM_AUGMENT);
    ModelConfig *mc = file_config(text, NORM_BN, 2);
    CHECK(mc != NULL);
    c.opts.model = *mc;
    Error err;
    CHECK(model_build(&m, &c.opts.model, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    size_t n = checkpoint_encode(NULL, 0, &c, &m);
    unsigned char *b = malloc(n);
    CHECK(b && checkpoint_encode(b, n, &c, &m) == n);
    Status st = checkpoint_decode(&d, b, n, "ck", &err);
    if (st != STATUS_OK)
        fprintf(stderr, "  %s\n", err.msg);
    CHECK(st == STATUS_OK);
    CHECK(strcmp(d.opts.model.text, text) == 0);
    CHECK(strcmp(d.opts.model.source, "net.txt") == 0);
    CHECK(strcmp(d.opts.model.name, MODEL_FILE_NAME) == 0);
    CHECK(runopts_differing(&c.opts, &d.opts) == NULL);
    d.opts.model.text[0] = 'b';
    CHECK(runopts_differing(&c.opts, &d.opts) != NULL);
    checkpoint_free(&d);
    c.opts.model.name = "tiny";
    CHECK(checkpoint_encode(b, n, &c, &m) == n);
    CHECK(checkpoint_decode(&d, b, n, "ck", &err) == STATUS_DATA);
    CHECK(strstr(err.msg, "the model name and the network text disagree") != NULL);
    free(b);
    model_free(&m);
    free(mc);
    return 0;
}

/* --- random nets ---------------------------------------------------------------- */

/* Image side and batch of the random nets: two pools leave 2x2 maps, so every
 * norm statistic still has several values. */
#define RAND_SIDE 8
#define RAND_N 2
#define RAND_NETS 16
#define RAND_MAX_OUTS 24

typedef struct {
    char name[8];
    int c, side;
} Out;

typedef struct {
    Rng *rng;
    char *text;
    size_t len, cap;
    Out outs[RAND_MAX_OUTS];
    int nouts;
    int c, side;    /* the current output's */
    int pools;
} Gen;

static int pick(Gen *g, int n)
{
    return (int)(rng_uniform(g->rng) * (float)n) % n;
}

static void emit(Gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(g->text + g->len, g->cap - g->len, fmt, ap);
    va_end(ap);
    g->len += k > 0 ? (size_t)k : 0;
}

/* The current output gets the label name. */
static void labelled(Gen *g, const char *name)
{
    Out *o = &g->outs[g->nouts++];
    snprintf(o->name, sizeof o->name, "%s", name);
    o->c = g->c, o->side = g->side;
}

/* An earlier output of the current side, with the current channels or not (any:
 * either); -1 if there is none. */
static int earlier(Gen *g, bool same_channels, bool any)
{
    int found = -1, seen = 0;
    for (int i = 0; i < g->nouts - 1; i++)
        if (g->outs[i].side == g->side &&
            (any || (g->outs[i].c == g->c) == same_channels) && pick(g, ++seen) == 0)
            found = i;
    return found;
}

/* conv, norm (sometimes a named one), relu, sometimes a dropout. */
static void conv_block(Gen *g, const char *label)
{
    static const char *const norms[] = {"norm", "norm", "norm bn", "norm ln"};
    static const char *const drops[] = {"", "", "dropout\n", "dropout 0.3\n"};
    int k = pick(g, 2) ? 3 : 1;
    g->c = 2 * (1 + pick(g, 4));
    emit(g, "%s: conv %d %d pad=%d\n%s\nrelu\n%s", label, g->c, k, k / 2,
         norms[pick(g, 4)], drops[pick(g, 4)]);
}

/* One block: a conv block, a pool, a skip-add, a projection shortcut, or a ReLU or
 * dropout on an earlier output (which another layer reads too). */
static void random_block(Gen *g, int b)
{
    char label[8];
    snprintf(label, sizeof label, "b%d", b % 100);
    int kind = pick(g, 10), from;
    if (kind == 0 && g->side >= 4 && g->pools < 2) {
        emit(g, "%s: %s\n", label, pick(g, 2) ? "maxpool" : "avgpool");
        g->side /= 2, g->pools++;
    } else if (kind == 1 && (from = earlier(g, true, false)) >= 0) {
        emit(g, "%s: add %s\n", label, g->outs[from].name);
    } else if (kind == 3 && (from = earlier(g, true, true)) >= 0) {
        emit(g, "%s: %s from=%s\n", label, pick(g, 2) ? "relu" : "dropout 0.3",
             g->outs[from].name);
        g->c = g->outs[from].c;
    } else if (kind == 2 && g->c % 2 == 0 && (from = earlier(g, false, false)) >= 0) {
        emit(g, "%s: conv %d 1 from=%s\nnorm\nadd %s\n", label, g->c,
             g->outs[from].name, g->outs[g->nouts - 1].name);
    } else {
        conv_block(g, label);
    }
    labelled(g, label);
}

/* A random valid net in text[cap]. */
static void random_net(Rng *rng, char *text, size_t cap)
{
    Gen g = {.rng = rng, .text = text, .cap = cap, .c = 3, .side = RAND_SIDE};
    text[0] = '\0';
    labelled(&g, "input");
    if (pick(&g, 2))
        emit(&g, "default dropout 0.2\n");
    int blocks = 2 + pick(&g, 8);
    for (int b = 0; b < blocks; b++)
        random_block(&g, b);
    emit(&g, "g: gap\nclassifier\n");
}

/* Logits in training and evaluation, parameter gradients and running statistics
 * after one forward and backward of net c with the switches. */
typedef struct {
    float train[RAND_N * MODEL_CLASSES], eval[RAND_N * MODEL_CLASSES];
    float *grads, *stats;
    size_t span, nstats;
} RandResult;

static int run_net(ModelConfig *c, const float *x, const float *r, bool no_fuse,
                   bool no_shared, RandResult *out)
{
    static Model m;
    Error err;
    c->no_fuse = no_fuse, c->no_shared_grads = no_shared;
    Status st = model_build(&m, c, (Shape4){1, 3, RAND_SIDE, RAND_SIDE}, &err);
    if (st != STATUS_OK)
        fprintf(stderr, "  %s\n%s", err.msg, c->text);
    CHECK(st == STATUS_OK);
    model_init(&m, 3);
    memcpy(out->train, model_forward(&m, x, RAND_N, true, 9, NULL), sizeof out->train);
    model_zero_grad(&m);
    memcpy(model_logits_grad(&m, RAND_N), r, sizeof out->train);
    model_backward(&m, x, RAND_N, 9, NULL);
    memcpy(out->eval, model_forward(&m, x, RAND_N, false, 0, NULL), sizeof out->eval);
    out->span = m.param_span, out->nstats = m.nstats;
    out->grads = malloc(out->span * sizeof(float) + 1);
    out->stats = malloc(out->nstats * sizeof(float) + 1);
    CHECK(out->grads && out->stats);
    memcpy(out->grads, m.grads.base, out->span * sizeof(float));
    memcpy(out->stats, m.stats.base, out->nstats * sizeof(float));
    model_free(&m);
    return 0;
}

static int same_run(const RandResult *a, const RandResult *b)
{
    CHECK(memcmp(a->train, b->train, sizeof a->train) == 0);
    CHECK(memcmp(a->eval, b->eval, sizeof a->eval) == 0);
    CHECK(a->span == b->span && a->nstats == b->nstats);
    CHECK(memcmp(a->grads, b->grads, a->span * sizeof(float)) == 0);
    CHECK(memcmp(a->stats, b->stats, a->nstats * sizeof(float)) == 0);
    return 0;
}

/* Fused and shared (the default) against each of the plain variants, bit for bit. */
static int variants_agree(ModelConfig *c, const float *x, const float *r)
{
    RandResult base, other;
    memset(&base, 0, sizeof base);
    CHECK(run_net(c, x, r, false, false, &base) == 0);
    int bad = 0;
    for (int v = 1; v < 4 && !bad; v++) {
        memset(&other, 0, sizeof other);
        bad = run_net(c, x, r, v & 1, v & 2, &other) || same_run(&base, &other);
        free(other.grads), free(other.stats);
        if (bad)
            fprintf(stderr, "  no_fuse %d no_shared_grads %d differs on:\n%s", v & 1,
                    (v & 2) != 0, c->text);
    }
    free(base.grads), free(base.stats);
    CHECK(!bad);
    return 0;
}

/* Central differences of sum r_i * logit_i (training mode, fixed dropout key). */
#define RAND_GRAD_STEP 1e-3f
/* As test_model.c's whole-model check: rounding and curvature stay below these. */
#define RAND_GRAD_ATOL 1e-3
#define RAND_GRAD_RTOL 5e-2
#define RAND_GRAD_PER_NET 48
/* A sampled parameter whose interval holds a kink (a ReLU input or max-pool tie
 * crossing) has no true numeric gradient: at most one in this many may miss. */
#define RAND_GRAD_KINKS 6

typedef struct {
    Model m;
    float x[RAND_N * 3 * RAND_SIDE * RAND_SIDE];
    float r[RAND_N * MODEL_CLASSES];
} RandGrad;

static double rand_loss(void *arg)
{
    RandGrad *g = arg;
    const float *logits = model_forward(&g->m, g->x, RAND_N, true, 9, NULL);
    double s = 0.0;
    for (int i = 0; i < RAND_N * MODEL_CLASSES; i++)
        s += (double)g->r[i] * (double)logits[i];
    return s;
}


static int gradient_agrees(ModelConfig *c, Rng *rng, RandGrad *g)
{
    Error err;
    c->no_fuse = c->no_shared_grads = false;
    CHECK(model_build(&g->m, c, (Shape4){1, 3, RAND_SIDE, RAND_SIDE}, &err) ==
          STATUS_OK);
    model_init(&g->m, 4);
    test_far_from_kinks(&g->m, rng);
    rand_loss(g);
    model_zero_grad(&g->m);
    memcpy(model_logits_grad(&g->m, RAND_N), g->r, sizeof g->r);
    model_backward(&g->m, g->x, RAND_N, 9, NULL);
    int failed = 0;
    for (int i = 0; i < RAND_GRAD_PER_NET; i++) {
        size_t j = (size_t)(rng_uniform(rng) * (float)g->m.nparams) % g->m.nparams;
        /* parameter j of the arena, skipping the alignment gaps */
        size_t k = 0;
        const Layer *l = &g->m.layers[0];
        for (int li = 0; li < g->m.nlayers; li++) {
            l = &g->m.layers[li];
            if (j < k + l->nparams)
                break;
            k += l->nparams;
        }
        bool off = !(test_grad_error(rand_loss, g, l->param + (j - k),
                                     l->dparam + (j - k), 1, RAND_GRAD_STEP,
                                     RAND_GRAD_ATOL, RAND_GRAD_RTOL) <= 1.0);
        if (off)
            fprintf(stderr, "  %s (%s) parameter %zu off\n", l->name,
                    layer_ops[l->kind].name, j - k);
        failed += off;
    }
    model_free(&g->m);
    if (failed * RAND_GRAD_KINKS > RAND_GRAD_PER_NET)
        fprintf(stderr, "  %d of %d gradients off on:\n%s", failed, RAND_GRAD_PER_NET,
                c->text);
    CHECK(failed * RAND_GRAD_KINKS <= RAND_GRAD_PER_NET);
    return 0;
}

/* Nets the random ones may miss: an output read by a layer that could work in place
 * over it and by another; layers other than convs on the input. */
static const char *const fixed_nets[] = {
    "a: conv 4 3 pad=1\nnorm\nrelu\ndropout 0.3\nb: conv 4 3 pad=1\n"
    "c: dropout 0.3 from=a\nd: add b\ngap\nclassifier\n",
    "a: relu\nb: add a input\nc: conv 4 1\nnorm\nrelu\nd: maxpool\ne: avgpool\n"
    "gap\nclassifier\n",
    "a: dropout 0.5\nnorm\nrelu\nconv 2 3\nnorm\nrelu\ngap\nclassifier\n",
};
#define NFIXED (int)(sizeof fixed_nets / sizeof fixed_nets[0])

/* Random valid nets (and the fixed ones) with bn and gn: the fused passes agree with
 * the plain ones bit for bit, and the gradient with finite differences. */
static int test_netfile_random_nets(void)
{
    static RandGrad g;
    Rng rng;
    rng_seed(&rng, 77, RNG_STREAM_TEST);
    for (int i = 0; i < NFIXED + RAND_NETS; i++) {
        char text[4096];
        if (i < NFIXED)
            snprintf(text, sizeof text, "%s", fixed_nets[i]);
        else
            random_net(&rng, text, sizeof text);
        ModelConfig *c = file_config(text, i % 2 ? NORM_GN : NORM_BN, RAND_N);
        CHECK(c != NULL);
        c->groups = i % 4 < 2 ? 2 : 1;
        test_fill_normal(&rng, g.x, sizeof g.x / sizeof g.x[0], 0.0f);
        test_fill_normal(&rng, g.r, sizeof g.r / sizeof g.r[0], 0.0f);
        CHECK(variants_agree(c, g.x, g.r) == 0);
        CHECK(gradient_agrees(c, &rng, &g) == 0);
        free(c);
    }
    return 0;
}

const TestCase netfile_tests[] = {
    {"netfile_pytorch_counts", test_netfile_pytorch_counts},
    {"netfile_builtin_equals_text", test_netfile_builtin_equals_text},
    {"netfile_tiny_layers", test_netfile_tiny_layers},
    {"netfile_errors", test_netfile_errors},
    {"netfile_limits", test_netfile_limits},
    {"netfile_language", test_netfile_language},
    {"netfile_checkpoint_text", test_netfile_checkpoint_text},
    {"netfile_random_nets", test_netfile_random_nets},
    {NULL, NULL},
};
