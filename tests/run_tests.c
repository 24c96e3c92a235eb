/* run_tests.c - runs every test table, or only the tests named as arguments, and
 * ends with "N passed, N failed"; exits 1 if any failed. */
#include <stdio.h>
#include <string.h>
#include "test.h"

/* -DTEST_SUITE=conv_tests builds a runner for one table, for working on one module
 * while others are unfinished. */
static const TestCase *const suites[] = {
#ifdef TEST_SUITE
    TEST_SUITE,
#else
    tensor_tests, conv_tests, norm_tests, ops_tests, cifar_tests,
    report_tests, layer_tests, model_tests, netfile_tests, train_tests, cli_tests,
    plot_tests, font_tests, confusion_tests, compare_tests, summary_tests, png_tests,
    progress_tests,
    checkpoint_tests, runopts_tests,
    bench_tests,
    optim_tests, augment_tests,
    evaluate_tests, onnx_tests, ppm_tests, whiten_tests,
#endif
};

static int wanted(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        for (const TestCase *t = suites[s]; t->name; t++) {
            if (!wanted(t->name, argc, argv))
                continue;
            fflush(stdout);
            if (t->fn() == 0) {
                passed++;
                printf("ok   %s\n", t->name);
            } else {
                failed++;
                printf("FAIL %s\n", t->name);
            }
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
