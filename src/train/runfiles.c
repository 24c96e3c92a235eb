/* runfiles.c - run.txt, summary.txt, curves.svg, confusion.csv, classes.csv,
 * confusion.png and misclassified.png (and .ppm) for a training run, and the summary printed at its end. Every
 * file is built in a StrBuf or Canvas and written atomically by report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/platform.h"
#include "base/readfile.h"
#include "report/confusion.h"
#include "report/grid.h"
#include "report/plot.h"
#include "report/png.h"
#include "report/report.h"
#include "report/summary.h"
#include "train/runfiles.h"

#define RUNFILES_PATH_MAX (RUNOPTS_PATH_MAX + 32)
#define CURVES_PANEL_W 520
#define CURVES_PANEL_H 380

static const char *on_off(bool b)
{
    return b ? "on" : "off";
}

static Status write_buf(const RunFiles *rf, const char *name, const StrBuf *b,
                        Error *err)
{
    char path[RUNFILES_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", rf->out_dir, name);
    Status st = strbuf_status(b, path, err);
    if (st == STATUS_OK)
        st = report_write_atomic(path, b->data, b->len, err);
    return st;
}

/* An option's value in run.txt, by its kind (runopts.h). */
#define SHOW_INT(o, v, arg) strbuf_printf(o, "%d", v)
#define SHOW_SIZE(o, v, arg) strbuf_printf(o, "%zu", v)
#define SHOW_REAL(o, v, arg) strbuf_printf(o, "%g", v)
#define SHOW_FLOAT(o, v, arg) strbuf_printf(o, "%g", (double)(v))
#define SHOW_U64(o, v, arg) strbuf_printf(o, "%llu", (unsigned long long)(v))
#define SHOW_PATH(o, v, arg) strbuf_printf(o, "%s", v)
/* a built-in's name or the network file's path (rf is in scope where it is used) */
#define SHOW_MODEL(o, v, arg) strbuf_printf(o, "%s", model_label(&rf->opts->model))
#define SHOW_ON(o, v, arg) strbuf_printf(o, "%s", on_off(v))
#define SHOW_OFF SHOW_ON
#define SHOW_ONOFF SHOW_ON
#define SHOW_CHOICE(o, v, arg) show_choice(o, arg, (int)(v))

/* Every KEEP, FREE and TRAIN option as "name: value", in RUNOPTS_LIST's order. */
#define LINE(where, kind, field, name, arg, lo, hi, def, help)                        \
    LINE_##where(strbuf_printf(o, "%s: ", name), SHOW_##kind(o, FROM_##where(field), arg))
#define FROM_KEEP(field) rf->opts->field
#define FROM_FREE FROM_KEEP
#define FROM_TRAIN(field) rf->field
#define LINE_KEEP(label, value)                                                       \
    {                                                                                 \
        label;                                                                        \
        value;                                                                        \
        strbuf_printf(o, "\n");                                                       \
    }
#define LINE_FREE LINE_KEEP
#define LINE_TRAIN LINE_KEEP
#define LINE_CLI(label, value)
#define LINE_ACT(label, value)

static void show_choice(StrBuf *o, const char *arg, int i)
{
    size_t len;
    const char *word = runopts_choice(arg, i, &len);
    strbuf_printf(o, "%.*s", word ? (int)len : 1, word ? word : "?");
}

/* Every option under its command-line name, so a run can be repeated from it. */
static void options_text(StrBuf *o, const RunFiles *rf)
{
    RUNOPTS_LIST(LINE)
}

static void results_text(StrBuf *o, const RunLog *log, double wall)
{
    int best = runlog_best(log);
    const RunLogRow *last = log->n ? &log->rows[log->n - 1] : NULL;
    strbuf_printf(o, "status: finished\nepochs_done: %d\nwall_seconds: %.1f\n"
                  "train_seconds: %.1f\n", log->n, wall, runlog_seconds(log));
    if (!last)
        return;
    strbuf_printf(o, "final_test_acc: %.2f\nfinal_train_acc: %.2f\n"
                  "final_test_loss: %.6f\nbest_test_acc: %.2f\nbest_epoch: %g\n",
                  last->test_acc, last->train_acc, last->test_loss,
                  log->rows[best].test_acc, log->rows[best].epoch);
    if (!isnan(last->test_acc_flip))
        strbuf_printf(o, "final_test_acc_flip: %.2f\n", last->test_acc_flip);
}

