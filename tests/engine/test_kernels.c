/* Dense kernels: the scalar reference against double-precision loops (with
 * tolerances), and every SIMD table this CPU runs (AVX2, AVX-512) against the
 * scalar one bit for bit, every entry (the _cols ones over a few splits), on
 * odd sizes and the experiments' shapes, for every activation, with guards
 * after every output and after the scratch. A table this CPU or build lacks is
 * skipped with a printed reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "kernels_blocking.h"
#include "nn_kernels.h"
#include "nn_mem.h"
#include "nn_rng.h"
#include "test_util.h"

/* ---- shapes and activations ------------------------------------------------ */

typedef struct shape {
    int B, I, O;
} shape;

/* Every size alone and a spread of mixes of {1, 3, 17, 785}, plus sizes around
 * the vector width (8), the forward tile (3×4) and the backward tile (4×24),
 * and output widths that leave 57-63 columns past a multiple of 64 and 113-127
 * past a multiple of 128 (the bias gradient's last group of 8 vectors), and
 * rows longer than 2048, which the AVX-512 forward runs in blocks of k (from
 * 1025 inputs on a CPU with a 48 KiB L1d, kernels_blocking.h): a tail,
 * several blocks, row counts across its row blocks, W read in place (fewer
 * than 64 rows, rows not a multiple of 512 apart); and the
 * 9-12-output shapes listed last. */
static const shape odd_shapes[] = {
    {1, 1, 1},     {1, 3, 17},    {3, 17, 1},   {17, 1, 3},    {3, 3, 3},     {17, 17, 17},
    {1, 785, 3},   {3, 785, 17},  {17, 785, 1}, {785, 3, 17},  {785, 17, 1},  {1, 17, 785},
    {3, 1, 785},   {17, 3, 785},  {785, 1, 3},  {17, 785, 17}, {785, 17, 17}, {1, 785, 785},
    {785, 3, 3},   {3, 785, 785}, {5, 7, 9},    {6, 16, 8},    {7, 15, 4},    {12, 33, 13},
    {2, 8, 5},     {13, 31, 6},   {4, 9, 23},   {11, 64, 2},   {4, 24, 8},    {8, 25, 4},
    {5, 49, 24},   {9, 47, 12},   {3, 5, 60},    {2, 9, 63},    {3, 5, 120},   {2, 7, 127},
    {2, 3, 250},   {5, 1031, 11}, {67, 2053, 9}, {130, 3000, 17}, {9, 4096, 16}, {3, 2048, 3},
    {7, 3001, 5},
    /* fewer than 64 rows of whole rows, the AVX-512 forward's pairs of rows of
     * X: odd row counts, tiles of 3, 2 and 1 pairs, X packed by the first of
     * more than 4 strips (more than 32 columns) and read back by the rest,
     * last strips of 9-10 columns and partial ones, inputs past a multiple of 8 */
    {31, 100, 42}, {1, 20, 50},   {63, 777, 41}, {10, 24, 33}, {19, 57, 36}, {4, 8, 40},
    {9, 30, 27},   {22, 130, 7},
    /* 9-12 outputs (the AVX-512 path's own backward kernels, and a forward
     * strip of 9-10 columns: after 8 columns at 18), row counts across its
     * steps of 4 and 2 rows, columns ending in a partial first or second
     * vector of 32, a packed W (66 rows), blocks of k (2100 inputs) */
    {7, 50, 10},   {3, 17, 10},   {33, 64, 10}, {66, 130, 10}, {6, 41, 11},  {130, 2100, 18},
};

/* The experiments: 784 → {64, 256} → 10 and 256 → 64, batches 32 and 128. */
static const shape experiment_shapes[] = {
    {32, 784, 64}, {32, 784, 256}, {128, 784, 64}, {128, 784, 256},
    {32, 64, 10},  {128, 256, 10}, {32, 256, 64},  {128, 256, 64},
};

typedef struct act_case {
    nn_act act;
    float slope;
} act_case;

static const act_case act_cases[] = {
    {NN_ACT_NONE, 0.0f},        {NN_ACT_SIGMOID, 0.0f},     {NN_ACT_RELU, 0.0f},
    {NN_ACT_LEAKY_RELU, 0.01f}, {NN_ACT_LEAKY_RELU, 0.2f}, {NN_ACT_TANH, 0.0f},
};
enum { N_ACT_CASES = sizeof act_cases / sizeof act_cases[0] };

/* ---- buffers with guards ----------------------------------------------------- */

enum { GUARD = 37 };                /* floats after every output and the scratch */
static const uint32_t GUARD_BITS = 0x7fc0dead; /* a NaN no kernel computes */

/* Inputs: plain malloc of exactly n floats, so ASan sees any read past them. */
static float *uniform_floats(nn_rng *rng, size_t n, float lo, float hi)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = nn_rng_range(rng, lo, hi);
    return p;
}

static void set_guard(float *p, size_t n)
{
    for (size_t i = 0; i < GUARD; i++)
        memcpy(p + n + i, &GUARD_BITS, sizeof GUARD_BITS);
}

#define assert_guard_intact(p, n)                                                        \
    do {                                                                                   \
        for (size_t g_ = 0; g_ < GUARD; g_++)                                             \
            if (memcmp((p) + (n) + g_, &GUARD_BITS, sizeof GUARD_BITS) != 0) {            \
                print_error("%s:%d: guard %zu after %zu floats overwritten\n", __FILE__,   \
                            __LINE__, g_, (size_t)(n));                                    \
                _fail(__FILE__, __LINE__);                                                 \
            }                                                                              \
    } while (0)

/* An output of n floats followed by a guard, prefilled with garbage. */
static float *guarded_output(size_t n)
{
    float *p = malloc((n + GUARD) * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = -12345.0f;
    set_guard(p, n);
    return p;
}

/* Scratch of exactly nn_dense_scratch_floats(B, I, O) floats, 64-byte aligned,
 * prefilled with NaN (kernels must not rely on its contents), then a guard. */
static float *guarded_scratch(int B, int I, int O, size_t *floats)
{
    *floats = nn_dense_scratch_floats(B, I, O);
    float *p = nn_alloc_floats(*floats + GUARD);
    assert_non_null(p);
    for (size_t i = 0; i < *floats; i++)
        memcpy(p + i, &GUARD_BITS, sizeof GUARD_BITS);
    set_guard(p, *floats);
    return p;
}

static double rms(const float *p, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)p[i] * p[i];
    return n ? sqrt(s / (double)n) : 0.0;
}

/* GEMM results are compared with rtol 1e-5 plus atol = 1e-5 · rms(results):
 * an output that cancels to near zero still carries the rounding error of its
 * partial sums, which are as large as the typical output, so its error is
 * relative to that typical size, not to its own. */
