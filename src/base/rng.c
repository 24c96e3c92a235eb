/* rng.c - PCG32 (O'Neill, 2014: 64-bit LCG state, xorshift-rotate output) and the
 * splitmix64 finaliser (rng_hash, inline in the header) as a counter-based hash. */
#include <math.h>
#include "base/rng.h"

#define PCG_MULT 6364136223846793005ULL
/* 2*pi in single precision; M_PI is POSIX, not C11. */
#define RNG_TWO_PI 6.28318530717958647692f

void rng_seed(Rng *r, uint64_t seed, uint64_t stream)
{
    r->state = 0;
    r->inc = (stream << 1) | 1u;
    (void)rng_u32(r);
    r->state += rng_hash(seed, stream);
    (void)rng_u32(r);
}

uint32_t rng_u32(Rng *r)
{
    uint64_t old = r->state;
    r->state = old * PCG_MULT + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32 - rot) & 31));
}

uint32_t rng_below(Rng *r, uint32_t n)
{
    /* Reject the low values that would make some residues more likely. */
    uint32_t threshold = (0u - n) % n;
    for (;;) {
        uint32_t v = rng_u32(r);
        if (v >= threshold)
            return v % n;
    }
}

float rng_uniform(Rng *r)
{
    return (float)(rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

float rng_normal(Rng *r)
{
    float u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-12f)
        u1 = 1e-12f;
    return sqrtf(-2.0f * logf(u1)) * cosf(RNG_TWO_PI * u2);
}
