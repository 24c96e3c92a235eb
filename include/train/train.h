/* train.h - a training run: load the data, build the model, run the epochs with SGD,
 * evaluate after each, log a CSV row per epoch and, at the end, write the test
 * images the model got wrong. Exported prefix: train_. */
#ifndef CIFAR_TRAIN_H
#define CIFAR_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/pool.h"
#include "dataset/cifar.h"
#include "nn/model.h"
#include "train/optim.h"
#include "train/runopts.h"

/* Paths on the command line; as long as the data directory a run keeps. */
#define TRAIN_PATH_MAX RUNOPTS_PATH_MAX
/* The tool's version, as --version prints it and run.txt records it. */
#define TRAIN_VERSION "cifar-train 0.1.0"

typedef struct {
    RunOptions opts;        /* what defines the run; its checkpoint keeps them */
    char out_dir[TRAIN_PATH_MAX];
    bool force;             /* start over in a directory that has a log */
    bool quiet;             /* no per-epoch lines on stdout */
    bool resume;            /* continue the run in out_dir from its checkpoint */
    /* Polled before every SGD step (NULL: never): true stops the run there, with a
     * checkpoint to resume from (main passes its signal flag). */
    bool (*stop)(void);
    /* Called once just before the first SGD step (NULL: never): until then nothing
     * is to be saved, and main lets a signal end the process at once. */
    void (*steps_begin)(void);
} TrainConfig;

/* Header of log.csv; every row carries the run's identity so logs concatenate. */
#define TRAIN_CSV_HEADER                                                          \
    "epoch,norm,seed,lr,train_loss,train_acc,test_loss,test_acc,seconds,model,"    \
    "test_acc_flip,train_ce,run_id"

/* A batch prepared (normalised, augmented) for one SGD step. */
typedef struct {
    const float *x;                 /* [n][3][32][32] */
    const unsigned char *labels;    /* [n] */
    int n;
    uint64_t key;                   /* dropout masks of this step */
} TrainBatch;

/* One SGD step: forward in training mode, log-softmax into logp[n][10] and the mean
 * label-smoothed NLL; then, only if that loss is finite, backward and the update at
 * lr. Returns the loss. The trainer and the benchmark both step through here. */
double train_step(Model *m, Pool *pool, const TrainBatch *b, float smoothing,
                  const SgdConfig *sgd, float lr, float *logp);

/* The default options (also what --help prints). */
void train_defaults(TrainConfig *cfg);

/* Run to the end, holding out_dir's lock (report.h) from before the first file
 * there is read or written (STATUS_IO naming the holder if another process has it).
 * After every epoch the log gets a row and out_dir/checkpoint.bin is replaced
 * atomically. Fails with a message naming the file, option or value; on
 * STATUS_DIVERGED (a loss, weight or running statistic not finite) the log keeps
 * every finished epoch and the checkpoint the last finite weights; on
 * STATUS_INTERRUPTED (cfg->stop said so) the checkpoint holds the state at that step,
 * from which a resumed run continues bit for bit; run.txt says which.
 * With cfg->resume: continue the run in out_dir. The checkpoint's options must equal
 * cfg's (train_resume_config gives them; an error names any that differs) except
 * epochs (the new total, at least the finished ones: as many redoes only the end's
 * files), data_dir, threads and quiet; its run id must be the one in out_dir's
 * run.txt and log.csv. A failing resume changes nothing on disk. */
Status train_run(const TrainConfig *cfg, Pool *pool, Error *err);

/* The options of the run in dir, from dir/checkpoint.bin, into cfg (from defaults,
 * which give model.threads), with out_dir = dir and resume set. Fails as reading or
 * decoding the checkpoint does, naming it; when dir holds a run but no checkpoint
 * (stopped before its first), STATUS_IO saying so and suggesting --force. */
Status train_resume_config(const char *dir, TrainConfig *cfg, Error *err);

/* The final model of the run in dir: built from dir/checkpoint.bin's options for
 * threads workers and restored from its tensors, with those options in *opts
 * (model.threads = threads). Fails as reading or decoding the checkpoint does, naming
 * it, and with STATUS_DATA when the checkpoint was saved inside an epoch (an
 * interrupted run: no finished model); on failure m owns nothing. The only place
 * that turns a run directory into a model. */
Status train_load_model(const char *dir, int threads, Model *m, RunOptions *opts,
                        Error *err);

#endif
