// A small persistent thread pool for the kernels: (threads - 1) workers that spin briefly, then sleep
// (on a futex on Linux, else on a condition variable), and a caller that takes chunks too. Chunks are
// claimed dynamically, so a worker that wakes late (a busy machine) simply finds less left to do, and
// the caller never waits for work that nobody has started. A worker descheduled while holding a chunk makes the caller wait; after such a
// stall the pool runs the next calls on the caller alone for a while (see tl_parallel_run).
//
//   claim word = generation (24 bits) | chunk count (20) | next chunk (20): one CAS both checks that
//                the run is still the one the worker saw and claims a chunk of it
//   done       = chunks finished in this generation (the caller returns when done == nchunks)
//
// The condition variable is the portable way to sleep; Linux uses it too when built with
// -DTL_POOL_CONDVAR or run with TOKENLOOM_POOL_WAIT=condvar (or after tl_pool_set_wait), so the
// fallback is tested where the futex is the default.
#include "ckernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#define TL_PAUSE() _mm_pause()
#else
#define TL_PAUSE() ((void)0)
#endif

#define TL_POOL_MAX 64

typedef struct {
    _Atomic uint32_t gen;          // bumped once per run (the futex word)
    _Atomic uint64_t claim;        // gen << 40 | nchunks << 20 | next chunk
    _Atomic int64_t done;          // chunks finished in the current generation
    _Atomic int sleepers;          // workers blocked (or about to block) on gen
    _Atomic int stop;
    // The current run (written before gen is published; read by workers after they see it).
    _Atomic(tl_task_fn) fn;
    _Atomic(void *) ctx;
    int threads;
    int serial_left;               // runs left to do on the caller alone (after a stalled worker)
    int backoff;                   // how many serial runs the next stall costs
    pthread_mutex_t busy;          // one run at a time; a second caller runs its chunks alone
    int wait_kind;                 // TL_POOL_WAIT_FUTEX or TL_POOL_WAIT_CONDVAR, fixed at creation
    pthread_mutex_t wait_lock;     // the condition variable's (guards nothing else)
    pthread_cond_t wait_cond;
    pthread_t tids[TL_POOL_MAX];
} tl_pool;

