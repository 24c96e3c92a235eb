/* rng.h - random numbers as values: a PCG32 stream per purpose (init, shuffle,
 * augmentation), seeded from the user's seed and a stream id, plus a counter-based
 * hash for dropout masks so a mask depends only on (key, index), never on which
 * thread drew it. No global state. Exported prefix: rng_. */
#ifndef CIFAR_RNG_H
#define CIFAR_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
    uint64_t inc;
} Rng;

/* Distinct streams derived from one seed. */
enum { RNG_STREAM_INIT = 1, RNG_STREAM_SHUFFLE = 2, RNG_STREAM_AUGMENT = 3,
       RNG_STREAM_DROPOUT = 4, RNG_STREAM_TEST = 5,
       RNG_STREAM_FLIP = 6 };

void rng_seed(Rng *r, uint64_t seed, uint64_t stream);
uint32_t rng_u32(Rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint32_t rng_below(Rng *r, uint32_t n);
/* Uniform float in [0, 1) with 24 random bits. */
float rng_uniform(Rng *r);
/* Standard normal (Box-Muller; one value per call). */
float rng_normal(Rng *r);
/* A well-mixed 64-bit function of (key, counter): the splitmix64 finaliser.
 * Inline so that the dropout mask loops can vectorise it. */
static inline uint64_t rng_hash(uint64_t key, uint64_t counter)
{
    uint64_t z = key + (counter + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

#endif
