/* cli.c - option parsing from one table (name, kind, target, range, help), made from
 * RUNOPTS_LIST (train/runopts.h), so parsing, validation and --help, with every
 * default, come from the same place as the checkpoint's and run.txt's options. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/platform.h"
#include "base/readfile.h"
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

/* Decimal digits, sign, point and exponent only: strtod would also take hex
 * ("0x10"), "inf" and leading spaces, strtol leading spaces. */
static bool decimal(const char *v)
{
    return *v && strspn(v, "0123456789+-.eE") == strlen(v);
}

static Status parse_real(const Option *o, const char *v, double *out, Error *err)
{
    char *end;
    errno = 0;
    double d = decimal(v) ? strtod(v, &end) : 0.0;
    if (!decimal(v) || end == v || *end != '\0' || errno == ERANGE || !isfinite(d))
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
    if (*v == '-' || *v == '+' || !decimal(v))
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
    long n = decimal(v) ? strtol(v, &end, 10) : 0;
    if (!decimal(v) || end == v || *end != '\0' || errno == ERANGE)
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

/* --model NAME|FILE: a built-in's name, else the path of a network file, whose
 * text goes into the model's configuration (the net is checked when it is built). */
static Status set_model(const Option *o, const char *v, CliCommand *cmd, Error *err)
{
    ModelConfig *mc = &cmd->train.opts.model;
    const char *name;
    mc->text[0] = mc->source[0] = '\0';
    for (size_t i = 0; (name = model_name(i, NULL)) != NULL; i++)
        if (strcmp(v, name) == 0) {
            mc->name = name;
            return STATUS_OK;
        }
    if (*v == '\0' || strlen(v) >= sizeof mc->source)
        return bad_value(o, v, "is not a model (see --help)", err);
    unsigned char *text;
    size_t len;
    Error why;
    if (readfile_whole_max(v, sizeof mc->text - 1, &text, &len, &why) != STATUS_OK)
        return error_set(err, STATUS_USAGE, "--%s: '%s' is not a built-in model (see "
                         "--help), nor a network file: %s", o->name, v, why.msg);
    memcpy(mc->text, text, len);
    mc->text[len] = '\0';
    free(text);
    if (strlen(mc->text) != len)
        return error_set(err, STATUS_USAGE, "%s: a NUL byte (is this a text file?)", v);
    snprintf(mc->source, sizeof mc->source, "%s", v);
    mc->name = MODEL_FILE_NAME;
    return STATUS_OK;
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
        return set_model(o, v, cmd, err);
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
    if (strcmp(a, "-h") == 0)
        a = "--help";
    else if (strcmp(a, "-V") == 0)
        a = "--version";
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
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0) {   /* compare.c knows only --help */
            cmd->action = CLI_HELP;
            return STATUS_OK;
        }
    cmd->compare_dirs = (const char *const *)(argv + 2);
    cmd->ncompare = argc - 2;
    Status st = compare_parse(&opt, cmd->compare_dirs, cmd->ncompare, NULL, &ndirs, err);
    if (st == STATUS_OK && opt.help)
        cmd->action = CLI_HELP;
    return st;
}

/* The subcommands, each with its usage, its line in --help, and the options it
 * takes (NULL: every option but those of other commands). */
typedef struct {
    const char *name;
    CliAction action;
    const char *usage;
    const char *line;
    const char *const *options;
} Command;

static const char *const summary_options[] = {"model", "norm", "groups", "batch",
                                              "dropout", "max-params", "help",
                                              "version", NULL};
static const char *const bench_options[] = {"model", "norm", "groups", "threads",
                                            "batch", "quick", "help", "version", NULL};
static const char *const compare_options[] = {NULL};
static const char *const model_options[] = {"help", NULL};
/* eval, predict and export: use.c parses their options (use_parse). */
static const char *const use_command_options[] = {NULL};

