/* pool.h - a fixed worker pool on C11 <threads.h>. pool_run splits a job into
 * chunks defined by the problem (samples, channels), never by the thread count;
 * workers claim chunk indices atomically, and the caller waits until all are done.
 * With one thread nothing is spawned and chunks run in order on the caller.
 * Exported prefix: pool_. */
#ifndef CIFAR_POOL_H
#define CIFAR_POOL_H

#include <stddef.h>
#include "base/status.h"

typedef struct Pool Pool;

/* fn(ctx, chunk, worker): worker is in [0, pool_threads(pool)), for per-worker
 * scratch. Chunks must be independent of one another. */
typedef void (*PoolTask)(void *ctx, size_t chunk, int worker);

/* nthreads >= 1. Fails with STATUS_NOMEM or STATUS_IO if threads cannot start. */
Status pool_create(Pool **out, int nthreads, Error *err);
void pool_destroy(Pool *pool);
/* 1 for a NULL pool. */
int pool_threads(const Pool *pool);
/* Run fn on every chunk in [0, nchunks); a NULL pool runs serially. Not reentrant:
 * a task must not call pool_run on the same pool. */
void pool_run(Pool *pool, size_t nchunks, PoolTask fn, void *ctx);

#endif
