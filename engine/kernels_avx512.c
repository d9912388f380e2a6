/* AVX-512F dense-layer kernels (shapes and contracts in nn_kernels.h), giving
 * the AVX2 kernels' results bit for bit: every output is the same chain of
 * operations as in kernels_avx2.c, only more of them run side by side.
 *
 *   forward           Y = act(X·Wᵀ + b)  as in AVX2, each output is 8 lanes of FMAs
 *                                        over k, then one fixed tree. Here a 512-bit
 *                                        register holds the 8 lanes of two outputs
 *                                        (two rows of W side by side, one row of X
 *                                        broadcast to both halves): tiles of 4 rows
 *                                        of X (6 for whole rows of W read in place,
 *                                        strips of up to 4 pairs) × 8 rows
 *                                        of W (10 in a last strip of 9-10), up to 24
 *                                        accumulators, the rows of W packed pairwise
 *                                        into one stream from 64 rows of X (8 rows
 *                                        4 KB apart would share L1 sets); the trees
 *                                        run in zmm registers, 8 outputs at once.
 *                                        On Intel (nn_blocking's x_pairs), where W is
 *                                        read in place, the other way round: two rows
 *                                        of X a register, each row of W broadcast,
 *                                        tiles of 6 rows × 8 columns.
 *   backward_input    dX = dY·W          BLIS-style 8×48 microkernel over (O,48)
 *   backward_weights  dW += dYᵀ·X        slices, as the AVX2 4×24 one: each element
 *                                        is one chain of FMAs over k, whatever the
 *                                        tile, so the wider tile gives the same bits.
 *                                        With 9-12 outputs, kernels of their own
 *                                        (few_outputs_*): dW in tiles of all O rows,
 *                                        dX with W's panel held in registers.
 *   activations       16 lanes of the AVX2 kernels' exp, sigmoid and tanh.
 *
 * Partial vectors use AVX-512 lane masks (loads and stores that neither read
 * nor write the lanes left out, and fast on every CPU that has them). This
 * file is compiled with -mavx512f -mavx2 -mfma and uses only AVX-512F of the
 * AVX-512 families; it is reached only through nn_kernels_avx512(), after a
 * CPUID and XGETBV check. */
#include "kernels_avx512.h"
#include "kernels_exp.h"

#include <immintrin.h>
#include <stdint.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Microkernel tile of the backward GEMMs: MR rows × NR = 16·NV columns. */
enum { MR = NN_AVX512_TILE_ROWS, NV = 3, NR = 16 * NV };
_Static_assert(NR == NN_AVX512_PANEL_COLS, "scratch is sized for NN_AVX512_PANEL_COLS");
/* Forward tile: DOT_ROWS rows of X × up to DOT_PAIRS pairs of rows of W.
 * Strips are STRIP_COLS columns wide (4 pairs), but for the last one when 9 or
 * 10 columns are left (a 10-class output layer is then one strip: each row of X
 * is read once, and 4 rows of X feed 20 FMAs, not 16 and then 4). Where W is
 * read in place (see forward_packs), strips of up to 4 pairs take TALL_ROWS
 * rows of X a tile over the first multiple of 12 rows (see forward_strip_as). */
enum { DOT_ROWS = 4, DOT_PAIRS = 5, DOT_COLS = 2 * DOT_PAIRS, STRIP_COLS = 8, TALL_ROWS = 6 };

static ALWAYS_INLINE int imin(int a, int b) { return a < b ? a : b; }

/* Lanes [0, n) set, n in [0, 16]. */
static ALWAYS_INLINE __mmask16 first_lanes(int n) { return (__mmask16)((1u << n) - 1u); }

static ALWAYS_INLINE __m512 and_ps(__m512 a, __m512 b)
{
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)));
}

static ALWAYS_INLINE __m512 or_ps(__m512 a, __m512 b)
{
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)));
}

/* ~a & b */
static ALWAYS_INLINE __m512 andnot_ps(__m512 a, __m512 b)
{
    return _mm512_castsi512_ps(_mm512_andnot_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)));
}

/* ---- vector math: exp8, sigmoid8, tanh8 of kernels_avx2.c, 16 lanes -------- */

/* e^x, Cephes expf; the same operations as exp8 (see there). */
static ALWAYS_INLINE __m512 exp16(__m512 x)
{
    /* max/min return their second operand when one is NaN: keep x second. */
    x = _mm512_min_ps(_mm512_set1_ps(88.3762626647949f),
                      _mm512_max_ps(_mm512_set1_ps(-87.3365447504f), x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 y = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512i biased = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_mul_ps(y, _mm512_castsi512_ps(_mm512_slli_epi32(biased, 23)));
}

static ALWAYS_INLINE __m512 sigmoid16(__m512 x)
{
    __m512 one = _mm512_set1_ps(1.0f);
    __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), x));
    return _mm512_div_ps(one, _mm512_add_ps(one, e));
}

static ALWAYS_INLINE __m512 tanh16(__m512 x)
{
    __m512 sign = _mm512_set1_ps(-0.0f);
    __m512 ax = andnot_ps(sign, x);
    __m512 z = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954e-2f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531e-2f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036e-1f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422e-1f));
    __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);

    __m512 one = _mm512_set1_ps(1.0f);
    __m512 e = exp16(_mm512_add_ps(ax, ax));
    __m512 large = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
    large = or_ps(large, and_ps(sign, x));

    __mmask16 is_small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(is_small, large, small);
}

/* act(x) lane by lane, as act8. */
static ALWAYS_INLINE __m512 act16(__m512 x, nn_act act, float slope)
{
    __m512 zero = _mm512_setzero_ps();
    switch (act) {
    case NN_ACT_SIGMOID: return sigmoid16(x);
    case NN_ACT_RELU: return _mm512_max_ps(zero, x); /* as act8 */
    case NN_ACT_LEAKY_RELU:
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ),
                                    _mm512_mul_ps(x, _mm512_set1_ps(slope)), x);
    case NN_ACT_TANH: return tanh16(x);
    case NN_ACT_NONE: break;
    }
    return x;
}

/* act'(pre) through y = act(pre), as act_grad8. */
static ALWAYS_INLINE __m512 act_grad16(__m512 y, nn_act act, float slope)
{
    __m512 one = _mm512_set1_ps(1.0f);
    switch (act) {
    case NN_ACT_SIGMOID: return _mm512_mul_ps(y, _mm512_sub_ps(one, y));
    case NN_ACT_RELU:
        return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_NLE_UQ), one);
    case NN_ACT_LEAKY_RELU:
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ),
                                    _mm512_set1_ps(slope), one);
    case NN_ACT_TANH: return _mm512_sub_ps(one, _mm512_mul_ps(y, y));
    case NN_ACT_NONE: break;
    }
    return one;
}

/* ---- elementwise activations ------------------------------------------------ */

/* y (n) = act(x (n)); act must be a constant where this is inlined. */
static ALWAYS_INLINE void act_map(float *y, const float *x, size_t n, nn_act act, float slope)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, act16(_mm512_loadu_ps(x + i), act, slope));
    if (i < n) {
        __mmask16 m = first_lanes((int)(n - i));
        _mm512_mask_storeu_ps(y + i, m, act16(_mm512_maskz_loadu_ps(m, x + i), act, slope));
    }
}

static void avx512_act_forward(float *y, const float *x, size_t n, nn_act act, float slope)
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
static ALWAYS_INLINE __m512 act_backward16(__m512 dy, __m512 y, nn_act act, float slope)
{
    if (act == NN_ACT_RELU)
        return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_NLE_UQ), dy);
    return _mm512_mul_ps(dy, act_grad16(y, act, slope));
}

/* dx (n) = dy (n) * act'(.) from y (n); act must be a constant where this is
 * inlined. */
static ALWAYS_INLINE void act_grad_map(float *dx, const float *dy, const float *y, size_t n,
                                       nn_act act, float slope)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dx + i, act_backward16(_mm512_loadu_ps(dy + i), _mm512_loadu_ps(y + i), act, slope));
    if (i < n) {
        __mmask16 m = first_lanes((int)(n - i));
        _mm512_mask_storeu_ps(dx + i, m, act_backward16(_mm512_maskz_loadu_ps(m, dy + i),
                                                        _mm512_maskz_loadu_ps(m, y + i), act, slope));
    }
}

static void avx512_act_backward(float *dx, const float *dy, const float *y, size_t n,
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

/* ---- forward: dot-product tiles, two outputs per register ---------------------- */

/* Lanes 0-7 of lo in the low half, lanes 0-7 of hi in the high half. */
static ALWAYS_INLINE __m512 halves(__m512 lo, __m512 hi)
{
    return _mm512_shuffle_f32x4(lo, hi, 0x44); /* 128-bit blocks lo0 lo1 hi0 hi1 */
}

/* The 8 floats at p in both halves. */
static ALWAYS_INLINE __m512 load8_twice(const float *p)
{
    return _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_loadu_ps(p))));
}

/* The 8 floats at lo in the low half, those at hi in the high half. */
static ALWAYS_INLINE __m512 load8_pair(const float *lo, const float *hi)
{
    __m512d v = _mm512_castpd256_pd512(_mm256_castps_pd(_mm256_loadu_ps(lo)));
    return _mm512_castpd_ps(_mm512_insertf64x4(v, _mm256_castps_pd(_mm256_loadu_ps(hi)), 1));
}

static ALWAYS_INLINE __m256 low8(__m512 v) { return _mm512_castps512_ps256(v); }

