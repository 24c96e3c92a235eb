/* runopts.h - the options of a training run, listed once: RUNOPTS_LIST below is the
 * command line's whole table, and from it come the command-line parser and --help,
 * the defaults, the checkpoint's options record, run.txt, and the comparison a
 * resumed run makes with its checkpoint. Adding an option is one line there, plus
 * its field and its use. Exported prefixes: runopts_, RUNOPTS_. */
#ifndef CIFAR_RUNOPTS_H
#define CIFAR_RUNOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dataset/cifar.h"
#include "nn/model.h"
#include "train/optim.h"

/* Longest data directory, with its terminating NUL. */
#define RUNOPTS_PATH_MAX 4096
/* Most worker threads the command line takes. */
#define RUNOPTS_MAX_THREADS 256
/* Where the dataset is when neither --data nor $CIFAR10_DIR says. */
#define RUNOPTS_DEFAULT_DATA "data/cifar-10-batches-bin"

typedef struct {
    /* model.threads is not part of the run: results do not depend on it, so a
     * checkpoint does not store it and runopts_differing ignores it. */
    ModelConfig model;
    int epochs;             /* the run's planned total */
    double lr;              /* peak learning rate */
    SgdConfig sgd;
    ScheduleKind schedule;
    float label_smoothing;
    CifarAugment augment;
    bool tta;               /* also report test accuracy with flip averaging */
    uint64_t seed;
    size_t limit_train, limit_test;   /* 0: all */
    char data_dir[RUNOPTS_PATH_MAX];
} RunOptions;

/* Every command-line option, in the order of --help, run.txt and the checkpoint:
 *   X(where, kind, field, name, arg, lo, hi, def, help)
 * where: KEEP   a RunOptions field, stored in checkpoints; a resumed run keeps it
 *        FREE   a RunOptions field, stored; a resumed run may change it
 *        TRAIN  a TrainConfig field, in run.txt but not stored (runfiles.h's RunFiles
 *               carries a copy of each)
 *        CLI    a CliCommand field of the command line only
 *        ACT    an action of the command line: field names CLI_<field>
 * kind:  INT (int), SIZE (size_t), REAL (double), FLOAT (float), U64 (uint64_t),
 *        PATH (char[RUNOPTS_PATH_MAX]), MODEL (one of model_name()), CHOICE (an enum:
 *        the index of one of the '|'-separated words of arg), ACTION (no value), and
 *        the bools: ON (--name sets it), OFF (--no-name clears it), ONOFF (both; help
 *        is the pair ("--name's help", "--no-name's help")).
 * field: the member, from RunOptions, TrainConfig or CliCommand as where says.
 * name:  the command-line name without "--"; run.txt uses it too.
 * arg:   the value's name in --help (NULL for bools and actions).
 * lo, hi: the range of INT, SIZE, REAL and FLOAT values, which the command line and
 *        checkpoint decoding both enforce.
 * def:   the default. threads' 0 stands for one per processor, which the command line
 *        counts. */
