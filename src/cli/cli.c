/* cli.c - option parsing from one table (name, kind, target, range, help), made from
 * RUNOPTS_LIST (train/runopts.h), so parsing, validation and --help, with every
 * default, come from the same place as the checkpoint's and run.txt's options. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/platform.h"
#include "cli/bench.h"
#include "cli/cli.h"
#include "cli/compare.h"
#include "report/summary.h"

typedef enum {
    OPT_INT,      /* int in [min, max] */
    OPT_SIZE,     /* size_t count in [min, max] */
    OPT_REAL,     /* double in [min, max] */
    OPT_FLOAT,    /* float in [min, max] */
    OPT_U64,      /* seed */
    OPT_PATH,     /* char[TRAIN_PATH_MAX] */
    OPT_ON,       /* bool set true, no value */
    OPT_OFF,      /* bool set false, no value */
    OPT_CHOICE,   /* one of the words of arg, stored as an int index */
    OPT_MODEL,    /* a model name */
    OPT_ACTION    /* --help, --version */
} OptKind;

typedef struct {
    const char *name;
    OptKind kind;
    size_t offset;      /* into CliCommand; the CliAction of OPT_ACTION */
    const char *arg;    /* value placeholder in --help; a choice's words */
    double min, max;
    const char *help;
} Option;

/* The table, from RUNOPTS_LIST: one row per option, two for an ONOFF bool. */
#define AT_KEEP(field) offsetof(CliCommand, train.opts.field)
#define AT_FREE AT_KEEP
#define AT_TRAIN(field) offsetof(CliCommand, train.field)
#define AT_CLI(field) offsetof(CliCommand, field)
#define AT_ACT(field) CLI_##field
#define ROW(where, kind, field, name, arg, lo, hi, def, help)                         \
    ROW_##kind(name, AT_##where(field), arg, lo, hi, help)
#define ROW_PLAIN(kind, name, at, arg, lo, hi, help) {name, kind, at, arg, lo, hi, help},
#define ROW_INT(...) ROW_PLAIN(OPT_INT, __VA_ARGS__)
#define ROW_SIZE(...) ROW_PLAIN(OPT_SIZE, __VA_ARGS__)
#define ROW_REAL(...) ROW_PLAIN(OPT_REAL, __VA_ARGS__)
#define ROW_FLOAT(...) ROW_PLAIN(OPT_FLOAT, __VA_ARGS__)
#define ROW_U64(...) ROW_PLAIN(OPT_U64, __VA_ARGS__)
#define ROW_PATH(...) ROW_PLAIN(OPT_PATH, __VA_ARGS__)
#define ROW_CHOICE(...) ROW_PLAIN(OPT_CHOICE, __VA_ARGS__)
#define ROW_MODEL(...) ROW_PLAIN(OPT_MODEL, __VA_ARGS__)
#define ROW_ACTION(...) ROW_PLAIN(OPT_ACTION, __VA_ARGS__)
#define ROW_ON(...) ROW_PLAIN(OPT_ON, __VA_ARGS__)
#define ROW_OFF(name, at, arg, lo, hi, help)                                          \
    ROW_PLAIN(OPT_OFF, "no-" name, at, arg, lo, hi, help)
#define ROW_ONOFF(name, at, arg, lo, hi, help)                                        \
    ROW_PLAIN(OPT_ON, name, at, arg, lo, hi, RUNOPTS_HELP_ON help)                    \
    ROW_PLAIN(OPT_OFF, "no-" name, at, arg, lo, hi, RUNOPTS_HELP_OFF help)

static const Option options[] = {RUNOPTS_LIST(ROW)};
#define NOPTIONS (sizeof options / sizeof options[0])
_Static_assert(NOPTIONS <= CLI_MAX_OPTIONS, "raise CLI_MAX_OPTIONS");

/* The CLI options' defaults; threads' 0 becomes one per processor. */
#define CLI_DEFAULT(where, kind, field, name, arg, lo, hi, def, help)                 \
    CLI_DEFAULT_##where(RUNOPTS_SET_##kind(cmd->field, def));
