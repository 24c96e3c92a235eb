/* tensor.h - shapes, float views and the arena they point into.
 * Ownership: a Tensor never owns memory; arenas do. Building a model walks its layers
 * twice with the same code: once with a counting arena (base NULL) to learn the size,
 * then with a real arena to hand out pointers. Exported prefixes: shape4_, arena_. */
#ifndef CIFAR_TENSOR_H
#define CIFAR_TENSOR_H

#include <stddef.h>
#include <stdbool.h>
#include "base/status.h"

/* Activations are NCHW. */
typedef struct {
    int n, c, h, w;
} Shape4;

typedef struct {
    float *data;
    Shape4 shape;
} Tensor;

/* Elements in a shape; 0 if the product overflows size_t (callers check). */
size_t shape4_count(Shape4 s);
bool shape4_equal(Shape4 a, Shape4 b);

/* Alignment of every arena slice, in floats (64 bytes). */
#define ARENA_ALIGN_FLOATS 16

typedef struct {
    float *base;   /* NULL while counting */
    size_t cap;    /* floats available (counting: unlimited) */
    size_t used;   /* floats handed out, rounded up to the alignment */
} Arena;

/* A counting arena: takes return NULL and only advance used. */
void arena_init_counting(Arena *a);
/* Allocate nfloats, zeroed and 64-byte aligned. */
Status arena_init(Arena *a, size_t nfloats, const char *what, Error *err);
void arena_free(Arena *a);
/* The next n floats (aligned); NULL when counting. Asserts n fits. */
float *arena_take(Arena *a, size_t n);

/* Overflow-checked size arithmetic: false on overflow. */
bool size_mul(size_t a, size_t b, size_t *out);
bool size_add(size_t a, size_t b, size_t *out);

#endif
