/* onnx.c - the ONNX encoder: protobuf messages built bottom-up in growable buffers
 * (a message's length precedes it, so each child is encoded first and copied in),
 * and the small protobuf reader the tests use. Field numbers are onnx.proto's. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dataset/cifar.h"
#include "report/onnx.h"
#include "report/report.h"

_Static_assert(LAYER_KIND_COUNT == 10, "a new layer kind needs an ONNX form in onnx.c");

/* Wire types and the enum values onnx.proto gives. */
enum { WIRE_VARINT = 0, WIRE_BYTES = 2, WIRE_FIXED32 = 5 };
enum { ELEM_FLOAT = 1, ELEM_INT64 = 7 };
enum { ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_INTS = 7 };

/* A growable buffer; an allocation failure is sticky and reported once at the end. */
typedef struct {
    unsigned char *data;
    size_t len, cap;
    bool failed;
} Pb;

static void pb_raw(Pb *b, const void *bytes, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = 2 * (b->len + n) + 64;
        unsigned char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->data = grown, b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

static void pb_varint(Pb *b, uint64_t v)
{
    unsigned char byte[10];
    int n = 0;
    do {
        byte[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    pb_raw(b, byte, (size_t)n);
}

static void pb_tag(Pb *b, int field, int wire)
{
    pb_varint(b, ((uint64_t)field << 3) | (uint64_t)wire);
}

/* int32, int64 and enum fields; negative values take ten bytes, as protobuf says. */
static void pb_int(Pb *b, int field, int64_t v)
{
    pb_tag(b, field, WIRE_VARINT);
    pb_varint(b, (uint64_t)v);
}

static void pb_bytes(Pb *b, int field, const void *data, size_t n)
{
    pb_tag(b, field, WIRE_BYTES);
    pb_varint(b, n);
    pb_raw(b, data, n);
}

static void pb_str(Pb *b, int field, const char *s)
{
    pb_bytes(b, field, s, strlen(s));
}

static void pb_float(Pb *b, int field, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    unsigned char le[4] = {(unsigned char)u, (unsigned char)(u >> 8),
                           (unsigned char)(u >> 16), (unsigned char)(u >> 24)};
    pb_tag(b, field, WIRE_FIXED32);
    pb_raw(b, le, 4);
}

/* Append child as field of b and free it. */
static void pb_msg(Pb *b, int field, Pb *child)
{
    b->failed = b->failed || child->failed;
    pb_bytes(b, field, child->data, child->len);
    free(child->data);
    *child = (Pb){0};
}

/* --- graph pieces ------------------------------------------------------------------ */

/* The graph under construction: nodes and initializers go straight into it. */
typedef struct {
    Pb graph;
    char names[MODEL_MAX_LAYERS][48];   /* the value each layer's output is */
} Builder;

/* TensorProto: dims (1), data_type (2), name (8), raw_data (9, little-endian). */
static void add_tensor(Builder *g, const char *name, int elem, const int64_t *dims,
                       int ndims, const void *values, size_t count)
{
    Pb t = {0};
    for (int i = 0; i < ndims; i++)
        pb_int(&t, 1, dims[i]);
    pb_int(&t, 2, elem);
    pb_str(&t, 8, name);
    size_t size = elem == ELEM_FLOAT ? 4 : 8;
    pb_tag(&t, 9, WIRE_BYTES);
    pb_varint(&t, count * size);
    const unsigned char *src = values;
    for (size_t i = 0; i < count; i++) {
        uint64_t u = 0;
        if (size == 4) {
            uint32_t w;
            memcpy(&w, src + 4 * i, 4);
            u = w;
        } else {
            memcpy(&u, src + 8 * i, 8);
        }
        unsigned char le[8];
        for (size_t k = 0; k < size; k++)
            le[k] = (unsigned char)(u >> (8 * k));
        pb_raw(&t, le, size);
    }
    pb_msg(&g->graph, 5, &t);
}

static void add_floats(Builder *g, const char *name, const int64_t *dims, int ndims,
                       const float *values, size_t count)
{
    add_tensor(g, name, ELEM_FLOAT, dims, ndims, values, count);
}

static void add_shape(Builder *g, const char *name, const int64_t *shape, int n)
{
    int64_t dims[1] = {n};
    add_tensor(g, name, ELEM_INT64, dims, 1, shape, (size_t)n);
}

/* AttributeProto: name (1), f (2), i (3), ints (8), type (20). */
static void attr_ints(Pb *node, const char *name, const int64_t *v, int n)
{
    Pb a = {0};
    pb_str(&a, 1, name);
    for (int i = 0; i < n; i++)
        pb_int(&a, 8, v[i]);
    pb_int(&a, 20, ATTR_INTS);
    pb_msg(node, 5, &a);
}

static void attr_int(Pb *node, const char *name, int64_t v)
{
    Pb a = {0};
    pb_str(&a, 1, name);
    pb_int(&a, 3, v);
    pb_int(&a, 20, ATTR_INT);
    pb_msg(node, 5, &a);
}

static void attr_float(Pb *node, const char *name, float v)
{
    Pb a = {0};
    pb_str(&a, 1, name);
    pb_float(&a, 2, v);
    pb_int(&a, 20, ATTR_FLOAT);
    pb_msg(node, 5, &a);
}

/* NodeProto: input (1), output (2), name (3), op_type (4), attribute (5). The
 * inputs are a NULL-terminated list; attrs (may be NULL) is appended and freed. */
static void add_node(Builder *g, const char *op, const char *const *inputs,
                     const char *output, Pb *attrs)
{
    Pb n = {0};
    for (const char *const *in = inputs; *in; in++)
        pb_str(&n, 1, *in);
    pb_str(&n, 2, output);
    pb_str(&n, 3, output);
    pb_str(&n, 4, op);
    if (attrs) {
        n.failed = n.failed || attrs->failed;
        pb_raw(&n, attrs->data, attrs->len);
        free(attrs->data);
        *attrs = (Pb){0};
    }
    pb_msg(&g->graph, 1, &n);
}

#define INPUTS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* --- layers ------------------------------------------------------------------------ */

/* Names derive from the layer's output value's name, which is unique (layer names
 * need not be: a block's conv and ReLU share one). */
static void name_of(char *out, size_t size, const char *layer, const char *what)
{
    snprintf(out, size, "%s.%s", layer, what);
}

/* A conv with weights (a conv's parameters, whiten's fitted statistics). */
static void export_conv(Builder *g, const Layer *l, const float *weights,
                        const char *x, const char *y)
{
    char w[64];
    name_of(w, sizeof w, y, "weight");
    int64_t dims[4] = {l->cout, l->in_shape.c, l->k, l->k};
    add_floats(g, w, dims, 4, weights, (size_t)l->cout * l->in_shape.c * l->k * l->k);
    Pb a = {0};
    int64_t kernel[2] = {l->k, l->k}, pads[4] = {l->pad, l->pad, l->pad, l->pad};
    int64_t strides[2] = {1, 1};
    attr_ints(&a, "kernel_shape", kernel, 2);
    attr_ints(&a, "pads", pads, 4);
    attr_ints(&a, "strides", strides, 2);
    add_node(g, "Conv", INPUTS(x, w), y, &a);
}

static void export_bnorm(Builder *g, const Layer *l, const char *x, const char *y)
{
    char names[4][64];
    static const char *const what[4] = {"gamma", "beta", "running_mean", "running_var"};
    int64_t c = l->in_shape.c;
    const float *src[4] = {l->param, l->param + c, l->stats, l->stats + c};
    for (int i = 0; i < 4; i++) {
        name_of(names[i], sizeof names[i], y, what[i]);
        add_floats(g, names[i], &c, 1, src[i], (size_t)c);
    }
    Pb a = {0};
    attr_float(&a, "epsilon", LAYER_NORM_EPS);
    add_node(g, "BatchNormalization",
             INPUTS(x, names[0], names[1], names[2], names[3]), y, &a);
}

/* Group norm: the groups as InstanceNormalization's channels ([N,G,C/G*H*W]), then
 * the per-channel gamma and beta. */
static Status export_gnorm(Builder *g, const Layer *l, const char *x, const char *y,
                           Error *err)
{
    char n[7][64];
    static const char *const what[7] = {"groups_shape", "grouped", "unit", "zero",
                                        "normed", "shape", "scaled"};
    for (int i = 0; i < 7; i++)
        name_of(n[i], sizeof n[i], y, what[i]);
    Shape4 s = l->in_shape;
    int64_t grouped[3] = {0, l->groups, -1}, shape[4] = {0, s.c, s.h, s.w};
    int64_t groups = l->groups, cdims[3] = {s.c, 1, 1};
    float *ones = malloc((size_t)groups * 2 * sizeof(float));
    if (!ones)
        return error_set(err, STATUS_NOMEM, "out of memory for the ONNX graph");
    for (int64_t i = 0; i < groups; i++)
        ones[i] = 1.0f, ones[groups + i] = 0.0f;
    add_shape(g, n[0], grouped, 3);
    add_floats(g, n[2], &groups, 1, ones, (size_t)groups);
    add_floats(g, n[3], &groups, 1, ones + groups, (size_t)groups);
    free(ones);
    add_shape(g, n[5], shape, 4);
    char gamma[64], beta[64];
    name_of(gamma, sizeof gamma, y, "gamma");
    name_of(beta, sizeof beta, y, "beta");
    add_floats(g, gamma, cdims, 3, l->param, (size_t)s.c);
    add_floats(g, beta, cdims, 3, l->param + s.c, (size_t)s.c);
    add_node(g, "Reshape", INPUTS(x, n[0]), n[1], NULL);
    Pb a = {0};
    attr_float(&a, "epsilon", LAYER_NORM_EPS);
    add_node(g, "InstanceNormalization", INPUTS(n[1], n[2], n[3]), n[4], &a);
    char back[64];
    name_of(back, sizeof back, y, "ungrouped");
    add_node(g, "Reshape", INPUTS(n[4], n[5]), back, NULL);
    add_node(g, "Mul", INPUTS(back, gamma), n[6], NULL);
    add_node(g, "Add", INPUTS(n[6], beta), y, NULL);
    return STATUS_OK;
}

/* MaxPool or AveragePool, 2x2 with stride 2, no padding (odd edges dropped). */
static void export_pool2(Builder *g, const char *op, const char *x, const char *y)
{
    Pb a = {0};
    int64_t two[2] = {2, 2};
    attr_ints(&a, "kernel_shape", two, 2);
    attr_ints(&a, "strides", two, 2);
    add_node(g, op, INPUTS(x), y, &a);
}

static const char *input_name(const Builder *g, int i)
{
    return i == LAYER_INPUT ? "x" : g->names[i];
}

static Status export_layer(Builder *g, const Model *m, int i, Error *err)
{
    const Layer *l = &m->layers[i];
    const char *x = input_name(g, l->in), *y = g->names[i];
    snprintf(g->names[i], sizeof g->names[i], "%s.%s.%d", l->name,
             layer_ops[l->kind].name, i);
    switch (l->kind) {
    case LAYER_CONV2D:
        export_conv(g, l, l->param, x, y);
        return STATUS_OK;
    case LAYER_WHITEN:
        export_conv(g, l, l->stats, x, y);
        return STATUS_OK;
    case LAYER_BNORM:
        export_bnorm(g, l, x, y);
        return STATUS_OK;
    case LAYER_GNORM:
        return export_gnorm(g, l, x, y, err);
    case LAYER_RELU:
        add_node(g, "Relu", INPUTS(x), y, NULL);
        return STATUS_OK;
    case LAYER_DROPOUT:   /* the identity at inference: its output is its input */
        snprintf(g->names[i], sizeof g->names[i], "%s", x);
        return STATUS_OK;
    case LAYER_MAXPOOL2:
        export_pool2(g, "MaxPool", x, y);
        return STATUS_OK;
    case LAYER_AVGPOOL2:
        export_pool2(g, "AveragePool", x, y);
        return STATUS_OK;
    case LAYER_AVGPOOL:
        add_node(g, "GlobalAveragePool", INPUTS(x), y, NULL);
        return STATUS_OK;
    case LAYER_ADD:
        add_node(g, "Add", INPUTS(x, input_name(g, l->in2)), y, NULL);
        return STATUS_OK;
    default:
        return error_set(err, STATUS_USAGE, "layer %s has no ONNX form", l->name);
    }
}

/* image [N,3,32,32] 0..255 to x = (image/255 - mean)/std, the operations of
 * cifar_fill_batch in the same order, so the same float32 values. */
static void export_normalise(Builder *g)
{
    int64_t dims[4] = {1, CIFAR_CHANNELS, 1, 1};
    float scale = 255.0f;
    add_floats(g, "pixel_scale", NULL, 0, &scale, 1);
    add_floats(g, "cifar_mean", dims, 4, cifar_mean, CIFAR_CHANNELS);
    add_floats(g, "cifar_std", dims, 4, cifar_std, CIFAR_CHANNELS);
    add_node(g, "Div", INPUTS("image", "pixel_scale"), "unit_pixels", NULL);
    add_node(g, "Sub", INPUTS("unit_pixels", "cifar_mean"), "centred", NULL);
    add_node(g, "Div", INPUTS("centred", "cifar_std"), "x", NULL);
}

/* ValueInfoProto for a float32 tensor [N, dims...]: name (1), type (2) ->
 * tensor_type (1) -> elem_type (1), shape (2) -> dim (1) -> dim_value (1) or
 * dim_param (2). */
static void value_info(Pb *graph, int field, const char *name, const int64_t *dims,
                       int ndims)
{
    Pb shape = {0}, tensor = {0}, type = {0}, info = {0};
    for (int i = -1; i < ndims; i++) {
        Pb dim = {0};
        if (i < 0)
            pb_str(&dim, 2, "N");
        else
            pb_int(&dim, 1, dims[i]);
        pb_msg(&shape, 1, &dim);
    }
    pb_int(&tensor, 1, ELEM_FLOAT);
    pb_msg(&tensor, 2, &shape);
    pb_msg(&type, 1, &tensor);
    pb_str(&info, 1, name);
    pb_msg(&info, 2, &type);
    pb_msg(graph, field, &info);
}

static Status export_graph(Builder *g, const Model *m, Error *err)
{
    const Layer *last = &m->layers[m->nlayers - 1];
    Shape4 out = last->out_shape;
    if (out.c != CIFAR_CLASSES || out.h != 1 || out.w != 1)
        return error_set(err, STATUS_USAGE, "the network ends in [%d,%d,%d], not "
                         "[%d,1,1]: it has no ONNX form with logits [N,%d]", out.c,
                         out.h, out.w, CIFAR_CLASSES, CIFAR_CLASSES);
    pb_str(&g->graph, 2, "cifar-train");
    export_normalise(g);
    for (int i = 0; i < m->nlayers; i++) {
        Status st = export_layer(g, m, i, err);
        if (st != STATUS_OK)
            return st;
    }
    Pb a = {0};
    attr_int(&a, "axis", 1);
    add_node(g, "Flatten", INPUTS(g->names[m->nlayers - 1]), "logits", &a);
    int64_t image[3] = {CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE}, logits = CIFAR_CLASSES;
    value_info(&g->graph, 11, "image", image, 3);
    value_info(&g->graph, 12, "logits", &logits, 1);
    return STATUS_OK;
}

/* StringStringEntryProto: key (1), value (2). */
static void metadata(Pb *model, const char *key, const char *value)
{
    Pb e = {0};
    pb_str(&e, 1, key);
    pb_str(&e, 2, value);
    pb_msg(model, 14, &e);
}

static void class_list(char *out, size_t size)
{
    size_t used = 0;
    for (int k = 0; k < CIFAR_CLASSES; k++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", k ? "," : "",
                                 cifar_class_names[k]);
}

/* ModelProto: ir_version (1), producer_name (2), graph (7), opset_import (8) ->
 * version (2), metadata_props (14). */
Status onnx_encode(const Model *m, const OnnxInfo *info, unsigned char **out,
                   size_t *len, Error *err)
{
    assert(m->nlayers > 0);
    Builder *g = calloc(1, sizeof *g);
    if (!g)
        return error_set(err, STATUS_NOMEM, "out of memory for the ONNX graph");
    Pb model = {0}, opset = {0};
    Status st = export_graph(g, m, err);
    pb_int(&model, 1, ONNX_IR_VERSION);
    pb_str(&model, 2, info->producer);
    pb_msg(&model, 7, &g->graph);
    pb_int(&opset, 2, ONNX_OPSET);
    pb_msg(&model, 8, &opset);
    char classes[256];
    class_list(classes, sizeof classes);
    metadata(&model, "class_names", classes);
    metadata(&model, "model", info->model);
    metadata(&model, "norm", info->norm);
    if (info->network && info->network[0])
        metadata(&model, "network", info->network);
    metadata(&model, "input", "image: float32 [N,3,32,32], pixel values 0-255, "
             "R, G, B planes; normalised inside the graph");
    free(g->graph.data);
    free(g);
    if (st == STATUS_OK && model.failed)
        st = error_set(err, STATUS_NOMEM, "out of memory for the ONNX graph");
    if (st != STATUS_OK) {
        free(model.data);
        return st;
    }
    *out = model.data;
    *len = model.len;
    return STATUS_OK;
}

Status onnx_write(const Model *m, const OnnxInfo *info, const char *path, Error *err)
{
    unsigned char *bytes;
    size_t len;
    Status st = onnx_encode(m, info, &bytes, &len, err);
    if (st != STATUS_OK)
        return st;
    st = report_write_atomic(path, bytes, len, err);
    free(bytes);
    return st;
}

/* --- reading ----------------------------------------------------------------------- */

static bool read_varint(OnnxReader *r, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        unsigned char b = *r->p++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

static bool read_fixed(OnnxReader *r, int bytes, uint64_t *v)
{
    if (r->end - r->p < bytes)
        return false;
    *v = 0;
    for (int i = 0; i < bytes; i++)
        *v |= (uint64_t)r->p[i] << (8 * i);
    r->p += bytes;
    return true;
}

int onnx_next(OnnxReader *r, OnnxField *f)
{
    if (r->p >= r->end)
        return 0;
    uint64_t tag;
    memset(f, 0, sizeof *f);
    bool ok = read_varint(r, &tag) && (tag >> 3) > 0 && (tag >> 3) < (1u << 29);
    f->field = (int)(tag >> 3), f->wire = (int)(tag & 7);
    if (ok && f->wire == 0)
        ok = read_varint(r, &f->value);
    else if (ok && (f->wire == 1 || f->wire == 5))
        ok = read_fixed(r, f->wire == 1 ? 8 : 4, &f->value);
    else if (ok && f->wire == 2) {
        ok = read_varint(r, &f->value) && f->value <= (uint64_t)(r->end - r->p);
        if (ok) {
            f->data = r->p, f->len = (size_t)f->value;
            r->p += f->len;
        }
    } else
        ok = false;
    if (!ok)
        r->p = r->end;
    return ok ? 1 : -1;
}
