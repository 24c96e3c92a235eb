/* test_summary.c - the model summary: for every model and norm, its totals (summed
 * row by row) equal the model's own parameter count and multiply-adds, and the
 * table names every layer. */
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
    CHECK(t.params == m->nparams && t.params > 0);
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
        at = strstr(at, m->layers[i].name);   /* in order */
        CHECK(at != NULL);
    }
    CHECK(strstr(b.data, "at batch 2") != NULL);
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
    CHECK(strstr(b.data, "parameters:               49,136\n") != NULL);
    strbuf_free(&b);
    model_free(m);
    free(m);
    char title[96];
    cfg.norm = NORM_GN;
    summary_title(title, sizeof title, &cfg);
    CHECK(strcmp(title, "model s8, norm gn (4 groups)") == 0);
    return 0;
}

const TestCase summary_tests[] = {
    {"summary_totals", test_summary_totals},
    {"summary_s8_count", test_summary_s8_count},
    {NULL, NULL},
};
