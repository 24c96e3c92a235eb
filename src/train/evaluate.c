/* evaluate.c - scoring a model on a set of images in inference mode. The batches
 * and the arithmetic are those of train.c's evaluation after each epoch, so that
 * eval reproduces the logged test accuracy exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kernels/ops.h"
#include "train/evaluate.h"

typedef struct {
    float *x;               /* [batch][3][32][32] */
    unsigned char *labels;  /* [batch] */
    float *logp, *probs;    /* [batch][10] */
    size_t *idx;            /* [batch] */
} Buffers;

static Status allocate(Buffers *b, size_t batch, Error *err)
{
    size_t k = MODEL_CLASSES;
    b->x = malloc(batch * CIFAR_IMAGE_BYTES * sizeof(float));
    b->labels = malloc(batch);
    b->logp = malloc(batch * k * sizeof(float));
    b->probs = malloc(batch * k * sizeof(float));
    b->idx = malloc(batch * sizeof(size_t));
    if (b->x && b->labels && b->logp && b->probs && b->idx)
        return STATUS_OK;
    return error_set(err, STATUS_NOMEM, "out of memory for evaluation");
}

static void release(Buffers *b)
{
    free(b->x), free(b->labels), free(b->logp), free(b->probs), free(b->idx);
}

/* probs = exp(logp) for n rows, averaged with what is there when add. */
static void to_probs(float *probs, const float *logp, int n, bool add)
{
    for (int i = 0; i < n * MODEL_CLASSES; i++) {
        float p = expf(logp[i]);
        probs[i] = add ? 0.5f * (probs[i] + p) : p;
    }
}

/* The plain pass's tallies and outputs for images start .. start+n-1. */
static void tally_plain(const Buffers *b, const float *logits, size_t start, int n,
                        float *out_logits, unsigned char *pred, EvalResult *res)
{
    res->loss += loss_nll(n, MODEL_CLASSES, b->logp, b->labels, 0.0f) * n;
    for (int i = 0; i < n; i++) {
        int p = loss_argmax(b->logp + i * MODEL_CLASSES, MODEL_CLASSES);
        res->correct += p == b->labels[i];
        if (pred)
            pred[start + (size_t)i] = (unsigned char)p;
    }
    if (out_logits)
        memcpy(out_logits + start * MODEL_CLASSES, logits,
               (size_t)n * MODEL_CLASSES * sizeof(float));
}

static void eval_batch(Model *m, Pool *pool, const CifarSet *set, Buffers *b,
                       size_t start, int n, float *out_logits, unsigned char *pred,
                       EvalResult *res)
{
    for (int i = 0; i < n; i++)
        b->idx[i] = start + (size_t)i;
    for (int flip = 0; flip <= (res->flip ? 1 : 0); flip++) {
        cifar_fill_batch(set, b->idx, n, b->x, b->labels, NULL, NULL, flip);
        const float *logits = model_forward(m, b->x, n, false, 0, pool);
        loss_log_softmax(n, MODEL_CLASSES, b->logp, logits);
        to_probs(b->probs, b->logp, n, flip);
        if (!flip)
            tally_plain(b, logits, start, n, out_logits, pred, res);
    }
    for (int i = 0; res->flip && i < n; i++)
        res->correct_flip += loss_argmax(b->probs + i * MODEL_CLASSES, MODEL_CLASSES) ==
                             b->labels[i];
    res->count += (size_t)n;
}

Status evaluate_set(Model *m, Pool *pool, const CifarSet *set, bool flip,
                    float *logits, unsigned char *pred, EvalResult *res, Error *err)
{
    memset(res, 0, sizeof *res);
    res->flip = flip;
    size_t batch = (size_t)m->in_shape.n;
    Buffers b = {0};
    Status st = allocate(&b, batch, err);
    for (size_t start = 0; st == STATUS_OK && start < set->count; start += batch) {
        size_t left = set->count - start;
        eval_batch(m, pool, set, &b, start, left < batch ? (int)left : (int)batch,
                   logits, pred, res);
    }
    release(&b);
    if (st == STATUS_OK && res->count > 0)
        res->loss /= (double)res->count;
    return st;
}

void evaluate_softmax(const float *logits, float *probs)
{
    float top = logits[loss_argmax(logits, MODEL_CLASSES)];
    double sum = 0.0;
    for (int k = 0; k < MODEL_CLASSES; k++)
        sum += exp((double)(logits[k] - top));
    for (int k = 0; k < MODEL_CLASSES; k++)
        probs[k] = (float)(exp((double)(logits[k] - top)) / sum);
}

double evaluate_percent(size_t part, size_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}
