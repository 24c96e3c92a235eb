/* test_cli.c - option parsing: both long-option forms, defaults, last-wins repeats,
 * and a clear usage error naming the option for every kind of bad value. */
#include <string.h>
#include "cli/cli.h"
#include "test.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Status parse(int argc, char **argv, CliCommand *cmd, Error *err)
{
    return cli_parse(cmd, argc, argv, NULL, err);
}

static int test_cli_forms_and_defaults(void)
{
    CliCommand cmd;
    Error err;
    char *a[] = {"cifar-train", "--norm", "gn", "--epochs=7", "--lr", "0.1",
                 "--nesterov", "--seed=99", "--limit-train", "500", "--no-flip"};
    CHECK(parse(ARGC(a), a, &cmd, &err) == STATUS_OK);
    CHECK(cmd.action == CLI_TRAIN);
    const RunOptions *o = &cmd.train.opts;
    CHECK(o->model.norm == NORM_GN && o->epochs == 7);
    CHECK(o->lr == 0.1 && o->sgd.nesterov && o->seed == 99);
    CHECK(o->limit_train == 500 && !o->augment.flip);
    CHECK(strcmp(cmd.train.out_dir, "runs/gn") == 0);
    CHECK(strcmp(o->data_dir, "data/cifar-10-batches-bin") == 0);
    CHECK(o->model.batch == 128 && o->model.groups == 4);
    CHECK(!o->model.no_fuse);
    char *b[] = {"cifar-train", "--no-fuse"};
    CHECK(parse(ARGC(b), b, &cmd, &err) == STATUS_OK);
    CHECK(cmd.train.opts.model.no_fuse);
    return 0;
}

static int test_cli_env_and_repeats(void)
{
    CliCommand cmd;
    Error err;
    char *a[] = {"cifar-train", "train", "--epochs", "3", "--epochs", "5", "--out", "x"};
    CHECK(cli_parse(&cmd, ARGC(a), a, "/some/where", &err) == STATUS_OK);
    CHECK(cmd.train.opts.epochs == 5);
    CHECK(strcmp(cmd.train.opts.data_dir, "/some/where") == 0);
    CHECK(strcmp(cmd.train.out_dir, "x") == 0);
    char *b[] = {"cifar-train", "--data", "mine"};
    CHECK(cli_parse(&cmd, ARGC(b), b, "/some/where", &err) == STATUS_OK);
    CHECK(strcmp(cmd.train.opts.data_dir, "mine") == 0);
    char *c[] = {"cifar-train", "--help"};
    CHECK(parse(ARGC(c), c, &cmd, &err) == STATUS_OK && cmd.action == CLI_HELP);
    CHECK(cmd.help_topic == CLI_TRAIN);
    char *h[] = {"cifar-train", "summary", "-h"};
    CHECK(parse(ARGC(h), h, &cmd, &err) == STATUS_OK && cmd.action == CLI_HELP);
    CHECK(cmd.help_topic == CLI_SUMMARY);
    char *v[] = {"cifar-train", "-V"};
    CHECK(parse(ARGC(v), v, &cmd, &err) == STATUS_OK && cmd.action == CLI_VERSION);
    char *ch[] = {"cifar-train", "compare", "-h"};
    CHECK(parse(ARGC(ch), ch, &cmd, &err) == STATUS_OK && cmd.action == CLI_HELP);
    CHECK(cmd.help_topic == CLI_COMPARE);
    return 0;
}

/* Each bad command line fails with STATUS_USAGE and a message containing want. */
static int test_cli_bad_values(void)
{
    static const struct {
        const char *args[3];
        const char *want;
    } cases[] = {
        {{"--epochs", "2x"}, "--epochs: '2x'"},
        {{"--epochs", "0"}, "--epochs: '0'"},
        {{"--epochs", "-3"}, "--epochs: '-3'"},
        {{"--batch", "0"}, "--batch: '0'"},
        {{"--lr", "abc"}, "--lr: 'abc'"},
        {{"--lr", "nan"}, "--lr: 'nan'"},
        {{"--lr", "-1"}, "--lr: '-1'"},
        {{"--norm", "xn"}, "--norm: 'xn'"},
        {{"--model", "big"}, "--model: 'big'"},
        {{"--conv", "fast"}, "--conv: 'fast'"},
        {{"--limit-train", "-5"}, "--limit-train: '-5'"},
        {{"--threads", "0"}, "--threads: '0'"},
        {{"--epochs"}, "--epochs needs a value"},
        {{"--frobnicate"}, "unknown option '--frobnicate'"},
        {{"--nesterov=1"}, "--nesterov takes no value"},
        {{"--quiet", "stray"}, "unexpected argument 'stray'"},
        {{"stray"}, "unknown command 'stray' (commands: train, summary, compare, "
                    "bench, model, eval, predict, export;"},
        {{"summary", "--epochs", "3"}, "--epochs does not apply to cifar-train summary"},
        {{"bench", "--lr", "3"}, "--lr does not apply to cifar-train bench"},
        {{"--quick"}, "--quick applies only to cifar-train bench"},
        {{"--seed", "1e3"}, "--seed: '1e3'"},
        {{"--data", ""}, "--data: ''"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[4] = {"cifar-train"};
        int argc = 1;
        for (int j = 0; j < 3 && cases[i].args[j]; j++)
            argv[argc++] = (char *)cases[i].args[j];
        CliCommand cmd;
        Error err = {STATUS_OK, ""};
        Status st = parse(argc, argv, &cmd, &err);
        if (st != STATUS_USAGE || !strstr(err.msg, cases[i].want))
            fprintf(stderr, "  case %zu: status %d, message '%s'\n", i, (int)st,
                    err.msg);
        CHECK(st == STATUS_USAGE && strstr(err.msg, cases[i].want));
    }
    return 0;
}

const TestCase cli_tests[] = {
    {"cli_forms_and_defaults", test_cli_forms_and_defaults},
    {"cli_env_and_repeats", test_cli_env_and_repeats},
    {"cli_bad_values", test_cli_bad_values},
    {NULL, NULL},
};
