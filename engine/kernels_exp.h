/* Internal to the kernels: e^x in double, the way glibc's exp (2.28 and
 * later, Arm's optimized-routines algorithm) computes it on CPUs with FMA and
 * AVX2, where its ifunc picks the copy built with -mfma: operation for
 * operation, so the same bits. The cross-entropy takes its exponentials in
 * double, and the committed results hold the bits glibc's exp gave them; the
 * kernel tables' exp_doubles run this 4 or 8 lanes at a time and the scalar
 * one (nn_exp_double) one at a time, all giving the same bits.
 *
 *   k = round(x · 128/ln 2) (by adding and subtracting 1.5·2^52), r = x - k·ln2/128
 *   (in two FMAs, hi and lo), e^x = 2^(k/128) · (1 + tail + r + r²/2 + ... ),
 *   the polynomial of degree 5 in r, 2^(k/128) from a table of 128 entries.
 *
 * The fast path covers |x| in [2^-54, 512) (x's biased exponent in
 * [0x3c9, 0x407]); below it e^x = 1 + x; from 512 (overflow, underflow,
 * subnormal results), inf and NaN, every path calls exp() itself. */
#ifndef NN_KERNELS_EXP_H
#define NN_KERNELS_EXP_H

#include <stdint.h>

#define NN_EXP_TABLE_BITS 7
#define NN_EXP_TABLE_SIZE (1 << NN_EXP_TABLE_BITS)

/* (tail, scale bits) pairs: see kernels_exp_data.c. */
extern const uint64_t nn_exp_table[2 * NN_EXP_TABLE_SIZE];

#define NN_EXP_INV_LN2_N 0x1.71547652b82fep+7       /* 128 / ln 2 */
#define NN_EXP_NEG_LN2_HI_N (-0x1.62e42fefa0000p-8) /* -ln 2 / 128, high part */
#define NN_EXP_NEG_LN2_LO_N (-0x1.cf79abc9e3b3ap-47) /* and the rest */
#define NN_EXP_SHIFT 0x1.8p52                        /* rounds to an integer when added */
#define NN_EXP_C2 0x1.ffffffffffdbdp-2
#define NN_EXP_C3 0x1.555555555543cp-3
#define NN_EXP_C4 0x1.55555cf172b91p-5
#define NN_EXP_C5 0x1.1111167a4d017p-7

/* x's biased exponent: the fast path takes [NN_EXP_FAST_FROM, NN_EXP_FAST_TO]. */
#define NN_EXP_FAST_FROM 0x3c9u /* 2^-54 */
#define NN_EXP_FAST_TO 0x407u   /* below 512 */

/* e^x, one at a time (kernels_exp_data.c): the fast path with fma(), 1 + x
 * below it, exp() above it. The vector copies call it for lanes out of the
 * fast path. */
double nn_exp_double(double x);

#endif
