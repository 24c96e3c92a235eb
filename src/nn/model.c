/* model.c - the built-in nets as text in the network language (the origin's s8, the
 * tuned default r6, tiny), the layer list made from a net's text, shape planning,
 * arena allocation, and the forward and backward passes over the layer list. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/model.h"
#include "nn/netfile.h"

const char *const model_norm_names[NORM_KIND_COUNT] = {"bn", "ln", "gn"};

/* The built-in nets, in the network language (netfile.h). The layer order is the
 * order of initialisation and of the dropout keys, so it fixes a seed's results. */
static const char r6_text[] =
    "# r6: downsample early, widen late: two convs at full resolution, a residual\n"
    "# conv at 16x16, then 48 channels with a residual conv at 8x8. 49,648\n"
    "# parameters with any norm and 9.7 M multiply-adds per image, half of s8's.\n"
    "c1:    conv 16 3 pad=1\n"
    "       norm\n"
    "       relu\n"
    "       dropout\n"
    "c2:    conv 32 3 pad=1\n"
    "       norm\n"
    "       relu\n"
    "       dropout\n"
    "pool1: maxpool\n"
    "r1:    conv 32 3 pad=1\n"
    "       norm\n"
    "       relu\n"
    "       dropout\n"
    "       add pool1\n"
    "pool2: maxpool\n"
    "c3:    conv 48 3 pad=1\n"
    "       norm\n"
    "       relu\n"
    "       dropout\n"
    "r2:    conv 48 3 pad=1\n"
    "       norm\n"
    "       relu\n"
    "       dropout\n"
    "       add c3\n"
    "gap:   gap\n"
    "head:  classifier\n";

static const char w6_text[] =
    "# w6: r6 with its first conv replaced by 2x2 patch whitening, fitted to the\n"
    "# training images and frozen (24 channels: 12 principal axes and their\n"
    "# negations), with no norm after it. Without padding the maps are 31, 15 and\n"
    "# 7 pixels; 44 channels at 7x7 (a multiple of --groups' 4): 47,256\n"
    "# parameters with whiten's 288, and 10.5 M multiply-adds per image.\n"
    "w:     whiten 2\n"
    "       relu\n"
    "c2:    conv 32 3 pad=1\n"
    "       norm\n"
    "       relu\n"
    "       dropout\n"
    "pool1: maxpool\n"
    "r1:    conv 32 3 pad=1\n"
    "       norm\n"
    "       relu\n"
    "       dropout\n"
    "       add pool1\n"
    "pool2: maxpool\n"
    "c3:    conv 44 3 pad=1\n"
    "       norm\n"
    "       relu\n"
    "       dropout\n"
    "r2:    conv 44 3 pad=1\n"
    "       norm\n"
    "       relu\n"
    "       dropout\n"
    "       add c3\n"
    "gap:   gap\n"
    "head:  classifier\n";

/* Each block of s8 repeats conv, norm, relu and dropout; c5 and c6 add their input. */
#define S8_BLOCK(label, conv)                                                         \
    label ":" conv "\n       norm\n       relu\n       dropout\n"
#define S8_LAST(label, conv) label ":" conv "\n       norm\n       relu\n"

static const char s8_text[] =
    "# s8: the origin's net: 11 convs, two skip-adds, 49,136 parameters with bn.\n"
    "# Dropout after every block but the last three.\n"
    "default dropout 0.05\n"
    S8_BLOCK("c1", "    conv 32 3 pad=2")
    S8_BLOCK("c2", "    conv 32 3 pad=2")
    S8_BLOCK("c3", "    conv 12 1")
    "pool1: maxpool\n"
    S8_BLOCK("c4", "    conv 32 3 pad=1")
    S8_BLOCK("c5", "    conv 32 3 pad=1")
    "       add c4\n"
    S8_BLOCK("c6", "    conv 32 3 pad=1")
    "       add c5\n"
    S8_BLOCK("c7", "    conv 12 1")
    "pool2: maxpool\n"
    S8_LAST("c8", "    conv 16 3")
    S8_LAST("c9", "    conv 32 3")
    S8_LAST("c10", "   conv 32 3")
    "gap:   gap\n"
    "c11:   classifier\n";

