/* compare.c - the compare subcommand: arguments are expanded into run directories,
 * the runs loaded (or built from text, in tests), grouped by everything but their
 * seed, then formatted as a table, a CSV and an SVG chart, which are written only
 * where they replace no input and no file of someone else's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/platform.h"
#include "base/readfile.h"
#include "cli/compare.h"
#include "report/plot.h"
#include "report/progress.h"
#include "report/report.h"

#define COMPARE_PATH_MAX 4200
#define COMPARE_PANEL_W 760
#define COMPARE_PANEL_H 440
#define COMPARE_LEGEND_ROW 18   /* as the plot's legend rows; grows the panel */
#define COMPARE_FIXED_H 100     /* panel height that is not legend */
#define COMPARE_LABEL 128       /* a legend or group label */
#define COMPARE_OWN_MAX (64u << 20)  /* larger files are not ours */
#define COMPARE_USAGE "usage: cifar-train compare DIR... [--svg FILE] [--csv FILE] " \
                      "[--force]"

/* run.txt keys that make runs different experiments; seed is left out on purpose,
 * and so are where a run ran (out, data, threads, conv: conv paths agree bit for
 * bit) and its results. */
static const char *const group_keys[] = {
    "norm", "model", "groups", "epochs", "batch", "lr", "momentum", "wd", "nesterov",
    "schedule", "smoothing", "dropout", "crop", "flip", "cutout", "tta", "limit-train",
    "limit-test",
};
#define NGROUP_KEYS (sizeof group_keys / sizeof group_keys[0])

/* ---- options ---------------------------------------------------------------- */

/* The value of --name V or --name=V at args[*i] into *value; false if args[*i] is
 * not that option. */
static bool option_value(const char *const *args, int n, int *i, const char *name,
                         const char **value)
{
    size_t len = strlen(name);
    const char *a = args[*i];
    if (strcmp(a, name) == 0 && *i + 1 < n) {
        *value = args[++*i];
        return true;
    }
    if (strncmp(a, name, len) == 0 && a[len] == '=' && a[len + 1] != '\0') {
        *value = a + len + 1;
        return true;
    }
    return false;
}

Status compare_parse(CompareOptions *opt, const char *const *args, int n,
                     const char **dirs, int *ndirs, Error *err)
{
    memset(opt, 0, sizeof *opt);
    *ndirs = 0;
    for (int i = 0; i < n; i++) {
        const char *a = args[i];
        if (strcmp(a, "--help") == 0)
            opt->help = true;
        else if (strcmp(a, "--force") == 0)
            opt->force = true;
        else if (option_value(args, n, &i, "--svg", &opt->svg) ||
                 option_value(args, n, &i, "--csv", &opt->csv))
            continue;
        else if (strncmp(a, "--", 2) == 0)
            return error_set(err, STATUS_USAGE, "compare: unknown option or missing "
                             "value '%s' (" COMPARE_USAGE ")", a);
        else if (dirs)
            dirs[(*ndirs)++] = a;
        else
            (*ndirs)++;
    }
    if (*ndirs == 0 && !opt->help)
        return error_set(err, STATUS_USAGE, "compare needs at least one run directory "
                         "(" COMPARE_USAGE ")");
    return STATUS_OK;
}

/* ---- loading ---------------------------------------------------------------- */

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

/* ---- groups ----------------------------------------------------------------- */

/* True if a and b have run.txt and agree on every group key. */
static bool same_group(const CompareRun *a, const CompareRun *b)
{
    if (!a->info || !b->info)
        return false;
    for (size_t k = 0; k < NGROUP_KEYS; k++) {
        char va[COMPARE_LABEL] = "", vb[COMPARE_LABEL] = "";
        runinfo_get(a->info, group_keys[k], va, sizeof va);
        runinfo_get(b->info, group_keys[k], vb, sizeof vb);
        if (strcmp(va, vb) != 0)
            return false;
    }
    return true;
}

int compare_group(const CompareRun *runs, int n, int *group)
{
    int ngroups = 0;
    for (int i = 0; i < n; i++) {
        group[i] = -1;
        for (int j = 0; j < i && group[i] < 0; j++)
            if (same_group(&runs[i], &runs[j]))
                group[i] = group[j];
        if (group[i] < 0)
            group[i] = ngroups++;
    }
    return ngroups;
}

static int group_size(const int *group, int n, int g)
{
    int count = 0;
    for (int i = 0; i < n; i++)
        count += group[i] == g;
    return count;
}

/* True if some two runs with run.txt disagree on key. */
static bool key_varies(const CompareRun *runs, int n, const char *key)
{
    char first[COMPARE_LABEL] = "", v[COMPARE_LABEL];
    bool seen = false;
    for (int i = 0; i < n; i++) {
        if (!runs[i].info)
            continue;
        v[0] = '\0';
        runinfo_get(runs[i].info, key, v, sizeof v);
        if (seen && strcmp(v, first) != 0)
            return true;
        if (!seen)
            snprintf(first, sizeof first, "%s", v);
        seen = true;
    }
    return false;
}

