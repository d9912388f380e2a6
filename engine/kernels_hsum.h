/* Internal to the AVX2 kernels (kernels_avx2.c, built with -mavx2): the one
 * tree every forward dot product ends with. Each output's 8 lane sums are
 * added as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)); kernels_scalar.c's
 * hsum8 writes the same tree out, and kernels_avx512.c's pair_sums adds the
 * same sums in zmm registers, 8 outputs at once. Include nothing from here
 * outside kernels_avx2.c. */
#ifndef NN_KERNELS_HSUM_H
#define NN_KERNELS_HSUM_H

#include <immintrin.h>

/* {Σa0, Σa1, Σa2, Σa3}: the sums of four 8-lane vectors, each by the tree above
 * (two hadds, then the low half plus the high half). */
static inline __attribute__((always_inline)) __m128 hsum4(__m256 a0, __m256 a1, __m256 a2,
                                                          __m256 a3)
{
    __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

#endif
