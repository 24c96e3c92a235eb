/* model.h - a network as a list of layers, each reading the output of earlier ones,
 * planned and allocated once: model_build walks the layers to compute every shape
 * (shape errors surface here, before any allocation), then allocates the arenas
 * (parameters, gradients and momentum with one layout, so SGD is one flat loop;
 * running statistics; activations with their gradients; conv scratch) and points the
 * layers into them. Nothing allocates after that. To save memory, ReLU and dropout
 * layers write over their input's buffer where nothing else needs it, and
 * activation gradients share buffers whose lifetimes in the backward pass do not
 * overlap; so a layer's y and dy are valid only while the passes use them. A ReLU
 * (and a dropout) after a norm run fused into the norm's passes. Two switches turn
 * these off (ModelConfig), each giving bit for bit the same results, so that the
 * plain passes can be checked against the fast ones.
 * A net is text in the network language (netfile.h); the built-ins are texts too.
 * Exported prefixes: model_, MODEL_, NORM_. */
#ifndef CIFAR_MODEL_H
#define CIFAR_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include "base/tensor.h"
#include "nn/layer.h"
#include "nn/netfile.h"

#define MODEL_MAX_LAYERS NETFILE_MAX_LAYERS
#define MODEL_CLASSES 10

typedef enum { NORM_BN, NORM_LN, NORM_GN, NORM_KIND_COUNT } NormKind;

extern const char *const model_norm_names[NORM_KIND_COUNT];   /* "bn", "ln", "gn" */

typedef enum { CONV_BLOCKED, CONV_NAIVE } ConvImpl;

/* ModelConfig.name of a net read from a file (its text in ModelConfig.text). */
#define MODEL_FILE_NAME "file"
/* Longest network text, with its terminating NUL; longest path of its file. */
#define MODEL_TEXT_MAX 32768
#define MODEL_SOURCE_MAX 1024

typedef struct {
    const char *name;   /* one of model_name(), or MODEL_FILE_NAME */
    NormKind norm;
    int groups;         /* for NORM_GN */
    float dropout;      /* < 0: the model's own default */
    int batch;          /* planned (largest) batch size */
    int threads;        /* workers the scratch is sized for */
    ConvImpl conv;
    /* Run every ReLU and dropout by itself (layer.c's plain passes), not inside
     * the norm's sweep (the _fused kernels of norm.h). */
    bool no_fuse;
    /* Give every layer's output and its gradient a buffer of its own: no ReLU or
     * dropout writes over its input, no two gradients share a buffer. Fusion still
     * runs unless no_fuse; the fused kernels then read and write the separate
     * buffers. */
    bool no_shared_grads;
    /* Refuse a net with more parameters (0: no limit). */
    size_t max_params;
    /* A net's text in the network language (netfile.h) and the path of the file it
     * came from, for messages; both empty for a built-in, which name picks. */
    char source[MODEL_SOURCE_MAX];
    char text[MODEL_TEXT_MAX];
} ModelConfig;

/* Name of the i-th model that can be built (0 is the default), NULL past the last;
 * its one-line description goes to *description when that is not NULL. */
const char *model_name(size_t i, const char **description);
/* What to call cfg's net: the built-in's name, or the path of the network file. */
const char *model_label(const ModelConfig *cfg);
/* The text of the built-in model called name (netfile.h's language), NULL if there
 * is none. */
const char *model_text(const char *name);

typedef struct {
    int nlayers;
    Layer layers[MODEL_MAX_LAYERS];
    /* For each layer, the layer whose backward pass runs first among those reading
     * its output: it zeroes that output's gradient before accumulating into it. */
    int zeroed_by[MODEL_MAX_LAYERS];
    /* A ReLU right after a norm, and a dropout right after that ReLU, working in
     * place over it (or able to), run inside the norm's passes (norm.h, the _fused
     * kernels): for such a ReLU or dropout, the norm's index, else -1; for the
     * norm, the last layer of its chain, else its own index. Neither the ReLU's
     * nor the dropout's passes run on their own: the norm's forward sweep applies
     * the dropout's mask plane by plane, its backward the chain's gradient.
     * Only the chain's last output gradient is used: the norm and a ReLU inside
     * the chain have dy NULL. */
    int fused_into[MODEL_MAX_LAYERS];
    int chain_end[MODEL_MAX_LAYERS];
    Shape4 in_shape;            /* [batch][channels][height][width] */
    size_t nparams;             /* all parameters, as a user counts them (with
                                 * whiten's fitted ones: layer_count_params) */
    size_t param_span;          /* floats the arena holds them in (with alignment
                                 * gaps, which stay zero): what SGD loops over */
    size_t ndecay;              /* the first ndecay floats get weight decay */
    size_t nstats;              /* running statistics */
    Arena params, grads, moms, stats, acts, scratch;
    /* The gradient of the input, which nothing reads, when a layer other than a conv
     * reads the input (its backward needs somewhere to write); else NULL. */
    float *dinput;
    Conv2dForward conv_forward;
    Conv2dBackward conv_backward;
    bool no_fuse, no_shared_grads;  /* as configured (ModelConfig) */
} Model;

/* Parse the net (cfg->text, else the built-in cfg->name), plan and allocate for input
 * images of shape image (n = 1; the batch size is cfg->batch). Fails with
 * STATUS_USAGE for an unknown model, a bad net, shapes or norm settings that do not
 * fit or a net over cfg->max_params, with a message "source:line: what" (the file's
 * path or the built-in's name); STATUS_NOMEM when memory runs out; on failure
 * nothing stays allocated. */
Status model_build(Model *m, const ModelConfig *cfg, Shape4 image, Error *err);
/* model_build's checks without building: parse and plan only. The parameter count
 * goes to *nparams when that is not NULL. */
Status model_check(const ModelConfig *cfg, Shape4 image, size_t *nparams, Error *err);
void model_free(Model *m);
/* Initialise parameters (PyTorch's defaults) and statistics; clear momentum. */
void model_init(Model *m, uint64_t seed);

/* Whether a layer has weights to fit to the training images (whiten). */
bool model_needs_fit(const Model *m);
/* Fit those weights to n images x[n][3][32][32] (normalised, not augmented); after
 * model_init, before training. */
void model_fit(Model *m, const float *x, int n);

/* Forward n <= batch images x[n][3][32][32]; returns the logits [n][10]. In training
 * mode batch norm uses batch statistics and updates its running ones, and dropout
 * masks derive from key. */
const float *model_forward(Model *m, const float *x, int n, bool training,
                           uint64_t key, Pool *pool);
/* The gradient of the logits [n][10], zeroed, for the loss to accumulate into. */
float *model_logits_grad(Model *m, int n);
/* Backward of the last training forward (same x, n and key): accumulates into the
 * parameter gradients, which model_zero_grad clears. */
void model_backward(Model *m, const float *x, int n, uint64_t key, Pool *pool);
void model_zero_grad(Model *m);

/* Multiply-adds per image in the forward pass. */
double model_macs(const Model *m);
/* Floats of activations and their gradients at the planned batch size. */
size_t model_activation_floats(const Model *m);

#endif