/* A group's label from its first run r: norm, model and lr, then every other key
 * on which the runs differ ("bn s8 lr 0.1 wd 0.001"). */
static void group_label(char *buf, size_t cap, const CompareRun *r,
                        const CompareRun *runs, int n)
{
    char v[COMPARE_LABEL];
    buf[0] = '\0';
    for (size_t k = 0; k < NGROUP_KEYS; k++) {
        const char *key = group_keys[k];
        bool always = strcmp(key, "norm") == 0 || strcmp(key, "model") == 0 ||
                      strcmp(key, "lr") == 0;
        if (!runinfo_get(r->info, key, v, sizeof v) ||
            (!always && !key_varies(runs, n, key)))
            continue;
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "%s%s%s%s", len ? " " : "",
                 strcmp(key, "norm") && strcmp(key, "model") ? key : "",
                 strcmp(key, "norm") && strcmp(key, "model") ? " " : "", v);
    }
}

/* ---- facts of a run, shared by the table and the CSV ------------------------- */

typedef struct {
    char norm[16], model[16], seed[24], lr[24], params[32];
    int epochs, planned;
    bool done;
    double final_test, best_test, best_epoch, flip, final_train, test_loss, wall;
} RunFacts;

static void field(const CompareRun *r, const char *key, const char *fallback,
                  char *buf, size_t cap)
{
    if (!r->info || !runinfo_get(r->info, key, buf, cap))
        buf[0] = '\0';
    if (buf[0] == '\0')
        snprintf(buf, cap, "%s", fallback);
}

static void run_facts(const CompareRun *r, RunFacts *f)
{
    const RunLog *log = &r->log;
    char secs[32];
    field(r, "norm", log->norm, f->norm, sizeof f->norm);
    field(r, "model", log->model, f->model, sizeof f->model);
    field(r, "seed", "", f->seed, sizeof f->seed);
    field(r, "lr", "", f->lr, sizeof f->lr);
    field(r, "parameters", "", f->params, sizeof f->params);
    f->epochs = log->n;
    f->done = compare_finished(r, &f->planned);
    const RunLogRow *last = log->n ? &log->rows[log->n - 1] : NULL;
    int b = runlog_best(log);
    f->final_test = last ? last->test_acc : (double)NAN;
    f->final_train = last ? last->train_acc : (double)NAN;
    f->test_loss = last ? last->test_loss : (double)NAN;
    f->flip = last ? last->test_acc_flip : (double)NAN;
    f->best_test = b >= 0 ? log->rows[b].test_acc : (double)NAN;
    f->best_epoch = b >= 0 ? log->rows[b].epoch : (double)NAN;
    f->wall = f->done && runinfo_get(r->info, "wall_seconds", secs, sizeof secs)
                  ? atof(secs) : runlog_seconds(log);
}

/* ---- the text table --------------------------------------------------------- */

/* digits with a comma every three from the right ("49648" -> "49,648"); anything
 * that is not all digits is copied as it is. */
static void thousands(char *buf, size_t cap, const char *digits)
{
    size_t n = strlen(digits), at = 0;
    if (n == 0 || strspn(digits, "0123456789") != n) {
        snprintf(buf, cap, "%s", n ? digits : "-");
        return;
    }
    for (size_t i = 0; i < n && at + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[at++] = ',';
        buf[at++] = digits[i];
    }
    buf[at] = '\0';
}

static void percent(char *buf, size_t cap, double v)
{
    if (isfinite(v))
        snprintf(buf, cap, "%.2f%%", v);
    else
        snprintf(buf, cap, "-");
}

static const char *dash_if_empty(const char *s)
{
    return s[0] ? s : "-";
}

#define ROW_FORMAT "%-*s  %-4s  %-5s  %5s  %6s  %8s  %-9s  %10s  %-15s  %8s  %11s  %s%s\n"

/* One row of the table into out, with the run column width nw. */
static void table_row(StrBuf *out, const CompareRun *r, int nw)
{
    RunFacts f;
    char params[40], epochs[32], fin[16], best[40], flip[16], train[16], wall[32];
    run_facts(r, &f);
    thousands(params, sizeof params, f.params);
    if (f.done || !r->info)
        snprintf(epochs, sizeof epochs, "%d", f.epochs);
    else if (f.planned > 0)
        snprintf(epochs, sizeof epochs, "%d/%d *", f.epochs, f.planned);
    else
        snprintf(epochs, sizeof epochs, "%d *", f.epochs);
    percent(fin, sizeof fin, f.final_test);
    percent(train, sizeof train, f.final_train);
    percent(flip, sizeof flip, f.flip);
    percent(best, sizeof best, f.best_test);
    if (isfinite(f.best_epoch))
        snprintf(best + strlen(best), sizeof best - strlen(best), " (%g)", f.best_epoch);
    progress_duration(wall, sizeof wall, f.wall);
    strbuf_printf(out, ROW_FORMAT, nw, r->name, dash_if_empty(f.norm),
                  dash_if_empty(f.model), dash_if_empty(f.seed), dash_if_empty(f.lr),
                  params, epochs, fin, best, flip, train, wall,
                  f.done || !r->info ? "" : " *");
}