#define CLI_DEFAULT_KEEP(set)
#define CLI_DEFAULT_FREE(set)
#define CLI_DEFAULT_TRAIN(set)
#define CLI_DEFAULT_CLI(set) set
#define CLI_DEFAULT_ACT(set)

static void defaults(CliCommand *cmd)
{
    memset(cmd, 0, sizeof *cmd);
    cmd->action = CLI_TRAIN;
    train_defaults(&cmd->train);
    RUNOPTS_LIST(CLI_DEFAULT)
    if (cmd->threads == 0)
        cmd->threads = platform_cpu_count();
    if (cmd->threads > RUNOPTS_MAX_THREADS)
        cmd->threads = RUNOPTS_MAX_THREADS;
}

static const Option *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

static Status bad_value(const Option *o, const char *v, const char *why, Error *err)
{
    return error_set(err, STATUS_USAGE, "--%s: '%s' %s", o->name, v, why);
}

static Status parse_real(const Option *o, const char *v, double *out, Error *err)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end != '\0' || errno == ERANGE || !isfinite(d))
        return bad_value(o, v, "is not a number", err);
    if (d < o->min || d > o->max) {
        char why[96];
        snprintf(why, sizeof why, "is out of range [%g, %g]", o->min, o->max);
        return bad_value(o, v, why, err);
    }
    *out = d;
    return STATUS_OK;
}

static Status parse_whole(const Option *o, const char *v, unsigned long long max,
                          unsigned long long *out, Error *err)
{
    char *end;
    errno = 0;
    if (*v == '-' || *v == '+' || *v == ' ')
        return bad_value(o, v, "is not a whole number >= 0", err);
    unsigned long long u = strtoull(v, &end, 10);
    if (end == v || *end != '\0' || errno == ERANGE || u > max)
        return bad_value(o, v, "is not a whole number in range", err);
    *out = u;
    return STATUS_OK;
}

static Status set_int(const Option *o, const char *v, char *target, Error *err)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end == v || *end != '\0' || errno == ERANGE)
        return bad_value(o, v, "is not a whole number", err);
    if (n < (long)o->min || n > (long)o->max) {
        char why[96];
        snprintf(why, sizeof why, "is out of range [%g, %g]", o->min, o->max);
        return bad_value(o, v, why, err);
    }
    int i = (int)n;
    memcpy(target, &i, sizeof i);
    return STATUS_OK;
}

static Status set_choice(const Option *o, const char *v, char *target, Error *err)
{
    int i = runopts_choice_index(o->arg, v, strlen(v));
    if (i >= 0) {
        memcpy(target, &i, sizeof i);
        return STATUS_OK;
    }
    char why[128];
    snprintf(why, sizeof why, "is not one of %s", o->arg);
    return bad_value(o, v, why, err);
}

static Status set_model(const Option *o, const char *v, char *target, Error *err)
{
    const char *name;
    for (size_t i = 0; (name = model_name(i, NULL)) != NULL; i++)
        if (strcmp(v, name) == 0) {
            memcpy(target, &name, sizeof name);
            return STATUS_OK;
        }
    return bad_value(o, v, "is not a model (see --help)", err);
}

static Status set_value(const Option *o, const char *v, CliCommand *cmd, Error *err)
{
    char *target = (char *)cmd + o->offset;
    unsigned long long u;
    double d;
    Status st = STATUS_OK;
    switch (o->kind) {
    case OPT_INT:
        return set_int(o, v, target, err);
    case OPT_SIZE:
        if ((st = parse_whole(o, v, (unsigned long long)o->max, &u, err)) == STATUS_OK) {
            size_t z = (size_t)u;
            memcpy(target, &z, sizeof z);
        }
        return st;
    case OPT_U64:
        if ((st = parse_whole(o, v, ULLONG_MAX, &u, err)) == STATUS_OK) {
            uint64_t z = (uint64_t)u;
            memcpy(target, &z, sizeof z);
        }
        return st;
    case OPT_REAL:
        if ((st = parse_real(o, v, &d, err)) == STATUS_OK)
            memcpy(target, &d, sizeof d);
        return st;
    case OPT_FLOAT:
        if ((st = parse_real(o, v, &d, err)) == STATUS_OK) {
            float f = (float)d;
            memcpy(target, &f, sizeof f);
        }
        return st;
    case OPT_PATH:
        if (*v == '\0' || strlen(v) >= TRAIN_PATH_MAX)
            return bad_value(o, v, "is not a usable path", err);
        memcpy(target, v, strlen(v) + 1);
        return STATUS_OK;
    case OPT_CHOICE:
        return set_choice(o, v, target, err);
    case OPT_MODEL:
        return set_model(o, v, target, err);
    default:
        return STATUS_OK;
    }
}

