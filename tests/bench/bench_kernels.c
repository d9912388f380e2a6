/* Dense-kernel benchmark: GFLOP/s of the scalar, AVX2 and AVX-512 tables (each
 * where the CPU has it) and of OpenBLAS cblas_sgemm (when installed) on the
 * experiments' layer shapes, one thread.
 *
 *   bench_kernels [seconds-per-cell] [--blocking FROM,K,ROWS]
 *                 [--summary | --scaling | --shape BxIxO ...]   (default 0.2 s)
 *   bench_kernels --peak-pair | --peak-one
 *   bench_kernels [seconds-per-cell] --loss BxC
 *   bench_kernels [seconds-per-cell] --adam N
 *
 * --peak-pair prints the widest FMA loop's GFLOP/s on two threads at once
 * (fma_peak_pair=SUM each=A,B): about twice one core's peak when the two
 * CPUs are two cores, about once when they are one core's two hardware
 * threads (see print_peak_pair). --peak-one prints the same loop's GFLOP/s on
 * this thread alone (fma_peak_one=MEAN): the core's peak at this moment, which
 * reads low while the host gives the core to other work.
 *
 * Both print the core's FMA peaks first (12 chains of 8-lane ymm FMAs, and of
 * 16-lane zmm FMAs on a CPU with AVX-512F), the ceiling the GFLOP/s read
 * against: the widest one.
 *
 * --summary prints, instead of the tables, one line of key=value pairs per
 * cell that tests/bench/bench_all.sh turns into rows of its table: the plain
 * GEMMs (no bias or activation in the forward) on the first layer's shapes, the
 * targets, and on the 10-output second layers:
 *   gemm=forward B=32 I=784 O=64 scalar=2.6 avx2=107.4 avx512=121.0 openblas=79.8
 * (0 when a column is not available).
 *
 * --summary also prints this CPU's data caches (CPUID) and the AVX-512
 * forward's blocking in use: the one chosen from them (engine/kernels_blocking.h),
 * or --blocking's:
 *   caches l1d=49152 l2=1048576 l3=33554432 blocked_from=1024 k_block=512 row_block=128 x_pairs=0
 * --blocking FROM,K,ROWS[,PAIRS] runs the kernels under another blocking
 * instead (the same bits, perhaps another speed): how the rule is checked on
 * a CPU with other caches, e.g. --blocking 640,320,128 --scaling; PAIRS (0 or
 * 1; without it, the one in use) picks the small-batch forward tile, e.g.
 * --blocking 1024,512,128,1 --shape 32x784x64 against ...,0.
 *
 * --shape BxIxO (repeatable) prints --summary's lines for those shapes alone,
 * without the peaks: a quick look at one kernel while changing it.
 *
 * --loss BxC prints the cross entropy with its gradient (nn_cross_entropy, the
 * training loop's call) on B rows of C random logits: the best µs a call, and
 * ns a logit:
 *   loss=cross_entropy B=32 C=10 us=1.13 ns_per_logit=3.53
 *
 * --adam N prints one Adam step (nn_optim_step, PyTorch's defaults, one
 * thread) over N parameters with gradients uniform in [-1e-3, 1e-3], every
 * seventh one 0: the best ns a parameter. What the scaling table's rows at
 * small batches are held by (tests/bench/bench_all.sh turns it into each
 * row's ceiling) as the optimizer runs it on this CPU, then the same with every
 * division on the divider and with the bias correction's division by FMAs
 * (nn_optim_set_fast_divisions; "-" where that is not available: no AVX-512F,
 * or a build other than gcc's):
 *   optim=adam params=50890 ns_per_param=0.451 divider=0.577 fma_division=0.451
 *
 * --scaling prints the widest table's GFLOP/s (and percent of the FMA peak) on
 * large layers, 784→1024, 1024→1024, 2048→2048 and 4096→4096 at batch 8, 32, 128 and
 * 512: whether the kernels lose speed once the weights outgrow the caches
 * (the question cache blocking would answer; see docs/performance.md).
 * Timed in this thread's CPU time, not wall time: on a shared machine, time
 * other processes hold the core would read as a slower kernel.
 *
 * Each cell is timed with CLOCK_MONOTONIC after a warm-up, repeating calls until
 * each column has run for at least the given time, in turns (scalar, AVX2,
 * OpenBLAS, again...); the table shows each one's best call, the least disturbed
 * by other work on the machine. FLOPs are 2·B·I·O per GEMM;
 * the bias, activation and db work the kernels also do is not counted.
 * OpenBLAS is held to one thread here. It picks its kernels from the CPU unless
 * OPENBLAS_CORETYPE says otherwise: the core it used is printed; for the
 * comparison on its own choice, run under `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels_blocking.h"
#include "nn_kernels.h"
#include "nn_loss.h"
#include "nn_mem.h"
#include "nn_optim.h"
#include "nn_threads.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

#ifdef NNLAB_HAVE_OPENBLAS
#include <cblas.h>
#undef I /* openblas_config.h pulls in <complex.h> */
#endif

