/* test_onnx.c - the ONNX export read back field by field: the model's header,
 * opset, interface (input image [N,3,32,32] with N symbolic, output logits [N,10]),
 * metadata, and the initializers holding the model's own weights and statistics;
 * then the decoded graph is run by a small interpreter here (the ops the exporter
 * emits, written plainly from the ONNX operator definitions) on raw pixels and must
 * give the model's logits, for every norm and with random weights and statistics,
 * so a wrong constant, attribute or wiring shows. The protobuf reader rejects
 * truncated input. */
#include <stdlib.h>
#include <string.h>
#include "dataset/cifar.h"
#include "report/onnx.h"
#include "test.h"

/* float32 through a different order of the same operations (the interpreter's
 * double sums, ORT's kernels) stays well inside this on logits of size ~10. */
#define ONNX_LOGIT_TOL 1e-4
#define MAX_VALUES 512
#define TEST_IMAGES 3

typedef struct {
    char name[64];
    int nd;
    int64_t d[4];
    float *v;           /* floats; int64 tensors keep theirs in iv */
    int64_t *iv;
} Value;

typedef struct {
    Value values[MAX_VALUES];
    int n;
} Env;

static Value *find(Env *e, const char *name, size_t len)
{
    for (int i = 0; i < e->n; i++)
        if (strlen(e->values[i].name) == len && memcmp(e->values[i].name, name, len) == 0)
            return &e->values[i];
    return NULL;
}

static Value *add_value(Env *e, const char *name, size_t len)
{
    if (e->n == MAX_VALUES || len >= sizeof e->values[0].name)
        return NULL;
    Value *v = &e->values[e->n++];
    memset(v, 0, sizeof *v);
    memcpy(v->name, name, len);
    return v;
}

static size_t count_of(const Value *v)
{
    size_t n = 1;
    for (int i = 0; i < v->nd; i++)
        n *= (size_t)v->d[i];
    return n;
}

static void env_free(Env *e)
{
    for (int i = 0; i < e->n; i++)
        free(e->values[i].v), free(e->values[i].iv);
}

/* TensorProto into a Value. */
static int load_tensor(Env *e, const unsigned char *p, size_t len)
{
    OnnxReader r = {p, p + len};
    OnnxField f;
    int nd = 0, type = 0, got;
    int64_t d[4];
    const unsigned char *raw = NULL, *name = NULL;
    size_t raw_len = 0, name_len = 0;
    while ((got = onnx_next(&r, &f)) == 1) {
        if (f.field == 1 && nd < 4)
            d[nd++] = (int64_t)f.value;
        else if (f.field == 2)
            type = (int)f.value;
        else if (f.field == 8)
            name = f.data, name_len = f.len;
        else if (f.field == 9)
            raw = f.data, raw_len = f.len;
    }
    CHECK(got == 0 && name && raw && (type == 1 || type == 7));
    Value *v = add_value(e, (const char *)name, name_len);
    CHECK(v != NULL);
    v->nd = nd;
    memcpy(v->d, d, sizeof d);
    size_t n = count_of(v), size = type == 1 ? 4 : 8;
    CHECK(raw_len == n * size);
    if (type == 1) {
        v->v = malloc(n * sizeof(float));
        CHECK(v->v != NULL);
        for (size_t i = 0; i < n; i++) {
            uint32_t u = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 |
                         (uint32_t)raw[4 * i + 2] << 16 | (uint32_t)raw[4 * i + 3] << 24;
            memcpy(&v->v[i], &u, 4);
        }
    } else {
        v->iv = malloc(n * sizeof(int64_t));
        CHECK(v->iv != NULL);
        for (size_t i = 0; i < n; i++) {
            uint64_t u = 0;
            for (int k = 0; k < 8; k++)
                u |= (uint64_t)raw[8 * i + (size_t)k] << (8 * k);
            v->iv[i] = (int64_t)u;
        }
    }
    return 0;
}

/* --- the ops ------------------------------------------------------------------- */

typedef struct {
    char op[32];
    Value *in[5];
    int nin;
    char out[64];
    size_t out_len;
    int64_t kernel[2], pads[4], strides[2], axis;
    float eps;
    int has_kernel, has_pads, has_strides;
} Node;

static Value *new_output(Env *e, const Node *n, int nd, const int64_t *d)
{
    Value *v = add_value(e, n->out, n->out_len);
    if (!v)
        return NULL;
    v->nd = nd;
    memcpy(v->d, d, (size_t)nd * sizeof *d);
    v->v = calloc(count_of(v), sizeof(float));
    return v->v ? v : NULL;
}

