/* AVX2+FMA dense-layer kernels (shapes and contracts in nn_kernels.h).
 *
 *   forward           Y = act(X·Wᵀ + b)  X and W are both read along I, so nothing is
 *                                        packed: 3 rows of X × 4 rows of W are dotted
 *                                        in registers and reduced; bias is added as
 *                                        the tile is stored, the activation runs over
 *                                        each finished 4-column strip of Y.
 *   backward_input    dX = dY·W          BLIS-style 4×24 microkernel over (O,24)
 *                                        slices of W, packed by the first tile.
 *   backward_weights  dW += dYᵀ·X        the same microkernel over (B,24) slices of
 *                                        X, with dYᵀ packed in 4-row blocks; dW is
 *                                        accumulated in place (or, in the _fresh
 *                                        twin, overwritten without being read).
 *
 * Everything rests on a few primitives (lane masks, exp8, act8, dot_tile,
 * gemm_tile), each handling partial vectors with masks, so every size from 1
 * upward works and nothing is read or written outside its buffer. Edge tiles
 * (fewer rows, columns or vectors) are compiled copies of the full ones that
 * skip what does not exist and keep masked loads and stores to the one partial
 * vector; each output is the same chain of operations whatever its tile, so
 * results do not depend on where a size falls. This file is
 * compiled with -mavx2 -mfma; it is reached only through nn_kernels_avx2(),
 * after a CPUID check. */
#include "kernels_avx2.h"
#include "kernels_exp.h"
#include "kernels_hsum.h"

#include <immintrin.h>
#include <stdint.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Microkernel tile of the backward GEMMs: MR rows × NR = 8·NV columns. */
enum { MR = NN_AVX2_TILE_ROWS, NV = 3, NR = 8 * NV };
_Static_assert(NR == NN_AVX2_PANEL_COLS, "scratch is sized for NN_AVX2_PANEL_COLS");
enum { DOT_ROWS = 3, DOT_COLS = 4 }; /* forward tile: rows of X × rows of W */

/* ---- masks ---------------------------------------------------------------- */

static const int32_t lane_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                            0,  0,  0,  0,  0,  0,  0,  0};

/* Lanes [0, n) set, n in [0, 8]. */
static ALWAYS_INLINE __m256i lane_mask8(int n)
{
    return _mm256_loadu_si256((const __m256i *)(lane_mask_table + 8 - n));
}

static ALWAYS_INLINE __m128i lane_mask4(int n)
{
    return _mm_loadu_si128((const __m128i *)(lane_mask_table + 8 - n));
}

static ALWAYS_INLINE int imin(int a, int b) { return a < b ? a : b; }

/* ---- vector math ------------------------------------------------------------ */

/* e^x, Cephes expf: range reduction x = n·ln2 + r, |r| <= ln2/2, degree-6
 * polynomial, 2^n built in the exponent field. Within 2 ulp of expf for x in
 * [-87.3, 88.3]; x is clamped to that range (so e^-inf gives 1.2e-38, not 0,
 * and e^+inf gives 2.4e38, not inf); NaN stays NaN. */
static ALWAYS_INLINE __m256 exp8(__m256 x)
{
    /* max/min return their second operand when one is NaN: keep x second. */
    x = _mm256_min_ps(_mm256_set1_ps(88.3762626647949f),
                      _mm256_max_ps(_mm256_set1_ps(-87.3365447504f), x));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    __m256 y = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i biased = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(biased, 23)));
}

/* 1 / (1 + e^-x) with a true division. */
static ALWAYS_INLINE __m256 sigmoid8(__m256 x)
{
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

/* tanh, Cephes tanhf: odd polynomial for |x| < 0.625 (no cancellation near 0),
 * 1 - 2/(e^2|x| + 1) with x's sign elsewhere. About 2 ulp. */
static ALWAYS_INLINE __m256 tanh8(__m256 x)
{
    __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 ax = _mm256_andnot_ps(sign, x);
    __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);

    __m256 one = _mm256_set1_ps(1.0f);
    __m256 e = exp8(_mm256_add_ps(ax, ax));
    __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    large = _mm256_or_ps(large, _mm256_and_ps(sign, x));

    __m256 is_small = _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
    return _mm256_blendv_ps(large, small, is_small);
}

/* act(x) lane by lane, as act_apply in kernels_scalar.c. */
static ALWAYS_INLINE __m256 act8(__m256 x, nn_act act, float slope)
{
    __m256 zero = _mm256_setzero_ps();
    switch (act) {
    case NN_ACT_SIGMOID: return sigmoid8(x);
    case NN_ACT_RELU: return _mm256_max_ps(zero, x); /* 0 > x ? 0 : x: NaN and -0 pass, as torch.relu */
    case NN_ACT_LEAKY_RELU:
        return _mm256_blendv_ps(_mm256_mul_ps(x, _mm256_set1_ps(slope)), x,
                                _mm256_cmp_ps(x, zero, _CMP_GT_OQ));
    case NN_ACT_TANH: return tanh8(x);
    case NN_ACT_NONE: break;
    }
    return x;
}