static const Command commands[] = {
    {"train", CLI_TRAIN, "[options]", "train a network (the command when none is "
     "given)", NULL},
    {"summary", CLI_SUMMARY, "[--model NAME|FILE] [--norm N] [--groups G]\n"
     "                         [--batch N] [--max-params N]",
     "the model's layers: shapes, parameters, multiply-adds, memory",
     summary_options},
    {"compare", CLI_COMPARE, "DIR... [--svg FILE] [--csv FILE] [--force]",
     "a table and a chart of several runs' results", compare_options},
    {"bench", CLI_BENCH, "[--model NAME] [--norm N] [--groups G] [--threads N]\n"
     "                         [--batch N] [--quick]",
     "the speed of this machine: FMA peak, conv kernels, training", bench_options},
    {"model", CLI_MODEL, "NAME", "print a built-in network's text, to start a network "
     "file from", model_options},
    {"eval", CLI_EVAL, "DIR [--data D | --file X.bin] [--limit-test N] [--tta]\n"
     "                         [--out DIR] [--logits FILE] [--threads N]",
     "score a run's final model on the test set or a CIFAR-format file",
     use_command_options},
    {"predict", CLI_PREDICT, "DIR IMAGE... [--csv] [--top K] [--threads N]",
     "classify PPM images or CIFAR records with a run's final model",
     use_command_options},
    {"export", CLI_EXPORT, "DIR --onnx FILE",
     "write a run's final model as an ONNX file", use_command_options},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const Command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static const Command *command_of(CliAction action)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (commands[i].action == action)
            return &commands[i];
    return &commands[0];
}

/* Whether the command takes option o. */
static bool takes_option(const Command *c, const Option *o)
{
    if (!c->options)
        return strcmp(o->name, "quick") != 0;
    for (size_t k = 0; c->options[k]; k++)
        if (strcmp(c->options[k], o->name) == 0)
            return true;
    return false;
}

/* "train, summary, compare, bench" into buf. */
static void command_names(char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NCOMMANDS && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
                                 commands[i].name);
}

/* A command takes only its own options; --quick only bench. */
static Status check_command_options(const CliCommand *cmd, const Command *c,
                                    Error *err)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (!cmd->given[i] || takes_option(c, &options[i]))
            continue;
        if (!c->options)
            return error_set(err, STATUS_USAGE, "--%s applies only to cifar-train "
                             "bench", options[i].name);
        return error_set(err, STATUS_USAGE, "--%s does not apply to cifar-train %s "
                         "(see cifar-train %s --help)", options[i].name, c->name,
                         c->name);
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
        .groups = m->groups, .batch = m->batch, .quick = cmd->bench_quick,
        .file = m->text[0] ? m : NULL};
    return bench_run(&b, pool, stdout, err);
}

/* cifar-train model NAME: prints a built-in net's text. */
static Status parse_model(CliCommand *cmd, int argc, char **argv, Error *err)
{
    if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        cmd->action = CLI_HELP;
        return STATUS_OK;
    }
    cmd->action = CLI_MODEL;
    cmd->model_text = argc == 3 ? model_text(argv[2]) : NULL;
    if (!cmd->model_text)
        return error_set(err, STATUS_USAGE, "usage: cifar-train model NAME, where NAME "
                         "is a built-in model (see --help)");
    return STATUS_OK;
}

static UseAction use_action_of(CliAction action)
{
    return action == CLI_EVAL ? USE_EVAL : action == CLI_PREDICT ? USE_PREDICT
                                                                 : USE_EXPORT;
}

/* cifar-train eval | predict | export DIR ...: use.c owns their arguments. */
static Status parse_use(CliCommand *cmd, CliAction action, int argc, char **argv,
                        Error *err)
{
    cmd->action = action;
    Status st = use_parse(&cmd->use, use_action_of(action),
                          (const char *const *)(argv + 2), argc - 2, err);
    if (st == STATUS_OK && cmd->use.threads > 0)
        cmd->threads = cmd->use.threads;
    if (st == STATUS_OK && cmd->use.help)
        cmd->action = CLI_HELP;
    return st;
}

/* The command argv[1] names (train when it is an option or absent) into *c. */
static Status parse_command(int argc, char **argv, const Command **c, Error *err)
{
    *c = &commands[0];
    if (argc < 2 || argv[1][0] == '-')
        return STATUS_OK;
    *c = find_command(argv[1]);
    if (*c)
        return STATUS_OK;
    char names[128];
    command_names(names, sizeof names);
    return error_set(err, STATUS_USAGE, "unknown command '%s' (commands: %s; see "
                     "--help)", argv[1], names);
}