/* mean and sample standard deviation (n - 1) of the finite values[n]; std is NaN
 * with fewer than two, mean with none. */
static void mean_std(const double *values, int n, double *mean, double *std)
{
    double sum = 0.0, sq = 0.0;
    int count = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(values[i]))
            sum += values[i], count++;
    *mean = count ? sum / count : (double)NAN;
    for (int i = 0; i < n; i++)
        if (isfinite(values[i]))
            sq += (values[i] - *mean) * (values[i] - *mean);
    *std = count > 1 ? sqrt(sq / (count - 1)) : (double)NAN;
}

static void mean_pm_std(char *buf, size_t cap, const double *values, int n)
{
    double mean, std;
    mean_std(values, n, &mean, &std);
    if (!isfinite(mean))
        snprintf(buf, cap, "-");
    else if (!isfinite(std))
        snprintf(buf, cap, "%.2f%%", mean);
    else
        snprintf(buf, cap, "%.2f +- %.2f%%", mean, std);
}

/* The finite final test, best test and flip accuracies of group g's runs into
 * v[0..2][n] (NaN for other runs), for mean_std. */
static void group_values(double *v, const CompareRun *runs, int n, const int *group,
                         int g)
{
    for (int i = 0; i < n; i++) {
        RunFacts f;
        run_facts(&runs[i], &f);
        bool in = group[i] == g;
        v[i] = in ? f.final_test : (double)NAN;
        v[n + i] = in ? f.best_test : (double)NAN;
        v[2 * n + i] = in ? f.flip : (double)NAN;
    }
}

/* The seeds of group g, comma-separated. */
static void group_seeds(char *buf, size_t cap, const CompareRun *runs, int n,
                        const int *group, int g)
{
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        char seed[24];
        if (group[i] != g)
            continue;
        field(&runs[i], "seed", "?", seed, sizeof seed);
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "%s%s", len ? "," : "", seed);
    }
}

/* Labels of every group (COMPARE_LABEL chars each); a label that repeats an earlier
 * one gets " #k", its group's number from 1. */
static void group_labels(char *labels, const CompareRun *runs, int n,
                         const int *group, int ngroups)
{
    for (int g = 0; g < ngroups; g++) {
        char *l = labels + (size_t)g * COMPARE_LABEL;
        int first = 0;
        while (group[first] != g)
            first++;
        if (runs[first].info)
            group_label(l, COMPARE_LABEL, &runs[first], runs, n);
        else
            snprintf(l, COMPARE_LABEL, "%s", runs[first].name);
        for (int h = 0; h < g; h++)
            if (strcmp(l, labels + (size_t)h * COMPARE_LABEL) == 0) {
                size_t len = strlen(l);
                snprintf(l + len, COMPARE_LABEL - len, " #%d", g + 1);
                break;
            }
    }
}

/* The groups of two or more runs: one line each, mean +- std over its runs. */
static void group_table(StrBuf *out, const CompareRun *runs, int n, const int *group,
                        int ngroups, const char *labels, double *scratch)
{
    int lw = 5, shown = 0;
    for (int g = 0; g < ngroups; g++)
        if (group_size(group, n, g) > 1) {
            int len = (int)strlen(labels + (size_t)g * COMPARE_LABEL);
            lw = len > lw ? len : lw;
            shown++;
        }
    if (!shown)
        return;
    strbuf_printf(out, "\nruns that differ only in seed: mean +- sample std over "
                  "the seeds\n%-*s  %4s  %-10s  %-16s  %-16s  %s\n", lw, "group", "runs",
                  "seeds", "final test", "best test", "final flip");
    for (int g = 0; g < ngroups; g++) {
        if (group_size(group, n, g) < 2)
            continue;
        char seeds[64], fin[40], best[40], flip[40];
        group_values(scratch, runs, n, group, g);
        group_seeds(seeds, sizeof seeds, runs, n, group, g);
        mean_pm_std(fin, sizeof fin, scratch, n);
        mean_pm_std(best, sizeof best, scratch + n, n);
        mean_pm_std(flip, sizeof flip, scratch + 2 * n, n);
        strbuf_printf(out, "%-*s  %4d  %-10s  %-16s  %-16s  %s\n", lw,
                      labels + (size_t)g * COMPARE_LABEL, group_size(group, n, g),
                      seeds, fin, best, flip);
    }
}

/* Grouping with its labels, in one allocation: group[n], then labels. */
typedef struct {
    int *group;
    char *labels;
    int ngroups;
} Groups;