static bool takes_value(const Option *o)
{
    return o->kind != OPT_ON && o->kind != OPT_OFF && o->kind != OPT_ACTION;
}

static Status set_flag(const Option *o, CliCommand *cmd)
{
    bool b = o->kind == OPT_ON;
    if (o->kind == OPT_ACTION) {
        cmd->action = (CliAction)o->offset;
        return STATUS_OK;
    }
    memcpy((char *)cmd + o->offset, &b, sizeof b);
    return STATUS_OK;
}

/* One argument at argv[*i]; consumes its value too when it is separate. */
static Status parse_one(CliCommand *cmd, int argc, char **argv, int *i, Error *err)
{
    const char *a = argv[*i];
    if (strncmp(a, "--", 2) != 0)
        return error_set(err, STATUS_USAGE, "unexpected argument '%s' (options start "
                         "with --; see --help)", a);
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const Option *o = find_option(name, len);
    if (!o)
        return error_set(err, STATUS_USAGE, "unknown option '--%.*s' (see --help)",
                         (int)len, name);
    cmd->given[o - options] = true;
    if (!takes_value(o)) {
        if (eq)
            return error_set(err, STATUS_USAGE, "--%s takes no value", o->name);
        return set_flag(o, cmd);
    }
    const char *v = eq ? eq + 1 : NULL;
    if (!v) {
        if (*i + 1 >= argc)
            return error_set(err, STATUS_USAGE, "--%s needs a value (%s)", o->name,
                             o->arg);
        v = argv[++*i];
    }
    return set_value(o, v, cmd, err);
}

static void resolve_dirs(CliCommand *cmd, const char *env_data)
{
    TrainConfig *t = &cmd->train;
    if (t->opts.data_dir[0] == '\0')
        snprintf(t->opts.data_dir, sizeof t->opts.data_dir, "%s",
                 env_data && *env_data ? env_data : RUNOPTS_DEFAULT_DATA);
    if (t->out_dir[0] == '\0')
        snprintf(t->out_dir, sizeof t->out_dir, "runs/%s",
                 model_norm_names[t->opts.model.norm]);
}

/* cifar-train compare DIR... [options]: compare.c owns its arguments; they are
 * checked here, so a usage error exits before anything runs, and kept in argv
 * (which outlives the command) for compare_main. */
static Status parse_compare(CliCommand *cmd, int argc, char **argv, Error *err)
{
    CompareOptions opt;
    int ndirs;
    cmd->action = CLI_COMPARE;
    cmd->compare_dirs = (const char *const *)(argv + 2);
    cmd->ncompare = argc - 2;
    Status st = compare_parse(&opt, cmd->compare_dirs, cmd->ncompare, NULL, &ndirs, err);
    if (st == STATUS_OK && opt.help)
        cmd->action = CLI_HELP;
    return st;
}

/* cifar-train eval | predict | export DIR ...: use.c owns their arguments. */
static Status parse_use(CliCommand *cmd, UseAction action, int argc, char **argv,
                        Error *err)
{
    cmd->action = CLI_USE;
    Status st = use_parse(&cmd->use, action, (const char *const *)(argv + 2), argc - 2,
                          err);
    if (st == STATUS_OK && cmd->use.threads > 0)
        cmd->threads = cmd->use.threads;
    if (st == STATUS_OK && cmd->use.help)
        cmd->action = CLI_HELP;
    return st;
}