static const char tiny_text[] =
    "# tiny: a few thousand parameters, for tests and quick smoke runs.\n"
    "c1:    conv 8 3 pad=1\n"
    "       norm\n"
    "       relu\n"
    "       dropout\n"
    "pool1: maxpool\n"
    "c2:    conv 16 3 pad=1\n"
    "       norm\n"
    "       relu\n"
    "       dropout\n"
    "pool2: maxpool\n"
    "c3:    conv 16 3 pad=1\n"
    "       norm\n"
    "       relu\n"
    "       dropout\n"
    "       add pool2\n"
    "gap:   gap\n"
    "c4:    classifier\n";

typedef struct {
    const char *name;
    const char *description;
    const char *text;
} ModelDef;

/* The first is the default. */
static const ModelDef model_defs[] = {
    {"w6", "patch whitening, 4 convs at 31/15/7 pixels, two skip-adds, 47,256 "
           "parameters", w6_text},
    {"r6", "6 convs at 32/16/8 pixels, two skip-adds, 49,648 parameters, half of "
           "s8's compute", r6_text},
    {"s8", "the origin's net: 11 convs, two skip-adds, 49,136 parameters", s8_text},
    {"tiny", "4 convs, one skip-add, 3,912 parameters: for tests and smoke runs",
     tiny_text},
};
#define MODEL_DEFS (sizeof model_defs / sizeof model_defs[0])

const char *model_name(size_t i, const char **description)
{
    if (i >= MODEL_DEFS)
        return NULL;
    if (description)
        *description = model_defs[i].description;
    return model_defs[i].name;
}

const char *model_label(const ModelConfig *cfg)
{
    return cfg->text[0] && cfg->source[0] ? cfg->source : cfg->name;
}

const char *model_text(const char *name)
{
    for (size_t i = 0; i < MODEL_DEFS; i++)
        if (strcmp(model_defs[i].name, name) == 0)
            return model_defs[i].text;
    return NULL;
}

/* --- from the text to the layer list --------------------------------------------- */

/* The model layer of a norm line: the norm it names, else the configured one. */
static void norm_layer(Layer *l, const NetLayer *nl, const ModelConfig *cfg)
{
    NormKind norm = nl->norm == NET_NORM_CHOSEN ? cfg->norm
                                                : (NormKind)(nl->norm - NET_NORM_BN);
    l->kind = norm == NORM_BN ? LAYER_BNORM : LAYER_GNORM;
    l->groups = norm == NORM_LN ? 1 : nl->groups ? nl->groups : cfg->groups;
}

/* Layer i from net line nl, whose inputs are layers in and in2. */
static void layer_from_line(Layer *l, const NetLayer *nl, int in, int in2,
                            const ModelConfig *cfg, float p)
{
    static const LayerKind plain[] = {
        [NET_CONV] = LAYER_CONV2D, [NET_RELU] = LAYER_RELU,
        [NET_DROPOUT] = LAYER_DROPOUT, [NET_MAXPOOL] = LAYER_MAXPOOL2,
        [NET_AVGPOOL] = LAYER_AVGPOOL2, [NET_GAP] = LAYER_AVGPOOL,
        [NET_ADD] = LAYER_ADD, [NET_CLASSIFIER] = LAYER_CONV2D,
        [NET_WHITEN] = LAYER_WHITEN};
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", nl->name);
    l->in = in;
    l->in2 = nl->kind == NET_ADD ? in2 : LAYER_INPUT;
    l->kind = plain[nl->kind];
    l->cout = nl->kind == NET_CLASSIFIER ? MODEL_CLASSES : nl->cout;
    l->k = nl->kind == NET_CLASSIFIER ? 1 : nl->k;
    l->pad = nl->pad;
    l->p = p;
    if (nl->kind == NET_NORM)
        norm_layer(l, nl, cfg);
}

/* The layers of net under cfg, with each one's line in line[]. A dropout of p 0 is
 * no layer: what reads it reads its input. */
