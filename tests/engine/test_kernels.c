/* Dense kernels: the scalar reference against double-precision loops, and the
 * AVX2 table against the scalar one, on odd sizes and the experiments' shapes,
 * for every activation, with guards after every output and after the scratch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "nn_kernels.h"
#include "nn_mem.h"
#include "nn_rng.h"
#include "test_util.h"

/* ---- shapes and activations ------------------------------------------------ */

typedef struct shape {
    int B, I, O;
} shape;

/* Every size alone and a spread of mixes of {1, 3, 17, 785}, plus sizes around
 * the vector width (8), the forward tile (3×4) and the backward tile (4×24). */
static const shape odd_shapes[] = {
    {1, 1, 1},     {1, 3, 17},    {3, 17, 1},   {17, 1, 3},    {3, 3, 3},     {17, 17, 17},
    {1, 785, 3},   {3, 785, 17},  {17, 785, 1}, {785, 3, 17},  {785, 17, 1},  {1, 17, 785},
    {3, 1, 785},   {17, 3, 785},  {785, 1, 3},  {17, 785, 17}, {785, 17, 17}, {1, 785, 785},
    {785, 3, 3},   {3, 785, 785}, {5, 7, 9},    {6, 16, 8},    {7, 15, 4},    {12, 33, 13},
    {2, 8, 5},     {13, 31, 6},   {4, 9, 23},   {11, 64, 2},   {4, 24, 8},    {8, 25, 4},
    {5, 49, 24},   {9, 47, 12},
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

/* ---- checks: one kernel against a reference on one shape ----------------------- */

typedef enum { REF_DOUBLE, REF_SCALAR } reference;

/* `k`'s forward against the double loops or the scalar table, for every
 * activation, with and without bias. Weights like torch.nn.Linear's init. */
static void check_forward(const nn_dense_kernels *k, reference ref, shape s, uint64_t seed)
{
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
            if (ref == REF_DOUBLE) {
                forward_double(Y_ref, pre, X, W, bias, s.B, s.I, s.O, c.act, c.slope);
            } else {
                nn_kernels_scalar()->forward(pre, X, W, bias, s.B, s.I, s.O, NN_ACT_NONE, 0.0f,
                                             scratch);
                nn_kernels_scalar()->forward(Y_ref, X, W, bias, s.B, s.I, s.O, c.act, c.slope,
                                             scratch);
            }
            /* The activations are 1-Lipschitz, so the pre-activation's absolute
             * tolerance carries over; 1e-6 covers the activation's own rounding. */
            double atol = gemm_atol(pre, ny) + 1e-6;
            assert_close(Y, Y_ref, ny, GEMM_RTOL, atol);
            assert_guard_intact(Y, ny);
            assert_guard_intact(scratch, nscratch);
        }
    free(X), free(W), free(b), free(Y), free(Y_ref), free(pre);
    nn_free(scratch);
}

static void check_backward_input(const nn_dense_kernels *k, reference ref, shape s, uint64_t seed)
{
    nn_rng rng;
    nn_rng_seed(&rng, seed, 8);
    size_t nx = (size_t)s.B * s.I, nscratch;
    float *dY = uniform_floats(&rng, (size_t)s.B * s.O, -1.0f, 1.0f);
    float *W = uniform_floats(&rng, (size_t)s.O * s.I, -1.0f, 1.0f);
    float *dX = guarded_output(nx), *dX_ref = guarded_output(nx);
    float *scratch = guarded_scratch(s.B, s.I, s.O, &nscratch);

    k->backward_input(dX, dY, W, s.B, s.I, s.O, scratch);
    if (ref == REF_DOUBLE)
        backward_input_double(dX_ref, dY, W, s.B, s.I, s.O);
    else
        nn_kernels_scalar()->backward_input(dX_ref, dY, W, s.B, s.I, s.O, scratch);
    double atol = gemm_atol(dX_ref, nx);
    assert_close(dX, dX_ref, nx, GEMM_RTOL, atol);
    assert_guard_intact(dX, nx);
    assert_guard_intact(scratch, nscratch);
    free(dY), free(W), free(dX), free(dX_ref);
    nn_free(scratch);
}

/* dW and db start non-zero: the kernel must add, not overwrite. With db NULL,
 * the bias gradient is skipped. */