/* act'(pre) through y = act(pre), as act_grad_from_output in kernels_scalar.c
 * (same operations in the same order, so results match it bit for bit). */
static ALWAYS_INLINE __m256 act_grad8(__m256 y, nn_act act, float slope)
{
    __m256 one = _mm256_set1_ps(1.0f);
    switch (act) {
    case NN_ACT_SIGMOID: return _mm256_mul_ps(y, _mm256_sub_ps(one, y));
    case NN_ACT_RELU:
        return _mm256_and_ps(one, _mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_NLE_UQ));
    case NN_ACT_LEAKY_RELU:
        return _mm256_blendv_ps(_mm256_set1_ps(slope), one,
                                _mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_GT_OQ));
    case NN_ACT_TANH: return _mm256_sub_ps(one, _mm256_mul_ps(y, y));
    case NN_ACT_NONE: break;
    }
    return one;
}

/* ---- elementwise activations ------------------------------------------------ */

/* y (n) = act(x (n)); act must be a constant where this is inlined. */
static ALWAYS_INLINE void act_map(float *y, const float *x, size_t n, nn_act act, float slope)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, act8(_mm256_loadu_ps(x + i), act, slope));
    if (i < n) {
        __m256i m = lane_mask8((int)(n - i));
        _mm256_maskstore_ps(y + i, m, act8(_mm256_maskload_ps(x + i, m), act, slope));
    }
}

/* y (n) = act(x (n)); y may alias x. One loop per activation. */
static void avx2_act_forward(float *y, const float *x, size_t n, nn_act act, float slope)
{
    switch (act) {
    case NN_ACT_SIGMOID: act_map(y, x, n, NN_ACT_SIGMOID, slope); break;
    case NN_ACT_RELU: act_map(y, x, n, NN_ACT_RELU, slope); break;
    case NN_ACT_LEAKY_RELU: act_map(y, x, n, NN_ACT_LEAKY_RELU, slope); break;
    case NN_ACT_TANH: act_map(y, x, n, NN_ACT_TANH, slope); break;
    case NN_ACT_NONE: act_map(y, x, n, NN_ACT_NONE, slope); break;
    }
}

/* dy * act'(.) from y, as act_backward_one in kernels_scalar.c: ReLU's a
 * select of dy (0 where y <= 0, whatever dy is), the others a product. */
static ALWAYS_INLINE __m256 act_backward8(__m256 dy, __m256 y, nn_act act, float slope)
{
    if (act == NN_ACT_RELU)
        return _mm256_and_ps(dy, _mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_NLE_UQ));
    return _mm256_mul_ps(dy, act_grad8(y, act, slope));
}

/* dx (n) = dy (n) * act'(.) from y (n); act must be a constant where this is
 * inlined. */
static ALWAYS_INLINE void act_grad_map(float *dx, const float *dy, const float *y, size_t n,
                                       nn_act act, float slope)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dx + i, act_backward8(_mm256_loadu_ps(dy + i), _mm256_loadu_ps(y + i), act, slope));
    if (i < n) {
        __m256i m = lane_mask8((int)(n - i));
        _mm256_maskstore_ps(dx + i, m, act_backward8(_mm256_maskload_ps(dy + i, m),
                                                     _mm256_maskload_ps(y + i, m), act, slope));
    }
}

/* dx (n) = dy (n) * act'(.) from y (n); dx may alias dy. */
static void avx2_act_backward(float *dx, const float *dy, const float *y, size_t n,
                              nn_act act, float slope)
{
    switch (act) {
    case NN_ACT_SIGMOID: act_grad_map(dx, dy, y, n, NN_ACT_SIGMOID, slope); break;
    case NN_ACT_RELU: act_grad_map(dx, dy, y, n, NN_ACT_RELU, slope); break;
    case NN_ACT_LEAKY_RELU: act_grad_map(dx, dy, y, n, NN_ACT_LEAKY_RELU, slope); break;
    case NN_ACT_TANH: act_grad_map(dx, dy, y, n, NN_ACT_TANH, slope); break;
    case NN_ACT_NONE: act_grad_map(dx, dy, y, n, NN_ACT_NONE, slope); break;
    }
}

/* ---- forward: dot-product tiles ---------------------------------------------- */

/* out[r] lane o = Σ_k x[r][k]·w[o][k] for r < rows, o < cols (rows <= 3,
 * cols <= 4, constants where this is inlined; lanes of out past cols repeat
 * the last column). x rows and w rows are (I) vectors. The full 3×4 tile: 12
 * accumulators + 3 rows of x + 1 of w fill the 16 registers. Each sum is the
 * same chain (8 lanes of FMAs over k in order, then hsum4's tree) whatever the
 * tile, so edge tiles give the same bits as full ones. */
