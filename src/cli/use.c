/* use.c - eval, predict and export: the commands that use a trained run's final
 * model (train_load_model). Their options are few and their own, so they are parsed
 * here, apart from the training options' table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/platform.h"
#include "base/readfile.h"
#include "base/strbuf.h"
#include "dataset/cifar.h"
#include "dataset/ppm.h"
#include "report/confusion.h"
#include "report/onnx.h"
#include "report/report.h"
#include "train/evaluate.h"
#include "train/train.h"
#include "cli/use.h"

static const char *const command_names[] = {"eval", "predict", "export"};

/* Options: name, the commands taking it (bit per UseAction), takes a value. */
typedef struct {
    const char *name;
    unsigned commands;
    bool value;
} UseOption;

#define FOR_EVAL (1u << USE_EVAL)
#define FOR_PREDICT (1u << USE_PREDICT)
#define FOR_EXPORT (1u << USE_EXPORT)
#define FOR_ALL (FOR_EVAL | FOR_PREDICT | FOR_EXPORT)

static const UseOption use_options[] = {
    {"data", FOR_EVAL, true},      {"file", FOR_EVAL, true},
    {"limit-test", FOR_EVAL, true}, {"tta", FOR_EVAL, false},
    {"out", FOR_EVAL, true},       {"logits", FOR_EVAL, true},
    {"csv", FOR_PREDICT, false},   {"top", FOR_PREDICT, true},
    {"onnx", FOR_EXPORT, true},    {"threads", FOR_ALL, true},
    {"help", FOR_ALL, false},
};
#define NUSE_OPTIONS (sizeof use_options / sizeof use_options[0])

static Status parse_count(const char *opt, const char *v, long min, long max,
                          long *out, Error *err)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end == v || *end != '\0' || errno == ERANGE || n < min || n > max)
        return error_set(err, STATUS_USAGE, "--%s: '%s' is not a whole number in "
                         "[%ld, %ld]", opt, v, min, max);
    *out = n;
    return STATUS_OK;
}

static Status set_option(UseOptions *o, const char *name, const char *v, Error *err)
{
    long n = 0;
    Status st = STATUS_OK;
    if (v && *v == '\0')
        return error_set(err, STATUS_USAGE, "--%s: the value is empty", name);
    if (strcmp(name, "data") == 0)
        o->data = v;
    else if (strcmp(name, "file") == 0)
        o->file = v;
    else if (strcmp(name, "out") == 0)
        o->out = v;
    else if (strcmp(name, "logits") == 0)
        o->logits = v;
    else if (strcmp(name, "onnx") == 0)
        o->onnx = v;
    else if (strcmp(name, "tta") == 0)
        o->tta = true;
    else if (strcmp(name, "csv") == 0)
        o->csv = true;
    else if (strcmp(name, "help") == 0)
        o->help = true;
    else if (strcmp(name, "limit-test") == 0 &&
             (st = parse_count(name, v, 0, 1000000000L, &n, err)) == STATUS_OK)
        o->limit_test = (size_t)n;
    else if (strcmp(name, "top") == 0 &&
             (st = parse_count(name, v, 1, CIFAR_CLASSES, &n, err)) == STATUS_OK)
        o->top = (int)n;
    else if (strcmp(name, "threads") == 0 &&
             (st = parse_count(name, v, 1, 256, &n, err)) == STATUS_OK)
        o->threads = (int)n;
    return st;
}

/* One option at args[*i] (its value too when separate). */
static Status parse_option(UseOptions *o, const char *const *args, int n, int *i,
                           Error *err)
{
    const char *name = args[*i] + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const char *cmd = command_names[o->action];
    for (size_t k = 0; k < NUSE_OPTIONS; k++) {
        const UseOption *u = &use_options[k];
        if (strlen(u->name) != len || strncmp(u->name, name, len) != 0)
            continue;
        if (!(u->commands & (1u << o->action)))
            return error_set(err, STATUS_USAGE, "--%s does not apply to cifar-train "
                             "%s (see --help)", u->name, cmd);
        if (!u->value && eq)
            return error_set(err, STATUS_USAGE, "--%s takes no value", u->name);
        const char *v = eq ? eq + 1 : NULL;
        if (u->value && !v) {
            if (*i + 1 >= n)
                return error_set(err, STATUS_USAGE, "--%s needs a value", u->name);
            v = args[++*i];
        }
        return set_option(o, u->name, v, err);
    }
    return error_set(err, STATUS_USAGE, "unknown option '--%.*s' for cifar-train %s "
                     "(see --help)", (int)len, name, cmd);
}