static void layers_from_net(Model *m, const NetFile *net, const ModelConfig *cfg,
                            int line[])
{
    int map[NETFILE_MAX_LAYERS];    /* net line index -> layer index */
    float dflt = cfg->dropout >= 0.0f ? cfg->dropout : net->dropout;
    for (int j = 0; j < net->nlayers; j++) {
        const NetLayer *nl = &net->layers[j];
        int in = nl->in < 0 ? LAYER_INPUT : map[nl->in];
        int in2 = nl->in2 < 0 ? LAYER_INPUT : map[nl->in2];
        float p = nl->kind != NET_DROPOUT ? 0.0f : nl->p >= 0.0f ? nl->p : dflt;
        if (nl->kind == NET_DROPOUT && p == 0.0f) {
            map[j] = in;
            continue;
        }
        line[m->nlayers] = nl->line;
        layer_from_line(&m->layers[m->nlayers], nl, in, in2, cfg, p);
        map[j] = m->nlayers++;
    }
}

/* The text cfg names and what to call it in messages. */
static Status config_text(const ModelConfig *cfg, const char **text,
                          const char **source, Error *err)
{
    if (cfg->text[0] || (cfg->name && strcmp(cfg->name, MODEL_FILE_NAME) == 0)) {
        *text = cfg->text;
        *source = cfg->source[0] ? cfg->source : "network";
        return STATUS_OK;
    }
    *source = cfg->name ? cfg->name : "";
    *text = cfg->name ? model_text(cfg->name) : NULL;
    if (!*text)
        return error_set(err, STATUS_USAGE, "unknown model '%s' (try --help)",
                         *source);
    return STATUS_OK;
}

/* --- planning ------------------------------------------------------------------- */

static Shape4 output_shape(const Model *m, int i)
{
    return i == LAYER_INPUT ? m->in_shape : m->layers[i].out_shape;
}

/* Plan every shape; on failure *at is the layer at fault. */
static Status plan(Model *m, int *at, Error *err)
{
    for (int i = 0; i < m->nlayers; i++) {
        Layer *l = &m->layers[i];
        *at = i;
        assert(l->in < i && l->in2 < i);
        l->in_shape = output_shape(m, l->in);
        Status st = layer_ops[l->kind].plan(l, output_shape(m, l->in2), err);
        if (st != STATUS_OK)
            return st;
        if (shape4_count(l->out_shape) == 0)
            return error_set(err, STATUS_NOMEM, "layer %s: activation size overflows",
                             l->name);
        m->zeroed_by[i] = -1;
    }
    /* Backward runs from the last layer down, so the highest-indexed reader of an
     * output is the first to add into its gradient. */
    for (int i = 0; i < m->nlayers; i++) {
        const Layer *l = &m->layers[i];
        if (l->in >= 0 && m->zeroed_by[l->in] < i)
            m->zeroed_by[l->in] = i;
        if (layer_ops[l->kind].two_inputs && l->in2 >= 0 && m->zeroed_by[l->in2] < i)
            m->zeroed_by[l->in2] = i;
    }
    *at = m->nlayers - 1;
    Shape4 out = m->layers[m->nlayers - 1].out_shape;
    if (out.c != MODEL_CLASSES || out.h != 1 || out.w != 1)
        return error_set(err, STATUS_USAGE, "the classifier's output is %dx%dx%d, not "
                         "%dx1x1 (a gap before it pools the map to 1x1)", out.c, out.h,
                         out.w, MODEL_CLASSES);
    return STATUS_OK;
}

/* Whether layer i could write its output over its input's buffer, saving a buffer
 * and a pass over memory. Only kinds whose forward works elementwise in place and
 * whose backward never reads the input can (ReLU, dropout). The input must be a
 * layer's output that nothing else reads, and its producer's backward must not need
 * that output: true of every kind but those whose backward reads y (max-pool, ReLU),
 * and still true of a ReLU under a dropout, since ReLU's backward only asks where
 * y > 0: dropout keeps that where it keeps an element (scaling by 1/(1-p) > 0), and
 * where it zeroes one the gradient arriving through it is zero either way. */
static bool can_work_in_place(const Model *m, int i)
{
    const Layer *l = &m->layers[i];
    if (!layer_ops[l->kind].elementwise_in_place || l->in == LAYER_INPUT)
        return false;
    int readers = 0;
    for (int j = 0; j < m->nlayers; j++)
        readers += (m->layers[j].in == l->in) + (m->layers[j].in2 == l->in);
    const LayerOps *producer = &layer_ops[m->layers[l->in].kind];
    return readers == 1 &&
           (!producer->backward_reads_y ||
            (producer->backward_reads_y_positive && layer_ops[l->kind].keeps_positive));
}

