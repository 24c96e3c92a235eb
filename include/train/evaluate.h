/* evaluate.h - scoring a trained model on a set of CIFAR images in inference mode,
 * as the training run scores its test set after each epoch (the same batches, the
 * same arithmetic, so the same figures): loss, accuracy, flip-averaged accuracy,
 * and per image the prediction and the logits. Exported prefix: evaluate_. */
#ifndef CIFAR_EVALUATE_H
#define CIFAR_EVALUATE_H

#include <stdbool.h>
#include <stddef.h>
#include "base/pool.h"
#include "base/status.h"
#include "dataset/cifar.h"
#include "nn/model.h"

typedef struct {
    double loss;            /* mean NLL over the images (no label smoothing) */
    size_t correct;         /* argmax of the logits equals the label */
    size_t correct_flip;    /* argmax of the probabilities averaged with the
                             * mirrored image's (flip only) */
    size_t count;
    bool flip;              /* correct_flip was measured */
} EvalResult;

/* Run every image of set through m (built for any batch size; batches of its
 * planned size) and tally against the labels. With flip, a second pass on the
 * mirrored images gives correct_flip. logits[count][10] and pred[count] receive
 * the plain pass's outputs when not NULL. Fails with STATUS_NOMEM only. */
Status evaluate_set(Model *m, Pool *pool, const CifarSet *set, bool flip,
                    float *logits, unsigned char *pred, EvalResult *res, Error *err);

/* probs[k] = softmax(logits)[k] for one image, in double for the sum. */
void evaluate_softmax(const float *logits, float *probs);

/* Percent of part in whole (0 when whole is 0). */
double evaluate_percent(size_t part, size_t whole);

#endif
