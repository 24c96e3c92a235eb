/* test_report.c - tests of the report module: the PPM encoder against golden bytes,
 * atomic writes (replace, no temp left, failures leave the target intact) and the
 * CSV log (header once, rows appended, write errors reported). */
#include <stdio.h>
#include <string.h>
#include "platform.h"
#include "report.h"
#include "test.h"

/* A fresh temp directory copied out of test_tmpdir's static buffer. */
static int make_dir(char *dir, size_t cap)
{
    const char *d = test_tmpdir();
    if (!d || strlen(d) >= cap)
        return 0;
    strcpy(dir, d);
    return 1;
}

static void join(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
    remove(out);   /* a leftover from an earlier run in the same temp dir */
}

/* The whole file as a NUL-terminated string in buf; -1 if it cannot be read. */
static long read_text(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return -1;
    buf[n] = '\0';
    return (long)n;
}

static int exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

static int test_ppm_golden(void)
{
    /* 3 wide, 2 high, planar [rgb][y][x]; every byte distinct so a swapped axis
     * or channel shows. */
    const unsigned char planar[18] = {
        1, 2, 3, 4, 5, 6,
        10, 20, 30, 40, 50, 60,
        100, 110, 120, 130, 140, 150,
    };
    const unsigned char golden[] = {
        'P', '6', '\n', '3', ' ', '2', '\n', '2', '5', '5', '\n',
        1, 10, 100, 2, 20, 110, 3, 30, 120,
        4, 40, 130, 5, 50, 140, 6, 60, 150,
    };
    CHECK(ppm_encode(NULL, 3, 2, planar) == sizeof golden);
    unsigned char out[sizeof golden + 1];
    out[sizeof golden] = 0xAB;
    CHECK(ppm_encode(out, 3, 2, planar) == sizeof golden);
    CHECK(memcmp(out, golden, sizeof golden) == 0);
    CHECK(out[sizeof golden] == 0xAB);
    return 0;
}

static int test_write_atomic_replaces(void)
{
    char dir[256], path[512], tmp[512], text[64];
    CHECK(make_dir(dir, sizeof dir));
    join(path, sizeof path, dir, "out.txt");
    join(tmp, sizeof tmp, dir, "out.txt.tmp");
    Error err;
    CHECK(report_write_atomic(path, "first version", 13, &err) == STATUS_OK);
    CHECK(read_text(path, text, sizeof text) == 13);
    CHECK(strcmp(text, "first version") == 0);
    CHECK(report_write_atomic(path, "second", 6, &err) == STATUS_OK);
    CHECK(read_text(path, text, sizeof text) == 6);
    CHECK(strcmp(text, "second") == 0);
    CHECK(!exists(tmp));
    CHECK(report_write_atomic(path, "", 0, &err) == STATUS_OK);
    CHECK(read_text(path, text, sizeof text) == 0);
    return 0;
}

static int test_write_atomic_failures_keep_target(void)
{
    char dir[256], path[512], tmp[600], bad[512], text[64];
    CHECK(make_dir(dir, sizeof dir));
    Error err;
    snprintf(bad, sizeof bad, "%s/no-such-dir/out.txt", dir);
    CHECK(report_write_atomic(bad, "x", 1, &err) == STATUS_IO);
    CHECK(strstr(err.msg, bad) != NULL);

    /* The temp name is taken by a directory: creating the temp file fails. */
    join(path, sizeof path, dir, "kept.txt");
    /* join also removes the directory an earlier run in this temp dir left here. */
    join(tmp, sizeof tmp, dir, "kept.txt.tmp");
    CHECK(report_write_atomic(path, "old", 3, &err) == STATUS_OK);
    CHECK(platform_mkdirs(tmp, &err) == STATUS_OK);
    CHECK(report_write_atomic(path, "new", 3, &err) == STATUS_IO);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(read_text(path, text, sizeof text) == 3 && strcmp(text, "old") == 0);

    /* The target is a non-empty directory: the rename fails and the temp goes. */
    char target[512], inner[512];
    snprintf(target, sizeof target, "%s/target-dir", dir);
    snprintf(inner, sizeof inner, "%s/target-dir/inner", dir);
    CHECK(platform_mkdirs(inner, &err) == STATUS_OK);
    CHECK(report_write_atomic(target, "new", 3, &err) == STATUS_IO);
    CHECK(strstr(err.msg, target) != NULL);
    snprintf(tmp, sizeof tmp, "%s.tmp", target);
    CHECK(!exists(tmp));
    CHECK(platform_is_dir(inner));
    return 0;
}

