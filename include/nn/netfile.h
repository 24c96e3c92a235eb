/* netfile.h - the network language: a net as text, one layer per line, parsed and
 * checked into a list of layer descriptions before anything is allocated (model.c
 * turns the list into layers and plans their shapes). The language:
 *
 *   # a comment runs to the end of the line; blank lines are ignored
 *   default dropout P        the p of every bare `dropout` line (0 unless set;
 *                            --dropout overrides it)
 *   [label:] LAYER [from=NAME]
 *
 * LAYER is one of
 *   conv OUT K [pad=P]       K x K convolution to OUT channels (no bias)
 *   norm [bn|ln|gn] [groups=G]   the norm --norm picks, or the one named
 *   relu
 *   dropout [P]              p = P, else the default; a p of 0 is no layer
 *   maxpool | avgpool        2x2, stride 2
 *   gap                      global average pool to 1x1
 *   add NAME [NAME]          skip-add: the current output (or the first NAME) plus
 *                            NAME's output; the shapes must match
 *   classifier               a 1x1 conv to the 10 classes: the last line, on 1x1
 *   whiten K [pad=P]         K x K patch whitening, fitted to the training images
 *                            before training and frozen: 2*3*K*K channels (each
 *                            principal axis and its negation); reads the input
 *
 * Each layer reads the output of the line before it, or with from=NAME the output
 * named. A label names a block: the lines after it, up to the next label, belong to
 * it and are called by its name (a norm's layer is called LABEL.norm), and NAME means
 * the output of the block's last layer so far. `input` names the network's input.
 * Exported prefixes: netfile_, NETFILE_, NET_. */
#ifndef CIFAR_NETFILE_H
#define CIFAR_NETFILE_H

#include <stddef.h>
#include "base/status.h"

/* Most layers in a net (the model's limit). */
#define NETFILE_MAX_LAYERS 96
/* Longest label: a layer name holds it and ".norm" (Layer.name is 16 bytes). */
#define NETFILE_LABEL_MAX 10
/* The network's input as the source of a layer. */
#define NETFILE_INPUT (-1)
/* Largest channel count, kernel and padding a line may give: far beyond any net of
 * this size, small enough that no size product overflows. */
#define NETFILE_MAX_CHANNELS 4096
#define NETFILE_MAX_KERNEL 15
#define NETFILE_MAX_GROUPS 1024

typedef enum {
    NET_CONV,
    NET_NORM,
    NET_RELU,
    NET_DROPOUT,
    NET_MAXPOOL,
    NET_AVGPOOL,
    NET_GAP,
    NET_ADD,
    NET_CLASSIFIER,
    NET_WHITEN
} NetKind;

/* A norm line's choice: the one --norm picks, or one named. */
typedef enum { NET_NORM_CHOSEN, NET_NORM_BN, NET_NORM_LN, NET_NORM_GN } NetNorm;

typedef struct {
    NetKind kind;
    int line;               /* in the text, from 1 */
    char name[16];          /* the layer's name: its block's label (+ ".norm") */
    int in, in2;            /* earlier entries read (NETFILE_INPUT: the input);
                             * in2 for add only */
    int cout, k, pad;       /* conv */
    NetNorm norm;
    int groups;             /* norm: 0 for --groups */
    float p;                /* dropout: < 0 for the net's default */
} NetLayer;

typedef struct {
    int nlayers;
    NetLayer layers[NETFILE_MAX_LAYERS];
    float dropout;          /* default dropout's P */
} NetFile;

/* Parse len bytes of text (NUL bytes are an error) into net. Checks everything that
 * does not depend on shapes: known layers, numbers and their ranges, names defined
 * before use, one classifier as the last layer, the layer limit. source names the
 * text in messages, which read "source:line: what is wrong". Fails with
 * STATUS_USAGE. Allocates nothing. */
Status netfile_parse(NetFile *net, const char *text, size_t len, const char *source,
                     Error *err);

#endif