/* Rows go in blocks of row_block (kernels_blocking.h: 128 on a Zen 5) whose X
 * (128 · I floats, ~400 KB at I = 784) stays in L2 while every strip of W
 * passes over it; a batch of 128 is one block. Rows longer than blocked_from
 * (1024 on a Zen 5) go in blocks of k_block k (512): a strip's 8 rows of W over
 * a whole row of 4096 are 128 KB, which L1 (32-48 KB) cannot hold, so every
 * row tile read them again from L2 with its rows of X; a block's are 16 KB (20
 * KB for a strip of 10). The tiles' accumulators wait in scratch between
 * blocks (FORWARD_TILE_SAVED floats a tile: its up to 20 registers), for each
 * strip of a group where X outgrows L2 (see strips_per_group); the sums are
 * the same chains, so the same bits, whatever the blocking. Measured on a
 * Zen 5 (bench_kernels --scaling, forward, % of the zmm peak), 4096 -> 4096 at
 * batch 128 / 512: whole rows 53 / 47 %, blocks of 1024 58 / 68 %, blocks of
 * 512 68-72 / 65-67 %. At 1024 inputs blocks of 512 lose (78 % against 88 % at
 * batch 128): a strip's 8 rows of W are 32 KB, which L1 (48 KB) holds beside a
 * tile's rows of X; from 1536 (48 KB) it cannot, and blocks win (bench_kernels
 * --shape, GFLOP/s, whole rows against blocks: 512x1536->1024 165 / 203,
 * 128x1536->1024 174 / 206, 512x2048->2048 157 / 178, 32x2048->2048 138 /
 * 161-165), hence blocks beyond 12 rows of k in L1d; other CPUs get the same
 * rule for their caches. The panel takes NN_K_BLOCK_MAX floats a row of W
 * whatever the blocking, so the saved tiles after it stay 64-byte aligned. */
enum { FORWARD_TILE_SAVED = NN_AVX512_FORWARD_TILE_SAVED, FORWARD_GROUP = NN_AVX512_FORWARD_GROUP };
_Static_assert(FORWARD_TILE_SAVED == DOT_ROWS * DOT_PAIRS * 16, "a tile's registers");
_Static_assert(NN_AVX512_FORWARD_STRIP_ROWS_OF_W == DOT_COLS, "a strip's packed rows of W");
_Static_assert((DOT_COLS * NN_K_BLOCK_MAX) % 16 == 0, "aligned saved tiles after the panel");

/* panel (ceil(I / 8) blocks of `pairs` × 16 floats) = the rows w[0 .. 2·pairs)
 * (each (I)) interleaved by pairs: block j, pair p holds w[2p][8j .. 8j+8) then
 * w[2p+1][8j .. 8j+8), zeros past I. One stream of aligned loads for the tile,
 * where the rows themselves are I floats apart: at I = 1024 they are 4 KB
 * apart and share the same L1 sets, with the rows of X, and evict each other. */
static ALWAYS_INLINE void pack_pairs(int pairs, float *panel, const float *const w[DOT_COLS], int I)
{
    int k = 0;
    for (; k + 8 <= I; k += 8)
#pragma GCC unroll 5
        for (int p = 0; p < pairs; p++, panel += 16)
            _mm512_store_ps(panel, load8_pair(w[2 * p] + k, w[2 * p + 1] + k));
    if (k < I) {
        __mmask16 m = first_lanes(I - k);
#pragma GCC unroll 5
        for (int p = 0; p < pairs; p++, panel += 16)
            _mm512_store_ps(panel, halves(_mm512_maskz_loadu_ps(m, w[2 * p] + k),
                                          _mm512_maskz_loadu_ps(m, w[2 * p + 1] + k)));
    }
}

/* acc[r][p] += the products of x[r][k] and the columns of pair p for k in
 * [k0, k1) (k0 a multiple of 8; k1 = I or a multiple of 8), read from panel
 * (see pack_pairs: here the block of k from k0) when `packed`, else from the
 * rows w (rows <= 6, and <= 4 with a fifth pair or in blocks of k; pairs <= 5;
 * packed: constants where this is inlined).
 * Lane l of each half of acc[r][p] is the chain over k ≡ l (mod 8), as a lane
 * of dot_tile's accumulators in kernels_avx2.c, whichever blocks of k it is
 * run over in order; masked lanes of the tail add x·w = 0·0 as there (turning
 * a -0 from underflow into +0). */
static ALWAYS_INLINE void dot_tile_fma(int rows, int pairs, int packed,
                                       __m512 acc[TALL_ROWS][DOT_PAIRS],
                                       const float *const x[TALL_ROWS], const float *panel,
                                       const float *const w[DOT_COLS], int k0, int k1)
{
    int k = k0;
    for (; k + 8 <= k1; k += 8) {
        __m512 xv[TALL_ROWS];
#pragma GCC unroll 6
        for (int r = 0; r < rows; r++)
            xv[r] = load8_twice(x[r] + k);
#pragma GCC unroll 5
        for (int p = 0; p < pairs; p++) {
            __m512 wv = packed ? _mm512_load_ps(panel) : load8_pair(w[2 * p] + k, w[2 * p + 1] + k);
            if (packed)
                panel += 16;
#pragma GCC unroll 6
            for (int r = 0; r < rows; r++)
                acc[r][p] = _mm512_fmadd_ps(xv[r], wv, acc[r][p]);
        }
    }
    if (k < k1) {
        __mmask16 m = first_lanes(k1 - k);
        __m512 xv[TALL_ROWS];
#pragma GCC unroll 6
        for (int r = 0; r < rows; r++) {
            __m512 v = _mm512_maskz_loadu_ps(m, x[r] + k);
            xv[r] = halves(v, v);
        }
#pragma GCC unroll 5
        for (int p = 0; p < pairs; p++) {
            __m512 wv = packed ? _mm512_load_ps(panel)
                               : halves(_mm512_maskz_loadu_ps(m, w[2 * p] + k),
                                        _mm512_maskz_loadu_ps(m, w[2 * p + 1] + k));
            if (packed)
                panel += 16;
#pragma GCC unroll 6
            for (int r = 0; r < rows; r++)
                acc[r][p] = _mm512_fmadd_ps(xv[r], wv, acc[r][p]);
        }
    }
}

/* hadd_ps of each 128-bit block: {a1 + a0, a3 + a2, b1 + b0, b3 + b2} per
 * block, the odd element first as HADDPS adds them (the same sums; with two
 * NaNs, the same NaN). */
static ALWAYS_INLINE __m512 hadd16(__m512 a, __m512 b)
{
    return _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)),
                         _mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
}

/* The sums of the 8 outputs of 4 pair registers (pair p: columns 2p and 2p+1
 * in its low and high 8 lanes), each by the AVX2 kernels' tree ((l0 + l1) +
 * (l2 + l3)) + ((l4 + l5) + (l6 + l7)), as kernels_hsum.h's hsum4 adds them,
 * in zmm registers:
 * lanes 0-3 hold columns 0, 2, 4, 6 and lanes 8-11 columns 1, 3, 5, 7. */
static ALWAYS_INLINE __m512 pair_sums(__m512 p0, __m512 p1, __m512 p2, __m512 p3, int same_halves)
{
    __m512 h01 = hadd16(p0, p1);
    __m512 h = hadd16(h01, same_halves ? h01 : hadd16(p2, p3));
    return _mm512_add_ps(h, _mm512_shuffle_f32x4(h, h, _MM_SHUFFLE(3, 3, 1, 1)));
}

/* out[r] lanes 0 .. 2·pairs = the sums of the tile's row r, one column a lane,
 * each by that tree. A fifth pair's columns 8 and 9 go two rows at
 * a time. Lanes past 2·pairs hold other sums; the caller masks them off. */
static ALWAYS_INLINE void dot_tile_sums(int rows, int pairs, __m512 out[TALL_ROWS],
                                        __m512 acc[TALL_ROWS][DOT_PAIRS])
{
    /* from pair_sums' lanes to columns 0-7; 16 + lane picks the fifth pair's */
    const __m512i order = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 24, 16, 11, 3, 10, 2, 9, 1, 8, 0);
    const __m512i next_row = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    __m512 fifth = _mm512_setzero_ps();
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++) {
        __m512 sums = pair_sums(acc[r][0], acc[r][imin(1, pairs - 1)], acc[r][imin(2, pairs - 1)],
                                acc[r][imin(3, pairs - 1)], pairs <= 2);
        if (pairs < 5) {
            out[r] = _mm512_permutexvar_ps(order, sums);
            continue;
        }
        if (r % 2 == 0) { /* {r 8, r+1 8} in lanes 0-1 and {r 9, r+1 9} in lanes 8-9 */
            __m512 a = acc[r][4], b = acc[imin(r + 1, rows - 1)][4];
            fifth = pair_sums(a, b, a, b, 1);
        }
        __m512i idx = r % 2 ? _mm512_add_epi32(order, next_row) : order;
        out[r] = _mm512_permutex2var_ps(sums, idx, fifth);
    }
}

/* Rows r0 .. r0+keep of one strip of `cols` columns of Y (row stride O), over
 * k in [k0, k1) of I: the accumulators start at zero when k0 = 0, else from
 * saved (the tile's DOT_ROWS × DOT_PAIRS registers, kept there between blocks
 * of k); when k1 = I the sums plus bias (as AVX2 adds it: sum + b, or sum + 0
 * without a bias) are stored in y, else the accumulators go back to saved.
 * rows, pairs and packed are constants where this is inlined; keep (≤ rows)
 * need not be: a tile of `rows` whose rows past keep repeat the last kept one
 * and are not stored (one compiled copy for the leftover rows of 5 pairs). */
