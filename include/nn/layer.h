/* layer.h - the layer kinds as one closed enum with one const table of operations,
 * so building, initialising, gradient checks and summaries are written once for all
 * kinds. A Layer holds its configuration, its planned shapes and pointers into the
 * model's arenas; it owns no memory. Forward overwrites the layer's output;
 * backward accumulates into the input gradients and the parameter gradients.
 * Exported prefixes: layer_, LAYER_. */
#ifndef CIFAR_LAYER_H
#define CIFAR_LAYER_H

#include <stdbool.h>
#include <stdint.h>
#include "base/pool.h"
#include "base/rng.h"
#include "base/status.h"
#include "base/tensor.h"
#include "kernels/conv.h"
#include "kernels/norm.h"

typedef enum {
    LAYER_CONV2D,   /* cross-correlation, no bias */
    LAYER_BNORM,    /* batch norm with running statistics */
    LAYER_GNORM,    /* group norm; layer norm is groups = 1 */
    LAYER_RELU,
    LAYER_DROPOUT,
    LAYER_MAXPOOL2, /* 2x2, stride 2 */
    LAYER_AVGPOOL,  /* global average pool to 1x1 */
    LAYER_ADD,      /* skip connection: output = input + input2 */
    LAYER_AVGPOOL2, /* 2x2 average, stride 2 */
    LAYER_WHITEN,   /* patch whitening: a conv fitted to the input, then frozen */
    LAYER_KIND_COUNT
} LayerKind;

/* Input index meaning "the network's input". */
#define LAYER_INPUT (-1)

/* Norm statistics use this eps in both passes (PyTorch's default). */
#define LAYER_NORM_EPS 1e-5f
/* Batch norm running-statistics momentum (PyTorch's default). */
#define LAYER_BN_MOMENTUM 0.1f

typedef struct {
    LayerKind kind;
    char name[16];      /* e.g. "c5", "c5.norm"; for tables and messages */
    int in, in2;        /* producing layers (LAYER_INPUT for the network's input) */
    /* configuration */
    int cout, k, pad;   /* conv */
    int groups;         /* gnorm */
    float p;            /* dropout probability */
    /* planned at build; shapes carry the build batch size in n */
    Shape4 in_shape, out_shape;
    size_t nparams;     /* conv: cout*cin*k*k; norms: 2*C (gamma then beta) */
    size_t nsaved;      /* floats saved for backward (norm mean and rstd) */
    size_t nstats;      /* running statistics (bn: mean then var, C each); whiten:
                         * its weights [cout][cin][k][k] */
    /* pointers into the model's arenas */
    float *param, *dparam;
    float *saved;
    float *stats;
    float *y, *dy;      /* output and its gradient, out_shape */
} Layer;

/* What a pass needs besides the layer: the pool, scratch sized at build for every
 * layer, the conv implementation, the mode, and the current batch size (<= the
 * planned one; the last batch of an epoch may be smaller). */
typedef struct {
    Pool *pool;
    float *scratch;
    Conv2dForward conv_forward;
    Conv2dBackward conv_backward;
    bool training;
    int n;
    uint64_t dropout_key;   /* differs per step and per layer */
    /* Norm layers only (zero for the others): what runs fused into the layer's
     * passes, as the model plans it (norm.h). With a ReLU fused, the forward writes
     * the ReLU's output y, relu_out, instead of the layer's own, and the backward
     * takes the gradient at the end of the ReLU's chain, relu_dy. */
    NormFusion fusion;
    float *relu_out;
    const float *relu_dy;
    /* dx (dx2) is not zeroed yet: backward zeroes it (kinds with zeroes_dx). */
    bool zero_dx, zero_dx2;
} LayerCtx;

/* A layer's part in a chain that a norm's _fused kernels run inside the norm's own
 * passes (norm.h's NormFusion): the norm, a ReLU right after it, a dropout right
 * after that ReLU. */
typedef enum {
    LAYER_FUSE_NONE,
    LAYER_FUSE_NORM,      /* heads a chain: its passes take a NormFusion */
    LAYER_FUSE_RELU,      /* the chain's ReLU (NormFusion.relu) */
    LAYER_FUSE_DROPOUT    /* the chain's dropout (NormFusion.drop_p, scale) */
} LayerFuse;

/* The operations and properties of one kind: everything the model asks about a
 * layer, so that no code outside layer.c tests its kind. */
typedef struct {
    const char *name;
    /* Compute out_shape, nparams, nsaved, nstats from in_shape (and in2's shape for
     * a kind with two_inputs); fail with STATUS_USAGE naming the layer when the
     * shapes do not fit. */
    Status (*plan)(Layer *l, Shape4 in2_shape, Error *err);
    /* Initialise parameters and statistics (called once param/stats point). */
    void (*init)(Layer *l, Rng *rng);
    void (*forward)(Layer *l, const float *x, const float *x2, const LayerCtx *ctx);
    /* dx (and dx2 with two_inputs) accumulate; dx is NULL for the network's input. */
    void (*backward)(Layer *l, float *dx, float *dx2, const float *x,
                     const LayerCtx *ctx);
    /* Fit the statistics to n images x (the network's input) before training:
     * whiten's weights. NULL for the kinds that have nothing to fit. */
    void (*fit)(Layer *l, const float *x, int n);
    /* Multiply-adds per image in the forward pass. */
    double (*macs)(const Layer *l);
    /* Scratch floats the passes need for a pool of nthreads. */
    size_t (*scratch)(const Layer *l, int nthreads);
    /* Whether SGD weight decay applies to the parameters. */
    bool decay;
    /* Whether the layer is a convolution: layer_conv_shape applies, and its
     * parameters are weights [cout][cin][k][k]. */
    bool conv;
    /* Whether backward takes dx NULL and then computes no input gradient: the
     * network's input needs none, so the model passes NULL for it. */
    bool input_grad_optional;
    /* Whether the layer reads a second input, in2 (x2 in the passes). */
    bool two_inputs;
    /* Whether backward can zero dx (dx2) itself, part by part right before adding
     * into it, when ctx->zero_dx (zero_dx2) asks: the same result as zeroing all of
     * it first, without a pass of its own. */
    bool zeroes_dx;
    /* Whether forward may write y over x (elementwise, y == x allowed) and backward
     * never reads x: the model then lets it work in its input's buffer. */
    bool elementwise_in_place;
    /* Whether backward reads the layer's own output y; and whether it reads only
     * where y > 0 (the ReLU's mask), so that any output over y that is positive
     * exactly where y is, wherever its gradient is not zero (keeps_positive), may
     * take y's place. */
    bool backward_reads_y;
    bool backward_reads_y_positive;
    /* Whether y > 0 exactly where x > 0 wherever the gradient through the layer is
     * not zero (dropout: a kept element is scaled by 1/(1-p) > 0, a dropped one
     * passes no gradient). */
    bool keeps_positive;
    LayerFuse fuse;
} LayerOps;

extern const LayerOps layer_ops[LAYER_KIND_COUNT];

/* Parameters as a user counts them: the trained ones, and a fitted kind's frozen
 * weights. */
size_t layer_count_params(const Layer *l);

/* Conv shape of a conv layer for batch size n. */
ConvShape layer_conv_shape(const Layer *l, int n);

#endif