static const double GEMM_RTOL = 1e-5;
static double gemm_atol(const float *ref, size_t n) { return 1e-5 * rms(ref, n); }

/* ---- double-precision references ----------------------------------------------- */

static double act_double(double x, nn_act act, float slope)
{
    switch (act) {
    case NN_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case NN_ACT_RELU: return x > 0.0 ? x : 0.0;
    case NN_ACT_LEAKY_RELU: return x > 0.0 ? x : (double)slope * x;
    case NN_ACT_TANH: return tanh(x);
    case NN_ACT_NONE: break;
    }
    return x;
}

/* Y (B,O) = act(X (B,I) · W (O,I)ᵀ + b), summed in double; pre gets X·Wᵀ + b. */
static void forward_double(float *Y, float *pre, const float *X, const float *W, const float *b,
                           int B, int I, int O, nn_act act, float slope)
{
    for (int r = 0; r < B; r++)
        for (int o = 0; o < O; o++) {
            double acc = b ? b[o] : 0.0;
            for (int i = 0; i < I; i++)
                acc += (double)X[(size_t)r * I + i] * W[(size_t)o * I + i];
            pre[(size_t)r * O + o] = (float)acc;
            Y[(size_t)r * O + o] = (float)act_double(acc, act, slope);
        }
}

/* dX (B,I) = dY (B,O) · W (O,I) in double. */
static void backward_input_double(float *dX, const float *dY, const float *W, int B, int I, int O)
{
    for (int r = 0; r < B; r++)
        for (int i = 0; i < I; i++) {
            double acc = 0.0;
            for (int o = 0; o < O; o++)
                acc += (double)dY[(size_t)r * O + o] * W[(size_t)o * I + i];
            dX[(size_t)r * I + i] = (float)acc;
        }
}

/* dW (O,I) += dY (B,O)ᵀ · X (B,I); db (O) += Σ_r dY[r], in double. */
static void backward_weights_double(float *dW, float *db, const float *dY, const float *X, int B,
                                    int I, int O)
{
    for (int o = 0; o < O; o++) {
        for (int i = 0; i < I; i++) {
            double acc = dW[(size_t)o * I + i];
            for (int r = 0; r < B; r++)
                acc += (double)dY[(size_t)r * O + o] * X[(size_t)r * I + i];
            dW[(size_t)o * I + i] = (float)acc;
        }
        if (db) {
            double acc = db[o];
            for (int r = 0; r < B; r++)
                acc += dY[(size_t)r * O + o];
            db[o] = (float)acc;
        }
    }
}

/* ---- the scalar reference against double precision ------------------------------ */

/* The scalar forward against the double loops, for every activation, with and
 * without bias. Weights like torch.nn.Linear's init. */
static void check_forward_double(shape s, uint64_t seed)
{
    const nn_dense_kernels *k = nn_kernels_scalar();
    nn_rng rng;
    nn_rng_seed(&rng, seed, 7);
    size_t ny = (size_t)s.B * s.O, nscratch;
    float bound = 1.0f / sqrtf((float)s.I);
    float *X = uniform_floats(&rng, (size_t)s.B * s.I, -1.0f, 1.0f);
    float *W = uniform_floats(&rng, (size_t)s.O * s.I, -bound, bound);
    float *b = uniform_floats(&rng, (size_t)s.O, -bound, bound);
    float *Y = guarded_output(ny), *Y_ref = guarded_output(ny), *pre = guarded_output(ny);
    float *scratch = guarded_scratch(s.B, s.I, s.O, &nscratch);

    for (int a = 0; a < N_ACT_CASES; a++)
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            act_case c = act_cases[a];
            const float *bias = with_bias ? b : NULL;
            k->forward(Y, X, W, bias, s.B, s.I, s.O, c.act, c.slope, scratch);
            forward_double(Y_ref, pre, X, W, bias, s.B, s.I, s.O, c.act, c.slope);
            /* The activations are 1-Lipschitz, so the pre-activation's absolute
             * tolerance carries over; 1e-6 covers the activation's own rounding
             * (and sigmoid's clamped exp: ~1e-38 where the double is ~1e-44). */
            double atol = gemm_atol(pre, ny) + 1e-6;
            assert_close(Y, Y_ref, ny, GEMM_RTOL, atol);
            assert_guard_intact(Y, ny);
            assert_guard_intact(scratch, nscratch);
        }
    free(X), free(W), free(b), free(Y), free(Y_ref), free(pre);
    nn_free(scratch);
}

static void check_backward_input_double(shape s, uint64_t seed)
{
    const nn_dense_kernels *k = nn_kernels_scalar();
    nn_rng rng;
    nn_rng_seed(&rng, seed, 8);
    size_t nx = (size_t)s.B * s.I, nscratch;
    float *dY = uniform_floats(&rng, (size_t)s.B * s.O, -1.0f, 1.0f);
    float *W = uniform_floats(&rng, (size_t)s.O * s.I, -1.0f, 1.0f);
    float *dX = guarded_output(nx), *dX_ref = guarded_output(nx);
    float *scratch = guarded_scratch(s.B, s.I, s.O, &nscratch);

    k->backward_input(dX, dY, W, s.B, s.I, s.O, scratch);
    backward_input_double(dX_ref, dY, W, s.B, s.I, s.O);
    double atol = gemm_atol(dX_ref, nx);
    assert_close(dX, dX_ref, nx, GEMM_RTOL, atol);
    assert_guard_intact(dX, nx);
    assert_guard_intact(scratch, nscratch);
    free(dY), free(W), free(dX), free(dX_ref);
    nn_free(scratch);
}

/* dW and db start non-zero: the kernel must add, not overwrite. With db NULL,
 * the bias gradient is skipped. */