/* Whether layer i works in its input's buffer: when it can and buffers are shared. */
static bool in_place(const Model *m, int i)
{
    return !m->no_shared_grads && can_work_in_place(m, i);
}

/* Whether layer j continues the chain of a norm ending at layer j - 1 in the role
 * fuse: it reads only that layer, could work in place over it, and is its only
 * reader (whether it does work in place does not matter to the fused kernels). */
static bool continues_chain(const Model *m, int j, LayerFuse fuse)
{
    const Layer *l = &m->layers[j];
    return layer_ops[l->kind].fuse == fuse && l->in == j - 1 &&
           can_work_in_place(m, j) && m->zeroed_by[j - 1] == j;
}

/* Plans which ReLUs and dropouts run fused into the norm before them (fused_into,
 * chain_end), after plan; none with no_fuse. */
static void plan_fusion(Model *m)
{
    for (int i = 0; i < m->nlayers; i++) {
        m->fused_into[i] = -1;
        m->chain_end[i] = i;
    }
    for (int i = 0; i + 1 < m->nlayers && !m->no_fuse; i++) {
        if (layer_ops[m->layers[i].kind].fuse != LAYER_FUSE_NORM ||
            !continues_chain(m, i + 1, LAYER_FUSE_RELU))
            continue;
        int end = i + 1;
        if (end + 1 < m->nlayers && continues_chain(m, end + 1, LAYER_FUSE_DROPOUT))
            end++;
        for (int j = i + 1; j <= end; j++)
            m->fused_into[j] = i;
        m->chain_end[i] = end;
    }
}

/* Whether the gradient of layer i's output is used: not when layer i is a norm with
 * a fused chain, or a ReLU inside one (only the chain's last gradient is read). */
static bool grad_used(const Model *m, int i)
{
    int head = m->fused_into[i] >= 0 ? m->fused_into[i] : i;
    return m->chain_end[head] == head || m->chain_end[head] == i;
}

/* Activation gradients share buffers. The gradient of layer i's output lives, in
 * backward order, from the pass of its reader zeroed_by[i] (which zeroes it before
 * adding into it) to layer i's own pass, or to the norm's pass when layer i is
 * fused into one (the norm reads it); a slot whose last holder j > zeroed_by[i]
 * has finished is free for it. The logits' gradient and any output nobody reads
 * live through the whole pass. Greedy in backward order: the smallest free slot
 * that is large enough, else the largest free one, grown. Puts each layer's slot in
 * slot_of (-1 for a gradient never used) and each slot's floats in size; returns
 * the number of slots. */
static int plan_grad_slots(const Model *m, int slot_of[], size_t size[])
{
    int holder[MODEL_MAX_LAYERS];   /* per slot: the index of its last holder */
    int nslots = 0;
    for (int i = m->nlayers - 1; i >= 0; i--) {
        slot_of[i] = -1;
        if (!grad_used(m, i))
            continue;
        size_t need = shape4_count(m->layers[i].out_shape);
        int from = m->zeroed_by[i] >= 0 ? m->zeroed_by[i] : m->nlayers;
        int best = -1;
        for (int s = 0; s < nslots && !m->no_shared_grads; s++) {
            if (holder[s] <= from)
                continue;
            bool fits = size[s] >= need, best_fits = best >= 0 && size[best] >= need;
            if (best < 0 || (fits && (!best_fits || size[s] < size[best])) ||
                (!fits && !best_fits && size[s] > size[best]))
                best = s;
        }
        if (best < 0) {
            best = nslots++;
            size[best] = 0;
        }
        size[best] = need > size[best] ? need : size[best];
        /* an output nobody reads keeps its slot: it is never zeroed again */
        int last = m->fused_into[i] >= 0 ? m->fused_into[i] : i;
        holder[best] = m->zeroed_by[i] >= 0 || i == m->nlayers - 1 ? last : -1;
        slot_of[i] = best;
    }
    return nslots;
}

/* Whether a layer that reads the network's input needs somewhere to put the input's
 * gradient, which nothing reads (a conv or whiten computes none when given NULL). */
