/* nn_mem: aligned, zeroed buffers on every size class (from malloc below a
 * page, mapped from a page, advised as huge pages from 4 MiB), refusals, and
 * nn_advise_huge_pages on malloc'd memory: a hint that keeps every byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nn_error.h"
#include "nn_mem.h"

/* Sizes around each class boundary: a page (mapped from there) and 4 MiB
 * (advised as huge pages from there), and one of several huge pages. */
static const size_t sizes[] = {1, 15, 16, 17, 1000, 1023, 1024, 1025, (1u << 20) - 16,
                               (1u << 20), (1u << 20) + 1, 3u << 20, 5u << 20};

static void test_buffers_are_aligned_zeroed_and_writable(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        float *p = nn_alloc_floats(n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % NN_ALIGN, 0);
        for (size_t k = 0; k < n; k++)
            if (p[k] != 0.0f)
                fail_msg("%zu floats: element %zu is %g, not 0", n, k, (double)p[k]);
        for (size_t k = 0; k < n; k++)
            p[k] = (float)(k % 1000);
        for (size_t k = 0; k < n; k += n / 7 + 1)
            assert_true(p[k] == (float)(k % 1000));
        assert_true(p[n - 1] == (float)((n - 1) % 1000));
        nn_free(p);
    }
    nn_free(NULL); /* a no-op, as free(NULL) */
}

static void test_refusals_say_why(void **state)
{
    (void)state;
    assert_null(nn_alloc_floats(0));
    assert_non_null(strstr(nn_error_message(), "zero-byte"));
    assert_null(nn_alloc_floats(SIZE_MAX / 2));
    assert_non_null(strstr(nn_error_message(), "out of memory"));
    assert_null(nn_alloc_bytes(SIZE_MAX - 8));
    assert_non_null(strstr(nn_error_message(), "out of memory"));
}

/* The advice is given before the buffer is first written, as the dataset
 * readers do, and again on written memory; neither changes a byte. Small,
 * unaligned and NULL ranges are left alone. */
static void test_huge_page_advice_keeps_contents(void **state)
{
    (void)state;
    size_t bytes = (size_t)9 << 20;
    unsigned char *p = malloc(bytes + 3);
    assert_non_null(p);
    unsigned char *q = p + 3; /* not page-aligned: only whole pages inside are advised */
    nn_advise_huge_pages(q, bytes);
    for (size_t k = 0; k < bytes; k++)
        q[k] = (unsigned char)(k * 131u >> 3);
    nn_advise_huge_pages(q, bytes);
    for (size_t k = 0; k < bytes; k++)
        if (q[k] != (unsigned char)(k * 131u >> 3))
            fail_msg("byte %zu changed after the advice", k);
    nn_advise_huge_pages(q, 100);
    nn_advise_huge_pages(NULL, bytes);
    nn_advise_huge_pages(q, 0);
    assert_int_equal(q[0], 0);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffers_are_aligned_zeroed_and_writable),
        cmocka_unit_test(test_refusals_say_why),
        cmocka_unit_test(test_huge_page_advice_keeps_contents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
