/* test.h - the test harness: each tests/test_<module>.c exports a table of named
 * tests ending in {NULL, NULL}; tests/run_tests.c runs every table (or the tests
 * named on its command line) and prints "N passed, N failed" last. A test returns 0
 * on success; CHECK prints the failing expression with file and line and fails it. */
#ifndef CIFAR_TEST_H
#define CIFAR_TEST_H

#include <stdio.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "base/rng.h"
#include "nn/model.h"

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

/* Reads one record by name from a reference fixture file in tests/fixtures (their
 * origin, format and records: tests/fixtures/README.md). Returns a malloc'd array
 * the caller frees, NULL if the file or record is missing; *count gets the number
 * of floats, dims (up to 4, may be NULL) the shape. */
float *test_fixture_read(const char *file, const char *name, size_t *count,
                         int dims[4], int *ndim);

/* The records read from one reference fixture file, freed together by
 * test_fixture_free. Initialise as {TEST_FIXTURE("name.bin"), {NULL}, 0}. */
#define TEST_FIXTURE_MAX_RECORDS 12
typedef struct {
    const char *file;
    float *rec[TEST_FIXTURE_MAX_RECORDS];
    int nrec;
} TestFixture;

/* Record name of f->file, or NULL if missing, if f already holds
 * TEST_FIXTURE_MAX_RECORDS records, or if it is not of want floats (0: any); dims
 * may be NULL. The record stays owned by f. */
float *test_fixture_get(TestFixture *f, const char *name, size_t want, int dims[4]);

/* Frees every record f holds; f can be reused. */
void test_fixture_free(TestFixture *f);

/* v[i] = offset + a standard normal draw from rng, for i < n. */
void test_fill_normal(Rng *rng, float *v, size_t n, float offset);

/* 1 if an error ratio passes (<= 1; NaN fails), else 0 after printing what failed
 * and the ratio on stderr. Use as CHECK(test_report_ratio("dx", ratio)). */
int test_report_ratio(const char *what, double ratio);

/* Finite-difference gradient check: the worst |numeric - grad[i]| /
 * (atol + rtol * |grad[i]|) over param[0..n) (<= 1 passes, NaN gives INFINITY).
 * numeric is the central difference of loss(ctx) at param[i] +- step, divided by
 * the step actually taken in float; param is restored afterwards. */
double test_grad_error(double (*loss)(void *ctx), void *ctx, float *param,
                       const float *grad, size_t n, float step, double atol,
                       double rtol);

/* Path of a fixture: "tests/fixtures/<name>" relative to the repository root (the
 * runner is started there by make). */
#define TEST_FIXTURE(name) "tests/fixtures/" name

/* 1 if text is well-formed XML (one root, balanced tags, quoted attributes, known
 * entities); else 0 with the reason in why (tests/xmlcheck.c). */
int test_xml_wellformed(const char *text, char *why, size_t cap);

/* A fresh directory under the system temp dir for a test's files, or NULL. */
const char *test_tmpdir(void);

/* Copies a fresh test_tmpdir() into dir (cap bytes): 1 on success, else 0. */
int test_tmpdir_copy(char *dir, size_t cap);

/* out = "dir/name" (truncated to cap), with any file left there by an earlier run
 * removed. */
void test_path_fresh(char *out, size_t cap, const char *dir, const char *name);

/* Writes dir/file: count CIFAR records of easily separated classes (each label a
 * distinct colour per channel plus uniform noise), drawn from seed. Returns 0, or 1
 * after printing the failed check. */
int test_write_synthetic_cifar(const char *dir, const char *file, int count,
                               uint64_t seed);

/* A fresh temp directory, copied into dir (cap bytes), holding data_batch_1.bin of
 * ntrain records from seed and test_batch.bin of ntest from seed + 1; made on the
 * first call (dir[0] == '\0'), later calls return dir as it is. NULL on failure. */
const char *test_synthetic_cifar_dir(char *dir, size_t cap, int ntrain, int ntest,
                                     uint64_t seed);

/* dir/log.csv with its seconds column (the 9th) and its run id (the 13th, drawn
 * anew by every run) emptied, as a malloc'd string; NULL if it cannot be read. */
char *test_log_without_seconds(const char *dir);

/* Sets every norm layer's scales to about 0.2 and shifts to about +-1, so that most
 * ReLU inputs sit far from 0 and a finite-difference step rarely crosses the kink
 * (whole-model gradient checks). */
void test_far_from_kinks(Model *m, Rng *rng);

extern const TestCase tensor_tests[];
extern const TestCase conv_tests[];
extern const TestCase norm_tests[];
extern const TestCase ops_tests[];
extern const TestCase cifar_tests[];
extern const TestCase report_tests[];
extern const TestCase layer_tests[];
extern const TestCase model_tests[];
extern const TestCase netfile_tests[];
extern const TestCase train_tests[];
extern const TestCase cli_tests[];
extern const TestCase plot_tests[];
extern const TestCase font_tests[];
extern const TestCase confusion_tests[];
extern const TestCase compare_tests[];
extern const TestCase summary_tests[];
extern const TestCase png_tests[];
extern const TestCase progress_tests[];
extern const TestCase checkpoint_tests[];
extern const TestCase runopts_tests[];
extern const TestCase bench_tests[];
extern const TestCase optim_tests[];
extern const TestCase augment_tests[];
extern const TestCase whiten_tests[];
extern const TestCase evaluate_tests[];
extern const TestCase onnx_tests[];
extern const TestCase ppm_tests[];

#endif