static ALWAYS_INLINE void forward_rows(int rows, int keep, int pairs, int packed, float *y, int O,
                                       const float *X, int r0, int I, int k0, int k1,
                                       const float *panel, const float *const w[DOT_COLS],
                                       __m512 bias, __mmask16 col_mask, float *saved)
{
    const float *x[TALL_ROWS];
    for (int r = 0; r < TALL_ROWS; r++)
        x[r] = X + (size_t)(r0 + imin(r, keep - 1)) * I;
    __m512 acc[TALL_ROWS][DOT_PAIRS];
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 5
        for (int p = 0; p < pairs; p++)
            acc[r][p] = k0 == 0 ? _mm512_setzero_ps() : _mm512_load_ps(saved + 16 * (r * DOT_PAIRS + p));
    dot_tile_fma(rows, pairs, packed, acc, x, panel, w, k0, k1);
    if (k1 < I) {
#pragma GCC unroll 6
        for (int r = 0; r < rows; r++)
#pragma GCC unroll 5
            for (int p = 0; p < pairs; p++)
                _mm512_store_ps(saved + 16 * (r * DOT_PAIRS + p), acc[r][p]);
        return;
    }
    __m512 z[TALL_ROWS];
    dot_tile_sums(rows, pairs, z, acc);
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++, y += O)
        if (r < keep)
            _mm512_mask_storeu_ps(y, col_mask, _mm512_add_ps(z[r], bias));
}

/* When packing W pays: its cost, one pass over the strip's W, is shared by
 * the row tiles, so it pays from 64 rows of X (at 8 rows it costs a third of
 * the time, at 32 rows of 784 inputs 5 %); and whenever rows of W are a
 * multiple of 2 KB apart, where reading them in place thrashes L1 (1024
 * inputs at 32 rows: 84 % of the peak packed, 66 % in place). Measured on a
 * Zen 4 with bench_kernels and bench_kernels --scaling. */
static ALWAYS_INLINE int forward_packs(int B, int I)
{
    return B >= NN_AVX512_FORWARD_PACKS_FROM || I % 512 == 0;
}

/* Columns o0 .. o0+cols of Y (B,O) = X·Wᵀ + b, pairs = ceil(cols / 2) and
 * packed constants (1..5; whether W goes through pack_pairs into panel). Over
 * [k_lo, k_hi) of I (all of it, or one block in a group, see forward_grouped)
 * in blocks of k_block (a multiple of 16; I itself for whole rows, see the
 * blocking above), each block of the strip's W packed once and run over every
 * row tile, the tiles' accumulators kept in `saved` between blocks. */
static ALWAYS_INLINE void forward_strip_as(int pairs, int packed, int cols, float *Y,
                                           const float *X, const float *W, const float *b,
                                           int B, int I, int O, int o0, float *panel,
                                           float *saved, int k_block, int k_lo, int k_hi)
{
    __mmask16 col_mask = first_lanes(cols);
    __m512 bias = b ? _mm512_maskz_loadu_ps(col_mask, b + o0) : _mm512_setzero_ps();
    const float *w[DOT_COLS];
    for (int c = 0; c < DOT_COLS; c++)
        w[c] = W + (size_t)(o0 + imin(c, cols - 1)) * I;
    for (int k0 = k_lo; k0 < k_hi; k0 += k_block) {
        int k1 = imin(I, k0 + k_block);
        if (packed) {
            const float *wk[DOT_COLS];
            for (int c = 0; c < DOT_COLS; c++)
                wk[c] = w[c] + k0;
            pack_pairs(pairs, panel, wk, k1 - k0);
        }
        int r0 = 0;
        float *tile_saved = saved;
        /* Read in place, each register of a pair of W's rows takes a load and
         * an insert, and those set the pace: a tile of 6 rows of X feeds 24
         * FMAs from the 4 pairs' inserts, where one of 4 rows fed 16 (24
         * accumulators, 6 rows of X and a pair: 31 of the 32 registers, so
         * not with a fifth pair, nor in blocks of k, whose saved tiles hold 4
         * rows). Over the first multiple of 12 rows, so that the rest is
         * whole tiles of 4 and at most 3 rows (32 = 4·6 + 2·4; a 6 + 2 split
         * at 8 rows ran at 180 against 190 GFLOP/s). bench_kernels 0.3
         * --shape, Zen 5, GFLOP/s, 3 alternating runs, 6-row tiles against
         * 4-row: 32x784->64 202-225 / 198-204, 32x784->256 197-213 / 184-197,
         * 32x784->1024 198-202 / 176-197, 16x784->256 204-213 / 183-208;
         * the seed's forward in its epoch 32.2-36.0 against 35.8-39.1 ms
         * (bench_phases cpu, 8 runs). With W packed (64 rows and up) they
         * were no faster (128x784->256: 198-233 against 210-217), so they
         * stay off there. `saved` is unused here (whole rows): panel stands
         * in. */
        if (!packed && pairs <= 4 && k0 == 0 && k1 == I)
            for (int tall_end = B / 12 * 12; r0 < tall_end; r0 += TALL_ROWS)
                forward_rows(TALL_ROWS, TALL_ROWS, pairs, packed, Y + (size_t)r0 * O + o0, O, X,
                             r0, I, k0, k1, panel, w, bias, col_mask, panel);
#define ROWS(n, keep)                                                                      \
    forward_rows(n, keep, pairs, packed, Y + (size_t)r0 * O + o0, O, X, r0, I, k0, k1, panel, w, \
                 bias, col_mask, tile_saved)
        for (; r0 + DOT_ROWS <= B; r0 += DOT_ROWS, tile_saved += FORWARD_TILE_SAVED)
            ROWS(DOT_ROWS, DOT_ROWS);
        _Static_assert(DOT_ROWS == 4, "one case per leftover row count");
        if (pairs == DOT_PAIRS && r0 < B) { /* a whole tile, its last rows repeated, not stored */
            ROWS(DOT_ROWS, B - r0);
            continue;
        }
        switch (B - r0) {
        case 3: ROWS(3, 3); break;
        case 2: ROWS(2, 2); break;
        case 1: ROWS(1, 1); break;
        default: break;
        }
#undef ROWS
    }
}

static ALWAYS_INLINE void forward_strip(int pairs, int cols, float *Y, const float *X,
                                        const float *W, const float *b, int B, int I, int O,
                                        int o0, float *scratch, const nn_blocking *blocks,
                                        int slot, int k_lo, int k_hi)
{
    /* the panel, then the saved tiles, only for blocks of k (scratch is larger then) */
    bool blocked = I > blocks->blocked_from;
    float *panel = scratch;
    float *saved = blocked ? scratch + DOT_COLS * NN_K_BLOCK_MAX +
                                 (size_t)slot * ((B + 3) / 4) * FORWARD_TILE_SAVED
                           : NULL;
    int k_block = blocked ? blocks->k_block : I;
    if (forward_packs(B, I))
        forward_strip_as(pairs, 1, cols, Y, X, W, b, B, I, O, o0, panel, saved, k_block, k_lo, k_hi);
    else
        forward_strip_as(pairs, 0, cols, Y, X, W, b, B, I, O, o0, panel, saved, k_block, k_lo, k_hi);
}

/* forward_strip for a strip of `cols` columns (1..10): one compiled copy per
 * pair count where this is inlined. */
static ALWAYS_INLINE void forward_strip_cols(int cols, float *Y, const float *X, const float *W,
                                             const float *b, int B, int I, int O, int o0,
                                             float *scratch, const nn_blocking *blocks, int slot,
                                             int k_lo, int k_hi)
{
    _Static_assert(DOT_PAIRS == 5, "one case per pair count");
    switch ((cols + 1) / 2) {
    case 5: forward_strip(5, cols, Y, X, W, b, B, I, O, o0, scratch, blocks, slot, k_lo, k_hi); break;
    case 4: forward_strip(4, cols, Y, X, W, b, B, I, O, o0, scratch, blocks, slot, k_lo, k_hi); break;
    case 3: forward_strip(3, cols, Y, X, W, b, B, I, O, o0, scratch, blocks, slot, k_lo, k_hi); break;
    case 2: forward_strip(2, cols, Y, X, W, b, B, I, O, o0, scratch, blocks, slot, k_lo, k_hi); break;
    default: forward_strip(1, cols, Y, X, W, b, B, I, O, o0, scratch, blocks, slot, k_lo, k_hi); break;
    }
}

/* y (rows, cols <= 8) with row stride ld: y = act(y), two rows per register;
 * act a constant where this is inlined. */
static ALWAYS_INLINE void act_strip8(float *y, size_t ld, int rows, __mmask16 col_mask,
                                     nn_act act, float slope)
{
    int r = 0;
    for (; r + 2 <= rows; r += 2, y += 2 * ld) {
        __m512 v = act16(halves(_mm512_maskz_loadu_ps(col_mask, y),
                                _mm512_maskz_loadu_ps(col_mask, y + ld)), act, slope);
        _mm512_mask_storeu_ps(y, col_mask, v);
        _mm512_mask_storeu_ps(y + ld, col_mask, _mm512_shuffle_f32x4(v, v, 0xEE));
    }
    if (r < rows)
        _mm512_mask_storeu_ps(y, col_mask, act16(_mm512_maskz_loadu_ps(col_mask, y), act, slope));
}

static void act_strip(float *y, size_t ld, int rows, __mmask16 col_mask, nn_act act, float slope)
{
    switch (act) {
    case NN_ACT_SIGMOID: act_strip8(y, ld, rows, col_mask, NN_ACT_SIGMOID, slope); break;
    case NN_ACT_RELU: act_strip8(y, ld, rows, col_mask, NN_ACT_RELU, slope); break;
    case NN_ACT_LEAKY_RELU: act_strip8(y, ld, rows, col_mask, NN_ACT_LEAKY_RELU, slope); break;
    case NN_ACT_TANH: act_strip8(y, ld, rows, col_mask, NN_ACT_TANH, slope); break;
    case NN_ACT_NONE: break;
    }
}