static int64_t spin_ns(void) {
    static int64_t ns = -1;
    if (ns < 0) {
        const char *e = getenv("TOKENLOOM_SPIN_US");
        long us = e ? atol(e) : 100;
        ns = (us < 0 ? 0 : us) * 1000;
    }
    return ns;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#if defined(__linux__) && !defined(TL_POOL_CONDVAR)
#define TL_HAVE_FUTEX 1
#else
#define TL_HAVE_FUTEX 0
#endif

// The wait kind of pools created from now on: -1 = the default (the futex where there is one, unless
// TOKENLOOM_POOL_WAIT=condvar).
static _Atomic int forced_wait = -1;

static int wait_kind_for_new_pool(void) {
    if (!TL_HAVE_FUTEX) return TL_POOL_WAIT_CONDVAR;
    int k = atomic_load(&forced_wait);
    if (k >= 0) return k;
    const char *e = getenv("TOKENLOOM_POOL_WAIT");
    return e && strcmp(e, "condvar") == 0 ? TL_POOL_WAIT_CONDVAR : TL_POOL_WAIT_FUTEX;
}

int tl_pool_set_wait(int kind) {
    atomic_store(&forced_wait, kind == TL_POOL_WAIT_FUTEX || kind == TL_POOL_WAIT_CONDVAR ? kind : -1);
    return wait_kind_for_new_pool();
}

// Blocks while gen == seen (and the pool is not stopping); may return early (spurious wake-ups): the
// caller re-checks gen. A waker stores gen before reading `sleepers`, a sleeper counts itself before
// reading gen (both seq_cst), so one of them sees the other.
static void pool_sleep(tl_pool *p, uint32_t seen) {
#if TL_HAVE_FUTEX
    if (p->wait_kind == TL_POOL_WAIT_FUTEX) {
        syscall(SYS_futex, (uint32_t *)&p->gen, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
        return;
    }
#endif
    pthread_mutex_lock(&p->wait_lock);
    while (atomic_load(&p->gen) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->wait_cond, &p->wait_lock);
    pthread_mutex_unlock(&p->wait_lock);
}

static void pool_wake_all(tl_pool *p) {
#if TL_HAVE_FUTEX
    if (p->wait_kind == TL_POOL_WAIT_FUTEX) {
        syscall(SYS_futex, (uint32_t *)&p->gen, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
        return;
    }
#endif
    // Taking the lock orders the broadcast after any sleeper's gen check: none misses this run.
    pthread_mutex_lock(&p->wait_lock);
    pthread_cond_broadcast(&p->wait_cond);
    pthread_mutex_unlock(&p->wait_lock);
}

#define TL_MAX_CHUNKS ((int64_t)1 << 20)
#define TL_GEN(v) ((uint32_t)((v) >> 40))
#define TL_N(v) ((int64_t)(((v) >> 20) & 0xfffff))
#define TL_IDX(v) ((int64_t)((v) & 0xfffff))

// Claims and runs chunks of generation g until none are left (or the generation moved on). A
// successful claim proves the caller is still inside run g, so fn / ctx read after seeing g are g's.
static void work(tl_pool *p, uint32_t g, tl_task_fn fn, void *ctx) {
    g &= 0xffffff;
    uint64_t v = atomic_load_explicit(&p->claim, memory_order_acquire);
    for (;;) {
        if (TL_GEN(v) != g || TL_IDX(v) >= TL_N(v)) return;
        if (!atomic_compare_exchange_weak_explicit(&p->claim, &v, v + 1, memory_order_acq_rel,
                                                   memory_order_acquire)) continue;
        fn(ctx, TL_IDX(v));
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
        v = atomic_load_explicit(&p->claim, memory_order_acquire);
    }
}

static void *worker_main(void *arg) {
    tl_pool *p = (tl_pool *)arg;
    uint32_t seen = atomic_load(&p->gen);
    for (;;) {
        // Spin for new work, then sleep.
        uint32_t g;
        int64_t t0 = 0;
        for (unsigned i = 0;; i++) {
            g = atomic_load_explicit(&p->gen, memory_order_acquire);
            if (g != seen || atomic_load_explicit(&p->stop, memory_order_relaxed)) break;
            TL_PAUSE();
            if ((i & 63) == 63) {
                int64_t t = now_ns();
                if (t0 == 0) t0 = t;
                else if (t - t0 > spin_ns()) {
                    atomic_fetch_add(&p->sleepers, 1);
                    if (atomic_load(&p->gen) == seen && !atomic_load(&p->stop)) pool_sleep(p, seen);
                    atomic_fetch_sub(&p->sleepers, 1);
                    t0 = 0;
                }
            }
        }
        if (atomic_load_explicit(&p->stop, memory_order_relaxed)) return NULL;
        seen = g;
        tl_task_fn fn = atomic_load_explicit(&p->fn, memory_order_acquire);
        void *ctx = atomic_load_explicit(&p->ctx, memory_order_acquire);
        // fn / ctx may belong to a later generation if this worker was slow; work() then claims
        // nothing, because its claims carry g.
        work(p, g, fn, ctx);
    }
}

static tl_pool *pool_create(int threads) {
    tl_pool *p = (tl_pool *)calloc(1, sizeof(tl_pool));
    if (!p) return NULL;
    p->threads = threads;
    p->backoff = 16;
    p->wait_kind = wait_kind_for_new_pool();
    pthread_mutex_init(&p->busy, NULL);
    pthread_mutex_init(&p->wait_lock, NULL);
    pthread_cond_init(&p->wait_cond, NULL);
    for (int i = 1; i < threads; i++) {
        if (pthread_create(&p->tids[i], NULL, worker_main, p) != 0) { p->threads = i; break; }
    }
    return p;
}

// One pool per thread count, created on first use and kept for the life of the process.
static _Atomic(tl_pool *) pools[TL_POOL_MAX + 1];

static tl_pool *pool_for(int threads) {
    static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;
    if (threads > TL_POOL_MAX) threads = TL_POOL_MAX;
    tl_pool *p = atomic_load(&pools[threads]);
    if (p) return p;
    pthread_mutex_lock(&create_lock);
    p = atomic_load(&pools[threads]);
    if (!p) { p = pool_create(threads); atomic_store(&pools[threads], p); }
    pthread_mutex_unlock(&create_lock);
    return p;
}

void tl_parallel_run(int threads, tl_task_fn fn, void *ctx, int64_t nchunks) {
    if (nchunks <= 0) return;
    tl_pool *p = threads > 1 && nchunks > 1 && nchunks < TL_MAX_CHUNKS ? pool_for(threads) : NULL;
    if (!p || p->threads < 2 || pthread_mutex_trylock(&p->busy) != 0) {
        for (int64_t c = 0; c < nchunks; c++) fn(ctx, c);
        return;
    }
    if (p->serial_left > 0) {      // a worker stalled recently: the machine is oversubscribed
        p->serial_left--;
        pthread_mutex_unlock(&p->busy);
        for (int64_t c = 0; c < nchunks; c++) fn(ctx, c);
        return;
    }
    const uint32_t g = atomic_load_explicit(&p->gen, memory_order_relaxed) + 1;
    atomic_store_explicit(&p->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&p->ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_store_explicit(&p->claim, (uint64_t)(g & 0xffffff) << 40 | (uint64_t)nchunks << 20,
                          memory_order_release);
    atomic_store(&p->gen, g);                       // seq_cst: pairs with the sleepers check
    if (atomic_load(&p->sleepers) > 0) pool_wake_all(p);
    work(p, g, fn, ctx);
    // Every chunk is claimed; wait for those still running on workers. A long wait means a worker was
    // descheduled holding a chunk (more runnable threads than cores): then run the next few calls on
    // the caller alone, doubling that stretch while stalls repeat and shrinking it when they stop.
    if (atomic_load_explicit(&p->done, memory_order_acquire) < nchunks) {
        const int64_t t0 = now_ns();
        for (unsigned i = 0; atomic_load_explicit(&p->done, memory_order_acquire) < nchunks; i++) {
            TL_PAUSE();
            if (i > 20000) sched_yield();
        }
        if (now_ns() - t0 > 500000) {
            p->serial_left = p->backoff;
            if (p->backoff < 8192) p->backoff *= 2;
        } else if (p->backoff > 16) {
            p->backoff--;
        }
    } else if (p->backoff > 16) {
        p->backoff--;
    }
    pthread_mutex_unlock(&p->busy);
}

int tl_pool_probe(int threads, int *sleepers) {
    if (threads < 2 || threads > TL_POOL_MAX) return -1;
    tl_pool *p = atomic_load(&pools[threads]);
    if (!p) return -1;
    if (sleepers) *sleepers = atomic_load(&p->sleepers);
    return p->wait_kind;
}
