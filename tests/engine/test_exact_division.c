/* nn_exact_divide_avx512 (exact_division_avx512.h) against VDIVPS, bit for
 * bit: every float significand of the dividend, in the lowest, a middle and
 * the highest binade it is used for, over Adam's bias corrections (beta2
 * 0.999, 0.99, 0.9 and 1 - 2^-24, early and late steps), the ends of the
 * divisor's range, a divisor whose significand is all ones, and random ones.
 * On a CPU without AVX-512F it prints that it is skipped and why. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "exact_division_avx512.h"
#include "nn_kernels.h"

/* Every lane whose quotient differs from VDIVPS's, for a in one binade
 * [2^e, 2^(e+1)): all 2^23 significands. Returns the count; prints the first. */
__attribute__((target("avx512f"))) static long mismatches_in_binade(float c, int e)
{
    __m512 cv = _mm512_set1_ps(c), y = _mm512_set1_ps(nn_exact_divide_reciprocal(c));
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    uint32_t exponent = (uint32_t)(127 + e) << 23;
    long bad = 0;
    for (uint32_t m = 0; m < (1u << 23); m += 16) {
        __m512 a = _mm512_castsi512_ps(_mm512_or_si512(_mm512_set1_epi32((int)(exponent | m)), lane));
        __m512i fast = _mm512_castps_si512(nn_exact_divide_avx512(a, cv, y));
        __m512i exact = _mm512_castps_si512(_mm512_div_ps(a, cv));
        __mmask16 differ = _mm512_cmpneq_epi32_mask(fast, exact);
        if (differ) {
            if (bad == 0) {
                float af[16];
                _mm512_storeu_ps(af, a);
                int k = __builtin_ctz(differ);
                fprintf(stderr, "  %a / %a: FMAs differ from the division\n", (double)af[k],
                        (double)c);
            }
            bad += __builtin_popcount(differ);
        }
    }
    return bad;
}

/* +0 / c is +0, as the division gives. */
__attribute__((target("avx512f"))) static int zero_stays_positive_zero(float c)
{
    __m512 q = nn_exact_divide_avx512(_mm512_setzero_ps(), _mm512_set1_ps(c),
                                      _mm512_set1_ps(nn_exact_divide_reciprocal(c)));
    float out[16];
    _mm512_storeu_ps(out, q);
    return out[0] == 0.0f && !signbit(out[0]);
}

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13, *state ^= *state >> 7, *state ^= *state << 17;
    return *state;
}

/* divisors[0..n) plus c unless it is there already; returns the new count. */
static size_t add_divisor(float *divisors, size_t n, float c)
{
    for (size_t i = 0; i < n; i++)
        if (divisors[i] == c)
            return n;
    divisors[n] = c;
    return n + 1;
}

static void test_every_significand_against_vdivps(void **state)
{
    (void)state;
    if (!nn_kernels_avx512()) {
        printf("skipped: this CPU (or its operating system) has no AVX-512F, so the FMA "
               "division is never used here\n");
        skip();
    }
    float divisors[64];
    size_t n = 0;
    const double beta2s[] = {0.999, 0.99, 0.9, 0.95, 0.99999994}; /* as the optimizer has them */
    const int steps[] = {1, 2, 3, 10, 100, 1000};
    for (size_t b = 0; b < sizeof beta2s / sizeof beta2s[0]; b++)
        for (size_t t = 0; t < sizeof steps / sizeof steps[0]; t++)
            n = add_divisor(divisors, n, (float)sqrt(1.0 - pow(beta2s[b], steps[t])));
    const float ends[] = {
        0x1p-16f, 0x1.000002p-16f, 0x1.fffffep-16f, /* the lower end and next to it */
        1.0f, 0x1.fffffep-1f,                       /* the upper end (beta2 0), just under it */
        0x1.fffffep-9f,                             /* another significand of all ones */
    };
    for (size_t e = 0; e < sizeof ends / sizeof ends[0]; e++)
        n = add_divisor(divisors, n, ends[e]);
    uint64_t rng = 0x2545f4914f6cdd1du;
    while (n < sizeof divisors / sizeof divisors[0]) {
        uint64_t r = next_random(&rng);
        n = add_divisor(divisors, n,
                        ldexpf(1.0f + (float)(r & 0x7fffff) / 8388608.0f, -1 - (int)((r >> 32) % 16)));
    }
    const int binades[] = {-75, 0, 63}; /* sqrt(v) is 0 or in [2^-75, 2^64) */
    long bad = 0;
    for (size_t d = 0; d < n; d++) {
        assert_true(divisors[d] >= 0x1p-16f && divisors[d] <= 1.0f);
        assert_true(zero_stays_positive_zero(divisors[d]));
        for (size_t e = 0; e < sizeof binades / sizeof binades[0]; e++)
            bad += mismatches_in_binade(divisors[d], binades[e]);
    }
    size_t powers_of_two = 0;
    for (size_t d = 0; d < n; d++)
        powers_of_two += frexpf(divisors[d], &(int){0}) == 0.5f;
    printf("%zu distinct divisors (%zu powers of two) x 3 binades x 2^23 significands: %ld "
           "quotients differ from VDIVPS\n", n, powers_of_two, bad);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_significand_against_vdivps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