/* y (rows, cols <= 10) with row stride O: y = act(y), in act_strip's 8 columns at most. */
static void act_cols(float *y, int O, int rows, int cols, nn_act act, float slope)
{
    act_strip(y, (size_t)O, rows, first_lanes(imin(cols, STRIP_COLS)), act, slope);
    if (cols > STRIP_COLS)
        act_strip(y + STRIP_COLS, (size_t)O, rows, first_lanes(cols - STRIP_COLS), act, slope);
}

/* Columns of the strip that starts at c0 of [.., o1): STRIP_COLS, or all
 * that are left when they are 9 or 10 (or fewer than 8). */
static ALWAYS_INLINE int strip_cols_at(int c0, int o1)
{
    return o1 - c0 <= DOT_COLS ? o1 - c0 : STRIP_COLS;
}

/* Strips per group for a row block of `rows` rows of I inputs: in blocks of k,
 * each strip runs its block of k over every row tile, so X's block (rows ×
 * k_block, 256 KB at 128 × 512) is read from L2 while the strip's W is in L1;
 * but a strip runs every block of k before the next strip starts, and once the
 * row block's X (rows × I) outgrows L2 (row_block × 2048 floats: the blocking
 * gives 128 rows per MiB of L2), each strip reads all of it from L3 again.
 * There, FORWARD_GROUP strips take each block of k in turn, so X's block is
 * read from L3 once for all of them, and their tiles' accumulators wait in
 * scratch side by side (160 KB at 4 strips of 128 rows). Measured on a Zen 5
 * (the forward alone, in a throwaway harness over the kernel table: median
 * GFLOP/s of 5-9 calls, 2-7 alternating runs), one strip at a time against
 * groups of 4: 128x4096->4096 150-174 / 173-192 (groups of 2: 169-189, of 8:
 * 185-187, of 16: 173-193), 512x4096->4096 156-175 / 170-191, 256x4096->4096
 * 159-164 / 168-178. Where X fits L2 the groups gained nothing
 * (64x4096->4096, 128x2048->2048: within the noise) or lost (32x4096->4096:
 * 135-136 / 116-129; W streams from memory there, and a group reads 32 of its
 * rows 2 KB at a time instead of 8). */
static ALWAYS_INLINE int strips_per_group(int rows, int I, const nn_blocking *blocks)
{
    _Static_assert(NN_AVX512_FORWARD_GROUP_FROM == 2048, "rows <= row_block: only I > 2048 groups");
    bool x_outgrows_l2 = (size_t)rows * (size_t)I > (size_t)blocks->row_block * 2048;
    return I > blocks->blocked_from && x_outgrows_l2 ? FORWARD_GROUP : 1;
}

/* Columns [o0, o1) of one row block of `rows` rows (y, x at its first row)
 * whose strips go in groups (strips_per_group): each group's strips take every
 * block of k in turn, each strip's tiles' accumulators in its slot of scratch,
 * then, unless the range is whole rows, the group's activations. A function
 * of its own, so that avx512_forward_cols' loop over single strips compiles
 * as it did before groups: with one loop for both, the small batches' forward
 * lost 2-5 % (32x784->64 best 196-215 GFLOP/s against 202-220), and with this
 * loop inlined beside that one, a quarter (about 160 against 205); as it is,
 * 215-217 against 212-220 (the forward alone, 4 alternating runs, Zen 5). */
static __attribute__((noinline)) void forward_grouped(float *y, const float *x, const float *W,
                                                     const float *b, int rows, int I, int O,
                                                     nn_act act, float slope, int o0, int o1,
                                                     bool whole_rows, float *scratch,
                                                     const nn_blocking *blocks)
{
    for (int g = o0; g < o1;) {
        int c0[FORWARD_GROUP], cols[FORWARD_GROUP], n = 0;
        for (; g < o1 && n < FORWARD_GROUP; g += cols[n++]) {
            c0[n] = g;
            cols[n] = strip_cols_at(g, o1);
        }
        for (int k_lo = 0; k_lo < I; k_lo += blocks->k_block) {
            int k_hi = imin(I, k_lo + blocks->k_block);
            for (int j = 0; j < n; j++)
                forward_strip_cols(cols[j], y, x, W, b, rows, I, O, c0[j], scratch, blocks, j,
                                   k_lo, k_hi);
        }
        for (int j = 0; j < n && !whole_rows; j++)
            act_cols(y + c0[j], O, rows, cols[j], act, slope);
    }
}

/* ---- forward at small batches: two rows of X per register ------------------- */

/* Below FORWARD_PACKS_FROM rows W is not packed (forward_packs), and a
 * register holding two of its rows took a load and an insert (a shuffle) for
 * every 4-6 FMAs. On Intel the shuffles share port 5 with the second FMA
 * unit, and 32x784->64 ran at 81 % of the peak there. Here the roles swap:
 * a register holds 8 k of two rows of X, side by side, and each row of W is
 * broadcast to both halves by a plain load (load8_twice). Lane l of the low
 * (high) half of acc[q][c] is the chain over k ≡ l (mod 8) of row 2q (2q + 1)
 * and column c: the same chains as dot_tile_fma's, summed by the same tree
 * (pair_sums), so the same bits.
 *
 * How X's pairs are read, a constant where they are inlined:
 *   X_IN_PLACE  two rows of X and an insert for each register: 3 inserts per
 *               24 FMAs (the tiles of 6 rows by 4 pairs of W took 4);
 *   X_PACKING   the same, and the register stored to xp: the first strip of
 *               a call whose columns hold PACK_X_FROM_STRIPS or more strips of
 *               up to 8 (a thread's part of a layer is a call of its own);
 *   X_PACKED    the registers loaded from xp: the strips after it.
 * Storing X's pairs costs the first strip a fifth of its speed (X's lines
 * are read, allocated and written back through L2), which the later strips
 * repay from the fifth on. bench_kernels 0.3 --shape, GFLOP/s, Intel Xeon
 * (Emerald Rapids): in place against packed after the first strip,
 * 32x784->32 155 / 153, 32x784->40 150 / 156-161, 32x784->64 150 / 161; the
 * first strip alone, 32x784->8, 150 in place and 118 packing. */
enum { X_IN_PLACE, X_PACKING, X_PACKED };
enum { PAIR_TILE = 3, PACK_X_FROM_STRIPS = 5 }; /* 3 pairs × 8 columns: 24 accumulators */

/* Floats of one pair's stream in xp: ceil(I / 8) blocks of 16, block j
 * holding x[2q][8j .. 8j+8) then x[2q+1][8j .. 8j+8), zeros past I. */
static ALWAYS_INLINE size_t row_pair_stream(int I) { return (size_t)(I + 7) / 8 * 16; }

/* Rows 0 .. keep of a strip of 2·pairs (≤ 8) columns of Y at y (row stride O)
 * over whole rows of I: npairs (1..PAIR_TILE) pairs of rows of X from x (row
 * stride I; past keep - 1 the last row again), read as `how` says (xp: their
 * streams, row_pair_stream(I) floats apart), the rows w[0 .. 2·pairs) of W.
 * npairs, pairs and how are constants where this is inlined. */
static ALWAYS_INLINE void pair_rows_tile(int npairs, int pairs, int how, float *y, int O,
                                         const float *x, float *xp,
                                         const float *const w[STRIP_COLS], int I, int keep,
                                         __m512 bias, __mmask16 col_mask)
{
    const int cols = 2 * pairs;
    const size_t stream = row_pair_stream(I);
    const float *lo[PAIR_TILE], *hi[PAIR_TILE];
    for (int q = 0; q < PAIR_TILE; q++) {
        lo[q] = x + (size_t)imin(2 * q, keep - 1) * I;
        hi[q] = x + (size_t)imin(2 * q + 1, keep - 1) * I;
    }
    __m512 acc[PAIR_TILE][STRIP_COLS];
#pragma GCC unroll 3
    for (int q = 0; q < npairs; q++)
#pragma GCC unroll 8
        for (int c = 0; c < cols; c++)
            acc[q][c] = _mm512_setzero_ps();
    /* k in steps of 8, then the tail under a mask (X's pairs zero past I, as
     * dot_tile_fma's tail adds 0·0) */
    int k = 0;
    for (; k + 8 <= I; k += 8) {
        __m512 xv[PAIR_TILE];
#pragma GCC unroll 3
        for (int q = 0; q < npairs; q++) {
            float *at = xp + (size_t)q * stream + 2 * (size_t)k;
            xv[q] = how == X_PACKED ? _mm512_load_ps(at) : load8_pair(lo[q] + k, hi[q] + k);
            if (how == X_PACKING)
                _mm512_store_ps(at, xv[q]);
        }
#pragma GCC unroll 8
        for (int c = 0; c < cols; c++) {
            __m512 wv = load8_twice(w[c] + k);
#pragma GCC unroll 3
            for (int q = 0; q < npairs; q++)
                acc[q][c] = _mm512_fmadd_ps(xv[q], wv, acc[q][c]);
        }
    }
    if (k < I) {
        __mmask16 m = first_lanes(I - k);
        __m512 xv[PAIR_TILE];
#pragma GCC unroll 3
        for (int q = 0; q < npairs; q++) {
            float *at = xp + (size_t)q * stream + 2 * (size_t)k;
            xv[q] = how == X_PACKED ? _mm512_load_ps(at)
                                    : halves(_mm512_maskz_loadu_ps(m, lo[q] + k),
                                             _mm512_maskz_loadu_ps(m, hi[q] + k));
            if (how == X_PACKING)
                _mm512_store_ps(at, xv[q]);
        }
#pragma GCC unroll 8
        for (int c = 0; c < cols; c++) {
            __m512 v = _mm512_maskz_loadu_ps(m, w[c] + k);
            __m512 wv = halves(v, v);
#pragma GCC unroll 3
            for (int q = 0; q < npairs; q++)
                acc[q][c] = _mm512_fmadd_ps(xv[q], wv, acc[q][c]);
        }
    }
    /* pair_sums of columns 0-3 (4-7): lane c (c - 4) row 2q, lane 8 + c
     * (8 + c - 4) row 2q + 1; one row's 8 columns from the two */
    const __m512i even_row = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 19, 18, 17, 16, 3, 2, 1, 0);
    const __m512i odd_row = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 27, 26, 25, 24, 11, 10, 9, 8);
