/* runlog.h - reading a run directory back: log.csv (columns found by their header
 * names, so extra or reordered columns are fine) and run.txt ("key: value" lines).
 * Used to draw curves.svg and by `cifar-train compare`. Parsers work on text in
 * memory (readfile_whole loads a file as text). Exported prefixes: runlog_,
 * runinfo_. */
#ifndef CIFAR_RUNLOG_H
#define CIFAR_RUNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include "base/status.h"

/* Missing optional values (seconds, test_acc_flip, train_ce, lr) are NaN. train_loss
 * is the training objective (label-smoothed), train_ce the plain cross-entropy of
 * the same training batches. */
typedef struct {
    double epoch, train_loss, train_acc, test_loss, test_acc, seconds, test_acc_flip;
    double train_ce, lr;
} RunLogRow;

typedef struct {
    RunLogRow *rows;    /* [n], in file order */
    int n;
    char norm[16], model[16];   /* from the last row; "" if the log has no column */
} RunLog;

/* Parse log.csv text (name is used in messages). Needs the columns epoch,
 * train_loss, train_acc, test_loss, test_acc; seconds, test_acc_flip, train_ce, lr,
 * norm and model are optional.
 * A last line without its newline (a row still being written) is ignored. Fails
 * with STATUS_DATA naming the line for a missing column or a bad number,
 * STATUS_NOMEM when memory runs out; log is empty on failure. */
Status runlog_parse(RunLog *log, const char *text, const char *name, Error *err);
void runlog_free(RunLog *log);
/* Index of the row with the highest test accuracy (the first of equals), -1 if
 * there are no rows. */
int runlog_best(const RunLog *log);
/* Sum of the seconds column. */
double runlog_seconds(const RunLog *log);

/* Copy the value of "key: value" in run.txt text to value (trimmed, truncated to
 * cap); false when the key is absent or text is NULL. */
bool runinfo_get(const char *text, const char *key, char *value, size_t cap);

#endif