/* What each command needs besides its options. */
static Status check_complete(const UseOptions *o, int positional, Error *err)
{
    const char *cmd = command_names[o->action];
    if (o->help)
        return STATUS_OK;
    if (!o->dir)
        return error_set(err, STATUS_USAGE, "cifar-train %s needs a run directory "
                         "(cifar-train %s DIR ...)", cmd, cmd);
    if (o->action != USE_PREDICT && positional > 1)
        return error_set(err, STATUS_USAGE, "cifar-train %s takes one run directory; "
                         "unexpected argument '%s'", cmd, o->images[0]);
    if (o->action == USE_PREDICT && o->nimages == 0)
        return error_set(err, STATUS_USAGE, "cifar-train predict needs images "
                         "(cifar-train predict DIR IMAGE...)");
    if (o->action == USE_EXPORT && !o->onnx)
        return error_set(err, STATUS_USAGE, "cifar-train export needs --onnx FILE");
    if (o->file && o->data)
        return error_set(err, STATUS_USAGE, "--file and --data both name the images "
                         "to score: give one");
    return STATUS_OK;
}

Status use_parse(UseOptions *o, UseAction action, const char *const *args, int n,
                 Error *err)
{
    memset(o, 0, sizeof *o);
    o->action = action;
    o->top = USE_DEFAULT_TOP;
    int positional = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(args[i], "-h") == 0) {
            o->help = true;
        } else if (strncmp(args[i], "--", 2) == 0) {
            Status st = parse_option(o, args, n, &i, err);
            if (st != STATUS_OK)
                return st;
        } else if (positional++ == 0) {
            o->dir = args[i];
        } else {
            /* Images are the positional arguments after the directory; they keep
             * their order, interleaved options aside. */
            if (o->nimages == 0)
                o->images = args + i;
            else if (o->images + o->nimages != args + i)
                return error_set(err, STATUS_USAGE, "put the images together after "
                                 "the run directory (options before or after them)");
            o->nimages++;
        }
    }
    return check_complete(o, positional, err);
}

/* One line of help per option: name, value, what it does. */
static const struct {
    const char *left;
    unsigned commands;
    const char *text;
} use_help[] = {
    {"--data D", FOR_EVAL, "the directory holding test_batch.bin (default: the run's)"},
    {"--file X.bin", FOR_EVAL, "score this file of CIFAR records instead"},
    {"--limit-test N", FOR_EVAL, "only the first N images (default all)"},
    {"--tta", FOR_EVAL, "flip-averaged accuracy too (a test_acc_flip= line)"},
    {"--out DIR", FOR_EVAL, "write confusion.csv and classes.csv there"},
    {"--logits FILE", FOR_EVAL, "write the logits, float32 [n][10] little-endian"},
    {"--csv", FOR_PREDICT, "one row per image with every class's probability"},
    {"--top K", FOR_PREDICT, "classes listed per image (default 3)"},
    {"--onnx FILE", FOR_EXPORT, "the ONNX file to write"},
    {"--threads N", FOR_ALL, "worker threads (default one per processor)"},
    {"-h, --help", FOR_ALL, "this help"},
};

void use_print_options(UseAction action)
{
    printf("\noptions:\n");
    for (size_t i = 0; i < sizeof use_help / sizeof use_help[0]; i++)
        if (use_help[i].commands & (1u << action))
            printf("  %-24s %s\n", use_help[i].left, use_help[i].text);
}

/* --- eval --------------------------------------------------------------------- */

static Status load_images(const UseOptions *o, const RunOptions *run, CifarSet *set,
                          Error *err)
{
    if (o->file)
        return cifar_read_file(set, o->file, o->limit_test, err);
    return cifar_load_test(set, o->data ? o->data : run->data_dir, o->limit_test, err);
}

/* logits[n][10] as float32, little-endian. */
static Status write_logits(const char *path, const float *logits, size_t n,
                           Error *err)
{
    size_t count = n * CIFAR_CLASSES;
    unsigned char *bytes = malloc(count * 4 + 1);
    if (!bytes)
        return error_set(err, STATUS_NOMEM, "out of memory for %s", path);
    for (size_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &logits[i], 4);
        for (int k = 0; k < 4; k++)
            bytes[4 * i + (size_t)k] = (unsigned char)(u >> (8 * k));
    }
    Status st = report_write_atomic(path, bytes, count * 4, err);
    free(bytes);
    return st;
}

