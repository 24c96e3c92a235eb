/* compare.h - `cifar-train compare DIR... [--svg FILE] [--csv FILE] [--force]`: read
 * the log.csv and run.txt of several run directories, finished or not, and put them
 * side by side: a table (norm, model, seed, lr, parameters, epochs, final and best
 * test accuracy, flip accuracy, final train accuracy, wall time), runs that differ
 * only in their seed summarised as mean +- std, and an SVG chart of test accuracy and
 * test loss per epoch: colour by norm, a marker shape per seed, and per seed group
 * its mean line over a band spanning min..max of its runs. A run whose run.txt does
 * not say "status: finished" is marked unfinished. Outputs never replace an input
 * nor, without --force, a file this command did not write. Exported prefixes:
 * compare_, COMPARE_. */
#ifndef CIFAR_COMPARE_H
#define CIFAR_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include "base/status.h"
#include "base/strbuf.h"
#include "report/runlog.h"

/* The second line of every chart, by which a later run recognises its own file. */
#define COMPARE_SVG_MARK "<!-- cifar-train compare -->"
/* The first line of every --csv table, by which it is recognised. */
#define COMPARE_CSV_HEADER                                                           \
    "run,group,norm,model,seed,lr,parameters,epochs,planned_epochs,finished,"        \
    "final_test_acc,best_test_acc,best_epoch,final_test_acc_flip,final_train_acc,"   \
    "final_test_loss,wall_seconds"

typedef struct {
    const char *name;   /* the directory; not owned */
    RunLog log;
    char *info;         /* run.txt text, malloc'd, or NULL when there is none */
} CompareRun;

typedef struct {
    const char *svg;    /* --svg, or NULL: compare.svg in the runs' common parent */
    const char *csv;    /* --csv, or NULL: no CSV */
    bool force;         /* replace files this command did not write */
    bool help;
} CompareOptions;

/* Parse the arguments after "compare": options, and every other argument a
 * directory, copied in order to dirs (when dirs is not NULL; room for n) with their
 * count in *ndirs. STATUS_USAGE for an unknown option, a missing value, or no
 * directory (unless --help). */
Status compare_parse(CompareOptions *opt, const char *const *args, int n,
                     const char **dirs, int *ndirs, Error *err);

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

/* Group the runs that differ only in seed (and in where they ran: out, data,
 * threads, conv): group[i] gets the group of run i, numbered from 0 in order of
 * first appearance; a run without run.txt is a group of its own. Returns the
 * number of groups. */
int compare_group(const CompareRun *runs, int n, int *group);

/* The side-by-side table, one run per line, a note on unfinished runs, and a
 * second table of the groups of two or more runs: mean +- sample std over them. */
void compare_table(StrBuf *out, const CompareRun *runs, int n);
/* The table as CSV: COMPARE_CSV_HEADER, then one row per run (numbers plain,
 * unknown values empty; group is the group's label when it has two or more runs). */
void compare_csv(StrBuf *out, const CompareRun *runs, int n);
/* The chart as a whole SVG document, COMPARE_SVG_MARK on its second line. */
void compare_svg(StrBuf *out, const CompareRun *runs, int n);

/* True if text is a file this command wrote: a chart with the mark, or a CSV whose
 * first line is the header. */
bool compare_is_own_svg(const char *text);
bool compare_is_own_csv(const char *text);
/* compare.svg in the common parent directory of the run paths (compared as
 * strings, by whole components; "." when they share none): runs/a and runs/b give
 * runs/compare.svg. */
void compare_default_svg(char *buf, size_t cap, const char *const *paths, int n);

/* The command: the arguments after "compare" (as for compare_parse). A run
 * directory argument is used as it is; a directory without log.csv stands for its
 * subdirectories that have one, sorted by name; any other existing file is skipped
 * with a notice on stderr, a missing one fails (STATUS_IO). Prints the table on
 * stdout and writes the chart (and the CSV). An output that is one of the inputs'
 * log.csv or run.txt, or (without --force) an existing file that is not this
 * command's own, is refused with STATUS_USAGE before anything is written. */
Status compare_main(const char *const *args, int n, Error *err);

#endif