static void info_head(StrBuf *out, const RunFiles *rf)
{
    strbuf_printf(out, "# cifar-train run: every option by its command-line name, "
                  "then the results\nversion: %s\nrun_id: %016llx\nstart: %s\n"
                  "threads: %d\nparameters: %zu\nmacs_per_image: %.0f\n"
                  "train_images: %zu\ntest_images: %zu\n", rf->version,
                  (unsigned long long)rf->run_id, rf->start_time, rf->threads,
                  rf->model->nparams, model_macs(rf->model), rf->train_count,
                  rf->test_count);
    options_text(out, rf);
}

void runfiles_info(StrBuf *out, const RunFiles *rf, const RunLog *log, double wall)
{
    if (!log) {
        runfiles_info_status(out, rf, "running");
        return;
    }
    info_head(out, rf);
    results_text(out, log, wall);
}

void runfiles_info_status(StrBuf *out, const RunFiles *rf, const char *status)
{
    info_head(out, rf);
    strbuf_printf(out, "status: %s\n", status);
}

Status runfiles_stopped(const RunFiles *rf, const char *status, Error *err)
{
    StrBuf b;
    strbuf_init(&b);
    runfiles_info_status(&b, rf, status);
    Status st = write_buf(rf, "run.txt", &b, err);
    strbuf_free(&b);
    return st;
}

