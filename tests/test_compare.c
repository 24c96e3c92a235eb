/* test_compare.c - reading runs back and comparing them: log.csv by header name
 * (extra and reordered columns, a half-written last line), run.txt keys, the table
 * for a finished run beside one still in progress, seed groups (mean +- std, the
 * chart's bands and markers), the CSV, recognising the command's own files, the
 * default chart path, its options, and curves.svg from a log. */
#include <stdlib.h>
#include <string.h>
#include "cli/compare.h"
#include "report/report.h"
#include "test.h"
#include "train/runfiles.h"

static const char *const done_log =
    "epoch,norm,seed,lr,train_loss,train_acc,test_loss,test_acc,seconds,model,"
    "test_acc_flip\n"
    "1,bn,1,0.01,2.0,30.00,1.9,35.50,10.0,s8,\n"
    "2,bn,1,0.01,1.5,45.00,1.4,52.25,10.5,s8,\n"
    "3,bn,1,0.01,1.2,55.00,1.3,51.00,11.0,s8,\n";
static const char *const done_info =
    "# comment\nmodel: s8\nnorm: bn\nepochs: 3\nparameters: 49136\n"
    "status: finished\nwall_seconds: 95.0\n";
/* Columns reordered, an extra one, and a row still being written. */
static const char *const running_log =
    "model,epoch,extra,test_acc,train_acc,test_loss,train_loss,norm,seconds\n"
    "s8,1,x,40.00,33.00,1.8,1.9,gn,12.0\n"
    "s8,2,y,48.00,44.00,1.5,1.6,gn,12.0\n"
    "s8,3,z,5";
static const char *const running_info =
    "model: s8\nnorm: gn\nepochs: 5\nparameters: 49136\nstatus: running\n";

static int test_runlog_parse_by_name(void)
{
    RunLog log;
    Error err;
    CHECK(runlog_parse(&log, running_log, "r/log.csv", &err) == STATUS_OK);
    CHECK(log.n == 2);
    CHECK(log.rows[1].epoch == 2 && log.rows[1].test_acc == 48.0);
    CHECK(log.rows[1].train_loss == 1.6 && log.rows[0].train_acc == 33.0);
    CHECK(strcmp(log.norm, "gn") == 0 && strcmp(log.model, "s8") == 0);
    CHECK(runlog_best(&log) == 1 && runlog_seconds(&log) == 24.0);
    runlog_free(&log);
    CHECK(runlog_parse(&log, "epoch,train_loss,train_acc,test_loss\n", "x", &err) ==
          STATUS_DATA);
    CHECK(strstr(err.msg, "test_acc") != NULL);
    CHECK(runlog_parse(&log, "epoch,train_loss,train_acc,test_loss,test_acc\n1,2,3,4,z\n",
                       "y.csv", &err) == STATUS_DATA);
    CHECK(strstr(err.msg, "y.csv line 2") != NULL);
    char v[32];
    CHECK(runinfo_get(done_info, "wall_seconds", v, sizeof v) && strcmp(v, "95.0") == 0);
    CHECK(!runinfo_get(done_info, "wall", v, sizeof v));
    CHECK(!runinfo_get(NULL, "model", v, sizeof v));
    return 0;
}

static int test_compare_table_and_chart(void)
{
    CompareRun runs[2];
    Error err;
    CHECK(compare_from_text(&runs[0], "runs/bn", done_log, done_info, &err) == STATUS_OK);
    CHECK(compare_from_text(&runs[1], "runs/gn", running_log, running_info, &err) ==
          STATUS_OK);
    int planned;
    CHECK(compare_finished(&runs[0], &planned) && planned == 3);
    CHECK(!compare_finished(&runs[1], &planned) && planned == 5);
    StrBuf t;
    strbuf_init(&t);
    compare_table(&t, runs, 2);
    const char *bn = strstr(t.data, "\nruns/bn"), *gn = strstr(t.data, "\nruns/gn");
    CHECK(bn && gn);
    CHECK(strstr(bn, "51.00%") && strstr(bn, "52.25% (2)") && strstr(bn, "55.00%"));
    CHECK(strstr(bn, "1m35s") && strstr(bn, "49,136"));
    CHECK(strstr(gn, "2/5 *") && strstr(gn, "48.00% (2)") && strstr(gn, "24s *"));
    CHECK(strstr(t.data, "unfinished") != NULL);
    strbuf_free(&t);
    StrBuf svg;
    strbuf_init(&svg);
    compare_svg(&svg, runs, 2);
    char why[128];
    int ok = test_xml_wellformed(strbuf_text(&svg), why, sizeof why);
    if (!ok)
        fprintf(stderr, "  %s\n", why);
    CHECK(ok);
    CHECK(strstr(svg.data, ">runs/bn<") && strstr(svg.data, ">runs/gn (2/5)<"));
    strbuf_free(&svg);
    compare_free(&runs[0]);
    compare_free(&runs[1]);
    return 0;
}

