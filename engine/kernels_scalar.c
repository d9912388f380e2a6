/* Scalar reference kernels for dense layers (see nn_kernels.h for shapes).
 *
 * Plain loops in the obvious order that give the AVX2 kernels' bits (the AVX2
 * kernels define the numerics; kernels_avx2.c). Every output is the chain of
 * float operations nn_kernels.h states, and each helper below names the AVX2
 * primitive it mirrors:
 *   forward           8 lane chains of fmaf over k ≡ l (mod 8), then the hsum4
 *                     tree, then + bias (+0 without), then the activation
 *   backward_input    one fmaf chain over o ascending, from +0
 *   backward_weights  one fmaf chain over the batch from +0, then + old dW;
 *                     db: plain sums over the batch from +0, then old db +
 *   activations       exp8 / sigmoid8 / tanh8 / act8 / act_grad8, operation for
 *                     operation (SSE's max/min, round to nearest even, 2^n built
 *                     in the exponent bits, true division, sign-bit masks)
 * This file is compiled with -ffp-contract=off: every fused multiply-add is an
 * explicit fmaf, and nothing else fuses. Without -mfma, fmaf is a libm call
 * (glibc picks the FMA instruction when the CPU has it); the GEMMs are also
 * cloned for FMA CPUs (target_clones), where fmaf is the instruction itself
 * and the loops vectorise. */
#include "kernels_exp.h"
#include "nn_kernels.h"

#include <math.h>
#include <string.h>

/* The GEMM loops, compiled twice on x86-64: for CPUs with FMA (fmaf inlines to
 * one instruction) and for any CPU (fmaf is libm's, correctly rounded there
 * too); the loader picks one. Same bits either way. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FMA_CLONES __attribute__((target_clones("fma", "default")))
#else
#define FMA_CLONES
#endif

/* ---- SSE / AVX lane semantics -------------------------------------------------- */