static bool groups_make(Groups *gs, const CompareRun *runs, int n)
{
    size_t count = (size_t)(n ? n : 1);
    gs->group = malloc(count * (sizeof *gs->group + COMPARE_LABEL));
    if (!gs->group)
        return false;
    gs->labels = (char *)(gs->group + count);
    gs->ngroups = compare_group(runs, n, gs->group);
    group_labels(gs->labels, runs, n, gs->group, gs->ngroups);
    return true;
}

static const char *groups_label(const Groups *gs, int g)
{
    return gs->labels + (size_t)g * COMPARE_LABEL;
}

void compare_table(StrBuf *out, const CompareRun *runs, int n)
{
    int nw = 3, unfinished = 0, planned;
    for (int i = 0; i < n; i++) {
        int len = (int)strlen(runs[i].name);
        nw = len > nw ? len : nw;
        unfinished += runs[i].info && !compare_finished(&runs[i], &planned);
    }
    strbuf_printf(out, ROW_FORMAT, nw, "run", "norm", "model", "seed", "lr", "params",
                  "epochs", "final test", "best test (ep)", "flip", "final train",
                  "wall time", "");
    for (int i = 0; i < n; i++)
        table_row(out, &runs[i], nw);
    if (unfinished)
        strbuf_printf(out, "* unfinished: still running, or stopped before its last "
                      "epoch (%d of %d runs)\n", unfinished, n);
    for (int i = 0; i < n; i++)
        if (!runs[i].info)
            strbuf_printf(out, "%s has no run.txt: whether it finished is unknown\n",
                          runs[i].name);
    Groups gs;
    double *scratch = malloc(3 * (size_t)(n ? n : 1) * sizeof *scratch);
    if (scratch && groups_make(&gs, runs, n)) {
        group_table(out, runs, n, gs.group, gs.ngroups, gs.labels, scratch);
        free(gs.group);
    } else {
        out->failed = true;
    }
    free(scratch);
}

/* ---- CSV -------------------------------------------------------------------- */

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_text(StrBuf *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        strbuf_printf(out, "%s,", s);
        return;
    }
    strbuf_append(out, "\"", 1);
    for (; *s; s++)
        strbuf_append(out, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    strbuf_append(out, "\",", 2);
}

/* v with decimals digits (%g when decimals < 0), or nothing when not finite. */
static void csv_number(StrBuf *out, double v, int decimals, bool last)
{
    if (isfinite(v) && decimals >= 0)
        strbuf_printf(out, "%.*f", decimals, v);
    else if (isfinite(v))
        strbuf_printf(out, "%g", v);
    strbuf_printf(out, last ? "\n" : ",");
}

static void csv_row(StrBuf *out, const CompareRun *r, const char *group)
{
    RunFacts f;
    run_facts(r, &f);
    csv_text(out, r->name);
    csv_text(out, group);
    csv_text(out, f.norm);
    csv_text(out, f.model);
    csv_text(out, f.seed);
    csv_text(out, f.lr);
    csv_text(out, f.params);
    strbuf_printf(out, "%d,", f.epochs);
    if (f.planned > 0)
        strbuf_printf(out, "%d", f.planned);
    strbuf_printf(out, ",%s,", !r->info ? "" : f.done ? "yes" : "no");
    csv_number(out, f.final_test, 2, false);
    csv_number(out, f.best_test, 2, false);
    csv_number(out, f.best_epoch, -1, false);
    csv_number(out, f.flip, 2, false);
    csv_number(out, f.final_train, 2, false);
    csv_number(out, f.test_loss, 6, false);
    csv_number(out, f.wall, 1, true);
}

void compare_csv(StrBuf *out, const CompareRun *runs, int n)
{
    Groups gs;
    if (!groups_make(&gs, runs, n)) {
        out->failed = true;
        return;
    }
    strbuf_printf(out, "%s\n", COMPARE_CSV_HEADER);
    for (int i = 0; i < n; i++)
        csv_row(out, &runs[i], group_size(gs.group, n, gs.group[i]) > 1
                                   ? groups_label(&gs, gs.group[i]) : "");
    free(gs.group);
}

/* ---- the chart -------------------------------------------------------------- */

/* Colour of each run's norm: bn, ln, gn always the first three, other norms after
 * them in order of first appearance. */
static void norm_colours(const CompareRun *runs, int n, int *colour)
{
    static const char *const fixed[] = {"bn", "ln", "gn"};
    int next = 3;
    for (int i = 0; i < n; i++) {
        RunFacts f, g;
        run_facts(&runs[i], &f);
        colour[i] = -1;
        for (int k = 0; k < 3; k++)
            if (strcmp(f.norm, fixed[k]) == 0)
                colour[i] = k;
        for (int j = 0; j < i && colour[i] < 0; j++) {
            run_facts(&runs[j], &g);
            if (strcmp(f.norm, g.norm) == 0)
                colour[i] = colour[j];
        }
        if (colour[i] < 0)
            colour[i] = next++;
    }
}