static bool input_grad_needed(const Model *m)
{
    for (int i = 0; i < m->nlayers; i++) {
        const Layer *l = &m->layers[i];
        if (!layer_ops[l->kind].input_grad_optional &&
            (l->in == LAYER_INPUT ||
             (layer_ops[l->kind].two_inputs && l->in2 == LAYER_INPUT)))
            return true;
    }
    return false;
}

/* Point every layer into the arenas. Parameters come in two passes so that the
 * decayed ones (conv weights) form one prefix; gradients and momentum share the
 * parameters' offsets. With counting arenas this only measures. */
static void point(Model *m, int threads)
{
    size_t scratch = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < m->nlayers; i++) {
            Layer *l = &m->layers[i];
            if (layer_ops[l->kind].decay != (pass == 0) || l->nparams == 0)
                continue;
            size_t off = m->params.used;
            l->param = arena_take(&m->params, l->nparams);
            l->dparam = m->grads.base ? m->grads.base + off : NULL;
        }
        if (pass == 0)
            m->ndecay = m->params.used;
    }
    for (int i = 0; i < m->nlayers; i++) {
        Layer *l = &m->layers[i];
        size_t count = shape4_count(l->out_shape);
        l->stats = l->nstats ? arena_take(&m->stats, l->nstats) : NULL;
        l->saved = l->nsaved ? arena_take(&m->acts, l->nsaved) : NULL;
        l->y = in_place(m, i) ? m->layers[l->in].y : arena_take(&m->acts, count);
        size_t s = layer_ops[l->kind].scratch(l, threads);
        scratch = s > scratch ? s : scratch;
    }
    m->dinput = input_grad_needed(m) ? arena_take(&m->acts, shape4_count(m->in_shape))
                                     : NULL;
    int slot_of[MODEL_MAX_LAYERS];
    size_t size[MODEL_MAX_LAYERS];
    float *slot[MODEL_MAX_LAYERS];
    int nslots = plan_grad_slots(m, slot_of, size);
    for (int s = 0; s < nslots; s++)
        slot[s] = arena_take(&m->acts, size[s]);
    for (int i = 0; i < m->nlayers; i++)
        m->layers[i].dy = slot_of[i] >= 0 ? slot[slot_of[i]] : NULL;
    arena_take(&m->scratch, scratch);
}

static Status allocate(Model *m, int threads, Error *err)
{
    Arena *all[] = {&m->params, &m->stats, &m->acts, &m->scratch};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        arena_init_counting(all[i]);
    point(m, threads);
    size_t np = m->params.used, ns = m->stats.used, na = m->acts.used,
           nsc = m->scratch.used;
    Status st;
    if ((st = arena_init(&m->params, np, "parameters", err)) ||
        (st = arena_init(&m->grads, np, "gradients", err)) ||
        (st = arena_init(&m->moms, np, "momentum", err)) ||
        (st = arena_init(&m->stats, ns, "running statistics", err)) ||
        (st = arena_init(&m->acts, na, "activations", err)) ||
        (st = arena_init(&m->scratch, nsc, "conv scratch", err)))
        return st;
    point(m, threads);
    m->param_span = m->params.used;
    m->nstats = m->stats.used;
    return STATUS_OK;
}

/* Prefix err's message with where the layer at fault is written. */
static Status at_line(Status st, const char *source, int line, Error *err)
{
    if (err) {
        char what[ERROR_MSG_MAX];
        snprintf(what, sizeof what, "%s", err->msg);
        error_set(err, st, "%s:%d: %s", source, line, what);
    }
    return st;
}

/* Parse cfg's text into m's layers and plan their shapes: everything but the
 * arenas. */