/* A directory with only log.csv: loaded, and the table says run.txt is missing. */
static int test_compare_load_dir(void)
{
    const char *tmp = test_tmpdir();
    CHECK(tmp != NULL);
    char dir[300], path[400];
    snprintf(dir, sizeof dir, "%s", tmp);
    snprintf(path, sizeof path, "%s/log.csv", dir);
    Error err;
    CHECK(report_write_atomic(path, done_log, strlen(done_log), &err) == STATUS_OK);
    CompareRun run;
    CHECK(compare_load(&run, dir, &err) == STATUS_OK);
    CHECK(run.log.n == 3 && run.info == NULL);
    StrBuf t;
    strbuf_init(&t);
    compare_table(&t, &run, 1);
    CHECK(strstr(t.data, "has no run.txt") != NULL);
    strbuf_free(&t);
    compare_free(&run);
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK(compare_load(&run, path, &err) == STATUS_IO);
    CHECK(strstr(err.msg, "missing/log.csv") != NULL);
    return 0;
}

static int test_curves_svg(void)
{
    RunLog log;
    Error err;
    CHECK(runlog_parse(&log, done_log, "log.csv", &err) == STATUS_OK);
    StrBuf b;
    strbuf_init(&b);
    runfiles_curves(&b, &log, "runs/bn: model s8");
    char why[128];
    int ok = test_xml_wellformed(strbuf_text(&b), why, sizeof why);
    if (!ok)
        fprintf(stderr, "  %s\n", why);
    CHECK(ok);
    CHECK(strstr(b.data, ">loss<") && strstr(b.data, ">accuracy<"));
    CHECK(strstr(b.data, ">train<") && strstr(b.data, ">test<"));
    CHECK(strstr(b.data, ">train objective (smoothed)<"));
    /* A log without train_ce or flip accuracy draws no empty series for them. */
    CHECK(!strstr(b.data, "train cross-entropy") && !strstr(b.data, "flip-averaged"));
    strbuf_free(&b);
    runlog_free(&log);
    return 0;
}

/* Today's log: the plain cross-entropy beside the objective, the flip accuracy where
 * measured, and the learning rate, each a curve of its own. */
static int test_curves_svg_all_columns(void)
{
    static const char *const text =
        "epoch,norm,seed,lr,train_loss,train_acc,test_loss,test_acc,seconds,model,"
        "test_acc_flip,train_ce,run_id\n"
        "1,bn,1,0.125,2.0,30.00,1.9,35.50,10.0,s8,,1.75,00000000000000ab\n"
        "2,bn,1,0.0625,1.5,45.00,1.4,52.25,10.5,s8,53.00,1.25,00000000000000ab\n";
    RunLog log;
    Error err;
    CHECK(runlog_parse(&log, text, "log.csv", &err) == STATUS_OK);
    CHECK(log.n == 2 && log.rows[0].train_ce == 1.75 && log.rows[1].train_ce == 1.25);
    CHECK(log.rows[0].lr == 0.125 && log.rows[1].lr == 0.0625);
    CHECK(isnan(log.rows[0].test_acc_flip) && log.rows[1].test_acc_flip == 53.0);
    StrBuf b;
    strbuf_init(&b);
    runfiles_curves(&b, &log, "runs/bn");
    CHECK(strstr(b.data, ">train cross-entropy<") && strstr(b.data, ">test cross-entropy<"));
    CHECK(strstr(b.data, ">test, flip-averaged<") && strstr(b.data, ">learning rate<"));
    strbuf_free(&b);
    runlog_free(&log);
    return 0;
}

