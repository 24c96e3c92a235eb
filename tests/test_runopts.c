/* test_runopts.c - the comparison a resumed run passes: every option it must keep is
 * named when it alone differs, and those it may change are not; and a walk over
 * RUNOPTS_LIST: every run option set on the command line reaches the checkpoint and
 * back, the comparison and run.txt, so a new one cannot miss a place. */
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "test.h"
#include "train/checkpoint.h"
#include "train/runfiles.h"
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

/* --- the walk over RUNOPTS_LIST ------------------------------------------------ */

typedef struct {
    const char *where, *kind, *name, *arg;
    double lo, hi;
} Entry;

#define ENTRY(where, kind, field, name, arg, lo, hi, def, help)                       \
    {#where, #kind, name, arg, lo, hi},
static const Entry entries[] = {RUNOPTS_LIST(ENTRY)};
#define NENTRIES (sizeof entries / sizeof entries[0])

/* The first KEEP, FREE or TRAIN option in which a and b differ, compared here field
 * by field (not through the code under test); NULL when none does. */
#define SAME_VALUE_PATH(a, b) (strcmp(a, b) == 0)
#define SAME_VALUE_MODEL SAME_VALUE_PATH
#define SAME_VALUE_INT(a, b) ((a) == (b))
#define SAME_VALUE_SIZE SAME_VALUE_INT
#define SAME_VALUE_REAL SAME_VALUE_INT
#define SAME_VALUE_FLOAT SAME_VALUE_INT
#define SAME_VALUE_U64 SAME_VALUE_INT
#define SAME_VALUE_CHOICE SAME_VALUE_INT
#define SAME_VALUE_ON SAME_VALUE_INT
#define SAME_VALUE_OFF SAME_VALUE_INT
#define SAME_VALUE_ONOFF SAME_VALUE_INT
#define IN_KEEP(field) opts.field
#define IN_FREE IN_KEEP
#define IN_TRAIN(field) field
#define COMPARE(where, kind, field, name, arg, lo, hi, def, help)                     \
    COMPARE_##where(SAME_VALUE_##kind(a->IN_##where(field), b->IN_##where(field)), name)
#define COMPARE_KEEP(same, name)                                                      \
    if (!(same))                                                                      \
        return name;
#define COMPARE_FREE COMPARE_KEEP
#define COMPARE_TRAIN COMPARE_KEEP
#define COMPARE_CLI(same, name)
#define COMPARE_ACT(same, name)

static const char *first_difference(const TrainConfig *a, const TrainConfig *b)
{
    RUNOPTS_LIST(COMPARE)
    return NULL;
}

/* A value for e other than value (its default, as text): the range's top or
 * bottom, a choice's last or first word, another model, a path. */
static void other_value(const Entry *e, const char *value, char *buf, size_t cap)
{
    size_t len;
    const char *word;
    if (strcmp(e->kind, "CHOICE") == 0) {
        int last = 0;
        while (runopts_choice(e->arg, last + 1, &len))
            last++;
        word = runopts_choice(e->arg, last, &len);
        if (strncmp(value, word, len) == 0 && value[len] == '\0')
            word = runopts_choice(e->arg, 0, &len);
        snprintf(buf, cap, "%.*s", (int)len, word);
    } else if (strcmp(e->kind, "MODEL") == 0) {
        snprintf(buf, cap, "%s", strcmp(value, "s8") == 0 ? "tiny" : "s8");
    } else if (strcmp(e->kind, "PATH") == 0) {
        snprintf(buf, cap, "some/where");
    } else if (strcmp(e->kind, "U64") == 0 || strcmp(e->kind, "SIZE") == 0) {
        snprintf(buf, cap, "%s", strcmp(value, "7") == 0 ? "8" : "7");
    } else {
        snprintf(buf, cap, "%g", e->hi);
        if (strcmp(value, buf) == 0)
            snprintf(buf, cap, "%g", e->lo);
    }
}

/* The "name: value" line of run.txt for cfg, into line; false if there is none. */
static bool runtxt_line(const TrainConfig *cfg, const Model *m, const char *name,
                        char *line, size_t cap)
{
    RunFiles rf = {.opts = &cfg->opts, .out_dir = cfg->out_dir, .force = cfg->force,
                   .quiet = cfg->quiet, .version = TRAIN_VERSION, .model = m,
                   .threads = 1, .train_count = 1, .test_count = 1};
    snprintf(rf.start_time, sizeof rf.start_time, "now");
    StrBuf b;
    strbuf_init(&b);
    runfiles_info(&b, &rf, NULL, 0.0);
    char key[64];
    snprintf(key, sizeof key, "\n%s: ", name);
    const char *at = b.data ? strstr(b.data, key) : NULL;
    if (at) {
        const char *end = strchr(at + 1, '\n');
        snprintf(line, cap, "%.*s", (int)(end ? end - at - 1 : (long)strlen(at + 1)),
                 at + 1);
    }
    strbuf_free(&b);
    return at != NULL;
}

/* o through a checkpoint and back, into *back (decoded, then freed). */
static Status checkpoint_trip(const RunOptions *o, const Model *m, RunOptions *back)
{
    size_t order = 0;
    Checkpoint c = {.opts = *o, .train_count = 1, .order = &order, .log = ""};
    rng_seed(&c.shuffle, 1, RNG_STREAM_SHUFFLE);
    rng_seed(&c.augment_rng, 1, RNG_STREAM_AUGMENT);
    size_t len = checkpoint_encode(NULL, 0, &c, m);
    unsigned char *bytes = malloc(len);
    if (!bytes || checkpoint_encode(bytes, len, &c, m) != len) {
        free(bytes);
        return STATUS_NOMEM;
    }
    Checkpoint d;
    Error err;
    Status st = checkpoint_decode(&d, bytes, len, "walk", &err);
    if (st != STATUS_OK)
        fprintf(stderr, "  %s\n", err.msg);
    else
        *back = d.opts;
    checkpoint_free(&d);
    free(bytes);
    return st;
}

/* Parse "--name value" (or the bare flag) after the defaults; the command in *cmd. */
static Status parse_option(const Entry *e, bool negate, const char *value,
                           CliCommand *cmd)
{
    char flag[64];
    snprintf(flag, sizeof flag, "--%s%s", negate ? "no-" : "", e->name);
    char *argv[] = {"cifar-train", flag, (char *)value};
    Error err;
    return cli_parse(cmd, value ? 3 : 2, argv, NULL, &err);
}

/* Set e on the command line to a value other than its default: it alone (or first,
 * --norm also moving the default run directory) differs in the parsed command. */
static int set_other(const Entry *e, const TrainConfig *defaults, const Model *m,
                     CliCommand *cmd)
{
    char line[256], value[64];
    bool is_bool = e->arg == NULL;
    Status st = STATUS_OK;
    if (is_bool) {
        bool off = strcmp(e->kind, "OFF") == 0;
        st = parse_option(e, off, NULL, cmd);
        if (st == STATUS_OK && !first_difference(defaults, &cmd->train) &&
            strcmp(e->kind, "ONOFF") == 0)
            st = parse_option(e, true, NULL, cmd);
    } else {
        CHECK(runtxt_line(defaults, m, e->name, line, sizeof line));
        other_value(e, line + strlen(e->name) + 2, value, sizeof value);
        st = parse_option(e, false, value, cmd);
    }
    const char *got = st == STATUS_OK ? first_difference(defaults, &cmd->train) : NULL;
    if (!got || strcmp(got, e->name) != 0)
        fprintf(stderr, "  --%s: status %d, first difference %s\n", e->name, (int)st,
                got ? got : "none");
    CHECK(got && strcmp(got, e->name) == 0);
    return 0;
}

/* One run option: command line -> comparison, checkpoint and back, run.txt. */
static int walk_one(const Entry *e, const TrainConfig *defaults, const Model *m)
{
    CliCommand *cmd = malloc(sizeof *cmd);
    CHECK(cmd && set_other(e, defaults, m, cmd) == 0);
    const TrainConfig *set = &cmd->train;
    bool keep = strcmp(e->where, "KEEP") == 0, stored = keep ||
                strcmp(e->where, "FREE") == 0;
    const char *differing = runopts_differing(&defaults->opts, &set->opts);
    CHECK(keep ? differing && strcmp(differing, e->name) == 0 : differing == NULL);
    if (stored) {
        TrainConfig back = *set;
        CHECK(checkpoint_trip(&set->opts, m, &back.opts) == STATUS_OK);
        const char *lost = first_difference(set, &back);
        if (lost)
            fprintf(stderr, "  --%s: %s differs after the checkpoint\n", e->name, lost);
        CHECK(lost == NULL);
    }
    char before[256], after[256];
    CHECK(runtxt_line(defaults, m, e->name, before, sizeof before));
    CHECK(runtxt_line(set, m, e->name, after, sizeof after));
    CHECK(strcmp(before, after) != 0);
    free(cmd);
    return 0;
}

static int test_runopts_walk_the_list(void)
{
    CliCommand *cmd = malloc(sizeof *cmd);
    char *argv[] = {"cifar-train"};
    Error err;
    CHECK(cmd && cli_parse(cmd, 1, argv, NULL, &err) == STATUS_OK);
    Model m;
    ModelConfig mc = cmd->train.opts.model;
    mc.name = "tiny", mc.batch = 1, mc.threads = 1;
    CHECK(model_build(&m, &mc, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK);
    int options = 0;
    for (size_t i = 0; i < NENTRIES; i++) {
        const char *w = entries[i].where;
        if (strcmp(w, "KEEP") != 0 && strcmp(w, "FREE") != 0 && strcmp(w, "TRAIN") != 0)
            continue;
        CHECK(walk_one(&entries[i], &cmd->train, &m) == 0);
        options++;
    }
    CHECK(options >= 24);   /* the run options when this test was written */
    model_free(&m);
    free(cmd);
    return 0;
}

/* The arg of the option called name in the list. */
static const char *arg_of(const char *name)
{
    for (size_t i = 0; i < NENTRIES; i++)
        if (strcmp(entries[i].name, name) == 0)
            return entries[i].arg;
    return NULL;
}

/* Whether the words of arg are names[0 .. n-1], in that order, and no more. */
static int words_are(const char *arg, const char *const *names, int n)
{
    size_t len;
    for (int i = 0; i < n; i++) {
        const char *w = runopts_choice(arg, i, &len);
        CHECK(w && len == strlen(names[i]) && strncmp(w, names[i], len) == 0);
    }
    CHECK(runopts_choice(arg, n, &len) == NULL);
    return 0;
}

/* A choice's words are its enum's names, in the enum's order. */
static int test_runopts_choice_words(void)
{
    static const char *const conv_names[] = {"blocked", "naive"};
    CHECK(words_are(arg_of("norm"), model_norm_names, NORM_KIND_COUNT) == 0);
    CHECK(words_are(arg_of("schedule"), schedule_names, SCHEDULE_KIND_COUNT) == 0);
    CHECK(CONV_BLOCKED == 0 && CONV_NAIVE == 1);
    CHECK(words_are(arg_of("conv"), conv_names, 2) == 0);
    CHECK(runopts_choice_index("bn|ln|gn", "gn", 2) == 2);
    CHECK(runopts_choice_index("bn|ln|gn", "g", 1) == -1);
    return 0;
}

/* A checkpoint stores the KEEP and FREE options in the list's order, so a new one
 * (or a new order) changes the format: this fails until CHECKPOINT_VERSION is raised
 * and the pair below updated with it (and tests/fuzz/seeds/checkpoint_decode re-made). */
static int test_runopts_stored_version(void)
{
    static const char *const stored_v6[] = {
        "norm", "model", "groups", "epochs", "batch", "lr", "momentum", "wd",
        "nesterov", "schedule", "smoothing", "dropout", "crop", "flip", "alt-flip",
        "cutout", "tta", "seed", "conv", "data", "limit-train", "limit-test"};
    size_t n = 0;
    for (size_t i = 0; i < NENTRIES; i++) {
        const char *w = entries[i].where;
        if (strcmp(w, "KEEP") == 0 || strcmp(w, "FREE") == 0)
            CHECK(n < 22 && strcmp(entries[i].name, stored_v6[n++]) == 0);
    }
    CHECK(n == 22 && CHECKPOINT_VERSION == 6);
    return 0;
}

const TestCase runopts_tests[] = {
    {"runopts_stored_version", test_runopts_stored_version},
    {"runopts_walk_the_list", test_runopts_walk_the_list},
    {"runopts_choice_words", test_runopts_choice_words},
    {"runopts_names_each_option", test_runopts_names_each_option},
    {"runopts_ignores_what_may_change", test_runopts_ignores_what_may_change},
    {NULL, NULL},
};