static Status layers_and_shapes(Model *m, const ModelConfig *cfg, Shape4 image,
                                Error *err)
{
    assert(image.n == 1);
    memset(m, 0, sizeof *m);
    const char *text, *source;
    Status st = config_text(cfg, &text, &source, err);
    if (st != STATUS_OK)
        return st;
    if (cfg->batch < 1)
        return error_set(err, STATUS_USAGE, "batch size %d must be at least 1",
                         cfg->batch);
    NetFile net;
    if ((st = netfile_parse(&net, text, strlen(text), source, err)) != STATUS_OK)
        return st;
    m->in_shape = (Shape4){cfg->batch, image.c, image.h, image.w};
    int line[MODEL_MAX_LAYERS], at = 0;
    layers_from_net(m, &net, cfg, line);
    if ((st = plan(m, &at, err)) != STATUS_OK)
        return at_line(st, source, line[at], err);
    for (int i = 0; i < m->nlayers; i++)
        m->nparams += layer_count_params(&m->layers[i]);
    if (cfg->max_params && m->nparams > cfg->max_params)
        return at_line(error_set(err, STATUS_USAGE, "the net has %zu parameters, over "
                                 "the budget of %zu (--max-params)", m->nparams,
                                 cfg->max_params), source, line[m->nlayers - 1], err);
    return STATUS_OK;
}

Status model_check(const ModelConfig *cfg, Shape4 image, size_t *nparams, Error *err)
{
    Model *m = malloc(sizeof *m);
    if (!m)
        return error_set(err, STATUS_NOMEM, "out of memory");
    Status st = layers_and_shapes(m, cfg, image, err);
    if (st == STATUS_OK && nparams)
        *nparams = m->nparams;
    free(m);
    return st;
}

Status model_build(Model *m, const ModelConfig *cfg, Shape4 image, Error *err)
{
    Status st = layers_and_shapes(m, cfg, image, err);
    if (st != STATUS_OK)
        return st;
    m->no_fuse = cfg->no_fuse;
    m->no_shared_grads = cfg->no_shared_grads;
    m->conv_forward = cfg->conv == CONV_NAIVE ? conv2d_forward_naive
                                              : conv2d_forward_blocked;
    m->conv_backward = cfg->conv == CONV_NAIVE ? conv2d_backward_naive
                                               : conv2d_backward_blocked;
    plan_fusion(m);
    st = allocate(m, cfg->threads, err);
    if (st != STATUS_OK)
        model_free(m);
    return st;
}

void model_free(Model *m)
{
    Arena *all[] = {&m->params, &m->grads, &m->moms, &m->stats, &m->acts, &m->scratch};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        arena_free(all[i]);
}

void model_init(Model *m, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed, RNG_STREAM_INIT);
    for (int i = 0; i < m->nlayers; i++)
        layer_ops[m->layers[i].kind].init(&m->layers[i], &rng);
    memset(m->moms.base, 0, m->param_span * sizeof(float));
    model_zero_grad(m);
}

bool model_needs_fit(const Model *m)
{
    for (int i = 0; i < m->nlayers; i++)
        if (layer_ops[m->layers[i].kind].fit)
            return true;
    return false;
}

void model_fit(Model *m, const float *x, int n)
{
    for (int i = 0; i < m->nlayers; i++)
        if (layer_ops[m->layers[i].kind].fit)
            layer_ops[m->layers[i].kind].fit(&m->layers[i], x, n);
}

/* --- passes --------------------------------------------------------------------- */

static LayerCtx context(Model *m, int n, bool training, uint64_t key, Pool *pool,
                        int layer)
{
    LayerCtx ctx = {.pool = pool, .scratch = m->scratch.base,
                    .conv_forward = m->conv_forward,
                    .conv_backward = m->conv_backward, .training = training, .n = n,
                    .dropout_key = rng_hash(key, (uint64_t)layer)};
    ctx.fusion.scale = 1.0f;
    int end = m->chain_end[layer];
    if (end != layer) {
        const Layer *last = &m->layers[end];
        /* In evaluation the dropout is the identity: the norm writes the chain's
         * output (the same buffer unless no_shared_grads keeps them apart). */
        ctx.relu_out = training ? m->layers[layer + 1].y : last->y;
        ctx.fusion.relu = true;
        if (layer_ops[last->kind].fuse == LAYER_FUSE_DROPOUT) {
            ctx.fusion.scale = 1.0f / (1.0f - last->p);
            ctx.fusion.drop_p = training ? last->p : 0.0f;
            ctx.fusion.drop_key = rng_hash(key, (uint64_t)end);
            ctx.fusion.drop_y = last->y;
            ctx.fusion.relu_y = last->y;
        }
        ctx.relu_dy = last->dy;
    }
    return ctx;
}

