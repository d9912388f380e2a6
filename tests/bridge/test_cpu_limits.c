/* The cgroup quota parsers of bridge/cpu_limits.c: cpu.max (v2) and
 * cpu.cfs_quota_us / cpu.cfs_period_us (v1) texts to CPUs, 0 for no quota;
 * and cpu_limits_read's invariants on this machine. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpu_limits.h"

static void test_cpu_max_no_limit(void **state)
{
    (void)state;
    assert_int_equal(cpu_quota_from_cpu_max("max 100000"), 0);
    assert_int_equal(cpu_quota_from_cpu_max("max 100000\n"), 0);
}

static void test_cpu_max_rounds_up(void **state)
{
    (void)state;
    assert_int_equal(cpu_quota_from_cpu_max("150000 100000"), 2);
    assert_int_equal(cpu_quota_from_cpu_max("150000 100000\n"), 2);
    assert_int_equal(cpu_quota_from_cpu_max("50000 100000\n"), 1);
    assert_int_equal(cpu_quota_from_cpu_max("1000 100000\n"), 1);
    assert_int_equal(cpu_quota_from_cpu_max("200000 100000\n"), 2);
    assert_int_equal(cpu_quota_from_cpu_max("6400000 100000\n"), 64);
}

static void test_cpu_max_huge_quota_is_capped(void **state)
{
    (void)state;
    assert_int_equal(cpu_quota_from_cpu_max("18446744073709551615 1\n"), INT32_MAX);
    assert_int_equal(cpu_quota_from_cpu_max("18446744073709551616 1\n"), 0); /* overflows */
}

static void test_cpu_max_malformed_is_no_quota(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "\n", "max", "150000", "150000 ", " 150000 100000", "150000  100000",
        "150000 100000 7", "150000 100000\n\n", "-1 100000", "150000 -100000",
        "1.5 1", "0x10 100000", "abc 100000", "150000 0", "0 100000", "150000\t100000",
        "max100000",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (cpu_quota_from_cpu_max(bad[i]) != 0) {
            print_error("cpu.max %s: expected no quota\n", bad[i]);
            fail();
        }
    }
}

static void test_cfs_quota(void **state)
{
    (void)state;
    assert_int_equal(cpu_quota_from_cfs("-1\n", "100000\n"), 0);
    assert_int_equal(cpu_quota_from_cfs("150000\n", "100000\n"), 2);
    assert_int_equal(cpu_quota_from_cfs("50000", "100000"), 1);
    assert_int_equal(cpu_quota_from_cfs("300000\n", "100000\n"), 3);
    assert_int_equal(cpu_quota_from_cfs("150000\n", "0\n"), 0);
    assert_int_equal(cpu_quota_from_cfs("", "100000\n"), 0);
    assert_int_equal(cpu_quota_from_cfs("150000\n", "x\n"), 0);
}

static void test_read_this_process(void **state)
{
    (void)state;
    cpu_limits limits;
    cpu_limits_read(&limits);
    assert_true(limits.online >= 1);
    assert_true(limits.cpus >= 1);
    if (limits.affinity > 0)
        assert_true(limits.cpus <= limits.affinity);
    if (limits.quota > 0) {
        assert_true(limits.cpus <= limits.quota);
        assert_true(limits.quota_file[0] == '/');
    } else {
        assert_string_equal(limits.quota_file, "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_max_no_limit),
        cmocka_unit_test(test_cpu_max_rounds_up),
        cmocka_unit_test(test_cpu_max_huge_quota_is_capped),
        cmocka_unit_test(test_cpu_max_malformed_is_no_quota),
        cmocka_unit_test(test_cfs_quota),
        cmocka_unit_test(test_read_this_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