/* A run of the sweep: seed, lr, and final test and flip accuracies. */
static void sweep_text(char *log, size_t lcap, char *info, size_t icap, int seed,
                       const char *lr, double final, double flip)
{
    snprintf(log, lcap, "epoch,train_loss,train_acc,test_loss,test_acc,test_acc_flip\n"
             "1,2.0,30,1.9,%.2f,%.2f\n2,1.5,40,1.%d,%.2f,%.2f\n", final - 10 - seed,
             flip - 10, seed, final, flip);
    snprintf(info, icap, "model: s8\nnorm: gn\nepochs: 2\nlr: %s\nseed: %d\n"
             "out: runs/s%d\nparameters: 1234567\nstatus: finished\n", lr, seed,
             seed);
}

/* Three seeds at lr 0.1 (final 50, 52, 54: mean 52, sample std 2) and one at 0.2. */
static int sweep_load(CompareRun runs[4])
{
    static const char *const names[4] = {"runs/a", "runs/b", "runs/c", "runs/d"};
    const double finals[4] = {50, 52, 54, 60}, flips[4] = {51, 51, 54, 61};
    const int seeds[4] = {1, 2, 3, 1};
    char log[512], info[512];
    Error err;
    for (int i = 0; i < 4; i++) {
        sweep_text(log, sizeof log, info, sizeof info, seeds[i], i < 3 ? "0.1" : "0.2",
                   finals[i], flips[i]);
        CHECK(compare_from_text(&runs[i], names[i], log, info, &err) == STATUS_OK);
    }
    return 0;
}

static void sweep_free(CompareRun runs[4])
{
    for (int i = 0; i < 4; i++)
        compare_free(&runs[i]);
}

static int test_compare_groups(void)
{
    CompareRun runs[4];
    CHECK(sweep_load(runs) == 0);
    int group[4];
    CHECK(compare_group(runs, 4, group) == 2);
    CHECK(group[0] == 0 && group[1] == 0 && group[2] == 0 && group[3] == 1);
    StrBuf t;
    strbuf_init(&t);
    compare_table(&t, runs, 4);
    const char *a = strstr(t.data, "\nruns/a");
    CHECK(a && strstr(a, " 1 ") && strstr(a, " 0.1 ") && strstr(a, "1,234,567"));
    CHECK(strstr(a, "51.00%"));   /* flip */
    const char *g = strstr(t.data, "\ngn s8 lr 0.1 ");
    CHECK(g && strstr(g, " 3  1,2,3 ") && strstr(g, "52.00 +- 2.00%"));
    CHECK(strstr(g, "52.00 +- 1.73%"));   /* flips 51, 51, 54 */
    CHECK(!strstr(t.data, "\ngn s8 lr 0.2 "));   /* one run is no group */
    strbuf_free(&t);
    sweep_free(runs);
    return 0;
}

static int test_compare_csv(void)
{
    CompareRun runs[4];
    CHECK(sweep_load(runs) == 0);
    runs[3].name = "runs/d,\"x\"";
    StrBuf c;
    strbuf_init(&c);
    compare_csv(&c, runs, 4);
    CHECK(strncmp(c.data, COMPARE_CSV_HEADER "\n", strlen(COMPARE_CSV_HEADER) + 1) == 0);
    CHECK(strstr(c.data, "\nruns/a,gn s8 lr 0.1,gn,s8,1,0.1,1234567,2,2,yes,50.00,50.00,"
                         "2,51.00,40.00,1.100000,0.0\n"));
    CHECK(strstr(c.data, "\n\"runs/d,\"\"x\"\"\",,gn,s8,1,0.2,"));
    CHECK(compare_is_own_csv(c.data));
    CHECK(!compare_is_own_csv(COMPARE_CSV_HEADER ",more\n"));
    CHECK(!compare_is_own_csv("epoch,train_loss\n"));
    strbuf_free(&c);
    sweep_free(runs);
    return 0;
}