Status cli_parse(CliCommand *cmd, int argc, char **argv, const char *env_data,
                 Error *err)
{
    defaults(cmd);
    const Command *c;
    Status st = parse_command(argc, argv, &c, err);
    if (st != STATUS_OK)
        return st;
    cmd->help_topic = c->action;
    if (c->action == CLI_COMPARE)
        return parse_compare(cmd, argc, argv, err);
    if (c->action == CLI_MODEL)
        return parse_model(cmd, argc, argv, err);
    if (c->options == use_command_options)
        return parse_use(cmd, c->action, argc, argv, err);
    cmd->action = c->action;
    for (int i = argc > 1 && argv[1][0] != '-' ? 2 : 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0 && i + 1 == argc)
            break;   /* the end of the options, with no argument after it */
        if (strcmp(argv[i], "--") == 0)
            return error_set(err, STATUS_USAGE, "unexpected argument '%s' after -- "
                             "(this command takes only options; see --help)",
                             argv[i + 1]);
        st = parse_one(cmd, argc, argv, &i, err);
        if (st != STATUS_OK)
            return st;
    }
    st = check_command_options(cmd, c, err);
    if (st != STATUS_OK)
        return st;
    cmd->train.opts.model.threads = cmd->threads;
    cmd->train.opts.model.no_fuse = cmd->no_fuse;
    cmd->train.opts.model.max_params = cmd->max_params;
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
    if (cmd->given[find_option("model", 5) - options]) {
        memcpy(out->train.opts.model.source, cmd->train.opts.model.source,
               sizeof out->train.opts.model.source);
        memcpy(out->train.opts.model.text, cmd->train.opts.model.text,
               sizeof out->train.opts.model.text);
    }
    out->train.opts.model.threads = cmd->threads;
    out->train.opts.model.no_fuse = cmd->no_fuse;
    out->train.opts.model.max_params = cmd->max_params;
    out->train.stop = cmd->train.stop;
    out->train.steps_begin = cmd->train.steps_begin;
    return STATUS_OK;
}

/* --- help ----------------------------------------------------------------------- */

/* The default of o as text ("0.2", "bn"), empty when it has none to show. */
static void default_text(char *buf, size_t cap, const Option *o, const CliCommand *d)
{
    const char *p = (const char *)d + o->offset, *choice;
    int i;
    size_t z, len;
    uint64_t u;
    double r;
    float f;
    bool on;
    buf[0] = '\0';
    switch (o->kind) {
    case OPT_INT:
        memcpy(&i, p, sizeof i), snprintf(buf, cap, "%d", i);
        break;
    case OPT_SIZE:
        memcpy(&z, p, sizeof z), snprintf(buf, cap, "%zu", z);
        break;
    case OPT_U64:
        memcpy(&u, p, sizeof u), snprintf(buf, cap, "%llu", (unsigned long long)u);
        break;
    case OPT_REAL:
        memcpy(&r, p, sizeof r), snprintf(buf, cap, "%g", r);
        break;
    case OPT_FLOAT:
        memcpy(&f, p, sizeof f), snprintf(buf, cap, "%g", (double)f);
        break;
    case OPT_CHOICE:
        memcpy(&i, p, sizeof i);
        choice = runopts_choice(o->arg, i, &len);
        snprintf(buf, cap, "%.*s", (int)len, choice);
        break;
    case OPT_MODEL:
        snprintf(buf, cap, "%s", d->train.opts.model.name);
        break;
    case OPT_ON:
    case OPT_OFF:
        memcpy(&on, p, sizeof on);
        if (on == (o->kind == OPT_ON))
            snprintf(buf, cap, "the default");
        break;
    default:
        break;
    }
}

/* An option's help with its default: "help (default X)", or, when the help ends
 * in a parenthesis already, "help (...; default X)", never two in a row. */
static void help_text(char *buf, size_t cap, const Option *o, const CliCommand *d)
{
    char def[64];
    default_text(def, sizeof def, o, d);
    size_t len = strlen(o->help);
    bool is_flag = o->kind == OPT_ON || o->kind == OPT_OFF;
    const char *sep = is_flag ? "" : "default ";
    if (!def[0])
        snprintf(buf, cap, "%s", o->help);
    else if (len > 0 && o->help[len - 1] == ')')
        snprintf(buf, cap, "%.*s; %s%s)", (int)len - 1, o->help, sep, def);
    else
        snprintf(buf, cap, "%s (%s%s)", o->help, sep, def);
}

/* "  left   text", text wrapped at spaces to end by column HELP_WIDTH, continuation
 * lines indented under it; a left part too wide for its column gets a line of its
 * own. */