static ALWAYS_INLINE void dot_tile(int rows, int cols, __m128 out[DOT_ROWS],
                                   const float *const x[DOT_ROWS],
                                   const float *const w[DOT_COLS], int I)
{
    __m256 acc[DOT_ROWS][DOT_COLS];
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int o = 0; o < cols; o++)
            acc[r][o] = _mm256_setzero_ps();

    int k = 0;
    for (; k + 8 <= I; k += 8) {
        __m256 xv[DOT_ROWS];
#pragma GCC unroll 4
        for (int r = 0; r < rows; r++)
            xv[r] = _mm256_loadu_ps(x[r] + k);
#pragma GCC unroll 4
        for (int o = 0; o < cols; o++) {
            __m256 wv = _mm256_loadu_ps(w[o] + k);
#pragma GCC unroll 4
            for (int r = 0; r < rows; r++)
                acc[r][o] = _mm256_fmadd_ps(xv[r], wv, acc[r][o]);
        }
    }
    if (k < I) {
        __m256i m = lane_mask8(I - k);
        __m256 xv[DOT_ROWS];
#pragma GCC unroll 4
        for (int r = 0; r < rows; r++)
            xv[r] = _mm256_maskload_ps(x[r] + k, m);
#pragma GCC unroll 4
        for (int o = 0; o < cols; o++) {
            __m256 wv = _mm256_maskload_ps(w[o] + k, m);
#pragma GCC unroll 4
            for (int r = 0; r < rows; r++)
                acc[r][o] = _mm256_fmadd_ps(xv[r], wv, acc[r][o]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++)
        out[r] = hsum4(acc[r][0], acc[r][imin(1, cols - 1)], acc[r][imin(2, cols - 1)],
                       acc[r][imin(3, cols - 1)]);
}

/* y[0..cols) = the first cols lanes of v, with plain stores (masked stores are
 * slow on some CPUs). cols in 1..4, a constant where this is inlined. */
static ALWAYS_INLINE void store_cols(float *y, __m128 v, int cols)
{
    switch (cols) {
    case 4: _mm_storeu_ps(y, v); break;
    case 3:
        _mm_storeu_si64(y, _mm_castps_si128(v));
        _mm_store_ss(y + 2, _mm_movehl_ps(v, v));
        break;
    case 2: _mm_storeu_si64(y, _mm_castps_si128(v)); break;
    default: _mm_store_ss(y, v); break;
    }
}

/* y (rows, cols <= 4) with row stride ld: y = act(y), two rows per 8-lane
 * vector; col_mask has lanes [0, cols) set. act must be a constant where this
 * is inlined. */
static ALWAYS_INLINE void act_strip4(float *y, size_t ld, int rows, int cols, __m128i col_mask,
                                     nn_act act, float slope)
{
    int r = 0;
    if (cols == 4) {
        for (; r + 2 <= rows; r += 2, y += 2 * ld) {
            __m256 v = act8(_mm256_loadu2_m128(y + ld, y), act, slope);
            _mm256_storeu2_m128(y + ld, y, v);
        }
    } else {
        for (; r + 2 <= rows; r += 2, y += 2 * ld) {
            __m256 v = _mm256_set_m128(_mm_maskload_ps(y + ld, col_mask),
                                       _mm_maskload_ps(y, col_mask));
            v = act8(v, act, slope);
            _mm_maskstore_ps(y, col_mask, _mm256_castps256_ps128(v));
            _mm_maskstore_ps(y + ld, col_mask, _mm256_extractf128_ps(v, 1));
        }
    }
    if (r < rows) {
        __m256 v = act8(_mm256_castps128_ps256(_mm_maskload_ps(y, col_mask)), act, slope);
        _mm_maskstore_ps(y, col_mask, _mm256_castps256_ps128(v));
    }
}

static void act_strip(float *y, size_t ld, int rows, int cols, __m128i col_mask, nn_act act,
                      float slope)
{
    switch (act) {
    case NN_ACT_SIGMOID: act_strip4(y, ld, rows, cols, col_mask, NN_ACT_SIGMOID, slope); break;
    case NN_ACT_RELU: act_strip4(y, ld, rows, cols, col_mask, NN_ACT_RELU, slope); break;
    case NN_ACT_LEAKY_RELU:
        act_strip4(y, ld, rows, cols, col_mask, NN_ACT_LEAKY_RELU, slope);
        break;
    case NN_ACT_TANH: act_strip4(y, ld, rows, cols, col_mask, NN_ACT_TANH, slope); break;
    case NN_ACT_NONE: break;
    }
}

/* Rows r0 .. r0+rows of one strip of `cols` columns of Y (row stride O),
 * bias added; rows and cols constants where this is inlined. */
static ALWAYS_INLINE void forward_rows(int rows, int cols, float *y, int O, const float *X,
                                       int r0, int I, const float *const w[DOT_COLS],
                                       __m128 bias)
{
    const float *x[DOT_ROWS];
    for (int r = 0; r < DOT_ROWS; r++)
        x[r] = X + (size_t)(r0 + imin(r, rows - 1)) * I;
    __m128 z[DOT_ROWS];
    dot_tile(rows, cols, z, x, w, I);
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++, y += O)
        store_cols(y, _mm_add_ps(z[r], bias), cols);
}

