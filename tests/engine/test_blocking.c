/* The kernels' blocking from the CPU's caches and vendor (kernels_blocking.h):
 * CPUID's cache leaves decoded from made-up registers, the rule on the caches
 * of the CPUs it was written for and at its limits, nn_blocking_set's
 * refusals, and this machine's caches and vendor as detected (printed). The bits under every blocking
 * are test_kernels.c's test_avx512_forward_any_blocking. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kernels_blocking.h"

/* EAX, EBX, ECX of a leaf-4 / 0x8000001D subleaf: `type` (1 data, 2 code, 3
 * unified) at `level`, ways × partitions × line × sets bytes. */
static void add(nn_cpu_caches *c, int type, int level, int ways, int partitions, int line,
                int sets, int expect_more)
{
    uint32_t eax = (uint32_t)type | (uint32_t)level << 5;
    uint32_t ebx = (uint32_t)(ways - 1) << 22 | (uint32_t)(partitions - 1) << 12 | (uint32_t)(line - 1);
    assert_int_equal(nn_cpu_caches_add_leaf(c, eax, ebx, (uint32_t)(sets - 1)), expect_more);
}

/* A Zen 5's list: L1d 48 KiB (12 ways × 64 sets), L1i 32 KiB, L2 1 MiB, L3
 * 32 MiB, then the end. */
static void test_leaves_decode(void **state)
{
    (void)state;
    nn_cpu_caches c = {0, 0, 0};
    add(&c, 1, 1, 12, 1, 64, 64, 1);
    add(&c, 2, 1, 8, 1, 64, 64, 1); /* code: not counted */
    add(&c, 3, 2, 16, 1, 64, 1024, 1);
    add(&c, 3, 3, 16, 1, 64, 32768, 1);
    add(&c, 0, 0, 1, 1, 1, 1, 0); /* the end of the list */
    assert_int_equal(c.l1d, 48 * 1024);
    assert_int_equal(c.l2, 1024 * 1024);
    assert_int_equal(c.l3, 32 * 1024 * 1024);
}

/* The blocks do not depend on the vendor; x_pairs is 1 on Intel alone. */
static void assert_blocking(nn_cpu_caches c, int blocked_from, int k_block, int row_block)
{
    for (int intel = 0; intel <= 1; intel++) {
        nn_blocking b = nn_blocking_for(c, intel);
        assert_int_equal(b.blocked_from, blocked_from);
        assert_int_equal(b.k_block, k_block);
        assert_int_equal(b.row_block, row_block);
        assert_int_equal(b.x_pairs, intel);
    }
}

static void test_rule(void **state)
{
    (void)state;
    const uint32_t KiB = 1024, MiB = 1024 * 1024;
    assert_blocking((nn_cpu_caches){48 * KiB, 1 * MiB, 32 * MiB}, 1024, 512, 128); /* Zen 5, measured */
    assert_blocking((nn_cpu_caches){32 * KiB, 1 * MiB, 32 * MiB}, 640, 320, 128);  /* Zen 4, Skylake-X */
    assert_blocking((nn_cpu_caches){48 * KiB, 2 * MiB, 0}, 1024, 512, 256);        /* Sapphire Rapids */
    assert_blocking((nn_cpu_caches){48 * KiB, 1280 * KiB, 0}, 1024, 512, 160);     /* Ice Lake-SP */
    assert_blocking((nn_cpu_caches){0, 0, 0}, 1024, 512, 128);                     /* unknown */
    assert_blocking((nn_cpu_caches){8 * KiB, 128 * KiB, 0}, 256, 128, 32);          /* the floors */
    assert_blocking((nn_cpu_caches){1 * MiB, 64 * MiB, 0}, 2048, 1024, 256);         /* the ceilings */
}

static void test_set_refuses_and_resets(void **state)
{
    (void)state;
    nn_blocking detected = nn_blocking_active();
    const nn_blocking bad[] = {
        {255, 128, 128, 0},  {2049, 512, 128, 0}, {1024, 0, 128, 0},  {1024, 520, 128, 0},
        {1024, 1040, 128, 0}, {1024, 512, 28, 0},  {1024, 512, 130, 0}, {1024, 512, 260, 0},
        {1024, 512, 128, -1}, {1024, 512, 128, 2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(nn_blocking_set(&bad[i]), -1);
        nn_blocking now = nn_blocking_active();
        assert_int_equal(now.blocked_from, detected.blocked_from);
        assert_int_equal(now.k_block, detected.k_block);
        assert_int_equal(now.row_block, detected.row_block);
        assert_int_equal(now.x_pairs, detected.x_pairs);
    }
    nn_blocking other = {256, 16, 32, !detected.x_pairs};
    assert_int_equal(nn_blocking_set(&other), 0);
    assert_int_equal(nn_blocking_active().k_block, 16);
    assert_int_equal(nn_blocking_active().x_pairs, !detected.x_pairs);
    assert_int_equal(nn_blocking_set(NULL), 0);
    nn_blocking again = nn_blocking_active();
    assert_int_equal(again.blocked_from, detected.blocked_from);
    assert_int_equal(again.k_block, detected.k_block);
    assert_int_equal(again.row_block, detected.row_block);
    assert_int_equal(again.x_pairs, detected.x_pairs);
}

/* What this machine reports, and that the active blocking is the rule's for it. */
static void test_this_machine(void **state)
{
    (void)state;
    nn_cpu_caches c = nn_cpu_caches_detect();
    nn_blocking b = nn_blocking_for(c, nn_cpu_is_intel()), active = nn_blocking_active();
    printf("this CPU: L1d %u KiB, L2 %u KiB, L3 %u KiB (0: not reported), %s; AVX-512 forward: "
           "blocks of %d k beyond %d inputs, %d rows, below 64 rows pairs of rows of %s\n",
           c.l1d / 1024, c.l2 / 1024, c.l3 / 1024, nn_cpu_is_intel() ? "Intel" : "not Intel",
           b.k_block, b.blocked_from, b.row_block, b.x_pairs ? "X" : "W");
    assert_true(c.l1d == 0 || c.l1d >= 8 * 1024);
    assert_true(c.l2 == 0 || c.l2 >= c.l1d);
    assert_int_equal(active.blocked_from, b.blocked_from);
    assert_int_equal(active.k_block, b.k_block);
    assert_int_equal(active.row_block, b.row_block);
    assert_int_equal(active.x_pairs, b.x_pairs);
    /* the vendor as the kernel reports it, where /proc/cpuinfo is there */
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        int intel = -1;
        while (intel < 0 && fgets(line, sizeof line, f))
            if (strncmp(line, "vendor_id", 9) == 0)
                intel = strstr(line, "GenuineIntel") != NULL;
        fclose(f);
        if (intel >= 0)
            assert_int_equal(nn_cpu_is_intel(), intel);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaves_decode),
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_set_refuses_and_resets),
        cmocka_unit_test(test_this_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
