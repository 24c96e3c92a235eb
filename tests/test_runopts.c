/* test_runopts.c - the comparison a resumed run passes: every option it must keep is
 * named when it alone differs, and those it may change are not. */
#include <string.h>
#include "test.h"
#include "train/runopts.h"
#include "train/train.h"

/* Whether runopts_differing names want for base against changed. */
static int names(const RunOptions *base, const RunOptions *changed, const char *want)
{
    const char *got = runopts_differing(base, changed);
    if (!got || strcmp(got, want) != 0)
        fprintf(stderr, "  got %s, want %s\n", got ? got : "NULL", want);
    CHECK(got && strcmp(got, want) == 0);
    return 0;
}

static int test_runopts_names_each_option(void)
{
    TrainConfig cfg;
    train_defaults(&cfg);
    cfg.opts.model.name = "tiny";
    const RunOptions base = cfg.opts;
    RunOptions o = base;
    CHECK(runopts_differing(&base, &o) == NULL);
    /* The same name in another buffer is the same model. */
    char same_name[16];
    snprintf(same_name, sizeof same_name, "%s", base.model.name);
    o.model.name = same_name;
    CHECK(runopts_differing(&base, &o) == NULL);
    o = base, o.model.name = "s8";
    CHECK(names(&base, &o, "model") == 0);
    o = base, o.model.norm = NORM_GN;
    CHECK(names(&base, &o, "norm") == 0);
    o = base, o.model.groups++;
    CHECK(names(&base, &o, "groups") == 0);
    o = base, o.model.dropout = 0.5f;
    CHECK(names(&base, &o, "dropout") == 0);
    o = base, o.model.batch++;
    CHECK(names(&base, &o, "batch") == 0);
    o = base, o.model.conv = CONV_NAIVE;
    CHECK(names(&base, &o, "conv") == 0);
    o = base, o.lr *= 2.0;
    CHECK(names(&base, &o, "lr") == 0);
    o = base, o.sgd.momentum = 0.5f;
    CHECK(names(&base, &o, "momentum") == 0);
    o = base, o.sgd.weight_decay = 0.0f;
    CHECK(names(&base, &o, "wd") == 0);
    o = base, o.sgd.nesterov = !base.sgd.nesterov;
    CHECK(names(&base, &o, "nesterov") == 0);
    o = base, o.schedule = SCHEDULE_CONSTANT;
    CHECK(names(&base, &o, "schedule") == 0);
    o = base, o.label_smoothing = 0.0f;
    CHECK(names(&base, &o, "smoothing") == 0);
    o = base, o.augment.crop_pad++;
    CHECK(names(&base, &o, "crop") == 0);
    o = base, o.augment.flip = !base.augment.flip;
    CHECK(names(&base, &o, "flip") == 0);
    o = base, o.augment.cutout++;
    CHECK(names(&base, &o, "cutout") == 0);
    o = base, o.tta = !base.tta;
    CHECK(names(&base, &o, "tta") == 0);
    o = base, o.seed++;
    CHECK(names(&base, &o, "seed") == 0);
    o = base, o.limit_train++;
    CHECK(names(&base, &o, "limit-train") == 0);
    o = base, o.limit_test++;
    CHECK(names(&base, &o, "limit-test") == 0);
    /* Several differ: the first in the list is named. */
    o = base, o.seed++, o.model.norm = NORM_LN;
    CHECK(names(&base, &o, "norm") == 0);
    return 0;
}

/* What a resumed run may change: the epochs, the data directory, the threads. */
static int test_runopts_ignores_what_may_change(void)
{
    TrainConfig cfg;
    train_defaults(&cfg);
    const RunOptions base = cfg.opts;
    RunOptions o = base;
    o.epochs += 10;
    o.model.threads += 3;
    snprintf(o.data_dir, sizeof o.data_dir, "elsewhere");
    CHECK(runopts_differing(&base, &o) == NULL);
    return 0;
}

const TestCase runopts_tests[] = {
    {"runopts_names_each_option", test_runopts_names_each_option},
    {"runopts_ignores_what_may_change", test_runopts_ignores_what_may_change},
    {NULL, NULL},
};
