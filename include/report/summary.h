/* summary.h - the model summary, as torchsummary and Keras print it: one line per
 * layer (number, name, kind, output shape with the batch as -1, parameters,
 * multiply-adds per image, and for a skip-add the rows it adds), then totals
 * (trainable and non-trainable counts, multiply-adds per image, memory in MiB at
 * the planned batch size). `cifar-train summary` prints it; every run writes it to
 * summary.txt. Exported prefix: summary_. */
#ifndef CIFAR_SUMMARY_H
#define CIFAR_SUMMARY_H

#include <stddef.h>
#include "base/status.h"
#include "base/strbuf.h"
#include "nn/model.h"

typedef struct {
    size_t params;          /* trainable: sum of the layers' parameters */
    size_t frozen;          /* fitted, never trained: whiten's weights */
    size_t stats;           /* non-trainable: batch norm's running statistics */
    double macs;            /* sum of the layers' multiply-adds per image */
    size_t activation_bytes;    /* outputs, their gradients and saved statistics
                                 * at the planned batch size, float32 */
    int batch;
    size_t param_bytes;     /* parameters, gradients, momentum, statistics */
    size_t input_bytes;     /* one input batch as float32 */
} SummaryTotals;

/* Totals summed layer by layer from the layer table. */
SummaryTotals summary_totals(const Model *m);
/* The table and totals as text; title is its first line (e.g. "model s8, norm bn"). */
void summary_text(StrBuf *out, const Model *m, const char *title);
/* "model s8, norm gn (group norm, 4 groups)": the title line for cfg. */
void summary_title(char *buf, size_t cap, const ModelConfig *cfg);
/* Build the model cfg describes and print its summary on stdout. Fails as
 * model_build does. */
Status summary_main(const ModelConfig *cfg, Error *err);

#endif
