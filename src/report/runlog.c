/* runlog.c - parsing log.csv and run.txt text (read by readfile_whole). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/runlog.h"

enum { COL_EPOCH, COL_TRAIN_LOSS, COL_TRAIN_ACC, COL_TEST_LOSS, COL_TEST_ACC,
       COL_SECONDS, COL_TEST_ACC_FLIP, COL_TRAIN_CE, COL_LR, COL_NORM, COL_MODEL,
       COL_COUNT };

static const char *const column_names[COL_COUNT] = {
    "epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds",
    "test_acc_flip", "train_ce", "lr", "norm", "model",
};
/* Columns before this one must be present. */
#define COL_REQUIRED COL_SECONDS
#define RUNLOG_MAX_FIELDS 64
#define RUNLOG_LINE_MAX 1024

/* Split line (modified in place) at commas into at most max fields. */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line;; p++) {
        if (n < max)
            fields[n] = p;
        n++;
        p = strchr(p, ',');
        if (!p)
            break;
        *p = '\0';
    }
    return n < max ? n : max;
}

/* Where each column is in the header, -1 if absent. */
static Status find_columns(char *header, int where[COL_COUNT], const char *name,
                           Error *err)
{
    char *fields[RUNLOG_MAX_FIELDS];
    int n = split(header, fields, RUNLOG_MAX_FIELDS);
    for (int c = 0; c < COL_COUNT; c++) {
        where[c] = -1;
        for (int i = 0; i < n && where[c] < 0; i++)
            if (strcmp(fields[i], column_names[c]) == 0)
                where[c] = i;
        if (c < COL_REQUIRED && where[c] < 0)
            return error_set(err, STATUS_DATA, "%s: no '%s' column in the header",
                             name, column_names[c]);
    }
    return STATUS_OK;
}

static bool number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE)
        return false;
    *out = d;
    return true;
}

static void copy_field(char *dst, size_t cap, char **fields, int n, int at)
{
    if (at >= 0 && at < n)
        snprintf(dst, cap, "%s", fields[at]);
}

static Status parse_row(RunLog *log, char *line, const int where[COL_COUNT], int lineno,
                        const char *name, Error *err)
{
    char *fields[RUNLOG_MAX_FIELDS];
    int n = split(line, fields, RUNLOG_MAX_FIELDS);
    double v[COL_NORM];
    for (int c = 0; c < COL_NORM; c++) {
        v[c] = (double)NAN;
        bool ok = where[c] >= 0 && where[c] < n && number(fields[where[c]], &v[c]);
        if (!ok && c < COL_REQUIRED)
            return error_set(err, STATUS_DATA, "%s line %d: bad or missing %s", name,
                             lineno, column_names[c]);
    }
    log->rows[log->n++] = (RunLogRow){v[COL_EPOCH], v[COL_TRAIN_LOSS], v[COL_TRAIN_ACC],
                                      v[COL_TEST_LOSS], v[COL_TEST_ACC], v[COL_SECONDS],
                                      v[COL_TEST_ACC_FLIP], v[COL_TRAIN_CE], v[COL_LR]};
    copy_field(log->norm, sizeof log->norm, fields, n, where[COL_NORM]);
    copy_field(log->model, sizeof log->model, fields, n, where[COL_MODEL]);
    return STATUS_OK;
}

/* The next complete line of text at *at into buf (without the newline); false at
 * the end or at a last line that has no newline yet. */
static bool next_line(const char **at, char *buf, size_t cap)
{
    const char *nl = strchr(*at, '\n');
    if (!nl)
        return false;
    size_t len = (size_t)(nl - *at);
    if (len > 0 && (*at)[len - 1] == '\r')
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(buf, *at, len);
    buf[len] = '\0';
    *at = nl + 1;
    return true;
}

static Status parse_lines(RunLog *log, const char *text, const char *name, Error *err)
{
    char line[RUNLOG_LINE_MAX];
    int where[COL_COUNT];
    const char *at = text;
    if (!next_line(&at, line, sizeof line))
        return error_set(err, STATUS_DATA, "%s: no header line", name);
    Status st = find_columns(line, where, name, err);
    for (int lineno = 2; st == STATUS_OK && next_line(&at, line, sizeof line); lineno++)
        if (line[0] != '\0')
            st = parse_row(log, line, where, lineno, name, err);
    return st;
}

Status runlog_parse(RunLog *log, const char *text, const char *name, Error *err)
{
    memset(log, 0, sizeof *log);
    size_t lines = 1;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    log->rows = malloc(lines * sizeof *log->rows);
    if (!log->rows)
        return error_set(err, STATUS_NOMEM, "out of memory reading %s", name);
    Status st = parse_lines(log, text, name, err);
    if (st != STATUS_OK)
        runlog_free(log);
    return st;
}

void runlog_free(RunLog *log)
{
    free(log->rows);
    memset(log, 0, sizeof *log);
}

int runlog_best(const RunLog *log)
{
    int best = -1;
    for (int i = 0; i < log->n; i++)
        if (best < 0 || log->rows[i].test_acc > log->rows[best].test_acc)
            best = i;
    return best;
}

double runlog_seconds(const RunLog *log)
{
    double total = 0.0;
    for (int i = 0; i < log->n; i++)
        if (isfinite(log->rows[i].seconds))
            total += log->rows[i].seconds;
    return total;
}

bool runinfo_get(const char *text, const char *key, char *value, size_t cap)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len > klen && strncmp(line, key, klen) == 0 && line[klen] == ':') {
            const char *v = line + klen + 1;
            while (*v == ' ')
                v++;
            size_t vlen = (size_t)(line + len - v);
            while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\r'))
                vlen--;
            snprintf(value, cap, "%.*s", (int)vlen, v);
            return true;
        }
        line = nl ? nl + 1 : NULL;
    }
    return false;
}
