/* test_compare.c - reading runs back and comparing them: log.csv by header name
 * (extra and reordered columns, a half-written last line), run.txt keys, the table
 * for a finished run beside one still in progress, the chart as well-formed XML,
 * and curves.svg from a log. */
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
    CHECK(strstr(bn, "1m35s") && strstr(bn, "49136"));
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
    strbuf_free(&b);
    runlog_free(&log);
    return 0;
}

const TestCase compare_tests[] = {
    {"runlog_parse_by_name", test_runlog_parse_by_name},
    {"compare_table_and_chart", test_compare_table_and_chart},
    {"compare_load_dir", test_compare_load_dir},
    {"curves_svg", test_curves_svg},
    {NULL, NULL},
};