static void check_backward_weights_double(shape s, uint64_t seed)
{
    const nn_dense_kernels *k = nn_kernels_scalar();
    nn_rng rng;
    nn_rng_seed(&rng, seed, 9);
    size_t nw = (size_t)s.O * s.I, nscratch;
    float *dY = uniform_floats(&rng, (size_t)s.B * s.O, -1.0f, 1.0f);
    float *X = uniform_floats(&rng, (size_t)s.B * s.I, -1.0f, 1.0f);
    float *dW0 = uniform_floats(&rng, nw, -1.0f, 1.0f);
    float *db0 = uniform_floats(&rng, (size_t)s.O, -1.0f, 1.0f);
    float *dW = guarded_output(nw), *dW_ref = guarded_output(nw);
    float *db = guarded_output((size_t)s.O), *db_ref = guarded_output((size_t)s.O);
    float *scratch = guarded_scratch(s.B, s.I, s.O, &nscratch);

    for (int with_db = 0; with_db < 2; with_db++) {
        memcpy(dW, dW0, nw * sizeof *dW);
        memcpy(dW_ref, dW0, nw * sizeof *dW);
        memcpy(db, db0, s.O * sizeof *db);
        memcpy(db_ref, db0, s.O * sizeof *db);
        k->backward_weights(dW, with_db ? db : NULL, dY, X, s.B, s.I, s.O, scratch);
        backward_weights_double(dW_ref, with_db ? db_ref : NULL, dY, X, s.B, s.I, s.O);
        double atol_dW = gemm_atol(dW_ref, nw), atol_db = gemm_atol(db_ref, (size_t)s.O);
        assert_close(dW, dW_ref, nw, GEMM_RTOL, atol_dW);
        assert_close(db, db_ref, (size_t)s.O, GEMM_RTOL, atol_db);
        if (!with_db) /* untouched */
            assert_memory_equal(db, db0, s.O * sizeof *db);
        assert_guard_intact(dW, nw);
        assert_guard_intact(db, (size_t)s.O);
        assert_guard_intact(scratch, nscratch);
    }
    free(dY), free(X), free(dW0), free(db0), free(dW), free(dW_ref), free(db), free(db_ref);
    nn_free(scratch);
}

static void for_all_shapes(void (*check)(shape, uint64_t))
{
    uint64_t seed = 1;
    for (size_t i = 0; i < sizeof odd_shapes / sizeof odd_shapes[0]; i++)
        check(odd_shapes[i], seed++);
    for (size_t i = 0; i < sizeof experiment_shapes / sizeof experiment_shapes[0]; i++)
        check(experiment_shapes[i], seed++);
}

static void test_scalar_forward_matches_double(void **state)
{
    (void)state;
    for_all_shapes(check_forward_double);
}

static void test_scalar_backward_input_matches_double(void **state)
{
    (void)state;
    for_all_shapes(check_backward_input_double);
}

static void test_scalar_backward_weights_matches_double(void **state)
{
    (void)state;
    for_all_shapes(check_backward_weights_double);
}

/* ---- the SIMD tables ---------------------------------------------------------------- */

/* Every SIMD table this CPU and build run, NULL-terminated; each one missing is
 * reported once, with the reason. */
enum { MAX_PATHS = 2 };
static const nn_dense_kernels *simd_tables[MAX_PATHS + 1];

static void find_simd_tables(void)
{
    static bool found;
    if (found)
        return;
    found = true;
    nn_cpu_features cpu = nn_cpu_features_detect();
    size_t n = 0;
    if (nn_kernels_avx2())
        simd_tables[n++] = nn_kernels_avx2();
    else
        printf("avx2: skipped: this CPU (or its OS) lacks AVX2, FMA or YMM state\n");
    if (nn_kernels_avx512())
        simd_tables[n++] = nn_kernels_avx512();
    else if (cpu.avx512f && cpu.os_zmm && cpu.avx2 && cpu.fma)
        printf("avx512: skipped: this build has no AVX-512 kernels (nn_kernels_avx512() is NULL)\n");
    else
        printf("avx512: skipped: this CPU (or its OS) lacks AVX-512F, AVX2, FMA or ZMM state\n");
    for (size_t i = 0; i < n; i++)
        printf("%s: compared with scalar bit for bit\n", simd_tables[i]->name);
    fflush(stdout);
}

/* a and b (n floats) hold the same bits, else the test fails at the caller's
 * line naming the table, the entry and the first element that differs. */
#define assert_same_bits(a, b, n, table, what)                                              \
    do {                                                                                     \
        const float *x_ = (a), *y_ = (b);                                                    \
        for (size_t e_ = 0; e_ < (size_t)(n); e_++) {                                       \
            uint32_t u_, v_;                                                                 \
            memcpy(&u_, x_ + e_, sizeof u_);                                                 \
            memcpy(&v_, y_ + e_, sizeof v_);                                                 \
            if (u_ != v_) {                                                                  \
                print_error("%s:%d: %s %s: element %zu of %zu: %.9g (0x%08x) vs scalar "     \
                            "%.9g (0x%08x)\n", __FILE__, __LINE__, (table)->name, (what),    \
                            e_, (size_t)(n), (double)x_[e_], u_, (double)y_[e_], v_);        \
                _fail(__FILE__, __LINE__);                                                   \
            }                                                                                \
        }                                                                                    \
    } while (0)

/* Split points of n columns for the _cols entries: the whole, three uneven
 * parts, and one column then the rest (empty parts left out). */
enum { MAX_CUTS = 4 };
typedef struct split {
    int n, cut[MAX_CUTS];
} split;

static int splits_of(int n, split out[3])
{
    int k = 0;
    out[k++] = (split){2, {0, n}};
    if (n >= 3)
        out[k++] = (split){4, {0, n / 3, n / 3 + (n - n / 3) / 2 + 1, n}};
    if (n >= 2)
        out[k++] = (split){3, {0, 1, n}};
    return k;
}

/* forward and forward_cols of `k` against the scalar forward, every
 * activation, with and without bias; on the large shapes (over 10⁶
 * multiply-adds), every activation once, with bias or without in turn (the
 * sums do not depend on the activation, and the scalar forward's fmaf chains
 * are slow under the sanitizers). */
static void check_forward_bits(const nn_dense_kernels *k, shape s, uint64_t seed)
{
    const nn_dense_kernels *sc = nn_kernels_scalar();
    nn_rng rng;
    nn_rng_seed(&rng, seed, 7);
    size_t ny = (size_t)s.B * s.O, nscratch;
    float bound = 1.0f / sqrtf((float)s.I);
    float *X = uniform_floats(&rng, (size_t)s.B * s.I, -1.0f, 1.0f);
    float *W = uniform_floats(&rng, (size_t)s.O * s.I, -bound, bound);
    float *b = uniform_floats(&rng, (size_t)s.O, -4.0f * bound, 4.0f * bound);
    float *Y = guarded_output(ny), *Y_ref = guarded_output(ny);
    float *scratch = guarded_scratch(s.B, s.I, s.O, &nscratch);
    split sp[3];
    int nsp = splits_of(s.O, sp);

    bool large = (double)s.B * s.I * s.O > 1e6;
    for (int a = 0; a < N_ACT_CASES; a++)
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            if (large && (a + with_bias + (int)seed) % 2)
                continue;
            act_case c = act_cases[a];
            const float *bias = with_bias ? b : NULL;
            sc->forward(Y_ref, X, W, bias, s.B, s.I, s.O, c.act, c.slope, scratch);
            k->forward(Y, X, W, bias, s.B, s.I, s.O, c.act, c.slope, scratch);
            assert_same_bits(Y, Y_ref, ny, k, "forward");
            assert_guard_intact(Y, ny);
            /* one split per activation and bias, in turn */
            split p = sp[(2 * a + with_bias) % nsp];
            for (size_t i = 0; i < ny; i++)
                Y[i] = -12345.0f;
            for (int j = 0; j + 1 < p.n; j++)
                k->forward_cols(Y, X, W, bias, s.B, s.I, s.O, c.act, c.slope, p.cut[j],
                                p.cut[j + 1], scratch);
            assert_same_bits(Y, Y_ref, ny, k, "forward_cols");
            assert_guard_intact(Y, ny);
            assert_guard_intact(scratch, nscratch);
        }
    free(X), free(W), free(b), free(Y), free(Y_ref);
    nn_free(scratch);
}