/* Columns o0 .. o0+cols of Y (B,O) = X·Wᵀ + b, cols a constant (1..4). */
static ALWAYS_INLINE void forward_strip(int cols, float *Y, const float *X, const float *W,
                                        const float *b, int B, int I, int O, int o0)
{
    __m128i col_mask = lane_mask4(cols);
    __m128 bias = b ? _mm_maskload_ps(b + o0, col_mask) : _mm_setzero_ps();
    const float *w[DOT_COLS];
    for (int o = 0; o < DOT_COLS; o++)
        w[o] = W + (size_t)(o0 + imin(o, cols - 1)) * I;
    int r0 = 0;
    for (; r0 + DOT_ROWS <= B; r0 += DOT_ROWS)
        forward_rows(DOT_ROWS, cols, Y + (size_t)r0 * O + o0, O, X, r0, I, w, bias);
    _Static_assert(DOT_ROWS == 3, "one case per leftover row count");
    if (B - r0 == 2)
        forward_rows(2, cols, Y + (size_t)r0 * O + o0, O, X, r0, I, w, bias);
    else if (B - r0 == 1)
        forward_rows(1, cols, Y + (size_t)r0 * O + o0, O, X, r0, I, w, bias);
}

/* Y (B,O) = act(X (B,I) · W (O,I)ᵀ + b (O)). Tiles of 3 rows of Y × 4 columns;
 * at the edges, tiles of fewer rows or columns (each its own compiled copy, so
 * nothing is computed for rows or columns that do not exist). Bias is added as
 * each tile is stored; the activation then runs over each finished 4-column
 * strip of Y while it is in L1, two rows per vector with the activation fixed
 * per loop (in the tile it would spend 16 lanes on 12 values and sit on the
 * tile's critical path). Rows go in blocks of FORWARD_ROW_BLOCK, whose X
 * (FORWARD_ROW_BLOCK · I floats, ~400 KB at I = 784) stays in L2 while every
 * strip of W passes over it: a large batch (an evaluation at 1000) would
 * otherwise stream all of X from memory once per strip. scratch is unused. */
enum { FORWARD_ROW_BLOCK = 43 * DOT_ROWS }; /* 129: a batch of 128 is one block */

/* Columns [o0, o1) of Y (B,O) = act(X (B,I) · W (O,I)ᵀ + b (O)); the whole
 * forward is o0 = 0, o1 = O. Strips start at o0, so every element is the same
 * chain whatever the range (see dot_tile). */
static void avx2_forward_cols(float *Y, const float *X, const float *W, const float *b,
                              int B, int I, int O, nn_act act, float slope, int o0, int o1,
                              float *scratch)
{
    (void)scratch;
    _Static_assert(DOT_COLS == 4, "one case per column count");
    for (int r0 = 0; r0 < B; r0 += FORWARD_ROW_BLOCK) {
        int rows = imin(FORWARD_ROW_BLOCK, B - r0);
        float *y = Y + (size_t)r0 * O;
        const float *x = X + (size_t)r0 * I;
        for (int c0 = o0; c0 < o1; c0 += DOT_COLS) {
            int cols = imin(DOT_COLS, o1 - c0);
            switch (cols) {
            case 4: forward_strip(4, y, x, W, b, rows, I, O, c0); break;
            case 3: forward_strip(3, y, x, W, b, rows, I, O, c0); break;
            case 2: forward_strip(2, y, x, W, b, rows, I, O, c0); break;
            default: forward_strip(1, y, x, W, b, rows, I, O, c0); break;
            }
            act_strip(y + c0, (size_t)O, rows, cols, lane_mask4(cols), act, slope);
        }
    }
}

/* Y (B,O) = act(X (B,I) · W (O,I)ᵀ + b (O)): all columns. scratch is unused. */
static void avx2_forward(float *Y, const float *X, const float *W, const float *b,
                         int B, int I, int O, nn_act act, float slope, float *scratch)
{
    avx2_forward_cols(Y, X, W, b, B, I, O, act, slope, 0, O, scratch);
}

