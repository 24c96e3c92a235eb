/* norm.h - batch norm and group norm kernels (layer norm is group norm with one
 * group). Activations NCHW; per-channel scale gamma[C] and shift beta[C]. Forward
 * overwrites y and saves mean and rstd = 1/sqrt(var + eps) (biased variance);
 * backward reuses exactly those and accumulates into dx, dgamma, dbeta. Statistics
 * accumulate in double. Results do not depend on the pool's thread count.
 * Exported prefixes: bnorm_, gnorm_. */
#ifndef CIFAR_NORM_H
#define CIFAR_NORM_H

#include "tensor.h"
#include "pool.h"

/* Training forward over x[N][C][H][W]: statistics per channel over N, H, W; saves
 * mean[C] and rstd[C]; updates run_mean and run_var (unbiased variance) with
 * run = (1 - momentum) * run + momentum * batch, as PyTorch does. */
void bnorm_forward_train(Shape4 s, float *y, float *mean, float *rstd,
                         float *run_mean, float *run_var, const float *x,
                         const float *gamma, const float *beta, float eps,
                         float momentum, Pool *pool);
/* Evaluation forward with the running statistics. Overwrites y only. */
void bnorm_forward_eval(Shape4 s, float *y, const float *x, const float *gamma,
                        const float *beta, const float *run_mean,
                        const float *run_var, float eps, Pool *pool);
/* Backward of the training forward. */
void bnorm_backward(Shape4 s, float *dx, float *dgamma, float *dbeta, const float *dy,
                    const float *x, const float *mean, const float *rstd,
                    const float *gamma, Pool *pool);

/* Group norm: C divisible by groups (asserted); statistics per sample and group over
 * C/groups channels and H, W; saves mean[N][groups] and rstd[N][groups]. Same in
 * training and evaluation. */
void gnorm_forward(Shape4 s, int groups, float *y, float *mean, float *rstd,
                   const float *x, const float *gamma, const float *beta, float eps,
                   Pool *pool);
void gnorm_backward(Shape4 s, int groups, float *dx, float *dgamma, float *dbeta,
                    const float *dy, const float *x, const float *mean,
                    const float *rstd, const float *gamma, Pool *pool);

#endif
