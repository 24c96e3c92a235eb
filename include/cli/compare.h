/* compare.h - `cifar-train compare DIR...`: read the log.csv and run.txt of several
 * run directories, finished or not, and put them side by side: a table (norm, model,
 * parameters, epochs, final and best test accuracy, final train accuracy, wall time)
 * and an SVG chart of test accuracy per epoch with one labelled line per run. A run
 * whose run.txt does not say "status: finished" is marked unfinished (still running
 * or stopped). Exported prefix: compare_. */
#ifndef CIFAR_COMPARE_H
#define CIFAR_COMPARE_H

#include <stdbool.h>
#include "base/status.h"
#include "base/strbuf.h"
#include "report/runlog.h"

typedef struct {
    const char *name;   /* the directory as given; not owned */
    RunLog log;
    char *info;         /* run.txt text, malloc'd, or NULL when there is none */
} CompareRun;

/* Read dir/log.csv (required: STATUS_IO naming it if missing, STATUS_DATA if it
 * cannot be parsed) and dir/run.txt (optional). */
Status compare_load(CompareRun *run, const char *dir, Error *err);
/* The same from text in memory (info_text may be NULL); for tests. */
Status compare_from_text(CompareRun *run, const char *name, const char *log_text,
                         const char *info_text, Error *err);
void compare_free(CompareRun *run);
/* True when run.txt says the run finished; *planned gets the planned epochs from
 * run.txt, or 0 if unknown. */
bool compare_finished(const CompareRun *run, int *planned);
/* The side-by-side table, one run per line, and a note on unfinished runs. */
void compare_table(StrBuf *out, const CompareRun *runs, int n);
/* The chart as a whole SVG document. */
void compare_svg(StrBuf *out, const CompareRun *runs, int n);
/* Load the runs in dirs[n], print the table on stdout and write the chart to
 * svg_path. Fails on the first run that cannot be read, or if the SVG cannot be
 * written. */
Status compare_main(const char *const *dirs, int n, const char *svg_path, Error *err);

#endif
