/* pool.c - worker pool on C11 threads. The caller is worker 0 and works too; the
 * nthreads - 1 spawned workers sleep on a condition variable until pool_run
 * publishes a job (a new generation), claim chunks with an atomic counter, and the
 * last one to finish wakes the caller. A training step runs dozens of jobs a few
 * microseconds apart, so before sleeping, workers and the caller poll the atomic
 * generation or busy count for a short while, yielding the processor in between:
 * a job that follows at once then needs no wake-up through the kernel. */
#include <stdatomic.h>
#include <stdlib.h>
#include <threads.h>
#include "base/pool.h"

/* Polls (each a thrd_yield) before sleeping: about 100 microseconds, longer than
 * the gaps between the jobs of a step, far shorter than a step. */
#define POOL_SPIN 256

typedef struct {
    Pool *pool;
    int id;
} WorkerArg;

struct Pool {
    int nthreads;
    thrd_t *threads;
    WorkerArg *args;
    mtx_t lock;
    cnd_t wake;          /* a new job or shutdown */
    cnd_t done;          /* every worker finished the job */
    atomic_ulong generation;
    atomic_int busy;     /* spawned workers still on the current job */
    int shutdown;
    /* the current job */
    PoolTask fn;
    void *ctx;
    size_t nchunks;
    atomic_size_t next;
};

static void work(Pool *p, int id)
{
    for (;;) {
        size_t c = atomic_fetch_add(&p->next, 1);
        if (c >= p->nchunks)
            return;
        p->fn(p->ctx, c, id);
    }
}

static int worker_main(void *arg)
{
    WorkerArg *wa = arg;
    Pool *p = wa->pool;
    unsigned long seen = 0;
    for (;;) {
        for (int i = 0; i < POOL_SPIN && atomic_load(&p->generation) == seen; i++)
            thrd_yield();
        mtx_lock(&p->lock);
        while (!p->shutdown && atomic_load(&p->generation) == seen)
            cnd_wait(&p->wake, &p->lock);
        if (p->shutdown)
            break;
        seen = atomic_load(&p->generation);
        mtx_unlock(&p->lock);
        work(p, wa->id);
        mtx_lock(&p->lock);
        if (atomic_fetch_sub(&p->busy, 1) == 1)
            cnd_signal(&p->done);
        mtx_unlock(&p->lock);
    }
    mtx_unlock(&p->lock);
    return 0;
}

static void stop_workers(Pool *p, int started)
{
    mtx_lock(&p->lock);
    p->shutdown = 1;
    cnd_broadcast(&p->wake);
    mtx_unlock(&p->lock);
    for (int i = 0; i < started; i++)
        thrd_join(p->threads[i], NULL);
}

Status pool_create(Pool **out, int nthreads, Error *err)
{
    *out = NULL;
    Pool *p = calloc(1, sizeof *p);
    if (!p || nthreads < 1)
        return free(p), error_set(err, STATUS_NOMEM, "cannot create the thread pool");
    p->nthreads = nthreads;
    atomic_init(&p->next, 0);
    atomic_init(&p->generation, 0);
    atomic_init(&p->busy, 0);
    int spawn = nthreads - 1;
    p->threads = calloc((size_t)spawn + 1, sizeof *p->threads);
    p->args = calloc((size_t)spawn + 1, sizeof *p->args);
    if (!p->threads || !p->args || mtx_init(&p->lock, mtx_plain) != thrd_success) {
        free(p->threads), free(p->args), free(p);
        return error_set(err, STATUS_NOMEM, "cannot create the thread pool");
    }
    if (cnd_init(&p->wake) != thrd_success || cnd_init(&p->done) != thrd_success) {
        mtx_destroy(&p->lock);
        free(p->threads), free(p->args), free(p);
        return error_set(err, STATUS_NOMEM, "cannot create the thread pool");
    }
    for (int i = 0; i < spawn; i++) {
        p->args[i] = (WorkerArg){p, i + 1};
        if (thrd_create(&p->threads[i], worker_main, &p->args[i]) != thrd_success) {
            stop_workers(p, i);
            p->nthreads = 1;
            pool_destroy(p);
            return error_set(err, STATUS_IO, "cannot start %d threads", nthreads);
        }
    }
    *out = p;
    return STATUS_OK;
}

void pool_destroy(Pool *p)
{
    if (!p)
        return;
    if (p->nthreads > 1)
        stop_workers(p, p->nthreads - 1);
    cnd_destroy(&p->wake);
    cnd_destroy(&p->done);
    mtx_destroy(&p->lock);
    free(p->threads);
    free(p->args);
    free(p);
}

int pool_threads(const Pool *p)
{
    return p ? p->nthreads : 1;
}

void pool_run(Pool *p, size_t nchunks, PoolTask fn, void *ctx)
{
    if (!p || p->nthreads == 1 || nchunks <= 1) {
        for (size_t c = 0; c < nchunks; c++)
            fn(ctx, c, 0);
        return;
    }
    mtx_lock(&p->lock);
    p->fn = fn;
    p->ctx = ctx;
    p->nchunks = nchunks;
    atomic_store(&p->next, 0);
    atomic_store(&p->busy, p->nthreads - 1);
    atomic_fetch_add(&p->generation, 1);
    cnd_broadcast(&p->wake);
    mtx_unlock(&p->lock);
    work(p, 0);
    for (int i = 0; i < POOL_SPIN && atomic_load(&p->busy) > 0; i++)
        thrd_yield();
    mtx_lock(&p->lock);
    while (atomic_load(&p->busy) > 0)
        cnd_wait(&p->done, &p->lock);
    mtx_unlock(&p->lock);
}
