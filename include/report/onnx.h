/* onnx.h - a trained model as an ONNX file (protobuf, encoded here in memory, no
 * dependency), with one fixed interface: input "image", float32 [N,3,32,32] (N
 * symbolic), raw pixel values 0-255 in R, G, B planes as in a CIFAR record, the
 * normalisation inside the graph; output "logits", float32 [N,10]; the class names
 * in the metadata ("class_names", comma-separated; the net's text as "network").
 * Opset 13: batch norm as BatchNormalization with its running statistics, group
 * and layer norm as Reshape, InstanceNormalization, Reshape, Mul, Add; the 2x2
 * pools as MaxPool and AveragePool; dropout left out (inference). A small protobuf
 * reader lets tests check the encoding field by field.
 * Exported prefixes: onnx_, ONNX_. */
#ifndef CIFAR_ONNX_H
#define CIFAR_ONNX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/status.h"
#include "nn/model.h"

#define ONNX_OPSET 13
#define ONNX_IR_VERSION 7   /* the IR version that goes with opset 13 */

/* What the metadata records besides the class names. */
typedef struct {
    const char *model;      /* the model's name, e.g. "r6" */
    const char *norm;       /* "bn", "ln", "gn" */
    const char *producer;   /* the tool and its version */
    const char *network;    /* the net's text in the network language, or NULL */
} OnnxInfo;

/* Encode m (its parameters and running statistics; any batch size) into a malloc'd
 * buffer *out of *len bytes. Fails with STATUS_USAGE when a layer has no ONNX form
 * or the network does not end in [10,1,1], STATUS_NOMEM when memory runs out. */
Status onnx_encode(const Model *m, const OnnxInfo *info, unsigned char **out,
                   size_t *len, Error *err);

/* Encode and write to path atomically (report_write_atomic): nothing is written on
 * failure. */
Status onnx_write(const Model *m, const OnnxInfo *info, const char *path, Error *err);

/* --- reading protobuf back (for tests) -------------------------------------------- */

typedef struct {
    const unsigned char *p, *end;
} OnnxReader;

typedef struct {
    int field;
    int wire;                   /* 0 varint, 1 fixed64, 2 bytes, 5 fixed32 */
    uint64_t value;             /* varint and fixed values */
    const unsigned char *data;  /* wire 2: the bytes (a string or a message) */
    size_t len;
} OnnxField;

/* The next field of the message r points into: 1 when one was read into *f, 0 at
 * the end, -1 when the bytes are malformed (r then stays at the end). */
int onnx_next(OnnxReader *r, OnnxField *f);

#endif