/* Seeds as numbers when they are digits: shorter first, then by text. */
static int seed_order(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return la != lb ? (la < lb ? -1 : 1) : strcmp(a, b);
}

/* Marker of each run: 1 + the rank of its seed among the distinct seeds of all
 * runs; 0 (plain dots) when it has none. seeds: scratch of n * 24 chars. */
static void seed_markers(const CompareRun *runs, int n, int *marker, char *seeds)
{
    for (int i = 0; i < n; i++)
        field(&runs[i], "seed", "", seeds + 24 * i, 24);
    for (int i = 0; i < n; i++) {
        const char *mine = seeds + 24 * i;
        marker[i] = mine[0] ? 1 : 0;
        for (int j = 0; j < n && mine[0]; j++) {
            const char *other = seeds + 24 * j;
            bool first = true;   /* count each distinct seed once */
            for (int k = 0; k < j && first; k++)
                first = strcmp(seeds + 24 * k, other) != 0;
            marker[i] += first && other[0] && seed_order(other, mine) < 0;
        }
    }
}

/* Dash of group g: how many earlier groups share its colour (0 is solid). */
static int group_dash(const Groups *gs, const int *colour, int g)
{
    int first = 0, dash = 0;
    while (gs->group[first] != g)
        first++;
    for (int h = 0; h < g; h++) {
        int j = 0;
        while (gs->group[j] != h)
            j++;
        dash += colour[j] == colour[first];
    }
    return dash;
}

/* Everything the chart points into: series and bands of both panels, their
 * numbers and labels. */
typedef struct {
    PlotSeries *acc, *loss;     /* [nseries] */
    PlotBand *acc_band, *loss_band;
    double *values;             /* next free double */
    char *labels;               /* next free label */
    const int *colour, *marker; /* of each run */
    int nseries, nbands;
} Chart;

/* The series of run i (a thin line when its group has a mean drawn). */
static void run_series(Chart *c, const CompareRun *runs, int i, int dash, bool thin)
{
    const RunLog *log = &runs[i].log;
    double *x = c->values, *acc = x + log->n, *loss = acc + log->n;
    c->values += 3 * (size_t)log->n;
    for (int k = 0; k < log->n; k++)
        x[k] = log->rows[k].epoch, acc[k] = log->rows[k].test_acc,
        loss[k] = log->rows[k].test_loss;
    int planned;
    if (!runs[i].info || compare_finished(&runs[i], &planned))
        snprintf(c->labels, COMPARE_LABEL, "%s", runs[i].name);
    else if (planned > 0)
        snprintf(c->labels, COMPARE_LABEL, "%s (%d/%d)", runs[i].name, log->n, planned);
    else
        snprintf(c->labels, COMPARE_LABEL, "%s (unfinished)", runs[i].name);
    PlotSeries s = {.label = c->labels, .x = x, .y = acc, .n = log->n,
                    .colour = c->colour[i], .dash = dash, .marker = c->marker[i],
                    .thin = thin};
    c->acc[c->nseries] = s;
    s.y = loss;
    c->loss[c->nseries++] = s;
    c->labels += COMPARE_LABEL;
}

/* Per row index k of the group's runs: x, mean, min and max of one column (which
 * picks test_acc or test_loss), at out[0..3][len]; min and max are NaN where fewer
 * than two runs have the row. */
static void group_curve(double *out, int len, const CompareRun *runs, int n,
                        const int *group, int g, bool loss)
{
    for (int k = 0; k < len; k++) {
        double sum = 0.0, lo = (double)INFINITY, hi = -(double)INFINITY, x = NAN;
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (group[i] != g || runs[i].log.n <= k)
                continue;
            const RunLogRow *row = &runs[i].log.rows[k];
            double v = loss ? row->test_loss : row->test_acc;
            x = isfinite(x) ? x : row->epoch;
            if (!isfinite(v))
                continue;
            sum += v, count++;
            lo = fmin(lo, v), hi = fmax(hi, v);
        }
        out[k] = x;
        out[len + k] = count ? sum / count : (double)NAN;
        out[2 * len + k] = count > 1 ? lo : (double)NAN;
        out[3 * len + k] = count > 1 ? hi : (double)NAN;
    }
}