/* Elementwise with B broadcast onto A's shape (numpy rules, right-aligned). */
static int op_binary(Env *e, const Node *n)
{
    const Value *a = n->in[0], *b = n->in[1];
    Value *y = new_output(e, n, a->nd, a->d);
    CHECK(y && b->nd <= a->nd);
    size_t total = count_of(a);
    for (size_t i = 0; i < total; i++) {
        size_t rest = i, bi = 0, stride = 1;
        for (int k = a->nd - 1; k >= 0; k--) {
            size_t idx = rest % (size_t)a->d[k];
            rest /= (size_t)a->d[k];
            int kb = k - (a->nd - b->nd);
            if (kb >= 0) {
                CHECK(b->d[kb] == 1 || b->d[kb] == a->d[k]);
                bi += (b->d[kb] == 1 ? 0 : idx) * stride;
                stride *= (size_t)b->d[kb];
            }
        }
        float x = a->v[i], z = b->v[bi];
        y->v[i] = !strcmp(n->op, "Add") ? x + z : !strcmp(n->op, "Sub") ? x - z
                  : !strcmp(n->op, "Mul") ? x * z : x / z;
    }
    return 0;
}

static int op_conv(Env *e, const Node *n)
{
    const Value *x = n->in[0], *w = n->in[1];
    CHECK(n->has_kernel && n->has_pads && n->has_strides && n->strides[0] == 1);
    int64_t N = x->d[0], C = x->d[1], H = x->d[2], W = x->d[3], O = w->d[0];
    int64_t k = n->kernel[0], p = n->pads[0];
    CHECK(w->d[1] == C && w->d[2] == k && n->pads[2] == p);
    int64_t oh = H + 2 * p - k + 1, ow = W + 2 * p - k + 1, d[4] = {N, O, oh, ow};
    Value *y = new_output(e, n, 4, d);
    CHECK(y != NULL);
    for (int64_t b = 0; b < N; b++)
        for (int64_t o = 0; o < O; o++)
            for (int64_t i = 0; i < oh; i++)
                for (int64_t j = 0; j < ow; j++) {
                    double s = 0.0;
                    for (int64_t c = 0; c < C; c++)
                        for (int64_t u = 0; u < k; u++)
                            for (int64_t v = 0; v < k; v++) {
                                int64_t r = i + u - p, q = j + v - p;
                                if (r >= 0 && r < H && q >= 0 && q < W)
                                    s += (double)x->v[((b * C + c) * H + r) * W + q] *
                                         (double)w->v[((o * C + c) * k + u) * k + v];
                            }
                    y->v[((b * O + o) * oh + i) * ow + j] = (float)s;
                }
    return 0;
}

/* BatchNormalization (running statistics) and InstanceNormalization over the
 * trailing dimensions of each (n, c). */
static int op_norm(Env *e, const Node *n)
{
    const Value *x = n->in[0];
    bool bn = !strcmp(n->op, "BatchNormalization");
    Value *y = new_output(e, n, x->nd, x->d);
    CHECK(y != NULL && n->eps > 0.0f);
    size_t N = (size_t)x->d[0], C = (size_t)x->d[1], L = count_of(x) / (N * C);
    for (size_t b = 0; b < N; b++)
        for (size_t c = 0; c < C; c++) {
            const float *xs = x->v + (b * C + c) * L;
            double mean = bn ? (double)n->in[3]->v[c] : 0.0;
            double var = bn ? (double)n->in[4]->v[c] : 0.0;
            for (size_t i = 0; !bn && i < L; i++)
                mean += (double)xs[i] / (double)L;
            for (size_t i = 0; !bn && i < L; i++)
                var += ((double)xs[i] - mean) * ((double)xs[i] - mean) / (double)L;
            double rstd = 1.0 / sqrt(var + (double)n->eps);
            for (size_t i = 0; i < L; i++)
                y->v[(b * C + c) * L + i] =
                    (float)(((double)xs[i] - mean) * rstd * (double)n->in[1]->v[c] +
                            (double)n->in[2]->v[c]);
        }
    return 0;
}