static Status write_text(const char *dir, const char *name, const StrBuf *text,
                         Error *err)
{
    char path[TRAIN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    Status st = strbuf_status(text, name, err);
    return st == STATUS_OK ? report_write_atomic(path, text->data, text->len, err) : st;
}

/* confusion.csv and classes.csv in dir. */
static Status write_confusion(const char *dir, const CifarSet *set,
                              const unsigned char *pred, Error *err)
{
    Confusion cm;
    confusion_count(&cm, set->labels, pred, set->count);
    StrBuf a, b;
    strbuf_init(&a), strbuf_init(&b);
    confusion_csv(&a, &cm);
    confusion_classes_csv(&b, &cm);
    Status st = platform_mkdirs(dir, err);
    if (st == STATUS_OK)
        st = write_text(dir, "confusion.csv", &a, err);
    if (st == STATUS_OK)
        st = write_text(dir, "classes.csv", &b, err);
    strbuf_free(&a), strbuf_free(&b);
    return st;
}

static void print_eval(const UseOptions *o, const RunOptions *run,
                       const EvalResult *r)
{
    printf("model %s, norm %s, from %s; %zu images from %s\n", model_label(&run->model),
           model_norm_names[run->model.norm], o->dir, r->count,
           o->file ? o->file : o->data ? o->data : run->data_dir);
    printf("test loss %.4f  accuracy %.2f%%", r->loss,
           evaluate_percent(r->correct, r->count));
    if (r->flip)
        printf("  flip-averaged %.2f%%", evaluate_percent(r->correct_flip, r->count));
    printf("\n");
    if (r->flip)
        printf("test_acc_flip=%.2f\n", evaluate_percent(r->correct_flip, r->count));
    printf("test_acc=%.2f test_loss=%.6f images=%zu\n",
           evaluate_percent(r->correct, r->count), r->loss, r->count);
}

/* The outputs asked for, after the evaluation succeeded. */
static Status eval_outputs(const UseOptions *o, const CifarSet *set,
                           const float *logits, const unsigned char *pred, Error *err)
{
    Status st = STATUS_OK;
    if (o->logits)
        st = write_logits(o->logits, logits, set->count, err);
    if (st == STATUS_OK && o->out)
        st = write_confusion(o->out, set, pred, err);
    return st;
}

static Status run_eval(const UseOptions *o, Model *m, const RunOptions *run,
                       Pool *pool, Error *err)
{
    CifarSet set = {0};
    Status st = load_images(o, run, &set, err);
    if (st != STATUS_OK)
        return st;
    float *logits = malloc((set.count ? set.count : 1) * CIFAR_CLASSES * sizeof(float));
    unsigned char *pred = malloc(set.count ? set.count : 1);
    EvalResult r;
    if (!logits || !pred)
        st = error_set(err, STATUS_NOMEM, "out of memory for the predictions");
    if (st == STATUS_OK)
        st = evaluate_set(m, pool, &set, o->tta, logits, pred, &r, err);
    if (st == STATUS_OK)
        st = eval_outputs(o, &set, logits, pred, err);
    if (st == STATUS_OK)
        print_eval(o, run, &r);
    free(logits), free(pred);
    cifar_free(&set);
    return st;
}

/* --- predict ------------------------------------------------------------------ */

/* Append the images of one file to set: a PPM, or CIFAR records (whose first byte,
 * a label 0-9, is never a PPM's 'P'). Records get their file's name with #index. */
static Status read_image_file(const char *path, CifarSet *set, Error *err)
{
    if (platform_is_dir(path))
        return error_set(err, STATUS_IO, "%s is a directory, not an image", path);
    unsigned char *bytes;
    size_t len;
    Status st = readfile_whole_max(path, PPM_MAX_BYTES, &bytes, &len, err);
    if (st != STATUS_OK)
        return st;
    if (len > 0 && bytes[0] == 'P') {
        unsigned char record[CIFAR_RECORD_BYTES] = {0};
        st = ppm_decode(bytes, len, path, record + 1, err);
        if (st == STATUS_OK)
            st = cifar_parse(set, record, sizeof record, path, 0, err);
    } else {
        st = cifar_parse(set, bytes, len, path, 0, err);
        if (st == STATUS_DATA && len % CIFAR_RECORD_BYTES != 0)
            st = error_set(err, STATUS_DATA, "%s is neither a PPM image (P6 or P3) nor "
                           "CIFAR records of %d bytes", path, CIFAR_RECORD_BYTES);
    }
    free(bytes);
    return st;
}

static void print_prediction(const UseOptions *o, const char *name, size_t record,
                             bool several, const float *probs)
{
    int order[CIFAR_CLASSES];
    for (int k = 0; k < CIFAR_CLASSES; k++)
        order[k] = k;
    for (int i = 1; i < CIFAR_CLASSES; i++)   /* insertion sort, most likely first */
        for (int j = i; j > 0 && probs[order[j]] > probs[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    printf("%s", name);
    if (several)
        printf("#%zu", record);
    if (o->csv) {
        printf(",%s", cifar_class_names[order[0]]);
        for (int k = 0; k < CIFAR_CLASSES; k++)
            printf(",%.6f", (double)probs[k]);
    } else {
        for (int k = 0; k < o->top; k++)
            printf("%s %s %.1f%%", k ? "," : ":", cifar_class_names[order[k]],
                   100.0 * (double)probs[order[k]]);
    }
    printf("\n");
}

/* Classify the images of set (those of one file) and print them. */
static Status answer_file(const UseOptions *o, Model *m, Pool *pool, const char *name,
                          const CifarSet *set, Error *err)
{
    float *logits = malloc(set->count * CIFAR_CLASSES * sizeof(float));
    if (!logits)
        return error_set(err, STATUS_NOMEM, "out of memory for %s", name);
    EvalResult r;
    Status st = evaluate_set(m, pool, set, false, logits, NULL, &r, err);
    for (size_t i = 0; st == STATUS_OK && i < set->count; i++) {
        float probs[CIFAR_CLASSES];
        evaluate_softmax(logits + i * CIFAR_CLASSES, probs);
        print_prediction(o, name, i, set->count > 1, probs);
    }
    free(logits);
    return st;
}

static Status run_predict(const UseOptions *o, Model *m, Pool *pool, Error *err)
{
    int failed = 0;
    if (o->csv) {
        printf("image,predicted");
        for (int k = 0; k < CIFAR_CLASSES; k++)
            printf(",%s", cifar_class_names[k]);
        printf("\n");
    }
    for (int i = 0; i < o->nimages; i++) {
        CifarSet set = {0};
        Error one;
        Status st = read_image_file(o->images[i], &set, &one);
        if (st == STATUS_OK)
            st = answer_file(o, m, pool, o->images[i], &set, &one);
        cifar_free(&set);
        fflush(stdout);
        if (st == STATUS_NOMEM)
            return error_set(err, st, "%s", one.msg);
        if (st != STATUS_OK) {
            fprintf(stderr, "cifar-train: %s\n", one.msg);
            failed++;
        }
    }
    if (failed)
        return error_set(err, STATUS_DATA, "%d of %d image files could not be read",
                         failed, o->nimages);
    return STATUS_OK;
}

/* --- export ------------------------------------------------------------------- */

static Status run_export(const UseOptions *o, const Model *m, const RunOptions *run,
                         Error *err)
{
    const ModelConfig *mc = &run->model;
    OnnxInfo info = {model_label(mc), model_norm_names[mc->norm], TRAIN_VERSION,
                     mc->text[0] ? mc->text : model_text(mc->name)};
    Status st = onnx_write(m, &info, o->onnx, err);
    if (st == STATUS_OK)
        printf("wrote %s: model %s, norm %s, input image [N,3,32,32] (pixels 0-255), "
               "output logits [N,10]\n", o->onnx, info.model, info.norm);
    return st;
}

Status use_main(const UseOptions *o, Pool *pool, Error *err)
{
    Model *m = malloc(sizeof *m);
    RunOptions run;
    if (!m)
        return error_set(err, STATUS_NOMEM, "out of memory for the model");
    Status st = train_load_model(o->dir, pool_threads(pool), m, &run, err);
    if (st != STATUS_OK) {
        free(m);
        return st;
    }
    if (o->action == USE_EVAL)
        st = run_eval(o, m, &run, pool, err);
    else if (o->action == USE_PREDICT)
        st = run_predict(o, m, pool, err);
    else
        st = run_export(o, m, &run, err);
    model_free(m);
    free(m);
    return st;
}