/* The mean line and min..max band of group g, on both panels. */
static void group_series(Chart *c, const CompareRun *runs, int n, const Groups *gs,
                         int g, int colour, int dash)
{
    int len = 0;
    for (int i = 0; i < n; i++)
        if (gs->group[i] == g && runs[i].log.n > len)
            len = runs[i].log.n;
    double *acc = c->values, *loss = acc + 4 * (size_t)len;
    c->values += 8 * (size_t)len;
    group_curve(acc, len, runs, n, gs->group, g, false);
    group_curve(loss, len, runs, n, gs->group, g, true);
    snprintf(c->labels, COMPARE_LABEL, "%s mean (%d)", groups_label(gs, g),
             group_size(gs->group, n, g));
    PlotSeries s = {.label = c->labels, .x = acc, .y = acc + len, .n = len,
                    .colour = colour, .dash = dash, .marker = -1, .shaded = true};
    c->acc[c->nseries] = s;
    s.x = loss, s.y = loss + len;
    c->loss[c->nseries++] = s;
    c->labels += COMPARE_LABEL;
    c->acc_band[c->nbands] = (PlotBand){.x = acc, .lo = acc + 2 * len,
                                        .hi = acc + 3 * len, .n = len, .colour = colour};
    c->loss_band[c->nbands++] = (PlotBand){.x = loss, .lo = loss + 2 * len,
                                           .hi = loss + 3 * len, .n = len,
                                           .colour = colour};
}

/* Every series, group by group: a group's mean first, then its runs. */
static void chart_fill(Chart *c, const CompareRun *runs, int n, const Groups *gs)
{
    for (int g = 0; g < gs->ngroups; g++) {
        int first = 0;
        while (gs->group[first] != g)
            first++;
        int dash = group_dash(gs, c->colour, g);
        bool several = group_size(gs->group, n, g) > 1;
        if (several)
            group_series(c, runs, n, gs, g, c->colour[first], dash);
        for (int i = first; i < n; i++)
            if (gs->group[i] == g)
                run_series(c, runs, i, dash, several);
    }
}

/* The document: two panels, the legend (for both) right of the loss panel, and the
 * mark after the XML declaration. */
static void chart_svg(StrBuf *out, const Chart *c, int n)
{
    PlotPanel p[2] = {
        {.title = "test accuracy per epoch", .xlabel = "epoch",
         .ylabel = "test accuracy (%)", .series = c->acc, .nseries = c->nseries,
         .bands = c->acc_band, .nbands = c->nbands, .integer_x = true,
         .no_legend = true},
        {.title = "test loss per epoch", .xlabel = "epoch", .ylabel = "test loss",
         .series = c->loss, .nseries = c->nseries, .bands = c->loss_band,
         .nbands = c->nbands, .integer_x = true},
    };
    p[1].width = COMPARE_PANEL_W + (int)plot_legend_width(&p[1]);
    char title[160];
    snprintf(title, sizeof title, "cifar-train compare: %d run%s%s", n,
             n == 1 ? "" : "s", c->nbands ? "; runs that differ only in seed: mean "
             "line, shaded min..max" : "");
    int h = COMPARE_FIXED_H + c->nseries * COMPARE_LEGEND_ROW;
    StrBuf doc;
    strbuf_init(&doc);
    plot_svg(&doc, title, p, 2, COMPARE_PANEL_W, h > COMPARE_PANEL_H ? h : COMPARE_PANEL_H);
    const char *text = strbuf_text(&doc), *nl = strchr(text, '\n');
    size_t head = nl ? (size_t)(nl - text) + 1 : 0;
    strbuf_append(out, text, head);
    strbuf_printf(out, "%s\n", COMPARE_SVG_MARK);
    strbuf_append(out, text + head, doc.len - head);
    out->failed = out->failed || doc.failed;
    strbuf_free(&doc);
}

void compare_svg(StrBuf *out, const CompareRun *runs, int n)
{
    size_t rows = 0, count = (size_t)(n ? n : 1);
    for (int i = 0; i < n; i++)
        rows += (size_t)runs[i].log.n;
    Groups gs = {0};
    Chart c = {0};
    /* Per series: 2 (runs and group means) * count; values: x, acc, loss of each
     * run (3 per row) and x, mean, min, max of both columns per group (8 per row
     * of its longest run, at most all rows). */
    PlotSeries *series = malloc(4 * count * sizeof *series);
    PlotBand *bands = malloc(2 * count * sizeof *bands);
    double *values = malloc((11 * rows + 1) * sizeof *values);
    /* Labels: one per series; the seeds' scratch fits in the same room. */
    char *labels = malloc(2 * count * COMPARE_LABEL);
    int *colour = malloc(2 * count * sizeof *colour);
    if (series && bands && values && labels && colour && groups_make(&gs, runs, n)) {
        norm_colours(runs, n, colour);
        seed_markers(runs, n, colour + count, labels);
        c = (Chart){.acc = series, .loss = series + 2 * count, .acc_band = bands,
                    .loss_band = bands + count, .values = values, .labels = labels,
                    .colour = colour, .marker = colour + count};
        chart_fill(&c, runs, n, &gs);
        chart_svg(out, &c, n);
    } else {
        out->failed = true;
    }
    free(gs.group), free(series), free(bands), free(values), free(labels), free(colour);
}

bool compare_is_own_svg(const char *text)
{
    const char *nl = strchr(text, '\n');
    size_t mark = strlen(COMPARE_SVG_MARK);
    return strncmp(text, "<?xml", 5) == 0 && nl && strncmp(nl + 1, COMPARE_SVG_MARK,
                                                           mark) == 0 &&
           nl[1 + mark] == '\n';
}