/* backward_input and backward_input_cols of `k` against scalar's. */
static void check_backward_input_bits(const nn_dense_kernels *k, shape s, uint64_t seed)
{
    const nn_dense_kernels *sc = nn_kernels_scalar();
    nn_rng rng;
    nn_rng_seed(&rng, seed, 8);
    size_t nx = (size_t)s.B * s.I, nscratch;
    float *dY = uniform_floats(&rng, (size_t)s.B * s.O, -1.0f, 1.0f);
    float *W = uniform_floats(&rng, (size_t)s.O * s.I, -1.0f, 1.0f);
    float *dX = guarded_output(nx), *dX_ref = guarded_output(nx);
    float *scratch = guarded_scratch(s.B, s.I, s.O, &nscratch);
    split sp[3];
    int nsp = splits_of(s.I, sp);

    sc->backward_input(dX_ref, dY, W, s.B, s.I, s.O, scratch);
    k->backward_input(dX, dY, W, s.B, s.I, s.O, scratch);
    assert_same_bits(dX, dX_ref, nx, k, "backward_input");
    assert_guard_intact(dX, nx);
    for (int q = 0; q < nsp; q++) {
        for (size_t i = 0; i < nx; i++)
            dX[i] = -12345.0f;
        for (int j = 0; j + 1 < sp[q].n; j++)
            k->backward_input_cols(dX, dY, W, s.B, s.I, s.O, sp[q].cut[j], sp[q].cut[j + 1],
                                   scratch);
        assert_same_bits(dX, dX_ref, nx, k, "backward_input_cols");
        assert_guard_intact(dX, nx);
    }
    assert_guard_intact(scratch, nscratch);
    free(dY), free(W), free(dX), free(dX_ref);
    nn_free(scratch);
}

/* backward_weights (accumulating into non-zero dW and db), backward_weights_fresh
 * (into NaN) and backward_weights_cols (both ways, db given to the last part)
 * of `k` against scalar's, with and without db. X has a column of exact zeros
 * and dY a column of them: sums of ±0 products. */
static void check_backward_weights_bits(const nn_dense_kernels *k, shape s, uint64_t seed)
{
    const nn_dense_kernels *sc = nn_kernels_scalar();
    nn_rng rng;
    nn_rng_seed(&rng, seed, 9);
    size_t nw = (size_t)s.O * s.I, nscratch;
    float *dY = uniform_floats(&rng, (size_t)s.B * s.O, -1.0f, 1.0f);
    float *X = uniform_floats(&rng, (size_t)s.B * s.I, -1.0f, 1.0f);
    float *dW0 = uniform_floats(&rng, nw, -1.0f, 1.0f);
    float *db0 = uniform_floats(&rng, (size_t)s.O, -1.0f, 1.0f);
    for (int r = 0; r < s.B; r++) {
        X[(size_t)r * s.I] = r % 2 ? -0.0f : 0.0f;
        dY[(size_t)r * s.O + s.O - 1] = 0.0f;
    }
    float *dW = guarded_output(nw), *dW_ref = guarded_output(nw);
    float *db = guarded_output((size_t)s.O), *db_ref = guarded_output((size_t)s.O);
    float *scratch = guarded_scratch(s.B, s.I, s.O, &nscratch);
    split sp[3];
    int nsp = splits_of(s.I, sp);

    for (int fresh = 0; fresh < 2; fresh++)
        for (int with_db = 0; with_db < 2; with_db++) {
            memcpy(dW_ref, dW0, nw * sizeof *dW);
            memcpy(db_ref, db0, s.O * sizeof *db);
            float *db_r = with_db ? db_ref : NULL;
            if (fresh)
                sc->backward_weights_fresh(dW_ref, db_r, dY, X, s.B, s.I, s.O, scratch);
            else
                sc->backward_weights(dW_ref, db_r, dY, X, s.B, s.I, s.O, scratch);
            for (int q = -1; q < nsp; q++) { /* the whole entry, then each split */
                if (fresh) {
                    for (size_t i = 0; i < nw; i++)
                        dW[i] = NAN;
                    for (int o = 0; o < s.O; o++)
                        db[o] = with_db ? NAN : db0[o];
                } else {
                    memcpy(dW, dW0, nw * sizeof *dW);
                    memcpy(db, db0, s.O * sizeof *db);
                }
                const char *what;
                if (q < 0 && fresh) {
                    what = "backward_weights_fresh";
                    k->backward_weights_fresh(dW, with_db ? db : NULL, dY, X, s.B, s.I, s.O,
                                              scratch);
                } else if (q < 0) {
                    what = "backward_weights";
                    k->backward_weights(dW, with_db ? db : NULL, dY, X, s.B, s.I, s.O, scratch);
                } else {
                    what = "backward_weights_cols";
                    for (int j = 0; j + 1 < sp[q].n; j++)
                        k->backward_weights_cols(dW, with_db && j + 2 == sp[q].n ? db : NULL,
                                                 dY, X, s.B, s.I, s.O, sp[q].cut[j],
                                                 sp[q].cut[j + 1], fresh, scratch);
                }
                assert_same_bits(dW, dW_ref, nw, k, what);
                assert_same_bits(db, db_ref, (size_t)s.O, k, what);
                assert_guard_intact(dW, nw);
                assert_guard_intact(db, (size_t)s.O);
                assert_guard_intact(scratch, nscratch);
            }
        }
    free(dY), free(X), free(dW0), free(db0), free(dW), free(dW_ref), free(db), free(db_ref);
    nn_free(scratch);
}

typedef void (*bits_check)(const nn_dense_kernels *, shape, uint64_t);

static void check_all_paths_all_shapes(bits_check check)
{
    find_simd_tables();
    for (const nn_dense_kernels **k = simd_tables; *k; k++) {
        uint64_t seed = 1;
        for (size_t i = 0; i < sizeof odd_shapes / sizeof odd_shapes[0]; i++)
            check(*k, odd_shapes[i], seed++);
        for (size_t i = 0; i < sizeof experiment_shapes / sizeof experiment_shapes[0]; i++)
            check(*k, experiment_shapes[i], seed++);
    }
}