#pragma GCC unroll 3
    for (int q = 0; q < npairs; q++) {
        __m512 s0 = pair_sums(acc[q][0], acc[q][imin(1, cols - 1)], acc[q][imin(2, cols - 1)],
                              acc[q][imin(3, cols - 1)], cols <= 2);
        __m512 s1 = cols <= 4 ? s0
                              : pair_sums(acc[q][4], acc[q][5], acc[q][imin(6, cols - 1)],
                                          acc[q][imin(7, cols - 1)], cols <= 6);
        float *row = y + (size_t)(2 * q) * O;
        if (2 * q < keep)
            _mm512_mask_storeu_ps(row, col_mask,
                                  _mm512_add_ps(_mm512_permutex2var_ps(s0, even_row, s1), bias));
        if (2 * q + 1 < keep)
            _mm512_mask_storeu_ps(row + O, col_mask,
                                  _mm512_add_ps(_mm512_permutex2var_ps(s0, odd_row, s1), bias));
    }
}

/* Columns o0 .. o0+cols (cols ≤ 8; pairs = ceil(cols / 2) and how constants)
 * of Y (B,O) = X·Wᵀ + b over whole rows: tiles of PAIR_TILE pairs of rows,
 * the last 4 pairs as two tiles of 2 (a tile of 1 pair is bound by its 9
 * loads for 8 FMAs), the last 1-2 as one tile; an odd B's last pair repeats
 * its row, which is not stored. */
static ALWAYS_INLINE void forward_strip_pairs(int pairs, int how, int cols, float *Y,
                                              const float *X, float *xp, const float *W,
                                              const float *b, int B, int I, int O, int o0)
{
    __mmask16 col_mask = first_lanes(cols);
    __m512 bias = b ? _mm512_maskz_loadu_ps(col_mask, b + o0) : _mm512_setzero_ps();
    const float *w[STRIP_COLS];
    for (int c = 0; c < STRIP_COLS; c++)
        w[c] = W + (size_t)(o0 + imin(c, cols - 1)) * I;
    int q = 0, npairs = (B + 1) / 2;
#define TILE(n)                                                                                 \
    pair_rows_tile(n, pairs, how, Y + (size_t)(2 * q) * O + o0, O, X + (size_t)(2 * q) * I,      \
                   xp + (size_t)q * row_pair_stream(I), w, I, B - 2 * q, bias, col_mask)
    for (; npairs - q >= PAIR_TILE && npairs - q != 4; q += PAIR_TILE)
        TILE(PAIR_TILE);
    for (; npairs - q >= 2; q += 2)
        TILE(2);
    if (q < npairs)
        TILE(1);
#undef TILE
}

/* forward_strip_pairs for a strip of 1..8 columns: one compiled copy per pair
 * count where this is inlined. */
static ALWAYS_INLINE void forward_strip_pairs_as(int how, int cols, float *Y, const float *X,
                                                 float *xp, const float *W, const float *b, int B,
                                                 int I, int O, int o0)
{
    _Static_assert(STRIP_COLS == 8, "one case per pair count");
    switch ((cols + 1) / 2) {
    case 4: forward_strip_pairs(4, how, cols, Y, X, xp, W, b, B, I, O, o0); break;
    case 3: forward_strip_pairs(3, how, cols, Y, X, xp, W, b, B, I, O, o0); break;
    case 2: forward_strip_pairs(2, how, cols, Y, X, xp, W, b, B, I, O, o0); break;
    default: forward_strip_pairs(1, how, cols, Y, X, xp, W, b, B, I, O, o0); break;
    }
}

/* One compiled copy per way of reading X. */
static __attribute__((noinline)) void forward_strip_pairs_cols(int how, int cols, float *Y,
                                                               const float *X, float *xp,
                                                               const float *W, const float *b,
                                                               int B, int I, int O, int o0)
{
    switch (how) {
    case X_PACKING: forward_strip_pairs_as(X_PACKING, cols, Y, X, xp, W, b, B, I, O, o0); break;
    case X_PACKED: forward_strip_pairs_as(X_PACKED, cols, Y, X, xp, W, b, B, I, O, o0); break;
    default: forward_strip_pairs_as(X_IN_PLACE, cols, Y, X, xp, W, b, B, I, O, o0); break;
    }
}

/* How many of the strips of columns [o0, o1) have up to 8 columns (all but
 * a last one of 9-10). */
static ALWAYS_INLINE int pair_strips(int o0, int o1)
{
    int n = 0;
    for (int c0 = o0, cols; c0 < o1; c0 += cols)
        n += (cols = strip_cols_at(c0, o1)) <= STRIP_COLS;
    return n;
}

/* Whether rows of I inputs go through forward_strip_pairs (their strips of up
 * to 8 columns; a last strip of 9-10 would need 30 accumulators, and
 * forward_strip_as keeps it): where W is not packed and rows are whole. */
static ALWAYS_INLINE bool forward_pairs_rows(int rows, int I, const nn_blocking *blocks)
{
    return !forward_packs(rows, I) && I <= blocks->blocked_from;
}

/* Columns [o0, o1) of Y (B,O) = act(X (B,I) · W (O,I)ᵀ + b (O)), in strips of
 * 8 columns from o0, the last of 9 or 10 when that many are left, one at a
 * time or in groups (forward_grouped). The activation runs over each finished
 * strip or group while it is in cache; or, when the range is whole rows, over
 * the block's rows at once, all 16 lanes busy (a strip of 10 columns would
 * spend 16 lanes on 8 and 2). Every element is the same chain whatever the
 * range or the grouping (see dot_tile_fma), and the activation is
 * elementwise. */
static void avx512_forward_cols(float *Y, const float *X, const float *W, const float *b,
                                int B, int I, int O, nn_act act, float slope, int o0, int o1,
                                float *scratch)
{
    _Static_assert(DOT_PAIRS == 5 && STRIP_COLS == 8, "one case per pair count");
    bool whole_rows = o0 == 0 && o1 == O;
    nn_blocking blocks = nn_blocking_active();
    for (int r0 = 0; r0 < B; r0 += blocks.row_block) {
        int rows = imin(blocks.row_block, B - r0);
        float *y = Y + (size_t)r0 * O;
        const float *x = X + (size_t)r0 * I;
        if (strips_per_group(rows, I, &blocks) > 1)
            forward_grouped(y, x, W, b, rows, I, O, act, slope, o0, o1, whole_rows, scratch,
                            &blocks);
        else {
            bool pairs = blocks.x_pairs && forward_pairs_rows(rows, I, &blocks);
            bool pack_x = pair_strips(o0, o1) >= PACK_X_FROM_STRIPS;
            for (int c0 = o0, cols; c0 < o1; c0 += cols) {
                cols = strip_cols_at(c0, o1);
                int how = !pack_x ? X_IN_PLACE : c0 == o0 ? X_PACKING : X_PACKED;
                if (pairs && cols <= STRIP_COLS) /* xp: X's pairs in scratch */
                    forward_strip_pairs_cols(how, cols, y, x, scratch, W, b, rows, I, O, c0);
                else
                    forward_strip_cols(cols, y, x, W, b, rows, I, O, c0, scratch, &blocks, 0, 0, I);
                if (!whole_rows)
                    act_cols(y + c0, O, rows, cols, act, slope);
            }
        }
        if (whole_rows && act != NN_ACT_NONE)
            avx512_act_forward(y, y, (size_t)rows * O, act, slope);
    }
}

static void avx512_forward(float *Y, const float *X, const float *W, const float *b,
                           int B, int I, int O, nn_act act, float slope, float *scratch)
{
    avx512_forward_cols(Y, X, W, b, B, I, O, act, slope, 0, O, scratch);
}

/* ---- backward: the MR×NR microkernel over packed panels ----------------------- */

/* The left operand A (M, K) as the microkernel reads it: the tile of rows m0..
 * starts at base + m0·tile_step; in it, element (r, k) is at r·row_step +
 * k·col_step. */
typedef struct gemm_lhs {
    const float *base;
    size_t tile_step, row_step, col_step;
} gemm_lhs;

/* Brings the line holding the float `floats` past p into L1 ahead of its use.
 * That address may lie past the end of p's buffer: a prefetch never faults,
 * and the address is computed as an integer (pointer arithmetic past the
 * buffer would be undefined). Large layers read rows of W, X and C whole
 * kilobytes apart, a stride the hardware prefetchers do not follow across
 * pages. */
static ALWAYS_INLINE void prefetch(const float *p, size_t floats)
{
    _mm_prefetch((const char *)((uintptr_t)p + floats * sizeof(float)), _MM_HINT_T0);
}

/* How many rows ahead the packing reads. */
enum { PACK_PREFETCH_ROWS = 8 };

/* C = A·P (SET) or C = A·P + C (ADD), C added last, as STORE_SET and
 * STORE_ADD in kernels_avx2.c. */
enum { STORE_SET = 0, STORE_ADD };

/* The lanes of c under m = acc (STORE_SET), or acc + c (STORE_ADD: the old
 * value added last, as the AVX2 and scalar kernels add it). */
static ALWAYS_INLINE void store_sums(float *c, __mmask16 m, __m512 acc, int store)
{
    if (store == STORE_ADD)
        acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(m, c));
    _mm512_mask_storeu_ps(c, m, acc);
}