/* ---- backward: the MR×NR microkernel over packed panels ----------------------- */

/* The left operand A (M, K) of a backward GEMM as the microkernel reads it:
 * the tile of rows m0.. starts at base + m0·tile_step; in it, element (r, k)
 * is at r·row_step + k·col_step. */
typedef struct gemm_lhs {
    const float *base;
    size_t tile_step, row_step, col_step;
} gemm_lhs;

/* How a backward tile stores its sums: C = A·P (SET) or C = A·P + C (ADD).
 * SET is also what zeroing C and then ADD leave, bit for bit but for the sign
 * of a zero: the sums start at +0, and an FMA chain gives -0 only when its
 * exact value underflows (fma(-1e-30, 1e-30, +0) is -0), which SET keeps and
 * ADD onto +0 turns into +0. (Adding an explicit +0 would cost a 17th
 * register in a loop that uses all 16, and spill: half the speed.) */
enum { STORE_SET = 0, STORE_ADD };

/* C (rows, cols) at c with row stride ldc  =  A·P, stored as `store` says.
 * A (rows, K) at a (see gemm_lhs). P (K, NR) is the packed panel; when
 * `packing`, P is instead read from src (K, cols) with row stride ld_src and
 * written to `panel` on the way. Only the first nv = ceil(cols / 8) vectors of
 * a row are touched (an edge slice narrower than NR costs what it holds); of
 * those, only the last can be partial (`cols` < 8·nv), and only it goes
 * through masked loads and stores, which are slow on some CPUs. rows (1..MR),
 * nv (1..NV), store and packing must be constants where this is inlined: with
 * MR = 4 and NR = 24, 12 accumulators, 3 panel vectors and 1 broadcast fill the
 * 16 registers. Each element of C is the same chain of FMAs over k in order
 * whatever the tile, so the results do not depend on the tiling. */
static ALWAYS_INLINE void gemm_tile(int rows, int nv, float *c, size_t ldc, const float *a,
                                    gemm_lhs lhs, float *panel, int K, int cols, int store,
                                    int packing, const float *src, size_t ld_src)
{
    __m256 acc[MR][NV];
    int last_full = cols == 8 * nv;
    __m256i last_mask = lane_mask8(cols - 8 * (nv - 1));
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            acc[r][v] = _mm256_setzero_ps();
#pragma GCC unroll 2
    for (int k = 0; k < K; k++, a += lhs.col_step, panel += NR) {
        __m256 p[NV];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            if (packing) {
                p[v] = v < nv - 1 || last_full
                           ? _mm256_loadu_ps(src + 8 * v)
                           : _mm256_maskload_ps(src + 8 * v, last_mask); /* zero-fills */
                _mm256_store_ps(panel + 8 * v, p[v]);
            } else {
                p[v] = _mm256_load_ps(panel + 8 * v);
            }
        }
        if (packing)
            src += ld_src;
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            __m256 ar = _mm256_broadcast_ss(a + r * lhs.row_step);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                acc[r][v] = _mm256_fmadd_ps(ar, p[v], acc[r][v]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            float *cv = c + r * ldc + 8 * v;
            int full = v < nv - 1 || last_full;
            if (store == STORE_ADD) /* C is added last: its loads stay off the FMA chains */
                acc[r][v] = _mm256_add_ps(acc[r][v], full ? _mm256_loadu_ps(cv)
                                                          : _mm256_maskload_ps(cv, last_mask));
            if (full)
                _mm256_storeu_ps(cv, acc[r][v]);
            else
                _mm256_maskstore_ps(cv, last_mask, acc[r][v]);
        }
}

/* gemm_tile for rows in 1..MR, each count compiled on its own. */
static ALWAYS_INLINE void gemm_tile_rows(int rows, int nv, float *c, size_t ldc, const float *a,
                                         gemm_lhs lhs, float *panel, int K, int cols,
                                         int store, int packing, const float *src,
                                         size_t ld_src)
{
    _Static_assert(MR == 4, "one case per row count");
    switch (rows) {
    case 4: gemm_tile(4, nv, c, ldc, a, lhs, panel, K, cols, store, packing, src, ld_src); break;
    case 3: gemm_tile(3, nv, c, ldc, a, lhs, panel, K, cols, store, packing, src, ld_src); break;
    case 2: gemm_tile(2, nv, c, ldc, a, lhs, panel, K, cols, store, packing, src, ld_src); break;
    default: gemm_tile(1, nv, c, ldc, a, lhs, panel, K, cols, store, packing, src, ld_src); break;
    }
}

