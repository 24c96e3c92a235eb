/* ops.h - the small layers: ReLU, dropout, 2x2 max- and average pool, global average pool,
 * skip-add, and log-softmax with NLL loss. Forward overwrites its output; backward
 * accumulates (+=) into every gradient. Elementwise kernels work on a flat range so
 * the caller may split a batch into chunks. Exported prefixes: relu_, dropout_,
 * maxpool2_, avgpool2_, avgpool_, add_, loss_. */
#ifndef CIFAR_OPS_H
#define CIFAR_OPS_H

#include <stddef.h>
#include <stdint.h>
#include "base/tensor.h"

/* y = max(x, 0) over n elements; y may equal x (in place). Backward uses y:
 * dx += dy where y > 0. */
void relu_forward(size_t n, float *y, const float *x);
void relu_backward(size_t n, float *dx, const float *dy, const float *y);

/* Inverted dropout with drop probability p in [0, 1): element i (absolute index
 * first + i in the tensor) is kept when rng_hash(key, first + i) clears the threshold
 * for p, and scaled by 1/(1-p); y may equal x (in place). Nothing is saved: backward
 * regenerates the mask from the same key, so it must get the same key and first. */
void dropout_forward(size_t n, size_t first, float *y, const float *x, float p,
                     uint64_t key);
void dropout_backward(size_t n, size_t first, float *dx, const float *dy, float p,
                      uint64_t key);
/* 1 if element index is kept, else 0 (the mask both passes use; for tests). */
int dropout_keep(uint64_t key, size_t index, float p);

/* 2x2 max-pool, stride 2, over x[N][C][H][W] with even or odd H, W (the last odd
 * row/column is dropped, as PyTorch's floor mode does); y[N][C][H/2][W/2]. Backward
 * routes dy to the first maximum of each window in row-major order, found again from
 * x and y (nothing saved). */
void maxpool2_forward(Shape4 xs, float *y, const float *x);
void maxpool2_backward(Shape4 xs, float *dx, const float *dy, const float *x,
                       const float *y);

/* 2x2 average pool, stride 2, over x[N][C][H][W], H, W >= 2 (an odd last row or
 * column is dropped, as for max-pool); y[N][C][H/2][W/2]. Backward: dx += dy/4 over
 * each window; nothing saved. */
void avgpool2_forward(Shape4 xs, float *y, const float *x);
void avgpool2_backward(Shape4 xs, float *dx, const float *dy);

/* Global average pool: y[N][C] = mean over H, W of x[N][C][H][W]. */
void avgpool_forward(Shape4 xs, float *y, const float *x);
void avgpool_backward(Shape4 xs, float *dx, const float *dy);

/* Skip-add: y = a + b over n elements; backward da += dy and db += dy. */
void add_forward(size_t n, float *y, const float *a, const float *b);
void add_backward(size_t n, float *da, float *db, const float *dy);

/* Log-softmax over k classes for each of n rows: logp[n][k] from logits[n][k]
 * (overwrites). */
void loss_log_softmax(int n, int k, float *logp, const float *logits);
/* Mean over the batch of the label-smoothed NLL: with smoothing s, the target is
 * (1 - s) on the label and s/k on every class (s = 0 is plain NLL). labels[n] in
 * [0, k). Returned in double. */
double loss_nll(int n, int k, const float *logp, const unsigned char *labels,
                float smoothing);
/* The predicted class of one row of k scores (logits, log-probabilities or
 * probabilities): the index of the largest, the first of equals. */
int loss_argmax(const float *v, int k);
/* Gradient of that mean loss with respect to the logits: dlogits += (softmax -
 * target) / n. */
void loss_backward(int n, int k, float *dlogits, const float *logp,
                   const unsigned char *labels, float smoothing);

#endif