static void check_backward_weights(const nn_dense_kernels *k, reference ref, shape s, uint64_t seed)
{
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
        if (ref == REF_DOUBLE)
            backward_weights_double(dW_ref, with_db ? db_ref : NULL, dY, X, s.B, s.I, s.O);
        else
            nn_kernels_scalar()->backward_weights(dW_ref, with_db ? db_ref : NULL, dY, X, s.B,
                                                  s.I, s.O, scratch);
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

/* backward_weights_fresh leaves exactly (bit for bit) what zeroing dW and db and
 * then backward_weights leave, whatever dW and db held before; db NULL skipped.
 * `ref` is unused: each table is held to its own accumulating kernel. */
static void check_backward_weights_fresh(const nn_dense_kernels *k, reference ref, shape s,
                                         uint64_t seed)
{
    (void)ref;
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

typedef void (*gemm_check)(const nn_dense_kernels *, reference, shape, uint64_t);

static void check_all_shapes(const nn_dense_kernels *k, reference ref, gemm_check check)
{
    uint64_t seed = 1;
    for (size_t i = 0; i < sizeof odd_shapes / sizeof odd_shapes[0]; i++)
        check(k, ref, odd_shapes[i], seed++);
    for (size_t i = 0; i < sizeof experiment_shapes / sizeof experiment_shapes[0]; i++)
        check(k, ref, experiment_shapes[i], seed++);
}

/* ---- the reference itself ------------------------------------------------------ */

static void test_scalar_forward_matches_double(void **state)
{
    (void)state;
    check_all_shapes(nn_kernels_scalar(), REF_DOUBLE, check_forward);
}

static void test_scalar_backward_input_matches_double(void **state)
{
    (void)state;
    check_all_shapes(nn_kernels_scalar(), REF_DOUBLE, check_backward_input);
}

static void test_scalar_backward_weights_matches_double(void **state)
{
    (void)state;
    check_all_shapes(nn_kernels_scalar(), REF_DOUBLE, check_backward_weights);
}

/* ---- AVX2 against scalar -------------------------------------------------------- */

static const nn_dense_kernels *avx2_or_skip(void)
{
    const nn_dense_kernels *k = nn_kernels_avx2();
    if (!k)
        skip();
    assert_string_equal(k->name, "avx2");
    return k;
}

static void test_avx2_forward_matches_scalar(void **state)
{
    (void)state;
    check_all_shapes(avx2_or_skip(), REF_SCALAR, check_forward);
}

static void test_avx2_backward_input_matches_scalar(void **state)
{
    (void)state;
    check_all_shapes(avx2_or_skip(), REF_SCALAR, check_backward_input);
}

static void test_avx2_backward_weights_matches_scalar(void **state)
{
    (void)state;
    check_all_shapes(avx2_or_skip(), REF_SCALAR, check_backward_weights);
}

static void test_backward_weights_fresh_is_zero_then_add(void **state)
{
    (void)state;
    check_all_shapes(nn_kernels_scalar(), REF_SCALAR, check_backward_weights_fresh);
    if (nn_kernels_avx2())
        check_all_shapes(nn_kernels_avx2(), REF_SCALAR, check_backward_weights_fresh);
}

/* Lengths 0, 1, ..., 40, then n_max: every tail of the 8-lane loops. */
static size_t next_length(size_t n, size_t n_max)
{
    if (n < 40)
        return n + 1;
    return n < n_max ? n_max : n_max + 1;
}

/* assert_close, except that equal values pass outright (inf == inf). */
#define assert_close_or_equal(a, b, n, rtol, atol)                                      \
    do {                                                                                  \
        for (size_t e_ = 0; e_ < (size_t)(n); e_++)                                      \
            if ((a)[e_] != (b)[e_] &&                                                     \
                !(fabs((double)(a)[e_] - (b)[e_]) <= (atol) + (rtol) * fabs((b)[e_]))) { \
                print_error("%s:%d: element %zu: %.9g vs %.9g\n", __FILE__, __LINE__, e_, \
                            (double)(a)[e_], (double)(b)[e_]);                            \
                _fail(__FILE__, __LINE__);                                                \
            }                                                                             \
    } while (0)

/* Inputs for the elementwise activations: the branch points of tanh (0.625),
 * the clamps of exp (±87.3, ±88.4), zeros, tiny and huge values, infinities,
 * then random values in [-12, 12). */
static float *activation_inputs(size_t n)
{
    static const float special[] = {
        0.0f,    -0.0f,    1e-30f,  -1e-30f, 1e-8f,     -1e-8f,    1e-3f,     -1e-3f,
        0.3f,    -0.3f,    0.6249f, -0.6249f, 0.625f,   -0.625f,   0.6251f,   -0.6251f,
        1.0f,    -1.0f,    5.0f,    -5.0f,    9.0f,     -9.0f,     20.0f,     -20.0f,
        87.0f,   -87.0f,   87.5f,   -87.5f,   88.5f,    -88.5f,    89.0f,     -89.0f,
        100.0f,  -100.0f,  1e30f,   -1e30f,   INFINITY, -INFINITY, 0.01f,     -0.01f,
    };
    nn_rng rng;
    nn_rng_seed(&rng, 99, 1);
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = i < sizeof special / sizeof special[0] ? special[i] : nn_rng_range(&rng, -12, 12);
    return x;
}

/* act_forward: rtol 1e-5 (the vector exp and tanh are within ~2 ulp) and atol
 * 1e-6 for values that underflow differently (sigmoid(-89) is 0 in expf's
 * world and ~1e-38 in the clamped vector exp). Every length 0..40 exercises
 * the masked tails; y aliasing x is allowed. */
static void test_avx2_act_forward_matches_scalar(void **state)
{
    (void)state;
    const nn_dense_kernels *k = avx2_or_skip(), *s = nn_kernels_scalar();
    enum { N = 1000 };
    float *x = activation_inputs(N), *y = guarded_output(N), *y_ref = guarded_output(N);
    float *inplace = guarded_output(N);
    for (int a = 0; a < N_ACT_CASES; a++) {
        act_case c = act_cases[a];
        for (size_t n = 0; n <= N; n = next_length(n, N)) {
            set_guard(y, n);
            s->act_forward(y_ref, x, n, c.act, c.slope);
            k->act_forward(y, x, n, c.act, c.slope);
            assert_close_or_equal(y, y_ref, n, 1e-5, 1e-6);
            assert_guard_intact(y, n);
            if (n == N) {
                memcpy(inplace, x, N * sizeof *x);
                k->act_forward(inplace, inplace, N, c.act, c.slope);
                assert_memory_equal(inplace, y, N * sizeof *y);
            }
        }
    }
    free(x), free(y), free(y_ref), free(inplace);
}

/* NaN in, NaN out for sigmoid, tanh and leaky ReLU; ReLU maps NaN to 0 (x > 0
 * is false), as the scalar kernel does. */
static void test_avx2_act_forward_nan(void **state)
{
    (void)state;
    const nn_dense_kernels *k = avx2_or_skip(), *s = nn_kernels_scalar();
    float x[9], y[9], y_ref[9];
    for (int i = 0; i < 9; i++)
        x[i] = i % 2 ? NAN : (float)i;
    for (int a = 0; a < N_ACT_CASES; a++) {
        k->act_forward(y, x, 9, act_cases[a].act, act_cases[a].slope);
        s->act_forward(y_ref, x, 9, act_cases[a].act, act_cases[a].slope);
        for (int i = 0; i < 9; i++)
            assert_int_equal(isnan(y[i]) != 0, isnan(y_ref[i]) != 0);
    }
}

/* act_backward uses the same operations in the same order as the scalar
 * kernel, so the results are identical, bit for bit. */
static void test_avx2_act_backward_matches_scalar(void **state)
{
    (void)state;
    const nn_dense_kernels *k = avx2_or_skip(), *s = nn_kernels_scalar();
    enum { N = 1000 };
    nn_rng rng;
    nn_rng_seed(&rng, 5, 5);
    float *pre = activation_inputs(N), *y = malloc(N * sizeof *y);
    float *dy = uniform_floats(&rng, N, -2.0f, 2.0f);
    float *dx = guarded_output(N), *dx_ref = guarded_output(N), *inplace = guarded_output(N);
    assert_non_null(y);
    for (int a = 0; a < N_ACT_CASES; a++) {
        act_case c = act_cases[a];
        s->act_forward(y, pre, N, c.act, c.slope);
        for (size_t i = 0; i < N; i++) /* keep y finite: an output, not an input */
            if (!isfinite(y[i]))
                y[i] = 0.5f;
        for (size_t n = 0; n <= N; n = next_length(n, N)) {
            set_guard(dx, n);
            s->act_backward(dx_ref, dy, y, n, c.act, c.slope);
            k->act_backward(dx, dy, y, n, c.act, c.slope);
            assert_memory_equal(dx, dx_ref, n * sizeof *dx);
            assert_guard_intact(dx, n);
        }
        memcpy(inplace, dy, N * sizeof *dy);
        k->act_backward(inplace, inplace, y, N, c.act, c.slope);
        assert_memory_equal(inplace, dx_ref, N * sizeof *dx);
    }
    free(pre), free(y), free(dy), free(dx), free(dx_ref), free(inplace);
}

/* ---- the table ------------------------------------------------------------------- */

static void test_tables_are_complete(void **state)
{
    (void)state;
    const nn_dense_kernels *tables[] = {nn_kernels_scalar(), nn_kernels_avx2(),
                                        nn_kernels_active()};
    for (size_t i = 0; i < 3; i++) {
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
        assert_non_null(t->forward_cols);
        assert_non_null(t->backward_input_cols);
        assert_non_null(t->backward_weights_cols);
    }
    assert_string_equal(nn_kernels_scalar()->name, "scalar");
}

/* Without NNLAB_SIMD, the active table is the best one (test_kernels_env.c
 * checks the variable itself). */
static void test_active_is_best_available(void **state)
{
    (void)state;
    const char *simd = getenv("NNLAB_SIMD");
    if (simd && strcmp(simd, "scalar") == 0)
        skip();
    const nn_dense_kernels *best = nn_kernels_avx512() ? nn_kernels_avx512()
                                   : nn_kernels_avx2() ? nn_kernels_avx2()
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
        cmocka_unit_test(test_avx2_forward_matches_scalar),
        cmocka_unit_test(test_avx2_backward_input_matches_scalar),
        cmocka_unit_test(test_avx2_backward_weights_matches_scalar),
        cmocka_unit_test(test_backward_weights_fresh_is_zero_then_add),
        cmocka_unit_test(test_avx2_act_forward_matches_scalar),
        cmocka_unit_test(test_avx2_act_forward_nan),
        cmocka_unit_test(test_avx2_act_backward_matches_scalar),
        cmocka_unit_test(test_tables_are_complete),
        cmocka_unit_test(test_active_is_best_available),
        cmocka_unit_test(test_scratch_is_modest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
