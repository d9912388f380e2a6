/* The engine's worker pool (see nn_threads.h).
 *
 * A job lives in one atomic word, generation << 32 | parts << 16 | next part,
 * published after its task and context are written. The caller runs part 0
 * itself, so that the first part of every call, and the data it last touched,
 * stays on the caller's thread from one call to the next, and so in its core's
 * caches while the scheduler keeps it there (claimed by whoever came first,
 * parts changed threads on 45 % of calls, and a part's 100 KB took 4.2-4.4 us
 * against 2.8 where it stayed: docs/performance.md). The caller and every
 * awake worker claim the other parts one at a time by a compare-and-swap that
 * bumps `next` within the same generation, so a part is run by whoever is
 * free: when another process holds a worker's core, the caller and the other
 * workers take that worker's parts instead of waiting for it. Which thread
 * runs a part never changes its result (a part's scratch is indexed by part).
 * The next job is published only once every part has finished, so whoever
 * claimed a part reads that job's task and context. Sleeping and waking use the
 * usual store-then-check pairs on sequentially consistent atomics (a worker
 * counts itself asleep, then re-reads the job word, under the lock it waits
 * with; the caller publishes, then looks for sleepers and broadcasts under that
 * lock), so no wake-up is lost.
 *
 * One C global, the pool: threads are a process resource like the CPU, and one
 * pool per model would put several models' workers on the same cores. */
#define _POSIX_C_SOURCE 200809L
#include "nn_threads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

typedef struct pool {
    pthread_mutex_t lock;
    pthread_cond_t work_ready; /* idle workers sleep here */
    pthread_cond_t work_done;  /* a caller waiting for its parts sleeps here */
    pthread_t *ids;            /* (NN_THREADS_MAX - 1), allocated with the first worker */
    int workers;               /* started */
    uint64_t start_job;        /* the job word when the workers were started */
    bool stop;                 /* set at exit: workers return */
    bool exit_hook;            /* atexit registered */

    _Atomic uint64_t job;      /* generation << 32 | parts << 16 | next part to claim */
    atomic_int pending;        /* parts of the current job not finished yet */
    atomic_int sleepers;       /* workers asleep (or about to be) on work_ready */
    atomic_int caller_asleep;  /* the caller is asleep (or about to be) on work_done */
    atomic_flag busy;          /* held by the one caller using the pool */
    nn_threads_task task;      /* the current job's, with its context */
    void *ctx;
} pool;

static pool the_pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .work_ready = PTHREAD_COND_INITIALIZER,
    .work_done = PTHREAD_COND_INITIALIZER,
    .busy = ATOMIC_FLAG_INIT,
};
static atomic_int threads_wanted = 1;
static _Atomic double min_flops = NN_THREADS_MIN_FLOPS;
static pthread_once_t fork_hooks_once = PTHREAD_ONCE_INIT;

#define JOB_GENERATION(job) ((job) >> 32)
#define JOB_PARTS_MAX 0xffff /* parts and next part: 16 bits each */
#define JOB_PARTS(job) ((int)(((job) >> 16) & JOB_PARTS_MAX))
#define JOB_NEXT(job) ((int)((job) & JOB_PARTS_MAX))
_Static_assert(NN_THREADS_MAX < JOB_PARTS_MAX, "a thread count fits in 16 bits");

nn_status nn_threads_set(int threads)
{
    if (threads < 1 || threads > NN_THREADS_MAX)
        return nn_fail(NN_EINVAL, "threads %d out of range (1..%d)", threads, NN_THREADS_MAX);
    atomic_store(&threads_wanted, threads);
    return NN_OK;
}

int nn_threads_get(void) { return atomic_load(&threads_wanted); }

void nn_threads_set_min_flops(double flops)
{
    atomic_store(&min_flops, flops < 0 ? NN_THREADS_MIN_FLOPS : flops);
}

