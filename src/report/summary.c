/* summary.c - the per-layer model table and its totals, from the layer list and
 * the layer table's names and multiply-add counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dataset/cifar.h"
#include "report/summary.h"

#define MIB (1024.0 * 1024.0)
/* Parameters, their gradients and their momentum: three floats per parameter. */
#define FLOATS_PER_PARAM 3
#define RULE "--------------------------------------------------------------------" \
             "------------"

SummaryTotals summary_totals(const Model *m)
{
    SummaryTotals t = {0, 0, 0, 0.0, model_activation_floats(m) * sizeof(float),
                       m->in_shape.n, 0, 0};
    for (int i = 0; i < m->nlayers; i++) {
        const Layer *l = &m->layers[i];
        size_t frozen = layer_count_params(l) - l->nparams;
        t.params += l->nparams;
        t.frozen += frozen;
        t.stats += l->nstats - frozen;
        t.macs += layer_ops[l->kind].macs(l);
    }
    t.param_bytes = (FLOATS_PER_PARAM * t.params + t.frozen + t.stats) * sizeof(float);
    t.input_bytes = (size_t)t.batch * CIFAR_IMAGE_BYTES * sizeof(float);
    return t;
}

/* v with thousands separators ("49,136") into buf. */
static const char *grouped(char *buf, size_t cap, double v)
{
    char digits[40];
    int n = snprintf(digits, sizeof digits, "%.0f", v), out = 0;
    for (int i = 0; i < n && (size_t)out + 2 < cap; i++) {
        buf[out++] = digits[i];
        if (digits[i] != '-' && (n - 1 - i) % 3 == 0 && i != n - 1)
            buf[out++] = ',';
    }
    buf[out] = '\0';
    return buf;
}

/* The kind as a reader knows it: group norm with one group is layer norm. */
static const char *kind_name(const Layer *l)
{
    if (l->kind == LAYER_GNORM && l->groups == 1)
        return "layernorm";
    return layer_ops[l->kind].name;
}

/* Row i: its number, name, kind, output shape with the batch as -1 (torchsummary's
 * way), parameters, multiply-adds, and for a skip-add the rows it adds. */
static void layer_row(StrBuf *out, const Model *m, int i)
{
    const Layer *l = &m->layers[i];
    char shape[48], params[32], macs[32], joins[32] = "";
    Shape4 s = l->out_shape;
    snprintf(shape, sizeof shape, "[-1, %d, %d, %d]", s.c, s.h, s.w);
    if (layer_ops[l->kind].two_inputs)
        snprintf(joins, sizeof joins, "#%d + #%d", l->in, l->in2);
    strbuf_printf(out, "%2d %-9s %-9s %-17s %9s %12s%s%s\n", i, l->name, kind_name(l),
                  shape, grouped(params, sizeof params, (double)layer_count_params(l)),
                  grouped(macs, sizeof macs, layer_ops[l->kind].macs(l)),
                  joins[0] ? "  " : "", joins);
}

static void totals_text(StrBuf *out, const SummaryTotals *t)
{
    char a[32], b[32], c[32], d[32];
    strbuf_printf(out, "trainable parameters:      %s\n",
                  grouped(a, sizeof a, (double)t->params));
    if (t->frozen)
        strbuf_printf(out, "frozen parameters:         %s (whiten's, fitted to the "
                      "training images)\n", grouped(a, sizeof a, (double)t->frozen));
    strbuf_printf(out, "non-trainable:             %s (batch norm's running means and "
                  "variances)\n"
                  "total:                     %s\n"
                  "multiply-adds per image:   %s (%.2f M)\n",
                  grouped(b, sizeof b, (double)t->stats),
                  grouped(c, sizeof c, (double)(t->params + t->frozen + t->stats)),
                  grouped(d, sizeof d, t->macs), t->macs / 1e6);
    double total = (double)(t->input_bytes + t->param_bytes + t->activation_bytes);
    strbuf_printf(out, "\nmemory at batch %d, float32, in MiB:\n"
                  "  input batch:             %.2f\n"
                  "  parameters:              %.2f (with gradients, momentum, "
                  "statistics)\n"
                  "  activations:             %.2f (outputs, gradients, saved "
                  "statistics)\n"
                  "  total:                   %.2f (without the dataset and conv "
                  "scratch)\n", t->batch,
                  (double)t->input_bytes / MIB, (double)t->param_bytes / MIB,
                  (double)t->activation_bytes / MIB, total / MIB);
}

void summary_text(StrBuf *out, const Model *m, const char *title)
{
    strbuf_printf(out, "%s\n\n%2s %-9s %-9s %-17s %9s %12s  %s\n", title, "#", "layer",
                  "kind", "output shape", "params", "mult-adds", "joins");
    strbuf_printf(out, "%s\n", RULE);
    for (int i = 0; i < m->nlayers; i++)
        layer_row(out, m, i);
    strbuf_printf(out, "%s\n(-1 in a shape: the batch; #i: the output of row i, -1 the "
                  "input)\n\n", RULE);
    SummaryTotals t = summary_totals(m);
    totals_text(out, &t);
}

void summary_title(char *buf, size_t cap, const ModelConfig *cfg)
{
    if (cfg->norm == NORM_GN)
        snprintf(buf, cap, "model %s, norm gn (group norm, %d groups)",
                 model_label(cfg), cfg->groups);
    else if (cfg->norm == NORM_LN)
        snprintf(buf, cap, "model %s, norm ln (layer norm: group norm with 1 group)",
                 model_label(cfg));
    else
        snprintf(buf, cap, "model %s, norm bn (batch norm)", model_label(cfg));
}

Status summary_main(const ModelConfig *cfg, Error *err)
{
    Model *m = malloc(sizeof *m);
    if (!m)
        return error_set(err, STATUS_NOMEM, "out of memory for the model");
    Status st = model_build(m, cfg, CIFAR_IMAGE_SHAPE, err);
    if (st == STATUS_OK) {
        StrBuf text;
        char title[96];
        strbuf_init(&text);
        summary_title(title, sizeof title, cfg);
        summary_text(&text, m, title);
        st = strbuf_status(&text, "the summary", err);
        if (st == STATUS_OK)
            fputs(strbuf_text(&text), stdout);
        strbuf_free(&text);
        model_free(m);
    }
    free(m);
    return st;
}
