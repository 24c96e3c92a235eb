/* runopts.h - the options that define a training run: the model, the optimiser and
 * its schedule, augmentation, the seed and the data. The trainer's configuration
 * holds them and a checkpoint stores them, so a resumed run takes them back whole
 * and is compared with them in one place. Exported prefixes: runopts_, RUNOPTS_. */
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

/* The command-line name (without "--") of the first option in which a and b differ,
 * among those a resumed run must keep: all but epochs, data_dir and model.threads.
 * NULL when they agree. Both model names must be set. */
const char *runopts_differing(const RunOptions *a, const RunOptions *b);

#endif
