/* conv.h - 2-D convolution (cross-correlation), stride 1, square odd or even kernel,
 * zero padding on every side. Activations NCHW, weights [cout][cin][k][k], no bias.
 * Two implementations with one signature: conv2d_*_naive is the reference loop nest,
 * simple on purpose; conv2d_*_blocked is the fast path (packed, register-blocked,
 * threaded over the pool). Exported prefixes: conv2d_, conv_. */
#ifndef CIFAR_CONV_H
#define CIFAR_CONV_H

#include <stdbool.h>
#include <stddef.h>
#include "base/pool.h"

typedef struct {
    int n;      /* batch */
    int cin;    /* input channels */
    int h, w;   /* input height and width */
    int cout;   /* output channels */
    int k;      /* kernel height = width */
    int pad;    /* zero padding on each side */
} ConvShape;

/* Output height h + 2*pad - k + 1, and width likewise. */
int conv_out_h(const ConvShape *s);
int conv_out_w(const ConvShape *s);

/* Floats of scratch the blocked path needs for a pool of nthreads workers (the naive
 * path needs none). The caller allocates it once, at model build. */
size_t conv2d_scratch_floats(const ConvShape *s, int nthreads);

/* Forward: y[n][cout][oh][ow] = sum over cin, kh, kw of x * w. Overwrites y. */
typedef void (*Conv2dForward)(const ConvShape *s, float *y, const float *x,
                              const float *w, float *scratch, Pool *pool);
/* Backward: accumulates dx[n][cin][h][w] += (dL/dx) and dw[cout][cin][k][k] +=
 * (dL/dw) from dy[n][cout][oh][ow]. With zero_dx, dx is overwritten instead, bit for
 * bit what adding into a zeroed dx gives, so the caller needs no zeroing pass. dx may
 * be NULL (the network's input needs no gradient). Uses x and w from the forward
 * pass. */
typedef void (*Conv2dBackward)(const ConvShape *s, float *dx, bool zero_dx, float *dw,
                               const float *dy, const float *x, const float *w,
                               float *scratch, Pool *pool);

void conv2d_forward_naive(const ConvShape *s, float *y, const float *x,
                          const float *w, float *scratch, Pool *pool);
void conv2d_backward_naive(const ConvShape *s, float *dx, bool zero_dx, float *dw,
                           const float *dy, const float *x, const float *w,
                           float *scratch, Pool *pool);
void conv2d_forward_blocked(const ConvShape *s, float *y, const float *x,
                            const float *w, float *scratch, Pool *pool);
void conv2d_backward_blocked(const ConvShape *s, float *dx, bool zero_dx, float *dw,
                             const float *dy, const float *x, const float *w,
                             float *scratch, Pool *pool);

#endif