/* C (rows, cols) at c with row stride ldc = A·P, stored as `store` says; A
 * (rows, K) at a; P (K, NR) the packed panel, or, when `packing`, read from
 * src (K, cols) with row stride ld_src and written to `panel` on the way. Only
 * the first nv = ceil(cols / 16) vectors of a row are touched; of those only
 * the last can be partial. rows (1..MR), nv (1..NV) and packing are
 * constants where this is inlined (store need not be): 24 accumulators, 3
 * panel vectors and a broadcast in the 32 registers. Each element of C is one
 * chain of FMAs over k in order from +0, as in kernels_avx2.c's gemm_tile. */
static ALWAYS_INLINE void gemm_tile(int rows, int nv, float *c, size_t ldc, const float *a,
                                    gemm_lhs lhs, float *panel, int K, int cols, int store,
                                    int packing, const float *src, size_t ld_src)
{
    __m512 acc[MR][NV];
    __mmask16 last_mask = first_lanes(cols - 16 * (nv - 1));
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            acc[r][v] = _mm512_setzero_ps();
            prefetch(c, (MR + r) * ldc + 16 * v); /* the next tile's C, rows far apart */
        }
#pragma GCC unroll 2
    for (int k = 0; k < K; k++, a += lhs.col_step, panel += NR) {
        __m512 p[NV];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            if (packing) {
                prefetch(src, PACK_PREFETCH_ROWS * ld_src + 16 * v);
                p[v] = v < nv - 1 ? _mm512_loadu_ps(src + 16 * v)
                                  : _mm512_maskz_loadu_ps(last_mask, src + 16 * v); /* zero-fills */
                _mm512_store_ps(panel + 16 * v, p[v]);
            } else {
                p[v] = _mm512_load_ps(panel + 16 * v);
            }
        }
        if (packing)
            src += ld_src;
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            __m512 ar = _mm512_set1_ps(a[r * lhs.row_step]);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                acc[r][v] = _mm512_fmadd_ps(ar, p[v], acc[r][v]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            store_sums(c + r * ldc + 16 * v, v < nv - 1 ? (__mmask16)0xFFFF : last_mask, acc[r][v],
                       store);
}

/* gemm_tile for rows in 1..MR, each count compiled on its own. */
static ALWAYS_INLINE void gemm_tile_rows(int rows, int nv, float *c, size_t ldc, const float *a,
                                         gemm_lhs lhs, float *panel, int K, int cols, int store)
{
    _Static_assert(MR == 8, "the cases below cover 1..8 rows");
#define TILE(n) gemm_tile(n, nv, c, ldc, a, lhs, panel, K, cols, store, 0, NULL, 0)
    if (rows == MR) {
        TILE(MR);
        return;
    }
    if (rows > 4) { /* 5-7 rows: 4, then the rest (fewer compiled copies) */
        TILE(4);
        c += 4 * ldc;
        a += 4 * lhs.row_step;
        rows -= 4;
    }
    switch (rows) {
    case 4: TILE(4); break;
    case 3: TILE(3); break;
    case 2: TILE(2); break;
    default: TILE(1); break;
    }
#undef TILE
}

/* panel (K, NR) = the first nv vectors of each row of src (K, cols), row
 * stride ld_src, zero past cols: what a packing tile writes, for a slice too
 * short (M < MR) to have a full first tile. */
static ALWAYS_INLINE void pack_slice(int nv, float *panel, const float *src, size_t ld_src, int K,
                                     int cols)
{
    __mmask16 last_mask = first_lanes(cols - 16 * (nv - 1));
    for (int k = 0; k < K; k++, src += ld_src, panel += NR)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            _mm512_store_ps(panel + 16 * v,
                            _mm512_maskz_loadu_ps(v < nv - 1 ? (__mmask16)0xFFFF : last_mask, src + 16 * v));
}

/* gemm_slice for slices of nv vectors (a constant where this is inlined). The
 * first tile packs the slice on the way when it has all MR rows; a shorter
 * slice is packed first. (Packing only in full tiles keeps the compiled
 * copies of the microkernel to those it needs: under the sanitizers every
 * copy costs seconds to compile.) */
static ALWAYS_INLINE void gemm_slice_nv(int nv, float *c, size_t ldc, int M, gemm_lhs lhs,
                                        const float *src, size_t ld_src, float *panel, int K,
                                        int cols, int store)
{
    int m0 = 0;
    if (M >= MR) {
        gemm_tile(MR, nv, c, ldc, lhs.base, lhs, panel, K, cols, store, 1, src, ld_src);
        m0 = MR;
    } else {
        pack_slice(nv, panel, src, ld_src, K, cols);
    }
    for (; m0 < M; m0 += MR)
        gemm_tile_rows(imin(MR, M - m0), nv, c + (size_t)m0 * ldc, ldc,
                       lhs.base + m0 * lhs.tile_step, lhs, panel, K, cols, store);
}

/* One NR-column slice of a backward GEMM: C (M, cols) at c with row stride ldc
 * = A (M, K) · S, S (K, cols) read at src with row stride ld_src; the first
 * tile of rows packs S into panel (K, NR), the others read it from L1. One
 * compiled copy serves both backward GEMMs, `store` chosen at run time (it
 * only decides the tiles' last step). */
static __attribute__((noinline)) void gemm_slice(float *c, size_t ldc, int M, gemm_lhs lhs,
                                                 const float *src, size_t ld_src, float *panel,
                                                 int K, int cols, int store)
{
    _Static_assert(NV == 3, "one case per vector count");
    switch ((cols + 15) / 16) {
    case 3: gemm_slice_nv(3, c, ldc, M, lhs, src, ld_src, panel, K, cols, store); break;
    case 2: gemm_slice_nv(2, c, ldc, M, lhs, src, ld_src, panel, K, cols, store); break;
    default: gemm_slice_nv(1, c, ldc, M, lhs, src, ld_src, panel, K, cols, store); break;
    }
}

/* Layers with FEW_OUTPUTS_FROM..FEW_OUTPUTS_TO outputs (the 10 classes of
 * every experiment) take both backward products in kernels of their own,
 * without packing, 32 columns at a time: for dW the MR×NR tiles would run 8 of
 * its O rows and then the rest, for dX spend a K of 9-12 on a tile's setup
 * and stores; the products are of a few hundred thousand FLOPs. */
enum { FEW_OUTPUTS_FROM = MR + 1, FEW_OUTPUTS_TO = 12, FEW_NV = 2, FEW_COLS = 16 * FEW_NV };

/* p + floats as an address, computed as an integer: the second vector of a
 * panel of 16 columns or fewer lies past the end of the last row, where its
 * masked (all-off) loads and stores never reach, but where pointer arithmetic
 * would be undefined. */
static ALWAYS_INLINE float *vector_at(const float *p, size_t floats)
{
    return (float *)((uintptr_t)p + floats * sizeof(float));
}

/* The lanes of columns [0, cols) in each of a panel's FEW_NV vectors. */
static ALWAYS_INLINE void few_masks(__mmask16 m[FEW_NV], int cols)
{
    for (int v = 0; v < FEW_NV; v++)
        m[v] = first_lanes(imin(16, cols > 16 * v ? cols - 16 * v : 0));
}

/* dX, FEW_ROWS rows at a time with O ≤ 10 (2 with 11-12): the panel of W (O, ≤ 32
 * columns) lives in registers (≤ 24 of them) while every row of dY streams past. */
enum { FEW_ROWS = 4 };

/* dX (keep ≤ rows, cols ≤ FEW_COLS) at dx, row stride I, = dY (keep, O at row
 * stride O) · w, w[o][v] the panel of W: each element the chain of FMAs over o
 * in order from +0, as gemm_tile gives it; m the panel's lanes (few_masks).
 * rows and O are constants where this is inlined; keep need not be: rows past
 * it repeat the last kept one and are not stored (one compiled copy for the
 * batch's leftover rows). */
static ALWAYS_INLINE void few_outputs_input_rows(int rows, int keep, int O, float *dx, int I,
                                                 const float *dY,
                                                 __m512 w[FEW_OUTPUTS_TO][FEW_NV],
                                                 const __mmask16 m[FEW_NV])
{
    __m512 acc[FEW_ROWS][FEW_NV];
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 2
        for (int v = 0; v < FEW_NV; v++)
            acc[r][v] = _mm512_setzero_ps();
#pragma GCC unroll 12
    for (int o = 0; o < O; o++)
#pragma GCC unroll 4
        for (int r = 0; r < rows; r++) {
            __m512 a = _mm512_set1_ps(dY[imin(r, keep - 1) * O + o]);
#pragma GCC unroll 2
            for (int v = 0; v < FEW_NV; v++)
                acc[r][v] = _mm512_fmadd_ps(a, w[o][v], acc[r][v]);
        }
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++)
        if (r < keep)
#pragma GCC unroll 2
            for (int v = 0; v < FEW_NV; v++)
                _mm512_mask_storeu_ps(vector_at(dx, (size_t)r * I + 16 * v), m[v], acc[r][v]);
}

/* Rows [r0, r1) and columns [n0, n0 + cols) (cols ≤ FEW_COLS) of dX (B,I) =
 * dY (B,O) · W (O,I); O a constant where this is inlined. */
static ALWAYS_INLINE void few_outputs_input_panel(int O, float *dX, const float *dY,
                                                  const float *W, int r0, int r1, int I, int n0,
                                                  int cols)
{
    __mmask16 m[FEW_NV];
    few_masks(m, cols);
    __m512 w[FEW_OUTPUTS_TO][FEW_NV];
#pragma GCC unroll 12
    for (int o = 0; o < O; o++)
#pragma GCC unroll 2
        for (int v = 0; v < FEW_NV; v++)
            w[o][v] = _mm512_maskz_loadu_ps(m[v], vector_at(W, (size_t)o * I + n0 + 16 * v));
    const int step = O <= 10 ? FEW_ROWS : 2;
    int r = r0;
    for (; r + step <= r1; r += step)
        few_outputs_input_rows(step, step, O, dX + (size_t)r * I + n0, I, dY + (size_t)r * O, w, m);
    if (r < r1)
        few_outputs_input_rows(step, r1 - r, O, dX + (size_t)r * I + n0, I, dY + (size_t)r * O, w, m);
}