int nn_threads_parts(double flops, long units)
{
    long parts = nn_threads_get();
    double threshold = atomic_load(&min_flops);
    if (threshold > 0 && flops / threshold < (double)parts)
        parts = (long)(flops / threshold);
    if (units < parts)
        parts = units;
    return parts < 1 ? 1 : (int)parts;
}

long nn_threads_split(long n, long grain, int part, int parts)
{
    long pieces = (n + grain - 1) / grain;
    long begin = pieces * part / parts * grain;
    return begin < n ? begin : n;
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1e6 * (double)t.tv_sec + 1e-3 * (double)t.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Spins up to NN_THREADS_SPIN_US until done(arg) holds; true when it did.
 * Every 64 checks it yields the CPU: when the thread that would make done()
 * true shares this core (or another process wants it), spinning would only
 * keep it off; alone on its core, sched_yield returns at once. */
static bool spin_until(bool (*done)(const void *), const void *arg)
{
    double deadline = 0;
    for (unsigned i = 1;; i++) {
        if (done(arg))
            return true;
        cpu_relax();
        if (i % 64 == 0) {
            sched_yield();
            double now = now_us();
            if (deadline == 0)
                deadline = now + NN_THREADS_SPIN_US;
            else if (now > deadline)
                return false;
        }
    }
}

static bool job_changed(const void *seen)
{
    return JOB_GENERATION(atomic_load(&the_pool.job)) != JOB_GENERATION(*(const uint64_t *)seen);
}

static bool parts_finished(const void *unused)
{
    (void)unused;
    return atomic_load(&the_pool.pending) == 0;
}

/* The next job word after `seen`, or 0 when the pool stops. */
static uint64_t wait_for_job(uint64_t seen)
{
    pool *P = &the_pool;
    if (!spin_until(job_changed, &seen)) {
        pthread_mutex_lock(&P->lock);
        atomic_fetch_add(&P->sleepers, 1);
        while (!job_changed(&seen) && !P->stop)
            pthread_cond_wait(&P->work_ready, &P->lock);
        atomic_fetch_sub(&P->sleepers, 1);
        bool stop = P->stop;
        pthread_mutex_unlock(&P->lock);
        if (stop)
            return 0;
    }
    return atomic_load(&P->job);
}

/* Claims and runs parts of the job of `job`'s generation until none is left;
 * returns after finishing the job's last part, or when another thread has
 * claimed it. */
static void run_parts(uint64_t job)
{
    pool *P = &the_pool;
    for (;;) {
        if (JOB_NEXT(job) >= JOB_PARTS(job))
            return;
        uint64_t seen = job;
        if (!atomic_compare_exchange_weak(&P->job, &job, job + 1)) {
            if (JOB_GENERATION(job) != JOB_GENERATION(seen))
                return; /* that job is over: `job` is a newer one, not ours to join here */
            continue;
        }
        P->task(P->ctx, JOB_NEXT(seen), JOB_PARTS(seen));
        if (atomic_fetch_sub(&P->pending, 1) == 1 && atomic_load(&P->caller_asleep)) {
            pthread_mutex_lock(&P->lock);
            pthread_cond_signal(&P->work_done);
            pthread_mutex_unlock(&P->lock);
        }
        job = atomic_load(&P->job);
        if (JOB_GENERATION(job) != JOB_GENERATION(seen))
            return;
    }
}

static void *worker_main(void *arg)
{
    (void)arg;
    pool *P = &the_pool;
    pthread_mutex_lock(&P->lock);
    uint64_t seen = P->start_job;
    pthread_mutex_unlock(&P->lock);
    for (;;) {
        uint64_t job = wait_for_job(seen);
        if (job == 0)
            return NULL;
        seen = job;
        run_parts(job);
    }
}

/* At exit: stops and joins the workers, frees their ids. */
static void stop_workers(void)
{
    pool *P = &the_pool;
    pthread_mutex_lock(&P->lock);
    P->stop = true;
    pthread_cond_broadcast(&P->work_ready);
    pthread_mutex_unlock(&P->lock);
    for (int i = 0; i < P->workers; i++)
        pthread_join(P->ids[i], NULL);
    free(P->ids);
    P->ids = NULL;
    P->workers = 0;
    P->stop = false;
}

/* Fork: the child has only the forking thread. The lock is held across the
 * fork, so the child's copy is in a known state; the child forgets the
 * parent's workers (their ids mean nothing there) and starts its own when it
 * first splits a call. */
static void before_fork(void) { pthread_mutex_lock(&the_pool.lock); }
static void after_fork_parent(void) { pthread_mutex_unlock(&the_pool.lock); }
static void after_fork_child(void)
{
    pool *P = &the_pool;
    free(P->ids);
    P->ids = NULL;
    P->workers = 0;
    P->stop = false;
    atomic_store(&P->sleepers, 0);
    atomic_store(&P->caller_asleep, 0);
    atomic_store(&P->pending, 0);
    atomic_flag_clear(&P->busy);
    pthread_cond_init(&P->work_ready, NULL);
    pthread_cond_init(&P->work_done, NULL);
    pthread_mutex_unlock(&P->lock);
}

static void install_fork_hooks(void) { pthread_atfork(before_fork, after_fork_parent, after_fork_child); }

/* Starts workers until there are `count` (or as many as the system allows);
 * called with `busy` held, so no job is running. */
static void start_workers(int count)
{
    pool *P = &the_pool;
    pthread_once(&fork_hooks_once, install_fork_hooks);
    pthread_mutex_lock(&P->lock);
    if (!P->ids)
        P->ids = malloc((NN_THREADS_MAX - 1) * sizeof *P->ids);
    if (P->ids && !P->exit_hook)
        P->exit_hook = atexit(stop_workers) == 0;
    P->start_job = atomic_load(&P->job);
    while (P->ids && P->exit_hook && P->workers < count &&
           pthread_create(&P->ids[P->workers], NULL, worker_main, NULL) == 0)
        P->workers++;
    pthread_mutex_unlock(&P->lock);
}

void nn_threads_run(int parts, nn_threads_task run, void *ctx)
{
    pool *P = &the_pool;
    /* Workers are started up to the thread count, and parts beyond it are
     * claimed in turn; more parts than a job word holds, a count of 1, or
     * another thread holding the pool: every part runs here. */
    int wanted = nn_threads_get(), threads = parts < wanted ? parts : wanted;
    if (parts > 1 && (threads < 2 || parts > JOB_PARTS_MAX || atomic_flag_test_and_set(&P->busy)))
        parts = -parts;
    if (parts <= 1) {
        int n = parts < 0 ? -parts : 1;
        for (int p = 0; p < n; p++)
            run(ctx, p, n);
        return;
    }
    if (P->workers < threads - 1)
        start_workers(threads - 1);
    P->task = run;
    P->ctx = ctx;
    atomic_store(&P->pending, parts);
    uint64_t job = atomic_load(&P->job);
    job = (JOB_GENERATION(job) + 1) << 32 | (uint64_t)parts << 16 | 1u; /* part 0: the caller's */
    atomic_store(&P->job, job);
    if (atomic_load(&P->sleepers) > 0) {
        pthread_mutex_lock(&P->lock);
        pthread_cond_broadcast(&P->work_ready);
        pthread_mutex_unlock(&P->lock);
    }
    run(ctx, 0, parts);
    atomic_fetch_sub(&P->pending, 1);
    run_parts(job); /* with no worker started, the caller runs every other part */
    if (!spin_until(parts_finished, NULL)) {
        pthread_mutex_lock(&P->lock);
        atomic_store(&P->caller_asleep, 1);
        while (!parts_finished(NULL))
            pthread_cond_wait(&P->work_done, &P->lock);
        atomic_store(&P->caller_asleep, 0);
        pthread_mutex_unlock(&P->lock);
    }
    atomic_flag_clear(&P->busy);
}