static void test_paths_forward_same_bits(void **state)
{
    (void)state;
    check_all_paths_all_shapes(check_forward_bits);
}

static void test_paths_backward_input_same_bits(void **state)
{
    (void)state;
    check_all_paths_all_shapes(check_backward_input_bits);
}

static void test_paths_backward_weights_same_bits(void **state)
{
    (void)state;
    check_all_paths_all_shapes(check_backward_weights_bits);
}

/* The AVX-512 forward gives the same bits under every blocking
 * nn_blocking_set takes (kernels_blocking.h: the one this CPU's caches give is
 * only one of them): whole rows and blocks of k either side of each
 * blocked_from, several blocks and a tail, row blocks that cut a batch, and
 * strips taken in groups where a row block's X outgrows L2 (rows × I > 2048 ×
 * row_block: the last two shapes under the first and last blockings, whose
 * second row blocks are too short to group; a group of 4 strips then 1, and
 * a group whose last strip has 10 columns), and either small-batch tile
 * (x_pairs), pairs of X's rows also in row blocks of 32 of a batch of 70,
 * packed by each block's first strip (the last shape). */
static void test_avx512_forward_any_blocking(void **state)
{
    (void)state;
    if (!nn_kernels_avx512()) {
        printf("avx512 blockings: skipped: this CPU (or build) runs no AVX-512 kernels\n");
        return;
    }
    static const nn_blocking blockings[] = {
        {256, 128, 32, 0},    {640, 320, 64, 1},      {1024, 512, 128, 0},
        {1024, 512, 128, 1},  {2048, 1024, 256, 1},   {256, 16, 4 * 8, 1},
    };
    static const shape shapes[] = {
        {5, 300, 11}, {37, 700, 17}, {33, 640, 8}, {9, 641, 16}, {130, 1031, 10},
        {67, 2053, 9}, {70, 257, 3}, {40, 200, 8}, {12, 256, 6}, {40, 2100, 37}, {36, 2053, 26},
        {70, 200, 40},
    };
    uint64_t seed = 900;
    for (size_t i = 0; i < sizeof blockings / sizeof blockings[0]; i++) {
        assert_int_equal(nn_blocking_set(&blockings[i]), 0);
        for (size_t j = 0; j < sizeof shapes / sizeof shapes[0]; j++)
            check_forward_bits(nn_kernels_avx512(), shapes[j], seed++);
    }
    assert_int_equal(nn_blocking_set(NULL), 0);
}

/* Below 64 rows the AVX-512 forward takes pairs of rows of X or of W a
 * register (nn_blocking's x_pairs, by CPU vendor): both give the same bits on
 * every shape, whichever this CPU uses; rows whole up to 2048 inputs, so that
 * the pairs take every shape up to there whatever this CPU's L1d. */
static void test_avx512_forward_either_small_batch_tile(void **state)
{
    (void)state;
    if (!nn_kernels_avx512()) {
        printf("avx512 small-batch tiles: skipped: this CPU (or build) runs no AVX-512 kernels\n");
        return;
    }
    uint64_t seed = 950;
    for (int x_pairs = 0; x_pairs <= 1; x_pairs++) {
        nn_blocking b = nn_blocking_active();
        b.blocked_from = NN_BLOCKED_FROM_MAX;
        b.k_block = NN_K_BLOCK_MAX;
        b.x_pairs = x_pairs;
        assert_int_equal(nn_blocking_set(&b), 0);
        for (size_t i = 0; i < sizeof odd_shapes / sizeof odd_shapes[0]; i++)
            check_forward_bits(nn_kernels_avx512(), odd_shapes[i], seed++);
        for (size_t i = 0; i < sizeof experiment_shapes / sizeof experiment_shapes[0]; i++)
            check_forward_bits(nn_kernels_avx512(), experiment_shapes[i], seed++);
        assert_int_equal(nn_blocking_set(NULL), 0);
    }
}

/* Zeros from underflow keep their sign on every path: products of ±1e-30
 * underflow to ±0, so each lane of a forward dot product, and each backward
 * chain, is a signed zero, which a partial last vector's masked lanes
 * (adding 0·0) and a bias of -0 can flip: with every lane -0, the sum plus a
 * bias of -0 is -0 only if the masked lanes are added as the SIMD paths do.
 * On a shape of B rows, I inputs and O outputs. */
static void check_underflowed_zeros(int B, int I, int O)
{
    enum { MAX_B = 5, MAX_I = 37, MAX_O = 21 };
    assert_true(B <= MAX_B && I <= MAX_I && O <= MAX_O);
    static float X[MAX_B * MAX_I], W[MAX_O * MAX_I], b[MAX_O], dY[MAX_B * MAX_O];
    for (int i = 0; i < B * I; i++) /* every lane of the forward -0; dW's chains mixed */
        X[i] = -1e-30f;
    for (int i = 0; i < O * I; i++)
        W[i] = 1e-30f;
    for (int i = 0; i < O; i++)
        b[i] = -0.0f;
    for (int i = 0; i < B * O; i++)
        dY[i] = i % 2 ? -1e-30f : 1e-30f;
    size_t nscratch;
    float *scratch = guarded_scratch(B, I, O, &nscratch);
    static float Y[MAX_B * MAX_O], Y_ref[MAX_B * MAX_O], dX[MAX_B * MAX_I], dX_ref[MAX_B * MAX_I];
    static float dW[MAX_O * MAX_I], dW_ref[MAX_O * MAX_I], db[MAX_O], db_ref[MAX_O];
    const nn_dense_kernels *sc = nn_kernels_scalar();
    for (const nn_dense_kernels **k = simd_tables; *k; k++) {
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            sc->forward(Y_ref, X, W, with_bias ? b : NULL, B, I, O, NN_ACT_NONE, 0.0f, scratch);
            (*k)->forward(Y, X, W, with_bias ? b : NULL, B, I, O, NN_ACT_NONE, 0.0f, scratch);
            assert_same_bits(Y, Y_ref, B * O, *k, "forward of underflowing products");
        }
        sc->backward_input(dX_ref, dY, W, B, I, O, scratch);
        (*k)->backward_input(dX, dY, W, B, I, O, scratch);
        assert_same_bits(dX, dX_ref, B * I, *k, "backward_input of underflowing products");
        sc->backward_weights_fresh(dW_ref, db_ref, dY, X, B, I, O, scratch);
        (*k)->backward_weights_fresh(dW, db, dY, X, B, I, O, scratch);
        assert_same_bits(dW, dW_ref, O * I, *k, "backward_weights_fresh of underflowing products");
        sc->backward_weights(dW_ref, db_ref, dY, X, B, I, O, scratch);
        (*k)->backward_weights(dW, db, dY, X, B, I, O, scratch);
        assert_same_bits(dW, dW_ref, O * I, *k, "backward_weights of underflowing products");
        assert_same_bits(db, db_ref, O, *k, "db of underflowing products");
    }
    assert_guard_intact(scratch, nscratch);
    nn_free(scratch);
}

