/* compare.c - the compare subcommand: runs are loaded from their directories (or
 * from text, in tests), then formatted as a table and an SVG chart. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/readfile.h"
#include "cli/compare.h"
#include "report/plot.h"
#include "report/progress.h"
#include "report/report.h"

#define COMPARE_PATH_MAX 4200
#define COMPARE_PANEL_W 900
#define COMPARE_PANEL_H 440
#define COMPARE_LEGEND_ROW 18   /* as the plot's legend rows; grows the panel */
#define COMPARE_FIXED_H 100     /* panel height that is not legend */

Status compare_from_text(CompareRun *run, const char *name, const char *log_text,
                         const char *info_text, Error *err)
{
    memset(run, 0, sizeof *run);
    run->name = name;
    Status st = runlog_parse(&run->log, log_text, name, err);
    if (st != STATUS_OK || !info_text)
        return st;
    size_t len = strlen(info_text);
    run->info = malloc(len + 1);
    if (!run->info) {
        runlog_free(&run->log);
        return error_set(err, STATUS_NOMEM, "out of memory reading %s", name);
    }
    memcpy(run->info, info_text, len + 1);
    return STATUS_OK;
}

Status compare_load(CompareRun *run, const char *dir, Error *err)
{
    char path[COMPARE_PATH_MAX];
    unsigned char *text;
    size_t len;
    memset(run, 0, sizeof *run);
    run->name = dir;
    snprintf(path, sizeof path, "%s/log.csv", dir);
    Status st = readfile_whole(path, &text, &len, err);
    if (st == STATUS_OK)
        st = runlog_parse(&run->log, (const char *)text, path, err);
    free(text);
    if (st != STATUS_OK)
        return st;
    snprintf(path, sizeof path, "%s/run.txt", dir);
    Error ignored;
    /* Older runs have no run.txt: info stays NULL and the table says so. */
    if (readfile_whole(path, &text, &len, &ignored) == STATUS_OK)
        run->info = (char *)text;   /* NUL-terminated by readfile_whole */
    return STATUS_OK;
}

void compare_free(CompareRun *run)
{
    runlog_free(&run->log);
    free(run->info);
    run->info = NULL;
}

bool compare_finished(const CompareRun *run, int *planned)
{
    char v[32];
    *planned = run->info && runinfo_get(run->info, "epochs", v, sizeof v) ? atoi(v) : 0;
    return run->info && runinfo_get(run->info, "status", v, sizeof v) &&
           strcmp(v, "finished") == 0;
}

static void field(const CompareRun *r, const char *key, const char *fallback,
                  char *buf, size_t cap)
{
    if (!r->info || !runinfo_get(r->info, key, buf, cap) || buf[0] == '\0')
        snprintf(buf, cap, "%s", fallback[0] ? fallback : "-");
}

static void percent(char *buf, size_t cap, double v)
{
    if (isfinite(v))
        snprintf(buf, cap, "%.2f%%", v);
    else
        snprintf(buf, cap, "-");
}

/* One row of the table into out, with the run column width nw. */
static void table_row(StrBuf *out, const CompareRun *r, int nw)
{
    const RunLog *log = &r->log;
    char norm[16], model[16], params[32], epochs[32], fin[16], best[32], train[16],
         wall[32], secs[32];
    int planned;
    bool done = compare_finished(r, &planned);
    field(r, "norm", log->norm, norm, sizeof norm);
    field(r, "model", log->model, model, sizeof model);
    field(r, "parameters", "", params, sizeof params);
    if (done || !r->info)
        snprintf(epochs, sizeof epochs, "%d", log->n);
    else if (planned > 0)
        snprintf(epochs, sizeof epochs, "%d/%d *", log->n, planned);
    else
        snprintf(epochs, sizeof epochs, "%d *", log->n);
    const RunLogRow *last = log->n ? &log->rows[log->n - 1] : NULL;
    int b = runlog_best(log);
    percent(fin, sizeof fin, last ? last->test_acc : (double)NAN);
    percent(train, sizeof train, last ? last->train_acc : (double)NAN);
    percent(best, sizeof best, b >= 0 ? log->rows[b].test_acc : (double)NAN);
    if (b >= 0)
        snprintf(best + strlen(best), sizeof best - strlen(best), " (%g)",
                 log->rows[b].epoch);
    if (done && runinfo_get(r->info, "wall_seconds", secs, sizeof secs))
        progress_duration(wall, sizeof wall, atof(secs));
    else
        progress_duration(wall, sizeof wall, runlog_seconds(log));
    strbuf_printf(out, "%-*s  %-4s  %-5s  %8s  %-9s  %10s  %-15s  %11s  %s%s\n", nw,
                  r->name, norm, model, params, epochs, fin, best, train, wall,
                  done || !r->info ? "" : " *");
}

