/* norm.h - batch norm and group norm kernels (layer norm is group norm with one
 * group). Activations NCHW; per-channel scale gamma[C] and shift beta[C]. Forward
 * overwrites y and saves mean and rstd = 1/sqrt(var + eps) (biased variance);
 * backward reuses exactly those and accumulates into dx, dgamma, dbeta. Statistics
 * accumulate in double. Results do not depend on the pool's thread count.
 * Exported prefixes: bnorm_, gnorm_. */
#ifndef CIFAR_NORM_H
#define CIFAR_NORM_H

#include <stdbool.h>
#include <stdint.h>
#include "base/pool.h"
#include "base/tensor.h"

/* What the _fused passes do besides the norm. A ReLU after it, and possibly a dropout
 * after that ReLU working in place over it: forward then writes y = max(norm(x), 0)
 * (the ReLU's output; NaN passes, as in relu_forward), and in training runs the
 * dropout on each plane of y into drop_y (y itself when in place) while the plane is
 * still in cache (dropout_forward with the plane's index in the tensor). Backward
 * takes dy at the end of that chain and forms the norm's output gradient itself:
 * dy * scale where the chain's output is positive, else 0. It reads that output,
 * relu_y, when a dropout follows (a dropped element is 0 there); without one it
 * finds where the ReLU's input norm(x) is positive from x, the saved statistics,
 * gamma and beta, computing norm(x) exactly as the forward did, so that it need not
 * read relu_y at all. And a backward may zero each plane of dx itself right before
 * adding into it, instead of the caller zeroing all of dx in a pass of its own.
 * Either way the results are bit for bit those of the separate passes, each adding
 * into a zeroed gradient. All zero: the plain norm. */
typedef struct {
    bool relu;              /* both: the ReLU */
    float drop_p;           /* forward: the dropout's p after the ReLU, 0 for none */
    uint64_t drop_key;      /* forward: the dropout's key */
    float *drop_y;          /* forward: the dropout's output */
    const float *relu_y;    /* backward: the chain's output with a dropout, or NULL */
    const float *beta;      /* backward: the norm's beta, for a ReLU without relu_y */
    float scale;            /* backward: the dropout's 1 / (1 - p), or 1 */
    bool zero_dx;           /* backward: dx is not zeroed yet */
} NormFusion;

/* Training forward over x[N][C][H][W]: statistics per channel over N, H, W; saves
 * mean[C] and rstd[C]; updates run_mean and run_var (unbiased variance) with
 * run = (1 - momentum) * run + momentum * batch, as PyTorch does. */
void bnorm_forward_train(Shape4 s, float *y, float *mean, float *rstd,
                         float *run_mean, float *run_var, const float *x,
                         const float *gamma, const float *beta, float eps,
                         float momentum, Pool *pool);
void bnorm_forward_train_fused(Shape4 s, float *y, float *mean, float *rstd,
                               float *run_mean, float *run_var, const float *x,
                               const float *gamma, const float *beta, float eps,
                               float momentum, const NormFusion *f, Pool *pool);
/* Evaluation forward with the running statistics. Overwrites y only. */
void bnorm_forward_eval(Shape4 s, float *y, const float *x, const float *gamma,
                        const float *beta, const float *run_mean,
                        const float *run_var, float eps, Pool *pool);
void bnorm_forward_eval_fused(Shape4 s, float *y, const float *x, const float *gamma,
                              const float *beta, const float *run_mean,
                              const float *run_var, float eps, const NormFusion *f,
                              Pool *pool);
/* Backward of the training forward. */
void bnorm_backward(Shape4 s, float *dx, float *dgamma, float *dbeta, const float *dy,
                    const float *x, const float *mean, const float *rstd,
                    const float *gamma, Pool *pool);
void bnorm_backward_fused(Shape4 s, float *dx, float *dgamma, float *dbeta,
                          const float *dy, const float *x, const float *mean,
                          const float *rstd, const float *gamma, const NormFusion *f,
                          Pool *pool);

/* Group norm: C divisible by groups (asserted); statistics per sample and group over
 * C/groups channels and H, W; saves mean[N][groups] and rstd[N][groups]. Same in
 * training and evaluation. */
void gnorm_forward(Shape4 s, int groups, float *y, float *mean, float *rstd,
                   const float *x, const float *gamma, const float *beta, float eps,
                   Pool *pool);
void gnorm_forward_fused(Shape4 s, int groups, float *y, float *mean, float *rstd,
                         const float *x, const float *gamma, const float *beta,
                         float eps, const NormFusion *f, Pool *pool);
void gnorm_backward(Shape4 s, int groups, float *dx, float *dgamma, float *dbeta,
                    const float *dy, const float *x, const float *mean,
                    const float *rstd, const float *gamma, Pool *pool);
void gnorm_backward_fused(Shape4 s, int groups, float *dx, float *dgamma,
                          float *dbeta, const float *dy, const float *x,
                          const float *mean, const float *rstd, const float *gamma,
                          const NormFusion *f, Pool *pool);

#endif
