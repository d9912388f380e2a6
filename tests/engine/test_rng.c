/* PCG32: reference outputs, determinism, unbiased bounded draws, permutations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "nn_rng.h"
#include "test_util.h"

/* First outputs of pcg32 with seed 42, stream 54: the reference values printed
 * by pcg32-demo in the PCG C basic distribution. */
static void test_pcg32_reference_sequence(void **state)
{
    (void)state;
    nn_rng rng;
    nn_rng_seed(&rng, 42u, 54u);
    const uint32_t expected[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                  0x83d2f293, 0xbfa4784b, 0xcbed606e};
    for (int i = 0; i < 6; i++)
        assert_int_equal(nn_rng_u32(&rng), expected[i]);
}

static void test_same_seed_same_numbers(void **state)
{
    (void)state;
    nn_rng a, b, c;
    nn_rng_seed(&a, 7, NN_STREAM_INIT);
    nn_rng_seed(&b, 7, NN_STREAM_INIT);
    nn_rng_seed(&c, 8, NN_STREAM_INIT);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = nn_rng_u32(&a);
        assert_int_equal(x, nn_rng_u32(&b));
        differ += x != nn_rng_u32(&c);
    }
    assert_true(differ > 990);
}

static void test_uniform_in_range_and_mean(void **state)
{
    (void)state;
    nn_rng rng;
    nn_rng_seed(&rng, 1, 1);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        float u = nn_rng_uniform(&rng);
        assert_true(u >= 0.0f && u < 1.0f);
        sum += u;
    }
    assert_near(sum / 100000, 0.5, 0.01);
    double s2 = 0, s1 = 0;
    for (int i = 0; i < 100000; i++) {
        double z = nn_rng_normal(&rng);
        s1 += z;
        s2 += z * z;
    }
    assert_near(s1 / 100000, 0.0, 0.02);
    assert_near(s2 / 100000, 1.0, 0.03);
}

static void test_permutation_is_a_permutation(void **state)
{
    (void)state;
    nn_rng rng;
    nn_rng_seed(&rng, 3, NN_STREAM_SHUFFLE);
    enum { N = 1001 };
    uint32_t perm[N];
    int seen[N] = {0};
    nn_rng_permutation(&rng, perm, N);
    int moved = 0;
    for (uint32_t i = 0; i < N; i++) {
        assert_true(perm[i] < N);
        seen[perm[i]]++;
        moved += perm[i] != i;
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    assert_true(moved > N / 2);
}

static void test_below_covers_bound(void **state)
{
    (void)state;
    nn_rng rng;
    nn_rng_seed(&rng, 5, 5);
    int hist[7] = {0};
    for (int i = 0; i < 70000; i++)
        hist[nn_rng_below(&rng, 7)]++;
    for (int i = 0; i < 7; i++)
        assert_true(hist[i] > 9500 && hist[i] < 10500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcg32_reference_sequence),
        cmocka_unit_test(test_same_seed_same_numbers),
        cmocka_unit_test(test_uniform_in_range_and_mean),
        cmocka_unit_test(test_permutation_is_a_permutation),
        cmocka_unit_test(test_below_covers_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