bool compare_is_own_csv(const char *text)
{
    size_t len = strlen(COMPARE_CSV_HEADER);
    return strncmp(text, COMPARE_CSV_HEADER, len) == 0 && text[len] == '\n';
}

/* ---- from arguments to run directories ---------------------------------------- */

/* Run paths, each malloc'd. */
typedef struct {
    char **path;
    int n, cap;
} PathList;

static Status paths_add(PathList *l, const char *dir, const char *name, Error *err)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **grown = realloc(l->path, (size_t)cap * sizeof *grown);
        if (!grown)
            return error_set(err, STATUS_NOMEM, "out of memory listing runs");
        l->path = grown, l->cap = cap;
    }
    size_t len = strlen(dir) + (name ? strlen(name) + 1 : 0);
    if (len >= COMPARE_PATH_MAX)
        return error_set(err, STATUS_USAGE, "path too long: %.100s...", dir);
    char *p = malloc(len + 1);
    if (!p)
        return error_set(err, STATUS_NOMEM, "out of memory listing runs");
    snprintf(p, len + 1, name ? "%s/%s" : "%s", dir, name ? name : "");
    l->path[l->n++] = p;
    return STATUS_OK;
}

static void paths_free(PathList *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->path[i]);
    free(l->path);
}

/* dir/name into buf; false if it does not fit. */
static bool join(char *buf, size_t cap, const char *dir, const char *name)
{
    int len = snprintf(buf, cap, "%s/%s", dir, name);
    return len >= 0 && (size_t)len < cap;
}

static bool is_run(const char *dir)
{
    char path[COMPARE_PATH_MAX];
    return join(path, sizeof path, dir, "log.csv") && platform_is_file(path);
}

typedef struct {
    PathList *list;
    const char *dir;
} Listing;

/* platform_list_dir's callback: keep the entries that are runs. */
static Status add_if_run(void *ctx, const char *name, Error *err)
{
    const Listing *l = ctx;
    char path[COMPARE_PATH_MAX];
    bool run = join(path, sizeof path, l->dir, name) && is_run(path);
    return run ? paths_add(l->list, l->dir, name, err) : STATUS_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The run directories an argument stands for (see compare_main). */
static Status add_argument(PathList *l, const char *arg, Error *err)
{
    char dir[COMPARE_PATH_MAX];
    size_t len = strlen(arg);
    /* "runs/" names runs/a as runs/a, not runs//a. */
    while (len > 1 && arg[len - 1] == '/')
        len--;
    if (len >= sizeof dir)
        return error_set(err, STATUS_USAGE, "path too long: %.100s...", arg);
    snprintf(dir, sizeof dir, "%.*s", (int)len, arg);
    if (is_run(dir))
        return paths_add(l, dir, NULL, err);
    if (!platform_is_dir(dir)) {
        if (!platform_is_file(dir))
            return error_set(err, STATUS_IO, "%s: no such run directory", arg);
        fprintf(stderr, "cifar-train: skipping %s: not a run directory (no log.csv)\n",
                arg);
        return STATUS_OK;
    }
    int before = l->n;
    Listing listing = {l, dir};
    Status st = platform_list_dir(dir, add_if_run, &listing, err);
    if (st == STATUS_OK && l->n == before)
        fprintf(stderr, "cifar-train: skipping %s: no log.csv in it or in its "
                "subdirectories\n", arg);
    if (l->n > before)
        qsort(l->path + before, (size_t)(l->n - before), sizeof *l->path, by_name);
    return st;
}

/* ---- where the outputs go, and whether they may ------------------------------- */

/* Length of the parent directory in path: 0 for none ("."), 1 for the root. */
static size_t parent_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    return !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
}

/* The longest common prefix of a[0..la) and b[0..lb) that ends at a whole path
 * component. */
static size_t common_len(const char *a, size_t la, const char *b, size_t lb)
{
    size_t i = 0, last = 0;
    for (; i < la && i < lb && a[i] == b[i]; i++)
        if (a[i] == '/')
            last = i ? i : 1;   /* the root keeps its slash */
    if ((i == la || a[i] == '/') && (i == lb || b[i] == '/'))
        last = i;
    return last;
}

void compare_default_svg(char *buf, size_t cap, const char *const *paths, int n)
{
    size_t len = n > 0 ? parent_len(paths[0]) : 0;
    for (int i = 1; i < n; i++)
        len = common_len(paths[0], len, paths[i], parent_len(paths[i]));
    if (len == 0)
        snprintf(buf, cap, "compare.svg");
    else
        snprintf(buf, cap, "%.*s%scompare.svg", (int)len, paths[0],
                 paths[0][len - 1] == '/' ? "" : "/");
}

/* Refuse path if it is a run's log.csv or run.txt, or (without force) an existing
 * file that own does not recognise as this command's. */