#define RUNOPTS_LIST(X)                                                              \
    X(KEEP, CHOICE, model.norm, "norm", "bn|ln|gn", 0, 0, NORM_BN,                   \
      "batch, layer or group norm")                                                  \
    X(KEEP, MODEL, model.name, "model", "NAME|FILE", 0, 0, model_name(0, NULL),      \
      "network: a built-in (see the models below) or a network file")                \
    X(KEEP, INT, model.groups, "groups", "G", 1, 1024, 4,                            \
      "--norm gn's groups (must divide channels)")                                  \
    X(FREE, INT, epochs, "epochs", "N", 1, 100000, 20, "epochs to train")            \
    X(KEEP, INT, model.batch, "batch", "N", 1, 65536, 128, "images per SGD step")    \
    X(KEEP, REAL, lr, "lr", "X", 0, 100, 0.2, "peak learning rate")                  \
    X(KEEP, FLOAT, sgd.momentum, "momentum", "X", 0, 0.9999, 0.9f, "SGD momentum")   \
    X(KEEP, FLOAT, sgd.weight_decay, "wd", "X", 0, 1, 5e-4f,                         \
      "weight decay (conv weights only)")                                          \
    X(KEEP, ONOFF, sgd.nesterov, "nesterov", NULL, 0, 0, true,                       \
      ("Nesterov momentum", "plain momentum"))                                       \
    X(KEEP, CHOICE, schedule, "schedule", "constant|step|onecycle", 0, 0,            \
      SCHEDULE_ONECYCLE, "learning-rate schedule")               \
    X(KEEP, FLOAT, label_smoothing, "smoothing", "X", 0, 0.99, 0.1f,                 \
      "label smoothing of the training loss")                                        \
    X(KEEP, FLOAT, model.dropout, "dropout", "P", -1, 0.99, -1.0f,                   \
      "dropout probability (-1: the model's own)")                                  \
    X(KEEP, INT, augment.crop_pad, "crop", "PAD", 0, 16, 2,                          \
      "random-crop padding in pixels (0: no crop)")                                  \
    X(KEEP, ONOFF, augment.flip, "flip", NULL, 0, 0, true,                           \
      ("random horizontal flips in training", "no flips in training"))              \
    X(KEEP, ONOFF, augment.alternate, "alt-flip", NULL, 0, 0, true,                 \
      ("with --flip, mirror each image every other epoch",                           \
       "with --flip, mirror at random"))                                             \
    X(KEEP, INT, augment.cutout, "cutout", "SIDE", 0, 32, 0,                         \
      "cutout square side in pixels (0: off)")                                       \
    X(KEEP, ONOFF, tta, "tta", NULL, 0, 0, false,                                    \
      ("flip-averaged accuracy every epoch",                                         \
       "flip-averaged accuracy at the end only"))                                    \
    X(KEEP, U64, seed, "seed", "S", 0, 0, 1,                                         \
      "seed of every random choice")                                                \
    X(CLI, INT, threads, "threads", "N", 1, RUNOPTS_MAX_THREADS, 0,                  \
      "worker threads (same results for any)")                                      \
    X(KEEP, CHOICE, model.conv, "conv", "blocked|naive", 0, 0, CONV_BLOCKED,         \
      "conv2d kernels: fast or reference")                                          \
    X(CLI, SIZE, max_params, "max-params", "N", 0, 1e9, 0,                           \
      "refuse a network with more parameters (0: no limit)")                        \
    X(CLI, ON, no_fuse, "no-fuse", NULL, 0, 0, false,                                \
      "ReLU and dropout as layers of their own, not fused into the norm's pass "    \
      "(same results, slower: a check)")                                            \
    X(FREE, PATH, data_dir, "data", "DIR", 0, 0, "",                                 \
      "CIFAR-10 binary batches (else $CIFAR10_DIR, else " RUNOPTS_DEFAULT_DATA ")")  \
    X(TRAIN, PATH, out_dir, "out", "DIR", 0, 0, "",                                  \
      "run directory (default runs/<norm>)")                                         \
    X(KEEP, SIZE, limit_train, "limit-train", "N", 0, 1e9, 0,                        \
      "only the first N training images (0: all)")                                  \
    X(KEEP, SIZE, limit_test, "limit-test", "N", 0, 1e9, 0,                          \
      "only the first N test images (0: all)")                                      \
    X(TRAIN, ON, force, "force", NULL, 0, 0, false,                                  \
      "start over in a run directory that already has a log")                        \
    X(CLI, PATH, resume, "resume", "DIR", 0, 0, "",                                  \
      "continue the run in DIR from its checkpoint")                                \
    X(TRAIN, ON, quiet, "quiet", NULL, 0, 0, false,                                  \
      "only errors: no progress, epoch lines or summary")                           \
    X(CLI, ON, bench_quick, "quick", NULL, 0, 0, false,                              \
      "tiny sizes, one repetition: checks the output, measures nothing")            \
    X(ACT, ACTION, HELP, "help", NULL, 0, 0, 0, "this help")                         \
    X(ACT, ACTION, VERSION, "version", NULL, 0, 0, 0, "the version")

/* The two help texts of an ONOFF option: RUNOPTS_HELP_ON help, RUNOPTS_HELP_OFF help. */
#define RUNOPTS_HELP_ON(on, off) on
#define RUNOPTS_HELP_OFF(on, off) off

/* Set dst, an option's field, to its default def (kind as in the list). */
#define RUNOPTS_SET_INT(dst, def) ((dst) = (def))
#define RUNOPTS_SET_SIZE RUNOPTS_SET_INT
#define RUNOPTS_SET_REAL RUNOPTS_SET_INT
#define RUNOPTS_SET_FLOAT RUNOPTS_SET_INT
#define RUNOPTS_SET_U64 RUNOPTS_SET_INT
#define RUNOPTS_SET_MODEL RUNOPTS_SET_INT
#define RUNOPTS_SET_CHOICE RUNOPTS_SET_INT
#define RUNOPTS_SET_ON RUNOPTS_SET_INT
#define RUNOPTS_SET_OFF RUNOPTS_SET_INT
#define RUNOPTS_SET_ONOFF RUNOPTS_SET_INT
#define RUNOPTS_SET_PATH(dst, def) snprintf((dst), sizeof(dst), "%s", (def))
#define RUNOPTS_SET_ACTION(dst, def) ((void)0)

/* The defaults of the KEEP and FREE options into o (model.threads becomes 1). */
void runopts_defaults(RunOptions *o);

/* Word i of a CHOICE option's arg ("bn|ln|gn"): where it starts, with its length in
 * *len; NULL when there is no word i. */
const char *runopts_choice(const char *arg, int i, size_t *len);

/* The index of the word of arg equal to the len bytes at s; -1 if none is. */
int runopts_choice_index(const char *arg, const char *s, size_t len);

/* The command-line name (without "--") of the first option in which a and b differ,
 * among the KEEP ones: those a resumed run must keep. NULL when they agree. Both
 * model names must be set. */
const char *runopts_differing(const RunOptions *a, const RunOptions *b);

#endif