#define HELP_WIDTH 80
#define HELP_LEFT 24
static void print_wrapped(const char *left, const char *text)
{
    int indent = 2 + HELP_LEFT + 1, room = HELP_WIDTH - indent;
    if ((int)strlen(left) > HELP_LEFT)
        printf("  %s\n%*s", left, indent, "");
    else
        printf("  %-*s ", HELP_LEFT, left);
    while ((int)strlen(text) > room) {
        int cut = room;
        while (cut > 0 && text[cut] != ' ')
            cut--;
        if (cut == 0)   /* one word longer than the room: let it run over */
            cut = (int)strcspn(text, " ");
        printf("%.*s\n%*s", cut, text, indent, "");
        text += cut + (text[cut] == ' ');
    }
    printf("%s\n", text);
}

static void print_commands(void)
{
    printf("commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        print_wrapped(commands[i].name, commands[i].line);
}

static void print_options(const Command *c)
{
    CliCommand d;
    defaults(&d);
    printf("\noptions:\n");
    for (size_t k = 0; k < NOPTIONS; k++) {
        const Option *o = &options[k];
        if (!takes_option(c, o))
            continue;
        char left[64], text[512];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
        if (strcmp(o->name, "help") == 0)
            snprintf(left, sizeof left, "-h, --help");
        else if (strcmp(o->name, "version") == 0)
            snprintf(left, sizeof left, "-V, --version");
        help_text(text, sizeof text, o, &d);
        print_wrapped(left, text);
    }
    if (c->action != CLI_TRAIN && c->action != CLI_SUMMARY && c->action != CLI_BENCH)
        return;
    printf("\nmodels (or --model FILE, a network file: cifar-train model NAME prints "
           "a\nbuilt-in's text to start from; the README describes the language):\n");
    const char *name, *description;
    for (size_t i = 0; (name = model_name(i, &description)) != NULL; i++)
        print_wrapped(name, description);
    if (takes_option(c, find_option("threads", 7)))
        printf("\nThreads default to the number of processors (%d here).\n",
               d.threads);
}

/* --help: the whole tool's, or a command's own (cifar-train summary --help). */
static void print_help(CliAction topic)
{
    const Command *c = command_of(topic);
    if (topic != CLI_TRAIN && topic != CLI_HELP) {
        printf("usage: cifar-train %s %s\n\n%c%s.\n", c->name, c->usage,
               toupper((unsigned char)c->line[0]), c->line + 1);
        if (c->options == use_command_options) {
            use_print_options(use_action_of(topic));
            return;
        }
        if (c->options != compare_options) {
            print_options(c);
            return;
        }
        /* compare.c parses these (compare_parse) */
        printf("\noptions:\n");
        print_wrapped("--svg FILE", "the chart (default compare.svg in the runs' "
                      "common parent directory)");
        print_wrapped("--csv FILE", "the table as CSV too");
        print_wrapped("--force", "replace files this command did not write");
        print_wrapped("-h, --help", "this help");
        return;
    }
    printf("usage: cifar-train [COMMAND] [options]\n\n"
           "Trains a small convolutional network on CIFAR-10 and writes, in the run\n"
           "directory, log.csv (one row per epoch), curves.svg, confusion.png and\n"
           "misclassified.png, and misclassified/ (the test images it got wrong, as\n"
           "PPM, with index.csv). `cifar-train COMMAND --help` shows a command's "
           "options.\n\n");
    print_commands();
    print_options(&commands[0]);
}

Status cli_execute(const CliCommand *cmd, Pool *pool, Error *err)
{
    switch (cmd->action) {
    case CLI_HELP:
        print_help(cmd->help_topic);
        return STATUS_OK;
    case CLI_VERSION:
        printf("%s\n", CLI_VERSION_STRING);
        return STATUS_OK;
    case CLI_MODEL:
        fputs(cmd->model_text, stdout);
        return STATUS_OK;
    case CLI_COMPARE:
        return compare_main(cmd->compare_dirs, cmd->ncompare, err);
    case CLI_SUMMARY:
        return summary_main(&cmd->train.opts.model, err);
    case CLI_BENCH:
        return run_bench(cmd, pool, err);
    case CLI_EVAL:
    case CLI_PREDICT:
    case CLI_EXPORT:
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