/* 21 outputs: strips of 8, 8 and 5 and the 8×48 backward tiles; 10 outputs:
 * the AVX-512 path's 10-column strip and its kernels for 9-12 outputs. */
static void test_paths_sign_of_underflowed_zeros(void **state)
{
    (void)state;
    find_simd_tables();
    check_underflowed_zeros(3, 13, 21);
    check_underflowed_zeros(5, 37, 10);
}

/* backward_weights_fresh leaves exactly (bit for bit) what zeroing dW and db and
 * then backward_weights leave, whatever dW and db held before; db NULL skipped.
 * Each table is held to its own accumulating kernel. */
static void check_backward_weights_fresh(const nn_dense_kernels *k, shape s, uint64_t seed)
{
    nn_rng rng;
    nn_rng_seed(&rng, seed, 10);
    size_t nw = (size_t)s.O * s.I, nscratch;
    float *dY = uniform_floats(&rng, (size_t)s.B * s.O, -1.0f, 1.0f);
    float *X = uniform_floats(&rng, (size_t)s.B * s.I, -1.0f, 1.0f);
    for (int b = 0; b < s.B; b++) /* a column of exact zeros: dW's column 0 sums ±0 products */
        X[(size_t)b * s.I] = 0.0f;
    float *dW = guarded_output(nw), *dW_ref = guarded_output(nw);
    float *db = guarded_output((size_t)s.O), *db_ref = guarded_output((size_t)s.O);
    float *scratch = guarded_scratch(s.B, s.I, s.O, &nscratch);

    for (int with_db = 0; with_db < 2; with_db++) {
        for (size_t i = 0; i < nw; i++)
            dW[i] = NAN, dW_ref[i] = 0.0f;
        for (int o = 0; o < s.O; o++)
            db[o] = with_db ? NAN : 1.0f, db_ref[o] = with_db ? 0.0f : 1.0f;
        k->backward_weights_fresh(dW, with_db ? db : NULL, dY, X, s.B, s.I, s.O, scratch);
        k->backward_weights(dW_ref, with_db ? db_ref : NULL, dY, X, s.B, s.I, s.O, scratch);
        assert_memory_equal(dW, dW_ref, nw * sizeof *dW);
        assert_memory_equal(db, db_ref, s.O * sizeof *db);
        assert_guard_intact(dW, nw);
        assert_guard_intact(db, (size_t)s.O);
        assert_guard_intact(scratch, nscratch);
    }
    free(dY), free(X), free(dW), free(dW_ref), free(db), free(db_ref);
    nn_free(scratch);
}

static void test_backward_weights_fresh_is_zero_then_add(void **state)
{
    (void)state;
    find_simd_tables();
    const nn_dense_kernels *tables[MAX_PATHS + 2] = {nn_kernels_scalar()};
    memcpy(tables + 1, simd_tables, sizeof simd_tables);
    for (const nn_dense_kernels **k = tables; *k; k++) {
        uint64_t seed = 1;
        for (size_t i = 0; i < sizeof odd_shapes / sizeof odd_shapes[0]; i++)
            check_backward_weights_fresh(*k, odd_shapes[i], seed++);
        for (size_t i = 0; i < sizeof experiment_shapes / sizeof experiment_shapes[0]; i++)
            check_backward_weights_fresh(*k, experiment_shapes[i], seed++);
    }
}

/* ---- elementwise activations ---------------------------------------------------------- */

/* Lengths 0, 1, ..., 40, then n_max: every tail of the 8- and 16-lane loops. */
static size_t next_length(size_t n, size_t n_max)
{
    if (n < 40)
        return n + 1;
    return n < n_max ? n_max : n_max + 1;
}

/* Inputs for the elementwise activations: the branch points of tanh (0.625),
 * the clamps of exp (±87.3, ±88.4) and the values whose 2^n is at the edge,
 * zeros, subnormal, tiny and huge values, infinities, NaNs of both signs with
 * several payloads (quiet and signalling), then random values in [-12, 12). */
static float *activation_inputs(size_t n)
{
    static const float special[] = {
        0.0f,    -0.0f,    1e-30f,   -1e-30f,   1e-8f,    -1e-8f,    1e-3f,     -1e-3f,
        0.3f,    -0.3f,    0.6249f,  -0.6249f,  0.625f,   -0.625f,   0.6251f,   -0.6251f,
        1.0f,    -1.0f,    5.0f,     -5.0f,     9.0f,     -9.0f,     20.0f,     -20.0f,
        87.0f,   -87.0f,   87.5f,    -87.5f,    88.5f,    -88.5f,    89.0f,     -89.0f,
        100.0f,  -100.0f,  1e30f,    -1e30f,    INFINITY, -INFINITY, 0.01f,     -0.01f,
        1e-40f,  -1e-40f,  88.37626f, -87.33654f, 88.0f,  -86.9f,    3e38f,     -3e38f,
        44.19f,  -44.19f,  43.6f,    -43.7f,    0.5f,     -0.5f,     1e-45f,    -1e-45f,
    };
    static const uint32_t nans[] = {0x7fc00000, 0xffc00000, 0x7fc12345, 0xffd54321,
                                    0x7f800001, 0xff800123, 0x7fbfffff, 0xffffffff};
    enum { N_SPECIAL = sizeof special / sizeof special[0], N_NANS = sizeof nans / sizeof nans[0] };
    nn_rng rng;
    nn_rng_seed(&rng, 99, 1);
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        if (i < N_SPECIAL)
            x[i] = special[i];
        else if (i < N_SPECIAL + N_NANS)
            memcpy(x + i, nans + (i - N_SPECIAL), sizeof *x);
        else
            x[i] = nn_rng_range(&rng, -12, 12);
    }
    return x;
}

/* act_forward of every table against scalar's, bit for bit, every length
 * 0..40 (the masked tails) and 1000; y aliasing x gives the same bits. */