void compare_table(StrBuf *out, const CompareRun *runs, int n)
{
    int nw = 3, unfinished = 0, planned;
    for (int i = 0; i < n; i++) {
        int len = (int)strlen(runs[i].name);
        nw = len > nw ? len : nw;
        unfinished += runs[i].info && !compare_finished(&runs[i], &planned);
    }
    strbuf_printf(out, "%-*s  %-4s  %-5s  %8s  %-9s  %10s  %-15s  %11s  %s\n", nw,
                  "run", "norm", "model", "params", "epochs", "final test",
                  "best test (ep)", "final train", "wall time");
    for (int i = 0; i < n; i++)
        table_row(out, &runs[i], nw);
    if (unfinished)
        strbuf_printf(out, "* unfinished: still running, or stopped before its last "
                      "epoch (%d of %d runs)\n", unfinished, n);
    for (int i = 0; i < n; i++)
        if (!runs[i].info)
            strbuf_printf(out, "%s has no run.txt: whether it finished is unknown\n",
                          runs[i].name);
}

/* Legend label of a run: its name, and its progress when unfinished. */
static void run_label(char *buf, size_t cap, const CompareRun *r)
{
    int planned;
    if (!r->info || compare_finished(r, &planned))
        snprintf(buf, cap, "%s", r->name);
    else if (planned > 0)
        snprintf(buf, cap, "%s (%d/%d)", r->name, r->log.n, planned);
    else
        snprintf(buf, cap, "%s (unfinished)", r->name);
}

/* One series per run; x and y point into xy, labels into text (both sized by the
 * caller: 2 * rows doubles, n * 256 chars). */
static void make_series(PlotSeries *s, const CompareRun *runs, int n, double *xy,
                        char *text)
{
    for (int i = 0; i < n; i++) {
        const RunLog *log = &runs[i].log;
        double *x = xy, *y = xy + log->n;
        for (int k = 0; k < log->n; k++)
            x[k] = log->rows[k].epoch, y[k] = log->rows[k].test_acc;
        run_label(text + i * 256, 256, &runs[i]);
        s[i] = (PlotSeries){.label = text + i * 256, .x = x, .y = y, .n = log->n,
                            .colour = i, .dashed = i >= PLOT_COLOURS};
        xy += 2 * (size_t)log->n;
    }
}

void compare_svg(StrBuf *out, const CompareRun *runs, int n)
{
    size_t rows = 0;
    for (int i = 0; i < n; i++)
        rows += (size_t)runs[i].log.n;
    PlotSeries *s = malloc((size_t)(n ? n : 1) * sizeof *s);
    double *xy = malloc((2 * rows + 1) * sizeof *xy);
    char *text = malloc((size_t)(n ? n : 1) * 256);
    if (!s || !xy || !text) {
        out->failed = true;
    } else {
        make_series(s, runs, n, xy, text);
        PlotPanel p = {.title = "test accuracy per epoch", .xlabel = "epoch",
                       .ylabel = "test accuracy (%)", .series = s, .nseries = n,
                       .integer_x = true};
        int h = COMPARE_FIXED_H + n * COMPARE_LEGEND_ROW;
        plot_svg(out, "cifar-train compare", &p, 1, COMPARE_PANEL_W,
                 h > COMPARE_PANEL_H ? h : COMPARE_PANEL_H);
    }
    free(s), free(xy), free(text);
}

static Status report(const CompareRun *runs, int n, const char *svg_path, Error *err)
{
    StrBuf table, svg;
    strbuf_init(&table);
    strbuf_init(&svg);
    compare_table(&table, runs, n);
    compare_svg(&svg, runs, n);
    Status st = strbuf_status(&table, "the table", err);
    if (st == STATUS_OK)
        st = strbuf_status(&svg, svg_path, err);
    if (st == STATUS_OK)
        st = report_write_atomic(svg_path, svg.data, svg.len, err);
    if (st == STATUS_OK) {
        fputs(strbuf_text(&table), stdout);
        printf("chart: %s\n", svg_path);
    }
    strbuf_free(&table);
    strbuf_free(&svg);
    return st;
}

Status compare_main(const char *const *dirs, int n, const char *svg_path, Error *err)
{
    CompareRun *runs = calloc((size_t)(n ? n : 1), sizeof *runs);
    if (!runs)
        return error_set(err, STATUS_NOMEM, "out of memory for %d runs", n);
    Status st = STATUS_OK;
    int loaded = 0;
    for (; loaded < n && st == STATUS_OK; loaded++)
        st = compare_load(&runs[loaded], dirs[loaded], err);
    if (st == STATUS_OK)
        st = report(runs, n, svg_path, err);
    for (int i = 0; i < loaded; i++)
        compare_free(&runs[i]);
    free(runs);
    return st;
}