/* Rows in blocks of FEW_ROW_BLOCK, each block's columns panel by panel: the
 * block's rows of dX are written as FEW_ROW_BLOCK streams, not B (a batch of
 * 512 rows of 4096 written panel by panel ran at 84 GFLOP/s, against 107 for
 * the MR×NR tiles; in blocks of 16 rows 180, of 64 rows 81, on a Zen 5); W's
 * panels are loaded again for every block. Whole panels get constant masks,
 * as in few_outputs_rows (128x256->10 at 158 -> 169 GFLOP/s on an Emerald
 * Rapids). */
enum { FEW_ROW_BLOCK = 16 };

static ALWAYS_INLINE void few_outputs_input_as(int O, float *dX, const float *dY, const float *W,
                                               int B, int I, int i0, int i1)
{
    for (int r0 = 0; r0 < B; r0 += FEW_ROW_BLOCK) {
        int n0 = i0, r1 = imin(B, r0 + FEW_ROW_BLOCK);
        for (; n0 + FEW_COLS <= i1; n0 += FEW_COLS)
            few_outputs_input_panel(O, dX, dY, W, r0, r1, I, n0, FEW_COLS);
        if (n0 < i1)
            few_outputs_input_panel(O, dX, dY, W, r0, r1, I, n0, i1 - n0);
    }
}

static __attribute__((noinline)) void few_outputs_input(float *dX, const float *dY,
                                                        const float *W, int B, int I, int O,
                                                        int i0, int i1)
{
    _Static_assert(FEW_OUTPUTS_FROM == 9 && FEW_OUTPUTS_TO == 12, "one case per output count");
    switch (O) {
    case 9: few_outputs_input_as(9, dX, dY, W, B, I, i0, i1); break;
    case 10: few_outputs_input_as(10, dX, dY, W, B, I, i0, i1); break;
    case 11: few_outputs_input_as(11, dX, dY, W, B, I, i0, i1); break;
    default: few_outputs_input_as(12, dX, dY, W, B, I, i0, i1); break;
    }
}

/* Columns [i0, i1) of dX (B,I) = dY (B,O) · W (O,I); scratch holds the packed
 * slice (O, NR) of W. */
static void avx512_backward_input_cols(float *dX, const float *dY, const float *W,
                                       int B, int I, int O, int i0, int i1, float *scratch)
{
    if (O >= FEW_OUTPUTS_FROM && O <= FEW_OUTPUTS_TO) {
        few_outputs_input(dX, dY, W, B, I, O, i0, i1);
        return;
    }
    gemm_lhs dy_rows = {.base = dY, .tile_step = (size_t)O, .row_step = (size_t)O, .col_step = 1};
    for (int n0 = i0; n0 < i1; n0 += NR)
        gemm_slice(dX + n0, (size_t)I, B, dy_rows, W + n0, (size_t)I, scratch, O,
                   imin(NR, i1 - n0), STORE_SET);
}

static void avx512_backward_input(float *dX, const float *dY, const float *W,
                                  int B, int I, int O, float *scratch)
{
    avx512_backward_input_cols(dX, dY, W, B, I, O, 0, I, scratch);
}

/* db[o0 .. o0+16n) (+)= Σ_r dY[r] for n vectors (a constant, 1..8), the last
 * one masked by `last`: as bias_grad_group in kernels_avx2.c, Σ_r in order,
 * then db + Σ. */
static ALWAYS_INLINE void bias_grad_group(int n, float *db, const float *dY, int B, int O,
                                          __mmask16 last, int fresh)
{
    __m512 s[8];
#pragma GCC unroll 8
    for (int v = 0; v < n; v++)
        s[v] = _mm512_setzero_ps();
    for (int r = 0; r < B; r++, dY += O)
#pragma GCC unroll 8
        for (int v = 0; v < n; v++)
            s[v] = _mm512_add_ps(s[v], _mm512_maskz_loadu_ps(v < n - 1 ? (__mmask16)0xFFFF : last,
                                                             dY + 16 * v));
#pragma GCC unroll 8
    for (int v = 0; v < n; v++) {
        __mmask16 m = v < n - 1 ? (__mmask16)0xFFFF : last;
        if (!fresh)
            s[v] = _mm512_add_ps(_mm512_maskz_loadu_ps(m, db + 16 * v), s[v]);
        _mm512_mask_storeu_ps(db + 16 * v, m, s[v]);
    }
}

/* db (O) (+)= Σ_r dY[r] (see bias_grad in kernels_avx2.c). */
static ALWAYS_INLINE void bias_grad(float *db, const float *dY, int B, int O, int fresh)
{
    int o0 = 0;
    for (; o0 + 128 <= O; o0 += 128)
        bias_grad_group(8, db + o0, dY + o0, B, O, 0xFFFF, fresh);
    if (o0 == O)
        return;
    int n = (O - o0 + 15) / 16;
    __mmask16 last = first_lanes(O - o0 - 16 * (n - 1));
#define GROUP(k) bias_grad_group(k, db + o0, dY + o0, B, O, last, fresh)
    switch (n) {
    case 8: GROUP(8); break; /* 113-127 columns left */
    case 7: GROUP(7); break;
    case 6: GROUP(6); break;
    case 5: GROUP(5); break;
    case 4: GROUP(4); break;
    case 3: GROUP(3); break;
    case 2: GROUP(2); break;
    default: GROUP(1); break;
    }
#undef GROUP
}

/* dyt (ceil(O/MR) blocks of (B, MR)) = dY (B,O)ᵀ cut into MR-row blocks, as
 * pack_transposed_blocks in kernels_avx2.c; lanes past O are zero. */
static void pack_transposed_blocks(float *dyt, const float *dY, int B, int O)
{
    _Static_assert(MR == 8, "one 8-lane vector per row of a block");
    int m0 = 0;
    for (; m0 + MR <= O; m0 += MR, dyt += (size_t)B * MR)
        for (int k = 0; k < B; k++)
            _mm256_store_ps(dyt + (size_t)k * MR, _mm256_loadu_ps(dY + (size_t)k * O + m0));
    if (m0 < O) {
        __mmask16 m = first_lanes(O - m0);
        for (int k = 0; k < B; k++)
            _mm256_store_ps(dyt + (size_t)k * MR, low8(_mm512_maskz_loadu_ps(m, dY + (size_t)k * O + m0)));
    }
}

/* Layers with FEW_OUTPUTS_FROM..FEW_OUTPUTS_TO outputs get dW in tiles of
 * all O rows × 32 columns, read straight from dY and X: one pass over X, no
 * packing, no transpose, where the MR×NR tiles would run 8 rows and then the
 * other 1-4, packing X and transposing dY. */
/* dW (rows, cols ≤ FEW_COLS) at dw, row stride I, = (SET) or += (ADD) dY
 * (B, rows at row stride O)ᵀ · X (B, cols at row stride I): each element the
 * chain of FMAs over the batch in order from +0, then + old, as gemm_tile
 * gives it; with db (the first tile of a call), db (rows) (+)= Σ_k dY[k] as
 * well, the same chain of adds bias_grad takes. rows (≤ FEW_OUTPUTS_TO) is a
 * constant where this is inlined: 24 accumulators and 2 vectors of X, dY
 * broadcast from memory. Lanes past cols are masked (a 16-column tail computes
 * zeros in the second vector: one compiled copy for every width). db inside
 * the loop: 32x64->10 at 203-212 GFLOP/s against 191-197 with bias_grad's
 * separate pass (bench_kernels 0.3 --shape, Zen 5, 3 alternating runs),
 * OpenBLAS 205-213. */
static ALWAYS_INLINE void few_outputs_tile(int rows, float *dw, float *db, const float *dY,
                                           const float *X, int B, int I, int O, int cols,
                                           int store)
{
    __m512 acc[FEW_OUTPUTS_TO][FEW_NV];
    __mmask16 m[FEW_NV], row_mask = first_lanes(rows);
    __m512 bias_sum = _mm512_setzero_ps();
    few_masks(m, cols);
#pragma GCC unroll 12
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 2
        for (int v = 0; v < FEW_NV; v++)
            acc[r][v] = _mm512_setzero_ps();
    for (int k = 0; k < B; k++) {
        __m512 x[FEW_NV];
#pragma GCC unroll 2
        for (int v = 0; v < FEW_NV; v++)
            x[v] = _mm512_maskz_loadu_ps(m[v], vector_at(X, (size_t)k * I + 16 * v));
#pragma GCC unroll 2
        for (int v = 0; v < FEW_NV; v++)
            prefetch(X, (size_t)(k + 8) * I + 16 * v);
#pragma GCC unroll 12
        for (int r = 0; r < rows; r++) {
            __m512 a = _mm512_set1_ps(dY[(size_t)k * O + r]);
#pragma GCC unroll 2
            for (int v = 0; v < FEW_NV; v++)
                acc[r][v] = _mm512_fmadd_ps(a, x[v], acc[r][v]);
        }
        if (db)
            bias_sum = _mm512_add_ps(bias_sum, _mm512_maskz_loadu_ps(row_mask, dY + (size_t)k * O));
    }
#pragma GCC unroll 12
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 2
        for (int v = 0; v < FEW_NV; v++)
            store_sums(vector_at(dw, (size_t)r * I + 16 * v), m[v], acc[r][v], store);
    if (db) /* the sum over rows in order from +0, then + old: bias_grad's bits */
        store_sums(db, row_mask, bias_sum, store);
}

