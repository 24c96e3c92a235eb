/* conv_naive.c - the reference 2-D convolution: a plain loop nest over NCHW
 * activations and [cout][cin][k][k] weights, simple on purpose so that it can be
 * read against the definition and serve as the oracle for conv_blocked.c. It ignores
 * scratch and pool. Also home of conv_out_h/conv_out_w. Exported prefixes: conv2d_,
 * conv_. */
#include <assert.h>
#include <stddef.h>
#include <string.h>
#include "kernels/conv.h"

int conv_out_h(const ConvShape *s)
{
    return s->h + 2 * s->pad - s->k + 1;
}

int conv_out_w(const ConvShape *s)
{
    return s->w + 2 * s->pad - s->k + 1;
}

/* Index of element (n, c, y, x) in an NCHW tensor of c channels and h x w planes. */
static size_t at(int n, int c, int y, int x, int nc, int h, int w)
{
    return (((size_t)n * (size_t)nc + (size_t)c) * (size_t)h + (size_t)y) * (size_t)w +
           (size_t)x;
}

/* Input value under output (oy, ox) at kernel offset (ky, kx), or 0 in the padding. */
static float input_at(const ConvShape *s, const float *x, int n, int c, int oy, int ox,
                      int ky, int kx)
{
    int iy = oy + ky - s->pad, ix = ox + kx - s->pad;
    if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
        return 0.0f;
    return x[at(n, c, iy, ix, s->cin, s->h, s->w)];
}

static void check_shape(const ConvShape *s)
{
    assert(s->n >= 1 && s->cin >= 1 && s->cout >= 1 && s->k >= 1 && s->pad >= 0);
    assert(conv_out_h(s) >= 1 && conv_out_w(s) >= 1);
}

void conv2d_forward_naive(const ConvShape *s, float *y, const float *x,
                          const float *w, float *scratch, Pool *pool)
{
    (void)scratch;
    (void)pool;
    check_shape(s);
    int oh = conv_out_h(s), ow = conv_out_w(s), k = s->k;
    for (int n = 0; n < s->n; n++)
        for (int co = 0; co < s->cout; co++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    float sum = 0.0f;
                    for (int ci = 0; ci < s->cin; ci++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                                sum += input_at(s, x, n, ci, oy, ox, ky, kx) *
                                       w[at(co, ci, ky, kx, s->cin, k, k)];
                    y[at(n, co, oy, ox, s->cout, oh, ow)] = sum;
                }
}

/* Each output gradient g = dy[n][co][oy][ox] reaches every input and weight that
 * produced that output: dx += g * w and dw += g * x over the kernel window. */
void conv2d_backward_naive(const ConvShape *s, float *dx, bool zero_dx, float *dw,
                           const float *dy, const float *x, const float *w,
                           float *scratch, Pool *pool)
{
    (void)scratch;
    (void)pool;
    check_shape(s);
    int oh = conv_out_h(s), ow = conv_out_w(s), k = s->k;
    if (dx && zero_dx)
        memset(dx, 0, (size_t)s->n * (size_t)s->cin * (size_t)s->h * (size_t)s->w *
                          sizeof *dx);
    for (int n = 0; n < s->n; n++)
        for (int co = 0; co < s->cout; co++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    float g = dy[at(n, co, oy, ox, s->cout, oh, ow)];
                    for (int ci = 0; ci < s->cin; ci++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                size_t wi = at(co, ci, ky, kx, s->cin, k, k);
                                dw[wi] += g * input_at(s, x, n, ci, oy, ox, ky, kx);
                                int iy = oy + ky - s->pad, ix = ox + kx - s->pad;
                                if (!dx || iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
                                    continue;
                                dx[at(n, ci, iy, ix, s->cin, s->h, s->w)] += g * w[wi];
                            }
                }
}
