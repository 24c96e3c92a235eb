/* runopts.c - comparing the options of two runs: what a resumed run checks against
 * its checkpoint before it continues. */
#include <assert.h>
#include <string.h>
#include "train/runopts.h"

const char *runopts_differing(const RunOptions *a, const RunOptions *b)
{
    assert(a->model.name && b->model.name);
    const ModelConfig *ma = &a->model, *mb = &b->model;
    /* Reals compare with ==: a checkpoint stores them exactly, and a run continues
     * bit for bit only with the very same values. */
    const struct {
        bool same;
        const char *option;
    } checks[] = {
        {strcmp(ma->name, mb->name) == 0, "model"},
        {ma->norm == mb->norm, "norm"},
        {ma->groups == mb->groups, "groups"},
        {ma->dropout == mb->dropout, "dropout"},
        {ma->batch == mb->batch, "batch"},
        {ma->conv == mb->conv, "conv"},
        {a->lr == b->lr, "lr"},
        {a->sgd.momentum == b->sgd.momentum, "momentum"},
        {a->sgd.weight_decay == b->sgd.weight_decay, "wd"},
        {a->sgd.nesterov == b->sgd.nesterov, "nesterov"},
        {a->schedule == b->schedule, "schedule"},
        {a->label_smoothing == b->label_smoothing, "smoothing"},
        {a->augment.crop_pad == b->augment.crop_pad, "crop"},
        {a->augment.flip == b->augment.flip, "flip"},
        {a->augment.cutout == b->augment.cutout, "cutout"},
        {a->tta == b->tta, "tta"},
        {a->seed == b->seed, "seed"},
        {a->limit_train == b->limit_train, "limit-train"},
        {a->limit_test == b->limit_test, "limit-test"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (!checks[i].same)
            return checks[i].option;
    return NULL;
}
