/* Internal to the engine: what kernels_dispatch.c needs to know about the
 * AVX-512F kernels. Include nothing from here outside engine/kernels_*.c. */
#ifndef NN_KERNELS_AVX512_H
#define NN_KERNELS_AVX512_H

#include "kernels_blocking.h"
#include "nn_kernels.h"

/* The backward microkernel's tile is TILE_ROWS × PANEL_COLS. Scratch use:
 *   backward_input    W in (O, PANEL_COLS) slices
 *   backward_weights  X in (B, PANEL_COLS) slices, then dYᵀ in blocks of
 *                     (B, TILE_ROWS): B · (O rounded up to TILE_ROWS) floats
 *   forward           up to 10 rows of W interleaved pairwise: 10 · (I rounded
 *                     up to 8); when I is longer than the blocking's
 *                     blocked_from (kernels_blocking.h), 10 · its k_block, then
 *                     the accumulators of a block of up to row_block rows'
 *                     tiles between blocks of k: 320 floats a tile of 4 rows,
 *                     for each of FORWARD_GROUP strips from FORWARD_GROUP_FROM
 *                     inputs (where a row block's X can outgrow L2: row_block
 *                     rows of more than 2048 inputs, see kernels_avx512.c's
 *                     strips_per_group); or, below FORWARD_PACKS_FROM rows
 *                     (where W is not packed) of up to blocked_from inputs,
 *                     the rows of X interleaved pairwise: ceil(rows / 2) ·
 *                     16 · ceil(I / 8) floats (kernels_avx512.c,
 *                     forward_strip_pairs).
 *                     Sized here for any blocking nn_blocking_set takes, at
 *                     NN_K_BLOCK_MAX floats a row of W in every case, so the
 *                     tiles always start at the same 64-byte-aligned place. */
#define NN_AVX512_TILE_ROWS 8
#define NN_AVX512_PANEL_COLS 48
#define NN_AVX512_FORWARD_STRIP_ROWS_OF_W 10
#define NN_AVX512_FORWARD_TILE_SAVED (4 * 5 * 16)
#define NN_AVX512_FORWARD_GROUP 4
#define NN_AVX512_FORWARD_GROUP_FROM 2048
#define NN_AVX512_FORWARD_PACKS_FROM 64

static inline size_t nn_avx512_scratch_floats(int B, int I, int O)
{
    size_t b = (size_t)(B > 0 ? B : 1), o = (size_t)(O > 0 ? O : 1);
    size_t o_rounded = (o + NN_AVX512_TILE_ROWS - 1) / NN_AVX512_TILE_ROWS * NN_AVX512_TILE_ROWS;
    size_t backward_input = o * NN_AVX512_PANEL_COLS;
    size_t backward_weights = b * NN_AVX512_PANEL_COLS + b * o_rounded;
    size_t forward = NN_AVX512_FORWARD_STRIP_ROWS_OF_W * (((size_t)(I > 0 ? I : 1) + 7) / 8 * 8);
    if (I > NN_BLOCKED_FROM_MIN) {
        size_t rows = b < NN_ROW_BLOCK_MAX ? b : NN_ROW_BLOCK_MAX;
        size_t strips = I > NN_AVX512_FORWARD_GROUP_FROM ? NN_AVX512_FORWARD_GROUP : 1;
        size_t blocked = NN_AVX512_FORWARD_STRIP_ROWS_OF_W * NN_K_BLOCK_MAX +
                         strips * ((rows + 3) / 4) * NN_AVX512_FORWARD_TILE_SAVED;
        forward = forward > blocked ? forward : blocked;
    }
    if (I <= NN_BLOCKED_FROM_MAX) {
        size_t rows = b < NN_AVX512_FORWARD_PACKS_FROM ? b : NN_AVX512_FORWARD_PACKS_FROM - 1;
        size_t row_pairs = (rows + 1) / 2 * (((size_t)(I > 0 ? I : 1) + 7) / 8 * 16);
        forward = forward > row_pairs ? forward : row_pairs;
    }
    size_t need = backward_input > backward_weights ? backward_input : backward_weights;
    return need > forward ? need : forward;
}

/* The AVX-512F table with no CPU check: executing any entry on a CPU without
 * AVX-512F, AVX2 and FMA is an illegal instruction. Only nn_kernels_avx512()
 * calls this. */
const nn_dense_kernels *nn_kernels_avx512_unchecked(void);

#endif