/* bench takes only the options that select what it measures; --quick only bench. */
static Status check_bench_options(const CliCommand *cmd, bool bench, Error *err)
{
    static const char *const allowed[] = {"model", "norm", "groups", "threads",
                                          "batch", "quick", "help", "version"};
    for (size_t i = 0; i < NOPTIONS; i++) {
        bool ok = !bench && strcmp(options[i].name, "quick") != 0;
        for (size_t k = 0; bench && k < sizeof allowed / sizeof allowed[0]; k++)
            ok = ok || strcmp(options[i].name, allowed[k]) == 0;
        if (cmd->given[i] && !ok)
            return error_set(err, STATUS_USAGE, bench ? "--%s does not apply to "
                             "cifar-train bench (it takes --model, --norm, --groups, "
                             "--threads, --batch, --quick)" : "--%s applies only to "
                             "cifar-train bench", options[i].name);
    }
    return STATUS_OK;
}

/* The bench measures both the default model and s8, and every norm, unless the
 * command line picks one. */
static Status run_bench(const CliCommand *cmd, Pool *pool, Error *err)
{
    const ModelConfig *m = &cmd->train.opts.model;
    BenchConfig b = {
        .model = cmd->given[find_option("model", 5) - options] ? m->name : NULL,
        .norm = cmd->given[find_option("norm", 4) - options] ? (int)m->norm
                                                              : BENCH_ALL_NORMS,
        .groups = m->groups, .batch = m->batch, .quick = cmd->bench_quick};
    return bench_run(&b, pool, stdout, err);
}

Status cli_parse(CliCommand *cmd, int argc, char **argv, const char *env_data,
                 Error *err)
{
    defaults(cmd);
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "compare") == 0)
        return parse_compare(cmd, argc, argv, err);
    static const char *const use_words[] = {"eval", "predict", "export"};
    for (int a = USE_EVAL; argc > 1 && a <= USE_EXPORT; a++)
        if (strcmp(argv[1], use_words[a]) == 0)
            return parse_use(cmd, (UseAction)a, argc, argv, err);
    if (argc > 1 && strcmp(argv[1], "summary") == 0)
        cmd->action = CLI_SUMMARY;
    bool bench = argc > 1 && strcmp(argv[1], "bench") == 0;
    if (bench)
        cmd->action = CLI_BENCH;
    if (argc > 1 && (strcmp(argv[1], "train") == 0 || cmd->action == CLI_SUMMARY ||
                     cmd->action == CLI_BENCH))
        first = 2;
    for (int i = first; i < argc; i++) {
        Status st = parse_one(cmd, argc, argv, &i, err);
        if (st != STATUS_OK)
            return st;
    }
    Status st = check_bench_options(cmd, bench, err);
    if (st != STATUS_OK)
        return st;
    cmd->train.opts.model.threads = cmd->threads;
    cmd->train.opts.model.no_fuse = cmd->no_fuse;
    if (cmd->resume[0] && cmd->train.force)
        return error_set(err, STATUS_USAGE, "--force starts a run over and --resume "
                         "continues it: give one");
    if (cmd->resume[0] && cmd->given[find_option("out", 3) - options] &&
        strcmp(cmd->train.out_dir, cmd->resume) != 0)
        return error_set(err, STATUS_USAGE, "--out %s and --resume %s name different "
                         "run directories", cmd->train.out_dir, cmd->resume);
    resolve_dirs(cmd, env_data);
    return STATUS_OK;
}

/* --- resume --------------------------------------------------------------------- */

/* Bytes of an option's value in CliCommand; 0 for actions. */
static size_t value_size(OptKind kind)
{
    switch (kind) {
    case OPT_INT:
    case OPT_CHOICE:
        return sizeof(int);
    case OPT_SIZE:
        return sizeof(size_t);
    case OPT_REAL:
        return sizeof(double);
    case OPT_FLOAT:
        return sizeof(float);
    case OPT_U64:
        return sizeof(uint64_t);
    case OPT_PATH:
        return TRAIN_PATH_MAX;
    case OPT_MODEL:
        return sizeof(const char *);
    case OPT_ON:
    case OPT_OFF:
        return sizeof(bool);
    default:
        return 0;
    }
}

