/* test.h - the test harness: each tests/test_<module>.c exports a table of named
 * tests ending in {NULL, NULL}; tests/run_tests.c runs every table (or the tests
 * named on its command line) and prints "N passed, N failed" last. A test returns 0
 * on success; CHECK prints the failing expression with file and line and fails it. */
#ifndef CIFAR_TEST_H
#define CIFAR_TEST_H

#include <stdio.h>
#include <math.h>

typedef struct {
    const char *name;
    int (*fn)(void);
} TestCase;

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                   \
            return 1;                                                         \
        }                                                                     \
    } while (0)

/* Fails unless |got - want| <= atol + rtol * |want|; prints both values. */
#define CHECK_CLOSE(got, want, atol, rtol)                                    \
    do {                                                                      \
        double got_ = (double)(got), want_ = (double)(want);                  \
        if (!(fabs(got_ - want_) <= (atol) + (rtol) * fabs(want_))) {          \
            fprintf(stderr, "  %s:%d: %s = %.9g, want %.9g\n", __FILE__,       \
                    __LINE__, #got, got_, want_);                             \
            return 1;                                                         \
        }                                                                     \
    } while (0)

/* Largest |a[i] - b[i]| / (atol + rtol * |b[i]|) over n elements: <= 1 passes. */
double test_max_rel_err(const float *a, const float *b, size_t n, double atol,
                        double rtol);

/* Reads one record by name from a reference fixture file (format in
 * tests/fixtures/README.md). Returns a malloc'd array the caller frees, NULL if the
 * file or record is missing; *count gets the number of floats, dims (up to 4, may
 * be NULL) the shape. */
float *test_fixture_read(const char *file, const char *name, size_t *count,
                         int dims[4], int *ndim);

/* Path of a fixture: "tests/fixtures/<name>" relative to the repository root (the
 * runner is started there by make). */
#define TEST_FIXTURE(name) "tests/fixtures/" name

/* 1 if text is well-formed XML (one root, balanced tags, quoted attributes, known
 * entities); else 0 with the reason in why (tests/xmlcheck.c). */
int test_xml_wellformed(const char *text, char *why, size_t cap);

/* A fresh directory under the system temp dir for a test's files, or NULL. */
const char *test_tmpdir(void);

extern const TestCase tensor_tests[];
extern const TestCase conv_tests[];
extern const TestCase norm_tests[];
extern const TestCase ops_tests[];
extern const TestCase cifar_tests[];
extern const TestCase report_tests[];
extern const TestCase layer_tests[];
extern const TestCase model_tests[];
extern const TestCase train_tests[];
extern const TestCase cli_tests[];
extern const TestCase plot_tests[];
extern const TestCase font_tests[];
extern const TestCase confusion_tests[];
extern const TestCase compare_tests[];
extern const TestCase summary_tests[];
extern const TestCase progress_tests[];
extern const TestCase checkpoint_tests[];
extern const TestCase bench_tests[];

#endif
