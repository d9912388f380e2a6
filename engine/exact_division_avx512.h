/* a / c for 16 floats by one multiply and four FMAs, with the bits of the
 * division (VDIVPS), for a divisor c shared by every lane whose reciprocal
 * y = RN(1/c) was computed once by a division. Adam's division by its bias
 * correction (nn_optim.c) takes it, leaving the divider to the square root
 * and the update's division.
 *
 * Why it is exact (RN: rounding to nearest even; p = 24; q = a/c):
 * - q0 = RN(a y) is within 2 ulp(q) of q: y's relative error is under 2^-24;
 * - q1 = RN(q0 + y RN(a - c q0)) is the rounding of q + (q - q0) e with
 *   |e| < 2^-23 + 2^-48 (c y = 1 + e1, |e1| < 2^-24, times the residual's
 *   rounding), within 2^-22 ulp(q) of q, so q1 is one of the two floats
 *   around q (faithful);
 * - then r = a - c q1 is exact and RN(q1 + y r) = RN(a/c) (Markstein's
 *   theorem: y within half an ulp of 1/c, q1 within an ulp of a/c; see
 *   P. Markstein, IBM J. Res. Dev. 34(1), 1990, and J. Harrison's and
 *   D. Russinoff's machine-checked proofs of the IA-64 division).
 * It needs no underflow or overflow on the way: c in [2^-16, 1] and a = 0 or
 * a in [2^-100, 2^64] (so q and every residual are normal floats), and
 * rounding to nearest (the default, which nnlab never changes). +0 gives +0;
 * -0 gives +0 where the division gives -0. test_exact_division checks every
 * float significand of a against VDIVPS for a set of divisors. With one
 * correction, every quotient tested also came out right (1.7e11 of them in a
 * sweep of 20 000 random divisors, and as many in a review's sweep of Adam's
 * bias corrections): the second is there for the proof. */
#ifndef NN_EXACT_DIVISION_AVX512_H
#define NN_EXACT_DIVISION_AVX512_H

#include <immintrin.h>

/* y = RN(1/c), the reciprocal nn_exact_divide_avx512 wants: one float
 * division (correctly rounded). Shared with the test, which checks the pair. */
static inline float nn_exact_divide_reciprocal(float c) { return 1.0f / c; }

/* a, c, y = nn_exact_divide_reciprocal(c): 16 lanes each; returns RN(a / c)
 * under the conditions above. */
__attribute__((target("avx512f"))) static inline __m512 nn_exact_divide_avx512(__m512 a, __m512 c,
                                                                            __m512 y)
{
    __m512 q0 = _mm512_mul_ps(a, y);
    __m512 q1 = _mm512_fmadd_ps(_mm512_fnmadd_ps(c, q0, a), y, q0);
    return _mm512_fmadd_ps(_mm512_fnmadd_ps(c, q1, a), y, q1);
}

#endif
