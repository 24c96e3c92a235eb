/* test_summary.c - the model summary: for every model and norm, its totals (summed
 * row by row) equal the model's own parameter, statistics and multiply-add counts,
 * and the table names every layer in order with its output shape, batch first;
 * skip-adds name the rows they add; titles name the norm. */
#include <stdlib.h>
#include <string.h>
#include "dataset/cifar.h"
#include "report/summary.h"
#include "test.h"

static int check_model(const char *name, NormKind norm)
{
    ModelConfig cfg = {.name = name, .norm = norm, .groups = 4, .dropout = -1.0f,
                       .batch = 2, .threads = 1, .conv = CONV_NAIVE};
    Model *m = malloc(sizeof *m);
    Error err;
    CHECK(m && model_build(m, &cfg, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    SummaryTotals t = summary_totals(m);
    CHECK(t.params + t.frozen == m->nparams && t.params > 0);
    size_t stats = 0;   /* m->nstats counts the arena's alignment gaps too */
    for (int i = 0; i < m->nlayers; i++)
        stats += m->layers[i].nstats;
    CHECK(t.frozen == (strcmp(name, "w6") == 0 ? 288u : 0u));
    stats -= t.frozen;
    CHECK(t.stats == stats && (norm == NORM_BN) == (t.stats > 0));
    CHECK(t.macs == model_macs(m) && t.macs > 0);
    CHECK(t.activation_bytes == model_activation_floats(m) * sizeof(float));
    CHECK(t.batch == 2);
    StrBuf b;
    strbuf_init(&b);
    summary_text(&b, m, "title line");
    CHECK(strbuf_status(&b, "summary", &err) == STATUS_OK);
    CHECK(strncmp(b.data, "title line\n", 11) == 0);
    const char *at = b.data;
    for (int i = 0; i < m->nlayers; i++) {
        const Layer *l = &m->layers[i];
        char row[96];
        Shape4 s = l->out_shape;
        snprintf(row, sizeof row, "\n%2d %-9s ", i, l->name);
        at = strstr(at, row);   /* in order */
        CHECK(at != NULL);
        snprintf(row, sizeof row, " [-1, %d, %d, %d] ", s.c, s.h, s.w);
        const char *end = strchr(at + 1, '\n');
        CHECK(end && strstr(at, row) && strstr(at, row) < end);
        if (l->kind == LAYER_ADD) {
            snprintf(row, sizeof row, "  #%d + #%d\n", l->in, l->in2);
            CHECK(strstr(at, row) == end - strlen(row) + 1);
        }
    }
    CHECK(strstr(b.data, "memory at batch 2,") != NULL);
    CHECK((strstr(b.data, " layernorm ") != NULL) == (norm == NORM_LN));
    strbuf_free(&b);
    model_free(m);
    free(m);
    return 0;
}

static int test_summary_totals(void)
{
    const char *name;
    for (size_t i = 0; (name = model_name(i, NULL)) != NULL; i++)
        for (int norm = 0; norm < NORM_KIND_COUNT; norm++)
            CHECK(check_model(name, (NormKind)norm) == 0);
    return 0;
}

static int test_summary_s8_count(void)
{
    ModelConfig cfg = {.name = "s8", .norm = NORM_BN, .groups = 4, .dropout = -1.0f,
                       .batch = 1, .threads = 1, .conv = CONV_NAIVE};
    Model *m = malloc(sizeof *m);
    Error err;
    CHECK(m && model_build(m, &cfg, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    StrBuf b;
    strbuf_init(&b);
    summary_text(&b, m, "s8");
    CHECK(strstr(b.data, "\ntrainable parameters:      49,136\n") != NULL);
    CHECK(strstr(b.data, "\nnon-trainable:             528 ") != NULL);
    CHECK(strstr(b.data, "\ntotal:                     49,664\n") != NULL);
    strbuf_free(&b);
    model_free(m);
    free(m);
    char title[96];
    cfg.norm = NORM_GN;
    summary_title(title, sizeof title, &cfg);
    CHECK(strcmp(title, "model s8, norm gn (group norm, 4 groups)") == 0);
    cfg.norm = NORM_LN;
    summary_title(title, sizeof title, &cfg);
    CHECK(strcmp(title, "model s8, norm ln (layer norm: group norm with 1 group)") == 0);
    return 0;
}

const TestCase summary_tests[] = {
    {"summary_totals", test_summary_totals},
    {"summary_s8_count", test_summary_s8_count},
    {NULL, NULL},
};