static int op_pool(Env *e, const Node *n)
{
    const Value *x = n->in[0];
    bool global = !strcmp(n->op, "GlobalAveragePool");
    bool mean = global || !strcmp(n->op, "AveragePool");
    CHECK(global || (n->kernel[0] == 2 && n->strides[0] == 2));
    int64_t N = x->d[0], C = x->d[1], H = x->d[2], W = x->d[3];
    int64_t oh = global ? 1 : H / 2, ow = global ? 1 : W / 2, d[4] = {N, C, oh, ow};
    Value *y = new_output(e, n, 4, d);
    CHECK(y != NULL);
    for (int64_t p = 0; p < N * C; p++)
        for (int64_t i = 0; i < oh; i++)
            for (int64_t j = 0; j < ow; j++) {
                const float *xs = x->v + p * H * W;
                double s = 0.0;
                float m = xs[2 * i * W + 2 * j];
                for (int64_t u = 0; u < (global ? H : 2); u++)
                    for (int64_t v = 0; v < (global ? W : 2); v++) {
                        float z = global ? xs[u * W + v] : xs[(2 * i + u) * W + 2 * j + v];
                        s += (double)z, m = z > m ? z : m;
                    }
                y->v[(p * oh + i) * ow + j] =
                    !mean ? m : (float)(s / (double)(global ? H * W : 4));
            }
    return 0;
}

/* Relu, Reshape (0 copies a dimension, -1 takes the rest) and Flatten. */
static int op_shape(Env *e, const Node *n)
{
    const Value *x = n->in[0];
    int64_t d[4], known = 1;
    int nd = 0, free_dim = -1;
    if (!strcmp(n->op, "Relu")) {
        nd = x->nd;
        memcpy(d, x->d, sizeof d);
    } else if (!strcmp(n->op, "Flatten")) {
        CHECK(n->axis == 1);
        d[0] = x->d[0], d[1] = (int64_t)count_of(x) / x->d[0], nd = 2;
    } else {
        nd = (int)n->in[1]->d[0];
        for (int i = 0; i < nd; i++) {
            d[i] = n->in[1]->iv[i] == 0 ? x->d[i] : n->in[1]->iv[i];
            if (d[i] < 0)
                free_dim = i;
            else
                known *= d[i];
        }
        if (free_dim >= 0)
            d[free_dim] = (int64_t)count_of(x) / known;
    }
    Value *y = new_output(e, n, nd, d);
    CHECK(y != NULL && count_of(y) == count_of(x));
    for (size_t i = 0; i < count_of(x); i++)
        y->v[i] = !strcmp(n->op, "Relu") && x->v[i] < 0.0f ? 0.0f : x->v[i];
    return 0;
}

static void read_ints(const OnnxField *f, int64_t *out, int max, int *count)
{
    if (f->field == 8 && *count < max)
        out[(*count)++] = (int64_t)f->value;
}

/* AttributeProto into the node. */
static int load_attr(Node *n, const unsigned char *p, size_t len)
{
    OnnxReader r = {p, p + len};
    OnnxField f;
    char name[32] = "";
    int64_t ints[4] = {0}, i = 0;
    int nints = 0, got;
    float fv = 0.0f;
    while ((got = onnx_next(&r, &f)) == 1) {
        if (f.field == 1 && f.len < sizeof name)
            memcpy(name, f.data, f.len), name[f.len] = '\0';
        else if (f.field == 2) {
            uint32_t u = (uint32_t)f.value;
            memcpy(&fv, &u, 4);
        } else if (f.field == 3)
            i = (int64_t)f.value;
        read_ints(&f, ints, 4, &nints);
    }
    CHECK(got == 0);
    if (!strcmp(name, "kernel_shape"))
        memcpy(n->kernel, ints, sizeof n->kernel), n->has_kernel = nints == 2;
    else if (!strcmp(name, "pads"))
        memcpy(n->pads, ints, sizeof n->pads), n->has_pads = nints == 4;
    else if (!strcmp(name, "strides"))
        memcpy(n->strides, ints, sizeof n->strides), n->has_strides = nints == 2;
    else if (!strcmp(name, "epsilon"))
        n->eps = fv;
    else if (!strcmp(name, "axis"))
        n->axis = i;
    else
        CHECK(!"unknown attribute");
    return 0;
}