static Status check_output(const char *path, bool (*own)(const char *),
                           const PathList *runs, bool force, Error *err)
{
    static const char *const inputs[] = {"log.csv", "run.txt"};
    char input[COMPARE_PATH_MAX];
    for (int i = 0; i < runs->n; i++)
        for (int k = 0; k < 2; k++) {
            if (join(input, sizeof input, runs->path[i], inputs[k]) &&
                platform_same_file(path, input))
                return error_set(err, STATUS_USAGE, "refusing to write %s: it is "
                                 "the %s of run %s, an input of this comparison",
                                 path, inputs[k], runs->path[i]);
        }
    if (force || !platform_is_file(path))
        return STATUS_OK;
    unsigned char *text = NULL;   /* stays NULL when the read fails */
    size_t len;
    Error ignored;
    bool ours = readfile_whole_max(path, COMPARE_OWN_MAX, &text, &len, &ignored) ==
                    STATUS_OK && own((const char *)text);
    free(text);
    if (!ours)
        return error_set(err, STATUS_USAGE, "%s exists and was not written by "
                         "cifar-train compare: pass --force to replace it", path);
    return STATUS_OK;
}

static Status check_outputs(const CompareOptions *opt, const char *svg,
                            const PathList *runs, Error *err)
{
    if (opt->csv && (strcmp(opt->csv, svg) == 0 || platform_same_file(opt->csv, svg)))
        return error_set(err, STATUS_USAGE, "--csv and the chart are both %s", svg);
    Status st = check_output(svg, compare_is_own_svg, runs, opt->force, err);
    if (st == STATUS_OK && opt->csv)
        st = check_output(opt->csv, compare_is_own_csv, runs, opt->force, err);
    return st;
}

/* ---- the command ---------------------------------------------------------------- */

typedef void (*Format)(StrBuf *out, const CompareRun *runs, int n);

static void build(StrBuf *b, Format format, const CompareRun *runs, int n)
{
    strbuf_init(b);
    format(b, runs, n);
}

static Status report(const CompareRun *runs, int n, const char *svg_path,
                     const char *csv_path, Error *err)
{
    StrBuf table, svg, csv;
    build(&table, compare_table, runs, n);
    build(&svg, compare_svg, runs, n);
    build(&csv, compare_csv, runs, n);
    Status st = strbuf_status(&table, "the table", err);
    if (st == STATUS_OK)
        st = strbuf_status(&svg, svg_path, err);
    if (st == STATUS_OK && csv_path)
        st = strbuf_status(&csv, csv_path, err);
    if (st == STATUS_OK)
        st = report_write_atomic(svg_path, svg.data, svg.len, err);
    if (st == STATUS_OK && csv_path)
        st = report_write_atomic(csv_path, csv.data, csv.len, err);
    if (st == STATUS_OK) {
        fputs(strbuf_text(&table), stdout);
        printf("chart: %s\n", svg_path);
        if (csv_path)
            printf("table: %s\n", csv_path);
    }
    strbuf_free(&table), strbuf_free(&svg), strbuf_free(&csv);
    return st;
}

static Status compare_paths(const CompareOptions *opt, const PathList *paths,
                            Error *err)
{
    char svg[COMPARE_PATH_MAX];
    if (opt->svg)
        snprintf(svg, sizeof svg, "%s", opt->svg);
    else
        compare_default_svg(svg, sizeof svg, (const char *const *)paths->path,
                            paths->n);
    Status st = check_outputs(opt, svg, paths, err);
    if (st != STATUS_OK)
        return st;
    CompareRun *runs = calloc((size_t)paths->n, sizeof *runs);
    if (!runs)
        return error_set(err, STATUS_NOMEM, "out of memory for %d runs", paths->n);
    int loaded = 0;
    for (; loaded < paths->n && st == STATUS_OK; loaded++)
        st = compare_load(&runs[loaded], paths->path[loaded], err);
    if (st == STATUS_OK)
        st = report(runs, paths->n, svg, opt->csv, err);
    for (int i = 0; i < loaded; i++)
        compare_free(&runs[i]);
    free(runs);
    return st;
}

Status compare_main(const char *const *args, int n, Error *err)
{
    CompareOptions opt;
    int ndirs;
    const char **dirs = malloc((size_t)(n ? n : 1) * sizeof *dirs);
    if (!dirs)
        return error_set(err, STATUS_NOMEM, "out of memory");
    PathList paths = {0};
    Status st = compare_parse(&opt, args, n, dirs, &ndirs, err);
    for (int i = 0; i < ndirs && st == STATUS_OK; i++)
        st = add_argument(&paths, dirs[i], err);
    if (st == STATUS_OK && paths.n == 0)
        st = error_set(err, STATUS_IO, "no run directory (one with a log.csv) among "
                       "the arguments");
    if (st == STATUS_OK)
        st = compare_paths(&opt, &paths, err);
    paths_free(&paths);
    free(dirs);
    return st;
}
