/* The cache blocking of the AVX-512 forward, chosen per CPU from its data
 * cache sizes (CPUID), and its small-batch tile, chosen by vendor, by one
 * documented rule. Every blocking gives the same bits (each output is the
 * same chain of FMAs whatever the blocks or tiles, see kernels_avx512.c), so
 * the choice is speed alone; tests and benchmarks may set another. */
#ifndef NN_KERNELS_BLOCKING_H
#define NN_KERNELS_BLOCKING_H

#include <stdbool.h>
#include <stdint.h>

/* Data cache sizes in bytes, 0 where CPUID does not say. */
typedef struct nn_cpu_caches {
    uint32_t l1d, l2, l3;
} nn_cpu_caches;

/* Adds what one subleaf of CPUID leaf 4 (Intel) or 0x8000001D (AMD) describes
 * (the two share a layout: EAX type and level, EBX ways, partitions and line
 * size, ECX sets) to *caches: a data or unified cache of level 1 (data only),
 * 2 or 3. Returns 0 when the subleaf lists no cache (the end of the list). */
int nn_cpu_caches_add_leaf(nn_cpu_caches *caches, uint32_t eax, uint32_t ebx, uint32_t ecx);

/* Whether CPUID's vendor is GenuineIntel; false off x86. Read once a process. */
bool nn_cpu_is_intel(void);

/* This CPU's caches: leaf 0x8000001D on AMD (with TopologyExtensions), else
 * leaf 4; L1d and L2 from AMD's leaves 0x80000005/6 where those gave none;
 * all zero off x86 or where nothing answers. */
nn_cpu_caches nn_cpu_caches_detect(void);

/* The AVX-512 forward's blocks (kernels_avx512.c):
 *   blocked_from  rows of X and W longer than this go in blocks of k: a strip
 *                 holds 8 rows of W and a tile 4 rows of X, 12 rows of k floats
 *                 that L1d must hold at once. The largest multiple of 64 whose
 *                 12 rows fit L1d, in [256, 2048]: 1024 for 48 KiB (Zen 5, where
 *                 it was measured: at 1024 inputs whole rows ran at 88 % of the
 *                 peak against 78 % in blocks; from 1536 blocks won by 15-25 %),
 *                 640 for 32 KiB. 1024 when L1d is unknown.
 *   k_block       k per block: half of blocked_from (a multiple of 16): 512 on
 *                 Zen 5 (68-72 % at 4096 -> 4096 against 58 % for 1024).
 *   row_block     rows of X per block, whose X stays in L2 while every strip of
 *                 W passes over it: 128 rows per MiB of L2 (Zen 5's 1 MiB: 400
 *                 KB of X at 784 inputs, a batch of 128 in one block), a multiple
 *                 of 4 in [32, 256]. 128 when L2 is unknown. Where a row
 *                 block's X outgrows L2 (more than row_block · 2048 floats:
 *                 128 rows of more than 2048 inputs on a Zen 5), strips of W
 *                 take each block of k in groups of 4, so that X's block is
 *                 read from L3 once a group, not once a strip (kernels_avx512.c,
 *                 strips_per_group).
 *   x_pairs       below 64 rows, where W is not packed and rows are whole (up
 *                 to blocked_from): 1 for tiles of pairs of rows of X, each
 *                 row of W broadcast (forward_strip_pairs, strips of up to 8),
 *                 0 for pairs of rows of W, each row of X broadcast. 1 on
 *                 Intel, whose second 512-bit FMA unit shares port 5 with the
 *                 shuffles that put two rows of W in a register (Emerald
 *                 Rapids: 32x784->64 at 161 GFLOP/s against 144, 91 % of the
 *                 peak against 81 %); 0 elsewhere (a Zen 5 ran pairs of rows of
 *                 X, packed once a call, no faster in the seed's epoch:
 *                 docs/performance.md). */
typedef struct nn_blocking {
    int blocked_from, k_block, row_block, x_pairs;
} nn_blocking;

enum {
    NN_BLOCKED_FROM_MIN = 256,
    NN_BLOCKED_FROM_MAX = 2048,
    NN_K_BLOCK_MAX = NN_BLOCKED_FROM_MAX / 2, /* scratch is sized for these */
    NN_ROW_BLOCK_MIN = 32,
    NN_ROW_BLOCK_MAX = 256,
};

/* The rule above, for a CPU with these caches, Intel's or not. Pure. */
nn_blocking nn_blocking_for(nn_cpu_caches caches, bool intel);

/* The blocking in use: nn_blocking_for(this CPU's caches and vendor), decided once
 * (thread-safe), or what nn_blocking_set last gave. */
nn_blocking nn_blocking_active(void);

/* For tests and benchmarks, between runs (never while a kernel runs): use
 * `blocking` from now on, or the detected one again when NULL. Returns 0, or
 * -1 and changes nothing when a field is outside the ranges above, k_block is
 * not a multiple of 16, row_block not one of 4 or x_pairs not 0 or 1. */
int nn_blocking_set(const nn_blocking *blocking);

#endif
