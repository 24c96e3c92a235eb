/* test_bench.c - `cifar-train bench`: its command line (which options it takes,
 * what they select), and a quick run whose last line has exactly the
 * machine-readable form, with the pool's thread count. */
#include <stdlib.h>
#include <string.h>
#include "cli/bench.h"
#include "cli/cli.h"
#include "test.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))
/* Threads of the quick run's pool: more than one, so both timing paths run. */
#define BENCH_TEST_THREADS 2

static int test_bench_cli(void)
{
    CliCommand cmd;
    Error err = {STATUS_OK, ""};
    char *a[] = {"cifar-train", "bench", "--model", "s8", "--norm=gn", "--threads",
                 "1", "--batch", "16", "--quick"};
    CHECK(cli_parse(&cmd, ARGC(a), a, NULL, &err) == STATUS_OK);
    CHECK(cmd.action == CLI_BENCH && cmd.bench_quick && cmd.threads == 1);
    const ModelConfig *m = &cmd.train.opts.model;
    CHECK(strcmp(m->name, "s8") == 0 && m->norm == NORM_GN && m->batch == 16);
    char *b[] = {"cifar-train", "bench"};
    CHECK(cli_parse(&cmd, ARGC(b), b, NULL, &err) == STATUS_OK);
    CHECK(cmd.action == CLI_BENCH && !cmd.bench_quick);
    char *c[] = {"cifar-train", "bench", "--epochs", "3"};
    CHECK(cli_parse(&cmd, ARGC(c), c, NULL, &err) == STATUS_USAGE);
    CHECK(strstr(err.msg, "--epochs does not apply to cifar-train bench") != NULL);
    char *d[] = {"cifar-train", "--quick"};
    CHECK(cli_parse(&cmd, ARGC(d), d, NULL, &err) == STATUS_USAGE);
    CHECK(strstr(err.msg, "--quick applies only to cifar-train bench") != NULL);
    char *e[] = {"cifar-train", "bench", "--batch", "0"};
    CHECK(cli_parse(&cmd, ARGC(e), e, NULL, &err) == STATUS_USAGE);
    char *f[] = {"cifar-train", "bench", "--help"};
    CHECK(cli_parse(&cmd, ARGC(f), f, NULL, &err) == STATUS_OK);
    CHECK(cmd.action == CLI_HELP);
    return 0;
}

/* Runs a quick bench into a temporary file; returns its text (malloc'd) or NULL. */
static char *quick_output(const BenchConfig *cfg, int threads, Status *st)
{
    Pool *pool = NULL;
    Error err = {STATUS_OK, ""};
    FILE *f = tmpfile();
    if (!f || pool_create(&pool, threads, &err) != STATUS_OK) {
        if (f)
            fclose(f);
        return NULL;
    }
    *st = bench_run(cfg, pool, f, &err);
    pool_destroy(pool);
    long len = ftell(f);
    char *text = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (text) {
        rewind(f);
        size_t got = fread(text, 1, (size_t)len, f);
        text[got] = '\0';
    }
    fclose(f);
    return text;
}

static int test_bench_quick_last_line(void)
{
    BenchConfig cfg = {.model = NULL, .norm = BENCH_ALL_NORMS, .groups = 4,
                       .batch = 128, .quick = true};
    Status st = STATUS_IO;
    char *text = quick_output(&cfg, BENCH_TEST_THREADS, &st);
    CHECK(text != NULL);
    size_t len = strlen(text);
    int ok = st == STATUS_OK && len > 1 && text[len - 1] == '\n';
    /* The last line, without its newline. */
    if (ok)
        text[len - 1] = '\0';
    const char *last = ok ? strrchr(text, '\n') : NULL;
    last = last ? last + 1 : text;
    double train = 0.0, eval = 0.0;
    int threads = 0;
    ok = ok && sscanf(last, "train_img_per_s=%lf eval_img_per_s=%lf threads=%d", &train,
                      &eval, &threads) == 3;
    /* Exactly the documented form: printing the values back gives the same line. */
    char again[128];
    snprintf(again, sizeof again, BENCH_LAST_LINE, train, eval, threads);
    again[strlen(again) - 1] = '\0';
    ok = ok && strcmp(again, last) == 0;
    ok = ok && train > 0.0 && eval > 0.0 && threads == BENCH_TEST_THREADS;
    /* every norm was measured */
    ok = ok && strstr(text, "tiny   bn") && strstr(text, "tiny   ln") &&
         strstr(text, "tiny   gn");
    /* A quick run's FMA loop is not called the machine's peak. */
    const char *fma = strstr(text, "FP32 FMA ");
    ok = ok && fma && strncmp(fma, "FP32 FMA loop (quick", 20) == 0;
    if (!ok)
        fprintf(stderr, "  bench output (status %d):\n%s\n", (int)st, text);
    free(text);
    CHECK(ok);
    return 0;
}

/* Norm settings that do not fit the model fail as a usage error. */
static int test_bench_bad_groups(void)
{
    BenchConfig cfg = {.model = "tiny", .norm = NORM_GN, .groups = 3, .batch = 8,
                       .quick = true};
    Status st = STATUS_OK;
    char *text = quick_output(&cfg, 1, &st);
    CHECK(text != NULL);
    free(text);
    CHECK(st == STATUS_USAGE);
    return 0;
}

const TestCase bench_tests[] = {
    {"bench_cli", test_bench_cli},
    {"bench_quick_last_line", test_bench_quick_last_line},
    {"bench_bad_groups", test_bench_bad_groups},
    {NULL, NULL},
};