typedef enum {
    GEMM_FORWARD_SIGMOID,
    GEMM_FORWARD,
    GEMM_BACKWARD_INPUT,
    GEMM_BACKWARD_WEIGHTS
} gemm_kind;

static const char *const gemm_names[] = {
    "forward +b sigmoid", "forward", "backward_input", "backward_weights +db"};

typedef struct bench_buffers {
    float *X, *W, *b, *Y, *dY, *dX, *dW, *db, *scratch;
} bench_buffers;

/* The clock cells are timed with: wall time, or (--scaling) this thread's CPU
 * time, which leaves out the time other processes hold this core. */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(bench_clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One call of `gemm` on buffers `m` with table `k`, or OpenBLAS when k is NULL. */
static void run_once(const nn_dense_kernels *k, gemm_kind gemm, bench_buffers *m, int B, int I,
                     int O)
{
    if (k) {
        switch (gemm) {
        case GEMM_FORWARD_SIGMOID:
            k->forward(m->Y, m->X, m->W, m->b, B, I, O, NN_ACT_SIGMOID, 0.0f, m->scratch);
            break;
        case GEMM_FORWARD:
            k->forward(m->Y, m->X, m->W, NULL, B, I, O, NN_ACT_NONE, 0.0f, m->scratch);
            break;
        case GEMM_BACKWARD_INPUT: k->backward_input(m->dX, m->dY, m->W, B, I, O, m->scratch); break;
        case GEMM_BACKWARD_WEIGHTS:
            k->backward_weights(m->dW, m->db, m->dY, m->X, B, I, O, m->scratch);
            break;
        }
        return;
    }
#ifdef NNLAB_HAVE_OPENBLAS
    switch (gemm) {
    case GEMM_FORWARD_SIGMOID:
    case GEMM_FORWARD: /* Y (B,O) = X (B,I) · W (O,I)ᵀ */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, O, I, 1.0f, m->X, I, m->W, I, 0.0f,
                    m->Y, O);
        break;
    case GEMM_BACKWARD_INPUT: /* dX (B,I) = dY (B,O) · W (O,I) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, I, O, 1.0f, m->dY, O, m->W, I,
                    0.0f, m->dX, I);
        break;
    case GEMM_BACKWARD_WEIGHTS: /* dW (O,I) += dY (B,O)ᵀ · X (B,I) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, O, I, B, 1.0f, m->dY, O, m->X, I, 1.0f,
                    m->dW, I);
        break;
    }
#endif
}

/* The best seconds per call of call(context) over samples taken for at least
 * `seconds` after a warm-up of 3 calls. A sample is one call, or as many as
 * take ~50 µs for the smallest shapes, so the clock's own cost stays out of
 * the numbers. */
static double best_seconds_of(void (*call)(void *), void *context, double seconds)
{
    double t0 = now_seconds();
    for (int i = 0; i < 3; i++)
        call(context);
    double per_call = (now_seconds() - t0) / 3;
    long calls_per_sample = per_call > 0 && per_call < 50e-6 ? (long)(50e-6 / per_call) + 1 : 1;

    double best = 1e30, start = now_seconds(), end = start;
    long samples = 0;
    while (end - start < seconds || samples < 3) {
        double s0 = now_seconds();
        for (long i = 0; i < calls_per_sample; i++)
            call(context);
        end = now_seconds();
        if ((end - s0) / calls_per_sample < best)
            best = (end - s0) / calls_per_sample;
        samples++;
    }
    return best;
}

/* One GEMM call of run_once, as best_seconds_of calls it. */
typedef struct gemm_call {
    const nn_dense_kernels *k;
    gemm_kind gemm;
    bench_buffers *m;
    int B, I, O;
} gemm_call;

static void run_gemm_call(void *context)
{
    const gemm_call *c = context;
    run_once(c->k, c->gemm, c->m, c->B, c->I, c->O);
}

/* The best seconds per call of `gemm` on table k (OpenBLAS when NULL). */
static double best_call_seconds(const nn_dense_kernels *k, gemm_kind gemm, bench_buffers *m,
                                int B, int I, int O, double seconds)
{
    gemm_call c = {k, gemm, m, B, I, O};
    return best_seconds_of(run_gemm_call, &c, seconds);
}

/* The core's AVX2 FMA peak in GFLOP/s: 12 independent chains of 8-lane FMAs
 * (enough to cover the latency on current x86 cores), best of `reps` runs of
 * ~3 ms (on a Zen 5; the first runs ramp the clock up, so the best is a warm
 * one), or with `average` their mean. The yardstick the kernels' GFLOP/s are
 * read against; 0 without AVX2. */
#if defined(__GNUC__) && defined(__x86_64__)
__attribute__((target("avx2,fma"))) static double fma_peak_avx2(int reps, int average)
{
    __m256 x = _mm256_set1_ps(0.9999f), y = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_set1_ps(0), a1 = _mm256_set1_ps(1), a2 = _mm256_set1_ps(2),
           a3 = _mm256_set1_ps(3), a4 = _mm256_set1_ps(4), a5 = _mm256_set1_ps(5),
           a6 = _mm256_set1_ps(6), a7 = _mm256_set1_ps(7), a8 = _mm256_set1_ps(8),
           a9 = _mm256_set1_ps(9), a10 = _mm256_set1_ps(10), a11 = _mm256_set1_ps(11);
    double best = 0, total = 0, flop = 0;
    for (int rep = 0; rep < reps; rep++) {
        long n = 2000000;
        double t0 = now_seconds();
        for (long k = 0; k < n; k++) {
#define FMA_STEP(v) v = _mm256_fmadd_ps(v, x, y)
            FMA_STEP(a0), FMA_STEP(a1), FMA_STEP(a2), FMA_STEP(a3), FMA_STEP(a4), FMA_STEP(a5);
            FMA_STEP(a6), FMA_STEP(a7), FMA_STEP(a8), FMA_STEP(a9), FMA_STEP(a10), FMA_STEP(a11);
#undef FMA_STEP
        }
        double t = now_seconds() - t0, gflops = n * 12.0 * 16.0 / t * 1e-9;
        best = gflops > best ? gflops : best;
        total += t;
        flop += n * 12.0 * 16.0;
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    volatile float sink = _mm256_cvtss_f32(s); /* keeps the chains alive */
    (void)sink;
    return average ? flop / total * 1e-9 : best;
}
#endif

/* The same with 16-lane zmm FMAs: 0 without AVX-512F. A CPU that runs them
 * as two 256-bit halves (Zen 4) shows about the ymm peak; one with full-width
 * units (Zen 5, Intel's server cores) about twice it. */
#if defined(__GNUC__) && defined(__x86_64__)
__attribute__((target("avx512f"))) static double fma_peak_avx512_run(int reps, int average)
{
    __m512 x = _mm512_set1_ps(0.9999f), y = _mm512_set1_ps(1e-7f);
    __m512 a0 = _mm512_set1_ps(0), a1 = _mm512_set1_ps(1), a2 = _mm512_set1_ps(2),
           a3 = _mm512_set1_ps(3), a4 = _mm512_set1_ps(4), a5 = _mm512_set1_ps(5),
           a6 = _mm512_set1_ps(6), a7 = _mm512_set1_ps(7), a8 = _mm512_set1_ps(8),
           a9 = _mm512_set1_ps(9), a10 = _mm512_set1_ps(10), a11 = _mm512_set1_ps(11);
    double best = 0, total = 0, flop = 0;
    for (int rep = 0; rep < reps; rep++) {
        long n = 1000000;
        double t0 = now_seconds();
        for (long k = 0; k < n; k++) {
#define FMA_STEP(v) v = _mm512_fmadd_ps(v, x, y)
            FMA_STEP(a0), FMA_STEP(a1), FMA_STEP(a2), FMA_STEP(a3), FMA_STEP(a4), FMA_STEP(a5);
            FMA_STEP(a6), FMA_STEP(a7), FMA_STEP(a8), FMA_STEP(a9), FMA_STEP(a10), FMA_STEP(a11);
#undef FMA_STEP
        }
        double t = now_seconds() - t0, gflops = n * 12.0 * 32.0 / t * 1e-9;
        best = gflops > best ? gflops : best;
        total += t;
        flop += n * 12.0 * 32.0;
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
    volatile float sink = _mm512_reduce_add_ps(s); /* keeps the chains alive */
    (void)sink;
    return average ? flop / total * 1e-9 : best;
}
#endif

/* Each peak is measured once per process and then remembered, so that every
 * figure printed (the ymm and zmm peaks, the wider one that percentages are
 * read against) comes from the same measurement. With runs of 0.3 ms the
 * measurement was over before the clock had ramped up: a Zen 5 read 193, then
 * 229 GFLOP/s a few milliseconds later. With runs of ~3 ms, three processes
 * in a row read 222-225 (the other core busy). */
static double fma_peak_ymm(void)
{
    static double measured = -1;
    if (measured < 0) {
        measured = 0.0;
#if defined(__GNUC__) && defined(__x86_64__)
        if (nn_kernels_avx2())
            measured = fma_peak_avx2(20, 0);
#endif
    }
    return measured;
}

static double fma_peak_zmm(void)
{
    static double measured = -1;
    if (measured < 0) {
        measured = 0.0;
#if defined(__GNUC__) && defined(__x86_64__)
        if (nn_kernels_avx512())
            measured = fma_peak_avx512_run(20, 0);
#endif
    }
    return measured;
}

/* ---- --peak-pair: are this machine's two CPUs two cores? ---------------------- */

/* On a virtual machine the host may run its two vCPUs on the two hardware
 * threads of one physical core, for a while: each then gets half the core's
 * FMA units, and a run at 2 threads is no faster than at 1 (on a Zen 5 here,
 * both threads' zmm FMA loops read 120 + 120 GFLOP/s in one sample, 235 + 225
 * in the next). --peak-pair runs the widest FMA loop on two threads at once,
 * started together, each its mean over 10 runs (not its best: a best run
 * could be one where the other thread was not running yet). */
typedef struct pair_peak {
    pthread_barrier_t *start;
    double gflops;
} pair_peak;

static double widest_mean_peak(void)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (nn_kernels_avx512())
        return fma_peak_avx512_run(10, 1);
    if (nn_kernels_avx2())
        return fma_peak_avx2(10, 1);
#endif
    return 0;
}

static void *pair_peak_thread(void *arg)
{
    pair_peak *p = arg;
    pthread_barrier_wait(p->start);
    p->gflops = widest_mean_peak();
    return NULL;
}

/* Prints fma_peak_pair=SUM each=A,B: both threads' mean GFLOP/s, at once. */
static int print_peak_pair(void)
{
    pthread_barrier_t start;
    pair_peak here = {&start, 0}, other = {&start, 0};
    pthread_t thread;
    if (pthread_barrier_init(&start, NULL, 2) != 0 ||
        pthread_create(&thread, NULL, pair_peak_thread, &other) != 0) {
        fprintf(stderr, "bench_kernels: cannot start a second thread\n");
        return 1;
    }
    pair_peak_thread(&here);
    pthread_join(thread, NULL);
    pthread_barrier_destroy(&start);
    printf("fma_peak_pair=%.1f each=%.1f,%.1f\n", here.gflops + other.gflops, here.gflops,
           other.gflops);
    return 0;
}

/* Prints fma_peak_one=MEAN: the widest FMA loop's mean GFLOP/s over 10 runs
 * on this thread alone, the core's peak now (the ~50 ms that bench_all.sh
 * spends before and after each run at 1 thread). */
static int print_peak_one(void)
{
    printf("fma_peak_one=%.1f\n", widest_mean_peak());
    return 0;
}

/* One nn_cross_entropy call (loss, gradient and hits), as best_seconds_of calls it. */
typedef struct loss_call {
    const float *logits;
    const int32_t *targets;
    int B, C;
    float *dlogits;
} loss_call;

static void run_loss_call(void *context)
{
    const loss_call *c = context;
    float loss;
    int correct;
    nn_cross_entropy(c->logits, c->targets, c->B, c->C, &loss, c->dlogits, &correct);
}

/* Prints the best µs of a nn_cross_entropy call on B rows of C logits uniform
 * in [-8, 8] (best_seconds_of over `seconds`). */
static int print_loss(int B, int C, double seconds, unsigned *seed)
{
    size_t n = (size_t)B * C;
    float *logits = nn_alloc_floats(n), *dlogits = nn_alloc_floats(n);
    int32_t *targets = nn_alloc_bytes((size_t)B * sizeof *targets);
    if (!logits || !dlogits || !targets) {
        fprintf(stderr, "bench_kernels: out of memory for --loss %dx%d\n", B, C);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        logits[i] = 16.0f * ((float)rand_r(seed) / (float)RAND_MAX) - 8.0f;
    for (int b = 0; b < B; b++)
        targets[b] = (int32_t)(rand_r(seed) % (unsigned)C);
    loss_call c = {logits, targets, B, C, dlogits};
    double best = best_seconds_of(run_loss_call, &c, seconds);
    printf("loss=cross_entropy B=%d C=%d us=%.2f ns_per_logit=%.2f\n", B, C, best * 1e6,
           best * 1e9 / (double)n);
    nn_free(logits), nn_free(dlogits), nn_free(targets);
    return 0;
}

/* One Adam step, as best_seconds_of calls it. */
typedef struct adam_call {
    nn_optim *opt;
    float *params;
    const float *grads;
} adam_call;

static void run_adam_call(void *context)
{
    const adam_call *c = context;
    nn_optim_step(c->opt, c->params, c->grads);
}

/* The best ns a parameter of one Adam step over n parameters from `initial`
 * with `grads`, on one thread (best_seconds_of over `seconds`): the
 * optimizer's own choice of division (fast < 0), the divider alone (0) or the
 * bias correction's division by FMAs (1; -1 returned where that is not
 * available). -2 on an error, which it prints. */
static double adam_ns_per_param(long n, double seconds, const float *initial, const float *grads,
                                int fast)
{
    float *params = nn_alloc_floats((size_t)n);
    nn_optim *opt = NULL;
    nn_optim_config config = nn_optim_defaults(NN_OPTIM_ADAM);
    if (!params || nn_optim_create(&opt, &config, (size_t)n) != NN_OK) {
        fprintf(stderr, "bench_kernels: --adam %ld: %s\n", n, nn_error_message());
        nn_free(params);
        return -2;
    }
    double ns = -1;
    if (fast < 0 || nn_optim_set_fast_divisions(opt, fast == 1) == (fast == 1)) {
        memcpy(params, initial, (size_t)n * sizeof *params);
        adam_call c = {opt, params, grads};
        ns = best_seconds_of(run_adam_call, &c, seconds) * 1e9 / (double)n;
    }
    nn_optim_free(opt), nn_free(params);
    return ns;
}

/* Prints the best ns a parameter of one Adam step over n parameters as the
 * optimizer runs it, then with its divisions all on the divider and with the
 * bias correction's by FMAs ("-" where that is not available). Only the first
 * must succeed: bench_all.sh reads it alone. */
static int print_adam(long n, double seconds, unsigned *seed)
{
    float *initial = nn_alloc_floats((size_t)n), *grads = nn_alloc_floats((size_t)n);
    if (!initial || !grads || nn_threads_set(1) != NN_OK) {
        fprintf(stderr, "bench_kernels: --adam %ld: %s\n", n, nn_error_message());
        nn_free(initial), nn_free(grads);
        return 1;
    }
    for (long i = 0; i < n; i++) {
        initial[i] = 0.1f * ((float)rand_r(seed) / (float)RAND_MAX) - 0.05f;
        grads[i] = i % 7 ? 2e-3f * ((float)rand_r(seed) / (float)RAND_MAX) - 1e-3f : 0.0f;
    }
    double chosen = adam_ns_per_param(n, seconds, initial, grads, -1);
    double divider = chosen < 0 ? -2 : adam_ns_per_param(n, seconds, initial, grads, 0);
    double fma = chosen < 0 ? -2 : adam_ns_per_param(n, seconds, initial, grads, 1);
    nn_free(initial), nn_free(grads);
    if (chosen < 0)
        return 1;
    char divider_text[32] = "-", fma_text[32] = "-";
    if (divider >= 0)
        snprintf(divider_text, sizeof divider_text, "%.3f", divider);
    if (fma >= 0)
        snprintf(fma_text, sizeof fma_text, "%.3f", fma);
    printf("optim=adam params=%ld ns_per_param=%.3f divider=%s fma_division=%s\n", n, chosen,
           divider_text, fma_text);
    return 0;
}

/* The widest peak: what the kernels' speed is read against. */
static double fma_peak_gflops(void)
{
    double ymm = fma_peak_ymm(), zmm = fma_peak_zmm();
    return zmm > ymm ? zmm : ymm;
}

/* The widest table this CPU runs (NULL without AVX2). */
static const nn_dense_kernels *widest_table(void)
{
    return nn_kernels_avx512() ? nn_kernels_avx512() : nn_kernels_avx2();
}

enum { IMPL_SCALAR, IMPL_AVX2, IMPL_AVX512, IMPL_OPENBLAS, N_IMPLS, ROUNDS = 4 };

/* GFLOP/s of each implementation on one cell (0 when absent). The time is
 * spread over ROUNDS turns of each, so that a burst of other work on the
 * machine hits all columns alike rather than one. */
static void measure_cell(double gflops[N_IMPLS], gemm_kind gemm, bench_buffers *m, int B, int I,
                         int O, double min_seconds)
{
    const nn_dense_kernels *tables[N_IMPLS] = {nn_kernels_scalar(), nn_kernels_avx2(),
                                               nn_kernels_avx512(), NULL};
    int present[N_IMPLS] = {1, tables[IMPL_AVX2] != NULL, tables[IMPL_AVX512] != NULL, 0};
#ifdef NNLAB_HAVE_OPENBLAS
    present[IMPL_OPENBLAS] = 1;
#endif
    double best[N_IMPLS] = {1e30, 1e30, 1e30, 1e30};
    for (int round = 0; round < ROUNDS; round++)
        for (int j = 0; j < N_IMPLS; j++)
            if (present[j]) {
                double t = best_call_seconds(tables[j], gemm, m, B, I, O, min_seconds / ROUNDS);
                best[j] = t < best[j] ? t : best[j];
            }
    for (int j = 0; j < N_IMPLS; j++)
        gflops[j] = present[j] ? 2.0 * B * I * O / best[j] * 1e-9 : 0.0;
}

static float *random_floats(size_t n, unsigned *seed)
{
    float *p = nn_alloc_floats(n);
    if (!p) {
        fprintf(stderr, "bench_kernels: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        p[i] = (float)(*seed >> 8) / 16777216.0f - 0.5f;
    }
    return p;
}

/* Random operands and scratch for one (B, I, O) shape. */
static bench_buffers bench_buffers_new(int B, int I, int O, unsigned *seed)
{
    return (bench_buffers){
        .X = random_floats((size_t)B * I, seed),
        .W = random_floats((size_t)O * I, seed),
        .b = random_floats((size_t)O, seed),
        .Y = random_floats((size_t)B * O, seed),
        .dY = random_floats((size_t)B * O, seed),
        .dX = random_floats((size_t)B * I, seed),
        .dW = random_floats((size_t)O * I, seed),
        .db = random_floats((size_t)O, seed),
        .scratch = random_floats(nn_dense_scratch_floats(B, I, O), seed),
    };
}

static void bench_buffers_free(bench_buffers *m)
{
    float *bufs[] = {m->X, m->W, m->b, m->Y, m->dY, m->dX, m->dW, m->db, m->scratch};
    for (size_t j = 0; j < sizeof bufs / sizeof bufs[0]; j++)
        nn_free(bufs[j]);
}

typedef struct shape {
    int B, I, O;
} shape;

/* The targets: the first layer of the experiments, 784 → {64, 256}. */
static const shape first_layer_shapes[] = {{32, 784, 64}, {32, 784, 256}, {128, 784, 64},
                                           {128, 784, 256}};
/* The other layers (small; a few percent of a training step). */
static const shape other_layer_shapes[] = {{32, 64, 10},  {128, 64, 10},  {32, 256, 10},
                                           {128, 256, 10}, {32, 256, 64}, {128, 256, 64}};

/* One table: every GEMM on every shape, one row each. */
static void bench_table(const char *title, const shape *shapes, size_t n_shapes,
                        double min_seconds, unsigned *seed)
{
    printf("\n%s\n\n", title);
    printf("| %-20s | %4s | %4s | %4s | %7s | %7s | %7s | %8s | %11s |\n", "gemm", "B", "I", "O",
           "scalar", "avx2", "avx512", "openblas", "best/openbl");
    printf("|----------------------|------|------|------|---------|---------|---------|----------|"
           "-------------|\n");
    for (int g = 0; g <= GEMM_BACKWARD_WEIGHTS; g++) {
        for (size_t i = 0; i < n_shapes; i++) {
            int B = shapes[i].B, I = shapes[i].I, O = shapes[i].O;
            bench_buffers m = bench_buffers_new(B, I, O, seed);
            double gf[N_IMPLS];
            measure_cell(gf, (gemm_kind)g, &m, B, I, O, min_seconds);
            printf("| %-20s | %4d | %4d | %4d | %7.1f | ", gemm_names[g], B, I, O,
                   gf[IMPL_SCALAR]);
            for (int j = IMPL_AVX2; j <= IMPL_AVX512; j++)
                if (gf[j] > 0)
                    printf("%7.1f | ", gf[j]);
                else
                    printf("%7s | ", "-");
            if (gf[IMPL_OPENBLAS] > 0)
                printf("%8.1f | ", gf[IMPL_OPENBLAS]);
            else
                printf("%8s | ", "-");
            double simd = gf[IMPL_AVX2] > gf[IMPL_AVX512] ? gf[IMPL_AVX2] : gf[IMPL_AVX512];
            if (simd > 0 && gf[IMPL_OPENBLAS] > 0)
                printf("%10.2fx |\n", simd / gf[IMPL_OPENBLAS]);
            else
                printf("%11s |\n", "-");
            fflush(stdout);
            bench_buffers_free(&m);
        }
    }
}

/* One key=value line per GEMM and shape (see --summary above). */
static void bench_summary(const shape *shapes, size_t n_shapes, double min_seconds, unsigned *seed)
{
    static const gemm_kind gemms[] = {GEMM_FORWARD, GEMM_BACKWARD_INPUT, GEMM_BACKWARD_WEIGHTS};
    static const char *const names[] = {"forward", "backward_input", "backward_weights"};
    for (size_t g = 0; g < sizeof gemms / sizeof gemms[0]; g++)
        for (size_t i = 0; i < n_shapes; i++) {
            int B = shapes[i].B, I = shapes[i].I, O = shapes[i].O;
            bench_buffers m = bench_buffers_new(B, I, O, seed);
            double gf[N_IMPLS];
            measure_cell(gf, gemms[g], &m, B, I, O, min_seconds);
            printf("gemm=%s B=%d I=%d O=%d scalar=%.2f avx2=%.2f avx512=%.2f openblas=%.2f\n",
                   names[g], B, I, O, gf[IMPL_SCALAR], gf[IMPL_AVX2], gf[IMPL_AVX512],
                   gf[IMPL_OPENBLAS]);
            fflush(stdout);
            bench_buffers_free(&m);
        }
}

/* The widest table on large layers (see --scaling above), one row per shape. */
static void bench_scaling(double min_seconds, unsigned *seed)
{
    static const shape layers[] = {{0, 784, 1024}, {0, 1024, 1024}, {0, 2048, 2048}, {0, 4096, 4096}};
    static const int batches[] = {8, 32, 128, 512};
    const nn_dense_kernels *k = widest_table();
    if (!k) {
        printf("scaling: no AVX2 on this CPU (skipped)\n");
        return;
    }
    bench_clock = CLOCK_THREAD_CPUTIME_ID;
    double peak = fma_peak_gflops();
    printf("%s kernels on large layers, one thread, GFLOP/s of CPU time (%% of the %.1f GFLOP/s FMA\n"
           "peak, also in CPU time); weights: 784x1024 3.2 MB, 1024x1024 4.2 MB, 2048x2048 17 MB,\n"
           "4096x4096 67 MB\n\n",
           k->name, peak);
    printf("| %4s | %4s | %4s | %14s | %14s | %14s |\n", "I", "O", "B", "forward",
           "backward_input", "backward_w +db");
    printf("|------|------|------|----------------|----------------|----------------|\n");
    static const gemm_kind gemms[] = {GEMM_FORWARD, GEMM_BACKWARD_INPUT, GEMM_BACKWARD_WEIGHTS};
    for (size_t l = 0; l < sizeof layers / sizeof layers[0]; l++)
        for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
            int B = batches[b], I = layers[l].I, O = layers[l].O;
            bench_buffers m = bench_buffers_new(B, I, O, seed);
            printf("| %4d | %4d | %4d |", I, O, B);
            for (size_t g = 0; g < 3; g++) {
                double t = best_call_seconds(k, gemms[g], &m, B, I, O, min_seconds);
                double gf = 2.0 * B * I * O / t * 1e-9;
                printf(" %6.1f (%3.0f%%) |", gf, peak > 0 ? 100 * gf / peak : 0.0);
            }
            printf("\n");
            fflush(stdout);
            bench_buffers_free(&m);
        }
}

int main(int argc, char **argv)
{
    double min_seconds = 0.2;
    int summary = 0, scaling = 0, loss_B = 0, loss_C = 0;
    long adam_params = 0;
    shape picked[16];
    size_t n_picked = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--summary") == 0)
            summary = 1;
        else if (strcmp(argv[i], "--shape") == 0) {
            shape s;
            if (i + 1 >= argc || n_picked == sizeof picked / sizeof picked[0] ||
                sscanf(argv[i + 1], "%dx%dx%d", &s.B, &s.I, &s.O) != 3 || s.B < 1 || s.I < 1 ||
                s.O < 1) {
                fprintf(stderr, "bench_kernels: --shape wants BxIxO, e.g. 32x64x10 (at most %zu)\n",
                        sizeof picked / sizeof picked[0]);
                return 2;
            }
            picked[n_picked++] = s;
            i++;
        }
        else if (strcmp(argv[i], "--scaling") == 0)
            scaling = 1;
        else if (strcmp(argv[i], "--peak-pair") == 0)
            return print_peak_pair();
        else if (strcmp(argv[i], "--peak-one") == 0)
            return print_peak_one();
        else if (strcmp(argv[i], "--loss") == 0) {
            if (i + 1 >= argc || sscanf(argv[i + 1], "%dx%d", &loss_B, &loss_C) != 2 ||
                loss_B < 1 || loss_C < 1) {
                fprintf(stderr, "bench_kernels: --loss wants BxC, e.g. 32x10\n");
                return 2;
            }
            i++;
        }
        else if (strcmp(argv[i], "--adam") == 0) {
            if (i + 1 >= argc || sscanf(argv[i + 1], "%ld", &adam_params) != 1 || adam_params < 1 ||
                adam_params > (1L << 30)) {
                fprintf(stderr, "bench_kernels: --adam wants a parameter count, 1 to 2^30\n");
                return 2;
            }
            i++;
        }
        else if (strcmp(argv[i], "--blocking") == 0) {
            nn_blocking b = nn_blocking_active();
            int fields = i + 1 < argc ? sscanf(argv[i + 1], "%d,%d,%d,%d", &b.blocked_from,
                                               &b.k_block, &b.row_block, &b.x_pairs)
                                      : 0;
            if ((fields != 3 && fields != 4) || nn_blocking_set(&b) != 0) {
                fprintf(stderr, "bench_kernels: --blocking wants FROM,K,ROWS[,PAIRS] within the "
                                "ranges of engine/kernels_blocking.h, e.g. 640,320,128\n");
                return 2;
            }
            i++;
        }
        else {
            char *end;
            min_seconds = strtod(argv[i], &end);
            if (end == argv[i] || *end != '\0' || !(min_seconds > 0 && min_seconds <= 3600)) {
                fprintf(stderr, "bench_kernels: '%s' is neither an option nor seconds per cell (above 0, at most 3600); "
                                "options: --summary --scaling --shape BxIxO --loss BxC --adam N "
                                "--blocking FROM,K,ROWS[,PAIRS] --peak-one --peak-pair\n", argv[i]);
                return 2;
            }
        }
    }
    unsigned seed = 12345u;
#ifdef NNLAB_HAVE_OPENBLAS
    openblas_set_num_threads(1);
#endif
    if (loss_B > 0)
        return print_loss(loss_B, loss_C, min_seconds, &seed);
    if (adam_params > 0)
        return print_adam(adam_params, min_seconds, &seed);
    if (scaling) {
        bench_scaling(min_seconds, &seed);
        return 0;
    }
    if (n_picked > 0) {
        bench_summary(picked, n_picked, min_seconds, &seed);
        return 0;
    }
    if (summary) {
#ifdef NNLAB_HAVE_OPENBLAS
        printf("openblas=\"%s\" openblas_core=%s threads=%d\n", openblas_get_config(),
               openblas_get_corename(), openblas_get_num_threads());
#else
        printf("openblas=none\n");
#endif
        printf("fma_peak=%.1f fma_peak_ymm=%.1f fma_peak_zmm=%.1f\n", fma_peak_gflops(),
               fma_peak_ymm(), fma_peak_zmm());
        nn_cpu_caches caches = nn_cpu_caches_detect();
        nn_blocking blocks = nn_blocking_active();
        printf("caches l1d=%u l2=%u l3=%u blocked_from=%d k_block=%d row_block=%d x_pairs=%d\n",
               caches.l1d, caches.l2, caches.l3, blocks.blocked_from, blocks.k_block,
               blocks.row_block, blocks.x_pairs);
        static const shape second_layer_shapes[] = {{32, 64, 10}, {128, 256, 10}};
        bench_summary(first_layer_shapes, sizeof first_layer_shapes / sizeof first_layer_shapes[0],
                      min_seconds, &seed);
        bench_summary(second_layer_shapes,
                      sizeof second_layer_shapes / sizeof second_layer_shapes[0], min_seconds, &seed);
        return 0;
    }

    printf("dense kernels, single thread, GFLOP/s (best call of >= %.2f s per column)\n",
           min_seconds);
    printf("active table: %s; avx2 table: %s; avx512 table: %s\n", nn_kernels_active()->name,
           nn_kernels_avx2() ? "available" : "unavailable on this CPU (skipped)",
           nn_kernels_avx512() ? "available" : "unavailable on this CPU (skipped)");
    if (nn_kernels_avx2())
        printf("this core's FMA peaks: ymm %.1f GFLOP/s, zmm %.1f GFLOP/s (0: no AVX-512F)\n",
               fma_peak_ymm(), fma_peak_zmm());
#ifdef NNLAB_HAVE_OPENBLAS
    const char *coretype = getenv("OPENBLAS_CORETYPE"), *l2 = getenv("OPENBLAS_L2_SIZE");
    printf("openblas: %s\nopenblas core: %s, %d thread(s); OPENBLAS_CORETYPE=%s "
           "OPENBLAS_L2_SIZE=%s\n",
           openblas_get_config(), openblas_get_corename(), openblas_get_num_threads(),
           coretype ? coretype : "(unset)", l2 ? l2 : "(unset)");
    printf("openblas does the plain GEMM only (no bias, activation or db)\n");
#else
    printf("openblas: not installed (skipped)\n");
#endif
    bench_table("first layer (the targets)", first_layer_shapes,
                sizeof first_layer_shapes / sizeof first_layer_shapes[0], min_seconds, &seed);
    bench_table("other layers", other_layer_shapes,
                sizeof other_layer_shapes / sizeof other_layer_shapes[0], min_seconds, &seed);
    return 0;
}