void runfiles_now(char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm *utc = now == (time_t)-1 ? NULL : gmtime(&now);
    if (!utc || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", utc) == 0)
        snprintf(buf, cap, "unknown");
}

static Status write_summary(const RunFiles *rf, Error *err)
{
    StrBuf b;
    char title[96];
    strbuf_init(&b);
    summary_title(title, sizeof title, &rf->opts->model);
    summary_text(&b, rf->model, title);
    Status st = write_buf(rf, "summary.txt", &b, err);
    strbuf_free(&b);
    return st;
}

Status runfiles_start(RunFiles *rf, Error *err)
{
    rf->t0 = platform_seconds();
    runfiles_now(rf->start_time, sizeof rf->start_time);
    StrBuf b;
    strbuf_init(&b);
    runfiles_info(&b, rf, NULL, 0.0);
    Status st = write_buf(rf, "run.txt", &b, err);
    strbuf_free(&b);
    if (st == STATUS_OK)
        st = write_summary(rf, err);
    return st;
}

/* The log's columns as arrays of n each, in this order after the epoch. */
enum { CURVE_TRAIN_LOSS, CURVE_TRAIN_CE, CURVE_TEST_LOSS, CURVE_TRAIN_ACC,
       CURVE_TEST_ACC, CURVE_TEST_FLIP, CURVE_LR, CURVE_COUNT };

/* v[0..n) the epochs, then CURVE_COUNT columns of n each; calloc'd. */
static double *log_columns(const RunLog *log)
{
    size_t n = (size_t)log->n;
    double *v = calloc((CURVE_COUNT + 1) * n + 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        const RunLogRow *r = &log->rows[i];
        double col[CURVE_COUNT] = {r->train_loss, r->train_ce, r->test_loss,
                                   r->train_acc, r->test_acc, r->test_acc_flip, r->lr};
        v[i] = r->epoch;
        for (size_t c = 0; c < CURVE_COUNT; c++)
            v[(c + 1) * n + i] = col[c];
    }
    return v;
}

/* Adds the series of column c to s[*k] when the log has a value in it: older logs
 * have no train_ce, and the flip accuracy is measured after the last epoch only
 * unless --tta. */
static void add_series(PlotSeries *s, int *k, const double *v, int n, int c,
                       const char *label, int colour)
{
    const double *y = v + (size_t)(c + 1) * (size_t)n;
    for (int i = 0; i < n; i++)
        if (isfinite(y[i])) {
            s[(*k)++] = (PlotSeries){.label = label, .x = v, .y = y, .n = n,
                                     .colour = colour};
            return;
        }
}

void runfiles_curves(StrBuf *out, const RunLog *log, const char *title)
{
    double *v = log_columns(log);
    if (!v) {
        out->failed = true;
        return;
    }
    int n = log->n, nloss = 0, nacc = 0, nlr = 0;
    PlotSeries loss[3], acc[3], lr[1];
    add_series(loss, &nloss, v, n, CURVE_TRAIN_LOSS, "train objective (smoothed)", 0);
    add_series(loss, &nloss, v, n, CURVE_TRAIN_CE, "train cross-entropy", 2);
    add_series(loss, &nloss, v, n, CURVE_TEST_LOSS, "test cross-entropy", 1);
    add_series(acc, &nacc, v, n, CURVE_TRAIN_ACC, "train", 0);
    add_series(acc, &nacc, v, n, CURVE_TEST_ACC, "test", 1);
    add_series(acc, &nacc, v, n, CURVE_TEST_FLIP, "test, flip-averaged", 3);
    add_series(lr, &nlr, v, n, CURVE_LR, "lr at the epoch's end", 0);
    PlotPanel panels[3] = {
        {.title = "loss", .xlabel = "epoch", .ylabel = "loss", .series = loss,
         .nseries = nloss, .integer_x = true},
        {.title = "accuracy", .xlabel = "epoch", .ylabel = "accuracy (%)",
         .series = acc, .nseries = nacc, .integer_x = true},
        {.title = "learning rate", .xlabel = "epoch", .ylabel = "learning rate",
         .series = lr, .nseries = nlr, .integer_x = true},
    };
    plot_svg(out, title, panels, 3, CURVES_PANEL_W, CURVES_PANEL_H);
    free(v);
}

static Status read_log(const RunFiles *rf, RunLog *log, Error *err)
{
    char path[RUNFILES_PATH_MAX];
    unsigned char *text;
    size_t len;
    snprintf(path, sizeof path, "%s/log.csv", rf->out_dir);
    Status st = readfile_whole(path, &text, &len, err);
    if (st != STATUS_OK)
        return st;
    st = runlog_parse(log, (const char *)text, path, err);
    free(text);
    return st;
}

static Status write_curves(const RunFiles *rf, const RunLog *log, Error *err)
{
    const RunOptions *o = rf->opts;
    char title[RUNOPTS_PATH_MAX + 128];
    snprintf(title, sizeof title, "%s: model %s, norm %s, lr %g, seed %llu",
             rf->out_dir, model_label(&o->model), model_norm_names[o->model.norm], o->lr,
             (unsigned long long)o->seed);
    StrBuf b;
    strbuf_init(&b);
    runfiles_curves(&b, log, title);
    Status st = write_buf(rf, "curves.svg", &b, err);
    strbuf_free(&b);
    return st;
}

Status runfiles_epoch(const RunFiles *rf, Error *err)
{
    RunLog log;
    Status st = read_log(rf, &log, err);
    if (st != STATUS_OK)
        return st;
    st = write_curves(rf, &log, err);
    runlog_free(&log);
    return st;
}

/* The canvas as name.png and, with ppm, as name.ppm too. */
static Status write_canvas(const RunFiles *rf, const Canvas *c, const char *name,
                           bool ppm, Error *err)
{
    size_t png_len = png_encode(NULL, c->w, c->h, c->rgb);
    size_t ppm_len = ppm_encode(NULL, c->w, c->h, c->rgb);
    unsigned char *bytes = malloc(png_len > ppm_len ? png_len : ppm_len);
    char path[RUNFILES_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.png", rf->out_dir, name);
    if (!bytes)
        return error_set(err, STATUS_NOMEM, "out of memory for %s", path);
    Status st = report_write_atomic(path, bytes,
                                    png_encode(bytes, c->w, c->h, c->rgb), err);
    snprintf(path, sizeof path, "%s/%s.ppm", rf->out_dir, name);
    if (st == STATUS_OK && ppm)
        st = report_write_atomic(path, bytes, ppm_encode(bytes, c->w, c->h, c->rgb),
                                 err);
    free(bytes);
    return st;
}

static Status write_confusion(const RunFiles *rf, const CifarSet *test,
                              const unsigned char *pred, Error *err)
{
    Confusion cm;
    confusion_count(&cm, test->labels, pred, test->count);
    StrBuf b;
    strbuf_init(&b);
    confusion_csv(&b, &cm);
    Status st = write_buf(rf, "confusion.csv", &b, err);
    strbuf_free(&b);
    strbuf_init(&b);
    confusion_classes_csv(&b, &cm);
    if (st == STATUS_OK)
        st = write_buf(rf, "classes.csv", &b, err);
    strbuf_free(&b);
    Canvas c;
    if (st == STATUS_OK && (st = confusion_draw(&c, &cm, err)) == STATUS_OK) {
        st = write_canvas(rf, &c, "confusion", false, err);
        canvas_free(&c);
    }
    return st;
}

static Status write_grid(const RunFiles *rf, const CifarSet *test,
                         const unsigned char *pred, const float *conf, Error *err)
{
    Canvas c;
    Status st = grid_misclassified(&c, test->pixels, test->labels, pred, conf,
                                   test->count, err);
    if (st != STATUS_OK)
        return st;
    st = write_canvas(rf, &c, "misclassified", true, err);
    canvas_free(&c);
    return st;
}

static void print_summary(const RunFiles *rf, const RunLog *log, double wall)
{
    int best = runlog_best(log);
    if (best < 0)
        return;
    const RunLogRow *last = &log->rows[log->n - 1];
    printf("done: test accuracy %.2f%% (best %.2f%% at epoch %g), train accuracy "
           "%.2f%%; ", last->test_acc, log->rows[best].test_acc,
           log->rows[best].epoch, last->train_acc);
    /* The time is this process's: a resumed run says which epochs it took. */
    int first = rf->first_epoch > 1 ? rf->first_epoch : 1;
    if (first > log->n)
        printf("its end written again");
    else if (first == 1)
        printf("%d epoch%s", log->n, log->n == 1 ? "" : "s");
    else if (first == log->n)
        printf("epoch %d of %d", first, log->n);
    else
        printf("epochs %d-%d of %d", first, log->n, log->n);
    printf(" in %.1f s\n", wall);
    if (!isnan(last->test_acc_flip))
        printf("with flip averaging at test time: %.2f%%\n", last->test_acc_flip);
    printf("files in %s: log.csv curves.svg confusion.csv confusion.png classes.csv "
           "misclassified.png misclassified.ppm misclassified/ run.txt summary.txt\n",
           rf->out_dir);
    fflush(stdout);
}

Status runfiles_finish(const RunFiles *rf, const CifarSet *test,
                       const unsigned char *pred, const float *conf, Error *err)
{
    double wall = platform_seconds() - rf->t0;
    RunLog log;
    Status st = read_log(rf, &log, err);
    if (st != STATUS_OK)
        return st;
    st = write_curves(rf, &log, err);
    if (st == STATUS_OK)
        st = write_confusion(rf, test, pred, err);
    if (st == STATUS_OK)
        st = write_grid(rf, test, pred, conf, err);
    StrBuf b;
    strbuf_init(&b);
    runfiles_info(&b, rf, &log, wall);
    if (st == STATUS_OK)
        st = write_buf(rf, "run.txt", &b, err);
    strbuf_free(&b);
    if (st == STATUS_OK && !rf->quiet)
        print_summary(rf, &log, wall);
    runlog_free(&log);
    return st;
}