static void test_paths_act_forward_same_bits(void **state)
{
    (void)state;
    find_simd_tables();
    const nn_dense_kernels *s = nn_kernels_scalar();
    enum { N = 1000 };
    float *x = activation_inputs(N), *y = guarded_output(N), *y_ref = guarded_output(N);
    float *inplace = guarded_output(N);
    for (const nn_dense_kernels **k = simd_tables; *k; k++)
        for (int a = 0; a < N_ACT_CASES; a++) {
            act_case c = act_cases[a];
            s->act_forward(y_ref, x, N, c.act, c.slope);
            for (size_t n = 0; n <= N; n = next_length(n, N)) {
                set_guard(y, n);
                (*k)->act_forward(y, x, n, c.act, c.slope);
                assert_same_bits(y, y_ref, n, *k, "act_forward");
                assert_guard_intact(y, n);
            }
            memcpy(inplace, x, N * sizeof *x);
            (*k)->act_forward(inplace, inplace, N, c.act, c.slope);
            assert_same_bits(inplace, y_ref, N, *k, "act_forward in place");
        }
    free(x), free(y), free(y_ref), free(inplace);
}

/* act_backward of every table against scalar's, bit for bit: y the
 * activation's outputs, then y any input at all (NaN, inf, huge), with dy
 * holding NaN and infinities too. */
static void test_paths_act_backward_same_bits(void **state)
{
    (void)state;
    find_simd_tables();
    const nn_dense_kernels *s = nn_kernels_scalar();
    enum { N = 1000 };
    nn_rng rng;
    nn_rng_seed(&rng, 5, 5);
    float *pre = activation_inputs(N), *y = malloc(N * sizeof *y);
    float *dy = uniform_floats(&rng, N, -2.0f, 2.0f);
    float *dx = guarded_output(N), *dx_ref = guarded_output(N), *inplace = guarded_output(N);
    assert_non_null(y);
    dy[3] = NAN, dy[100] = INFINITY, dy[101] = -INFINITY, dy[102] = -0.0f, dy[103] = 3e38f;
    for (const nn_dense_kernels **k = simd_tables; *k; k++)
        for (int a = 0; a < N_ACT_CASES; a++)
            for (int raw = 0; raw < 2; raw++) {
                act_case c = act_cases[a];
                if (raw)
                    memcpy(y, pre, N * sizeof *y);
                else
                    s->act_forward(y, pre, N, c.act, c.slope);
                s->act_backward(dx_ref, dy, y, N, c.act, c.slope);
                for (size_t n = 0; n <= N; n = next_length(n, N)) {
                    set_guard(dx, n);
                    (*k)->act_backward(dx, dy, y, n, c.act, c.slope);
                    assert_same_bits(dx, dx_ref, n, *k, "act_backward");
                    assert_guard_intact(dx, n);
                }
                memcpy(inplace, dy, N * sizeof *dy);
                (*k)->act_backward(inplace, inplace, y, N, c.act, c.slope);
                assert_same_bits(inplace, dx_ref, N, *k, "act_backward in place");
            }
    free(pre), free(y), free(dy), free(dx), free(dx_ref), free(inplace);
}

/* The scalar activations against libm in double, on the random inputs: the
 * Cephes exp and tanh are within a few ulp; 1e-6 absolute covers sigmoid's
 * clamped exp (~1e-38 where the double is ~1e-44). */
static void test_scalar_act_forward_matches_double(void **state)
{
    (void)state;
    enum { N = 1000, RANDOM_FROM = 64 };
    float *x = activation_inputs(N), *y = guarded_output(N);
    for (int a = 0; a < N_ACT_CASES; a++) {
        act_case c = act_cases[a];
        nn_kernels_scalar()->act_forward(y, x, N, c.act, c.slope);
        for (size_t i = 0; i < N; i++) {
            double ref = act_double(x[i], c.act, c.slope);
            if (isnan(x[i])) { /* every activation passes NaN, as PyTorch's (relu too) */
                assert_true(isnan(y[i]));
                continue;
            }
            if (i < RANDOM_FROM && fabs(x[i]) > 80.0) /* the clamps and overflow */
                continue;
            assert_close(y + i, &(float){(float)ref}, 1, 1e-5, 1e-6);
        }
        assert_guard_intact(y, N);
    }
    free(x), free(y);
}

/* ReLU's gradient is a select, as PyTorch's threshold_backward: at a dead
 * unit (y <= 0) dx is +0 whatever dy is, an infinity, a NaN or a negative
 * number (a product would give NaN, or -0); elsewhere it is dy itself. Every
 * path, whole vectors and tails. */
static void test_relu_grad_is_a_select(void **state)
{
    (void)state;
    enum { N = 37 };
    const float dys[] = {INFINITY, -INFINITY, NAN, -3.0f, 5.0f, -0.0f};
    const size_t n_dys = sizeof dys / sizeof *dys;
    float y[N], dy[N], dx[N];
    for (size_t i = 0; i < N; i++) {
        y[i] = (i / n_dys) % 2 ? 0.5f + (float)i : (i % 3 ? 0.0f : -0.0f); /* dead units in runs */
        dy[i] = dys[i % n_dys];
    }
    find_simd_tables();
    const nn_dense_kernels *paths[MAX_PATHS + 2] = {nn_kernels_scalar()};
    for (size_t i = 0; simd_tables[i]; i++)
        paths[i + 1] = simd_tables[i];
    for (const nn_dense_kernels **k = paths; *k; k++)
        for (size_t n = 1; n <= N; n++) {
            (*k)->act_backward(dx, dy, y, n, NN_ACT_RELU, 0.0f);
            for (size_t i = 0; i < n; i++) {
                float want = y[i] > 0.0f ? dy[i] : 0.0f;
                if (memcmp(&dx[i], &want, sizeof want) != 0)
                    print_error("%s: relu' at y = %g, dy = %g gives %g\n", (*k)->name, (double)y[i],
                                (double)dy[i], (double)dx[i]);
                assert_memory_equal(&dx[i], &want, sizeof want);
            }
        }
}

/* ReLU as torch.relu at its edges, on every path, whole vectors and tails:
 * relu(NaN) = NaN, relu(-0) = -0 (it is x < 0 ? 0 : x), and the gradient
 * through a NaN output is dy (threshold_backward zeroes where y <= 0 only),
 * through -0 and 0 it is 0. Lanes cycle through the edge values. */