/* gemm_slice for slices of nv vectors (a constant where this is inlined). */
static ALWAYS_INLINE void gemm_slice_nv(int nv, float *c, size_t ldc, int M, gemm_lhs lhs,
                                        const float *src, size_t ld_src, float *panel, int K,
                                        int cols, int store)
{
    gemm_tile_rows(imin(MR, M), nv, c, ldc, lhs.base, lhs, panel, K, cols, store, 1, src, ld_src);
    for (int m0 = MR; m0 < M; m0 += MR)
        gemm_tile_rows(imin(MR, M - m0), nv, c + (size_t)m0 * ldc, ldc,
                       lhs.base + m0 * lhs.tile_step, lhs, panel, K, cols, store, 0, NULL, 0);
}

/* One NR-column slice of a backward GEMM: C (M, cols) at c with row stride ldc
 * = A (M, K) · S, stored as `store` says, where S (K, cols) is read at src with
 * row stride ld_src. The first tile of rows packs S into panel (K, NR) as it
 * goes; the others read the panel from L1. */
static ALWAYS_INLINE void gemm_slice(float *c, size_t ldc, int M, gemm_lhs lhs, const float *src,
                                     size_t ld_src, float *panel, int K, int cols, int store)
{
    _Static_assert(NV == 3, "one case per vector count");
    switch ((cols + 7) / 8) {
    case 3: gemm_slice_nv(3, c, ldc, M, lhs, src, ld_src, panel, K, cols, store); break;
    case 2: gemm_slice_nv(2, c, ldc, M, lhs, src, ld_src, panel, K, cols, store); break;
    default: gemm_slice_nv(1, c, ldc, M, lhs, src, ld_src, panel, K, cols, store); break;
    }
}

/* Columns [i0, i1) of dX (B,I) = dY (B,O) · W (O,I): for each NR-column slice
 * of W from i0, sweep the rows of dY (read in place); scratch holds the packed
 * slice (O, NR). Every element is the same chain whatever the range. */
static void avx2_backward_input_cols(float *dX, const float *dY, const float *W,
                                     int B, int I, int O, int i0, int i1, float *scratch)
{
    gemm_lhs dy_rows = {.base = dY, .tile_step = (size_t)O, .row_step = (size_t)O, .col_step = 1};
    for (int n0 = i0; n0 < i1; n0 += NR)
        gemm_slice(dX + n0, (size_t)I, B, dy_rows, W + n0, (size_t)I, scratch, O,
                   imin(NR, i1 - n0), STORE_SET);
}

static void avx2_backward_input(float *dX, const float *dY, const float *W,
                                int B, int I, int O, float *scratch)
{
    avx2_backward_input_cols(dX, dY, W, B, I, O, 0, I, scratch);
}

/* db[o0 .. o0+8n) (+)= Σ_r dY[r] for n vectors (n a constant, 1..8), the last
 * one holding `last` lanes: the n sums run side by side, so their additions
 * overlap instead of waiting on each other; each is still Σ_r in order. */
static ALWAYS_INLINE void bias_grad_group(int n, float *db, const float *dY, int B, int O,
                                          int last, int fresh)
{
    __m256 s[8];
    __m256i m = lane_mask8(last);
#pragma GCC unroll 8
    for (int v = 0; v < n; v++)
        s[v] = _mm256_setzero_ps();
    for (int r = 0; r < B; r++, dY += O)
#pragma GCC unroll 8
        for (int v = 0; v < n; v++)
            s[v] = _mm256_add_ps(s[v], v < n - 1 || last == 8 ? _mm256_loadu_ps(dY + 8 * v)
                                                              : _mm256_maskload_ps(dY + 8 * v, m));
#pragma GCC unroll 8
    for (int v = 0; v < n; v++) {
        int full = v < n - 1 || last == 8;
        if (!fresh)
            s[v] = _mm256_add_ps(full ? _mm256_loadu_ps(db + 8 * v) : _mm256_maskload_ps(db + 8 * v, m),
                                 s[v]);
        if (full)
            _mm256_storeu_ps(db + 8 * v, s[v]);
        else
            _mm256_maskstore_ps(db + 8 * v, m, s[v]);
    }
}

/* db (O) += Σ_r dY[r], in the scalar kernel's order (Σ_r first, then into db);
 * when `fresh`, db = Σ_r dY[r] without reading db (a sum of plain adds from
 * +0 is never -0, so these are the same bits as zeroing db first). */
static ALWAYS_INLINE void bias_grad(float *db, const float *dY, int B, int O, int fresh)
{
    int o0 = 0;
    for (; o0 + 64 <= O; o0 += 64)
        bias_grad_group(8, db + o0, dY + o0, B, O, 8, fresh);
    if (o0 == O)
        return;
    int n = (O - o0 + 7) / 8, last = O - o0 - 8 * (n - 1);
    switch (n) {
    case 8: bias_grad_group(8, db + o0, dY + o0, B, O, last, fresh); break; /* 57-63 left */
    case 7: bias_grad_group(7, db + o0, dY + o0, B, O, last, fresh); break;
    case 6: bias_grad_group(6, db + o0, dY + o0, B, O, last, fresh); break;
    case 5: bias_grad_group(5, db + o0, dY + o0, B, O, last, fresh); break;
    case 4: bias_grad_group(4, db + o0, dY + o0, B, O, last, fresh); break;
    case 3: bias_grad_group(3, db + o0, dY + o0, B, O, last, fresh); break;
    case 2: bias_grad_group(2, db + o0, dY + o0, B, O, last, fresh); break;
    default: bias_grad_group(1, db + o0, dY + o0, B, O, last, fresh); break;
    }
}