static const float *input_of(const Model *m, int i, const float *x)
{
    return i == LAYER_INPUT ? x : m->layers[i].y;
}

const float *model_forward(Model *m, const float *x, int n, bool training,
                           uint64_t key, Pool *pool)
{
    assert(n >= 1 && n <= m->in_shape.n);
    for (int i = 0; i < m->nlayers; i++) {
        Layer *l = &m->layers[i];
        if (m->fused_into[i] >= 0)   /* run by the norm (a dropout in place: also in
                                      * evaluation, where it is the identity) */
            continue;
        LayerCtx ctx = context(m, n, training, key, pool, i);
        layer_ops[l->kind].forward(l, input_of(m, l->in, x), input_of(m, l->in2, x),
                                   &ctx);
    }
    return m->layers[m->nlayers - 1].y;
}

static size_t batch_floats(const Layer *l, int n)
{
    Shape4 s = l->out_shape;
    return (size_t)n * (size_t)s.c * (size_t)s.h * (size_t)s.w;
}

float *model_logits_grad(Model *m, int n)
{
    Layer *last = &m->layers[m->nlayers - 1];
    memset(last->dy, 0, batch_floats(last, n) * sizeof(float));
    return last->dy;
}

/* Floats per chunk when zeroing a gradient on the pool: a batch's gradient is up to
 * 21 MB, and zeroed by the caller alone it was a serial stretch of every step. */
#define MODEL_ZERO_CHUNK 65536

typedef struct {
    float *p;
    size_t n;
} ZeroJob;

static void zero_chunk(void *ctx, size_t chunk, int worker)
{
    (void)worker;
    const ZeroJob *z = ctx;
    size_t first = chunk * MODEL_ZERO_CHUNK;
    size_t count = z->n - first < MODEL_ZERO_CHUNK ? z->n - first : MODEL_ZERO_CHUNK;
    memset(z->p + first, 0, count * sizeof(float));
}

/* The gradient of producer's output for reader's backward to add into, zeroed first
 * when reader is the first to add into it; a reader whose backward can zero it
 * itself (LayerOps.zeroes_dx) is asked to, through *zero. */
static float *grad_of(Model *m, int producer, int reader, int n, Pool *pool,
                      bool *zero)
{
    bool input = producer == LAYER_INPUT;
    if (input && (layer_ops[m->layers[reader].kind].input_grad_optional || !m->dinput))
        return NULL;
    float *dy = input ? m->dinput : m->layers[producer].dy;
    /* the input's gradient is never read: each reader may start it afresh */
    if (!input && m->zeroed_by[producer] != reader)
        return dy;
    if (layer_ops[m->layers[reader].kind].zeroes_dx) {
        *zero = true;
    } else {
        Shape4 s = input ? m->in_shape : m->layers[producer].out_shape;
        s.n = n;
        ZeroJob z = {dy, shape4_count(s)};
        pool_run(pool, (z.n + MODEL_ZERO_CHUNK - 1) / MODEL_ZERO_CHUNK, zero_chunk, &z);
    }
    return dy;
}

void model_backward(Model *m, const float *x, int n, uint64_t key, Pool *pool)
{
    for (int i = m->nlayers - 1; i >= 0; i--) {
        Layer *l = &m->layers[i];
        if (m->fused_into[i] >= 0)
            continue;
        LayerCtx ctx = context(m, n, true, key, pool, i);
        float *dx = grad_of(m, l->in, i, n, pool, &ctx.zero_dx);
        float *dx2 = layer_ops[l->kind].two_inputs
                         ? grad_of(m, l->in2, i, n, pool, &ctx.zero_dx2)
                         : NULL;
        layer_ops[l->kind].backward(l, dx, dx2, input_of(m, l->in, x), &ctx);
    }
}

void model_zero_grad(Model *m)
{
    memset(m->grads.base, 0, m->param_span * sizeof(float));
}

double model_macs(const Model *m)
{
    double total = 0.0;
    for (int i = 0; i < m->nlayers; i++)
        total += layer_ops[m->layers[i].kind].macs(&m->layers[i]);
    return total;
}

size_t model_activation_floats(const Model *m)
{
    return m->acts.used;
}