static int run_node(Env *e, const unsigned char *p, size_t len, char *ops, size_t cap)
{
    Node n;
    memset(&n, 0, sizeof n);
    OnnxReader r = {p, p + len};
    OnnxField f;
    int got;
    while ((got = onnx_next(&r, &f)) == 1) {
        if (f.field == 1) {
            CHECK(n.nin < 5);
            n.in[n.nin] = find(e, (const char *)f.data, f.len);
            CHECK(n.in[n.nin++] != NULL);   /* defined before use */
        } else if (f.field == 2 && f.len < sizeof n.out) {
            memcpy(n.out, f.data, f.len), n.out_len = f.len;
        } else if (f.field == 4 && f.len < sizeof n.op) {
            memcpy(n.op, f.data, f.len);
        } else if (f.field == 5) {
            CHECK(load_attr(&n, f.data, f.len) == 0);
        }
    }
    CHECK(got == 0 && n.out_len > 0 && !find(e, n.out, n.out_len));
    size_t used = strlen(ops);
    snprintf(ops + used, cap - used, "%s%s", used ? " " : "", n.op);
    if (!strcmp(n.op, "Add") || !strcmp(n.op, "Sub") || !strcmp(n.op, "Mul") ||
        !strcmp(n.op, "Div"))
        return op_binary(e, &n);
    if (!strcmp(n.op, "Conv"))
        return op_conv(e, &n);
    if (!strcmp(n.op, "BatchNormalization") || !strcmp(n.op, "InstanceNormalization"))
        return op_norm(e, &n);
    if (!strcmp(n.op, "MaxPool") || !strcmp(n.op, "AveragePool") ||
        !strcmp(n.op, "GlobalAveragePool"))
        return op_pool(e, &n);
    return op_shape(e, &n);
}

/* --- the model message ------------------------------------------------------------ */

typedef struct {
    int64_t ir, opset;
    char classes[256], input[32], output[32];
    char in_dims[64], out_dims[64];   /* "N,3,32,32" */
    char ops[4096];                   /* op types in order */
} Summary;

/* ValueInfoProto: its name and dims as "N,3,32,32". */
static int read_value_info(const OnnxField *vf, char *name, char *dims)
{
    OnnxReader r = {vf->data, vf->data + vf->len}, t, tt, sh, dm;
    OnnxField f, g, h, k, m;
    while (onnx_next(&r, &f) == 1) {
        if (f.field == 1 && f.len < 32)
            memcpy(name, f.data, f.len), name[f.len] = '\0';
        if (f.field != 2)
            continue;
        t = (OnnxReader){f.data, f.data + f.len};
        while (onnx_next(&t, &g) == 1 && g.field == 1)
            for (tt = (OnnxReader){g.data, g.data + g.len}; onnx_next(&tt, &h) == 1;) {
                CHECK(h.field != 1 || h.value == 1);   /* float32 */
                if (h.field != 2)
                    continue;
                for (sh = (OnnxReader){h.data, h.data + h.len}; onnx_next(&sh, &k) == 1;)
                    for (dm = (OnnxReader){k.data, k.data + k.len}; onnx_next(&dm, &m) == 1;) {
                        size_t used = strlen(dims);
                        if (m.field == 1)
                            snprintf(dims + used, 64 - used, "%s%llu", used ? "," : "",
                                     (unsigned long long)m.value);
                        else
                            snprintf(dims + used, 64 - used, "%s%.*s", used ? "," : "",
                                     (int)m.len, (const char *)m.data);
                    }
            }
    }
    return 0;
}

static int read_graph(Env *e, const OnnxField *gf, Summary *s)
{
    OnnxReader r = {gf->data, gf->data + gf->len};
    OnnxField f;
    int got;
    while ((got = onnx_next(&r, &f)) == 1) {
        if (f.field == 5)
            CHECK(load_tensor(e, f.data, f.len) == 0);
        else if (f.field == 11)
            CHECK(read_value_info(&f, s->input, s->in_dims) == 0);
        else if (f.field == 12)
            CHECK(read_value_info(&f, s->output, s->out_dims) == 0);
    }
    CHECK(got == 0);
    /* Nodes after the initializers, whatever the order in the message. */
    r = (OnnxReader){gf->data, gf->data + gf->len};
    while (onnx_next(&r, &f) == 1)
        if (f.field == 1)
            CHECK(run_node(e, f.data, f.len, s->ops, sizeof s->ops) == 0);
    return 0;
}

