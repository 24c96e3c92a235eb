/* test_report.c - tests of the report module: the PPM encoder against golden bytes,
 * atomic writes (replace, no temp left, failures leave the target intact), whole-file
 * reads (bytes, the NUL past the end, growth, limits, errors naming the path) and the
 * CSV log (header once, rows appended, write errors reported). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/platform.h"
#include "base/readfile.h"
#include "report/report.h"
#include "test.h"

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
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    test_path_fresh(path, sizeof path, dir, "out.txt");
    test_path_fresh(tmp, sizeof tmp, dir, "out.txt.tmp");
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
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    Error err;
    snprintf(bad, sizeof bad, "%s/no-such-dir/out.txt", dir);
    CHECK(report_write_atomic(bad, "x", 1, &err) == STATUS_IO);
    CHECK(strstr(err.msg, bad) != NULL);

    /* The temp name is taken by a directory: creating the temp file fails. */
    test_path_fresh(path, sizeof path, dir, "kept.txt");
    /* test_path_fresh also removes the directory an earlier run in this temp dir
     * left here. */
    test_path_fresh(tmp, sizeof tmp, dir, "kept.txt.tmp");
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

/* More bytes than the reader's first buffer, so it must grow; zeros included. */
#define READ_TEST_BYTES 200003

static int test_read_file_round_trip(void)
{
    char dir[256], path[512];
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    test_path_fresh(path, sizeof path, dir, "bytes.bin");
    unsigned char *want = malloc(READ_TEST_BYTES);
    CHECK(want != NULL);
    for (size_t i = 0; i < READ_TEST_BYTES; i++)
        want[i] = (unsigned char)(i * 7 % 251);
    Error err;
    Status st = report_write_atomic(path, want, READ_TEST_BYTES, &err);
    unsigned char *got = NULL;
    size_t len = 0;
    if (st == STATUS_OK)
        st = readfile_whole(path, &got, &len, &err);
    int same = st == STATUS_OK && len == READ_TEST_BYTES &&
               memcmp(got, want, len) == 0 && got[len] == '\0';
    free(want), free(got);
    CHECK(same);
    /* An empty file: a buffer holding just the NUL. */
    CHECK(report_write_atomic(path, "", 0, &err) == STATUS_OK);
    CHECK(readfile_whole(path, &got, &len, &err) == STATUS_OK);
    same = got != NULL && len == 0 && got[0] == '\0';
    free(got);
    CHECK(same);
    /* A limit of exactly the size passes; one byte less fails without a buffer. */
    CHECK(report_write_atomic(path, "0123456789", 10, &err) == STATUS_OK);
    CHECK(readfile_whole_max(path, 10, &got, &len, &err) == STATUS_OK);
    same = len == 10 && memcmp(got, "0123456789", 11) == 0;
    free(got);
    CHECK(same);
    CHECK(readfile_whole_max(path, 9, &got, &len, &err) == STATUS_DATA);
    CHECK(got == NULL && strstr(err.msg, path) != NULL);
    return 0;
}

static int test_read_file_failures(void)
{
    char dir[256], path[512];
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/no-such-file", dir);
    unsigned char *got = (unsigned char *)"untouched";
    size_t len;
    Error err;
    CHECK(readfile_whole(path, &got, &len, &err) == STATUS_IO);
    CHECK(got == NULL && strstr(err.msg, path) != NULL);
    CHECK(readfile_whole(dir, &got, &len, &err) == STATUS_IO);
    CHECK(got == NULL && strstr(err.msg, dir) != NULL);
    CHECK(strstr(err.msg, "not a regular file") != NULL);
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
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    test_path_fresh(path, sizeof path, dir, "log.csv");
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
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    test_path_fresh(path, sizeof path, dir, "empty.csv");
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
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/no-such-dir/log.csv", dir);
    CsvLog log;
    Error err;
    CHECK(csvlog_open(&log, path, "a,b", &err) == STATUS_IO);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(log.f == NULL);
    return 0;
}

static int write_text(const char *path, const char *text)
{
    Error err;
    CHECK(report_write_atomic(path, text, strlen(text), &err) == STATUS_OK);
    return 0;
}

/* The run directory's lock: taken, refused while a live process holds it (pid 1
 * always lives), taken over from a process that is gone (a pid above any pid_max),
 * refused when it holds no pid; removing it says why it failed. */
static int test_lock(void)
{
    char dir[256], path[512], mine[64];
    CHECK(test_tmpdir_copy(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/" REPORT_LOCK_FILE, dir);
    RunLock lk;
    long stale = -1;
    Error err;
    CHECK(report_lock(&lk, dir, "now", &stale, &err) == STATUS_OK && lk.held);
    CHECK(stale == 0);
    unsigned char *text;
    size_t len;
    CHECK(readfile_whole(path, &text, &len, &err) == STATUS_OK);
    snprintf(mine, sizeof mine, "pid %ld\nstarted now\n", platform_pid());
    CHECK(strcmp((char *)text, mine) == 0);
    free(text);
    report_unlock(&lk);
    CHECK(!platform_kind(path) && !lk.held);
    CHECK(write_text(path, "pid 1\nstarted then\n") == 0);
    CHECK(report_lock(&lk, dir, "now", &stale, &err) == STATUS_IO && !lk.held);
    CHECK(strstr(err.msg, "in use by process 1 (started then;") != NULL);
    report_unlock(&lk);
    CHECK(platform_kind(path) != NULL);   /* not ours: left alone */
    CHECK(write_text(path, "pid 2000000000\nstarted then\n") == 0);
    CHECK(report_lock(&lk, dir, "now", &stale, &err) == STATUS_OK && lk.held);
    CHECK(stale == 2000000000);
    report_unlock(&lk);
    CHECK(write_text(path, "") == 0);
    CHECK(report_lock(&lk, dir, "now", &stale, &err) == STATUS_IO);
    CHECK(strstr(err.msg, "holds no process id") != NULL);
    CHECK(report_remove(path, &err) == STATUS_OK);
    CHECK(report_remove(path, &err) == STATUS_IO);
    CHECK(strstr(err.msg, path) && strstr(err.msg, ": ") && !strstr(err.msg, "unknown"));
    return 0;
}

const TestCase report_tests[] = {
    {"report_ppm_golden", test_ppm_golden},
    {"report_write_atomic_replaces", test_write_atomic_replaces},
    {"report_write_atomic_failures_keep_target",
     test_write_atomic_failures_keep_target},
    {"readfile_whole_round_trip", test_read_file_round_trip},
    {"readfile_whole_failures", test_read_file_failures},
    {"report_csvlog_full_device_fails", test_csvlog_full_device_fails},
    {"report_csvlog_header_once", test_csvlog_header_once},
    {"report_csvlog_empty_file_gets_header", test_csvlog_empty_file_gets_header},
    {"report_csvlog_open_fails_in_missing_dir", test_csvlog_open_fails_in_missing_dir},
    {"report_lock", test_lock},
    {NULL, NULL},
};