static uint32_t bits_of(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float float_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* _mm256_max_ps(a, b), _mm256_min_ps(a, b): b when either is NaN (or both 0). */
static float max_ps(float a, float b) { return a > b ? a : b; }
static float min_ps(float a, float b) { return a < b ? a : b; }

/* _mm256_fnmadd_ps(a, b, c) = -(a·b) + c with one rounding. The minus goes on
 * b, a constant here: negating a would flip the sign of a NaN a, which the
 * instruction passes through unchanged. */
static float fnmadd(float a, float b, float c) { return fmaf(a, -b, c); }

/* _mm256_cvtps_epi32 of a float already rounded to an integer: INT32_MIN (the
 * "integer indefinite") for NaN and values out of range. */
static int32_t cvtps_epi32(float n)
{
    if (!(n >= -2147483648.0f && n < 2147483648.0f))
        return INT32_MIN;
    return (int32_t)n;
}

/* ---- activations (exp8, sigmoid8, tanh8, act8, act_grad8) ----------------------- */

/* exp8: Cephes expf, x clamped to [-87.3, 88.4] (x second in max/min, so NaN
 * stays NaN), n = round(x·log2 e) to nearest even, r = x - n·ln2 in two steps,
 * degree-6 polynomial, 2^n built in the exponent field. */
static float exp_cephes(float x)
{
    x = min_ps(88.3762626647949f, max_ps(-87.3365447504f, x));
    float n = rintf(x * 1.44269504088896341f);           /* _mm256_round_ps, nearest */
    float r = fnmadd(n, 0.693359375f, x);
    r = fnmadd(n, -2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = fmaf(p, r, 1.3981999507e-3f);
    p = fmaf(p, r, 8.3334519073e-3f);
    p = fmaf(p, r, 4.1665795894e-2f);
    p = fmaf(p, r, 1.6666665459e-1f);
    p = fmaf(p, r, 5.0000001201e-1f);
    float y = fmaf(p * r, r, r + 1.0f);
    /* _mm256_add_epi32 (wrapping) and _mm256_slli_epi32 */
    uint32_t biased = (uint32_t)cvtps_epi32(n) + 127u;
    return y * float_of(biased << 23);
}

/* sigmoid8: 1 / (1 + e^(0 - x)), a true division. */
static float sigmoid_cephes(float x)
{
    float e = exp_cephes(0.0f - x);
    return 1.0f / (1.0f + e);
}

/* tanh8: Cephes tanhf, the odd polynomial where |x| < 0.625, else
 * 1 - 2/(e^2|x| + 1) with x's sign or'ed in; a NaN takes the second branch. */
static float tanh_cephes(float x)
{
    const uint32_t sign = 0x80000000u;
    float ax = float_of(bits_of(x) & ~sign);              /* _mm256_andnot_ps */
    float z = x * x;
    float p = -5.70498872745e-3f;
    p = fmaf(p, z, 2.06390887954e-2f);
    p = fmaf(p, z, -5.37397155531e-2f);
    p = fmaf(p, z, 1.33314422036e-1f);
    p = fmaf(p, z, -3.33332819422e-1f);
    float small = fmaf(p * z, x, x);

    float e = exp_cephes(ax + ax);
    float large = 1.0f - 2.0f / (e + 1.0f);
    large = float_of(bits_of(large) | (bits_of(x) & sign)); /* _mm256_or_ps, _and_ps */

    return ax < 0.625f ? small : large;                   /* _CMP_LT_OQ, blendv */
}

/* act8 */
static float act_apply(float x, nn_act act, float slope)
{
    switch (act) {
    case NN_ACT_SIGMOID: return sigmoid_cephes(x);
    case NN_ACT_RELU: return max_ps(0.0f, x); /* 0 > x ? 0 : x: NaN and -0 pass, as torch.relu */
    case NN_ACT_LEAKY_RELU: return x > 0.0f ? x : x * slope; /* _CMP_GT_OQ, blendv */
    case NN_ACT_TANH: return tanh_cephes(x);
    case NN_ACT_NONE: break;
    }
    return x;
}

/* act_grad8: act'(pre) written through y = act(pre). For leaky ReLU with
 * slope > 0 the sign of y is the sign of pre; slope 0 behaves as ReLU.
 * PyTorch's grad at 0 is 0 for ReLU and `slope` for LeakyReLU (x > 0 is the
 * test); we match. At a NaN output ReLU's is 1 (PyTorch's threshold_backward
 * zeroes where y <= 0, which NaN is not) and LeakyReLU's `slope`. */
static float act_grad_from_output(float y, nn_act act, float slope)
{
    switch (act) {
    case NN_ACT_SIGMOID: return y * (1.0f - y);
    case NN_ACT_RELU: return !(y <= 0.0f) ? 1.0f : 0.0f; /* _CMP_NLE_UQ: NaN passes */
    case NN_ACT_LEAKY_RELU: return y > 0.0f ? 1.0f : slope;
    case NN_ACT_TANH: return 1.0f - y * y;
    case NN_ACT_NONE: break;
    }
    return 1.0f;
}

static void scalar_act_forward(float *y, const float *x, size_t n, nn_act act, float slope)
{
    for (size_t i = 0; i < n; i++)
        y[i] = act_apply(x[i], act, slope);
}

/* dy * act'(.) from y: for ReLU a select, as PyTorch's threshold_backward
 * (an inf or NaN dy at a dead unit gives 0, not NaN, and a negative dy there
 * +0), for the others the product. */
static float act_backward_one(float dy, float y, nn_act act, float slope)
{
    if (act == NN_ACT_RELU)
        return !(y <= 0.0f) ? dy : 0.0f;
    return dy * act_grad_from_output(y, act, slope);
}

static void scalar_act_backward(float *dx, const float *dy, const float *y, size_t n,
                                nn_act act, float slope)
{
    for (size_t i = 0; i < n; i++)
        dx[i] = act_backward_one(dy[i], y[i], act, slope);
}

/* ---- forward (dot_tile, hsum4) --------------------------------------------------- */

/* hsum4 (two _mm256_hadd_ps, then low half + high half) on one vector. */
static float hsum8(const float l[8])
{
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

/* Σ_k x[k]·w[k] as dot_tile and hsum4 compute it: 8 lanes, lane l the fmaf
 * chain over k ≡ l (mod 8), k ascending, from +0, then hsum8. In a partial
 * last vector the SIMD kernels' masked lanes add 0·0: that leaves a lane
 * unchanged except a -0 (a chain whose exact value underflows, e.g.
 * fma(-1e-30, 1e-30, +0)), which becomes +0; done here too, so even the sign
 * of such a zero matches. The lanes are this function's own, so they stay in
 * registers. */
FMA_CLONES
static float dot8(const float *x, const float *w, int I)
{
    float lane[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    int k = 0;
    for (; k + 8 <= I; k += 8)
        for (int l = 0; l < 8; l++)
            lane[l] = fmaf(x[k + l], w[k + l], lane[l]);
    if (k < I) /* the partial last vector, its masked lanes adding 0·0 */
        for (int l = 0; l < 8; l++)
            lane[l] = k + l < I ? fmaf(x[k + l], w[k + l], lane[l]) : fmaf(0.0f, 0.0f, lane[l]);
    return hsum8(lane);
}

/* Columns [o0, o1) of Y (B,O) = act(X (B,I) · W (O,I)ᵀ + b (O)) */
static void scalar_forward_cols(float *Y, const float *X, const float *W, const float *b,
                                int B, int I, int O, nn_act act, float slope, int o0, int o1,
                                float *scratch)
{
    (void)scratch;
    for (int r = 0; r < B; r++) {
        const float *x = X + (size_t)r * I;
        for (int o = o0; o < o1; o++) {
            float pre = dot8(x, W + (size_t)o * I, I) + (b ? b[o] : 0.0f); /* _mm_add_ps */
            Y[(size_t)r * O + o] = act_apply(pre, act, slope);
        }
    }
}

/* Y (B,O) = act(X (B,I) · W (O,I)ᵀ + b (O)) */
static void scalar_forward(float *Y, const float *X, const float *W, const float *b,
                           int B, int I, int O, nn_act act, float slope, float *scratch)
{
    scalar_forward_cols(Y, X, W, b, B, I, O, act, slope, 0, O, scratch);
}

/* ---- backward (gemm_tile, bias_grad_group) ---------------------------------------- */

/* Columns [i0, i1) of dX (B,I) = dY (B,O) · W (O,I): gemm_tile with STORE_SET,
 * each dX[r][i] = fmaf(dY[r][o], W[o][i], ·) chained over o from +0. */
FMA_CLONES
static void scalar_backward_input_cols(float *dX, const float *dY, const float *W,
                                       int B, int I, int O, int i0, int i1, float *scratch)
{
    (void)scratch;
    for (int r = 0; r < B; r++) {
        float *dx = dX + (size_t)r * I;
        for (int i = i0; i < i1; i++)
            dx[i] = 0.0f;
        for (int o = 0; o < O; o++) {
            float g = dY[(size_t)r * O + o];
            const float *w = W + (size_t)o * I;
            for (int i = i0; i < i1; i++)
                dx[i] = fmaf(g, w[i], dx[i]);
        }
    }
}

/* dX (B,I) = dY (B,O) · W (O,I) */
static void scalar_backward_input(float *dX, const float *dY, const float *W,
                                  int B, int I, int O, float *scratch)
{
    scalar_backward_input_cols(dX, dY, W, B, I, O, 0, I, scratch);
}

/* Columns [i0, i1) of dW (O,I) += dY (B,O)ᵀ · X (B,I);  db (O) += Σ_r dY[r].
 * gemm_tile: each dW[o][i] is fmaf(dY[r][o], X[r][i], ·) chained over r from
 * +0, then (STORE_ADD) that sum + the old dW[o][i]; when `fresh` (STORE_SET),
 * the sum alone (see STORE_SET in kernels_avx2.c for the one way that differs
 * from zeroing and adding: the sign of a zero from underflow). bias_grad_group: db[o] = old db[o] + (Σ_r dY[r][o] from +0), or the sum
 * alone when `fresh`. Chunks of CHUNK columns keep the running sums on the
 * stack while the rows of X are read in order. */
enum { CHUNK = 64 };

FMA_CLONES
static void scalar_backward_weights_cols(float *dW, float *db, const float *dY, const float *X,
                                         int B, int I, int O, int i0, int i1, bool fresh,
                                         float *scratch)
{
    (void)scratch;
    for (int o = 0; o < O; o++) {
        float *dw = dW + (size_t)o * I;
        for (int c0 = i0; c0 < i1; c0 += CHUNK) {
            int n = i1 - c0 < CHUNK ? i1 - c0 : CHUNK;
            float acc[CHUNK];
            for (int j = 0; j < n; j++)
                acc[j] = 0.0f;
            for (int r = 0; r < B; r++) {
                float g = dY[(size_t)r * O + o];
                const float *x = X + (size_t)r * I + c0;
                for (int j = 0; j < n; j++)
                    acc[j] = fmaf(g, x[j], acc[j]);
            }
            for (int j = 0; j < n; j++)
                dw[c0 + j] = fresh ? acc[j] : acc[j] + dw[c0 + j];
        }
    }
    if (db)
        for (int o = 0; o < O; o++) {
            float s = 0.0f;
            for (int r = 0; r < B; r++)
                s = s + dY[(size_t)r * O + o];
            db[o] = fresh ? s : db[o] + s;
        }
}

/* dW (O,I) += dY (B,O)ᵀ · X (B,I);  db (O) += Σ_r dY[r] */
static void scalar_backward_weights(float *dW, float *db, const float *dY, const float *X,
                                    int B, int I, int O, float *scratch)
{
    scalar_backward_weights_cols(dW, db, dY, X, B, I, O, 0, I, false, scratch);
}

/* dW (O,I) = dY (B,O)ᵀ · X (B,I);  db (O) = Σ_r dY[r], without reading them:
 * the same bits as zeroing, then the accumulating kernel, but for the sign of
 * a zero from underflow (see nn_kernels.h). */
static void scalar_backward_weights_fresh(float *dW, float *db, const float *dY, const float *X,
                                          int B, int I, int O, float *scratch)
{
    scalar_backward_weights_cols(dW, db, dY, X, B, I, O, 0, I, true, scratch);
}

/* y (n) = e^x (n) in double, one at a time (kernels_exp.h). */
static void scalar_exp_doubles(double *y, const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = nn_exp_double(x[i]);
}

/* y (n) = x (n) · scale + shift, one at a time (this file is compiled without
 * contraction: two roundings). A Fashion-MNIST epoch's images take 19-30 ms
 * here, against 3-8 on the SIMD paths (bench_data): little beside a scalar
 * epoch's 1.5 s. */
static void scalar_bytes_to_floats(float *y, const uint8_t *x, size_t n, float scale, float shift)
{
    for (size_t i = 0; i < n; i++)
        y[i] = (float)x[i] * scale + shift;
}

static const nn_dense_kernels scalar_kernels = {
    .name = "scalar",
    .forward = scalar_forward,
    .backward_input = scalar_backward_input,
    .backward_weights = scalar_backward_weights,
    .backward_weights_fresh = scalar_backward_weights_fresh,
    .act_forward = scalar_act_forward,
    .act_backward = scalar_act_backward,
    .exp_doubles = scalar_exp_doubles,
    .bytes_to_floats = scalar_bytes_to_floats,
    .forward_cols = scalar_forward_cols,
    .backward_input_cols = scalar_backward_input_cols,
    .backward_weights_cols = scalar_backward_weights_cols,
};

const nn_dense_kernels *nn_kernels_scalar(void) { return &scalar_kernels; }