/* dyt (ceil(O/MR) blocks of (B, MR)) = dY (B,O)ᵀ cut into MR-row blocks: block j
 * holds rows j·MR.. of dYᵀ interleaved, so the microkernel broadcasts from
 * consecutive addresses. (Read in place, dYᵀ is a walk down dY's columns with
 * a stride of O floats; for O = 256 that stride maps every row into the same
 * 4 L1 sets, where they evict each other: packing is ~5% faster there.)
 * Lanes past O in the last block are left unset and never read. */
static void pack_transposed_blocks(float *dyt, const float *dY, int B, int O)
{
    _Static_assert(MR == 4, "one 4-lane vector per row of a block");
    int m0 = 0;
    for (; m0 + MR <= O; m0 += MR, dyt += (size_t)B * MR)
        for (int k = 0; k < B; k++)
            _mm_store_ps(dyt + (size_t)k * MR, _mm_loadu_ps(dY + (size_t)k * O + m0));
    if (m0 < O) {
        __m128i m = lane_mask4(O - m0);
        for (int k = 0; k < B; k++)
            _mm_store_ps(dyt + (size_t)k * MR, _mm_maskload_ps(dY + (size_t)k * O + m0, m));
    }
}

/* Columns [i0, i1) of dW (O,I) += dY (B,O)ᵀ · X (B,I), and db (O) += Σ_r dY[r]
 * (when db is given); or, when `fresh`, dW's columns and db overwritten with
 * what zeroing them first would give. scratch holds a packed (B, NR) slice of
 * X, then dYᵀ in blocks (see pack_transposed_blocks). For each NR-column
 * slice of X from i0, sweep the rows of dW: every element is the same chain
 * whatever the range. */
static ALWAYS_INLINE void backward_weights(float *dW, float *db, const float *dY, const float *X,
                                           int B, int I, int O, int i0, int i1, float *scratch,
                                           int fresh)
{
    if (db)
        bias_grad(db, dY, B, O, fresh);
    float *x_panel = scratch, *dyt = scratch + (size_t)B * NR;
    pack_transposed_blocks(dyt, dY, B, O);
    gemm_lhs dyt_blocks = {.base = dyt, .tile_step = (size_t)B, .row_step = 1, .col_step = MR};
    for (int n0 = i0; n0 < i1; n0 += NR)
        gemm_slice(dW + n0, (size_t)I, O, dyt_blocks, X + n0, (size_t)I, x_panel, B,
                   imin(NR, i1 - n0), fresh ? STORE_SET : STORE_ADD);
}

static void avx2_backward_weights_cols(float *dW, float *db, const float *dY, const float *X,
                                       int B, int I, int O, int i0, int i1, bool fresh,
                                       float *scratch)
{
    if (fresh)
        backward_weights(dW, db, dY, X, B, I, O, i0, i1, scratch, 1);
    else
        backward_weights(dW, db, dY, X, B, I, O, i0, i1, scratch, 0);
}

/* The whole calls go through the _cols entry: one compiled copy of each (every
 * copy costs seconds to compile under the sanitizers). */
static void avx2_backward_weights(float *dW, float *db, const float *dY, const float *X,
                                  int B, int I, int O, float *scratch)
{
    avx2_backward_weights_cols(dW, db, dY, X, B, I, O, 0, I, false, scratch);
}

static void avx2_backward_weights_fresh(float *dW, float *db, const float *dY, const float *X,
                                        int B, int I, int O, float *scratch)
{
    avx2_backward_weights_cols(dW, db, dY, X, B, I, O, 0, I, true, scratch);
}

/* ---- e^x in double (kernels_exp.h), 4 lanes ------------------------------------ */

/* y (n) = e^x (n): nn_exp_double's fast path in every lane (the same FMAs in
 * the same order), 1 + x in the lanes below it. A vector with a lane above it
 * (|x| from 512, inf, NaN: rare), and the last n % 4, go one at a time through
 * nn_exp_double. y may alias x. */