static int test_compare_sweep_chart(void)
{
    CompareRun runs[4];
    CHECK(sweep_load(runs) == 0);
    StrBuf svg;
    strbuf_init(&svg);
    compare_svg(&svg, runs, 4);
    char why[128];
    int ok = test_xml_wellformed(strbuf_text(&svg), why, sizeof why);
    if (!ok)
        fprintf(stderr, "  %s\n", why);
    CHECK(ok);
    CHECK(compare_is_own_svg(svg.data));
    CHECK(strstr(svg.data, ">test accuracy per epoch<") &&
          strstr(svg.data, ">test loss per epoch<"));
    CHECK(strstr(svg.data, ">gn s8 lr 0.1 mean (3)<") && strstr(svg.data, "min..max"));
    /* Both panels shade the group's band, in gn's colour (the third). */
    const char *band = strstr(svg.data, "fill=\"#2ca02c\" fill-opacity");
    CHECK(band && strstr(band + 1, "fill=\"#2ca02c\" fill-opacity"));
    CHECK(strstr(svg.data, "<rect x=") && strstr(svg.data, "<circle"));   /* seeds */
    CHECK(strstr(svg.data, "stroke-dasharray"));   /* lr 0.2: gn's second group */
    strbuf_free(&svg);
    CHECK(!compare_is_own_svg("<?xml version=\"1.0\"?>\n<svg/>\n"));
    CHECK(!compare_is_own_svg("epoch,test_acc\n" COMPARE_SVG_MARK "\n"));
    sweep_free(runs);
    return 0;
}

static int test_compare_default_svg(void)
{
    char buf[64];
    const char *const two[] = {"runs/sweep/a", "runs/sweep/b"};
    compare_default_svg(buf, sizeof buf, two, 2);
    CHECK(strcmp(buf, "runs/sweep/compare.svg") == 0);
    const char *const mixed[] = {"runs/a", "runs2/b"};
    compare_default_svg(buf, sizeof buf, mixed, 2);
    CHECK(strcmp(buf, "compare.svg") == 0);
    const char *const deep[] = {"runs/x/a", "runs/b"};
    compare_default_svg(buf, sizeof buf, deep, 2);
    CHECK(strcmp(buf, "runs/compare.svg") == 0);
    const char *const root[] = {"/a", "/b"}, *const one[] = {"a"};
    compare_default_svg(buf, sizeof buf, root, 2);
    CHECK(strcmp(buf, "/compare.svg") == 0);
    compare_default_svg(buf, sizeof buf, one, 1);
    CHECK(strcmp(buf, "compare.svg") == 0);
    return 0;
}

static int test_compare_parse(void)
{
    const char *const args[] = {"r1", "--svg", "x.svg", "--csv=t.csv", "--force", "r2"};
    const char *dirs[6];
    CompareOptions o;
    int n;
    Error err;
    CHECK(compare_parse(&o, args, 6, dirs, &n, &err) == STATUS_OK);
    CHECK(n == 2 && strcmp(dirs[0], "r1") == 0 && strcmp(dirs[1], "r2") == 0);
    CHECK(strcmp(o.svg, "x.svg") == 0 && strcmp(o.csv, "t.csv") == 0 && o.force);
    CHECK(compare_parse(&o, args, 2, NULL, &n, &err) == STATUS_USAGE);   /* no FILE */
    CHECK(compare_parse(&o, args + 1, 2, NULL, &n, &err) == STATUS_USAGE);   /* no DIR */
    const char *const bad[] = {"r1", "--sv", "x"};
    CHECK(compare_parse(&o, bad, 3, NULL, &n, &err) == STATUS_USAGE);
    CHECK(strstr(err.msg, "--sv") != NULL);
    return 0;
}

const TestCase compare_tests[] = {
    {"runlog_parse_by_name", test_runlog_parse_by_name},
    {"curves_svg_all_columns", test_curves_svg_all_columns},
    {"compare_table_and_chart", test_compare_table_and_chart},
    {"compare_load_dir", test_compare_load_dir},
    {"compare_groups", test_compare_groups},
    {"compare_csv", test_compare_csv},
    {"compare_sweep_chart", test_compare_sweep_chart},
    {"compare_default_svg", test_compare_default_svg},
    {"compare_parse", test_compare_parse},
    {"curves_svg", test_curves_svg},
    {NULL, NULL},
};
