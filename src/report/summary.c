/* summary.c - the per-layer model table and its totals, from the layer list and
 * the layer table's names and multiply-add counts. */
#include <stdio.h>
#include <stdlib.h>
#include "dataset/cifar.h"
#include "report/summary.h"

#define MIB (1024.0 * 1024.0)

SummaryTotals summary_totals(const Model *m)
{
    SummaryTotals t = {0, 0.0, model_activation_floats(m) * sizeof(float),
                       m->in_shape.n};
    for (int i = 0; i < m->nlayers; i++) {
        const Layer *l = &m->layers[i];
        t.params += l->nparams;
        t.macs += layer_ops[l->kind].macs(l);
    }
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

static void layer_row(StrBuf *out, const Layer *l)
{
    char shape[48], params[32], macs[32];
    Shape4 s = l->out_shape;
    snprintf(shape, sizeof shape, "[%d, %d, %d]", s.c, s.h, s.w);
    strbuf_printf(out, "%-10s %-10s %-16s %10s %14s\n", l->name,
                  layer_ops[l->kind].name, shape,
                  grouped(params, sizeof params, (double)l->nparams),
                  grouped(macs, sizeof macs, layer_ops[l->kind].macs(l)));
}

void summary_text(StrBuf *out, const Model *m, const char *title)
{
    char a[32], b[32];
    strbuf_printf(out, "%s\n\n%-10s %-10s %-16s %10s %14s\n", title, "layer", "kind",
                  "output shape", "params", "multiply-adds");
    strbuf_printf(out, "%.64s\n", "----------------------------------------------"
                                  "----------------------------------------------");
    for (int i = 0; i < m->nlayers; i++)
        layer_row(out, &m->layers[i]);
    SummaryTotals t = summary_totals(m);
    strbuf_printf(out, "%.64s\n", "----------------------------------------------"
                                  "----------------------------------------------");
    strbuf_printf(out, "parameters:               %s\n"
                  "multiply-adds per image:  %s (%.2f M)\n"
                  "activation memory:        %.1f MiB at batch %d (outputs, their "
                  "gradients and saved statistics, float32)\n",
                  grouped(a, sizeof a, (double)t.params),
                  grouped(b, sizeof b, t.macs), t.macs / 1e6,
                  (double)t.activation_bytes / MIB, t.batch);
}

void summary_title(char *buf, size_t cap, const ModelConfig *cfg)
{
    if (cfg->norm == NORM_GN)
        snprintf(buf, cap, "model %s, norm gn (%d groups)", model_label(cfg),
                 cfg->groups);
    else
        snprintf(buf, cap, "model %s, norm %s", model_label(cfg),
                 model_norm_names[cfg->norm]);
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