static void test_relu_nan_and_signed_zero_as_torch(void **state)
{
    (void)state;
    enum { N = 37 };
    const float edges[] = {NAN, -0.0f, 0.0f, -1.5f, 2.5f, -INFINITY, INFINITY};
    const size_t n_edges = sizeof edges / sizeof *edges;
    float x[N], y[N], dy[N], dx[N];
    for (size_t i = 0; i < N; i++) {
        x[i] = edges[i % n_edges];
        dy[i] = 0.25f + (float)i;
    }
    find_simd_tables();
    const nn_dense_kernels *paths[MAX_PATHS + 2] = {nn_kernels_scalar()};
    for (size_t i = 0; simd_tables[i]; i++)
        paths[i + 1] = simd_tables[i];
    for (const nn_dense_kernels **k = paths; *k; k++) {
        (*k)->act_forward(y, x, N, NN_ACT_RELU, 0.0f);
        (*k)->act_backward(dx, dy, y, N, NN_ACT_RELU, 0.0f);
        for (size_t i = 0; i < N; i++) {
            float want = isnan(x[i]) ? x[i] : x[i] < 0.0f ? 0.0f : x[i];
            if (isnan(want)) {
                assert_true(isnan(y[i]));
                assert_true(dx[i] == dy[i]);
            } else {
                if (memcmp(&y[i], &want, sizeof want) != 0)
                    print_error("%s: relu(%g) = %g\n", (*k)->name, (double)x[i], (double)y[i]);
                assert_memory_equal(&y[i], &want, sizeof want);
                assert_true(dx[i] == (want > 0.0f ? dy[i] : 0.0f));
            }
        }
    }
}

/* bytes_to_floats: every byte value, every length from 0 to 40 and an image's
 * 784 (whole vectors and every tail), two (scale, shift) pairs (plain 1/255,
 * and Fashion-MNIST's normalisation), each path against scalar bit for bit,
 * and scalar against the two roundings spelt out in double. */
static void test_paths_bytes_to_floats_same_bits(void **state)
{
    (void)state;
    enum { N = 784 + 16 };
    uint8_t x[N];
    for (int i = 0; i < N; i++)
        x[i] = (uint8_t)(i * 37 + 11); /* every value, in a scattered order */
    const float pairs[2][2] = {{1.0f / 255.0f, 0.0f},
                               {1.0f / (255.0f * 0.3530f), -0.2860f / 0.3530f}};
    float *y = guarded_output(N), *y_ref = guarded_output(N);
    find_simd_tables();
    for (int p = 0; p < 2; p++)
        for (size_t n = 0; n <= 784; n = n < 40 ? n + 1 : 784) {
            float scale = pairs[p][0], shift = pairs[p][1];
            nn_kernels_scalar()->bytes_to_floats(y_ref, x + 3, n, scale, shift);
            for (size_t i = 0; i < n; i++) {
                float product = (float)((double)x[3 + i] * scale);
                assert_true(y_ref[i] == (float)((double)product + shift));
            }
            assert_guard_intact(y_ref, N);
            for (const nn_dense_kernels **k = simd_tables; *k; k++) {
                for (size_t i = 0; i < N; i++)
                    y[i] = -7.0f;
                (*k)->bytes_to_floats(y, x + 3, n, scale, shift);
                assert_same_bits(y, y_ref, n, *k, "bytes_to_floats");
                for (size_t i = n; i < N; i++) /* nothing past n */
                    assert_true(y[i] == -7.0f);
                assert_guard_intact(y, N);
            }
            if (n == 784)
                break;
        }
    free(y), free(y_ref);
}

/* ---- the table ------------------------------------------------------------------- */

static void test_tables_are_complete(void **state)
{
    (void)state;
    const nn_dense_kernels *tables[] = {nn_kernels_scalar(), nn_kernels_avx2(),
                                        nn_kernels_avx512(), nn_kernels_active()};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        const nn_dense_kernels *t = tables[i];
        if (!t)
            continue;
        assert_non_null(t->name);
        assert_non_null(t->forward);
        assert_non_null(t->backward_input);
        assert_non_null(t->backward_weights);
        assert_non_null(t->backward_weights_fresh);
        assert_non_null(t->act_forward);
        assert_non_null(t->act_backward);
        assert_non_null(t->exp_doubles);
        assert_non_null(t->bytes_to_floats);
        assert_non_null(t->forward_cols);
        assert_non_null(t->backward_input_cols);
        assert_non_null(t->backward_weights_cols);
    }
    assert_string_equal(nn_kernels_scalar()->name, "scalar");
    if (nn_kernels_avx2())
        assert_string_equal(nn_kernels_avx2()->name, "avx2");
    if (nn_kernels_avx512())
        assert_string_equal(nn_kernels_avx512()->name, "avx512");
}

/* Without NNLAB_SIMD, the active table is the best one (test_kernels_env.c
 * checks the variable itself). */
static void test_active_is_best_available(void **state)
{
    (void)state;
    const char *simd = getenv("NNLAB_SIMD");
    if (simd && strcmp(simd, "scalar") == 0)
        skip();
    bool half_rate = nn_cpu_features_detect().zmm_half_rate;
    const nn_dense_kernels *best = nn_kernels_avx512() && !half_rate ? nn_kernels_avx512()
                                   : nn_kernels_avx2()               ? nn_kernels_avx2()
                                                                     : nn_kernels_scalar();
    assert_ptr_equal(nn_kernels_active(), best);
    assert_ptr_equal(nn_kernels_active(), nn_kernels_active());
}

/* The scratch stays modest: at the experiments' shapes, less than the layer's
 * own input and output, B·I + B·O floats. */
static void test_scratch_is_modest(void **state)
{
    (void)state;
    assert_true(nn_dense_scratch_floats(1, 1, 1) >= 1);
    for (size_t i = 0; i < sizeof experiment_shapes / sizeof experiment_shapes[0]; i++) {
        shape s = experiment_shapes[i];
        assert_true(nn_dense_scratch_floats(s.B, s.I, s.O) <= (size_t)s.B * (s.I + s.O));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_forward_matches_double),
        cmocka_unit_test(test_scalar_backward_input_matches_double),
        cmocka_unit_test(test_scalar_backward_weights_matches_double),
        cmocka_unit_test(test_scalar_act_forward_matches_double),
        cmocka_unit_test(test_relu_nan_and_signed_zero_as_torch),
        cmocka_unit_test(test_paths_forward_same_bits),
        cmocka_unit_test(test_avx512_forward_any_blocking),
        cmocka_unit_test(test_avx512_forward_either_small_batch_tile),
        cmocka_unit_test(test_paths_backward_input_same_bits),
        cmocka_unit_test(test_paths_backward_weights_same_bits),
        cmocka_unit_test(test_backward_weights_fresh_is_zero_then_add),
        cmocka_unit_test(test_paths_act_forward_same_bits),
        cmocka_unit_test(test_paths_act_backward_same_bits),
        cmocka_unit_test(test_relu_grad_is_a_select),
        cmocka_unit_test(test_paths_bytes_to_floats_same_bits),
        cmocka_unit_test(test_tables_are_complete),
        cmocka_unit_test(test_paths_sign_of_underflowed_zeros),
        cmocka_unit_test(test_active_is_best_available),
        cmocka_unit_test(test_scratch_is_modest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