/* /dev/full accepts opens and fails every write with ENOSPC once flushed. */
static int test_csvlog_full_device_fails(void)
{
    if (!exists("/dev/full")) {
        printf("     (no /dev/full: skipped)\n");
        return 0;
    }
    CsvLog log;
    Error err;
    Status st = csvlog_open(&log, "/dev/full", "epoch,loss", &err);
    if (st == STATUS_OK) {
        st = csvlog_append(&log, "1,2.5", &err);
        Error close_err;
        (void)csvlog_close(&log, &close_err);   /* the append's error is the test */
    }
    CHECK(st == STATUS_IO);
    CHECK(strstr(err.msg, "/dev/full") != NULL);
    return 0;
}

static int test_csvlog_header_once(void)
{
    char dir[256], path[512], text[256];
    CHECK(make_dir(dir, sizeof dir));
    join(path, sizeof path, dir, "log.csv");
    CsvLog log;
    Error err;
    CHECK(csvlog_open(&log, path, "epoch,loss", &err) == STATUS_OK);
    CHECK(csvlog_append(&log, "1,2.5", &err) == STATUS_OK);
    /* Flushed per row: visible before the log is closed. */
    CHECK(read_text(path, text, sizeof text) > 0);
    CHECK(strcmp(text, "epoch,loss\n1,2.5\n") == 0);
    CHECK(csvlog_close(&log, &err) == STATUS_OK);
    CHECK(csvlog_open(&log, path, "epoch,loss", &err) == STATUS_OK);
    CHECK(csvlog_append(&log, "2,1.25", &err) == STATUS_OK);
    CHECK(csvlog_close(&log, &err) == STATUS_OK);
    CHECK(read_text(path, text, sizeof text) > 0);
    CHECK(strcmp(text, "epoch,loss\n1,2.5\n2,1.25\n") == 0);
    /* Closing twice is harmless. */
    CHECK(csvlog_close(&log, &err) == STATUS_OK);
    return 0;
}

static int test_csvlog_empty_file_gets_header(void)
{
    char dir[256], path[512], text[256];
    CHECK(make_dir(dir, sizeof dir));
    join(path, sizeof path, dir, "empty.csv");
    Error err;
    CHECK(report_write_atomic(path, "", 0, &err) == STATUS_OK);
    CsvLog log;
    CHECK(csvlog_open(&log, path, "a,b", &err) == STATUS_OK);
    CHECK(csvlog_append(&log, "1,2", &err) == STATUS_OK);
    CHECK(csvlog_close(&log, &err) == STATUS_OK);
    CHECK(read_text(path, text, sizeof text) > 0);
    CHECK(strcmp(text, "a,b\n1,2\n") == 0);
    return 0;
}

static int test_csvlog_open_fails_in_missing_dir(void)
{
    char dir[256], path[512];
    CHECK(make_dir(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/no-such-dir/log.csv", dir);
    CsvLog log;
    Error err;
    CHECK(csvlog_open(&log, path, "a,b", &err) == STATUS_IO);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(log.f == NULL);
    return 0;
}

const TestCase report_tests[] = {
    {"report_ppm_golden", test_ppm_golden},
    {"report_write_atomic_replaces", test_write_atomic_replaces},
    {"report_write_atomic_failures_keep_target",
     test_write_atomic_failures_keep_target},
    {"report_csvlog_full_device_fails", test_csvlog_full_device_fails},
    {"report_csvlog_header_once", test_csvlog_header_once},
    {"report_csvlog_empty_file_gets_header", test_csvlog_empty_file_gets_header},
    {"report_csvlog_open_fails_in_missing_dir", test_csvlog_open_fails_in_missing_dir},
    {NULL, NULL},
};
