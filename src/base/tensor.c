/* tensor.c - shapes, overflow-checked sizes and the aligned arena. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/tensor.h"

bool size_mul(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return false;
    *out = a * b;
    return true;
}

bool size_add(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a)
        return false;
    *out = a + b;
    return true;
}

size_t shape4_count(Shape4 s)
{
    size_t n;
    if (s.n < 0 || s.c < 0 || s.h < 0 || s.w < 0)
        return 0;
    if (!size_mul((size_t)s.n, (size_t)s.c, &n) || !size_mul(n, (size_t)s.h, &n) ||
        !size_mul(n, (size_t)s.w, &n))
        return 0;
    return n;
}

bool shape4_equal(Shape4 a, Shape4 b)
{
    return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w;
}

void arena_init_counting(Arena *a)
{
    a->base = NULL;
    a->cap = SIZE_MAX;
    a->used = 0;
}

Status arena_init(Arena *a, size_t nfloats, const char *what, Error *err)
{
    size_t bytes;
    a->base = NULL;
    a->cap = a->used = 0;
    if (nfloats == 0)
        nfloats = ARENA_ALIGN_FLOATS;
    /* aligned_alloc needs a size that is a multiple of the alignment. */
    nfloats = (nfloats + ARENA_ALIGN_FLOATS - 1) / ARENA_ALIGN_FLOATS * ARENA_ALIGN_FLOATS;
    if (!size_mul(nfloats, sizeof(float), &bytes))
        return error_set(err, STATUS_NOMEM, "%s: size overflows", what);
    a->base = aligned_alloc(ARENA_ALIGN_FLOATS * sizeof(float), bytes);
    if (!a->base)
        return error_set(err, STATUS_NOMEM, "out of memory allocating %zu MB for %s",
                         bytes >> 20, what);
    memset(a->base, 0, bytes);
    a->cap = nfloats;
    return STATUS_OK;
}

void arena_free(Arena *a)
{
    free(a->base);
    a->base = NULL;
    a->cap = a->used = 0;
}

float *arena_take(Arena *a, size_t n)
{
    size_t rounded = (n + ARENA_ALIGN_FLOATS - 1) / ARENA_ALIGN_FLOATS * ARENA_ALIGN_FLOATS;
    assert(rounded >= n && a->used <= a->cap && rounded <= a->cap - a->used);
    float *p = a->base ? a->base + a->used : NULL;
    a->used += rounded;
    return p;
}