static void avx2_exp_doubles(double *y, const double *x, size_t n)
{
    const __m256i exponent = _mm256_set1_epi64x(0x7ff), index = _mm256_set1_epi64x(NN_EXP_TABLE_SIZE - 1);
    const __m256i fast_from = _mm256_set1_epi64x(NN_EXP_FAST_FROM);
    const __m256i fast_to = _mm256_set1_epi64x(NN_EXP_FAST_TO);
    const __m256d shift = _mm256_set1_pd(NN_EXP_SHIFT), one = _mm256_set1_pd(1.0);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d xv = _mm256_loadu_pd(x + i);
        __m256i abstop = _mm256_and_si256(_mm256_srli_epi64(_mm256_castpd_si256(xv), 52), exponent);
        __m256i large = _mm256_cmpgt_epi64(abstop, fast_to);
        if (!_mm256_testz_si256(large, large)) {
            for (size_t l = i; l < i + 4; l++)
                y[l] = nn_exp_double(x[l]);
            continue;
        }
        __m256d kd = _mm256_fmadd_pd(xv, _mm256_set1_pd(NN_EXP_INV_LN2_N), shift);
        __m256i ki = _mm256_castpd_si256(kd);
        kd = _mm256_sub_pd(kd, shift);
        __m256d r = _mm256_fmadd_pd(kd, _mm256_set1_pd(NN_EXP_NEG_LN2_HI_N), xv);
        r = _mm256_fmadd_pd(kd, _mm256_set1_pd(NN_EXP_NEG_LN2_LO_N), r);
        __m256i idx = _mm256_slli_epi64(_mm256_and_si256(ki, index), 1);
        __m256d tail = _mm256_i64gather_pd((const double *)(const void *)nn_exp_table, idx, 8);
        __m256i top = _mm256_slli_epi64(ki, 52 - NN_EXP_TABLE_BITS);
        __m256d scale = _mm256_castsi256_pd(_mm256_add_epi64(
            _mm256_i64gather_epi64((const long long *)(const void *)(nn_exp_table + 1), idx, 8), top));
        __m256d r2 = _mm256_mul_pd(r, r);
        __m256d low = _mm256_fmadd_pd(
            _mm256_fmadd_pd(r, _mm256_set1_pd(NN_EXP_C3), _mm256_set1_pd(NN_EXP_C2)), r2,
            _mm256_add_pd(r, tail));
        __m256d tmp = _mm256_fmadd_pd(
            _mm256_mul_pd(r2, r2),
            _mm256_fmadd_pd(r, _mm256_set1_pd(NN_EXP_C5), _mm256_set1_pd(NN_EXP_C4)), low);
        __m256d e = _mm256_fmadd_pd(scale, tmp, scale);
        __m256i tiny = _mm256_cmpgt_epi64(fast_from, abstop);
        _mm256_storeu_pd(y + i, _mm256_blendv_pd(e, _mm256_add_pd(one, xv), _mm256_castsi256_pd(tiny)));
    }
    for (; i < n; i++)
        y[i] = nn_exp_double(x[i]);
}

/* ---- the loader's uint8 -> float conversion ----------------------------------- */

/* y (n) = x (n) · scale + shift, 8 at a time: one vpmovzxbd per 8 bytes (gcc's
 * own vectorisation of the loop widened bytes to words to dwords, three
 * shuffles per 8), then a multiply and an add (not fused: the scalar path's
 * two roundings); the last n % 8 one at a time, the same way. bench_data,
 * NNLAB_SIMD=avx2 on a Zen 5, best of 15: 3.7-3.8 ms in order and 5.1-5.2
 * shuffled against 5.1-5.2 and 6.5 for gcc's loop in quiet minutes (both
 * about 5.2 / 7.9 in noisy ones). */
static void avx2_bytes_to_floats(float *y, const uint8_t *x, size_t n, float scale, float shift)
{
    const __m256 s = _mm256_set1_ps(scale), t = _mm256_set1_ps(shift);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(x + i)));
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(v), s), t));
    }
    for (; i < n; i++)
        y[i] = _mm_cvtss_f32(_mm_add_ss(_mm_mul_ss(_mm_set_ss((float)x[i]), _mm_set_ss(scale)),
                                        _mm_set_ss(shift)));
}

static const nn_dense_kernels avx2_kernels = {
    .name = "avx2",
    .forward = avx2_forward,
    .backward_input = avx2_backward_input,
    .backward_weights = avx2_backward_weights,
    .backward_weights_fresh = avx2_backward_weights_fresh,
    .act_forward = avx2_act_forward,
    .act_backward = avx2_act_backward,
    .exp_doubles = avx2_exp_doubles,
    .bytes_to_floats = avx2_bytes_to_floats,
    .forward_cols = avx2_forward_cols,
    .backward_input_cols = avx2_backward_input_cols,
    .backward_weights_cols = avx2_backward_weights_cols,
};

const nn_dense_kernels *nn_kernels_avx2_unchecked(void) { return &avx2_kernels; }
