/* test_tensor.c - base modules: overflow-checked sizes, the arena, the RNG and the
 * worker pool. */
#include <stdint.h>
#include <string.h>
#include "base/pool.h"
#include "base/rng.h"
#include "base/tensor.h"
#include "test.h"

static int test_tensor_sizes(void)
{
    size_t out;
    CHECK(size_mul(3, 4, &out) && out == 12);
    CHECK(!size_mul(SIZE_MAX / 2, 3, &out));
    CHECK(!size_add(SIZE_MAX, 1, &out));
    CHECK(shape4_count((Shape4){2, 3, 4, 5}) == 120);
    CHECK(shape4_count((Shape4){-1, 3, 4, 5}) == 0);
    return 0;
}

/* Counting and real arenas hand out the same offsets, 64-byte aligned. */
static int test_tensor_arena(void)
{
    Arena count, real;
    Error err;
    arena_init_counting(&count);
    CHECK(arena_take(&count, 3) == NULL);
    arena_take(&count, 17);
    CHECK(count.used == 2 * ARENA_ALIGN_FLOATS + ARENA_ALIGN_FLOATS);
    CHECK(arena_init(&real, count.used, "test", &err) == STATUS_OK);
    float *a = arena_take(&real, 3), *b = arena_take(&real, 17);
    CHECK(b - a == ARENA_ALIGN_FLOATS && ((uintptr_t)b % 64) == 0);
    CHECK(real.used == count.used && a[0] == 0.0f && b[16] == 0.0f);
    arena_free(&real);
    return 0;
}

static int test_tensor_rng(void)
{
    Rng a, b, c;
    rng_seed(&a, 5, 1), rng_seed(&b, 5, 1), rng_seed(&c, 5, 2);
    int same = 1, differ = 0;
    double mean = 0.0;
    for (int i = 0; i < 10000; i++) {
        uint32_t x = rng_u32(&a), y = rng_u32(&b), z = rng_u32(&c);
        same &= x == y;
        differ |= x != z;
        uint32_t k = rng_below(&a, 10);
        CHECK(k < 10);
        rng_u32(&b);
        mean += (double)rng_uniform(&c);
    }
    CHECK(same && differ);
    CHECK(fabs(mean / 10000.0 - 0.5) < 0.02);
    CHECK(rng_hash(1, 2) == rng_hash(1, 2) && rng_hash(1, 2) != rng_hash(2, 1));
    return 0;
}

typedef struct {
    int hits[1000];
} Hits;

static void mark(void *ctx, size_t chunk, int worker)
{
    Hits *h = ctx;
    (void)worker;
    h->hits[chunk]++;
}

/* Every chunk runs exactly once, with 1, 2 and 3 workers, many times over. */
static int test_tensor_pool(void)
{
    for (int threads = 1; threads <= 3; threads++) {
        Pool *pool;
        Error err;
        CHECK(pool_create(&pool, threads, &err) == STATUS_OK);
        CHECK(pool_threads(pool) == threads);
        for (int round = 0; round < 200; round++) {
            Hits h;
            memset(&h, 0, sizeof h);
            pool_run(pool, 1000, mark, &h);
            for (int i = 0; i < 1000; i++)
                CHECK(h.hits[i] == 1);
        }
        pool_destroy(pool);
    }
    return 0;
}

const TestCase tensor_tests[] = {
    {"tensor_sizes", test_tensor_sizes},
    {"tensor_arena", test_tensor_arena},
    {"tensor_rng", test_tensor_rng},
    {"tensor_pool", test_tensor_pool},
    {NULL, NULL},
};
