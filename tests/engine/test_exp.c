/* e^x in double (engine/kernels_exp.h): nn_exp_double against glibc's exp()
 * bit for bit, where glibc runs its FMA copy (a CPU with FMA and AVX2; else
 * skipped, with the reason), over the whole range the cross-entropy feeds it
 * and every boundary of the fast path; and every table's exp_doubles against
 * nn_exp_double bit for bit, over lengths that end in a partial vector, with
 * out-of-path values (tiny, large, inf, NaN) among ordinary ones, in place
 * and not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "kernels_exp.h"
#include "nn_kernels.h"
#include "nn_rng.h"
#include "test_util.h"

static uint64_t bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static double from_bits(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Same bits, or both NaN (exp's NaN is x + 1: the payload is x's). */
static int same(double a, double b) { return bits(a) == bits(b) || (isnan(a) && isnan(b)); }

/* Values on and around every edge: the fast path's exponents (2^-54, 512),
 * zeros, the ends of exp's range (overflow from 709.78, subnormal results
 * from -708.4, zero from -745.13), inf and NaN. */
static const double edges[] = {
    0.0, -0.0, 0x1p-54, -0x1p-54, 0x1.fffffffffffffp-55, -0x1.fffffffffffffp-55, 0x1p-1074,
    -0x1p-1022, 1e-300, 511.99999999999994, -511.99999999999994, 512.0, -512.0, 700.0, -700.0,
    709.78, 709.79, -708.39, -708.4, -745.13, -745.14, -1000.0, 1000.0, 1e300, -1e300,
    INFINITY, -INFINITY, NAN, 1.0, -1.0, 0.5, -0.5, 0x1p-8, -0x1p-8, 0.00270760617406228636,
    -0.00270760617406228636, 88.72283905206835, -87.33654475055310,
};
enum { N_EDGES = sizeof edges / sizeof edges[0] };

/* x uniform in [lo, hi), from the 53 bits of two draws. */
static double uniform_double(nn_rng *rng, double lo, double hi)
{
    uint64_t u = ((uint64_t)nn_rng_u32(rng) << 21) ^ nn_rng_u32(rng);
    return lo + (hi - lo) * ((double)(u & ((1ull << 53) - 1)) * 0x1p-53);
}

/* glibc's exp is its FMA copy when the CPU has FMA and AVX2 (its ifunc). */
static int libm_has_fma_copy(void)
{
    nn_cpu_features cpu = nn_cpu_features_detect();
    return cpu.fma && cpu.avx2 && cpu.os_ymm;
}

#define assert_same_exp(got, want, x, what)                                                  \
    do {                                                                                   \
        if (!same(got, want)) {                                                            \
            print_error("%s:%d: %s: e^%a: %a, want %a\n", __FILE__, __LINE__, what, x, got,  \
                        want);                                                             \
            _fail(__FILE__, __LINE__);                                                     \
        }                                                                                  \
    } while (0)

static void test_scalar_is_glibc_exp(void **state)
{
    (void)state;
    if (!libm_has_fma_copy()) {
        printf("nn_exp_double vs exp(): skipped: this CPU lacks FMA or AVX2, so glibc runs "
               "another copy of exp\n");
        return;
    }
    for (size_t i = 0; i < N_EDGES; i++)
        assert_same_exp(nn_exp_double(edges[i]), exp(edges[i]), edges[i], "edge");
    /* Every ulp step over the fast path's edges, both signs. */
    static const double around[] = {0x1p-54, 512.0, 1.0, 0x1p-8};
    for (size_t i = 0; i < sizeof around / sizeof around[0]; i++)
        for (int64_t d = -200; d <= 200; d++)
            for (int sign = 0; sign < 2; sign++) {
                double x = from_bits(bits(around[i]) + (uint64_t)d) * (sign ? -1.0 : 1.0);
                assert_same_exp(nn_exp_double(x), exp(x), x, "near an edge");
            }
    /* The cross-entropy's range (logit minus the row's maximum or log-sum-exp:
     * mostly in [-30, 0]) densely, and all of exp's range. */
    nn_rng rng;
    nn_rng_seed(&rng, 7, 0);
    static const double ranges[][2] = {{-30.0, 0.0}, {-1.0, 1.0}, {-746.0, 710.0}, {-1e-3, 1e-3}};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
        for (int i = 0; i < 500000; i++) {
            double x = uniform_double(&rng, ranges[r][0], ranges[r][1]);
            assert_same_exp(nn_exp_double(x), exp(x), x, "random");
        }
    /* Random bit patterns: every exponent, NaNs and infinities included. */
    for (int i = 0; i < 200000; i++) {
        double x = from_bits(((uint64_t)nn_rng_u32(&rng) << 32) | nn_rng_u32(&rng));
        assert_same_exp(nn_exp_double(x), exp(x), x, "random bits");
    }
}

/* Every table this CPU runs. */
static void test_paths_same_bits(void **state)
{
    (void)state;
    const nn_dense_kernels *tables[] = {nn_kernels_scalar(), nn_kernels_avx2(),
                                        nn_kernels_avx512()};
    static const char *const names[] = {"scalar", "avx2", "avx512"};
    nn_rng rng;
    nn_rng_seed(&rng, 11, 0);
    enum { MAX_N = 45 };
    double x[MAX_N], y[MAX_N], in_place[MAX_N];
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        if (!tables[t]) {
            printf("%s exp_doubles: skipped: this CPU (or its OS, or build) lacks that path\n",
                   names[t]);
            continue;
        }
        for (int round = 0; round < 400; round++)
            for (size_t n = 0; n <= MAX_N; n++) {
                for (size_t i = 0; i < n; i++) {
                    uint32_t pick = nn_rng_u32(&rng) % 16;
                    x[i] = pick == 0   ? edges[nn_rng_u32(&rng) % N_EDGES]
                           : pick == 1 ? uniform_double(&rng, -746.0, 710.0)
                                       : uniform_double(&rng, -30.0, 0.0);
                }
                for (size_t i = 0; i < MAX_N; i++)
                    y[i] = in_place[i] = -12345.0;
                memcpy(in_place, x, n * sizeof *x);
                tables[t]->exp_doubles(y, x, n);
                tables[t]->exp_doubles(in_place, in_place, n);
                for (size_t i = 0; i < n; i++) {
                    double want = nn_exp_double(x[i]);
                    assert_same_exp(y[i], want, x[i], names[t]);
                    assert_same_exp(in_place[i], want, x[i], names[t]);
                }
                for (size_t i = n; i < MAX_N; i++) /* nothing written past n */
                    assert_true(y[i] == -12345.0);
            }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_is_glibc_exp),
        cmocka_unit_test(test_paths_same_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