static int read_model(Env *e, const unsigned char *bytes, size_t len, Summary *s)
{
    OnnxReader r = {bytes, bytes + len};
    OnnxField f, g;
    int got, graphs = 0;
    while ((got = onnx_next(&r, &f)) == 1) {
        if (f.field == 1)
            s->ir = (int64_t)f.value;
        else if (f.field == 7 && ++graphs)
            CHECK(read_graph(e, &f, s) == 0);
        else if (f.field == 8)
            for (OnnxReader o = {f.data, f.data + f.len}; onnx_next(&o, &g) == 1;)
                s->opset = g.field == 2 ? (int64_t)g.value : s->opset;
        else if (f.field == 14) {
            OnnxReader m = {f.data, f.data + f.len};
            OnnxField key, value;
            CHECK(onnx_next(&m, &key) == 1 && onnx_next(&m, &value) == 1);
            if (key.len == 11 && !memcmp(key.data, "class_names", 11) && value.len < 256)
                memcpy(s->classes, value.data, value.len);
        }
    }
    CHECK(got == 0 && graphs == 1);
    return 0;
}

/* --- the tests ---------------------------------------------------------------------- */

/* A model with random weights and running statistics (variances away from 1, so
 * that eps and the statistics' order matter) and random pixel images. */
static int build(Model *m, NormKind norm, const char *name, float *pixels, Rng *rng)
{
    static ModelConfig cfg;   /* large: its network text */
    cfg = (ModelConfig){.name = name, .norm = norm, .groups = 2, .dropout = 0.25f,
                        .batch = TEST_IMAGES, .threads = 1, .conv = CONV_NAIVE};
    if (strchr(name, '\n')) {   /* a network file's text */
        cfg.name = MODEL_FILE_NAME;
        snprintf(cfg.text, sizeof cfg.text, "%s", name);
    }
    Error err;
    CHECK(model_build(m, &cfg, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    model_init(m, 3);
    for (size_t i = 0; i < m->param_span; i++)
        m->params.base[i] += 0.2f * (rng_uniform(rng) - 0.5f);
    for (size_t i = 0; i < m->nstats; i++)   /* mean then var per layer: both > 0 */
        m->stats.base[i] = 0.002f + 0.05f * rng_uniform(rng);
    for (size_t i = 0; i < TEST_IMAGES * CIFAR_IMAGE_BYTES; i++)
        pixels[i] = (float)rng_below(rng, 256);
    return 0;
}

static const OnnxInfo test_info = {"tiny", "bn", "test", NULL};

static int check_export(NormKind norm, const char *name, const char *want_ops)
{
    Model m;
    Rng rng;
    rng_seed(&rng, 11 + (uint64_t)norm, RNG_STREAM_TEST);
    float *pixels = malloc(TEST_IMAGES * CIFAR_IMAGE_BYTES * sizeof(float));
    float *x = malloc(TEST_IMAGES * CIFAR_IMAGE_BYTES * sizeof(float));
    CHECK(pixels && x && build(&m, norm, name, pixels, &rng) == 0);
    /* The model's input: what cifar_fill_batch makes of the pixels. */
    for (size_t i = 0; i < TEST_IMAGES * CIFAR_IMAGE_BYTES; i++) {
        int c = (int)(i / CIFAR_PLANE_BYTES % CIFAR_CHANNELS);
        x[i] = (pixels[i] / 255.0f - cifar_mean[c]) / cifar_std[c];
    }
    const float *want = model_forward(&m, x, TEST_IMAGES, false, 0, NULL);
    unsigned char *bytes;
    size_t len;
    Error err;
    CHECK(onnx_encode(&m, &test_info, &bytes, &len, &err) == STATUS_OK);
    Env *e = calloc(1, sizeof *e);
    Summary *s = calloc(1, sizeof *s);
    CHECK(e && s);
    Value *image = add_value(e, "image", 5);
    image->nd = 4;
    memcpy(image->d, (int64_t[]){TEST_IMAGES, 3, 32, 32}, sizeof image->d);
    image->v = pixels;
    int failed = read_model(e, bytes, len, s);
    Value *logits = find(e, "logits", 6);
    if (!failed) {
        CHECK(s->ir == ONNX_IR_VERSION && s->opset == ONNX_OPSET);
        CHECK(!strcmp(s->input, "image") && !strcmp(s->in_dims, "N,3,32,32"));
        CHECK(!strcmp(s->output, "logits") && !strcmp(s->out_dims, "N,10"));
        CHECK(!strcmp(s->classes, "airplane,automobile,bird,cat,deer,dog,frog,horse,"
                                  "ship,truck"));
        if (strcmp(s->ops, want_ops) != 0)
            fprintf(stderr, "  ops: %s\n  want %s\n", s->ops, want_ops);
        CHECK(!strcmp(s->ops, want_ops));
        CHECK(logits && logits->nd == 2 && logits->d[0] == TEST_IMAGES &&
              logits->d[1] == CIFAR_CLASSES);
        CHECK(test_report_ratio("logits", test_max_rel_err(logits->v, want,
                                TEST_IMAGES * CIFAR_CLASSES, ONNX_LOGIT_TOL, 0.0)));
    }
    image->v = NULL;   /* pixels are freed below */
    env_free(e);
    free(e), free(s), free(bytes), free(pixels), free(x);
    model_free(&m);
    return failed;
}

#define NORMALISE "Div Sub Div"
#define BN_BLOCK "Conv BatchNormalization Relu"
#define GN_BLOCK "Conv Reshape InstanceNormalization Reshape Mul Add Relu"

static int test_onnx_tiny_bn_runs(void)
{
    return check_export(NORM_BN, "tiny", NORMALISE " " BN_BLOCK " MaxPool " BN_BLOCK
                        " MaxPool " BN_BLOCK " Add GlobalAveragePool Conv Flatten");
}

static int test_onnx_tiny_gn_runs(void)
{
    return check_export(NORM_GN, "tiny", NORMALISE " " GN_BLOCK " MaxPool " GN_BLOCK
                        " MaxPool " GN_BLOCK " Add GlobalAveragePool Conv Flatten");
}

static int test_onnx_tiny_ln_runs(void)
{
    return check_export(NORM_LN, "tiny", NORMALISE " " GN_BLOCK " MaxPool " GN_BLOCK
                        " MaxPool " GN_BLOCK " Add GlobalAveragePool Conv Flatten");
}

/* Every field of a well-formed message is read; every prefix of it that cuts a
 * field short is refused, never read past. */
static int test_onnx_reader_refuses_truncation(void)
{
    static const unsigned char msg[] = {0x08, 0x96, 0x01, 0x12, 0x03, 'a', 'b', 'c',
                                        0x1d, 1, 2, 3, 4};
    OnnxReader r = {msg, msg + sizeof msg};
    OnnxField f;
    CHECK(onnx_next(&r, &f) == 1 && f.field == 1 && f.wire == 0 && f.value == 150);
    CHECK(onnx_next(&r, &f) == 1 && f.field == 2 && f.len == 3 && f.data[2] == 'c');
    CHECK(onnx_next(&r, &f) == 1 && f.field == 3 && f.wire == 5 && f.value == 0x04030201);
    CHECK(onnx_next(&r, &f) == 0);
    static const size_t ends[] = {0, 3, 8, 13};   /* the field boundaries */
    for (size_t cut = 1; cut < sizeof msg; cut++) {
        bool boundary = cut == ends[1] || cut == ends[2];
        r = (OnnxReader){msg, msg + cut};
        int got, fields = 0;
        while ((got = onnx_next(&r, &f)) == 1)
            fields++;
        CHECK(got == (boundary ? 0 : -1));
    }
    return 0;
}

/* A network file with what the built-ins lack: a 2x2 average pool, a block without
 * norm, a skip-add across a pool. */
static int test_onnx_netfile_avgpool_runs(void)
{
    return check_export(NORM_GN, "c1: conv 8 3 pad=1\n    norm\n    relu\n"
                        "p1: avgpool\nc2: conv 8 3 pad=1\n    relu\n    add p1\n"
                        "p2: maxpool\ngap: gap\nc3: classifier\n",
                        NORMALISE " " GN_BLOCK " AveragePool Conv Relu Add MaxPool "
                        "GlobalAveragePool Conv Flatten");
}

/* A whiten layer exports as a Conv holding its fitted weights (an even kernel,
 * without padding). */
static int test_onnx_netfile_whiten_runs(void)
{
    return check_export(NORM_BN, "w: whiten 2\n    relu\nc1: conv 8 3 pad=1\n"
                        "    norm\n    relu\ngap: gap\nc2: classifier\n",
                        NORMALISE " Conv Relu " BN_BLOCK " GlobalAveragePool Conv "
                        "Flatten");
}

const TestCase onnx_tests[] = {
    {"onnx_netfile_whiten_runs", test_onnx_netfile_whiten_runs},
    {"onnx_netfile_avgpool_runs", test_onnx_netfile_avgpool_runs},
    {"onnx_tiny_bn_runs", test_onnx_tiny_bn_runs},
    {"onnx_tiny_gn_runs", test_onnx_tiny_gn_runs},
    {"onnx_tiny_ln_runs", test_onnx_tiny_ln_runs},
    {"onnx_reader_refuses_truncation", test_onnx_reader_refuses_truncation},
    {NULL, NULL},
};
