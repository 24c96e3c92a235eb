/* whiten.h - patch whitening: the weights of a frozen convolution that turns each
 * k x k patch of an image into coordinates along the principal axes of the patches of
 * a set of images, each scaled to unit variance, with the negation of each beside it
 * (so that a ReLU after it passes both signs). Fitted once from training images
 * before training starts; the fast-training literature's largest single gain for
 * small nets. Exported prefixes: whiten_, WHITEN_. */
#ifndef CIFAR_WHITEN_H
#define CIFAR_WHITEN_H

#include <stddef.h>

/* Added to every eigenvalue before its inverse square root: keeps the axes of
 * almost no variance from being scaled up without bound. */
#define WHITEN_EPS 5e-4
/* Largest patch dimension c*k*k the fit takes (3 channels, 5x5). */
#define WHITEN_MAX_DIM 75

/* The eigenvalues (descending, into values[d]) and unit eigenvectors (rows of
 * vectors[d][d], in the same order) of the symmetric d x d matrix a, by cyclic Jacobi
 * rotations. a is overwritten. d <= WHITEN_MAX_DIM. */
void whiten_eigen(double *a, int d, double *values, double *vectors);

/* The second moment of the k x k patches at every position where the patch lies
 * inside the image, over n images x[n][c][h][w], into cov[d][d], d = c*k*k. */
void whiten_patch_moment(const float *x, int n, int c, int h, int w, int k,
                         double *cov);

/* Fit weights w[2d][c][k][k] (d = c*k*k) to the patches of x[n][c][h][w]: output d'
 * < d is the patch's coordinate along the d'-th principal axis (largest variance
 * first) over sqrt(variance + WHITEN_EPS); output d + d' is its negation. */
void whiten_fit(const float *x, int n, int c, int h, int w, int k, float *weights);

#endif