/* The checkpoint's options with the given ones laid over them, into *out. */
static Status resume_command(const CliCommand *cmd, CliCommand *out, Error *err)
{
    *out = *cmd;
    Status st = train_resume_config(cmd->resume, &out->train, err);
    if (st != STATUS_OK)
        return st;
    for (size_t i = 0; i < NOPTIONS; i++) {
        size_t size = value_size(options[i].kind);
        if (cmd->given[i] && size > 0)
            memcpy((char *)out + options[i].offset,
                   (const char *)cmd + options[i].offset, size);
    }
    out->train.opts.model.threads = cmd->threads;
    out->train.opts.model.no_fuse = cmd->no_fuse;
    out->train.stop = cmd->train.stop;
    return STATUS_OK;
}

/* --- help ----------------------------------------------------------------------- */

static void print_default(const Option *o, const CliCommand *d)
{
    const char *p = (const char *)d + o->offset, *choice;
    int i;
    size_t z, len;
    uint64_t u;
    double r;
    float f;
    switch (o->kind) {
    case OPT_INT:
        memcpy(&i, p, sizeof i), printf(" (default %d)", i);
        break;
    case OPT_SIZE:
        memcpy(&z, p, sizeof z), printf(" (default %zu)", z);
        break;
    case OPT_U64:
        memcpy(&u, p, sizeof u), printf(" (default %llu)", (unsigned long long)u);
        break;
    case OPT_REAL:
        memcpy(&r, p, sizeof r), printf(" (default %g)", r);
        break;
    case OPT_FLOAT:
        memcpy(&f, p, sizeof f), printf(" (default %g)", (double)f);
        break;
    case OPT_CHOICE:
        memcpy(&i, p, sizeof i);
        choice = runopts_choice(o->arg, i, &len);
        printf(" (default %.*s)", (int)len, choice);
        break;
    case OPT_MODEL:
        printf(" (default %s)", d->train.opts.model.name);
        break;
    default:
        break;
    }
}

static void print_help(void)
{
    CliCommand d;
    defaults(&d);
    printf("usage: cifar-train [train] [options]\n"
           "       cifar-train summary [--model NAME --norm N --groups G --batch N]\n"
           "       cifar-train compare DIR... [--svg FILE] [--csv FILE] [--force]\n"
           "       cifar-train bench [--model NAME --norm N --threads N --batch N]\n");
    use_print_help();
    printf("\n"
           "Trains a small convolutional network on CIFAR-10 and writes, in the run\n"
           "directory, log.csv (one row per epoch) and misclassified/ (the test\n"
           "images it got wrong, as PPM, with index.csv).\n\noptions:\n");
    for (size_t k = 0; k < NOPTIONS; k++) {
        const Option *o = &options[k];
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
        printf("  %-32s %s", left, o->help);
        bool on;
        memcpy(&on, (const char *)&d + o->offset, sizeof on);
        if ((o->kind == OPT_ON && on) || (o->kind == OPT_OFF && !on))
            printf(" (default)");
        print_default(o, &d);
        printf("\n");
    }
    printf("\nmodels:\n");
    const char *name, *description;
    for (size_t i = 0; (name = model_name(i, &description)) != NULL; i++)
        printf("  %-8s %s\n", name, description);
    printf("\nThreads default to the number of processors (%d here).\n", d.threads);
}

Status cli_execute(const CliCommand *cmd, Pool *pool, Error *err)
{
    switch (cmd->action) {
    case CLI_HELP:
        print_help();
        return STATUS_OK;
    case CLI_VERSION:
        printf("%s\n", CLI_VERSION_STRING);
        return STATUS_OK;
    case CLI_COMPARE:
        return compare_main(cmd->compare_dirs, cmd->ncompare, err);
    case CLI_SUMMARY:
        return summary_main(&cmd->train.opts.model, err);
    case CLI_BENCH:
        return run_bench(cmd, pool, err);
    case CLI_USE:
        return use_main(&cmd->use, pool, err);
    default:
        break;
    }
    if (!cmd->resume[0])
        return train_run(&cmd->train, pool, err);
    CliCommand *resumed = malloc(sizeof *resumed);
    if (!resumed)
        return error_set(err, STATUS_NOMEM, "out of memory");
    Status st = resume_command(cmd, resumed, err);
    if (st == STATUS_OK)
        st = train_run(&resumed->train, pool, err);
    free(resumed);
    return st;
}