/* Columns [i0, i1) of dW (rows = O, I) (+)= dY (B,O)ᵀ · X (B,I) in
 * few_outputs_tile's tiles; rows a constant where this is inlined. Whole
 * tiles get their own copy, whose column masks are constants (plain loads):
 * with the masks as variables, gcc reloads two of them into mask registers
 * every step of the batch, and on an Intel core that move takes port 5,
 * which is also its second FMA unit (32x64->10 at 127-128 GFLOP/s against
 * 157 for OpenBLAS, Emerald Rapids, docs/performance.md). */
static ALWAYS_INLINE void few_outputs_rows(int rows, float *dW, float *db, const float *dY,
                                           const float *X, int B, int I, int i0, int i1, int store)
{
    int n0 = i0;
    for (; n0 + FEW_COLS <= i1; n0 += FEW_COLS, db = NULL)
        few_outputs_tile(rows, dW + n0, db, dY, X + n0, B, I, rows, FEW_COLS, store);
    if (n0 < i1)
        few_outputs_tile(rows, dW + n0, db, dY, X + n0, B, I, rows, i1 - n0, store);
}

static __attribute__((noinline)) void few_outputs_weights(float *dW, float *db, const float *dY,
                                                          const float *X, int B, int I, int O,
                                                          int i0, int i1, int store)
{
    _Static_assert(FEW_OUTPUTS_FROM == 9 && FEW_OUTPUTS_TO == 12, "one case per row count");
    switch (O) {
    case 9: few_outputs_rows(9, dW, db, dY, X, B, I, i0, i1, store); break;
    case 10: few_outputs_rows(10, dW, db, dY, X, B, I, i0, i1, store); break;
    case 11: few_outputs_rows(11, dW, db, dY, X, B, I, i0, i1, store); break;
    default: few_outputs_rows(12, dW, db, dY, X, B, I, i0, i1, store); break;
    }
}

/* Columns [i0, i1) of dW (O,I) (+)= dY (B,O)ᵀ · X (B,I), and db (O) likewise
 * when given (see kernels_avx2.c's backward_weights). */
static ALWAYS_INLINE void backward_weights(float *dW, float *db, const float *dY, const float *X,
                                           int B, int I, int O, int i0, int i1, float *scratch,
                                           int fresh)
{
    if (O >= FEW_OUTPUTS_FROM && O <= FEW_OUTPUTS_TO) {
        /* db rides along in the first tile's loop over the batch (alone, its
         * chain of B dependent adds cost 3-10 % of this small product); an
         * empty range of columns has no tile to carry it */
        if (db && i1 <= i0)
            bias_grad(db, dY, B, O, fresh);
        few_outputs_weights(dW, db, dY, X, B, I, O, i0, i1, fresh ? STORE_SET : STORE_ADD);
        return;
    }
    if (db)
        bias_grad(db, dY, B, O, fresh);
    float *x_panel = scratch, *dyt = scratch + (size_t)B * NR;
    pack_transposed_blocks(dyt, dY, B, O);
    gemm_lhs dyt_blocks = {.base = dyt, .tile_step = (size_t)B, .row_step = 1, .col_step = MR};
    for (int n0 = i0; n0 < i1; n0 += NR)
        gemm_slice(dW + n0, (size_t)I, O, dyt_blocks, X + n0, (size_t)I, x_panel, B,
                   imin(NR, i1 - n0), fresh ? STORE_SET : STORE_ADD);
}

static void avx512_backward_weights_cols(float *dW, float *db, const float *dY, const float *X,
                                         int B, int I, int O, int i0, int i1, bool fresh,
                                         float *scratch)
{
    if (fresh)
        backward_weights(dW, db, dY, X, B, I, O, i0, i1, scratch, 1);
    else
        backward_weights(dW, db, dY, X, B, I, O, i0, i1, scratch, 0);
}

/* The whole calls go through the _cols entry: one compiled copy of each. */
static void avx512_backward_weights(float *dW, float *db, const float *dY, const float *X,
                                    int B, int I, int O, float *scratch)
{
    avx512_backward_weights_cols(dW, db, dY, X, B, I, O, 0, I, false, scratch);
}

static void avx512_backward_weights_fresh(float *dW, float *db, const float *dY, const float *X,
                                          int B, int I, int O, float *scratch)
{
    avx512_backward_weights_cols(dW, db, dY, X, B, I, O, 0, I, true, scratch);
}

/* ---- e^x in double (kernels_exp.h), 8 lanes ------------------------------------ */

/* y (n) = e^x (n), as avx2_exp_doubles in kernels_avx2.c, 8 lanes at a time. */
static void avx512_exp_doubles(double *y, const double *x, size_t n)
{
    const __m512i exponent = _mm512_set1_epi64(0x7ff), index = _mm512_set1_epi64(NN_EXP_TABLE_SIZE - 1);
    const __m512i fast_from = _mm512_set1_epi64(NN_EXP_FAST_FROM);
    const __m512i fast_to = _mm512_set1_epi64(NN_EXP_FAST_TO);
    const __m512d shift = _mm512_set1_pd(NN_EXP_SHIFT), one = _mm512_set1_pd(1.0);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d xv = _mm512_loadu_pd(x + i);
        __m512i abstop = _mm512_and_si512(_mm512_srli_epi64(_mm512_castpd_si512(xv), 52), exponent);
        if (_mm512_cmpgt_epu64_mask(abstop, fast_to)) {
            for (size_t l = i; l < i + 8; l++)
                y[l] = nn_exp_double(x[l]);
            continue;
        }
        __m512d kd = _mm512_fmadd_pd(xv, _mm512_set1_pd(NN_EXP_INV_LN2_N), shift);
        __m512i ki = _mm512_castpd_si512(kd);
        kd = _mm512_sub_pd(kd, shift);
        __m512d r = _mm512_fmadd_pd(kd, _mm512_set1_pd(NN_EXP_NEG_LN2_HI_N), xv);
        r = _mm512_fmadd_pd(kd, _mm512_set1_pd(NN_EXP_NEG_LN2_LO_N), r);
        __m512i idx = _mm512_slli_epi64(_mm512_and_si512(ki, index), 1);
        __m512d tail = _mm512_i64gather_pd(idx, (const void *)nn_exp_table, 8);
        __m512i top = _mm512_slli_epi64(ki, 52 - NN_EXP_TABLE_BITS);
        __m512d scale = _mm512_castsi512_pd(
            _mm512_add_epi64(_mm512_i64gather_epi64(idx, (const void *)(nn_exp_table + 1), 8), top));
        __m512d r2 = _mm512_mul_pd(r, r);
        __m512d low = _mm512_fmadd_pd(
            _mm512_fmadd_pd(r, _mm512_set1_pd(NN_EXP_C3), _mm512_set1_pd(NN_EXP_C2)), r2,
            _mm512_add_pd(r, tail));
        __m512d tmp = _mm512_fmadd_pd(
            _mm512_mul_pd(r2, r2),
            _mm512_fmadd_pd(r, _mm512_set1_pd(NN_EXP_C5), _mm512_set1_pd(NN_EXP_C4)), low);
        __m512d e = _mm512_fmadd_pd(scale, tmp, scale);
        __mmask8 tiny = _mm512_cmplt_epu64_mask(abstop, fast_from);
        _mm512_storeu_pd(y + i, _mm512_mask_blend_pd(tiny, e, _mm512_add_pd(one, xv)));
    }
    for (; i < n; i++)
        y[i] = nn_exp_double(x[i]);
}

/* y (n) = x (n) · scale + shift, as avx2_bytes_to_floats, 16 at a time (one
 * vpmovzxbd per 16 bytes); the last n % 16 through a zeroed 16-byte copy and
 * a masked store (AVX-512F has no byte-masked load). bench_data on a Zen 5,
 * an epoch of batch-32 loads, best of 15, 5 alternating runs: 3.1-3.3 ms in
 * order and 4.6-5.0 shuffled, against 4.9-5.3 and 5.9-6.3 with the AVX2 loop
 * gcc wrote for the C (one noisy pair: 4.3 / 6.9 against 5.0 / 7.2). */
static ALWAYS_INLINE __m512 bytes16_to_floats(__m128i bytes, __m512 scale, __m512 shift)
{
    return _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes)), scale),
                         shift);
}

static void avx512_bytes_to_floats(float *y, const uint8_t *x, size_t n, float scale, float shift)
{
    const __m512 s = _mm512_set1_ps(scale), t = _mm512_set1_ps(shift);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, bytes16_to_floats(_mm_loadu_si128((const __m128i *)(const void *)(x + i)), s, t));
    if (i < n) {
        uint8_t last[16] = {0};
        for (size_t k = 0; k < n - i; k++)
            last[k] = x[i + k];
        _mm512_mask_storeu_ps(y + i, first_lanes((int)(n - i)),
                              bytes16_to_floats(_mm_loadu_si128((const __m128i *)(const void *)last), s, t));
    }
}

static const nn_dense_kernels avx512_kernels = {
    .name = "avx512",
    .forward = avx512_forward,
    .backward_input = avx512_backward_input,
    .backward_weights = avx512_backward_weights,
    .backward_weights_fresh = avx512_backward_weights_fresh,
    .act_forward = avx512_act_forward,
    .act_backward = avx512_act_backward,
    .exp_doubles = avx512_exp_doubles,
    .bytes_to_floats = avx512_bytes_to_floats,
    .forward_cols = avx512_forward_cols,
    .backward_input_cols = avx512_backward_input_cols,
    .backward_weights_cols = avx512_backward_weights_cols,
};

const nn_dense_kernels *nn_kernels_avx512_unchecked(void) { return &avx512_kernels; }
